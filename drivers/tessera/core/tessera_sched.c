// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera engine scheduler: the mechanism around the pure policy core
 * (tessera_policy.c).
 *
 * A context is placed on one engine when it is attached (the engine with
 * the least summed weight) and stays there; each engine time-slices its
 * contexts through its own run queue. At every decision (a slice ran out,
 * the running context went idle, faulted or left, new work arrived on an
 * idle engine) the outgoing context is charged what the card counted in its
 * CTX_BUSY_NS since the last charge, the policy picks the next context and
 * its slice, and ENG_SUBMIT asks the card to switch: the card stops the
 * running command at its next checkpoint (or, with preemption off, at the
 * command's end), saves its resume point and raises ENG_INT_SWITCHED. The
 * slice timer starts when the switch is done, so a slice is engine time.
 *
 * A context being switched away from stays "leaving" until the switch is
 * done, so that it is never loaded on two engines at once.
 */
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "tessera_drv.h"

#define CREATE_TRACE_POINTS
#include "tessera_trace.h"

static unsigned int timeslice_us = 1000;
module_param(timeslice_us, uint, 0444);
MODULE_PARM_DESC(timeslice_us,
		 "Initial time slice in microseconds, 50..100000 (default 1000; per card: tessera/slice_us)");

static char *policy = "best-effort";
module_param(policy, charp, 0444);
MODULE_PARM_DESC(policy,
		 "Initial policy: best-effort, equal-share or fixed-share (default best-effort; per card: tessera/policy)");

static bool preempt = true;
module_param(preempt, bool, 0444);
MODULE_PARM_DESC(preempt,
		 "Initially stop commands midway at the card's checkpoints to switch; 0 = only at command boundaries (default 1; per card: tessera/preempt)");

static unsigned int watchdog_ms = 15000;
module_param(watchdog_ms, uint, 0444);
MODULE_PARM_DESC(watchdog_ms,
		 "Initial bound on one command's engine time before the card faults it with TESSERA_FAULT_WATCHDOG, 0 = off (default 15000, above the longest legal BUSY; per card: tessera/watchdog_ms)");

static unsigned int quiesce_timeout_ms = 2000;
module_param(quiesce_timeout_ms, uint, 0644);
MODULE_PARM_DESC(quiesce_timeout_ms,
		 "How long to wait for an engine to let go of a context before forcing it off (default 2000)");

/* No timer shorter than this: a fixed-share remainder can be a few ns. */
#define TESSERA_SCHED_MIN_TIMER_NS	(10 * NSEC_PER_USEC)

static u64 tessera_sched_card_now(struct tessera_sched *sched)
{
	return tessera_rd64(sched->tdev, TESSERA_REG_CLOCK_NS_LO);
}

static struct tessera_sched_entity *to_se(struct tessera_policy_entity *pe)
{
	return container_of(pe, struct tessera_sched_entity, pe);
}

/* Charge @se what the card counted since the last charge. Lock held. */
static void tessera_sched_charge(struct tessera_sched_entity *se)
{
	u64 busy = tessera_ctx_busy_ns(se->ctx);
	u64 delta = busy > se->busy_seen ? busy - se->busy_seen : 0;

	se->busy_seen = busy;
	if (!delta || !se->home)
		return;
	tessera_rq_charge(&se->home->rq, &se->pe, delta);
	se->stats.charged_ns += delta;
}

/*
 * Tell the run queue whether @se can use its engine. Lock held. A context
 * running alone has no slice timer and so is charged only at the next
 * decision: charge it before a waking context takes its floor from it, or
 * the newcomer would start from where the lone one stood when it began.
 */
static void tessera_sched_update_runnable(struct tessera_sched_entity *se)
{
	bool want = se->has_work && !se->stopped;
	struct tessera_sched_entity *cur;

	if (!se->home || se->pe.runnable == want)
		return;
	cur = se->home->current_se;
	if (want && cur && cur != se)
		tessera_sched_charge(cur);
	tessera_rq_set_runnable(&se->home->rq, &se->pe, want);
}

static bool tessera_rq_runnable_besides(struct tessera_runqueue *rq,
					struct tessera_policy_entity *skip)
{
	struct tessera_policy_entity *pe;

	list_for_each_entry(pe, &rq->entities, node)
		if (pe != skip && pe->runnable)
			return true;
	return false;
}

/*
 * A slice must end on time when someone else waits, and always under fixed
 * share, where even a lone context only gets its budget.
 */
static bool tessera_sched_needs_timer(struct tessera_engine *eng,
				      struct tessera_sched_entity *cur)
{
	return eng->sched->policy == TESSERA_POLICY_FIXED_SHARE ||
	       tessera_rq_runnable_besides(&eng->rq, &cur->pe);
}

/*
 * The card's own bound on a slice (ENG_SLICE_NS): a margin past the host's
 * timer, so that a late timer (a busy host, a descheduled vCPU) costs at
 * most the margin of overrun; an on-time timer always decides first.
 */
static u32 tessera_sched_bound_ns(u64 slice_ns)
{
	return min_t(u64, slice_ns + max(slice_ns / 8, TESSERA_SLICE_MIN_NS), U32_MAX);
}

static void tessera_sched_set_bound(struct tessera_engine *eng, u32 bound_ns)
{
	tessera_wr(eng->sched->tdev, TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_SLICE_NS), bound_ns);
}

