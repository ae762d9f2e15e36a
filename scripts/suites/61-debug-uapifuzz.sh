#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The VFIO uAPI fuzzer again, on the debug test host (KASAN, lockdep,
# UBSAN, kmemleak: Documentation/testing.rst), through iommufd: every type
# for TESSERA_FUZZ_SECONDS (18) in one test host (a boot and a kmemleak
# scan per type would cost half a minute each), and mtty.ko's known oops
# in a host of its own. Every line is suite 58's, named "debug: ...",
# renumbered here. Suite 58 itself runs on Debian's kernel, what users run.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
set -uo pipefail

export TESSERA_TESTHOST_KERNEL=debug
export TESSERA_FUZZ_HOSTS=${TESSERA_FUZZ_HOSTS:-one}
export TESSERA_FUZZ_SECONDS=${TESSERA_FUZZ_SECONDS:-18}
tap_renumber debug "$(dirname "$0")/58-uapifuzz.sh"
finish
