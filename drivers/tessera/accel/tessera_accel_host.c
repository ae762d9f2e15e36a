// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera accel: the host back end, the physical card's own node.
 *
 * An auxiliary driver of tessera.ko ("tessera.accel.<id>"): one hardware
 * context of the card, taken through the core API (include/tessera_core.h)
 * beside the mediator's instances, so host processes and guests share the
 * engines through the card's one scheduler. The context is taken when the
 * node binds, so the mdev types' available_instances count it at once; its
 * weight is host_weight.
 *
 * The node's device address space is laid out as a vGPU's
 * (tessera_hw.h): BOs in the bind space, so that the same audit rules and
 * the same programs hold natively and mediated; the ring, the fence word
 * and the pool of command copies in the host part above it, read-only but
 * for the fence word. BO pages are mapped for the card's PCI function alone
 * (the auxiliary device does no DMA of its own: dma_self) and entered in
 * the context's device MMU; unbinding clears the entries and waits for the card's drain
 * barrier before the pages may go.
 */
#include <linux/auxiliary_bus.h>
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <drm/drm_print.h>

#include "uapi/drm/tessera_accel.h"
#include "tessera_accel.h"
#include "tessera_core.h"

static unsigned int host_weight = 8;
module_param(host_weight, uint, 0444);
MODULE_PARM_DESC(host_weight,
		 "Scheduling weight of the card's host node, as a vGPU's (vgpu-4 has 8; default 8)");

#define TESSERA_ACCEL_HOST_RING_ENTRIES	256
#define TESSERA_ACCEL_HOST_RING_DVA	TESSERA_VF_DVA_GUEST_LIMIT
#define TESSERA_ACCEL_HOST_FENCE_DVA	(TESSERA_ACCEL_HOST_RING_DVA + SZ_1M)
#define TESSERA_ACCEL_HOST_CMDBUF_DVA	(TESSERA_ACCEL_HOST_RING_DVA + SZ_2M)
/* Command copies of every job in flight: 127 jobs of 1024 commands fit. */
#define TESSERA_ACCEL_HOST_CMDBUF_CHUNK	SZ_1M
#define TESSERA_ACCEL_HOST_CMDBUF_CHUNKS	8

static_assert(TESSERA_ACCEL_HOST_CMDBUF_DVA +
	      TESSERA_ACCEL_HOST_CMDBUF_CHUNKS * TESSERA_ACCEL_HOST_CMDBUF_CHUNK <=
	      TESSERA_DVA_PAGED_LIMIT);

/**
 * struct tessera_accel_host_map - a BO's pages as the card's PCI function maps them
 * @sgt: the pages, DMA-mapped for the card
 * @writable: mapped for device writes
 */
struct tessera_accel_host_map {
	struct sg_table sgt;
	bool writable;
};

/**
 * struct tessera_accel_host - the card's host node
 * @adev: the accel device
 * @tdev: the card
 * @card: the card's PCI function, which makes every DMA mapping
 * @ctx: its hardware context
 * @mmu: the context's page tables
 * @ring: the ring, TESSERA_ACCEL_HOST_RING_ENTRIES commands
 * @ring_dma: its bus address
 * @tail: next ring index to write (under &tessera_accel_device.ring_lock)
 * @fence_slot: the seqno the last job FENCE wrote
 * @fence_dma: its bus address
 * @cmdbuf_cpu: the chunks of the command-copy pool
 * @cmdbuf_dma: their bus addresses
 * @cmdbufs: the pool, by device address (gen_pool "phys" = DVA)
 * @maps: BO device page number -> struct tessera_accel_host_map
 * @busy_base: the context's busy counter when the node took it
 */
struct tessera_accel_host {
	struct tessera_accel_device adev;
	struct tessera_device *tdev;
	struct device *card;
	struct tessera_ctx *ctx;
	struct tessera_mmu *mmu;
	struct tessera_cmd *ring;
	dma_addr_t ring_dma;
	u32 tail;
	u64 *fence_slot;
	dma_addr_t fence_dma;
	void *cmdbuf_cpu[TESSERA_ACCEL_HOST_CMDBUF_CHUNKS];
	dma_addr_t cmdbuf_dma[TESSERA_ACCEL_HOST_CMDBUF_CHUNKS];
	struct gen_pool *cmdbufs;
	struct xarray maps;
	u64 busy_base;
};

