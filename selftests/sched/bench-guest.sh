#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host (scripts/bench-sched.sh starts it): two Tessera
# cards, each with one engine. Share error, fairness and aggregate engine
# use for 1 to 32 vgpu-32 instances on the first card and 16 over both,
# the same beside adversaries, the latency of every kind of switch, fence latency with
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
# Aggregate throughput (engine busy share of card time) and fairness from
# 1 to 32 tenants of one card: vgpu-32 instances, 1/32 of the card each
# (the windows run from switch to switch, but a lone tenant never
# switches: its windows are slices of its own busy time).
for n in 1 2 4 8 16 32; do
	"$bench" share "$n" "$a"
	echo
done
# and 16 over both cards (8 each)
"$bench" share 16 "$a" "$b"
echo
# 32 tenants beside adversaries: one with 512-NOP batches, one with only
# 10 ms BUSYs, one resetting itself in a loop; then the latency of every
# kind of switch, most of them this run's.
"$bench" mix 32 "$a"
echo
"$bench" switch-lat "$a"
echo
"$bench" fence "$a"
