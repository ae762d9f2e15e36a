#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Write the golden files that smi-test.sh printed with SMI_REGOLD=1 (the
# test host's console log, or the suite's log) into selftests/tools/golden/.
#
#   selftests/tools/regold.sh LOG
set -euo pipefail
log=${1:?usage: regold.sh LOG}
golden=$(cd "$(dirname "$0")" && pwd)/golden
names=$(tr -d '\r' <"$log" | sed -n 's/^golden:\([^:]*\):.*/\1/p' | sort -u)
[ -n "$names" ] || { echo "regold: no golden lines in $log" >&2; exit 1; }
for name in $names; do
	tr -d '\r' <"$log" | sed -n "s|^golden:$name:||p" >"$golden/$name"
	echo "wrote $golden/$name"
done
