#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test host itself: it boots, gives the other suites the environment
# they expect, carries exit statuses and timeouts back, and sees the card.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"

run=scripts/testhost/run.sh
card=1234:7e50
out=$suite_top/.cache/suites/testhost
mkdir -p "$out"

mapfile -t guest_checks < <(grep -o '^check "[^"]*"' scripts/testhost/smoke-guest.sh | cut -d'"' -f2)
echo "1..$(( ${#guest_checks[@]} + 5 ))"

# 1. The environment, checked from inside; one TAP line per check.
$run --name smoke-env --timeout 300 -- scripts/testhost/smoke-guest.sh >"$out/env.log" 2>&1
status=$?
shown=0
for c in "${guest_checks[@]}"; do
	if grep -qxF "pass $c" "$out/env.log"; then
		tap ok "$c"
	elif grep -F "fail $c:" "$out/env.log" >"$out/why"; then
		tap fail "$c"
		sed 's/^/# /' "$out/why"
	else
		# The check never ran: the VM's own report says why, once.
		tap fail "$c (not run: test host status $status)"
		[ $shown = 1 ] || tail -n 20 "$out/env.log" | sed 's/^/# /'
		shown=1
	fi
done
if [ "$status" = 0 ]; then
	tap ok "a passing command in the test host exits 0"
else
	tap fail "a passing command in the test host exits 0 (got $status)"
	tail -n 20 "$out/env.log" | sed 's/^/# /'
fi

# 2. A failing command's status comes back as is.
$run --name smoke-status --timeout 300 -- sh -c 'exit 3' >"$out/status.log" 2>&1
status=$?
if [ "$status" = 3 ]; then
	tap ok "the command's exit status (3) comes back out"
else
	tap fail "the command's exit status (3) comes back out (got $status)"
	tail -n 20 "$out/status.log" | sed 's/^/# /'
fi

# 3. A hung VM is killed at its deadline, with its last words shown.
$run --name smoke-hang --timeout 20 -- sh -c 'echo testhost-hang-probe; exec sleep 3600' >"$out/hang.log" 2>&1
status=$?
if [ "$status" = 124 ] &&
   grep -q '^testhost: VM smoke-hang timed out after 20s; last output:' "$out/hang.log" &&
   grep -q '^testhost-hang-probe' "$out/hang.log"; then
	tap ok "a hung command is stopped at its timeout with exit status 124 and its last output"
else
	tap fail "a hung command is stopped at its timeout with exit status 124 and its last output (got $status)"
	tail -n 20 "$out/hang.log" | sed 's/^/# /'
fi

# 4. The card, from our QEMU build.
if [ ! -x scripts/qemu ]; then
	tap fail "the Tessera card ($card) shows in lspci: scripts/qemu (QEMU with the card) does not exist yet"
else
	$run --name smoke-card --timeout 300 --device tessera-card -- lspci -nn -d $card >"$out/card.log" 2>&1
	status=$?
	if [ "$status" = 0 ] && grep -q "\[$card\]" "$out/card.log"; then
		tap ok "the Tessera card ($card) shows in lspci"
		grep "\[$card\]" "$out/card.log" | sed 's/^/# /'
	else
		tap fail "the Tessera card ($card) shows in lspci (status $status)"
		tail -n 20 "$out/card.log" | sed 's/^/# /'
	fi
fi

# 5. The host driver loads and binds to the card.
ko=drivers/tessera/tessera.ko
mdev_ko=drivers/tessera/tessera_mdev.ko
if [ ! -x scripts/qemu ] || [ ! -f $ko ] || [ ! -f $mdev_ko ]; then
	tap fail "tessera.ko and tessera_mdev.ko load and bind to the card: needs scripts/qemu, $ko and $mdev_ko (make qemu modules)"
else
	$run --name smoke-driver --timeout 300 --device tessera-card --insmod $ko --insmod $mdev_ko -- \
		sh -c "lspci -k -d $card; lspci -k -d $card | grep -q 'Kernel driver in use: tessera' &&
		       ls -l /sys/bus/auxiliary/devices/ && test -e /sys/bus/auxiliary/drivers/tessera_mdev.mdev/tessera.mdev.* &&
		       test -d /sys/class/mdev_bus/\$(lspci -D -d $card | cut -d' ' -f1)/mdev_supported_types" \
		>"$out/driver.log" 2>&1
	status=$?
	if [ "$status" = 0 ]; then
		tap ok "tessera.ko and tessera_mdev.ko load and bind to the card"
	else
		tap fail "tessera.ko and tessera_mdev.ko load and bind to the card (status $status)"
		tail -n 20 "$out/driver.log" | sed 's/^/# /'
	fi
fi
exit $failed
