// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vFPGA oversubscription: card regions time-shared among more
 * instance regions than the card has.
 *
 * With tessera.ko's vfpga_share = N > 1, a card region serves up to N
 * instance regions ("tenants") in turn. Its function cannot be saved off
 * the card, so a switch reloads the incoming tenant's function from the
 * host's saved copy of its validated image (mapped read-only in the
 * tenant's own device-MMU context, which the region then uses): a switch
 * costs a reconfiguration, in proportion to the image size, and that time
 * is charged to the tenant switched in, as its run time is.
 *
 * Which tenant runs is the engines' policy (tessera_policy.c, weighted fair
 * by the instance's weight) over the tenants with work; a tenant keeps the
 * region for its whole slice (vfpga_slice_us). Between two of its jobs the
 * region waits for its next one until the slice ends rather than switching
 * at once: a switch costs a reload, and a tenant that runs jobs back to
 * back is briefly idle between every two. Jobs are not preemptible on the
 * card, so switches happen between jobs. Because the
 * card region serves others between a tenant's jobs, a tenant's user page
 * is the mediator's here (trapped, not mapped): arguments, START, job
 * status, result and job count are kept per tenant, and the slot's thread
 * runs a started job on the card when the tenant's turn comes.
 */
#include <linux/delay.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "tessera_core.h"
#include "tessera_vfpga.h"

static unsigned int vfpga_slice_us = 10000;
module_param(vfpga_slice_us, uint, 0644);
MODULE_PARM_DESC(vfpga_slice_us,
		 "vFPGA time-sharing slice, microseconds (50..100000, default 10000)");

/* A job or a load that the card does not finish within this is abandoned. */
#define TESSERA_SHARE_CARD_TIMEOUT_MS	60000

static u32 tessera_share_rd(struct tessera_fpga_slot *slot, u32 reg)
{
	return readl(slot->regs + reg);
}

static void tessera_share_wr(struct tessera_fpga_slot *slot, u32 reg, u32 val)
{
	writel(val, slot->regs + reg);
}

/* Hard-interrupt context: hand the card region's interrupt to its thread. */
static void tessera_fpga_share_irq(void *data, u32 status)
{
	struct tessera_fpga_slot *slot = data;
	unsigned long flags;

	spin_lock_irqsave(&slot->lock, flags);
	slot->irq_status |= status;
	spin_unlock_irqrestore(&slot->lock, flags);
	wake_up_all(&slot->wq);
}

static bool tessera_share_took_irq(struct tessera_fpga_slot *slot, u32 bits, u32 *got)
{
	unsigned long flags;
	bool took;

	spin_lock_irqsave(&slot->lock, flags);
	*got = slot->irq_status & bits;
	slot->irq_status &= ~bits;
	took = *got;
	spin_unlock_irqrestore(&slot->lock, flags);
	return took;
}

static void tessera_share_clear_irq(struct tessera_fpga_slot *slot, u32 bits)
{
	unsigned long flags;

	spin_lock_irqsave(&slot->lock, flags);
	slot->irq_status &= ~bits;
	spin_unlock_irqrestore(&slot->lock, flags);
}

/* Queued work changed: the tenant's run-queue state follows. Slot lock held. */
static void tessera_share_update_runnable(struct tessera_vfpga_region *vr)
{
	lockdep_assert_held(&vr->slot->lock);
	tessera_rq_set_runnable(&vr->slot->rq, &vr->pe, vr->job_queued || vr->cfg_queued);
}

/*
 * Loads @img for @vr: the card region switches to @vr's context and reads
 * the image through it. Returns the card's status; *ns its card time.
 */
static u32 tessera_share_load(struct tessera_fpga_slot *slot, struct tessera_vfpga_region *vr,
			      struct tessera_fpga_image *img, u64 *ns)
{
	struct tessera_device *tdev = slot->fpga->tdev;
	u32 got;

