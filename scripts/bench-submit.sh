#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The vGPU submission path's cost, for `make bench`: doorbell traps and pin
# calls per batch and the mediator's copy/audit/pin/map time per command,
# from its own per-instance counters, and its throughput against the card's
# host node running the same batches, in one test-host run
# (selftests/bench/submit-guest.sh: submit_bench.c, then native_bench.c).
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
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$top/scripts/testhost/run.sh" --device tessera-card --insmod "$ko" --insmod "${ko%/*}/tessera_mdev.ko" \
	--timeout 1800 --name bench-submit -- \
	"$top/selftests/bench/submit-guest.sh" "$out" "${ko%/*}/tessera_accel.ko" \
	"${ko%/*}/tessera_accel_host.ko" >"$log"
grep -v '^rate: ' "$log"
# Mediated against native, from the "rate:" lines of the same run: the
# median of the five rounds of each.
echo
echo "Mediated throughput against the host node (tessera_accel_host.ko) running the same batches in the same test host: commands per second by the wall clock, the median of five rounds of each side taken in turn (the range in brackets). On new pages the native clock includes BO_CREATE, where the host node allocates, pins, maps and binds the pages that the mediator pins and maps on the doorbell; the last two columns take BO_CREATE off the native clock:"
echo
echo "| batch | pages | mediated cmd/s | native cmd/s | mediated/native | native cmd/s, BO made beforehand | mediated/that |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
awk 'function median(key,   n, i, j, t, v) {
		n = split(r[key], v, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		lo[key] = v[1]; hi[key] = v[n]
		return n ? v[int((n + 1) / 2)] : 0
	}
	$1 == "rate:" { key = $2 " " $3 " " $4; r[key] = r[key] " " $5; k[$3 " " $4] = 1 }
	END {
		split("1 8 64 256", b, " "); split("new reused", p, " ")
		for (j = 1; j <= 2; j++)
			for (i = 1; i <= 4; i++) {
				key = b[i] " " p[j]
				if (!(key in k))
					continue
				m = median("mediated " key); n = median("native " key)
				printf("| %s | %s | %d [%d-%d] | %d [%d-%d] | %.2f |", b[i], p[j],
				       m, lo["mediated " key], hi["mediated " key],
				       n, lo["native " key], hi["native " key], n ? m / n : 0)
				if (("native-premade " key) in r) {
					q = median("native-premade " key)
					printf(" %d [%d-%d] | %.2f |\n", q, lo["native-premade " key],
					       hi["native-premade " key], q ? m / q : 0)
				} else {
					printf(" | |\n")
				}
			}
	}' "$log"
