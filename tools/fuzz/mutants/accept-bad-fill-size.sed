# SPDX-License-Identifier: GPL-2.0
# FILL sizes are not checked: not a multiple of 4, past the transfer bound.
s/if ((a1 \& 3) || a1 > TESSERA_MAX_XFER_BYTES)/if (0)/
