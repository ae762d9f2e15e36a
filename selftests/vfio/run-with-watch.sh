#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs a selftest binary inside the test host and, alongside, a watcher
# that collects evidence when something hangs: for any process of the test
# that stays alive longer than WATCH_STUCK_S (default 90 s; no single test
# should take that long), it prints the process's kernel stack once as TAP
# comments, so that a driver hang shows where it hangs. After the binary,
# with every instance removed, the debugfs counters (both modules') of pinned,
# shadow and page-table pages must be back at zero, or the run fails.
#
#   selftests/vfio/run-with-watch.sh BINARY [ARG...]
set -u

stuck_s=${WATCH_STUCK_S:-90}
"$@" &
main=$!

watch()
{
	local -A seen=()
	local pid age comm state

	while kill -0 "$main" 2>/dev/null; do
		# the test binary and every process it forked (one per test)
		for pid in $(pgrep -g "$(ps -o pgid= "$main" | tr -d ' ')" 2>/dev/null) \
			   $(pgrep -f "$(basename "$1")" 2>/dev/null); do
			[ "$pid" = "$main" ] && continue
			[ -n "${seen[$pid]:-}" ] && continue
			age=$(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ')
			if [ -z "$age" ] || [ "$age" -lt "$stuck_s" ]; then
				continue
			fi
			seen[$pid]=1
			comm=$(cat "/proc/$pid/comm" 2>/dev/null)
			state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
			echo "# watch: pid $pid ($comm) alive ${age}s, state $state, wchan $(cat "/proc/$pid/wchan" 2>/dev/null); kernel stack:"
			sed 's/^/# watch:   /' "/proc/$pid/stack" 2>/dev/null
		done
		sleep 10
	done
}
watch "$1" &
watcher=$!
wait "$main"
status=$?
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

# Every instance is gone now: what they held for the card must be too
# (the debugfs counters: the mediator's pinned and shadow pages, the
# core's page-table pages).
counters="/sys/kernel/debug/tessera/mdev_counters /sys/kernel/debug/tessera/counters"
# shellcheck disable=SC2086 # two files
if [ -r "${counters%% *}" ] && [ -z "$(ls /sys/bus/mdev/devices 2>/dev/null)" ]; then
	if awk '$2 != 0 { bad = 1 } END { exit !bad }' $counters; then
		echo "# Tessera still holds memory after every instance is gone:"
		cat $counters | sed 's/^/#   /'
		[ "$status" != 0 ] || status=1
	fi
fi
exit $status
