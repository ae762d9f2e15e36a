// SPDX-License-Identifier: GPL-2.0
/*
 * lib/tessera_policy.c built once more, for tessera_lib_test.ko: kbuild
 * links an object into one module only, and tessera.ko has
 * lib/tessera_policy.o. Its exports are tessera.ko's: here the functions
 * stay inside the test module, so that both modules load side by side.
 */
#include <linux/export.h>

/*
 * Nothing exported: what remains is a declaration, since each use ends in a
 * semicolon at file scope.
 */
#undef EXPORT_SYMBOL_NS_GPL
#define EXPORT_SYMBOL_NS_GPL(sym, ns) static_assert(sizeof(#sym #ns) > 2)

#include "../lib/tessera_policy.c"
