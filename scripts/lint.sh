#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the kernel-side sources, printing TAP:
#  - checkpatch.pl --strict, from Debian's linux-source-6.12, on every C and
#    header file under drivers/ and include/: one line per file;
#  - once drivers/ exists, the modules built with W=1 (gcc's extra warnings)
#    and with C=2 (sparse on every file): one line each, no warning allowed;
#  - the layers (scripts/lint-layers.sh): no include and no symbol of the
#    mediator in the card driver or the pure code, two lines.
# KDIR=... picks other kernel headers, as for `make modules`.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
kver=$TESSERA_KVER
kdir=${KDIR:-$top/.cache/kernel/$kver/usr/src/linux-headers-$kver}
cache="$top/.cache/lint"
cp_dir="$top/.cache/linux-src/checkpatch"
tarball=/usr/src/linux-source-6.12.tar.xz
checkpatch="$cp_dir/scripts/checkpatch.pl"

# checkpatch.pl reads spelling.txt and const_structs.checkpatch from its
# own folder: extract the three files once.
if [ ! -f "$cp_dir/.complete" ]; then
	if [ ! -f "$tarball" ]; then
		echo "1..1"
		echo "not ok 1 - lint: $tarball missing (make deps)"
		exit 1
	fi
	mkdir -p "$cp_dir"
	tar -xJf "$tarball" -C "$cp_dir" --strip-components=1 \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch &&
		touch "$cp_dir/.complete"
fi

# Generated *.mod.c files of a module build are not ours to lint.
mapfile -t files < <(find drivers include -type f \( -name '*.c' -o -name '*.h' \) \
	! -name '*.mod.c' 2>/dev/null | LC_ALL=C sort)
have_drivers=0
[ -d drivers ] && [ -f Kbuild ] && have_drivers=1

# Each file's checkpatch, W=1, sparse, the layers (two), W=1 against the
# older 6.12 headers and the compile probe's choice.
echo "1..$(( ${#files[@]} + 6 ))"
n=0
failed=0
mkdir -p "$cache"

for f in "${files[@]}"; do
	n=$((n + 1))
	extra=()
	# The headers in include/ are shared with QEMU and userspace, which
	# have no BIT(): checkpatch exempts include/uapi/ from BIT_MACRO for
	# the same reason.
	case "$f" in
	include/*) extra=(--ignore BIT_MACRO) ;;
	esac
	if out=$(perl "$checkpatch" --strict --no-tree --terse --show-types \
			--no-summary "${extra[@]}" -f "$f" 2>&1) && [ -z "$out" ]; then
		echo "ok $n - checkpatch --strict $f"
	else
		echo "not ok $n - checkpatch --strict $f"
		printf '%s\n' "$out" | head -n 40 | sed 's/^/# /'
		failed=1
	fi
done

# Build the module in a copy of the sources so that these flags never mix
# with the objects of `make modules`. A result is kept per content hash of
# the sources and the flags: the same input gives the same warnings, and a
# warm run costs nothing.
lint_build()
{
	local label=$1 desc=$2 key dir log warnings
	shift 2

	n=$((n + 1))
	if [ $have_drivers = 0 ]; then
		echo "ok $n - $desc # SKIP no drivers/ or Kbuild yet"
		return
	fi
	if [ ! -d "$kdir" ]; then
		echo "not ok $n - $desc: kernel headers $kdir missing (make kernel)"
		failed=1
		return
	fi
	key=$( { printf '%s\n' "$kdir" "$*"; find Kbuild drivers include -type f \
		\( -name '*.[ch]' -o -name 'Kbuild' -o -name 'Makefile' -o -name 'Kconfig*' \) \
		! -name '*.mod.c' -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum; } | sha256sum | cut -c1-16)
	log="$cache/$label.log"
	if [ ! -f "$cache/$label.key" ] || [ "$(cat "$cache/$label.key")" != "$key" ]; then
		dir="$cache/$label"
		rm -rf "$dir" "$cache/$label.key"
		mkdir -p "$dir"
		cp -a Kbuild drivers include "$dir/"
		find "$dir" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
		if make -C "$kdir" M="$dir" "$@" modules >"$log" 2>&1; then
			echo 0 > "$cache/$label.status"
		else
			echo 1 > "$cache/$label.status"
		fi
		echo "$key" > "$cache/$label.key"
	fi
	warnings=$(grep -E '(warning|error):|^WARNING:|^ERROR:' "$log")
	if [ "$(cat "$cache/$label.status")" != 0 ]; then
		echo "not ok $n - $desc: build failed"
		tail -n 30 "$log" | sed 's/^/# /'
		failed=1
	elif [ -n "$warnings" ]; then
		echo "not ok $n - $desc: $(printf '%s\n' "$warnings" | wc -l) warnings"
		printf '%s\n' "$warnings" | head -n 40 | sed 's/^/# /'
		failed=1
	else
		echo "ok $n - $desc"
	fi
}

lint_build w1 "module builds with W=1 without warnings" W=1
lint_build sparse "sparse (C=2) reports nothing on the module" C=2

# tessera_accel.ko against an older 6.12.N whose DRM scheduler API takes
# positional arguments (6.12.117 has the backported struct
# drm_sched_init_args): its compile probe must choose that API, and the
# build stay warning-free.
old_kver=${TESSERA_KVER_OLD:-6.12.95+deb12-amd64}
if old_root=$(TESSERA_KVER=$old_kver "$top/scripts/fetch-kernel.sh" --headers 2>"$cache/fetch-old.log"); then
	main_kdir=$kdir
	kdir=$old_root/usr/src/linux-headers-$old_kver
	lint_build "w1-$old_kver" "the modules build with W=1 against Debian's $old_kver headers too" W=1
	kdir=$main_kdir
	compat=$cache/w1-$old_kver/drivers/tessera/accel/tessera_accel_compat.h
	n=$((n + 1))
	if grep -q 'no TESSERA_ACCEL_HAVE_SCHED_INIT_ARGS' "$compat" 2>/dev/null &&
	   grep -q 'define TESSERA_ACCEL_HAVE_SCHED_INIT_ARGS' \
		"$cache/w1/drivers/tessera/accel/tessera_accel_compat.h" 2>/dev/null; then
		echo "ok $n - the compile probe picks drm_sched_init_args on $kver and positional arguments on $old_kver"
	else
		echo "not ok $n - the compile probe's choice on $kver and $old_kver (accel/tessera_accel_compat.h)"
		failed=1
	fi
else
	n=$((n + 1))
	echo "not ok $n - Debian's $old_kver headers (scripts/fetch-kernel.sh --headers)"
	sed 's/^/# /' "$cache/fetch-old.log" | tail -n 5
	n=$((n + 1))
	echo "not ok $n - the compile probe's choice on $old_kver: no headers to build against"
	failed=1
fi
layer_objs=
[ "$(cat "$cache/w1.status" 2>/dev/null)" = 0 ] && layer_objs=$cache/w1
"$top/scripts/lint-layers.sh" $((n + 1)) $layer_objs || failed=1
exit $failed
