#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run one command inside a fresh test host: Debian's 6.12 kernel (or the
# debug kernel of scripts/build-debug-kernel.sh) under QEMU (TCG), with the
# build machine's root filesystem read-only over 9p under a tmpfs overlay,
# the VFIO and mdev modules loaded, and optionally the Tessera card model
# and an emulated Intel IOMMU attached. The command's output (TAP/KTAP) comes
# back over the serial console and its exit status becomes ours.
set -euo pipefail

usage()
{
	cat <<'USAGE'
usage: scripts/testhost/run.sh [options] -- COMMAND [ARG...]

  --kernel debian|debug
                       the guest kernel (default $TESSERA_TESTHOST_KERNEL, else
                       debian): Debian's 6.12, or the debug kernel (KASAN,
                       lockdep, kmemleak, ...; built first if need be), whose
                       runs also fail on any new taint bit, lockdep turning
                       itself off, a kmemleak report or a UBSAN report
  --iommu              add QEMU's intel-iommu, boot with intel_iommu=on
                       iommu.strict=1, and fail the run on any DMAR fault
                       (also $TESSERA_TESTHOST_IOMMU=1)
  --qemu BIN           QEMU binary (default: scripts/qemu, the build with the
                       Tessera card, else /usr/bin/qemu-system-x86_64)
  --device SPEC        add '-device SPEC', e.g. --device tessera-card,vram=64M
  --insmod 'PATH.ko [PARAM=VALUE...]'
                       load a module by path (its dependencies first); it must
                       be built for the guest kernel (for the debug kernel:
                       scripts/build-debug-module.sh prints such a tessera.ko)
  --modprobe NAME      load one of the guest kernel's modules
  --nested-kvm         load irqbypass, kvm, ccp, kvm-amd so that a nested
                       guest can run with -accel kvm
  --timeout SECONDS    kill the VM after this long (default 600); exit 124
  --name NAME          name used in messages and for the console log
  --mem SIZE           guest memory (default 2G; 1G with --kernel debug)
  --smp N              guest CPUs (default 2)
  --machine TYPE       QEMU machine (default q35)
  --qemu-arg ARG       pass ARG to QEMU as is (repeat for several)
  --env NAME=VALUE     set an environment variable for the command
  --cwd DIR            working directory of the command (default: the repo)
  -v, --verbose        show the whole console, boot messages included

Exit status: the command's; 124 if the VM timed out; 125 if the test host
failed before or around the command (boot, mounts, module loading, no
status reported). A kernel warning, oops or soft lockup raised while the
command ran turns a 0 into 1, and so do the debug kernel's reports and,
with --iommu, a DMAR fault.
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testhost/lib.sh
. "$here/lib.sh"
top=$testhost_top

qemu=
kernel_kind=${TESSERA_TESTHOST_KERNEL:-debian}
iommu=${TESSERA_TESTHOST_IOMMU:-0}
nested_kvm=0
insmod_kos=()
devices=()
guest_args=()
qemu_extra=()
timeout_s=600
name=
mem=
smp=2
machine=q35
cwd=$top
verbose=${TESTHOST_VERBOSE:-0}

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel_kind=$2; shift 2 ;;
	--iommu) iommu=1; shift ;;
	--qemu) qemu=$2; shift 2 ;;
	--device) devices+=(-device "$2"); shift 2 ;;
	--insmod)
		read -r -a words <<< "$2"
		ko=$(realpath -e "${words[0]}") || {
			echo "testhost: module ${words[0]} not found" >&2
			exit 125
		}
		words[0]=$ko
		insmod_kos+=("$ko")
		guest_args+=(--insmod "${words[*]}")
		shift 2 ;;
	--modprobe) guest_args+=(--modprobe "$2"); shift 2 ;;
	--nested-kvm) nested_kvm=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--qemu-arg) qemu_extra+=("$2"); shift 2 ;;
	--env) guest_args+=(--env "$2"); shift 2 ;;
	--cwd) cwd=$(realpath -e "$2"); shift 2 ;;
	-v|--verbose) verbose=1; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	*) echo "testhost: unknown option '$1'" >&2; usage >&2; exit 125 ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "testhost: no command given" >&2
	usage >&2
	exit 125
