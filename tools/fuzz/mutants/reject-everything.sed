# SPDX-License-Identifier: GPL-2.0
# Rejects every command (TESSERA_VF_REJECT_OPCODE): a one-sided oracle that
# checks only what the audit accepts passes this audit.
s/if (cmd->opcode >= TESSERA_OP_PRIVILEGED_FIRST)/if (1 || cmd->opcode >= TESSERA_OP_PRIVILEGED_FIRST)/
