// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera mediator: the virtual PCI function every instance is, vGPU or
 * vFPGA, and the instance state behind it. Each kind's vfio_device_ops
 * (tessera_vgpu.c, tessera_vfpga.c) call these for what they share:
 *   configuration space (capabilities: MSI 0x40, MSI-X 0x50, PCI Express
 *     with FLR 0x60), its reset and power-on state
 *   BAR2  the device-memory slice, 64-bit prefetchable, mmap-able
 *   BAR4  4 KiB, 32-bit MMIO: MSI-X table (offset 0) and PBA (0x800)
 *   one interrupt vector (MSI or MSI-X) and the REQ eventfd
 *   the instance's device memory, context, device MMU and submission
 *     state, from init to release
 * BAR0 is each kind's own: tessera_vfunc_rw() calls the kind's access
 * function for it, under the instance lock.
 *
 * Every offset and size that comes from user space is bounded before use.
 */
#include <linux/eventfd.h>
#include <linux/mdev.h>
#include <linux/mm.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_vgpu.h"

#define TESSERA_VCFG_MSI	0x40
#define TESSERA_VCFG_MSIX	0x50
#define TESSERA_VCFG_EXP	0x60

/* ---- Interrupts toward the guest ---- */

/**
 * tessera_vgpu_raise() - set VF_INT_STATUS bits and interrupt the guest
 * @vg: the instance
 * @bits: TESSERA_CTX_INT_* to set; 0 to re-evaluate what is pending
 *
 * Signals the instance's eventfd when a raised (or, with @bits 0, a
 * pending) source is enabled in VF_INT_ENABLE. Any context.
 */
void tessera_vgpu_raise(struct tessera_vgpu *vg, u32 bits)
{
	unsigned long flags;
	u32 fire;

	spin_lock_irqsave(&vg->irq_lock, flags);
	vg->int_status |= bits;
	fire = (bits ?: vg->int_status) & vg->int_enable;
	if (fire && vg->trigger) {
		eventfd_signal(vg->trigger);
		atomic64_inc(&vg->stats.interrupts);
	}
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}

/**
 * tessera_vgpu_fault() - stop the instance with a fault its guest can read
 * @vg: the instance
 * @code: TESSERA_FAULT_* or TESSERA_VF_REJECT_*
 * @index: ring index of the offending command
 * @addr: offending address or value
 *
 * The first fault is kept until VF_RESET. Any context.
 */
void tessera_vgpu_fault(struct tessera_vgpu *vg, u32 code, u32 index, u64 addr)
{
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	if (!vg->faulted) {
		vg->faulted = true;
		vg->fault_code = code;
		vg->fault_index = index;
		vg->fault_addr = addr;
	}
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	tessera_vgpu_raise(vg, TESSERA_CTX_INT_FAULT);
	wake_up_all(&vg->idle_wq);
}

/* The instance's hardware context interrupted (hard-irq context). */
static void tessera_vgpu_ctx_irq(void *data, u32 status)
{
	struct tessera_vgpu *vg = data;

	if (status & TESSERA_CTX_INT_FAULT) {
		struct tessera_ctx_fault fault;

		tessera_ctx_read_fault(vg->ctx, &fault);
		atomic64_inc(&vg->stats.card_faults);
		dev_warn_ratelimited(&vg->mdev->dev,
				     "card fault %u at ring index %u, address 0x%llx\n",
				     fault.code, fault.index, fault.addr);
		tessera_vgpu_fault(vg, fault.code, fault.index, fault.addr);
	}
	if (status & TESSERA_CTX_INT_FENCE) {
		spin_lock(&vg->irq_lock);
		vg->fence_seen = true;
		spin_unlock(&vg->irq_lock);
	}
	tessera_vgpu_raise(vg, status & (TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_IDLE));
	wake_up_all(&vg->idle_wq);
}

/* VF_RESET: drop queued work and clear the fault; the ring stays. */
void tessera_vgpu_reset_engine(struct tessera_vgpu *vg)
{
	unsigned long flags;

	lockdep_assert_held(&vg->lock);
	tessera_submit_reset(vg);
	spin_lock_irqsave(&vg->irq_lock, flags);
	vg->faulted = false;
	vg->fault_code = 0;
	vg->fault_index = 0;
	vg->fault_addr = 0;
	vg->int_status = 0;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}

