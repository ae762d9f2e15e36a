// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vFPGA instance as a VFIO device.
 *
 * Virtual PCI function 1234:7e52. It is a vGPU instance's function (config
 * space, MSI/MSI-X, BAR2 device-memory slice, BAR4 MSI-X table, FLR: all
 * handled by tessera_vdev.c, which this file calls for everything that is
 * not BAR0) with a different BAR0:
 *
 *   0x0000  register page, trapped: the common VF registers (no ring:
 *           VF_CAPS = TESSERA_VF_CAP_REGIONS) and one TESSERA_VF_RGN_*
 *           block per region
 *   0x1000  region i's user page at 0x1000 + i * 0x1000: the card's region
 *           user page (TESSERA_RGN_USER_*), mmap-able straight through
 *           (sparse-mmap capability), so starting a job does not trap
 *
 * Reconfiguration traps: on VF_RGN_CONFIG the mediator copies the image out
 * of guest memory (vfio_dma_rw: the guest cannot change it afterwards),
 * validates it (tessera_bitstream_check(): function allowed for the type,
 * payload within the card's region capacity, checksum), maps the copy
 * read-only into the instance's own device-MMU context and lets the card
 * load it from there. The region's context is the instance's, so the load
 * and every job DMA go through the instance's MMU and device-memory window
 * and nothing else. A refused image costs no card time and changes
 * nothing: the region keeps the function it had.
 */
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/mm.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>
#include <linux/vmalloc.h>

#include "tessera_bitstream.h"
#include "tessera_core.h"
#include "tessera_vfpga.h"

/* A load takes size / bandwidth of card time; allow for a slow (TCG) host. */
#define TESSERA_VFPGA_LOAD_SLACK_MS	30000

static const struct vfio_device_ops tessera_vfpga_ops;

static struct tessera_fpga *tessera_vfpga_fpga(struct tessera_vfpga *vf)
{
	return vf->vg.med->fpga;
}

/* The card region's register page (TESSERA_RGN_*). */
static void __iomem *tessera_vfpga_rgn_regs(struct tessera_vfpga_region *vr)
{
	return tessera_region_regs(vr->vf->vg.tdev, vr->phys);
}

static u32 tessera_vfpga_rgn_rd(struct tessera_vfpga_region *vr, u32 reg)
{
	return readl(tessera_vfpga_rgn_regs(vr) + reg);
}

static void tessera_vfpga_rgn_wr(struct tessera_vfpga_region *vr, u32 reg, u32 val)
{
	writel(val, tessera_vfpga_rgn_regs(vr) + reg);
}

static u64 tessera_vfpga_rgn_rd64(struct tessera_vfpga_region *vr, u32 reg_lo)
{
	return lo_hi_readq(tessera_vfpga_rgn_regs(vr) + reg_lo);
}

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

static bool tessera_vfpga_loading(struct tessera_vfpga_region *vr)
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
static int tessera_vfpga_wait_load(struct tessera_vfpga_region *vr)
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
static void tessera_vfpga_finish_load(struct tessera_vfpga_region *vr)
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

static void tessera_vfpga_finish_work(struct work_struct *work)
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
static void tessera_vfpga_configure(struct tessera_vfpga_region *vr)
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

/* ---- Region ownership and reset ---- */

/* Point the instance's context at its tables and window; no ring, no engine. */
static void tessera_vfpga_program_ctx(struct tessera_vfpga *vf)
{
	struct tessera_vgpu *vg = &vf->vg;

	tessera_ctx_program_window(vg->ctx, tessera_mmu_root(vg->mmu), vg->vram_offset,
				   vg->type->vram_size);
}

static void tessera_vfpga_attach_region(struct tessera_vfpga_region *vr)
{
	struct tessera_fpga *fpga = tessera_vfpga_fpga(vr->vf);

	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_INT_ENABLE, 0);
	/* Nothing of the last owner: function, arguments, result, counters. */
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_RESET, TESSERA_RGN_RESET_CLEAR);
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_CTX, tessera_ctx_id(vr->vf->vg.ctx));
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_INT_STATUS, ~0u);
	tessera_fpga_set_owner(fpga, vr->phys, vr);
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_INT_ENABLE, TESSERA_RGN_INT_CONFIG_DONE |
			     TESSERA_RGN_INT_JOB_DONE | TESSERA_RGN_INT_JOB_FAULT);
}

