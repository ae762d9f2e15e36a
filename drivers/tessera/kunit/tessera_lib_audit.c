// SPDX-License-Identifier: GPL-2.0
/*
 * lib/tessera_audit.c built once more, for tessera_lib_test.ko: kbuild links
 * an object into one module only, and tessera_mdev.ko has lib/tessera_audit.o.
 */
#include "../lib/tessera_audit.c"
