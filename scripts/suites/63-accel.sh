#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guests that do real work: in a fresh test host with the card, tessera.ko,
# tessera_mdev.ko and KVM (kvm-amd on the emulated SVM), nested guests boot
# Debian's kernel, load tessera_accel.ko on a vGPU instance and run
# tessera-run: GEMMs checked by Freivalds' test with completions by
# interrupt, jobs in flight across unbind, rmmod and power-off, a hung job
# reset by the watchdog beside another guest's work, and two guests'
# shares at weights 1:3 (selftests/clients/accel-client.sh). One TAP
# stream, plan last.
#
# Environment: TESSERA_CARD (the -device spec, default tessera-card,engines=1,contexts=8),
# TESSERA_TESTHOST_CPU (the test host's -cpu, default max),
# TESSERA_ACCEL_TIMEOUT (seconds for the test host, default 1800),
# ACCEL_STEPS (all, or gemm: the GEMM guest only; suite 62 runs
# that on the debug test host).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
kind=${TESSERA_TESTHOST_KERNEL:-debian}
logs=$top/.cache/suites/accel-$kind
# One engine: the guests (and the host node) compete for it, so weights
# divide its time; on two engines each guest would have one to itself.
# Eight contexts: then the host node's context shows in available_instances.
card=${TESSERA_CARD:-tessera-card,engines=1,contexts=8}
vm_timeout=${TESSERA_ACCEL_TIMEOUT:-1800}
mkdir -p "$logs"

suite_module accel "$logs"
accel_ko=$top/drivers/tessera/tessera_accel.ko
if [ -f "$accel_ko" ]; then
	tap ok "accel: tessera_accel.ko is built against Debian's headers"
else
	tap not-ok "accel: tessera_accel.ko was not built (make -C \$KDIR M=$top modules)"
	finish
fi
# The library and the program, checked on the CPU first: every command's
# bytes against the spec, the result checks, and tessera-run against an
# LD_PRELOAD stand-in for the driver (every exit status).
for t in lib tessera-run; do
	if make -C "$top/tools/$t" OUT="$top/.cache/tools/test" test >"$logs/test-$t.log" 2>&1; then
		tap ok "accel: make -C tools/$t test ($(grep -E '[0-9]+ checks|^1\.\.' "$logs/test-$t.log" | tail -n 1))"
	else
		tap not-ok "accel: make -C tools/$t test"
		tap_comment_file "$logs/test-$t.log" 20
	fi
done
run_bin=$top/.cache/tools/static/tessera-run
if make -C "$top/tools/tessera-run" OUT="$top/.cache/tools/static" STATIC=1 >"$logs/tools.log" 2>&1 &&
   [ -x "$run_bin" ]; then
	tap ok "accel: libtessera and a static tessera-run build"
else
	tap not-ok "accel: libtessera or the static tessera-run does not build (make -C tools/tessera-run STATIC=1)"
	tap_comment_file "$logs/tools.log" 20
	finish
fi
if initramfs=$("$top/selftests/clients/build-accel-initramfs.sh" "$accel_ko" "$run_bin" \
		2>"$logs/initramfs.log"); then
	tap ok "accel: the guest's initramfs builds (busybox, Debian's DRM modules, tessera_accel.ko, tessera-run)"
else
	tap not-ok "accel: the guest's initramfs does not build"
	tap_comment_file "$logs/initramfs.log" 20
	finish
fi
suite_need accel scripts/testhost/run.sh scripts/qemu /usr/bin/mdevctl /usr/bin/qemu-system-x86_64

cpu=${TESSERA_TESTHOST_CPU:-max}
log=$logs/client.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" "${tessera_mods[@]}" --nested-kvm \
	--qemu-arg -cpu --qemu-arg "$cpu" --mem 2G \
	${TSR_IOMMUFD:+--env "TSR_IOMMUFD=$TSR_IOMMUFD"} ${ACCEL_STEPS:+--env "ACCEL_STEPS=$ACCEL_STEPS"} \
	--env "ACCEL_INITRAMFS=$initramfs" --env "ACCEL_KO=$accel_ko" \
	--env "ACCEL_HOST_KO=$top/drivers/tessera/tessera_accel_host.ko" --env "TESSERA_RUN=$run_bin" \
	--timeout "$vm_timeout" --name "accel-client-$kind" \
	-- "$top/selftests/clients/accel-client.sh" >"$log" 2>&1
status=$?

tap_relay_client accel "$log" "$status" "$start" "accel-client-$kind"
finish
