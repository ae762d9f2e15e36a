# SPDX-License-Identifier: GPL-2.0
# Every address range passes: below the guest limit as guest memory, above
# it as device memory (the card's own window check and MMU fault them).
/^static __always_inline int tessera_audit_space_of(/,/^{$/{
s/^{$/{\n\treturn addr < env->guest_limit ? TESSERA_AUDIT_GUEST : TESSERA_AUDIT_VRAM;/
}
