// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera engine scheduler.
 *
 * Engines run one context at a time. A context with work waits on the run
 * queue until the policy gives it an engine; the engine runs it until its
 * ring runs empty (ENG_INT_IDLE) or, when others wait, until its time slice
 * ends. Switches are requested with ENG_SUBMIT and finish with
 * ENG_INT_SWITCHED; a context being switched away from stays "leaving" until
 * then, so that it is never loaded on two engines at once.
 *
 * The choice of the next context is the policy's (struct
 * tessera_sched_policy); this file holds the mechanism.
 */
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "tessera_drv.h"

static unsigned int timeslice_us = 1000;
module_param(timeslice_us, uint, 0444);
MODULE_PARM_DESC(timeslice_us,
		 "Time slice in microseconds a context keeps an engine while others wait (default 1000)");

static unsigned int quiesce_timeout_ms = 2000;
module_param(quiesce_timeout_ms, uint, 0644);
MODULE_PARM_DESC(quiesce_timeout_ms,
		 "How long to wait for an engine to let go of a context before forcing it off (default 2000)");

/* ---- Round robin ---- */

static void tessera_rr_enqueue(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	list_add_tail(&se->rq_node, &sched->runqueue);
	se->queued = true;
}

static void tessera_rr_dequeue(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	list_del_init(&se->rq_node);
	se->queued = false;
}

static struct tessera_sched_entity *tessera_rr_pick_next(struct tessera_sched *sched,
							 struct tessera_engine *eng)
{
	struct tessera_sched_entity *se;

	list_for_each_entry(se, &sched->runqueue, rq_node) {
		if (tessera_sched_can_run(se)) {
			tessera_rr_dequeue(sched, se);
			return se;
		}
	}
	return NULL;
}

static bool tessera_rr_has_waiting(struct tessera_sched *sched)
{
	struct tessera_sched_entity *se;

	list_for_each_entry(se, &sched->runqueue, rq_node)
		if (tessera_sched_can_run(se))
			return true;
	return false;
}

static u64 tessera_rr_timeslice_ns(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	return sched->timeslice_ns;
}

const struct tessera_sched_policy tessera_sched_policy_rr = {
	.name = "round-robin",
	.enqueue = tessera_rr_enqueue,
	.dequeue = tessera_rr_dequeue,
	.pick_next = tessera_rr_pick_next,
	.has_waiting = tessera_rr_has_waiting,
	.timeslice_ns = tessera_rr_timeslice_ns,
};

/* ---- Mechanism ---- */

/* Whether @se may be given an engine now. Scheduler lock held. */
bool tessera_sched_can_run(struct tessera_sched_entity *se)
{
	return se->has_work && !se->stopped && !se->engine && !se->leaving;
}

void tessera_sched_entity_init(struct tessera_sched_entity *se, struct tessera_ctx *ctx)
{
	se->ctx = ctx;
	INIT_LIST_HEAD(&se->rq_node);
	tessera_sched_entity_reset(se);
}

/* A fresh entity for a newly allocated context: not on any engine or queue. */
void tessera_sched_entity_reset(struct tessera_sched_entity *se)
{
	se->queued = false;
	se->engine = NULL;
	se->leaving = NULL;
	se->has_work = false;
	se->stopped = true;
	se->weight = 1;
}

void tessera_sched_set_weight(struct tessera_sched *sched, struct tessera_sched_entity *se,
			      u32 weight)
{
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	se->weight = weight ?: 1;
	spin_unlock_irqrestore(&sched->lock, flags);
}

static void tessera_sched_arm_slice(struct tessera_engine *eng)
{
	struct tessera_sched *sched = eng->sched;
	struct tessera_sched_entity *cur = eng->current_se;

	if (!cur || !sched->policy->has_waiting(sched))
		return;
	if (hrtimer_active(&eng->slice_timer))
		return;
	hrtimer_start(&eng->slice_timer, ns_to_ktime(sched->policy->timeslice_ns(sched, cur)),
		      HRTIMER_MODE_REL);
}

