// SPDX-License-Identifier: GPL-2.0
/*
 * accel_fuzz: a stateful fuzzer of the DRM accel uAPI of tessera_accel.ko
 * (include/uapi/drm/tessera_accel.h), run against the card's host node
 * (/dev/accel/accelN driven by tessera_accel_host.host).
 *
 *   accel_fuzz [--seed N] [--seconds S] [--ops N] [--threads N] [--node PATH]
 *              [--tail N] [-v]
 *
 * It opens the node several times (one file per thread, plus one file all
 * threads share) and keeps a model of every file: its BOs (handle, size,
 * device address, flags, CPU mapping, the contents they must hold), its
 * syncobjs and its jobs in flight. Each operation is drawn from a seeded
 * generator with boundary and hostile values, and its outcome is predicted
 * exactly from the uAPI's kernel-doc (the oracle):
 *
 *  - a refused call must fail with the one errno the uAPI documents for
 *    its one fault (each hostile call carries exactly one fault);
 *  - a valid call must succeed and have its effect: a BO's device address
 *    is page aligned, in the bind space and overlaps no live BO of any
 *    file; a new BO reads zero; a job's results (FILL, COPY, GEMM on small
 *    integers, ELEMWISE, FENCE writes) are computed on the CPU in
 *    submission order and compared through the CPU mapping once BO_WAIT
 *    says the BO is idle, with job_error 0 (or -EIO for the one kind of job
 *    the card faults on: a misaligned GEMM the audit lets through);
 *  - a refused submit changes nothing: the BOs it names, and the BO of
 *    another file it aimed at, still hold what the model says;
 *  - a BO's device range is not given again while a job that used the BO
 *    is still running (its sync_file is polled when a new BO overlaps it).
 *
 * Operations on a file only its own thread uses are checked strictly;
 * operations on the shared file, which other threads close handles of,
 * submit to and wait on at the same time, are checked against the set of
 * errnos the uAPI allows. Kernel reports (KASAN, lockdep, UBSAN,
 * kmemleak) are the test host's to catch; this program checks the taint
 * flags before and after.
 *
 * Replay: --seed N --threads 0 runs the same single-threaded operations
 * again (the model never decides on timing); --ops N stops after N.
 * Threaded rounds are not reproducible operation for operation.
 *
 * Exit status: 0 pass, 1 oracle violation (or the kernel got tainted),
 * 2 the run could not start (no host node).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The kernel's own uAPI drm.h (not headers_install'ed) still says __user. */
#ifndef __user
#define __user
#endif
#include "drm.h"
#include "tessera_accel.h"
#include "tessera_hw.h"

#define HOST_DRIVER		"tessera_accel_host.host"
#define PAGE			4096ull
#define MAX_FILES		9
#define MAX_BOS			40	/* model slots per file */
#define MAX_JOBS		24	/* unretired jobs per file */
#define MAX_JOB_BOS		8
#define MAX_SYNCS		16	/* spare syncobjs per file */
#define MAX_SUB_CMDS		1100
#define CMD_BO_SIZE		(128 * 1024ull)
#define SHARED_MAX		24
#define LOG_SLOTS		64
#define LOG_WIDTH		160
#define MAX_ZOMBIES		256
#define VERIFIED_BITS		(1u << 24)
/*
 * The kernel's limits on bo_count and in_syncobj_count (TESSERA_ACCEL_MAX_BOS,
 * TESSERA_ACCEL_MAX_SYNCOBJS in drivers/tessera/accel/tessera_accel.h): the
 * uAPI says only "-EINVAL (a bad field)", not where the bound is.
 */
#define ACCEL_MAX_BOS		256
#define ACCEL_MAX_SYNCOBJS	64
#define HOST_RING_DVA		TESSERA_VF_DVA_GUEST_LIMIT
#define HOST_FENCE_DVA		(TESSERA_VF_DVA_GUEST_LIMIT + (1ull << 20))

/* ---- outcomes, per ioctl ---- */

enum { IO_GET_PARAM, IO_BO_CREATE, IO_MMAP_OFFSET, IO_SUBMIT, IO_BO_WAIT, IO_GEM_CLOSE,
       IO_SYNC_CREATE, IO_SYNC_DESTROY, IO_SYNC_WAIT, IO_SYNC_EXPORT, IO_MMAP, IO_NUM };
static const char *const io_name[IO_NUM] = {
	"GET_PARAM", "BO_CREATE", "BO_MMAP_OFFSET", "SUBMIT", "BO_WAIT", "GEM_CLOSE",
	"SYNCOBJ_CREATE", "SYNCOBJ_DESTROY", "SYNCOBJ_WAIT", "SYNCOBJ_HANDLE_TO_FD", "mmap",
};
enum { OC_OK, OC_EINVAL, OC_ENOENT, OC_EFAULT, OC_ETIME, OC_ENOMEM, OC_EACCES, OC_OTHER, OC_NUM };
static const char *const oc_name[OC_NUM] = {
	"0", "EINVAL", "ENOENT", "EFAULT", "ETIME", "ENOMEM", "EACCES", "other",
};
static uint64_t outcome[IO_NUM][OC_NUM];

static int oc_of(int ret)
{
	switch (ret) {
	case 0: return OC_OK;
	case -EINVAL: return OC_EINVAL;
	case -ENOENT: return OC_ENOENT;
	case -EFAULT: return OC_EFAULT;
	case -ETIME: return OC_ETIME;
	case -ENOMEM: return OC_ENOMEM;
	case -EACCES: return OC_EACCES;
	default: return OC_OTHER;
	}
}

/* ---- the model ---- */

struct bo {
	bool used;		/* slot holds a BO (handle live, or mapped after close) */
	bool live;		/* the handle is live */
	uint32_t gen;		/* slot generation */
	uint32_t handle;
	uint32_t flags;
	uint64_t size;		/* rounded to pages */
	uint64_t dva;
	uint64_t off;		/* mmap offset, 0 = not asked yet */
	uint8_t *map;		/* CPU mapping or NULL */
	uint8_t *shadow;	/* what it must hold once idle; NULL = not tracked */
	bool unknown;		/* a faulted job wrote it: contents unknown */
	int pending;		/* unretired jobs that list it */
	int exp_err;		/* job_error BO_WAIT must give (sticky) */
	uint32_t writers[16];	/* jobs that wrote it since its last check */
	uint64_t writer_ops[16];	/* the operations that submitted them */
	uint64_t checked_hash;	/* FNV-1a of what it held at its last check */
	unsigned int nwriters;
	bool is_cmd;		/* the file's command BO */
};

struct job {
	bool used;
	uint64_t id;		/* per file, increasing */
	uint32_t gid;		/* global, for the verified bitmap */
	uint64_t op;		/* the operation that submitted it */
	uint32_t syncobj;	/* 0 = destroyed while in flight */
	int err;		/* predicted fence error: 0 or -EIO */
	int nbo;
	int slot[MAX_JOB_BOS];
	uint32_t gen[MAX_JOB_BOS];
	bool written[MAX_JOB_BOS];
};

struct sync {
	uint32_t handle;
	bool fence;		/* has a fence (signaled or a retired job's) */
};

struct file {
	bool open;
	bool shared;		/* threads share it: relaxed checks, no model */
	int fd;
	int cmd;		/* slot of the command BO */
	uint64_t next_job;
	struct bo bo[MAX_BOS];
	struct job job[MAX_JOBS];
	struct sync sync[MAX_SYNCS];
	int nsync;
	uint32_t freed[8];	/* recently closed handles */
	unsigned int nfreed;
	uint32_t freed_sync[8];
	unsigned int nfreed_sync;
};

/* The shared file's BOs, as far as the threads know them. */
struct shared_bo {
	uint32_t handle;
	uint64_t dva, size;
};

static struct file files[MAX_FILES];
static int nfiles;

/* Every live BO range of every file: the dva oracle. */
struct range {
	int file;
	uint32_t handle;
	uint64_t dva, size;
	bool used;
};
static struct range reg[MAX_FILES * (MAX_BOS + SHARED_MAX + 8)];
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

/* Ranges of BOs whose handle and mapping are gone but a job may still use. */
struct zombie {
	uint64_t dva, size;
	int fence_fd;
};
static struct zombie zombies[MAX_ZOMBIES];
static pthread_mutex_t zombie_lock = PTHREAD_MUTEX_INITIALIZER;

static struct shared_bo shared_bo[SHARED_MAX];
static int nshared;
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t shared_cmd[8];		/* per thread: its command BO in the shared file */
static uint8_t *shared_cmd_map[8];

/* ---- options, counters ---- */

static struct {
	uint64_t seed;
	double seconds;
	uint64_t ops;
	int threads;
	const char *node;
	int tail;
	int verbose;
} opt = { .seconds = 60, .threads = 3, .tail = 40 };

static char node_path[320];
static uint64_t max_cmds, max_bo_size;
static volatile int stop;
static volatile uint64_t violations;
static char fail_msg[512];
static uint64_t n_ops, n_checks, n_jobs, n_jobs_fault, n_hostile, n_races, n_relaxed;
static uint64_t n_good_retired, n_fault_retired, n_bo_checks, n_huge;
static uint8_t *verified_map;
static uint32_t next_gid = 1;
static uint64_t deadline_ms, start_ms;

struct ctx {
	uint64_t s[4];
	int tid;
	uint64_t seq;
	bool strict_all;	/* owns every file (single-threaded rounds) */
	int own;		/* owned file in a threaded round */
	uint64_t last_busy_ns, last_jobs_done, last_resets;
	uint64_t round_end;	/* ms: a threaded round's end */
	char log[LOG_SLOTS][LOG_WIDTH];
	unsigned int nlog;
	struct tessera_cmd cmds[MAX_SUB_CMDS];
	uint8_t *backup[MAX_JOB_BOS];
	uint64_t backup_size[MAX_JOB_BOS];
};
static struct ctx *ctxs[9];

static void add(uint64_t *c, uint64_t v)
{
	__atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- random numbers: splitmix64 seeds xoshiro256** (as vfio_fuzz) ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void seed_ctx(struct ctx *c, uint64_t seed, int tid)
{
	uint64_t x = seed ^ ((uint64_t)tid << 56) ^ 0xacce15eedull;
	int i;

	for (i = 0; i < 4; i++)
		c->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct ctx *c)
{
	uint64_t *s = c->s, r = rotl(s[1] * 5, 7) * 9, u = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= u;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint64_t below(struct ctx *c, uint64_t n)
{
	return n ? rnd(c) % n : 0;
}

static bool chance(struct ctx *c, unsigned int percent)
{
	return below(c, 100) < percent;
}

/* ---- the log and the oracle ---- */

static void oplog(struct ctx *c, const char *fmt, ...)
{
	char *line = c->log[c->nlog++ % LOG_SLOTS];
	va_list ap;
	int n;

	n = snprintf(line, LOG_WIDTH, "%" PRIu64 " t%d ", c->seq, c->tid);
	va_start(ap, fmt);
	vsnprintf(line + n, LOG_WIDTH - n, fmt, ap);
	va_end(ap);
	if (opt.verbose)
		fprintf(stderr, "# op: %s\n", line);
}

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void violation(struct ctx *c, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	unsigned int i, first;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&fail_lock);
	printf("# ORACLE: op %" PRIu64 " (t%d): %s\n", c->seq, c->tid, msg);
	if (!violations++) {
		snprintf(fail_msg, sizeof(fail_msg), "op %" PRIu64 " (t%d): %s", c->seq, c->tid, msg);
		first = c->nlog > (unsigned int)opt.tail ? c->nlog - opt.tail : 0;
		printf("# accel_fuzz: the last operations of t%d (oldest first):\n", c->tid);
		for (i = first; i < c->nlog; i++)
			printf("# op: %s\n", c->log[i % LOG_SLOTS]);
	}
	fflush(stdout);
	pthread_mutex_unlock(&fail_lock);
	stop = 1;
}

static const char *ename(int ret)
{
	static __thread char buf[16];

	switch (ret) {
	case 0: return "0";
	case -EINVAL: return "-EINVAL";
	case -ENOENT: return "-ENOENT";
	case -EFAULT: return "-EFAULT";
	case -ETIME: return "-ETIME";
	case -ENOMEM: return "-ENOMEM";
	case -EACCES: return "-EACCES";
	case -EIO: return "-EIO";
	case -EBUSY: return "-EBUSY";
	case -ENODEV: return "-ENODEV";
	case -ETIMEDOUT: return "-ETIMEDOUT";
	case -ECANCELED: return "-ECANCELED";
	case -EINTR: return "-EINTR";
	}
	snprintf(buf, sizeof(buf), "%d", ret);
	return buf;
}

/* got must be want; returns whether it was. */
static bool expect(struct ctx *c, const char *what, int got, int want)
{
	add(&n_checks, 1);
	if (got == want)
		return true;
	violation(c, "%s: got %s, the uAPI says %s", what, ename(got), ename(want));
	return false;
}

/* got must be one of the errnos in the 0-terminated list after 0 itself. */
static bool expect_in(struct ctx *c, const char *what, int got, const int *allowed, int n)
{
	int i;

	add(&n_checks, 1);
	for (i = 0; i < n; i++)
		if (got == allowed[i])
			return true;
	violation(c, "%s: got %s, which the uAPI does not allow here", what, ename(got));
	return false;
}

/* ---- raw calls ---- */

static int xioctl(int io, int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	ret = ret < 0 ? -errno : 0;
	add(&outcome[io][oc_of(ret)], 1);
	return ret;
}

static int get_param(int fd, uint32_t param, uint32_t reserved, uint64_t *value)
{
	struct drm_tessera_param p = { .param = param, .reserved = reserved };
	int ret = xioctl(IO_GET_PARAM, fd, DRM_IOCTL_TESSERA_GET_PARAM, &p);

	if (value)
		*value = p.value;
	return ret;
}

static int bo_create(int fd, uint64_t size, uint32_t flags, uint32_t *handle, uint64_t *dva)
{
	struct drm_tessera_bo_create a = { .size = size, .flags = flags };
	int ret = xioctl(IO_BO_CREATE, fd, DRM_IOCTL_TESSERA_BO_CREATE, &a);

	*handle = a.handle;
	*dva = a.dva;
	return ret;
}

static int mmap_offset(int fd, uint32_t handle, uint32_t pad, uint64_t *off)
{
	struct drm_tessera_bo_mmap_offset a = { .handle = handle, .pad = pad };
	int ret = xioctl(IO_MMAP_OFFSET, fd, DRM_IOCTL_TESSERA_BO_MMAP_OFFSET, &a);

	*off = a.offset;
	return ret;
}

static int bo_wait(int fd, uint32_t handle, uint32_t pad, int64_t timeout, int *job_error)
{
	struct drm_tessera_bo_wait a = { .handle = handle, .pad = pad, .timeout_ns = timeout,
					 .job_error = 0x5a5a5a5a };
	int ret = xioctl(IO_BO_WAIT, fd, DRM_IOCTL_TESSERA_BO_WAIT, &a);

	if (job_error)
		*job_error = a.job_error;
	return ret;
}

static int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close a = { .handle = handle };

	return xioctl(IO_GEM_CLOSE, fd, DRM_IOCTL_GEM_CLOSE, &a);
}

