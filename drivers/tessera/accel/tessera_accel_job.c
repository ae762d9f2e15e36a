// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera accel: jobs, the scheduler, the hardware fences, recovery.
 *
 * A submit copies its commands out of the command BO into memory only the
 * kernel writes and the device reads (the back end's cmdbuf), audits that
 * copy and hands a job to the one drm_sched scheduler of the device. run_job
 * writes BATCH(copy) and FENCE(seqno, IRQ) into the ring; the interrupt
 * handler signals every in-flight job whose seqno the device's fence value
 * has reached.
 *
 * Hang detection: the card's own watchdog (TESSERA_REG_WATCHDOG_NS, set by
 * the host) is the primary mechanism. It turns a command that runs too
 * long into a TESSERA_FAULT_WATCHDOG fault, which reaches us as a fault
 * interrupt like any other card fault or mediator reject: the fault work
 * resets the context, fails the offending job (-ETIMEDOUT for a watchdog
 * fault, -EIO otherwise) and replays the jobs behind it, which keep their
 * fences. The drm_sched timeout (job_timeout_ms, longer than any sane
 * watchdog) is only the backstop for a device that stops interrupting: it
 * resets the context, fails the timed-out job with -ETIMEDOUT and cancels
 * the other jobs in the ring (-ECANCELED). Both run on one ordered
 * workqueue, so they never race each other.
 */
#include <linux/bitmap.h>
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>

#include "uapi/drm/tessera_accel.h"
#include "tessera_accel.h"
#include "tessera_accel_compat.h"
#include "tessera_audit.h"

unsigned int tessera_accel_job_timeout_ms = 30000;
module_param_named(job_timeout_ms, tessera_accel_job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms,
		 "Backstop for a device that stops interrupting, ms; the card watchdog detects hangs first (default 30000, 0 = none)");

/**
 * struct tessera_accel_job - one submit
 * @base: the scheduler's job
 * @adev: the device
 * @bos: the listed BOs, one reference each, held until the job is freed
 * @bo_count: entries in @bos
 * @cmds: the private copy of the commands
 * @cmds_dva: its device address
 * @cmds_size: its size, bytes
 * @cmd_count: commands in it
 * @hw_fence: signalled when the device has run the job; allocated at
 *	submit, initialised by run_job
 * @hw_inited: run_job initialised @hw_fence
 * @ring_pos: ring index of the job's BATCH entry
 * @node: in &tessera_accel_device.inflight
 */
struct tessera_accel_job {
	struct drm_sched_job base;
	struct tessera_accel_device *adev;
	struct drm_gem_object **bos;
	u32 bo_count;
	void *cmds;
	u64 cmds_dva;
	size_t cmds_size;
	u32 cmd_count;
	struct dma_fence *hw_fence;
	bool hw_inited;
	u32 ring_pos;
	struct list_head node;
};

static inline struct tessera_accel_job *to_tessera_job(struct drm_sched_job *job)
{
	return container_of(job, struct tessera_accel_job, base);
}

static const char *tessera_accel_fence_driver_name(struct dma_fence *fence)
{
	return "tessera_accel";
}

static const char *tessera_accel_fence_timeline_name(struct dma_fence *fence)
{
	return "tessera-ring";
}

static const struct dma_fence_ops tessera_accel_fence_ops = {
	.get_driver_name = tessera_accel_fence_driver_name,
	.get_timeline_name = tessera_accel_fence_timeline_name,
};

static void tessera_accel_job_free(struct tessera_accel_job *job)
{
	struct tessera_accel_device *adev = job->adev;
	u32 i;

	if (job->bos) {
		for (i = 0; i < job->bo_count; i++)
			if (job->bos[i])
				drm_gem_object_put(job->bos[i]);
		kvfree(job->bos);
	}
	if (job->cmds)
		adev->ops->cmdbuf_free(adev, job->cmds_size, job->cmds, job->cmds_dva);
	if (job->hw_inited)
		dma_fence_put(job->hw_fence);
	else
		kfree(job->hw_fence);
	kfree(job);
	if (atomic_dec_and_test(&adev->jobs_alive))
		wake_up_all(&adev->jobs_wq);
}

/* Finish a job of the in-flight list with @err, recorded in its BOs first. */
static void tessera_accel_job_fail_locked(struct tessera_accel_job *job, int err)
{
	u32 i;

	lockdep_assert_held(&job->adev->fence_lock);
	list_del_init(&job->node);
	for (i = 0; i < job->bo_count; i++)
		WRITE_ONCE(to_tessera_bo(job->bos[i])->job_error, err);
	dma_fence_set_error(job->hw_fence, err);
	dma_fence_signal_locked(job->hw_fence);
}

