# SPDX-License-Identifier: GPL-2.0
# A misaligned FENCE is rejected, but as TESSERA_VF_REJECT_RESERVED instead
# of TESSERA_VF_REJECT_BOUNDS: the guest reads the wrong reason.
/if (a0 \& 7)/{
n
s/TESSERA_VF_REJECT_BOUNDS/TESSERA_VF_REJECT_RESERVED/
}
