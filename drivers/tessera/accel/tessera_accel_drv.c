// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera accel: the DRM accel device, its BOs and its ioctls.
 *
 * One /dev/accel/accelN per device. A BO is a GEM shmem object whose pages
 * stay pinned and DMA-mapped for its life and which the back end binds at a
 * device address of the device's one address space (a drm_mm shared by all
 * files, a guard page after each BO). The BO's reservation object carries
 * the fences of the jobs that use it; BO_WAIT waits on it.
 */
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>
#include <drm/drm_utils.h>

#include "uapi/drm/tessera_accel.h"
#include "tessera_accel.h"

static void tessera_accel_bo_free(struct drm_gem_object *obj)
{
	struct tessera_accel_device *adev = to_tessera_accel(obj->dev);
	struct tessera_accel_bo *bo = to_tessera_bo(obj);
	int idx;

	/* After an unplug the back end's teardown dropped every binding. */
	if (bo->bound && drm_dev_enter(obj->dev, &idx)) {
		adev->ops->unbind(adev, bo->node.start, obj->size);
		drm_dev_exit(idx);
	}
	if (drm_mm_node_allocated(&bo->node)) {
		mutex_lock(&adev->mm_lock);
		drm_mm_remove_node(&bo->node);
		mutex_unlock(&adev->mm_lock);
	}
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs tessera_accel_bo_funcs = {
	.free = tessera_accel_bo_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

static struct drm_gem_object *tessera_accel_create_object(struct drm_device *drm, size_t size)
{
	struct tessera_accel_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->base.base.funcs = &tessera_accel_bo_funcs;
	return &bo->base.base;
}

/* The BO's pages, pinned: DMA-mapped for the DRM device, or for dma_self unmapped. */
static struct sg_table *tessera_accel_bo_pages(struct tessera_accel_device *adev,
					       struct drm_gem_shmem_object *shmem)
{
	int ret;

	if (!adev->dma_self)
		return drm_gem_shmem_get_pages_sgt(shmem);
	/* drm_gem_shmem_free() drops the pages this takes. */
	ret = drm_gem_shmem_pin(shmem);
	if (ret)
		return ERR_PTR(ret);
	return drm_prime_pages_to_sg(&adev->drm, shmem->pages, shmem->base.size >> PAGE_SHIFT);
}

static int tessera_accel_bo_create_ioctl(struct drm_device *drm, void *data,
					 struct drm_file *file)
{
	struct tessera_accel_device *adev = to_tessera_accel(drm);
	struct drm_tessera_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt = NULL;
	struct tessera_accel_bo *bo;
	u32 handle;
	int ret, idx;

	if (args->flags & ~DRM_TESSERA_BO_DEVICE_READ_ONLY)
		return -EINVAL;
	if (!args->size || args->size > TESSERA_ACCEL_MAX_BO_SIZE)
		return -EINVAL;

	shmem = drm_gem_shmem_create(drm, args->size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	bo = container_of(shmem, struct tessera_accel_bo, base);
	bo->flags = args->flags;

	/*
	 * Pinned (and DMA-mapped for the DRM device) until the BO is freed. A
	 * back end whose DMA device is another one gets the pages unmapped and
	 * maps them itself: two mappings of one page for write would overlap.
	 */
	sgt = tessera_accel_bo_pages(adev, shmem);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}

	mutex_lock(&adev->mm_lock);
	ret = drm_mm_insert_node_in_range(&adev->mm, &bo->node,
					  shmem->base.size + TESSERA_PAGE_SIZE, TESSERA_PAGE_SIZE,
					  0, adev->dva_start, adev->dva_end, DRM_MM_INSERT_BEST);
	mutex_unlock(&adev->mm_lock);
	if (ret)
		goto out;

	ret = -ENODEV;
	if (!drm_dev_enter(drm, &idx))
		goto out;
	ret = adev->ops->bind(adev, bo->node.start, shmem->base.size, sgt,
			      !(bo->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY));
	drm_dev_exit(idx);
	if (ret)
		goto out;
	bo->bound = true;

	ret = drm_gem_handle_create(file, &shmem->base, &handle);
	if (!ret) {
		args->handle = handle;
		args->dva = bo->node.start;
	}
out:
	/* The unmapped table was only for the bind: the back end has its own. */
	if (adev->dma_self && !IS_ERR_OR_NULL(sgt)) {
		sg_free_table(sgt);
		kfree(sgt);
	}
	/* The handle holds the BO now; without one this frees it. */
	drm_gem_object_put(&shmem->base);
	return ret;
}

static int tessera_accel_bo_mmap_offset_ioctl(struct drm_device *drm, void *data,
					      struct drm_file *file)
{
	struct drm_tessera_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

static int tessera_accel_bo_wait_ioctl(struct drm_device *drm, void *data,
				       struct drm_file *file)
{
	struct drm_tessera_bo_wait *args = data;
	struct drm_gem_object *obj;
	long timeout, ret;

	if (args->pad)
		return -EINVAL;
	/* Absolute CLOCK_MONOTONIC ns to a relative timeout; past = poll. */
	timeout = drm_timeout_abs_to_jiffies(args->timeout_ns);
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ, true, timeout);
	if (!ret)
		ret = -ETIME;
	else if (ret > 0)
		ret = 0;
	args->job_error = READ_ONCE(to_tessera_bo(obj)->job_error);
	args->pad2 = 0;
	drm_gem_object_put(obj);
	return ret;
}

static int tessera_accel_get_param_ioctl(struct drm_device *drm, void *data,
					 struct drm_file *file)
{
	struct tessera_accel_device *adev = to_tessera_accel(drm);
	struct drm_tessera_param *args = data;
	int idx;

	if (args->reserved)
		return -EINVAL;
	switch (args->param) {
	case DRM_TESSERA_PARAM_DEVICE_ID:
		args->value = adev->device_id;
		return 0;
	case DRM_TESSERA_PARAM_BACKEND:
		args->value = adev->backend;
		return 0;
	case DRM_TESSERA_PARAM_MAX_CMDS:
		args->value = TESSERA_ACCEL_MAX_CMDS;
		return 0;
	case DRM_TESSERA_PARAM_MAX_BO_SIZE:
		args->value = TESSERA_ACCEL_MAX_BO_SIZE;
		return 0;
	case DRM_TESSERA_PARAM_BUSY_NS:
	case DRM_TESSERA_PARAM_WEIGHT:
		if (!drm_dev_enter(drm, &idx))
			return -ENODEV;
		if (args->param == DRM_TESSERA_PARAM_BUSY_NS)
			args->value = adev->ops->busy_ns(adev);
		else
			args->value = adev->ops->weight(adev);
		drm_dev_exit(idx);
		return 0;
	case DRM_TESSERA_PARAM_JOBS_DONE:
		args->value = atomic64_read(&adev->jobs_done);
		return 0;
	case DRM_TESSERA_PARAM_RESETS:
		args->value = atomic64_read(&adev->resets);
		return 0;
	default:
		return -EINVAL;
	}
}

static int tessera_accel_open(struct drm_device *drm, struct drm_file *file)
{
	struct tessera_accel_device *adev = to_tessera_accel(drm);
	struct drm_gpu_scheduler *sched = &adev->sched;
	struct tessera_accel_file *fpriv;
	int ret;

	fpriv = kzalloc(sizeof(*fpriv), GFP_KERNEL);
	if (!fpriv)
		return -ENOMEM;
	ret = drm_sched_entity_init(&fpriv->entity, DRM_SCHED_PRIORITY_NORMAL, &sched, 1, NULL);
	if (ret) {
		kfree(fpriv);
		return ret;
	}
	file->driver_priv = fpriv;
	return 0;
}

static void tessera_accel_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct tessera_accel_file *fpriv = file->driver_priv;

	drm_sched_entity_destroy(&fpriv->entity);
	kfree(fpriv);
}

static const struct drm_ioctl_desc tessera_accel_ioctls[] = {
	DRM_IOCTL_DEF_DRV(TESSERA_GET_PARAM, tessera_accel_get_param_ioctl, 0),
	DRM_IOCTL_DEF_DRV(TESSERA_BO_CREATE, tessera_accel_bo_create_ioctl, 0),
	DRM_IOCTL_DEF_DRV(TESSERA_BO_MMAP_OFFSET, tessera_accel_bo_mmap_offset_ioctl, 0),
	DRM_IOCTL_DEF_DRV(TESSERA_SUBMIT, tessera_accel_submit_ioctl, 0),
	DRM_IOCTL_DEF_DRV(TESSERA_BO_WAIT, tessera_accel_bo_wait_ioctl, 0),
};

DEFINE_DRM_ACCEL_FOPS(tessera_accel_fops);

/* No PRIME import: every BO of the device is one BO_CREATE bound. */
static const struct drm_driver tessera_accel_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_COMPUTE_ACCEL | DRIVER_SYNCOBJ,
	.open = tessera_accel_open,
	.postclose = tessera_accel_postclose,
	.gem_create_object = tessera_accel_create_object,
	.ioctls = tessera_accel_ioctls,
	.num_ioctls = ARRAY_SIZE(tessera_accel_ioctls),
	.fops = &tessera_accel_fops,
	.name = "tessera_accel",
	.desc = "Tessera accelerator",
	.date = "20261201",
	.major = 1,
	.minor = 0,
};

