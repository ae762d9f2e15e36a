# SPDX-License-Identifier: GPL-2.0
# Rejects every command (TESSERA_VF_REJECT_OPCODE): a one-sided oracle that
# checks only what the audit accepts passes this audit.
s/switch ((u8)hdr) {/switch ((u8)hdr | 0x100) {/
