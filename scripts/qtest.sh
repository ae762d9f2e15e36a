#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (if needed) and run the Tessera card's qtest suite; TAP on stdout
# ("ok N - name" / "not ok N - name"), exit status non-zero on any failure.
#
#   scripts/qtest.sh [-v] [TEST ...]     TEST: e.g. preemption, faults
#
# Each test runs in its own process (and boots its own QEMU), so a failing
# or crashing test does not hide the others. The last one is a coverage
# guard: it fails when include/tessera_hw.h names an opcode, fault code,
# region configuration status, region function or element-wise op that no
# passing test verified.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/.cache/qemu/build"
bin="$build/tests/qtest/tessera-card-test"
verbose=0
if [ "${1:-}" = -v ]; then
	verbose=1
	shift
fi

# The build takes the heavy lock itself when it has real work to do.
if ! "$top/scripts/build-qemu.sh" qemu-system-x86_64 \
	tests/qtest/tessera-card-test >"$top/.cache/qemu/qtest-build.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - QEMU with the Tessera card builds"
	tail -30 "$top/.cache/qemu/qtest-build.log" | sed 's/^/# /'
	exit 1
fi

export QTEST_QEMU_BINARY="$top/.cache/qemu/bin/qemu-system-x86_64"
export TESSERA_HW_H="$top/include/tessera_hw.h"
coverage=$(mktemp)
logdir=$(mktemp -d)
trap 'rm -rf "$coverage" "$logdir"' EXIT
export TESSERA_COVERAGE_FILE="$coverage"

mapfile -t tests < <("$bin" -l | grep '^/')
if [ $# -gt 0 ]; then
	wanted=()
	for t in "$@"; do
		for path in "${tests[@]}"; do
			[ "${path##*/}" = "$t" ] && wanted+=("$path")
		done
	done
	tests=("${wanted[@]}")
fi

echo "1..${#tests[@]}"
n=0 failed=0
for path in "${tests[@]}"; do
	n=$((n + 1))
	name=${path#/x86_64/tessera-card/}
	log="$logdir/$n.log"
	# Each test bounds its own waits; the timeout only stops a hang.
	if timeout 300 "$bin" --tap -p "$path" >"$log" 2>&1 &&
	   grep -q "^ok 1 " "$log"; then
		result="ok $n - $name"
	else
		result="not ok $n - $name"
		failed=1
	fi
	if [ "$verbose" = 1 ] || [ "${result#not}" != "$result" ]; then
		grep -v '^# starting QEMU\|^ok \|^1\.\.' "$log" | sed 's/^# //; s/^/# /' || true
	else
		grep '^# ' "$log" |
			grep -v '^# starting QEMU\|^# Start of\|^# End of\|random seed' || true
	fi
	echo "$result"
done
exit $failed
