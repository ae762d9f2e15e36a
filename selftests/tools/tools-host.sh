#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Operators' route, inside the test host with a one-engine card and the
# DKMS-built modules loaded (scripts/suites/65-tools.sh):
#
#   - the Debian packages install with dpkg (tessera-tools, libtessera0,
#     libtessera-dev) and what they install works: tessera-smi from
#     /usr/sbin, its man page, a program built against libtessera with
#     pkg-config;
#   - the installed tessera-smi passes smi-test.sh (golden outputs, exit
#     statuses, live utilisation at 1:3);
#   - Documentation/ABI/testing/sysfs-bus-mdev-tessera names every file of
#     a live card, type and instance, and no other;
#   - an instance defined with `mdevctl define --auto` comes back by itself
#     when the modules are unloaded and loaded again (udev, mdevctl's
#     start-parent-mdevs, the packages' udev rule).
# libvirt's node devices and a libvirt domain are tested in the accel
# suite, whose test host runs libvirtd for its guests anyway.
#
#   selftests/tools/tools-host.sh DEBDIR SCHED_BENCH OUT
#
# $TESSERA_KO names the tessera.ko to load again (tessera_mdev.ko beside
# it). Prints TAP.
set -u

debs=${1:?usage: tools-host.sh DEBDIR SCHED_BENCH OUT}
bench=${2:?}
out=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
ko=${TESSERA_KO:?TESSERA_KO must name tessera.ko}
mdev_ko=$(dirname "$ko")/tessera_mdev.ko
card=0000:00:03.0
# udevadm refuses to act in what it takes for a chroot (the overlay root).
export SYSTEMD_IGNORE_CHROOT=1
mkdir -p "$out"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }
tail_of() { sed 's/^/# /' "$1" | tail -n "${2:-10}"; }

# wait_path PATH SECONDS [gone]
wait_path()
{
	local i

	for ((i = 0; i < $2 * 10; i++)); do
		if [ "${3:-}" = gone ]; then
			[ -e "$1" ] || return 0
		else
			[ -e "$1" ] && return 0
		fi
		sleep 0.1
	done
	return 1
}

# ---- the packages ----
dpkg -i "$debs"/tessera-tools_*.deb "$debs"/libtessera0_*.deb "$debs"/libtessera-dev_*.deb \
	>"$out/dpkg.log" 2>&1
rc=$?
check $rc "packages: dpkg -i tessera-tools, libtessera0, libtessera-dev"
[ $rc = 0 ] || tail_of "$out/dpkg.log"
dpkg-query -W -f '${Package} ${Version} ${Status}\n' tessera-tools libtessera0 libtessera-dev \
	>"$out/dpkg-query.log" 2>&1
[ "$(grep -c 'install ok installed' "$out/dpkg-query.log")" = 3 ]
check $? "packages: dpkg knows all three as installed ($(tr '\n' ';' <"$out/dpkg-query.log"))"
command -v tessera-smi >/dev/null && [ "$(command -v tessera-smi)" = /usr/sbin/tessera-smi ] &&
	/usr/sbin/tessera-smi --version >/dev/null
check $? "packages: tessera-smi is /usr/sbin/tessera-smi and runs"
man_page=$(dpkg -L tessera-tools | grep '/man8/tessera-smi\.8')
MANWIDTH=80 man --warnings -l "$man_page" >/dev/null 2>"$out/man.err" && [ ! -s "$out/man.err" ]
check $? "packages: man tessera-smi renders without a warning"
bash -c '. /usr/share/bash-completion/completions/tessera-smi && complete -p tessera-smi' \
	>/dev/null 2>&1
check $? "packages: the bash completion defines tessera-smi's"
cat >"$out/uselib.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <tessera.h>
int main(void)
{
	struct tsr_dev *dev = NULL;
	int ret = tsr_open(NULL, &dev);

	/* No accel node here: the library's own error, not a crash. */
	printf("tsr_open: %s (%s)\n", tsr_errno_name(ret), tsr_strerror(TSR_CALL_OPEN, ret));
	return ret != -ENOENT;
}
C
# shellcheck disable=SC2046
gcc -o "$out/uselib" "$out/uselib.c" $(pkg-config --cflags --libs libtessera) \
	>"$out/uselib.log" 2>&1 && "$out/uselib" >>"$out/uselib.log" 2>&1