static void tessera_vfpga_detach_region(struct tessera_vfpga_region *vr)
{
	struct tessera_fpga *fpga = tessera_vfpga_fpga(vr->vf);

	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_INT_ENABLE, 0);
	/* The region keeps no binding to the leaving owner's context. */
	tessera_vfpga_rgn_wr(vr, TESSERA_RGN_RESET, TESSERA_RGN_RESET_CLEAR);
	tessera_fpga_set_owner(fpga, vr->phys, NULL);
}

/*
 * Power-on state of the regions as the guest sees it: loads finished, jobs
 * aborted, faults cleared, image registers zero. Loaded functions stay, as
 * a reset does not erase an FPGA's configuration. Lock held.
 */
static void tessera_vfpga_reset(struct tessera_vfpga *vf)
{
	struct tessera_vgpu *vg = &vf->vg;
	unsigned long flags;
	unsigned int i;

	lockdep_assert_held(&vg->lock);
	for (i = 0; i < vf->num_regions; i++) {
		struct tessera_vfpga_region *vr = &vf->rgn[i];

		if (!tessera_vfpga_wait_load(vr))
			tessera_vfpga_finish_load(vr);
		if (vr->slot)
			tessera_fpga_share_clear(vr);
		else
			tessera_vfpga_rgn_wr(vr, TESSERA_RGN_RESET, 1);
		vr->image_addr = 0;
		vr->image_size = 0;
		spin_lock_irqsave(&vg->irq_lock, flags);
		if (!vr->loading)
			vr->cfg_status = vr->loaded ? TESSERA_RGN_CFG_LOADED :
					 TESSERA_RGN_CFG_EMPTY;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
	}
}

/*
 * Between users of the device (open and close; VFIO_DEVICE_RESET keeps the
 * functions, as above): the regions forget their functions, arguments,
 * results and counters, as on a new instance, since a persistent instance
 * goes from one VM to the next. After tessera_vfpga_reset(), lock not held.
 */
static void tessera_vfpga_erase(struct tessera_vfpga *vf)
{
	struct tessera_vgpu *vg = &vf->vg;
	unsigned long flags;
	unsigned int i;

	cancel_work_sync(&vf->finish_work);
	/* Off the slots before the images go: the thread may be loading one. */
	for (i = 0; i < vf->num_regions; i++)
		if (vf->rgn[i].slot)
			tessera_fpga_share_leave(&vf->rgn[i]);

	mutex_lock(&vg->lock);
	for (i = 0; i < vf->num_regions; i++) {
		struct tessera_vfpga_region *vr = &vf->rgn[i];

		/* RGN_RESET_CLEAR (a load still running stops), then bound again. */
		if (!vr->slot)
			tessera_vfpga_attach_region(vr);
		tessera_fpga_image_release(vf, vr->loaded);
		vr->loaded = NULL;
		tessera_fpga_image_release(vf, vr->pending);
		vr->pending = NULL;
		memset(vr->args, 0, sizeof(vr->args));
		vr->job_status = TESSERA_RGN_JOB_IDLE;
		vr->result = 0;
		vr->jobs_done = 0;
		vr->fault_code = 0;
		vr->fault_addr = 0;
		vr->config_ns = 0;
		vr->busy_ns = 0;
		spin_lock_irqsave(&vg->irq_lock, flags);
		vr->cfg_status = TESSERA_RGN_CFG_EMPTY;
		vr->loads = 0;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
	}
	mutex_unlock(&vg->lock);

	for (i = 0; i < vf->num_regions; i++)
		if (vf->rgn[i].slot)
			tessera_fpga_share_join(&vf->rgn[i], vf->rgn[i].slot);
}

/* ---- The register page ---- */

