# SPDX-License-Identifier: GPL-2.0
# Privileged and undefined opcodes pass the audit (the card faults them:
# TESSERA_FAULT_PRIV, TESSERA_FAULT_BAD_OPCODE).
s/if (cmd->opcode >= TESSERA_OP_PRIVILEGED_FIRST)/if (0)/
/^\tdefault:$/{
n
s/return tessera_audit_reject(res, TESSERA_VF_REJECT_OPCODE, cmd->opcode);/return 0;/
}
