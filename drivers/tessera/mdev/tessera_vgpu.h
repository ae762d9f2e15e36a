/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera vGPU instance: the state behind one mdev/VFIO device.
 */
#ifndef TESSERA_VGPU_H
#define TESSERA_VGPU_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_submit.h"

struct eventfd_ctx;
struct mdev_device;
struct tessera_ctx;
struct tessera_device;
struct tessera_mediator;
struct tessera_mmu;
struct tessera_mdev_type;

/* Virtual PCI function layout (see Documentation/driver.rst). */
#define TESSERA_VCFG_SIZE		256
#define TESSERA_VF_MSIX_BAR		4
#define TESSERA_VF_MSIX_BAR_SIZE	0x1000
#define TESSERA_VF_MSIX_TABLE_OFFSET	0x000
#define TESSERA_VF_MSIX_PBA_OFFSET	0x800
#define TESSERA_VF_MSIX_ENTRY_SIZE	16

#define TESSERA_VFIO_OFFSET_SHIFT	40
#define TESSERA_VFIO_OFFSET_MASK	((1ull << TESSERA_VFIO_OFFSET_SHIFT) - 1)
#define TESSERA_VFIO_INDEX(pos)		((pos) >> TESSERA_VFIO_OFFSET_SHIFT)
#define TESSERA_VFIO_OFFSET(index)	((u64)(index) << TESSERA_VFIO_OFFSET_SHIFT)

/**
 * struct tessera_vgpu_stats - per-instance counters for `make bench`
 * @doorbells: VF_RING_TAIL writes (doorbell traps)
 * @commands: commands accepted into the shadow ring, batch contents included
 * @rejects: commands or doorbells the audit rejected
 * @card_faults: faults the card reported for the instance
 * @pin_calls: vfio_pin_pages() calls
 * @audit_ns: time spent auditing commands
 * @pin_ns: time spent pinning guest pages (vfio_pin_pages + DMA mapping)
 * @map_ns: time spent writing device-MMU entries and invalidating the TLB
 * @copy_ns: time spent copying commands out of guest memory
 * @interrupts: interrupts delivered to the instance's user (its eventfd
 *	signalled for an enabled source; user-space loopback triggers are not
 *	counted)
 *
 * The counts are always kept; the times only while the module parameter
 * time_mediation is on (tessera_submit.c), for `make bench`.
 */
struct tessera_vgpu_stats {
	atomic64_t doorbells;
	atomic64_t commands;
	atomic64_t rejects;
	atomic64_t card_faults;
	atomic64_t pin_calls;
	atomic64_t audit_ns;
	atomic64_t pin_ns;
	atomic64_t map_ns;
	atomic64_t copy_ns;
	atomic64_t interrupts;
};

/**
 * struct tessera_vgpu - one vGPU instance
 * @vdev: the VFIO device (first: vfio_alloc_device() requires it)
 * @tdev: the card
 * @med: the mediator of the card (its mdev parent)
 * @type: the instance's type
 * @mdev: the mdev device
 * @node: link in struct tessera_mediator::instances
 * @ctx: the hardware context it runs on
 * @mmu: the context's page tables (tessera_mmu_create())
 * @vram_offset: its slice's offset in BAR2
 * @busy_base: the context's busy counter when the instance got it
 * @cmds_base: the context's completed-commands counter then
 * @bar0_size: BAR0 bytes, by the instance's kind
 *
 * @lock: protects everything from here to @irq_lock: configuration space,
 *	register file, submission state, pins
 * @open: the VFIO device is open
 * @config: virtual configuration space, at power-on after every open and close
 * @config_wmask: bits of @config the guest may write
 * @config_power_on: @config as the instance was created
 * @msix_table: the virtual MSI-X table (one entry), storage only
 * @ring_base: VF_RING_BASE as the guest wrote it
 * @ring_size: VF_RING_SIZE as the guest wrote it
 * @ring_enabled: the ring is configured (VF_STATUS_ENABLED)
 * @fence_latch: VF_FENCE as of the last VF_FENCE_LO read, for VF_FENCE_HI
 * @busy_latch: VF_BUSY_NS as of the last VF_BUSY_NS_LO read, for _HI
 * @reg_busy_base: the instance's busy time at the last function reset:
 *	VF_BUSY_NS counts from there (the host's figures do not)
 * @reg_cmds_base: its completed commands then, for VF_CMDS_DONE
 * @sub: submission state
 *
 * @irq_lock: protects the fields below; taken in interrupt context
 * @int_status: VF_INT_STATUS
 * @int_enable: VF_INT_ENABLE
 * @faulted: VF_STATUS_FAULTED
 * @fault_code: VF_FAULT_CODE
 * @fault_index: VF_FAULT_INDEX
 * @fault_addr: VF_FAULT_ADDR
 * @fence_seen: a FENCE of this instance has run, so the card's fence
 *	register holds this instance's value and not a previous tenant's
 * @irq_index: VFIO_PCI_MSI_IRQ_INDEX or VFIO_PCI_MSIX_IRQ_INDEX when
 *	@trigger is set
 * @trigger: eventfd signalled for the instance's one vector
 * @req_trigger: eventfd signalled when the host wants the device back
 * @idle_wq: woken on the context's FENCE/IDLE/FAULT interrupts
 *
 * @stats: counters, updated without a lock
 */
