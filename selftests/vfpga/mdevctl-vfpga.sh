#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host, with tessera.ko loaded: Debian's mdevctl lists the
# vFPGA types and creates, lists and removes a vFPGA instance, and
# available_instances follows the regions it takes. Prints TAP.
set -u

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check()
{
	local what=$1

	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish()
{
	echo "1..$n"
	exit $failed
}

parent=
for d in /sys/class/mdev_bus/*; do
	if [ -d "$d/mdev_supported_types/tessera-vfpga-1" ]; then
		parent=$(basename "$d")
		break
	fi
done
if [ -z "$parent" ]; then
	not_ok "mdevctl: no mdev parent offers tessera-vfpga-1 (is tessera.ko loaded?)"
	finish
fi
types_dir=/sys/class/mdev_bus/$parent/mdev_supported_types
available() { cat "$types_dir/$1/available_instances"; }

types=$(mdevctl types -p "$parent" 2>&1)
missing=
for t in 1 2 4; do
	grep -q "tessera-vfpga-$t" <<<"$types" || missing="$missing tessera-vfpga-$t"
done
if [ -z "$missing" ]; then
	ok "mdevctl types lists tessera-vfpga-1/-2/-4"
else
	not_ok "mdevctl types lists tessera-vfpga-1/-2/-4 (missing:$missing)"
	while IFS= read -r line; do echo "# $line"; done <<<"$types"
fi
check "vfpga-1's description allows VADD and CRC32 but not GEMM_TILE" \
	bash -c "grep -q 'VADD,CRC32' $types_dir/tessera-vfpga-1/description &&
		 ! grep -q GEMM_TILE $types_dir/tessera-vfpga-1/description"
check "vfpga-2's description allows GEMM_TILE too" \
	grep -q 'VADD,CRC32,GEMM_TILE' "$types_dir/tessera-vfpga-2/description"

avail1=$(available tessera-vfpga-1)
uuid=$(cat /proc/sys/kernel/random/uuid)
check "mdevctl start -u UUID -p PARENT --type tessera-vfpga-2 creates a vFPGA instance" \
	bash -c "mdevctl start -u $uuid -p $parent --type tessera-vfpga-2 &&
		 test -d /sys/bus/mdev/devices/$uuid &&
		 test \"\$(basename \"\$(readlink /sys/bus/mdev/devices/$uuid/mdev_type)\")\" = tessera-vfpga-2"
check "mdevctl list shows it" bash -c "mdevctl list | grep -q '$uuid $parent tessera-vfpga-2'"
check "available_instances of tessera-vfpga-1 went down by two regions" \
	test "$(available tessera-vfpga-1)" = "$((avail1 - 2))"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
dbg=/sys/kernel/debug/tessera/$parent/regions
check "debugfs regions shows two card regions claimed for the instance" \
	test "$(grep -c 'claimed 1 ' "$dbg" 2>/dev/null)" = 2
check "mdevctl stop removes it" \
	bash -c "mdevctl stop -u $uuid && test ! -e /sys/bus/mdev/devices/$uuid"
check "available_instances of tessera-vfpga-1 is back" \
	test "$(available tessera-vfpga-1)" = "$avail1"
finish
