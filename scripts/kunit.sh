#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run Tessera's KUnit suites under UML with the kernel's own kunit.py, from
# an unpacked copy of Debian's linux-source-6.12 kept in .cache/kunit/
# (make check runs them on the debug test host: scripts/suites/40-kunit.sh).
# The project's drivers/tessera/lib/ is linked in as drivers/misc/tessera; only
# the pure core (no VFIO or PCI) is built there, chosen by its Kconfig.
# Prints KTAP on stdout and exits non-zero if any case fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache/kunit"
src="$cache/linux-source-6.12"
build="$cache/build"
tarball=/usr/src/linux-source-6.12.tar.xz

if [ ! -f "$src/.tessera-ready" ]; then
	[ -f "$tarball" ] || { echo "kunit: $tarball missing (run scripts/install-deps.sh)" >&2; exit 1; }
	rm -rf "$src"
	mkdir -p "$cache"
	tar -C "$cache" -xf "$tarball"
	echo 'source "drivers/misc/tessera/Kconfig"' >> "$src/drivers/misc/Kconfig"
	echo 'obj-y += tessera/' >> "$src/drivers/misc/Makefile"
	touch "$src/.tessera-ready"
fi
# Link this checkout's sources afresh each run, so that new files appear.
# make still compares mtimes: a build tree taken from another clone, with
# objects newer than this checkout's sources, runs its old code until the
# sources are touched.
dir="$src/drivers/misc/tessera"
rm -rf "$dir"
mkdir -p "$dir"
ln -s "$top"/drivers/tessera/lib/*.[ch] "$top/include/tessera_hw.h" "$dir/"
for f in Kconfig Makefile .kunitconfig; do
	ln -s "$top/drivers/tessera/kunit/$f" "$dir/$f"
done

json="$cache/results.json"
rm -f "$json"
cd "$src"
status=0
# kunit.py's exit code and --json are reliable; --raw_output exits 0 even on
# failures, so the KTAP the aggregator reads is rebuilt from the JSON.
python3 tools/testing/kunit/kunit.py run \
	--kunitconfig=drivers/misc/tessera \
	--build_dir="$build" --jobs "$(nproc)" \
	--json="$json" >"$cache/run.log" 2>&1 || status=$?
if [ ! -s "$json" ]; then
	echo "1..1"
	echo "not ok 1 - kunit: no results (build or boot failed)"
	tail -n 40 "$cache/run.log" | sed 's/^/# /'
	exit 1
fi
python3 "$top/scripts/kunit-json-to-tap.py" "$json"
[ "$status" = 0 ] || tail -n 40 "$cache/run.log" | sed 's/^/# /'
exit "$status"
