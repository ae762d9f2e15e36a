#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# KUnit suites of the driver's pure core, under UML.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
suite_exec_heavy scripts/kunit.sh kunit
