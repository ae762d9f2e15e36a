// SPDX-License-Identifier: GPL-2.0
/*
 * Engine scheduling policies. Each engine has a run queue of instances; the
 * scheduler charges each instance the busy time the card itself counted
 * and asks the policy which instance runs next. Fairness is tracked as
 * virtual time (busy time divided by weight), so that an instance that ran
 * less than its share is picked first and shares converge within a few
 * slices rather than over seconds.
 *
 * Built into tessera.ko, which exports the run queue to its clients (the
 * mediator time-shares regions with it), and into KUnit.
 */

#include <linux/errno.h>
#include <linux/export.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "tessera_policy.h"

static u32 tessera_effective_weight(const struct tessera_runqueue *rq,
				    const struct tessera_policy_entity *e)
{
	return rq->kind == TESSERA_POLICY_EQUAL_SHARE ? 1 : e->weight;
}

static struct tessera_policy_entity *
tessera_min_vtime(struct tessera_runqueue *rq, bool fixed_budget)
{
	struct tessera_policy_entity *e, *best = NULL;
	u64 period = tessera_rq_period_ns(rq);

	list_for_each_entry(e, &rq->entities, node) {
		if (!e->runnable)
			continue;
		if (fixed_budget &&
		    e->period_used_ns >= div_u64(period * e->weight, rq->capacity_weight))
			continue;
		if (!best || e->vtime < best->vtime)
			best = e;
	}
	return best;
}

static struct tessera_policy_entity *
tessera_weighted_pick(struct tessera_runqueue *rq, u64 now)
{
	return tessera_min_vtime(rq, false);
}

/*
 * A card stops at its next checkpoint, so no two slices are alike. Size
 * each slice from the entity's lag behind the others: half a slice plus
 * its lag behind their mean, within [half, twice] the configured slice. In
 * steady round robin that is one slice on average, and each slice evens
 * out what the one before overran, so shares stay fair within a few slices
 * instead of drifting.
 */
static u64 tessera_catch_up_slice(struct tessera_runqueue *rq,
				  struct tessera_policy_entity *e)
{
	struct tessera_policy_entity *other;
	u64 lag_sum = 0, lag_ns, half = rq->slice_ns / 2;
	u32 others = 0;

	list_for_each_entry(other, &rq->entities, node) {
		if (other == e || !other->runnable)
			continue;
		if (other->vtime > e->vtime)
			lag_sum += other->vtime - e->vtime;
		others++;
	}
	if (!others)
		return rq->slice_ns;
	lag_ns = div_u64(div_u64(lag_sum, others) * tessera_effective_weight(rq, e),
			 TESSERA_WEIGHT_MAX);
	return half + min(lag_ns, rq->slice_ns + half);
}

static void tessera_fixed_roll_period(struct tessera_runqueue *rq, u64 now)
{
	struct tessera_policy_entity *e;
	u64 period = tessera_rq_period_ns(rq);
	u64 elapsed, into_period;

	if (now < rq->period_start + period)
		return;
	/* Stay aligned to the first period so idle gaps do not shift shares. */
	elapsed = now - rq->period_start;
	into_period = do_div(elapsed, period);
	rq->period_start = now - into_period;
	/* What an entity overran its budget by (a checkpoint's worth) is paid back. */
	list_for_each_entry(e, &rq->entities, node) {
		u64 budget = div_u64(period * e->weight, rq->capacity_weight);

		e->period_used_ns = e->period_used_ns > budget ?
				    e->period_used_ns - budget : 0;
	}
}

static struct tessera_policy_entity *
tessera_fixed_pick(struct tessera_runqueue *rq, u64 now)
{
	tessera_fixed_roll_period(rq, now);
	return tessera_min_vtime(rq, true);
}

static u64 tessera_fixed_slice(struct tessera_runqueue *rq,
			       struct tessera_policy_entity *e)
{
	u64 budget = div_u64(tessera_rq_period_ns(rq) * e->weight,
			     rq->capacity_weight);

	if (e->period_used_ns >= budget)
		return 0;
	return min(rq->slice_ns, budget - e->period_used_ns);
}

static const struct tessera_policy_ops tessera_policy_ops[TESSERA_NUM_POLICIES] = {
	[TESSERA_POLICY_BEST_EFFORT] = {
		.name = "best-effort",
		.pick = tessera_weighted_pick,
		.slice = tessera_catch_up_slice,
	},
	[TESSERA_POLICY_EQUAL_SHARE] = {
		.name = "equal-share",
		.pick = tessera_weighted_pick,
		.slice = tessera_catch_up_slice,
	},
	[TESSERA_POLICY_FIXED_SHARE] = {
		.name = "fixed-share",
		.pick = tessera_fixed_pick,
		.slice = tessera_fixed_slice,
	},
};

u64 tessera_rq_period_ns(const struct tessera_runqueue *rq)
{
	return rq->slice_ns * rq->capacity_weight;
}

void tessera_rq_init(struct tessera_runqueue *rq, enum tessera_policy_kind kind,
		     u64 slice_ns, u32 capacity_weight)
{
	INIT_LIST_HEAD(&rq->entities);
	rq->kind = kind;
	rq->ops = &tessera_policy_ops[kind];
	rq->slice_ns = clamp(slice_ns, TESSERA_SLICE_MIN_NS, TESSERA_SLICE_MAX_NS);
	rq->capacity_weight = max(capacity_weight, 1U);
	rq->period_start = 0;
	rq->vclock = 0;
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_init, TESSERA);