/* Signal the jobs the device's fence value has reached. Device present. */
static void tessera_accel_signal_locked(struct tessera_accel_device *adev)
{
	struct tessera_accel_job *job, *tmp;
	u64 done;

	lockdep_assert_held(&adev->fence_lock);
	if (list_empty(&adev->inflight))
		return;
	done = adev->ops->fence_value(adev);
	/* A value never handed out is a device gone wrong, not progress. */
	if (done > adev->seqno) {
		dev_warn_ratelimited(adev->drm.dev, "fence value %llu beyond the last seqno %llu\n",
				     done, adev->seqno);
		return;
	}
	list_for_each_entry_safe(job, tmp, &adev->inflight, node) {
		if (job->hw_fence->seqno > done)
			break;
		list_del_init(&job->node);
		dma_fence_signal_locked(job->hw_fence);
		atomic64_inc(&adev->jobs_done);
	}
}

/**
 * tessera_accel_signal() - signal the jobs the device has completed
 * @adev: the device
 *
 * For the back end's interrupt handler; any context.
 */
void tessera_accel_signal(struct tessera_accel_device *adev)
{
	unsigned long flags;

	spin_lock_irqsave(&adev->fence_lock, flags);
	tessera_accel_signal_locked(adev);
	spin_unlock_irqrestore(&adev->fence_lock, flags);
}
EXPORT_SYMBOL_NS_GPL(tessera_accel_signal, TESSERA_ACCEL);

/**
 * tessera_accel_fault() - the device's context stopped on a fault
 * @adev: the device
 *
 * For the back end's interrupt handler; any context. Recovery runs later
 * on &tessera_accel_device.reset_wq.
 */
void tessera_accel_fault(struct tessera_accel_device *adev)
{
	queue_work(adev->reset_wq, &adev->fault_work);
}
EXPORT_SYMBOL_NS_GPL(tessera_accel_fault, TESSERA_ACCEL);

/* The in-flight job whose ring entries hold @index; else the oldest one. */
static struct tessera_accel_job *tessera_accel_find_job_locked(struct tessera_accel_device *adev,
							       u32 index)
{
	u32 mask = adev->ring_entries - 1;
	struct tessera_accel_job *job;

	list_for_each_entry(job, &adev->inflight, node)
		if (((index - job->ring_pos) & mask) < TESSERA_ACCEL_JOB_ENTRIES)
			return job;
	return list_first_entry_or_null(&adev->inflight, struct tessera_accel_job, node);
}

/*
 * Before the reset: a mediator reject stops the ring at the rejected entry
 * only, and the jobs before it still run. Give them the time of a job.
 */
static void tessera_accel_fault_drain(struct tessera_accel_device *adev)
{
	struct tessera_accel_fault fault;
	struct tessera_accel_job *bad;
	struct dma_fence *prev = NULL;
	unsigned long flags;
	int idx;

	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	if (adev->ops->read_fault(adev, &fault)) {
		spin_lock_irqsave(&adev->fence_lock, flags);
		tessera_accel_signal_locked(adev);
		bad = tessera_accel_find_job_locked(adev, fault.index);
		if (bad && !list_is_first(&bad->node, &adev->inflight))
			prev = dma_fence_get(list_prev_entry(bad, node)->hw_fence);
		spin_unlock_irqrestore(&adev->fence_lock, flags);
	}
	drm_dev_exit(idx);
	if (prev) {
		dma_fence_wait_timeout(prev, false,
				       msecs_to_jiffies(tessera_accel_job_timeout_ms ?: 1000));
		dma_fence_put(prev);
	}
}

