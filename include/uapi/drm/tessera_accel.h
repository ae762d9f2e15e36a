/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Tessera accelerator: the DRM accel uAPI of tessera_accel.ko.
 *
 * One node, /dev/accel/accelN, per Tessera device: a vGPU virtual function
 * in a guest (PCI 1234:7e51) or the physical card on the host (the card's
 * host node). Both take the same ioctls and the same commands (struct
 * tessera_cmd in tessera_hw.h), so a program runs unchanged natively and
 * mediated.
 *
 * A buffer object (BO) has a device address (&drm_tessera_bo_create.dva)
 * in the device's address space, which every open file of the device
 * shares; commands name memory by those addresses. A submitted command may
 * only touch the BOs its submit lists (and the command BO only as commands):
 * the kernel copies the commands before it checks them, and refuses the
 * submit with -EINVAL otherwise, so one file never reaches another's BOs.
 */
#ifndef _UAPI_DRM_TESSERA_ACCEL_H
#define _UAPI_DRM_TESSERA_ACCEL_H

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_TESSERA_GET_PARAM		0x00
#define DRM_TESSERA_BO_CREATE		0x01
#define DRM_TESSERA_BO_MMAP_OFFSET	0x02
#define DRM_TESSERA_SUBMIT		0x03
#define DRM_TESSERA_BO_WAIT		0x04

#define DRM_IOCTL_TESSERA_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TESSERA_GET_PARAM, struct drm_tessera_param)
#define DRM_IOCTL_TESSERA_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TESSERA_BO_CREATE, struct drm_tessera_bo_create)
#define DRM_IOCTL_TESSERA_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TESSERA_BO_MMAP_OFFSET, struct drm_tessera_bo_mmap_offset)
#define DRM_IOCTL_TESSERA_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TESSERA_SUBMIT, struct drm_tessera_submit)
#define DRM_IOCTL_TESSERA_BO_WAIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_TESSERA_BO_WAIT, struct drm_tessera_bo_wait)

/* &drm_tessera_param.param */
enum drm_tessera_param_id {
	/** @DRM_TESSERA_PARAM_DEVICE_ID: PCI device id: 0x7e51 (vGPU) or 0x7e50 (card) */
	DRM_TESSERA_PARAM_DEVICE_ID = 0,
	/** @DRM_TESSERA_PARAM_BACKEND: DRM_TESSERA_BACKEND_* */
	DRM_TESSERA_PARAM_BACKEND = 1,
	/** @DRM_TESSERA_PARAM_MAX_CMDS: most commands one submit may carry */
	DRM_TESSERA_PARAM_MAX_CMDS = 2,
	/** @DRM_TESSERA_PARAM_MAX_BO_SIZE: largest BO, bytes */
	DRM_TESSERA_PARAM_MAX_BO_SIZE = 3,
	/** @DRM_TESSERA_PARAM_BUSY_NS: card time this device's context has run, ns */
	DRM_TESSERA_PARAM_BUSY_NS = 4,
	/** @DRM_TESSERA_PARAM_WEIGHT: the device context's scheduling weight */
	DRM_TESSERA_PARAM_WEIGHT = 5,
	/** @DRM_TESSERA_PARAM_JOBS_DONE: jobs completed since the driver bound */
	DRM_TESSERA_PARAM_JOBS_DONE = 6,
	/** @DRM_TESSERA_PARAM_RESETS: context resets after a fault or a hang */
	DRM_TESSERA_PARAM_RESETS = 7,
};

#define DRM_TESSERA_BACKEND_VF		1	/* a vGPU virtual function, in a guest */
#define DRM_TESSERA_BACKEND_HOST	2	/* the physical card's host node */

/**
 * struct drm_tessera_param - argument of DRM_IOCTL_TESSERA_GET_PARAM
 * @param: in, a &enum drm_tessera_param_id
 * @reserved: in, must be zero
 * @value: out
 */
struct drm_tessera_param {
	__u32 param;
	__u32 reserved;
	__u64 value;
};