fi
case "$timeout_s" in
''|*[!0-9]*) echo "testhost: --timeout wants whole seconds, not '$timeout_s'" >&2; exit 125 ;;
esac
[ -n "$name" ] || name=$(basename "$1")
name=${name//[^A-Za-z0-9_.-]/_}
case "$iommu" in
0|1) ;;
*) echo "testhost: TESSERA_TESTHOST_IOMMU wants 0 or 1, not '$iommu'" >&2; exit 125 ;;
esac

if [ -z "$qemu" ]; then
	# scripts/qemu runs our build only once `make qemu` has made it.
	if [ -x "$top/scripts/qemu" ] && "$top/scripts/qemu" --version >/dev/null 2>&1; then
		qemu=$top/scripts/qemu
	else
		qemu=/usr/bin/qemu-system-x86_64
	fi
fi

# The kernel, its initramfs and modules tree, and what it boots with.
# The debug kernel: kasan_multi_shot, or KASAN would report only its first
# finding per boot; kmemleak on; testhost.reports=1 makes init check
# lockdep and kmemleak around the command and dump the kernel log after it.
append_extra=()
case "$kernel_kind" in
debian)
	kroot=$("$top/scripts/fetch-kernel.sh")
	kernel="$kroot/boot/vmlinuz-$testhost_kver"
	krelease=$testhost_kver
	# kvm_amd needs ccp's symbols there; the debug kernel has no ccp.
	kvm_modules=(irqbypass kvm ccp kvm_amd)
	;;
debug)
	kdir=$("$top/scripts/build-debug-kernel.sh") || {
		echo "testhost: the debug kernel does not build (scripts/build-debug-kernel.sh)" >&2
		exit 125
	}
	kernel="$kdir/arch/x86/boot/bzImage"
	krelease=$(cat "$kdir/include/config/kernel.release")
	kvm_modules=(kvm_amd)
	append_extra+=(kasan_multi_shot kmemleak=on log_buf_len=4M no_hash_pointers testhost.reports=1)
	;;
*) echo "testhost: --kernel wants debian or debug, not '$kernel_kind'" >&2; exit 125 ;;
esac
if [ "$nested_kvm" = 1 ]; then
	for m in "${kvm_modules[@]}"; do
		guest_args+=(--modprobe "$m")
	done
fi
for ko in "${insmod_kos[@]}"; do
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null) || vermagic=
	if [ "${vermagic%% *}" != "$krelease" ]; then
		echo "testhost: $ko is built for '${vermagic%% *}', the test host runs $krelease" >&2
		[ "$kernel_kind" = debug ] &&
			echo "testhost: scripts/build-debug-module.sh builds tessera.ko for the debug kernel" >&2
		exit 125
	fi
done
built=$("$here/build-initramfs.sh" --kernel "$kernel_kind")
{ read -r initramfs; read -r modroot; } <<< "$built"
# The IOMMU first: QEMU puts only devices created after it behind it.
if [ "$iommu" = 1 ]; then
	devices=(-device intel-iommu "${devices[@]}")
	append_extra+=(intel_iommu=on iommu.strict=1)
fi
case "$top$modroot" in
*[[:space:]]*) echo "testhost: paths with blanks cannot go on the kernel command line: $top" >&2; exit 125 ;;
esac

# The debug host boots in 1G: KASAN's shadow, kmemleak's tracking and its
# two scans grow with memory (a boot with `true` took 59 s in 2G, 46 s in
# 1G). Nested guests ask for 2G with --mem.
[ -n "$mem" ] || { [ "$kernel_kind" = debug ] && mem=1G || mem=2G; }

# The job: a script on the build machine that the VM reads over 9p.
mkdir -p "$testhost_cache/jobs" "$testhost_cache/logs"
jobdir=$(mktemp -d "$testhost_cache/jobs/$name.XXXXXX")
trap 'rm -rf "$jobdir"' EXIT
{
	echo '#!/bin/bash'
	printf 'exec %q' "$here/in-guest.sh"
	printf ' %q' "${guest_args[@]}" --cwd "$cwd" -- "$@"
	echo
} > "$jobdir/job.sh"

nonce=$(od -An -N8 -tx8 /dev/urandom | tr -d ' \n')
log="$testhost_cache/logs/$name.log"
status_file="$jobdir/status"

