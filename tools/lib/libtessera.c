// SPDX-License-Identifier: GPL-2.0
/*
 * libtessera: userspace access to tessera_accel.ko (see tessera.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The kernel's own include/uapi/drm/drm.h (not passed through
 * headers_install) still marks pointers __user.
 */
#ifndef __user
#define __user
#endif
#include "drm/tessera_accel.h"	/* includes "drm.h": -I the kernel's uapi drm dir */
#include "tessera_hw.h"
#include "tessera.h"

/* The public header's constants are the uAPI's and the card's. */
_Static_assert((int)TSR_PARAM_DEVICE_ID == (int)DRM_TESSERA_PARAM_DEVICE_ID, "param");
_Static_assert((int)TSR_PARAM_BACKEND == (int)DRM_TESSERA_PARAM_BACKEND, "param");
_Static_assert((int)TSR_PARAM_MAX_CMDS == (int)DRM_TESSERA_PARAM_MAX_CMDS, "param");
_Static_assert((int)TSR_PARAM_MAX_BO_SIZE == (int)DRM_TESSERA_PARAM_MAX_BO_SIZE, "param");
_Static_assert((int)TSR_PARAM_BUSY_NS == (int)DRM_TESSERA_PARAM_BUSY_NS, "param");
_Static_assert((int)TSR_PARAM_WEIGHT == (int)DRM_TESSERA_PARAM_WEIGHT, "param");
_Static_assert((int)TSR_PARAM_JOBS_DONE == (int)DRM_TESSERA_PARAM_JOBS_DONE, "param");
_Static_assert((int)TSR_PARAM_RESETS == (int)DRM_TESSERA_PARAM_RESETS, "param");
_Static_assert(TSR_BACKEND_VF == DRM_TESSERA_BACKEND_VF, "backend");
_Static_assert(TSR_BACKEND_HOST == DRM_TESSERA_BACKEND_HOST, "backend");
_Static_assert(TSR_BO_DEVICE_READ_ONLY == DRM_TESSERA_BO_DEVICE_READ_ONLY, "bo flag");
_Static_assert(TSR_SYNCOBJ_SIGNALED == DRM_SYNCOBJ_CREATE_SIGNALED, "syncobj flag");
_Static_assert(TSR_CMD_SIZE == TESSERA_CMD_SIZE, "cmd size");
_Static_assert(sizeof(struct tessera_cmd) == TESSERA_CMD_SIZE, "cmd size");
_Static_assert(TSR_GEMM_MAX_DIM == TESSERA_GEMM_MAX_DIM, "gemm dim");
_Static_assert(TSR_MAX_XFER_BYTES == TESSERA_MAX_XFER_BYTES, "xfer");
_Static_assert(TSR_MAX_BUSY_US == TESSERA_MAX_BUSY_US, "busy");
_Static_assert(TSR_GEMM_ACCUMULATE == TESSERA_GEMM_ACCUMULATE, "gemm flag");
_Static_assert((int)TSR_EW_ADD == (int)TESSERA_EW_ADD, "ew");
_Static_assert((int)TSR_EW_MUL == (int)TESSERA_EW_MUL, "ew");
_Static_assert((int)TSR_EW_RELU == (int)TESSERA_EW_RELU, "ew");
_Static_assert(TESSERA_EW_NUM_OPS == 3, "ew");

#define TSR_HOST_CMDS_DEFAULT	4096u

struct tsr_dev {
	int fd;
	uint32_t device_id;
	uint32_t backend;
	uint32_t max_cmds;
	uint64_t max_bo_size;
	char path[64];
};

struct tsr_cmdbuf {
	struct tsr_dev *dev;		/* NULL: host memory, not submittable */
	struct tsr_bo *bo;		/* the command BO (device buffers) */
	struct tessera_cmd *cmds;	/* bo->cpu, or host memory */
	uint32_t capacity;
	uint32_t count;
	uint32_t *handles;		/* the BOs the commands use, each once */
	uint32_t nr_handles;
	uint32_t handles_cap;
};

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

static __thread char tsr_errbuf[512];

__attribute__((format(printf, 2, 3)))
static int tsr_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tsr_errbuf, sizeof(tsr_errbuf), fmt, ap);
	va_end(ap);
	return err;
}

/* A failed ioctl: "what: -EXXX: explanation". */
static int tsr_fail_call(enum tsr_call call, int err, const char *what)
{
	return tsr_fail(err, "%s: -%s: %s", what, tsr_errno_name(err), tsr_strerror(call, err));
}

const char *tsr_last_error(void)
{
	return tsr_errbuf;
}

const char *tsr_errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:		return "0";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EINTR:	return "EINTR";
	case EIO:	return "EIO";
	case ENXIO:	return "ENXIO";
	case E2BIG:	return "E2BIG";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case EXDEV:	return "EXDEV";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENOSPC:	return "ENOSPC";
	case ENOTTY:	return "ENOTTY";
	case ERANGE:	return "ERANGE";
	case ENOSYS:	return "ENOSYS";
	case ENODATA:	return "ENODATA";
	case ETIME:	return "ETIME";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT:	return "ETIMEDOUT";
	case ECANCELED:	return "ECANCELED";
	default:	return "E?";
	}
}

