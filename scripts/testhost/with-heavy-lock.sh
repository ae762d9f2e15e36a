#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a command under the machine-wide heavy-job lock (.cache/heavy.lock, or
# $TESSERA_HEAVY_LOCK), unless this process already holds it through a
# parent: `flock .cache/heavy.lock make check` does not deadlock.
#
#   scripts/testhost/with-heavy-lock.sh COMMAND [ARG...]
set -euo pipefail

# shellcheck source=scripts/testhost/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
testhost_heavy_lock
exec "$@"
