#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The stateful VFIO uAPI fuzzer (selftests/fuzz/vfio_fuzz) against every
# mdev type, each in a fresh test host (a kernel report or hang on one type
# leaves the others their own host). One TAP line per type, with the seed
# and the operation count; the plan comes last.
#
#   scripts/suites/58-uapifuzz.sh [TYPE...]      e.g. `... tessera-vgpu-2`
#
# Environment:
#   TESSERA_FUZZ_SECONDS   time budget per type (default 60; `make fuzz`: 600)
#   TESSERA_FUZZ_SEED      one seed for every type (default: a random one each)
#   TESSERA_FUZZ_ARGS      more vfio_fuzz options (e.g. --threads 3 --heavy)
#   TESSERA_TESTHOST_KERNEL  passed on to scripts/testhost/run.sh (debian or
#                          debug); with debug and no TESSERA_KO, the module
#                          comes from scripts/build-debug-module.sh
#   TESSERA_KO             a tessera.ko to test as is
#   TESSERA_CARD           the -device spec (default tessera-card)
# A failing type's console is in .cache/suites/uapifuzz/<type>.log and its
# last operations in <type>.replay, for `vfio_fuzz --replay` (see
# selftests/README.rst).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
out=$top/.cache/selftests
logs=$top/.cache/suites/uapifuzz
card=${TESSERA_CARD:-tessera-card}
seconds=${TESSERA_FUZZ_SECONDS:-60}
kernel=${TESSERA_TESTHOST_KERNEL:-debian}
mkdir -p "$logs"
export TESSERA_TESTHOST_KERNEL=$kernel

all_types=(tessera-vgpu-1 tessera-vgpu-2 tessera-vgpu-4 tessera-vgpu-8
	   tessera-vfpga-1 tessera-vfpga-2 tessera-vfpga-4)
if [ $# -gt 0 ]; then
	types=("$@")
else
	types=("${all_types[@]}")
fi
case "$seconds" in
''|*[!0-9]*) tap not-ok "uapifuzz: TESSERA_FUZZ_SECONDS wants whole seconds, not '$seconds'"; finish ;;
esac

if make -C "$top/selftests/fuzz" OUT="$out" >"$logs/build.log" 2>&1; then
	tap ok "uapifuzz: vfio_fuzz builds"
else
	tap not-ok "uapifuzz: vfio_fuzz does not build (make -C selftests/fuzz)"
	tap_comment_file "$logs/build.log" 20
	finish
fi

# The debug kernel needs a module built for it.
if [ "$kernel" = debug ] && [ -z "${TESSERA_KO:-}" ]; then
	if [ -x "$top/scripts/build-debug-module.sh" ] &&
	   TESSERA_KO=$("$top/scripts/build-debug-module.sh" 2>"$logs/debug-module.log" | tail -n 1) &&
	   [ -f "$TESSERA_KO" ]; then
		export TESSERA_KO
	else
		tap not-ok "uapifuzz: no tessera.ko for the debug kernel (scripts/build-debug-module.sh)"
		tap_comment_file "$logs/debug-module.log" 10
		finish
	fi
fi
suite_module uapifuzz "$logs"
suite_need uapifuzz scripts/testhost/run.sh scripts/qemu

# A run may take its budget, the fuzzer's wind-down and hang detection
# (2 x 45 s) and a boot on top.
vm_timeout=$((seconds + 240))
for type in "${types[@]}"; do
	log=$logs/$type.log
	args=(--type "$type" --seconds "$seconds" --tail 60)
	[ -n "${TESSERA_FUZZ_SEED:-}" ] && args+=(--seed "$TESSERA_FUZZ_SEED")
	# shellcheck disable=SC2206 # word splitting of extra options is wanted
	[ -n "${TESSERA_FUZZ_ARGS:-}" ] && args+=(${TESSERA_FUZZ_ARGS})
	start=$SECONDS
	"$top/scripts/testhost/run.sh" --device "$card" --insmod "$ko" --timeout "$vm_timeout" \
		--name "uapifuzz-$type" -- "$out/vfio_fuzz" "${args[@]}" >"$log" 2>&1
	status=$?
	grep '^# op: ' "$log" >"$logs/$type.replay"
	result=$(grep -E '^vfio_fuzz: (PASS|FAIL|ERROR) ' "$log" | tail -n 1)
	seed=$(sed -n 's/.* seed=\([0-9]*\).*/\1/p' <<<"$result")
	[ -n "$seed" ] || seed=$(sed -n 's/^# vfio_fuzz: seed=\([0-9]*\) .*/\1/p' "$log" | head -n 1)
	ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$result")
	rate=$(sed -n 's/.* ops_per_s=\([0-9]*\).*/\1/p' <<<"$result")
	what="uapifuzz: $type: seed=${seed:-?} ops=${ops:-?} in ${seconds} s (${rate:-?}/s) on the $kernel kernel"
	echo "# $type: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/uapifuzz-$type.log)"
	if [ "$status" = 0 ] && [ "${result%% *}" = "vfio_fuzz:" ] && [[ $result == *" PASS "* ]]; then
		tap ok "$what, no oracle violation, no kernel report, no hang"
		continue
	fi
	reason=$(sed -n 's/.* reason=\(.*\)/\1/p' <<<"$result")
	if [ -z "$result" ]; then
		reason="no result (test host status $status)"
	elif [ -z "$reason" ]; then
		reason="the test host reported status $status"
	fi
	tap not-ok "$what: $reason"
	grep -E '^(testhost:|# vfio_fuzz: (FAIL|oracle)|# ORACLE|# HANG|# kmsg: .*(BUG|WARNING|RIP|Oops|KASAN|lockdep|circular|tessera_))' \
		"$log" | grep -v "waiting for" | head -n 25 | sed 's/^# //; s/^/# /'
	echo "# replay: scripts/testhost/run.sh --device $card --insmod $ko -- $out/vfio_fuzz --type $type --replay $logs/$type.replay"
	echo "# rerun:  ... $out/vfio_fuzz --type $type --seed ${seed:-?} --seconds $seconds"
done
finish