const char *tsr_strerror(enum tsr_call call, int err)
{
	if (err > 0)
		err = -err;
	if (err == 0)
		return "success";

	switch (call) {
	case TSR_CALL_OPEN:
		switch (err) {
		case -ENOENT: return "no such node, or no /dev/accel/accel* is driven by tessera_accel (is the module loaded and bound?)";
		case -EACCES: return "permission denied on the accel node (root, or the node's group)";
		case -ENOTTY: return "not a tessera_accel node: DRM_TESSERA_GET_PARAM is not understood there";
		case -ENODEV: return "the node's device is gone or is not a Tessera card or vGPU";
		}
		break;
	case TSR_CALL_PARAM:
		switch (err) {
		case -EINVAL: return "the driver knows no such parameter (an older tessera_accel?)";
		case -ENODEV: return "the device went away";
		}
		break;
	case TSR_CALL_BO_ALLOC:
		switch (err) {
		case -EINVAL: return "bad BO size (0 or above DRM_TESSERA_PARAM_MAX_BO_SIZE) or an unknown flag";
		case -ENOMEM: return "no memory for the BO, or no room left in the device address space";
		case -ENOSPC: return "no room left in the device address space";
		case -ENODEV: return "the device went away";
		}
		break;
	case TSR_CALL_BO_FREE:
		switch (err) {
		case -EINVAL: return "the GEM handle names no BO of this file (freed twice?)";
		}
		break;
	case TSR_CALL_CMD:
		switch (err) {
		case -EINVAL: return "a command argument is out of the card's bounds, a range is outside its BO, or a written range is in a read-only BO";
		case -ENOSPC: return "the command buffer is full (submit it, reset it, and go on)";
		case -EXDEV:  return "a BO of another device";
		case -ENOMEM: return "out of memory";
		}
		break;
	case TSR_CALL_SUBMIT:
		switch (err) {
		case -EINVAL: return "a command was refused: a bad opcode, flag or bound, a nonzero reserved field, an address outside the BOs the submit lists, a write to a read-only BO; or a bad submit field (count, offset, flags)";
		case -ENOENT: return "a BO or syncobj handle names nothing of this file";
		case -ENOMEM: return "the kernel is out of memory for the job";
		case -EFAULT: return "the kernel could not read the BO or syncobj list";
		case -EINTR:  return "interrupted by a signal before the job was queued";
		case -ENODATA: return "the command buffer is empty";
		case -ENODEV: return "the command buffer has no device (made with dev NULL), or the device went away";
		}
		break;
	case TSR_CALL_WAIT:
		switch (err) {
		case -ETIME:  return "jobs that use the BO were still running at the timeout";
		case -ENOENT: return "the handle names no BO of this file";
		case -EINTR:  return "interrupted by a signal";
		}
		break;
	case TSR_CALL_JOB:
		switch (err) {
		case -EIO:       return "the job failed: the card faulted, or the mediator refused a command";
		case -ETIMEDOUT: return "the job hung and its context was reset";
		case -ECANCELED: return "the job was cancelled: the device went away";
		}
		break;
	case TSR_CALL_SYNCOBJ:
		switch (err) {
		case -ETIME:  return "the syncobj was not signalled by the timeout";
		case -ENOENT: return "the handle names no syncobj of this file";
		case -EINVAL: return "bad syncobj flags or count";
		case -EOPNOTSUPP: return "the driver does not do syncobjs";
		}
		break;
	case TSR_CALL_ANY:
		break;
	}
	return strerror(-err);
}

/* ------------------------------------------------------------------------ */
/* ioctls and time                                                           */
/* ------------------------------------------------------------------------ */

static int tsr_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : 0;
}

/* A relative timeout as the absolute CLOCK_MONOTONIC ns the ioctls take. */
static int64_t tsr_abs_timeout(int64_t rel_ns)
{
	struct timespec ts;
	int64_t now;

	if (rel_ns < 0)
		return INT64_MAX;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (rel_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + rel_ns;
}

/* ------------------------------------------------------------------------ */
/* Device                                                                    */
/* ------------------------------------------------------------------------ */

static int tsr_param_fd(int fd, uint32_t param, uint64_t *value)
{
	struct drm_tessera_param p = { .param = param };
	int ret = tsr_ioctl(fd, DRM_IOCTL_TESSERA_GET_PARAM, &p);

	if (!ret)
		*value = p.value;
	return ret;
}

int tsr_get_param(struct tsr_dev *dev, uint32_t param, uint64_t *value)
{
	int ret = tsr_param_fd(dev->fd, param, value);

	if (ret) {
		char what[48];

		snprintf(what, sizeof(what), "GET_PARAM %u", param);
		return tsr_fail_call(TSR_CALL_PARAM, ret, what);
	}
	return 0;
}

/* Open @path and read what tsr_dev caches; -ENOTTY when GET_PARAM is not understood. */
static int tsr_open_node(const char *path, struct tsr_dev **out)
{
	struct tsr_dev *dev;
	uint64_t v;
	int ret;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return tsr_fail(-ENOMEM, "open %s: out of memory", path);
	snprintf(dev->path, sizeof(dev->path), "%s", path);
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = -errno;
		free(dev);
		return tsr_fail(ret, "open %s: %s", path, tsr_strerror(TSR_CALL_OPEN, ret));
	}

	ret = tsr_param_fd(dev->fd, DRM_TESSERA_PARAM_DEVICE_ID, &v);
	if (ret == -EINVAL || ret == -ENOTTY || ret == -EOPNOTSUPP)
		ret = -ENOTTY;
	if (ret)
		goto fail;
	dev->device_id = (uint32_t)v;
	ret = tsr_param_fd(dev->fd, DRM_TESSERA_PARAM_BACKEND, &v);
	if (ret)
		goto fail;
	dev->backend = (uint32_t)v;
	ret = tsr_param_fd(dev->fd, DRM_TESSERA_PARAM_MAX_CMDS, &v);
	if (ret)
		goto fail;
	dev->max_cmds = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	ret = tsr_param_fd(dev->fd, DRM_TESSERA_PARAM_MAX_BO_SIZE, &v);
	if (ret)
		goto fail;
	dev->max_bo_size = v;
	*out = dev;
	return 0;

fail:
	close(dev->fd);
	free(dev);
	return tsr_fail(ret, "open %s: GET_PARAM: -%s: %s", path, tsr_errno_name(ret),
			tsr_strerror(TSR_CALL_OPEN, ret));
}

