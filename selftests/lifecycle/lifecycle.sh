#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Instance and module lifecycle under stress, run inside the test host with
# the card attached, tessera.ko and tessera_mdev.ko loaded
# (scripts/suites/53-lifecycle.sh):
#
#   - the parent's name, mdevctl's view of the types and libvirt's node
#     device of the card, as before the mediator moved onto the auxiliary
#     bus and into its own module (identity.expected);
#   - create-until-full, for every mdev type: instances until
#     available_instances is 0, each taking one; the next create fails with
#     ENOSPC and leaves no device; removing them all gives back every
#     type's availability and the module's reference count;
#   - mixed types: after instances of mixed sizes come and go, each
#     type's available_instances is exactly how many can be created;
#   - TSR_SCALE_ROUNDS (20) rounds of 32 vgpu-32 instances created and
#     removed, with nothing left behind;
#   - rmmod of tessera while the mediator is loaded: refused;
#   - rmmod of the mediator with live instances: they go with it, the card
#     stays bound to tessera with no mdev parent; both modules again;
#   - rmmod with an instance held open: refused, the instance still runs
#     work; once it is closed rmmod unloads;
#   - removing an instance held open: with a REQ eventfd the holder is
#     asked and the removal completes when it closes; without one the
#     removal waits for the close;
#   - unbinding the card from tessera (sysfs unbind) with live instances
#     and one held open with work running: the holder is asked, closes,
#     the instances and the mdev parent go, the mediator's and the core's
#     counters are back to zero; binding again brings the card back;
#   - removal of the card (PCI remove), the same, and a rescan brings the
#     card back as it was.
#
#   selftests/lifecycle/lifecycle.sh HOLDER
#
# HOLDER is the lifecycle-holder program (holder.c); $TESSERA_KO the
# tessera.ko to insmod again after an rmmod, tessera_mdev.ko beside it.
# Prints TAP; every line is an assertion.
set -u

holder=${1:?usage: lifecycle.sh HOLDER}
ko=${TESSERA_KO:?TESSERA_KO must name tessera.ko}
mdev_ko=$(dirname "$ko")/tessera_mdev.ko
work=$(mktemp -d /tmp/lifecycle.XXXXXX)
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
finish()
{
	trap - EXIT
	echo "1..$n"
	rm -rf "$work"
	exit $failed
}

# The helpers read sysfs with the shell's own `read` and count with globs:
# on the debug test host (KASAN, kmemleak, a 9p root) each exec of cat
# costs about 0.4 s, a `read` in a subshell 20 ms, and the create loops
# read hundreds of counts.
attr() { local v=; read -r v <"$1"; printf '%s\n' "$v"; } 2>/dev/null

