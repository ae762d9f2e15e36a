#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The card model's own qtests, in QEMU's test framework.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
suite_exec scripts/qtest.sh qtest
