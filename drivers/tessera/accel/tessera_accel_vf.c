// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera accel: the vGPU virtual function back end (PCI 1234:7e51).
 *
 * Runs in a guest. BAR0 is the register file the host mediates
 * (TESSERA_VF_*, tessera_hw.h): one ring in guest DMA memory, the bind
 * interface that maps BO pages at device addresses of the bind space, one
 * MSI/MSI-X vector for fences and faults. Completions come by interrupt
 * only.
 *
 * A job's FENCE writes its seqno into a word of driver memory (fence_slot)
 * as well as raising the interrupt, and completions are read from that
 * word, not from VF_FENCE_LO/HI: VF_FENCE is the value of the last FENCE
 * the instance ran, and a user's own FENCE command (which the uAPI allows)
 * sets it to any value it likes, which would signal other jobs, of other
 * files, still running. User commands may only write into their listed BOs
 * in the bind space, so they cannot reach fence_slot in guest DMA memory.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>

#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#include "uapi/drm/tessera_accel.h"
#include "tessera_accel.h"

#define TESSERA_ACCEL_VF_RING_ENTRIES	256
#define TESSERA_ACCEL_VF_DESC_SIZE \
	(TESSERA_VF_BIND_DESC_HEADER + TESSERA_VF_BIND_MAX_PAGES * sizeof(u64))
#define TESSERA_ACCEL_VF_CHUNK		((u64)TESSERA_VF_BIND_MAX_PAGES * TESSERA_PAGE_SIZE)

static_assert(sizeof(struct tessera_vf_bind_desc) == TESSERA_VF_BIND_DESC_HEADER);
static_assert(sizeof(struct tessera_cmd) == TESSERA_CMD_SIZE);

/**
 * struct tessera_accel_vf - one virtual function
 * @adev: the accel device
 * @pdev: the PCI device
 * @regs: BAR0
 * @irq: the interrupt
 * @ring: the ring, TESSERA_ACCEL_VF_RING_ENTRIES commands
 * @ring_dma: its guest DMA address
 * @tail: next ring index to write (under &tessera_accel_device.ring_lock)
 * @desc: the bind descriptor buffer
 * @desc_dma: its guest DMA address
 * @fence_slot: the seqno the last job FENCE wrote (little endian)
 * @fence_dma: its guest DMA address
 * @bind_lock: serialises bind operations (VF_BIND_ADDR, _OP, _STATUS, @desc)
 * @latch_lock: serialises BUSY_NS reads (the LO read latches HI)
 */
struct tessera_accel_vf {
	struct tessera_accel_device adev;
	struct pci_dev *pdev;
	void __iomem *regs;
	int irq;
	struct tessera_cmd *ring;
	dma_addr_t ring_dma;
	u32 tail;
	struct tessera_vf_bind_desc *desc;
	dma_addr_t desc_dma;
	__le64 *fence_slot;
	dma_addr_t fence_dma;
	struct mutex bind_lock;	/* the bind registers and desc */
	spinlock_t latch_lock;	/* BUSY_NS_LO/HI */
};

static inline struct tessera_accel_vf *to_vf(struct tessera_accel_device *adev)
{
	return container_of(adev, struct tessera_accel_vf, adev);
}

static u32 vf_rd(struct tessera_accel_vf *vf, u32 reg)
{
	return readl(vf->regs + reg);
}

static void vf_wr(struct tessera_accel_vf *vf, u32 reg, u32 val)
{
	writel(val, vf->regs + reg);
}

/* A bind operation; the write completes it. Returns VF_BIND_STATUS. */
static u32 tessera_accel_vf_bind_op(struct tessera_accel_vf *vf, u64 addr, u32 op)
{
	lockdep_assert_held(&vf->bind_lock);
	vf_wr(vf, TESSERA_VF_BIND_ADDR_LO, lower_32_bits(addr));
	vf_wr(vf, TESSERA_VF_BIND_ADDR_HI, upper_32_bits(addr));
	vf_wr(vf, TESSERA_VF_BIND_OP, op);
	return vf_rd(vf, TESSERA_VF_BIND_STATUS);
}