/* The region block's card-side registers, kept per tenant when time-shared. */
static u32 tessera_vfpga_shared_rgn_read(struct tessera_vfpga_region *vr, u32 reg)
{
	unsigned long flags;
	u32 val;

	spin_lock_irqsave(&vr->slot->lock, flags);
	switch (reg) {
	case TESSERA_VF_RGN_CONFIG_NS_LO:
	case TESSERA_VF_RGN_CONFIG_NS_HI:
		val = reg & 4 ? upper_32_bits(vr->config_ns) : lower_32_bits(vr->config_ns);
		break;
	case TESSERA_VF_RGN_BUSY_NS_LO:
	case TESSERA_VF_RGN_BUSY_NS_HI:
		val = reg & 4 ? upper_32_bits(vr->busy_ns) : lower_32_bits(vr->busy_ns);
		break;
	case TESSERA_VF_RGN_SHARE_NS_LO:
	case TESSERA_VF_RGN_SHARE_NS_HI:
		val = reg & 4 ? upper_32_bits(vr->share_ns) : lower_32_bits(vr->share_ns);
		break;
	case TESSERA_VF_RGN_FAULT_CODE:
		val = vr->fault_code;
		break;
	case TESSERA_VF_RGN_FAULT_ADDR_LO:
		val = lower_32_bits(vr->fault_addr);
		break;
	case TESSERA_VF_RGN_FAULT_ADDR_HI:
		val = upper_32_bits(vr->fault_addr);
		break;
	default:
		val = 0;
	}
	spin_unlock_irqrestore(&vr->slot->lock, flags);
	return val;
}

static u32 tessera_vfpga_rgn_read(struct tessera_vfpga_region *vr, u32 reg)
{
	struct tessera_vgpu *vg = &vr->vf->vg;
	unsigned long flags;
	u32 val;

	switch (reg) {
	case TESSERA_VF_RGN_IMAGE_ADDR_LO:
		return lower_32_bits(vr->image_addr);
	case TESSERA_VF_RGN_IMAGE_ADDR_HI:
		return upper_32_bits(vr->image_addr);
	case TESSERA_VF_RGN_IMAGE_SIZE:
		return vr->image_size;
	case TESSERA_VF_RGN_CONFIG_STATUS:
		spin_lock_irqsave(&vg->irq_lock, flags);
		val = vr->cfg_status;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		return val;
	case TESSERA_VF_RGN_FUNCTION:
		/* What this instance loaded, not what an earlier owner left. */
		if (vr->slot)
			return tessera_fpga_share_function(vr);
		/*
		 * The guest may read this as soon as the load's interrupt
		 * reaches it, before finish_work has run: settle the load now
		 * so the function agrees with VF_RGN_CONFIG_STATUS.
		 */
		tessera_vfpga_finish_load(vr);
		return vr->loaded ? vr->loaded->function : TESSERA_FN_NONE;
	}
	if (vr->slot)
		return tessera_vfpga_shared_rgn_read(vr, reg);
	switch (reg) {
	case TESSERA_VF_RGN_CONFIG_NS_LO:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_CONFIG_NS_LO);
	case TESSERA_VF_RGN_CONFIG_NS_HI:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_CONFIG_NS_HI);
	case TESSERA_VF_RGN_BUSY_NS_LO:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_BUSY_NS_LO);
	case TESSERA_VF_RGN_BUSY_NS_HI:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_BUSY_NS_HI);
	case TESSERA_VF_RGN_FAULT_CODE:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_FAULT_CODE);
	case TESSERA_VF_RGN_FAULT_ADDR_LO:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_FAULT_ADDR_LO);
	case TESSERA_VF_RGN_FAULT_ADDR_HI:
		return tessera_vfpga_rgn_rd(vr, TESSERA_RGN_FAULT_ADDR_HI);
	default:
		return 0;
	}
}

/* VF_RGN_RESET: abort the job, clear the fault (a queued job is let finish). */
static void tessera_vfpga_rgn_abort(struct tessera_vfpga_region *vr)
{
	if (vr->slot)
		tessera_fpga_share_clear(vr);
	else
		tessera_vfpga_rgn_wr(vr, TESSERA_RGN_RESET, 1);
}

