#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the debug test host, after tessera.ko and tessera_core_test.ko
# were loaded (and the KUnit suite "tessera_core" ran while the second
# loaded): the suite's cases from KUnit's debugfs results as TAP, and what
# the host must show afterwards. Every line is an assertion.
#
#   selftests/core/core_api.sh
set -u

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
results=/sys/kernel/debug/kunit/tessera_core/results

if [ ! -d /sys/module/tessera_mdev ]; then
	ok "no mediator is loaded: the suite is the card's only client"
else
	not_ok "no mediator is loaded (tessera_mdev is)"
fi
if [ ! -r "$results" ]; then
	not_ok "KUnit ran the tessera_core suite (no $results)"
	dmesg | grep -i 'kunit\|tessera' | tail -n 20 | sed 's/^/# dmesg: /'
	echo "1..$n"
	exit 1
fi
cases=0
while IFS= read -r line; do
	case "$line" in
	"    ok "[0-9]*|"    not ok "[0-9]*)
		cases=$((cases + 1))
		name=$(sed -E 's/^ *(not )?ok [0-9]+ (- )?//' <<<"$line")
		case "$line" in
		*"not ok"*) not_ok "core API: $name" ;;
		*) ok "core API: $name" ;;
		esac ;;
	"    # "*|"        # "*) echo "# ${line#"${line%%#*}"}" ;;
	esac
done < "$results"
if [ "$cases" = 3 ]; then
	ok "the suite reported its 3 cases"
else
	not_ok "the suite reported its 3 cases ($cases)"
	sed 's/^/# /' "$results"
fi
if ! lspci -k -d 1234:7e50 | grep -q 'Kernel driver in use'; then
	ok "the card is left unbound by the removal case"
else
	not_ok "the card is left unbound by the removal case"
fi
echo "1..$n"
