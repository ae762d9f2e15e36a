#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reconfiguration benchmark of the Tessera card model: card time to load
# 1, 2 and 4 MiB bitstreams against the configured bandwidth, with the
# error in percent. Card time follows the wall clock during the loads (the
# benchmark steps QEMU's virtual clock by the host time elapsed), so the
# figures include the model's own pacing overhead.
#
#   scripts/bench-card.sh [bandwidth-kib-per-ms ...]     (default: 100 195, the card default)
#
# Exit status is non-zero when a size is off by 5% or more.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/.cache/qemu/build"

if ! "$top/scripts/build-qemu.sh" qemu-system-x86_64 \
	tests/qtest/tessera-card-test >"$top/.cache/qemu/bench-build.log" 2>&1; then
	tail -30 "$top/.cache/qemu/bench-build.log" >&2
	echo "bench-card: build failed" >&2
	exit 1
fi

export QTEST_QEMU_BINARY="$top/.cache/qemu/bin/qemu-system-x86_64"
status=0
bandwidths=("$@")
[ ${#bandwidths[@]} -gt 0 ] || bandwidths=(100 195)
for bw in "${bandwidths[@]}"; do
	out=$(TESSERA_BENCH_BW=$bw timeout 300 "$build/tests/qtest/tessera-card-test" \
		--tap -m perf -p /x86_64/tessera-card/bench/reconfig 2>&1) || status=1
	grep '^BENCH ' <<<"$out" | sed 's/^BENCH //'
	if grep -q '^not ok\|Bail out' <<<"$out"; then
		grep -E 'ERROR|Bail' <<<"$out" >&2 || true
		status=1
	fi
	echo
done
exit $status