static int tessera_accel_vf_bind_errno(u32 status)
{
	switch (status) {
	case TESSERA_VF_BIND_ERR_TOO_MANY:
		return -ENOSPC;
	case TESSERA_VF_BIND_ERR_PIN_LIMIT:
	case TESSERA_VF_BIND_ERR_MEMLOCK:
	case TESSERA_VF_BIND_ERR_NOMEM:
		return -ENOMEM;
	default:
		/* A descriptor the host refuses is our bug or a broken host. */
		return -EIO;
	}
}

/* Unbind the chunks of [dva, end). */
static void tessera_accel_vf_unbind_range(struct tessera_accel_vf *vf, u64 dva, u64 end)
{
	u32 status;

	lockdep_assert_held(&vf->bind_lock);
	for (; dva < end; dva += TESSERA_ACCEL_VF_CHUNK) {
		status = tessera_accel_vf_bind_op(vf, dva, TESSERA_VF_BIND_OP_UNMAP);
		if (status)
			dev_warn_ratelimited(&vf->pdev->dev, "unbind at 0x%llx refused: 0x%x\n",
					     dva, status);
	}
}

/* Bind the pages in desc at @dva; undo nothing (the caller does). */
static int tessera_accel_vf_bind_chunk(struct tessera_accel_vf *vf, u64 dva, u32 pages,
				       bool writable)
{
	u32 status;

	vf->desc->dva = dva;
	vf->desc->num_pages = pages;
	vf->desc->flags = writable ? TESSERA_VF_BIND_WRITE : 0;
	vf->desc->reserved[0] = 0;
	vf->desc->reserved[1] = 0;
	/* writel() orders the descriptor's stores before the doorbell. */
	status = tessera_accel_vf_bind_op(vf, vf->desc_dma, TESSERA_VF_BIND_OP_MAP);
	if (!status)
		return 0;
	drm_dbg_driver(&vf->adev.drm, "bind of %u pages at 0x%llx refused: 0x%x (page %u)\n",
		       pages, dva, status, vf_rd(vf, TESSERA_VF_BIND_ERR_INDEX));
	return tessera_accel_vf_bind_errno(status);
}

static int tessera_accel_vf_bind(struct tessera_accel_device *adev, u64 dva, u64 size,
				 struct sg_table *sgt, bool writable)
{
	struct tessera_accel_vf *vf = to_vf(adev);
	u64 chunk = dva, end = dva + size;
	struct sg_dma_page_iter iter;
	u32 n = 0, off;
	int ret = 0;

	mutex_lock(&vf->bind_lock);
	for_each_sgtable_dma_page(sgt, &iter, 0) {
		dma_addr_t addr = sg_page_iter_dma_address(&iter);

		for (off = 0; off < PAGE_SIZE && chunk + (u64)n * TESSERA_PAGE_SIZE < end;
		     off += TESSERA_PAGE_SIZE) {
			vf->desc->pages[n++] = addr + off;
			if (n < TESSERA_VF_BIND_MAX_PAGES)
				continue;
			ret = tessera_accel_vf_bind_chunk(vf, chunk, n, writable);
			if (ret)
				goto undo;
			chunk += TESSERA_ACCEL_VF_CHUNK;
			n = 0;
		}
	}
	/* The sg table covers the BO exactly; anything else is a bug. */
	if (WARN_ON(chunk + (u64)n * TESSERA_PAGE_SIZE != end))
		ret = -EINVAL;
	else if (n)
		ret = tessera_accel_vf_bind_chunk(vf, chunk, n, writable);
undo:
	if (ret)
		tessera_accel_vf_unbind_range(vf, dva, chunk);
	mutex_unlock(&vf->bind_lock);
	return ret;
}

static void tessera_accel_vf_unbind(struct tessera_accel_device *adev, u64 dva, u64 size)
{
	struct tessera_accel_vf *vf = to_vf(adev);

	mutex_lock(&vf->bind_lock);
	tessera_accel_vf_unbind_range(vf, dva, dva + size);
	mutex_unlock(&vf->bind_lock);
}

