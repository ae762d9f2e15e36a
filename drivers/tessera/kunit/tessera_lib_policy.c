// SPDX-License-Identifier: GPL-2.0
/*
 * lib/tessera_policy.c built once more, for tessera_lib_test.ko: kbuild
 * links an object into one module only, and tessera.ko has
 * lib/tessera_policy.o. Its exports are tessera.ko's: here the functions
 * stay inside the test module, so that both modules load side by side.
 */
#include <linux/export.h>

#undef EXPORT_SYMBOL_NS_GPL
#define EXPORT_SYMBOL_NS_GPL(sym, ns)

#include "../lib/tessera_policy.c"
