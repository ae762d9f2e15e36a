/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bitstream image validation: the pure check the mediator applies to an
 * image it has copied out of guest memory, before the card may load it.
 * No PCI or VFIO dependency, so KUnit runs it under UML.
 */
#ifndef TESSERA_BITSTREAM_H
#define TESSERA_BITSTREAM_H

#include <linux/types.h>

#include "tessera_hw.h"

u32 tessera_bitstream_check(const u8 *image, u64 image_size, u32 allowed_functions,
			    u64 capacity, u32 *function);

#endif /* TESSERA_BITSTREAM_H */