/*
 * Whether accelN is tessera_accel's: 1 yes, 0 no, -1 sysfs does not say
 * (not mounted, a minimal initramfs).
 */
static int tsr_sysfs_is_tessera(unsigned int minor)
{
	char link[96], target[PATH_MAX];
	const char *base;
	ssize_t len;

	snprintf(link, sizeof(link), "/sys/class/accel/accel%u/device/driver", minor);
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0)
		return -1;
	target[len] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	/*
	 * tessera_accel on a vGPU; the host back end is an auxiliary driver of
	 * tessera.ko, whose name may differ: GET_PARAM's device id decides.
	 */
	return strncmp(base, "tessera", 7) == 0;
}

/* Without sysfs: ask DRM_IOCTL_VERSION for the driver's name. */
static int tsr_drm_name_is_tessera(const char *path)
{
	char name[64] = "";
	struct drm_version v = { .name_len = sizeof(name) - 1, .name = name };
	int fd, ok;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ok = tsr_ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 && strncmp(name, "tessera", 7) == 0;
	close(fd);
	return ok;
}

static int tsr_cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

static int tsr_open_first(struct tsr_dev **out)
{
	unsigned int minors[256], nr = 0, i;
	int saw_eacces = 0;
	struct dirent *de;
	DIR *d;

	d = opendir("/dev/accel");
	if (!d)
		return tsr_fail(-ENOENT, "open: no /dev/accel: no accel device at all (is tessera_accel loaded?)");
	while ((de = readdir(d)) && nr < 256) {
		unsigned int minor;
		char tail;

		if (sscanf(de->d_name, "accel%u%c", &minor, &tail) == 1)
			minors[nr++] = minor;
	}
	closedir(d);
	qsort(minors, nr, sizeof(minors[0]), tsr_cmp_uint);

	for (i = 0; i < nr; i++) {
		char path[64];
		int is, ret;

		snprintf(path, sizeof(path), "/dev/accel/accel%u", minors[i]);
		is = tsr_sysfs_is_tessera(minors[i]);
		if (is < 0)
			is = tsr_drm_name_is_tessera(path);
		if (is == -EACCES)
			saw_eacces = 1;
		if (is <= 0)
			continue;
		ret = tsr_open_node(path, out);
		if (!ret) {
			if ((*out)->device_id == TESSERA_PCI_DEVICE_CARD ||
			    (*out)->device_id == TESSERA_PCI_DEVICE_VGPU)
				return 0;
			tsr_close(*out);
			*out = NULL;
			continue;
		}
		if (ret == -EACCES)
			saw_eacces = 1;
	}
	if (saw_eacces)
		return tsr_fail(-EACCES, "open: a tessera_accel node exists but may not be opened: %s",
				tsr_strerror(TSR_CALL_OPEN, -EACCES));
	return tsr_fail(-ENOENT, "open: none of the %u /dev/accel/accel* nodes is a Tessera device driven by %s",
			nr, TSR_DRIVER_NAME);
}

int tsr_open(const char *path, struct tsr_dev **out)
{
	*out = NULL;
	if (path)
		return tsr_open_node(path, out);
	return tsr_open_first(out);
}

void tsr_close(struct tsr_dev *dev)
{
	if (!dev)
		return;
	close(dev->fd);
	free(dev);
}

int tsr_dev_fd(const struct tsr_dev *dev)
{
	return dev->fd;
}

const char *tsr_dev_path(const struct tsr_dev *dev)
{
	return dev->path;
}

uint32_t tsr_dev_backend(const struct tsr_dev *dev)
{
	return dev->backend;
}

uint32_t tsr_dev_max_cmds(const struct tsr_dev *dev)
{
	return dev->max_cmds;
}

uint64_t tsr_dev_max_bo_size(const struct tsr_dev *dev)
{
	return dev->max_bo_size;
}

const char *tsr_backend_name(uint32_t backend)
{
	switch (backend) {
	case TSR_BACKEND_VF:	return "vf";
	case TSR_BACKEND_HOST:	return "host";
	default:		return "unknown";
	}
}

