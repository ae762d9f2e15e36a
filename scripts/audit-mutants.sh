#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Show that the VFIO selftests notice a broken audit: for each audit mutant
# (tools/fuzz/mutants/NAME.sed, one rule of drivers/tessera/lib/tessera_audit.c
# disabled or bent), build tessera.ko from a copy of the tree with that
# mutation (the committed HEAD's driver) and run the selftest groups of the
# working tree against it. A mutant is killed when
# at least one test of those groups fails; one that survives is a rule no
# selftest checks. Prints TAP, one line per mutant.
#
#   scripts/audit-mutants.sh [-g GROUP]... [MUTANT...]
#
# Default groups: hostile isolation. Default mutants: every accept-* one
# (reject-everything and the wrong-reason and pinning mutants are for the
# fuzzer's oracle: scripts/fuzz.sh --mutants). Takes a test host per group
# and mutant (some 3 minutes each under TCG), so it is not part of
# make check. Needs Debian's kernel headers (scripts/fetch-kernel.sh).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
groups=()
while [ $# -gt 0 ]; do
	case "$1" in
	-g) groups+=("$2"); shift 2 ;;
	-h|--help) sed -n '3,17p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
[ ${#groups[@]} -gt 0 ] || groups=(hostile isolation)
mutants=("$@")
if [ ${#mutants[@]} -eq 0 ]; then
	for f in tools/fuzz/mutants/accept-*.sed; do
		mutants+=("$(basename "$f" .sed)")
	done
fi

out=$top/.cache/audit-mutants
mkdir -p "$out"
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
if ! kroot=$("$top/scripts/fetch-kernel.sh" 2>"$out/kernel.log"); then
	echo "1..1"
	echo "not ok 1 - audit-mutants: Debian's kernel headers are missing (scripts/fetch-kernel.sh)"
	exit 1
fi
kdir=$kroot/usr/src/linux-headers-$TESSERA_KVER

echo "1..${#mutants[@]}"
n=0 failed=0
for m in "${mutants[@]}"; do
	n=$((n + 1))
	sedf=$top/tools/fuzz/mutants/$m.sed
	what=$(sed -n 's/^# //p' "$sedf" 2>/dev/null | grep -v SPDX | tr '\n' ' ' | sed 's/ $//')
	src=$out/$m
	rm -rf "$src"
	mkdir -p "$src"
	# The committed driver: the working tree may hold someone's unfinished edit.
	git archive HEAD Kbuild drivers/tessera include | tar -x -C "$src"
	audit=$src/drivers/tessera/lib/tessera_audit.c
	if [ ! -f "$sedf" ] || ! sed -f "$sedf" "$audit" >"$audit.mutant" ||
	   cmp -s "$audit" "$audit.mutant"; then
		echo "not ok $n - mutant $m: $sedf does not apply to drivers/tessera/lib/tessera_audit.c any more"
		failed=1
		continue
	fi
	mv "$audit.mutant" "$audit"
	if ! make -C "$kdir" M="$src" modules >"$src/build.log" 2>&1; then
		echo "not ok $n - mutant $m: tessera.ko does not build with it (see $src/build.log)"
		failed=1
		continue
	fi
	TESSERA_KO=$src/drivers/tessera/tessera.ko \
		"$top/scripts/suites/50-selftests.sh" "${groups[@]}" >"$src/selftests.log" 2>&1
	# Failing tests of the groups (not the suite's own bookkeeping lines).
	mapfile -t killers < <(sed -n -E 's/^not ok [0-9]+ - ([a-z_]+: [a-z_0-9]+\.[^ ]*).*/\1/p' \
		"$src/selftests.log")
	if [ ${#killers[@]} -gt 0 ]; then
		echo "ok $n - mutant $m is killed by ${#killers[@]} failing tests ($what)"
		printf '#   %s\n' "${killers[@]}"
	else
		echo "not ok $n - mutant $m survives ${groups[*]} ($what)"
		grep -E '^(not )?ok ' "$src/selftests.log" | tail -n 5 | sed 's/^/#   /'
		failed=1
	fi
done
exit $failed
