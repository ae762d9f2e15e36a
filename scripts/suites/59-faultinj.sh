#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The fault-injection sweep (selftests/faultinj/) in one debug test host:
# for a vGPU and a vFPGA type, every allocation that each path's syscall
# makes from tessera.ko's call sites is failed in turn (fail-nth with the
# stack-trace filter), then every allocation of the ioctl and region paths
# (no filter). Each (type, path, pass) is one line with the faults injected;
# the host also fails on a new taint bit, lockdep turning off, a kmemleak or
# a UBSAN report (scripts/testhost/run.sh on the debug kernel), and
# run-with-watch.sh on pinned, shadow or page-table pages left behind.
#
#   scripts/suites/59-faultinj.sh
#
# Environment: TESSERA_CARD (the -device spec; default a 64 MiB card, so
# that scrubbing a slice on every create, open and close stays cheap),
# TESSERA_FAULTINJ_ARGS (more faultinj options, e.g. --path submit),
# TESSERA_KO (a tessera.ko built for the debug kernel, as is).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

export TESSERA_TESTHOST_KERNEL=debug
top=$suite_top
out=$top/.cache/selftests
logs=$top/.cache/suites/faultinj
card=${TESSERA_CARD:-tessera-card,vram-size=64M}
start=$SECONDS
mkdir -p "$logs"

suite_make "$logs/build.log" "faultinj: the sweep builds" \
	"faultinj: the sweep does not build (make -C selftests/faultinj)" \
	-C "$top/selftests/faultinj" OUT="$out"
suite_module faultinj "$logs"
suite_need faultinj scripts/testhost/run.sh scripts/qemu

log=$logs/faultinj.log
# shellcheck disable=SC2086 # word splitting of extra options is wanted
"$top/scripts/testhost/run.sh" --device "$card" --env TSR_IOMMUFD=1 "${tessera_mods[@]}" \
	--timeout 600 --name faultinj -- \
	"$top/selftests/vfio/run-with-watch.sh" "$out/faultinj" --ko "$mdev_ko" \
	${TESSERA_FAULTINJ_ARGS:-} >"$log" 2>&1
status=$?

plan=-1 ran=0 inner_fail=0 reports=0
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*) tap ok "faultinj: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")"; ran=$((ran + 1)) ;;
	"not ok "[0-9]*)
		tap not-ok "faultinj: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")"
		ran=$((ran + 1)) inner_fail=1 ;;
	1..[0-9]*) plan=${line#1..} ;;
	"TAP version"*) ;;
	"testhost: VM "*": "*) reports=$((reports + 1)); echo "# $line" ;;
	"testhost: "*) echo "# $line" ;;
	# Progress and the kernel's console lines stay in the log.
	"# sweep: "*|"["*) ;;
	"#"*) echo "$line" ;;
	*) echo "# $line" ;;
	esac
done <"$log"

echo "# faultinj: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/faultinj.log)"
if [ "$reports" = 0 ] && { [ "$status" = 0 ] || [ "$inner_fail" = 1 ]; }; then
	tap ok "faultinj: the debug kernel stayed clean: no new taint, lockdep on, no kmemleak or UBSAN report"
else
	tap not-ok "faultinj: the debug kernel stayed clean: no new taint, lockdep on, no kmemleak or UBSAN report (status $status)"
fi
if [ "$plan" -lt 0 ] || [ "$ran" != "$plan" ]; then
	tap not-ok "faultinj: the sweep planned $plan lines and printed $ran (cut short)"
fi
echo "# faultinj: $((SECONDS - start)) s in all"
finish
