/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libtessera: a small userspace library for tessera_accel.ko, the DRM accel
 * driver of the Tessera card (include/uapi/drm/tessera_accel.h).
 *
 * It opens a /dev/accel/accelN node, queries its parameters, allocates
 * buffer objects (BOs) already mapped into the process, encodes the card's
 * commands (struct tessera_cmd of include/tessera_hw.h) into a command
 * buffer that remembers which BOs they touch, submits it, and waits for
 * the result. It also carries the CPU-side checks of a GEMM result
 * (Freivalds' test and a full reference product) that tessera-run uses.
 *
 * This header is self-contained: it needs neither drm.h nor tessera_hw.h.
 * Its constants equal the uAPI's (libtessera.c checks that at build time).
 *
 * Conventions:
 *  - Every function that can fail returns 0 (or a count, where stated) on
 *    success and a negative errno on failure. tsr_strerror() explains an
 *    errno in the terms of the call that returned it; tsr_last_error()
 *    gives the calling thread's last failure with its details.
 *  - Memory is named by a BO and a byte offset into it; the library turns
 *    that into the BO's device address plus the offset and checks that the
 *    whole range lies in the BO before it encodes anything.
 *  - Objects are not locked: use one device (and what it made) from one
 *    thread at a time, or lock around it. tsr_last_error() is per thread.
 */
#ifndef LIBTESSERA_TESSERA_H
#define LIBTESSERA_TESSERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TSR_VERSION_MAJOR	0
#define TSR_VERSION_MINOR	1

/* ------------------------------------------------------------------------ */
/* Device                                                                    */
/* ------------------------------------------------------------------------ */

/** struct tsr_dev - an open tessera_accel node (opaque) */
struct tsr_dev;

/* Parameters for tsr_get_param(): equal to DRM_TESSERA_PARAM_*. */
enum tsr_param {
	TSR_PARAM_DEVICE_ID	= 0,	/* PCI device id: 0x7e51 vGPU, 0x7e50 card */
	TSR_PARAM_BACKEND	= 1,	/* TSR_BACKEND_* */
	TSR_PARAM_MAX_CMDS	= 2,	/* most commands one submit may carry */
	TSR_PARAM_MAX_BO_SIZE	= 3,	/* largest BO, bytes */
	TSR_PARAM_BUSY_NS	= 4,	/* card time this device's context has run, ns */
	TSR_PARAM_WEIGHT	= 5,	/* the context's scheduling weight */
	TSR_PARAM_JOBS_DONE	= 6,	/* jobs completed since the driver bound */
	TSR_PARAM_RESETS	= 7,	/* context resets after a fault or a hang */
};

#define TSR_BACKEND_VF		1	/* a vGPU virtual function, in a guest */
#define TSR_BACKEND_HOST	2	/* the physical card's host node */

/* The name tessera_accel registers for its PCI driver (sysfs). */
#define TSR_DRIVER_NAME		"tessera_accel"

/**
 * tsr_open() - open a tessera_accel device
 * @path: a node such as "/dev/accel/accel0", or NULL for the first
 *	/dev/accel/accelN (in N order) that tessera_accel drives: its
 *	/sys/class/accel/accelN/device/driver links to tessera_accel (or
 *	another "tessera*" driver: the host back end; with no sysfs,
 *	DRM_IOCTL_VERSION must name a "tessera*" driver) and
 *	DRM_TESSERA_PARAM_DEVICE_ID answers 0x7e50 or 0x7e51
 * @out: the device, for tsr_close()
 *
 * An explicit @path is taken when GET_PARAM answers on it. The device's
 * backend, MAX_CMDS and MAX_BO_SIZE are read once here.
 *
 * Return: 0; -ENOENT (no such node, or no tessera_accel node at all),
 * -EACCES, -ENOTTY (the node is not tessera_accel), -ENOMEM, or another
 * errno of open(2).
 */
int tsr_open(const char *path, struct tsr_dev **out);

/** tsr_close() - close a device; free its BOs and command buffers first. NULL is a no-op. */
void tsr_close(struct tsr_dev *dev);

/** tsr_dev_fd() - the device's file descriptor, for ioctls the library lacks */
int tsr_dev_fd(const struct tsr_dev *dev);

/** tsr_dev_path() - the node the device was opened at */
const char *tsr_dev_path(const struct tsr_dev *dev);

/** tsr_dev_backend() - TSR_BACKEND_VF or TSR_BACKEND_HOST (read at open) */
uint32_t tsr_dev_backend(const struct tsr_dev *dev);

/** tsr_dev_max_cmds() - DRM_TESSERA_PARAM_MAX_CMDS (read at open) */
uint32_t tsr_dev_max_cmds(const struct tsr_dev *dev);

/** tsr_dev_max_bo_size() - DRM_TESSERA_PARAM_MAX_BO_SIZE (read at open) */
uint64_t tsr_dev_max_bo_size(const struct tsr_dev *dev);

/** tsr_backend_name() - "vf", "host" or "unknown" */
const char *tsr_backend_name(uint32_t backend);

/**
 * tsr_get_param() - DRM_IOCTL_TESSERA_GET_PARAM
 * @dev: the device
 * @param: an &enum tsr_param (or a newer id the library does not name)
 * @value: out
 *
 * Return: 0, or -EINVAL for a parameter the driver does not know.
 */
int tsr_get_param(struct tsr_dev *dev, uint32_t param, uint64_t *value);

/* ------------------------------------------------------------------------ */
/* Buffer objects                                                            */
/* ------------------------------------------------------------------------ */

/* tsr_bo_alloc() flags: equal to DRM_TESSERA_BO_*. */
#define TSR_BO_DEVICE_READ_ONLY	(1u << 0)	/* commands may not write it */

/**
 * struct tsr_bo - a buffer object, created and mapped
 * @dev: the device it belongs to (NULL only in hand-made BOs of tests)
 * @size: bytes: the requested size rounded up to whole pages, all of which
 *	commands may use
 * @dva: the device address of its first byte
 * @cpu: where it is mapped in this process (read and write, shared)
 * @handle: its GEM handle
 * @flags: TSR_BO_* it was created with
 *
 * The fields are the library's; read them, do not change them.
 */
struct tsr_bo {
	struct tsr_dev *dev;
	uint64_t size;
	uint64_t dva;
	void *cpu;
	uint32_t handle;
	uint32_t flags;
};

/**
 * tsr_bo_alloc() - DRM_IOCTL_TESSERA_BO_CREATE, then map it
 * @dev: the device
 * @size: bytes, 1 to tsr_dev_max_bo_size(); rounded up to whole pages
 * @flags: TSR_BO_* or 0
 * @out: the BO, zeroed and mapped
 *
 * Return: 0; -EINVAL (size 0 or above MAX_BO_SIZE, or an unknown flag),
 * -ENOMEM, or an errno of mmap(2).
 */
int tsr_bo_alloc(struct tsr_dev *dev, uint64_t size, uint32_t flags, struct tsr_bo **out);

/**
 * tsr_bo_free() - unmap a BO and close its GEM handle (DRM_IOCTL_GEM_CLOSE)
 * @bo: the BO, or NULL (a no-op)
 *
 * Jobs still running on it keep their own reference in the kernel. @bo is
 * freed whatever the result.
 *
 * Return: 0, or the errno of GEM_CLOSE.
 */
int tsr_bo_free(struct tsr_bo *bo);

/* A timeout that never ends, for tsr_bo_wait() and tsr_syncobj_wait(). */
#define TSR_TIMEOUT_INFINITE	(-1)

/**
 * tsr_bo_wait() - wait until every job that uses a BO is done (DRM_IOCTL_TESSERA_BO_WAIT)
 * @bo: the BO
 * @timeout_ns: how long to wait from now, ns; 0 polls; TSR_TIMEOUT_INFINITE
 *	(any negative value) waits without end. The library turns it into
 *	the absolute CLOCK_MONOTONIC time the ioctl takes, so an interrupted
 *	wait that it restarts does not wait longer in all.
 * @job_error: out (may be NULL), 0 or the negative errno of the last job
 *	that used the BO and failed: -EIO (the card faulted or the mediator
 *	refused a command), -ETIMEDOUT (the job hung and its context was
 *	reset), -ECANCELED (the device went away). tsr_strerror(TSR_CALL_JOB,
 *	...) explains it. Valid when the call returns 0.
 *
 * Return: 0 when the jobs are done (whether or not they failed: see
 * @job_error), -ETIME if some were still running at the timeout, -ENOENT.
 */
int tsr_bo_wait(struct tsr_bo *bo, int64_t timeout_ns, int *job_error);

/* ------------------------------------------------------------------------ */
/* Command buffers                                                           */
/* ------------------------------------------------------------------------ */

/** struct tsr_cmdbuf - commands being built in a command BO, and the BOs they use (opaque) */
struct tsr_cmdbuf;

/* Bounds the card enforces, as in tessera_hw.h. */
#define TSR_CMD_SIZE		64
#define TSR_GEMM_MAX_DIM	2048
#define TSR_MAX_XFER_BYTES	(64ull << 20)	/* FILL, COPY, ELEMWISE data */
#define TSR_MAX_BUSY_US		10000000ull	/* 10 s */

/* tsr_cmd_gemm() flags: equal to TESSERA_GEMM_*. */
#define TSR_GEMM_ACCUMULATE	(1u << 0)	/* C += A * B */

/* tsr_cmd_elemwise() operations: equal to TESSERA_EW_*. */
enum tsr_ew_op {
	TSR_EW_ADD	= 0,	/* dst[i] = a[i] + b[i] */
	TSR_EW_MUL	= 1,	/* dst[i] = a[i] * b[i] */
	TSR_EW_RELU	= 2,	/* dst[i] = max(a[i], 0); no b */
};

/**
 * tsr_cmdbuf_new() - a command buffer
 * @dev: the device, or NULL for a buffer in ordinary memory that can be
 *	filled and inspected (tsr_cmdbuf_data()) but not submitted: the unit
 *	test uses it
 * @capacity: most commands it holds, 1 to tsr_dev_max_cmds(); 0 means
 *	tsr_dev_max_cmds() (4096 when @dev is NULL)
 * @out: the buffer
 *
 * Its commands live in a BO of their own (not in the list of BOs that a
 * submit sends: the kernel reads it only as commands).
 *
 * Return: 0, -EINVAL (@capacity above MAX_CMDS), -ENOMEM, or an error of
 * tsr_bo_alloc().
 */
int tsr_cmdbuf_new(struct tsr_dev *dev, uint32_t capacity, struct tsr_cmdbuf **out);

/** tsr_cmdbuf_free() - free a command buffer and its command BO. NULL is a no-op. */
void tsr_cmdbuf_free(struct tsr_cmdbuf *cb);

/**
 * tsr_cmdbuf_reset() - drop every command and every BO reference
 *
 * The kernel copies the commands when it takes a submit, so a buffer may
 * be reset and refilled as soon as tsr_submit() returns.
 */
void tsr_cmdbuf_reset(struct tsr_cmdbuf *cb);

/** tsr_cmdbuf_count() - commands in the buffer */
uint32_t tsr_cmdbuf_count(const struct tsr_cmdbuf *cb);

/** tsr_cmdbuf_capacity() - most commands the buffer holds */
uint32_t tsr_cmdbuf_capacity(const struct tsr_cmdbuf *cb);

/** tsr_cmdbuf_data() - the encoded commands: tsr_cmdbuf_count() times TSR_CMD_SIZE bytes */
const void *tsr_cmdbuf_data(const struct tsr_cmdbuf *cb);

/**
 * tsr_cmdbuf_bo_handles() - the GEM handles of the BOs the commands use
 * @cb: the buffer
 * @count: out, how many (may be NULL)
 *
 * Each BO once, in the order the commands first named it: the list the
 * next tsr_submit() sends.
 */
const uint32_t *tsr_cmdbuf_bo_handles(const struct tsr_cmdbuf *cb, uint32_t *count);

/*
 * Appending commands. Each checks its arguments against the card's bounds
 * (the same ones tessera_accel and the vGPU mediator enforce), that every
 * range lies wholly in its BO, that no written range is in a
 * TSR_BO_DEVICE_READ_ONLY BO and that every BO belongs to the buffer's
 * device, then encodes one struct tessera_cmd with every reserved field
 * zero and adds the BOs to the buffer's list. On failure nothing is added.
 *
 * Return: 0; -ENOSPC (the buffer is full), -EINVAL (an argument out of
 * bounds: tsr_last_error() says which), -EXDEV (a BO of another device),
 * -ENOMEM.
 */

/** tsr_cmd_nop() - TESSERA_OP_NOP */
int tsr_cmd_nop(struct tsr_cmdbuf *cb);

/**
 * tsr_cmd_fence() - TESSERA_OP_FENCE, without TESSERA_FENCE_IRQ (the driver refuses it)
 * @cb: the buffer
 * @bo: where to write @value (8 bytes, @offset 8-aligned), or NULL to write nothing
 * @offset: byte offset in @bo
 * @value: the 64-bit value
 */
int tsr_cmd_fence(struct tsr_cmdbuf *cb, struct tsr_bo *bo, uint64_t offset, uint64_t value);

/**
 * tsr_cmd_fill() - TESSERA_OP_FILL: @bytes (a multiple of 4, at most
 * TSR_MAX_XFER_BYTES) at @bo + @offset, each 32-bit word @pattern
 */
int tsr_cmd_fill(struct tsr_cmdbuf *cb, struct tsr_bo *bo, uint64_t offset, uint64_t bytes,
		 uint32_t pattern);

/**
 * tsr_cmd_copy() - TESSERA_OP_COPY: @bytes (at most TSR_MAX_XFER_BYTES)
 * from @src + @src_off to @dst + @dst_off; the ranges must not overlap
 */
int tsr_cmd_copy(struct tsr_cmdbuf *cb, struct tsr_bo *dst, uint64_t dst_off,
		 struct tsr_bo *src, uint64_t src_off, uint64_t bytes);

/**
 * tsr_cmd_gemm() - TESSERA_OP_GEMM: fp32 row-major C[m][n] = A[m][k] * B[k][n]
 * @cb: the buffer
 * @a, @a_off: A, m * k floats
 * @b, @b_off: B, k * n floats
 * @c, @c_off: C, m * n floats, written
 * @m, @n, @k: dimensions, each 1 to TSR_GEMM_MAX_DIM
 * @flags: 0 or TSR_GEMM_ACCUMULATE (C += A * B)
 */
int tsr_cmd_gemm(struct tsr_cmdbuf *cb, struct tsr_bo *a, uint64_t a_off,
		 struct tsr_bo *b, uint64_t b_off, struct tsr_bo *c, uint64_t c_off,
		 uint32_t m, uint32_t n, uint32_t k, uint32_t flags);

/**
 * tsr_cmd_elemwise() - TESSERA_OP_ELEMWISE: fp32 dst[i] = a[i] @op b[i], i < @count
 * @cb: the buffer
 * @op: an &enum tsr_ew_op
 * @dst, @dst_off: @count floats, written
 * @a, @a_off: @count floats
 * @b, @b_off: @count floats; NULL (and @b_off 0) for TSR_EW_RELU
 * @count: floats, at most TSR_MAX_XFER_BYTES / 4
 */
int tsr_cmd_elemwise(struct tsr_cmdbuf *cb, enum tsr_ew_op op,
		     struct tsr_bo *dst, uint64_t dst_off, struct tsr_bo *a, uint64_t a_off,
		     struct tsr_bo *b, uint64_t b_off, uint64_t count);

/**
 * tsr_cmd_busy() - TESSERA_OP_BUSY: occupy the engine for @us microseconds
 * (at most TSR_MAX_BUSY_US), preemptible at checkpoints
 *
 * It names no BO: a job of BUSY alone has nothing for tsr_bo_wait() to
 * wait on, so add a tsr_cmd_fence() into a BO after it (tessera-run --hang
 * does) or wait on an out syncobj.
 */
int tsr_cmd_busy(struct tsr_cmdbuf *cb, uint64_t us);

/* ------------------------------------------------------------------------ */
/* Submitting, syncobjs                                                      */
/* ------------------------------------------------------------------------ */

/**
 * tsr_submit() - DRM_IOCTL_TESSERA_SUBMIT of the whole buffer
 * @cb: a buffer of a device, with at least one command
 * @in_syncobjs: syncobj handles whose fences the job waits for, or NULL
 * @in_count: entries at @in_syncobjs
 * @out_syncobj: 0, or a syncobj that receives the job's fence
 *
 * The BO list is the buffer's (tsr_cmdbuf_bo_handles()). The buffer keeps
 * its commands: tsr_cmdbuf_reset() it before building the next job. Wait
 * for the job with tsr_bo_wait() on a BO it writes (that also gives the
 * job's error) or with tsr_syncobj_wait() on @out_syncobj.
 *
 * Return: 0; -EINVAL (a command was refused, or a bad field), -ENOENT (a
 * BO or syncobj handle that names nothing of this file), -ENODATA (the
 * buffer is empty), -ENODEV (a buffer made without a device), -ENOMEM,
 * -EFAULT.
 */
int tsr_submit(struct tsr_cmdbuf *cb, const uint32_t *in_syncobjs, uint32_t in_count,
	       uint32_t out_syncobj);

/* tsr_syncobj_create() flags: equal to DRM_SYNCOBJ_CREATE_SIGNALED. */
#define TSR_SYNCOBJ_SIGNALED	(1u << 0)

/** tsr_syncobj_create() - DRM_IOCTL_SYNCOBJ_CREATE; @flags 0 or TSR_SYNCOBJ_SIGNALED */
int tsr_syncobj_create(struct tsr_dev *dev, uint32_t flags, uint32_t *handle);

/** tsr_syncobj_destroy() - DRM_IOCTL_SYNCOBJ_DESTROY */
int tsr_syncobj_destroy(struct tsr_dev *dev, uint32_t handle);

/**
 * tsr_syncobj_wait() - DRM_IOCTL_SYNCOBJ_WAIT
 * @dev: the device
 * @handles: syncobjs
 * @count: entries at @handles, at least 1
 * @timeout_ns: relative, as for tsr_bo_wait()
 * @wait_all: wait for all of them, else for the first
 * @first: out (may be NULL), without @wait_all: the index of one signalled
 *
 * Waits for a fence to be attached too (WAIT_FOR_SUBMIT), so it may be
 * called before the submit that fills the syncobj. A signalled fence does
 * not say whether the job failed: tsr_bo_wait() does.
 *
 * Return: 0, -ETIME at the timeout, -ENOENT, -EINVAL.
 */
int tsr_syncobj_wait(struct tsr_dev *dev, const uint32_t *handles, uint32_t count,
		     int64_t timeout_ns, bool wait_all, uint32_t *first);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Which call an errno came from: the same errno means different things. */
enum tsr_call {
	TSR_CALL_ANY = 0,	/* generic explanation */
	TSR_CALL_OPEN,		/* tsr_open() */
	TSR_CALL_PARAM,		/* tsr_get_param() */
	TSR_CALL_BO_ALLOC,	/* tsr_bo_alloc() */
	TSR_CALL_BO_FREE,	/* tsr_bo_free() */
	TSR_CALL_CMD,		/* tsr_cmdbuf_new(), tsr_cmd_*() */
	TSR_CALL_SUBMIT,	/* tsr_submit() */
	TSR_CALL_WAIT,		/* tsr_bo_wait()'s return value */
	TSR_CALL_JOB,		/* tsr_bo_wait()'s job_error */
	TSR_CALL_SYNCOBJ,	/* tsr_syncobj_*() */
};

/**
 * tsr_strerror() - explain a negative errno in tessera_accel's terms
 * @call: the call that returned it
 * @err: the negative errno (a positive one is taken as its negation)
 *
 * E.g. tsr_strerror(TSR_CALL_SUBMIT, -EINVAL) is "a command was refused:
 * ...". Errnos the driver does not give there fall back to strerror().
 *
 * Return: a static string; never NULL.
 */
const char *tsr_strerror(enum tsr_call call, int err);

/**
 * tsr_errno_name() - "EINVAL" for -EINVAL (or EINVAL), "E?" for an unknown one
 */
const char *tsr_errno_name(int err);

/**
 * tsr_last_error() - the calling thread's last library failure, in full
 *
 * E.g. "tsr_cmd_gemm: C [0x0, +0x100000) is outside its BO of 0x80000
 * bytes" or "submit: -EINVAL: a command was refused: ...". Empty before any
 * failure. Valid until the thread's next library call.
 */
const char *tsr_last_error(void);

/* ------------------------------------------------------------------------ */
/* Checking a GEMM on the CPU                                                */
/* ------------------------------------------------------------------------ */

enum tsr_check_mode {
	TSR_CHECK_NONE = 0,
	TSR_CHECK_FREIVALDS,	/* O((m + n) k + m n) per round, probabilistic */
	TSR_CHECK_FULL,		/* O(m n k): every element against a double product */
};

/**
 * struct tsr_check_result - what tsr_gemm_check() found
 * @exact: the inputs are integers small enough that the fp32 product is
 *	exact (see tsr_gemm_check()): the check used tolerance 0
 * @rounds: Freivalds rounds run (0 for FULL)
 * @bad_row: the first row found wrong, or -1
 * @bad_col: FULL: the first column found wrong in @bad_row, else -1
 * @got: the wrong value (FULL: C[i][j]; FREIVALDS: (C r)[i])
 * @want: what it should have been within @tol (FULL: (A B)[i][j];
 *	FREIVALDS: (A (B r))[i]), computed in double
 * @tol: the tolerance it was held to
 */
struct tsr_check_result {
	bool exact;
	unsigned int rounds;
	long bad_row;
	long bad_col;
	double got;
	double want;
	double tol;
};

/**
 * tsr_gemm_check() - check C[m][n] == A[m][k] * B[k][n] (fp32, row-major)
 * @a, @b, @c: the matrices
 * @m, @n, @k: dimensions
 * @mode: TSR_CHECK_FREIVALDS or TSR_CHECK_FULL (TSR_CHECK_NONE returns 0)
 * @rounds: Freivalds vectors to try (0 means 2); ignored by FULL
 * @seed: seeds the Freivalds vectors
 * @res: out (may be NULL), details
 *
 * Freivalds: for a random vector r, (C r)[i] must equal (A (B r))[i] for
 * every row i. Each r has entries drawn uniformly from the nonzero
 * integers in [-1024, 1024]. A wrong C passes one round with probability
 * at most 1/2048 (Schwartz-Zippel: (C - AB) r = 0 is a nonzero linear form
 * in r), two rounds at most 2.4e-7, and a C wrong in a single element is
 * always caught (its row's error is e * r_j with r_j != 0).
 *
 * Tolerance. When every element of A and B is an integer and
 * max|A| * max|B| * k <= 2^24, every partial sum of every dot product is
 * an integer of magnitude at most 2^24, which fp32 holds exactly: the
 * card's result is exact whatever order or fused multiply-adds it uses.
 * Then C r, B r and A (B r) are integer sums of magnitude at most
 * max|C| * n * 1024 and max|A| * max|B| * k * n * 1024 <= 2^24 * 2^11 *
 * 2^10 = 2^45 < 2^53, so double computes them exactly too, and the test
 * is strict: tolerance 0 (@res->exact). In this case every element of C
 * must also be an integer no larger in magnitude than max|A| * max|B| * k
 * (checked first, O(m n)), so that the sums over C are exact as well and a
 * wrong element below double's resolution cannot hide in a large sum.
 * tessera-run draws its inputs from
 * the integers in [-4, 4], which is this case for every k up to 2048.
 *
 * Otherwise, a fp32 dot product of length k in any order is within
 * gamma_k = k u / (1 - k u) (u = 2^-24, FLT_EPSILON / 2) of sum |a_l b_l|
 * relative to it, so |(C r)[i] - (A B r)[i]| <= gamma_k (|A| (|B| |r|))[i],
 * plus the double rounding of the check itself, bounded by (n + k + 2)
 * DBL_EPSILON times the same magnitudes; that sum is the row's tolerance.
 * FULL uses the same bound element by element: gamma_k (|A| |B|)[i][j].
 * A NaN or infinity in C always fails.
 *
 * Return: 0 if C passed, 1 if it is wrong (see @res), -EINVAL for a bad
 * mode or a zero dimension, -ENOMEM.
 */
int tsr_gemm_check(const float *a, const float *b, const float *c,
		   uint32_t m, uint32_t n, uint32_t k, enum tsr_check_mode mode,
		   unsigned int rounds, uint64_t seed, struct tsr_check_result *res);

#ifdef __cplusplus
}
#endif

#endif /* LIBTESSERA_TESSERA_H */
