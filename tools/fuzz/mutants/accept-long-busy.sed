# SPDX-License-Identifier: GPL-2.0
# BUSY may ask for more than TESSERA_MAX_BUSY_US (the card faults BAD_ARG).
s/if (a0 > TESSERA_MAX_BUSY_US)/if (0)/
