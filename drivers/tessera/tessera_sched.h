/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera engine scheduler: which context runs on which engine, and when.
 */
#ifndef TESSERA_SCHED_H
#define TESSERA_SCHED_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "tessera_hw.h"

struct seq_file;
struct tessera_ctx;
struct tessera_device;
struct tessera_engine;
struct tessera_sched;

/**
 * struct tessera_sched_entity - a context as the scheduler sees it
 * @ctx: the context
 * @rq_node: link in the policy's run queue
 * @queued: on the run queue
 * @engine: engine the context is loaded on, or being switched to
 * @leaving: engine that still has the context loaded while switching away
 * @has_work: submitted work not known to be finished
 * @stopped: faulted or being torn down: never picked
 * @weight: share of engine time relative to the other entities
 *
 * All fields except @ctx are protected by the scheduler's lock.
 */
struct tessera_sched_entity {
	struct tessera_ctx *ctx;
	struct list_head rq_node;
	bool queued;
	struct tessera_engine *engine;
	struct tessera_engine *leaving;
	bool has_work;
	bool stopped;
	u32 weight;
};

/**
 * struct tessera_engine - one engine of the card
 * @sched: the scheduler
 * @id: engine number
 * @current_se: context loaded or being loaded, NULL when stopped
 * @switching: an ENG_SUBMIT is in flight, ENG_INT_SWITCHED not seen yet
 * @slice_timer: ends the current time slice
 * @switches: switches this driver requested
 *
 * Fields are protected by the scheduler's lock.
 */
struct tessera_engine {
	struct tessera_sched *sched;
	u32 id;
	struct tessera_sched_entity *current_se;
	bool switching;
	struct hrtimer slice_timer;
	u64 switches;
};

/**
 * struct tessera_sched_policy - how the next context is chosen
 * @name: shown in debugfs
 * @enqueue: add an entity that has work and is not on an engine
 * @dequeue: remove a queued entity
 * @pick_next: remove and return the entity @eng should run next, or NULL;
 *	must skip entities for which tessera_sched_can_run() is false
 * @has_waiting: whether any queued entity could run
 * @timeslice_ns: how long @se may keep an engine while others wait
 *
 * Called with the scheduler's lock held. A policy keeps its state in
 * struct tessera_sched::policy_data and the entities' @rq_node.
 */
struct tessera_sched_policy {
	const char *name;
	void (*enqueue)(struct tessera_sched *sched, struct tessera_sched_entity *se);
	void (*dequeue)(struct tessera_sched *sched, struct tessera_sched_entity *se);
	struct tessera_sched_entity *(*pick_next)(struct tessera_sched *sched,
						  struct tessera_engine *eng);
	bool (*has_waiting)(struct tessera_sched *sched);
	u64 (*timeslice_ns)(struct tessera_sched *sched, struct tessera_sched_entity *se);
};

/**
 * struct tessera_sched - scheduler of one card
 * @tdev: the card
 * @lock: protects the engines, the entities and the policy's run queue;
 *	taken in interrupt context
 * @policy: the policy
 * @runqueue: the round-robin policy's queue of entities with work
 * @engines: the card's engines
 * @num_engines: entries in @engines
 * @idle_wq: woken when a context leaves an engine
 * @timeslice_ns: default slice
 */
struct tessera_sched {
	struct tessera_device *tdev;
	spinlock_t lock;	/* engines, entities, run queue; irq-safe */
	const struct tessera_sched_policy *policy;
	struct list_head runqueue;
	struct tessera_engine engines[TESSERA_MAX_ENGINES];
	unsigned int num_engines;
	wait_queue_head_t idle_wq;
	u64 timeslice_ns;
};

int tessera_sched_init(struct tessera_device *tdev);
void tessera_sched_fini(struct tessera_device *tdev);
void tessera_sched_entity_init(struct tessera_sched_entity *se, struct tessera_ctx *ctx);
void tessera_sched_entity_reset(struct tessera_sched_entity *se);
void tessera_sched_set_weight(struct tessera_sched *sched, struct tessera_sched_entity *se,
			      u32 weight);

bool tessera_sched_can_run(struct tessera_sched_entity *se);
void tessera_sched_kick(struct tessera_sched *sched, struct tessera_sched_entity *se);
void tessera_sched_ctx_stopped(struct tessera_sched *sched, struct tessera_sched_entity *se);
int tessera_sched_detach(struct tessera_sched *sched, struct tessera_sched_entity *se);
void tessera_sched_attach(struct tessera_sched *sched, struct tessera_sched_entity *se);
void tessera_sched_engine_irq(struct tessera_sched *sched, unsigned int engine, u32 status);
void tessera_sched_dump(struct tessera_sched *sched, struct seq_file *m);

extern const struct tessera_sched_policy tessera_sched_policy_rr;

#endif /* TESSERA_SCHED_H */
