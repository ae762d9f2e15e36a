/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera device-memory allocator: slices of BAR2 for instances.
 */
#ifndef TESSERA_VRAM_H
#define TESSERA_VRAM_H

#include <linux/mutex.h>
#include <linux/types.h>

#include "tessera_core.h"

struct gen_pool;
struct tessera_device;

/**
 * struct tessera_vram - allocator over the BAR2 offsets left for instances
 * @lock: serializes allocations with the counting in tessera_vram_count_fit()
 * @pool: gen_pool over [0, &tessera_card_info.vram_usable), shifted by
 *	TESSERA_VRAM_POOL_BIAS
 *	because gen_pool reports failure as address 0
 * @reserve: bytes at the top of device memory kept for the host
 */
struct tessera_vram {
	struct mutex lock;	/* serializes pool allocations and counting */
	struct gen_pool *pool;
	u64 reserve;
};

/* The allocator's functions for clients are in tessera_core.h. */
int tessera_vram_init(struct tessera_device *tdev);
void tessera_vram_fini(struct tessera_device *tdev);
u64 tessera_vram_avail(struct tessera_device *tdev);

#endif /* TESSERA_VRAM_H */
