#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Planted-bug runs: does the VFIO uAPI fuzzer catch a bug we know is there?
# For each PATCH (typically one that reverts a fix, selftests/fuzz/planted/),
# apply it to a temporary worktree of HEAD, build tessera.ko from it, run
# vfio_fuzz against that module in a fresh test host and expect the run to
# FAIL (oracle violation, kernel report or hang). One TAP line per patch:
# "ok" when the bug was caught, "not ok" when the fuzzer ran its whole
# budget without noticing, or the patch does not apply or build.
#
#   scripts/fuzz-planted.sh [--type T] [--seconds S] [--seed N] PATCH...
#   scripts/fuzz-planted.sh selftests/fuzz/planted/*.patch
#
# A patch may name its type and budget in its description (before the diff):
#   Fuzz-Type: tessera-vgpu-2        (several lines: each type is run)
#   Fuzz-Seconds: 60
# --type/--seconds override them. Environment: KDIR (headers to build
# against; default Debian's, as `make modules`, or the debug kernel's with
# TESSERA_TESTHOST_KERNEL=debug, which is passed on to the test host),
# TESSERA_CARD.
# Logs: .cache/planted/<patch>-<type>.log; the worktree is removed after.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
# shellcheck source=selftests/fuzz/fuzz-result.sh
. "$top/selftests/fuzz/fuzz-result.sh"
card=${TESSERA_CARD:-tessera-card}
logs=$top/.cache/planted
opt_types=() opt_seconds='' opt_seed=''
while [ $# -gt 0 ]; do
	case "$1" in
	--type) opt_types+=("$2"); shift 2 ;;
	--seconds) opt_seconds=$2; shift 2 ;;
	--seed) opt_seed=$2; shift 2 ;;
	-h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "fuzz-planted: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "usage: scripts/fuzz-planted.sh [--type T] [--seconds S] [--seed N] PATCH..." >&2
	exit 2
fi
mkdir -p "$logs"

n=0 failed=0
tap()
{
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}

if ! make -C "$top/selftests/fuzz" OUT="$top/.cache/selftests" >"$logs/build.log" 2>&1; then
	tap not-ok "planted: vfio_fuzz does not build (make -C selftests/fuzz)"
	tail -n 20 "$logs/build.log" | sed 's/^/# /'
	echo "1..$n"
	exit 1
fi
fuzz=$top/.cache/selftests/vfio_fuzz
if [ -z "${KDIR:-}" ] && [ "${TESSERA_TESTHOST_KERNEL:-debian}" = debug ]; then
	KDIR=$("$top/scripts/build-debug-kernel.sh") || { echo "fuzz-planted: no debug kernel" >&2; exit 2; }
elif [ -z "${KDIR:-}" ]; then
	kroot=$("$top/scripts/fetch-kernel.sh") || { echo "fuzz-planted: no kernel headers" >&2; exit 2; }
	KDIR=$kroot/usr/src/linux-headers-$TESSERA_KVER
fi

wt=''
cleanup()
{
	if [ -n "$wt" ] && [ -d "$wt" ]; then
		git -C "$top" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
		git -C "$top" worktree prune >/dev/null 2>&1
	fi
	wt=''
}
trap cleanup EXIT

for patch in "$@"; do
	name=$(basename "$patch" .patch)
	patch=$(realpath -e "$patch") || { tap not-ok "planted $name: no such patch"; continue; }
	types=("${opt_types[@]}")
	if [ ${#types[@]} -eq 0 ]; then
		mapfile -t types < <(sed -n 's/^Fuzz-Type: *\([^ ]*\).*/\1/p' "$patch")
		[ ${#types[@]} -gt 0 ] || types=(tessera-vgpu-2)
	fi
	seconds=${opt_seconds:-$(sed -n 's/^Fuzz-Seconds: *\([0-9]*\).*/\1/p' "$patch" | head -n 1)}
	seconds=${seconds:-60}

	# HEAD with the bug planted
	cleanup
	wt=$logs/wt-$name
	rm -rf "$wt"
	if ! git -C "$top" worktree add --detach "$wt" HEAD >"$logs/$name.build.log" 2>&1; then
		tap not-ok "planted $name: cannot make a worktree of HEAD"
		continue
	fi
	if ! git -C "$wt" apply "$patch" >>"$logs/$name.build.log" 2>&1; then
		tap not-ok "planted $name: the patch does not apply to HEAD (was the fix changed?)"
		tail -n 5 "$logs/$name.build.log" | sed 's/^/# /'
		continue
	fi
	if ! "$top/scripts/testhost/with-heavy-lock.sh" make -C "$KDIR" M="$wt" modules \
		>>"$logs/$name.build.log" 2>&1 || [ ! -f "$wt/drivers/tessera/tessera.ko" ]; then
		tap not-ok "planted $name: the module does not build with the patch"
		tail -n 10 "$logs/$name.build.log" | sed 's/^/# /'
		continue
	fi
	mkdir -p "$logs/$name.modules"
	ko=$logs/$name.modules/tessera.ko
	cp "$wt/drivers/tessera/tessera.ko" "$wt/drivers/tessera/tessera_mdev.ko" "$logs/$name.modules/"
	cleanup

	for type in "${types[@]}"; do
		log=$logs/$name-$type.log
		args=(--type "$type" --seconds "$seconds" --tail 30)
		[ -n "$opt_seed" ] && args+=(--seed "$opt_seed")
		"$top/scripts/testhost/run.sh" --device "$card" --insmod "$ko" --insmod "${ko%/*}/tessera_mdev.ko" \
			--timeout $((seconds + 240)) --name "planted-$name" -- "$fuzz" "${args[@]}" \
			>"$log" 2>&1
		status=$?
		fuzz_result "$log"
		result=$fz_result seed=$fz_seed ops=$fz_ops secs=$fz_secs reason=$fz_reason
		case "$result" in
		"vfio_fuzz: FAIL "*)
			tap ok "planted $name on $type: caught after ${ops:-?} operations in ${secs:-?} s (seed ${seed:-?}): $reason"
			grep -E '^# (vfio_fuzz: oracle|ORACLE|HANG|kmsg: .*(BUG|WARNING|RIP))' "$log" |
				head -n 4 | sed 's/^# /# /'
			;;
		"vfio_fuzz: PASS "*)
			tap not-ok "planted $name on $type: NOT caught in $seconds s (${ops:-?} operations, seed ${seed:-?})" ;;
		*)
			tap not-ok "planted $name on $type: no fuzzer result (test host status $status; see $log)"
			tail -n 5 "$log" | sed 's/^/# /' ;;
		esac
	done
done
echo "1..$n"
exit $failed