static void tessera_vgpu_release_trigger(struct tessera_vgpu *vg)
{
	struct eventfd_ctx *old;
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	old = vg->trigger;
	vg->trigger = NULL;
	vg->irq_index = -1;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	if (old)
		eventfd_ctx_put(old);
}

/* ---- Configuration space ---- */

static void tessera_vcfg_put(u8 *cfg, unsigned int off, u32 val, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		cfg[off + i] = val >> (8 * i);
}

static void tessera_vcfg_init(struct tessera_vgpu *vg)
{
	u64 bar2_mask = ~(vg->type->bar2_size - 1);
	u8 *cfg = vg->config, *wm = vg->config_wmask;

	memset(cfg, 0, TESSERA_VCFG_SIZE);
	memset(wm, 0, TESSERA_VCFG_SIZE);

	tessera_vcfg_put(cfg, PCI_VENDOR_ID, TESSERA_PCI_VENDOR_ID, 2);
	tessera_vcfg_put(cfg, PCI_DEVICE_ID, TESSERA_PCI_DEVICE_VGPU, 2);
	tessera_vcfg_put(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST, 2);
	tessera_vcfg_put(cfg, PCI_CLASS_REVISION,
			 TESSERA_PCI_CLASS_ACCEL << 8 | TESSERA_PCI_REVISION, 4);
	tessera_vcfg_put(cfg, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_32, 4);
	tessera_vcfg_put(cfg, PCI_BASE_ADDRESS_2,
			 PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, 4);
	tessera_vcfg_put(cfg, PCI_BASE_ADDRESS_4, PCI_BASE_ADDRESS_MEM_TYPE_32, 4);
	tessera_vcfg_put(cfg, PCI_SUBSYSTEM_VENDOR_ID, TESSERA_PCI_VENDOR_ID, 2);
	tessera_vcfg_put(cfg, PCI_SUBSYSTEM_ID, TESSERA_PCI_DEVICE_VGPU, 2);
	cfg[PCI_CAPABILITY_LIST] = TESSERA_VCFG_MSI;

	/* MSI: 64-bit address, one vector. */
	cfg[TESSERA_VCFG_MSI + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	cfg[TESSERA_VCFG_MSI + PCI_CAP_LIST_NEXT] = TESSERA_VCFG_MSIX;
	tessera_vcfg_put(cfg, TESSERA_VCFG_MSI + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, 2);

	/* MSI-X: one entry, table and PBA in BAR4. */
	cfg[TESSERA_VCFG_MSIX + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
	cfg[TESSERA_VCFG_MSIX + PCI_CAP_LIST_NEXT] = TESSERA_VCFG_EXP;
	tessera_vcfg_put(cfg, TESSERA_VCFG_MSIX + PCI_MSIX_FLAGS, TESSERA_VF_NUM_VECTORS - 1, 2);
	tessera_vcfg_put(cfg, TESSERA_VCFG_MSIX + PCI_MSIX_TABLE,
			 TESSERA_VF_MSIX_TABLE_OFFSET | TESSERA_VF_MSIX_BAR, 4);
	tessera_vcfg_put(cfg, TESSERA_VCFG_MSIX + PCI_MSIX_PBA,
			 TESSERA_VF_MSIX_PBA_OFFSET | TESSERA_VF_MSIX_BAR, 4);

	/* PCI Express endpoint, version 2, with function-level reset. */
	cfg[TESSERA_VCFG_EXP + PCI_CAP_LIST_ID] = PCI_CAP_ID_EXP;
	cfg[TESSERA_VCFG_EXP + PCI_CAP_LIST_NEXT] = 0;
	tessera_vcfg_put(cfg, TESSERA_VCFG_EXP + PCI_EXP_FLAGS,
			 2 | PCI_EXP_TYPE_ENDPOINT << 4, 2);
	tessera_vcfg_put(cfg, TESSERA_VCFG_EXP + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_FLR, 4);
	tessera_vcfg_put(cfg, TESSERA_VCFG_EXP + PCI_EXP_LNKCAP,
			 PCI_EXP_LNKCAP_SLS_2_5GB | 1 << 4, 4);
	tessera_vcfg_put(cfg, TESSERA_VCFG_EXP + PCI_EXP_LNKSTA,
			 PCI_EXP_LNKSTA_CLS_2_5GB | 1 << 4, 2);

	/* What the guest may change. */
	tessera_vcfg_put(wm, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE, 2);
	wm[PCI_CACHE_LINE_SIZE] = 0xff;
	wm[PCI_LATENCY_TIMER] = 0xff;
	tessera_vcfg_put(wm, PCI_BASE_ADDRESS_0, ~(TESSERA_VF_BAR0_SIZE - 1), 4);
	tessera_vcfg_put(wm, PCI_BASE_ADDRESS_2,
			 lower_32_bits(bar2_mask) & PCI_BASE_ADDRESS_MEM_MASK, 4);
	tessera_vcfg_put(wm, PCI_BASE_ADDRESS_3, upper_32_bits(bar2_mask), 4);
	tessera_vcfg_put(wm, PCI_BASE_ADDRESS_4, ~(TESSERA_VF_MSIX_BAR_SIZE - 1), 4);
	wm[PCI_INTERRUPT_LINE] = 0xff;
	tessera_vcfg_put(wm, TESSERA_VCFG_MSI + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 2);
	tessera_vcfg_put(wm, TESSERA_VCFG_MSI + PCI_MSI_ADDRESS_LO, 0xfffffffc, 4);
	tessera_vcfg_put(wm, TESSERA_VCFG_MSI + PCI_MSI_ADDRESS_HI, 0xffffffff, 4);
	tessera_vcfg_put(wm, TESSERA_VCFG_MSI + PCI_MSI_DATA_64, 0xffff, 2);
	tessera_vcfg_put(wm, TESSERA_VCFG_MSIX + PCI_MSIX_FLAGS,
			 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	tessera_vcfg_put(wm, TESSERA_VCFG_EXP + PCI_EXP_DEVCTL, 0xffff, 2);
	tessera_vcfg_put(wm, TESSERA_VCFG_EXP + PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_ASPMC, 2);
}

/**
 * tessera_vgpu_config_save_power_on() - @vg's configuration space now is
 * what each open and close of the device returns to
 * @vg: the instance, being created
 */
void tessera_vgpu_config_save_power_on(struct tessera_vgpu *vg)
{
	memcpy(vg->config_power_on, vg->config, TESSERA_VCFG_SIZE);
}

static void tessera_vgpu_config_power_on(struct tessera_vgpu *vg)
{
	lockdep_assert_held(&vg->lock);
	memcpy(vg->config, vg->config_power_on, TESSERA_VCFG_SIZE);
}

static void tessera_vgpu_device_reset(struct tessera_vgpu *vg);

static void tessera_vcfg_write(struct tessera_vgpu *vg, unsigned int off, const u8 *data,
			       unsigned int len)
{
	unsigned int devctl_hi = TESSERA_VCFG_EXP + PCI_EXP_DEVCTL + 1;
	bool flr = false;
	unsigned int i;

	for (i = 0; i < len; i++) {
		unsigned int o = off + i;
		u8 wm = vg->config_wmask[o];

		vg->config[o] = (vg->config[o] & ~wm) | (data[i] & wm);
	}
	/* Initiate Function-Level Reset reads as zero; writing it resets. */
	if (off <= devctl_hi && devctl_hi < off + len &&
	    (vg->config[devctl_hi] & (PCI_EXP_DEVCTL_BCR_FLR >> 8))) {
		vg->config[devctl_hi] &= ~(PCI_EXP_DEVCTL_BCR_FLR >> 8);
		flr = true;
	}
	if (flr)
		tessera_vgpu_device_reset(vg);
}

/* ---- Regions ---- */

static u64 tessera_vgpu_region_size(struct tessera_vgpu *vg, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return TESSERA_VCFG_SIZE;
	case VFIO_PCI_BAR0_REGION_INDEX:
		return vg->bar0_size;
	case VFIO_PCI_BAR2_REGION_INDEX:
		return vg->type->bar2_size;
	case VFIO_PCI_BAR4_REGION_INDEX:
		return TESSERA_VF_MSIX_BAR_SIZE;
	default:
		return 0;
	}
}

/* BAR4, 32-bit or 64-bit: the MSI-X table is storage; the PBA reads as zero. */
static int tessera_vfunc_msix_access(struct tessera_vgpu *vg, u64 off, u8 *data, size_t count,
				     bool write)
{
	unsigned int i;

	if ((count != 4 && count != 8) || !IS_ALIGNED(off, count))
		return -EINVAL;

	for (i = 0; i < count; i += 4) {
		u32 o = off + i;

		if (o + 4 <= TESSERA_VF_MSIX_ENTRY_SIZE) {
			if (write)
				memcpy(vg->msix_table + o, data + i, 4);
			else
				memcpy(data + i, vg->msix_table + o, 4);
		} else if (!write) {
			memset(data + i, 0, 4);
		}
	}
	return 0;
}

/* Device memory: the slice through BAR2's mapping; beyond it reads zero. */
static ssize_t tessera_vgpu_vram_rw(struct tessera_vgpu *vg, char __user *ubuf, u64 off,
				    size_t count, bool write)
{
	u64 slice = vg->type->vram_size;
	void __iomem *base = tessera_card_info(vg->tdev)->vram + vg->vram_offset;
	size_t done = 0;
	void *bounce;
	ssize_t ret = 0;

	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	while (done < count) {
		u64 pos = off + done;
		size_t chunk = min_t(size_t, count - done, PAGE_SIZE);
		size_t inside = pos < slice ? min_t(u64, chunk, slice - pos) : 0;

		if (write) {
			if (copy_from_user(bounce, ubuf + done, chunk)) {
				ret = -EFAULT;
				break;
			}
			memcpy_toio(base + pos, bounce, inside);
		} else {
			memcpy_fromio(bounce, base + pos, inside);
			memset(bounce + inside, 0, chunk - inside);
			if (copy_to_user(ubuf + done, bounce, chunk)) {
				ret = -EFAULT;
				break;
			}
		}
		done += chunk;
	}
	kfree(bounce);
	return ret ? ret : done;
}

/**
 * tessera_vfunc_rw() - read() or write() of the function's regions
 * @vg: the instance
 * @ubuf: user buffer
 * @count: bytes
 * @ppos: region index and offset (TESSERA_VFIO_OFFSET())
 * @write: a write
 * @bar0_access: the kind's BAR0, called under @vg->lock on a bounce copy
 *	of at most TESSERA_VCFG_SIZE bytes within the BAR
 *
 * Return: bytes done or a negative errno.
 */
ssize_t tessera_vfunc_rw(struct tessera_vgpu *vg, char __user *ubuf, size_t count, loff_t *ppos,
			 bool write, tessera_vfunc_access_fn bar0_access)
{
	unsigned int index = TESSERA_VFIO_INDEX((u64)*ppos);
	u64 off = (u64)*ppos & TESSERA_VFIO_OFFSET_MASK;
	u64 size = tessera_vgpu_region_size(vg, index);
	u8 buf[TESSERA_VCFG_SIZE];
	ssize_t ret;

	if (*ppos < 0 || index >= VFIO_PCI_NUM_REGIONS || !count || off >= size ||
	    count > size - off)
		return -EINVAL;

	if (index == VFIO_PCI_BAR2_REGION_INDEX) {
		ret = tessera_vgpu_vram_rw(vg, ubuf, off, count, write);
		if (ret > 0)
			*ppos += ret;
		return ret;
	}

	if (count > sizeof(buf))
		return -EINVAL;
	if (write && copy_from_user(buf, ubuf, count))
		return -EFAULT;

	mutex_lock(&vg->lock);
	ret = 0;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (write)
			tessera_vcfg_write(vg, off, buf, count);
		else
			memcpy(buf, vg->config + off, count);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = bar0_access(vg, off, buf, count, write);
		break;
	case VFIO_PCI_BAR4_REGION_INDEX:
		ret = tessera_vfunc_msix_access(vg, off, buf, count, write);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&vg->lock);
	if (ret)
		return ret;

	if (!write && copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

/* mmap of BAR2, the slice; BAR0 is the kind's. */
int tessera_vfunc_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);
	u64 pos = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 off = pos & TESSERA_VFIO_OFFSET_MASK;
	u64 len = vma->vm_end - vma->vm_start;
	phys_addr_t phys;

	if (TESSERA_VFIO_INDEX(pos) != VFIO_PCI_BAR2_REGION_INDEX)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* Only the slice itself, never the card's memory beside it. */
	if (off >= vg->type->vram_size || len > vg->type->vram_size - off)
		return -EINVAL;

	phys = tessera_card_info(vg->tdev)->vram_phys + vg->vram_offset + off;
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	return io_remap_pfn_range(vma, vma->vm_start, phys >> PAGE_SHIFT, len, vma->vm_page_prot);
}

/* ---- ioctls ---- */

static int tessera_vgpu_get_region_info(struct tessera_vgpu *vg, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;

	info.offset = TESSERA_VFIO_OFFSET(info.index);
	info.size = tessera_vgpu_region_size(vg, info.index);
	info.flags = info.size ? VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE : 0;
	info.cap_offset = 0;

	if (info.index == VFIO_PCI_BAR2_REGION_INDEX) {
		struct vfio_region_info_cap_sparse_mmap *sparse;
		size_t size = struct_size(sparse, areas, 1);

		sparse = kzalloc(size, GFP_KERNEL);
		if (!sparse)
			return -ENOMEM;
		sparse->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
		sparse->header.version = 1;
		sparse->nr_areas = 1;
		sparse->areas[0].offset = 0;
		sparse->areas[0].size = vg->type->vram_size;
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
		ret = vfio_info_add_capability(&caps, &sparse->header, size);
		kfree(sparse);
		if (ret)
			return ret;
	}

	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
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
	}

	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* Vectors per VFIO irq index: MSI, MSI-X and the device request. */
static unsigned int tessera_vgpu_irq_count(unsigned int index)
{
	if (index == VFIO_PCI_MSI_IRQ_INDEX || index == VFIO_PCI_MSIX_IRQ_INDEX)
		return TESSERA_VF_NUM_VECTORS;
	return index == VFIO_PCI_REQ_IRQ_INDEX ? 1 : 0;
}

static int tessera_vgpu_get_irq_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;

	info.count = tessera_vgpu_irq_count(info.index);
	info.flags = info.count ? VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE : 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

/* A trigger from user space (loopback, as vfio-pci): signal unconditionally. */
static void tessera_vgpu_soft_trigger(struct tessera_vgpu *vg, unsigned int index)
{
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	if (vg->trigger && vg->irq_index == index)
		eventfd_signal(vg->trigger);
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}

/* Swap the request eventfd; NULL clears it. */
static void tessera_vgpu_set_req_trigger(struct tessera_vgpu *vg, struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	old = vg->req_trigger;
	vg->req_trigger = ctx;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	if (old)
		eventfd_ctx_put(old);
}

static void tessera_vgpu_signal_req(struct tessera_vgpu *vg)
{
	unsigned long flags;
	bool signalled;

	spin_lock_irqsave(&vg->irq_lock, flags);
	signalled = vg->req_trigger;
	if (signalled)
		eventfd_signal(vg->req_trigger);
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}

/* VFIO_PCI_REQ_IRQ_INDEX: how the host asks user space to release the device. */
static int tessera_vgpu_set_req(struct tessera_vgpu *vg, const struct vfio_irq_set *hdr,
				const u8 *data)
{
	struct eventfd_ctx *ctx;
	s32 fd;

	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (hdr->count)
			tessera_vgpu_signal_req(vg);
		else
			tessera_vgpu_set_req_trigger(vg, NULL);
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (*data)
			tessera_vgpu_signal_req(vg);
		return 0;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		fd = *(const s32 *)data;
		if (fd == -1) {
			tessera_vgpu_set_req_trigger(vg, NULL);
			return 0;
		}
		if (fd < 0)
			return -EINVAL;
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		tessera_vgpu_set_req_trigger(vg, ctx);
		return 0;
	}
	return -EINVAL;
}

