/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scheduling policies for one engine's run queue: which instance runs next
 * and for how long. Pure logic over card time supplied by the caller, with
 * no PCI or VFIO dependency, so KUnit can drive it with a simulated clock.
 * The caller owns locking: every function expects the run queue's lock held.
 */
#ifndef TESSERA_POLICY_H
#define TESSERA_POLICY_H

#include <linux/list.h>
#include <linux/types.h>

enum tessera_policy_kind {
	/* weighted, work-conserving: idle time goes to whoever has work */
	TESSERA_POLICY_BEST_EFFORT,
	/* every runnable instance gets the same share, weights ignored */
	TESSERA_POLICY_EQUAL_SHARE,
	/* each instance gets weight/capacity of every period, used or not */
	TESSERA_POLICY_FIXED_SHARE,
	TESSERA_NUM_POLICIES,
};

#define TESSERA_WEIGHT_MAX		64
#define TESSERA_SLICE_MIN_NS		(50 * 1000ULL)
#define TESSERA_SLICE_MAX_NS		(100 * 1000 * 1000ULL)

/* One schedulable instance on one engine. */
struct tessera_policy_entity {
	struct list_head node;
	u32 weight;
	/* card busy time scaled by 1/weight: lowest runs next */
	u64 vtime;
	/* fixed share: card busy time charged in the current period */
	u64 period_used_ns;
	/*
	 * Set by tessera_rq_remove(): how far its virtual time was ahead of
	 * the others'; tessera_rq_readd() keeps it, so that a tenant that
	 * resets itself comes back no further behind than it left.
	 */
	u64 lag;
	bool runnable;
};

struct tessera_runqueue;

struct tessera_policy_ops {
	const char *name;
	/* the entity to run at card time @now, or NULL to leave the engine idle */
	struct tessera_policy_entity *(*pick)(struct tessera_runqueue *rq, u64 now);
	/* how long @e may run before the engine is asked to switch */
	u64 (*slice)(struct tessera_runqueue *rq, struct tessera_policy_entity *e);
};

struct tessera_runqueue {
	struct list_head entities;
	const struct tessera_policy_ops *ops;
	enum tessera_policy_kind kind;
	u64 slice_ns;
	/*
	 * Never decreasing: the smallest virtual time among the runnable
	 * entities and the one last charged. A newcomer or a waking entity
	 * starts no lower, even when nobody else is runnable that instant.
	 */
	u64 vclock;
	/* fixed share: the weight a full card holds, and the current period */
	u32 capacity_weight;
	u64 period_start;
};

void tessera_rq_init(struct tessera_runqueue *rq, enum tessera_policy_kind kind,
		     u64 slice_ns, u32 capacity_weight);
void tessera_rq_add(struct tessera_runqueue *rq, struct tessera_policy_entity *e,
		    u32 weight);
void tessera_rq_readd(struct tessera_runqueue *rq, struct tessera_policy_entity *e,
		      u32 weight);
void tessera_rq_remove(struct tessera_runqueue *rq, struct tessera_policy_entity *e);
void tessera_rq_set_runnable(struct tessera_runqueue *rq,
			     struct tessera_policy_entity *e, bool runnable);
int tessera_rq_set_weight(struct tessera_runqueue *rq,
			  struct tessera_policy_entity *e, u32 weight);
int tessera_rq_set_slice(struct tessera_runqueue *rq, u64 slice_ns);
void tessera_rq_set_policy(struct tessera_runqueue *rq, enum tessera_policy_kind kind);
void tessera_rq_charge(struct tessera_runqueue *rq, struct tessera_policy_entity *e,
		       u64 busy_ns);
struct tessera_policy_entity *tessera_rq_pick(struct tessera_runqueue *rq, u64 now,
					      u64 *slice_ns);
u64 tessera_rq_period_ns(const struct tessera_runqueue *rq);

int tessera_policy_parse(const char *buf, enum tessera_policy_kind *kind);
const char *tessera_policy_name(enum tessera_policy_kind kind);

#endif /* TESSERA_POLICY_H */
