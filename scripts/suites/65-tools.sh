#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Operators' tools and packages: tessera-smi where there is no card, the
# Debian packages and the DKMS build against Debian's pinned headers (on
# the build machine), then one test host with a one-engine card running the
# DKMS-built modules: the packages installed with dpkg and used, tessera-smi's
# golden outputs and live utilisation, the sysfs ABI document against the
# card's files, and mdevctl's --auto instances across a module reload
# (selftests/tools/tools-host.sh). libvirt is the accel suite's. One TAP
# stream.
#
# Environment: TESSERA_SELFTEST_TIMEOUT (seconds for the test host, default
# 900).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

top=$suite_top
out=$top/.cache/tools-suite
logs=$top/.cache/suites/tools
vm_timeout=${TESSERA_SELFTEST_TIMEOUT:-900}
mkdir -p "$logs" "$out"
# shellcheck source=scripts/versions.sh
. "$top/scripts/versions.sh"

suite_make "$logs/smi-build.log" "tools: tessera-smi builds against libpci" \
	"tools: tessera-smi does not build (make -C tools/tessera-smi)" \
	-C "$top/tools/tessera-smi" OUT="$out/bin"
"$top/tools/tessera-smi/test-nocard.sh" "$out/bin/tessera-smi" >"$logs/nocard.tap" 2>&1
while IFS= read -r line; do
	case "$line" in
	"ok "[0-9]*) tap ok "tools: no card: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")" ;;
	"not ok "[0-9]*) tap not-ok "tools: no card: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")" ;;
	esac
done <"$logs/nocard.tap"

version=$(sed -n 's/^VERSION := //p' "$top/tools/lib/Makefile")
rm -rf "$out/deb"
if "$top/tools/packaging/build-debs.sh" "$out/deb" >"$logs/debs.log" 2>&1 &&
	[ "$(ls "$out"/deb/*.deb | wc -l)" = 4 ]; then
	tap ok "tools: make deb builds tessera-dkms, tessera-tools, libtessera0 and libtessera-dev"
else
	tap not-ok "tools: the Debian packages do not build (tools/packaging/build-debs.sh)"
	tap_comment_file "$logs/debs.log" 20
	finish
fi
missing=''
for want in tessera-tools:./usr/sbin/tessera-smi tessera-tools:./usr/share/man/man8/tessera-smi.8 \
	tessera-tools:./usr/bin/tessera-run libtessera0:./usr/lib/x86_64-linux-gnu/libtessera.so.0 \
	libtessera-dev:./usr/include/tessera.h \
	libtessera-dev:./usr/lib/x86_64-linux-gnu/pkgconfig/libtessera.pc \
	"tessera-dkms:./usr/src/tessera-$version/dkms.conf" "tessera-dkms:./usr/src/tessera-$version/Kbuild"; do
	dpkg-deb -c "$out"/deb/"${want%%:*}"_*.deb | awk '{print $6}' >"$logs/contents"
	grep -qxF "${want#*:}" "$logs/contents" || missing+=" $want"
done
if [ -z "$missing" ]; then
	tap ok "tools: the packages hold the program, man page, library, header, pkg-config file and DKMS source"
else
	tap not-ok "tools: missing from the packages:$missing"
fi

# DKMS against the pinned headers, in a tree of our own (no root-owned state).
kdir=$top/.cache/kernel/$TESSERA_KVER/usr/src/linux-headers-$TESSERA_KVER
rm -rf "$out/dkms"
mkdir -p "$out/dkms"
if dkms build -m tessera -v "$version" -k "$TESSERA_KVER" --kernelsourcedir "$kdir" \
	--dkmstree "$out/dkms" --sourcetree "$out/deb/stage/tessera-dkms/usr/src" \
	>"$logs/dkms.log" 2>&1; then
	tap ok "tools: dkms build of tessera $version for $TESSERA_KVER from the DKMS package's source"
else
	tap not-ok "tools: dkms build fails (log: .cache/suites/tools/dkms.log)"
	tap_comment_file "$logs/dkms.log" 20
	finish
fi
ko_dir=$out/dkms/tessera/$version/$TESSERA_KVER/x86_64/module
ko=$ko_dir/tessera.ko
for m in tessera tessera_mdev tessera_accel tessera_accel_host; do
	[ -f "$ko_dir/$m.ko" ] || { tap not-ok "tools: dkms built no $m.ko"; finish; }
done
tap ok "tools: dkms built tessera, tessera_mdev, tessera_accel and tessera_accel_host"

suite_make "$logs/bench-build.log" "tools: sched-bench (the known load) builds" \
	"tools: sched-bench does not build (make -C selftests/sched)" \
	-C "$top/selftests/sched" OUT="$out/bin"
suite_need tools scripts/testhost/run.sh scripts/qemu selftests/tools/tools-host.sh

log=$logs/tools-host.log
start=$SECONDS
"$top/scripts/testhost/run.sh" --device tessera-card,engines=1 --insmod "$ko" \
	--insmod "$ko_dir/tessera_mdev.ko" --env "TESSERA_KO=$ko" --timeout "$vm_timeout" \
	--name selftest-tools -- \
	"$top/selftests/tools/tools-host.sh" "$out/deb" "$out/bin/sched-bench" /tmp/tools \
	>"$log" 2>&1
status=$?
tap_relay_client tools "$log" "$status" "$start" selftest-tools
finish
