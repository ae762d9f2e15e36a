// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera hardware contexts.
 *
 * A context is a command ring, a device-MMU root and a device-memory window
 * on the card. Each has its own MSI-X vector; the handler acknowledges the
 * card, tells the scheduler about faults and hands the event to whoever owns
 * the context (a mediator instance).
 */
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/slab.h>

#include "tessera_drv.h"

static irqreturn_t tessera_ctx_irq(int irq, void *arg)
{
	struct tessera_ctx *ctx = arg;
	struct tessera_device *tdev = ctx->tdev;
	u32 status;

	status = tessera_rd(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_INT_STATUS));
	if (!status || status == ~0u)
		return IRQ_NONE;
	tessera_wr(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_INT_STATUS), status);

	/* Accounting and tracing; a fault takes the context off its engine. */
	tessera_sched_ctx_irq(&tdev->sched, &ctx->se, status);

	spin_lock(&ctx->owner_lock);
	if (ctx->irq_fn)
		ctx->irq_fn(ctx->irq_data, status);
	spin_unlock(&ctx->owner_lock);
	return IRQ_HANDLED;
}

/*
 * Stopped, and pointing at nothing: a context between owners keeps neither
 * the last owner's page tables nor its device-memory window.
 */
static void tessera_ctx_hw_quiet(struct tessera_device *tdev, u32 id)
{
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_INT_ENABLE), 0);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_CONFIG), 0);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RESET), 1);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_MMU_ROOT_LO), 0);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_VRAM_SIZE_LO), 0);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_VRAM_BASE_LO), 0);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_BASE_LO), 0);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_SIZE), 0);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_TLB_INVALIDATE), 1);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_INT_STATUS), ~0u);
}

static void tessera_ctx_free_irqs(struct tessera_device *tdev)
{
	struct tessera_ctx_mgr *mgr = &tdev->ctxs;

	while (mgr->irqs_requested) {
		struct tessera_ctx *ctx = &mgr->ctx[--mgr->irqs_requested];

		free_irq(pci_irq_vector(tdev->pdev, TESSERA_VEC_CTX(ctx->id)), ctx);
	}
}

int tessera_ctx_mgr_init(struct tessera_device *tdev)
{
	struct tessera_ctx_mgr *mgr = &tdev->ctxs;
	unsigned int i;
	int ret;

	ida_init(&mgr->ids);
	mgr->ctx = kcalloc(tdev->info.num_contexts, sizeof(*mgr->ctx), GFP_KERNEL);
	if (!mgr->ctx)
		return -ENOMEM;

	for (i = 0; i < tdev->info.num_contexts; i++) {
		struct tessera_ctx *ctx = &mgr->ctx[i];

		ctx->tdev = tdev;
		ctx->id = i;
		spin_lock_init(&ctx->owner_lock);
		tessera_sched_entity_init(&ctx->se, ctx);
		snprintf(ctx->irq_name, sizeof(ctx->irq_name), "tessera-ctx%u@%s", i,
			 pci_name(tdev->pdev));
		tessera_ctx_hw_quiet(tdev, i);
	}

	for (i = 0; i < tdev->info.num_contexts; i++) {
		struct tessera_ctx *ctx = &mgr->ctx[i];

		ret = request_irq(pci_irq_vector(tdev->pdev, TESSERA_VEC_CTX(i)),
				  tessera_ctx_irq, 0, ctx->irq_name, ctx);
		if (ret)
			goto err_irqs;
		mgr->irqs_requested++;
	}
	return 0;

err_irqs:
	tessera_ctx_free_irqs(tdev);
	kfree(mgr->ctx);
	mgr->ctx = NULL;
	return ret;
}

void tessera_ctx_mgr_fini(struct tessera_device *tdev)
{
	struct tessera_ctx_mgr *mgr = &tdev->ctxs;
	unsigned int i;

	for (i = 0; i < tdev->info.num_contexts; i++)
		tessera_ctx_hw_quiet(tdev, i);
	tessera_ctx_free_irqs(tdev);
	WARN_ON(!ida_is_empty(&mgr->ids));
	ida_destroy(&mgr->ids);
	kfree(mgr->ctx);
	mgr->ctx = NULL;
}

