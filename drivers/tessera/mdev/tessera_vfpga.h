/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera vFPGA: instances that own reconfigurable regions in space.
 *
 * tessera_vfpga_types.c has the vFPGA mdev types and hands out the card's
 * regions (claimed from the core, or time-shared by tessera_fpga_share.c);
 * tessera_vfpga.c is one instance as a VFIO device: its register page,
 * trapped and validated reconfiguration, and the region user pages passed
 * straight through.
 */
#ifndef TESSERA_VFPGA_H
#define TESSERA_VFPGA_H

#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kthread.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "tessera_core.h"
#include "tessera_hw.h"
#include "tessera_mdev.h"
#include "tessera_policy.h"
#include "tessera_vgpu.h"

struct tessera_device;

#define TESSERA_NUM_VFPGA_TYPES		3
#define TESSERA_VFPGA_MAX_REGIONS	4
/* Instances one card region may serve in turn (tessera_mdev.ko vfpga_share). */
#define TESSERA_VFPGA_MAX_SHARE		8

/**
 * struct tessera_vfpga_type - one vFPGA type: regions owned in space
 * @mt: what every type has (mdev type, device-memory slice, BAR2 size,
 *	weight, names), with @mt.kind TESSERA_INST_VFPGA
 * @regions: card regions an instance owns
 * @functions: bit n set = an instance may load TESSERA_FN n
 */
struct tessera_vfpga_type {
	struct tessera_mdev_type mt;
	unsigned int regions;
	u32 functions;
};

/**
 * struct tessera_fpga_slot - one card region time-shared among instances
 * @fpga: the card's regions
 * @phys: the card region
 * @regs: its register page
 * @user: its user page
 * @tenants: instance regions assigned to it (under &tessera_fpga.lock)
 * @run_lock: held by @thread while it drives the card region; an instance
 *	region joins or leaves under it, so that it never leaves mid-job
 * @lock: protects @rq, @resident, @slice_end, @irq_status and the queued
 *	work of every tenant (&tessera_vfpga_region.job_queued, ...)
 * @rq: the tenants with work, by the engines' policies (weighted fair)
 * @resident: the tenant whose function the card region holds, or NULL
 * @slice_end: ktime at which @resident's slice ends
 * @irq_status: TESSERA_RGN_INT_* raised and not yet consumed by @thread
 * @wq: woken on new work, on the card region's interrupts and on stop
 * @thread: runs the tenants' loads and jobs on the card region
 * @switches: reloads made to switch tenants
 */
struct tessera_fpga_slot {
	struct tessera_fpga *fpga;
	unsigned int phys;
	void __iomem *regs;
	void __iomem *user;
	unsigned int tenants;
	struct mutex run_lock;	/* the card region is being driven; tenants join/leave */
	spinlock_t lock;	/* rq, resident, slice_end, irq_status, tenants' queued work */
	struct tessera_runqueue rq;
	struct tessera_vfpga_region *resident;
	ktime_t slice_end;
	u32 irq_status;
	wait_queue_head_t wq;
	struct task_struct *thread;
	u64 switches;
};

/**
 * struct tessera_fpga - the card's regions as the mediator shares them
 * @tdev: the card
 * @info: the card's capabilities (region capacity, bandwidth, functions)
 * @types: the vFPGA types offered
 * @num_types: how many of @types are offered
 * @lock: protects the slots' tenant counts
 * @share: instances one card region may serve in turn; 1 = space sharing
 *	only, regions claimed from the core by each instance and their user
 *	pages passed through; > 1: every region is claimed at probe and
 *	served by its slot
 * @slots: the card regions when @share > 1
 * @claimed: the regions claimed for the slots
 * @debugfs: the card's debugfs file "vfpga"
 */
struct tessera_fpga {
	struct tessera_device *tdev;
	const struct tessera_card_info *info;
	struct tessera_vfpga_type types[TESSERA_NUM_VFPGA_TYPES];
	unsigned int num_types;
	struct mutex lock;	/* protects slots[].tenants */
	unsigned int share;
	struct tessera_fpga_slot slots[TESSERA_MAX_REGIONS];
	unsigned int claimed[TESSERA_MAX_REGIONS];
	struct dentry *debugfs;
};

