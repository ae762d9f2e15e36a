#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the debug test host, after tessera.ko and tessera_core_test.ko
# were loaded (and the KUnit suite "tessera_core" ran while the second
# loaded): what the host must show around the suite. Its cases are read
# from KUnit's debugfs results by selftests/kunit/kunit-results.sh, like
# every other suite's (selftests/kunit/in-host.sh runs both). Every line is
# an assertion.
#
#   selftests/core/core_api.sh
set -u

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }

if [ ! -d /sys/module/tessera_mdev ]; then
	ok "no mediator is loaded: the suite is the card's only client"
else
	not_ok "no mediator is loaded (tessera_mdev is)"
fi
if ! lspci -k -d 1234:7e50 | grep -q 'Kernel driver in use'; then
	ok "the card is left unbound by the removal case"
else
	not_ok "the card is left unbound by the removal case"
fi
echo "1..$n"