	*ns = 0;
	if (!img->mapped)
		return TESSERA_RGN_CFG_ERR_MMU;
	tessera_share_clear_irq(slot, TESSERA_RGN_INT_CONFIG_DONE);
	tessera_share_wr(slot, TESSERA_RGN_CTX, tessera_ctx_id(vr->vf->vg.ctx));
	lo_hi_writeq(img->dva, slot->regs + TESSERA_RGN_IMAGE_ADDR_LO);
	tessera_share_wr(slot, TESSERA_RGN_IMAGE_SIZE, img->size);
	tessera_share_wr(slot, TESSERA_RGN_CONFIG, 1);
	if (!wait_event_timeout(slot->wq,
				tessera_share_took_irq(slot, TESSERA_RGN_INT_CONFIG_DONE, &got),
				msecs_to_jiffies(TESSERA_SHARE_CARD_TIMEOUT_MS))) {
		dev_warn(tessera_card_dev(tdev), "region %u: a time-sharing load never finished\n",
			 slot->phys);
		return TESSERA_RGN_CFG_ERR_BUSY;
	}
	*ns = lo_hi_readq(slot->regs + TESSERA_RGN_CONFIG_NS_LO);
	return tessera_share_rd(slot, TESSERA_RGN_CONFIG_STATUS);
}

/* The guest's own reconfiguration, queued by the trap. */
static void tessera_share_run_config(struct tessera_fpga_slot *slot,
				     struct tessera_vfpga_region *vr)
{
	struct tessera_vgpu *vg = &vr->vf->vg;
	struct tessera_fpga_image *img = vr->pending, *old;
	unsigned long flags;
	u32 status;
	u64 ns;

	status = tessera_share_load(slot, vr, img, &ns);

	/*
	 * The instance's lock is not taken here: a reset holds it while it
	 * waits for this. The images change under the slot lock instead.
	 */
	spin_lock_irqsave(&slot->lock, flags);
	tessera_rq_charge(&slot->rq, &vr->pe, ns);
	if (status == TESSERA_RGN_CFG_LOADED) {
		old = vr->loaded;
		vr->loaded = img;
		slot->resident = vr;
	} else {
		/* A refused load leaves the card region with what it had. */
		old = img;
		if (slot->resident == vr)
			slot->resident = NULL;
	}
	vr->pending = NULL;
	vr->cfg_queued = false;
	vr->config_ns = ns;
	tessera_share_update_runnable(vr);
	spin_unlock_irqrestore(&slot->lock, flags);
	tessera_fpga_image_release(vr->vf, old);

	spin_lock_irqsave(&vg->irq_lock, flags);
	vr->cfg_status = status;
	vr->loads++;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	tessera_vgpu_raise(vg, TESSERA_VF_INT_RGN_CONFIG(vr->index));
	wake_up_all(&vr->vf->cfg_wq);
}

static void tessera_share_finish_job(struct tessera_fpga_slot *slot,
				     struct tessera_vfpga_region *vr, u32 status, u64 result,
				     u32 fault_code, u64 fault_addr)
{
	unsigned long flags;

	spin_lock_irqsave(&slot->lock, flags);
	vr->job_status = status;
	vr->result = result;
	if (status == TESSERA_RGN_JOB_DONE)
		vr->jobs_done++;
	vr->fault_code = fault_code;
	vr->fault_addr = fault_addr;
	vr->job_queued = false;
	tessera_share_update_runnable(vr);
	spin_unlock_irqrestore(&slot->lock, flags);
	tessera_vgpu_raise(&vr->vf->vg, TESSERA_VF_INT_RGN_JOB(vr->index));
	wake_up_all(&vr->vf->cfg_wq);
}

