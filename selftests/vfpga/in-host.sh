#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What scripts/suites/56-vfpga.sh runs inside one test host, in groups that
# the suite names its lines after: a line "### tessera-group: NAME" starts
# each. With regions owned (vfpga_share=1): the VFIO selftest program and
# the mdevctl checks (vfpga-owned), then the regression tests
# (vfpga-regress). With regions time-shared (vfpga_share=2): the selftest
# program (vfpga-shared), then the marker test on the vFPGA variants
# (vfpga-shared-marker; the selftests suite runs it owned). With "both",
# the owned groups, then tessera_mdev.ko ($TESSERA_MDEV_KO) unloaded and
# loaded again with vfpga_share=2, then the shared groups: one boot of the
# debug test host costs about 40 s, hence one host and not four.
#
#   selftests/vfpga/in-host.sh OUT_DIR owned|shared|both
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$1
watch=$here/../vfio/run-with-watch.sh
status=0
owned()
{
	echo "### tessera-group: vfpga-owned"
	"$watch" "$out/vfpga_test" || status=1
	"$here/mdevctl-vfpga.sh" || status=1
	echo "### tessera-group: vfpga-regress"
	"$watch" "$out/vfpga_regress_test" || status=1
}
shared()
{
	echo "### tessera-group: vfpga-shared"
	"$watch" "$out/vfpga_test" || status=1
	echo "### tessera-group: vfpga-shared-marker"
	"$watch" "$out/marker_test" -v vfpga_1 -v vfpga_2 -v vfpga_4 || status=1
}
case ${2:-} in
owned) owned ;;
shared) shared ;;
both)
	owned
	echo "### tessera-group: vfpga-reload"
	echo "1..1"
	if rmmod tessera_mdev && insmod "${TESSERA_MDEV_KO:?}" vfpga_share=2 &&
		[ "$(cat /sys/module/tessera_mdev/parameters/vfpga_share)" = 2 ]; then
		echo "ok 1 - tessera_mdev unloads with every instance gone and loads again with vfpga_share=2"
		shared
	else
		echo "not ok 1 - tessera_mdev unloads and loads again with vfpga_share=2"
		status=1
	fi
	;;
*)
	echo "usage: in-host.sh OUT_DIR owned|shared|both" >&2
	exit 2
	;;
esac
exit $status