/**
 * struct tessera_fpga_image - a validated copy of a guest's bitstream image
 * @pages: host pages holding it
 * @npages: number of @pages
 * @vaddr: @pages mapped contiguously for the check
 * @dma: bus address of each page
 * @dva: device address of its first byte in the instance's context
 * @size: bytes, header included
 * @function: TESSERA_FN_* it configures
 * @mapped: pages are DMA-mapped and entered in the instance's device MMU
 */
struct tessera_fpga_image {
	struct page **pages;
	unsigned int npages;
	void *vaddr;
	dma_addr_t *dma;
	u64 dva;
	u64 size;
	u32 function;
	bool mapped;
};

/**
 * struct tessera_vfpga_region - one region of an instance
 * @vf: the instance
 * @index: its number in the instance (VF_RGN_REG(index, ...))
 * @phys: the card region it is
 * @image_addr: VF_RGN_IMAGE_ADDR as the guest wrote it
 * @image_size: VF_RGN_IMAGE_SIZE as the guest wrote it
 * @loaded: the image the card region holds for this instance (the saved
 *	copy a reload uses), or NULL while it is empty
 * @pending: the image being loaded, until its CONFIG_DONE is processed
 * @cfg_status: VF_RGN_CONFIG_STATUS (under the instance's irq_lock)
 * @loading: the card is loading @pending (under the instance's irq_lock)
 * @loads: completed loads, good or bad, card and mediator refusals alike
 *
 * When the card region is time-shared (@slot set), the user page is the
 * mediator's, not the card's: the fields below emulate it and queue the
 * work for the slot's thread (under &tessera_fpga_slot.lock):
 * @slot: the card region's slot, or NULL when owned outright
 * @pe: this region as a run-queue entity of @slot
 * @args: TESSERA_RGN_USER_ARG values
 * @job_status: TESSERA_RGN_USER_JOB_STATUS
 * @result: TESSERA_RGN_USER_RESULT
 * @jobs_done: TESSERA_RGN_USER_JOBS_DONE
 * @fault_code: VF_RGN_FAULT_CODE of the last job
 * @fault_addr: VF_RGN_FAULT_ADDR of the last job
 * @job_queued: a started job waits for or runs on the card region
 * @cfg_queued: @pending waits to be loaded
 * @config_ns: VF_RGN_CONFIG_NS, card time of this instance's last load
 * @busy_ns: VF_RGN_BUSY_NS, card time its jobs ran
 * @share_ns: VF_RGN_SHARE_NS, card time of reloads made to switch to it
 */
struct tessera_vfpga_region {
	struct tessera_vfpga *vf;
	unsigned int index;
	unsigned int phys;
	u64 image_addr;
	u32 image_size;
	struct tessera_fpga_image *loaded;
	struct tessera_fpga_image *pending;
	u32 cfg_status;
	bool loading;
	u64 loads;

	struct tessera_fpga_slot *slot;
	struct tessera_policy_entity pe;
	u64 args[TESSERA_RGN_USER_NUM_ARGS];
	u32 job_status;
	u64 result;
	u32 jobs_done;
	u32 fault_code;
	u64 fault_addr;
	bool job_queued;
	bool cfg_queued;
	u64 config_ns;
	u64 busy_ns;
	u64 share_ns;
};

/**
 * struct tessera_vfpga - one vFPGA instance
 * @vg: the state a vGPU instance has (VFIO device, context, device MMU,
 *	device-memory slice, configuration space, interrupt state); first, as
 *	vfio_alloc_device() requires of its vfio_device
 * @type: the instance's type
 * @num_regions: regions it owns
 * @rgn: its regions (under @vg.lock unless a field says otherwise)
 * @cfg_wq: woken when a load or, when time-shared, a job finishes
 * @finish_work: releases the images a finished load made obsolete
 */
struct tessera_vfpga {
	struct tessera_vgpu vg;
	struct tessera_vfpga_type *type;
	unsigned int num_regions;
	struct tessera_vfpga_region rgn[TESSERA_VFPGA_MAX_REGIONS];
	wait_queue_head_t cfg_wq;
	struct work_struct finish_work;
};

static inline struct tessera_vfpga *to_tessera_vfpga(struct vfio_device *vdev)
{
	return container_of(vdev, struct tessera_vfpga, vg.vdev);
}

static inline struct tessera_fpga *tessera_vfpga_fpga(struct tessera_vfpga *vf)
{
	return vf->vg.med->fpga;
}