static int sync_create(int fd, bool signaled, uint32_t *handle)
{
	struct drm_syncobj_create a = { .flags = signaled ? DRM_SYNCOBJ_CREATE_SIGNALED : 0 };
	int ret = xioctl(IO_SYNC_CREATE, fd, DRM_IOCTL_SYNCOBJ_CREATE, &a);

	*handle = a.handle;
	return ret;
}

static int sync_destroy(int fd, uint32_t handle, uint32_t pad)
{
	struct drm_syncobj_destroy a = { .handle = handle, .pad = pad };

	return xioctl(IO_SYNC_DESTROY, fd, DRM_IOCTL_SYNCOBJ_DESTROY, &a);
}

/* 0 signaled, -ETIME not yet (timeout absolute ns), else the error. */
static int sync_wait(int fd, uint32_t handle, int64_t timeout)
{
	struct drm_syncobj_wait a = {
		.handles = (uintptr_t)&handle, .timeout_nsec = timeout, .count_handles = 1,
	};

	return xioctl(IO_SYNC_WAIT, fd, DRM_IOCTL_SYNCOBJ_WAIT, &a);
}

static int sync_export(int fd, uint32_t handle, int *out)
{
	struct drm_syncobj_handle a = {
		.handle = handle, .flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE, .fd = -1,
	};
	int ret = xioctl(IO_SYNC_EXPORT, fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &a);

	*out = a.fd;
	return ret;
}

static int do_mmap(int fd, uint64_t off, uint64_t len, uint8_t **out)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	int ret = p == MAP_FAILED ? -errno : 0;

	add(&outcome[IO_MMAP][oc_of(ret)], 1);
	*out = p == MAP_FAILED ? NULL : p;
	return ret;
}

struct submit_args {
	uint32_t cmd_handle, cmd_count;
	uint64_t cmd_offset, bo_handles;
	uint32_t bo_count, flags;
	uint64_t in_syncobjs;
	uint32_t in_count, out_syncobj;
	uint64_t reserved;
};

static int submit(int fd, const struct submit_args *s)
{
	struct drm_tessera_submit a = {
		.cmd_handle = s->cmd_handle, .cmd_count = s->cmd_count, .cmd_offset = s->cmd_offset,
		.bo_handles = s->bo_handles, .bo_count = s->bo_count, .flags = s->flags,
		.in_syncobjs = s->in_syncobjs, .in_syncobj_count = s->in_count,
		.out_syncobj = s->out_syncobj, .reserved = s->reserved,
	};

	return xioctl(IO_SUBMIT, fd, DRM_IOCTL_TESSERA_SUBMIT, &a);
}

/* ---- the dva registry and the zombie ranges ---- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static void reg_add(int file, uint32_t handle, uint64_t dva, uint64_t size)
{
	size_t i;

	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
		if (!reg[i].used) {
			reg[i] = (struct range){ file, handle, dva, size, true };
			break;
		}
	pthread_mutex_unlock(&reg_lock);
}

/* Before the kernel may free the range: the oracle stays conservative. */
static void reg_del(int file, uint64_t dva)
{
	size_t i;

	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
		if (reg[i].used && reg[i].file == file && reg[i].dva == dva)
			reg[i].used = false;
	pthread_mutex_unlock(&reg_lock);
}

/* A random live range of a file other than @file: its dva (0 if none). */
static bool reg_foreign(struct ctx *c, int file, uint64_t *dva, uint64_t *size, int *owner)
{
	size_t i, n = 0, pick;
	bool ok = false;

	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
		n += reg[i].used && reg[i].file != file;
	if (n) {
		pick = below(c, n);
		for (i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
			if (reg[i].used && reg[i].file != file && !pick--) {
				*dva = reg[i].dva;
				*size = reg[i].size;
				*owner = reg[i].file;
				ok = true;
				break;
			}
	}
	pthread_mutex_unlock(&reg_lock);
	return ok;
}

static void zombie_add(uint64_t dva, uint64_t size, int fence_fd)
{
	int i;

	pthread_mutex_lock(&zombie_lock);
	for (i = 0; i < MAX_ZOMBIES; i++)
		if (!zombies[i].size) {
			zombies[i] = (struct zombie){ dva, size, fence_fd };
			fence_fd = -1;
			break;
		}
	pthread_mutex_unlock(&zombie_lock);
	if (fence_fd >= 0)
		close(fence_fd);
}

/* A new BO at [dva, dva + size): check it against every live range and zombie. */
static void check_new_dva(struct ctx *c, int file, uint32_t handle, uint64_t dva, uint64_t size)
{
	size_t i;
	char what[200] = "";

	add(&n_checks, 1);
	if (dva & (PAGE - 1) || dva < TESSERA_VF_DVA_BIND_BASE ||
	    dva >= TESSERA_VF_DVA_GUEST_LIMIT || size > TESSERA_VF_DVA_GUEST_LIMIT - dva) {
		violation(c, "BO_CREATE: dva 0x%" PRIx64 " (size 0x%" PRIx64 ") is not page aligned in the bind space",
			  dva, size);
		return;
	}
	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < sizeof(reg) / sizeof(reg[0]); i++)
		if (reg[i].used && overlaps(dva, size, reg[i].dva, reg[i].size)) {
			snprintf(what, sizeof(what), "BO_CREATE: file %d handle %u got dva 0x%" PRIx64
				 "+0x%" PRIx64 ", which overlaps live BO %u of file %d at 0x%" PRIx64 "+0x%" PRIx64,
				 file, handle, dva, size, reg[i].handle, reg[i].file, reg[i].dva, reg[i].size);
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	if (what[0]) {
		violation(c, "%s", what);
		return;
	}
	pthread_mutex_lock(&zombie_lock);
	for (i = 0; i < MAX_ZOMBIES; i++) {
		struct zombie *z = &zombies[i];
		struct pollfd p;

		if (!z->size || !overlaps(dva, size, z->dva, z->size))
			continue;
		p.fd = z->fence_fd;
		p.events = POLLIN;
		if (poll(&p, 1, 0) == 0) {
			snprintf(what, sizeof(what), "BO_CREATE: dva 0x%" PRIx64 "+0x%" PRIx64
				 " reuses closed BO 0x%" PRIx64 "+0x%" PRIx64 " while a job using it still runs",
				 dva, size, z->dva, z->size);
			break;
		}
		close(z->fence_fd);
		z->size = 0;
	}
	pthread_mutex_unlock(&zombie_lock);
	if (what[0])
		violation(c, "%s", what);
}

/* Drop the zombies whose jobs are done (they only cost poll() calls). */
static void zombies_reap(void)
{
	int i;

	pthread_mutex_lock(&zombie_lock);
	for (i = 0; i < MAX_ZOMBIES; i++) {
		struct pollfd p = { .fd = zombies[i].fence_fd, .events = POLLIN };

		if (zombies[i].size && poll(&p, 1, 0) > 0) {
			close(zombies[i].fence_fd);
			zombies[i].size = 0;
		}
	}
	pthread_mutex_unlock(&zombie_lock);
}

/* ---- model helpers ---- */

static bool owns(struct ctx *c, int f)
{
	return files[f].open && !files[f].shared && (c->strict_all || c->own == f);
}

static bool handle_live(struct file *fl, uint32_t h)
{
	int i;

	for (i = 0; i < MAX_BOS; i++)
		if (fl->bo[i].used && fl->bo[i].live && fl->bo[i].handle == h)
			return true;
	return false;
}

static bool sync_live(struct file *fl, uint32_t h)
{
	int i;

	for (i = 0; i < fl->nsync; i++)
		if (fl->sync[i].handle == h)
			return true;
	for (i = 0; i < MAX_JOBS; i++)
		if (fl->job[i].used && fl->job[i].syncobj == h)
			return true;
	return false;
}

/* A GEM handle that names no BO of @f: foreign, freed, 0, ~0, ... */
static uint32_t bogus_handle(struct ctx *c, int f, const char **kind)
{
	struct file *fl = &files[f];
	uint32_t h;
	int tries, g, i;

	for (tries = 0; tries < 8; tries++) {
		switch (below(c, 5)) {
		case 0:
			*kind = "foreign";
			g = below(c, nfiles);
			i = below(c, MAX_BOS);
			if (g == f || !files[g].open || files[g].shared || !files[g].bo[i].used ||
			    !files[g].bo[i].live)
				continue;
			/* Read without the owner's lock: a stale number is as bogus. */
			h = files[g].bo[i].handle;
			break;
		case 1:
			*kind = "freed";
			if (!fl->nfreed)
				continue;
			h = fl->freed[below(c, fl->nfreed < 8 ? fl->nfreed : 8)];
			break;
		case 2:
			*kind = "zero";
			h = 0;
			break;
		case 3:
			*kind = "~0";
			h = ~0u;
			break;
		default:
			*kind = "large";
			h = 0x10000 + below(c, 1u << 20);
			break;
		}
		if (!handle_live(fl, h))
			return h;
	}
	*kind = "~0";
	return ~0u;
}

static uint32_t bogus_sync(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	uint32_t h;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		switch (below(c, 3)) {
		case 0:
			if (!fl->nfreed_sync)
				continue;
			h = fl->freed_sync[below(c, fl->nfreed_sync < 8 ? fl->nfreed_sync : 8)];
			break;
		case 1:
			h = ~0u - below(c, 4);
			break;
		default:
			h = 0x20000 + below(c, 1u << 16);
			break;
		}
		if (h && !sync_live(fl, h))
			return h;
	}
	return ~0u;
}

static void note_freed(struct file *fl, uint32_t h)
{
	fl->freed[fl->nfreed++ % 8] = h;
}

static int free_slot(struct file *fl)
{
	int i;

	for (i = 0; i < MAX_BOS; i++)
		if (!fl->bo[i].used)
			return i;
	return -1;
}

/* A random BO slot of @f with a live handle, matching @want (NULL: any data BO). */
static int pick_bo(struct ctx *c, int f, bool (*want)(const struct bo *))
{
	struct file *fl = &files[f];
	int i, n = 0, cand[MAX_BOS];

	for (i = 0; i < MAX_BOS; i++) {
		const struct bo *b = &fl->bo[i];

		if (b->used && b->live && !b->is_cmd && b->shadow && (!want || want(b)))
			cand[n++] = i;
	}
	return n ? cand[below(c, n)] : -1;
}

static bool bo_known(const struct bo *b)
{
	return !b->unknown;
}

static bool bo_mapped_idle(const struct bo *b)
{
	return b->map && !b->pending && !b->unknown;
}

static void set_verified(uint32_t gid)
{
	if (gid < VERIFIED_BITS)
		__atomic_or_fetch(&verified_map[gid / 8], 1u << (gid % 8), __ATOMIC_RELAXED);
}

/* ---- jobs: retirement ---- */

static void retire_one(struct file *fl, struct job *j)
{
	int i;

	for (i = 0; i < j->nbo; i++) {
		struct bo *b = &fl->bo[j->slot[i]];

		if (!b->used || b->gen != j->gen[i])
			continue;
		b->pending--;
		if (j->err) {
			b->exp_err = j->err;
			if (j->written[i])
				b->unknown = true;
		} else if (j->written[i] && b->nwriters < 16) {
			b->writer_ops[b->nwriters] = j->op;
			b->writers[b->nwriters++] = j->gid;
		}
	}
	if (j->err)
		add(&n_fault_retired, 1);
	else
		add(&n_good_retired, 1);
	j->used = false;
}

/*
 * Every job of @fl up to id @upto is done (one file's jobs complete in
 * submission order): their syncobjs must say so. Keep a few of those
 * syncobjs (with their fences) as spares for in_syncobjs; destroy the rest.
 */
static void retire_upto(struct ctx *c, int f, uint64_t upto)
{
	struct file *fl = &files[f];
	int i, ret;

	for (i = 0; i < MAX_JOBS; i++) {
		struct job *j = &fl->job[i];

		if (!j->used || j->id > upto)
			continue;
		if (j->syncobj) {
			ret = sync_wait(fl->fd, j->syncobj, 0);
			if (!expect(c, "SYNCOBJ_WAIT(0) on the out_syncobj of a job that BO_WAIT or a later job's syncobj says is done (one file's jobs complete in order)", ret, 0))
				return;
			if (fl->nsync < MAX_SYNCS) {
				fl->sync[fl->nsync++] = (struct sync){ j->syncobj, true };
			} else {
				expect(c, "SYNCOBJ_DESTROY of a retired job's syncobj",
				       sync_destroy(fl->fd, j->syncobj, 0), 0);
				fl->freed_sync[fl->nfreed_sync++ % 8] = j->syncobj;
			}
			j->syncobj = 0;
		}
		retire_one(fl, j);
	}
}

static int njobs(struct file *fl)
{
	int i, n = 0;

	for (i = 0; i < MAX_JOBS; i++)
		n += fl->job[i].used;
	return n;
}

static struct job *latest_job_with_sync(struct file *fl)
{
	struct job *best = NULL;
	int i;

	for (i = 0; i < MAX_JOBS; i++)
		if (fl->job[i].used && fl->job[i].syncobj && (!best || fl->job[i].id > best->id))
			best = &fl->job[i];
	return best;
}

/*
 * The latest job with a syncobj that lists @slot in its generation @gen:
 * while its fence is pending a job using the BO surely runs. (The file's
 * latest job proves nothing about an earlier one.)
 */
static struct job *latest_job_using(struct file *fl, int slot, uint32_t gen)
{
	struct job *best = NULL, *j;
	int i, k;

	for (i = 0; i < MAX_JOBS; i++) {
		j = &fl->job[i];
		if (!j->used || !j->syncobj || (best && j->id < best->id))
			continue;
		for (k = 0; k < j->nbo; k++)
			if (j->slot[k] == slot && j->gen[k] == gen)
				best = j;
	}
	return best;
}

static int submit_nop_job(struct ctx *c, int f, uint32_t out);

/* Wait for every job of @f: a NOP job behind them all, then its syncobj. */
static void drain_file(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	uint32_t s;
	int ret;

	if (!njobs(fl))
		return;
	if (!expect(c, "SYNCOBJ_CREATE", sync_create(fl->fd, false, &s), 0))
		return;
	ret = submit_nop_job(c, f, s);
	if (!expect(c, "SUBMIT of one NOP (drain)", ret, 0))
		return;
	ret = sync_wait(fl->fd, s, INT64_MAX);
	if (!expect(c, "SYNCOBJ_WAIT(forever) on a NOP job", ret, 0))
		return;
	retire_upto(c, f, fl->next_job);
	expect(c, "SYNCOBJ_DESTROY", sync_destroy(fl->fd, s, 0), 0);
	fl->freed_sync[fl->nfreed_sync++ % 8] = s;
}

