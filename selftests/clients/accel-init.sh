#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# init of the accel guest (a nested VM on a vGPU instance, built by
# build-accel-initramfs.sh): load Debian's DRM modules and tessera_accel.ko,
# then do what tessera.mode= on the kernel command line asks, and power off.
# Every line the host checks starts with "TESSERA-ACCEL".
#
#   tessera.mode=gemm     tessera-run for each of tessera.sizes= (comma list),
#                         tessera.count= GEMMs each; the device's interrupt
#                         count before and after
#   tessera.mode=load     tessera-run --busy-load tessera.busy_us= -c
#                         tessera.count=: card-bound load for the fairness
#                         tests (a GEMM stream is bound by the guest's CPU)
#   tessera.mode=hang     tessera-run --hang tessera.busy_us=
#   tessera.mode=inflight jobs in flight while the driver is unbound; bound
#                         again, a GEMM; then jobs in flight at power-off
#   tessera.mode=hotplug  waits for the host to hot-add the vGPU, a GEMM,
#                         waits for the host to remove it
#   tessera.gate=1        before its work, prints "ready" and waits for a
#                         line on ttyS1 (the host's gate): guests that
#                         booted one after the other start their work at once
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin

arg()
{
	sed -n "s/.*tessera\.$1=\([^ ]*\).*/\1/p" /proc/cmdline
}

# The device's interrupts so far, all CPUs.
irqs()
{
	awk '/tessera/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; t += s }
	     END { print t + 0 }' /proc/interrupts
}

irqs_above() { [ "$(irqs)" -gt "$1" ]; }

# wait_for TENTHS COMMAND...: until COMMAND succeeds, polling every 0.1 s.
wait_for()
{
	n=$1
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		usleep 100000
	done
}

echo "TESSERA-ACCEL begin kernel $(uname -r)"
for m in $(cat /modules.list) tessera_accel.ko; do
	if ! insmod "/lib/modules/$m"; then
		echo "TESSERA-ACCEL insmod fail $m"
		poweroff -f
	fi
done
mode=$(arg mode)
if [ "$mode" != hotplug ]; then
	if wait_for 100 test -c /dev/accel/accel0; then
		echo "TESSERA-ACCEL probe ok $(ls /sys/bus/pci/drivers/tessera_accel | grep ':')"
	else
		echo "TESSERA-ACCEL probe fail: no /dev/accel/accel0"
		dmesg | tail -n 20
		poweroff -f
	fi
fi
bdf=$(ls /sys/bus/pci/drivers/tessera_accel | grep ':' | head -n 1)
if [ "$(arg gate)" = 1 ]; then
	# ttyS1 stays open from before "ready": a UART drops what arrives
	# while no one has it open, so the host's line cannot come too early.
	exec 3</dev/ttyS1
	stty -echo <&3
	echo "TESSERA-ACCEL ready"
	read -r _ <&3
	exec 3<&-
fi

case "$mode" in
hotplug)
	# The host adds the vGPU (QMP device_add) once it sees this line.
	echo "TESSERA-ACCEL hotplug-ready"
	if wait_for 1800 test -c /dev/accel/accel0; then
		echo "TESSERA-ACCEL hotplug-added ok $(ls /sys/bus/pci/drivers/tessera_accel | grep ':')"
		tessera-run -d /dev/accel/accel0 -n 256 -c 2
		echo "TESSERA-ACCEL hotplug-gemm status $?"
		# ... and removes it (device_del) after that line.
		if wait_for 1800 test ! -e /dev/accel/accel0; then
			echo "TESSERA-ACCEL hotplug-removed ok"
		else
			echo "TESSERA-ACCEL hotplug-removed fail"
		fi
	else
		echo "TESSERA-ACCEL hotplug-added fail"
	fi
	;;
gemm)
	for n in $(arg sizes | tr ',' ' '); do
		before=$(irqs)
		tessera-run -d /dev/accel/accel0 -n "$n" -c "$(arg count)"
		status=$?
		echo "TESSERA-ACCEL gemm $n status $status irqs $before $(irqs)"
	done
	;;
load)
	echo "TESSERA-ACCEL load start"
	tessera-run -d /dev/accel/accel0 --busy-load "$(arg busy_us)" -c "$(arg count)" -q 4
	echo "TESSERA-ACCEL load status $?"
	;;
hang)
	tessera-run -d /dev/accel/accel0 --hang "$(arg busy_us)"
	echo "TESSERA-ACCEL hang status $?"
	;;
inflight)
	# Jobs in flight: a long stream, started, seen running by its interrupts.
	before=$(irqs)
	tessera-run -d /dev/accel/accel0 -n 256 -c 400 -q 8 >/tmp/bg.out 2>&1 &
	bg=$!
	wait_for 600 irqs_above "$before"
	echo "$bdf" > /sys/bus/pci/drivers/tessera_accel/unbind
	echo "TESSERA-ACCEL unbind status $? irqs $before $(irqs)"
	wait "$bg"
	echo "TESSERA-ACCEL unbound-run status $? $(tail -n 1 /tmp/bg.out)"
	echo "$bdf" > /sys/bus/pci/drivers/tessera_accel/bind
	wait_for 100 test -c /dev/accel/accel0
	tessera-run -d /dev/accel/accel0 -n 256 -c 2
	echo "TESSERA-ACCEL rebind-gemm status $?"
	rmmod tessera_accel
	echo "TESSERA-ACCEL rmmod status $?"
	insmod /lib/modules/tessera_accel.ko
	wait_for 100 test -c /dev/accel/accel0
	before=$(irqs)
	tessera-run -d /dev/accel/accel0 -n 256 -c 400 -q 8 >/dev/null 2>&1 &
	wait_for 600 irqs_above "$before"
	echo "TESSERA-ACCEL poweroff-inflight irqs $before $(irqs)"
	;;
*)
	echo "TESSERA-ACCEL mode unknown: '$(arg mode)'"
	;;
esac
echo "TESSERA-ACCEL end"
poweroff -f