/* The card region's register page (TESSERA_RGN_*). */
static inline void __iomem *tessera_vfpga_rgn_regs(struct tessera_vfpga_region *vr)
{
	return tessera_region_regs(vr->vf->vg.tdev, vr->phys);
}

static inline u32 tessera_vfpga_rgn_rd(struct tessera_vfpga_region *vr, u32 reg)
{
	return readl(tessera_vfpga_rgn_regs(vr) + reg);
}

static inline void tessera_vfpga_rgn_wr(struct tessera_vfpga_region *vr, u32 reg, u32 val)
{
	writel(val, tessera_vfpga_rgn_regs(vr) + reg);
}

static inline u64 tessera_vfpga_rgn_rd64(struct tessera_vfpga_region *vr, u32 reg_lo)
{
	return lo_hi_readq(tessera_vfpga_rgn_regs(vr) + reg_lo);
}

/* tessera_vfpga_types.c */
int tessera_fpga_init(struct tessera_mediator *med);
void tessera_fpga_fini(struct tessera_mediator *med);
unsigned int tessera_vfpga_add_types(struct tessera_mediator *med, struct mdev_type **list,
				     unsigned int room);
unsigned int tessera_vfpga_get_available(struct mdev_type *mtype);
ssize_t tessera_vfpga_show_description(struct mdev_type *mtype, char *buf);
ssize_t tessera_vfpga_show_functions(struct mdev_type *mtype, char *buf);
unsigned int tessera_vfpga_type_regions(struct mdev_type *mtype);
int tessera_fpga_claim_regions(struct tessera_fpga *fpga, unsigned int count,
			       unsigned int *phys);
void tessera_fpga_release_regions(struct tessera_fpga *fpga, unsigned int count,
				  const unsigned int *phys);
void tessera_fpga_set_owner(struct tessera_fpga *fpga, unsigned int phys,
			    struct tessera_vfpga_region *vr);

/* tessera_fpga_share.c */
int tessera_fpga_share_init(struct tessera_fpga *fpga);
void tessera_fpga_share_fini(struct tessera_fpga *fpga);
void tessera_fpga_share_join(struct tessera_vfpga_region *vr, struct tessera_fpga_slot *slot);
void tessera_fpga_share_leave(struct tessera_vfpga_region *vr);
bool tessera_fpga_share_queue_config(struct tessera_vfpga_region *vr,
				     struct tessera_fpga_image *img);
u32 tessera_fpga_share_function(struct tessera_vfpga_region *vr);
u32 tessera_fpga_share_user_read(struct tessera_vfpga_region *vr, u32 off);
void tessera_fpga_share_user_write(struct tessera_vfpga_region *vr, u32 off, u32 val);
bool tessera_fpga_share_busy(struct tessera_vfpga_region *vr);
void tessera_fpga_share_clear(struct tessera_vfpga_region *vr);

/* tessera_vfpga_image.c: images and reconfiguration */
void tessera_fpga_image_unmap(struct tessera_vfpga *vf, struct tessera_fpga_image *img);
void tessera_fpga_image_free(struct tessera_fpga_image *img);
void tessera_fpga_image_release(struct tessera_vfpga *vf, struct tessera_fpga_image *img);
bool tessera_vfpga_loading(struct tessera_vfpga_region *vr);
int tessera_vfpga_wait_load(struct tessera_vfpga_region *vr);
void tessera_vfpga_finish_load(struct tessera_vfpga_region *vr);
void tessera_vfpga_finish_work(struct work_struct *work);
void tessera_vfpga_configure(struct tessera_vfpga_region *vr);
void tessera_vfpga_region_event(struct tessera_vfpga_region *vr, u32 status);

/* tessera_vfpga_regs.c: BAR0 through read() and write() */
ssize_t tessera_vfpga_read(struct vfio_device *vdev, char __user *buf, size_t count,
			   loff_t *ppos);
ssize_t tessera_vfpga_write(struct vfio_device *vdev, const char __user *buf,
			    size_t count, loff_t *ppos);

/* tessera_vfpga.c: the VFIO device, its life cycle, its regions' reset */
int tessera_vfpga_probe(struct mdev_device *mdev);
void tessera_vfpga_reset(struct tessera_vfpga *vf);

#endif /* TESSERA_VFPGA_H */
