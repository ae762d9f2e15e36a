#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tessera-run against fake_accel.so (an LD_PRELOAD stand-in for
# tessera_accel.ko): the submit and wait paths of libtessera, the checks
# and every exit status, without a device. Prints TAP.
#
#   test-fake.sh TESSERA_RUN_DYNAMIC FAKE_ACCEL_SO
set -uo pipefail

run=${1:?usage: test-fake.sh TESSERA_RUN FAKE_ACCEL_SO}
fake=${2:?usage: test-fake.sh TESSERA_RUN FAKE_ACCEL_SO}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0
failed=0

# t WANT_STATUS WANT_TEXT NAME -- ENV... -- ARGS...
t()
{
	local want=$1 text=$2 name=$3 envs=() status
	shift 4
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env "${envs[@]}" LD_PRELOAD="$fake" "$run" "$@" >"$out" 2>&1
	status=$?
	n=$((n + 1))
	if [ "$status" = "$want" ] && grep -q -- "$text" "$out"; then
		echo "ok $n - $name (status $status)"
	else
		echo "not ok $n - $name: status $status, want $want and '$text'"
		sed 's/^/# /' "$out"
		failed=1
	fi
	sed -n 's/^\(tessera-run: [0-9]* GEMMs\?.*\)/# \1/p' "$out"
}

d=(-d /dev/accel/fake)
t 0 "6 GEMMs 64x64 on /dev/accel/fake (vf): 6 checked, 0 wrong" "Freivalds, 6 jobs, 2 in flight" -- -- "${d[@]}" -n 64 -c 6 -q 2
t 0 "3 checked, 0 wrong" "full check, m k n apart" -- -- "${d[@]}" -m 33 -k 17 -N 65 -c 3 --check full
t 0 "5 checked, 0 wrong" "out syncobjs, 3 in flight" -- -- "${d[@]}" -n 32 -c 5 -q 3 --syncobj -v
t 0 "(host): 2 checked" "host backend name" -- FAKE_ACCEL_BACKEND=2 -- "${d[@]}" -n 16 -c 2
t 0 "2 checked, 0 wrong" "k = 2048, the exactness bound" -- -- "${d[@]}" -m 4 -N 4 -k 2048 -c 2
t 0 "0 checked, 0 wrong" "--check none" -- -- "${d[@]}" -n 16 -c 2 --check none
t 1 "4 checked, 1 wrong" "one wrong element, Freivalds" -- FAKE_ACCEL_WRONG=2 -- "${d[@]}" -n 64 -c 4
t 1 "WRONG: C\[32\]\[21\]" "one wrong element, full" -- FAKE_ACCEL_WRONG=0 -- "${d[@]}" -n 64 -c 1 --check full
t 2 "job error -EIO" "a job error" -- FAKE_ACCEL_FAULT=1 -- "${d[@]}" -n 32 -c 4
t 0 "-ETIMEDOUT .*as expected" "--hang, the watchdog fires" -- FAKE_ACCEL_WATCHDOG=1 -- "${d[@]}" --hang 5000000
t 1 "without an error" "--hang, nothing stops it" -- -- "${d[@]}" --hang 5000000
t 0 "7 BUSY jobs of 100 us .*: 7 fenced, 0 errors" "--busy-load, 3 in flight" -- -- "${d[@]}" --busy-load 100 -c 7 -q 3
t 2 "7 BUSY jobs of 100 us .*: 6 fenced, 1 errors" "--busy-load, a job fails" -- FAKE_ACCEL_FAULT=4 -- "${d[@]}" --busy-load 100 -c 7 -q 3
t 3 "not a tessera_accel node" "not an accel node" -- -- -d /dev/null
t 3 "a size from 1 to 2048" "bad size" -- -- "${d[@]}" -n 4096
t 3 "freivalds, full or none" "bad --check" -- -- "${d[@]}" --check maybe
t 0 "Exit status" "--help" -- -- --help

echo "1..$n"
exit $failed
