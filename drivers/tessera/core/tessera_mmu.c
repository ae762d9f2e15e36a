// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera device MMU page tables.
 *
 * Three levels of 512 little-endian 64-bit entries (TESSERA_PT_* in the
 * spec), 4 KiB pages. Tables are DMA-coherent pages the card walks. A table
 * whose last entry is cleared is unlinked from its parent, so that an idle
 * context holds only its root; but the card may be walking it still, so it
 * is only freed by tessera_mmu_reap(), which the caller runs once the drain
 * barrier (tessera_ctx_tlb_invalidate()) has returned 0.
 */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#include "tessera_core.h"
#include "tessera_hw.h"
#include "tessera_mmu.h"

/**
 * struct tessera_pt - one page table
 * @entries: the table the card reads
 * @dma: its bus address, what the parent entry or CTX_MMU_ROOT holds
 * @live: valid entries in @entries
 * @children: next-level tables (NULL for a level-0 table)
 * @level: 0 for a leaf table
 * @unlinked: link in struct tessera_mmu::unlinked once emptied
 */
struct tessera_pt {
	__le64 *entries;
	dma_addr_t dma;
	unsigned int live;
	struct tessera_pt **children;
	unsigned int level;
	struct list_head unlinked;
};

/* Page-table pages of every context: the debug suites check it returns. */
atomic_long_t tessera_mmu_tables = ATOMIC_LONG_INIT(0);

/*
 * Tables are made while a guest's doorbell is handled: charged to the
 * caller's memory cgroup, and failing (the command is refused) rather than
 * invoking the OOM killer, as the mediator's shadow buffers do.
 */
#define TESSERA_PT_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static struct tessera_pt *tessera_pt_alloc(struct tessera_mmu *mmu, unsigned int level)
{
	struct tessera_pt *pt;

	pt = kzalloc(sizeof(*pt), TESSERA_PT_GFP);
	if (!pt)
		return NULL;
	pt->level = level;
	INIT_LIST_HEAD(&pt->unlinked);
	pt->entries = dma_alloc_coherent(mmu->dev, TESSERA_PAGE_SIZE, &pt->dma,
					 TESSERA_PT_GFP);
	if (!pt->entries)
		goto err_free;
	if (level) {
		pt->children = kcalloc(TESSERA_PT_ENTRIES, sizeof(*pt->children),
				       TESSERA_PT_GFP);
		if (!pt->children)
			goto err_dma;
	}
	atomic_long_inc(&tessera_mmu_tables);
	return pt;

err_dma:
	dma_free_coherent(mmu->dev, TESSERA_PAGE_SIZE, pt->entries, pt->dma);
err_free:
	kfree(pt);
	return NULL;
}

static void tessera_pt_free(struct tessera_mmu *mmu, struct tessera_pt *pt, unsigned int level)
{
	unsigned int i;

	if (level) {
		for (i = 0; i < TESSERA_PT_ENTRIES; i++)
			if (pt->children[i])
				tessera_pt_free(mmu, pt->children[i], level - 1);
		kfree(pt->children);
	}
	dma_free_coherent(mmu->dev, TESSERA_PAGE_SIZE, pt->entries, pt->dma);
	kfree(pt);
	atomic_long_dec(&tessera_mmu_tables);
}

/**
 * tessera_mmu_reap() - free the tables emptied since the last reap
 * @mmu: the context's tables
 *
 * Only after the drain barrier: until then the card may be walking them.
 */
void tessera_mmu_reap(struct tessera_mmu *mmu)
{
	struct tessera_pt *pt, *tmp;

	mutex_lock(&mmu->lock);
	list_for_each_entry_safe(pt, tmp, &mmu->unlinked, unlinked) {
		list_del(&pt->unlinked);
		tessera_pt_free(mmu, pt, pt->level);
	}
	mutex_unlock(&mmu->lock);
}
EXPORT_SYMBOL_NS_GPL(tessera_mmu_reap, TESSERA);

/**
 * tessera_mmu_create() - page tables for one context, with an empty root
 * @tdev: the card whose DMA the tables are allocated for
 *
 * Return: the tables, or an ERR_PTR().
 */
struct tessera_mmu *tessera_mmu_create(struct tessera_device *tdev)
{
	struct tessera_mmu *mmu;

	mmu = kzalloc(sizeof(*mmu), GFP_KERNEL);
	if (!mmu)
		return ERR_PTR(-ENOMEM);
	mmu->dev = tessera_card_dev(tdev);
	mutex_init(&mmu->lock);
	INIT_LIST_HEAD(&mmu->unlinked);
	mmu->root = tessera_pt_alloc(mmu, TESSERA_PT_LEVELS - 1);
	if (!mmu->root) {
		mutex_destroy(&mmu->lock);
		kfree(mmu);
		return ERR_PTR(-ENOMEM);
	}
	return mmu;
}
EXPORT_SYMBOL_NS_GPL(tessera_mmu_create, TESSERA);

