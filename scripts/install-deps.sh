#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything Tessera needs from Debian's archive. Idempotent: a stamp
# records the package list that was installed, so a warm run costs nothing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
stamp_dir="$top/.cache"
stamp="$stamp_dir/deps.stamp"

packages=(
	build-essential bc bison flex cpio xz-utils kmod busybox-static
	dpkg-dev ccache pkg-config git
	ninja-build python3-venv libglib2.0-dev libpixman-1-dev libfdt-dev
	libattr1-dev libcap-ng-dev seabios ipxe-qemu
	sparse dwarves linux-source-6.12 libelf-dev libssl-dev
	libpci-dev pciutils
	python3-jsonschema dkms
	clang libclang-rt-14-dev valgrind
)
# libvirt 11.3: the one Debian pairs with QEMU 10.0; the node-device route
# (virsh nodedev-*) in the test host, as clusters reach mdev types. It calls
# mdevctl, which stays bookworm's.
backports_packages=(meson qemu-system-x86 qemu-utils
	libvirt-daemon libvirt-clients libvirt-daemon-driver-qemu libvirt-daemon-driver-nodedev)
late_packages=(mdevctl)

want="$(printf '%s\n' "${packages[@]}" "${backports_packages[@]}" "${late_packages[@]}" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: must run as root (apt-get)" >&2
	exit 1
fi

# bookworm-backports brings meson >= 1.5 (QEMU 10 needs it) and QEMU 10.0,
# the real VFIO client; trixie's source entry gives `apt-get source qemu/trixie`.
src=/etc/apt/sources.list.d/tessera.sources
if [ ! -f "$src" ]; then
	cat > "$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${backports_packages[@]}"
apt-get install -y -q --no-install-recommends "${late_packages[@]}"

mkdir -p "$stamp_dir"
echo "$want" > "$stamp"
