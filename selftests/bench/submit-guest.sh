#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host (scripts/bench-submit.sh starts it): the mediated
# submission path (submit-bench, a vGPU instance driven through VFIO as a
# guest driver would) and then the same batches on the card's host node
# (native-bench, through tessera_accel_host.ko), side by side in one run.
#
#   submit-guest.sh OUT ACCEL_KO ACCEL_HOST_KO
set -euo pipefail
out=$1 accel_ko=$2 accel_host_ko=$3

"$out/submit-bench"
modprobe drm_shmem_helper
modprobe gpu-sched
insmod "$accel_ko"
insmod "$accel_host_ko"
node=
for d in /sys/class/accel/accel*; do
	[ "$(basename "$(readlink "$d/device/driver")")" = tessera_accel_host.host ] &&
		node=/dev/accel/$(basename "$d")
done
[ -n "$node" ] || { echo "submit-guest: the host node did not appear" >&2; exit 1; }
"$out/native-bench" "$node"
