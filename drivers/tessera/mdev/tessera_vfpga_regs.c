// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vFPGA: BAR0 through read() and write(). The register page is
 * emulated here, each register with its access rule; the user pages are
 * forwarded to the card region's (owned) or emulated for the slot's thread
 * (time-shared). FLR through configuration space resets the regions too.
 */
#include <linux/pci_regs.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_vfpga.h"

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

/* BAR0 for tessera_vfunc_rw(): the register page, then the user pages. */
static int tessera_vfpga_bar0_access(struct tessera_vgpu *vg, u64 off, u8 *data,
				     size_t count, bool write)
{
	struct tessera_vfpga *vf = container_of(vg, struct tessera_vfpga, vg);
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

	if (*ppos >= 0 && write && index == VFIO_PCI_CONFIG_REGION_INDEX &&
	    count <= sizeof(buf) && off < TESSERA_VCFG_SIZE) {
		if (copy_from_user(buf, ubuf, count))
			return -EFAULT;
		flr = tessera_vfpga_flr_write(vf, off, buf, count);
	}
	ret = tessera_vfunc_rw(vg, ubuf, count, ppos, write, tessera_vfpga_bar0_access);
	if (ret > 0 && flr) {
		/* tessera_vfunc.c reset the function; the regions follow. */
		mutex_lock(&vg->lock);
		tessera_vfpga_reset(vf);
		mutex_unlock(&vg->lock);
	}
	return ret;
}

ssize_t tessera_vfpga_read(struct vfio_device *vdev, char __user *buf, size_t count,
			   loff_t *ppos)
{
	return tessera_vfpga_rw(to_tessera_vfpga(vdev), buf, count, ppos, false);
}

ssize_t tessera_vfpga_write(struct vfio_device *vdev, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	return tessera_vfpga_rw(to_tessera_vfpga(vdev), (char __user *)buf, count, ppos, true);
}