static void tessera_accel_fault_work(struct work_struct *work)
{
	struct tessera_accel_device *adev =
		container_of(work, struct tessera_accel_device, fault_work);
	struct tessera_accel_fault fault;
	struct tessera_accel_job *job, *bad;
	unsigned long flags;
	int idx, err;

	tessera_accel_fault_drain(adev);
	if (!drm_dev_enter(&adev->drm, &idx))
		return;
	mutex_lock(&adev->ring_lock);
	if (adev->dead || !adev->ops->read_fault(adev, &fault))
		goto out;

	spin_lock_irqsave(&adev->fence_lock, flags);
	tessera_accel_signal_locked(adev);
	spin_unlock_irqrestore(&adev->fence_lock, flags);
	adev->ops->reset(adev);
	atomic64_inc(&adev->resets);

	err = fault.code == TESSERA_FAULT_WATCHDOG ? -ETIMEDOUT : -EIO;
	spin_lock_irqsave(&adev->fence_lock, flags);
	tessera_accel_signal_locked(adev);
	bad = tessera_accel_find_job_locked(adev, fault.index);
	if (bad) {
		dev_warn_ratelimited(adev->drm.dev,
				     "job %llu faulted: code 0x%x at ring index %u, address 0x%llx\n",
				     bad->hw_fence->seqno, fault.code, fault.index, fault.addr);
		tessera_accel_job_fail_locked(bad, err);
	} else {
		dev_warn_ratelimited(adev->drm.dev, "fault 0x%x with no job in flight\n",
				     fault.code);
	}
	/* The reset emptied the ring: the jobs behind the bad one run again. */
	list_for_each_entry(job, &adev->inflight, node)
		job->ring_pos = adev->ops->push_job(adev, job->cmds_dva, job->cmd_count,
						    job->hw_fence->seqno);
	spin_unlock_irqrestore(&adev->fence_lock, flags);
out:
	mutex_unlock(&adev->ring_lock);
	drm_dev_exit(idx);
}

static struct dma_fence *tessera_accel_run_job(struct drm_sched_job *sched_job)
{
	struct tessera_accel_job *job = to_tessera_job(sched_job);
	struct tessera_accel_device *adev = job->adev;
	struct dma_fence *fence;
	unsigned long flags;
	int idx;

	if (unlikely(sched_job->s_fence->finished.error))
		return NULL;
	/* Only the fault work replays a job: the scheduler runs it once. */
	if (WARN_ON(job->hw_inited))
		return ERR_PTR(-EINVAL);
	if (!drm_dev_enter(&adev->drm, &idx))
		return ERR_PTR(-ENODEV);
	mutex_lock(&adev->ring_lock);
	if (adev->dead) {
		fence = ERR_PTR(-ENODEV);
		goto out;
	}
	spin_lock_irqsave(&adev->fence_lock, flags);
	dma_fence_init(job->hw_fence, &tessera_accel_fence_ops, &adev->fence_lock,
		       adev->fence_ctx, ++adev->seqno);
	job->hw_inited = true;
	/* In the list before the doorbell, so that no completion is missed. */
	list_add_tail(&job->node, &adev->inflight);
	job->ring_pos = adev->ops->push_job(adev, job->cmds_dva, job->cmd_count,
					    job->hw_fence->seqno);
	spin_unlock_irqrestore(&adev->fence_lock, flags);
	fence = dma_fence_get(job->hw_fence);
out:
	mutex_unlock(&adev->ring_lock);
	drm_dev_exit(idx);
	return fence;
}

static enum drm_gpu_sched_stat tessera_accel_timedout_job(struct drm_sched_job *sched_job)
{
	struct tessera_accel_job *bad = to_tessera_job(sched_job);
	struct tessera_accel_device *adev = bad->adev;
	struct tessera_accel_job *job, *tmp;
	unsigned long flags;
	bool present;
	int idx;

	/* No run_job from here on: nothing new enters the ring. */
	drm_sched_wqueue_stop(&adev->sched);
	mutex_lock(&adev->ring_lock);
	present = !adev->dead && drm_dev_enter(&adev->drm, &idx);
	if (present) {
		spin_lock_irqsave(&adev->fence_lock, flags);
		tessera_accel_signal_locked(adev);
		spin_unlock_irqrestore(&adev->fence_lock, flags);
		adev->ops->reset(adev);
		atomic64_inc(&adev->resets);
	}
	spin_lock_irqsave(&adev->fence_lock, flags);
	if (present)
		tessera_accel_signal_locked(adev);
	if (bad->hw_inited && !list_empty(&bad->node))
		drm_warn(&adev->drm, "job %llu timed out with no interrupt: context reset\n",
			 bad->hw_fence->seqno);
	list_for_each_entry_safe(job, tmp, &adev->inflight, node)
		tessera_accel_job_fail_locked(job, job == bad ? -ETIMEDOUT : -ECANCELED);
	spin_unlock_irqrestore(&adev->fence_lock, flags);
	if (present)
		drm_dev_exit(idx);
	mutex_unlock(&adev->ring_lock);