# shellcheck disable=SC2054 # the commas separate QEMU's sub-options
qemu_cmd=(
	"$qemu" -accel tcg -machine "$machine" -m "$mem" -smp "$smp"
	-nographic -no-reboot -nic none -vga none
	-kernel "$kernel" -initrd "$initramfs"
	-append "console=ttyS0 quiet panic=-1 rdinit=/init testhost.job=$jobdir/job.sh testhost.nonce=$nonce testhost.modroot=$modroot${append_extra[*]/#/ }"
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-device virtio-rng-pci
	"${devices[@]}" "${qemu_extra[@]}"
)

testhost_heavy_lock

# mawk (Debian's default awk) fills its input buffer before it acts, which
# would hold the console back until the VM ends; -W interactive reads lines.
awk_stream=(awk)
awk -W version 2>/dev/null | grep mawk >/dev/null && awk_stream=(awk -W interactive)

# Console filter: keep the whole console in the log, pass on what the
# command printed (between the begin and exit markers, or everything with
# --verbose) as it arrives, and record the markers' contents.
set +e
# --foreground: QEMU stays in the caller's process group, so that a caller
# that times out and signals its group (run-suites.sh's timeout of a suite)
# stops the VM too, rather than leaving it to hold the heavy-job lock.
# shellcheck disable=SC2016 # the $ in the awk program are awk's
timeout --foreground -k 10 "$timeout_s" "${qemu_cmd[@]}" </dev/null 2>&1 |
	"${awk_stream[@]}" -v nonce="$nonce" -v logfile="$log" -v status="$status_file" -v verbose="$verbose" '
	BEGIN { printf "" > logfile; inside = 0 }
	{
		gsub(/\r/, "")
		# SeaBIOS paints the serial console with terminal escapes.
		gsub(/\033(\[[0-9;?]*[A-Za-z]|c)/, "")
		print >> logfile
		b = index($0, "testhost-begin " nonce)
		e = index($0, "testhost-exit " nonce)
		r = index($0, "testhost-reports " nonce)
		if (r) {
			split(substr($0, r), f, " ")
			print "reports " f[3] " " f[4] " " f[5] " " f[6] > status
			if (verbose) print substr($0, r)
		} else if (b) {
			split(substr($0, b), f, " ")
			print "begin " f[3] > status
			inside = 1
			if (verbose) print
		} else if (e) {
			pre = substr($0, 1, e - 1)
			if (inside && pre != "") print pre
			split(substr($0, e), f, " ")
			print "exit " f[3] " " f[4] > status
			inside = 0
			if (verbose) print substr($0, e)
		} else if (inside || verbose) {
			print
		}
		fflush()
	}'
qemu_status=${PIPESTATUS[0]}
set -e

last_output()
{
	tail -n 20 "$log" 2>/dev/null || true
}

if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	echo "testhost: VM $name timed out after ${timeout_s}s; last output:"
	last_output
	exit 124
fi

taint_before='' status='' taint_after='' reports=''
if [ -f "$status_file" ]; then
	while read -r what a b rest; do
		case "$what" in
		begin) taint_before=$a ;;
		exit) status=$a; taint_after=$b ;;
		reports) reports="$a $b $rest" ;;
		esac
	done < "$status_file"
fi
if [ -z "$status" ]; then
	echo "testhost: VM $name ended (QEMU status $qemu_status) without reporting the command's exit status; last output:"
	last_output
	exit 125
fi
if [ -z "$taint_before" ]; then
	# init gave up before the job started; its reason is in the log.
	echo "testhost: VM $name could not start the command; last output:"
	last_output
	exit 125
fi

# A kernel report turns a passing command into a failing one.
report()
{
	echo "testhost: VM $name: $*"
	[ "$status" != 0 ] || status=1
}

