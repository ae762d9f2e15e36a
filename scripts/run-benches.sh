#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every benchmark, scripts/bench-*.sh, and write what each printed, with
# the command that produced it, to Documentation/bench-results.txt (or the
# file named by $1). Run under the heavy-job lock so that no other build or
# VM shares the two cores with a measurement.
# Exit status: non-zero if any benchmark failed; the file is written anyway.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
results=${1:-Documentation/bench-results.txt}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

benches=()
for b in scripts/bench-*.sh; do
	[ -x "$b" ] && benches+=("$b")
done
if [ ${#benches[@]} -eq 0 ]; then
	echo "run-benches: no executable scripts/bench-*.sh" >&2
	exit 1
fi

failed=0
{
	echo "Tessera benchmark results"
	echo "========================="
	echo
	echo "Written by \`make bench\` (scripts/run-benches.sh); do not edit by hand."
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	echo "machine: $(nproc) CPUs, $(awk '/^model name/ { sub(/^[^:]*: /, ""); print; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "All VM figures are under QEMU's TCG (software emulation): compare"
	echo "ratios taken within one run, not absolute times."
} > "$tmp"

for b in "${benches[@]}"; do
	echo "run-benches: $b" >&2
	start=$SECONDS
	# stdout is the result; stderr (progress, build logs) goes to the terminal.
	out=$("$b")
	status=$?
	{
		echo
		echo
		echo "$b"
		echo "${b//?/-}"
		echo
		echo "\$ $b"
		printf '%s\n' "$out"
		echo
		echo "(exit status $status, $((SECONDS - start)) s wall)"
	} >> "$tmp"
	printf '%s\n' "$out"
	if [ "$status" != 0 ]; then
		echo "run-benches: $b failed with status $status" >&2
		failed=1
	fi
done
mkdir -p "$(dirname "$results")"
cp "$tmp" "$results"
echo "run-benches: wrote $results" >&2
exit $failed
