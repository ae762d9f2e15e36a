#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the debug test host, after tessera_lib_test.ko was loaded (KUnit
# ran its suites while it loaded): each case of each named suite from
# KUnit's debugfs results as TAP, then one line per suite that it reported
# as many cases as its source has and passed as a whole. Every line is an
# assertion.
#
#   selftests/kunit/kunit-results.sh SUITE=CASES...    e.g. tessera_policy=12
set -u

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
for arg; do
	suite=${arg%%=*} want=${arg#*=}
	results=/sys/kernel/debug/kunit/$suite/results
	if [ ! -r "$results" ]; then
		not_ok "$suite: KUnit ran the suite (no $results)"
		dmesg | grep -i 'kunit\|tessera' | tail -n 20 | sed 's/^/# dmesg: /'
		continue
	fi
	cases=0 verdict=
	while IFS= read -r line; do
		case "$line" in
		"    ok "[0-9]*|"    not ok "[0-9]*)
			cases=$((cases + 1))
			# No sed: an exec costs 0.4 s on the debug test host.
			[[ $line =~ ^\ *(not\ )?ok\ [0-9]+\ (-\ )?(.*)$ ]]
			if [ -n "${BASH_REMATCH[1]}" ]; then
				not_ok "$suite.${BASH_REMATCH[3]}"
			else
				ok "$suite.${BASH_REMATCH[3]}"
			fi ;;
		"ok "[0-9]*" $suite"*) verdict=ok ;;
		"not ok "[0-9]*" $suite"*) verdict="not ok" ;;
		"    # "*|"        # "*) echo "# $suite: ${line#"${line%%#*}"}" ;;
		esac
	done <"$results"
	if [ "$cases" = "$want" ] && [ "$verdict" = ok ]; then
		ok "$suite: all $want cases ran and the suite passed"
	else
		not_ok "$suite: $cases of $want cases reported, the suite's verdict '${verdict:-none}'"
		sed "s/^/# $suite: /" "$results" | tail -n 30
	fi
done
echo "1..$n"
