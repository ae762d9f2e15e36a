# SPDX-License-Identifier: GPL-2.0
# GEMM's C is neither checked nor reported for pinning.
s/!tessera_audit_add(env, res, a2, m \* n \* 4, true))/0)/