/* End the slice of the loaded context (or the idle wait) in @ns. */
static void tessera_sched_arm(struct tessera_engine *eng, u64 ns)
{
	ns = max(ns, TESSERA_SCHED_MIN_TIMER_NS);
	hrtimer_start(&eng->slice_timer, ns_to_ktime(ns), HRTIMER_MODE_REL);
	if (eng->current_se && !eng->switching)
		tessera_sched_set_bound(eng, tessera_sched_bound_ns(ns));
}

/* The loaded context may run on: no timer, no bound. */
static void tessera_sched_disarm(struct tessera_engine *eng)
{
	hrtimer_try_to_cancel(&eng->slice_timer);
	if (eng->current_se && !eng->switching)
		tessera_sched_set_bound(eng, 0);
}

/*
 * Ask @eng to run @next (NULL: stop) for @slice_ns, for the reason @kind.
 * Lock held, no switch in flight.
 */
static void tessera_sched_switch_to(struct tessera_engine *eng,
				    struct tessera_sched_entity *next, u64 slice_ns,
				    enum tessera_switch_kind kind)
{
	struct tessera_sched *sched = eng->sched;
	struct tessera_sched_entity *prev = eng->current_se;

	lockdep_assert_held(&sched->lock);
	if (prev == next)
		return;

	if (prev) {
		prev->engine = NULL;
		prev->leaving = eng;
		trace_tessera_sched_out(eng->id, prev->ctx->id, prev->pe.vtime, prev->has_work);
	}
	eng->current_se = next;
	eng->next_slice_ns = slice_ns;
	if (next)
		next->engine = eng;
	eng->switching = true;
	eng->switch_kind = kind;
	eng->switches++;
	hrtimer_try_to_cancel(&eng->slice_timer);
	tessera_wr(sched->tdev, TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_SUBMIT),
		   next ? next->ctx->id : TESSERA_CTX_NONE);
	/* The card starts the bound when the switch is done. */
	if (next) {
		u64 ns = max(slice_ns, TESSERA_SCHED_MIN_TIMER_NS);

		tessera_sched_set_bound(eng, tessera_sched_bound_ns(ns));
	}
}

/* Why the engine leaves @cur (NULL: nothing loaded) for another context. */
static enum tessera_switch_kind tessera_sched_switch_kind(struct tessera_sched_entity *cur,
							  bool slice_end)
{
	if (!cur)
		return TESSERA_SWITCH_PICKUP;
	if (cur->stopped)
		return cur->stop_kind;
	if (slice_end && cur->pe.runnable)
		return TESSERA_SWITCH_SLICE_END;
	return TESSERA_SWITCH_IDLE;
}

/*
 * Decide what @eng does next. Without @slice_end a context that still has
 * work keeps its slice; with it (or when the context went idle, faulted or
 * left) the policy picks again. Lock held.
 */
static void tessera_sched_dispatch(struct tessera_engine *eng, bool slice_end)
{
	struct tessera_sched *sched = eng->sched;
	struct tessera_sched_entity *cur = eng->current_se, *next;
	struct tessera_policy_entity *pe;
	u64 t0, now = 0, slice;

	lockdep_assert_held(&sched->lock);
	if (eng->switching)
		return;

	if (cur && cur->pe.runnable && !slice_end) {
		/* Someone may have started waiting: the slice must end then. */
		if (!hrtimer_active(&eng->slice_timer) && tessera_sched_needs_timer(eng, cur))
			tessera_sched_arm(eng, eng->rq.ops->slice(&eng->rq, &cur->pe));
		return;
	}

	t0 = ktime_get_ns();
	eng->decisions++;
	if (cur)
		tessera_sched_charge(cur);
	if (sched->policy == TESSERA_POLICY_FIXED_SHARE)
		now = tessera_sched_card_now(sched);
	pe = tessera_rq_pick(&eng->rq, now, &slice);
	next = pe ? to_se(pe) : NULL;

	if (!next) {
		if (tessera_rq_runnable_besides(&eng->rq, NULL)) {
			/* Fixed share: every budget is spent; idle until the next period. */
			u64 end = eng->rq.period_start + tessera_rq_period_ns(&eng->rq);

			if (!eng->throttled)
				eng->idle_waits++;
			eng->throttled = true;
			tessera_sched_switch_to(eng, NULL, 0, TESSERA_SWITCH_THROTTLE);
			tessera_sched_arm(eng, end > now ? end - now : 0);
		} else if (cur && cur->stopped) {
			eng->throttled = false;
			tessera_sched_switch_to(eng, NULL, 0, cur->stop_kind);
		} else {
			eng->throttled = false;
			/* An idle context stays loaded until another needs the engine. */
			tessera_sched_disarm(eng);
		}
	} else if (next == cur) {
		eng->throttled = false;
		cur->stats.slices++;
		if (tessera_sched_needs_timer(eng, cur))
			tessera_sched_arm(eng, slice);
		else
			tessera_sched_disarm(eng);
	} else {
		eng->throttled = false;
		tessera_sched_switch_to(eng, next, slice,
					tessera_sched_switch_kind(cur, slice_end));
	}
	eng->sched_ns += ktime_get_ns() - t0;
}

