#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libFuzzer over the command audit with its oracle: 1,000,000 executions.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
suite_exec scripts/fuzz.sh fuzz 1000000