static void tessera_vfpga_rgn_write(struct tessera_vfpga_region *vr, u32 reg, u32 val)
{
	switch (reg) {
	case TESSERA_VF_RGN_IMAGE_ADDR_LO:
		vr->image_addr = (vr->image_addr & GENMASK_ULL(63, 32)) | val;
		break;
	case TESSERA_VF_RGN_IMAGE_ADDR_HI:
		vr->image_addr = lower_32_bits(vr->image_addr) | (u64)val << 32;
		break;
	case TESSERA_VF_RGN_IMAGE_SIZE:
		vr->image_size = val;
		break;
	case TESSERA_VF_RGN_CONFIG:
		if (val == 1)
			tessera_vfpga_configure(vr);
		break;
	case TESSERA_VF_RGN_RESET:
		if (val == 1)
			tessera_vfpga_rgn_abort(vr);
		break;
	default:
		/* Read-only or reserved: ignored, as the card does. */
		break;
	}
}

static u32 tessera_vfpga_status(struct tessera_vfpga *vf)
{
	unsigned int i;

	for (i = 0; i < vf->num_regions; i++) {
		u32 phys = vf->rgn[i].phys, job;

		if (tessera_vfpga_loading(&vf->rgn[i]))
			return TESSERA_VF_STATUS_BUSY;
		if (vf->rgn[i].slot)
			continue;
		job = readl(tessera_region_user_regs(vf->vg.tdev, phys) +
			    TESSERA_RGN_USER_JOB_STATUS);
		if (job == TESSERA_RGN_JOB_RUNNING)
			return TESSERA_VF_STATUS_BUSY;
	}
	return 0;
}

static u64 tessera_vfpga_busy_ns(struct tessera_vfpga *vf)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < vf->num_regions; i++)
		sum += vf->rgn[i].slot ? READ_ONCE(vf->rgn[i].busy_ns) :
		       tessera_vfpga_rgn_rd64(&vf->rgn[i], TESSERA_RGN_BUSY_NS_LO);
	return sum;
}

static u32 tessera_vfpga_reg_read(struct tessera_vfpga *vf, u32 off)
{
	struct tessera_vgpu *vg = &vf->vg;
	unsigned long flags;
	u32 val;

	if (off >= TESSERA_VF_RGN_BASE &&
	    off < TESSERA_VF_RGN_REG(vf->num_regions, 0))
		return tessera_vfpga_rgn_read(&vf->rgn[(off - TESSERA_VF_RGN_BASE) /
						       TESSERA_VF_RGN_STRIDE],
					      off % TESSERA_VF_RGN_STRIDE);

	switch (off) {
	case TESSERA_VF_MAGIC:
		return TESSERA_MAGIC;
	case TESSERA_VF_VERSION:
		return TESSERA_VERSION;
	case TESSERA_VF_VRAM_SIZE_LO:
		return lower_32_bits(vg->type->vram_size);
	case TESSERA_VF_VRAM_SIZE_HI:
		return upper_32_bits(vg->type->vram_size);
	case TESSERA_VF_STATUS:
		return tessera_vfpga_status(vf);
	case TESSERA_VF_INT_STATUS:
	case TESSERA_VF_INT_ENABLE:
		spin_lock_irqsave(&vg->irq_lock, flags);
		val = off == TESSERA_VF_INT_STATUS ? vg->int_status : vg->int_enable;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		return val;
	case TESSERA_VF_BUSY_NS_LO:
		return lower_32_bits(tessera_vfpga_busy_ns(vf));
	case TESSERA_VF_BUSY_NS_HI:
		return upper_32_bits(tessera_vfpga_busy_ns(vf));
	case TESSERA_VF_WEIGHT:
		return vg->type->weight;
	case TESSERA_VF_CAPS:
		return TESSERA_VF_CAP_REGIONS;
	case TESSERA_VF_NUM_REGIONS:
		return vf->num_regions;
	case TESSERA_VF_FUNCTIONS:
		return vf->type->functions;
	case TESSERA_VF_REGION_CAPACITY:
		return tessera_vfpga_fpga(vf)->info->region_capacity;
	default:
		/* The ring, fence and fault registers of a vGPU: absent here. */
		return 0;
	}
}