/* The switch @eng was asked for is done. Lock held. */
static void tessera_sched_switch_done(struct tessera_engine *eng)
{
	struct tessera_sched *sched = eng->sched;
	struct tessera_device *tdev = sched->tdev;
	struct tessera_sched_entity *cur = eng->current_se;
	unsigned int i, slot;
	u32 lat, preemptions;

	lockdep_assert_held(&sched->lock);
	eng->switching = false;

	lat = tessera_rd(tdev, TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_SWITCH_LAT_NS));
	preemptions = tessera_rd(tdev, TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_PREEMPTIONS));
	slot = eng->lat_count % TESSERA_SWITCH_LAT_SAMPLES;
	eng->lat_ns[slot] = lat;
	assign_bit(slot, eng->lat_preempted, preemptions != eng->hw_preemptions);
	eng->lat_kind[slot] = eng->switch_kind;
	eng->hw_preemptions = preemptions;
	eng->lat_count++;

	for (i = 0; i < tdev->info.num_contexts; i++) {
		struct tessera_sched_entity *se = &tdev->ctxs.ctx[i].se;

		if (se->leaving != eng)
			continue;
		/* Its counter is final now: what it overran is charged too. */
		tessera_sched_charge(se);
		se->leaving = NULL;
	}

	if (cur) {
		struct tessera_ctx *ctx = cur->ctx;
		struct tessera_policy_entity *pe;

		/*
		 * The incoming context may have run since the card finished the
		 * switch: that is charged at its next decision, from the
		 * busy_seen of its last charge, which is also its busy time at
		 * the instant of the switch. So, with the leaving context just
		 * charged, every busy_seen of this engine holds its value at
		 * the switch: a slice-aligned snapshot, for measurements over
		 * whole slices.
		 */
		list_for_each_entry(pe, &eng->rq.entities, node) {
			struct tessera_sched_entity *se = to_se(pe);

			se->snap_seq = eng->lat_count;
			se->snap_busy_ns = se->busy_seen - se->busy_base;
		}
		cur->stats.sched_in++;
		cur->stats.slices++;
		trace_tessera_sched_in(eng->id, ctx->id, eng->next_slice_ns, lat);
		/*
		 * The card raises ENG_INT_IDLE only after running something: a
		 * context loaded with an already empty ring must be seen as idle here.
		 */
		if (tessera_ctx_head(ctx) == tessera_ctx_tail(ctx)) {
			cur->has_work = false;
			tessera_sched_update_runnable(cur);
		}
		if (cur->pe.runnable && tessera_sched_needs_timer(eng, cur))
			tessera_sched_arm(eng, eng->next_slice_ns);
		else
			tessera_sched_disarm(eng);
	}
	wake_up_all(&sched->idle_wq);
}

/*
 * The card's slice bound took the loaded context off (the host's timer was
 * late): the engine is empty now. Charge the context and decide. Lock held.
 */
static void tessera_sched_bound_stopped(struct tessera_engine *eng)
{
	struct tessera_device *tdev = eng->sched->tdev;
	struct tessera_sched_entity *prev = eng->current_se;

	lockdep_assert_held(&eng->sched->lock);
	eng->bound_stops++;
	eng->hw_preemptions = tessera_rd(tdev, TESSERA_ENGINE_REG(eng->id,
								  TESSERA_ENG_PREEMPTIONS));
	prev->engine = NULL;
	tessera_sched_charge(prev);
	trace_tessera_sched_out(eng->id, prev->ctx->id, prev->pe.vtime, prev->has_work);
	eng->current_se = NULL;
	hrtimer_try_to_cancel(&eng->slice_timer);
	wake_up_all(&eng->sched->idle_wq);
}

/*
 * The card runs another context than the driver believes (a switch the card
 * refused, say): follow the card, loudly, so that charging and decisions
 * are about what really runs. Lock held.
 */
static void tessera_sched_resync(struct tessera_engine *eng, u32 hw_cur)
{
	struct tessera_device *tdev = eng->sched->tdev;
	struct tessera_sched_entity *prev = eng->current_se, *now = NULL;

	lockdep_assert_held(&eng->sched->lock);
	eng->resyncs++;
	dev_warn_ratelimited(&tdev->pdev->dev,
			     "engine %u: the card runs context %u, the scheduler expected %d: following the card\n",
			     eng->id, hw_cur, prev ? (int)prev->ctx->id : -1);
	if (prev) {
		prev->engine = NULL;
		tessera_sched_charge(prev);
	}
	if (hw_cur < tdev->info.num_contexts) {
		struct tessera_sched_entity *se = &tdev->ctxs.ctx[hw_cur].se;

		if (se->home == eng && !se->engine && !se->leaving) {
			se->engine = eng;
			now = se;
		}
	}
	eng->current_se = now;
	hrtimer_try_to_cancel(&eng->slice_timer);
	wake_up_all(&eng->sched->idle_wq);
}

