# SPDX-License-Identifier: GPL-2.0
# GEMM's m may exceed TESSERA_GEMM_MAX_DIM (the card faults BAD_ARG).
s/return ((m - 1) | (n - 1) | (k - 1)) < TESSERA_GEMM_MAX_DIM;/return m \&\& ((n - 1) | (k - 1)) < TESSERA_GEMM_MAX_DIM;/
