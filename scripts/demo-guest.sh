#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`, inside the test host: the card as lspci sees it; a GEMM on it
# through its registers with no driver bound; then tessera.ko and its
# mediator tessera_mdev.ko, two vGPU
# instances created with Debian's mdevctl, a GEMM workload in each through
# VFIO at the same time, and each instance's busy time from the card; last
# a VM on a vGPU (under KVM on the test host's emulated SVM) booting
# Debian's kernel with tessera_accel.ko and running tessera-run, whose
# checked results it prints, and the instance's busy time from the host.
# Usage: scripts/demo-guest.sh PATH/TO/tessera.ko PATH/TO/vgpu-demo
# Environment: ACCEL_INITRAMFS (selftests/clients/build-accel-initramfs.sh)
set -euo pipefail

ko=$1
vgpu_demo=$2
card=1234:7e50
# shellcheck source=scripts/versions.sh
. "$(dirname "$0")/versions.sh"
nested_kernel=$(dirname "$0")/../.cache/kernel/$TESSERA_KVER/boot/vmlinuz-$TESSERA_KVER

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

echo
echo "== A VM on a vGPU: Debian's kernel, tessera_accel.ko and tessera-run inside"
uuid=$(cat /proc/sys/kernel/random/uuid)
mdevctl start -u "$uuid" -p "$parent" --type tessera-vgpu-2
echo "qemu-system-x86_64 -accel kvm -m 512M ... -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid"
timeout -k 5 600 qemu-system-x86_64 -accel kvm -machine q35 -m 512M -smp 1 \
	-nographic -no-reboot -nic none -vga none \
	-kernel "$nested_kernel" -initrd "$ACCEL_INITRAMFS" \
	-append "console=ttyS0 quiet panic=-1 tessera.mode=gemm tessera.sizes=512,1024 tessera.count=4" \
	-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid" </dev/null 2>&1 |
	tr -d '\r' | grep -E 'TESSERA-ACCEL|tessera-run' | sed 's/^/  guest: /' | tee /tmp/demo-vm.out
grep -q 'TESSERA-ACCEL gemm 1024 status 0' /tmp/demo-vm.out || status=1
echo "from the host: $uuid busy_ns $(cat "/sys/bus/mdev/devices/$uuid/tessera/busy_ns") (card time the VM's GEMMs ran)"
mdevctl stop -u "$uuid"
exit $status