# The taint letters of /proc/sys/kernel/tainted, bit 0 first.
taint_names()
{
	local bits=$1 letters=PFSRMBUDAWCIOELKXTN i out=''

	for ((i = 0; i < 32; i++)); do
		(( (bits >> i) & 1 )) || continue
		if [ "$i" -lt ${#letters} ]; then
			out+="${letters:i:1}"
		else
			out+="[bit $i]"
		fi
	done
	case "$out" in
	*B*) out+=" (B: a KASAN or KFENCE report, or a bad page)" ;;
	esac
	echo "$out"
}

# The console while the command ran (between the begin and exit markers),
# and the whole console before init's post-exit reports.
console_command()
{
	awk -v b="testhost-begin $nonce" -v e="testhost-exit $nonce" \
		'index($0, e) { exit } on { print } index($0, b) { on = 1 }' "$log"
}
console_before_reports()
{
	awk -v r="testhost-reports $nonce" 'index($0, r) { exit } { print }' "$log"
}

if [ "$kernel_kind" = debug ]; then
	# The whole kernel log (quiet hides lockdep's and WARN's lines on the
	# console) follows init's testhost-dmesg marker in the console log.
	klog="$log (the kernel log follows 'testhost-dmesg')"
	# Any new taint bit: while in-guest.sh loaded the modules (but O and
	# E, which loading an out-of-tree or unsigned module sets, and N,
	# which a KUnit module sets when its suites run as it loads), and
	# while the command ran.
	loaded=- locks_before=- locks_after=- leaks=-
	for kv in $reports; do
		case "$kv" in
		loaded=*) loaded=${kv#*=} ;;
		locks_before=*) locks_before=${kv#*=} ;;
		locks_after=*) locks_after=${kv#*=} ;;
		leaks=*) leaks=${kv#*=} ;;
		esac
	done
	if [ -z "$reports" ]; then
		report "the debug kernel's checks did not report (no testhost-reports line from init); see $log"
	fi
	case "$loaded" in ''|*[!0-9]*) loaded=$taint_before ;; esac
	gained=$(( loaded & ~taint_before & ~((1 << 12) | (1 << 13) | (1 << 18)) ))
	if [ "$gained" != 0 ]; then
		report "the kernel was tainted $(taint_names "$gained") while the modules loaded (taint $taint_before -> $loaded); see $klog"
	fi
	gained=$(( taint_after & ~loaded ))
	if [ "$gained" != 0 ]; then
		report "the kernel was tainted $(taint_names "$gained") while the command ran (taint $loaded -> $taint_after); see $klog"
	fi
	case "$locks_before,$locks_after" in
	1,1) ;;
	1,0) report "lockdep reported a problem and turned itself off (debug_locks 1 -> 0); its report is in $klog" ;;
	0,*) report "lockdep was already off when the command started (a report while booting); see $klog" ;;
	*) report "lockdep's debug_locks could not be read (/proc/lockdep_stats: '$locks_before' -> '$locks_after'); see $log" ;;
	esac
	case "$leaks" in
	0) ;;
	''|*[!0-9]*)
		report "kmemleak is off or could not scan ('$leaks'), so leaks went unchecked; see $log" ;;
	*)
		report "kmemleak found $leaks unreferenced object(s) after the command; the report follows 'testhost-kmemleak' in $log:"
		awk -v k="testhost-kmemleak $nonce" -v d="testhost-dmesg $nonce" \
			'index($0, d) { exit } on && shown++ < 20 { print "  " $0 } index($0, k) { on = 1 }' "$log" ;;
	esac
	# Whole reads only: under pipefail, a reader that stops early (grep -q,
	# head) kills its writer with SIGPIPE, which made a caught report a
	# miss or the run's status 141.
	ubsan=$(console_command | grep 'UBSAN:' || true)
	if [ -n "$ubsan" ]; then
		report "UBSAN reported while the command ran; see $log:"
		printf '%s\n' "$ubsan" | sed -n '1,3s/^/  /p'
	fi
else
	# Taint bits: 7 = oops (D), 9 = warning (W), 14 = soft lockup (L).
	new_taint=$(( (taint_after & ~taint_before) & ((1 << 7) | (1 << 9) | (1 << 14)) ))
	if [ "$new_taint" != 0 ]; then
		report "the kernel raised a warning, oops or lockup while the command ran (taint $taint_before -> $taint_after); see $log"
	fi
fi

# With the IOMMU: any fault the guest's DMAR driver logged, or a failed
# translation QEMU's intel-iommu printed, anywhere in the console.
if [ "$iommu" = 1 ]; then
	dmar=$(console_before_reports |
		grep -E 'DMAR: \[(DMA|INTR)|DMAR: DRHD: handling fault|vtd_[a-z_]+: detected' || true)
	if [ -n "$dmar" ]; then
		report "$(echo "$dmar" | wc -l) DMAR fault line(s) in the console; see $log:"
		printf '%s\n' "$dmar" | sed -n '1,5s/^/  /p'
	fi
fi
exit "$status"
