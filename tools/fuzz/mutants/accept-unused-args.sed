# SPDX-License-Identifier: GPL-2.0
# Arguments an opcode does not use are not checked (the card faults BAD_ARG).
s/^\treturn any;$/\treturn 0;/