static struct tessera_accel_host *to_host(struct tessera_accel_device *adev)
{
	return container_of(adev, struct tessera_accel_host, adev);
}

/* Clear [dva, dva + size) in the MMU; the drain barrier makes it so at the card. */
static void tessera_accel_host_clear(struct tessera_accel_host *host, u64 dva, u64 size)
{
	u64 off;

	for (off = 0; off < size; off += TESSERA_PAGE_SIZE)
		tessera_mmu_unmap(host->mmu, dva + off);
}

static bool tessera_accel_host_drain(struct tessera_accel_host *host)
{
	if (tessera_ctx_tlb_invalidate(host->ctx)) {
		drm_err(&host->adev.drm, "the card did not drain: pages stay mapped\n");
		return false;
	}
	tessera_mmu_reap(host->mmu);
	return true;
}

static void tessera_accel_host_map_free(struct tessera_accel_host *host,
					struct tessera_accel_host_map *map)
{
	dma_unmap_sgtable(host->card, &map->sgt,
			  map->writable ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE, 0);
	sg_free_table(&map->sgt);
	kfree(map);
}

static int tessera_accel_host_bind(struct tessera_accel_device *adev, u64 dva, u64 size,
				   struct sg_table *sgt, bool writable)
{
	struct tessera_accel_host *host = to_host(adev);
	unsigned int n = size >> PAGE_SHIFT, i = 0;
	struct tessera_accel_host_map *map;
	struct sg_dma_page_iter diter;
	struct sg_page_iter piter;
	struct page **pages;
	u64 off = 0;
	int ret;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!map || !pages) {
		ret = -ENOMEM;
		goto out;
	}
	for_each_sgtable_page(sgt, &piter, 0) {
		if (WARN_ON(i == n))
			break;
		pages[i++] = sg_page_iter_page(&piter);
	}
	/* Segments no longer than the card's DMA mapping takes (64 KiB by default). */
	ret = sg_alloc_table_from_pages_segment(&map->sgt, pages, i, 0, size,
						dma_get_max_seg_size(host->card), GFP_KERNEL);
	if (ret)
		goto out;
	map->writable = writable;
	ret = dma_map_sgtable(host->card, &map->sgt, writable ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE,
			      0);
	if (ret) {
		sg_free_table(&map->sgt);
		goto out;
	}
	for_each_sgtable_dma_page(&map->sgt, &diter, 0) {
		ret = tessera_mmu_map(host->mmu, dva + off, sg_page_iter_dma_address(&diter),
				      writable);
		if (ret)
			break;
		off += TESSERA_PAGE_SIZE;
	}
	if (!ret)
		ret = xa_err(xa_store(&host->maps, dva >> PAGE_SHIFT, map, GFP_KERNEL));
	if (ret) {
		/* The range is new: no command of this node could reach it yet. */
		tessera_accel_host_clear(host, dva, off);
		tessera_accel_host_map_free(host, map);
	}
	map = ret ? NULL : map;
out:
	if (ret)
		kfree(map);
	kvfree(pages);
	return ret;
}

static void tessera_accel_host_unbind(struct tessera_accel_device *adev, u64 dva, u64 size)
{
	struct tessera_accel_host *host = to_host(adev);
	struct tessera_accel_host_map *map = xa_erase(&host->maps, dva >> PAGE_SHIFT);

	if (WARN_ON(!map))
		return;
	tessera_accel_host_clear(host, dva, size);
	/* A card that did not drain may still touch the pages: keep them mapped. */
	if (tessera_accel_host_drain(host))
		tessera_accel_host_map_free(host, map);
}

static void *tessera_accel_host_cmdbuf_alloc(struct tessera_accel_device *adev, size_t size,
					     u64 *dva)
{
	struct tessera_accel_host *host = to_host(adev);
	unsigned long cpu = gen_pool_alloc(host->cmdbufs, size);

	if (!cpu)
		return NULL;
	*dva = gen_pool_virt_to_phys(host->cmdbufs, cpu);
	return (void *)cpu;
}

