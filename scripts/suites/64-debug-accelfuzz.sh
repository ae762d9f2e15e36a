#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The DRM accel uAPI fuzzer (selftests/fuzz/accel_fuzz) against the card's
# host node (tessera_accel_host.ko, an auxiliary driver of tessera.ko) in
# one debug test host (KASAN, lockdep, UBSAN, kmemleak: Documentation/
# testing.rst): tessera.ko, tessera_mdev.ko, the DRM helpers, then
# tessera_accel.ko and tessera_accel_host.ko, all built against the debug
# kernel by scripts/build-debug-module.sh. One boot. TAP lines
# "debug-accelfuzz: ...": the build, the fuzzer's result (seed, operation
# count, replay hint on a failure) and the host's own checks (no new taint,
# lockdep still on, kmemleak clean); the plan comes last.
#
# Environment:
#   TESSERA_ACCEL_FUZZ_SECONDS  fuzzing time (default 20; make accel-fuzz: 300)
#   TESSERA_ACCEL_FUZZ_SEED     a seed (default: a random one, printed)
#   TESSERA_ACCEL_FUZZ_THREADS  threads of the threaded rounds (default 3; 0:
#                               single-threaded, replayable from the seed)
#   TESSERA_ACCEL_FUZZ_ARGS     more accel_fuzz options
#   TESSERA_KO                  a tessera.ko to test as is (its folder must
#                               hold the accel modules too)
#   TESSERA_CARD                the -device spec (default tessera-card)
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail
# shellcheck source=selftests/fuzz/fuzz-result.sh
. "$(dirname "$0")/../../selftests/fuzz/fuzz-result.sh"

export TESSERA_TESTHOST_KERNEL=debug
top=$suite_top
logs=$top/.cache/suites/accelfuzz-debug
out=$top/.cache/selftests
card=${TESSERA_CARD:-tessera-card}
seconds=${TESSERA_ACCEL_FUZZ_SECONDS:-20}
name=debug-accelfuzz
mkdir -p "$logs"

case $seconds in
''|*[!0-9]*) tap not-ok "$name: TESSERA_ACCEL_FUZZ_SECONDS wants whole seconds, not '$seconds'"; finish ;;
esac

suite_module "$name" "$logs"
moddir=$(dirname "$ko")
accel_ko=$moddir/tessera_accel.ko
host_ko=$moddir/tessera_accel_host.ko
if [ -f "$accel_ko" ] && [ -f "$host_ko" ]; then
	tap ok "$name: tessera_accel.ko and tessera_accel_host.ko are built beside it"
else
	tap not-ok "$name: no tessera_accel.ko or tessera_accel_host.ko in $moddir (the debug kernel has CONFIG_DRM_ACCEL?)"
	finish
fi
if make -C "$top/selftests/fuzz" OUT="$out" accel_fuzz >"$logs/build.log" 2>&1 && [ -x "$out/accel_fuzz" ]; then
	tap ok "$name: accel_fuzz builds"
else
	tap not-ok "$name: accel_fuzz does not build (make -C selftests/fuzz accel_fuzz)"
	tap_comment_file "$logs/build.log" 20
	finish
fi
suite_need "$name" scripts/testhost/run.sh scripts/qemu

args=(--seconds "$seconds" --threads "${TESSERA_ACCEL_FUZZ_THREADS:-3}")
[ -n "${TESSERA_ACCEL_FUZZ_SEED:-}" ] && args+=(--seed "$TESSERA_ACCEL_FUZZ_SEED")
# shellcheck disable=SC2206 # options, split on purpose
[ -n "${TESSERA_ACCEL_FUZZ_ARGS:-}" ] && args+=(${TESSERA_ACCEL_FUZZ_ARGS})
log=$logs/fuzz.log
console=$top/.cache/testhost/logs/$name.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --kernel debug --device "$card" "${tessera_mods[@]}" \
	--modprobe drm_shmem_helper --modprobe gpu-sched \
	--insmod "$accel_ko" --insmod "$host_ko" \
	--env "TESSERA_ACCEL_FUZZ_SECONDS=$seconds" \
	--timeout $((seconds + 480)) --name "$name" \
	-- "$out/accel_fuzz" "${args[@]}" >"$log" 2>&1
status=$?
took=$((SECONDS - start))

fuzz_result "$log" accel_fuzz
result=$fz_result seed=$fz_seed ops=$fz_ops reason=$fz_reason
jobs=$(sed -n 's/.* jobs_verified=\([0-9]*\).*/\1/p' <<<"$result")
grep -E '^# accel_fuzz: ' "$log"
echo "# $name: test host exited with status $status after $took s (console: .cache/testhost/logs/$name.log, output: ${log#"$top"/})"

what="$name: accel_fuzz on the host node for $seconds s (seed ${seed:-?}, ${ops:-0} operations, ${jobs:-0} jobs' results verified)"
if [[ $result == "accel_fuzz: PASS "* ]]; then
	tap ok "$what, no oracle violation"
else
	[ -n "$reason" ] || reason="no result line (test host status $status)"
	tap not-ok "$what: $reason"
	grep -E '^# (ORACLE|op|accel_fuzz: the last)' "$log" | head -n 60
	grep -E '^testhost: ' "$log" | head -n 10 | sed 's/^/# /'
	tap_comment_file "$log" 15
	echo "# replay: TESSERA_TESTHOST_KERNEL=debug scripts/testhost/run.sh --device $card ${tessera_mods[*]} --modprobe drm_shmem_helper --modprobe gpu-sched --insmod $accel_ko --insmod $host_ko -- $out/accel_fuzz --seed ${seed:-N} --threads 0 --seconds $seconds"
fi

# run.sh's debug checks: init's testhost-reports line says lockdep was on
# before and after and kmemleak scanned clean; a new taint bit, a KASAN or
# UBSAN report or a warning makes the status non-zero and says why.
if [ "$status" = 0 ] && grep -q 'testhost-reports .* locks_before=1 locks_after=1 leaks=0' "$console" 2>/dev/null; then
	tap ok "$name: the debug host stayed clean: no new taint, no KASAN/UBSAN report, lockdep on, no kmemleak report ($took s)"
else
	tap not-ok "$name: the debug host reported (status $status, $took s)"
	grep -E '^testhost: ' "$log" | head -n 10 | sed 's/^/# /'
	grep -E 'BUG: KASAN|UBSAN|WARNING:|unreferenced object|possible circular|lockdep' "$console" 2>/dev/null |
		head -n 10 | sed 's/^/# console: /'
fi
finish