/*
 * Bring the driver's view of @eng in line with the card's: a switch in
 * flight may be done (its interrupt not handled yet), and the card's slice
 * bound may have taken the loaded context off, even right after the switch
 * that loaded it (both interrupts then arrive as one). Lock held.
 */
static void tessera_sched_sync_engine(struct tessera_engine *eng)
{
	u32 status = tessera_rd(eng->sched->tdev,
				TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_STATUS));
	bool settled = (status & TESSERA_ENG_STATUS_STATE_MASK) != TESSERA_ENG_STATE_SWITCHING &&
		       (status & TESSERA_ENG_STATUS_PEND_MASK) == TESSERA_ENG_STATUS_PEND_MASK;

	u32 hw_cur = (status & TESSERA_ENG_STATUS_CUR_MASK) >> TESSERA_ENG_STATUS_CUR_SHIFT;
	u32 none = TESSERA_ENG_STATUS_CUR_MASK >> TESSERA_ENG_STATUS_CUR_SHIFT;

	if (!settled)
		return;
	if (eng->switching)
		tessera_sched_switch_done(eng);
	if (eng->current_se && hw_cur == none)
		tessera_sched_bound_stopped(eng);
	else if ((eng->current_se ? eng->current_se->ctx->id : none) != hw_cur)
		tessera_sched_resync(eng, hw_cur);
}

static enum hrtimer_restart tessera_sched_slice_end(struct hrtimer *timer)
{
	struct tessera_engine *eng = container_of(timer, struct tessera_engine, slice_timer);
	struct tessera_sched *sched = eng->sched;
	s64 late = ktime_to_ns(ktime_sub(ktime_get(), hrtimer_get_expires(timer)));
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	/* Re-armed while this callback waited for the lock: that expiry decides. */
	if (!hrtimer_is_queued(timer) && !eng->switching) {
		eng->timer_fires++;
		eng->timer_late_sum_ns += max(late, 0LL);
		eng->timer_late_max_ns = max_t(u64, eng->timer_late_max_ns, max(late, 0LL));
		if (!eng->throttled)
			eng->slice_ends++;
		/* Decide on what the card really has loaded. */
		tessera_sched_sync_engine(eng);
		if (!eng->switching)
			tessera_sched_dispatch(eng, true);
	}
	spin_unlock_irqrestore(&sched->lock, flags);
	return HRTIMER_NORESTART;
}

/* ---- Entities ---- */

void tessera_sched_entity_init(struct tessera_sched_entity *se, struct tessera_ctx *ctx)
{
	se->ctx = ctx;
	INIT_LIST_HEAD(&se->pe.node);
	tessera_sched_entity_reset(se);
}

/*
 * A fresh entity for a newly allocated context: not on any engine or run
 * queue. The card's per-context counters run on across owners: remember
 * where they stand so the new owner's figures start at zero.
 */
void tessera_sched_entity_reset(struct tessera_sched_entity *se)
{
	struct tessera_device *tdev = se->ctx->tdev;
	u32 id = se->ctx->id;

	se->home = NULL;
	se->engine = NULL;
	se->leaving = NULL;
	se->has_work = false;
	se->stopped = true;
	se->stop_kind = TESSERA_SWITCH_DETACH;
	se->attached_once = false;
	se->pe.runnable = false;
	se->weight = 1;
	se->snap_seq = 0;
	se->snap_busy_ns = 0;
	memset(&se->stats, 0, sizeof(se->stats));
	se->busy_base = tessera_ctx_busy_ns(se->ctx);
	se->busy_seen = se->busy_base;
	se->cmds_base = tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_CMDS_DONE));
	se->preempt_base = tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_PREEMPTIONS));
}

/**
 * tessera_sched_set_weight() - set a context's share relative to the others
 * @sched: the scheduler
 * @se: the context's entity
 * @weight: 1..TESSERA_WEIGHT_MAX
 *
 * Takes effect at the next decision; the context stays on its engine.
 *
 * Return: 0, or -EINVAL for a weight out of range.
 */
int tessera_sched_set_weight(struct tessera_sched *sched, struct tessera_sched_entity *se,
			     u32 weight)
{
	unsigned long flags;
	int ret = 0;

	if (weight < 1 || weight > TESSERA_WEIGHT_MAX)
		return -EINVAL;
	spin_lock_irqsave(&sched->lock, flags);
	if (se->home) {
		ret = tessera_rq_set_weight(&se->home->rq, &se->pe, weight);
		if (!ret)
			se->home->total_weight += weight - se->weight;
	}
	if (!ret)
		se->weight = weight;
	spin_unlock_irqrestore(&sched->lock, flags);
	return ret;
}

u32 tessera_sched_get_weight(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;
	u32 weight;

	spin_lock_irqsave(&sched->lock, flags);
	weight = se->weight;
	spin_unlock_irqrestore(&sched->lock, flags);
	return weight;
}