/* The job's FENCE ran: the card is done reading its copy, which stays mapped. */
static void tessera_accel_host_cmdbuf_free(struct tessera_accel_device *adev, size_t size,
					   void *cpu, u64 dva)
{
	gen_pool_free(to_host(adev)->cmdbufs, (unsigned long)cpu, size);
}

static u32 tessera_accel_host_push_job(struct tessera_accel_device *adev, u64 dva, u32 count,
				       u64 seqno)
{
	struct tessera_accel_host *host = to_host(adev);
	u32 mask = TESSERA_ACCEL_HOST_RING_ENTRIES - 1, pos = host->tail;

	lockdep_assert_held(&adev->ring_lock);
	host->tail = tessera_accel_write_job(host->ring, mask, pos, dva, count,
					     TESSERA_ACCEL_HOST_FENCE_DVA, seqno);
	/* The entries must be in memory before the card sees the tail. */
	dma_wmb();
	tessera_ctx_set_tail(host->ctx, host->tail);
	tessera_ctx_kick(host->ctx);
	return pos;
}

static u64 tessera_accel_host_fence_value(struct tessera_accel_device *adev)
{
	/* After the card's interrupt: its status read orders this DMA read. */
	return READ_ONCE(*to_host(adev)->fence_slot);
}

static bool tessera_accel_host_read_fault(struct tessera_accel_device *adev,
					  struct tessera_accel_fault *fault)
{
	struct tessera_accel_host *host = to_host(adev);
	struct tessera_ctx_fault f;
	u32 status = tessera_ctx_status(host->ctx);

	if (status == ~0u || !(status & TESSERA_CTX_STATUS_FAULTED))
		return false;
	tessera_ctx_read_fault(host->ctx, &f);
	fault->code = f.code;
	fault->index = f.index;
	fault->addr = f.addr;
	return true;
}

static void tessera_accel_host_program(struct tessera_accel_host *host)
{
	tessera_ctx_program(host->ctx, TESSERA_ACCEL_HOST_RING_DVA, TESSERA_ACCEL_HOST_RING_ENTRIES,
			    tessera_mmu_root(host->mmu), 0, 0);
	host->tail = 0;
	tessera_ctx_attach(host->ctx);
}

/* Off its engine, stopped at the card; then an empty ring again. */
static void tessera_accel_host_stop(struct tessera_accel_host *host)
{
	if (tessera_ctx_detach(host->ctx))
		drm_warn(&host->adev.drm, "the context did not leave its engine: stopped at the card\n");
	tessera_ctx_reset(host->ctx);
}

static void tessera_accel_host_reset(struct tessera_accel_device *adev)
{
	struct tessera_accel_host *host = to_host(adev);

	lockdep_assert_held(&adev->ring_lock);
	tessera_accel_host_stop(host);
	tessera_accel_host_program(host);
}

static u64 tessera_accel_host_busy_ns(struct tessera_accel_device *adev)
{
	struct tessera_accel_host *host = to_host(adev);

	return tessera_ctx_busy_ns(host->ctx) - host->busy_base;
}

static u32 tessera_accel_host_weight(struct tessera_accel_device *adev)
{
	return tessera_ctx_get_weight(to_host(adev)->ctx);
}

/* Hard interrupt, under the core's owner lock. */
static void tessera_accel_host_irq(void *data, u32 status)
{
	struct tessera_accel_host *host = data;

	if (status & (TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT))
		tessera_accel_signal(&host->adev);
	if (status & TESSERA_CTX_INT_FAULT)
		tessera_accel_fault(&host->adev);
}

static void tessera_accel_host_cmdbufs_free(struct tessera_accel_host *host)
{
	unsigned int i;

	if (host->cmdbufs)
		gen_pool_destroy(host->cmdbufs);
	host->cmdbufs = NULL;
	for (i = 0; i < TESSERA_ACCEL_HOST_CMDBUF_CHUNKS; i++)
		if (host->cmdbuf_cpu[i])
			dma_free_coherent(host->card, TESSERA_ACCEL_HOST_CMDBUF_CHUNK,
					  host->cmdbuf_cpu[i], host->cmdbuf_dma[i]);
}

