#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites of the driver's pure code (drivers/tessera/lib/*_test.c) in
# the debug test host, under KASAN, UBSAN, lockdep and kmemleak:
# tessera_lib_test.ko (its own build of lib/, drivers/tessera/kunit/) runs
# them while it loads, and selftests/kunit/kunit-results.sh turns KUnit's
# debugfs results into TAP, checking that each suite reported as many cases
# as its source has. No card and no other module: the code is pure.
# scripts/kunit.sh runs the same suites under UML, without the debug kernel.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

export TESSERA_TESTHOST_KERNEL=debug
top=$suite_top
logs=$top/.cache/suites/kunit
mkdir -p "$logs"

suite_module kunit "$logs"
suite_need kunit scripts/testhost/run.sh scripts/qemu selftests/kunit/kunit-results.sh
test_ko=$(dirname "$ko")/tessera_lib_test.ko
if [ ! -f "$test_ko" ]; then
	tap not-ok "kunit: no tessera_lib_test.ko beside $ko (a kernel without KUnit?)"
	finish
fi
# Each suite's name and how many cases its source lists.
want=()
for src in "$top"/drivers/tessera/lib/*_test.c; do
	suite=$(sed -n 's/^[[:space:]]*\.name = "\(tessera_[a-z_]*\)",$/\1/p' "$src" | head -n 1)
	if [ -z "$suite" ]; then
		tap not-ok "kunit: $(basename "$src") names no suite"
		continue
	fi
	want+=("$suite=$(grep -c 'KUNIT_CASE' "$src")")
done

log=$logs/kunit.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --insmod "$test_ko" --timeout 600 --name kunit-debug \
	-- "$top/selftests/kunit/kunit-results.sh" "${want[@]}" >"$log" 2>&1
status=$?
tap_relay_client kunit "$log" "$status" "$start" kunit-debug
finish
