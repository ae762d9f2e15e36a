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
