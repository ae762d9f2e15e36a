#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The stateful VFIO uAPI fuzzer (selftests/fuzz/vfio_fuzz) against every
# mdev type, all in one test host (the default, TESSERA_FUZZ_HOSTS=one:
# saves a boot per type; each run still fails on a report new since it
# started, but one that kills the host takes every later type with it), or
# each in a fresh one (TESSERA_FUZZ_HOSTS=per-type: a kernel report or hang
# on one type leaves the others their own host; on the debug kernel a
# lockdep report has been seen to oops the kernel while printing it; `make
# fuzz` runs so). One TAP line per
# type, with the seed and the operation count; the plan comes last.
#
#   scripts/suites/58-uapifuzz.sh [TYPE...]      e.g. `... tessera-vgpu-2`
#
# Environment:
#   TESSERA_FUZZ_SECONDS   time budget per type (default 12 on Debian's kernel,
#                          18 on the debug kernel (suite 61); `make fuzz`: 600)
#   TESSERA_FUZZ_SEED      one seed for every type (default: a random one each)
#   TESSERA_FUZZ_ARGS      more vfio_fuzz options (e.g. --threads 3 --heavy)
#   TESSERA_FUZZ_HOSTS     one (default) or per-type
#   TESSERA_FUZZ_IOMMU     type1 (container and group) or iommufd (the device
#                          cdev bound to an IOAS); default type1, iommufd on
#                          the debug kernel, where lockdep reports type1's
#                          own lock order at the first unmap of pinned pages
#   TESSERA_TESTHOST_KERNEL  passed on to scripts/testhost/run.sh (debian or
#                          debug); with debug and no TESSERA_KO, the module
#                          comes from scripts/build-debug-module.sh
#   TESSERA_FUZZ_MTTY      1: also the kernel's mdev sample, mtty.ko (default:
#                          on the debug kernel, which builds it): its known
#                          oops must be found, in a test host of its own
#   TESSERA_KO             a tessera.ko to test as is
#   TESSERA_CARD           the -device spec (default tessera-card)
# A failing type's console is in .cache/suites/uapifuzz/<type>.log (on the
# debug kernel .cache/suites/uapifuzz-debug/) and its
# last operations in <type>.replay, for `vfio_fuzz --replay` (see
# selftests/README.rst).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
out=$top/.cache/selftests
card=${TESSERA_CARD:-tessera-card}
kernel=${TESSERA_TESTHOST_KERNEL:-debian}
# The thorough run is the debug kernel's (suite 61); Debian's is its smoke.
if [ "$kernel" = debug ]; then
	seconds=${TESSERA_FUZZ_SECONDS:-60}
	logs=$top/.cache/suites/uapifuzz-debug
else
	seconds=${TESSERA_FUZZ_SECONDS:-12}
	logs=$top/.cache/suites/uapifuzz
fi
mkdir -p "$logs"
export TESSERA_TESTHOST_KERNEL=$kernel
# shellcheck source=selftests/fuzz/fuzz-result.sh
. "$top/selftests/fuzz/fuzz-result.sh"
hosts=${TESSERA_FUZZ_HOSTS:-one}
if [ "$kernel" = debug ]; then
	iommu=${TESSERA_FUZZ_IOMMU:-iommufd}
else
	iommu=${TESSERA_FUZZ_IOMMU:-type1}
fi

# vgpu-4 lies between vgpu-2 and vgpu-8; vgpu-32 is the smallest slice.
all_types=(tessera-vgpu-1 tessera-vgpu-2 tessera-vgpu-8 tessera-vgpu-32
	   tessera-vfpga-1 tessera-vfpga-2 tessera-vfpga-4)
if [ $# -gt 0 ]; then
	types=("$@")
else
	types=("${all_types[@]}")
fi
case "$seconds" in
''|*[!0-9]*) tap not-ok "uapifuzz: TESSERA_FUZZ_SECONDS wants whole seconds, not '$seconds'"; finish ;;
esac

suite_make "$logs/build.log" "uapifuzz: vfio_fuzz builds" \
	"uapifuzz: vfio_fuzz does not build (make -C selftests/fuzz)" \
	-C "$top/selftests/fuzz" OUT="$out"

# The debug kernel needs a module built for it.
if [ "$kernel" = debug ] && [ -z "${TESSERA_KO:-}" ]; then
	if [ -x "$top/scripts/build-debug-module.sh" ] &&
	   TESSERA_KO=$("$top/scripts/build-debug-module.sh" 2>"$logs/debug-module.log" | tail -n 1) &&
	   [ -f "$TESSERA_KO" ]; then
		export TESSERA_KO
	else
		tap not-ok "uapifuzz: no tessera.ko for the debug kernel (scripts/build-debug-module.sh)"
		tap_comment_file "$logs/debug-module.log" 10
		finish
	fi
fi
suite_module uapifuzz "$logs"
suite_need uapifuzz scripts/testhost/run.sh scripts/qemu

# A run may take its budget, the fuzzer's wind-down and hang detection
# (2 x 45 s) and a boot on top.
vm_timeout=$((seconds + 240))
args=(--seconds "$seconds" --tail 60)
iommu_flag=
[ "$iommu" = iommufd ] && iommu_flag='--iommufd ' && args+=(--iommufd)
[ -n "${TESSERA_FUZZ_SEED:-}" ] && args+=(--seed "$TESSERA_FUZZ_SEED")
# shellcheck disable=SC2206 # word splitting of extra options is wanted
[ -n "${TESSERA_FUZZ_ARGS:-}" ] && args+=(${TESSERA_FUZZ_ARGS})