/* ------------------------------------------------------------------------ */
/* Buffer objects                                                            */
/* ------------------------------------------------------------------------ */

static int tsr_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return tsr_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

int tsr_bo_alloc(struct tsr_dev *dev, uint64_t size, uint32_t flags, struct tsr_bo **out)
{
	struct drm_tessera_bo_create c = { .size = size, .flags = flags };
	struct drm_tessera_bo_mmap_offset mo = { 0 };
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct tsr_bo *bo;
	void *cpu;
	int ret;

	*out = NULL;
	if (!size || size > dev->max_bo_size)
		return tsr_fail(-EINVAL, "BO_CREATE: size %#llx is not in [1, MAX_BO_SIZE %#llx]",
				(unsigned long long)size, (unsigned long long)dev->max_bo_size);
	if (flags & ~TSR_BO_DEVICE_READ_ONLY)
		return tsr_fail(-EINVAL, "BO_CREATE: unknown flags %#x", flags);
	bo = calloc(1, sizeof(*bo));
	if (!bo)
		return tsr_fail(-ENOMEM, "BO_CREATE: out of memory");

	ret = tsr_ioctl(dev->fd, DRM_IOCTL_TESSERA_BO_CREATE, &c);
	if (ret) {
		free(bo);
		return tsr_fail_call(TSR_CALL_BO_ALLOC, ret, "BO_CREATE");
	}
	mo.handle = c.handle;
	ret = tsr_ioctl(dev->fd, DRM_IOCTL_TESSERA_BO_MMAP_OFFSET, &mo);
	if (ret) {
		tsr_fail_call(TSR_CALL_BO_ALLOC, ret, "BO_MMAP_OFFSET");
		goto fail_close;
	}
	bo->size = (size + page - 1) & ~(page - 1);
	cpu = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, (off_t)mo.offset);
	if (cpu == MAP_FAILED) {
		ret = -errno;
		tsr_fail(ret, "mmap of a %#llx-byte BO: %s", (unsigned long long)bo->size, strerror(-ret));
		goto fail_close;
	}
	bo->dev = dev;
	bo->dva = c.dva;
	bo->cpu = cpu;
	bo->handle = c.handle;
	bo->flags = flags;
	*out = bo;
	return 0;

fail_close:
	tsr_gem_close(dev->fd, c.handle);
	free(bo);
	return ret;
}

int tsr_bo_free(struct tsr_bo *bo)
{
	int ret = 0;

	if (!bo)
		return 0;
	if (bo->cpu)
		munmap(bo->cpu, bo->size);
	if (bo->dev) {
		ret = tsr_gem_close(bo->dev->fd, bo->handle);
		if (ret)
			tsr_fail_call(TSR_CALL_BO_FREE, ret, "GEM_CLOSE");
	}
	free(bo);
	return ret;
}

