// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera card core: the reconfigurable regions, which clients claim whole.
 *
 * The core owns which client holds each region and routes each region's
 * interrupt to the callback its holder set; what a region runs, and for
 * whom, is the holder's (the mediator shares them among vFPGA instances,
 * in space or in turns). A holder drives its regions' register and user
 * pages itself (tessera_region_regs()), as the spec describes them.
 */
#include <linux/bitmap.h>
#include <linux/interrupt.h>

#include "tessera_drv.h"

/**
 * tessera_region_claim() - take free regions
 * @tdev: the card
 * @count: how many
 * @phys: out, the region numbers, lowest first
 *
 * A claimed region starts quiet: interrupts off and acknowledged, and no
 * callback until its holder sets one.
 *
 * Return: 0, or -ENOSPC when fewer than @count are free (none taken).
 */
int tessera_region_claim(struct tessera_device *tdev, unsigned int count, unsigned int *phys)
{
	struct tessera_regions *rg = &tdev->regions;
	unsigned int nr = tdev->info.num_regions, r, got = 0;

	mutex_lock(&rg->lock);
	if (count > nr || nr - bitmap_weight(&rg->claimed, nr) < count) {
		mutex_unlock(&rg->lock);
		return -ENOSPC;
	}
	for_each_clear_bit(r, &rg->claimed, nr) {
		if (got == count)
			break;
		phys[got++] = r;
	}
	for (r = 0; r < count; r++)
		__set_bit(phys[r], &rg->claimed);
	mutex_unlock(&rg->lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tessera_region_claim, TESSERA);

/* Regions no client holds now. */
unsigned int tessera_region_free_count(struct tessera_device *tdev)
{
	unsigned int nr = tdev->info.num_regions, used;

	mutex_lock(&tdev->regions.lock);
	used = bitmap_weight(&tdev->regions.claimed, nr);
	mutex_unlock(&tdev->regions.lock);
	return nr - used;
}
EXPORT_SYMBOL_NS_GPL(tessera_region_free_count, TESSERA);

/**
 * tessera_region_release() - give regions back
 * @tdev: the card
 * @count: how many
 * @phys: the region numbers, as claimed
 *
 * The holder has stopped them; their callbacks are cleared here.
 */
void tessera_region_release(struct tessera_device *tdev, unsigned int count,
			    const unsigned int *phys)
{
	struct tessera_regions *rg = &tdev->regions;
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (WARN_ON(phys[i] >= tdev->info.num_regions))
			continue;
		tessera_region_set_handler(tdev, phys[i], NULL, NULL);
		tessera_wr(tdev, TESSERA_REGION_REG(phys[i], TESSERA_RGN_INT_ENABLE), 0);
	}
	mutex_lock(&rg->lock);
	for (i = 0; i < count; i++)
		if (phys[i] < tdev->info.num_regions)
			WARN_ON(!__test_and_clear_bit(phys[i], &rg->claimed));
	mutex_unlock(&rg->lock);
}
EXPORT_SYMBOL_NS_GPL(tessera_region_release, TESSERA);

/**
 * tessera_region_set_handler() - route a claimed region's interrupts
 * @tdev: the card
 * @phys: the region
 * @fn: callback, or NULL to acknowledge the interrupts only
 * @data: its argument
 *
 * The old callback is never called once this returns: callbacks run
 * under the lock taken here. Any context.
 */
void tessera_region_set_handler(struct tessera_device *tdev, unsigned int phys,
				tessera_region_irq_fn fn, void *data)
{
	struct tessera_regions *rg = &tdev->regions;
	unsigned long flags;

	if (WARN_ON(phys >= tdev->info.num_regions))
		return;
	spin_lock_irqsave(&rg->owner_lock, flags);
	rg->owner[phys].fn = fn;
	rg->owner[phys].data = data;
	spin_unlock_irqrestore(&rg->owner_lock, flags);
}
EXPORT_SYMBOL_NS_GPL(tessera_region_set_handler, TESSERA);

/* The region's register page (TESSERA_RGN_*), for its holder. */
void __iomem *tessera_region_regs(struct tessera_device *tdev, unsigned int phys)
{
	if (WARN_ON(phys >= tdev->info.num_regions))
		phys = 0;
	return tdev->regs + TESSERA_REGION_REG(phys, 0);
}
EXPORT_SYMBOL_NS_GPL(tessera_region_regs, TESSERA);

/* The region's user page (TESSERA_RGN_USER_*), for its holder. */
void __iomem *tessera_region_user_regs(struct tessera_device *tdev, unsigned int phys)
{
	if (WARN_ON(phys >= tdev->info.num_regions))
		phys = 0;
	return tdev->regs + TESSERA_RGN_USER_REG(phys, 0);
}
EXPORT_SYMBOL_NS_GPL(tessera_region_user_regs, TESSERA);

/* Hard-interrupt context: @status is already acknowledged. */
void tessera_regions_dispatch(struct tessera_device *tdev, unsigned int phys, u32 status)
{
	struct tessera_regions *rg = &tdev->regions;
	unsigned long flags;

	spin_lock_irqsave(&rg->owner_lock, flags);
	if (rg->owner[phys].fn)
		rg->owner[phys].fn(rg->owner[phys].data, status);
	spin_unlock_irqrestore(&rg->owner_lock, flags);
}

/* Regions start quiet: no interrupts until a holder enables them. */
int tessera_regions_init(struct tessera_device *tdev)
{
	struct tessera_regions *rg = &tdev->regions;
	unsigned int r;

	mutex_init(&rg->lock);
	spin_lock_init(&rg->owner_lock);
	tdev->info.region_capacity = tessera_rd(tdev, TESSERA_REG_REGION_CAPACITY);
	tdev->info.config_bw = tessera_rd(tdev, TESSERA_REG_CONFIG_BW);
	tdev->info.functions = tessera_rd(tdev, TESSERA_REG_FUNCTIONS) &
			       GENMASK(TESSERA_NUM_FUNCTIONS - 1, 1);
	for (r = 0; r < tdev->info.num_regions; r++) {
		tessera_wr(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_INT_ENABLE), 0);
		tessera_wr(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_INT_STATUS), ~0u);
	}
	return 0;
}

/* Every client is gone: nothing may still be claimed. */
void tessera_regions_fini(struct tessera_device *tdev)
{
	unsigned int r;

	for (r = 0; r < tdev->info.num_regions; r++)
		tessera_wr(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_INT_ENABLE), 0);
	WARN_ON(tdev->regions.claimed);
	mutex_destroy(&tdev->regions.lock);
}
