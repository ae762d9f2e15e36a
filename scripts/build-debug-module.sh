#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build tessera.ko against the debug test-host kernel
# (scripts/build-debug-kernel.sh, built first if it is not) and print its
# path. Kbuild in 6.12 writes a module's objects beside its sources, and
# drivers/tessera/ holds the build for Debian's kernel, so this builds in a
# copy of the sources under .cache/debug-kernel/module/ (files whose content
# changed are copied again; make rebuilds what they touch).
#
#   scripts/build-debug-module.sh [MAKE-ARG...]     e.g. W=1
#
# The log is .cache/debug-kernel/module.log.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$("$top/scripts/build-debug-kernel.sh")
copy="$top/.cache/debug-kernel/module"
log="$top/.cache/debug-kernel/module.log"

mkdir -p "$copy"
(cd "$top" && find Kbuild drivers include \( -name '*.[ch]' -o -name Kbuild -o -name Makefile -o -name Kconfig \) -type f) |
	while read -r f; do
		if ! cmp -s "$top/$f" "$copy/$f"; then
			mkdir -p "$copy/$(dirname "$f")"
			cp "$top/$f" "$copy/$f"
		fi
	done

if ! nice -n 10 make -C "$kdir" M="$copy" "$@" modules >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "build-debug-module: tessera.ko does not build against $kdir; see $log" >&2
	exit 1
fi
ko="$copy/drivers/tessera/tessera.ko"
[ -f "$ko" ] || { echo "build-debug-module: make succeeded but made no $ko" >&2; exit 1; }
echo "$ko"