/**
 * tessera_sched_read_stats() - a consistent copy of an entity's counters
 * @sched: the scheduler
 * @se: the context's entity
 * @stats: filled in; charged_ns includes what the card counted since the
 *	last charge
 */
void tessera_sched_read_stats(struct tessera_sched *sched, struct tessera_sched_entity *se,
			      struct tessera_sched_stats *stats)
{
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	if (se->engine || se->leaving)
		tessera_sched_charge(se);
	*stats = se->stats;
	spin_unlock_irqrestore(&sched->lock, flags);
}

/**
 * tessera_sched_kick() - a context got new work (its ring tail was written)
 * @sched: the scheduler
 * @se: the context's entity
 */
void tessera_sched_kick(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	se->stats.submits++;
	trace_tessera_submit(se->ctx->id, !se->has_work);
	if (!se->stopped && se->home) {
		se->has_work = true;
		tessera_sched_update_runnable(se);
		tessera_sched_sync_engine(se->home);
		tessera_sched_dispatch(se->home, false);
	}
	spin_unlock_irqrestore(&sched->lock, flags);
}

/**
 * tessera_sched_ctx_stopped() - a context faulted: take it off its engine
 * @sched: the scheduler
 * @se: the context's entity
 *
 * May be called in interrupt context.
 */
void tessera_sched_ctx_stopped(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	se->stopped = true;
	se->stop_kind = TESSERA_SWITCH_FAULT;
	tessera_sched_update_runnable(se);
	if (se->home)
		tessera_sched_dispatch(se->home, false);
	spin_unlock_irqrestore(&sched->lock, flags);
}

/**
 * tessera_sched_ctx_irq() - a context's interrupt, for accounting and tracing
 * @sched: the scheduler
 * @se: the context's entity
 * @status: TESSERA_CTX_INT_* raised (already cleared on the card)
 *
 * A fault stops the context, so that the engine goes to the others; the
 * card's watchdog is one such fault: a hung command is stopped alone.
 * Hard-interrupt context.
 */
void tessera_sched_ctx_irq(struct tessera_sched *sched, struct tessera_sched_entity *se,
			   u32 status)
{
	struct tessera_ctx *ctx = se->ctx;
	struct tessera_ctx_fault fault;
	unsigned long flags;

	if (status & (TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_IDLE))
		trace_tessera_complete(ctx->id, status);
	if (!(status & TESSERA_CTX_INT_FAULT))
		return;

	tessera_ctx_read_fault(ctx, &fault);
	trace_tessera_fault(ctx->id, fault.code, fault.index, fault.addr);
	spin_lock_irqsave(&sched->lock, flags);
	se->stats.faults++;
	if (fault.code == TESSERA_FAULT_WATCHDOG)
		se->stats.watchdog_faults++;
	spin_unlock_irqrestore(&sched->lock, flags);
	if (fault.code == TESSERA_FAULT_WATCHDOG)
		dev_warn_ratelimited(&sched->tdev->pdev->dev,
				     "context %u: a command ran %llu ns, past the watchdog bound: stopped, the other contexts run on\n",
				     ctx->id, fault.addr);
	tessera_sched_ctx_stopped(sched, se);
}

static bool tessera_sched_se_off(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;
	unsigned int i;
	bool off;

	spin_lock_irqsave(&sched->lock, flags);
	for (i = 0; i < sched->num_engines; i++) {
		tessera_sched_sync_engine(&sched->engines[i]);
		tessera_sched_dispatch(&sched->engines[i], false);
	}
	off = !se->engine && !se->leaving;
	spin_unlock_irqrestore(&sched->lock, flags);
	return off;
}

/*
 * Take an entity that is off every engine out of its run queue. Lock held.
 * Only an entity that was attached has a home: taking it off is a reset.
 */
static void tessera_sched_unplace(struct tessera_sched_entity *se)
{
	struct tessera_engine *eng = se->home;

	if (!eng)
		return;
	tessera_rq_remove(&eng->rq, &se->pe);
	eng->nr_entities--;
	eng->total_weight -= se->weight;
	se->home = NULL;
	se->stats.resets++;
}

/**
 * tessera_sched_detach() - take a context off the scheduler and its engine
 * @sched: the scheduler
 * @se: the context's entity
 *
 * Waits until no engine has the context loaded. The context may then be
 * reset or reprogrammed; tessera_sched_attach() puts it back.
 *
 * Return: 0, or -ETIMEDOUT if the engine did not let go in time (the
 * context was then forced off; the caller must reset it).
 */