/* Guest DMA memory: below TESSERA_VF_DVA_BIND_BASE by the DMA mask. */
static void *tessera_accel_vf_cmdbuf_alloc(struct tessera_accel_device *adev, size_t size,
					   u64 *dva)
{
	dma_addr_t dma;
	void *cpu;

	cpu = dma_alloc_coherent(adev->drm.dev, size, &dma, GFP_KERNEL);
	if (cpu)
		*dva = dma;
	return cpu;
}

static void tessera_accel_vf_cmdbuf_free(struct tessera_accel_device *adev, size_t size,
					 void *cpu, u64 dva)
{
	dma_free_coherent(adev->drm.dev, size, cpu, dva);
}

static u32 tessera_accel_vf_push_job(struct tessera_accel_device *adev, u64 dva, u32 count,
				     u64 seqno)
{
	struct tessera_accel_vf *vf = to_vf(adev);
	u32 mask = TESSERA_ACCEL_VF_RING_ENTRIES - 1;
	u32 pos = vf->tail;

	lockdep_assert_held(&adev->ring_lock);
	vf->tail = tessera_accel_write_job(vf->ring, mask, pos, dva, count, vf->fence_dma, seqno);
	/* writel() orders the ring stores before the doorbell. */
	vf_wr(vf, TESSERA_VF_RING_TAIL, vf->tail);
	return pos;
}

static u64 tessera_accel_vf_fence_value(struct tessera_accel_device *adev)
{
	struct tessera_accel_vf *vf = to_vf(adev);

	lockdep_assert_held(&adev->fence_lock);
	/* After the INT_STATUS read: readl() orders the DMA read after it. */
	return le64_to_cpu(READ_ONCE(*vf->fence_slot));
}

static bool tessera_accel_vf_read_fault(struct tessera_accel_device *adev,
					struct tessera_accel_fault *fault)
{
	struct tessera_accel_vf *vf = to_vf(adev);
	u32 status = vf_rd(vf, TESSERA_VF_STATUS);

	if (status == ~0u || !(status & TESSERA_VF_STATUS_FAULTED))
		return false;
	fault->code = vf_rd(vf, TESSERA_VF_FAULT_CODE);
	fault->index = vf_rd(vf, TESSERA_VF_FAULT_INDEX);
	fault->addr = vf_rd(vf, TESSERA_VF_FAULT_ADDR_LO);
	fault->addr |= (u64)vf_rd(vf, TESSERA_VF_FAULT_ADDR_HI) << 32;
	return true;
}

/* Drops queued work and the fault; ring stays configured, head = tail = 0. */
static void tessera_accel_vf_reset(struct tessera_accel_device *adev)
{
	struct tessera_accel_vf *vf = to_vf(adev);

	lockdep_assert_held(&adev->ring_lock);
	vf_wr(vf, TESSERA_VF_RESET, 1);
	vf->tail = 0;
}

static u64 tessera_accel_vf_busy_ns(struct tessera_accel_device *adev)
{
	struct tessera_accel_vf *vf = to_vf(adev);
	u32 lo, hi;

	spin_lock(&vf->latch_lock);
	lo = vf_rd(vf, TESSERA_VF_BUSY_NS_LO);	/* latches HI */
	hi = vf_rd(vf, TESSERA_VF_BUSY_NS_HI);
	spin_unlock(&vf->latch_lock);
	return (u64)hi << 32 | lo;
}

static u32 tessera_accel_vf_weight(struct tessera_accel_device *adev)
{
	return vf_rd(to_vf(adev), TESSERA_VF_WEIGHT);
}

