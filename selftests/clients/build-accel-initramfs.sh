#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the accel guest's initramfs: busybox (static), the Debian modules
# tessera_accel.ko depends on (DRM, its shmem helper, the GPU scheduler, in
# load order), tessera_accel.ko itself, tessera-run (static) and
# accel-init.sh as /init. Prints the path of the gzip'd cpio archive.
#
#   selftests/clients/build-accel-initramfs.sh ACCEL_KO TESSERA_RUN [OUTDIR]
#
# OUTDIR defaults to .cache/nested. The Debian module tree is the test
# host's (scripts/testhost/build-initramfs.sh, depmod'ed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
accel_ko=${1:?usage: build-accel-initramfs.sh ACCEL_KO TESSERA_RUN [OUTDIR]}
run_bin=${2:?usage: build-accel-initramfs.sh ACCEL_KO TESSERA_RUN [OUTDIR]}
out=${3:-$top/.cache/nested}
image=$out/accel-initramfs.cpio.gz
mkdir -p "$out"
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
kver=$TESSERA_KVER

# The nested guest runs Debian's kernel, whichever kernel the test host runs.
{ read -r _ && read -r modroot; } < <("$top/scripts/testhost/build-initramfs.sh" --kernel debian)
[ -f "$modroot/lib/modules/$kver/modules.dep" ] || {
	echo "build-accel-initramfs: no depmod'ed module tree for $kver at $modroot" >&2
	exit 1
}

inputs=("$here/accel-init.sh" "$accel_ko" "$run_bin" "$0" /bin/busybox)
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
if ldd "$run_bin" >/dev/null 2>&1; then
	echo "build-accel-initramfs: $run_bin is not linked statically" >&2
	exit 1
fi

stage=$(mktemp -d "$out/accel-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,proc,sys,dev,tmp,lib/modules}
cp /bin/busybox "$stage/bin/busybox"
cp "$here/accel-init.sh" "$stage/init"
chmod 755 "$stage/init"
cp "$run_bin" "$stage/bin/tessera-run"

# Dependencies first, as modprobe would load them; then the driver.
deps=$(modinfo -F depends "$accel_ko" | tr ',' ' ')
: > "$stage/modules.list"
if [ -n "$deps" ]; then
	# shellcheck disable=SC2086 # one word per module
	modprobe -d "$modroot" -S "$kver" -a --show-depends $deps |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r ko; do
			name=$(basename "$ko" .xz)
			case "$ko" in
			*.xz) xz -dc "$ko" > "$stage/lib/modules/$name" ;;
			*) cp "$ko" "$stage/lib/modules/$name" ;;
			esac
			echo "$name" >> "$stage/modules.list"
		done
fi
cp "$accel_ko" "$stage/lib/modules/tessera_accel.ko"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$image.tmp"
mv "$image.tmp" "$image"
echo "$image"
