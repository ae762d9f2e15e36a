#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# init of the nested guest (a guest VM inside the test host, under Debian's
# QEMU with -device vfio-pci,sysfsdev=<the vGPU instance>): show the device
# as lspci sees it, exercise it with bar2-poke, print markers, power off.
# Every line the host checks starts with "TESSERA-NESTED".
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin

arg()
{
	sed -n "s/.*tessera\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}
seed=$(arg seed)
bytes=$(arg bytes)

echo "TESSERA-NESTED begin kernel $(uname -r)"
echo "TESSERA-NESTED lspci-begin"
/usr/bin/lspci -i /usr/share/misc/pci.ids -vv -nn -d 1234:7e51 2>&1
echo "TESSERA-NESTED lspci-end status $?"
/bin/bar2-poke "${seed:-0}" "${bytes:-1048576}"
echo "TESSERA-NESTED end status $?"
poweroff -f
