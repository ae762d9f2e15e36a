/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera engine scheduler: which context runs on which engine, and when.
 *
 * Each engine has a run queue (struct tessera_runqueue, the pure policy
 * core in tessera_policy.c). A context is placed on one engine when it is
 * attached and time-slices there with the other contexts of that engine,
 * charged with the busy time the card itself counted.
 */
#ifndef TESSERA_SCHED_H
#define TESSERA_SCHED_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "tessera_core.h"
#include "tessera_hw.h"
#include "tessera_policy.h"

struct seq_file;
struct tessera_ctx;
struct tessera_device;
struct tessera_engine;
struct tessera_sched;

/**
 * enum tessera_switch_kind - why the driver asked an engine to switch
 * @TESSERA_SWITCH_PICKUP: the engine had nothing loaded and work came
 * @TESSERA_SWITCH_SLICE_END: the loaded context's slice ended, work left
 * @TESSERA_SWITCH_IDLE: the loaded context ran out of work
 * @TESSERA_SWITCH_FAULT: the loaded context faulted (the watchdog too)
 * @TESSERA_SWITCH_DETACH: the loaded context is being reset or removed
 * @TESSERA_SWITCH_THROTTLE: fixed share: every budget is spent
 * @TESSERA_SWITCH_KINDS: the number of kinds
 */
enum tessera_switch_kind {
	TESSERA_SWITCH_PICKUP,
	TESSERA_SWITCH_SLICE_END,
	TESSERA_SWITCH_IDLE,
	TESSERA_SWITCH_FAULT,
	TESSERA_SWITCH_DETACH,
	TESSERA_SWITCH_THROTTLE,
	TESSERA_SWITCH_KINDS,
};

/**
 * struct tessera_sched_entity - a context as the scheduler sees it
 * @ctx: the context
 * @pe: its entry in its engine's run queue
 * @home: the engine whose run queue holds it, NULL when detached
 * @engine: engine the context is loaded on, or being switched to
 * @leaving: engine that still has the context loaded while switching away
 * @has_work: submitted work not known to be finished
 * @stopped: faulted, detached or being torn down: never picked
 * @stop_kind: TESSERA_SWITCH_FAULT or _DETACH, why @stopped was set
 * @attached_once: attached at least once since allocation (so the next
 *	detach is a reset)
 * @weight: share of engine time relative to the other entities
 * @busy_seen: the card's CTX_BUSY_NS when last charged
 * @busy_base: CTX_BUSY_NS when the context was allocated
 * @cmds_base: CTX_CMDS_DONE when the context was allocated
 * @preempt_base: CTX_PREEMPTIONS when the context was allocated
 * @snap_seq: switches of its engine when @snap_busy_ns was taken
 * @snap_busy_ns: its busy time at the last switch done on its engine
 * @stats: counters
 *
 * All fields except @ctx are protected by the scheduler's lock.
 */
struct tessera_sched_entity {
	struct tessera_ctx *ctx;
	struct tessera_policy_entity pe;
	struct tessera_engine *home;
	struct tessera_engine *engine;
	struct tessera_engine *leaving;
	bool has_work;
	bool stopped;
	u8 stop_kind;
	bool attached_once;
	u32 weight;
	u64 busy_seen;
	u64 busy_base;
	u32 cmds_base;
	u32 preempt_base;
	u64 snap_seq;
	u64 snap_busy_ns;
	struct tessera_sched_stats stats;
};

#define TESSERA_SWITCH_LAT_SAMPLES	4096

/**
 * struct tessera_engine - one engine of the card
 * @sched: the scheduler
 * @id: engine number
 * @rq: the run queue of the contexts placed on this engine
 * @nr_entities: contexts placed on this engine
 * @total_weight: their summed weight, for placing the next one
 * @current_se: context loaded or being loaded, NULL when stopped
 * @switching: an ENG_SUBMIT is in flight, ENG_INT_SWITCHED not seen yet
 * @throttled: fixed share: left idle until the next period
 * @next_slice_ns: slice of the context being switched in
 * @slice_timer: ends the current slice (or the throttled wait)
 * @switches: switches this driver requested
 * @slice_ends: slices that ran out
 * @bound_stops: slices the card's own bound ended (the host's timer was late)
 * @resyncs: times the card ran another context than the driver believed
 * @idle_waits: times fixed share left the engine idle with work waiting
 * @sched_ns: host time spent deciding (the scheduler's CPU overhead)
 * @decisions: scheduling decisions taken
 * @timer_fires: slice timer expiries handled
 * @timer_late_sum_ns: how late they ran in all (host timer latency)
 * @timer_late_max_ns: the latest one
 * @lat_ns: ENG_SWITCH_LAT_NS of recent switches (ring buffer)
 * @lat_preempted: whether that switch stopped a command midway
 * @lat_kind: enum tessera_switch_kind of that switch
 * @switch_kind: kind of the switch in flight
 * @lat_count: samples written to @lat_ns, ever
 * @hw_preemptions: ENG_PREEMPTIONS at the last switch
 *
 * Fields are protected by the scheduler's lock.
 */
