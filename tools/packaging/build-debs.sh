#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian packages of Tessera, built with dpkg-deb from `make` outputs (no
# debhelper: the tree has no debian/ folder to keep in step):
#
#   tessera-dkms_V_all.deb     the kernel modules' source and dkms.conf in
#                              /usr/src/tessera-V; its postinst has DKMS
#                              build and install them for the running kernel
#   tessera-tools_V_amd64.deb  tessera-smi (man page, bash completion),
#                              tessera-run, and a udev rule that starts
#                              mdevctl's defined instances when a card's
#                              mediator registers
#   libtessera0_V_amd64.deb    the shared library
#   libtessera-dev_V_amd64.deb its header, static library and pkg-config file
#
#   tools/packaging/build-debs.sh OUTDIR
#
# Prints the packages' paths.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: build-debs.sh OUTDIR}
version=$(sed -n 's/^VERSION := //p' "$top/tools/lib/Makefile")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
stage=$out/stage
rm -rf "$stage"
mkdir -p "$stage" "$out"
maint="Tessera developers <tessera@invalid>"

# control NAME ARCH DEPENDS DESCRIPTION: the package's DEBIAN/control
control()
{
	local dir=$stage/$1
	mkdir -p "$dir/DEBIAN"
	{
		echo "Package: $1"
		echo "Version: $version"
		echo "Architecture: $2"
		echo "Maintainer: $maint"
		[ -n "$3" ] && echo "Depends: $3"
		echo "Section: ${5:-admin}"
		echo "Priority: optional"
		echo "Homepage: https://tessera.invalid/"
		echo "Installed-Size: $(du -sk --exclude=DEBIAN "$dir" | cut -f1)"
		printf 'Description: %s\n' "$4"
	} >"$dir/DEBIAN/control"
}

copyright()
{
	install -d "$stage/$1/usr/share/doc/$1"
	cat >"$stage/$1/usr/share/doc/$1/copyright" <<'COPY'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tessera
Files: *
License: GPL-2.0
 On Debian systems the full text is in /usr/share/common-licenses/GPL-2.
COPY
}

build()
{
	dpkg-deb --root-owner-group -Zxz --build "$stage/$1" "$out/${1}_${version}_$2.deb" >/dev/null
	echo "$out/${1}_${version}_$2.deb"
}

# ---- tessera-dkms ----
src=$stage/tessera-dkms/usr/src/tessera-$version
install -d "$src"
cp "$top/Kbuild" "$src/"
# What git tracks: not the build's outputs, not the compile probe's header.
git -C "$top" ls-files -z drivers include | (cd "$top" && cpio -0pdm --quiet "$src")
sed "s/@VERSION@/$version/" "$top/tools/packaging/dkms.conf.in" >"$src/dkms.conf"
copyright tessera-dkms
control tessera-dkms all "dkms (>= 3.0), kmod" \
	"Tessera mediated pass-through driver: kernel modules (DKMS)
 tessera.ko (the card), tessera_mdev.ko (vGPU and vFPGA instances through
 mdev and VFIO) and the DRM accel drivers, rebuilt by DKMS for each kernel."
cat >"$stage/tessera-dkms/DEBIAN/postinst" <<POST
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	# Added already when the package is configured again.
	dkms status -m tessera -v $version | grep -q . || dkms add -m tessera -v $version
	# A build that fails (no headers for the running kernel) fails the
	# configuration, with DKMS's own message: no package that says it is
	# installed without its modules.
	dkms build -m tessera -v $version
	dkms install -m tessera -v $version
fi
POST
cat >"$stage/tessera-dkms/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
if dkms status -m tessera -v $version | grep -q .; then
	dkms remove -m tessera -v $version --all
fi
PRERM
chmod 0755 "$stage/tessera-dkms/DEBIAN/postinst" "$stage/tessera-dkms/DEBIAN/prerm"
build tessera-dkms all

# ---- tessera-tools, libtessera0, libtessera-dev ----
tools=$stage/tessera-tools
make -s -C "$top/tools/tessera-smi" OUT="$out/build" install DESTDIR="$tools" PREFIX=/usr
make -s -C "$top/tools/tessera-run" OUT="$out/build" install DESTDIR="$tools" PREFIX=/usr
# Debian 12's mdevctl rule runs /usr/sbin/mdevctl, which bookworm installs
# as /usr/bin/mdevctl: without this rule `mdevctl define --auto` instances
# never start when the card comes back.
install -D -m 0644 "$top/tools/packaging/61-tessera-mdevctl.rules" \
	"$tools/usr/lib/udev/rules.d/61-tessera-mdevctl.rules"
copyright tessera-tools
control tessera-tools "$arch" "libc6, libpci3" \
	"Tessera mediated pass-through driver: operators' tools
 tessera-smi shows every Tessera card, its vGPU and vFPGA types and
 instances (utilisation from the card's own counters) and creates, removes
 and tunes them; tessera-run runs checked GEMM jobs on a tessera_accel node."

lib=$stage/libtessera0
dev=$stage/libtessera-dev
make -s -C "$top/tools/lib" OUT="$out/build" install DESTDIR="$dev" PREFIX=/usr \
	LIBDIR=/usr/lib/$multiarch
install -d "$lib/usr/lib/$multiarch"
mv "$dev/usr/lib/$multiarch"/libtessera.so.* "$lib/usr/lib/$multiarch/"
copyright libtessera0
copyright libtessera-dev
control libtessera0 "$arch" "libc6" \
	"Tessera accelerator user library
 Buffers, command buffers and job submission on a tessera_accel device." libs
control libtessera-dev "$arch" "libtessera0 (= $version)" \
	"Tessera accelerator user library: development files
 The header, static library and pkg-config file of libtessera." libdevel
build tessera-tools "$arch"
build libtessera0 "$arch"
build libtessera-dev "$arch"
