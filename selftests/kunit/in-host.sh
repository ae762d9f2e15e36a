#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the debug test host, after tessera.ko, tessera_core_test.ko and
# tessera_lib_test.ko were loaded (KUnit ran each module's suites while it
# loaded): the host's checks around the core API suite
# (selftests/core/core_api.sh) and every suite's cases (kunit-results.sh
# SUITE=CASES...) as one TAP stream,
# renumbered; a part whose plan does not match its lines fails once more.
#
#   selftests/kunit/in-host.sh SUITE=CASES...
set -u

here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
n=0
# relay NAME COMMAND...: COMMAND's TAP, renumbered from n.
relay()
{
	local name=$1 line plan=-1 ran=0

	shift
	# A file, not a process substitution: the test host's /dev has no fd/.
	"$@" >"$out" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*|"not ok "[0-9]*)
			n=$((n + 1)) ran=$((ran + 1))
			[[ $line =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]
			echo "${BASH_REMATCH[1]}ok $n ${BASH_REMATCH[2]}" ;;
		1..[0-9]*) plan=${line#1..} ;;
		*) echo "$line" ;;
		esac
	done <"$out"
	if [ "$plan" != "$ran" ]; then
		n=$((n + 1))
		echo "not ok $n - $name: planned $([ "$plan" -ge 0 ] && echo "$plan" || echo no) checks, $ran reported"
	fi
}
relay core_api.sh "$here/../core/core_api.sh"
relay kunit-results.sh "$here/kunit-results.sh" "$@"
rm -f "$out"
echo "1..$n"