/* Ask @eng to run @next (NULL: stop). Scheduler lock held, no switch in flight. */
static void tessera_sched_switch_to(struct tessera_engine *eng, struct tessera_sched_entity *next)
{
	struct tessera_sched *sched = eng->sched;
	struct tessera_sched_entity *prev = eng->current_se;

	lockdep_assert_held(&sched->lock);
	if (prev == next)
		return;

	if (prev) {
		prev->engine = NULL;
		prev->leaving = eng;
		if (prev->has_work && !prev->stopped && !prev->queued)
			sched->policy->enqueue(sched, prev);
	}
	eng->current_se = next;
	if (next)
		next->engine = eng;
	eng->switching = true;
	eng->switches++;
	hrtimer_try_to_cancel(&eng->slice_timer);
	tessera_wr(sched->tdev, TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_SUBMIT),
		   next ? next->ctx->id : TESSERA_CTX_NONE);
}

/* The switch @eng was asked for is done: release whoever was leaving. */
static void tessera_sched_switch_done(struct tessera_engine *eng)
{
	struct tessera_sched *sched = eng->sched;
	unsigned int i;

	lockdep_assert_held(&sched->lock);
	eng->switching = false;
	for (i = 0; i < sched->tdev->num_contexts; i++) {
		struct tessera_sched_entity *se = &sched->tdev->ctxs.ctx[i].se;

		if (se->leaving == eng)
			se->leaving = NULL;
	}
	/*
	 * The card raises ENG_INT_IDLE only after running something: a context
	 * loaded with an already empty ring must be seen as idle here.
	 */
	if (eng->current_se) {
		struct tessera_ctx *ctx = eng->current_se->ctx;

		if (tessera_ctx_head(ctx) == tessera_ctx_tail(ctx))
			eng->current_se->has_work = false;
	}
	wake_up_all(&sched->idle_wq);
}

/*
 * If a switch is in flight, check on the card whether it is done, for the
 * case where the interrupt has not been handled yet.
 */
static void tessera_sched_sync_engine(struct tessera_engine *eng)
{
	u32 status;

	if (!eng->switching)
		return;
	status = tessera_rd(eng->sched->tdev, TESSERA_ENGINE_REG(eng->id, TESSERA_ENG_STATUS));
	if ((status & TESSERA_ENG_STATUS_STATE_MASK) != TESSERA_ENG_STATE_SWITCHING &&
	    (status & TESSERA_ENG_STATUS_PEND_MASK) == TESSERA_ENG_STATUS_PEND_MASK)
		tessera_sched_switch_done(eng);
}

/* Decide what @eng does next. Scheduler lock held. */
static void tessera_sched_dispatch(struct tessera_engine *eng)
{
	struct tessera_sched *sched = eng->sched;
	const struct tessera_sched_policy *policy = sched->policy;
	struct tessera_sched_entity *cur = eng->current_se;

	if (eng->switching)
		return;

	if (cur && cur->stopped) {
		tessera_sched_switch_to(eng, policy->pick_next(sched, eng));
		return;
	}
	if (!cur || !cur->has_work) {
		struct tessera_sched_entity *next = policy->pick_next(sched, eng);

		/* An idle context stays loaded until someone else needs the engine. */
		if (next)
			tessera_sched_switch_to(eng, next);
		return;
	}
	tessera_sched_arm_slice(eng);
}

static void tessera_sched_dispatch_all(struct tessera_sched *sched)
{
	unsigned int i;

	for (i = 0; i < sched->num_engines; i++)
		tessera_sched_dispatch(&sched->engines[i]);
}

static enum hrtimer_restart tessera_sched_slice_end(struct hrtimer *timer)
{
	struct tessera_engine *eng = container_of(timer, struct tessera_engine, slice_timer);
	struct tessera_sched *sched = eng->sched;
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	if (!eng->switching && eng->current_se && sched->policy->has_waiting(sched))
		tessera_sched_switch_to(eng, sched->policy->pick_next(sched, eng));
	spin_unlock_irqrestore(&sched->lock, flags);
	return HRTIMER_NORESTART;
}

/**
 * tessera_sched_kick() - a context got new work (its ring tail was written)
 * @sched: the scheduler
 * @se: the context's entity
 */
void tessera_sched_kick(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&sched->lock, flags);
	if (!se->stopped) {
		se->has_work = true;
		if (!se->engine && !se->queued)
			sched->policy->enqueue(sched, se);
		for (i = 0; i < sched->num_engines; i++)
			tessera_sched_sync_engine(&sched->engines[i]);
		tessera_sched_dispatch_all(sched);
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
	if (se->queued)
		sched->policy->dequeue(sched, se);
	tessera_sched_dispatch_all(sched);
	spin_unlock_irqrestore(&sched->lock, flags);
}