/* ---- BO contents: compare, refresh ---- */

static uint64_t fnv1a(const uint8_t *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static bool check_contents(struct ctx *c, int f, int slot, const char *why)
{
	struct file *fl = &files[f];
	struct bo *b = &fl->bo[slot];
	uint8_t *m = b->map;
	bool ok = true;
	uint64_t i;
	unsigned int k;

	if (!b->shadow)
		return true;
	if (!m) {
		if (!b->off && !expect(c, "BO_MMAP_OFFSET of an own BO",
				       mmap_offset(fl->fd, b->handle, 0, &b->off), 0))
			return false;
		if (!expect(c, "mmap of an own BO at its offset, its size", do_mmap(fl->fd, b->off, b->size, &m), 0))
			return false;
	}
	add(&n_checks, 1);
	if (b->unknown) {
		memcpy(b->shadow, m, b->size);
		b->unknown = false;
		b->nwriters = 0;
		b->checked_hash = fnv1a(m, b->size);
	} else if (memcmp(m, b->shadow, b->size)) {
		char ops[16 * 21 + 1] = "";
		uint64_t differ = 0;
		int n = 0;

		for (i = 0; i < b->size && m[i] == b->shadow[i]; i++)
			;
		for (k = 0; k < b->size; k++)
			differ += m[k] != b->shadow[k];
		for (k = 0; k < b->nwriters; k++)
			n += snprintf(ops + n, sizeof(ops) - n, " %" PRIu64, b->writer_ops[k]);
		violation(c, "%s: file %d BO %u (dva 0x%" PRIx64 ", size 0x%" PRIx64 ", flags %u) byte 0x%" PRIx64
			  " is 0x%02x, the model says 0x%02x (%" PRIu64 " bytes differ; written since its last check by the jobs of operations%s; it %s what it held then)",
			  why, f, b->handle, b->dva, b->size, b->flags, i, m[i], b->shadow[i], differ,
			  n ? ops : " none", fnv1a(m, b->size) == b->checked_hash ? "still holds" : "no longer holds");
		if (opt.verbose) {
			uint64_t r0;

			for (k = 0; k < b->size;) {
				if (m[k] == b->shadow[k]) {
					k++;
					continue;
				}
				for (r0 = k; k < b->size && m[k] != b->shadow[k]; k++)
					;
				fprintf(stderr, "# differ: [0x%" PRIx64 ", 0x%x) memory %02x%02x%02x%02x model %02x%02x%02x%02x\n",
					r0, k, m[r0], m[r0 + 1 < b->size ? r0 + 1 : r0], m[r0 + 2 < b->size ? r0 + 2 : r0],
					m[r0 + 3 < b->size ? r0 + 3 : r0], b->shadow[r0],
					b->shadow[r0 + 1 < b->size ? r0 + 1 : r0], b->shadow[r0 + 2 < b->size ? r0 + 2 : r0],
					b->shadow[r0 + 3 < b->size ? r0 + 3 : r0]);
			}
		}
		ok = false;
	} else {
		add(&n_bo_checks, 1);
		for (k = 0; k < b->nwriters; k++)
			set_verified(b->writers[k]);
		b->nwriters = 0;
		b->checked_hash = fnv1a(m, b->size);
	}
	if (m != b->map)
		munmap(m, b->size);
	return ok;
}

/* Make @slot idle (BO_WAIT forever), check job_error and its contents. */
static bool verify_bo(struct ctx *c, int f, int slot, const char *why)
{
	struct file *fl = &files[f];
	struct bo *b = &fl->bo[slot];
	uint64_t upto = 0;
	int err, ret, i, k;

	if (!b->live) {
		drain_file(c, f);
		return check_contents(c, f, slot, why);
	}
	for (i = 0; i < MAX_JOBS; i++)
		for (k = 0; fl->job[i].used && k < fl->job[i].nbo; k++)
			if (fl->job[i].slot[k] == slot && fl->job[i].gen[k] == b->gen &&
			    fl->job[i].id > upto)
				upto = fl->job[i].id;
	ret = bo_wait(fl->fd, b->handle, 0, INT64_MAX, &err);
	if (!expect(c, "BO_WAIT(far future) on an own BO", ret, 0))
		return false;
	if (upto)
		retire_upto(c, f, upto);
	add(&n_checks, 1);
	if (err != b->exp_err) {
		violation(c, "BO_WAIT: file %d BO %u job_error %s, the model says %s", f, b->handle,
			  ename(err), ename(b->exp_err));
		return false;
	}
	return check_contents(c, f, slot, why);
}

/* ---- BO creation and destruction ---- */

static int new_bo(struct ctx *c, int f, uint64_t req, uint32_t flags, bool map, bool track)
{
	struct file *fl = &files[f];
	struct bo *b;
	uint32_t h;
	uint64_t dva, size = (req + PAGE - 1) & ~(PAGE - 1);
	int slot = free_slot(fl), ret;
	uint64_t i;

	if (slot < 0)
		return -1;
	ret = bo_create(fl->fd, req, flags, &h, &dva);
	if (ret == -ENOMEM && size > (64ull << 20)) {
		/* A BO of MAX_BO_SIZE may not fit the test host: allowed, counted. */
		return -1;
	}
	if (!expect(c, "BO_CREATE of a valid size and flags", ret, 0))
		return -1;
	check_new_dva(c, f, h, dva, size);
	b = &fl->bo[slot];
	memset(b, 0, offsetof(struct bo, gen));
	b->gen++;
	memset((char *)b + offsetof(struct bo, handle), 0, sizeof(*b) - offsetof(struct bo, handle));
	b->used = b->live = true;
	b->handle = h;
	b->flags = flags;
	b->size = size;
	b->dva = dva;
	reg_add(f, h, dva, size);
	if (track) {
		b->shadow = calloc(1, size);
		if (!b->shadow) {
			perror("calloc");
			exit(2);
		}
	}
	if (map || !track) {
		if (!expect(c, "BO_MMAP_OFFSET of a new BO", mmap_offset(fl->fd, h, 0, &b->off), 0))
			return slot;
		add(&n_checks, 1);
		if (b->off & (PAGE - 1))
			violation(c, "BO_MMAP_OFFSET: offset 0x%" PRIx64 " is not page aligned", b->off);
		if (!expect(c, "mmap of a new BO, its whole size", do_mmap(fl->fd, b->off, size, &b->map), 0))
			return slot;
		add(&n_checks, 1);
		if (track) {
			if (memcmp(b->map, b->shadow, size))
				violation(c, "BO_CREATE: a new BO of 0x%" PRIx64 " bytes does not read zero", size);
		} else {
			/* Huge: sample a page in 64 and the last. */
			for (i = 0; i < size; i += PAGE * 64 + PAGE * below(c, 4))
				if (b->map[i] || b->map[i + PAGE - 1] || b->map[size - 1])
					violation(c, "BO_CREATE: a new %" PRIu64 "-byte BO does not read zero at 0x%" PRIx64,
						  size, i);
		}
	}
	return slot;
}

/* The slot goes: before the kernel may free the range, drop it from the registry. */
static void slot_release(struct ctx *c, int f, int slot)
{
	struct file *fl = &files[f];
	struct bo *b = &fl->bo[slot];
	struct job *j;
	int fd;

	reg_del(f, b->dva);
	if (b->pending && (j = latest_job_using(fl, slot, b->gen)) &&
	    sync_export(fl->fd, j->syncobj, &fd) == 0)
		zombie_add(b->dva, b->size, fd);
	if (b->map)
		munmap(b->map, b->size);
	free(b->shadow);
	b->map = NULL;
	b->shadow = NULL;
	b->used = false;
	(void)c;
}

static void close_bo(struct ctx *c, int f, int slot, bool keep_map)
{
	struct file *fl = &files[f];
	struct bo *b = &fl->bo[slot];

	if (!keep_map || !b->map) {
		reg_del(f, b->dva);
		expect(c, "GEM_CLOSE of an own live handle", gem_close(fl->fd, b->handle), 0);
		note_freed(fl, b->handle);
		b->live = false;
		slot_release(c, f, slot);
		return;
	}
	/* The mapping keeps the BO (and its range): verify through it later. */
	expect(c, "GEM_CLOSE of an own live handle", gem_close(fl->fd, b->handle), 0);
	note_freed(fl, b->handle);
	b->live = false;
}

/* ---- opening and closing files ---- */

static void open_file(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	int slot;

	memset(fl, 0, sizeof(*fl));
	fl->fd = open(node_path, O_RDWR | O_CLOEXEC);
	if (fl->fd < 0) {
		printf("# accel_fuzz: cannot open %s: %s\n", node_path, strerror(errno));
		exit(2);
	}
	fl->open = true;
	fl->next_job = 1;
	slot = new_bo(c, f, CMD_BO_SIZE, 0, true, true);
	if (slot < 0) {
		printf("# accel_fuzz: no command BO on %s\n", node_path);
		exit(2);
	}
	fl->cmd = slot;
	fl->bo[slot].is_cmd = true;
}

/* Close the whole file, jobs in flight and all; its ranges become zombies. */
static void close_file(struct ctx *c, int f)
{
	(void)c;
	struct file *fl = &files[f];
	struct job *j = latest_job_with_sync(fl);
	int fd = -1, i;

	if (j && sync_export(fl->fd, j->syncobj, &fd) < 0)
		fd = -1;
	for (i = 0; i < MAX_BOS; i++) {
		struct bo *b = &fl->bo[i];

		if (!b->used)
			continue;
		reg_del(f, b->dva);
		if (b->pending && fd >= 0)
			zombie_add(b->dva, b->size, dup(fd));
		if (b->map)
			munmap(b->map, b->size);
		free(b->shadow);
		b->used = false;
	}
	if (fd >= 0)
		close(fd);
	close(fl->fd);
	fl->open = false;
}

/* ---- commands: building them and computing their effect ---- */

struct listed {
	int n;
	int slot[MAX_JOB_BOS];
	uint32_t handle[MAX_JOB_BOS];
	bool written[MAX_JOB_BOS];
};

static struct bo *listed_bo(int f, const struct listed *l, int i)
{
	return &files[f].bo[l->slot[i]];
}

/* The shadow bytes of [addr, addr+len) in a listed BO, or NULL. */
static uint8_t *sim_ptr(int f, struct listed *l, uint64_t addr, uint64_t len, bool write)
{
	int i;

	for (i = 0; i < l->n; i++) {
		struct bo *b = listed_bo(f, l, i);

		if (addr >= b->dva && addr - b->dva < b->size && len <= b->size - (addr - b->dva)) {
			if (write)
				l->written[i] = true;
			return b->shadow + (addr - b->dva);
		}
	}
	return NULL;
}

static float rdf(const uint8_t *p)
{
	float v;

	memcpy(&v, p, 4);
	return v;
}

static void wrf(uint8_t *p, float v)
{
	memcpy(p, &v, 4);
}

static bool nice_f32(const uint8_t *p, uint64_t count, float lim)
{
	uint64_t i;

	for (i = 0; i < count; i++) {
		float v = rdf(p + 4 * i);

		if (!isfinite(v) || v != truncf(v) || fabsf(v) > lim)
			return false;
	}
	return true;
}

/* What the card does, on the model's copy (the command passed the audit). */
static void sim(int f, struct listed *l, const struct tessera_cmd *cmd)
{
	uint64_t a0 = cmd->arg[0], a1 = cmd->arg[1], a2 = cmd->arg[2], i, j, k;
	uint8_t *d, *s, *s2;

	if (opt.verbose)
		fprintf(stderr, "# sim: f%d op %u flags %x param %x args %" PRIx64 " %" PRIx64 " %" PRIx64
			" %" PRIx64 " %" PRIx64 " %" PRIx64 "\n", f, cmd->opcode, cmd->flags, cmd->param,
			a0, a1, a2, (uint64_t)cmd->arg[3], (uint64_t)cmd->arg[4], (uint64_t)cmd->arg[5]);
	switch (cmd->opcode) {
	case TESSERA_OP_FENCE:
		if (a0) {
			d = sim_ptr(f, l, a0, 8, true);
			memcpy(d, &a1, 8);
		}
		break;
	case TESSERA_OP_FILL:
		if (!a1)
			break;
		d = sim_ptr(f, l, a0, a1, true);
		for (i = 0; i < a1; i++)
			d[i] = cmd->param >> (8 * (i % 4));
		break;
	case TESSERA_OP_COPY:
		if (!a2)
			break;
		s = sim_ptr(f, l, a1, a2, false);
		d = sim_ptr(f, l, a0, a2, true);
		memmove(d, s, a2);
		break;
	case TESSERA_OP_GEMM: {
		uint64_t m = cmd->arg[3], n = cmd->arg[4], kk = cmd->arg[5];
		float *cc = calloc(m * n, sizeof(float));

		s = sim_ptr(f, l, a0, m * kk * 4, false);
		s2 = sim_ptr(f, l, a1, kk * n * 4, false);
		d = sim_ptr(f, l, a2, m * n * 4, true);
		for (i = 0; i < m; i++)
			for (j = 0; j < n; j++) {
				float acc = (cmd->flags & TESSERA_GEMM_ACCUMULATE) ? rdf(d + 4 * (i * n + j)) : 0;

				for (k = 0; k < kk; k++)
					acc += rdf(s + 4 * (i * kk + k)) * rdf(s2 + 4 * (k * n + j));
				cc[i * n + j] = acc;
			}
		memcpy(d, cc, m * n * 4);
		free(cc);
		break;
	}
	case TESSERA_OP_ELEMWISE: {
		uint64_t cnt = cmd->arg[3];

		if (!cnt)
			break;
		s = sim_ptr(f, l, a1, cnt * 4, false);
		s2 = cmd->param == TESSERA_EW_RELU ? NULL : sim_ptr(f, l, a2, cnt * 4, false);
		d = sim_ptr(f, l, a0, cnt * 4, true);
		for (i = 0; i < cnt; i++) {
			float x = rdf(s + 4 * i), y = s2 ? rdf(s2 + 4 * i) : 0, r;

			if (cmd->param == TESSERA_EW_ADD)
				r = x + y;
			else if (cmd->param == TESSERA_EW_MUL)
				r = x * y;
			else
				r = x > 0.0f ? x : 0.0f;
			wrf(d + 4 * i, r);
		}
		break;
	}
	default:
		break;
	}
}

static void cmd0(struct tessera_cmd *cmd, uint8_t op)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = op;
}

/* A random window of @len bytes in BO @b, @align aligned: its dva. */
static uint64_t window(struct ctx *c, const struct bo *b, uint64_t len, uint64_t align)
{
	uint64_t room = b->size - len;

	return b->dva + (below(c, room / align + 1) * align);
}

