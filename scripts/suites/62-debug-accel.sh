#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Suite 63's GEMM guest on the debug test host (KASAN, lockdep, UBSAN,
# kmemleak): one nested guest boots Debian's kernel, binds its buffers
# through tessera_accel.ko and runs GEMMs of 256, 512 and 1024 by
# interrupt through the mediator, results checked (Freivalds), and the
# host's checks cover the mediator's side. Every line is suite 63's,
# named "debug: ...". About 2 minutes since the debug kernel has
# transparent huge pages (15 minutes before: every 4 KiB nested page
# fault ran instrumented KVM code under TCG).
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

export TESSERA_TESTHOST_KERNEL=debug TSR_IOMMUFD=1 ACCEL_STEPS=gemm
tap_renumber debug "$(dirname "$0")/63-accel.sh"
finish