static irqreturn_t tessera_accel_vf_irq(int irq, void *data)
{
	struct tessera_accel_vf *vf = data;
	u32 status = vf_rd(vf, TESSERA_VF_INT_STATUS);

	if (!status || status == ~0u)
		return IRQ_NONE;
	vf_wr(vf, TESSERA_VF_INT_STATUS, status);	/* W1C, before the fence read */
	if (status & (TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT))
		tessera_accel_signal(&vf->adev);
	if (status & TESSERA_CTX_INT_FAULT)
		tessera_accel_fault(&vf->adev);
	return IRQ_HANDLED;
}

/* Leave the instance as a fresh probe expects it: no bindings, no ring. */
static void tessera_accel_vf_quiesce(struct tessera_accel_vf *vf)
{
	vf_wr(vf, TESSERA_VF_INT_ENABLE, 0);
	mutex_lock(&vf->bind_lock);
	tessera_accel_vf_bind_op(vf, 0, TESSERA_VF_BIND_OP_UNMAP_ALL);
	mutex_unlock(&vf->bind_lock);
	vf_wr(vf, TESSERA_VF_RESET, 1);
	vf_wr(vf, TESSERA_VF_RING_SIZE, 0);
	vf_wr(vf, TESSERA_VF_INT_STATUS, ~0u);
}

/* After it the ring and descriptor (dmam) are freed when the driver unbinds. */
static void tessera_accel_vf_teardown(struct tessera_accel_device *adev)
{
	struct tessera_accel_vf *vf = to_vf(adev);

	tessera_accel_vf_quiesce(vf);
	free_irq(vf->irq, vf);
}

static const struct tessera_accel_backend_ops tessera_accel_vf_ops = {
	.bind = tessera_accel_vf_bind,
	.unbind = tessera_accel_vf_unbind,
	.cmdbuf_alloc = tessera_accel_vf_cmdbuf_alloc,
	.cmdbuf_free = tessera_accel_vf_cmdbuf_free,
	.push_job = tessera_accel_vf_push_job,
	.fence_value = tessera_accel_vf_fence_value,
	.read_fault = tessera_accel_vf_read_fault,
	.reset = tessera_accel_vf_reset,
	.busy_ns = tessera_accel_vf_busy_ns,
	.weight = tessera_accel_vf_weight,
	.teardown = tessera_accel_vf_teardown,
};

static int tessera_accel_vf_check(struct pci_dev *pdev, void __iomem *regs)
{
	u32 magic = readl(regs + TESSERA_VF_MAGIC);
	u32 caps = readl(regs + TESSERA_VF_CAPS);
	u32 need = TESSERA_VF_CAP_ENGINES | TESSERA_VF_CAP_BIND;

	if (magic != TESSERA_MAGIC) {
		dev_err(&pdev->dev, "not a Tessera function: magic 0x%08x\n", magic);
		return -ENODEV;
	}
	if ((caps & need) != need) {
		dev_err(&pdev->dev,
			"instance lacks %s%s (caps 0x%x): a vGPU with the bind interface is required\n",
			caps & TESSERA_VF_CAP_ENGINES ? "" : "a command ring ",
			caps & TESSERA_VF_CAP_BIND ? "" : "the bind interface", caps);
		return -ENODEV;
	}
	return 0;
}

