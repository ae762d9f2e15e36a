#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vFPGA benchmark: in a fresh test host with the card and tessera.ko,
# selftests/vfpga/vfpga_bench measures, in one run,
#   - reconfiguration card time (VF_RGN_CONFIG_NS) against image size, and
#     against what the card's modelled bandwidth predicts;
#   - aggregate CRC32 throughput of 1..R instances each owning a region;
#   - with tessera.ko's vfpga_share=2 (a second test host): 2R instances
#     time-sharing R regions for slice lengths short to long, the fraction
#     of region time lost to reconfiguration, and the slice length at which
#     time-sharing loses under 10%;
#   - with vfpga_share=4 (a third test host): aggregate CRC32 throughput of
#     1, 2, 4, 8 and 16 instances on the 4 regions.
#
#   scripts/bench-fpga.sh            (TESSERA_KO=path overrides the module)
#
# The card runs with its default region count (4), capacity (8 MiB) and
# configuration bandwidth (195 KiB/ms), named explicitly below so that the
# figures say what they were measured with.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/.cache/selftests
logs=$top/.cache/bench/vfpga
bw=195
card="tessera-card,regions=4,region-capacity=8M,config-bandwidth-kib-per-ms=$bw"
mkdir -p "$logs"

if ! make -C "$top/selftests/vfio" OUT="$out" >"$logs/build.log" 2>&1 ||
   ! make -C "$top/selftests/vfpga" OUT="$out" >>"$logs/build.log" 2>&1; then
	tail -20 "$logs/build.log" >&2
	echo "bench-fpga: the benchmark does not build" >&2
	exit 1
fi
ko=${TESSERA_KO:-$top/drivers/tessera/tessera.ko}
if [ -z "${TESSERA_KO:-}" ]; then
	kroot=$("$top/scripts/fetch-kernel.sh") || exit 1
	# shellcheck source=scripts/versions.sh
	. "$top/scripts/versions.sh"
	if ! make -C "$kroot/usr/src/linux-headers-$TESSERA_KVER" M="$top" modules \
		>"$logs/module.log" 2>&1; then
		tail -20 "$logs/module.log" >&2
		echo "bench-fpga: tessera.ko does not build" >&2
		exit 1
	fi
fi

status=0
run()
{
	# run NAME MODULE-PARAMS BENCH-ARGS...
	local name=$1 params=$2

	shift 2
	echo "\$ scripts/testhost/run.sh --device $card --insmod tessera.ko --insmod 'tessera_mdev.ko $params' -- vfpga_bench $*"
	"$top/scripts/testhost/run.sh" --device "$card" --insmod "$ko" --insmod "${ko%/*}/tessera_mdev.ko $params" --timeout 1500 \
		--name "bench-fpga-$name" -- "$out/vfpga_bench" "$@" >"$logs/$name.log" 2>&1 ||
		status=1
	grep -E '^(#|  |bench:)' "$logs/$name.log" | grep -v '^# tsr:' || true
	echo
}

run space "" --config-bw "$bw" --sizes-mib 1,2,4,8 --mode space
if [ "$status" = 0 ]; then
	run shared "vfpga_share=2" --config-bw "$bw" --mode shared
fi
if [ "$status" = 0 ]; then
	run scale16 "vfpga_share=4" --mode scale-shared
fi
exit $status