/*
 * Everything the context may reach is gone or stops here: the context is
 * stopped and disabled before its memory goes. A card that does not drain
 * keeps it all: leaked, never freed under the card.
 */
static void tessera_accel_host_release(struct tessera_accel_host *host)
{
	struct tessera_accel_host_map *map;
	unsigned long index;
	bool drained;

	tessera_accel_host_stop(host);
	tessera_ctx_disable(host->ctx);
	drained = !tessera_ctx_tlb_invalidate(host->ctx);
	tessera_ctx_free(host->ctx);
	host->ctx = NULL;
	if (!drained) {
		drm_err(&host->adev.drm, "the card did not drain: the node's memory is leaked\n");
		return;
	}
	xa_for_each(&host->maps, index, map)
		tessera_accel_host_map_free(host, map);
	xa_destroy(&host->maps);
	tessera_mmu_destroy(host->mmu);
	host->mmu = NULL;
	tessera_accel_host_cmdbufs_free(host);
	if (host->ring)
		dma_free_coherent(host->card, TESSERA_ACCEL_HOST_RING_ENTRIES * TESSERA_CMD_SIZE,
				  host->ring, host->ring_dma);
	if (host->fence_slot)
		dma_free_coherent(host->card, PAGE_SIZE, host->fence_slot, host->fence_dma);
}

static void tessera_accel_host_teardown(struct tessera_accel_device *adev)
{
	tessera_accel_host_release(to_host(adev));
}

static const struct tessera_accel_backend_ops tessera_accel_host_ops = {
	.bind = tessera_accel_host_bind,
	.unbind = tessera_accel_host_unbind,
	.cmdbuf_alloc = tessera_accel_host_cmdbuf_alloc,
	.cmdbuf_free = tessera_accel_host_cmdbuf_free,
	.push_job = tessera_accel_host_push_job,
	.fence_value = tessera_accel_host_fence_value,
	.read_fault = tessera_accel_host_read_fault,
	.reset = tessera_accel_host_reset,
	.busy_ns = tessera_accel_host_busy_ns,
	.weight = tessera_accel_host_weight,
	.teardown = tessera_accel_host_teardown,
};

/* Map @size bytes of coherent memory at @dva, read-only unless @writable. */
static int tessera_accel_host_map_coherent(struct tessera_accel_host *host, u64 dva,
					   dma_addr_t dma, size_t size, bool writable)
{
	size_t off;
	int ret;

	for (off = 0; off < size; off += TESSERA_PAGE_SIZE) {
		ret = tessera_mmu_map(host->mmu, dva + off, dma + off, writable);
		if (ret)
			return ret;
	}
	return 0;
}

static int tessera_accel_host_memory(struct tessera_accel_host *host)
{
	size_t ring_bytes = TESSERA_ACCEL_HOST_RING_ENTRIES * TESSERA_CMD_SIZE;
	unsigned int i;
	u64 dva;
	int ret;

	host->ring = dma_alloc_coherent(host->card, ring_bytes, &host->ring_dma, GFP_KERNEL);
	host->fence_slot = dma_alloc_coherent(host->card, PAGE_SIZE, &host->fence_dma,
					      GFP_KERNEL);
	host->cmdbufs = gen_pool_create(ilog2(TESSERA_CMD_SIZE), -1);
	if (!host->ring || !host->fence_slot || !host->cmdbufs)
		return -ENOMEM;
	ret = tessera_accel_host_map_coherent(host, TESSERA_ACCEL_HOST_RING_DVA, host->ring_dma,
					      ring_bytes, false);
	if (!ret)
		ret = tessera_accel_host_map_coherent(host, TESSERA_ACCEL_HOST_FENCE_DVA,
						      host->fence_dma, PAGE_SIZE, true);
	for (i = 0; !ret && i < TESSERA_ACCEL_HOST_CMDBUF_CHUNKS; i++) {
		size_t chunk = TESSERA_ACCEL_HOST_CMDBUF_CHUNK;

		dva = TESSERA_ACCEL_HOST_CMDBUF_DVA + (u64)i * chunk;
		host->cmdbuf_cpu[i] = dma_alloc_coherent(host->card, chunk, &host->cmdbuf_dma[i],
							 GFP_KERNEL);
		if (!host->cmdbuf_cpu[i])
			return -ENOMEM;
		ret = tessera_accel_host_map_coherent(host, dva, host->cmdbuf_dma[i], chunk, false);
		if (!ret)
			ret = gen_pool_add_virt(host->cmdbufs, (unsigned long)host->cmdbuf_cpu[i],
						dva, chunk, -1);
	}
	return ret;
}

