#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once, cached) what the test host boots besides the kernel:
#  - a modules tree for the guest kernel with the modules.dep that Debian's
#    image does not ship (depmod -b on hard links of the unpacked modules),
#    bind-mounted at /lib/modules/<version> inside the VM so modprobe works;
#  - a busybox-static initramfs holding /init and, decompressed, the modules
#    that mount the build machine's root: netfs, 9pnet, 9pnet_virtio, 9p,
#    overlay (none for the debug kernel, which has them built in).
#
#   build-initramfs.sh [--kernel debian|debug]   (default $TESSERA_TESTHOST_KERNEL,
#                                                  else debian)
# Prints two lines: the initramfs path and the modules root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testhost/lib.sh
. "$here/lib.sh"

kernel=${TESSERA_TESTHOST_KERNEL:-debian}
if [ "${1:-}" = --kernel ]; then
	kernel=${2:-}
fi
case "$kernel" in
debian)
	kroot=$("$testhost_top/scripts/fetch-kernel.sh")
	kver=$testhost_kver
	kmods="$kroot/lib/modules/$kver"
	kkey=$kver
	;;
debug)
	# The debug kernel's modules_install output; its key changes with
	# every rebuild, and so must these hard links.
	kdir=$("$testhost_top/scripts/build-debug-kernel.sh")
	kver=$(cat "$kdir/include/config/kernel.release")
	kmods="$kdir/../modroot/lib/modules/$kver"
	kkey=$(cat "$kdir/../key")
	;;
*) echo "build-initramfs: unknown kernel '$kernel' (debian or debug)" >&2; exit 1 ;;
esac
out="$testhost_cache/$kver"
initramfs="$out/initramfs.cpio.gz"
modroot="$out/modroot"
busybox=/bin/busybox

key=$( { cat "$here/build-initramfs.sh" "$here/init" "$busybox"; echo "$kkey"; } | sha256sum | cut -c1-16)
if [ -f "$out/key" ] && [ "$(cat "$out/key")" = "$key" ] &&
   [ -f "$initramfs" ] && [ -f "$modroot/lib/modules/$kver/modules.dep" ]; then
	printf '%s\n%s\n' "$initramfs" "$modroot"
	exit 0
fi

# (grep -q would stop reading early and, under pipefail, fail the pipe.)
if ! "$busybox" --list | grep -x insmod >/dev/null || ldd "$busybox" >/dev/null 2>&1; then
	echo "build-initramfs: $busybox is not busybox-static" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$modroot/lib/modules"
cp -al "$kmods" "$modroot/lib/modules/"
depmod -b "$modroot" "$kver"

stage="$out/stage"
mkdir -p "$stage"/{bin,dev,proc,sys,mnt,lib/modules}
cp "$busybox" "$stage/bin/busybox"
cp "$here/init" "$stage/init"
chmod 0755 "$stage/init"
: > "$stage/modules.list"
# modprobe prints the load order, dependencies first, one insmod per line.
modprobe -d "$modroot" -S "$kver" -a --show-depends 9p 9pnet_virtio overlay |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
	while read -r ko; do
		name=$(basename "$ko" .xz)
		case "$ko" in
		*.xz) xz -dc "$ko" > "$stage/lib/modules/$name" ;;
		*) cp "$ko" "$stage/lib/modules/$name" ;;
		esac
		echo "$name" >> "$stage/modules.list"
	done
for m in netfs.ko 9pnet.ko 9pnet_virtio.ko 9p.ko overlay.ko; do
	grep -qx "$m" "$stage/modules.list" ||
		grep -q "/$m\$" "$modroot/lib/modules/$kver/modules.builtin" || {
		echo "build-initramfs: $m is neither in the load list nor built in" >&2
		exit 1
	}
done
(cd "$stage" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -1 > "$initramfs.tmp"
mv "$initramfs.tmp" "$initramfs"
rm -rf "$stage"
echo "$key" > "$out/key"
printf '%s\n%s\n' "$initramfs" "$modroot"