static void tessera_vfpga_reg_write(struct tessera_vfpga *vf, u32 off, u32 val)
{
	struct tessera_vgpu *vg = &vf->vg;
	unsigned long flags;
	unsigned int i;

	if (off >= TESSERA_VF_RGN_BASE &&
	    off < TESSERA_VF_RGN_REG(vf->num_regions, 0)) {
		tessera_vfpga_rgn_write(&vf->rgn[(off - TESSERA_VF_RGN_BASE) /
						 TESSERA_VF_RGN_STRIDE],
					off % TESSERA_VF_RGN_STRIDE, val);
		return;
	}

	switch (off) {
	case TESSERA_VF_INT_STATUS:
		spin_lock_irqsave(&vg->irq_lock, flags);
		vg->int_status &= ~val;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		break;
	case TESSERA_VF_INT_ENABLE:
		spin_lock_irqsave(&vg->irq_lock, flags);
		vg->int_enable = val;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		/* A source enabled while pending interrupts now. */
		tessera_vgpu_raise(vg, 0);
		break;
	case TESSERA_VF_RESET:
		if (val == 1)
			for (i = 0; i < vf->num_regions; i++)
				tessera_vfpga_rgn_abort(&vf->rgn[i]);
		break;
	default:
		break;
	}
}

/* ---- BAR0 access through read()/write() ---- */

static int tessera_vfpga_bar0_access(struct tessera_vfpga *vf, u64 off, u8 *data,
				     size_t count, bool write)
{
	void __iomem *user;
	unsigned int i;
	u32 val;

	if ((count != 4 && count != 8) || !IS_ALIGNED(off, count))
		return -EINVAL;

	for (i = 0; i < count; i += 4) {
		u64 o = off + i;

		if (o < TESSERA_VF_RGN_USER_BASE) {
			if (write) {
				memcpy(&val, data + i, 4);
				tessera_vfpga_reg_write(vf, o, val);
			} else {
				val = tessera_vfpga_reg_read(vf, o);
				memcpy(data + i, &val, 4);
			}
			continue;
		}

		/* A user page: what the mmap reaches, forwarded to the card. */
		o -= TESSERA_VF_RGN_USER_BASE;
		if (o / TESSERA_VF_RGN_USER_STRIDE >= vf->num_regions) {
			if (!write)
				memset(data + i, 0, 4);
			continue;
		}
		if (vf->rgn[o / TESSERA_VF_RGN_USER_STRIDE].slot) {
			struct tessera_vfpga_region *vr = &vf->rgn[o / TESSERA_VF_RGN_USER_STRIDE];
			u32 in_page = o % TESSERA_VF_RGN_USER_STRIDE;

			if (write) {
				memcpy(&val, data + i, 4);
				tessera_fpga_share_user_write(vr, in_page, val);
			} else {
				val = tessera_fpga_share_user_read(vr, in_page);
				memcpy(data + i, &val, 4);
			}
			continue;
		}
		user = tessera_region_user_regs(vf->vg.tdev,
						vf->rgn[o / TESSERA_VF_RGN_USER_STRIDE].phys);
		o %= TESSERA_VF_RGN_USER_STRIDE;
		if (write) {
			memcpy(&val, data + i, 4);
			writel(val, user + o);
		} else {
			val = readl(user + o);
			memcpy(data + i, &val, 4);
		}
	}
	return 0;
}

/* Whether a config-space write sets PCI Express Initiate Function-Level Reset. */
static bool tessera_vfpga_flr_write(struct tessera_vfpga *vf, u64 off, const u8 *data,
				    size_t count)
{
	const u8 *cfg = vf->vg.config;
	unsigned int pos = cfg[PCI_CAPABILITY_LIST], hops = 0, devctl_hi;

	while (pos && pos + PCI_CAP_LIST_NEXT < TESSERA_VCFG_SIZE && hops++ < 16) {
		if (cfg[pos + PCI_CAP_LIST_ID] == PCI_CAP_ID_EXP) {
			devctl_hi = pos + PCI_EXP_DEVCTL + 1;
			return off <= devctl_hi && devctl_hi < off + count &&
			       (data[devctl_hi - off] & (PCI_EXP_DEVCTL_BCR_FLR >> 8));
		}
		pos = cfg[pos + PCI_CAP_LIST_NEXT];
	}
	return false;
}

