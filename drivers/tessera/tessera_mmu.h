/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera device MMU: one context's page tables in DMA-coherent memory.
 */
#ifndef TESSERA_MMU_H
#define TESSERA_MMU_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>

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

int tessera_mmu_init(struct tessera_mmu *mmu, struct device *dev);
void tessera_mmu_fini(struct tessera_mmu *mmu);
dma_addr_t tessera_mmu_root(struct tessera_mmu *mmu);
int tessera_mmu_map(struct tessera_mmu *mmu, u64 dva, dma_addr_t addr, bool writable);
bool tessera_mmu_unmap(struct tessera_mmu *mmu, u64 dva);
void tessera_mmu_reap(struct tessera_mmu *mmu);

#endif /* TESSERA_MMU_H */
