#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The engine scheduler's fairness, latency and overhead, for `make bench`:
# one test-host run with two Tessera cards of one engine each
# (selftests/sched/bench-guest.sh runs inside it). Every engine-time figure
# is the card's own (busy counters, clock, ENG_SWITCH_LAT_NS).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.cache/sched-selftests
make -s -C "$top/selftests/sched" OUT="$out" >&2
ko=${TESSERA_KO:-$top/drivers/tessera/tessera.ko}
if [ -z "${TESSERA_KO:-}" ]; then
	# shellcheck source=scripts/versions.sh
	. "$top/scripts/versions.sh"
	kdir=$("$top/scripts/fetch-kernel.sh")/usr/src/linux-headers-$TESSERA_KVER
	make -s -C "$kdir" M="$top" modules >&2
fi
card=tessera-card,engines=1
"$top/scripts/testhost/run.sh" --device "$card" --device "$card" --insmod "$ko" --insmod "${ko%/*}/tessera_mdev.ko" \
	--timeout 900 --name bench-sched -- \
	"$top/selftests/sched/bench-guest.sh" "$out/sched-bench"