int tsr_bo_wait(struct tsr_bo *bo, int64_t timeout_ns, int *job_error)
{
	struct drm_tessera_bo_wait w = {
		.handle = bo->handle,
		.timeout_ns = tsr_abs_timeout(timeout_ns),
	};
	int ret;

	if (job_error)
		*job_error = 0;
	if (!bo->dev)
		return tsr_fail(-ENODEV, "BO_WAIT: a BO without a device");
	ret = tsr_ioctl(bo->dev->fd, DRM_IOCTL_TESSERA_BO_WAIT, &w);
	if (ret)
		return tsr_fail_call(TSR_CALL_WAIT, ret, "BO_WAIT");
	if (job_error)
		*job_error = w.job_error;
	if (w.job_error)
		tsr_fail(0, "job on BO %u: -%s: %s", bo->handle, tsr_errno_name(w.job_error),
			 tsr_strerror(TSR_CALL_JOB, w.job_error));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Command buffers                                                           */
/* ------------------------------------------------------------------------ */

int tsr_cmdbuf_new(struct tsr_dev *dev, uint32_t capacity, struct tsr_cmdbuf **out)
{
	uint32_t max = dev ? dev->max_cmds : TSR_HOST_CMDS_DEFAULT;
	struct tsr_cmdbuf *cb;
	int ret;

	*out = NULL;
	if (!capacity)
		capacity = max;
	if (!capacity || capacity > max)
		return tsr_fail(-EINVAL, "command buffer of %u commands: the device takes 1 to %u",
				capacity, max);
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return tsr_fail(-ENOMEM, "command buffer: out of memory");
	cb->dev = dev;
	cb->capacity = capacity;
	if (dev) {
		ret = tsr_bo_alloc(dev, (uint64_t)capacity * TESSERA_CMD_SIZE, 0, &cb->bo);
		if (ret) {
			free(cb);
			return ret;
		}
		cb->cmds = cb->bo->cpu;
	} else {
		cb->cmds = aligned_alloc(TESSERA_CMD_SIZE, (size_t)capacity * TESSERA_CMD_SIZE);
		if (!cb->cmds) {
			free(cb);
			return tsr_fail(-ENOMEM, "command buffer: out of memory");
		}
	}
	*out = cb;
	return 0;
}

void tsr_cmdbuf_free(struct tsr_cmdbuf *cb)
{
	if (!cb)
		return;
	if (cb->bo)
		tsr_bo_free(cb->bo);
	else
		free(cb->cmds);
	free(cb->handles);
	free(cb);
}

void tsr_cmdbuf_reset(struct tsr_cmdbuf *cb)
{
	cb->count = 0;
	cb->nr_handles = 0;
}

uint32_t tsr_cmdbuf_count(const struct tsr_cmdbuf *cb)
{
	return cb->count;
}

uint32_t tsr_cmdbuf_capacity(const struct tsr_cmdbuf *cb)
{
	return cb->capacity;
}

const void *tsr_cmdbuf_data(const struct tsr_cmdbuf *cb)
{
	return cb->cmds;
}

const uint32_t *tsr_cmdbuf_bo_handles(const struct tsr_cmdbuf *cb, uint32_t *count)
{
	if (count)
		*count = cb->nr_handles;
	return cb->handles;
}

/* One range a command names; checked, then encoded as bo->dva + off. */
struct tsr_range {
	const char *what;
	struct tsr_bo *bo;
	uint64_t off;
	uint64_t len;
	bool write;
};

/* Check every range of a command; on success make room for its BOs in the list. */
static int tsr_check_ranges(struct tsr_cmdbuf *cb, const char *op,
			    const struct tsr_range *r, unsigned int nr)
{
	unsigned int i;

	if (cb->count >= cb->capacity)
		return tsr_fail(-ENOSPC, "%s: the command buffer is full (%u commands)", op,
				cb->capacity);
	for (i = 0; i < nr; i++) {
		const struct tsr_bo *bo = r[i].bo;

		if (!bo)
			return tsr_fail(-EINVAL, "%s: %s has no BO", op, r[i].what);
		if (cb->dev && bo->dev != cb->dev)
			return tsr_fail(-EXDEV, "%s: %s is a BO of another device", op, r[i].what);
		if (r[i].off > bo->size || r[i].len > bo->size - r[i].off)
			return tsr_fail(-EINVAL,
					"%s: %s [%#llx, +%#llx) is outside its BO of %#llx bytes",
					op, r[i].what, (unsigned long long)r[i].off,
					(unsigned long long)r[i].len, (unsigned long long)bo->size);
		if (r[i].write && (bo->flags & TSR_BO_DEVICE_READ_ONLY))
			return tsr_fail(-EINVAL, "%s: %s is written but its BO is device-read-only",
					op, r[i].what);
	}
	if (cb->handles_cap - cb->nr_handles < nr) {
		uint32_t cap = cb->handles_cap ? cb->handles_cap * 2 : 16;
		uint32_t *h;

		while (cap - cb->nr_handles < nr)
			cap *= 2;
		h = realloc(cb->handles, cap * sizeof(*h));
		if (!h)
			return tsr_fail(-ENOMEM, "%s: out of memory for the BO list", op);
		cb->handles = h;
		cb->handles_cap = cap;
	}
	return 0;
}

static void tsr_add_bo(struct tsr_cmdbuf *cb, const struct tsr_bo *bo)
{
	uint32_t i;

	for (i = 0; i < cb->nr_handles; i++)
		if (cb->handles[i] == bo->handle)
			return;
	cb->handles[cb->nr_handles++] = bo->handle;
}

/* Append @cmd and the BOs of @r (already checked). */
static int tsr_emit(struct tsr_cmdbuf *cb, const struct tessera_cmd *cmd,
		    const struct tsr_range *r, unsigned int nr)
{
	unsigned int i;

	memcpy(&cb->cmds[cb->count++], cmd, sizeof(*cmd));
	for (i = 0; i < nr; i++)
		tsr_add_bo(cb, r[i].bo);
	return 0;
}

static uint64_t tsr_dva(const struct tsr_range *r)
{
	return r->bo->dva + r->off;
}

int tsr_cmd_nop(struct tsr_cmdbuf *cb)
{
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_NOP };
	int ret = tsr_check_ranges(cb, "tsr_cmd_nop", NULL, 0);

	return ret ? ret : tsr_emit(cb, &cmd, NULL, 0);
}

int tsr_cmd_fence(struct tsr_cmdbuf *cb, struct tsr_bo *bo, uint64_t offset, uint64_t value)
{
	struct tsr_range r = { "the fence slot", bo, offset, 8, true };
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_FENCE };
	unsigned int nr = bo ? 1 : 0;
	int ret;

	if (bo && ((bo->dva + offset) & 7))
		return tsr_fail(-EINVAL, "tsr_cmd_fence: address %#llx is not 8-byte aligned",
				(unsigned long long)(bo->dva + offset));
	if (!bo && offset)
		return tsr_fail(-EINVAL, "tsr_cmd_fence: an offset without a BO");
	ret = tsr_check_ranges(cb, "tsr_cmd_fence", &r, nr);
	if (ret)
		return ret;
	cmd.arg[0] = bo ? tsr_dva(&r) : 0;
	cmd.arg[1] = value;
	return tsr_emit(cb, &cmd, &r, nr);
}

