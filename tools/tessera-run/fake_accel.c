// SPDX-License-Identifier: GPL-2.0
/*
 * fake_accel.so: an LD_PRELOAD stand-in for tessera_accel.ko, so that
 * tessera-run and libtessera can be run end to end on a machine without the
 * card (make -C tools/tessera-run test). Test code only.
 *
 * open("/dev/accel/fake") gives a memfd that plays the device: BOs are
 * ranges of it (the mmap offset is the range's offset, so mmap() needs no
 * interposing), their device address is 1 MiB plus that offset. SUBMIT
 * checks the submit as the uAPI says (reserved fields, commands' ranges in
 * listed BOs, no writes to read-only BOs) and runs the job at once on the
 * CPU; BO_WAIT reports the last failed job's error. Environment:
 *
 *   FAKE_ACCEL_FAULT=J   job J (0-based) fails with -EIO, C untouched
 *   FAKE_ACCEL_WRONG=J   job J's GEMM gets one element off by one
 *   FAKE_ACCEL_WATCHDOG=1  a BUSY above 1 s fails its job with -ETIMEDOUT
 *   FAKE_ACCEL_BACKEND=N DRM_TESSERA_PARAM_BACKEND (default 1, vf)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef __user
#define __user
#endif
#include "drm/tessera_accel.h"
#include "tessera_hw.h"

#define FAKE_PATH	"/dev/accel/fake"
#define FAKE_DVA_BASE	0x100000ull
#define FAKE_MAX_BOS	4096
#define FAKE_MAX_SYNC	256

struct fake_bo {
	uint64_t off, size;
	uint32_t flags;
	int job_error;
	int live;
};

static int fake_fd = -1;
static uint64_t fake_end;		/* bytes of the memfd in use */
static struct fake_bo bos[FAKE_MAX_BOS];	/* handle = index + 1 */
static int syncobjs[FAKE_MAX_SYNC];	/* 0 free, 1 unsignalled, 2 signalled */
static long jobs, busy_ns;

static long env_long(const char *name, long dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 0) : dflt;
}

static int do_open(const char *path, int flags, mode_t mode)
{
	static int (*real_open)(const char *, int, ...);

	if (!strcmp(path, FAKE_PATH)) {
		if (fake_fd < 0)
			fake_fd = memfd_create("fake-accel", MFD_CLOEXEC);
		return fake_fd < 0 ? -1 : dup(fake_fd);
	}
	if (!real_open)
		real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	return real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return do_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return do_open(path, flags, mode);
}

static struct fake_bo *bo_get(uint32_t handle)
{
	if (!handle || handle > FAKE_MAX_BOS || !bos[handle - 1].live)
		return NULL;
	return &bos[handle - 1];
}

static int is_fake(int fd)
{
	struct stat a, b;

	return fake_fd >= 0 && fstat(fd, &a) == 0 && fstat(fake_fd, &b) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* The range [dva, dva + len) must lie in one listed BO; returns its memfd offset. */
static int in_listed(const uint32_t *list, uint32_t n, uint64_t dva, uint64_t len, int write,
		     uint64_t *off)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct fake_bo *bo = bo_get(list[i]);
		uint64_t start = FAKE_DVA_BASE + bo->off;

		if (dva >= start && len <= bo->size && dva - start <= bo->size - len) {
			if (write && (bo->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY))
				return 0;
			*off = bo->off + (dva - start);
			return 1;
		}
	}
	return 0;
}

static int args_zero_from(const struct tessera_cmd *c, int from)
{
	int i;

	for (i = from; i < 7; i++)
		if (c->arg[i])
			return 0;
	return 1;
}

/* The audit of one command (the kernel's, reduced); fills the memfd offsets. */
static int check_cmd(const struct tessera_cmd *c, const uint32_t *list, uint32_t n,
		     uint64_t off[3])
{
	uint64_t m = c->arg[3], nn = c->arg[4], k = c->arg[5];

	if (c->reserved)
		return 0;
	switch (c->opcode) {
	case TESSERA_OP_NOP:
		return !c->flags && !c->param && args_zero_from(c, 0);
	case TESSERA_OP_FENCE:
		if (c->flags || c->param || !args_zero_from(c, 2) || (c->arg[0] & 7))
			return 0;
		return !c->arg[0] || in_listed(list, n, c->arg[0], 8, 1, &off[0]);
	case TESSERA_OP_BUSY:
		return !c->flags && !c->param && args_zero_from(c, 1) &&
		       c->arg[0] <= TESSERA_MAX_BUSY_US;
	case TESSERA_OP_GEMM:
		if (c->flags || c->param || !args_zero_from(c, 6) || !m || !nn || !k ||
		    m > TESSERA_GEMM_MAX_DIM || nn > TESSERA_GEMM_MAX_DIM || k > TESSERA_GEMM_MAX_DIM)
			return 0;
		return in_listed(list, n, c->arg[0], m * k * 4, 0, &off[0]) &&
		       in_listed(list, n, c->arg[1], k * nn * 4, 0, &off[1]) &&
		       in_listed(list, n, c->arg[2], m * nn * 4, 1, &off[2]);
	default:
		return 0;	/* tessera-run uses no other */
	}
}

