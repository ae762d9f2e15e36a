#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites, as modules in one debug test host (KASAN, UBSAN,
# lockdep, kmemleak), each run by KUnit while its module loads and read
# from its debugfs results by selftests/kunit/kunit-results.sh, held to as
# many cases as its source lists:
#  - tessera_core_test.ko (drivers/tessera/core/tessera_core_test.c), the
#    core API alone on the card with tessera.ko and no mediator: a context
#    with a slice, tables and a ring runs a GEMM and a fence, faults on an
#    unmapped page and recovers by a reset, and the card's unbind calls the
#    client's remove() (selftests/core/core_api.sh checks the host around
#    it);
#  - tessera_lib_test.ko, the pure code's suites (drivers/tessera/lib/
#    *_test.c, with its own build of lib/: drivers/tessera/kunit/).
# scripts/kunit.sh runs the pure code's suites under UML, without the debug
# kernel.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

export TESSERA_TESTHOST_KERNEL=debug
top=$suite_top
card=${TESSERA_CARD:-tessera-card}
logs=$top/.cache/suites/kunit
mkdir -p "$logs"

suite_module kunit "$logs"
suite_need kunit scripts/testhost/run.sh scripts/qemu selftests/kunit/in-host.sh
core_ko=$(dirname "$ko")/tessera_core_test.ko
lib_ko=$(dirname "$ko")/tessera_lib_test.ko
for t in "$core_ko" "$lib_ko"; do
	if [ ! -f "$t" ]; then
		tap not-ok "kunit: no $(basename "$t") beside $ko (a kernel without KUnit?)"
		finish
	fi
done
# Each suite's name and how many cases its source lists.
want=()
for src in "$top"/drivers/tessera/core/tessera_core_test.c "$top"/drivers/tessera/lib/*_test.c; do
	suite=$(sed -n 's/^[[:space:]]*\.name = "\(tessera_[a-z_]*\)",$/\1/p' "$src" | head -n 1)
	if [ -z "$suite" ]; then
		tap not-ok "kunit: $(basename "$src") names no suite"
		continue
	fi
	want+=("$suite=$(grep -c 'KUNIT_CASE' "$src")")
done

log=$logs/kunit.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device "$card" --insmod "$ko" --insmod "$core_ko" \
	--insmod "$lib_ko" --timeout 600 --name kunit-debug \
	-- "$top/selftests/kunit/in-host.sh" "${want[@]}" >"$log" 2>&1
status=$?
tap_relay_client kunit "$log" "$status" "$start" kunit-debug
finish