check $? "packages: a program builds with pkg-config libtessera and runs ($(tail -n 1 "$out/uselib.log"))"

# ---- the sysfs ABI document and a live card's files: the same names ----
abi_uuid=6b0e0000-0000-4000-8000-0000000000ab
/usr/sbin/tessera-smi create -t vgpu-8 -u $abi_uuid >/dev/null
/usr/bin/python3 - "$here/../../Documentation/ABI/testing/sysfs-bus-mdev-tessera" \
	"$card" $abi_uuid >"$out/abi.check" 2>&1 <<'PY'
import glob, os, re, sys
doc, card, uuid = sys.argv[1:]
documented = {l.split("\t")[-1].strip() for l in open(doc) if l.startswith("What:")}
def norm(path):
    path = path.replace("/sys/bus/pci/devices/%s/" % card, "/sys/bus/pci/devices/<card>/")
    path = path.replace("/sys/class/mdev_bus/%s/" % card, "/sys/class/mdev_bus/<card>/")
    path = path.replace("/sys/bus/mdev/devices/%s/" % uuid, "/sys/bus/mdev/devices/<uuid>/")
    return re.sub(r"/(tessera_types|mdev_supported_types)/[^/]+/", r"/\1/<type>/", path)
live = set()
for pattern in ("/sys/bus/pci/devices/%s/tessera/*" % card,
                "/sys/bus/pci/devices/%s/tessera_types/*/*" % card,
                "/sys/bus/mdev/devices/%s/tessera/*" % uuid):
    live |= {norm(p) for p in glob.glob(pattern) if os.path.isfile(p)}
mdev_core = {p for p in documented if "/mdev_supported_types/" in p}
undocumented, stale = sorted(live - documented), sorted(documented - live - mdev_core)
print("%d files; undocumented: %s; documented but absent: %s" %
      (len(live), " ".join(undocumented) or "none", " ".join(stale) or "none"))
sys.exit(1 if undocumented or stale else 0)
PY
check $? "ABI: Documentation/ABI/testing/sysfs-bus-mdev-tessera names every file of a live card, type and instance, and no other ($(cat "$out/abi.check"))"
/usr/sbin/tessera-smi remove -u $abi_uuid

# ---- the installed tessera-smi, golden and live ----
"$here/smi-test.sh" /usr/sbin/tessera-smi "$bench" "$out/smi" >"$out/smi.tap" 2>"$out/smi.err"
smi_status=$?
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*) ok "$(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")" ;;
	"not ok "[0-9]*) not_ok "$(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")" ;;
	1..*) ;;
	*) echo "$line" ;;
	esac
done <"$out/smi.tap"
[ $smi_status = 0 ] || tail_of "$out/smi.err"

# ---- mdevctl ----
# udev for mdevctl's rules (libvirt's node devices are tested where
# libvirtd runs already, in the accel suite: selftests/clients/accel-client.sh).
"$here/../clients/udev-up.sh"
# mdevctl define --auto: back after the modules go and come again.
auto=6b0e0000-0000-4000-8000-000000000002
mdevctl define -u $auto -p $card -t tessera-vgpu-4 --auto >"$out/auto.log" 2>&1 &&
	mdevctl start -u $auto >>"$out/auto.log" 2>&1 && wait_path "/sys/bus/mdev/devices/$auto" 10
check $? "mdevctl: define --auto and start of a tessera-vgpu-4"
rmmod tessera_mdev 2>>"$out/auto.log" && rmmod tessera 2>>"$out/auto.log" &&
	[ ! -e "/sys/bus/mdev/devices/$auto" ]
check $? "mdevctl: rmmod tessera_mdev and tessera take the instance away"
insmod "$ko" 2>>"$out/auto.log" && insmod "$mdev_ko" 2>>"$out/auto.log" &&
	udevadm settle --timeout=30 && wait_path "/sys/bus/mdev/devices/$auto" 30
rc=$?
check $rc "mdevctl: loading the modules again brings the defined instance back (udev, start-parent-mdevs)"
[ $rc = 0 ] || tail_of "$out/auto.log"
mdevctl stop -u $auto >/dev/null 2>&1
mdevctl undefine -u $auto >/dev/null 2>&1
[ ! -e "/sys/bus/mdev/devices/$auto" ] && [ ! -e "/etc/mdevctl.d/$card/$auto" ]
check $? "mdevctl: stop and undefine leave nothing"

echo "1..$n"
exit $failed
