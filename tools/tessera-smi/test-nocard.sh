#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tessera-smi where there is no Tessera card (the build machine): every
# command that needs one exits 3 with a message, every bad command line 2,
# and --help and --version 0. Prints TAP.
#
#   tools/tessera-smi/test-nocard.sh TESSERA-SMI
set -u
smi=${1:?usage: test-nocard.sh TESSERA-SMI}
n=0 failed=0

# expect STATUS WHAT ARG...: exit status, and stderr says something (or,
# for status 0, stdout does)
expect()
{
	local want=$1 what=$2 rc err outp
	shift 2
	outp=$("$smi" "$@" 2>/tmp/smi-nocard.$$)
	rc=$?
	err=$(head -c 160 /tmp/smi-nocard.$$ | tr "\n" " ")
	n=$((n + 1))
	if [ "$rc" = "$want" ] && { [ "$want" = 0 ] && [ -n "$outp" ] || [ -n "$err" ]; }; then
		echo "ok $n - $what: tessera-smi $*: exit $want${err:+, '$err'}"
	else
		echo "not ok $n - $what: tessera-smi $*: exit $rc (want $want)${err:+, '$err'}"
		failed=1
	fi
}

# These checks want a machine without a card (the build machine): with one,
# they cannot hold, and that is a failure, not a skip.
if lspci -n -d 1234:7e50 2>/dev/null | grep -q .; then
	echo "not ok 1 - this machine has a Tessera card: test-nocard.sh needs one without"
	echo "1..1"
	exit 1
fi
expect 0 "help" --help
expect 0 "version" --version
expect 3 "list" 
expect 3 "json" --json
expect 3 "types csv" types --csv
expect 3 "live" -l 0.5 -c 1
expect 3 "create" create -t vgpu-4
expect 3 "set-policy" set-policy fixed-share
expect 3 "remove" remove -u 5a1c0000-0000-4000-8000-000000000001
expect 2 "unknown command" frobnicate
expect 2 "two commands" list types
expect 2 "unknown option" --frobnicate
expect 2 "-l garbage" -l soon
expect 2 "-l negative" -l -1
expect 2 "-c 0" -l 1 -c 0
expect 2 "--sample-ms garbage" --sample-ms 1e3
expect 2 "--csv with a verb" set-slice 100 --csv
expect 2 "remove without a UUID" remove
expect 2 "remove with a bad UUID" remove -u 5a1c0000-0000-4000-8000-00000000000g
expect 2 "set-weight without a weight" set-weight -u 5a1c0000-0000-4000-8000-000000000001
expect 2 "set-weight -3" set-weight -u 5a1c0000-0000-4000-8000-000000000001 -3
expect 2 "set-weight 1x" set-weight -u 5a1c0000-0000-4000-8000-000000000001 1x
expect 2 "set-slice without a value" set-slice
expect 2 "set-policy unknown" set-policy round-robin
expect 2 "create with a stray argument" create vgpu-4
rm -f /tmp/smi-nocard.$$
echo "1..$n"
exit $failed
