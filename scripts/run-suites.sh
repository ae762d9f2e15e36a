#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run Tessera's test suites and add up their TAP.
#
#   scripts/run-suites.sh [NAME...]
#
# Every executable scripts/suites/NN-name.sh is a suite, run in NN order
# from the top of the repository (NAME picks some, e.g. `lint qtest`). A
# suite prints TAP (or KTAP) on stdout; its stderr goes to
# .cache/suites/<name>.log, and the end of it is shown when the suite fails.
# Only top-level result lines count: "ok", "not ok", and "ok ... # SKIP".
# A suite that exits non-zero without a "not ok", prints no result at all,
# or runs a different number of tests than its plan ("1..N") says, counts
# one failure more. A skip counts as a skip only if
# scripts/suites/expected-skips.txt lists it (suite, test name pattern,
# reason); any other skip is printed as "not ok" and counts as a failure,
# and an expected skip that did not happen is reported in a comment. Each
# suite may take $TESSERA_SUITE_TIMEOUT seconds (2700), all of them
# together $TESSERA_CHECK_BUDGET (5040). The last line is the sum: "N
# passed, N failed, N skipped".
# Exit status: 0 only if nothing failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
logs="$top/.cache/suites"
mkdir -p "$logs"
suite_timeout=${TESSERA_SUITE_TIMEOUT:-2700}
# CI stops a run at 90 minutes; stop the suites first so that the summary
# line is still printed (the budget covers all suites together, the build
# among them; 6 minutes are left for the clone and make deps, which took
# about 1 minute).
budget=${TESSERA_CHECK_BUDGET:-5040}
expected_skips=$top/scripts/suites/expected-skips.txt
export TESSERA_TOP=$top

# mawk (Debian's default awk) fills its input buffer before it acts, which
# would hold a suite's lines back until it ends; -W interactive reads lines.
awk_stream=(awk)
awk -W version 2>/dev/null | grep mawk >/dev/null && awk_stream=(awk -W interactive)

suites=()
for s in scripts/suites/[0-9][0-9]-*.sh; do
	[ -x "$s" ] || continue
	name=$(basename "$s" .sh)
	name=${name#[0-9][0-9]-}
	if [ $# -gt 0 ]; then
		want=0
		for w in "$@"; do [ "$w" = "$name" ] && want=1; done
		[ $want = 1 ] || continue
	fi
	suites+=("$s")
done
if [ ${#suites[@]} -eq 0 ]; then
	echo "not ok 1 - run-suites: no suite matched${*:+: $*}"
	echo "0 passed, 1 failed"
	exit 1
fi

total_pass=0 total_fail=0 total_skip=0
start_all=$SECONDS
for s in "${suites[@]}"; do
	name=$(basename "$s" .sh)
	name=${name#[0-9][0-9]-}
	counts="$logs/$name.counts"
	echo "# suite $name ($s)"
	left=$((budget - (SECONDS - start_all)))
	if [ "$left" -le 0 ]; then
		echo "not ok - $name: not run, the ${budget}s budget of all suites is spent"
		total_fail=$((total_fail + 1))
		continue
	fi
	this_timeout=$suite_timeout
	[ "$left" -lt "$this_timeout" ] && this_timeout=$left
	start=$SECONDS
	# shellcheck disable=SC2016 # the $ in the awk program are awk's
	timeout -k 30 "$this_timeout" "$s" 2>"$logs/$name.log" |
		"${awk_stream[@]}" -v counts="$counts" -v suite="$name" \
			-v list="$expected_skips" -v listname="${expected_skips#"$top"/}" '
		# A glob (* and ?) as an anchored regular expression.
		function glob_re(g,   i, c, r) {
			r = "^"
			for (i = 1; i <= length(g); i++) {
				c = substr(g, i, 1)
				if (c == "*")
					r = r ".*"
				else if (c == "?")
					r = r "."
				else if (index("\\^.[]|()+{}/$", c))
					r = r "\\" c
				else
					r = r c
			}
			return r "$"
		}
		# Whether the skip of test DESC is listed (then it counts as one).
		function expected(desc,   i) {
			for (i = 1; i <= nexp; i++) {
				if (desc ~ exp_re[i]) {
					exp_hit[i]++
					skip++
					return 1
				}
			}
			fail++
			return 0
		}
		function unlisted() {
			return "an unexpected skip: " listname " does not list it"
		}
		BEGIN {
			pass = fail = skip = 0; plan = -1; nexp = 0
			while ((getline entry < list) > 0) {
				if (entry ~ /^[ \t]*(#|$)/)
					continue
				nf = split(entry, f, /[ \t]*[|][ \t]*/)
				sub(/^[ \t]+/, "", f[1])
				if (nf < 3 || f[1] != suite)
					continue
				nexp++
				exp_glob[nexp] = f[2]
				exp_re[nexp] = glob_re(f[2])
				exp_why[nexp] = f[3]
			}
			close(list)
		}
		/^1\.\.[0-9]+/ {
			print
			plan = substr($1, 4) + 0
			if (plan == 0 && tolower($0) ~ /# *skip/ && !expected("(the whole suite)"))
				print "not ok - " suite ": the whole suite was skipped, " unlisted()
			fflush()
			next
		}
		/^(not )?ok([ \t]|$)/ && tolower($0) ~ /# *skip/ {
			desc = line = $0
			sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(- )?/, "", desc)
			sub(/[ \t]*#[ \t]*[Ss][Kk][Ii][Pp].*$/, "", desc)
			if (expected(desc)) {
				print
			} else {
				sub(/[ \t]*#[ \t]*[Ss][Kk][Ii][Pp][ \t]*/, " (skipped: ", line)
				sub(/^(not )?ok/, "not ok", line)
				print line "), " unlisted()
			}
			fflush()
			next
		}
		{ print; fflush() }
		/^not ok([ \t]|$)/ { fail++; next }
		/^ok([ \t]|$)/ { pass++; next }
		END {
			for (i = 1; i <= nexp; i++)
				if (!exp_hit[i])
					print "# " suite ": the expected skip \"" exp_glob[i] "\" did not happen (" exp_why[i] ")"
			print pass, fail, skip, plan > counts
		}'
	status=${PIPESTATUS[0]}
	read -r pass fail skip plan < "$counts"
	ran=$((pass + fail + skip))
	if [ "$status" = 124 ]; then
		echo "not ok - $name: suite timed out after ${this_timeout}s"
		fail=$((fail + 1))
	elif [ "$status" != 0 ] && [ "$fail" = 0 ]; then
		echo "not ok - $name: suite exited with status $status without a failing test"
		fail=$((fail + 1))
	elif [ "$ran" = 0 ]; then
		echo "not ok - $name: suite printed no test result"
		fail=$((fail + 1))
	elif [ "$plan" -gt 0 ] && [ "$plan" != "$ran" ]; then
		echo "not ok - $name: planned $plan tests, reported $ran"
		fail=$((fail + 1))
	fi
	if [ "$fail" != 0 ] && [ -s "$logs/$name.log" ]; then
		echo "# $name stderr (last 30 lines of $logs/$name.log):"
		tail -n 30 "$logs/$name.log" | sed 's/^/#   /'
	fi
	echo "# $name: $pass ok, $fail not ok, $skip skipped in $((SECONDS - start)) s"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
done
echo "# all suites: $((SECONDS - start_all)) s"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]
