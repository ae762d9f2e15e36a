#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The real clients, run inside the test host (tessera.ko loaded): Debian's
# mdevctl manages instances, then Debian's QEMU 10.0 runs a nested guest
# with -device vfio-pci,sysfsdev=<instance>, and the instance's slice is
# checked through VFIO after the guest is gone. Prints TAP.
#
#   selftests/clients/nested-client.sh
#
# Environment: NESTED_INITRAMFS (default .cache/nested/initramfs.cpio.gz),
# NESTED_KERNEL (default Debian's vmlinuz from scripts/fetch-kernel.sh),
# TSR_IOMMUFD (1: QEMU takes the device through -object iommufd and the
# device cdev, as the debug test host wants, and so do the VFIO checks),
# NESTED_ACCEL (kvm|tcg: force one; default kvm, falling back to tcg so
# that the steps after it still run, but the fallback is a failing line),
# TESSERA_BAR2_TOOL (default .cache/selftests/tessera-bar2).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
initramfs=${NESTED_INITRAMFS:-$top/.cache/nested/initramfs.cpio.gz}
kernel=${NESTED_KERNEL:-$top/.cache/kernel/$TESSERA_KVER/boot/vmlinuz-$TESSERA_KVER}
bar2_tool=${TESSERA_BAR2_TOOL:-$top/.cache/selftests/tessera-bar2}
qemu=/usr/bin/qemu-system-x86_64
work=$(mktemp -d /tmp/nested-client.XXXXXX)

