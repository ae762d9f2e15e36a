#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libvirt's node devices of a Tessera card, with libvirtd already running
# (libvirt-up.sh), as a cluster's libvirt uses them: the card under
# `nodedev-list --cap mdev_types`, every type's availableInstances as sysfs
# has it, an mdev node device defined and started (libvirt calls mdevctl),
# the instance in sysfs, then destroyed and undefined. Run by
# accel-client.sh inside the accel suite's test host. Prints TAP lines
# without numbers (the caller numbers them) and the plan last.
#
#   selftests/clients/libvirt-nodedev.sh CARD
set -u
card=${1:?usage: libvirt-nodedev.sh CARD}
work=$(mktemp -d /tmp/libvirt-nodedev.XXXXXX)
virsh=(virsh -q -c qemu:///system)
node=pci_${card//[:.]/_}
types=/sys/class/mdev_bus/$card/mdev_supported_types
n=0
ok() { n=$((n + 1)); echo "ok - libvirt: $*"; }
not_ok() { n=$((n + 1)); echo "not ok - libvirt: $*"; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }
wait_path()
{
	local i

	for ((i = 0; i < $2 * 10; i++)); do
		if [ "${3:-}" = gone ]; then [ -e "$1" ] || return 0; else [ -e "$1" ] && return 0; fi
		sleep 0.1
	done
	return 1
}

# The DAC security driver's base label is the uid:gid QEMU runs as.
label=$("${virsh[@]}" capabilities 2>/dev/null |
	sed -n "/<model>dac</,/<\/secmodel>/s/.*<baselabel type='kvm'>\(.*\)<\/baselabel>.*/\1/p")
# Debian's libvirt runs QEMU as user libvirt-qemu and group libvirt-qemu
# (whatever the user's primary group: libvirt 11.3's package makes it kvm).
want="+$(id -u libvirt-qemu):+$(getent group libvirt-qemu | cut -d: -f3)"
[ -n "$label" ] && [ "$label" = "$want" ] && [ "$label" != "+0:+0" ]
check $? "the QEMU driver runs guests as libvirt-qemu, not root (DAC base label $label, libvirt-qemu's ids $want)"

"${virsh[@]}" nodedev-list --cap mdev_types >"$work/list" 2>&1
grep -qx "$node" "$work/list"
check $? "nodedev-list --cap mdev_types lists $node"
"${virsh[@]}" nodedev-dumpxml "$node" >"$work/card.xml" 2>&1
/usr/bin/python3 - "$work/card.xml" "$types" >"$work/avail" 2>&1 <<'PY'
import os, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
lv = {t.get("id"): int(t.findtext("availableInstances"))
      for t in root.iter("type") if t.get("id", "").startswith("tessera-")}
fs = {t: int(open(os.path.join(sys.argv[2], t, "available_instances")).read())
      for t in os.listdir(sys.argv[2])}
print(" ".join("%s=%d" % kv for kv in sorted(lv.items())))
sys.exit(0 if lv and lv == fs else 1)
PY
check $? "every type's availableInstances is sysfs's ($(cat "$work/avail"))"

uuid=6b0e0000-0000-4000-8000-000000000001
cat >"$work/mdev.xml" <<XML
<device>
  <parent>$node</parent>
  <capability type='mdev'>
    <type id='tessera-vgpu-8'/>
    <uuid>$uuid</uuid>
  </capability>
</device>
XML
read -r before <"$types/tessera-vgpu-8/available_instances"
"${virsh[@]}" nodedev-define "$work/mdev.xml" >"$work/define.log" 2>&1 &&
	mdevctl list --defined 2>/dev/null | grep -q "$uuid"
check $? "nodedev-define of a tessera-vgpu-8 mdev: mdevctl lists it as defined"
# libvirt names an mdev node device mdev_<uuid>_<parent>, with underscores.
dev_name=mdev_${uuid//-/_}_${card//[:.]/_}
"${virsh[@]}" nodedev-start "$dev_name" >"$work/start.log" 2>&1 &&
	wait_path "/sys/bus/mdev/devices/$uuid" 10
check $? "nodedev-start creates the instance (sysfs has $uuid)"
read -r after <"$types/tessera-vgpu-8/available_instances"
[ "$(basename "$(readlink "/sys/bus/mdev/devices/$uuid/mdev_type")")" = tessera-vgpu-8 ] &&
	[ "$after" = $((before - 1)) ]
check $? "it is a tessera-vgpu-8: available $before -> $after"
"${virsh[@]}" nodedev-destroy "$dev_name" >"$work/destroy.log" 2>&1 &&
	wait_path "/sys/bus/mdev/devices/$uuid" 10 gone &&
	"${virsh[@]}" nodedev-undefine "$dev_name" >>"$work/destroy.log" 2>&1 &&
	! mdevctl list --defined 2>/dev/null | grep -q "$uuid"
rc=$?
check $rc "nodedev-destroy and nodedev-undefine remove it"
[ $rc = 0 ] || sed 's/^/# /' "$work/destroy.log" | tail -n 5
rm -rf "$work"
echo "1..$n"
