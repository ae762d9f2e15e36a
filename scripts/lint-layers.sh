#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The layers of drivers/tessera/ keep their direction: the card driver
# (core/) never reaches up into the mediator (mdev/), and the pure code
# (lib/) into either. Checked two ways, printing one TAP line each:
#  - includes: no file of core/ or lib/ names a header that lives in
#    mdev/, and no file of lib/ one of core/ (a quoted include is found in
#    the including file's folder first, so a name is enough to tell);
#  - symbols: in OBJDIR (a tree where the modules were built; without
#    one the check fails, it never passes unchecked), no object
#    of core/ or lib/tessera_policy.o (what tessera.ko links) needs a
#    symbol that an object of mdev/ defines.
#
#   scripts/lint-layers.sh FIRST-TEST-NUMBER [OBJDIR]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
n=$(( ${1:?usage: lint-layers.sh FIRST-TEST-NUMBER [OBJDIR]} - 1 ))
objdir=${2:-}
failed=0
d=$top/drivers/tessera

headers_of() { find "$d/$1" -maxdepth 1 -name '*.h' -printf '%f\n' | LC_ALL=C sort; }

# layer_includes LAYER FORBIDDEN...: lines "file: header" of a forbidden include
layer_includes()
{
	local layer=$1 h
	shift
	for h in $(for l in "$@"; do headers_of "$l"; done); do
		grep -Hn "^#include \"$h\"" "$d/$layer"/*.[ch] 2>/dev/null
	done
}

n=$((n + 1))
bad=$( { layer_includes core mdev; layer_includes lib mdev core; } | sed "s|^$top/||")
if [ -z "$bad" ]; then
	echo "ok $n - layers: no core/ or lib/ file includes a mediator header, no lib/ file a core one"
else
	echo "not ok $n - layers: a lower layer includes a header of a higher one"
	printf '%s\n' "$bad" | sed 's/^/# /'
	failed=1
fi

n=$((n + 1))
if [ -z "$objdir" ]; then
	echo "not ok $n - layers: tessera.ko's objects call no mediator symbol: no module build to read (the W=1 build above failed)"
	exit 1
fi
core_objs=("$objdir"/drivers/tessera/core/*.o "$objdir/drivers/tessera/lib/tessera_policy.o")
mdev_objs=("$objdir"/drivers/tessera/mdev/*.o)
if [ ! -f "${core_objs[0]}" ] || [ ! -f "${mdev_objs[0]}" ]; then
	echo "not ok $n - layers: no objects under $objdir/drivers/tessera/{core,mdev}"
	exit 1
fi
defined=$(nm --defined-only "${mdev_objs[@]}" | awk 'NF == 3 && $2 ~ /[TDBR]/ { print $3 }' |
	LC_ALL=C sort -u)
bad=$(for o in "${core_objs[@]}"; do
	nm -u "$o" | awk '{ print $2 }' | LC_ALL=C sort -u |
		LC_ALL=C comm -12 - <(printf '%s\n' "$defined") | sed "s|^|${o#"$objdir"/}: |"
done)
if [ -z "$bad" ]; then
	echo "ok $n - layers: tessera.ko's objects call no mediator symbol"
else
	echo "not ok $n - layers: tessera.ko's objects use symbols of the mediator"
	printf '%s\n' "$bad" | sed 's/^/# /'
	failed=1
fi
exit $failed