static int pick_listed(struct ctx *c, int f, const struct listed *l, bool writable)
{
	int cand[MAX_JOB_BOS], n = 0, i;

	for (i = 0; i < l->n; i++)
		if (!writable || !(listed_bo(f, l, i)->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY))
			cand[n++] = i;
	return n ? cand[below(c, n)] : -1;
}

/* Nice inputs for a float command: FILL the region (in the job) if they are not. */
static bool make_nice_f32(struct ctx *c, int f, struct listed *l, uint64_t addr, uint64_t count,
		      float lim, struct tessera_cmd *cmds, int *nc, int max)
{
	uint8_t *p = sim_ptr(f, l, addr, count * 4, false);
	float v;
	uint32_t bits;
	int i;

	if (nice_f32(p, count, lim))
		return true;
	for (i = 0; i < l->n; i++) {
		struct bo *b = listed_bo(f, l, i);

		if (addr >= b->dva && addr < b->dva + b->size &&
		    (b->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY))
			return false;
	}
	if (*nc >= max)
		return false;
	v = (float)((int)below(c, 9) - 4);
	memcpy(&bits, &v, 4);
	cmd0(&cmds[*nc], TESSERA_OP_FILL);
	cmds[*nc].param = bits;
	cmds[*nc].arg[0] = addr;
	cmds[*nc].arg[1] = count * 4;
	sim(f, l, &cmds[*nc]);
	(*nc)++;
	return true;
}

/*
 * One valid command (maybe preceded by FILLs that make float inputs nice)
 * on the listed BOs, its effect applied to the model. Returns the commands
 * added (0 if none fits).
 */
static int gen_valid(struct ctx *c, int f, struct listed *l, struct tessera_cmd *cmds, int max)
{
	int nc = 0, w, r, kind = below(c, 100);
	struct bo *bw, *br;
	struct tessera_cmd *cmd;
	uint64_t len, dst, src, src2;

	if (max < 1)
		return 0;
	w = pick_listed(c, f, l, true);
	r = pick_listed(c, f, l, false);
	if (w < 0 || kind < 8) {
		cmd = &cmds[0];
		if (kind < 4 || w < 0) {
			cmd0(cmd, TESSERA_OP_NOP);
		} else {
			cmd0(cmd, TESSERA_OP_BUSY);
			cmd->arg[0] = below(c, 300);
		}
		return 1;
	}
	bw = listed_bo(f, l, w);
	br = listed_bo(f, l, r);
	if (kind < 35) {
		len = chance(c, 5) ? 0 : 4 * (1 + below(c, (bw->size < 65536 ? bw->size : 65536) / 4));
		cmd = &cmds[0];
		cmd0(cmd, TESSERA_OP_FILL);
		cmd->param = chance(c, 50) ? (uint32_t)rnd(c) : 0x01010101u * (uint32_t)below(c, 256);
		cmd->arg[0] = window(c, bw, len, chance(c, 80) ? 4 : 1);
		cmd->arg[1] = len;
		sim(f, l, cmd);
		return 1;
	}
	if (kind < 60) {
		len = chance(c, 4) ? 0 : 1 + below(c, (br->size < 32768 ? br->size : 32768) / 2);
		if (len > bw->size / 2)
			len = bw->size / 2;
		if (len > br->size / 2)
			len = br->size / 2;
		dst = window(c, bw, len, chance(c, 70) ? 4 : 1);
		src = window(c, br, len, chance(c, 70) ? 4 : 1);
		if (len && overlaps(dst, len, src, len)) {
			/* Same BO: the two halves. */
			if (bw != br)
				return 0;
			dst = bw->dva;
			src = bw->dva + bw->size / 2;
			if (chance(c, 50)) {
				uint64_t t = dst;

				dst = src;
				src = t;
			}
		}
		cmd = &cmds[0];
		cmd0(cmd, TESSERA_OP_COPY);
		cmd->arg[0] = dst;
		cmd->arg[1] = src;
		cmd->arg[2] = len;
		sim(f, l, cmd);
		return 1;
	}
	if (kind < 75) {
		uint64_t m = 1 + below(c, chance(c, 10) ? 32 : 8), n = 1 + below(c, 8);
		uint64_t k = 1 + below(c, chance(c, 10) ? 64 : 8);
		int ra = pick_listed(c, f, l, false), rb = pick_listed(c, f, l, false), tries;
		struct bo *ba = listed_bo(f, l, ra), *bb = listed_bo(f, l, rb);
		bool acc = chance(c, 30);
		uint64_t pa, pb, pc;

		if (m * k * 4 > ba->size || k * n * 4 > bb->size || m * n * 4 > bw->size)
			return 0;
		for (tries = 0; tries < 8; tries++) {
			pa = window(c, ba, m * k * 4, 4);
			pb = window(c, bb, k * n * 4, 4);
			pc = window(c, bw, m * n * 4, 4);
			if (!overlaps(pc, m * n * 4, pa, m * k * 4) &&
			    !overlaps(pc, m * n * 4, pb, k * n * 4))
				break;
		}
		if (tries == 8)
			return 0;
		if (!make_nice_f32(c, f, l, pa, m * k, 16, cmds, &nc, max - 1) ||
		    !make_nice_f32(c, f, l, pb, k * n, 16, cmds, &nc, max - 1) ||
		    (acc && !make_nice_f32(c, f, l, pc, m * n, 65536, cmds, &nc, max - 1)))
			return nc;
		cmd = &cmds[nc++];
		cmd0(cmd, TESSERA_OP_GEMM);
		cmd->flags = acc ? TESSERA_GEMM_ACCUMULATE : 0;
		cmd->arg[0] = pa;
		cmd->arg[1] = pb;
		cmd->arg[2] = pc;
		cmd->arg[3] = m;
		cmd->arg[4] = n;
		cmd->arg[5] = k;
		sim(f, l, cmd);
		return nc;
	}
	if (kind < 88) {
		uint32_t op = below(c, TESSERA_EW_NUM_OPS);
		uint64_t cnt = chance(c, 3) ? 0 : 1 + below(c, 1024);
		int rb = pick_listed(c, f, l, false), tries;
		struct bo *bb = listed_bo(f, l, rb);

		if (cnt * 4 > bw->size || cnt * 4 > br->size || cnt * 4 > bb->size)
			cnt = 1;
		src = window(c, br, cnt * 4, 4);
		src2 = op == TESSERA_EW_RELU ? 0 : window(c, bb, cnt * 4, 4);
		for (tries = 0; tries < 8; tries++) {
			dst = chance(c, 15) ? src : window(c, bw, cnt * 4, chance(c, 80) ? 4 : 1);
			if (bw->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY)
				return 0;
			if ((dst == src || !overlaps(dst, cnt * 4, src, cnt * 4)) &&
			    (op == TESSERA_EW_RELU || dst == src2 || !overlaps(dst, cnt * 4, src2, cnt * 4)))
				break;
		}
		if (tries == 8)
			return 0;
		if (dst == src && !sim_ptr(f, l, dst, cnt * 4, false))
			return 0;
		/* dst == src needs a writable source. */
		if (dst == src && (br->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY))
			return 0;
		if (op != TESSERA_EW_RELU && cnt &&
		    (!make_nice_f32(c, f, l, src, cnt, 2048, cmds, &nc, max - 1) ||
		     !make_nice_f32(c, f, l, src2, cnt, 2048, cmds, &nc, max - 1)))
			return nc;
		cmd = &cmds[nc++];
		cmd0(cmd, TESSERA_OP_ELEMWISE);
		cmd->param = op;
		cmd->arg[0] = dst;
		cmd->arg[1] = src;
		cmd->arg[2] = src2;
		cmd->arg[3] = cnt;
		sim(f, l, cmd);
		return nc;
	}
	cmd = &cmds[0];
	cmd0(cmd, TESSERA_OP_FENCE);
	cmd->arg[0] = chance(c, 25) ? 0 : window(c, bw, 8, 8);
	cmd->arg[1] = rnd(c);
	sim(f, l, cmd);
	return 1;
}

/*
 * One command the kernel must refuse (SUBMIT -EINVAL), given the listed
 * BOs. @desc says which rule; @victim gets a file whose BO it aimed at.
 */
static void gen_hostile(struct ctx *c, int f, struct listed *l, struct tessera_cmd *cmd,
			const char **desc, int *victim)
{
	struct file *fl = &files[f];
	int w = pick_listed(c, f, l, true), i, kind, tries;
	struct bo *b = listed_bo(f, l, below(c, l->n));
	uint64_t fdva, fsize;
	int owner;

	*victim = -1;
	for (tries = 0; tries < 16; tries++) {
		kind = below(c, 26);
		cmd0(cmd, TESSERA_OP_FILL);
		cmd->param = 0xbadc0de0u;
		switch (kind) {
		case 0: /* an own BO that is not listed */
			for (i = 0; i < MAX_BOS; i++) {
				int s = (i + below(c, MAX_BOS)) % MAX_BOS, k;
				bool in = false;

				if (!fl->bo[s].used || !fl->bo[s].live)
					continue;
				for (k = 0; k < l->n; k++)
					in |= l->slot[k] == s;
				if (in)
					continue;
				cmd->arg[0] = fl->bo[s].dva;
				cmd->arg[1] = 4 * (1 + below(c, 16));
				*desc = fl->bo[s].is_cmd ? "FILL into the command BO, not listed" :
							   "FILL into an own BO that is not listed";
				return;
			}
			continue;
		case 1: case 2: /* another file's BO, by its dva */
			if (!reg_foreign(c, f, &fdva, &fsize, &owner))
				continue;
			if (kind == 1) {
				cmd->arg[0] = fdva + 4 * below(c, fsize / 4 - 1);
				cmd->arg[1] = 4;
				*desc = "FILL into another file's BO by its dva";
			} else {
				cmd0(cmd, TESSERA_OP_COPY);
				if (w < 0)
					continue;
				cmd->arg[0] = listed_bo(f, l, w)->dva;
				cmd->arg[1] = fdva;
				cmd->arg[2] = 64;
				*desc = "COPY out of another file's BO by its dva";
			}
			*victim = owner;
			return;
		case 3: /* the page after a listed BO (the uAPI promises no guard page) */
			for (i = 0; i < l->n; i++) {
				struct bo *y = listed_bo(f, l, i);

				if (b->dva + b->size >= y->dva && b->dva + b->size < y->dva + y->size)
					break;
			}
			if (i < l->n)
				continue;
			cmd->arg[0] = b->dva + b->size;
			cmd->arg[1] = 4;
			*desc = "FILL into the guard page after a listed BO";
			return;
		case 4: /* crossing the end of a listed BO */
			cmd->arg[0] = b->dva + b->size - 4;
			cmd->arg[1] = 8;
			*desc = "FILL crossing the end of a listed BO";
			return;
		case 5: /* straddling two listed BOs */
			if (l->n < 2)
				continue;
			{
				struct bo *x = listed_bo(f, l, 0), *y = listed_bo(f, l, 1);

				if (x->dva > y->dva) {
					struct bo *t = x;

					x = y;
					y = t;
				}
				cmd->arg[0] = x->dva + x->size - 4;
				cmd->arg[1] = y->dva - cmd->arg[0] + 4;
				if (cmd->arg[1] > TESSERA_MAX_XFER_BYTES)
					continue;
			}
			*desc = "FILL straddling two listed BOs";
			return;
		case 6: /* before the bind space, its end, the host's ring and fence */
			switch (below(c, 5)) {
			case 0: cmd->arg[0] = TESSERA_VF_DVA_BIND_BASE - 4096; break;
			case 1: cmd->arg[0] = 0x1000; break;
			case 2: cmd->arg[0] = HOST_RING_DVA; break;
			case 3: cmd->arg[0] = HOST_FENCE_DVA; break;
			default: cmd->arg[0] = TESSERA_DVA_VRAM_BASE; break;
			}
			cmd->arg[1] = 8;
			if (chance(c, 50)) {
				cmd0(cmd, TESSERA_OP_FENCE);
				cmd->arg[0] = HOST_FENCE_DVA;
				cmd->arg[1] = ~0ull;
			}
			*desc = "a write outside the bind space (guest space, host ring/fence, VRAM)";
			return;
		case 7: /* wrapping */
			cmd->arg[0] = ~0ull - 3;
			cmd->arg[1] = 8;
			*desc = "FILL wrapping the address space";
			return;
		case 8: /* writes to a DEVICE_READ_ONLY BO */
			for (i = 0; i < l->n; i++)
				if (listed_bo(f, l, i)->flags & DRM_TESSERA_BO_DEVICE_READ_ONLY)
					break;
			if (i == l->n)
				continue;
			b = listed_bo(f, l, i);
			switch (below(c, 4)) {
			case 0:
				cmd->arg[0] = b->dva;
				cmd->arg[1] = 4;
				*desc = "FILL into a DEVICE_READ_ONLY BO";
				break;
			case 1:
				cmd0(cmd, TESSERA_OP_FENCE);
				cmd->arg[0] = b->dva + 8 * below(c, b->size / 8);
				cmd->arg[1] = 1;
				*desc = "FENCE writing a DEVICE_READ_ONLY BO";
				break;
			case 2:
				cmd0(cmd, TESSERA_OP_ELEMWISE);
				cmd->param = TESSERA_EW_RELU;
				cmd->arg[0] = b->dva;
				cmd->arg[1] = b->dva + b->size / 2;
				cmd->arg[3] = 4;
				*desc = "ELEMWISE into a DEVICE_READ_ONLY BO";
				break;
			default:
				cmd0(cmd, TESSERA_OP_GEMM);
				cmd->arg[0] = b->dva + 64;
				cmd->arg[1] = b->dva + 128;
				cmd->arg[2] = b->dva;
				cmd->arg[3] = cmd->arg[4] = cmd->arg[5] = 2;
				*desc = "GEMM writing C into a DEVICE_READ_ONLY BO";
				break;
			}
			return;
		case 9:
			cmd0(cmd, TESSERA_OP_BATCH);
			cmd->arg[0] = chance(c, 50) ? b->dva : 0x1000;
			cmd->arg[1] = 1;
			*desc = "BATCH";
			return;
		case 10:
			cmd0(cmd, chance(c, 50) ? TESSERA_OP_REG_WRITE : TESSERA_OP_MMU_UPDATE);
			cmd->arg[0] = chance(c, 50) ? 0 : TESSERA_REG_RESET;
			cmd->arg[1] = TESSERA_RESET_KEY;
			*desc = "a privileged command";
			return;
		case 11:
			cmd0(cmd, TESSERA_OP_PRIVILEGED_FIRST + below(c, 0xf0));
			*desc = "a privileged-range opcode";
			return;
		case 12:
			cmd0(cmd, TESSERA_OP_FENCE);
			cmd->flags = TESSERA_FENCE_IRQ;
			cmd->arg[1] = rnd(c);
			*desc = "FENCE with TESSERA_FENCE_IRQ";
			return;
		case 13:
			cmd0(cmd, 0x08 + below(c, 8));
			*desc = "an unknown opcode";
			return;
		case 14:
			if (w < 0)
				continue;
			cmd->arg[0] = listed_bo(f, l, w)->dva;
			cmd->arg[1] = 4;
			cmd->reserved = 1 + below(c, 0xffff);
			*desc = "a FILL with its reserved field set";
			return;
		case 15:
			if (w < 0)
				continue;
			cmd->arg[0] = listed_bo(f, l, w)->dva;
			cmd->arg[1] = 4;
			cmd->arg[2 + below(c, 5)] = 1ull << below(c, 64);
			*desc = "a FILL with an unused argument set";
			return;
		case 16:
			cmd0(cmd, TESSERA_OP_NOP);
			if (chance(c, 50))
				cmd->flags = 1 << below(c, 8);
			else
				cmd->arg[below(c, 7)] = 1;
			*desc = "a NOP with a flag or an argument";
			return;
		case 17:
			if (w < 0)
				continue;
			cmd->arg[0] = listed_bo(f, l, w)->dva;
			cmd->arg[1] = chance(c, 50) ? TESSERA_MAX_XFER_BYTES + 4 : 1 + 4 * below(c, 4) + below(c, 3);
			*desc = "FILL bytes over the card's bound or not a multiple of 4";
			return;
		case 18:
			cmd0(cmd, TESSERA_OP_BUSY);
			cmd->arg[0] = TESSERA_MAX_BUSY_US + 1 + below(c, 1000);
			*desc = "BUSY over 10 s";
			return;
		case 19:
			if (w < 0)
				continue;
			cmd0(cmd, TESSERA_OP_GEMM);
			b = listed_bo(f, l, w);
			cmd->arg[0] = cmd->arg[1] = cmd->arg[2] = b->dva;
			cmd->arg[3] = cmd->arg[4] = cmd->arg[5] = 1;
			cmd->arg[3 + below(c, 3)] = chance(c, 50) ? 0 : TESSERA_GEMM_MAX_DIM + 1;
			*desc = "GEMM with a dimension 0 or over 2048";
			return;
		case 20:
			if (w < 0)
				continue;
			cmd0(cmd, TESSERA_OP_ELEMWISE);
			b = listed_bo(f, l, w);
			cmd->arg[0] = b->dva;
			cmd->arg[1] = b->dva + 64;
			cmd->arg[3] = 4;
			switch (below(c, 3)) {
			case 0: cmd->param = TESSERA_EW_NUM_OPS + below(c, 100); cmd->arg[2] = b->dva + 128; break;
			case 1: cmd->param = TESSERA_EW_RELU; cmd->arg[2] = b->dva + 128; break;
			default: cmd->param = TESSERA_EW_ADD; cmd->arg[2] = b->dva + 128;
				cmd->arg[3] = TESSERA_MAX_XFER_BYTES / 4 + 1; break;
			}
			*desc = "ELEMWISE with a bad op, RELU with b, or a count over the bound";
			return;
		case 21:
			if (w < 0 || listed_bo(f, l, w)->size < 256)
				continue;
			cmd0(cmd, TESSERA_OP_COPY);
			b = listed_bo(f, l, w);
			cmd->arg[0] = b->dva + 4;
			cmd->arg[1] = b->dva;
			cmd->arg[2] = 64;
			*desc = "COPY with overlapping ranges";
			return;
		case 22:
			if (w < 0)
				continue;
			cmd0(cmd, TESSERA_OP_FENCE);
			cmd->arg[0] = listed_bo(f, l, w)->dva + 4;
			cmd->arg[1] = 1;
			*desc = "FENCE at an address not 8-aligned";
			return;
		case 23:
			cmd0(cmd, TESSERA_OP_FENCE);
			cmd->flags = 2 << below(c, 7);
			*desc = "FENCE with an unknown flag";
			return;
		case 24:
			if (w < 0)
				continue;
			cmd0(cmd, TESSERA_OP_COPY);
			cmd->arg[0] = listed_bo(f, l, w)->dva;
			cmd->arg[1] = TESSERA_VF_DVA_BIND_BASE - 64;
			cmd->arg[2] = 64;
			*desc = "COPY from outside the bind space";
			return;
		default:
			if (w < 0)
				continue;
			cmd0(cmd, TESSERA_OP_GEMM);
			b = listed_bo(f, l, w);
			cmd->arg[0] = b->dva;
			cmd->arg[1] = b->dva;
			cmd->arg[2] = b->dva;
			cmd->arg[3] = cmd->arg[4] = 64;
			cmd->arg[5] = 64 + (b->size / 256);
			*desc = "GEMM whose A/B/C run past the listed BO";
			if (cmd->arg[5] > TESSERA_GEMM_MAX_DIM)
				continue;
			return;
		}
	}
	cmd0(cmd, TESSERA_OP_BATCH);
	cmd->arg[0] = 0x1000;
	cmd->arg[1] = 1;
	*desc = "BATCH";
}

