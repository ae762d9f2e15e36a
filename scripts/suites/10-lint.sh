#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch --strict on the kernel-side sources; W=1 and sparse builds.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"
suite_exec scripts/lint.sh lint