n=0
failed=0
ok()
{
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok()
{
	n=$((n + 1))
	echo "not ok $n - $*"
	failed=1
}
# check DESCRIPTION COMMAND...: one TAP line from a command's status
check()
{
	local what=$1

	shift
	if "$@" >"$work/out" 2>&1; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/# /' "$work/out" | tail -n 15
	fi
}
finish()
{
	echo "1..$n"
	rm -rf "$work"
	exit $failed
}

parent=
for d in /sys/class/mdev_bus/*; do
	if [ -d "$d/mdev_supported_types/tessera-vgpu-1" ]; then
		parent=$(basename "$d")
		break
	fi
done
if [ -z "$parent" ]; then
	not_ok "mdevctl: no mdev parent offers tessera-vgpu-1 (is tessera.ko loaded?)"
	finish
fi
echo "# card: $parent"
types_dir=/sys/class/mdev_bus/$parent/mdev_supported_types
available()
{
	cat "$types_dir/$1/available_instances"
}

# ---- mdevctl ----

mdevctl types -p "$parent" >"$work/types" 2>&1
missing=
for t in 1 2 4 8; do
	grep -q "tessera-vgpu-$t" "$work/types" || missing="$missing tessera-vgpu-$t"
done
if [ -z "$missing" ] && grep -q 'Available instances' "$work/types"; then
	ok "mdevctl types lists tessera-vgpu-1/-2/-4/-8 with available instances"
else
	not_ok "mdevctl types lists tessera-vgpu-1/-2/-4/-8 (missing:${missing:- none})"
	sed 's/^/# /' "$work/types"
fi

check "mdevctl types --dumpjson agrees with sysfs on available instances" \
	python3 - "$parent" "$types_dir" <<'PY'
import json, os, subprocess, sys
parent, types_dir = sys.argv[1], sys.argv[2]
data = json.loads(subprocess.check_output(["mdevctl", "types", "-p", parent, "--dumpjson"]))
# mdevctl 1.2: [ { parent: [ { type: {...} }, ... ] } ]
found = {}
for entry in data:
    for types in entry.get(parent, []):
        for name, info in types.items():
            found[name] = info
for t in ("tessera-vgpu-1", "tessera-vgpu-2", "tessera-vgpu-4", "tessera-vgpu-8"):
    want = int(open(os.path.join(types_dir, t, "available_instances")).read())
    got = found.get(t, {}).get("available_instances")
    print(t, "sysfs", want, "mdevctl", got)
    if got != want:
        sys.exit(1)
PY

u_def=$(cat /proc/sys/kernel/random/uuid)
check "mdevctl define --auto writes a persistent tessera-vgpu-4 definition" \
	bash -c "mdevctl define -u $u_def -p $parent -t tessera-vgpu-4 --auto &&
		 test -f /etc/mdevctl.d/$parent/$u_def &&
		 mdevctl list --defined | grep -q '$u_def.*tessera-vgpu-4.*auto'"
avail4=$(available tessera-vgpu-4)
check "mdevctl start -u UUID starts the defined instance" \
	bash -c "mdevctl start -u $u_def &&
		 test -d /sys/bus/mdev/devices/$u_def &&
		 test \"\$(basename \"\$(readlink /sys/bus/mdev/devices/$u_def/mdev_type)\")\" = tessera-vgpu-4"
check "available_instances of tessera-vgpu-4 went down by one" \
	test "$(available tessera-vgpu-4)" = "$((avail4 - 1))"
check "mdevctl list shows the running instance" \
	bash -c "mdevctl list | grep -q '$u_def $parent tessera-vgpu-4'"
check "mdevctl stop removes it; undefine forgets it" \
	bash -c "mdevctl stop -u $u_def && test ! -e /sys/bus/mdev/devices/$u_def &&
		 mdevctl undefine -u $u_def && ! mdevctl list --defined | grep -q $u_def"
check "available_instances of tessera-vgpu-4 is back" \
	test "$(available tessera-vgpu-4)" = "$avail4"

uuid=$(cat /proc/sys/kernel/random/uuid)
check "mdevctl start -u UUID -p PARENT --type tessera-vgpu-2 creates a transient instance" \
	bash -c "mdevctl start -u $uuid -p $parent --type tessera-vgpu-2 &&
		 test -d /sys/bus/mdev/devices/$uuid && mdevctl list | grep -q $uuid"
if [ ! -d "/sys/bus/mdev/devices/$uuid" ]; then
	finish
fi
check "a fresh instance's slice reads zero through VFIO" "$bar2_tool" zero "$uuid"

# ---- the nested guest ----

if ! "$qemu" --version | grep -q 'version 10\.0'; then
	not_ok "Debian's QEMU 10.0 is $qemu ($("$qemu" --version | head -n 1))"
fi
for f in "$kernel" "$initramfs"; do
	if [ ! -f "$f" ]; then
		not_ok "nested guest: $f is missing"
		finish
	fi
done

seed=$(( (RANDOM << 16) | RANDOM ))
bytes=$((1 << 20))
# run_nested ACCEL TIMEOUT: boots the guest, output in $work/nested.ACCEL
run_nested()
{
	local accel=$1 limit=$2 vfio=(-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid")

	if [ -n "${TSR_IOMMUFD:-}" ]; then
		vfio=(-object "iommufd,id=iommufd0"
		      -device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,iommufd=iommufd0")
	fi
	timeout -k 5 "$limit" "$qemu" -accel "$accel" -machine q35 -m 256M -smp 1 \
		-nographic -no-reboot -nic none -vga none \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 quiet panic=-1 tessera.seed=$seed tessera.bytes=$bytes" \
		"${vfio[@]}" </dev/null >"$work/nested.$accel" 2>&1
}

accel=${NESTED_ACCEL:-}
why_tcg=
if [ -z "$accel" ]; then
	if [ ! -c /dev/kvm ]; then
		why_tcg="no /dev/kvm in the test host"
	elif ! grep -q '^kvm_amd ' /proc/modules; then
		why_tcg="kvm_amd is not loaded in the test host"
	else
		start=$SECONDS
		run_nested kvm 300
		status=$?
		last=$(grep -v '^[[:space:]]*$' "$work/nested.kvm" | tail -n 1)
		if grep -q 'TESSERA-NESTED begin' "$work/nested.kvm"; then
			accel=kvm
		else
			echo "# nested guest under -accel kvm: exit status $status, its output (last lines):"
			tail -n 15 "$work/nested.kvm" | sed 's/^/#   kvm: /'
			echo "# test host kernel messages about kvm:"
			dmesg | grep -i -E 'kvm|svm' | tail -n 10 | sed 's/^/#   dmesg: /'
			why_tcg="-accel kvm exited with status $status after $((SECONDS - start)) s before the guest's init ran${last:+: $last}"
		fi
	fi
	if [ -z "$accel" ]; then
		echo "# nested guest: falling back to -accel tcg: $why_tcg"
		accel=tcg
	fi
fi
if [ ! -f "$work/nested.$accel" ]; then
	start=$SECONDS
	run_nested "$accel" 900
	status=$?
else
	status=0
fi
out=$work/nested.$accel
sed 's/^/# nested: /' "$out" | grep -v '^# nested: *$' | tail -n 80
echo "# nested guest: -accel $accel, QEMU exit status $status"
# The test expects KVM unless told otherwise: falling back to TCG is a
# failure of its own, even though the steps below still run under TCG.
if [ -n "$why_tcg" ]; then
	not_ok "nested guest runs under -accel kvm: it fell back to -accel tcg ($why_tcg); the steps below ran under TCG"
else
	ok "nested guest runs under -accel $accel${NESTED_ACCEL:+, as NESTED_ACCEL asks}"
fi
desc="nested guest boots under Debian's QEMU with -device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid${TSR_IOMMUFD:+,iommufd=iommufd0}"
if grep -q 'TESSERA-NESTED end' "$out"; then
	ok "$desc (-accel $accel)"
else
	not_ok "$desc (-accel $accel): no end marker, QEMU status $status"
fi

lspci_out=$(sed -n '/TESSERA-NESTED lspci-begin/,/TESSERA-NESTED lspci-end/p' "$out")
if grep -q 'Processing accelerators \[1200\].*\[1234:7e51\]' <<< "$lspci_out"; then
	ok "nested lspci: the instance is a processing accelerator 1234:7e51"
else
	not_ok "nested lspci: the instance is a processing accelerator 1234:7e51"
fi
if grep -q 'Region 2: Memory at .*64-bit, prefetchable' <<< "$lspci_out" &&
   grep -q 'Capabilities: .*MSI-X: Enable. Count=1' <<< "$lspci_out"; then
	ok "nested lspci: BAR2 is 64-bit prefetchable and MSI-X has one vector"
else
	not_ok "nested lspci: BAR2 is 64-bit prefetchable and MSI-X has one vector"
fi
for step in bar0 bar2 ring; do
	line=$(grep -m1 "TESSERA-NESTED $step " "$out")
	case "$step" in
	bar0) what="the guest reads the trapped register file (VF_MAGIC) through BAR0" ;;
	bar2) what="the guest writes and reads back its slice through the BAR2 mapping" ;;
	ring) what="the guest runs FILL, COPY and FENCE from a ring in its own RAM" ;;
	esac
	if [ "${line#"TESSERA-NESTED $step ok"}" != "$line" ]; then
		ok "nested $step: $what"
	else
		not_ok "nested $step: $what (${line:-no marker})"
	fi
done

# QEMU closed the device when the guest exited: the next user of this
# (persistent) instance must find nothing of the guest's data.
check "after the guest exits, its slice reads zero to the next user (read through VFIO)" \
	"$bar2_tool" zero "$uuid"

avail2=$(available tessera-vgpu-2)
check "mdevctl stop removes the instance and frees its share" \
	bash -c "mdevctl stop -u $uuid && test ! -e /sys/bus/mdev/devices/$uuid &&
		 test \$(cat $types_dir/tessera-vgpu-2/available_instances) -eq $((avail2 + 1))"
finish
