# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are for the scripts that source this
# Sourced by scripts/suites/58-uapifuzz.sh, 64-debug-accelfuzz.sh and
# scripts/fuzz-planted.sh.
#
# fuzz_result LOG [PROGRAM]: from the last result line of PROGRAM
# (vfio_fuzz, or accel_fuzz) in LOG ("PROGRAM: PASS|FAIL|ERROR ... seed=...
# ops=... seconds=... ops_per_s=... [reason=...]"), sets fz_result (the
# line, empty if none), fz_seed, fz_ops, fz_secs, fz_rate and fz_reason.
fuzz_result()
{
	local prog=${2:-vfio_fuzz}

	fz_result=$(grep -E "^$prog: (PASS|FAIL|ERROR) " "$1" | tail -n 1)
	fz_seed=$(sed -n 's/.* seed=\([0-9]*\).*/\1/p' <<<"$fz_result")
	[ -n "$fz_seed" ] || fz_seed=$(sed -n "s/^# $prog: seed=\\([0-9]*\\) .*/\\1/p" "$1" | head -n 1)
	fz_ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$fz_result")
	fz_secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$fz_result")
	fz_rate=$(sed -n 's/.* ops_per_s=\([0-9]*\).*/\1/p' <<<"$fz_result")
	fz_reason=$(sed -n 's/.* reason=\(.*\)/\1/p' <<<"$fz_result")
}
