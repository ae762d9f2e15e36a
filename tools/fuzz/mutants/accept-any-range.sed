# SPDX-License-Identifier: GPL-2.0
# Every address range passes, in whichever space its first byte is (the
# card's own window check and MMU fault the rest).
/^static __always_inline bool tessera_audit_in_space(/,/^{$/{
s/^{$/{\n\treturn true;/
}