/* A started job: switch the card region to @vr if needed, then run it. */
static void tessera_share_run_job(struct tessera_fpga_slot *slot, struct tessera_vfpga_region *vr)
{
	u64 args[TESSERA_RGN_USER_NUM_ARGS], busy, result;
	struct tessera_fpga_image *img;
	unsigned long flags;
	u32 status, got, i;
	u64 ns;

	if (READ_ONCE(slot->resident) != vr) {
		/* The saved copy: only this thread replaces it, under run_lock. */
		img = READ_ONCE(vr->loaded);
		status = img ? tessera_share_load(slot, vr, img, &ns) : TESSERA_RGN_CFG_EMPTY;
		spin_lock_irqsave(&slot->lock, flags);
		slot->resident = status == TESSERA_RGN_CFG_LOADED ? vr : NULL;
		slot->switches++;
		vr->share_ns += ns;
		tessera_rq_charge(&slot->rq, &vr->pe, ns);
		spin_unlock_irqrestore(&slot->lock, flags);
		if (status != TESSERA_RGN_CFG_LOADED) {
			tessera_share_finish_job(slot, vr, TESSERA_RGN_JOB_NO_FUNCTION, 0, 0, 0);
			return;
		}
	}

	spin_lock_irqsave(&slot->lock, flags);
	memcpy(args, vr->args, sizeof(args));
	spin_unlock_irqrestore(&slot->lock, flags);
	for (i = 0; i < TESSERA_RGN_USER_NUM_ARGS; i++)
		lo_hi_writeq(args[i], slot->user + TESSERA_RGN_USER_ARG(i));
	busy = lo_hi_readq(slot->regs + TESSERA_RGN_BUSY_NS_LO);
	tessera_share_clear_irq(slot, TESSERA_RGN_INT_JOB_DONE | TESSERA_RGN_INT_JOB_FAULT);
	writel(1, slot->user + TESSERA_RGN_USER_START);
	if (!wait_event_timeout(slot->wq,
				tessera_share_took_irq(slot, TESSERA_RGN_INT_JOB_DONE |
						       TESSERA_RGN_INT_JOB_FAULT, &got),
				msecs_to_jiffies(TESSERA_SHARE_CARD_TIMEOUT_MS))) {
		/* The card region is reset so that the next tenant finds it idle. */
		tessera_share_wr(slot, TESSERA_RGN_RESET, 1);
		tessera_share_finish_job(slot, vr, TESSERA_RGN_JOB_FAULT, 0,
					 TESSERA_FAULT_WATCHDOG, 0);
		return;
	}
	busy = lo_hi_readq(slot->regs + TESSERA_RGN_BUSY_NS_LO) - busy;
	status = readl(slot->user + TESSERA_RGN_USER_JOB_STATUS);
	result = lo_hi_readq(slot->user + TESSERA_RGN_USER_RESULT_LO);

	spin_lock_irqsave(&slot->lock, flags);
	vr->busy_ns += busy;
	tessera_rq_charge(&slot->rq, &vr->pe, busy);
	spin_unlock_irqrestore(&slot->lock, flags);
	if (status == TESSERA_RGN_JOB_FAULT) {
		u32 code = tessera_share_rd(slot, TESSERA_RGN_FAULT_CODE);
		u64 addr = lo_hi_readq(slot->regs + TESSERA_RGN_FAULT_ADDR_LO);

		/* Clear the card region's fault: the next tenant must not see it. */
		tessera_share_wr(slot, TESSERA_RGN_RESET, 1);
		tessera_share_finish_job(slot, vr, status, 0, code, addr);
		return;
	}
	tessera_share_finish_job(slot, vr, status, result, 0, 0);
}

/*
 * The tenant to serve next: the resident one while its slice lasts, else
 * the policy's pick. NULL with *wait_ns set: the resident's slice goes on
 * but it has no work yet; wait that long for it. Slot lock held.
 */
