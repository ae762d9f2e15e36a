#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (if needed) and run the Tessera card's qtest suite; TAP on stdout
# ("ok N - name" / "not ok N - name"), exit status non-zero on any failure.
#
#   scripts/qtest.sh [-p /x86_64/tessera-card/<test>] [--verbose]
#
# The suite ends with a coverage guard that fails when include/tessera_hw.h
# names an opcode, fault code, region configuration status, region function
# or element-wise op that no test verified.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/.cache/qemu/build"

# The build takes the heavy lock itself when it has real work to do.
if ! "$top/scripts/build-qemu.sh" qemu-system-x86_64 tests/qtest/tessera-card-test >"$top/.cache/qemu/qtest-build.log" 2>&1; then
	tail -30 "$top/.cache/qemu/qtest-build.log" >&2
	echo "qtest: build failed" >&2
	exit 1
fi

export QTEST_QEMU_BINARY="$top/.cache/qemu/bin/qemu-system-x86_64"
export TESSERA_HW_H="$top/include/tessera_hw.h"
export G_TEST_DBUS_DAEMON=/bin/true
# --tap prints TAP; each test boots its own QEMU, so the whole run is bounded.
exec timeout 600 "$build/tests/qtest/tessera-card-test" --tap "$@"
