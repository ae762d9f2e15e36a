#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The core API alone: in a debug test host with the card, tessera.ko and
# the KUnit module tessera_core_test.ko (drivers/tessera/core/
# tessera_core_test.c), no mediator. The suite runs while its module
# loads: a context with a slice, tables and a ring runs a GEMM and a fence,
# faults on an unmapped page and recovers by a reset, and the card's unbind
# calls the client's remove(). selftests/core/core_api.sh turns KUnit's
# results into TAP; the debug host adds its own checks (KASAN, lockdep,
# kmemleak, UBSAN).
#
#   scripts/suites/62-debug-core-api.sh
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

export TESSERA_TESTHOST_KERNEL=debug
top=$suite_top
card=${TESSERA_CARD:-tessera-card}
logs=$top/.cache/suites/core-api
mkdir -p "$logs"

suite_module core-api "$logs"
suite_need core-api scripts/testhost/run.sh scripts/qemu selftests/core/core_api.sh
test_ko=$(dirname "$ko")/tessera_core_test.ko
if [ ! -f "$test_ko" ]; then
	tap not-ok "core-api: no tessera_core_test.ko beside $ko (a kernel without KUnit?)"
	finish
fi

log=$logs/core-api.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" --insmod "$ko" --insmod "$test_ko" \
	--timeout 600 --name core-api -- "$top/selftests/core/core_api.sh" >"$log" 2>&1
status=$?
plan=-1 ran=0 inner_fail=0 hostmsg=''
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*) tap ok "core-api: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")"; ran=$((ran + 1)) ;;
	"not ok "[0-9]*)
		tap not-ok "core-api: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")"
		ran=$((ran + 1)) inner_fail=1 ;;
	1..[0-9]*) plan=${line#1..} ;;
	testhost:*) hostmsg=$line; echo "# $line" ;;
	*) echo "# $line" ;;
	esac
done < "$log"
echo "# core-api: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/core-api.log)"
if [ "$plan" -lt 0 ]; then
	tap not-ok "core-api: the test printed no plan (${hostmsg:-test host status $status})"
elif [ "$ran" != "$plan" ]; then
	tap not-ok "core-api: planned $plan steps, $ran reported"
elif [ "$status" != 0 ] && [ "$inner_fail" = 0 ]; then
	tap not-ok "core-api: the debug host reported a problem (status $status: ${hostmsg:-see the console log})"
else
	tap ok "core-api: the debug host stayed free of KASAN, lockdep, kmemleak and UBSAN reports"
fi
finish