/**
 * tessera_accel_alloc() - allocate a back end's structure with its device
 * @parent: the back end's device, which also does the BOs' DMA
 * @size: bytes of the back end's structure
 * @offset: where its struct tessera_accel_device (its drm member) lies
 *
 * Use tessera_accel_alloc_dev(). Freed with the DRM device (drmm).
 *
 * Return: the back end's structure or an ERR_PTR().
 */
void *tessera_accel_alloc(struct device *parent, size_t size, size_t offset)
{
	struct tessera_accel_device *adev;
	void *container;
	int ret;

	container = __devm_drm_dev_alloc(parent, &tessera_accel_drm_driver, size, offset);
	if (IS_ERR(container))
		return container;
	adev = container + offset;
	ret = drmm_mutex_init(&adev->drm, &adev->mm_lock);
	if (!ret)
		ret = drmm_mutex_init(&adev->drm, &adev->submit_lock);
	if (!ret)
		ret = drmm_mutex_init(&adev->drm, &adev->ring_lock);
	if (ret)
		return ERR_PTR(ret);
	spin_lock_init(&adev->fence_lock);
	INIT_LIST_HEAD(&adev->inflight);
	init_waitqueue_head(&adev->jobs_wq);
	atomic_set(&adev->jobs_alive, 0);
	atomic64_set(&adev->jobs_done, 0);
	atomic64_set(&adev->resets, 0);
	return container;
}
EXPORT_SYMBOL_NS_GPL(tessera_accel_alloc, TESSERA_ACCEL);