/* &drm_tessera_bo_create.flags */
#define DRM_TESSERA_BO_DEVICE_READ_ONLY	(1u << 0)	/* commands may not write it */

/**
 * struct drm_tessera_bo_create - argument of DRM_IOCTL_TESSERA_BO_CREATE
 * @size: in, bytes, rounded up to whole pages; 1 to
 *	%DRM_TESSERA_PARAM_MAX_BO_SIZE
 * @flags: in, DRM_TESSERA_BO_* flags
 * @handle: out, the GEM handle
 * @dva: out, device address of the BO's first byte
 *
 * The BO is system memory, zeroed, mappable with mmap() at the offset that
 * DRM_IOCTL_TESSERA_BO_MMAP_OFFSET gives.
 */
struct drm_tessera_bo_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
	__u64 dva;
};

/**
 * struct drm_tessera_bo_mmap_offset - argument of DRM_IOCTL_TESSERA_BO_MMAP_OFFSET
 * @handle: in, a GEM handle of this file
 * @pad: in, must be zero
 * @offset: out, the fake offset to mmap() the BO at
 */
struct drm_tessera_bo_mmap_offset {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/**
 * struct drm_tessera_submit - argument of DRM_IOCTL_TESSERA_SUBMIT
 * @cmd_handle: in, the BO holding the commands
 * @cmd_count: in, commands, 1 to %DRM_TESSERA_PARAM_MAX_CMDS
 * @cmd_offset: in, byte offset of the first command in the command BO, a
 *	multiple of 64
 * @bo_handles: in, user pointer to @bo_count __u32 GEM handles: the BOs the
 *	commands touch. Each is held until the job's fence signals.
 * @bo_count: in, entries at @bo_handles
 * @flags: in, must be zero
 * @in_syncobjs: in, user pointer to @in_syncobj_count __u32 syncobj handles
 *	whose fences the job waits for
 * @in_syncobj_count: in, entries at @in_syncobjs
 * @out_syncobj: in, 0 or a syncobj handle that receives the job's fence
 * @reserved: in, must be zero
 *
 * The commands are those of the card (struct tessera_cmd): NOP, FENCE
 * without TESSERA_FENCE_IRQ, FILL, COPY, GEMM, ELEMWISE and BUSY. Their
 * address ranges must lie wholly in listed BOs (and, for writes, in BOs
 * that are not %DRM_TESSERA_BO_DEVICE_READ_ONLY). BATCH, privileged
 * commands and reserved fields that are not zero are refused.
 *
 * Return: 0, or -EINVAL (a bad field or command), -ENOENT (a handle that
 * names no BO or syncobj of this file), -ENOMEM, -EFAULT, -EINTR.
 */
struct drm_tessera_submit {
	__u32 cmd_handle;
	__u32 cmd_count;
	__u64 cmd_offset;
	__u64 bo_handles;
	__u32 bo_count;
	__u32 flags;
	__u64 in_syncobjs;
	__u32 in_syncobj_count;
	__u32 out_syncobj;
	__u64 reserved;
};

/**
 * struct drm_tessera_bo_wait - argument of DRM_IOCTL_TESSERA_BO_WAIT
 * @handle: in, a GEM handle of this file
 * @pad: in, must be zero
 * @timeout_ns: in, absolute CLOCK_MONOTONIC time to give up at, ns
 * @job_error: out, 0, or the negative errno of the last job that used the
 *	BO and failed: -EIO (the card faulted or the mediator refused a
 *	command), -ETIMEDOUT (the job hung and its context was reset),
 *	-ECANCELED (the device went away)
 *
 * Waits until every job that uses the BO is done.
 *
 * Return: 0, -ETIME if jobs were still running at @timeout_ns, -EINTR,
 * -ENOENT for a handle that names no BO of this file.
 */
struct drm_tessera_bo_wait {
	__u32 handle;
	__u32 pad;
	__s64 timeout_ns;
	__s32 job_error;
	__u32 pad2;
};

#if defined(__cplusplus)
}
#endif

#endif /* _UAPI_DRM_TESSERA_ACCEL_H */