/* ---- submits ---- */

static void backup_listed(struct ctx *c, int f, struct listed *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		struct bo *b = listed_bo(f, l, i);

		if (c->backup_size[i] < b->size) {
			free(c->backup[i]);
			c->backup[i] = malloc(b->size);
			c->backup_size[i] = b->size;
		}
		memcpy(c->backup[i], b->shadow, b->size);
		l->written[i] = false;
	}
}

static void restore_listed(struct ctx *c, int f, struct listed *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		memcpy(listed_bo(f, l, i)->shadow, c->backup[i], listed_bo(f, l, i)->size);
}

static void write_cmds(struct file *fl, uint64_t off, const struct tessera_cmd *cmds, int n)
{
	struct bo *cb = &fl->bo[fl->cmd];

	memcpy(cb->map + off, cmds, (size_t)n * TESSERA_CMD_SIZE);
	/* The model too: no command may write it (it is never listed). */
	memcpy(cb->shadow + off, cmds, (size_t)n * TESSERA_CMD_SIZE);
}

/* Record a job SUBMIT accepted. */
static void add_job(struct ctx *c, int f, struct listed *l, uint32_t syncobj, int err)
{
	struct file *fl = &files[f];
	struct job *j = NULL;
	int i;

	for (i = 0; i < MAX_JOBS; i++)
		if (!fl->job[i].used) {
			j = &fl->job[i];
			break;
		}
	if (!j) {
		violation(c, "internal: no job slot");
		return;
	}
	memset(j, 0, sizeof(*j));
	j->used = true;
	j->id = fl->next_job++;
	j->gid = __atomic_fetch_add(&next_gid, 1, __ATOMIC_RELAXED);
	j->op = c->seq;
	j->syncobj = syncobj;
	j->err = err;
	j->nbo = l->n;
	for (i = 0; i < l->n; i++) {
		struct bo *b = listed_bo(f, l, i);

		j->slot[i] = l->slot[i];
		j->gen[i] = b->gen;
		j->written[i] = l->written[i];
		b->pending++;
		/*
		 * A job made to fault leaves what it writes unknown from now
		 * on, not only once it is seen retired: later jobs of any file
		 * may read it first (they wait for it to be scheduled, not done).
		 */
		if (err && l->written[i])
			b->unknown = true;
	}
	add(&n_jobs, 1);
	if (err)
		add(&n_jobs_fault, 1);
}

static int submit_nop_job(struct ctx *c, int f, uint32_t out)
{
	struct file *fl = &files[f];
	struct submit_args s = { .cmd_handle = fl->bo[fl->cmd].handle, .cmd_count = 1,
				 .out_syncobj = out };
	struct listed l = { 0 };
	struct tessera_cmd nop;
	int ret;

	cmd0(&nop, TESSERA_OP_NOP);
	write_cmds(fl, 0, &nop, 1);
	ret = submit(fl->fd, &s);
	if (!ret)
		add_job(c, f, &l, 0, 0);
	return ret;
}

/* Choose 1..n own BOs to list (known contents). */
static bool choose_listed(struct ctx *c, int f, struct listed *l, int n)
{
	struct file *fl = &files[f];
	int i, k, slot, tries;

	l->n = 0;
	for (tries = 0; tries < 3 * n && l->n < n; tries++) {
		bool dup = false;

		slot = pick_bo(c, f, bo_known);
		if (slot < 0)
			break;
		for (k = 0; k < l->n; k++)
			dup |= l->slot[k] == slot;
		if (dup)
			continue;
		l->slot[l->n] = slot;
		l->handle[l->n] = fl->bo[slot].handle;
		l->written[l->n] = false;
		l->n++;
	}
	for (i = 0; i < l->n; i++)
		l->written[i] = false;
	return l->n > 0;
}

/* A free in-flight slot: drain when the file has many jobs queued. */
static void make_room(struct ctx *c, int f)
{
	if (njobs(&files[f]) >= MAX_JOBS - 2)
		drain_file(c, f);
}

static uint8_t *bad_page;	/* a page followed by an inaccessible one */

static uint64_t bad_pointer(struct ctx *c)
{
	switch (below(c, 4)) {
	case 0: return 0;
	case 1: return 0xdead0000ull;
	case 2: return 0xffff880000000000ull;
	default: return (uintptr_t)(bad_page + PAGE - 4);	/* the second entry faults */
	}
}

/*
 * The main submit: valid commands on listed BOs, or the same with exactly
 * one fault (in a command or in the arguments), predicted exactly.
 */
