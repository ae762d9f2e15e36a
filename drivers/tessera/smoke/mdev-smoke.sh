#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Smoke test of tessera.ko's mdev route, run inside the test host with the
# card attached and the module loaded:
#   scripts/testhost/run.sh --device tessera-card \
#     --insmod drivers/tessera/tessera.ko -- drivers/tessera/smoke/mdev-smoke.sh
# Prints TAP; exits non-zero on the first failed check.
set -u
n=0
fail=0
ok()  { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

card=$(grep -l 0x7e50 /sys/bus/pci/devices/*/device | head -1)
card=${card%/device}
check "card present" test -n "$card"
check "card bound to tessera" test "$(basename "$(readlink "$card/driver")")" = tessera
types=$card/mdev_supported_types
for t in 1 2 4 8; do
	check "type tessera-vgpu-$t exists" test -d "$types/tessera-vgpu-$t"
	avail=$(cat "$types/tessera-vgpu-$t/available_instances")
	check "vgpu-$t available_instances $avail = $t" test "$avail" = "$t"
	echo "# vgpu-$t: $(cat "$types/tessera-vgpu-$t/name"): $(cat "$types/tessera-vgpu-$t/description")"
done

u1=$(cat /proc/sys/kernel/random/uuid)
check "create vgpu-2 instance" sh -c "echo $u1 > $types/tessera-vgpu-2/create"
check "mdev device exists" test -d "/sys/bus/mdev/devices/$u1"
grp=$(basename "$(readlink "/sys/bus/mdev/devices/$u1/iommu_group")")
check "vfio group node /dev/vfio/$grp" test -c "/dev/vfio/$grp"
check "vgpu-2 available now 1" test "$(cat "$types/tessera-vgpu-2/available_instances")" = 1
check "vgpu-1 available now 0" test "$(cat "$types/tessera-vgpu-1/available_instances")" = 0
check "vgpu-8 available now 4" test "$(cat "$types/tessera-vgpu-8/available_instances")" = 4
check "stats file" grep -q '^doorbells 0$' "/sys/bus/mdev/devices/$u1/tessera/stats"
echo "# stats: $(tr '\n' ' ' < "/sys/bus/mdev/devices/$u1/tessera/stats")"

u2=$(cat /proc/sys/kernel/random/uuid)
check "create second vgpu-2" sh -c "echo $u2 > $types/tessera-vgpu-2/create"
u3=$(cat /proc/sys/kernel/random/uuid)
if sh -c "echo $u3 > $types/tessera-vgpu-2/create" 2>/dev/null; then
	bad "third vgpu-2 refused"
else
	ok "third vgpu-2 refused"
fi
dbg=/sys/kernel/debug/tessera
mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -r "$dbg/$(basename "$card")/state" ]; then
	sed 's/^/# /' "$dbg/$(basename "$card")/state"
	ok "debugfs state"
else
	bad "debugfs state"
fi

check "remove first" sh -c "echo 1 > /sys/bus/mdev/devices/$u1/remove"
check "first gone" test ! -e "/sys/bus/mdev/devices/$u1"
check "vgpu-2 available back to 1" test "$(cat "$types/tessera-vgpu-2/available_instances")" = 1

# Leave the second instance alive: rmmod must remove it cleanly.
check "rmmod with a live instance" rmmod tessera
check "instance gone with the module" test ! -e "/sys/bus/mdev/devices/$u2"
echo "1..$n"
exit $fail