int tessera_sched_detach(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(quiesce_timeout_ms);
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&sched->lock, flags);
	se->stopped = true;
	se->stop_kind = TESSERA_SWITCH_DETACH;
	tessera_sched_update_runnable(se);
	if (se->home)
		tessera_sched_dispatch(se->home, false);
	spin_unlock_irqrestore(&sched->lock, flags);

	while (!tessera_sched_se_off(sched, se)) {
		if (time_after(jiffies, deadline)) {
			dev_warn(&sched->tdev->pdev->dev,
				 "context %u did not leave its engine in %u ms, forcing it off\n",
				 se->ctx->id, quiesce_timeout_ms);
			spin_lock_irqsave(&sched->lock, flags);
			for (i = 0; i < sched->num_engines; i++) {
				struct tessera_engine *eng = &sched->engines[i];

				if (eng->current_se == se || se->leaving == eng) {
					tessera_wr(sched->tdev,
						   TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_SUBMIT),
						   TESSERA_CTX_NONE);
					if (eng->current_se == se)
						eng->current_se = NULL;
					eng->switching = false;
				}
			}
			se->engine = NULL;
			se->leaving = NULL;
			tessera_sched_unplace(se);
			spin_unlock_irqrestore(&sched->lock, flags);
			return -ETIMEDOUT;
		}
		/* Woken by ENG_INT_SWITCHED; the timeout re-checks the card's status. */
		wait_event_timeout(sched->idle_wq,
				   !READ_ONCE(se->engine) && !READ_ONCE(se->leaving),
				   msecs_to_jiffies(10));
	}

	spin_lock_irqsave(&sched->lock, flags);
	tessera_sched_unplace(se);
	spin_unlock_irqrestore(&sched->lock, flags);
	return 0;
}

/* The engine with the least summed weight (then the fewest contexts). */
static struct tessera_engine *tessera_sched_place(struct tessera_sched *sched)
{
	struct tessera_engine *best = &sched->engines[0];
	unsigned int i;

	for (i = 1; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];

		if (eng->total_weight < best->total_weight ||
		    (eng->total_weight == best->total_weight &&
		     eng->nr_entities < best->nr_entities))
			best = eng;
	}
	return best;
}

/**
 * tessera_sched_attach() - let a detached (or new) context be scheduled again
 * @sched: the scheduler
 * @se: the context's entity, off every engine
 */
void tessera_sched_attach(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	if (!se->home) {
		struct tessera_engine *eng = tessera_sched_place(sched);

		/* Back from a reset: its place among the others is kept. */
		if (se->attached_once)
			tessera_rq_readd(&eng->rq, &se->pe, se->weight);
		else
			tessera_rq_add(&eng->rq, &se->pe, se->weight);
		eng->nr_entities++;
		eng->total_weight += se->weight;
		se->home = eng;
	}
	se->attached_once = true;
	se->stopped = false;
	se->has_work = false;
	se->busy_seen = tessera_ctx_busy_ns(se->ctx);
	spin_unlock_irqrestore(&sched->lock, flags);
}

/**
 * tessera_sched_engine_irq() - an engine's interrupt
 * @sched: the scheduler
 * @engine: engine number
 * @status: TESSERA_ENG_INT_* raised (already cleared on the card)
 */
void tessera_sched_engine_irq(struct tessera_sched *sched, unsigned int engine, u32 status)
{
	struct tessera_engine *eng = &sched->engines[engine];
	struct tessera_sched_entity *cur;
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	tessera_sched_sync_engine(eng);

	cur = eng->current_se;
	if ((status & TESSERA_ENG_INT_IDLE) && cur && !eng->switching) {
		struct tessera_ctx *ctx = cur->ctx;

		/* A tail written after the card went idle keeps the work flag. */
		if (tessera_ctx_head(ctx) == tessera_ctx_tail(ctx)) {
			cur->has_work = false;
			tessera_sched_update_runnable(cur);
		}
	}
	/* Nothing loaded (a bound stop) is a decision like a slice end. */
	tessera_sched_dispatch(eng, !eng->current_se);
	spin_unlock_irqrestore(&sched->lock, flags);
}

/* ---- Settings ---- */

/**
 * tessera_sched_set_policy() - switch every engine of the card to a policy
 * @sched: the scheduler
 * @kind: the policy
 *
 * Virtual times start afresh; running slices are re-decided now.
 *
 * Return: 0 or -EINVAL.
 */
int tessera_sched_set_policy(struct tessera_sched *sched, enum tessera_policy_kind kind)
{
	unsigned long flags;
	unsigned int i;

	if (kind >= TESSERA_NUM_POLICIES)
		return -EINVAL;
	spin_lock_irqsave(&sched->lock, flags);
	sched->policy = kind;
	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];

		tessera_rq_set_policy(&eng->rq, kind);
		tessera_sched_dispatch(eng, true);
	}
	spin_unlock_irqrestore(&sched->lock, flags);
	return 0;
}

/**
 * tessera_sched_set_slice() - set the card's slice
 * @sched: the scheduler
 * @slice_ns: TESSERA_SLICE_MIN_NS..TESSERA_SLICE_MAX_NS
 *
 * Return: 0 or -EINVAL. Running slices end as they were granted.
 */