/* Contexts 0 .. this - 1 may go to instances. */
static unsigned int tessera_ctx_instance_limit(struct tessera_device *tdev)
{
	return min_t(unsigned int, tdev->info.num_contexts, TESSERA_INSTANCE_CONTEXTS);
}

/* Free contexts an instance may take. */
unsigned int tessera_ctx_free_count(struct tessera_device *tdev)
{
	unsigned int i, n = 0;

	for (i = 0; i < tessera_ctx_instance_limit(tdev); i++)
		if (!READ_ONCE(tdev->ctxs.ctx[i].in_use))
			n++;
	return n;
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_free_count, TESSERA);

/**
 * tessera_ctx_alloc() - take a free hardware context
 * @tdev: the card
 * @user: an instance's (from the instances' part) or a host client's (from
 *	the host's part, else the instances')
 * @irq_fn: called on the context's interrupts
 * @data: passed to @irq_fn
 *
 * The context comes back reset, disabled and with its interrupts off.
 *
 * Return: the context or an ERR_PTR (-ENOSPC when all are taken).
 */
struct tessera_ctx *tessera_ctx_alloc(struct tessera_device *tdev, enum tessera_ctx_user user,
				      tessera_ctx_irq_fn irq_fn, void *data)
{
	unsigned int limit = tessera_ctx_instance_limit(tdev);
	struct tessera_ctx *ctx;
	unsigned long flags;
	int id = -ENOSPC;

	if (user == TESSERA_CTX_FOR_HOST && limit < tdev->info.num_contexts)
		id = ida_alloc_range(&tdev->ctxs.ids, limit, tdev->info.num_contexts - 1,
				     GFP_KERNEL);
	if (id == -ENOSPC)
		id = ida_alloc_max(&tdev->ctxs.ids, limit - 1, GFP_KERNEL);
	if (id < 0)
		return ERR_PTR(id == -ENOMEM ? -ENOMEM : -ENOSPC);

	ctx = &tdev->ctxs.ctx[id];
	tessera_ctx_hw_quiet(tdev, id);
	spin_lock_irqsave(&ctx->owner_lock, flags);
	ctx->irq_fn = irq_fn;
	ctx->irq_data = data;
	spin_unlock_irqrestore(&ctx->owner_lock, flags);
	tessera_sched_entity_reset(&ctx->se);
	WRITE_ONCE(ctx->in_use, true);
	return ctx;
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_alloc, TESSERA);

/**
 * tessera_ctx_free() - give a context back
 * @ctx: a context the caller has taken off the scheduler
 */
void tessera_ctx_free(struct tessera_ctx *ctx)
{
	struct tessera_device *tdev = ctx->tdev;
	unsigned long flags;

	tessera_ctx_hw_quiet(tdev, ctx->id);
	/* After this no handler runs with the old owner. */
	synchronize_irq(pci_irq_vector(tdev->pdev, TESSERA_VEC_CTX(ctx->id)));
	spin_lock_irqsave(&ctx->owner_lock, flags);
	ctx->irq_fn = NULL;
	ctx->irq_data = NULL;
	spin_unlock_irqrestore(&ctx->owner_lock, flags);
	WRITE_ONCE(ctx->in_use, false);
	ida_free(&tdev->ctxs.ids, ctx->id);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_free, TESSERA);

/**
 * tessera_ctx_program() - point a context at its ring, tables and window
 * @ctx: a context off the scheduler
 * @ring_dva: device address of the ring
 * @ring_entries: ring entries, a power of two
 * @mmu_root: bus address of the level-2 table
 * @vram_base: offset of the device-memory window in BAR2
 * @vram_size: bytes of the window
 *
 * Leaves the context reset (head = tail = 0), enabled and with FENCE, FAULT
 * and IDLE interrupts on.
 */
void tessera_ctx_program(struct tessera_ctx *ctx, u64 ring_dva, u32 ring_entries,
			 dma_addr_t mmu_root, u64 vram_base, u64 vram_size)
{
	struct tessera_device *tdev = ctx->tdev;
	u32 id = ctx->id;

	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_CONFIG), 0);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RESET), 1);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_BASE_LO), ring_dva);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_SIZE), ring_entries);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_MMU_ROOT_LO), mmu_root);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_VRAM_BASE_LO), vram_base);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_VRAM_SIZE_LO), vram_size);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_TLB_INVALIDATE), 1);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_INT_STATUS), ~0u);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_INT_ENABLE),
		   TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT | TESSERA_CTX_INT_IDLE);
	tessera_wr(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_CONFIG), TESSERA_CTX_CFG_ENABLE);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_program, TESSERA);