/**
 * tessera_mmu_destroy() - free the tables
 * @mmu: tables of a context that is off the card (nothing walks them);
 *	NULL is ignored
 */
void tessera_mmu_destroy(struct tessera_mmu *mmu)
{
	if (IS_ERR_OR_NULL(mmu))
		return;
	tessera_mmu_reap(mmu);
	tessera_pt_free(mmu, mmu->root, TESSERA_PT_LEVELS - 1);
	mutex_destroy(&mmu->lock);
	kfree(mmu);
}
EXPORT_SYMBOL_NS_GPL(tessera_mmu_destroy, TESSERA);

dma_addr_t tessera_mmu_root(struct tessera_mmu *mmu)
{
	return mmu->root->dma;
}
EXPORT_SYMBOL_NS_GPL(tessera_mmu_root, TESSERA);

/**
 * tessera_mmu_map() - map one 4 KiB page
 * @mmu: the context's tables
 * @dva: device address, page aligned, below TESSERA_DVA_PAGED_LIMIT
 * @addr: bus address of the page
 * @writable: whether the card may write it
 *
 * Replaces an existing mapping of @dva.
 *
 * Return: 0, -EINVAL for a bad address, -ENOMEM.
 */
int tessera_mmu_map(struct tessera_mmu *mmu, u64 dva, dma_addr_t addr, bool writable)
{
	struct tessera_pt *pt;
	unsigned int level, idx;
	u64 pte;

	if (dva >= TESSERA_DVA_PAGED_LIMIT || !IS_ALIGNED(dva, TESSERA_PAGE_SIZE) ||
	    !IS_ALIGNED(addr, TESSERA_PAGE_SIZE) || (addr & ~TESSERA_PTE_ADDR_MASK))
		return -EINVAL;

	mutex_lock(&mmu->lock);
	pt = mmu->root;
	for (level = TESSERA_PT_LEVELS - 1; level > 0; level--) {
		idx = TESSERA_PT_INDEX(dva, level);
		if (!pt->children[idx]) {
			struct tessera_pt *child = tessera_pt_alloc(mmu, level - 1);

			if (!child) {
				mutex_unlock(&mmu->lock);
				return -ENOMEM;
			}
			pt->children[idx] = child;
			/* The child must be complete before the card can walk to it. */
			dma_wmb();
			WRITE_ONCE(pt->entries[idx], cpu_to_le64(child->dma | TESSERA_PTE_VALID));
			pt->live++;
		}
		pt = pt->children[idx];
	}

	idx = TESSERA_PT_INDEX(dva, 0);
	pte = (addr & TESSERA_PTE_ADDR_MASK) | TESSERA_PTE_VALID;
	if (writable)
		pte |= TESSERA_PTE_WRITE;
	if (!(le64_to_cpu(pt->entries[idx]) & TESSERA_PTE_VALID)) {
		pt->live++;
		mmu->mapped++;
	}
	WRITE_ONCE(pt->entries[idx], cpu_to_le64(pte));
	mutex_unlock(&mmu->lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tessera_mmu_map, TESSERA);

/**
 * tessera_mmu_unmap() - remove one page's mapping, freeing emptied tables
 * @mmu: the context's tables
 * @dva: device address, page aligned
 *
 * Return: whether a mapping was removed.
 */
bool tessera_mmu_unmap(struct tessera_mmu *mmu, u64 dva)
{
	struct tessera_pt *path[TESSERA_PT_LEVELS];
	struct tessera_pt *pt;
	unsigned int level, idx;
	bool removed = false;

	if (dva >= TESSERA_DVA_PAGED_LIMIT)
		return false;

	mutex_lock(&mmu->lock);
	pt = mmu->root;
	for (level = TESSERA_PT_LEVELS - 1; level > 0; level--) {
		path[level] = pt;
		pt = pt->children[TESSERA_PT_INDEX(dva, level)];
		if (!pt)
			goto out;
	}
	path[0] = pt;

	idx = TESSERA_PT_INDEX(dva, 0);
	if (!(le64_to_cpu(pt->entries[idx]) & TESSERA_PTE_VALID))
		goto out;
	WRITE_ONCE(pt->entries[idx], 0);
	pt->live--;
	mmu->mapped--;
	removed = true;

	/* Free tables that became empty, bottom up; never the root. */
	for (level = 0; level < TESSERA_PT_LEVELS - 1; level++) {
		struct tessera_pt *parent = path[level + 1];

		if (path[level]->live)
			break;
		idx = TESSERA_PT_INDEX(dva, level + 1);
		WRITE_ONCE(parent->entries[idx], 0);
		parent->children[idx] = NULL;
		parent->live--;
		list_add_tail(&path[level]->unlinked, &mmu->unlinked);
	}
out:
	mutex_unlock(&mmu->lock);
	return removed;
}
EXPORT_SYMBOL_NS_GPL(tessera_mmu_unmap, TESSERA);
