/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel's <linux/compiler.h>, <linux/build_bug.h> and
 * <asm/byteorder.h> give drivers/tessera/lib/, for its
 * userspace builds here (the Makefile includes this first).
 */
#ifndef TESSERA_FUZZ_KERNEL_COMPAT_H
#define TESSERA_FUZZ_KERNEL_COMPAT_H

#define __always_inline	inline __attribute__((__always_inline__))
#define fallthrough	__attribute__((__fallthrough__))
#define noinline	__attribute__((__noinline__))
#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

#include <endian.h>
#include <stddef.h>
#define le64_to_cpu(x)	le64toh(x)

#endif /* TESSERA_FUZZ_KERNEL_COMPAT_H */
