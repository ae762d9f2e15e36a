/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera accel: the DRM accel driver's core (DRM, GEM, scheduler, fences)
 * and the back-end ops a device type implements under it.
 *
 * The core (tessera_accel_drv.c, tessera_accel_job.c) knows nothing of
 * registers: a back end (today only the vGPU virtual function,
 * tessera_accel_vf.c) binds BO pages at device addresses, writes jobs into
 * its ring, reads the completed fence value, resets its context and reports
 * completions and faults by calling tessera_accel_signal() and
 * tessera_accel_fault(). A second back end (the physical card on the host,
 * as an auxiliary driver of tessera.ko) fills in the same table.
 */
#ifndef TESSERA_ACCEL_H
#define TESSERA_ACCEL_H

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/drm_device.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_mm.h>
#include <drm/gpu_scheduler.h>

#include "tessera_audit.h"
#include "tessera_hw.h"

#define TESSERA_ACCEL_MAX_CMDS		1024
#define TESSERA_ACCEL_MAX_BOS		256
#define TESSERA_ACCEL_MAX_SYNCOBJS	64
#define TESSERA_ACCEL_MAX_BO_SIZE	(256ull << 20)
/* Ring entries one job takes: BATCH(its commands) and FENCE(its seqno). */
#define TESSERA_ACCEL_JOB_ENTRIES	2

struct sg_table;
struct tessera_accel_device;

/**
 * struct tessera_accel_fault - why a back end's context stopped
 * @code: TESSERA_FAULT_* or TESSERA_VF_REJECT_*
 * @index: ring index of the offending entry
 * @addr: offending address or value
 */
struct tessera_accel_fault {
	u32 code;
	u32 index;
	u64 addr;
};

/**
 * struct tessera_accel_backend_ops - what the core needs of a device
 * @bind: make @sgt's pages (DMA-mapped for the DRM device, or unmapped for
 *	a back end with &tessera_accel_device.dma_self) the device range
 *	[@dva, @dva + @size); @writable lets commands write it. Sleeps. Undoes
 *	a partial bind itself on failure.
 * @unbind: drop a range @bind made; commands still using it fault. Sleeps.
 * @cmdbuf_alloc: memory of @size bytes the device can read commands from;
 *	returns the CPU address and its device address in @dva, or NULL
 * @cmdbuf_free: free what @cmdbuf_alloc gave
 * @push_job: write BATCH(@dva, @count) and FENCE(@seqno, IRQ) at the ring's
 *	tail and ring the doorbell; return the ring index of the BATCH.
 *	Called with &tessera_accel_device.ring_lock held; the core never has
 *	more than &tessera_accel_device.ring_entries - 1 entries in flight.
 * @fence_value: the seqno of the last job FENCE (@push_job's) the device
 *	executed; never a value user commands can set. Called with
 *	&tessera_accel_device.fence_lock held (any context).
 * @read_fault: whether the context is stopped by a fault, and why
 * @reset: reset the context: drop queued work, clear a fault; the ring
 *	stays configured, empty (the next @push_job writes at index 0) and
 *	bindings stay. Called with &tessera_accel_device.ring_lock held.
 * @busy_ns: card time the context has run
 * @weight: the context's scheduling weight
 * @teardown: the device is going: drop every binding, reset, deconfigure
 *	the ring, stop interrupts. No op is called after it.
 *
 * Every op but @cmdbuf_free and @teardown touches the device and is called
 * only while it is present (inside drm_dev_enter() or before
 * tessera_accel_unplug()).
 */
struct tessera_accel_backend_ops {
	int (*bind)(struct tessera_accel_device *adev, u64 dva, u64 size,
		    struct sg_table *sgt, bool writable);
	void (*unbind)(struct tessera_accel_device *adev, u64 dva, u64 size);
	void *(*cmdbuf_alloc)(struct tessera_accel_device *adev, size_t size, u64 *dva);
	void (*cmdbuf_free)(struct tessera_accel_device *adev, size_t size, void *cpu,
			    u64 dva);
	u32 (*push_job)(struct tessera_accel_device *adev, u64 dva, u32 count, u64 seqno);
	u64 (*fence_value)(struct tessera_accel_device *adev);
	bool (*read_fault)(struct tessera_accel_device *adev, struct tessera_accel_fault *fault);
	void (*reset)(struct tessera_accel_device *adev);
	u64 (*busy_ns)(struct tessera_accel_device *adev);
	u32 (*weight)(struct tessera_accel_device *adev);
	void (*teardown)(struct tessera_accel_device *adev);
};

