#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the test host: the card as lspci sees it; a GEMM on it
# through its registers with no driver bound; then tessera.ko and its
# mediator tessera_mdev.ko, two vGPU
# instances created with Debian's mdevctl, a GEMM workload in each through
# VFIO at the same time, and each instance's busy time from the card.
# Usage: scripts/demo-guest.sh PATH/TO/tessera.ko PATH/TO/vgpu-demo
set -euo pipefail

ko=$1
vgpu_demo=$2
card=1234:7e50

echo "== The Tessera card in the test host"
lspci -vv -d "$card"
lspci -d "$card" | grep -q . || { echo "demo: no $card device in the test host" >&2; exit 1; }

echo
echo "== A 256x256 fp32 GEMM on the card through its registers (no driver bound)"
tools/card-demo/card-demo

echo
echo "== tessera.ko, the mediator tessera_mdev.ko, and two vGPU instances created with mdevctl"
insmod "$ko"
insmod "$(dirname "$ko")/tessera_mdev.ko"
parent=$(basename "$(readlink -f /sys/bus/pci/drivers/tessera/0000:*)")
mdevctl types
uuids=()
for i in 1 2; do
	uuid=$(cat /proc/sys/kernel/random/uuid)
	mdevctl start -u "$uuid" -p "$parent" --type tessera-vgpu-2
	uuids+=("$uuid")
done
mdevctl list

echo
echo "== A GEMM workload in each instance through VFIO, both at once"
pids=()
for uuid in "${uuids[@]}"; do
	"$vgpu_demo" "$uuid" &
	pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
	wait "$pid" || status=1
done

echo
echo "== Each instance's card busy time (sysfs, from the card's own counters)"
for uuid in "${uuids[@]}"; do
	echo "$uuid: busy_ns $(cat "/sys/bus/mdev/devices/$uuid/tessera/busy_ns"), commands $(cat "/sys/bus/mdev/devices/$uuid/tessera/commands"), doorbells $(cat "/sys/bus/mdev/devices/$uuid/tessera/doorbells")"
	mdevctl stop -u "$uuid"
done
exit $status
