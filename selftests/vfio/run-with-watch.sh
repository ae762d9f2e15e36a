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
# In a process group of its own (job control on for this one job): the
# test host's init, its kernel threads and this script share process
# group 0, which the watcher would otherwise take for the test's.
set -m
"$@" &
main=$!
set +m

# The watcher reads /proc with the shell's own `read`: an exec of ps or
# pgrep every few seconds would take CPU from the test it watches (0.4 s
# an exec on the debug test host).
# stat_of PID: the fields of /proc/PID/stat after the command name in st[]
# (st[2] the process group, st[19] the start time in clock ticks).
stat_of()
{
	local line

	read -r line <"/proc/$1/stat" || return 1
	read -ra st <<<"${line##*) }"
}

watch()
{
	local -A seen=()
	local name=${1##*/} hz pgid p pid comm up age wchan line

	name=${name:0:15}
	hz=$(getconf CLK_TCK)
	stat_of "$main" 2>/dev/null || return
	pgid=${st[2]}
	while kill -0 "$main" 2>/dev/null; do
		# the test binary and every process it forked (one per test)
		for p in /proc/[0-9]*; do
			pid=${p#/proc/}
			# not the test itself, this script, the watcher or its sleep
			case $pid in "$main" | "$$" | "$BASHPID") continue ;; esac
			[ -n "${seen[$pid]:-}" ] && continue
			stat_of "$pid" 2>/dev/null || continue
			read -r comm <"$p/comm" 2>/dev/null || continue
			[ "${st[1]}" = "$BASHPID" ] && continue
			[ "${st[2]}" = "$pgid" ] || [ "$comm" = "$name" ] || continue
			read -r up _ </proc/uptime
			age=$(( ${up%.*} - st[19] / hz ))
			[ "$age" -ge "$stuck_s" ] || continue
			seen[$pid]=1
			read -r wchan <"$p/wchan" 2>/dev/null
			echo "# watch: pid $pid ($comm) alive ${age}s, state ${st[0]}, wchan ${wchan:-}; kernel stack:"
			while read -r line; do
				echo "# watch:   $line"
			done <"$p/stack" 2>/dev/null
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
