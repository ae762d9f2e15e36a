# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # suite_top is for the suites that source this
# Helpers for the suite wrappers in scripts/suites/. Sourced, not run (and
# its name has no NN- prefix, so scripts/run-suites.sh never runs it).

suite_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$suite_top" || exit 1

# suite_exec SCRIPT NAME [ARG...]: hand over to a script that prints TAP,
# or report, as a failure, that it does not exist yet.
suite_exec()
{
	local script=$1 name=$2

	shift 2
	if [ ! -x "$script" ]; then
		echo "1..1"
		echo "not ok 1 - $name: $script does not exist yet (or is not executable)"
		exit 1
	fi
	exec "$script" "$@"
}

# tap_comment_file FILE [LINES]: the end of a log as TAP comments.
tap_comment_file()
{
	tail -n "${2:-30}" "$1" | sed 's/^/# /'
}

# suite_exec_heavy SCRIPT NAME [ARG...]: suite_exec under the heavy-job lock
# (for suites that compile a lot, such as the UML kernel for KUnit).
suite_exec_heavy()
{
	local script=$1 name=$2

	shift 2
	if [ ! -x "$script" ]; then
		suite_exec "$script" "$name"
	fi
	exec "$suite_top/scripts/testhost/with-heavy-lock.sh" "$script" "$@"
}

# For suites that number their own TAP lines. tap ok|not-ok DESCRIPTION
# prints the next line; finish prints the plan (last) and exits, failing if
# any line did. They keep their count in n and failed.
n=0
failed=0
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
finish()
{
	echo "1..$n"
	exit $failed
}

# tap_renumber PREFIX COMMAND...: runs another TAP-printing suite and takes
# its lines into ours, each named "PREFIX: ...", renumbered; its plan is
# dropped (finish prints ours), everything else passes through.
tap_renumber()
{
	local prefix=$1 line

	shift
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*) tap ok "$prefix: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")" ;;
		"not ok "[0-9]*) tap not-ok "$prefix: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")" ;;
		1..[0-9]*) ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1)
}

# suite_module NAME LOGDIR: sets ko to the tessera.ko under test, mdev_ko
# to the tessera_mdev.ko beside it and tessera_mods to the run.sh options
# that load both (tessera.ko first), and says so in a TAP line:
# $TESSERA_KO as given (no rebuild); else, when
# TESSERA_TESTHOST_KERNEL=debug (the suite's test hosts boot the debug
# kernel), the module built against that kernel by
# scripts/build-debug-module.sh; else drivers/tessera/tessera.ko, rebuilt
# against Debian's headers when any of its sources is newer. If there is
# none, a failing line says why and the suite finishes.
suite_module()
{
	local name=$1 logs=$2 kroot

	if [ -n "${TESSERA_KO:-}" ]; then
		ko=$(realpath "$TESSERA_KO")
		suite_module_pair "$name" || finish
		tap ok "$name: testing $ko as given (TESSERA_KO)"
		return
	fi
	if [ "${TESSERA_TESTHOST_KERNEL:-debian}" = debug ]; then
		if ! ko=$("$suite_top/scripts/build-debug-module.sh" 2>"$logs/module.log"); then
			tap not-ok "$name: tessera.ko does not build against the debug kernel (scripts/build-debug-module.sh)"
			tap_comment_file "$logs/module.log" 20
			finish
		fi
		suite_module_pair "$name" || finish
		tap ok "$name: tessera.ko is built against the debug kernel"
		return
	fi
	ko=$suite_top/drivers/tessera/tessera.ko
	if [ -f "$ko" ] && [ -z "$(find "$suite_top/drivers/tessera" "$suite_top/include" \
		\( -name '*.[ch]' -o -name Kbuild \) -newer "$ko" -print -quit)" ]; then
		suite_module_pair "$name" || finish
		tap ok "$name: tessera.ko is built"
		return
	fi
	if ! kroot=$("$suite_top/scripts/fetch-kernel.sh" 2>"$logs/kernel.log"); then
		tap not-ok "$name: Debian's kernel headers are missing (scripts/fetch-kernel.sh failed)"
		tap_comment_file "$logs/kernel.log" 10
		finish
	fi
	# shellcheck source=scripts/versions.sh
	. "$suite_top/scripts/versions.sh"
	if ! make -C "$kroot/usr/src/linux-headers-$TESSERA_KVER" M="$suite_top" modules \
		>"$logs/module.log" 2>&1 || [ ! -f "$ko" ]; then
		tap not-ok "$name: tessera.ko does not build (make -C \$KDIR M=$suite_top modules)"
		tap_comment_file "$logs/module.log" 20
		finish
	fi
	suite_module_pair "$name" || finish
	tap ok "$name: tessera.ko is built"
}

