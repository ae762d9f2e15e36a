/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera device MMU: one context's page tables in DMA-coherent memory.
 * The functions clients call are in tessera_core.h.
 */
#ifndef TESSERA_MMU_H
#define TESSERA_MMU_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "tessera_core.h"

struct device;
struct tessera_pt;

/**
 * struct tessera_mmu - the three-level page tables of one context
 * @dev: the card's struct device, for DMA allocations
 * @lock: protects the tables below @root and @mapped
 * @root: the level-2 table; its DMA address goes to CTX_MMU_ROOT
 * @mapped: valid leaf entries
 * @unlinked: emptied tables the card may still be walking, freed by
 *	tessera_mmu_reap() after the drain barrier
 */
struct tessera_mmu {
	struct device *dev;
	struct mutex lock;	/* protects the tables and mapped */
	struct tessera_pt *root;
	u64 mapped;
	struct list_head unlinked;
};

extern atomic_long_t tessera_mmu_tables;

#endif /* TESSERA_MMU_H */
