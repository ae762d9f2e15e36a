#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the test host: start udev and libvirtd (Debian's libvirt) so that
# virsh's node devices see the card, the way a cluster host's libvirt does.
# The root is the build machine's, under a tmpfs overlay: the users and
# device links made here vanish with the test host. Exit 0 once
# `virsh -c qemu:///system` answers, 1 after 60 s.
#
#   selftests/clients/libvirt-up.sh
set -u

# systemd's tools refuse to run in what they take for a chroot.
export SYSTEMD_IGNORE_CHROOT=1
# mdevctl, which libvirt calls, reads its JSON from /dev/stdin.
for i in 0 1 2; do
	name=$(echo stdin stdout stderr | cut -d' ' -f$((i + 1)))
	[ -e "/dev/$name" ] || ln -s "/proc/self/fd/$i" "/dev/$name"
done
# The QEMU driver will not start without its user and groups.
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
	useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
if ! pgrep -x systemd-udevd >/dev/null; then
	/lib/systemd/systemd-udevd --daemon >/dev/null 2>&1
	udevadm trigger --action=add >/dev/null 2>&1
	udevadm settle --timeout=30 >/dev/null 2>&1
fi
mkdir -p /run/libvirt /var/log/libvirt
libvirtd --daemon >/dev/null 2>&1
for _ in $(seq 120); do
	virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
	sleep 0.5
done
echo "# libvirtd did not answer within 60 s" >&2
tail -n 20 /var/log/libvirt/libvirtd.log 2>/dev/null | sed 's/^/# /' >&2
exit 1
