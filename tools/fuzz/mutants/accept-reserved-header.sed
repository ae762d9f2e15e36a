# SPDX-License-Identifier: GPL-2.0
# The header's reserved field is not checked (the card faults BAD_ARG).
s/^#define TESSERA_AUDIT_UNUSED(used)\t(~(0xffull | (used)))$/#define TESSERA_AUDIT_UNUSED(used)\t(~(0xffff00ffull | (used)))/
s/if (cmd->opcode < TESSERA_OP_PRIVILEGED_FIRST \&\& cmd->reserved)/if (0)/
