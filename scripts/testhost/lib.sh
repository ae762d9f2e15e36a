# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this
# Shared by the test-host scripts: where things live, and the machine-wide
# lock that keeps two heavy jobs (VM runs, big builds) off the two cores at once.
# Sourced, not run.

testhost_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/versions.sh
. "$testhost_top/scripts/versions.sh"
testhost_kver=$TESSERA_KVER
testhost_cache="$testhost_top/.cache/testhost"

# Is the lock file $1 held by one of our ancestors (for example
# `flock .cache/heavy.lock make check`)? Taking it again would deadlock.
testhost_lock_held_by_ancestor()
{
	local inode holders pid

	inode=$(stat -c %i "$1") || return 1
	holders=$(awk -v ino="$inode" '$2 == "FLOCK" {
		n = split($6, f, ":"); if (f[n] == ino) print $5 }' /proc/locks)
	[ -n "$holders" ] || return 1
	pid=$$
	while [ "$pid" -gt 1 ]; do
		for h in $holders; do
			[ "$h" = "$pid" ] && return 0
		done
		pid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	done
	return 1
}

# Take the shared heavy-job lock for the rest of this process's life.
# TESSERA_HEAVY_LOCK names another lock file (a second clone of the repo
# shares the first one's); TESSERA_HEAVY_LOCK_HELD=1 says a caller holds it.
testhost_heavy_lock()
{
	local lock=${TESSERA_HEAVY_LOCK:-$testhost_top/.cache/heavy.lock}

	[ "${TESSERA_HEAVY_LOCK_HELD:-}" = 1 ] && return 0
	mkdir -p "$(dirname "$lock")"
	exec {testhost_lock_fd}>>"$lock"
	if ! flock -n "$testhost_lock_fd"; then
		if testhost_lock_held_by_ancestor "$lock"; then
			return 0
		fi
		echo "testhost: waiting for $lock (another heavy job runs)" >&2
		flock "$testhost_lock_fd"
	fi
	export TESSERA_HEAVY_LOCK_HELD=1
}