static int tessera_accel_host_probe(struct auxiliary_device *auxdev,
				    const struct auxiliary_device_id *id)
{
	struct tessera_device *tdev = to_tessera_client_dev(auxdev)->tdev;
	struct tessera_accel_device *adev;
	struct tessera_accel_host *host;
	int ret;

	host = tessera_accel_alloc_dev(&auxdev->dev, struct tessera_accel_host, adev);
	if (IS_ERR(host))
		return PTR_ERR(host);
	adev = &host->adev;
	host->tdev = tdev;
	host->card = tessera_card_dev(tdev);
	xa_init(&host->maps);

	host->mmu = tessera_mmu_create(tdev);
	if (IS_ERR(host->mmu))
		return PTR_ERR(host->mmu);
	host->ctx = tessera_ctx_alloc(tdev, TESSERA_CTX_FOR_HOST, tessera_accel_host_irq, host);
	if (IS_ERR(host->ctx)) {
		ret = PTR_ERR(host->ctx);
		dev_err(&auxdev->dev, "no free context on the card for the host node: %d\n", ret);
		host->ctx = NULL;
		goto err_mmu;
	}
	ret = tessera_ctx_set_weight(host->ctx, host_weight);
	if (ret) {
		dev_err(&auxdev->dev, "host_weight %u refused: %d\n", host_weight, ret);
		goto err_release;
	}
	host->busy_base = tessera_ctx_busy_ns(host->ctx);
	ret = tessera_accel_host_memory(host);
	if (ret)
		goto err_release;

	adev->ops = &tessera_accel_host_ops;
	adev->device_id = TESSERA_PCI_DEVICE_CARD;
	adev->backend = DRM_TESSERA_BACKEND_HOST;
	/* The auxiliary device does no DMA: the card's PCI function maps BO pages. */
	adev->dma_self = true;
	adev->ring_entries = TESSERA_ACCEL_HOST_RING_ENTRIES;
	adev->dva_start = TESSERA_VF_DVA_BIND_BASE;
	adev->dva_end = TESSERA_VF_DVA_GUEST_LIMIT;
	tessera_audit_env_init(&adev->audit_env, 0);
	tessera_accel_host_program(host);

	ret = tessera_accel_register(adev);
	if (ret)
		goto err_release;
	auxiliary_set_drvdata(auxdev, host);
	return 0;

err_release:
	tessera_accel_host_release(host);
	return ret;
err_mmu:
	tessera_mmu_destroy(host->mmu);
	return ret;
}

static void tessera_accel_host_remove(struct auxiliary_device *auxdev)
{
	struct tessera_accel_host *host = auxiliary_get_drvdata(auxdev);

	tessera_accel_unplug(&host->adev);
}

static const struct auxiliary_device_id tessera_accel_host_ids[] = {
	{ .name = "tessera.accel" },
	{ }
};
MODULE_DEVICE_TABLE(auxiliary, tessera_accel_host_ids);

static struct auxiliary_driver tessera_accel_host_driver = {
	.name = "host",
	.id_table = tessera_accel_host_ids,
	.probe = tessera_accel_host_probe,
	.remove = tessera_accel_host_remove,
};
module_auxiliary_driver(tessera_accel_host_driver);

MODULE_IMPORT_NS(TESSERA);
MODULE_IMPORT_NS(TESSERA_ACCEL);
MODULE_DESCRIPTION("Tessera accelerator: the card's host node (DRM accel, host back end)");
MODULE_LICENSE("GPL");