static ssize_t tessera_vfpga_rw(struct tessera_vfpga *vf, char __user *ubuf, size_t count,
				loff_t *ppos, bool write)
{
	unsigned int index = TESSERA_VFIO_INDEX((u64)*ppos);
	u64 off = (u64)*ppos & TESSERA_VFIO_OFFSET_MASK;
	struct tessera_vgpu *vg = &vf->vg;
	u8 buf[TESSERA_VCFG_SIZE];
	bool flr = false;
	ssize_t ret;

	if (*ppos < 0)
		return -EINVAL;
	if (index != VFIO_PCI_BAR0_REGION_INDEX) {
		if (write && index == VFIO_PCI_CONFIG_REGION_INDEX && count <= sizeof(buf) &&
		    off < TESSERA_VCFG_SIZE) {
			if (copy_from_user(buf, ubuf, count))
				return -EFAULT;
			flr = tessera_vfpga_flr_write(vf, off, buf, count);
		}
		ret = write ? tessera_vgpu_ops.write(&vg->vdev, ubuf, count, ppos) :
			      tessera_vgpu_ops.read(&vg->vdev, ubuf, count, ppos);
		if (ret > 0 && flr) {
			/* tessera_vdev.c reset the function; the regions follow. */
			mutex_lock(&vg->lock);
			tessera_vfpga_reset(vf);
			mutex_unlock(&vg->lock);
		}
		return ret;
	}

	if (!count || off >= vf->bar0_size || count > vf->bar0_size - off || count > sizeof(buf))
		return -EINVAL;
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;
	mutex_lock(&vg->lock);
	ret = tessera_vfpga_bar0_access(vf, off, buf, count, write);
	mutex_unlock(&vg->lock);
	if (ret)
		return ret;
	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t tessera_vfpga_read(struct vfio_device *vdev, char __user *buf, size_t count,
				  loff_t *ppos)
{
	return tessera_vfpga_rw(to_tessera_vfpga(vdev), buf, count, ppos, false);
}

static ssize_t tessera_vfpga_write(struct vfio_device *vdev, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	return tessera_vfpga_rw(to_tessera_vfpga(vdev), (char __user *)buf, count, ppos, true);
}

/* The region user pages of BAR0 map the card's pages; everything else as a vGPU. */
static int tessera_vfpga_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 off = pos & TESSERA_VFIO_OFFSET_MASK;
	u64 len = vma->vm_end - vma->vm_start;
	u64 end = TESSERA_VF_BAR0_SIZE_REGIONS(vf->num_regions);
	phys_addr_t bar0 = tessera_card_info(vf->vg.tdev)->regs_phys;
	unsigned int first, i;
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != TESSERA_VF_RGN_USER_STRIDE);
	if (TESSERA_VFIO_INDEX(pos) != VFIO_PCI_BAR0_REGION_INDEX)
		return tessera_vgpu_ops.mmap(vdev, vma);
	/* A time-shared region's user page is the mediator's: it traps. */
	if (!(vma->vm_flags & VM_SHARED) || tessera_vfpga_fpga(vf)->share > 1)
		return -EINVAL;
	/* Only user pages: the register page and the card's other pages never. */
	if (off < TESSERA_VF_RGN_USER_BASE || off >= end || len > end - off)
		return -EINVAL;

	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	first = (off - TESSERA_VF_RGN_USER_BASE) / TESSERA_VF_RGN_USER_STRIDE;
	for (i = 0; i < len / PAGE_SIZE; i++) {
		phys_addr_t phys = bar0 + TESSERA_RGN_USER_REG(vf->rgn[first + i].phys, 0);

		ret = io_remap_pfn_range(vma, vma->vm_start + (u64)i * PAGE_SIZE,
					 phys >> PAGE_SHIFT, PAGE_SIZE, vma->vm_page_prot);
		if (ret)
			return ret;
	}
	return 0;
}

