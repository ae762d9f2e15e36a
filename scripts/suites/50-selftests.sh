#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VFIO selftests (selftests/vfio/): build them and tessera.ko, then run
# every test group in one test host with the card and the module loaded (or
# each group in a fresh one).
# One TAP stream: every test of every group is one numbered line named
# "<group>: <fixture>.<variant>.<test>"; the plan comes last.
#
#   scripts/suites/50-selftests.sh [GROUP...]     e.g. `... hostile irq`
#
# Environment: TESSERA_CARD (the -device spec, default tessera-card),
# TESSERA_SELFTEST_TIMEOUT (seconds per test host, default 1200),
# TESSERA_SELFTEST_HOSTS (one, the default: every group in one test host,
# in order, each under run-with-watch.sh, a boot per group saved; or
# per-group: a fresh test host for each, so that a group that kills its
# host leaves the others theirs).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
# TSR_IOMMUFD=1: the VFIO clients use /dev/iommu and the device cdev.
iommufd_env=()
[ -n "${TSR_IOMMUFD:-}" ] && iommufd_env=(--env "TSR_IOMMUFD=$TSR_IOMMUFD")
set -uo pipefail

top=$suite_top
out=$top/.cache/selftests
logs=$top/.cache/suites/selftests
card=${TESSERA_CARD:-tessera-card}
vm_timeout=${TESSERA_SELFTEST_TIMEOUT:-1200}
mkdir -p "$logs"

all_groups=(config_space registers bar2 commands irq reset isolation dma_unmap bind hostile regress marker)
if [ $# -gt 0 ]; then
	groups=("$@")
else
	groups=("${all_groups[@]}")
fi


# --- prerequisites: each missing one is a failing line that says what ---

suite_make "$logs/build.log" "selftests: the VFIO selftests build" \
	"selftests: the VFIO selftests do not build (make -C selftests/vfio)" \
	-C "$top/selftests/vfio" OUT="$out"

suite_module selftests "$logs"

suite_need selftests scripts/testhost/run.sh scripts/qemu

# report_group GROUP LOG STATUS SECONDS [SHARED]: the group's TAP, renumbered
# into ours, and the checks of its test host (or, SHARED=1, of its part of
# the one host, whose own checks are reported once for all groups).
report_group()
{
	local group=$1 log=$2 status=$3 took=$4 shared=${5:-0} results plan ran inner_fail taint hostmsg line

	# Renumber the group's TAP into ours; everything else becomes a comment.
	results=$(awk -v group="$group" '
		/^TAP version/ { next }
		/^1\.\.[0-9]+/ { print "PLAN " substr($1, 4); next }
		/^(not )?ok [0-9]+ / {
			notok = ($1 == "not")
			rest = $0
			sub(/^(not )?ok [0-9]+ (- )?/, "", rest)
			print (notok ? "NOTOK " : "OK ") group ": " rest
			next
		}
		/^testhost: .*kernel raised a warning/ { print "TAINT " $0; next }
		/^testhost: / { print "HOST " $0; next }
		/^#/ { print; next }
		{ print "# " $0 }
	' "$log")
	plan=-1 ran=0 inner_fail=0 taint='' hostmsg=''
	while IFS= read -r line; do
		case "$line" in
		"PLAN "*) plan=${line#PLAN } ;;
		"OK "*) tap ok "${line#OK }"; ran=$((ran + 1)) ;;
		"NOTOK "*) tap not-ok "${line#NOTOK }"; ran=$((ran + 1)); inner_fail=1 ;;
		"TAINT "*) taint=${line#TAINT }; echo "# ${taint}" ;;
		"HOST "*) hostmsg=${line#HOST }; echo "# ${hostmsg}" ;;
		*) echo "$line" ;;
		esac
	done <<< "$results"

	echo "# $group: exited with status $status after $took s (log: ${log#"$top"/})"
	if [ -n "$taint" ]; then
		tap not-ok "$group: the host kernel stayed free of warnings, oopses and lockups"
	elif [ "$shared" = 0 ] && { [ "$status" = 0 ] || [ "$inner_fail" = 1 ]; }; then
		tap ok "$group: the host kernel stayed free of warnings, oopses and lockups"
	fi
	if [ "$plan" -ge 0 ] && [ "$ran" != "$plan" ]; then
		tap not-ok "$group: planned $plan tests, $ran reported (the run was cut short)"
	elif [ "$plan" -lt 0 ]; then
		tap not-ok "$group: the selftest printed no plan (${hostmsg:-test host status $status})"
	elif [ "$status" != 0 ] && [ "$inner_fail" = 0 ] && [ -z "$taint" ]; then
		tap not-ok "$group: test host exited with status $status without a failing test"
	fi
}

