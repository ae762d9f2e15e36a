#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the nested guest's initramfs: busybox (static), Debian's lspci with
# the libraries it links and pci.ids, the static bar2-poke helper and
# nested-init.sh as /init. Prints the path of the gzip'd cpio archive.
#
#   selftests/clients/build-nested-initramfs.sh [OUTDIR]   (default .cache/nested)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/.cache/nested}
image=$out/initramfs.cpio.gz
mkdir -p "$out"

inputs=("$here/nested-init.sh" "$here/bar2-poke.c" "$top/include/tessera_hw.h" "$0"
	/bin/busybox /usr/bin/lspci)
fresh=1
if [ -f "$image" ]; then
	for f in "${inputs[@]}"; do
		[ "$f" -nt "$image" ] && fresh=0
	done
else
	fresh=0
fi
if [ "$fresh" = 1 ]; then
	echo "$image"
	exit 0
fi

for tool in busybox lspci cpio gzip gcc; do
	command -v "$tool" >/dev/null || [ -x "/bin/$tool" ] || {
		echo "build-nested-initramfs: $tool is missing (scripts/install-deps.sh)" >&2
		exit 1
	}
done

stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,usr/bin,usr/share/misc,proc,sys,dev,tmp}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/nested-init.sh" "$stage/init"
chmod 755 "$stage/init"
gcc -static -O2 -Wall -Wextra -I"$top/include" -o "$stage/bin/bar2-poke" "$here/bar2-poke.c"

# lspci and every library it loads, at the same paths.
cp /usr/bin/lspci "$stage/usr/bin/lspci"
ldd /usr/bin/lspci | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' |
while read -r lib; do
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib"
done
cp /usr/share/misc/pci.ids "$stage/usr/share/misc/pci.ids"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$image.tmp"
mv "$image.tmp" "$image"
echo "$image"