/*
 * The instance is being removed while user space holds it open: ask user
 * space (QEMU unplugs the device from its guest) through the request eventfd.
 */
void tessera_vfunc_request(struct vfio_device *vdev, unsigned int count)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);
	unsigned long flags;
	bool have_req;

	spin_lock_irqsave(&vg->irq_lock, flags);
	have_req = vg->req_trigger;
	spin_unlock_irqrestore(&vg->irq_lock, flags);

	if (have_req) {
		if (!(count % 10))
			dev_notice_ratelimited(&vg->mdev->dev,
					       "asking user space to release the device (#%u)\n",
					       count);
		tessera_vgpu_signal_req(vg);
	} else if (!count) {
		dev_notice(&vg->mdev->dev,
			   "no request eventfd: removal waits until user space closes the device\n");
	}
}

static int tessera_vgpu_set_irqs(struct tessera_vgpu *vg, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int ret = 0;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	if (hdr.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, tessera_vgpu_irq_count(hdr.index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if ((hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -EINVAL;
	/*
	 * count 0 with BOOL or EVENTFD data names no vector: nothing to do,
	 * as in vfio-pci. Only DATA_NONE with count 0 means "disable".
	 */
	if (!hdr.count && (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) != VFIO_IRQ_SET_DATA_NONE)
		return 0;

	if (data_size) {
		data = memdup_user((void __user *)(arg + minsz), data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}

	if (hdr.index == VFIO_PCI_REQ_IRQ_INDEX) {
		ret = tessera_vgpu_set_req(vg, &hdr, data);
		kfree(data);
		return ret;
	}

	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (!hdr.count) {
			/* count 0: disable this index. */
			if (vg->irq_index == hdr.index)
				tessera_vgpu_release_trigger(vg);
		} else {
			tessera_vgpu_soft_trigger(vg, hdr.index);
		}
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		if (*(u8 *)data)
			tessera_vgpu_soft_trigger(vg, hdr.index);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD: {
		s32 fd = *(s32 *)data;
		struct eventfd_ctx *ctx, *old;
		unsigned long flags;

		if (fd < 0) {
			if (fd != -1) {
				ret = -EINVAL;
				break;
			}
			if (vg->irq_index == hdr.index)
				tessera_vgpu_release_trigger(vg);
			break;
		}
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx)) {
			ret = PTR_ERR(ctx);
			break;
		}
		spin_lock_irqsave(&vg->irq_lock, flags);
		old = vg->trigger;
		vg->trigger = ctx;
		vg->irq_index = hdr.index;
		spin_unlock_irqrestore(&vg->irq_lock, flags);
		if (old)
			eventfd_ctx_put(old);
		break;
	}
	default:
		ret = -EINVAL;
	}
	kfree(data);
	return ret;
}

/* Power-on state of the whole function, as after FLR. Lock held. */
static void tessera_vgpu_device_reset(struct tessera_vgpu *vg)
{
	u16 cmd_mask = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;

	lockdep_assert_held(&vg->lock);
	tessera_vregs_reset(vg);
	tessera_submit_unpin_all(vg);
	/*
	 * The next user of the instance (another VM, with a persistent mdev)
	 * must not read this one's data: the slice is zeroed on every open,
	 * close and reset, after the ring was stopped above.
	 */
	tessera_vram_scrub(vg->tdev, vg->vram_offset, vg->type->vram_size);
	memset(vg->msix_table, 0, sizeof(vg->msix_table));
	vg->config[PCI_COMMAND] &= ~cmd_mask;
	vg->config[TESSERA_VCFG_MSI + PCI_MSI_FLAGS] &= ~PCI_MSI_FLAGS_ENABLE;
	vg->config[TESSERA_VCFG_MSIX + PCI_MSIX_FLAGS + 1] &=
		~((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
}

long tessera_vfunc_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);
	unsigned long minsz;
	long ret;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info info;

		minsz = offsetofend(struct vfio_device_info, num_irqs);
		if (copy_from_user(&info, (void __user *)arg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		info.num_regions = VFIO_PCI_NUM_REGIONS;
		info.num_irqs = VFIO_PCI_NUM_IRQS;
		return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return tessera_vgpu_get_region_info(vg, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return tessera_vgpu_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		mutex_lock(&vg->lock);
		ret = tessera_vgpu_set_irqs(vg, arg);
		mutex_unlock(&vg->lock);
		return ret;
	case VFIO_DEVICE_RESET:
		mutex_lock(&vg->lock);
		tessera_vgpu_device_reset(vg);
		mutex_unlock(&vg->lock);
		return 0;
	}
	return -ENOTTY;
}

/* ---- Life cycle ---- */

/*
 * Open and close hand the function to a new user: as vfio-pci restores the
 * saved configuration space, the whole of it returns to power-on (BARs,
 * MSI address and data, latency timer, interrupt line), beside what a
 * function reset clears.
 */
int tessera_vfunc_open(struct vfio_device *vdev)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);

	mutex_lock(&vg->lock);
	tessera_vgpu_device_reset(vg);
	tessera_vgpu_config_power_on(vg);
	vg->open = true;
	mutex_unlock(&vg->lock);
	return 0;
}

void tessera_vfunc_close(struct vfio_device *vdev)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);

	mutex_lock(&vg->lock);
	tessera_vgpu_device_reset(vg);
	tessera_vgpu_config_power_on(vg);
	tessera_vgpu_release_trigger(vg);
	tessera_vgpu_set_req_trigger(vg, NULL);
	vg->open = false;
	mutex_unlock(&vg->lock);
}