static void op_submit(struct ctx *c, int f, int mode)
{
	struct file *fl = &files[f];
	struct listed l;
	struct submit_args s = { 0 };
	uint32_t handles[ACCEL_MAX_BOS + 4];
	uint32_t ins[65], out = 0;
	int nc = 0, want = 0, ret, i, k, victim = -1, nin = 0, err = 0;
	uint64_t off;
	const char *desc = "valid";
	int ncmax = chance(c, 3) ? (int)max_cmds : 1 + (int)below(c, 6);
	bool destroy_out = false, close_after = false;

	make_room(c, f);
	if (!choose_listed(c, f, &l, 1 + below(c, 4)))
		return;
	backup_listed(c, f, &l);
	while (nc < ncmax) {
		int got;

		/* Long lists are mostly NOPs: the card's time stays short. */
		if (ncmax > 16 && chance(c, 90)) {
			cmd0(&c->cmds[nc++], TESSERA_OP_NOP);
			continue;
		}
		got = gen_valid(c, f, &l, c->cmds + nc, ncmax - nc);

		if (!got) {
			if (nc + 1 > ncmax)
				break;
			cmd0(&c->cmds[nc++], TESSERA_OP_NOP);
			continue;
		}
		nc += got;
		if (ncmax < 16 && chance(c, 40))
			break;
	}
	if (nc > ncmax)
		nc = ncmax;

	/* Where the commands go in the command BO. */
	off = TESSERA_CMD_SIZE * below(c, (CMD_BO_SIZE - (uint64_t)nc * TESSERA_CMD_SIZE) /
					       TESSERA_CMD_SIZE + 1);
	s.cmd_handle = fl->bo[fl->cmd].handle;
	s.cmd_count = nc;
	s.cmd_offset = off;
	for (i = 0; i < l.n; i++)
		handles[i] = l.handle[i];
	s.bo_handles = (uintptr_t)handles;
	s.bo_count = l.n;

	if (mode == 1) {
		/* One hostile command among the valid ones. */
		int pos = below(c, nc + 1);

		if (nc == (int)max_cmds)
			pos = below(c, nc), nc--;
		memmove(&c->cmds[pos + 1], &c->cmds[pos], (nc - pos) * sizeof(c->cmds[0]));
		gen_hostile(c, f, &l, &c->cmds[pos], &desc, &victim);
		nc++;
		s.cmd_count = nc;
		if (off + (uint64_t)nc * TESSERA_CMD_SIZE > CMD_BO_SIZE)
			s.cmd_offset = off = 0;
		want = -EINVAL;
	} else if (mode == 2) {
		/* One hostile argument. */
		switch (below(c, 22)) {
		case 0: s.flags = 1u << below(c, 32); desc = "flags != 0"; want = -EINVAL; break;
		case 1: s.reserved = 1ull << below(c, 64); desc = "reserved != 0"; want = -EINVAL; break;
		case 2: s.cmd_count = 0; desc = "cmd_count 0"; want = -EINVAL; break;
		case 3: s.cmd_count = chance(c, 50) ? max_cmds + 1 : ~0u - below(c, 2);
			desc = "cmd_count over MAX_CMDS"; want = -EINVAL; break;
		case 4: s.bo_count = chance(c, 50) ? ACCEL_MAX_BOS + 1 : ~0u;
			desc = "bo_count over the limit"; want = -EINVAL; break;
		case 5: s.in_count = chance(c, 50) ? ACCEL_MAX_SYNCOBJS + 1 : ~0u; s.in_syncobjs = (uintptr_t)ins;
			desc = "in_syncobj_count over the limit"; want = -EINVAL; break;
		case 6: s.cmd_offset = off + 1 + below(c, 63); desc = "cmd_offset not a multiple of 64";
			want = -EINVAL; break;
		case 7: s.cmd_offset = CMD_BO_SIZE - TESSERA_CMD_SIZE * below(c, nc);
			desc = "cmd_offset: the commands run past the command BO"; want = -EINVAL; break;
		case 8: s.cmd_offset = ~0ull & ~63ull; desc = "cmd_offset overflowing";
			want = -EINVAL; break;
		case 9: s.bo_handles = bad_pointer(c); desc = "bo_handles a bad user pointer";
			if (s.bo_handles == (uintptr_t)(bad_page + PAGE - 4)) {
				s.bo_count = 2;
				memcpy(bad_page + PAGE - 4, &handles[0], 4);
			}
			want = -EFAULT; break;
		case 10: handles[below(c, l.n)] = bogus_handle(c, f, &desc);
			desc = "bo_handles: a handle that names no BO of this file"; want = -ENOENT; break;
		case 11: /* duplicates, up to the limit */
			k = chance(c, 30) ? ACCEL_MAX_BOS : l.n + 1 + below(c, 4);
			for (i = l.n; i < k; i++)
				handles[i] = handles[below(c, l.n)];
			s.bo_count = k;
			desc = "bo_handles: a BO listed twice"; want = -EINVAL; break;
		case 12: s.cmd_handle = bogus_handle(c, f, &desc);
			desc = "cmd_handle names no BO of this file"; want = -ENOENT; break;
		case 13: s.in_syncobjs = bad_pointer(c); s.in_count = 1 + below(c, 4);
			desc = "in_syncobjs a bad user pointer"; want = -EFAULT;
			if (s.in_syncobjs == (uintptr_t)(bad_page + PAGE - 4))
				s.in_count = 2;
			break;
		case 14: ins[0] = bogus_sync(c, f); s.in_syncobjs = (uintptr_t)ins; s.in_count = 1;
			desc = "in_syncobjs: a handle that names no syncobj"; want = -ENOENT; break;
		case 15: s.out_syncobj = bogus_sync(c, f); desc = "out_syncobj names no syncobj";
			want = -ENOENT; break;
		case 16: /* an empty syncobj (no fence) as a dependency */
			for (i = 0; i < fl->nsync && fl->sync[i].fence; i++)
				;
			if (i == fl->nsync) {
				/* Nothing is submitted: the commands' effects are undone. */
				if (fl->nsync == MAX_SYNCS ||
				    !expect(c, "SYNCOBJ_CREATE", sync_create(fl->fd, false, &ins[0]), 0)) {
					restore_listed(c, f, &l);
					return;
				}
				fl->sync[fl->nsync++] = (struct sync){ ins[0], false };
			}
			ins[0] = fl->sync[i].handle;
			s.in_syncobjs = (uintptr_t)ins;
			s.in_count = 1;
			desc = "in_syncobjs: a syncobj with no fence";
			want = -EINVAL;
			break;
		case 17: /* bo_handles garbage with bo_count 0: never read; only no-BO commands */
		case 18: /* in_syncobjs: up to 64 entries, all with fences */
		default:
			goto valid;
		}
		goto submit;
	}
valid:
	if (mode == 2 || mode == 0) {
		/* Valid: dependencies, an out syncobj, maybe lifetime races. */
		for (i = 0; i < fl->nsync && nin < 64; i++)
			if (fl->sync[i].fence && chance(c, 30))
				ins[nin++] = fl->sync[i].handle;
		if (nin && chance(c, 10))
			while (nin < 64)
				ins[nin] = ins[nin % 4 < nin ? nin % 4 : 0], nin++;
		s.in_syncobjs = nin ? (uintptr_t)ins : (chance(c, 50) ? bad_pointer(c) : 0);
		s.in_count = nin;
		if (!expect(c, "SYNCOBJ_CREATE", sync_create(fl->fd, false, &out), 0)) {
			restore_listed(c, f, &l);
			return;
		}
		s.out_syncobj = out;
		if (chance(c, 4)) {
			/* A command the audit passes and the card faults on: -EIO. */
			int w = pick_listed(c, f, &l, true);

			if (w >= 0 && listed_bo(f, &l, w)->size >= 64 && nc < (int)max_cmds) {
				struct tessera_cmd *g = &c->cmds[nc++];

				cmd0(g, TESSERA_OP_GEMM);
				g->arg[0] = g->arg[1] = listed_bo(f, &l, w)->dva + 2;
				g->arg[2] = listed_bo(f, &l, w)->dva + 32;
				g->arg[3] = g->arg[4] = g->arg[5] = 2;
				l.written[w] = true;
				s.cmd_count = nc;
				if (off + (uint64_t)nc * TESSERA_CMD_SIZE > CMD_BO_SIZE)
					s.cmd_offset = off = 0;
				err = -EIO;
				desc = "valid commands, then a misaligned GEMM the card faults";
			}
		}
		destroy_out = chance(c, 4);
		close_after = !err && chance(c, 4);
	}
submit:
	write_cmds(fl, off < CMD_BO_SIZE ? off : 0, c->cmds,
		   off < CMD_BO_SIZE && (uint64_t)nc * TESSERA_CMD_SIZE <= CMD_BO_SIZE - off ? nc : 0);
	oplog(c, "SUBMIT f%d cmds=%u off=0x%" PRIx64 " bos=%u in=%u out=%u flags=%x res=%" PRIx64 " (%s) want %s",
	      f, s.cmd_count, s.cmd_offset, s.bo_count, s.in_count, s.out_syncobj, s.flags,
	      s.reserved, desc, ename(want));
	ret = submit(fl->fd, &s);
	if (want) {
		add(&n_hostile, 1);
		restore_listed(c, f, &l);
		if (!expect(c, desc, ret, want) && ret == 0) {
			add_job(c, f, &l, 0, 0);
			return;
		}
		if (out)
			expect(c, "SYNCOBJ_DESTROY", sync_destroy(fl->fd, out, 0), 0);
		/* Nothing ran: the listed BOs and the victim are as they were. */
		if (victim >= 0 && owns(c, victim) && chance(c, 50)) {
			int slot = pick_bo(c, victim, NULL);

			if (slot >= 0)
				verify_bo(c, victim, slot, "the BO of another file after a refused submit");
		}
		if (chance(c, 20)) {
			int slot = l.slot[below(c, l.n)];

			verify_bo(c, f, slot, "a listed BO after a refused submit");
		}
		return;
	}
	if (!expect(c, desc, ret, 0)) {
		restore_listed(c, f, &l);
		return;
	}
	if (mode == 2 && s.bo_count == 0)
		l.n = 0;
	add_job(c, f, &l, destroy_out ? 0 : out, err);
	if (destroy_out) {
		/* The job still signals it: destroy it under the job. */
		add(&n_races, 1);
		oplog(c, "SYNCOBJ_DESTROY f%d %u with its job in flight", f, out);
		expect(c, "SYNCOBJ_DESTROY of an out_syncobj while its job runs",
		       sync_destroy(fl->fd, out, 0), 0);
		fl->freed_sync[fl->nfreed_sync++ % 8] = out;
	}
	if (close_after && l.n) {
		/* GEM_CLOSE right after the submit: the job still completes. */
		int which = below(c, l.n);
		struct bo *b = listed_bo(f, &l, which);

		add(&n_races, 1);
		oplog(c, "GEM_CLOSE f%d %u right after its submit (mapped %d)", f, b->handle, !!b->map);
		close_bo(c, f, l.slot[which], chance(c, 70));
	}
}

/* Submits of only no-BO commands with bo_count 0 and a garbage bo_handles. */
static void op_submit_nobo(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	struct submit_args s = { 0 };
	struct listed l = { 0 };
	int n = 1 + below(c, 8), i;

	make_room(c, f);
	for (i = 0; i < n; i++) {
		switch (below(c, 3)) {
		case 0: cmd0(&c->cmds[i], TESSERA_OP_NOP); break;
		case 1: cmd0(&c->cmds[i], TESSERA_OP_BUSY); c->cmds[i].arg[0] = below(c, 200); break;
		default: cmd0(&c->cmds[i], TESSERA_OP_FENCE); c->cmds[i].arg[1] = rnd(c); break;
		}
	}
	write_cmds(fl, 0, c->cmds, n);
	s.cmd_handle = fl->bo[fl->cmd].handle;
	s.cmd_count = n;
	s.bo_handles = bad_pointer(c);
	s.in_syncobjs = bad_pointer(c);
	oplog(c, "SUBMIT f%d %d no-BO commands, bo_count 0, in_count 0, garbage pointers", f, n);
	if (expect(c, "SUBMIT of NOP/BUSY/FENCE(0) with bo_count 0 and garbage pointers", submit(fl->fd, &s), 0))
		add_job(c, f, &l, 0, 0);
}

/* MAX_CMDS exactly, 1, and a data BO as the command BO. */
static void op_submit_edges(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	struct submit_args s = { 0 };
	struct listed l = { 0 };
	uint32_t n = chance(c, 50) ? max_cmds : 1;
	uint32_t i;

	make_room(c, f);
	for (i = 0; i < n; i++)
		cmd0(&c->cmds[i], TESSERA_OP_NOP);
	write_cmds(fl, CMD_BO_SIZE - (uint64_t)n * TESSERA_CMD_SIZE, c->cmds, n);
	s.cmd_handle = fl->bo[fl->cmd].handle;
	s.cmd_count = n;
	s.cmd_offset = CMD_BO_SIZE - (uint64_t)n * TESSERA_CMD_SIZE;
	oplog(c, "SUBMIT f%d %u NOPs ending at the command BO's last byte", f, n);
	if (expect(c, "SUBMIT of cmd_count NOPs that end at the command BO's end", submit(fl->fd, &s), 0))
		add_job(c, f, &l, 0, 0);
}

/* BO_WAIT timeouts against a BO known busy: a BUSY job of 150 ms just submitted. */
static void op_wait_busy(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	struct submit_args s = { 0 };
	struct listed l = { 0 };
	struct tessera_cmd cmds[2];
	int slot = pick_bo(c, f, bo_known), ret, err;
	int64_t t;
	uint32_t h;

	if (slot < 0)
		return;
	make_room(c, f);
	l.n = 1;
	l.slot[0] = slot;
	h = l.handle[0] = fl->bo[slot].handle;
	cmd0(&cmds[0], TESSERA_OP_BUSY);
	cmds[0].arg[0] = 150000;
	cmd0(&cmds[1], TESSERA_OP_NOP);
	write_cmds(fl, 0, cmds, 2);
	s.cmd_handle = fl->bo[fl->cmd].handle;
	s.cmd_count = 2;
	s.bo_handles = (uintptr_t)&h;
	s.bo_count = 1;
	oplog(c, "SUBMIT f%d BUSY 150 ms on BO %u, then BO_WAIT timeouts", f, h);
	if (!expect(c, "SUBMIT of BUSY(150 ms) on a BO", submit(fl->fd, &s), 0))
		return;
	add_job(c, f, &l, 0, 0);
	switch (below(c, 4)) {
	case 0: t = 0; break;
	case 1: t = -1; break;
	case 2: t = INT64_MIN; break;
	default: t = mono_ns() - 1000000000ll; break;
	}
	ret = bo_wait(fl->fd, h, 0, t, &err);
	expect(c, "BO_WAIT with a timeout in the past on a BO a 150 ms job uses", ret, -ETIME);
	ret = bo_wait(fl->fd, h, 0, mono_ns() + 20000000ll, &err);
	expect(c, "BO_WAIT 20 ms ahead on a BO a 150 ms job uses", ret, -ETIME);
	/*
	 * Jobs before the BUSY that write the BO may still be queued behind
	 * their own dependencies: compare only once every job on it is done.
	 */
	ret = bo_wait(fl->fd, h, 0, mono_ns() + 60000000000ll, &err);
	if (expect(c, "BO_WAIT 60 s ahead on a BO a 150 ms job uses", ret, 0))
		verify_bo(c, f, slot, "a BO after a BUSY job");
}

/* ---- the other operations ---- */

static void op_get_param(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	uint64_t v = 0, good, faulted;
	uint32_t id = below(c, 10);
	int ret;

	if (chance(c, 10)) {
		ret = get_param(fl->fd, below(c, 8), 1u << below(c, 32), &v);
		oplog(c, "GET_PARAM f%d reserved != 0", f);
		expect(c, "GET_PARAM with reserved != 0", ret, -EINVAL);
		return;
	}
	if (id >= 8)
		id = chance(c, 50) ? 8 + below(c, 1000) : 0x80000000u + below(c, 2);
	oplog(c, "GET_PARAM f%d id %u", f, id);
	/* Jobs known done before the call: the counters must cover them. */
	good = __atomic_load_n(&n_good_retired, __ATOMIC_RELAXED);
	faulted = __atomic_load_n(&n_fault_retired, __ATOMIC_RELAXED);
	ret = get_param(fl->fd, id, 0, &v);
	if (id >= 8) {
		expect(c, "GET_PARAM of an unknown id", ret, -EINVAL);
		return;
	}
	if (!expect(c, "GET_PARAM of a known id", ret, 0))
		return;
	add(&n_checks, 1);
	switch (id) {
	case DRM_TESSERA_PARAM_DEVICE_ID:
		if (v != TESSERA_PCI_DEVICE_CARD)
			violation(c, "GET_PARAM DEVICE_ID 0x%" PRIx64 " on the host node, not 0x7e50", v);
		break;
	case DRM_TESSERA_PARAM_BACKEND:
		if (v != DRM_TESSERA_BACKEND_HOST)
			violation(c, "GET_PARAM BACKEND %" PRIu64 ", not DRM_TESSERA_BACKEND_HOST", v);
		break;
	case DRM_TESSERA_PARAM_MAX_CMDS:
		if (v != max_cmds)
			violation(c, "GET_PARAM MAX_CMDS changed: %" PRIu64 " then %" PRIu64, max_cmds, v);
		break;
	case DRM_TESSERA_PARAM_MAX_BO_SIZE:
		if (v != max_bo_size)
			violation(c, "GET_PARAM MAX_BO_SIZE changed: %" PRIu64 " then %" PRIu64, max_bo_size, v);
		break;
	case DRM_TESSERA_PARAM_BUSY_NS:
		if (v < c->last_busy_ns)
			violation(c, "GET_PARAM BUSY_NS went back: %" PRIu64 " after %" PRIu64, v, c->last_busy_ns);
		c->last_busy_ns = v;
		break;
	case DRM_TESSERA_PARAM_WEIGHT:
		if (!v || v > 1000)
			violation(c, "GET_PARAM WEIGHT %" PRIu64 " is not a sane weight", v);
		break;
	case DRM_TESSERA_PARAM_JOBS_DONE:
		if (v < c->last_jobs_done || v < good)
			violation(c, "GET_PARAM JOBS_DONE %" PRIu64 ": below %" PRIu64 " seen or %" PRIu64
				  " good jobs known done", v, c->last_jobs_done, good);
		c->last_jobs_done = v;
		break;
	case DRM_TESSERA_PARAM_RESETS:
		if (v < c->last_resets || v < faulted)
			violation(c, "GET_PARAM RESETS %" PRIu64 ": below %" PRIu64 " seen or %" PRIu64
				  " faulted jobs known done", v, c->last_resets, faulted);
		c->last_resets = v;
		break;
	}
}

static void op_bo_create(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	uint64_t size, dva;
	uint32_t flags = chance(c, 20) ? DRM_TESSERA_BO_DEVICE_READ_ONLY : 0, h;
	int k = below(c, 100), slot, ret;

	if (k < 12) {
		/* Refused sizes and flags. */
		switch (below(c, 5)) {
		case 0: size = 0; break;
		case 1: size = max_bo_size + 1; break;
		case 2: size = ~0ull; break;
		case 3: size = max_bo_size + PAGE * (1 + below(c, 1000)); break;
		default: size = 4096; flags = 2u << below(c, 31); break;
		}
		oplog(c, "BO_CREATE f%d size 0x%" PRIx64 " flags 0x%x, refused", f, size, flags);
		ret = bo_create(fl->fd, size, flags, &h, &dva);
		expect(c, "BO_CREATE of size 0, over MAX_BO_SIZE or an unknown flag", ret, -EINVAL);
		if (ret == 0)
			gem_close(fl->fd, h);
		return;
	}
	if (free_slot(fl) < 0 || (fl->nfreed > 0 && chance(c, 30) && pick_bo(c, f, NULL) >= 0 &&
				  false))
		return;
	if (k < 14 && __atomic_fetch_add(&n_huge, 1, __ATOMIC_RELAXED) < 3) {
		/* MAX_BO_SIZE (three times a run): created, zero, closed at once. */
		oplog(c, "BO_CREATE f%d MAX_BO_SIZE", f);
		slot = new_bo(c, f, max_bo_size, flags, false, false);
		if (slot >= 0)
			close_bo(c, f, slot, false);
		return;
	}
	switch (below(c, 6)) {
	case 0: size = 1 + below(c, 3); break;
	case 1: size = PAGE * (1 + below(c, 4)); break;
	case 2: size = PAGE * (1 + below(c, 4)) + 1 + below(c, PAGE - 1); break;
	case 3: size = PAGE * (1 + below(c, 16)); break;
	case 4: size = PAGE * (1 + below(c, 64)) - below(c, 2); break;
	default: size = chance(c, 10) ? (1ull << 20) : PAGE * 2; break;
	}
	if (!size)
		size = 1;
	oplog(c, "BO_CREATE f%d size 0x%" PRIx64 " flags 0x%x", f, size, flags);
	new_bo(c, f, size, flags, chance(c, 70), true);
}