static void run_gemm(const uint64_t off[3], uint64_t m, uint64_t n, uint64_t k, int wrong)
{
	float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *c = calloc(m * n, 4);
	uint64_t i, j, l;

	if (pread(fake_fd, a, m * k * 4, (off_t)off[0]) < 0 ||
	    pread(fake_fd, b, k * n * 4, (off_t)off[1]) < 0)
		abort();
	for (i = 0; i < m; i++)
		for (l = 0; l < k; l++)
			for (j = 0; j < n; j++)
				c[i * n + j] += a[i * k + l] * b[l * n + j];
	if (wrong)
		c[(m / 2) * n + n / 3] += 1;
	if (pwrite(fake_fd, c, m * n * 4, (off_t)off[2]) < 0)
		abort();
	free(a);
	free(b);
	free(c);
}

static int do_submit(struct drm_tessera_submit *s)
{
	const uint32_t *list = (const uint32_t *)(uintptr_t)s->bo_handles;
	const uint32_t *in = (const uint32_t *)(uintptr_t)s->in_syncobjs;
	struct tessera_cmd cmds[1024];
	uint64_t offs[1024][3];
	struct fake_bo *cb = bo_get(s->cmd_handle);
	long job = jobs++;
	int error = 0;
	uint32_t i, j;

	if (!cb)
		return -ENOENT;
	if (s->flags || s->reserved || !s->cmd_count || s->cmd_count > 1024 ||
	    (s->cmd_offset & 63) || s->cmd_offset + s->cmd_count * 64ull > cb->size ||
	    s->bo_count > 256 || (s->bo_count && !list) || (s->in_syncobj_count && !in))
		return -EINVAL;
	for (i = 0; i < s->bo_count; i++) {
		if (!bo_get(list[i]))
			return -ENOENT;
		for (j = 0; j < i; j++)
			if (list[j] == list[i])
				return -EINVAL;
	}
	for (i = 0; i < s->in_syncobj_count; i++)
		if (in[i] < 1 || in[i] > FAKE_MAX_SYNC || !syncobjs[in[i] - 1])
			return -ENOENT;
	if (s->out_syncobj && (s->out_syncobj > FAKE_MAX_SYNC || !syncobjs[s->out_syncobj - 1]))
		return -ENOENT;
	/* The kernel copies the commands, then checks them. */
	if (pread(fake_fd, cmds, s->cmd_count * 64ull, (off_t)(cb->off + s->cmd_offset)) < 0)
		return -EFAULT;
	for (i = 0; i < s->cmd_count; i++)
		if (!check_cmd(&cmds[i], list, s->bo_count, offs[i]))
			return -EINVAL;

	if (job == env_long("FAKE_ACCEL_FAULT", -1))
		error = -EIO;
	for (i = 0; i < s->cmd_count && !error; i++) {
		const struct tessera_cmd *c = &cmds[i];

		if (c->opcode == TESSERA_OP_GEMM) {
			run_gemm(offs[i], c->arg[3], c->arg[4], c->arg[5],
				 job == env_long("FAKE_ACCEL_WRONG", -1));
			busy_ns += (long)(c->arg[3] * c->arg[4] * c->arg[5]);
		} else if (c->opcode == TESSERA_OP_BUSY) {
			if (env_long("FAKE_ACCEL_WATCHDOG", 0) && c->arg[0] > 1000000)
				error = -ETIMEDOUT;
			busy_ns += (long)c->arg[0] * 1000;
		} else if (c->opcode == TESSERA_OP_FENCE && c->arg[0]) {
			if (pwrite(fake_fd, &c->arg[1], 8, (off_t)offs[i][0]) < 0)
				abort();
		}
	}
	if (error)
		for (i = 0; i < s->bo_count; i++)
			bo_get(list[i])->job_error = error;
	if (s->out_syncobj)
		syncobjs[s->out_syncobj - 1] = 2;
	return 0;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case DRM_IOCTL_TESSERA_GET_PARAM: {
		struct drm_tessera_param *p = arg;
		static const uint64_t dflt[] = { TESSERA_PCI_DEVICE_VGPU, 1, 1024, 256ull << 20,
						 0, 1, 0, 0 };

		if (p->reserved || p->param > DRM_TESSERA_PARAM_RESETS)
			return -EINVAL;
		p->value = dflt[p->param];
		if (p->param == DRM_TESSERA_PARAM_BACKEND)
			p->value = (uint64_t)env_long("FAKE_ACCEL_BACKEND", 1);
		if (p->param == DRM_TESSERA_PARAM_BUSY_NS)
			p->value = (uint64_t)busy_ns;
		if (p->param == DRM_TESSERA_PARAM_JOBS_DONE)
			p->value = (uint64_t)jobs;
		return 0;
	}
	case DRM_IOCTL_TESSERA_BO_CREATE: {
		struct drm_tessera_bo_create *c = arg;
		uint64_t size = (c->size + 4095) & ~4095ull;
		uint32_t h;

		if (!c->size || c->size > (256ull << 20) || (c->flags & ~DRM_TESSERA_BO_DEVICE_READ_ONLY))
			return -EINVAL;
		for (h = 0; h < FAKE_MAX_BOS && bos[h].live; h++)
			;
		if (h == FAKE_MAX_BOS)
			return -ENOMEM;
		/* A guard page after each BO, as the driver keeps. */
		if (ftruncate(fake_fd, (off_t)(fake_end + size + 4096)))
			return -ENOMEM;
		bos[h] = (struct fake_bo){ .off = fake_end, .size = size, .flags = c->flags, .live = 1 };
		fake_end += size + 4096;
		c->handle = h + 1;
		c->dva = FAKE_DVA_BASE + bos[h].off;
		return 0;
	}
	case DRM_IOCTL_TESSERA_BO_MMAP_OFFSET: {
		struct drm_tessera_bo_mmap_offset *mo = arg;
		struct fake_bo *bo = bo_get(mo->handle);

		if (mo->pad)
			return -EINVAL;
		if (!bo)
			return -ENOENT;
		mo->offset = bo->off;
		return 0;
	}
	case DRM_IOCTL_TESSERA_SUBMIT:
		return do_submit(arg);
	case DRM_IOCTL_TESSERA_BO_WAIT: {
		struct drm_tessera_bo_wait *w = arg;
		struct fake_bo *bo = bo_get(w->handle);

		if (w->pad || w->pad2)
			return -EINVAL;
		if (!bo)
			return -ENOENT;
		if (w->timeout_ns <= 0)
			return -EINVAL;	/* an absolute time: never 0 from a correct caller */
		w->job_error = bo->job_error;
		return 0;
	}
	case DRM_IOCTL_GEM_CLOSE: {
		struct drm_gem_close *c = arg;
		struct fake_bo *bo = bo_get(c->handle);

		if (!bo)
			return -EINVAL;
		bo->live = 0;
		return 0;
	}
	case DRM_IOCTL_SYNCOBJ_CREATE: {
		struct drm_syncobj_create *c = arg;
		uint32_t i;

		for (i = 0; i < FAKE_MAX_SYNC && syncobjs[i]; i++)
			;
		if (i == FAKE_MAX_SYNC)
			return -ENOMEM;
		syncobjs[i] = (c->flags & DRM_SYNCOBJ_CREATE_SIGNALED) ? 2 : 1;
		c->handle = i + 1;
		return 0;
	}
	case DRM_IOCTL_SYNCOBJ_DESTROY: {
		struct drm_syncobj_destroy *d = arg;

		if (!d->handle || d->handle > FAKE_MAX_SYNC || !syncobjs[d->handle - 1])
			return -EINVAL;
		syncobjs[d->handle - 1] = 0;
		return 0;
	}
	case DRM_IOCTL_SYNCOBJ_WAIT: {
		struct drm_syncobj_wait *w = arg;
		const uint32_t *h = (const uint32_t *)(uintptr_t)w->handles;
		uint32_t i;

		for (i = 0; i < w->count_handles; i++) {
			if (!h[i] || h[i] > FAKE_MAX_SYNC || !syncobjs[h[i] - 1])
				return -ENOENT;
			if (syncobjs[h[i] - 1] != 2)
				return -ETIME;
		}
		w->first_signaled = 0;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	void *arg;
	va_list ap;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (is_fake(fd)) {
		ret = fake_ioctl(req, arg);
		if (ret) {
			errno = -ret;
			return -1;
		}
		return 0;
	}
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}