/**
 * tessera_ctx_program_window() - point a context at its tables and window only
 * @ctx: a context off the scheduler, with no ring (a region's context)
 * @mmu_root: bus address of the level-2 table
 * @vram_base: offset of the device-memory window in BAR2
 * @vram_size: bytes of the window
 *
 * For contexts whose DMA comes from a reconfigurable region, not an
 * engine: no ring, no engine; the TLB is invalidated with the drain barrier.
 */
void tessera_ctx_program_window(struct tessera_ctx *ctx, dma_addr_t mmu_root,
				u64 vram_base, u64 vram_size)
{
	struct tessera_device *tdev = ctx->tdev;
	u32 id = ctx->id;

	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_MMU_ROOT_LO), mmu_root);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_VRAM_BASE_LO), vram_base);
	tessera_wr64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_VRAM_SIZE_LO), vram_size);
	tessera_ctx_tlb_invalidate(ctx);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_program_window, TESSERA);

/* Stop a context off the scheduler: disabled, reset, interrupts off. */
void tessera_ctx_disable(struct tessera_ctx *ctx)
{
	tessera_ctx_hw_quiet(ctx->tdev, ctx->id);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_disable, TESSERA);

/* Stop a context off the scheduler, clear its fault, head = tail = 0. */
void tessera_ctx_reset(struct tessera_ctx *ctx)
{
	struct tessera_device *tdev = ctx->tdev;

	tessera_wr(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_RESET), 1);
	tessera_wr(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_INT_STATUS), ~0u);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_reset, TESSERA);

/*
 * An access drains within one command's transfer or one region job: far
 * below this under emulation too. Past it the card is taken to be stuck.
 */
#define TESSERA_DRAIN_TIMEOUT_US	(2 * USEC_PER_SEC)

static int tessera_ctx_invalidate_wait(struct tessera_ctx *ctx)
{
	void __iomem *status = ctx->tdev->regs + TESSERA_CTX_REG(ctx->id, TESSERA_CTX_STATUS);
	u32 st;

	/* Page-table writes must reach memory before the card re-walks. */
	dma_wmb();
	tessera_wr(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_TLB_INVALIDATE), 1);
	/* ~0: the card is gone (surprise removal) and DMAs nothing more. */
	return readl_poll_timeout(status, st, st == ~0u || !(st & TESSERA_CTX_STATUS_TLB_DRAINING),
				  2, TESSERA_DRAIN_TIMEOUT_US);
}

/**
 * tessera_ctx_tlb_invalidate() - the drain barrier
 * @ctx: the context whose mappings changed
 *
 * Drops the card's cached translations of @ctx and waits until no access
 * that may use a translation or window from before the call is still in
 * flight. If the card does not drain in time, the context is reset at the
 * card (its engine stops using it) and the barrier tried once more.
 *
 * Return: 0 when nothing uses an old translation any more: the caller may
 * unpin pages and free tables. -ETIMEDOUT otherwise: the caller must keep
 * them, since the card may still write to them.
 */
int tessera_ctx_tlb_invalidate(struct tessera_ctx *ctx)
{
	int ret;

	ret = tessera_ctx_invalidate_wait(ctx);
	if (!ret)
		return 0;
	dev_err_ratelimited(&ctx->tdev->pdev->dev,
			    "context %u: TLB invalidate did not drain, resetting the context\n",
			    ctx->id);
	tessera_ctx_reset(ctx);
	ret = tessera_ctx_invalidate_wait(ctx);
	if (ret)
		dev_err_ratelimited(&ctx->tdev->pdev->dev,
				    "context %u: still not drained: its pages stay pinned\n",
				    ctx->id);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_tlb_invalidate, TESSERA);

void tessera_ctx_set_tail(struct tessera_ctx *ctx, u32 tail)
{
	/* writel orders the ring's descriptor writes before the doorbell. */
	tessera_wr(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_RING_TAIL), tail);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_set_tail, TESSERA);

