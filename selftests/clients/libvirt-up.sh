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
# The QEMU driver will not start without its user and groups. Debian's
# libvirt runs QEMU as uid and gid 64055 (its DAC base label), the ids
# libvirt-daemon-system gives libvirt-qemu.
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r -g 64055 libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
	useradd -r -u 64055 -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
# After the groups: udev's rules give /dev/kvm the kvm group. mdevctl, which
# libvirt calls, needs udev-up.sh's /dev/stdin.
"$(dirname "$0")/udev-up.sh"
mkdir -p /run/libvirt /var/log/libvirt
libvirtd --daemon >/dev/null 2>&1
for _ in $(seq 120); do
	virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
	sleep 0.5
done
echo "# libvirtd did not answer within 60 s" >&2
tail -n 20 /var/log/libvirt/libvirtd.log 2>/dev/null | sed 's/^/# /' >&2
exit 1
