// SPDX-License-Identifier: GPL-2.0
/*
 * The pure command audit, built once more for tessera_accel.ko: kbuild links
 * an object into one module only, and tessera_mdev.ko has lib/tessera_audit.o.
 */
#include "../lib/tessera_audit.c"
