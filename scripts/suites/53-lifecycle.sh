#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Instance and module lifecycle (selftests/lifecycle/lifecycle.sh) in a
# fresh test host with the card and tessera.ko: create-until-full for every
# type, rmmod with live instances and with an instance held open, removal
# of an instance held open (with and without a REQ eventfd), removal of the
# card with live instances and one held open, and a rescan. One TAP stream.
#
# Environment: TESSERA_CARD (the -device spec, default tessera-card),
# TESSERA_SELFTEST_TIMEOUT (seconds for the test host, default 1200),
# TESSERA_KO (a tessera.ko to load instead of building drivers/tessera/).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
out=$top/.cache/selftests
logs=$top/.cache/suites/lifecycle
card=${TESSERA_CARD:-tessera-card}
vm_timeout=${TESSERA_SELFTEST_TIMEOUT:-1200}
mkdir -p "$logs"

suite_make "$logs/build.log" "lifecycle: the lifecycle holder builds" \
	"lifecycle: the lifecycle holder does not build (make -C selftests/lifecycle)" \
	-C "$top/selftests/lifecycle" OUT="$out"
suite_module lifecycle "$logs"
suite_need lifecycle scripts/testhost/run.sh scripts/qemu selftests/lifecycle/lifecycle.sh

log=$logs/lifecycle.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" "${tessera_mods[@]}" --env "TESSERA_KO=$ko" \
	--env "TSR_IDENTITY=${TSR_IDENTITY:-1}" --env "TSR_SCALE_ROUNDS=${TSR_SCALE_ROUNDS:-20}" \
	--env "TSR_MIXED_EXACT=${TSR_MIXED_EXACT:-1}" \
	--timeout "$vm_timeout" --name selftest-lifecycle -- \
	"$top/selftests/lifecycle/lifecycle.sh" "$out/lifecycle-holder" >"$log" 2>&1
status=$?
plan=-1 ran=0 inner_fail=0 taint='' hostmsg=''
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*|"not ok "[0-9]*)
		rest=$(sed -E 's/^(not )?ok [0-9]+ (- )?//' <<< "$line")
		if [ "${line#not }" != "$line" ]; then
			tap not-ok "lifecycle: $rest"
			inner_fail=1
		else
			tap ok "lifecycle: $rest"
		fi
		ran=$((ran + 1)) ;;
	1..[0-9]*) plan=${line#1..} ;;
	testhost:*"kernel raised a warning"*) taint=$line; echo "# $line" ;;
	testhost:*) hostmsg=$line; echo "# $line" ;;
	"#"*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done < "$log"

echo "# lifecycle: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/selftest-lifecycle.log)"
if [ -n "$taint" ]; then
	tap not-ok "lifecycle: the host kernel stayed free of warnings, oopses and lockups"
elif [ "$status" = 0 ] || [ "$inner_fail" = 1 ]; then
	tap ok "lifecycle: the host kernel stayed free of warnings, oopses and lockups"
fi
if [ "$plan" -lt 0 ]; then
	tap not-ok "lifecycle: the test printed no plan (${hostmsg:-test host status $status})"
elif [ "$ran" != "$plan" ]; then
	tap not-ok "lifecycle: planned $plan steps, $ran reported"
elif [ "$status" != 0 ] && [ "$inner_fail" = 0 ] && [ -z "$taint" ]; then
	tap not-ok "lifecycle: test host exited with status $status without a failing step"
fi
finish