int tessera_sched_set_slice(struct tessera_sched *sched, u64 slice_ns)
{
	unsigned long flags;
	unsigned int i;

	if (slice_ns < TESSERA_SLICE_MIN_NS || slice_ns > TESSERA_SLICE_MAX_NS)
		return -EINVAL;
	spin_lock_irqsave(&sched->lock, flags);
	sched->slice_ns = slice_ns;
	for (i = 0; i < sched->num_engines; i++)
		tessera_rq_set_slice(&sched->engines[i].rq, slice_ns);
	spin_unlock_irqrestore(&sched->lock, flags);
	return 0;
}

/**
 * tessera_sched_set_preempt() - whether switches may stop a command midway
 * @sched: the scheduler
 * @on: true: at the card's next checkpoint; false: only at command boundaries
 *
 * Return: 0, or -EOPNOTSUPP if the card has no boundary-only mode.
 */
int tessera_sched_set_preempt(struct tessera_sched *sched, bool on)
{
	u32 want = on ? 0 : TESSERA_ENG_CTRL_BOUNDARY_ONLY;
	unsigned long flags;
	unsigned int i;
	int ret = 0;

	spin_lock_irqsave(&sched->lock, flags);
	for (i = 0; i < sched->num_engines; i++) {
		u32 off = TESSERA_ENGINE_REG(i, TESSERA_ENG_CONTROL);

		tessera_wr(sched->tdev, off, want);
		/* A card model without ENG_CONTROL reads it as 0. */
		if (tessera_rd(sched->tdev, off) != want)
			ret = -EOPNOTSUPP;
	}
	if (!ret)
		sched->preempt = on;
	spin_unlock_irqrestore(&sched->lock, flags);
	return ret;
}

/**
 * tessera_sched_set_watchdog() - bound one command's engine time
 * @sched: the scheduler
 * @watchdog_ns: the bound, 0 = off
 *
 * The card faults a command that ran longer (preempted time excluded) with
 * TESSERA_FAULT_WATCHDOG; only its context stops.
 */
void tessera_sched_set_watchdog(struct tessera_sched *sched, u64 watchdog_ns)
{
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	sched->watchdog_ns = watchdog_ns;
	tessera_wr64(sched->tdev, TESSERA_REG_WATCHDOG_NS_LO, watchdog_ns);
	spin_unlock_irqrestore(&sched->lock, flags);
}

/* ---- Life cycle ---- */

int tessera_sched_init(struct tessera_device *tdev)
{
	struct tessera_sched *sched = &tdev->sched;
	struct device *dev = &tdev->pdev->dev;
	enum tessera_policy_kind kind = TESSERA_POLICY_BEST_EFFORT;
	u64 slice_ns = (u64)timeslice_us * NSEC_PER_USEC;
	u32 capacity;
	unsigned int i;
	int ret;

	if (tessera_policy_parse(policy, &kind))
		dev_warn(dev, "policy=%s unknown (best-effort, equal-share, fixed-share): using best-effort\n",
			 policy);
	if (slice_ns < TESSERA_SLICE_MIN_NS || slice_ns > TESSERA_SLICE_MAX_NS) {
		dev_warn(dev, "timeslice_us=%u outside %llu..%llu: using 1000\n", timeslice_us,
			 TESSERA_SLICE_MIN_NS / NSEC_PER_USEC,
			 TESSERA_SLICE_MAX_NS / NSEC_PER_USEC);
		slice_ns = NSEC_PER_MSEC;
	}

	sched->tdev = tdev;
	spin_lock_init(&sched->lock);
	init_waitqueue_head(&sched->idle_wq);
	sched->policy = kind;
	sched->slice_ns = slice_ns;
	sched->num_engines = tdev->info.num_engines;
	/* Fixed share: a vgpu-N instance (weight 32/N) gets 1/N of the card. */
	capacity = max(TESSERA_CARD_WEIGHT / sched->num_engines, 1U);

	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];

		eng->sched = sched;
		eng->id = i;
		tessera_rq_init(&eng->rq, kind, slice_ns, capacity);
		hrtimer_init(&eng->slice_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		eng->slice_timer.function = tessera_sched_slice_end;
		eng->hw_preemptions = tessera_rd(tdev,
						 TESSERA_ENGINE_REG(i, TESSERA_ENG_PREEMPTIONS));
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_STATUS), ~0u);
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_ENABLE),
			   TESSERA_ENG_INT_SWITCHED | TESSERA_ENG_INT_IDLE);
	}
	sched->preempt = true;
	if (tessera_sched_set_preempt(sched, preempt))
		dev_warn(dev, "preempt=0: the card cannot hold switches to command boundaries\n");
	tessera_sched_set_watchdog(sched, (u64)watchdog_ms * NSEC_PER_MSEC);

	ret = tessera_sched_sysfs_init(tdev);
	if (ret)
		goto err_engines;
	return 0;

err_engines:
	for (i = 0; i < sched->num_engines; i++)
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_ENABLE), 0);
	return ret;
}

void tessera_sched_fini(struct tessera_device *tdev)
{
	struct tessera_sched *sched = &tdev->sched;
	unsigned int i;

	tessera_sched_sysfs_fini(tdev);
	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];

		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_ENABLE), 0);
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_SUBMIT), TESSERA_CTX_NONE);
		hrtimer_cancel(&eng->slice_timer);
		eng->current_se = NULL;
	}
}