void tessera_vfunc_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);

	tessera_submit_dma_unmap(vg, iova, length);
}

int tessera_vfunc_init(struct vfio_device *vdev)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct tessera_mediator *med;
	struct tessera_device *tdev;
	int ret;

	vg->mdev = mdev;
	vg->type = container_of(mdev->type, struct tessera_mdev_type, type);
	med = container_of(mdev->type->parent, struct tessera_mediator, parent);
	tdev = med->tdev;
	vg->med = med;
	vg->tdev = tdev;
	mutex_init(&vg->lock);
	spin_lock_init(&vg->irq_lock);
	init_waitqueue_head(&vg->idle_wq);
	INIT_LIST_HEAD(&vg->node);
	vg->irq_index = -1;
	vg->bar0_size = TESSERA_VF_BAR0_SIZE;

	ret = tessera_vram_alloc(tdev, vg->type->vram_size, &vg->vram_offset);
	if (ret)
		goto err_lock;
	vg->ctx = tessera_ctx_alloc(tdev, TESSERA_CTX_FOR_INSTANCE, tessera_vgpu_ctx_irq, vg);
	if (IS_ERR(vg->ctx)) {
		ret = PTR_ERR(vg->ctx);
		goto err_vram;
	}
	tessera_ctx_set_weight(vg->ctx, vg->type->weight);
	vg->busy_base = tessera_ctx_busy_ns(vg->ctx);
	vg->cmds_base = tessera_ctx_cmds_done(vg->ctx);
	vg->mmu = tessera_mmu_create(tdev);
	if (IS_ERR(vg->mmu)) {
		ret = PTR_ERR(vg->mmu);
		goto err_ctx;
	}
	ret = tessera_submit_init(vg);
	if (ret)
		goto err_mmu;
	tessera_vcfg_init(vg);
	tessera_vgpu_config_save_power_on(vg);

	mutex_lock(&med->lock);
	list_add_tail(&vg->node, &med->instances);
	mutex_unlock(&med->lock);
	return 0;

err_mmu:
	tessera_mmu_destroy(vg->mmu);
err_ctx:
	tessera_ctx_free(vg->ctx);
err_vram:
	tessera_vram_free(tdev, vg->vram_offset, vg->type->vram_size);
err_lock:
	mutex_destroy(&vg->lock);
	return ret;
}

void tessera_vfunc_release(struct vfio_device *vdev)
{
	struct tessera_vgpu *vg = to_tessera_vgpu(vdev);
	struct tessera_device *tdev = vg->tdev;

	mutex_lock(&vg->med->lock);
	list_del(&vg->node);
	mutex_unlock(&vg->med->lock);

	tessera_submit_fini(vg);
	tessera_ctx_free(vg->ctx);
	tessera_mmu_destroy(vg->mmu);
	tessera_vram_free(tdev, vg->vram_offset, vg->type->vram_size);
	mutex_destroy(&vg->lock);
}
