#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The debug test host: its kernel builds (scripts/build-debug-kernel.sh,
# under the heavy-job lock), tessera.ko builds against it, it boots (also
# with the emulated Intel IOMMU), and each of its checks fails a run that
# trips it: a new taint bit, a kmemleak report, a UBSAN report, a DMAR
# fault.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"

run=scripts/testhost/run.sh
out=$suite_top/.cache/suites/debug-kernel
mkdir -p "$out"

# 1. The kernel, cold (under the heavy-job lock) or cached.
start=$SECONDS
if ! kdir=$(scripts/build-debug-kernel.sh --check 2>"$out/build.log") &&
   ! kdir=$(scripts/testhost/with-heavy-lock.sh scripts/build-debug-kernel.sh 2>"$out/build.log"); then
	tap not-ok "the debug test-host kernel builds ($((SECONDS - start)) s)"
	tap_comment_file "$out/build.log" 30
	finish
fi
tap ok "the debug test-host kernel builds ($((SECONDS - start)) s)"
release=$(cat "$kdir/include/config/kernel.release")

# 2. The module, against it.
start=$SECONDS
if ko=$(scripts/build-debug-module.sh 2>"$out/module.log"); then
	tessera_mods=(--insmod "$ko" --insmod "$(dirname "$ko")/tessera_mdev.ko")
	tap ok "tessera.ko builds against the debug kernel ($((SECONDS - start)) s)"
else
	ko=
	tap not-ok "tessera.ko builds against the debug kernel ($((SECONDS - start)) s)"
	tap_comment_file "$out/module.log" 20
fi

# debug_run NAME [RUN.SH-ARG...] -- COMMAND...: a debug test-host run, its
# output in $out/NAME.log, its status in rc and its wall time in took.
debug_run()
{
	local name=$1 start=$SECONDS

	shift
	$run --kernel debug --name "debug-$name" --timeout 600 "$@" >"$out/$name.log" 2>&1
	rc=$?
	took=$((SECONDS - start))
}

# expect_pass DESCRIPTION NAME: rc 0, and init's checks really ran
# (lockdep on before and after, kmemleak scanned and clean).
expect_pass()
{
	local console=$suite_top/.cache/testhost/logs/debug-$2.log

	if [ "$rc" = 0 ] && grep -q 'testhost-reports .* locks_before=1 locks_after=1 leaks=0' "$console"; then
		tap ok "$1 ($took s)"
	else
		tap not-ok "$1 (status $rc, $took s)"
		tap_comment_file "$out/$2.log" 20
	fi
}

# expect_caught DESCRIPTION NAME PATTERN: rc 1 and run.sh said PATTERN.
expect_caught()
{
	if [ "$rc" = 1 ] && grep -q "$3" "$out/$2.log"; then
		tap ok "$1 ($took s)"
		grep "$3" "$out/$2.log" | head -n 1 | sed 's/^/# /'
	else
		tap not-ok "$1 (status $rc, expected 1 and '$3')"
		tap_comment_file "$out/$2.log" 20
	fi
}

# 3-6. Each check fails a run that trips it.
edu_probe='
import ctypes, glob, mmap, os, subprocess, time
dev = next(d for d in glob.glob("/sys/bus/pci/devices/*")
           if open(d + "/vendor").read().strip() == "0x1234"
           and open(d + "/device").read().strip() == "0x11e8")
subprocess.run(["setpci", "-s", os.path.basename(dev), "COMMAND=0x0006"], check=True)
bar = mmap.mmap(os.open(dev + "/resource0", os.O_RDWR | os.O_SYNC), 4096)
for off, val in ((0x80, 0x100000), (0x88, 0x40000), (0x90, 8), (0x98, 1)):
    ctypes.c_uint32.from_buffer(bar, off).value = val  # src, dst, count, start
time.sleep(1)
'
# One boot for the four detectors: each reports on its own and each line
# below looks for its own report (a boot of the debug host is about 35 s).
debug_run detectors --iommu --device edu -- sh -c '
	echo 64 > /proc/sys/kernel/tainted
	modprobe kmemleak-test
	modprobe test_ubsan
	exec python3 -c "$0"' "$edu_probe"
expect_caught "a taint bit the command sets (U) fails the run" detectors "tainted U while the command ran"
expect_caught "a leak (samples/kmemleak's kmemleak-test.ko) fails the run" detectors "kmemleak found [0-9]* unreferenced object"
expect_caught "undefined behaviour (lib/test_ubsan.ko) fails the run" detectors "UBSAN reported while the command ran"
expect_caught "a device DMA to an unmapped address (edu, --iommu) fails the run" detectors "DMAR fault line"

if [ -z "$ko" ] || [ ! -x scripts/qemu ]; then
	tap not-ok "the debug host ($release) boots with --iommu, tessera.ko binds to the card and mtty.ko loads: needs the module above and scripts/qemu"
else
	debug_run load --iommu --device tessera-card "${tessera_mods[@]}" --modprobe mtty -- \
		sh -c 'test -d /sys/class/iommu/dmar0 && lspci -k -d 1234:7e50 | grep -q "Kernel driver in use: tessera" && ls /sys/class/mdev_bus/ | grep -q "^0000:" && test -e /sys/class/mdev_bus/mtty'
	expect_pass "the debug host ($release) boots with --iommu (intel-iommu, intel_iommu=on iommu.strict=1), tessera.ko binds to the card behind it, tessera_mdev.ko registers its mdev parent and mtty.ko loads, lockdep and kmemleak on, no report" load
fi
finish
