#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer over the command audit with its two-sided oracle: 1,000,000
# executions; then each audit mutant (tools/fuzz/mutants/) must be caught.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
suite_exec scripts/fuzz.sh fuzz --mutants 1000000
