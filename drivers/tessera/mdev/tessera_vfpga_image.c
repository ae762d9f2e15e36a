// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vFPGA: images and reconfiguration. A guest's bitstream is copied
 * once into host pages (the guest cannot change it after the check),
 * validated, mapped read-only into the instance's device-MMU context and
 * loaded by the card region, owned or time-shared; the copy a region holds
 * is kept for reloads and released when a newer load made it obsolete.
 */
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "tessera_bitstream.h"
#include "tessera_core.h"
#include "tessera_vfpga.h"

/* A load takes size / bandwidth of card time; allow for a slow (TCG) host. */
#define TESSERA_VFPGA_LOAD_SLACK_MS	30000

/* ---- Host copies of images ---- */

void tessera_fpga_image_free(struct tessera_fpga_image *img)
{
	unsigned int i;

	if (!img)
		return;
	WARN_ON(img->mapped);
	if (img->vaddr)
		vunmap(img->vaddr);
	/* A copy whose page array could not be allocated has no pages. */
	for (i = 0; img->pages && i < img->npages; i++)
		if (img->pages[i])
			__free_page(img->pages[i]);
	kvfree(img->pages);
	kvfree(img->dma);
	kfree(img);
}

static struct tessera_fpga_image *tessera_fpga_image_alloc(u64 size)
{
	struct tessera_fpga_image *img;
	unsigned int i;

	img = kzalloc(sizeof(*img), GFP_KERNEL_ACCOUNT);
	if (!img)
		return NULL;
	img->size = size;
	img->npages = DIV_ROUND_UP(size, PAGE_SIZE);
	img->pages = kvcalloc(img->npages, sizeof(*img->pages), GFP_KERNEL_ACCOUNT);
	img->dma = kvcalloc(img->npages, sizeof(*img->dma), GFP_KERNEL_ACCOUNT);
	if (!img->pages || !img->dma)
		goto err;
	for (i = 0; i < img->npages; i++) {
		/*
		 * Zeroed: the pages are mapped in the instance's context, where
		 * its region jobs can read them, past the image's end too.
		 */
		img->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!img->pages[i])
			goto err;
	}
	img->vaddr = vmap(img->pages, img->npages, VM_MAP, PAGE_KERNEL);
	if (!img->vaddr)
		goto err;
	return img;

err:
	tessera_fpga_image_free(img);
	return NULL;
}

/*
 * Undo the first @count pages of tessera_fpga_image_map(). Lock held.
 * False: the card did not drain and may still read the pages.
 */
static bool tessera_fpga_image_unmap_pages(struct tessera_vfpga *vf,
					   struct tessera_fpga_image *img, unsigned int count)
{
	struct tessera_vgpu *vg = &vf->vg;
	struct device *dev = tessera_card_dev(vg->tdev);
	unsigned int i;

	for (i = 0; i < count; i++)
		tessera_mmu_unmap(vg->mmu, img->dva + (u64)i * PAGE_SIZE);
	/* Unmap from the card's view before the pages lose their bus address. */
	if (tessera_ctx_tlb_invalidate(vg->ctx))
		return false;
	tessera_mmu_reap(vg->mmu);
	for (i = 0; i < count; i++)
		dma_unmap_page(dev, img->dma[i], PAGE_SIZE, DMA_TO_DEVICE);
	gen_pool_free(vg->sub.dva_pool, img->dva, (size_t)img->npages * PAGE_SIZE);
	return true;
}

/*
 * Takes the copy out of the device's view. The caller owns @img: the
 * instance lock, or for a time-shared region the slot's thread.
 */
void tessera_fpga_image_unmap(struct tessera_vfpga *vf, struct tessera_fpga_image *img)
{
	if (!img || !img->mapped)
		return;
	if (tessera_fpga_image_unmap_pages(vf, img, img->npages))
		img->mapped = false;
}

/* Unmap and free a copy nobody uses any more (NULL: nothing). */
void tessera_fpga_image_release(struct tessera_vfpga *vf, struct tessera_fpga_image *img)
{
	tessera_fpga_image_unmap(vf, img);
	/* Leaked rather than freed while the card may read it. */
	if (img && !img->mapped)
		tessera_fpga_image_free(img);
}

/*
 * Make the copy readable by the card through the instance's own context:
 * read-only pages in the host part of its device address space.
 */