static struct tessera_vfpga_region *tessera_share_pick(struct tessera_fpga_slot *slot,
						       u64 *wait_ns)
{
	struct tessera_vfpga_region *res = slot->resident;
	struct tessera_policy_entity *pe;
	ktime_t now = ktime_get();
	u64 slice;

	lockdep_assert_held(&slot->lock);
	*wait_ns = 0;
	if (res && ktime_before(now, slot->slice_end)) {
		if (res->pe.runnable)
			return res;
		*wait_ns = ktime_to_ns(ktime_sub(slot->slice_end, now));
		return NULL;
	}
	tessera_rq_set_slice(&slot->rq, (u64)clamp(READ_ONCE(vfpga_slice_us), 50U, 100000U) *
				       NSEC_PER_USEC);
	pe = tessera_rq_pick(&slot->rq, ktime_to_ns(now), &slice);
	if (!pe)
		return NULL;
	/* A slice runs from the switch; a tenant picked again goes on. */
	if (container_of(pe, struct tessera_vfpga_region, pe) != res ||
	    !ktime_before(now, slot->slice_end))
		slot->slice_end = ktime_add_ns(now, slice ?: slot->rq.slice_ns);
	return container_of(pe, struct tessera_vfpga_region, pe);
}

static struct tessera_vfpga_region *tessera_share_next(struct tessera_fpga_slot *slot,
						       u64 *wait_ns)
{
	struct tessera_vfpga_region *vr;
	unsigned long flags;

	spin_lock_irqsave(&slot->lock, flags);
	vr = tessera_share_pick(slot, wait_ns);
	spin_unlock_irqrestore(&slot->lock, flags);
	return vr;
}

static bool tessera_share_resident_runnable(struct tessera_fpga_slot *slot)
{
	unsigned long flags;
	bool runnable;

	spin_lock_irqsave(&slot->lock, flags);
	runnable = !slot->resident || slot->resident->pe.runnable;
	spin_unlock_irqrestore(&slot->lock, flags);
	return runnable;
}

static bool tessera_share_has_work(struct tessera_fpga_slot *slot)
{
	struct tessera_policy_entity *pe;
	unsigned long flags;
	bool work = false;

	spin_lock_irqsave(&slot->lock, flags);
	list_for_each_entry(pe, &slot->rq.entities, node)
		work |= pe->runnable;
	spin_unlock_irqrestore(&slot->lock, flags);
	return work;
}

static int tessera_share_thread(void *data)
{
	struct tessera_fpga_slot *slot = data;
	struct tessera_vfpga_region *vr;
	u64 wait_ns;

	while (!kthread_should_stop()) {
		wait_event_idle(slot->wq, kthread_should_stop() || tessera_share_has_work(slot));
		if (kthread_should_stop())
			break;
		mutex_lock(&slot->run_lock);
		vr = tessera_share_next(slot, &wait_ns);
		/* Only this thread and a leaving tenant (run_lock) clear these. */
		if (vr && READ_ONCE(vr->cfg_queued))
			tessera_share_run_config(slot, vr);
		else if (vr && READ_ONCE(vr->job_queued))
			tessera_share_run_job(slot, vr);
		mutex_unlock(&slot->run_lock);
		/* Others wait while the resident's slice lasts: it may go on. */
		if (!vr && wait_ns)
			wait_event_idle_timeout(slot->wq, kthread_should_stop() ||
						tessera_share_resident_runnable(slot),
						nsecs_to_jiffies(wait_ns) + 1);
		cond_resched();
	}
	return 0;
}

/* ---- The instance side ---- */

/* @vr, new, takes its turns on @slot. */
void tessera_fpga_share_join(struct tessera_vfpga_region *vr, struct tessera_fpga_slot *slot)
{
	unsigned long flags;

	vr->slot = slot;
	vr->job_status = TESSERA_RGN_JOB_IDLE;
	mutex_lock(&slot->run_lock);
	spin_lock_irqsave(&slot->lock, flags);
	tessera_rq_add(&slot->rq, &vr->pe, min_t(u32, vr->vf->vg.type->weight, TESSERA_WEIGHT_MAX));
	spin_unlock_irqrestore(&slot->lock, flags);
	mutex_unlock(&slot->run_lock);
}