present=()
for group in "${groups[@]}"; do
	if [ -x "$out/${group}_test" ]; then
		present+=("$group")
	else
		tap not-ok "$group: no such selftest ($out/${group}_test)"
	fi
done

if [ "${TESSERA_SELFTEST_HOSTS:-one}" = one ]; then
	# --- one test host for every group: a boot (and, on the debug kernel,
	# a kmemleak scan) per group saved; each group still runs under
	# run-with-watch.sh, which checks the module's counters after it, and
	# the host's kernel checks (taint, lockdep, kmemleak) cover them all ---
	log=$logs/one-host.log
	start=$SECONDS
	bins=()
	for group in "${present[@]}"; do
		bins+=("$out/${group}_test")
	done
	"$top/scripts/testhost/run.sh" --device "$card" "${iommufd_env[@]}" "${tessera_mods[@]}" \
		--timeout "$vm_timeout" --name selftest-one-host -- \
		"$top/selftests/vfio/run-groups.sh" "${bins[@]}" >"$log" 2>&1
	status=$?
	# Split the host's log at the markers run-groups.sh prints.
	worst=0
	for group in "${present[@]}"; do
		awk -v want="${group}_test" '
			/^### tessera-group: / { on = ($3 == want); next }
			/^### tessera-group-end: / { if (on) print "### status " $4 " " $5; on = 0; next }
			on { print }
		' "$log" >"$logs/$group.log"
		read -r gstatus gtook <<<"$(sed -n 's/^### status //p' "$logs/$group.log")"
		sed -i '/^### status /d' "$logs/$group.log"
		# A group the host never finished (it hung or died in it) fails.
		report_group "$group" "$logs/$group.log" "${gstatus:-unfinished}" "${gtook:-?}" 1
		[ "${gstatus:-1}" = 0 ] || worst=1
	done
	echo "# one test host for ${#present[@]} groups: status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/selftest-one-host.log)"
	sed -n 's/^\(testhost: .*\)/# \1/p' "$log"
	# The host's own checks (taint, lockdep, UBSAN, kmemleak) cover every group.
	if grep -q '^testhost: .*kernel raised a warning' "$log"; then
		tap not-ok "selftests: the host kernel stayed free of warnings, oopses and lockups"
	elif [ "$status" != 0 ] && [ "$worst" = 0 ]; then
		tap not-ok "selftests: the test host exited with status $status though every group passed (a kernel report: see the console)"
	else
		tap ok "selftests: the host kernel stayed free of warnings, oopses and lockups"
	fi
else
	# --- one fresh test host per group ---
	for group in "${present[@]}"; do
		log=$logs/$group.log
		start=$SECONDS
		"$top/scripts/testhost/run.sh" --device "$card" "${iommufd_env[@]}" "${tessera_mods[@]}" \
			--timeout "$vm_timeout" --name "selftest-$group" -- \
			"$top/selftests/vfio/run-with-watch.sh" "$out/${group}_test" >"$log" 2>&1
		status=$?
		report_group "$group" "$log" "$status" $((SECONDS - start))
	done
fi
finish
