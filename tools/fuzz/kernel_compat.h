/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel's <linux/compiler.h> gives drivers/tessera/lib/, for its
 * userspace builds here (the Makefile includes this first).
 */
#ifndef TESSERA_FUZZ_KERNEL_COMPAT_H
#define TESSERA_FUZZ_KERNEL_COMPAT_H

#define __always_inline	inline __attribute__((__always_inline__))
#define fallthrough	__attribute__((__fallthrough__))

#endif /* TESSERA_FUZZ_KERNEL_COMPAT_H */