int tsr_cmd_fill(struct tsr_cmdbuf *cb, struct tsr_bo *bo, uint64_t offset, uint64_t bytes,
		 uint32_t pattern)
{
	struct tsr_range r = { "the destination", bo, offset, bytes, true };
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_FILL };
	int ret;

	if ((bytes & 3) || bytes > TESSERA_MAX_XFER_BYTES)
		return tsr_fail(-EINVAL, "tsr_cmd_fill: %llu bytes: must be a multiple of 4, at most %llu",
				(unsigned long long)bytes, TESSERA_MAX_XFER_BYTES);
	ret = tsr_check_ranges(cb, "tsr_cmd_fill", &r, 1);
	if (ret)
		return ret;
	cmd.param = pattern;
	cmd.arg[0] = tsr_dva(&r);
	cmd.arg[1] = bytes;
	return tsr_emit(cb, &cmd, &r, 1);
}

int tsr_cmd_copy(struct tsr_cmdbuf *cb, struct tsr_bo *dst, uint64_t dst_off,
		 struct tsr_bo *src, uint64_t src_off, uint64_t bytes)
{
	struct tsr_range r[2] = {
		{ "the destination", dst, dst_off, bytes, true },
		{ "the source", src, src_off, bytes, false },
	};
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_COPY };
	int ret;

	if (bytes > TESSERA_MAX_XFER_BYTES)
		return tsr_fail(-EINVAL, "tsr_cmd_copy: %llu bytes: at most %llu",
				(unsigned long long)bytes, TESSERA_MAX_XFER_BYTES);
	ret = tsr_check_ranges(cb, "tsr_cmd_copy", r, 2);
	if (ret)
		return ret;
	if (bytes && tsr_dva(&r[0]) < tsr_dva(&r[1]) + bytes &&
	    tsr_dva(&r[1]) < tsr_dva(&r[0]) + bytes)
		return tsr_fail(-EINVAL, "tsr_cmd_copy: the source and destination overlap");
	cmd.arg[0] = tsr_dva(&r[0]);
	cmd.arg[1] = tsr_dva(&r[1]);
	cmd.arg[2] = bytes;
	return tsr_emit(cb, &cmd, r, 2);
}

int tsr_cmd_gemm(struct tsr_cmdbuf *cb, struct tsr_bo *a, uint64_t a_off,
		 struct tsr_bo *b, uint64_t b_off, struct tsr_bo *c, uint64_t c_off,
		 uint32_t m, uint32_t n, uint32_t k, uint32_t flags)
{
	struct tsr_range r[3] = {
		{ "A", a, a_off, (uint64_t)m * k * 4, false },
		{ "B", b, b_off, (uint64_t)k * n * 4, false },
		{ "C", c, c_off, (uint64_t)m * n * 4, true },
	};
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_GEMM };
	int ret;

	if (!m || !n || !k || m > TESSERA_GEMM_MAX_DIM || n > TESSERA_GEMM_MAX_DIM ||
	    k > TESSERA_GEMM_MAX_DIM)
		return tsr_fail(-EINVAL, "tsr_cmd_gemm: m %u n %u k %u: each must be 1 to %u",
				m, n, k, TESSERA_GEMM_MAX_DIM);
	if (flags & ~TSR_GEMM_ACCUMULATE)
		return tsr_fail(-EINVAL, "tsr_cmd_gemm: unknown flags %#x", flags);
	ret = tsr_check_ranges(cb, "tsr_cmd_gemm", r, 3);
	if (ret)
		return ret;
	cmd.flags = (uint8_t)flags;
	cmd.arg[0] = tsr_dva(&r[0]);
	cmd.arg[1] = tsr_dva(&r[1]);
	cmd.arg[2] = tsr_dva(&r[2]);
	cmd.arg[3] = m;
	cmd.arg[4] = n;
	cmd.arg[5] = k;
	return tsr_emit(cb, &cmd, r, 3);
}

int tsr_cmd_elemwise(struct tsr_cmdbuf *cb, enum tsr_ew_op op,
		     struct tsr_bo *dst, uint64_t dst_off, struct tsr_bo *a, uint64_t a_off,
		     struct tsr_bo *b, uint64_t b_off, uint64_t count)
{
	struct tsr_range r[3] = {
		{ "dst", dst, dst_off, count * 4, true },
		{ "a", a, a_off, count * 4, false },
		{ "b", b, b_off, count * 4, false },
	};
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_ELEMWISE };
	unsigned int nr = op == TSR_EW_RELU ? 2 : 3;
	int ret;

	if ((unsigned int)op >= TESSERA_EW_NUM_OPS)
		return tsr_fail(-EINVAL, "tsr_cmd_elemwise: unknown operation %u", (unsigned int)op);
	if (op == TSR_EW_RELU && (b || b_off))
		return tsr_fail(-EINVAL, "tsr_cmd_elemwise: RELU takes no b");
	if (count > TESSERA_MAX_XFER_BYTES / 4)
		return tsr_fail(-EINVAL, "tsr_cmd_elemwise: %llu elements: at most %llu",
				(unsigned long long)count, TESSERA_MAX_XFER_BYTES / 4);
	ret = tsr_check_ranges(cb, "tsr_cmd_elemwise", r, nr);
	if (ret)
		return ret;
	cmd.param = (uint32_t)op;
	cmd.arg[0] = tsr_dva(&r[0]);
	cmd.arg[1] = tsr_dva(&r[1]);
	cmd.arg[2] = nr == 3 ? tsr_dva(&r[2]) : 0;
	cmd.arg[3] = count;
	return tsr_emit(cb, &cmd, r, nr);
}