	/*
	 * Every job in the scheduler's list has its hardware fence signalled:
	 * drm_sched_stop() frees them (the bad one after we return) and
	 * drm_sched_start() rearms the timeout and restarts run_job.
	 */
	drm_sched_stop(&adev->sched, sched_job);
#ifdef TESSERA_ACCEL_HAVE_SCHED_START_ERRNO
	drm_sched_start(&adev->sched, 0);
#else
	drm_sched_start(&adev->sched);
#endif
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void tessera_accel_free_job(struct drm_sched_job *sched_job)
{
	drm_sched_job_cleanup(sched_job);
	tessera_accel_job_free(to_tessera_job(sched_job));
}

static const struct drm_sched_backend_ops tessera_accel_sched_ops = {
	.run_job = tessera_accel_run_job,
	.timedout_job = tessera_accel_timedout_job,
	.free_job = tessera_accel_free_job,
};

int tessera_accel_sched_init(struct tessera_accel_device *adev)
{
	long timeout = tessera_accel_job_timeout_ms ?
		       msecs_to_jiffies(tessera_accel_job_timeout_ms) : MAX_SCHEDULE_TIMEOUT;
	/* A job takes two entries; one entry stays free so tail never meets head. */
	u32 credits = adev->ring_entries - 1;
#ifdef TESSERA_ACCEL_HAVE_SCHED_INIT_ARGS
	struct drm_sched_init_args args = {
		.ops = &tessera_accel_sched_ops,
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
		.credit_limit = credits,
		.timeout = timeout,
		.name = dev_name(adev->drm.dev),
		.dev = adev->drm.dev,
	};
#endif
	int ret;

	adev->reset_wq = alloc_ordered_workqueue("tessera-accel-reset", 0);
	if (!adev->reset_wq)
		return -ENOMEM;
	INIT_WORK(&adev->fault_work, tessera_accel_fault_work);
	adev->fence_ctx = dma_fence_context_alloc(1);
#ifdef TESSERA_ACCEL_HAVE_SCHED_INIT_ARGS
	args.timeout_wq = adev->reset_wq;
	ret = drm_sched_init(&adev->sched, &args);
#else
	ret = drm_sched_init(&adev->sched, &tessera_accel_sched_ops, NULL,
			     DRM_SCHED_PRIORITY_COUNT, credits, 0, timeout, adev->reset_wq,
			     NULL, dev_name(adev->drm.dev), adev->drm.dev);
#endif
	if (ret) {
		destroy_workqueue(adev->reset_wq);
		adev->reset_wq = NULL;
	}
	return ret;
}

void tessera_accel_sched_fini(struct tessera_accel_device *adev)
{
	drm_sched_fini(&adev->sched);
	destroy_workqueue(adev->reset_wq);
}

/**
 * tessera_accel_cancel_all() - the device is going: stop and fail its jobs
 * @adev: the device, unplugged but still present
 *
 * Jobs not yet in the ring finish with an error when the scheduler reaches
 * them (run_job sees @adev->dead).
 */
void tessera_accel_cancel_all(struct tessera_accel_device *adev)
{
	struct tessera_accel_job *job, *tmp;
	unsigned long flags;

	drm_sched_wqueue_stop(&adev->sched);
	cancel_work_sync(&adev->fault_work);
	mutex_lock(&adev->ring_lock);
	adev->dead = true;
	/* Stop the device before the fences say its BOs are free. */
	adev->ops->reset(adev);
	spin_lock_irqsave(&adev->fence_lock, flags);
	list_for_each_entry_safe(job, tmp, &adev->inflight, node)
		tessera_accel_job_fail_locked(job, -ECANCELED);
	spin_unlock_irqrestore(&adev->fence_lock, flags);
	mutex_unlock(&adev->ring_lock);
	drm_sched_wqueue_start(&adev->sched);
}

/* Copy @len bytes at @offset of a BO whose pages are held. */
static void tessera_accel_copy_from_bo(struct drm_gem_shmem_object *shmem, u64 offset,
				       void *dst, size_t len)
{
	while (len) {
		size_t off = offset & ~PAGE_MASK;
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		void *src = kmap_local_page(shmem->pages[offset >> PAGE_SHIFT]);

		memcpy(dst, src + off, n);
		kunmap_local(src);
		dst += n;
		offset += n;
		len -= n;
	}
}

/* The listed BO that holds the whole range, or -1. */
static int tessera_accel_find_bo(const struct tessera_accel_job *job,
				 const struct tessera_audit_range *r)
{
	u32 i;

	for (i = 0; i < job->bo_count; i++) {
		const struct tessera_accel_bo *bo = to_tessera_bo(job->bos[i]);
		u64 start = bo->node.start, size = bo->base.base.size;

		if (bo->bound && r->addr >= start && r->addr - start < size &&
		    r->len <= size - (r->addr - start))
			return i;
	}
	return -1;
}

/*
 * Audit the private copy: the card's rules (tessera_audit_cmd), no BATCH, no
 * fence interrupt, and every range wholly in one listed BO, written ones in
 * a BO the device may write. Marks the BOs written in @written.
 */
static int tessera_accel_audit(struct tessera_accel_job *job, unsigned long *written)
{
	const struct tessera_audit_env *env = &job->adev->audit_env;
	const struct tessera_cmd *cmds = job->cmds;
	struct tessera_audit_result res;
	unsigned int r;
	u32 i;
	int b;

	for (i = 0; i < job->cmd_count; i++) {
		const struct tessera_cmd *cmd = &cmds[i];

		if (tessera_audit_cmd(env, cmd, 0, &res))
			return -EINVAL;
		if (cmd->opcode == TESSERA_OP_BATCH)
			return -EINVAL;
		if (cmd->opcode == TESSERA_OP_FENCE && (cmd->flags & TESSERA_FENCE_IRQ))
			return -EINVAL;
		for (r = 0; r < res.nr_ranges; r++) {
			const struct tessera_audit_range *range = &res.ranges[r];

			if (tessera_audit_space(range->addr) != TESSERA_AUDIT_BOUND)
				return -EINVAL;
			b = tessera_accel_find_bo(job, range);
			if (b < 0)
				return -EINVAL;
			if (!range->write)
				continue;
			if (to_tessera_bo(job->bos[b])->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY)
				return -EINVAL;
			__set_bit(b, written);
		}
	}
	return 0;
}

/* Look up the BOs, copy the commands into the private buffer. */
static int tessera_accel_job_prepare(struct tessera_accel_job *job, struct drm_file *file,
				     const struct drm_tessera_submit *args)
{
	struct tessera_accel_device *adev = job->adev;
	struct drm_gem_object *obj;
	u64 end;
	int ret;

	if (args->bo_count) {
		job->bo_count = args->bo_count;
		ret = drm_gem_objects_lookup(file, u64_to_user_ptr(args->bo_handles),
					     args->bo_count, &job->bos);
		if (ret)
			return ret;
	}

	obj = drm_gem_object_lookup(file, args->cmd_handle);
	if (!obj)
		return -ENOENT;
	ret = -EINVAL;
	if (!to_tessera_bo(obj)->bound ||
	    check_add_overflow(args->cmd_offset, job->cmds_size, &end) || end > obj->size)
		goto out;
	ret = -ENOMEM;
	job->cmds = adev->ops->cmdbuf_alloc(adev, job->cmds_size, &job->cmds_dva);
	if (!job->cmds)
		goto out;
	/* The user may still write the BO: only this copy is audited and run. */
	tessera_accel_copy_from_bo(to_drm_gem_shmem_obj(obj), args->cmd_offset, job->cmds,
				   job->cmds_size);
	ret = 0;
out:
	drm_gem_object_put(obj);
	return ret;
}

static int tessera_accel_add_in_syncobjs(struct tessera_accel_job *job, struct drm_file *file,
					 const struct drm_tessera_submit *args)
{
	u32 *handles;
	u32 i;
	int ret = 0;

	if (!args->in_syncobj_count)
		return 0;
	handles = memdup_array_user(u64_to_user_ptr(args->in_syncobjs),
				    args->in_syncobj_count, sizeof(*handles));
	if (IS_ERR(handles))
		return PTR_ERR(handles);
	for (i = 0; i < args->in_syncobj_count && !ret; i++)
		ret = drm_sched_job_add_syncobj_dependency(&job->base, file, handles[i], 0);
	kfree(handles);
	return ret;
}

/* Lock the BOs, wait for their earlier users as the job uses them, queue. */
static int tessera_accel_job_push(struct tessera_accel_job *job, const unsigned long *written,
				  struct dma_fence **out)
{
	struct tessera_accel_device *adev = job->adev;
	struct ww_acquire_ctx acquire;
	struct dma_fence *finished;
	u32 i;
	int ret;

