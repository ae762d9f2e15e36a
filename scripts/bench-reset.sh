#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What a tenant looping on VF_RESET costs another, for `make bench`: the
# other tenant's FILL throughput under the storm against quiet, measured
# side by side in one test-host run (selftests/bench/reset_bench.c).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.cache/selftests
make -s -C "$top/selftests/bench" OUT="$out" >&2
ko=${TESSERA_KO:-$top/drivers/tessera/tessera.ko}
if [ -z "${TESSERA_KO:-}" ]; then
	# shellcheck source=scripts/versions.sh
	. "$top/scripts/versions.sh"
	kdir=$("$top/scripts/fetch-kernel.sh")/usr/src/linux-headers-$TESSERA_KVER
	make -s -C "$kdir" M="$top" modules >&2
fi
"$top/scripts/testhost/run.sh" --device tessera-card --insmod "$ko" --insmod "${ko%/*}/tessera_mdev.ko" \
	--timeout 900 --name bench-reset -- "$out/reset-bench"
