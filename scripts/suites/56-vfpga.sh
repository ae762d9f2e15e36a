#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vFPGA instances (selftests/vfpga/): build the tests and tessera.ko, then
# in a fresh test host run the VFIO selftest program (reconfiguration,
# refusals, jobs, isolation, parallel regions), the mdevctl checks and the
# regression tests; then, tessera_mdev.ko loaded again to time-share
# regions (vfpga_share=2), the selftest program and the marker test again:
# selftests/vfpga/in-host.sh both, one test host. One TAP stream, each line
# "vfpga-owned:", "vfpga-regress:", "vfpga-reload:", "vfpga-shared:" or
# "vfpga-shared-marker: <test>"; the plan comes last.
#
# Environment: TESSERA_CARD (the -device spec, default tessera-card),
# TESSERA_SELFTEST_TIMEOUT (seconds for the test host, default 1200),
# TESSERA_KO (a tessera.ko to load instead of building drivers/tessera/).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
# TSR_IOMMUFD=1: the VFIO clients use /dev/iommu and the device cdev.
iommufd_env=()
[ -n "${TSR_IOMMUFD:-}" ] && iommufd_env=(--env "TSR_IOMMUFD=$TSR_IOMMUFD")
set -uo pipefail

top=$suite_top
out=$top/.cache/selftests
logs=$top/.cache/suites/vfpga
card=${TESSERA_CARD:-tessera-card}
vm_timeout=${TESSERA_SELFTEST_TIMEOUT:-1200}
mkdir -p "$logs"

if make -C "$top/selftests/vfio" OUT="$out" >"$logs/build.log" 2>&1 &&
   make -C "$top/selftests/vfpga" OUT="$out" >>"$logs/build.log" 2>&1; then
	tap ok "vfpga: the vFPGA selftests build"
else
	tap not-ok "vfpga: the vFPGA selftests do not build (make -C selftests/vfpga)"
	tap_comment_file "$logs/build.log" 20
	finish
fi

suite_module vfpga "$logs"
suite_need vfpga scripts/testhost/run.sh scripts/qemu

# run_host HOST MODULE-PARAMS COMMAND...: one test host, its TAP renumbered
# into ours, each line named after the group it is in (a line
# "### tessera-group: NAME" starts one); plans are summed to check that
# nothing was cut short.
run_host()
{
	local host=$1 name=$1 params=$2 log=$logs/$1.log start=$SECONDS status line rest
	local planned=0 ran=0 inner_fail=0 taint=''

	shift 2
	"$top/scripts/testhost/run.sh" --device "$card" "${iommufd_env[@]}" --insmod "$ko" --insmod "$mdev_ko $params" \
		--env "TESSERA_MDEV_KO=$mdev_ko" --timeout "$vm_timeout" --name "selftest-$name" -- \
		"$@" >"$log" 2>&1
	status=$?
	while IFS= read -r line; do
		case "$line" in
		"TAP version"*) ;;
		"### tessera-group: "*) name=${line#"### tessera-group: "} ;;
		1..[0-9]*) planned=$((planned + ${line#1..})) ;;
		"ok "[0-9]*|"not ok "[0-9]*)
			rest=$(sed -E 's/^(not )?ok [0-9]+ (- )?//' <<<"$line")
			if [ "${line#not }" != "$line" ]; then
				tap not-ok "$name: $rest"
				inner_fail=1
			else
				tap ok "$name: $rest"
			fi
			ran=$((ran + 1)) ;;
		testhost:*"kernel raised a warning"*) taint=$line; echo "# $line" ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$log"

	name=$host
	echo "# $name: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/selftest-$name.log)"
	if [ -n "$taint" ]; then
		tap not-ok "$name: the host kernel stayed free of warnings, oopses and lockups"
	elif [ "$status" = 0 ] || [ "$inner_fail" = 1 ]; then
		tap ok "$name: the host kernel stayed free of warnings, oopses and lockups"
	fi
	if [ "$planned" = 0 ] || [ "$ran" != "$planned" ]; then
		tap not-ok "$name: planned $planned tests, $ran reported (the run was cut short)"
	elif [ "$status" != 0 ] && [ "$inner_fail" = 0 ] && [ -z "$taint" ]; then
		tap not-ok "$name: test host exited with status $status without a failing test"
	fi
}

run_host vfpga "" "$top/selftests/vfpga/in-host.sh" "$out" both
finish
