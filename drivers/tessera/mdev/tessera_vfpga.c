// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vFPGA instance as a VFIO device: its vfio_device_ops, its life
 * cycle, the card regions it owns and their reset.
 *
 * Virtual PCI function 1234:7e52: the virtual function every instance is
 * (configuration space, MSI/MSI-X, BAR2 device-memory slice, BAR4 MSI-X
 * table, FLR: tessera_vfunc.c) with its own BAR0:
 *
 *   0x0000  register page, trapped (tessera_vfpga_regs.c): the common VF
 *           registers (no ring: VF_CAPS = TESSERA_VF_CAP_REGIONS) and one
 *           TESSERA_VF_RGN_* block per region
 *   0x1000  region i's user page at 0x1000 + i * 0x1000: the card's region
 *           user page (TESSERA_RGN_USER_*), mmap-able straight through
 *           (sparse-mmap capability), so starting a job does not trap
 *
 * Reconfiguration traps (tessera_vfpga_image.c): on VF_RGN_CONFIG the
 * mediator copies the image out of guest memory (vfio_dma_rw: the guest
 * cannot change it afterwards), validates it (tessera_bitstream_check():
 * function allowed for the type, payload within the card's region
 * capacity, checksum), maps the copy read-only into the instance's own
 * device-MMU context and lets the card load it from there. The region's
 * context is the instance's, so the load and every job DMA go through the
 * instance's MMU and device-memory window and nothing else. A refused image
 * costs no card time and changes nothing: the region keeps the function it
 * had.
 */
#include <linux/mm.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_vfpga.h"

static const struct vfio_device_ops tessera_vfpga_ops;

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
void tessera_vfpga_reset(struct tessera_vfpga *vf)
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

/* The region user pages of BAR0 map the card's pages; BAR2 is the function's. */
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
		return tessera_vfunc_mmap(vdev, vma);
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
	info.size = vf->vg.bar0_size;
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
		ret = tessera_vfunc_ioctl(vdev, cmd, arg);
		if (ret)
			return ret;
		mutex_lock(&vf->vg.lock);
		tessera_vfpga_program_ctx(vf);
		mutex_unlock(&vf->vg.lock);
		return 0;
	}
	return tessera_vfunc_ioctl(vdev, cmd, arg);
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
	ret = tessera_vfunc_open(vdev);
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
	tessera_vfunc_close(vdev);
}

/* The function's configuration space, with a vFPGA's identity and BAR0. */
static void tessera_vfpga_patch_config(struct tessera_vfpga *vf)
{
	struct tessera_vgpu *vg = &vf->vg;

	put_unaligned_le16(TESSERA_PCI_DEVICE_VFPGA, vg->config + PCI_DEVICE_ID);
	put_unaligned_le16(TESSERA_PCI_DEVICE_VFPGA, vg->config + PCI_SUBSYSTEM_ID);
	put_unaligned_le32(~(u32)(vg->bar0_size - 1), vg->config_wmask + PCI_BASE_ADDRESS_0);
}

static int tessera_vfpga_init(struct vfio_device *vdev)
{
	struct tessera_vfpga *vf = to_tessera_vfpga(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct tessera_fpga *fpga = tessera_mdev_of_type(mdev->type)->fpga;
	struct tessera_vfpga_type *type = container_of(mdev->type, struct tessera_vfpga_type,
						       mt.type);
	unsigned int phys[TESSERA_VFPGA_MAX_REGIONS], i;
	int ret;

	if (type->regions > TESSERA_VFPGA_MAX_REGIONS)
		return -EINVAL;
	ret = tessera_fpga_claim_regions(fpga, type->regions, phys);
	if (ret)
		return ret;
	ret = tessera_vfunc_init(vdev);
	if (ret)
		goto err_regions;

	vf->type = type;
	vf->num_regions = type->regions;
	vf->vg.bar0_size = roundup_pow_of_two(TESSERA_VF_BAR0_SIZE_REGIONS(type->regions));
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
	tessera_vfunc_release(vdev);
}

static void tessera_vfpga_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	/* Images are copied out synchronously: only the common state pins pages. */
	tessera_vfunc_dma_unmap(vdev, iova, length);
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
	.request = tessera_vfunc_request,
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
