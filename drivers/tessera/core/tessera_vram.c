// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera device-memory allocator.
 *
 * Instances get slices of BAR2 from a gen_pool. A slice is zeroed through the
 * BAR2 mapping before it is handed out, so that no tenant ever reads what a
 * previous tenant left behind.
 */
#include <linux/genalloc.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "tessera_drv.h"

static unsigned int host_reserve_mib = 16;
module_param(host_reserve_mib, uint, 0444);
MODULE_PARM_DESC(host_reserve_mib,
		 "MiB of device memory kept for the host, not given to instances (default 16, at most a quarter of it)");

/* gen_pool returns 0 for "no memory", so offset 0 must not be a valid address. */
#define TESSERA_VRAM_POOL_BIAS	BIT(40)

int tessera_vram_init(struct tessera_device *tdev)
{
	struct tessera_vram *v = &tdev->vram_alloc;
	int ret;

	mutex_init(&v->lock);
	v->reserve = min_t(u64, (u64)host_reserve_mib << 20, tdev->info.vram_size / 4);
	tdev->info.vram_usable = round_down(tdev->info.vram_size - v->reserve,
					    TESSERA_VRAM_GRANULE);
	v->reserve = tdev->info.vram_size - tdev->info.vram_usable;
	if (!tdev->info.vram_usable)
		return -ENOSPC;

	v->pool = gen_pool_create(TESSERA_VRAM_GRANULE_SHIFT, dev_to_node(&tdev->pdev->dev));
	if (!v->pool)
		return -ENOMEM;
	/* Best fit keeps large holes for large slices when types are mixed. */
	gen_pool_set_algo(v->pool, gen_pool_best_fit, NULL);
	ret = gen_pool_add(v->pool, TESSERA_VRAM_POOL_BIAS, tdev->info.vram_usable, -1);
	if (ret) {
		gen_pool_destroy(v->pool);
		v->pool = NULL;
		return ret;
	}
	return 0;
}

void tessera_vram_fini(struct tessera_device *tdev)
{
	struct tessera_vram *v = &tdev->vram_alloc;

	/* gen_pool_destroy() BUGs on outstanding allocations: none may remain. */
	if (v->pool)
		gen_pool_destroy(v->pool);
	v->pool = NULL;
	mutex_destroy(&v->lock);
}

/**
 * tessera_vram_scrub() - zero a slice through the BAR2 mapping
 * @tdev: the card
 * @offset: the slice's offset in BAR2
 * @size: bytes
 *
 * Nothing of the card may write to the slice meanwhile: the caller has
 * stopped the slice's context and regions.
 */
void tessera_vram_scrub(struct tessera_device *tdev, u64 offset, u64 size)
{
	u64 done;

	/* Chunks, so that a large slice does not hog the CPU. */
	for (done = 0; done < size; done += SZ_1M) {
		memset_io(tdev->info.vram + offset + done, 0, min_t(u64, SZ_1M, size - done));
		cond_resched();
	}
}
EXPORT_SYMBOL_NS_GPL(tessera_vram_scrub, TESSERA);

/**
 * tessera_vram_alloc() - take a zeroed slice of device memory
 * @tdev: the card
 * @size: bytes, a multiple of TESSERA_VRAM_GRANULE
 * @offset: out, the slice's offset in BAR2
 *
 * Return: 0 or -ENOSPC.
 */
int tessera_vram_alloc(struct tessera_device *tdev, u64 size, u64 *offset)
{
	struct tessera_vram *v = &tdev->vram_alloc;
	unsigned long addr;

	if (!size || !IS_ALIGNED(size, TESSERA_VRAM_GRANULE))
		return -EINVAL;

	mutex_lock(&v->lock);
	addr = gen_pool_alloc(v->pool, size);
	mutex_unlock(&v->lock);
	if (!addr)
		return -ENOSPC;

	*offset = addr - TESSERA_VRAM_POOL_BIAS;
	tessera_vram_scrub(tdev, *offset, size);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tessera_vram_alloc, TESSERA);

void tessera_vram_free(struct tessera_device *tdev, u64 offset, u64 size)
{
	struct tessera_vram *v = &tdev->vram_alloc;

	mutex_lock(&v->lock);
	gen_pool_free(v->pool, offset + TESSERA_VRAM_POOL_BIAS, size);
	mutex_unlock(&v->lock);
}
EXPORT_SYMBOL_NS_GPL(tessera_vram_free, TESSERA);

/**
 * tessera_vram_count_fit() - how many more slices of @size fit right now
 * @tdev: the card
 * @size: slice size
 * @max: stop counting here
 *
 * Counts by really allocating (and then freeing) slices, so that the answer
 * takes fragmentation into account instead of dividing the free total.
 *
 * Return: the number of slices, at most @max.
 */
unsigned int tessera_vram_count_fit(struct tessera_device *tdev, u64 size,
				    unsigned int max)
{
	struct tessera_vram *v = &tdev->vram_alloc;
	/* No more instances than the contexts they may hold. */
	unsigned long addrs[TESSERA_INSTANCE_CONTEXTS];
	unsigned int n = 0, i;

	max = min_t(unsigned int, max, ARRAY_SIZE(addrs));
	mutex_lock(&v->lock);
	while (n < max) {
		addrs[n] = gen_pool_alloc(v->pool, size);
		if (!addrs[n])
			break;
		n++;
	}
	for (i = 0; i < n; i++)
		gen_pool_free(v->pool, addrs[i], size);
	mutex_unlock(&v->lock);
	return n;
}
EXPORT_SYMBOL_NS_GPL(tessera_vram_count_fit, TESSERA);

u64 tessera_vram_avail(struct tessera_device *tdev)
{
	return gen_pool_avail(tdev->vram_alloc.pool);
}
