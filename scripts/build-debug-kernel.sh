#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once, cached) the debug test-host kernel: Debian's linux-source-6.12
# with a config made for the test host (defconfig, kvm_guest.config and
# scripts/debug-kernel.config: KASAN, KFENCE, lockdep, UBSAN, kmemleak,
# debug objects, fault injection, DMA API debugging; VFIO with mdev and
# iommufd, KVM_AMD, DRM accel; trimmed of drivers the test host never uses).
#
#   scripts/build-debug-kernel.sh [--config|--check]
#
# Prints the build tree, a KDIR for out-of-tree modules
# (make -C "$(scripts/build-debug-kernel.sh)" M=$PWD modules). Beside it:
#   <KDIR>/arch/x86/boot/bzImage            the kernel
#   <KDIR>/include/config/kernel.release    its release (uname -r)
#   <KDIR>/../modroot/lib/modules/<release> its modules, with modules.dep
# Everything lives in .cache/debug-kernel/. A build is redone only when this
# script, the config fragment, the linux-source-6.12 package or the compiler
# change (the key file); make then rebuilds what changed. --config stops after
# writing and checking the .config; --check builds nothing and exits 1 if a
# build is due (so that a caller takes the heavy-job lock only then). The
# build runs under `nice -n 10`; it
# does not take the heavy-job lock (scripts/testhost/with-heavy-lock.sh
# does, for a caller that wants it).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
fragment="$top/scripts/debug-kernel.config"
tarball=/usr/src/linux-source-6.12.tar.xz
out="$top/.cache/debug-kernel"
src="$out/linux-source-6.12"
modroot="$out/modroot"
log="$out/build.log"
jobs=$(nproc)

config_only=0 check_only=0
case "${1:-}" in
'') ;;
--config) config_only=1 ;;
--check) check_only=1 ;;
*) echo "usage: $0 [--config|--check]" >&2; exit 2 ;;
esac

msg()
{
	echo "build-debug-kernel: $*" >&2
}

die()
{
	msg "$*"
	exit 1
}

[ -f "$tarball" ] || die "$tarball is missing: install linux-source-6.12 (make deps)"
for tool in bc bison flex pahole; do
	command -v "$tool" >/dev/null || die "$tool is missing: make deps (scripts/install-deps.sh)"
done
[ -f /usr/include/libelf.h ] || die "libelf-dev is missing: make deps (scripts/install-deps.sh)"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( {
	cat "$top/scripts/build-debug-kernel.sh" "$fragment"
	echo "$srcver"
	gcc --version | head -n 1
} | sha256sum | cut -c1-16)

built()
{
	[ -f "$out/key" ] && [ "$(cat "$out/key")" = "$key" ] &&
		[ -f "$src/arch/x86/boot/bzImage" ] &&
		[ -f "$modroot/lib/modules/$(cat "$src/include/config/kernel.release")/modules.dep" ]
}
if [ $check_only = 1 ]; then
	built || exit 1
	echo "$src"
	exit 0
fi

mkdir -p "$out"
# Two callers at once (two test-host runs) build once: the second waits.
exec {lock_fd}>>"$out/lock"
if ! flock -n "$lock_fd"; then
	msg "waiting for another build of the debug kernel"
	flock "$lock_fd"
fi
if [ $config_only = 0 ] && built; then
	echo "$src"
	exit 0
fi
rm -f "$out/key"

# The source: unpacked once per linux-source-6.12 version. Three symbols
# the test host wants have no prompt in 6.12 (only drivers select them):
# give each a prompt so that the config can ask for it.
if [ ! -f "$src/.tessera-src" ] || [ "$(cat "$src/.tessera-src")" != "$srcver" ]; then
	msg "unpacking $tarball ($srcver)"
	rm -rf "$src" "$out/unpack"
	mkdir -p "$out/unpack"
	tar -xJf "$tarball" -C "$out/unpack"
	mv "$out/unpack/linux-source-6.12" "$src"
	rmdir "$out/unpack"
	while read -r sym type file; do
		sed -i "/^config $sym\$/{n;s/^\t$type\$/\t$type \"$sym (prompt added for the Tessera test host)\"/}" \
			"$src/$file"
		grep -q "^	$type \"$sym (prompt added" "$src/$file" ||
			die "could not give $sym a prompt in $file"
	done <<-'PROMPTS'
	DRM_SCHED tristate drivers/gpu/drm/Kconfig
	DRM_GEM_SHMEM_HELPER tristate drivers/gpu/drm/Kconfig
	AUXILIARY_BUS bool drivers/base/Kconfig
	PROMPTS
	echo "$srcver" > "$src/.tessera-src"
fi

kmake()
{
	nice -n 10 make -C "$src" -j"$jobs" "$@"
}

# The config: defconfig and kvm_guest.config, then every line of the
# fragment, then olddefconfig; then every line must still hold.
msg "configuring (log: $log)"
: > "$log"
kmake defconfig kvm_guest.config >>"$log" 2>&1 || die "make defconfig kvm_guest.config failed; see $log"
args=()
while IFS= read -r line; do
	case "$line" in
	''|'#'*) continue ;;
	CONFIG_*=*) ;;
	*) die "$fragment: cannot read line '$line'" ;;
	esac
	sym=${line%%=*}
	sym=${sym#CONFIG_}
	val=${line#*=}
	case "$val" in
	y) args+=(--enable "$sym") ;;
	m) args+=(--module "$sym") ;;
	n) args+=(--disable "$sym") ;;
	\"*\") val=${val#\"}; args+=(--set-str "$sym" "${val%\"}") ;;
	*) args+=(--set-val "$sym" "$val") ;;
	esac
done < "$fragment"
"$src/scripts/config" --file "$src/.config" "${args[@]}"
kmake olddefconfig >>"$log" 2>&1 || die "make olddefconfig failed; see $log"

bad=()
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	sym=${line%%=*}
	if [ "${line#*=}" = n ]; then
		grep -qx "$sym=[ym]" "$src/.config" && bad+=("$line (got $(grep -x "$sym=.*" "$src/.config"))")
	elif ! grep -qxF "$line" "$src/.config"; then
		got=$(grep -E "^$sym=|^# $sym is not set" "$src/.config" || echo "not offered: a dependency is off")
		bad+=("$line (got $got)")
	fi
done < "$fragment"
if [ ${#bad[@]} -gt 0 ]; then
	msg "after make olddefconfig, ${#bad[@]} line(s) of $fragment do not hold:"
	printf '  %s\n' "${bad[@]}" >&2
	die "fix $fragment (a dependency or a select decides these); the .config is $src/.config"
fi
if [ $config_only = 1 ]; then
	msg "config checked: $src/.config"
	echo "$src"
	exit 0
fi

msg "building with $jobs jobs (log: $log)"
start=$SECONDS
kmake bzImage modules >>"$log" 2>&1 || {
	tail -n 40 "$log" >&2
	die "the kernel build failed; see $log"
}
release=$(cat "$src/include/config/kernel.release")
rm -rf "$modroot"
kmake INSTALL_MOD_PATH="$modroot" modules_install >>"$log" 2>&1 ||
	die "make modules_install failed; see $log"
[ -f "$modroot/lib/modules/$release/modules.dep" ] || die "no modules.dep in $modroot: is depmod (kmod) installed?"
msg "built $release in $((SECONDS - start)) s"
echo "$key" > "$out/key"
echo "$src"
