#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host (scripts/bench-submit.sh starts it): the mediated
# submission path (submit-bench, a vGPU instance driven through VFIO as a
# guest driver would) and then the same batches on the card's host node
# (native-bench, through tessera_accel_host.ko), side by side in one run,
# five rounds of each in turn: under TCG one round of either varies by a
# factor of two or more from the next, so bench-submit.sh takes the median
# of each side's "rate:" lines. The mediator's table is the first round's.
#
#   submit-guest.sh OUT ACCEL_KO ACCEL_HOST_KO
set -euo pipefail
out=$1 accel_ko=$2 accel_host_ko=$3

modprobe drm_shmem_helper
modprobe gpu-sched
for round in 1 2 3 4 5; do
	if [ "$round" = 1 ]; then
		"$out/submit-bench"
	else
		"$out/submit-bench" | grep '^rate: '
	fi
	insmod "$accel_ko"
	insmod "$accel_host_ko"
	node=
	for d in /sys/class/accel/accel*; do
		[ "$(basename "$(readlink "$d/device/driver")")" = tessera_accel_host.host ] &&
			node=/dev/accel/$(basename "$d")
	done
	[ -n "$node" ] || { echo "submit-guest: the host node did not appear" >&2; exit 1; }
	"$out/native-bench" "$node"
	# The host node gives its context back before the next mediated round.
	rmmod tessera_accel_host
	rmmod tessera_accel
done