# report TYPE LOG STATUS SECONDS-TAKEN: the type's TAP line from its output.
report()
{
	local type=$1 log=$2 status=$3 took=$4 result seed ops rate what reason

	grep '^# op: ' "$log" >"$logs/$type.replay"
	fuzz_result "$log"
	result=$fz_result seed=$fz_seed ops=$fz_ops rate=$fz_rate
	what="uapifuzz: $type: seed=${seed:-?} ops=${ops:-?} in ${seconds} s (${rate:-?}/s) on the $kernel kernel, $iommu"
	echo "# $type: exit status $status${took:+ after $took s}"
	grep -E '^# vfio_fuzz: (strict|the mediator)' "$log" | head -n 2
	if [ "$status" = 0 ] && [[ $result == "vfio_fuzz: PASS "* ]]; then
		tap ok "$what, no oracle violation, no kernel report, no hang"
		return
	fi
	reason=$fz_reason
	if [ -z "$result" ]; then
		reason="no result (exit status $status)"
	elif [ -z "$reason" ]; then
		reason="the test host reported status $status"
	fi
	tap not-ok "$what: $reason"
	grep -E '^(testhost:|# vfio_fuzz: (FAIL|oracle)|# ORACLE|# HANG|# kmsg: .*(BUG|WARNING|RIP|Oops|KASAN|lockdep|circular|tessera_))' \
		"$log" | grep -v "waiting for" | head -n 25 | sed 's/^# //; s/^/# /'
	echo "# replay: TESSERA_TESTHOST_KERNEL=$kernel scripts/testhost/run.sh --device $card --insmod $ko -- $out/vfio_fuzz --type $type $iommu_flag--replay $logs/$type.replay"
	echo "# rerun:  ... $out/vfio_fuzz --type $type --seed ${seed:-?} --seconds $seconds $iommu_flag"
}

# The kernel's own samples/vfio-mdev/mtty.ko does not bound its region
# offsets (mdev_access() copies from vconfig + offset): a hostile client
# oopses it. The fuzzer, in its generic mode (VFIO's rules only), must find
# that within the budget; --keep-going, since mtty also breaks VFIO's rules
# without crashing (accesses past a region's end succeed).
mtty_check()
{
	local log=$logs/mtty.log start=$SECONDS status

	[ "${TESSERA_FUZZ_MTTY:-$([ "$kernel" = debug ] && echo 1)}" = 1 ] || return 0
	"$top/scripts/testhost/run.sh" --modprobe mtty --timeout "$vm_timeout" --name uapifuzz-mtty \
		-- "$out/vfio_fuzz" --parent mtty --type mtty-2 --seconds "$seconds" --keep-going \
		--tail 20 >"$log" 2>&1
	status=$?
	fuzz_result "$log"
	echo "# mtty: exit status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/uapifuzz-mtty.log)"
	if [[ $fz_reason == kernel-report* ]]; then
		tap ok "uapifuzz: mtty-2 (samples/vfio-mdev/mtty.ko): its known oops found after ${fz_ops:-?} operations in ${fz_secs:-?} s (seed ${fz_seed:-?})"
		grep -E '^# kmsg: (UBSAN|KASAN|BUG|WARNING|Oops|general protection)' "$log" | head -n 3
	else
		tap not-ok "uapifuzz: mtty-2 (samples/vfio-mdev/mtty.ko): its known oops not found in $seconds s (${fz_result:-no result, status $status})"
		grep -E '^(testhost:|# vfio_fuzz: FAIL)' "$log" | head -n 5 | sed 's/^# //; s/^/# /'
	fi
}

if [ "$hosts" = one ]; then
	log=$logs/all.log
	start=$SECONDS
	# shellcheck disable=SC2016 # expanded by the test host's shell
	"$top/scripts/testhost/run.sh" --device "$card" "${tessera_mods[@]}" \
		--timeout $((${#types[@]} * (seconds + 150) + 120)) --name uapifuzz -- \
		/bin/bash -c 'f=$1; n=$2; shift 2; a=("${@:1:n}"); shift "$n"
			for t; do echo "### uapifuzz begin $t"; "$f" --type "$t" "${a[@]}"
				echo "### uapifuzz end $t $?"; done' \
		_ "$out/vfio_fuzz" "${#args[@]}" "${args[@]}" "${types[@]}" >"$log" 2>&1
	status=$?
	echo "# one test host for ${#types[@]} types: status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/uapifuzz.log)"
	for type in "${types[@]}"; do
		sed -n "/^### uapifuzz begin $type\$/,/^### uapifuzz end $type /p" "$log" >"$logs/$type.log"
		st=$(sed -n "s/^### uapifuzz end $type \([0-9]*\)\$/\1/p" "$logs/$type.log")
		report "$type" "$logs/$type.log" "${st:-$status}" ""
	done
	mtty_check
	finish
fi

for type in "${types[@]}"; do
	log=$logs/$type.log
	start=$SECONDS
	"$top/scripts/testhost/run.sh" --device "$card" "${tessera_mods[@]}" --timeout "$vm_timeout" \
		--name "uapifuzz-$type" -- "$out/vfio_fuzz" --type "$type" "${args[@]}" >"$log" 2>&1
	status=$?
	report "$type" "$log" "$status" $((SECONDS - start))
done
mtty_check
finish