find_card()
{
	local d

	card='' tdir=''
	for d in /sys/bus/pci/devices/*; do
		if [ "$(attr "$d/vendor")" = 0x1234 ] && [ "$(attr "$d/device")" = 0x7e50 ]; then
			card=${d##*/}
			tdir=/sys/class/mdev_bus/$card/mdev_supported_types
			return 0
		fi
	done
	return 1
}
bound()
{
	[ "/sys/bus/pci/devices/$card/driver" -ef /sys/bus/pci/drivers/tessera ]
}
avail() { attr "$tdir/$1/available_instances"; }
# every type's availability on one line: "type=n ..."
snapshot()
{
	local t

	for t in "$tdir"/*; do
		printf '%s=%s ' "${t##*/}" "$(attr "$t/available_instances")"
	done
}
instances()
{
	local d c=0

	for d in /sys/bus/mdev/devices/*; do
		[ -e "$d" ] && c=$((c + 1))
	done
	echo $c
}
# open instances hold the mediator (VFIO), the mediator holds tessera
refcnt() { attr /sys/module/tessera_mdev/refcnt; }
# the pages every instance and context together hold, from both modules
held_pages()
{
	local f name value rest

	for f in /sys/kernel/debug/tessera/mdev_counters /sys/kernel/debug/tessera/counters; do
		[ -r "$f" ] || continue
		while read -r name value rest; do
			printf '%s=%s ' "$name" "$value"
		done <"$f"
	done
	echo
}
parent_gone() { [ ! -e "/sys/class/mdev_bus/$card" ]; }
# create TYPE: a new instance's uuid in $uuid; the write's error in $work/create.err
create()
{
	read -r uuid </proc/sys/kernel/random/uuid
	echo "$uuid" 2>"$work/create.err" >"$tdir/$1/create"
}
remove() { echo 1 >"/sys/bus/mdev/devices/$1/remove"; }
remove_all()
{
	local d

	for d in /sys/bus/mdev/devices/*; do
		[ -e "$d" ] && echo 1 >"$d/remove"
	done
}
# wait_for FILE PATTERN SECONDS: until FILE has a line PATTERN
wait_for()
{
	local i

	for ((i = 0; i < $3 * 10; i++)); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# start_holder UUID MODE: the holder in the background, its pid in $hpid
start_holder()
{
	: >"$work/holder.out"
	"$holder" "$1" "$2" >"$work/holder.out" 2>&1 &
	hpid=$!
	wait_for "$work/holder.out" ready 30
}
holder_said() { grep -qx "$1" "$work/holder.out"; }
show_holder() { sed 's/^/# holder: /' "$work/holder.out"; }
reload()
{
	insmod "$ko" && insmod "$mdev_ko" && find_card && bound && [ -d "$tdir" ]
}
unload()
{
	timeout 60 rmmod tessera_mdev && timeout 60 rmmod tessera
}

# A step that stops the script (an unbound variable, a missing tool) must
# not pass for a shorter plan: finish() clears this trap.
trap 'echo "not ok $((n + 1)) - lifecycle.sh stopped before its end (line $LINENO)"; echo "1..$((n + 1))"' EXIT

if ! find_card || ! bound; then
	not_ok "the card (1234:7e50) is present and bound to tessera"
	finish
fi
ok "the card $card is bound to tessera"
start_avail=$(snapshot)
start_ref=$(refcnt)
start_held=$(held_pages)
echo "# availability at the start: $start_avail"
types=()
for d in "$tdir"/*; do
	[ -d "$d" ] && types+=("$(basename "$d")")
done
if [ ${#types[@]} -ge 2 ] && [ "$(instances)" = 0 ]; then
	ok "${#types[@]} mdev types (${types[*]}), no instance yet"
else
	not_ok "mdev types and no instance yet (types: ${types[*]}, instances: $(instances))"
fi
# What user space keys on (mdevctl's saved configurations, libvirt's node
# devices, Nova, KubeVirt): the parent's name and the types, as recorded
# before the layers were split. It depends on no kernel detail, so the
# debug-kernel run (TSR_IDENTITY=0) leaves it to the Debian-kernel one
# rather than spend a minute and a half starting libvirtd under KASAN.
if [ "${TSR_IDENTITY:-1}" != 0 ]; then
	expected=$(dirname "$0")/identity.expected
	{
		echo "mdev_bus: $(ls /sys/class/mdev_bus)"
		mdevctl types --dumpjson
		echo "virsh nodedev-dumpxml pci_${card//[:.]/_}:"
		if "$(dirname "$0")/../clients/libvirt-up.sh"; then
			virsh -c qemu:///system nodedev-dumpxml "pci_${card//[:.]/_}"
		fi
		# Gone again before the module steps: nothing of theirs may depend on it.
		pkill -x libvirtd
		udevadm control --exit 2>/dev/null
	} >"$work/identity" 2>&1
	grep -v '^#' "$expected" >"$work/identity.expected"
	if diff "$work/identity.expected" "$work/identity" >"$work/identity.diff"; then
		ok "the mdev parent's name, mdevctl types and virsh nodedev-dumpxml are those recorded before the split"
	else
		not_ok "the mdev parent's name, mdevctl types or virsh nodedev-dumpxml differ from ${expected#"$PWD"/}"
		sed 's/^/# /' "$work/identity.diff"
		# what to record if the change is meant: the lines after "# identity: "
		sed 's/^/# identity: /' "$work/identity"
	fi
fi

# ---- create until full, every type ----

for t in "${types[@]}"; do
	want=$(avail "$t")
	made=() steps_ok=1 before=$want
	while [ "$(avail "$t")" -gt 0 ] && [ ${#made[@]} -lt 64 ]; do
		if ! create "$t"; then
			steps_ok=0
			echo "# $t: create number $(( ${#made[@]} + 1 )) failed: $(cat "$work/create.err")"
			break
		fi
		made+=("$uuid")
		if [ "$(avail "$t")" != $((before - 1)) ]; then
			steps_ok=0
			echo "# $t: available_instances went from $before to $(avail "$t") on one create"
		fi
		before=$(avail "$t")
	done
	if [ "$want" -gt 0 ] && [ "$steps_ok" = 1 ] && [ ${#made[@]} = "$want" ] &&
	   [ "$(avail "$t")" = 0 ] && [ "$(instances)" = "$want" ]; then
		ok "create-until-full $t: $want instances, each took one of available_instances"
	else
		not_ok "create-until-full $t: $want available, ${#made[@]} created, $(avail "$t") left, $(instances) devices"
	fi
	if create "$t"; then
		made+=("$uuid")
		not_ok "create-until-full $t: one more create fails (it succeeded)"
	elif grep -q 'No space left on device' "$work/create.err" &&
	     [ ! -e "/sys/bus/mdev/devices/$uuid" ] && [ "$(instances)" = ${#made[@]} ]; then
		ok "create-until-full $t: one more create fails with ENOSPC and leaves no device"
	else
		not_ok "create-until-full $t: one more create fails with ENOSPC and leaves no device ($(cat "$work/create.err"); $(instances) devices)"
	fi
	for u in "${made[@]}"; do
		remove "$u" || echo "# $t: removing $u failed"
	done
	now=$(snapshot)
	if [ "$now" = "$start_avail" ] && [ "$(instances)" = 0 ] && [ "$(refcnt)" = "$start_ref" ]; then
		ok "create-until-full $t: removing all gives back every type's availability"
	else
		not_ok "create-until-full $t: removing all gives back every type's availability (now $now, $(instances) devices, refcnt $(refcnt), was $start_ref)"
	fi
done

# ---- mixed types: available_instances stays exact ----

# exact TYPE: available_instances says k; k creates succeed, the next fails
# with ENOSPC; they go again and every type's availability is as before.
exact()
{
	local t=$1 k before mine=() ok=1

	before=$(snapshot)
	k=$(avail "$t")
	while [ ${#mine[@]} -lt "$k" ]; do
		create "$t" || { ok=0; break; }
		mine+=("$uuid")
	done
	if create "$t"; then
		mine+=("$uuid")
		ok=0
	elif ! grep -q 'No space left on device' "$work/create.err"; then
		ok=0
	fi
	for u in "${mine[@]}"; do
		remove "$u"
	done
	[ "$ok" = 1 ] && [ "$(snapshot)" = "$before" ] && return 0
	echo "# $t said $k available; ${#mine[@]} created; availability now $(snapshot), was $before"
	return 1
}

# Instances of mixed sizes, added and taken away: after each step every
# type's count is exactly what can still be created. TSR_MIXED_EXACT=0
# leaves it out (the debug kernel's run: suite 53 has it).
mix=()
if [ "${TSR_MIXED_EXACT:-1}" = 1 ]; then
	for t in tessera-vgpu-2 tessera-vgpu-32 tessera-vfpga-1 tessera-vgpu-8 tessera-vgpu-16 \
		 tessera-vgpu-32 tessera-vfpga-2 tessera-vgpu-4; do
		[ -d "$tdir/$t" ] && [ "$(avail "$t")" -gt 0 ] && create "$t" && mix+=("$uuid")
	done
	mixed_ok=1 checked=0
	for step in add remove; do
		if [ "$step" = remove ] && [ ${#mix[@]} -ge 3 ]; then
			# take away every other one: holes between live slices
			for ((i = 0; i < ${#mix[@]}; i += 2)); do
				remove "${mix[$i]}"
			done
		fi
		for t in "${types[@]}"; do
			exact "$t" || mixed_ok=0
			checked=$((checked + 1))
		done
	done
	remove_all
	if [ "$mixed_ok" = 1 ] && [ ${#mix[@]} -ge 6 ] && [ "$(snapshot)" = "$start_avail" ]; then
		ok "mixed types (${#mix[@]} instances, then every other one removed): each of $checked available_instances readings was exactly what could be created"
	else
		not_ok "mixed types: available_instances exact as instances come and go (${#mix[@]} made; now $(snapshot))"
	fi
fi

# ---- many small instances, created and removed in rounds ----

# TSR_SCALE_ROUNDS rounds (default 20; 0 leaves them out) of as many
# vgpu-32 instances as the card holds (32 on the default card): each round
# gives back every type's availability, the module's reference count and
# the pages every instance holds. Round times are printed for the log;
# `make bench` is where they are compared.
rounds=${TSR_SCALE_ROUNDS:-20}
small=tessera-vgpu-32
if [ "$rounds" = 0 ]; then
	:
elif [ -d "$tdir/$small" ]; then
	per_round=$(avail "$small") scale_ok=1 times=()
	for ((r = 0; r < rounds && scale_ok; r++)); do
		t0=${EPOCHREALTIME/./} made=()
		for ((i = 0; i < per_round; i++)); do
			create "$small" || { scale_ok=0; echo "# round $r: create $i failed: $(cat "$work/create.err")"; break; }
			made+=("$uuid")
		done
		[ "$(avail "$small")" = 0 ] || { scale_ok=0; echo "# round $r: $(avail "$small") still available"; }
		for u in "${made[@]}"; do
			remove "$u"
		done
		times+=($(((${EPOCHREALTIME/./} - t0) / 1000)))
		if [ "$(snapshot)" != "$start_avail" ] || [ "$(refcnt)" != "$start_ref" ] ||
		   [ "$(held_pages)" != "$start_held" ] || [ "$(instances)" != 0 ]; then
			scale_ok=0
			echo "# round $r: availability $(snapshot), refcnt $(refcnt), held $(held_pages), $(instances) devices"
		fi
	done
	echo "# $small rounds of $per_round (ms): ${times[*]}"
	if [ "$scale_ok" = 1 ] && [ "$per_round" -ge 32 ]; then
		ok "$rounds rounds of $per_round $small instances created and removed: availability, refcnt and held pages back after each"
	else
		not_ok "$rounds rounds of $per_round $small instances created and removed, nothing left behind"
	fi
else
	not_ok "the card offers $small"
fi

# ---- rmmod with live instances ----

live=()
for t in tessera-vgpu-4 tessera-vgpu-8 tessera-vfpga-1; do
	[ -d "$tdir/$t" ] && create "$t" && live+=("$uuid")
done
if timeout 60 rmmod tessera 2>"$work/rmmod.err"; then
	not_ok "rmmod tessera while tessera_mdev is loaded is refused (it unloaded)"
	finish
elif [ "$(instances)" = "${#live[@]}" ] && bound; then
	ok "rmmod tessera while tessera_mdev is loaded is refused, and removes nothing ($(head -n 1 "$work/rmmod.err"))"
else
	not_ok "rmmod tessera while tessera_mdev is loaded is refused, and removes nothing ($(instances) instances)"
fi
if [ ${#live[@]} -ge 2 ] && timeout 60 rmmod tessera_mdev 2>"$work/rmmod.err" &&
   [ ! -d /sys/module/tessera_mdev ] && [ "$(instances)" = 0 ] && parent_gone && bound; then
	ok "rmmod tessera_mdev with ${#live[@]} live instances removes them and the mdev parent; the card stays bound to tessera"
else
	not_ok "rmmod tessera_mdev with ${#live[@]} live instances removes them and the mdev parent ($(cat "$work/rmmod.err"); $(instances) devices left)"
fi
if [ -d /sys/module/tessera_mdev ]; then
	remove_all
	rmmod tessera_mdev 2>/dev/null
fi
if timeout 60 rmmod tessera 2>"$work/rmmod.err" && [ ! -d /sys/module/tessera ]; then
	ok "then rmmod tessera unloads"
else
	not_ok "then rmmod tessera unloads ($(cat "$work/rmmod.err"))"
fi
if reload && [ "$(snapshot)" = "$start_avail" ]; then
	ok "insmod again: the card binds with every type's availability as at the start"
else
	not_ok "insmod again: the card binds with every type's availability as at the start ($(snapshot))"
	finish
fi
start_ref=$(refcnt)

# ---- rmmod with an instance held open ----

create tessera-vgpu-2 && u=$uuid
if start_holder "$u" hold; then
	ok "a VFIO user holds a tessera-vgpu-2 instance open"
else
	not_ok "a VFIO user holds a tessera-vgpu-2 instance open"
	show_holder
fi
if timeout 60 rmmod tessera_mdev 2>"$work/rmmod.err"; then
	not_ok "rmmod while an instance is held open is refused (it unloaded)"
	finish
elif [ -e "/sys/bus/mdev/devices/$u" ] && bound; then
	ok "rmmod while an instance is held open is refused, and removes nothing ($(head -n 1 "$work/rmmod.err"))"
else
	not_ok "rmmod while an instance is held open is refused, and removes nothing"
fi
kill -USR1 "$hpid"
wait "$hpid"
status=$?
if [ "$status" = 0 ] && holder_said alive; then
	ok "the held instance still runs work after the refused rmmod"
else
	not_ok "the held instance still runs work after the refused rmmod (holder status $status)"
	show_holder
fi
if unload 2>"$work/rmmod.err" && [ ! -d /sys/module/tessera ]; then
	ok "once the instance is closed, rmmod unloads (and removes it)"
else
	not_ok "once the instance is closed, rmmod unloads ($(cat "$work/rmmod.err"))"
	finish
fi
if reload && [ "$(snapshot)" = "$start_avail" ] && [ "$(instances)" = 0 ]; then
	ok "insmod again: availability as at the start, no instance"
else
	not_ok "insmod again: availability as at the start, no instance ($(snapshot))"
	finish
fi

# ---- removing an instance held open ----

# remove_held_req TYPE WHAT: an instance of TYPE held open with a REQ
# eventfd is removed; its user must be asked, close, and the removal end.
remove_held_req()
{
	local u status

	create "$1" && u=$uuid
	rm -f "$work/remove.status"
	start_holder "$u" req || show_holder
	(timeout 60 sh -c "echo 1 >/sys/bus/mdev/devices/$u/remove"; echo "$?" >"$work/remove.status") &
	rpid=$!
	wait "$hpid"
	status=$?
	wait "$rpid"
	if [ "$status" = 0 ] && holder_said request && holder_said closed &&
	   [ "$(attr "$work/remove.status")" = 0 ] && [ ! -e "/sys/bus/mdev/devices/$u" ]; then
		ok "removing $2 held open asks its user through the REQ eventfd, completes once it closes"
	else
		not_ok "removing $2 held open asks its user through the REQ eventfd (holder status $status, remove status $(attr "$work/remove.status"))"
		show_holder
	fi
}
remove_held_req tessera-vgpu-4 "a vGPU instance (work running)"
[ -d "$tdir/tessera-vfpga-1" ] && remove_held_req tessera-vfpga-1 "a vFPGA instance"

create tessera-vgpu-4 && u=$uuid
rm -f "$work/remove.status"
start_holder "$u" hold || show_holder
held=$(avail tessera-vgpu-4)
(timeout 60 sh -c "echo 1 >/sys/bus/mdev/devices/$u/remove"; echo "$?" >"$work/remove.status") &
rpid=$!
sleep 3
# The device leaves sysfs at once; its share is given back only after the close.
if kill -0 "$rpid" 2>/dev/null && kill -0 "$hpid" 2>/dev/null &&
   [ "$(avail tessera-vgpu-4)" = "$held" ]; then
	ok "removing an instance held open without a REQ eventfd waits for the close, its share still taken"
else
	not_ok "removing an instance held open without a REQ eventfd waits for the close (remove status $(cat "$work/remove.status" 2>/dev/null), vgpu-4 available $(avail tessera-vgpu-4), was $held)"
	show_holder
	dmesg | tail -n 15 | sed 's/^/# dmesg: /'
fi
kill -USR2 "$hpid"
wait "$hpid"
wait "$rpid"
if [ "$(attr "$work/remove.status")" = 0 ] && [ ! -e "/sys/bus/mdev/devices/$u" ] &&
   [ "$(snapshot)" = "$start_avail" ] && [ "$(refcnt)" = "$start_ref" ]; then
	ok "... and completes once the holder closes; availability and refcnt as at the start"
else
	not_ok "... and completes once the holder closes (remove status $(attr "$work/remove.status"), $(snapshot), refcnt $(refcnt))"
fi

# ---- unbinding the card from its driver ----

live=()
for t in tessera-vgpu-4 tessera-vgpu-4 tessera-vfpga-1; do
	[ -d "$tdir/$t" ] && create "$t" && live+=("$uuid")
done
start_holder "${live[0]}" req || show_holder
(timeout 90 sh -c "echo $card >/sys/bus/pci/drivers/tessera/unbind"; echo "$?" >"$work/remove.status") &
rpid=$!
wait "$hpid"
status=$?
wait "$rpid"
if [ "$status" = 0 ] && holder_said request && holder_said closed &&
   [ "$(attr "$work/remove.status")" = 0 ] && ! bound && parent_gone && [ "$(instances)" = 0 ] &&
   [ "$(held_pages)" = "$start_held" ]; then
	ok "unbinding the card with ${#live[@]} live instances, one held open with work running: its user is asked, every instance and the mdev parent go, nothing is left held ($(held_pages))"
else
	not_ok "unbinding the card with live instances, one held open (holder status $status, unbind status $(attr "$work/remove.status"), $(instances) instances left, held $(held_pages), was $start_held)"
	show_holder
fi
if echo "$card" >/sys/bus/pci/drivers/tessera/bind && bound &&
   [ "$(snapshot)" = "$start_avail" ] && [ "$(instances)" = 0 ]; then
	ok "binding the card again: its types and every availability as at the start"
else
	not_ok "binding the card again, as at the start ($(snapshot))"
fi

# ---- removal of the card ----

live=()
for t in tessera-vgpu-4 tessera-vgpu-4 tessera-vfpga-1; do
	[ -d "$tdir/$t" ] && create "$t" && live+=("$uuid")
done
start_holder "${live[0]}" req || show_holder
(timeout 90 sh -c "echo 1 >/sys/bus/pci/devices/$card/remove"; echo "$?" >"$work/remove.status") &
rpid=$!
wait "$hpid"
status=$?
wait "$rpid"
if [ "$status" = 0 ] && holder_said request && holder_said closed &&
   [ "$(attr "$work/remove.status")" = 0 ] && [ ! -e "/sys/bus/pci/devices/$card" ] &&
   [ "$(instances)" = 0 ]; then
	ok "removing the card with ${#live[@]} live instances, one held open with work running: its user is asked, the card and every instance go"
else
	not_ok "removing the card with live instances, one held open (holder status $status, remove status $(attr "$work/remove.status"), $(instances) instances left)"
	show_holder
fi
echo 1 >/sys/bus/pci/rescan
for _ in $(seq 50); do
	find_card && bound && [ -d "$tdir" ] && break
	sleep 0.2
done
if find_card && bound && [ "$(snapshot)" = "$start_avail" ] && [ "$(instances)" = 0 ]; then
	ok "a PCI rescan brings the card back, bound to tessera, every type's availability as at the start"
else
	not_ok "a PCI rescan brings the card back, bound to tessera, as at the start ($(snapshot))"
fi
if [ "$(refcnt)" = 0 ] && unload; then
	ok "at the end nothing holds the modules: refcnt 0, rmmod unloads both"
else
	not_ok "at the end nothing holds the module (refcnt $(refcnt))"
fi
finish