/* ---- debugfs ---- */

void tessera_sched_dump(struct tessera_sched *sched, struct seq_file *m)
{
	struct tessera_device *tdev = sched->tdev;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&sched->lock, flags);
	seq_printf(m, "scheduler: policy %s, slice %llu ns, preempt %s, watchdog %llu ns, card clock %llu ns\n",
		   tessera_policy_name(sched->policy), sched->slice_ns,
		   sched->preempt ? "on" : "off (command boundaries)", sched->watchdog_ns,
		   tessera_sched_card_now(sched));
	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];
		u32 status = tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_STATUS));
		struct tessera_policy_entity *pe;

		seq_printf(m,
			   "engine %u: status 0x%08x busy %llu ns hw-switches %u preemptions %u switch-lat %u ns control 0x%x\n",
			   i, status,
			   tessera_rd64(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_BUSY_NS_LO)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_SWITCHES)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_PREEMPTIONS)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_SWITCH_LAT_NS)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_CONTROL)));
		seq_printf(m,
			   "engine %u: driver: current %d%s%s, contexts %u, weight %u, requested switches %llu, slice ends %llu, card slice stops %llu, resyncs %llu, idle waits %llu, decisions %llu, decision time %llu ns, switch samples %llu, period start %llu ns, timer fires %llu late mean %llu ns max %llu ns\n",
			   i, eng->current_se ? (int)eng->current_se->ctx->id : -1,
			   eng->switching ? " (switching)" : "",
			   eng->throttled ? " (throttled)" : "",
			   eng->nr_entities, eng->total_weight, eng->switches, eng->slice_ends,
			   eng->bound_stops, eng->resyncs, eng->idle_waits, eng->decisions,
			   eng->sched_ns,
			   eng->lat_count, eng->rq.period_start, eng->timer_fires,
			   eng->timer_fires ?
			   div64_u64(eng->timer_late_sum_ns, eng->timer_fires) : 0,
			   eng->timer_late_max_ns);
		list_for_each_entry(pe, &eng->rq.entities, node) {
			struct tessera_sched_entity *se = to_se(pe);

			seq_printf(m,
				   "engine %u: ctx %u weight %u vtime %llu period-used %llu ns runnable %d work %d stopped %d submits %llu sched-in %llu slices %llu charged %llu ns faults %llu watchdog %llu resets %llu\n",
				   i, se->ctx->id, pe->weight, pe->vtime, pe->period_used_ns,
				   pe->runnable, se->has_work, se->stopped, se->stats.submits,
				   se->stats.sched_in, se->stats.slices, se->stats.charged_ns,
				   se->stats.faults, se->stats.watchdog_faults, se->stats.resets);
		}
	}
	spin_unlock_irqrestore(&sched->lock, flags);
}

/*
 * Every context's busy time at its engine's last switch, all read under the
 * lock: "ctx <id> <switch-seq> <busy-ns>" per line. A benchmark of many
 * tenants reads them at one instant; one sysfs file per instance, read in
 * turn, is cut by the next switch when the reads take longer than a slice.
 */
void tessera_sched_dump_snapshots(struct tessera_sched *sched, struct seq_file *m)
{
	struct tessera_device *tdev = sched->tdev;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&sched->lock, flags);
	for (i = 0; i < tdev->info.num_contexts; i++) {
		struct tessera_sched_entity *se = &tdev->ctxs.ctx[i].se;

		if (se->home)
			seq_printf(m, "ctx %u %llu %llu\n", i, se->snap_seq, se->snap_busy_ns);
	}
	spin_unlock_irqrestore(&sched->lock, flags);
}

static const char *const tessera_switch_kind_names[TESSERA_SWITCH_KINDS] = {
	[TESSERA_SWITCH_PICKUP] = "pickup",
	[TESSERA_SWITCH_SLICE_END] = "slice-end",
	[TESSERA_SWITCH_IDLE] = "idle",
	[TESSERA_SWITCH_FAULT] = "fault",
	[TESSERA_SWITCH_DETACH] = "detach",
	[TESSERA_SWITCH_THROTTLE] = "throttle",
};

/*
 * One line per recorded switch, oldest first: engine, card ns, whether it
 * stopped a command midway, and its kind.
 */
void tessera_sched_dump_latency(struct tessera_sched *sched, struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];
		unsigned long flags;
		u64 n, first, k;

		spin_lock_irqsave(&sched->lock, flags);
		n = eng->lat_count;
		first = n > TESSERA_SWITCH_LAT_SAMPLES ? n - TESSERA_SWITCH_LAT_SAMPLES : 0;
		for (k = first; k < n; k++) {
			unsigned int slot = k % TESSERA_SWITCH_LAT_SAMPLES;

			seq_printf(m, "%u %u %d %s\n", i, eng->lat_ns[slot],
				   test_bit(slot, eng->lat_preempted),
				   tessera_switch_kind_names[eng->lat_kind[slot]]);
		}
		spin_unlock_irqrestore(&sched->lock, flags);
	}
}
