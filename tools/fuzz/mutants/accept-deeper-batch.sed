# SPDX-License-Identifier: GPL-2.0
# One batch level deeper than TESSERA_MAX_BATCH_DEPTH passes the audit (the
# card faults BATCH_DEPTH).
s/if (depth + 1 > TESSERA_MAX_BATCH_DEPTH)/if (depth > TESSERA_MAX_BATCH_DEPTH)/
