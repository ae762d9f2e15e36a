# SPDX-License-Identifier: GPL-2.0
# Privileged and undefined opcodes pass the audit (the card faults them:
# TESSERA_FAULT_PRIV, TESSERA_FAULT_BAD_OPCODE).
/^\tdefault:$/,/^\t}$/{
s/return tessera_audit_reject(res, TESSERA_VF_REJECT_OPCODE, cmd->opcode);/return tessera_audit_accept(res, 0);/
}
