#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What scripts/suites/56-vfpga.sh runs inside one test host: the VFIO
# selftest program, then the mdevctl checks. Two TAP streams, one after
# the other; the suite renumbers them into one.
#
#   selftests/vfpga/in-host.sh OUT_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=$1
status=0
"$here/../vfio/run-with-watch.sh" "$out/vfpga_test" || status=1
"$here/mdevctl-vfpga.sh" || status=1
exit $status