	ret = drm_gem_lock_reservations(job->bos, job->bo_count, &acquire);
	if (ret)
		return ret == -EALREADY ? -EINVAL : ret;	/* a BO listed twice */
	for (i = 0; i < job->bo_count; i++) {
		ret = dma_resv_reserve_fences(job->bos[i]->resv, 1);
		if (ret)
			goto unlock;
		ret = drm_sched_job_add_implicit_dependencies(&job->base, job->bos[i],
							      test_bit(i, written));
		if (ret)
			goto unlock;
	}

	mutex_lock(&adev->submit_lock);
	drm_sched_job_arm(&job->base);
	finished = dma_fence_get(&job->base.s_fence->finished);
	for (i = 0; i < job->bo_count; i++)
		dma_resv_add_fence(job->bos[i]->resv, finished,
				   test_bit(i, written) ? DMA_RESV_USAGE_WRITE :
							  DMA_RESV_USAGE_READ);
	drm_gem_unlock_reservations(job->bos, job->bo_count, &acquire);
	/* From here the job may run and be freed at any time. */
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&adev->submit_lock);
	*out = finished;
	return 0;

unlock:
	drm_gem_unlock_reservations(job->bos, job->bo_count, &acquire);
	return ret;
}

int tessera_accel_submit_ioctl(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct tessera_accel_device *adev = to_tessera_accel(drm);
	struct tessera_accel_file *fpriv = file->driver_priv;
	struct drm_tessera_submit *args = data;
	struct drm_syncobj *out_sync = NULL;
	struct tessera_accel_job *job;
	struct dma_fence *finished;
	unsigned long *written;
	bool sched_inited = false;
	int ret;

	if (args->flags || args->reserved)
		return -EINVAL;
	if (!args->cmd_count || args->cmd_count > TESSERA_ACCEL_MAX_CMDS)
		return -EINVAL;
	if (args->bo_count > TESSERA_ACCEL_MAX_BOS ||
	    args->in_syncobj_count > TESSERA_ACCEL_MAX_SYNCOBJS)
		return -EINVAL;
	if (!IS_ALIGNED(args->cmd_offset, TESSERA_CMD_SIZE))
		return -EINVAL;

	written = bitmap_zalloc(TESSERA_ACCEL_MAX_BOS, GFP_KERNEL);
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!written || !job) {
		bitmap_free(written);
		kfree(job);
		return -ENOMEM;
	}
	atomic_inc(&adev->jobs_alive);
	job->adev = adev;
	INIT_LIST_HEAD(&job->node);
	job->cmd_count = args->cmd_count;
	job->cmds_size = (size_t)args->cmd_count * TESSERA_CMD_SIZE;
	/* Allocated here: run_job is in the fence signalling path. */
	job->hw_fence = kzalloc(sizeof(*job->hw_fence), GFP_KERNEL);
	ret = -ENOMEM;
	if (!job->hw_fence)
		goto err;

	ret = tessera_accel_job_prepare(job, file, args);
	if (ret)
		goto err;
	ret = tessera_accel_audit(job, written);
	if (ret)
		goto err;