static void op_close(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	const char *kind;
	uint32_t h;
	int slot;

	if (chance(c, 30)) {
		h = bogus_handle(c, f, &kind);
		oplog(c, "GEM_CLOSE f%d %s handle %u", f, kind, h);
		expect(c, "GEM_CLOSE of a handle that names no BO of this file", gem_close(fl->fd, h), -EINVAL);
		return;
	}
	slot = pick_bo(c, f, NULL);
	if (slot < 0)
		return;
	oplog(c, "GEM_CLOSE f%d %u (pending %d, mapped %d)", f, fl->bo[slot].handle,
	      fl->bo[slot].pending, !!fl->bo[slot].map);
	if (chance(c, 40) && !fl->bo[slot].pending)
		verify_bo(c, f, slot, "a BO before its close");
	if (fl->bo[slot].used && fl->bo[slot].live)
		close_bo(c, f, slot, chance(c, 30));
}

static void op_mmap(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	const char *kind;
	uint64_t off;
	uint8_t *m;
	int slot, g, ret;

	switch (below(c, 8)) {
	case 0:
		oplog(c, "BO_MMAP_OFFSET f%d pad != 0", f);
		slot = pick_bo(c, f, NULL);
		expect(c, "BO_MMAP_OFFSET with pad != 0",
		       mmap_offset(fl->fd, slot >= 0 ? fl->bo[slot].handle : 1, 1u << below(c, 32), &off),
		       -EINVAL);
		return;
	case 1: {
		uint32_t h = bogus_handle(c, f, &kind);

		oplog(c, "BO_MMAP_OFFSET f%d %s handle %u", f, kind, h);
		expect(c, "BO_MMAP_OFFSET of a handle that names no BO of this file",
		       mmap_offset(fl->fd, h, 0, &off), -ENOENT);
		return;
	}
	case 2: /* another file's offset through this file */
		for (g = 0; g < nfiles; g++)
			if (g != f && owns(c, g))
				break;
		if (g == nfiles)
			return;
		slot = pick_bo(c, g, NULL);
		if (slot < 0)
			return;
		if (!files[g].bo[slot].off &&
		    !expect(c, "BO_MMAP_OFFSET", mmap_offset(files[g].fd, files[g].bo[slot].handle, 0,
							     &files[g].bo[slot].off), 0))
			return;
		oplog(c, "mmap f%d at f%d's offset 0x%" PRIx64, f, g, files[g].bo[slot].off);
		ret = do_mmap(fl->fd, files[g].bo[slot].off, files[g].bo[slot].size, &m);
		expect(c, "mmap of another file's BO offset (DRM: not allowed for this file)", ret, -EACCES);
		if (m)
			munmap(m, files[g].bo[slot].size);
		return;
	case 3: /* a closed BO still mapped: its offset is no longer this file's */
		for (slot = 0; slot < MAX_BOS; slot++)
			if (fl->bo[slot].used && !fl->bo[slot].live && fl->bo[slot].off)
				break;
		if (slot == MAX_BOS)
			return;
		oplog(c, "mmap f%d at the offset of closed, still mapped BO %u", f, fl->bo[slot].handle);
		ret = do_mmap(fl->fd, fl->bo[slot].off, fl->bo[slot].size, &m);
		expect(c, "mmap of a BO whose handle this file closed", ret, -EACCES);
		if (m)
			munmap(m, fl->bo[slot].size);
		return;
	default:
		break;
	}
	slot = pick_bo(c, f, NULL);
	if (slot < 0)
		return;
	struct bo *b = &fl->bo[slot];

	ret = mmap_offset(fl->fd, b->handle, 0, &off);
	oplog(c, "BO_MMAP_OFFSET f%d %u", f, b->handle);
	if (!expect(c, "BO_MMAP_OFFSET of an own BO", ret, 0))
		return;
	add(&n_checks, 1);
	if (b->off && off != b->off)
		violation(c, "BO_MMAP_OFFSET: BO %u's offset changed: 0x%" PRIx64 " then 0x%" PRIx64,
			  b->handle, b->off, off);
	b->off = off;
	if (chance(c, 30)) {
		ret = do_mmap(fl->fd, off, b->size + PAGE * (1 + below(c, 4)), &m);
		expect(c, "mmap past the BO's size", ret, -EINVAL);
		if (m)
			munmap(m, b->size + PAGE);
		return;
	}
	if (b->map) {
		if (chance(c, 50) && !b->pending) {
			munmap(b->map, b->size);
			b->map = NULL;
		}
		return;
	}
	ret = do_mmap(fl->fd, off, b->size, &b->map);
	expect(c, "mmap of an own BO, its size", ret, 0);
}

static void op_bo_wait(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	const char *kind;
	int slot, ret, err, allowed[2];
	uint32_t h;
	int64_t t;

	switch (below(c, 5)) {
	case 0:
		slot = pick_bo(c, f, NULL);
		oplog(c, "BO_WAIT f%d pad != 0", f);
		expect(c, "BO_WAIT with pad != 0",
		       bo_wait(fl->fd, slot >= 0 ? fl->bo[slot].handle : 1, 1u << below(c, 32), 0, NULL),
		       -EINVAL);
		return;
	case 1:
		h = bogus_handle(c, f, &kind);
		oplog(c, "BO_WAIT f%d %s handle %u", f, kind, h);
		expect(c, "BO_WAIT of a handle that names no BO of this file",
		       bo_wait(fl->fd, h, 0, chance(c, 50) ? 0 : INT64_MAX, NULL), -ENOENT);
		return;
	case 2:
		slot = pick_bo(c, f, NULL);
		if (slot < 0)
			return;
		t = chance(c, 50) ? 0 : (chance(c, 50) ? -1 : mono_ns() - 1000);
		oplog(c, "BO_WAIT f%d %u timeout in the past (pending %d)", f, fl->bo[slot].handle,
		      fl->bo[slot].pending);
		ret = bo_wait(fl->fd, fl->bo[slot].handle, 0, t, &err);
		if (!fl->bo[slot].pending) {
			if (expect(c, "BO_WAIT(past) on an idle BO", ret, 0) && err != fl->bo[slot].exp_err)
				violation(c, "BO_WAIT(past): job_error %s, the model says %s", ename(err),
					  ename(fl->bo[slot].exp_err));
		} else {
			allowed[0] = 0;
			allowed[1] = -ETIME;
			expect_in(c, "BO_WAIT(past) on a BO jobs may still use", ret, allowed, 2);
		}
		return;
	default:
		slot = pick_bo(c, f, NULL);
		if (slot < 0)
			return;
		oplog(c, "BO_WAIT f%d %u far future, verify", f, fl->bo[slot].handle);
		verify_bo(c, f, slot, "an own BO after BO_WAIT");
		return;
	}
}

/* The CPU writes an idle mapped BO: small integer floats or bytes. */
static void op_cpu_write(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	int slot = pick_bo(c, f, bo_mapped_idle);
	uint64_t off, len, i;
	struct bo *b;

	if (slot < 0)
		return;
	b = &fl->bo[slot];
	len = 4 * (1 + below(c, b->size / 4 < 4096 ? b->size / 4 : 4096));
	off = 4 * below(c, (b->size - len) / 4 + 1);
	oplog(c, "CPU write f%d %u [0x%" PRIx64 ", +0x%" PRIx64 ")", f, b->handle, off, len);
	if (chance(c, 60)) {
		for (i = 0; i < len; i += 4)
			wrf(b->shadow + off + i, (float)((int)below(c, 17) - 8));
	} else {
		for (i = 0; i < len; i++)
			b->shadow[off + i] = rnd(c);
	}
	memcpy(b->map + off, b->shadow + off, len);
}

static void op_syncobj(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	uint32_t h;
	int i;

	switch (below(c, 4)) {
	case 0:
		if (fl->nsync >= MAX_SYNCS)
			return;
		i = chance(c, 60);
		oplog(c, "SYNCOBJ_CREATE f%d signaled=%d", f, i);
		if (expect(c, "SYNCOBJ_CREATE", sync_create(fl->fd, i, &h), 0))
			fl->sync[fl->nsync++] = (struct sync){ h, (bool)i };
		return;
	case 1:
		if (!fl->nsync)
			return;
		i = below(c, fl->nsync);
		h = fl->sync[i].handle;
		oplog(c, "SYNCOBJ_DESTROY f%d %u", f, h);
		expect(c, "SYNCOBJ_DESTROY of a spare", sync_destroy(fl->fd, h, 0), 0);
		fl->sync[i] = fl->sync[--fl->nsync];
		fl->freed_sync[fl->nfreed_sync++ % 8] = h;
		return;
	case 2:
		h = bogus_sync(c, f);
		oplog(c, "SYNCOBJ_DESTROY f%d bogus %u", f, h);
		expect(c, "SYNCOBJ_DESTROY of a handle that names no syncobj", sync_destroy(fl->fd, h, 0),
		       -EINVAL);
		return;
	default: {
		struct job *j = latest_job_with_sync(fl);

		if (!j)
			return;
		oplog(c, "SYNCOBJ_WAIT f%d job %" PRIu64 " forever", f, j->id);
		if (expect(c, "SYNCOBJ_WAIT(forever) on a job's out_syncobj", sync_wait(fl->fd, j->syncobj, INT64_MAX), 0))
			retire_upto(c, f, j->id);
		return;
	}
	}
}

/* Close the whole file with jobs in flight (mappings first), open it again. */
static void op_close_file(struct ctx *c, int f)
{
	struct file *fl = &files[f];
	int i, k = 1 + below(c, 3);

	for (i = 0; i < k; i++)
		op_submit(c, f, 0);
	oplog(c, "close f%d with %d jobs in flight", f, njobs(fl));
	add(&n_races, 1);
	close_file(c, f);
	open_file(c, f);
}

/* ---- the shared file: relaxed checks ---- */

static void op_shared(struct ctx *c)
{
	struct file *fl = &files[nfiles - 1];
	int fd = fl->fd, ret, i, n;
	uint32_t h, hs[3];
	uint64_t dva, off;
	struct tessera_cmd cmds[4];
	struct submit_args s = { 0 };
	static const int sub_ok[] = { 0, -ENOENT, -EINVAL };
	static const int wait_ok[] = { 0, -ETIME, -ENOENT };
	static const int off_ok[] = { 0, -ENOENT };
	static const int map_ok[] = { 0, -EINVAL, -EACCES };
	struct shared_bo pick[3];
	int err;
	uint8_t *m;

	add(&n_relaxed, 1);
	switch (below(c, 7)) {
	case 0: /* create */
		pthread_mutex_lock(&shared_lock);
		if (nshared < SHARED_MAX) {
			uint64_t size = PAGE * (1 + below(c, 8));

			ret = bo_create(fd, size, 0, &h, &dva);
			if (expect(c, "BO_CREATE on the shared file", ret, 0)) {
				check_new_dva(c, nfiles - 1, h, dva, size);
				shared_bo[nshared++] = (struct shared_bo){ h, dva, size };
				reg_add(nfiles - 1, h, dva, size);
			}
		}
		pthread_mutex_unlock(&shared_lock);
		return;
	case 1: /* close: the others may be submitting with it right now */
		pthread_mutex_lock(&shared_lock);
		if (!nshared) {
			pthread_mutex_unlock(&shared_lock);
			return;
		}
		i = below(c, nshared);
		pick[0] = shared_bo[i];
		shared_bo[i] = shared_bo[--nshared];
		reg_del(nfiles - 1, pick[0].dva);
		pthread_mutex_unlock(&shared_lock);
		expect(c, "GEM_CLOSE on the shared file of a handle only this thread closes",
		       gem_close(fd, pick[0].handle), 0);
		return;
	case 2: case 3: /* submit FILLs to up to 3 of its BOs, racing closes */
		pthread_mutex_lock(&shared_lock);
		n = nshared < 3 ? nshared : 1 + (int)below(c, 3);
		for (i = 0; i < n; i++)
			pick[i] = shared_bo[below(c, nshared)];
		pthread_mutex_unlock(&shared_lock);
		if (!n)
			return;
		for (i = 0; i < n; i++) {
			hs[i] = pick[i].handle;
			cmd0(&cmds[i], TESSERA_OP_FILL);
			cmds[i].param = rnd(c);
			cmds[i].arg[0] = pick[i].dva;
			cmds[i].arg[1] = pick[i].size;
		}
		memcpy(shared_cmd_map[c->tid], cmds, n * TESSERA_CMD_SIZE);
		s.cmd_handle = shared_cmd[c->tid];
		s.cmd_count = n;
		s.bo_handles = (uintptr_t)hs;
		s.bo_count = n;
		ret = submit(fd, &s);
		/* -EINVAL: a handle listed twice, or closed and made again elsewhere. */
		expect_in(c, "SUBMIT on the shared file racing closes", ret, sub_ok, 3);
		return;
	case 4:
		pthread_mutex_lock(&shared_lock);
		h = nshared ? shared_bo[below(c, nshared)].handle : 1;
		pthread_mutex_unlock(&shared_lock);
		ret = bo_wait(fd, h, 0, chance(c, 50) ? 0 : mono_ns() + 5000000, &err);
		if (expect_in(c, "BO_WAIT on the shared file racing closes", ret, wait_ok, 3) &&
		    ret == 0 && err != 0)
			violation(c, "BO_WAIT on the shared file: job_error %s after good FILLs", ename(err));
		return;
	case 5:
		pthread_mutex_lock(&shared_lock);
		pick[0] = nshared ? shared_bo[below(c, nshared)] : (struct shared_bo){ 1, 0, PAGE };
		pthread_mutex_unlock(&shared_lock);
		ret = mmap_offset(fd, pick[0].handle, 0, &off);
		if (!expect_in(c, "BO_MMAP_OFFSET on the shared file racing closes", ret, off_ok, 2) || ret)
			return;
		ret = do_mmap(fd, off, pick[0].size, &m);
		if (expect_in(c, "mmap on the shared file racing closes", ret, map_ok, 3) && m) {
			volatile uint8_t x = m[pick[0].size - 1];

			(void)x;
			munmap(m, pick[0].size);
		}
		return;
	default:
		ret = get_param(fd, below(c, 8), 0, &off);
		expect(c, "GET_PARAM on the shared file", ret, 0);
		return;
	}
}