/*
 * The smallest virtual time among runnable entities other than @skip: a
 * newcomer or a waking entity starts there, so time spent idle is not
 * banked as credit that would later starve the others.
 */
static bool tessera_rq_min_runnable_vtime(struct tessera_runqueue *rq,
					  struct tessera_policy_entity *skip,
					  u64 *vtime)
{
	struct tessera_policy_entity *e;
	bool found = false;

	list_for_each_entry(e, &rq->entities, node) {
		if (e == skip || !e->runnable)
			continue;
		if (!found || e->vtime < *vtime)
			*vtime = e->vtime;
		found = true;
	}
	return found;
}

/* A newcomer: no history, it starts at the others' virtual time when it wakes. */
void tessera_rq_add(struct tessera_runqueue *rq, struct tessera_policy_entity *e,
		    u32 weight)
{
	e->period_used_ns = 0;
	e->lag = 0;
	tessera_rq_readd(rq, e, weight);
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_add, TESSERA);

/*
 * The same tenant back after tessera_rq_remove() (a reset): it keeps the lag
 * it left with and what it used of the fixed-share period. Starting afresh
 * at the others' virtual time instead, a tenant that resets itself every
 * few milliseconds took 18% of an engine shared by 32.
 */
void tessera_rq_readd(struct tessera_runqueue *rq, struct tessera_policy_entity *e,
		      u32 weight)
{
	e->weight = clamp(weight, 1U, (u32)TESSERA_WEIGHT_MAX);
	e->vtime = 0;
	e->runnable = false;
	list_add_tail(&e->node, &rq->entities);
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_readd, TESSERA);

void tessera_rq_remove(struct tessera_runqueue *rq, struct tessera_policy_entity *e)
{
	u64 floor;

	/*
	 * Not runnable since it came back (a VF_RESET and then the ring
	 * programmed again are two resets): the lag it came with still holds.
	 */
	if (!e->lag) {
		if (!tessera_rq_min_runnable_vtime(rq, e, &floor))
			floor = rq->vclock;
		e->lag = e->vtime > floor ? e->vtime - floor : 0;
	}
	list_del_init(&e->node);
	e->runnable = false;
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_remove, TESSERA);

/*
 * A waking entity starts at the smallest virtual time of the others that
 * are runnable, else at the runqueue's clock: another's queue may be empty
 * for an instant between two jobs, and a newcomer starting from 0 would
 * then run alone until it had caught up with all its history.
 */
void tessera_rq_set_runnable(struct tessera_runqueue *rq,
			     struct tessera_policy_entity *e, bool runnable)
{
	u64 floor;

	if (runnable && !e->runnable) {
		if (!tessera_rq_min_runnable_vtime(rq, e, &floor))
			floor = rq->vclock;
		e->vtime = max(e->vtime, floor + e->lag);
		e->lag = 0;
	}
	e->runnable = runnable;
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_set_runnable, TESSERA);

int tessera_rq_set_weight(struct tessera_runqueue *rq,
			  struct tessera_policy_entity *e, u32 weight)
{
	if (weight < 1 || weight > TESSERA_WEIGHT_MAX)
		return -EINVAL;
	e->weight = weight;
	return 0;
}

int tessera_rq_set_slice(struct tessera_runqueue *rq, u64 slice_ns)
{
	if (slice_ns < TESSERA_SLICE_MIN_NS || slice_ns > TESSERA_SLICE_MAX_NS)
		return -EINVAL;
	rq->slice_ns = slice_ns;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_set_slice, TESSERA);

/*
 * Virtual times of different policies are in different units: start every
 * entity afresh so that no history from the old policy skews the new one.
 */
void tessera_rq_set_policy(struct tessera_runqueue *rq, enum tessera_policy_kind kind)
{
	struct tessera_policy_entity *e;

	rq->kind = kind;
	rq->ops = &tessera_policy_ops[kind];
	list_for_each_entry(e, &rq->entities, node) {
		e->vtime = 0;
		e->period_used_ns = 0;
	}
	rq->vclock = 0;
}

void tessera_rq_charge(struct tessera_runqueue *rq, struct tessera_policy_entity *e,
		       u64 busy_ns)
{
	u64 floor;

	e->vtime += div_u64(busy_ns * TESSERA_WEIGHT_MAX,
			    tessera_effective_weight(rq, e));
	e->period_used_ns += busy_ns;
	if (!tessera_rq_min_runnable_vtime(rq, e, &floor) || floor > e->vtime)
		floor = e->vtime;
	rq->vclock = max(rq->vclock, floor);
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_charge, TESSERA);

struct tessera_policy_entity *tessera_rq_pick(struct tessera_runqueue *rq, u64 now,
					      u64 *slice_ns)
{
	struct tessera_policy_entity *e = rq->ops->pick(rq, now);

	*slice_ns = e ? rq->ops->slice(rq, e) : 0;
	return e;
}
EXPORT_SYMBOL_NS_GPL(tessera_rq_pick, TESSERA);

int tessera_policy_parse(const char *buf, enum tessera_policy_kind *kind)
{
	int i;

	for (i = 0; i < TESSERA_NUM_POLICIES; i++) {
		if (sysfs_streq(buf, tessera_policy_ops[i].name)) {
			*kind = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *tessera_policy_name(enum tessera_policy_kind kind)
{
	return kind < TESSERA_NUM_POLICIES ? tessera_policy_ops[kind].name : "unknown";
}