static int tessera_fpga_image_map(struct tessera_vfpga *vf, struct tessera_fpga_image *img)
{
	struct tessera_vgpu *vg = &vf->vg;
	struct device *dev = tessera_card_dev(vg->tdev);
	unsigned int i;
	int ret;

	lockdep_assert_held(&vg->lock);
	img->dva = gen_pool_alloc(vg->sub.dva_pool, (size_t)img->npages * PAGE_SIZE);
	if (!img->dva)
		return -ENOSPC;
	for (i = 0; i < img->npages; i++) {
		img->dma[i] = dma_map_page(dev, img->pages[i], 0, PAGE_SIZE, DMA_TO_DEVICE);
		ret = dma_mapping_error(dev, img->dma[i]);
		if (ret)
			goto err;
		ret = tessera_mmu_map(vg->mmu, img->dva + (u64)i * PAGE_SIZE, img->dma[i], false);
		if (ret) {
			dma_unmap_page(dev, img->dma[i], PAGE_SIZE, DMA_TO_DEVICE);
			goto err;
		}
	}
	tessera_ctx_tlb_invalidate(vg->ctx);
	img->mapped = true;
	return 0;

err:
	tessera_fpga_image_unmap_pages(vf, img, i);
	return ret;
}

/* ---- Reconfiguration ---- */

bool tessera_vfpga_loading(struct tessera_vfpga_region *vr)
{
	struct tessera_vgpu *vg = &vr->vf->vg;
	unsigned long flags;
	bool loading;

	if (vr->slot)
		return tessera_fpga_share_busy(vr);
	spin_lock_irqsave(&vg->irq_lock, flags);
	loading = vr->loading;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	return loading;
}

/*
 * Waits for the card to finish a load in progress; for a time-shared region,
 * for its queued load and job to be served. Lock held.
 */
int tessera_vfpga_wait_load(struct tessera_vfpga_region *vr)
{
	struct tessera_fpga *fpga = tessera_vfpga_fpga(vr->vf);
	u64 ms = TESSERA_VFPGA_LOAD_SLACK_MS;

	lockdep_assert_held(&vr->vf->vg.lock);
	if (vr->pending && fpga->info->config_bw)
		ms += div_u64(vr->pending->size, (u64)fpga->info->config_bw * 1024);
	/* Each other tenant may run a slice and reload before our turn. */
	if (vr->slot)
		ms += fpga->share * (100 + div_u64(fpga->info->region_capacity,
						   (u64)fpga->info->config_bw * 1024));
	if (!wait_event_timeout(vr->vf->cfg_wq, !tessera_vfpga_loading(vr),
				msecs_to_jiffies(ms))) {
		dev_warn(&vr->vf->vg.mdev->dev, "region %u: card region %u never finished a load\n",
			 vr->index, vr->phys);
		return -ETIMEDOUT;
	}
	return 0;
}

/*
 * After the card's CONFIG_DONE: the image it loaded becomes the saved copy
 * (unmapped from the device, kept for a reload), the one it replaced or a
 * refused one is freed. Lock held.
 */
void tessera_vfpga_finish_load(struct tessera_vfpga_region *vr)
{
	struct tessera_vgpu *vg = &vr->vf->vg;
	struct tessera_fpga_image *img = vr->pending;
	unsigned long flags;
	bool loaded;

	lockdep_assert_held(&vg->lock);
	if (!img || vr->slot || tessera_vfpga_loading(vr))
		return;
	spin_lock_irqsave(&vg->irq_lock, flags);
	loaded = vr->cfg_status == TESSERA_RGN_CFG_LOADED;
	spin_unlock_irqrestore(&vg->irq_lock, flags);

	vr->pending = NULL;
	tessera_fpga_image_unmap(vr->vf, img);
	if (loaded)
		swap(vr->loaded, img);
	tessera_fpga_image_free(img);
}

void tessera_vfpga_finish_work(struct work_struct *work)
{
	struct tessera_vfpga *vf = container_of(work, struct tessera_vfpga, finish_work);
	unsigned int i;

	mutex_lock(&vf->vg.lock);
	for (i = 0; i < vf->num_regions; i++)
		tessera_vfpga_finish_load(&vf->rgn[i]);
	mutex_unlock(&vf->vg.lock);
}

static void tessera_vfpga_report(struct tessera_vfpga_region *vr, u32 status)
{
	struct tessera_vgpu *vg = &vr->vf->vg;
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	vr->cfg_status = status;
	vr->loads++;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	tessera_vgpu_raise(vg, TESSERA_VF_INT_RGN_CONFIG(vr->index));
}

/*
 * VF_RGN_CONFIG = 1: copy, validate, and hand the copy to the card. The
 * outcome arrives as VF_RGN_CONFIG_STATUS and VF_INT_RGN_CONFIG(i): now for
 * a refusal, at the card's CONFIG_DONE for a load. Lock held.
 */