static int tessera_vfpga_bar0_info(struct tessera_vfpga *vf, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info_cap_sparse_mmap *sparse;
	size_t size = struct_size(sparse, areas, 1);
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.offset = TESSERA_VFIO_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	info.size = vf->bar0_size;
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	info.cap_offset = 0;
	if (tessera_vfpga_fpga(vf)->share > 1)
		return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
	info.flags |= VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS;

	sparse = kzalloc(size, GFP_KERNEL);
	if (!sparse)
		return -ENOMEM;
	sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	sparse->header.version = 1;
	sparse->nr_areas = 1;
	sparse->areas[0].offset = TESSERA_VF_RGN_USER_BASE;
	sparse->areas[0].size = (u64)vf->num_regions * TESSERA_VF_RGN_USER_STRIDE;
	ret = vfio_info_add_capability(&caps, &sparse->header, size);
	kfree(sparse);
	if (ret)
		return ret;

	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		if (copy_to_user((void __user *)arg + sizeof(info), caps.buf, caps.size)) {
			kfree(caps.buf);
			return -EFAULT;
		}
		info.cap_offset = sizeof(info);
	}
	kfree(caps.buf);
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long tessera_vfpga_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);
	struct vfio_region_info info;
	long ret;

	switch (cmd) {
	case VFIO_DEVICE_GET_REGION_INFO:
		if (copy_from_user(&info, (void __user *)arg,
				   offsetofend(struct vfio_region_info, index)))
			return -EFAULT;
		if (info.index == VFIO_PCI_BAR0_REGION_INDEX)
			return tessera_vfpga_bar0_info(vf, arg);
		break;
	case VFIO_DEVICE_RESET:
		/* Regions stopped first: none may write the slice the reset scrubs. */
		mutex_lock(&vf->vg.lock);
		tessera_vfpga_reset(vf);
		mutex_unlock(&vf->vg.lock);
		ret = tessera_vgpu_ops.ioctl(vdev, cmd, arg);
		if (ret)
			return ret;
		mutex_lock(&vf->vg.lock);
		tessera_vfpga_program_ctx(vf);
		mutex_unlock(&vf->vg.lock);
		return 0;
	}
	return tessera_vgpu_ops.ioctl(vdev, cmd, arg);
}

/* ---- Life cycle ---- */

static int tessera_vfpga_open(struct vfio_device *vdev)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);
	int ret;

	/* Regions stopped first: none may write the slice the open scrubs. */
	mutex_lock(&vf->vg.lock);
	tessera_vfpga_reset(vf);
	mutex_unlock(&vf->vg.lock);
	tessera_vfpga_erase(vf);
	ret = tessera_vgpu_ops.open_device(vdev);
	if (ret)
		return ret;
	mutex_lock(&vf->vg.lock);
	tessera_vfpga_program_ctx(vf);
	mutex_unlock(&vf->vg.lock);
	return 0;
}

static void tessera_vfpga_close(struct vfio_device *vdev)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);

	mutex_lock(&vf->vg.lock);
	tessera_vfpga_reset(vf);
	mutex_unlock(&vf->vg.lock);
	tessera_vfpga_erase(vf);
	tessera_vgpu_ops.close_device(vdev);
}

/* The function of a vGPU's configuration space, with a vFPGA's identity and BAR0. */
static void tessera_vfpga_patch_config(struct tessera_vfpga *vf)
{
	struct tessera_vgpu *vg = &vf->vg;

	put_unaligned_le16(TESSERA_PCI_DEVICE_VFPGA, vg->config + PCI_DEVICE_ID);
	put_unaligned_le16(TESSERA_PCI_DEVICE_VFPGA, vg->config + PCI_SUBSYSTEM_ID);
	put_unaligned_le32(~(u32)(vf->bar0_size - 1), vg->config_wmask + PCI_BASE_ADDRESS_0);
}