static void tessera_accel_mm_fini(struct drm_device *drm, void *data)
{
	struct tessera_accel_device *adev = to_tessera_accel(drm);

	drm_mm_takedown(&adev->mm);
}

/* Last reference to the DRM device: every file and BO is gone. */
static void tessera_accel_sched_release(struct drm_device *drm, void *data)
{
	tessera_accel_sched_fini(to_tessera_accel(drm));
}

/**
 * tessera_accel_register() - bring up the core and register the node
 * @adev: the device, its back-end fields filled in (@ops, @device_id,
 *	@backend, @ring_entries, @dva_start, @dva_end, @audit_env) and the back
 *	end ready for every op
 *
 * Return: 0 or a negative errno; on failure the back end tears itself down.
 */
int tessera_accel_register(struct tessera_accel_device *adev)
{
	int ret;

	if (WARN_ON(!is_power_of_2(adev->ring_entries) ||
		    adev->ring_entries < 2 * TESSERA_ACCEL_JOB_ENTRIES ||
		    adev->dva_end <= adev->dva_start))
		return -EINVAL;
	drm_mm_init(&adev->mm, adev->dva_start, adev->dva_end - adev->dva_start);
	ret = drmm_add_action_or_reset(&adev->drm, tessera_accel_mm_fini, NULL);
	if (ret)
		return ret;
	ret = tessera_accel_sched_init(adev);
	if (ret)
		return ret;
	ret = drmm_add_action_or_reset(&adev->drm, tessera_accel_sched_release, NULL);
	if (ret)
		return ret;
	return drm_dev_register(&adev->drm, 0);
}
EXPORT_SYMBOL_NS_GPL(tessera_accel_register, TESSERA_ACCEL);

/**
 * tessera_accel_unplug() - the device is going
 * @adev: the device, still present
 *
 * Unplugs the node (ioctls fail with -ENODEV, nothing more reaches the
 * device through the core), fails the jobs in flight with -ECANCELED, lets
 * the back end tear down and waits a while for the queued jobs to drain.
 * Open files keep the DRM device (and the scheduler) until they close.
 */
void tessera_accel_unplug(struct tessera_accel_device *adev)
{
	drm_dev_unplug(&adev->drm);
	tessera_accel_cancel_all(adev);
	adev->ops->teardown(adev);
	if (!wait_event_timeout(adev->jobs_wq, !atomic_read(&adev->jobs_alive), 10 * HZ))
		drm_warn(&adev->drm, "%d jobs still wait for their dependencies\n",
			 atomic_read(&adev->jobs_alive));
}
EXPORT_SYMBOL_NS_GPL(tessera_accel_unplug, TESSERA_ACCEL);