void tessera_vfpga_configure(struct tessera_vfpga_region *vr)
{
	struct tessera_vfpga *vf = vr->vf;
	struct tessera_fpga *fpga = tessera_vfpga_fpga(vf);
	struct tessera_vgpu *vg = &vf->vg;
	struct tessera_fpga_image *img;
	unsigned long flags;
	u32 size = vr->image_size, status;
	int ret;

	lockdep_assert_held(&vg->lock);
	/*
	 * One load at a time per region, as on the card. A time-shared region
	 * loads in its turn, which may be far off: a second load is refused
	 * rather than waited for (tessera_fpga_share_queue_config()).
	 */
	if (!vr->slot && tessera_vfpga_wait_load(vr)) {
		tessera_vfpga_report(vr, TESSERA_RGN_CFG_ERR_BUSY);
		return;
	}
	tessera_vfpga_finish_load(vr);

	/* Bound the copy by what could ever be valid before allocating it. */
	if (size < TESSERA_BITSTREAM_HEADER_SIZE ||
	    size - TESSERA_BITSTREAM_HEADER_SIZE > fpga->info->region_capacity) {
		tessera_vfpga_report(vr, TESSERA_RGN_CFG_ERR_SIZE);
		return;
	}
	img = tessera_fpga_image_alloc(size);
	if (!img) {
		dev_warn_ratelimited(&vg->mdev->dev, "region %u: no memory for a %u-byte image\n",
				     vr->index, size);
		tessera_vfpga_report(vr, TESSERA_RGN_CFG_ERR_BUSY);
		return;
	}
	if (vfio_dma_rw(&vg->vdev, vr->image_addr, img->vaddr, size, false)) {
		status = TESSERA_VF_RGN_CFG_UNREADABLE;
		goto refuse;
	}
	status = tessera_bitstream_check(img->vaddr, size, vf->type->functions,
					 fpga->info->region_capacity,
					 &img->function);
	if (status)
		goto refuse;
	ret = tessera_fpga_image_map(vf, img);
	if (ret) {
		status = TESSERA_RGN_CFG_ERR_MMU;
		goto refuse;
	}

	if (vr->slot) {
		/* The saved copy stays mapped: every switch to us reloads it. */
		spin_lock_irqsave(&vg->irq_lock, flags);
		vr->cfg_status = TESSERA_RGN_CFG_LOADING;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		if (!tessera_fpga_share_queue_config(vr, img)) {
			tessera_fpga_image_release(vf, img);
			tessera_vfpga_report(vr, TESSERA_RGN_CFG_ERR_BUSY);
		}
		return;
	}
	spin_lock_irqsave(&vg->irq_lock, flags);
	vr->pending = img;
	vr->loading = true;
	vr->cfg_status = TESSERA_RGN_CFG_LOADING;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	lo_hi_writeq(img->dva, tessera_vfpga_rgn_regs(vr) + TESSERA_RGN_IMAGE_ADDR_LO);
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_IMAGE_SIZE, size);
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_CONFIG, 1);
	return;

refuse:
	tessera_fpga_image_free(img);
	tessera_vfpga_report(vr, status);
}

/**
 * tessera_vfpga_region_event() - the card region of @vr interrupted
 * @vr: the instance region
 * @status: TESSERA_RGN_INT_* raised
 *
 * Hard-interrupt context, under the card's owner lock.
 */
void tessera_vfpga_region_event(struct tessera_vfpga_region *vr, u32 status)
{
	struct tessera_vfpga *vf = vr->vf;
	struct tessera_vgpu *vg = &vf->vg;
	u32 raise = 0;

	if (status & TESSERA_RGN_INT_CONFIG_DONE) {
		u32 card = tessera_vfpga_rgn_rd(vr, TESSERA_RGN_CONFIG_STATUS);
		unsigned long flags;

		spin_lock_irqsave(&vg->irq_lock, flags);
		if (vr->loading) {
			vr->loading = false;
			vr->cfg_status = card;
			vr->loads++;
			raise |= TESSERA_VF_INT_RGN_CONFIG(vr->index);
		}
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		wake_up_all(&vf->cfg_wq);
		schedule_work(&vf->finish_work);
	}
	if (status & (TESSERA_RGN_INT_JOB_DONE | TESSERA_RGN_INT_JOB_FAULT))
		raise |= TESSERA_VF_INT_RGN_JOB(vr->index);
	if (raise)
		tessera_vgpu_raise(vg, raise);
}