int tsr_cmd_busy(struct tsr_cmdbuf *cb, uint64_t us)
{
	struct tessera_cmd cmd = { .opcode = TESSERA_OP_BUSY };
	int ret;

	if (us > TESSERA_MAX_BUSY_US)
		return tsr_fail(-EINVAL, "tsr_cmd_busy: %llu us: at most %llu",
				(unsigned long long)us, TESSERA_MAX_BUSY_US);
	ret = tsr_check_ranges(cb, "tsr_cmd_busy", NULL, 0);
	if (ret)
		return ret;
	cmd.arg[0] = us;
	return tsr_emit(cb, &cmd, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* Submitting, syncobjs                                                      */
/* ------------------------------------------------------------------------ */

int tsr_submit(struct tsr_cmdbuf *cb, const uint32_t *in_syncobjs, uint32_t in_count,
	       uint32_t out_syncobj)
{
	struct drm_tessera_submit s = { 0 };
	int ret;

	if (!cb->dev)
		return tsr_fail(-ENODEV, "submit: %s", tsr_strerror(TSR_CALL_SUBMIT, -ENODEV));
	if (!cb->count)
		return tsr_fail(-ENODATA, "submit: %s", tsr_strerror(TSR_CALL_SUBMIT, -ENODATA));
	if (in_count && !in_syncobjs)
		return tsr_fail(-EINVAL, "submit: %u in syncobjs but no list", in_count);

	s.cmd_handle = cb->bo->handle;
	s.cmd_count = cb->count;
	s.cmd_offset = 0;
	s.bo_handles = cb->nr_handles ? (uint64_t)(uintptr_t)cb->handles : 0;
	s.bo_count = cb->nr_handles;
	s.in_syncobjs = in_count ? (uint64_t)(uintptr_t)in_syncobjs : 0;
	s.in_syncobj_count = in_count;
	s.out_syncobj = out_syncobj;
	ret = tsr_ioctl(cb->dev->fd, DRM_IOCTL_TESSERA_SUBMIT, &s);
	if (ret)
		return tsr_fail(ret, "submit of %u commands, %u BOs: -%s: %s", cb->count,
				cb->nr_handles, tsr_errno_name(ret),
				tsr_strerror(TSR_CALL_SUBMIT, ret));
	return 0;
}

int tsr_syncobj_create(struct tsr_dev *dev, uint32_t flags, uint32_t *handle)
{
	struct drm_syncobj_create c = { .flags = flags };
	int ret = tsr_ioctl(dev->fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	if (ret)
		return tsr_fail_call(TSR_CALL_SYNCOBJ, ret, "SYNCOBJ_CREATE");
	*handle = c.handle;
	return 0;
}

int tsr_syncobj_destroy(struct tsr_dev *dev, uint32_t handle)
{
	struct drm_syncobj_destroy d = { .handle = handle };
	int ret = tsr_ioctl(dev->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &d);

	return ret ? tsr_fail_call(TSR_CALL_SYNCOBJ, ret, "SYNCOBJ_DESTROY") : 0;
}

int tsr_syncobj_wait(struct tsr_dev *dev, const uint32_t *handles, uint32_t count,
		     int64_t timeout_ns, bool wait_all, uint32_t *first)
{
	struct drm_syncobj_wait w = {
		.handles = (uint64_t)(uintptr_t)handles,
		.timeout_nsec = tsr_abs_timeout(timeout_ns),
		.count_handles = count,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT |
			 (wait_all ? DRM_SYNCOBJ_WAIT_FLAGS_WAIT_ALL : 0),
	};
	int ret;

	if (!count || !handles)
		return tsr_fail(-EINVAL, "SYNCOBJ_WAIT: no syncobjs");
	ret = tsr_ioctl(dev->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
	if (ret)
		return tsr_fail_call(TSR_CALL_SYNCOBJ, ret, "SYNCOBJ_WAIT");
	if (first)
		*first = w.first_signaled;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Checking a GEMM on the CPU                                                */
/* ------------------------------------------------------------------------ */

static uint64_t tsr_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Largest |x| if every element is a finite integer, else -1. */
static double tsr_int_max(const float *x, size_t count)
{
	double max = 0;
	size_t i;

	for (i = 0; i < count; i++) {
		if (!isfinite(x[i]) || truncf(x[i]) != x[i])
			return -1;
		if (fabs(x[i]) > max)
			max = fabs(x[i]);
	}
	return max;
}

static double tsr_ref_elem(const float *a, const float *b, uint32_t n, uint32_t k,
			   size_t i, size_t j)
{
	double sum = 0;
	size_t l;

	for (l = 0; l < k; l++)
		sum += (double)a[i * k + l] * b[l * n + j];
	return sum;
}

static int tsr_check_wrong(struct tsr_check_result *res, long row, long col, double got,
			   double want, double tol)
{
	res->bad_row = row;
	res->bad_col = col;
	res->got = got;
	res->want = want;
	res->tol = tol;
	return 1;
}

static int tsr_check_freivalds(const float *a, const float *b, const float *c,
			       uint32_t m, uint32_t n, uint32_t k, bool exact,
			       double gamma, unsigned int rounds, uint64_t seed,
			       struct tsr_check_result *res)
{
	double *r, *br, *babs;
	int wrong = 0;
	unsigned int t;

	r = malloc(sizeof(double) * n);
	br = malloc(sizeof(double) * k);
	babs = malloc(sizeof(double) * k);
	if (!r || !br || !babs) {
		free(r);
		free(br);
		free(babs);
		return -ENOMEM;
	}

	for (t = 0; t < rounds && !wrong; t++) {
		double rabs = 0;
		size_t i, j, l;

		res->rounds = t + 1;
		/* Nonzero integers, uniform in [-1024, -1] and [1, 1024]. */
		for (j = 0; j < n; j++) {
			int v = (int)(tsr_splitmix64(&seed) % 2048);

			r[j] = v < 1024 ? v - 1024 : v - 1023;
			rabs += fabs(r[j]);
		}
		for (l = 0; l < k; l++) {
			const float *brow = b + l * n;
			double s = 0, sa = 0;

			for (j = 0; j < n; j++) {
				s += brow[j] * r[j];
				sa += fabs(brow[j]) * fabs(r[j]);
			}
			br[l] = s;
			babs[l] = sa;
		}
		for (i = 0; i < m && !wrong; i++) {
			const float *arow = a + i * k, *crow = c + i * n;
			double want = 0, mag = 0, got = 0, cmag = 0, tol = 0;

			for (l = 0; l < k; l++) {
				want += arow[l] * br[l];
				mag += fabs(arow[l]) * babs[l];
			}
			for (j = 0; j < n; j++) {
				got += crow[j] * r[j];
				cmag += fabs(crow[j]) * fabs(r[j]);
			}
			if (!exact)
				tol = gamma * mag + (n + k + 2) * DBL_EPSILON * fmax(mag, cmag) +
				      (k + 1.0) * FLT_MIN * rabs;
			/* Written so that a NaN fails. */
			if (!(fabs(got - want) <= tol))
				wrong = tsr_check_wrong(res, (long)i, -1, got, want, tol);
		}
	}
	free(r);
	free(br);
	free(babs);
	return wrong;
}

static int tsr_check_full(const float *a, const float *b, const float *c,
			  uint32_t m, uint32_t n, uint32_t k, bool exact, double gamma,
			  struct tsr_check_result *res)
{
	double *want = malloc(sizeof(double) * n), *mag = malloc(sizeof(double) * n);
	int wrong = 0;
	size_t i, j, l;

	if (!want || !mag) {
		free(want);
		free(mag);
		return -ENOMEM;
	}
	for (i = 0; i < m && !wrong; i++) {
		for (j = 0; j < n; j++)
			want[j] = mag[j] = 0;
		for (l = 0; l < k; l++) {
			double x = a[i * k + l];
			const float *brow = b + l * n;

			for (j = 0; j < n; j++) {
				want[j] += x * brow[j];
				mag[j] += fabs(x) * fabs(brow[j]);
			}
		}
		for (j = 0; j < n && !wrong; j++) {
			double got = c[i * n + j];
			double tol = exact ? 0 : gamma * mag[j] + (k + 2) * DBL_EPSILON * mag[j] +
						 (k + 1.0) * FLT_MIN;

			if (!(fabs(got - want[j]) <= tol))
				wrong = tsr_check_wrong(res, (long)i, (long)j, got, want[j], tol);
		}
	}
	free(want);
	free(mag);
	return wrong;
}

int tsr_gemm_check(const float *a, const float *b, const float *c,
		   uint32_t m, uint32_t n, uint32_t k, enum tsr_check_mode mode,
		   unsigned int rounds, uint64_t seed, struct tsr_check_result *res)
{
	struct tsr_check_result local;
	double amax, bmax, u = FLT_EPSILON / 2, gamma;
	bool exact;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	res->bad_row = res->bad_col = -1;
	if (mode == TSR_CHECK_NONE)
		return 0;
	if (mode != TSR_CHECK_FREIVALDS && mode != TSR_CHECK_FULL)
		return tsr_fail(-EINVAL, "tsr_gemm_check: unknown mode %d", (int)mode);
	if (!m || !n || !k)
		return tsr_fail(-EINVAL, "tsr_gemm_check: a zero dimension");
	if (!rounds)
		rounds = 2;
	gamma = k * u / (1 - k * u);

	amax = tsr_int_max(a, (size_t)m * k);
	bmax = tsr_int_max(b, (size_t)k * n);
	exact = amax >= 0 && bmax >= 0 && amax * bmax * k <= 16777216.0;	/* 2^24 */
	res->exact = exact;
	if (exact) {
		/* The fp32 product is exact: C must be integers within the bound. */
		double bound = amax * bmax * k;
		size_t i, j;

		for (i = 0; i < m; i++)
			for (j = 0; j < n; j++) {
				float x = c[i * n + j];

				if (!isfinite(x) || truncf(x) != x || fabs(x) > bound)
					return tsr_check_wrong(res, (long)i, (long)j, x,
							       tsr_ref_elem(a, b, n, k, i, j), 0);
			}
	}

	if (mode == TSR_CHECK_FULL)
		ret = tsr_check_full(a, b, c, m, n, k, exact, gamma, res);
	else
		ret = tsr_check_freivalds(a, b, c, m, n, k, exact, gamma, rounds, seed, res);
	if (ret < 0)
		return tsr_fail(ret, "tsr_gemm_check: out of memory");
	return ret;
}
