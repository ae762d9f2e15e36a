#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host (scripts/bench-sched.sh starts it): two Tessera
# cards, each with one engine. Share error and fairness for 2, 4 and 8
# instances on the first card and 16 over both (8 each: a vgpu-8 type
# fills a card at 8 instances), preemption latency, fence latency with
# preemption on and off, and the scheduler's overhead.
set -euo pipefail
bench=$1

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
cards=()
for c in /sys/class/mdev_bus/*; do
	[ -e "$c" ] && cards+=("${c##*/}")
done
if [ ${#cards[@]} -lt 2 ]; then
	echo "bench-guest: want two cards, found ${#cards[@]}: ${cards[*]}" >&2
	exit 1
fi
a=${cards[0]}
b=${cards[1]}
echo "cards: $a and $b, one engine each; slice $(cat "/sys/bus/pci/devices/$a/tessera/slice_us") us, policy $(cat "/sys/bus/pci/devices/$a/tessera/policy")"
echo
for n in 2 4 8; do
	"$bench" share "$n" "$a"
	echo
done
"$bench" share 16 "$a" "$b"
echo
"$bench" switch-lat "$a"
echo
"$bench" fence "$a"
