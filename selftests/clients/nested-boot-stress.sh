#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the accel guest (build-accel-initramfs.sh) N times in a row on one
# tessera-vgpu-2 instance and count the boots that run their GEMMs: how
# reliable nested guests are in this test host. Run inside the test host
# (tessera.ko, tessera_mdev.ko, --nested-kvm), e.g.
#
#   scripts/testhost/run.sh --device tessera-card,engines=1,contexts=8 \
#     --insmod drivers/tessera/tessera.ko --insmod drivers/tessera/tessera_mdev.ko \
#     --nested-kvm --qemu-arg -cpu --qemu-arg max --env N=10 --env POLL=1 \
#     -- selftests/clients/nested-boot-stress.sh
#
# Environment: N boots (10); POLL=1 keeps two fork-heavy polling loops
# running meanwhile, as the suites' clients do; PIN=1 runs the guests' QEMU
# on CPU 1 and the rest on CPU 0; KVM_AMD_ARGS reloads kvm_amd with them;
# INFLIGHT=1 makes every other boot power off with jobs in flight.
# Prints one line per boot and "RESULT good/N good"; exit status 0 if all
# were good.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
kernel=$top/.cache/kernel/$TESSERA_KVER/boot/vmlinuz-$TESSERA_KVER
initramfs=${ACCEL_INITRAMFS:-$top/.cache/nested/accel-initramfs.cpio.gz}
work=$(mktemp -d /tmp/nested-stress.XXXXXX)
echo never > /sys/kernel/mm/transparent_hugepage/enabled
if [ -n "${KVM_AMD_ARGS:-}" ]; then
	# shellcheck disable=SC2086 # module parameters, split on purpose
	rmmod kvm_amd && modprobe kvm_amd $KVM_AMD_ARGS || echo "kvm_amd does not load with $KVM_AMD_ARGS"
fi
pin=()
if [ -n "${PIN:-}" ]; then
	taskset -pc 0 $$ >/dev/null
	pin=(taskset -c 1)
fi
for d in /sys/class/mdev_bus/*; do parent=$(basename "$d"); break; done
u=$(cat /proc/sys/kernel/random/uuid)
mdevctl start -u "$u" -p "$parent" --type tessera-vgpu-2 || exit 1
pollers=()
if [ -n "${POLL:-}" ]; then
	for m in probe load; do
		( while true; do tr -d '\r' < "$work/1.out" 2>/dev/null | grep -q "^TESSERA-ACCEL $m"; sleep 0.1; done ) &
		pollers+=($!)
	done
fi
n=${N:-10} good=0
for i in $(seq 1 "$n"); do
	mode="tessera.mode=gemm tessera.sizes=256 tessera.count=2"
	[ -n "${INFLIGHT:-}" ] && [ $((i % 2)) = 1 ] && mode=tessera.mode=inflight
	start=$SECONDS
	timeout -k 5 120 "${pin[@]}" /usr/bin/qemu-system-x86_64 -accel kvm -machine q35 -m 512M -smp 1 \
		-nographic -no-reboot -nic none -vga none -kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 quiet panic=-1 $mode" \
		-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$u" </dev/null >"$work/$i.out" 2>&1
	status=$?
	if grep -q "TESSERA-ACCEL gemm 256 status 0\|TESSERA-ACCEL poweroff-inflight" "$work/$i.out"; then
		good=$((good + 1)) r=ok
	else
		r=FAIL
	fi
	echo "boot $i: $r, QEMU status $status after $((SECONDS - start)) s; last: $(tr -d '\r' < "$work/$i.out" | grep -v '^$' | tail -n 2 | tr '\n' '|' | cut -c1-160)"
done
[ ${#pollers[@]} -gt 0 ] && kill "${pollers[@]}"
mdevctl stop -u "$u"
rm -rf "$work"
echo "RESULT $good/$n good"
[ "$good" = "$n" ]