# The mediator is built beside the card driver: TESSERA_KO names tessera.ko
# and tessera_mdev.ko is taken from the same folder.
suite_module_pair()
{
	mdev_ko=$(dirname "$ko")/tessera_mdev.ko
	tessera_mods=(--insmod "$ko" --insmod "$mdev_ko")
	[ -f "$mdev_ko" ] && return
	tap not-ok "$1: no tessera_mdev.ko beside $ko"
	return 1
}

# suite_need NAME PATH...: each PATH (relative to the top, or absolute) must
# be executable, or a failing line names it and the suite finishes.
suite_need()
{
	local name=$1 p

	shift
	for p in "$@"; do
		case $p in /*) ;; *) p=$suite_top/$p ;; esac
		if [ ! -x "$p" ]; then
			tap not-ok "$name: ${p#"$suite_top"/} does not exist yet (or is not installed)"
			finish
		fi
	done
}

# suite_make LOG OK NOT_OK MAKE_ARG...: run make with MAKE_ARGs into LOG;
# a line OK if it builds, else a failing line NOT_OK with the log's last
# lines, and the suite finishes.
suite_make()
{
	local log=$1 ok=$2 not_ok=$3

	shift 3
	if make "$@" >"$log" 2>&1; then
		tap ok "$ok"
		return
	fi
	tap not-ok "$not_ok"
	tap_comment_file "$log" 20
	finish
}

# tap_relay_client NAME LOG STATUS START CONSOLE: relay a client's TAP, run
# by scripts/testhost/run.sh into LOG with exit STATUS since START
# ($SECONDS), as our own lines; then one line for the host kernel's health
# and, when the client's plan and lines disagree, one for that.
tap_relay_client()
{
	local name=$1 log=$2 status=$3 start=$4 console=$5 line rest
	local plan=-1 ran=0 inner_fail=0 taint=''

	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*|"not ok "[0-9]*)
			rest=$(sed -E 's/^(not )?ok [0-9]+ (- )?//' <<< "$line")
			if [ "${line#not }" != "$line" ]; then
				tap not-ok "$rest"
				inner_fail=1
			else
				tap ok "$rest"
			fi
			ran=$((ran + 1)) ;;
		1..[0-9]*) plan=${line#1..} ;;
		"testhost: "*"kernel raised a warning"*) taint=$line; echo "# $line" ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done < "$log"

	echo "# $name: test host exited with status $status after $((SECONDS - start)) s (console: .cache/testhost/logs/$console.log)"
	if [ -n "$taint" ]; then
		tap not-ok "$name: the host kernel stayed free of warnings, oopses and lockups"
	elif [ "$status" = 0 ] || [ "$inner_fail" = 1 ]; then
		tap ok "$name: the host kernel stayed free of warnings, oopses and lockups"
	fi
	if [ "$plan" -lt 0 ]; then
		tap not-ok "$name: the client printed no plan (test host status $status)"
	elif [ "$ran" != "$plan" ]; then
		tap not-ok "$name: planned $plan steps, $ran reported"
	elif [ "$status" != 0 ] && [ "$inner_fail" = 0 ] && [ -z "$taint" ]; then
		tap not-ok "$name: test host exited with status $status without a failing step"
	fi
}
