#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build QEMU 10.0 (Debian's trixie source) with the Tessera card in it.
#
#   scripts/build-qemu.sh [ninja targets...]
#
# Default targets: qemu-system-x86_64 and the card's qtest. Everything lives
# in .cache/qemu/: the unpacked source (fetched once with `apt-get source`),
# the build folder (configured once). Each run re-copies our sources from
# qemu-patches/ and include/tessera_hw.h into the tree, but only files whose
# content changed, so that an edit of the device rebuilds that file alone.
#
# A cold build (configure, or more than a few compile steps) runs under the
# shared heavy lock (.cache/heavy.lock), taken here unless the caller says
# it holds it (TESSERA_HEAVY_LOCK_HELD=1); a warm rebuild is seconds and
# runs without it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=versions.sh
. "$top/scripts/versions.sh"

cache="$top/.cache/qemu"
dl="$cache/dl"
upstream_version=${TESSERA_QEMU_VERSION#*:}
upstream_version=${upstream_version%-*}
src="$dl/qemu-$upstream_version"
build="$cache/build"
patches="$top/qemu-patches"

log() { echo "build-qemu: $*" >&2; }

fetch_source() {
	[ -f "$src/.tessera-fetched" ] && return 0
	log "fetching qemu=$TESSERA_QEMU_VERSION source (apt-get source)"
	command -v dpkg-source >/dev/null || { log "dpkg-dev missing: run scripts/install-deps.sh"; exit 1; }
	rm -rf "$src" "$build"
	mkdir -p "$dl"
	(cd "$dl" && apt-get source -q "qemu=$TESSERA_QEMU_VERSION" >"$dl/fetch.log" 2>&1) || {
		tail -20 "$dl/fetch.log" >&2
		log "apt-get source failed (is the trixie deb-src entry installed? scripts/install-deps.sh)"
		exit 1
	}
	touch "$src/.tessera-fetched"
}

# The Kconfig/meson glue changes config-poison.h, which recompiles most of the
# tree: apply it once, before the first configure.
apply_glue() {
	local patch="$patches/0001-tessera-card-build-glue.patch"
	if (cd "$src" && patch -p1 -R --dry-run -s -f <"$patch" >/dev/null 2>&1); then
		return 0
	fi
	log "applying $(basename "$patch")"
	(cd "$src" && patch -p1 -N -s <"$patch")
}

# Copy only when the content differs so ninja sees no spurious change.
sync_file() {
	local from=$1 to=$2
	if ! cmp -s "$from" "$to"; then
		mkdir -p "$(dirname "$to")"
		cp "$from" "$to"
		log "updated ${to#"$src"/}"
	fi
}

sync_sources() {
	sync_file "$patches/hw/misc/tessera-card.c" "$src/hw/misc/tessera-card.c"
	sync_file "$patches/tests/qtest/tessera-card-test.c" "$src/tests/qtest/tessera-card-test.c"
	# The spec header stays one file in include/; the tree gets a copy.
	sync_file "$top/include/tessera_hw.h" "$src/include/hw/misc/tessera_hw.h"
	# The device set (configure's --with-devices-x86_64=tessera): 14 % fewer
	# compile steps than the default set.
	sync_file "$patches/configs/tessera.mak" "$src/configs/devices/x86_64-softmmu/tessera.mak"
}

configure_args=(
	--python=/usr/bin/python3
	--target-list=x86_64-softmmu
	--disable-docs
	--without-default-features
	--enable-tcg
	--enable-fdt=system
	--disable-werror
	--enable-virtfs
	--enable-attr
	--enable-cap-ng
	--disable-linux-io-uring
	--disable-install-blobs
	--disable-download
	--without-default-devices
	--with-devices-x86_64=tessera
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
	"--cc=ccache cc"
)

configure_tree() {
	local want
	want=$(printf '%s\n' "$upstream_version" "${configure_args[@]}" | sha256sum | cut -c1-16)
	if [ -f "$build/.tessera-configured" ] && [ "$(cat "$build/.tessera-configured")" = "$want" ]; then
		return 0
	fi
	log "configuring in $build"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$build" && "$src/configure" "${configure_args[@]}" >"$build/configure.log" 2>&1) || {
		tail -30 "$build/configure.log" >&2
		log "configure failed"
		exit 1
	}
	echo "$want" >"$build/.tessera-configured"
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(qemu-system-x86_64 tests/qtest/tessera-card-test)
fi

lock="${TESSERA_HEAVY_LOCK:-$top/.cache/heavy.lock}"
if [ "${TESSERA_HEAVY_LOCK_HELD:-0}" != 1 ] && ! [ -f "$build/.tessera-configured" ]; then
	export TESSERA_HEAVY_LOCK_HELD=1
	exec flock "$lock" "$0" "$@"
fi

# One build at a time in the tree (two ninjas in one folder corrupt its
# logs). Order: heavy lock first, then this one; it is dropped before
# waiting for the heavy lock below.
mkdir -p "$cache"
exec 9>>"$cache/build.lock"
flock 9

fetch_source
apply_glue
sync_sources
configure_tree
export CCACHE_DIR="${CCACHE_DIR:-$top/.cache/ccache}"
steps=$(ninja -C "$build" -n "${targets[@]}" 2>/dev/null | grep -c '^\[' || true)
if [ "${TESSERA_HEAVY_LOCK_HELD:-0}" != 1 ] && [ "$steps" -gt 20 ]; then
	log "$steps build steps: waiting for the heavy lock"
	export TESSERA_HEAVY_LOCK_HELD=1
	exec 9>&-
	exec flock "$lock" "$0" "$@"
fi
log "ninja ${targets[*]} ($steps steps)"
ninja -C "$build" "${targets[@]}" >&2
mkdir -p "$cache/bin"
# qtest derives the target from the binary's name: give the wrapper one.
ln -sfn "$top/scripts/qemu" "$cache/bin/qemu-system-x86_64"
