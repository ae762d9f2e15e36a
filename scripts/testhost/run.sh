#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run one command inside a fresh test host: Debian's 6.12 kernel under
# QEMU (TCG), with the build machine's root filesystem read-only over 9p
# under a tmpfs overlay, the VFIO and mdev modules loaded, and optionally the
# Tessera card model attached. The command's output (TAP/KTAP) comes back
# over the serial console and its exit status becomes ours.
set -euo pipefail

usage()
{
	cat <<'USAGE'
usage: scripts/testhost/run.sh [options] -- COMMAND [ARG...]

  --qemu BIN           QEMU binary (default: scripts/qemu, the build with the
                       Tessera card, else /usr/bin/qemu-system-x86_64)
  --device SPEC        add '-device SPEC', e.g. --device tessera-card,vram=64M
  --insmod 'PATH.ko [PARAM=VALUE...]'
                       load a module by path (its dependencies first)
  --modprobe NAME      load one of the guest kernel's modules
  --nested-kvm         load irqbypass, kvm, ccp, kvm-amd so that a nested
                       guest can run with -accel kvm
  --timeout SECONDS    kill the VM after this long (default 600); exit 124
  --name NAME          name used in messages and for the console log
  --mem SIZE           guest memory (default 2G)
  --smp N              guest CPUs (default 2)
  --machine TYPE       QEMU machine (default q35)
  --qemu-arg ARG       pass ARG to QEMU as is (repeat for several)
  --env NAME=VALUE     set an environment variable for the command
  --cwd DIR            working directory of the command (default: the repo)
  -v, --verbose        show the whole console, boot messages included

Exit status: the command's; 124 if the VM timed out; 125 if the test host
failed before or around the command (boot, mounts, module loading, no
status reported). A kernel warning, oops or soft lockup raised while the
command ran turns a 0 into 1.
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/testhost/lib.sh
. "$here/lib.sh"
top=$testhost_top

qemu=
devices=()
guest_args=()
qemu_extra=()
timeout_s=600
name=
mem=2G
smp=2
machine=q35
cwd=$top
verbose=${TESTHOST_VERBOSE:-0}

while [ $# -gt 0 ]; do
	case "$1" in
	--qemu) qemu=$2; shift 2 ;;
	--device) devices+=(-device "$2"); shift 2 ;;
	--insmod)
		read -r -a words <<< "$2"
		ko=$(realpath -e "${words[0]}") || {
			echo "testhost: module ${words[0]} not found" >&2
			exit 125
		}
		words[0]=$ko
		guest_args+=(--insmod "${words[*]}")
		shift 2 ;;
	--modprobe) guest_args+=(--modprobe "$2"); shift 2 ;;
	--nested-kvm)
		guest_args+=(--modprobe irqbypass --modprobe kvm --modprobe ccp --modprobe kvm_amd)
		shift ;;
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

if [ -z "$qemu" ]; then
	# scripts/qemu runs our build only once `make qemu` has made it.
	if [ -x "$top/scripts/qemu" ] && "$top/scripts/qemu" --version >/dev/null 2>&1; then
		qemu=$top/scripts/qemu
	else
		qemu=/usr/bin/qemu-system-x86_64
	fi
fi

kroot=$("$top/scripts/fetch-kernel.sh")
kernel="$kroot/boot/vmlinuz-$testhost_kver"
built=$("$here/build-initramfs.sh")
{ read -r initramfs; read -r modroot; } <<< "$built"
case "$top$modroot" in
*[[:space:]]*) echo "testhost: paths with blanks cannot go on the kernel command line: $top" >&2; exit 125 ;;
esac

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
	-append "console=ttyS0 quiet panic=-1 rdinit=/init testhost.job=$jobdir/job.sh testhost.nonce=$nonce testhost.modroot=$modroot"
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
timeout -k 10 "$timeout_s" "${qemu_cmd[@]}" </dev/null 2>&1 |
	"${awk_stream[@]}" -v nonce="$nonce" -v logfile="$log" -v status="$status_file" -v verbose="$verbose" '
	BEGIN { printf "" > logfile; inside = 0 }
	{
		gsub(/\r/, "")
		# SeaBIOS paints the serial console with terminal escapes.
		gsub(/\033(\[[0-9;?]*[A-Za-z]|c)/, "")
		print >> logfile
		b = index($0, "testhost-begin " nonce)
		e = index($0, "testhost-exit " nonce)
		if (b) {
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

taint_before='' status='' taint_after=''
if [ -f "$status_file" ]; then
	while read -r what a b; do
		case "$what" in
		begin) taint_before=$a ;;
		exit) status=$a; taint_after=$b ;;
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

# Taint bits: 7 = oops (D), 9 = warning (W), 14 = soft lockup (L).
new_taint=$(( (taint_after & ~taint_before) & ((1 << 7) | (1 << 9) | (1 << 14)) ))
if [ "$new_taint" != 0 ]; then
	echo "testhost: VM $name: the kernel raised a warning, oops or lockup while the command ran (taint $taint_before -> $taint_after); see $log"
	[ "$status" != 0 ] || status=1
fi
exit "$status"
