#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host: start udev, and give mdevctl the /dev/std* links it
# reads its JSON through, so that udev rules (mdevctl's, the packages') and
# mdevctl run as on a real host. The root is the build machine's under a
# tmpfs overlay: what this makes vanishes with the test host. Used by
# libvirt-up.sh and selftests/tools/tools-host.sh.
#
#   selftests/clients/udev-up.sh
set -u

# systemd's tools refuse to run in what they take for a chroot.
export SYSTEMD_IGNORE_CHROOT=1
# mdevctl reads its JSON from /dev/stdin.
for i in 0 1 2; do
	name=$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))
	[ -e "/dev/$name" ] || ln -s "/proc/self/fd/$i" "/dev/$name"
done
if ! pgrep -x systemd-udevd >/dev/null; then
	/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
	udevadm trigger --action=add >/dev/null 2>&1
	udevadm settle --timeout=30 >/dev/null 2>&1
fi
exit 0