static bool tessera_sched_se_off(struct tessera_sched *sched, struct tessera_sched_entity *se)
{
	unsigned long flags;
	unsigned int i;
	bool off;

	spin_lock_irqsave(&sched->lock, flags);
	for (i = 0; i < sched->num_engines; i++)
		tessera_sched_sync_engine(&sched->engines[i]);
	tessera_sched_dispatch_all(sched);
	off = !se->engine && !se->leaving;
	spin_unlock_irqrestore(&sched->lock, flags);
	return off;
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
	if (se->queued)
		sched->policy->dequeue(sched, se);
	tessera_sched_dispatch_all(sched);
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
			spin_unlock_irqrestore(&sched->lock, flags);
			return -ETIMEDOUT;
		}
		/* Woken by ENG_INT_SWITCHED; the timeout re-checks the card's status. */
		wait_event_timeout(sched->idle_wq,
				   !READ_ONCE(se->engine) && !READ_ONCE(se->leaving),
				   msecs_to_jiffies(10));
	}
	return 0;
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
	se->stopped = false;
	se->has_work = false;
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
	if (status & TESSERA_ENG_INT_SWITCHED)
		tessera_sched_switch_done(eng);
	else
		tessera_sched_sync_engine(eng);

	cur = eng->current_se;
	if ((status & TESSERA_ENG_INT_IDLE) && cur && !eng->switching) {
		struct tessera_ctx *ctx = cur->ctx;

		/* A tail written after the card went idle keeps the work flag. */
		if (tessera_ctx_head(ctx) == tessera_ctx_tail(ctx))
			cur->has_work = false;
	}
	tessera_sched_dispatch_all(sched);
	spin_unlock_irqrestore(&sched->lock, flags);
}

int tessera_sched_init(struct tessera_device *tdev)
{
	struct tessera_sched *sched = &tdev->sched;
	unsigned int i;

	sched->tdev = tdev;
	spin_lock_init(&sched->lock);
	INIT_LIST_HEAD(&sched->runqueue);
	init_waitqueue_head(&sched->idle_wq);
	sched->policy = &tessera_sched_policy_rr;
	sched->timeslice_ns = (u64)max(timeslice_us, 1u) * NSEC_PER_USEC;
	sched->num_engines = tdev->num_engines;

	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];

		eng->sched = sched;
		eng->id = i;
		eng->current_se = NULL;
		eng->switching = false;
		hrtimer_init(&eng->slice_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		eng->slice_timer.function = tessera_sched_slice_end;
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_STATUS), ~0u);
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_ENABLE),
			   TESSERA_ENG_INT_SWITCHED | TESSERA_ENG_INT_IDLE);
	}
	return 0;
}

void tessera_sched_fini(struct tessera_device *tdev)
{
	struct tessera_sched *sched = &tdev->sched;
	unsigned int i;

	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];

		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_ENABLE), 0);
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_SUBMIT), TESSERA_CTX_NONE);
		hrtimer_cancel(&eng->slice_timer);
		eng->current_se = NULL;
	}
}

void tessera_sched_dump(struct tessera_sched *sched, struct seq_file *m)
{
	struct tessera_device *tdev = sched->tdev;
	struct tessera_sched_entity *se;
	unsigned long flags;
	unsigned int i;

	seq_printf(m, "scheduler: %s, slice %llu ns\n", sched->policy->name, sched->timeslice_ns);
	spin_lock_irqsave(&sched->lock, flags);
	for (i = 0; i < sched->num_engines; i++) {
		struct tessera_engine *eng = &sched->engines[i];
		u32 status = tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_STATUS));

		seq_printf(m,
			   "engine %u: status 0x%08x busy %llu ns hw-switches %u preemptions %u switch-lat %u ns; driver: current %d%s, requested switches %llu\n",
			   i, status,
			   tessera_rd64(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_BUSY_NS_LO)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_SWITCHES)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_PREEMPTIONS)),
			   tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_SWITCH_LAT_NS)),
			   eng->current_se ? (int)eng->current_se->ctx->id : -1,
			   eng->switching ? " (switching)" : "", eng->switches);
	}
	seq_puts(m, "run queue:");
	list_for_each_entry(se, &sched->runqueue, rq_node)
		seq_printf(m, " %u", se->ctx->id);
	seq_puts(m, "\n");
	spin_unlock_irqrestore(&sched->lock, flags);
}
