#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs several selftest binaries one after the other inside one test host,
# each under run-with-watch.sh (hang evidence, the module's counters back
# at zero after it), between markers that scripts/suites/50-selftests.sh
# splits the console log at:
#   ### tessera-group: NAME           before NAME's output
#   ### tessera-group-end: NAME STATUS SECONDS after it
# Exits non-zero if any of them did.
#
#   selftests/vfio/run-groups.sh BINARY...
set -u

here=$(dirname "$0")
worst=0
for bin in "$@"; do
	name=$(basename "$bin")
	echo "### tessera-group: $name"
	# /proc/uptime, not date: an exec costs 0.5 s on the debug test host.
	read -r began _ </proc/uptime
	"$here/run-with-watch.sh" "$bin"
	status=$?
	read -r ended _ </proc/uptime
	echo "### tessera-group-end: $name $status $(( ${ended%.*} - ${began%.*} ))"
	[ "$status" = 0 ] || worst=$status
done
exit "$worst"