/**
 * struct tessera_accel_device - one accel node
 * @drm: the DRM device; embedded in the back end's own structure
 * @ops: the back end
 * @device_id: DRM_TESSERA_PARAM_DEVICE_ID
 * @backend: DRM_TESSERA_BACKEND_*
 * @dma_self: the back end's DMA device is not the DRM device's: BO pages
 *	reach @ops->bind unmapped, and the back end maps them itself
 * @ring_entries: the back end's ring size, set before tessera_accel_register()
 * @dva_start: first device address BOs may get
 * @dva_end: end of the BO device addresses
 * @audit_env: what the device's commands may reach (tessera_audit_cmd())
 * @mm: the device address space, shared by every file of the device
 * @mm_lock: protects @mm
 * @sched: the one scheduler: one ring per device
 * @reset_wq: ordered: fault recovery and the scheduler's timeout handler
 * @fault_work: recovery after a fault interrupt
 * @submit_lock: keeps drm_sched_job_arm() and push in order
 * @ring_lock: serialises the ring (push, reset, replay)
 * @fence_lock: protects @inflight and is the lock of the hardware fences
 * @inflight: jobs written into the ring whose fence has not signalled,
 *	oldest first
 * @fence_ctx: dma_fence context of the hardware fences
 * @seqno: last seqno given (under @ring_lock)
 * @dead: the device is gone (under @ring_lock)
 * @jobs_alive: jobs not yet freed
 * @jobs_wq: woken when @jobs_alive drops to zero
 * @jobs_done: DRM_TESSERA_PARAM_JOBS_DONE
 * @resets: DRM_TESSERA_PARAM_RESETS
 */
struct tessera_accel_device {
	struct drm_device drm;
	const struct tessera_accel_backend_ops *ops;
	u32 device_id;
	u32 backend;
	bool dma_self;
	u32 ring_entries;
	u64 dva_start;
	u64 dva_end;
	struct tessera_audit_env audit_env;

	struct drm_mm mm;
	struct mutex mm_lock;	/* protects mm */

	struct drm_gpu_scheduler sched;
	struct workqueue_struct *reset_wq;
	struct work_struct fault_work;
	struct mutex submit_lock;	/* arm + push order */
	struct mutex ring_lock;		/* the ring */
	spinlock_t fence_lock;		/* inflight list, hw fences */
	struct list_head inflight;
	u64 fence_ctx;
	u64 seqno;
	bool dead;

	atomic_t jobs_alive;
	wait_queue_head_t jobs_wq;
	atomic64_t jobs_done;
	atomic64_t resets;
};

static inline struct tessera_accel_device *to_tessera_accel(struct drm_device *drm)
{
	return container_of(drm, struct tessera_accel_device, drm);
}

/**
 * struct tessera_accel_bo - a GEM shmem BO with its device address
 * @base: the shmem object
 * @node: its device range (and a guard page after it) in &tessera_accel_device.mm
 * @flags: DRM_TESSERA_BO_*
 * @bound: the range is bound (pages and node valid)
 * @job_error: 0 or the error of the last job that used it and failed
 */
struct tessera_accel_bo {
	struct drm_gem_shmem_object base;
	struct drm_mm_node node;
	u32 flags;
	bool bound;
	int job_error;
};

static inline struct tessera_accel_bo *to_tessera_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct tessera_accel_bo, base);
}

/**
 * struct tessera_accel_file - one open file
 * @entity: its queue into &tessera_accel_device.sched
 */
struct tessera_accel_file {
	struct drm_sched_entity entity;
};

/**
 * tessera_accel_write_job() - a job's ring entries, for a back end's @push_job
 * @ring: the ring
 * @mask: its entries - 1
 * @pos: where the job's first entry goes
 * @dva: device address of the job's command copy
 * @count: commands in it
 * @fence_dva: device address of the back end's fence word
 * @seqno: the job's sequence number
 *
 * BATCH(@dva, @count), then FENCE(@fence_dva, @seqno) with the interrupt.
 *
 * Return: the ring index after the job.
 */
static inline u32 tessera_accel_write_job(struct tessera_cmd *ring, u32 mask, u32 pos, u64 dva,
					  u32 count, u64 fence_dva, u64 seqno)
{
	struct tessera_cmd cmd = {};

	cmd.opcode = TESSERA_OP_BATCH;
	cmd.arg[0] = dva;
	cmd.arg[1] = count;
	ring[pos] = cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = TESSERA_OP_FENCE;
	cmd.flags = TESSERA_FENCE_IRQ;
	cmd.arg[0] = fence_dva;
	cmd.arg[1] = seqno;
	ring[(pos + 1) & mask] = cmd;
	return (pos + TESSERA_ACCEL_JOB_ENTRIES) & mask;
}

/* tessera_accel_drv.c: for back ends */
void *tessera_accel_alloc(struct device *parent, size_t size, size_t offset);
/* Allocate a back end's @type, which embeds a struct tessera_accel_device at @member. */
#define tessera_accel_alloc_dev(parent, type, member) \
	((type *)tessera_accel_alloc(parent, sizeof(type), offsetof(type, member.drm)))
int tessera_accel_register(struct tessera_accel_device *adev);
void tessera_accel_unplug(struct tessera_accel_device *adev);

/* tessera_accel_job.c: for back ends, from their interrupt handler */
void tessera_accel_signal(struct tessera_accel_device *adev);
void tessera_accel_fault(struct tessera_accel_device *adev);

/* tessera_accel_job.c: for the core */
extern unsigned int tessera_accel_job_timeout_ms;
int tessera_accel_sched_init(struct tessera_accel_device *adev);
void tessera_accel_sched_fini(struct tessera_accel_device *adev);
void tessera_accel_cancel_all(struct tessera_accel_device *adev);
int tessera_accel_submit_ioctl(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* TESSERA_ACCEL_H */
