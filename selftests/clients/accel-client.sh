#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guests that do real work, run inside the test host (tessera.ko and
# tessera_mdev.ko loaded, KVM on the emulated SVM): nested guests boot
# Debian's kernel with tessera_accel.ko on a vGPU instance
# (build-accel-initramfs.sh, accel-init.sh) and run tessera-run. Prints TAP.
#
#   selftests/clients/accel-client.sh
#
# Environment: ACCEL_KO, ACCEL_HOST_KO (the modules for the card's host node),
# TESSERA_RUN (tessera-run for the host), ACCEL_INITRAMFS (default
# .cache/nested/accel-initramfs.cpio.gz),
# NESTED_KERNEL (default Debian's vmlinuz), TSR_IOMMUFD (1: QEMU takes the
# device through -object iommufd), ACCEL_STEPS (all, the default; gemm: only
# the GEMM guest, started by QEMU itself, for the debug test host, where
# every step costs twice its time).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"
initramfs=${ACCEL_INITRAMFS:-$top/.cache/nested/accel-initramfs.cpio.gz}
kernel=${NESTED_KERNEL:-$top/.cache/kernel/$TESSERA_KVER/boot/vmlinuz-$TESSERA_KVER}
qemu=/usr/bin/qemu-system-x86_64
work=$(mktemp -d /tmp/accel-client.XXXXXX)

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
finish()
{
	[ -n "${kvm_holder:-}" ] && kill "$kvm_holder" 2>/dev/null
	for u in "${made[@]}"; do
		mdevctl stop -u "$u" >/dev/null 2>&1
	done
	pkill -x libvirtd 2>/dev/null
	echo "1..$n"
	rm -rf "$work"
	exit $failed
}
made=()
steps=${ACCEL_STEPS:-all}
case "$steps" in
all | gemm) ;;
*) not_ok "ACCEL_STEPS=$steps: all or gemm"; finish ;;
esac

# The nested guests' QEMUs run on the test host's CPU 1, everything else of
# this client on CPU 0. A nested guest then boots reliably: with both on
# both CPUs, the client's forks while a guest booted made 2 boots in 10
# triple-fault before the guest's first line under the test host's
# emulated SVM (nested-boot-stress.sh POLL=1, 2026-12-02; 0 in 10 with
# PIN=1, 0 in 10 on a one-CPU test host, 0 in 38 without the forks), and
# runs of this suite once panicked the test host ("corrupted stack end").
guest_cpu=()
if [ "$(nproc)" -ge 2 ]; then
	taskset -pc 0 $$ >/dev/null
	guest_cpu=(taskset -c 1)
fi

