#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The engine scheduler's selftests (selftests/sched/): build them and
# tessera.ko, run them in a fresh test host whose card has one engine (so
# that every instance shares it), print one TAP stream.
#
# Every test runs once: a failing test is a failing line, never run again.
# The fairness tests hold under host noise by construction (their bounds
# come from the scheduler's design, Documentation/scheduling.rst).
#
# Environment: TESSERA_SCHED_CARD (the -device spec, default
# tessera-card,engines=1), TESSERA_SELFTEST_TIMEOUT (seconds, default 1200).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
out=$top/.cache/sched-selftests
logs=$top/.cache/suites/sched
card=${TESSERA_SCHED_CARD:-tessera-card,engines=1}
vm_timeout=${TESSERA_SELFTEST_TIMEOUT:-1200}
mkdir -p "$logs"

suite_make "$logs/build.log" "sched: the scheduler selftests build" \
	"sched: the scheduler selftests do not build (make -C selftests/sched)" \
	-C "$top/selftests/sched" OUT="$out"

suite_module sched "$logs"
suite_need sched scripts/testhost/run.sh scripts/qemu

# The card's checkpoint interval, if the card spec sets one: the fairness
# bounds include it.
checkpoint=$(sed -n 's/.*checkpoint-ns=\([0-9]*\).*/\1/p' <<< "$card")

log=$logs/selftest-sched.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" "${tessera_mods[@]}" \
	${checkpoint:+--env "SCHED_CHECKPOINT_NS=$checkpoint"} \
	--timeout "$vm_timeout" --name selftest-sched -- \
	"$top/selftests/vfio/run-with-watch.sh" "$out/sched_test" >"$log" 2>&1
status=$?
plan=-1 ran=0 inner_fail=0 taint=''
while IFS= read -r line; do
	case "$line" in
	"TAP version"*) ;;
	1..*) plan=${line#1..}; plan=${plan%% *} ;;
	"ok "*|"not ok "*)
		rest=$(sed -E 's/^(not )?ok [0-9]+ (- )?//' <<< "$line")
		if [ "${line#not }" = "$line" ]; then
			tap ok "sched: $rest"
		else
			tap not-ok "sched: $rest"
			inner_fail=1
		fi
		ran=$((ran + 1)) ;;
	testhost:*"kernel raised a warning"*) taint=$line; echo "# $line" ;;
	"#"*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done < "$log"
echo "# sched: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/selftest-sched.log)"

if [ -n "$taint" ]; then
	tap not-ok "sched: the host kernel stayed free of warnings, oopses and lockups"
else
	tap ok "sched: the host kernel stayed free of warnings, oopses and lockups"
fi
if [ "$plan" -lt 0 ]; then
	tap not-ok "sched: the selftest printed no plan (test host status $status)"
elif [ "$ran" != "$plan" ]; then
	tap not-ok "sched: planned $plan tests, $ran reported (the run was cut short)"
elif [ "$status" != 0 ] && [ "$inner_fail" = 0 ]; then
	tap not-ok "sched: test host exited with status $status without a failing test"
fi
finish