static int tessera_vfpga_init(struct vfio_device *vdev)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct tessera_fpga *fpga = tessera_mdev_of_type(mdev->type)->fpga;
	struct tessera_vfpga_type *type = container_of(mdev->type, struct tessera_vfpga_type,
						       base.type);
	unsigned int phys[TESSERA_VFPGA_MAX_REGIONS], i;
	int ret;

	if (type->regions > TESSERA_VFPGA_MAX_REGIONS)
		return -EINVAL;
	ret = tessera_fpga_claim_regions(fpga, type->regions, phys);
	if (ret)
		return ret;
	ret = tessera_vgpu_ops.init(vdev);
	if (ret)
		goto err_regions;

	vf->type = type;
	vf->num_regions = type->regions;
	vf->bar0_size = roundup_pow_of_two(TESSERA_VF_BAR0_SIZE_REGIONS(type->regions));
	init_waitqueue_head(&vf->cfg_wq);
	INIT_WORK(&vf->finish_work, tessera_vfpga_finish_work);
	tessera_vfpga_patch_config(vf);
	tessera_vgpu_config_save_power_on(&vf->vg);
	tessera_vfpga_program_ctx(vf);
	for (i = 0; i < vf->num_regions; i++) {
		struct tessera_vfpga_region *vr = &vf->rgn[i];

		vr->vf = vf;
		vr->index = i;
		vr->phys = phys[i];
		vr->cfg_status = TESSERA_RGN_CFG_EMPTY;
		if (fpga->share > 1)
			tessera_fpga_share_join(vr, &fpga->slots[phys[i]]);
		else
			tessera_vfpga_attach_region(vr);
	}
	return 0;

err_regions:
	tessera_fpga_release_regions(fpga, type->regions, phys);
	return ret;
}

static void tessera_vfpga_release(struct vfio_device *vdev)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);
	struct tessera_fpga *fpga = tessera_vfpga_fpga(vf);
	unsigned int phys[TESSERA_VFPGA_MAX_REGIONS], i;

	mutex_lock(&vf->vg.lock);
	for (i = 0; i < vf->num_regions; i++) {
		struct tessera_vfpga_region *vr = &vf->rgn[i];

		if (!tessera_vfpga_wait_load(vr))
			tessera_vfpga_finish_load(vr);
		if (!vr->slot)
			tessera_vfpga_detach_region(vr);
		phys[i] = vr->phys;
	}
	mutex_unlock(&vf->vg.lock);
	cancel_work_sync(&vf->finish_work);
	/* Off the slots before the images go: the thread may be loading one. */
	for (i = 0; i < vf->num_regions; i++)
		if (vf->rgn[i].slot)
			tessera_fpga_share_leave(&vf->rgn[i]);

	mutex_lock(&vf->vg.lock);
	for (i = 0; i < vf->num_regions; i++) {
		struct tessera_vfpga_region *vr = &vf->rgn[i];

		tessera_fpga_image_release(vf, vr->loaded);
		vr->loaded = NULL;
		/*
		 * A load the card never finished was stopped by the region's
		 * RGN_RESET_CLEAR at detach (or by leaving the slot): after the
		 * drain barrier in the unmap nothing reads its pages.
		 */
		tessera_fpga_image_release(vf, vr->pending);
		vr->pending = NULL;
	}
	mutex_unlock(&vf->vg.lock);

	tessera_fpga_release_regions(fpga, vf->num_regions, phys);
	tessera_vgpu_ops.release(vdev);
}

static void tessera_vfpga_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	/* Images are copied out synchronously: only the common state pins pages. */
	tessera_vgpu_ops.dma_unmap(vdev, iova, length);
}

static const struct vfio_device_ops tessera_vfpga_ops = {
	.name = "tessera-vfpga",
	.init = tessera_vfpga_init,
	.release = tessera_vfpga_release,
	.open_device = tessera_vfpga_open,
	.close_device = tessera_vfpga_close,
	.read = tessera_vfpga_read,
	.write = tessera_vfpga_write,
	.mmap = tessera_vfpga_mmap,
	.ioctl = tessera_vfpga_ioctl,
	.dma_unmap = tessera_vfpga_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

/**
 * tessera_vfpga_probe() - create the VFIO device of a new vFPGA instance
 * @mdev: the mdev of a vFPGA type
 *
 * The driver data is the embedded struct tessera_vgpu, as for a vGPU, so
 * that the mdev driver's remove and its statistics files serve both.
 *
 * Return: 0 or a negative errno.
 */
int tessera_vfpga_probe(struct mdev_device *mdev)
{
	struct tessera_vfpga *vf;

	vf = vfio_alloc_device(tessera_vfpga, vg.vdev, &mdev->dev, &tessera_vfpga_ops);
	if (IS_ERR(vf))
		return PTR_ERR(vf);
	return tessera_mdev_register(mdev, &vf->vg);
}
