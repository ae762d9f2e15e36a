# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this
# Sourced by scripts/suites/58-uapifuzz.sh and scripts/fuzz-planted.sh.
#
# fuzz_result LOG: from vfio_fuzz's last line in LOG ("vfio_fuzz: PASS|FAIL|
# ERROR type=... seed=... ops=... seconds=... ops_per_s=... [reason=...]"),
# sets fz_result (the line, empty if none), fz_seed, fz_ops, fz_secs, fz_rate
# and fz_reason.
fuzz_result()
{
	fz_result=$(grep -E '^vfio_fuzz: (PASS|FAIL|ERROR) ' "$1" | tail -n 1)
	fz_seed=$(sed -n 's/.* seed=\([0-9]*\).*/\1/p' <<<"$fz_result")
	[ -n "$fz_seed" ] || fz_seed=$(sed -n 's/^# vfio_fuzz: seed=\([0-9]*\) .*/\1/p' "$1" | head -n 1)
	fz_ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$fz_result")
	fz_secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$fz_result")
	fz_rate=$(sed -n 's/.* ops_per_s=\([0-9]*\).*/\1/p' <<<"$fz_result")
	fz_reason=$(sed -n 's/.* reason=\(.*\)/\1/p' <<<"$fz_result")
}