/* @vr leaves @slot; the thread is between tenants when this returns. */
void tessera_fpga_share_leave(struct tessera_vfpga_region *vr)
{
	struct tessera_fpga_slot *slot = vr->slot;
	unsigned long flags;

	mutex_lock(&slot->run_lock);
	spin_lock_irqsave(&slot->lock, flags);
	tessera_rq_remove(&slot->rq, &vr->pe);
	if (slot->resident == vr)
		slot->resident = NULL;
	vr->job_queued = false;
	vr->cfg_queued = false;
	spin_unlock_irqrestore(&slot->lock, flags);
	mutex_unlock(&slot->run_lock);
	/* The thread may be holding the region for us: let it go on. */
	wake_up_all(&slot->wq);
}

/*
 * The trap validated and mapped @img: the thread loads it in turn.
 * Returns false (nothing queued) while an earlier load is still queued.
 */
bool tessera_fpga_share_queue_config(struct tessera_vfpga_region *vr,
				     struct tessera_fpga_image *img)
{
	struct tessera_fpga_slot *slot = vr->slot;
	unsigned long flags;
	bool queued = false;

	spin_lock_irqsave(&slot->lock, flags);
	if (!vr->cfg_queued) {
		vr->pending = img;
		vr->cfg_queued = true;
		tessera_share_update_runnable(vr);
		queued = true;
	}
	spin_unlock_irqrestore(&slot->lock, flags);
	if (queued)
		wake_up_all(&slot->wq);
	return queued;
}

/* VF_RGN_FUNCTION of a time-shared region. */
u32 tessera_fpga_share_function(struct tessera_vfpga_region *vr)
{
	unsigned long flags;
	u32 fn;

	spin_lock_irqsave(&vr->slot->lock, flags);
	fn = vr->loaded ? vr->loaded->function : TESSERA_FN_NONE;
	spin_unlock_irqrestore(&vr->slot->lock, flags);
	return fn;
}

/* Work queued or on the card. */
bool tessera_fpga_share_busy(struct tessera_vfpga_region *vr)
{
	unsigned long flags;
	bool busy;

	spin_lock_irqsave(&vr->slot->lock, flags);
	busy = vr->job_queued || vr->cfg_queued;
	spin_unlock_irqrestore(&vr->slot->lock, flags);
	return busy;
}

/* Reset: arguments, status and fault cleared. Nothing may be queued. */
void tessera_fpga_share_clear(struct tessera_vfpga_region *vr)
{
	unsigned long flags;

	spin_lock_irqsave(&vr->slot->lock, flags);
	memset(vr->args, 0, sizeof(vr->args));
	if (!vr->job_queued)
		vr->job_status = TESSERA_RGN_JOB_IDLE;
	vr->fault_code = 0;
	vr->fault_addr = 0;
	spin_unlock_irqrestore(&vr->slot->lock, flags);
}

/* The emulated user page (offsets inside one TESSERA_RGN_USER_* page). */
u32 tessera_fpga_share_user_read(struct tessera_vfpga_region *vr, u32 off)
{
	unsigned long flags;
	u32 val = 0;

	spin_lock_irqsave(&vr->slot->lock, flags);
	if (off < TESSERA_RGN_USER_ARG(TESSERA_RGN_USER_NUM_ARGS)) {
		val = off & 4 ? upper_32_bits(vr->args[off / 8]) : lower_32_bits(vr->args[off / 8]);
	} else {
		switch (off) {
		case TESSERA_RGN_USER_JOB_STATUS:
			val = vr->job_status;
			break;
		case TESSERA_RGN_USER_RESULT_LO:
			val = lower_32_bits(vr->result);
			break;
		case TESSERA_RGN_USER_RESULT_HI:
			val = upper_32_bits(vr->result);
			break;
		case TESSERA_RGN_USER_JOBS_DONE:
			val = vr->jobs_done;
			break;
		}
	}
	spin_unlock_irqrestore(&vr->slot->lock, flags);
	return val;
}

