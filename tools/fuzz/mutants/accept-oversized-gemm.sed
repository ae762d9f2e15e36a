# SPDX-License-Identifier: GPL-2.0
# GEMM's m may exceed TESSERA_GEMM_MAX_DIM (the card faults BAD_ARG).
s/if (!m || !n || !k || m > TESSERA_GEMM_MAX_DIM || n > TESSERA_GEMM_MAX_DIM ||/if (!m || !n || !k || n > TESSERA_GEMM_MAX_DIM ||/