struct tessera_engine {
	struct tessera_sched *sched;
	u32 id;
	struct tessera_runqueue rq;
	unsigned int nr_entities;
	u32 total_weight;
	struct tessera_sched_entity *current_se;
	bool switching;
	bool throttled;
	u64 next_slice_ns;
	struct hrtimer slice_timer;
	u64 switches;
	u64 slice_ends;
	u64 bound_stops;
	u64 resyncs;
	u64 idle_waits;
	u64 sched_ns;
	u64 decisions;
	u64 timer_fires;
	u64 timer_late_sum_ns;
	u64 timer_late_max_ns;
	u32 lat_ns[TESSERA_SWITCH_LAT_SAMPLES];
	unsigned long lat_preempted[BITS_TO_LONGS(TESSERA_SWITCH_LAT_SAMPLES)];
	u8 lat_kind[TESSERA_SWITCH_LAT_SAMPLES];
	u8 switch_kind;
	u64 lat_count;
	u32 hw_preemptions;
};

/**
 * struct tessera_sched - scheduler of one card
 * @tdev: the card
 * @lock: protects the engines, the entities and the run queues; taken in
 *	interrupt context
 * @policy: policy of every engine's run queue
 * @slice_ns: configured slice
 * @preempt: switches may stop a command midway (else only at boundaries)
 * @watchdog_ns: the card's per-command bound, 0 = off
 * @engines: the card's engines
 * @num_engines: entries in @engines
 * @idle_wq: woken when a context leaves an engine
 * @sysfs_group: the per-card attributes are registered
 */
struct tessera_sched {
	struct tessera_device *tdev;
	spinlock_t lock;	/* engines, entities, run queues; irq-safe */
	enum tessera_policy_kind policy;
	u64 slice_ns;
	bool preempt;
	u64 watchdog_ns;
	struct tessera_engine engines[TESSERA_MAX_ENGINES];
	unsigned int num_engines;
	wait_queue_head_t idle_wq;
	bool sysfs_group;
};

int tessera_sched_init(struct tessera_device *tdev);
void tessera_sched_fini(struct tessera_device *tdev);
void tessera_sched_entity_init(struct tessera_sched_entity *se, struct tessera_ctx *ctx);
void tessera_sched_entity_reset(struct tessera_sched_entity *se);
int tessera_sched_set_weight(struct tessera_sched *sched, struct tessera_sched_entity *se,
			     u32 weight);
u32 tessera_sched_get_weight(struct tessera_sched *sched, struct tessera_sched_entity *se);

void tessera_sched_kick(struct tessera_sched *sched, struct tessera_sched_entity *se);
void tessera_sched_ctx_irq(struct tessera_sched *sched, struct tessera_sched_entity *se,
			   u32 status);
void tessera_sched_ctx_stopped(struct tessera_sched *sched, struct tessera_sched_entity *se);
int tessera_sched_detach(struct tessera_sched *sched, struct tessera_sched_entity *se);
void tessera_sched_attach(struct tessera_sched *sched, struct tessera_sched_entity *se);
void tessera_sched_engine_irq(struct tessera_sched *sched, unsigned int engine, u32 status);
void tessera_sched_dump(struct tessera_sched *sched, struct seq_file *m);
void tessera_sched_dump_latency(struct tessera_sched *sched, struct seq_file *m);
void tessera_sched_dump_snapshots(struct tessera_sched *sched, struct seq_file *m);

/* tessera_sched_sysfs.c: the card's files, <pci device>/tessera/ */
int tessera_sched_sysfs_init(struct tessera_device *tdev);
void tessera_sched_sysfs_fini(struct tessera_device *tdev);

/* setters shared by sysfs and module parameters */
int tessera_sched_set_policy(struct tessera_sched *sched, enum tessera_policy_kind kind);
int tessera_sched_set_slice(struct tessera_sched *sched, u64 slice_ns);
int tessera_sched_set_preempt(struct tessera_sched *sched, bool preempt);
void tessera_sched_set_watchdog(struct tessera_sched *sched, u64 watchdog_ns);
void tessera_sched_read_stats(struct tessera_sched *sched, struct tessera_sched_entity *se,
			      struct tessera_sched_stats *stats);

#endif /* TESSERA_SCHED_H */
