#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The engine scheduler's selftests (selftests/sched/): build them and
# tessera.ko, run them in a fresh test host whose card has one engine (so
# that every instance shares it), print one TAP stream.
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

n=0
failed=0
tap()
{
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}
finish()
{
	echo "1..$n"
	exit $failed
}

if make -C "$top/selftests/sched" OUT="$out" >"$logs/build.log" 2>&1; then
	tap ok "sched: the scheduler selftests build"
else
	tap not-ok "sched: the scheduler selftests do not build (make -C selftests/sched)"
	tap_comment_file "$logs/build.log" 20
	finish
fi

ko=$top/drivers/tessera/tessera.ko
if [ ! -f "$ko" ] || [ -n "$(find "$top/drivers/tessera" "$top/include" \
	\( -name '*.[ch]' -o -name Kbuild \) -newer "$ko" -print -quit)" ]; then
	# shellcheck source=scripts/versions.sh
	. "$top/scripts/versions.sh"
	if ! kroot=$("$top/scripts/fetch-kernel.sh" 2>"$logs/kernel.log") ||
		! make -C "$kroot/usr/src/linux-headers-$TESSERA_KVER" M="$top" modules \
			>"$logs/module.log" 2>&1 || [ ! -f "$ko" ]; then
		tap not-ok "sched: tessera.ko does not build"
		tap_comment_file "$logs/module.log" 20
		finish
	fi
fi
tap ok "sched: tessera.ko is built"
if [ ! -x "$top/scripts/qemu" ]; then
	tap not-ok "sched: scripts/qemu (QEMU with the Tessera card) does not exist yet"
	finish
fi

log=$logs/sched.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" --insmod "$ko" \
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