parent=
for d in /sys/class/mdev_bus/*; do
	[ -d "$d/mdev_supported_types/tessera-vgpu-2" ] && parent=$(basename "$d") && break
done
if [ -z "$parent" ] || [ ! -c /dev/kvm ]; then
	not_ok "a card with tessera-vgpu-2 and /dev/kvm in the test host (parent '${parent}')"
	finish
fi
card_sysfs=/sys/bus/pci/devices/$parent/tessera

# One idle KVM VM (no machine, no vCPU, stopped) for the whole run. KVM
# turns the scheduler's preempt-notifier static key on with the first VM
# and off with the last, and the test host's kernel patches __schedule()
# each time; under TCG a vCPU then once ran the breakpoint of that patch
# after it was gone ("Oops: int3" in __schedule, the test host panicked as
# the libvirt guest started). With the key on throughout, ten guests' boots
# and power-offs patch nothing. Started under its own name, so that the
# checks of which user a guest's QEMU runs as never find it.
ln -s "$qemu" "$work/kvm-holder"
"$work/kvm-holder" -accel kvm -machine none -nodefaults -display none -monitor none \
	-serial none -m 16 -S </dev/null >"$work/kvm-holder.log" 2>&1 &
kvm_holder=$!

# new_instance VAR: a tessera-vgpu-2 instance through mdevctl, its uuid in VAR.
new_instance()
{
	local u

	u=$(cat /proc/sys/kernel/random/uuid)
	if mdevctl start -u "$u" -p "$parent" --type tessera-vgpu-2; then
		made+=("$u")
		printf -v "$1" '%s' "$u"
		return 0
	fi
	return 1
}
# The shell's read, not cat: no exec, so that two counters read one after
# the other are close in time.
inst_stat() { local v; read -r v <"/sys/bus/mdev/devices/$1/tessera/$2" && echo "$v"; }
# busy_share FILE: FILE has one line "X Y" per half second, two tenants'
# busy counters from the card. The share of X over the time both had work
# queued: the samples from the end of the first interval in which both
# counters rose to the start of the last such one. Those two intervals are
# left out because either tenant may have run in only part of them: a
# guest's stream starts and ends by console markers that lag the card by a
# second or more, and the other runs alone meanwhile. Prints "SHARE DX DY
# INTERVALS", or nothing when no whole interval is left.
busy_share()
{
	awk '{ x[NR] = $1; y[NR] = $2 }
	END {
		for (i = 2; i <= NR; i++)
			if (x[i] > x[i - 1] && y[i] > y[i - 1]) {
				if (!f)
					f = i
				l = i
			}
		if (!f || l - 1 <= f)
			exit
		dx = x[l - 1] - x[f]
		dy = y[l - 1] - y[f]
		if (dx + dy > 0)
			printf "%.1f %.0f %.0f %d\n", 100 * dx / (dx + dy), dx, dy, l - 1 - f
	}' "$1"
}

# guest_wait NAME PID: QEMU's status, or 124 after 600 s (a gated guest
# waits through the other guest's boot too), when the test
# host's view of the stuck QEMU (its threads' kernel stacks, blocked tasks)
# goes into the log before it is killed.
guest_wait()
{
	local left=6000 t

	while kill -0 "$2" 2>/dev/null && [ "$left" -gt 0 ]; do
		left=$((left - 1))
		sleep 0.1
	done
	if kill -0 "$2" 2>/dev/null; then
		echo "# $1: QEMU (pid $2) still running after 600 s; its threads in the test host's kernel:"
		for t in /proc/"$2"/task/*; do
			echo "#   thread $(basename "$t") $(cat "$t/comm" 2>/dev/null): $(tr '\n' ' ' < "$t/stack" 2>/dev/null)"
		done
		echo w > /proc/sysrq-trigger 2>/dev/null
		dmesg | tail -n 40 | sed 's/^/#   dmesg: /'
		kill -9 "$2"
		wait "$2" 2>/dev/null
		return 124
	fi
	wait "$2"
}

# boot NAME UUID APPEND...: one nested guest under KVM on instance UUID,
# its console in $work/NAME.out; returns QEMU's status.
# With tessera.gate=1 among the APPEND words the guest gets a second UART,
# ttyS1, on the FIFOs $work/NAME.gate.in and .out, and waits there for
# release NAME before its work.
boot()
{
	local name=$1 uuid=$2 vfio gate=()

	shift 2
	vfio=(-device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid")
	if [ -n "${TSR_IOMMUFD:-}" ]; then
		vfio=(-object "iommufd,id=iommufd0"
		      -device "vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,iommufd=iommufd0")
	fi
	case " $* " in
	*" tessera.gate=1 "*)
		rm -f "$work/$name.gate.in" "$work/$name.gate.out"
		mkfifo "$work/$name.gate.in" "$work/$name.gate.out"
		# Both UARTs named: a -device isa-serial alone would take
		# ttyS0 and the console with it (QEMU drops its default serial).
		gate=(-serial mon:stdio -serial "pipe:$work/$name.gate")
		;;
	esac
	"${guest_cpu[@]}" "$qemu" -accel kvm -machine q35 -m 512M -smp 1 \
		-nographic -no-reboot -nic none -vga none \
		-kernel "$kernel" -initrd "$initramfs" \
		-append "console=ttyS0 quiet panic=-1 $*" \
		"${gate[@]}" "${vfio[@]}" </dev/null >"$work/$name.out" 2>&1 &
	guest_wait "$name" $!
}
# release NAME...: the gated guests start their work. Each FIFO is opened
# read-write, which does not block even if its QEMU has gone.
release()
{
	local name

	for name; do
		{ echo go >&3; } 3<>"$work/$name.gate.in"
	done
}
# gated NAME PID...: 0 once every named guest waits at its gate; 1 if one's
# QEMU (PID, in the same order) exited first or 300 s went by.
gated()
{
	local names=() pids=() left=3000 i all

	while [ $# -gt 0 ] && [ "$1" != -- ]; do names+=("$1"); shift; done
	shift
	pids=("$@")
	while [ "$left" -gt 0 ]; do
		all=1
		for i in "${!names[@]}"; do
			has "${names[$i]}" ready && continue
			kill -0 "${pids[$i]}" 2>/dev/null || return 1
			all=0
		done
		[ "$all" = 1 ] && return 0
		left=$((left - 1))
		sleep 0.1
	done
	return 1
}
# boot_libvirt NAME UUID APPEND...: the same guest started by libvirt from a
# domain with <hostdev type='mdev'> (QEMU as libvirt-qemu, under libvirt's
# DAC labels), its serial console in $work/NAME.out; 0 once the domain ran
# and powered off, 124 after 300 s, 1 if libvirt would not start it.
boot_libvirt()
{
	local name=$1 uuid=$2 img=/var/lib/libvirt/images/tessera cpuset='' left=3000

	shift 2
	[ ${#guest_cpu[@]} -gt 0 ] && cpuset=" cpuset='1'"
	mkdir -p "$img"
	cp "$kernel" "$img/vmlinuz" && cp "$initramfs" "$img/initrd" || return 1
	: >"$img/$name.serial"
	chown -R libvirt-qemu:libvirt-qemu "$img"
	cat >"$work/$name.xml" <<XML
<domain type='kvm'>
  <name>tessera-$name</name>
  <memory unit='MiB'>512</memory>
  <vcpu placement='static'$cpuset>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$img/vmlinuz</kernel>
    <initrd>$img/initrd</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 $*</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='host-passthrough'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='$img/$name.serial'/><target port='0'/></serial>
    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
      <source><address uuid='$uuid'/></source>
    </hostdev>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
	if ! virsh -q -c qemu:///system create "$work/$name.xml" >"$work/$name.virsh" 2>&1; then
		cp "$img/$name.serial" "$work/$name.out"
		return 1
	fi
	qemu_user=$(ps -o user= -C qemu-system-x86_64 | head -n 1)
	while virsh -q -c qemu:///system domstate "tessera-$name" 2>/dev/null | grep -q running &&
		[ "$left" -gt 0 ]; do
		left=$((left - 1))
		sleep 0.1
	done
	cp "$img/$name.serial" "$work/$name.out"
	if [ "$left" = 0 ]; then
		virsh -q -c qemu:///system destroy "tessera-$name" >/dev/null 2>&1
		return 124
	fi
	return 0
}

# marker NAME STEP: the rest of the guest's first "TESSERA-ACCEL STEP ..."
# line; has NAME STEP: whether there is one.
marker() { tr -d '\r' 2>/dev/null < "$work/$1.out" | sed -n "s/^TESSERA-ACCEL $2 //p" | head -n 1; }
# grep reads to the end (no -q): under pipefail a reader that stops early
# can kill tr with SIGPIPE and turn a match into a miss.
has() { tr -d '\r' 2>/dev/null < "$work/$1.out" | grep "^TESSERA-ACCEL $2\( \|\$\)" >/dev/null; }
show() { grep -v '^[[:space:]]*$' "$work/$1.out" | tail -n "${2:-25}" | sed "s/^/# $1: /"; }

for f in "$kernel" "$initramfs"; do
	if [ ! -f "$f" ]; then
		not_ok "accel guest: $f is missing"
		finish
	fi
done

# booted_alone NAME PID: wait until guest NAME's driver is up (or it exited)
# before another guest boots. Two nested guests booting at once under the
# test host's emulated SVM have hung (one stuck after "Booting from ROM"
# for minutes) and once panicked the test host in KVM's shutdown
# interception ("corrupted stack end"), before either loaded a driver.
booted_alone()
{
	local left=3000

	while ! has "$1" probe && kill -0 "$2" 2>/dev/null && [ "$left" -gt 0 ]; do
		left=$((left - 1))
		sleep 0.1
	done
}
# khugepaged scanning the nested guests' memory, slowed down by TCG, took
# one test host CPU for over a minute (soft lockup) while a guest booted.
echo never > /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null

# check_gemm_guest STATUS BUSY0 BUSY1 SIZE...: the GEMM guest's checks, from
# its console and the instance's card time before and after it.
check_gemm_guest()
{
	local status=$1 busy0=$2 busy1=$3 probe size line st before after

	shift 3
	probe=$(marker gemm probe)
	if [ "${probe#ok}" != "$probe" ]; then
		ok "the guest's tessera_accel.ko binds to its vGPU ($probe), /dev/accel/accel0 appears"
	else
		not_ok "the guest's tessera_accel.ko binds to its vGPU (QEMU status $status, ${probe:-no probe marker})"
		show gemm 40
	fi
	for size; do
		line=$(marker gemm "gemm $size")
		read -r _ st _ before after <<< "${line:-x 99 x 0 0}"
		if [ "$st" = 0 ] && [ "$after" -gt "$before" ]; then
			ok "guest: 2 GEMMs ${size}x$size run and check out (Freivalds), by interrupt: the device's /proc/interrupts $before -> $after"
		else
			not_ok "guest: 2 GEMMs ${size}x$size (${line:-no marker})"
			grep "tessera-run" "$work/gemm.out" | tail -n 5 | sed 's/^/# /'
		fi
	done
	grep 'tessera-run:' "$work/gemm.out" | tr -d '\r' | sed 's/^/# guest: /'
	if [ "$busy1" -gt "$busy0" ]; then
		ok "the host sees the guest's work: instance busy_ns $busy0 -> $busy1 (card time)"
	else
		not_ok "the host sees the guest's work: instance busy_ns $busy0 -> $busy1"
	fi
}

# The debug test host: one guest's GEMMs on its vGPU, by interrupt, under
# KASAN, lockdep and kmemleak (run.sh checks the host after the client).
if [ "$steps" = gemm ]; then
	if ! new_instance a; then
		not_ok "mdevctl starts a tessera-vgpu-2 instance"
		finish
	fi
	busy0=$(inst_stat "$a" busy_ns)
	boot gemm "$a" tessera.mode=gemm tessera.sizes=256,512,1024 tessera.count=2
	status=$?
	busy1=$(inst_stat "$a" busy_ns)
	if [ "$status" = 0 ]; then
		ok "QEMU with the vGPU as vfio-pci ran the guest and powered off"
	else
		not_ok "QEMU with the vGPU as vfio-pci (status $status)"
	fi
	check_gemm_guest "$status" "$busy0" "$busy1" 256 512 1024
	finish
fi

# ---- the card's own node, on the host ----
# host_node_load: Debian's DRM modules, tessera_accel.ko and
# tessera_accel_host.ko with host_weight 2; its node's path in $host_node.
host_node_load()
{
	local d

	modprobe drm_shmem_helper && modprobe gpu-sched &&
		{ grep -q '^tessera_accel ' /proc/modules || insmod "$ACCEL_KO"; } &&
		insmod "$ACCEL_HOST_KO" host_weight=2 || return 1
	host_node=
	for d in /sys/class/accel/accel*; do
		[ "$(basename "$(readlink "$d/device/driver")")" = tessera_accel_host.host ] &&
			host_node=/dev/accel/$(basename "$d")
	done
	[ -n "$host_node" ] && [ -c "$host_node" ]
}
avail8=$(cat "/sys/class/mdev_bus/$parent/mdev_supported_types/tessera-vgpu-8/available_instances")
if host_node_load; then
	now8=$(cat "/sys/class/mdev_bus/$parent/mdev_supported_types/tessera-vgpu-8/available_instances")
	if [ "$now8" = $((avail8 - 1)) ]; then
		ok "the host node ($host_node) takes one of the card's contexts: tessera-vgpu-8 available $avail8 -> $now8"
	else
		not_ok "the host node takes one context (tessera-vgpu-8 available $avail8 -> $now8)"
	fi
	if "$TESSERA_RUN" -d "$host_node" -n 256 -c 4 >"$work/host.out" 2>&1 &&
	   "$TESSERA_RUN" -d "$host_node" -n 1024 -c 2 >>"$work/host.out" 2>&1; then
		ok "tessera-run on the host node: GEMMs 256 and 1024 check out ($(tail -n 1 "$work/host.out"))"
	else
		not_ok "tessera-run on the host node"
		sed 's/^/# /' "$work/host.out"
	fi
	if rmmod tessera_accel_host &&
	   [ "$(cat "/sys/class/mdev_bus/$parent/mdev_supported_types/tessera-vgpu-8/available_instances")" = "$avail8" ]; then
		ok "rmmod tessera_accel_host gives the context back (tessera-vgpu-8 available $avail8)"
	else
		not_ok "rmmod tessera_accel_host gives the context back"
	fi
else
	not_ok "the host node loads (Debian's DRM modules, $ACCEL_KO, $ACCEL_HOST_KO)"
	dmesg | tail -n 10 | sed 's/^/# /'
fi

# ---- GEMMs in a VM, completions by interrupt ----
if ! new_instance a; then
	not_ok "mdevctl starts a tessera-vgpu-2 instance"
	finish
fi
# The GEMM guest is libvirt's: a domain with the instance as an mdev
# hostdev, as a cluster's libvirt starts it (the other guests are QEMU's).
# libvirt's QEMU driver: no private /dev (the test host's root is an overlay
# in a chroot), consoles written by QEMU itself (no virtlogd), no xattrs
# remembering owners (devtmpfs has none).
mkdir -p /etc/libvirt
cat >/etc/libvirt/qemu.conf <<'CONF'
namespaces = [ ]
stdio_handler = "file"
remember_owner = 0
CONF
if "$here/libvirt-up.sh" 2>"$work/libvirt-up.err"; then
	ok "libvirt: libvirtd $(libvirtd --version | sed 's/.* //') answers on qemu:///system"
else
	not_ok "libvirt: libvirtd did not start"
	sed 's/^/# /' "$work/libvirt-up.err" | tail -n 10
fi
# A file, not a process substitution: the test host's /dev has no fd/.
"$here/libvirt-nodedev.sh" "$parent" >"$work/nodedev.tap" 2>&1
nodedev_plan=0 nodedev_ran=0
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }"; nodedev_ran=$((nodedev_ran + 1)) ;;
	"not ok - "*) not_ok "${line#not ok - }"; nodedev_ran=$((nodedev_ran + 1)) ;;
	1..*) nodedev_plan=${line#1..} ;;
	*) echo "# $line" ;;
	esac
done <"$work/nodedev.tap"
[ "$nodedev_plan" -gt 0 ] && [ "$nodedev_ran" = "$nodedev_plan" ] ||
	not_ok "libvirt: libvirt-nodedev.sh planned $nodedev_plan checks, $nodedev_ran reported"
busy0=$(inst_stat "$a" busy_ns)
qemu_user=
boot_libvirt gemm "$a" tessera.mode=gemm tessera.sizes=256,512,1024 tessera.count=2
status=$?
busy1=$(inst_stat "$a" busy_ns)
if [ "$status" = 0 ] && [ "$qemu_user" = libvirt-qemu ]; then
	ok "libvirt: a domain with <hostdev type='mdev' model='vfio-pci'> on $a ran and powered off, QEMU as $qemu_user"
else
	not_ok "libvirt: the domain with the mdev hostdev (status $status, QEMU as '${qemu_user}')"
	sed 's/^/# virsh: /' "$work/gemm.virsh" | tail -n 5
	tail -n 5 /var/log/libvirt/qemu/tessera-gemm.log 2>/dev/null | sed 's/^/# qemu log: /'
fi
# The other guests are QEMU's own: libvirtd's work would only slow them.
pkill -x libvirtd 2>/dev/null
check_gemm_guest "$status" "$busy0" "$busy1" 256 512 1024

# ---- jobs in flight while unbound, unloaded, powered off ----
boot inflight "$a" tessera.mode=inflight
line=$(marker inflight unbind)
if [ "${line#status 0}" != "$line" ] && has inflight unbound-run; then
	ok "unbinding the guest driver with jobs in flight returns, the run sees its jobs end ($(marker inflight unbound-run))"
else
	not_ok "unbinding the guest driver with jobs in flight (${line:-no marker})"
	show inflight 30
fi
line=$(marker inflight rebind-gemm)
if [ "$line" = "status 0" ] && [ "$(marker inflight rmmod)" = "status 0" ]; then
	ok "bound again, the driver runs GEMMs; rmmod tessera_accel then unloads"
else
	not_ok "bound again, GEMMs and rmmod (${line:-no marker}; rmmod $(marker inflight rmmod))"
	show inflight 30
fi
if has inflight poweroff-inflight; then
	ok "the guest powers off with jobs in flight ($(marker inflight poweroff-inflight))"
else
	not_ok "the guest reaches power-off with jobs in flight"
	show inflight 20
fi
# ---- a hung job: its context is reset, the other tenant's jobs finish ----
# The other tenant is a second guest on its own vGPU; the guests boot one
# after the other (two booting at once under the test host's emulated SVM
# have hung).
old_preempt=$(cat "$card_sysfs/preempt")
old_watchdog=$(cat "$card_sysfs/watchdog_ms")
echo 0 > "$card_sysfs/preempt"
echo 1000 > "$card_sysfs/watchdog_ms"
# Both guests wait at their gates, then the other guest's stream (12 s of
# card time alone) runs while the hung job holds the engine and is reset.
b=
other_during_hang=
if new_instance b; then
	boot other "$b" tessera.gate=1 tessera.mode=load tessera.busy_us=20000 tessera.count=600 &
	other_pid=$!
	booted_alone other "$other_pid"
	boot hang "$a" tessera.gate=1 tessera.mode=hang tessera.busy_us=5000000 &
	hang_pid=$!
	gated other hang -- "$other_pid" "$hang_pid" || echo "# hang: not both guests at their gates"
	release other hang
	# Whether the other guest's stream was still running when the hung
	# guest's BO_WAIT returned: then its jobs finished beside the reset.
	while kill -0 "$hang_pid" 2>/dev/null && ! has hang hang; do
		sleep 0.2
	done
	has other 'load start' && ! has other 'load status' && other_during_hang=1
	wait "$hang_pid" "$other_pid"
	other_status=$(marker other 'load status')
else
	other_status="no second instance"
fi
echo "$old_preempt" > "$card_sysfs/preempt"
echo "$old_watchdog" > "$card_sysfs/watchdog_ms"
line=$(marker hang hang)
if [ "$line" = "status 0" ]; then
	ok "a job that runs past the watchdog with preemption off: the guest's BO_WAIT reports its error ($(grep 'tessera-run' "$work/hang.out" | tr -d '\r' | tail -n 1)), on the instance powered off with jobs in flight before"
else
	not_ok "a job past the watchdog gets an error from BO_WAIT (${line:-no marker})"
	show hang 30
fi
if [ "$other_status" = 0 ] && [ -n "$other_during_hang" ]; then
	ok "meanwhile the other guest's jobs on its own vGPU, running across the reset, finish, every fence checked ($(grep 'tessera-run' "$work/other.out" | tr -d '\r' | tail -n 1))"
else
	not_ok "meanwhile the other guest's jobs finish (${other_status:-no marker}; running when the hang was reported: ${other_during_hang:-no})"
	show other 15
fi

# ---- the host node beside a guest: weights 2 (host) and 6 (guest) ----
# running NAME: the guest's load has started and not ended.
running() { has "$1" 'load start' && ! has "$1" 'load status'; }
if host_node_load; then
	echo 6 > "/sys/bus/mdev/devices/$a/tessera/weight"
	# The guest's stream (22 s of card time alone) outlasts the host's (5 s
	# of card time, 20 s at a quarter of the engine, while the guest takes
	# 15 s).
	boot load_g "$a" tessera.mode=load tessera.busy_us=20000 tessera.count=1100 &
	pid_g=$!
	booted_alone load_g "$pid_g"
	wait_for_load() { while ! has load_g 'load start' && kill -0 "$pid_g" 2>/dev/null; do sleep 0.1; done; }
	wait_for_load
	"$TESSERA_RUN" -d "$host_node" --busy-load 20000 -c 250 -q 4 >"$work/host-load.out" 2>&1 &
	pid_h=$!
	: >"$work/host-shares"
	while kill -0 "$pid_h" 2>/dev/null && running load_g; do
		echo "$("$TESSERA_RUN" -d "$host_node" --busy-ns) $(inst_stat "$a" busy_ns)" >>"$work/host-shares"
		sleep 0.5
	done
	wait "$pid_h"
	host_status=$?
	wait "$pid_g"
	if [ "$host_status" = 0 ] && [ "$(marker load_g 'load status')" = 0 ]; then
		ok "the host node and a guest on one engine both finish their jobs, every fence checked ($(tail -n 1 "$work/host-load.out"))"
	else
		not_ok "the host node and a guest both finish (host $host_status: $(tail -n 1 "$work/host-load.out"); guest $(marker load_g 'load status'))"
		show load_g 15
	fi
	read -r share dh dg intervals <<<"$(busy_share "$work/host-shares")"
	if [ -z "${share:-}" ]; then
		not_ok "host node beside a guest: no window with both busy"
		sed 's/^/# samples: /' "$work/host-shares"
	elif awk -v s="$share" 'BEGIN { exit !(s >= 22 && s <= 28) }'; then
		ok "host node at weight 2, guest at 6: the host's share $share% by the card's busy counters over $intervals samples with both busy (target 25 +- 3)"
	else
		not_ok "host node at weight 2, guest at 6: the host's share $share% (target 25 +- 3; card ns $dh vs $dg over $intervals samples)"
		sed 's/^/# samples: /' "$work/host-shares"
	fi
	rmmod tessera_accel_host
else
	not_ok "the host node loads again"
fi

# ---- two guests at weights 1:3: shares over the time both have work queued ----
# The guests boot one after the other (booted_alone), wait at their gates,
# and start their streams together.
if [ -n "$b" ] || new_instance b; then
	echo 1 > "/sys/bus/mdev/devices/$a/tessera/weight"
	echo 3 > "/sys/bus/mdev/devices/$b/tessera/weight"
	# The weight-1 guest's stream (20 s of card time alone) outlasts the
	# second guest's (6 s of card time, 8 s at 3/4 of the engine).
	boot load_a "$a" tessera.gate=1 tessera.mode=load tessera.busy_us=20000 tessera.count=1000 &
	pid_a=$!
	booted_alone load_a "$pid_a"
	# Both guests on CPU 1: a guest on CPU 0, beside this client's
	# processes, triple-faulted at boot.
	boot load_b "$b" tessera.gate=1 tessera.mode=load tessera.busy_us=20000 tessera.count=300 &
	pid_b=$!
	gated load_a load_b -- "$pid_a" "$pid_b" || echo "# two guests: not both at their gates"
	release load_a load_b
	t0=$SECONDS
	seen=
	# The counters on their own clock, every half second: the marker
	# checks below fork a dozen processes a round.
	sample_two()
	{
		while kill -0 "$pid_a" 2>/dev/null && kill -0 "$pid_b" 2>/dev/null; do
			echo "$(inst_stat "$a" busy_ns) $(inst_stat "$b" busy_ns)"
			sleep 0.5
		done
	}
	sample_two >"$work/two-shares" &
	sampler=$!
	while kill -0 "$pid_a" 2>/dev/null && kill -0 "$pid_b" 2>/dev/null; do
		for m in "load_a load start" "load_b load start" "load_b load status" "load_a load status"; do
			case " $seen " in *" ${m// /_} "*) continue ;; esac
			has "${m%% *}" "${m#* }" || continue
			seen="$seen ${m// /_}"
			echo "# two guests: $m at +$((SECONDS - t0)) s after the release"
		done
		# The scheduler's view once both are busy, for a failure.
		[ -s "$work/sched-state" ] || ! running load_a || ! running load_b ||
			cat "/sys/kernel/debug/tessera/$parent/state" >"$work/sched-state" 2>&1
		sleep 0.5
	done
	wait "$sampler"
	wait "$pid_a" "$pid_b"
	if [ "$(marker load_a 'load status')" = 0 ] && [ "$(marker load_b 'load status')" = 0 ]; then
		ok "two guests on two vGPUs both finish their jobs, every fence checked"
	else
		not_ok "two guests both finish (a: $(marker load_a 'load status'), b: $(marker load_b 'load status'))"
		show load_a 15
		show load_b 15
	fi
	read -r share da db intervals <<<"$(busy_share "$work/two-shares")"
	if [ -z "${share:-}" ]; then
		not_ok "two guests at weights 1:3: no window with both busy"
		sed 's/^/# samples: /' "$work/two-shares"
		show load_a 8
		show load_b 8
	elif awk -v s="$share" 'BEGIN { exit !(s >= 22 && s <= 28) }'; then
		ok "two guests at weights 1:3, both busy: shares $share% and $(awk -v s="$share" 'BEGIN { print 100 - s }')% by the card's busy counters over $intervals samples (target 25 +- 3)"
	else
		not_ok "two guests at weights 1:3: the weight-1 guest's share $share% (target 25 +- 3; card ns $da vs $db over $intervals samples)"
		sed 's/^/# samples: /' "$work/two-shares"
		sed 's/^/# sched: /' "$work/sched-state"
	fi
else
	not_ok "mdevctl starts a second tessera-vgpu-2 instance"
fi

# ---- hot-plug: QMP device_add and device_del into a running guest ----
qmp=$work/qmp.sock
objects=()
dev_args="{\"driver\": \"vfio-pci\", \"id\": \"vgpu0\", \"bus\": \"rp1\", \"sysfsdev\": \"/sys/bus/mdev/devices/$a\""
if [ -n "${TSR_IOMMUFD:-}" ]; then
	objects=(-object "iommufd,id=iommufd0")
	dev_args="$dev_args, \"iommufd\": \"iommufd0\""
fi
dev_args="$dev_args}"
timeout -k 5 600 "${guest_cpu[@]}" "$qemu" -accel kvm -machine q35 -m 512M -smp 1 \
	-nographic -no-reboot -nic none -vga none \
	-kernel "$kernel" -initrd "$initramfs" \
	-append "console=ttyS0 quiet panic=-1 tessera.mode=hotplug" \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 "${objects[@]}" \
	-qmp "unix:$qmp,server=on,wait=off" </dev/null >"$work/hotplug.out" 2>&1 &
hp_pid=$!
# wait_marker NAME STEP TENTHS: until the guest prints STEP (or exits).
wait_marker()
{
	local left=$3

	while ! has "$1" "$2"; do
		# It may have printed STEP and powered off since the look above.
		kill -0 "$hp_pid" 2>/dev/null || { has "$1" "$2"; return; }
		left=$((left - 1))
		[ "$left" -gt 0 ] || return 1
		sleep 0.1
	done
}
added=0
if wait_marker hotplug hotplug-ready 3000 &&
   "$here/qmp.py" "$qmp" device_add "$dev_args" >"$work/qmp-add.out" 2>&1 &&
   wait_marker hotplug hotplug-gemm 3000; then
	added=1
	line=$(marker hotplug hotplug-gemm)
	if [ "$line" = "status 0" ]; then
		ok "QMP device_add of the vGPU into a running guest: the driver binds ($(marker hotplug hotplug-added)) and runs GEMMs"
	else
		not_ok "hot-added vGPU runs GEMMs ($line)"
		show hotplug 20
	fi
else
	not_ok "QMP device_add of the vGPU into a running guest ($(cat "$work/qmp-add.out" 2>/dev/null); $(marker hotplug hotplug-added))"
	show hotplug 20
fi
if [ "$added" = 1 ]; then
	if "$here/qmp.py" "$qmp" device_del '{"id": "vgpu0"}' --wait-event DEVICE_DELETED --timeout 120 \
		>"$work/qmp-del.out" 2>&1 && wait_marker hotplug hotplug-removed 1200 &&
	   [ "$(marker hotplug hotplug-removed)" = ok ]; then
		ok "QMP device_del: the guest's driver unbinds, /dev/accel/accel0 goes, QEMU reports DEVICE_DELETED"
	else
		not_ok "QMP device_del of the vGPU ($(tail -n 1 "$work/qmp-del.out"); $(marker hotplug hotplug-removed))"
		show hotplug 20
	fi
fi
wait "$hp_pid"
finish