void tessera_fpga_share_user_write(struct tessera_vfpga_region *vr, u32 off, u32 val)
{
	struct tessera_fpga_slot *slot = vr->slot;
	unsigned long flags;
	bool kick = false;

	spin_lock_irqsave(&slot->lock, flags);
	if (off < TESSERA_RGN_USER_ARG(TESSERA_RGN_USER_NUM_ARGS)) {
		u64 *arg = &vr->args[off / 8];

		*arg = off & 4 ? (u64)val << 32 | lower_32_bits(*arg) :
				 (*arg & GENMASK_ULL(63, 32)) | val;
	} else if (off == TESSERA_RGN_USER_START && !vr->job_queued) {
		/* As the card: nothing loaded (or a load pending) is no function. */
		if (!vr->loaded || vr->cfg_queued) {
			vr->job_status = TESSERA_RGN_JOB_NO_FUNCTION;
		} else {
			vr->job_status = TESSERA_RGN_JOB_RUNNING;
			vr->fault_code = 0;
			vr->fault_addr = 0;
			vr->job_queued = true;
			tessera_share_update_runnable(vr);
			kick = true;
		}
	}
	spin_unlock_irqrestore(&slot->lock, flags);
	if (kick)
		wake_up_all(&slot->wq);
}

/* ---- Setup ---- */

/**
 * tessera_fpga_share_init() - start one thread per card region
 * @fpga: the card's regions, @fpga->share > 1, every one claimed
 *
 * Return: 0 or a negative errno (no thread left running).
 */
int tessera_fpga_share_init(struct tessera_fpga *fpga)
{
	unsigned int r;
	int ret;

	for (r = 0; r < fpga->info->num_regions; r++) {
		struct tessera_fpga_slot *slot = &fpga->slots[r];

		slot->fpga = fpga;
		slot->phys = fpga->claimed[r];
		slot->regs = tessera_region_regs(fpga->tdev, slot->phys);
		slot->user = tessera_region_user_regs(fpga->tdev, slot->phys);
		mutex_init(&slot->run_lock);
		spin_lock_init(&slot->lock);
		init_waitqueue_head(&slot->wq);
		tessera_rq_init(&slot->rq, TESSERA_POLICY_BEST_EFFORT,
				(u64)vfpga_slice_us * NSEC_PER_USEC, TESSERA_WEIGHT_MAX);
		slot->thread = kthread_run(tessera_share_thread, slot, "tessera-rgn%u", r);
		if (IS_ERR(slot->thread)) {
			ret = PTR_ERR(slot->thread);
			slot->thread = NULL;
			tessera_fpga_share_fini(fpga);
			return ret;
		}
		tessera_region_set_handler(fpga->tdev, slot->phys, tessera_fpga_share_irq, slot);
		tessera_share_wr(slot, TESSERA_RGN_INT_STATUS, ~0u);
		tessera_share_wr(slot, TESSERA_RGN_INT_ENABLE, TESSERA_RGN_INT_CONFIG_DONE |
				 TESSERA_RGN_INT_JOB_DONE | TESSERA_RGN_INT_JOB_FAULT);
	}
	return 0;
}

void tessera_fpga_share_fini(struct tessera_fpga *fpga)
{
	unsigned int r;

	for (r = 0; r < fpga->info->num_regions; r++) {
		struct tessera_fpga_slot *slot = &fpga->slots[r];

		if (!slot->thread)
			continue;
		kthread_stop(slot->thread);
		slot->thread = NULL;
		tessera_share_wr(slot, TESSERA_RGN_INT_ENABLE, 0);
		tessera_region_set_handler(fpga->tdev, slot->phys, NULL, NULL);
		mutex_destroy(&slot->run_lock);
	}
}
