#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz the command audit with libFuzzer and its two-sided oracle
# (tools/fuzz/fuzz_audit.c). Prints TAP.
#
#   scripts/fuzz.sh [--mutants] [RUNS]     (RUNS default 1000000)
#
# Line 1: the fuzzer over drivers/tessera/lib/tessera_audit.c: RUNS executions,
# no crash, no oracle violation. With --mutants, one more line per audit
# mutant (tools/fuzz/mutants/NAME.sed: a rule disabled or bent, an audit
# that rejects everything): the same harness built over the mutated audit
# must stop with an oracle violation within $FUZZ_MUTANT_RUNS executions
# (default 200000; its deterministic boundary sweep usually finds it before
# the first), else the oracle is blind to that mistake.
# A crash leaves its input in .cache/fuzz/crashes/: turn it into a KUnit
# case in drivers/tessera/lib/tessera_audit_test.c.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mutants=0
if [ "${1:-}" = --mutants ]; then
	mutants=1
	shift
fi
runs=${1:-1000000}
mutant_runs=${FUZZ_MUTANT_RUNS:-200000}
out="$top/.cache/fuzz"
make -s -C "$top/tools/fuzz" OUT="$out" >&2
mkdir -p "$out/corpus" "$out/crashes" "$out/mutants"

names=()
if [ "$mutants" = 1 ]; then
	read -r -a names <<< "$(make -s -C "$top/tools/fuzz" list-mutants)"
fi
echo "1..$((1 + ${#names[@]}))"

log="$out/fuzz.log"
status=0
"$out/fuzz_audit" -runs="$runs" -seed=1 -artifact_prefix="$out/crashes/" \
	"$out/corpus" >"$log" 2>&1 || status=$?
done_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
failed=0
if [ "$status" = 0 ] && [ "${done_runs:-0}" -ge "$runs" ]; then
	echo "ok 1 - fuzz_audit: $done_runs runs, no crash, no oracle violation"
else
	echo "not ok 1 - fuzz_audit: stopped after ${done_runs:-?} runs (exit $status)"
	grep -E 'oracle:|ERROR|SUMMARY' "$log" | head -n 5 | sed 's/^/# /'
	failed=1
fi

n=1
for m in "${names[@]}"; do
	n=$((n + 1))
	what=$(sed -n 's/^# //p' "$top/tools/fuzz/mutants/$m.sed" | grep -v SPDX | tr '\n' ' ')
	what=${what% }
	bin="$out/mutants/fuzz_audit-$m"
	mlog="$out/mutants/$m.log"
	if ! make -s -C "$top/tools/fuzz" OUT="$out" "$bin" >"$out/mutants/$m.build" 2>&1; then
		echo "not ok $n - mutant $m: does not build ($what)"
		sed 's/^/# /' "$out/mutants/$m.build" | tail -n 5
		failed=1
		continue
	fi
	if cmp -s "$top/drivers/tessera/lib/tessera_audit.c" "$out/mutants/$m.c"; then
		echo "not ok $n - mutant $m: its sed script no longer changes tessera_audit.c ($what)"
		failed=1
		continue
	fi
	corpus=$(mktemp -d "$out/mutants/corpus.XXXXXX")
	mstatus=0
	"$bin" -runs="$mutant_runs" -seed=1 -artifact_prefix="$out/mutants/$m-" "$corpus" \
		>"$mlog" 2>&1 || mstatus=$?
	rm -rf "$corpus"
	why=$(grep -m1 'oracle:' "$mlog" || true)
	if [ "$mstatus" != 0 ] && [ -n "$why" ]; then
		echo "ok $n - mutant $m is caught: ${why#oracle: } ($what)"
	else
		echo "not ok $n - mutant $m survives $mutant_runs runs (exit $mstatus): $what"
		grep -E 'ERROR|SUMMARY' "$mlog" | head -n 3 | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
