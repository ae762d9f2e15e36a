# SPDX-License-Identifier: GPL-2.0
# COPY ranges may overlap.
s/if (tessera_audit_overlap(a0, a1, a2))/if (0)/
