#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The real clients: in a fresh test host with the card, tessera.ko and KVM
# (kvm-amd on the emulated SVM), Debian's mdevctl manages instances and
# Debian's QEMU 10.0 runs a nested guest on one of them
# (selftests/clients/nested-client.sh). One TAP stream, plan last.
#
# Environment: TESSERA_CARD (the -device spec, default tessera-card),
# TESSERA_TESTHOST_CPU (the test host's -cpu, default max),
# TESSERA_NESTED_TIMEOUT (seconds for the test host, default 1800),
# NESTED_ACCEL (kvm|tcg, passed to the client).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
logs=$top/.cache/suites/nested
card=${TESSERA_CARD:-tessera-card}
vm_timeout=${TESSERA_NESTED_TIMEOUT:-1800}
mkdir -p "$logs"

suite_make "$logs/build.log" "nested: tessera-bar2 (the host-side VFIO checker) builds" \
	"nested: selftests/vfio does not build (tessera-bar2)" \
	-C "$top/selftests/vfio" OUT="$top/.cache/selftests"
if initramfs=$("$top/selftests/clients/build-nested-initramfs.sh" 2>"$logs/initramfs.log"); then
	tap ok "nested: the nested guest's initramfs builds (busybox, lspci, bar2-poke)"
else
	tap not-ok "nested: the nested guest's initramfs does not build"
	tap_comment_file "$logs/initramfs.log" 20
	finish
fi
if ! kroot=$("$top/scripts/fetch-kernel.sh" 2>"$logs/kernel.log"); then
	tap not-ok "nested: Debian's kernel is missing (scripts/fetch-kernel.sh failed)"
	finish
fi
suite_module nested "$logs"
suite_need nested scripts/testhost/run.sh scripts/qemu /usr/bin/mdevctl /usr/bin/qemu-system-x86_64

# The test host's CPU must offer SVM for kvm-amd (TESSERA_TESTHOST_CPU,
# default "max": every feature TCG emulates, SVM and NPT included).
cpu=${TESSERA_TESTHOST_CPU:-max}
log=$logs/client.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" "${tessera_mods[@]}" --nested-kvm \
	--qemu-arg -cpu --qemu-arg "$cpu" --mem 2G \
	${NESTED_ACCEL:+--env "NESTED_ACCEL=$NESTED_ACCEL"} \
	${TSR_IOMMUFD:+--env "TSR_IOMMUFD=$TSR_IOMMUFD"} \
	--env "NESTED_INITRAMFS=$initramfs" \
	--timeout "$vm_timeout" --name nested-client \
	-- "$top/selftests/clients/nested-client.sh" >"$log" 2>&1
status=$?

tap_relay_client nested "$log" "$status" "$start" nested-client
finish