u32 tessera_ctx_head(struct tessera_ctx *ctx)
{
	return tessera_rd(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_RING_HEAD));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_head, TESSERA);

u32 tessera_ctx_tail(struct tessera_ctx *ctx)
{
	return tessera_rd(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_RING_TAIL));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_tail, TESSERA);

u32 tessera_ctx_status(struct tessera_ctx *ctx)
{
	return tessera_rd(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_STATUS));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_status, TESSERA);

u64 tessera_ctx_busy_ns(struct tessera_ctx *ctx)
{
	return tessera_rd64(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_BUSY_NS_LO));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_busy_ns, TESSERA);

u64 tessera_ctx_fence(struct tessera_ctx *ctx)
{
	return tessera_rd64(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_FENCE_LO));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_fence, TESSERA);

u32 tessera_ctx_cmds_done(struct tessera_ctx *ctx)
{
	return tessera_rd(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_CMDS_DONE));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_cmds_done, TESSERA);

void tessera_ctx_read_fault(struct tessera_ctx *ctx, struct tessera_ctx_fault *fault)
{
	struct tessera_device *tdev = ctx->tdev;

	fault->code = tessera_rd(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_FAULT_CODE));
	fault->index = tessera_rd(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_FAULT_INDEX));
	fault->addr = tessera_rd64(tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_FAULT_ADDR_LO));
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_read_fault, TESSERA);

u32 tessera_ctx_id(struct tessera_ctx *ctx)
{
	return ctx->id;
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_id, TESSERA);

/* ---- Scheduling, for the context's owner ---- */

/**
 * tessera_ctx_set_weight() - set a context's share of engine time
 * @ctx: the context
 * @weight: 1 .. TESSERA_WEIGHT_MAX
 *
 * Return: 0, or -EINVAL for a weight out of range.
 */
int tessera_ctx_set_weight(struct tessera_ctx *ctx, u32 weight)
{
	return tessera_sched_set_weight(&ctx->tdev->sched, &ctx->se, weight);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_set_weight, TESSERA);

u32 tessera_ctx_get_weight(struct tessera_ctx *ctx)
{
	return tessera_sched_get_weight(&ctx->tdev->sched, &ctx->se);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_get_weight, TESSERA);

/* Put a programmed context on an engine's run queue. */
void tessera_ctx_attach(struct tessera_ctx *ctx)
{
	tessera_sched_attach(&ctx->tdev->sched, &ctx->se);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_attach, TESSERA);

/* The context's tail moved: let it run. */
void tessera_ctx_kick(struct tessera_ctx *ctx)
{
	tessera_sched_kick(&ctx->tdev->sched, &ctx->se);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_kick, TESSERA);

/**
 * tessera_ctx_detach() - take a context off its engine and its run queue
 * @ctx: the context
 *
 * Waits up to quiesce_timeout_ms for the engine to switch away, then stops
 * the engine. Sleeps.
 *
 * Return: 0, or -ETIMEDOUT when the engine had to be stopped.
 */
int tessera_ctx_detach(struct tessera_ctx *ctx)
{
	return tessera_sched_detach(&ctx->tdev->sched, &ctx->se);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_detach, TESSERA);

/**
 * tessera_ctx_sched_info() - the scheduler's view of a context, read consistently
 * @ctx: the context
 * @info: out
 */
void tessera_ctx_sched_info(struct tessera_ctx *ctx, struct tessera_ctx_sched_info *info)
{
	struct tessera_sched *sched = &ctx->tdev->sched;
	struct tessera_sched_entity *se = &ctx->se;
	unsigned long flags;
	u32 preemptions;

	tessera_sched_read_stats(sched, se, &info->stats);
	preemptions = tessera_rd(ctx->tdev, TESSERA_CTX_REG(ctx->id, TESSERA_CTX_PREEMPTIONS));
	spin_lock_irqsave(&sched->lock, flags);
	info->weight = se->weight;
	info->engine = se->home ? se->home->id : -1;
	info->preemptions = preemptions - se->preempt_base;
	info->switch_seq = se->snap_seq;
	info->busy_at_switch_ns = se->snap_busy_ns;
	spin_unlock_irqrestore(&sched->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(tessera_ctx_sched_info, TESSERA);