static int tessera_accel_vf_ring_init(struct tessera_accel_vf *vf)
{
	vf_wr(vf, TESSERA_VF_RING_BASE_LO, lower_32_bits(vf->ring_dma));
	vf_wr(vf, TESSERA_VF_RING_BASE_HI, upper_32_bits(vf->ring_dma));
	vf_wr(vf, TESSERA_VF_RING_SIZE, TESSERA_ACCEL_VF_RING_ENTRIES);
	if (!(vf_rd(vf, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_ENABLED)) {
		dev_err(&vf->pdev->dev, "the instance refused a ring of %u entries\n",
			TESSERA_ACCEL_VF_RING_ENTRIES);
		return -EIO;
	}
	vf->tail = 0;
	vf_wr(vf, TESSERA_VF_INT_STATUS, ~0u);
	vf_wr(vf, TESSERA_VF_INT_ENABLE, TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT);
	return 0;
}

static int tessera_accel_vf_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct tessera_accel_device *adev;
	struct tessera_accel_vf *vf;
	void __iomem *regs;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	regs = pcim_iomap_region(pdev, TESSERA_BAR_REGS, KBUILD_MODNAME);
	if (IS_ERR(regs))
		return PTR_ERR(regs);
	ret = tessera_accel_vf_check(pdev, regs);
	if (ret)
		return ret;
	/* Guest DMA addresses must stay below the bind space. */
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(38));
	if (ret) {
		dev_err(dev, "no 38-bit DMA: %d\n", ret);
		return ret;
	}
	pci_set_master(pdev);

	vf = tessera_accel_alloc_dev(dev, struct tessera_accel_vf, adev);
	if (IS_ERR(vf))
		return PTR_ERR(vf);
	adev = &vf->adev;
	vf->pdev = pdev;
	vf->regs = regs;
	ret = drmm_mutex_init(&adev->drm, &vf->bind_lock);
	if (ret)
		return ret;
	spin_lock_init(&vf->latch_lock);
	adev->ops = &tessera_accel_vf_ops;
	adev->device_id = TESSERA_PCI_DEVICE_VGPU;
	adev->backend = DRM_TESSERA_BACKEND_VF;
	adev->ring_entries = TESSERA_ACCEL_VF_RING_ENTRIES;
	adev->dva_start = TESSERA_VF_DVA_BIND_BASE;
	adev->dva_end = TESSERA_VF_DVA_GUEST_LIMIT;
	tessera_audit_env_init(&adev->audit_env, 0);

	vf->ring = dmam_alloc_coherent(dev, TESSERA_ACCEL_VF_RING_ENTRIES * TESSERA_CMD_SIZE,
				       &vf->ring_dma, GFP_KERNEL);
	vf->desc = dmam_alloc_coherent(dev, TESSERA_ACCEL_VF_DESC_SIZE, &vf->desc_dma,
				       GFP_KERNEL);
	vf->fence_slot = dmam_alloc_coherent(dev, TESSERA_CMD_SIZE, &vf->fence_dma, GFP_KERNEL);
	if (!vf->ring || !vf->desc || !vf->fence_slot)
		return -ENOMEM;
	WRITE_ONCE(*vf->fence_slot, 0);

	/* Whatever an earlier driver (or guest boot) left behind goes first. */
	tessera_accel_vf_quiesce(vf);

	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX | PCI_IRQ_MSI);
	if (ret < 0) {
		dev_err(dev, "no MSI-X or MSI vector: %d\n", ret);
		return ret;
	}
	vf->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(vf->irq, tessera_accel_vf_irq, 0, KBUILD_MODNAME, vf);
	if (ret)
		return ret;

	ret = tessera_accel_vf_ring_init(vf);
	if (ret)
		goto err_quiesce;
	ret = tessera_accel_register(adev);
	if (ret)
		goto err_quiesce;
	pci_set_drvdata(pdev, vf);
	return 0;

err_quiesce:
	tessera_accel_vf_quiesce(vf);
	free_irq(vf->irq, vf);
	return ret;
}

static void tessera_accel_vf_remove(struct pci_dev *pdev)
{
	struct tessera_accel_vf *vf = pci_get_drvdata(pdev);

	tessera_accel_unplug(&vf->adev);
}

static const struct pci_device_id tessera_accel_vf_ids[] = {
	{ PCI_DEVICE(TESSERA_PCI_VENDOR_ID, TESSERA_PCI_DEVICE_VGPU) },
	{ }
};
MODULE_DEVICE_TABLE(pci, tessera_accel_vf_ids);

static struct pci_driver tessera_accel_vf_driver = {
	.name = KBUILD_MODNAME,
	.id_table = tessera_accel_vf_ids,
	.probe = tessera_accel_vf_probe,
	.remove = tessera_accel_vf_remove,
};
module_pci_driver(tessera_accel_vf_driver);

MODULE_DESCRIPTION("Tessera accelerator: DRM accel driver (vGPU virtual function)");
MODULE_LICENSE("GPL");
