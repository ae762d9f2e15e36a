#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Download and unpack Debian's 6.12 LTS kernel image, modules and headers into
# .cache/kernel/<version>/ without touching the machine's own kernel.
# TESSERA_KVER overrides the pinned ABI (for example 6.12.115+deb12-amd64).
# --headers: the headers only (what a build against another 6.12.N needs).
# Prints the unpacked root on stdout.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"

kver=$TESSERA_KVER			# e.g. 6.12.117+deb12-amd64
kabi=${kver%-amd64}			# 6.12.117+deb12
root="$top/.cache/kernel/$kver"
image=1
[ "${1:-}" = --headers ] && image=0

if [ -f "$root/.complete" ] || { [ $image = 0 ] && [ -f "$root/.complete-headers" ]; }; then
	echo "$root"
	exit 0
fi

debs="$top/.cache/kernel/debs"
mkdir -p "$debs" "$root"
pkgs=(
	"linux-headers-$kver"
	"linux-headers-$kabi-common"
	"linux-kbuild-$kabi"
)
[ $image = 1 ] && pkgs+=("linux-image-$kver-unsigned")
for p in "${pkgs[@]}"; do
	if ! ls "$debs/${p}_"*.deb >/dev/null 2>&1; then
		(cd "$debs" && apt-get download -q "$p" >&2)
	fi
	dpkg-deb -x "$debs/${p}_"*.deb "$root"
done

# The headers' Makefile includes the -common tree by absolute path; point it
# at the unpacked copy. Its scripts are links into /usr/lib/linux-kbuild-*.
hdr="$root/usr/src/linux-headers-$kver"
sed -i "s|/usr/src/linux-headers-$kabi-common|$root/usr/src/linux-headers-$kabi-common|" "$hdr/Makefile"
for link in scripts tools; do
	if [ -L "$hdr/$link" ]; then
		ln -sfn "$root/usr/lib/linux-kbuild-$kabi/$link" "$hdr/$link"
	fi
done
if [ $image = 1 ]; then
	touch "$root/.complete"
else
	touch "$root/.complete-headers"
fi
echo "$root"
