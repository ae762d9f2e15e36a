#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz the command audit with libFuzzer and its oracle (tools/fuzz/).
# Usage: scripts/fuzz.sh [RUNS]   (default 1000000). Prints one TAP line.
# A crash leaves its input in .cache/fuzz/crashes/: turn it into a KUnit
# case in drivers/tessera/tessera_audit_test.c.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1000000}
out="$top/.cache/fuzz"
make -s -C "$top/tools/fuzz" OUT="$out" >&2
mkdir -p "$out/corpus" "$out/crashes"
log="$out/fuzz.log"
status=0
"$out/fuzz_audit" -runs="$runs" -seed=1 -artifact_prefix="$out/crashes/" \
	"$out/corpus" >"$log" 2>&1 || status=$?
echo "1..1"
done_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
if [ "$status" = 0 ] && [ "${done_runs:-0}" -ge "$runs" ]; then
	echo "ok 1 - fuzz_audit: $done_runs runs, no crash, no oracle violation"
	exit 0
fi
echo "not ok 1 - fuzz_audit: stopped after ${done_runs:-?} runs (exit $status)"
grep -E 'oracle:|ERROR|SUMMARY' "$log" | head -n 5 | sed 's/^/# /'
exit 1