struct tessera_vgpu {
	struct vfio_device vdev;
	struct tessera_device *tdev;
	struct tessera_mediator *med;
	struct tessera_mdev_type *type;
	struct mdev_device *mdev;
	struct list_head node;
	struct tessera_ctx *ctx;
	struct tessera_mmu *mmu;
	u64 vram_offset;
	u64 busy_base;
	u32 cmds_base;
	u64 bar0_size;

	struct mutex lock;	/* config, register file, submission, pins */
	bool open;
	u8 config[TESSERA_VCFG_SIZE];
	u8 config_wmask[TESSERA_VCFG_SIZE];
	u8 config_power_on[TESSERA_VCFG_SIZE];
	u8 msix_table[TESSERA_VF_MSIX_ENTRY_SIZE];
	u64 ring_base;
	u32 ring_size;
	bool ring_enabled;
	u64 fence_latch;
	u64 busy_latch;
	u64 reg_busy_base;
	u32 reg_cmds_base;
	struct tessera_submit sub;

	spinlock_t irq_lock;	/* interrupt and fault state below; irq-safe */
	u32 int_status;
	u32 int_enable;
	bool faulted;
	u32 fault_code;
	u32 fault_index;
	u64 fault_addr;
	bool fence_seen;
	int irq_index;
	struct eventfd_ctx *trigger;
	struct eventfd_ctx *req_trigger;
	wait_queue_head_t idle_wq;

	struct tessera_vgpu_stats stats;
};

static inline struct tessera_vgpu *to_tessera_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct tessera_vgpu, vdev);
}

/*
 * The card's per-context counters carry over from the context's previous
 * owner: an instance sees them relative to when it got the context.
 */
static inline u64 tessera_vgpu_busy_ns(struct tessera_vgpu *vg)
{
	return tessera_ctx_busy_ns(vg->ctx) - vg->busy_base;
}

static inline u32 tessera_vgpu_cmds_done(struct tessera_vgpu *vg)
{
	return tessera_ctx_cmds_done(vg->ctx) - vg->cmds_base;
}

/**
 * typedef tessera_vfunc_access_fn - a kind's BAR0 access
 * @vg: the instance, its lock held
 * @off: offset in BAR0, within its size
 * @data: the bytes to write, or where to read
 * @count: bytes, at most TESSERA_VCFG_SIZE
 * @write: a write
 *
 * Return: 0 or a negative errno.
 */
typedef int (*tessera_vfunc_access_fn)(struct tessera_vgpu *vg, u64 off, u8 *data,
				       size_t count, bool write);

/* tessera_vfunc.c: the virtual function both kinds share */
ssize_t tessera_vfunc_rw(struct tessera_vgpu *vg, char __user *ubuf, size_t count, loff_t *ppos,
			 bool write, tessera_vfunc_access_fn bar0_access);
int tessera_vfunc_mmap(struct vfio_device *vdev, struct vm_area_struct *vma);
long tessera_vfunc_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg);
int tessera_vfunc_open(struct vfio_device *vdev);
void tessera_vfunc_close(struct vfio_device *vdev);
int tessera_vfunc_init(struct vfio_device *vdev);
void tessera_vfunc_release(struct vfio_device *vdev);
void tessera_vfunc_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length);
void tessera_vfunc_request(struct vfio_device *vdev, unsigned int count);
void tessera_vgpu_raise(struct tessera_vgpu *vg, u32 bits);
void tessera_vgpu_fault(struct tessera_vgpu *vg, u32 code, u32 index, u64 addr);
void tessera_vgpu_reset_engine(struct tessera_vgpu *vg);
void tessera_vgpu_config_save_power_on(struct tessera_vgpu *vg);

/* tessera_vgpu.c */
int tessera_vgpu_probe(struct mdev_device *mdev);

/* tessera_vregs.c */
int tessera_vregs_read(struct tessera_vgpu *vg, u32 offset, u32 *val);
int tessera_vregs_write(struct tessera_vgpu *vg, u32 offset, u32 val);
void tessera_vregs_reset(struct tessera_vgpu *vg);

#endif /* TESSERA_VGPU_H */