/* ---- one operation ---- */

static void one_op(struct ctx *c)
{
	int f, k, tries, cand[MAX_FILES], n = 0;

	c->seq++;
	add(&n_ops, 1);
	if (!c->strict_all && chance(c, 25)) {
		op_shared(c);
		return;
	}
	for (f = 0; f < nfiles; f++)
		if (owns(c, f))
			cand[n++] = f;
	if (!n)
		return;
	f = cand[below(c, n)];
	k = below(c, 1000);
	for (tries = 0; tries < 1; tries++) {
		if (k < 40) op_get_param(c, f);
		else if (k < 150) op_bo_create(c, f);
		else if (k < 200) op_close(c, f);
		else if (k < 270) op_mmap(c, f);
		else if (k < 500) op_submit(c, f, 0);
		else if (k < 630) op_submit(c, f, 1);
		else if (k < 720) op_submit(c, f, 2);
		else if (k < 740) op_submit_nobo(c, f);
		else if (k < 750) op_submit_edges(c, f);
		else if (k < 830) op_bo_wait(c, f);
		else if (k < 900) {
			int slot = pick_bo(c, f, NULL);

			if (slot >= 0) {
				oplog(c, "verify f%d %u", f, files[f].bo[slot].handle);
				verify_bo(c, f, slot, "an own BO");
			}
		} else if (k < 935) op_cpu_write(c, f);
		else if (k < 975) op_syncobj(c, f);
		else if (k < 985) op_wait_busy(c, f);
		else if (k < 990 && c->strict_all) op_close_file(c, f);
		else {
			/* A BO closed with a mapping: check it through the mapping, then drop it. */
			for (k = 0; k < MAX_BOS; k++) {
				struct bo *b = &files[f].bo[k];

				if (b->used && !b->live) {
					oplog(c, "verify f%d closed BO at 0x%" PRIx64 " via its mapping, munmap",
					      f, b->dva);
					if (verify_bo(c, f, k, "a BO closed right after its submit, through its mapping"))
						slot_release(c, f, k);
					break;
				}
			}
		}
	}
	if (!(c->seq & 255))
		zombies_reap();
}

/* ---- rounds ---- */

static void *thread_main(void *arg)
{
	struct ctx *c = arg;

	while (!stop && now_ms() < deadline_ms &&
	       (!opt.ops || __atomic_load_n(&n_ops, __ATOMIC_RELAXED) < opt.ops) &&
	       now_ms() < c->round_end)
		one_op(c);
	return NULL;
}

/* Every file idle and every BO checked: the end of a round. */
static void settle(struct ctx *c)
{
	int f, slot;

	for (f = 0; f < nfiles && !stop; f++) {
		if (!files[f].open || files[f].shared)
			continue;
		drain_file(c, f);
		for (slot = 0; slot < MAX_BOS && !stop; slot++)
			if (files[f].bo[slot].used && files[f].bo[slot].shadow)
				check_contents(c, f, slot, "a BO at the end of a round");
	}
}

static void shared_setup(struct ctx *c, int threads)
{
	struct file *fl = &files[nfiles - 1];
	uint64_t off, dva;
	int t;

	/* The last file's model goes; it comes back fresh, with no model. */
	close_file(c, nfiles - 1);
	memset(fl, 0, sizeof(*fl));
	fl->fd = open(node_path, O_RDWR | O_CLOEXEC);
	if (fl->fd < 0) {
		printf("# accel_fuzz: cannot open %s: %s\n", node_path, strerror(errno));
		exit(2);
	}
	fl->open = true;
	fl->shared = true;
	for (t = 0; t < threads; t++) {
		expect(c, "BO_CREATE of a command BO on the shared file",
		       bo_create(fl->fd, 64 * TESSERA_CMD_SIZE, 0, &shared_cmd[t], &dva), 0);
		check_new_dva(c, nfiles - 1, shared_cmd[t], dva, 64 * TESSERA_CMD_SIZE);
		reg_add(nfiles - 1, shared_cmd[t], dva, 64 * TESSERA_CMD_SIZE);
		expect(c, "BO_MMAP_OFFSET", mmap_offset(fl->fd, shared_cmd[t], 0, &off), 0);
		expect(c, "mmap", do_mmap(fl->fd, off, 64 * TESSERA_CMD_SIZE, &shared_cmd_map[t]), 0);
	}
}

/* After a threaded round: close the shared file with its jobs in flight, open it again. */
static void shared_teardown(struct ctx *c, int threads)
{
	struct file *fl = &files[nfiles - 1];
	int t, i;

	for (t = 0; t < threads; t++)
		munmap(shared_cmd_map[t], 64 * TESSERA_CMD_SIZE);
	pthread_mutex_lock(&reg_lock);
	for (i = 0; i < (int)(sizeof(reg) / sizeof(reg[0])); i++)
		if (reg[i].file == nfiles - 1)
			reg[i].used = false;
	pthread_mutex_unlock(&reg_lock);
	nshared = 0;
	/* Its jobs may still run: no sync_file to poll, so no zombie check for them. */
	close(fl->fd);
	fl->open = false;
	fl->shared = false;
	open_file(c, nfiles - 1);
}

static void print_summary(const char *result, const char *reason)
{
	double secs = (now_ms() - start_ms) / 1000.0;
	uint64_t verified = 0;
	char line[512];
	int i, k, len;

	for (i = 0; i < (int)(VERIFIED_BITS / 8); i++)
		verified += __builtin_popcount(verified_map[i]);
	for (i = 0; i < IO_NUM; i++) {
		len = snprintf(line, sizeof(line), "# accel_fuzz: %s:", io_name[i]);
		for (k = 0; k < OC_NUM; k++)
			if (outcome[i][k])
				len += snprintf(line + len, sizeof(line) - len, " %s=%" PRIu64, oc_name[k],
						outcome[i][k]);
		printf("%s\n", line);
	}
	printf("# accel_fuzz: jobs submitted %" PRIu64 " (%" PRIu64 " made to fault the card, -EIO predicted), "
	       "retired good %" PRIu64 ", retired faulted %" PRIu64 ", hostile submits refused as predicted %" PRIu64
	       ", lifetime races %" PRIu64 ", relaxed ops on the shared file %" PRIu64 ", BO contents compared %" PRIu64 "\n",
	       n_jobs, n_jobs_fault, n_good_retired, n_fault_retired, n_hostile, n_races, n_relaxed, n_bo_checks);
	printf("accel_fuzz: %s node=%s seed=%" PRIu64 " ops=%" PRIu64 " seconds=%.1f ops_per_s=%.0f checks=%" PRIu64
	       " jobs_verified=%" PRIu64 " threads=%d%s%s\n", result, node_path, opt.seed, n_ops, secs,
	       secs > 0 ? n_ops / secs : 0, n_checks, verified, opt.threads, reason ? " reason=" : "",
	       reason ? reason : "");
	if (reason)
		printf("# accel_fuzz: replay with: accel_fuzz --seed %" PRIu64 " --threads 0 --ops %" PRIu64
		       " (the single-threaded operations are deterministic from the seed)\n", opt.seed, n_ops);
	fflush(stdout);
}

static bool find_node(void)
{
	char link[320], target[256];
	struct dirent *de;
	DIR *d;
	ssize_t n;
	const char *base;

	if (opt.node) {
		snprintf(node_path, sizeof(node_path), "%s", opt.node);
		return true;
	}
	d = opendir("/sys/class/accel");
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "accel", 5))
			continue;
		snprintf(link, sizeof(link), "/sys/class/accel/%s/device/driver", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!strcmp(base, HOST_DRIVER)) {
			snprintf(node_path, sizeof(node_path), "/dev/accel/%s", de->d_name);
			closedir(d);
			return true;
		}
	}
	closedir(d);
	return false;
}

static uint64_t read_taint(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	unsigned long long v = 0;

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: accel_fuzz [--seed N] [--seconds S] [--ops N] [--threads N] [--node PATH]\n"
		"                  [--tail N] [-v]\n"
		"  --seed N      generator seed (default: random, printed)\n"
		"  --seconds S   duration (default $TESSERA_ACCEL_FUZZ_SECONDS, else 60)\n"
		"  --ops N       stop after N operations\n"
		"  --threads N   threads in the threaded rounds (default 3; 0: single-threaded,\n"
		"                deterministic from the seed)\n"
		"  --node PATH   the accel node (default: the one tessera_accel_host.host drives)\n"
		"  --tail N      operations printed on a violation (default 40)\n"
		"  -v            log every operation to stderr\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' }, { "seconds", required_argument, NULL, 'S' },
		{ "ops", required_argument, NULL, 'o' }, { "threads", required_argument, NULL, 't' },
		{ "node", required_argument, NULL, 'n' }, { "tail", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *env = getenv("TESSERA_ACCEL_FUZZ_SECONDS");
	struct ctx *c0;
	bool have_seed = false;
	uint64_t taint0, taint1, round = 0;
	int o, f, t;
	char reason[160];

	if (env && *env)
		opt.seconds = atof(env);
	while ((o = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (o) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'S': opt.seconds = atof(optarg); break;
		case 'o': opt.ops = strtoull(optarg, NULL, 0); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'n': opt.node = optarg; break;
		case 'T': opt.tail = atoi(optarg); break;
		case 'v': opt.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt.threads < 0 || opt.threads > 8) {
		fprintf(stderr, "accel_fuzz: --threads 0 to 8\n");
		return 2;
	}
	if (!have_seed) {
		int fd = open("/dev/urandom", O_RDONLY);

		if (fd < 0 || read(fd, &opt.seed, sizeof(opt.seed)) != sizeof(opt.seed))
			opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		if (fd >= 0)
			close(fd);
		opt.seed &= 0xffffffffffffull;
	}
	if (!find_node()) {
		printf("# accel_fuzz: no /dev/accel/accel* is driven by %s (is tessera_accel_host.ko loaded?)\n",
		       HOST_DRIVER);
		printf("accel_fuzz: ERROR seed=%" PRIu64 " ops=0 reason=no-host-node\n", opt.seed);
		return 2;
	}
	nfiles = (opt.threads ? opt.threads : 3) + 1;
	printf("# accel_fuzz: seed=%" PRIu64 " node=%s seconds=%.0f threads=%d files=%d\n", opt.seed,
	       node_path, opt.seconds, opt.threads, nfiles);
	printf("# accel_fuzz: reproduce with: accel_fuzz --seed %" PRIu64 " --seconds %.0f --threads %d"
	       " (--threads 0: the single-threaded operations exactly)\n", opt.seed, opt.seconds, opt.threads);
	fflush(stdout);

	verified_map = calloc(1, VERIFIED_BITS / 8);
	bad_page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* PROT_NONE, not unmapped: no later mmap() may land there. */
	mprotect(bad_page + PAGE, PAGE, PROT_NONE);
	for (t = 0; t <= opt.threads; t++) {
		ctxs[t] = calloc(1, sizeof(struct ctx));
		seed_ctx(ctxs[t], opt.seed, t);
		ctxs[t]->tid = t;
	}
	c0 = ctxs[0];
	c0->strict_all = true;
	taint0 = read_taint();
	start_ms = now_ms();
	deadline_ms = start_ms + (uint64_t)(opt.seconds * 1000);

	{
		uint64_t v;
		int fd = open(node_path, O_RDWR | O_CLOEXEC);

		if (fd < 0 || get_param(fd, DRM_TESSERA_PARAM_MAX_CMDS, 0, &max_cmds) ||
		    get_param(fd, DRM_TESSERA_PARAM_MAX_BO_SIZE, 0, &max_bo_size) ||
		    get_param(fd, DRM_TESSERA_PARAM_BACKEND, 0, &v)) {
			printf("# accel_fuzz: %s: cannot open or GET_PARAM: %s\n", node_path, strerror(errno));
			printf("accel_fuzz: ERROR seed=%" PRIu64 " ops=0 reason=open\n", opt.seed);
			return 2;
		}
		close(fd);
		if (!max_cmds || max_cmds > MAX_SUB_CMDS - 8 || max_bo_size < PAGE || max_bo_size & (PAGE - 1)) {
			printf("accel_fuzz: FAIL seed=%" PRIu64 " ops=0 reason=params(MAX_CMDS=%" PRIu64
			       " MAX_BO_SIZE=%" PRIu64 ")\n", opt.seed, max_cmds, max_bo_size);
			return 1;
		}
		printf("# accel_fuzz: MAX_CMDS=%" PRIu64 " MAX_BO_SIZE=%" PRIu64 " BACKEND=%" PRIu64 "\n",
		       max_cmds, max_bo_size, v);
	}
	for (f = 0; f < nfiles; f++)
		open_file(c0, f);

	while (!stop && now_ms() < deadline_ms && (!opt.ops || n_ops < opt.ops)) {
		uint64_t end = now_ms() + 3000;

		/* A strict round: one thread owns every file. */
		while (!stop && now_ms() < deadline_ms && (!opt.ops || n_ops < opt.ops) &&
		       (!opt.threads || now_ms() < end))
			one_op(c0);
		settle(c0);
		if (stop || !opt.threads || now_ms() >= deadline_ms)
			break;
		/* A threaded round: thread t owns file t; all share the last one. */
		settle(c0);
		shared_setup(c0, opt.threads);
		{
			pthread_t th[8];

			end = now_ms() + 3000;
			for (t = 0; t < opt.threads; t++) {
				struct ctx *c = ctxs[t + 1];

				c->strict_all = false;
				c->own = t;
				c->tid = t;
				c->round_end = end;
				pthread_create(&th[t], NULL, thread_main, c);
			}
			for (t = 0; t < opt.threads; t++)
				pthread_join(th[t], NULL);
			for (t = 0; t < opt.threads; t++)
				ctxs[t + 1]->tid = t + 1;
		}
		shared_teardown(c0, opt.threads);
		round++;
	}
	if (!stop)
		settle(c0);
	/* The end: close every file with whatever is in flight. */
	for (f = 0; f < nfiles; f++)
		if (files[f].open)
			close_file(c0, f);
	zombies_reap();
	taint1 = read_taint();
	if (violations) {
		snprintf(reason, sizeof(reason), "oracle(%" PRIu64 " violations: %.100s)", violations, fail_msg);
		print_summary("FAIL", reason);
		return 1;
	}
	if ((taint1 & ~taint0) != 0) {
		snprintf(reason, sizeof(reason), "kernel-report(taint %" PRIu64 "->%" PRIu64 ")", taint0, taint1);
		print_summary("FAIL", reason);
		return 1;
	}
	print_summary("PASS", NULL);
	(void)round;
	return 0;
}