#ifdef TESSERA_ACCEL_HAVE_JOB_INIT_CLIENT_ID
	ret = drm_sched_job_init(&job->base, &fpriv->entity, TESSERA_ACCEL_JOB_ENTRIES, fpriv,
				 file->client_id);
#else
	ret = drm_sched_job_init(&job->base, &fpriv->entity, TESSERA_ACCEL_JOB_ENTRIES, fpriv);
#endif
	if (ret)
		goto err;
	sched_inited = true;

	ret = tessera_accel_add_in_syncobjs(job, file, args);
	if (ret)
		goto err;
	if (args->out_syncobj) {
		out_sync = drm_syncobj_find(file, args->out_syncobj);
		ret = -ENOENT;
		if (!out_sync)
			goto err;
	}

	ret = tessera_accel_job_push(job, written, &finished);
	if (ret)
		goto err;
	bitmap_free(written);
	if (out_sync) {
		drm_syncobj_replace_fence(out_sync, finished);
		drm_syncobj_put(out_sync);
	}
	dma_fence_put(finished);
	return 0;

err:
	if (out_sync)
		drm_syncobj_put(out_sync);
	if (sched_inited)
		drm_sched_job_cleanup(&job->base);
	tessera_accel_job_free(job);
	bitmap_free(written);
	return ret;
}
