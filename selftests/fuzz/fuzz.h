/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_fuzz: shared declarations of the fuzzer's files.
 *
 *   vfio_fuzz.c   options, the supervisor process, the operation log, the
 *                 watchdog, the oracle helpers and the main loop
 *   fuzz_ops.c    the operations: generation (from the RNG) and execution
 *                 (from an operation record only, so that a log replays)
 *   fuzz_ring.c   command rings and batches with their expected verdicts,
 *                 and the submission oracle
 *   fuzz_bind.c   the vGPU bind interface: bind descriptors and operations,
 *                 the model of the live bindings and its oracle
 */
#ifndef TESSERA_VFIO_FUZZ_H
#define TESSERA_VFIO_FUZZ_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfio_util.h"

/* ---- the fixed guest-memory layout every (re)synchronisation restores ---- */
#define FZ_RING_IOVA	0x00100000ull	/* slot 0: the command ring */
#define FZ_RING_BYTES	0x00040000ull	/* 4096 entries of 64 bytes */
#define FZ_DATA_IOVA	0x01000000ull	/* slot 1: data the commands use */
#define FZ_DATA_BYTES	0x00100000ull
#define FZ_BATCH_IOVA	0x02000000ull	/* slot 2: batches, then bitstream images */
#define FZ_BATCH_BYTES	0x00200000ull
#define FZ_IMAGE_OFF	0x00100000ull	/* images live in the upper half of slot 2 */
#define FZ_RO_IOVA	0x03000000ull	/* slot 3: mapped read-only for the device */
#define FZ_RO_BYTES	0x00010000ull
/* Never mapped by anyone: addresses here must be refused as unmapped. */
#define FZ_HOLE_IOVA	0x08000000ull
#define FZ_HOLE_BYTES	0x08000000ull
/* Random mappings go here (or to the boundary classes in fuzz_ops.c). */
#define FZ_RAND_IOVA	0x10000000ull
#define FZ_RAND_BYTES	0x30000000ull
/* The last 8 bytes of slot 1: the marker FENCE of every checked ring. */
#define FZ_MARKER_IOVA	(FZ_DATA_IOVA + FZ_DATA_BYTES - 8)
/* What good commands may touch in slot 1 (the marker page excluded). */
#define FZ_DATA_USABLE	(FZ_DATA_BYTES - 4096)

#define FZ_STD_SLOTS	4
#define FZ_NSLOTS	8
#define FZ_NEFD		4
#define FZ_STD_RING	64	/* entries of the ring a resync configures */

#define FZ_MAX_TASKS	16
#define FZ_TID_CHILD	8	/* task ids of a forked second process */

#define FZ_LOG_SLOTS	65536	/* power of two */
#define FZ_LOG_WIDTH	200

/* One operation: everything its execution needs, so that a log replays it. */
struct fz_op {
	int kind;
	int tid;
	uint64_t a[6];
};

struct fz_slot {
	uint64_t iova;
	uint64_t size;
	void *va;		/* backing we own, munmapped on release */
	size_t va_len;
	bool mapped;		/* mapped, as far as the model knows */
	bool writable;		/* mapped with VFIO_DMA_MAP_FLAG_WRITE */
};

/* One live binding as the model knows it (tessera_hw.h, "The bind interface"). */
struct fz_binding {
	uint64_t dva;
	uint32_t npages;
	bool writable;
	uint64_t *pages;	/* guest DMA addresses, in device-address order */
};

/* The bind space of a vGPU instance: what the main thread's strict operations know. */
struct fz_binds {
	struct fz_binding *b;
	unsigned int n, cap;
	uint64_t pages;		/* sum of npages: VF_BIND_PAGES */
	uint32_t max;		/* VF_BIND_MAX (tessera_mdev.ko max_bindings) */
	uint64_t pin_limit;	/* max_pinned_mib, in pages */
	bool status_known;	/* VF_BIND_STATUS/ERR_INDEX are the model's last op's */
	uint32_t status, err_index;
};

/* The instance under test and the model of its state. */
struct fz_state {
	struct tsr_instance inst;
	char type[64];
	bool open;
	bool vfpga;
	bool generic;		/* not a Tessera instance: VFIO's own rules only */
	uint32_t irq_flags[VFIO_PCI_NUM_IRQS];
	uint32_t region_flags[VFIO_PCI_NUM_REGIONS];
	bool share;		/* vFPGA regions time-shared: BAR0 not mmap-able */
	uint64_t vram_size;
	uint64_t region_size[VFIO_PCI_NUM_REGIONS];
	uint32_t irq_count[VFIO_PCI_NUM_IRQS];
	unsigned int regions;
	uint32_t functions;
	uint64_t capacity;
	uint32_t max_entries;	/* tessera.ko max_ring_entries */
	uint64_t max_trap_cmds;	/* tessera.ko max_trap_cmds */
	uint64_t max_shadow_bytes; /* tessera.ko max_shadow_kib, in bytes */
	struct fz_slot slot[FZ_NSLOTS];
	uint32_t ring_entries;	/* 0: no ring we know of */
	bool ring_std;		/* the ring is the standard one, at FZ_RING_IOVA */
	uint64_t fence_next;
	int efd[FZ_NEFD];
	struct fz_binds binds;	/* vGPU: the live bindings (fuzz_bind.c) */
	bool memcg_limited;	/* the fuzzer's cgroup has a memory.max: NOMEM is possible */
	/* concurrency: while any of this runs, the model is not exact */
	volatile int storm_live;
	pid_t child;
	bool dirty;		/* resynchronise before the next strict check */
	bool fresh;		/* just created: the previous tenant checks apply */
};

/* Per-thread context of the fuzzer. */
struct fz_task {
	int tid;
	uint64_t s[4];		/* xoshiro256** state */
	bool strict;		/* no concurrency: stateful rules apply */
	sigjmp_buf touch_jb;
	volatile sig_atomic_t touching;
	uint64_t seq;		/* the operation it runs */
};

/* Options. */
struct fz_opts {
	uint64_t seed;
	double seconds;
	uint64_t max_ops;
	const char *type;
	int threads;
	bool fork;
	bool remove;
	bool heavy;
	const char *log;
	const char *replay;
	unsigned int tail;
	unsigned int op_timeout;
	bool keep_going;
	bool upstream_races;
	bool generic;
	int verbose;
};

extern struct fz_opts fz_opt;
extern struct fz_state fz;

/* What a run reached, counted for its summary. */
enum fz_cov {
	FZ_COV_STRICT,		/* operations run with the stateful rules on */
	FZ_COV_RING,		/* submissions checked against their plan */
	FZ_COV_RING_REFUSED,	/* ... refused where the spec says, nothing after it ran */
	FZ_COV_RING_RAN,	/* ... all ran, the marker FENCE seen */
	FZ_COV_RING_FAULT,	/* ... a command of unknown verdict faulted or was refused */
	FZ_COV_RING_TRAP_LIMIT,	/* ... refused where the doorbell's batches passed max_trap_cmds */
	FZ_COV_LOAD,		/* vFPGA loads checked */
	FZ_COV_JOB,		/* vFPGA jobs checked */
	FZ_COV_DOORBELLS,	/* the mediator's counters (sysfs), summed over instances */
	FZ_COV_COMMANDS,
	FZ_COV_REJECTS,
	FZ_COV_CARD_FAULTS,
	/* bind operations checked, by VF_BIND_STATUS (0, then ERR_OP .. ERR_NOT_BOUND) */
	FZ_COV_BIND_OK,
	FZ_COV_BIND_ERR_FIRST,
	FZ_COV_BIND_ERR_LAST = FZ_COV_BIND_ERR_FIRST + 10,
	FZ_COV_BIND_LOOSE,	/* bind operations under concurrency (relaxed checks) */
	FZ_COV_BIND_PROBE,	/* bound pages checked through the card (FILL/COPY) */
	FZ_COV_BIND_REVOKED,	/* bindings the model dropped on a dma_unmap, confirmed */
	FZ_COV_BIND_CMDS,	/* planned ring commands using the bind space */
	FZ_COV_BIND_FILLS,	/* runs up to VF_BIND_MAX bindings or the pin limit */
	FZ_COV_BIND_VFPGA,	/* vFPGA: bind registers checked inert */
	FZ_COV_NUM,
};

/* vfio_fuzz.c */
void fz_cov(enum fz_cov what, uint64_t n);
uint64_t fz_rand(struct fz_task *t);
uint64_t fz_below(struct fz_task *t, uint64_t n);	/* [0, n) */
bool fz_chance(struct fz_task *t, unsigned int percent);
void fz_seed_task(struct fz_task *t, uint64_t seed, int tid);
uint64_t fz_pick(struct fz_task *t, const uint64_t *v, size_t n);
#define FZ_PICK(t, arr) fz_pick(t, arr, sizeof(arr) / sizeof((arr)[0]))
uint64_t fz_now_ms(void);
void fz_op_begin(struct fz_task *t, const struct fz_op *op);
void fz_op_end(struct fz_task *t);
/* records an oracle violation (and ends the run unless --keep-going) */
void fz_fail(struct fz_task *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fz_checked(void);
/*
 * The result of a call that returned @ret (negative: failed with @err):
 * want 0 = must succeed, > 0 = must fail with that errno, -1 = must fail.
 */
void fz_expect(struct fz_task *t, long ret, int err, int want, const char *what);
bool fz_time_up(void);
void fz_arm_watchdog(void);
void fz_dma_lock(void);
void fz_dma_unlock(void);
void fz_register_task(struct fz_task *t);
extern __thread struct fz_task *fz_cur;

/* fuzz_ops.c */
void fz_gen(struct fz_task *t, struct fz_op *op);
void fz_exec(struct fz_task *t, const struct fz_op *op);
const char *fz_op_name(int kind);
int fz_op_kind(const char *name);
int fz_setup(struct fz_task *t);
void fz_teardown(struct fz_task *t);
void fz_resync(struct fz_task *t);
void fz_finish_episodes(struct fz_task *t);
bool fz_quiet(void);	/* no thread, second process or removal under way */
void fz_final_checks(struct fz_task *t);
int fz_sysfs_u64(const char *file, uint64_t *val);
ssize_t fz_region_rw(int index, bool write, uint64_t off, void *buf, size_t len, int *err);
int fz_reg_rd(uint32_t off, uint32_t *val);
int fz_reg_wr(uint32_t off, uint32_t val);
uint32_t fz_reg(uint32_t off);
uint64_t fz_reg64(uint32_t lo);
int fz_map(struct fz_task *t, int slot, uint64_t iova, uint64_t size, bool writable);
int fz_unmap_range(uint64_t iova, uint64_t size, uint64_t *unmapped, int *err);

/* fuzz_bind.c */
void fz_bind_exec(struct fz_task *t, const struct fz_op *op);
void fz_bind_forget_all(void);			/* reset, close: every binding gone */
void fz_bind_unmapped(struct fz_task *t, uint64_t iova, uint64_t size);	/* a mapping went */
void fz_bind_check(struct fz_task *t, const char *after);	/* VF_BIND_COUNT/PAGES */
bool fz_bind_reg(uint32_t off);			/* a vGPU bind register */
bool fz_bind_reg_ok(uint32_t off, uint32_t wrote, uint32_t back);
void fz_bind_fresh(struct fz_task *t, const char *who);	/* all bind registers 0 */
void fz_bind_setup(void);
/* the ring generator's view: ranges in the bind space */
bool fz_bind_covered(uint64_t addr, uint64_t len, bool write);
bool fz_bind_pick(uint64_t r, uint64_t len, bool write, unsigned int align, uint64_t *addr);
uint64_t fz_bind_bad(uint64_t r, uint64_t len, bool write, bool aligned);
bool fz_bind_writable_run(uint64_t r, uint64_t *dva, uint64_t *len);

/* fuzz_sysfs.c: the instance's and card's sysfs files, read and written */
void fz_sysfs_exec(struct fz_task *t, const struct fz_op *op);

/* fuzz_ring.c */
int fz_ring_run(struct fz_task *t, const struct tessera_cmd *cmds, unsigned int n,
		const char *what);
void fz_submit(struct fz_task *t, uint64_t subseed, unsigned int n, unsigned int mode);
int fz_ring_configure(struct fz_task *t, uint64_t base, uint32_t entries);
int fz_wait_idle(struct fz_task *t, int timeout_ms);
bool fz_card_fault_forbidden(uint32_t code);
void fz_check_card_fault(struct fz_task *t, uint32_t code, const char *when);

enum {
	FZ_SUBMIT_GOOD,		/* only commands the audit must accept */
	FZ_SUBMIT_HOSTILE,	/* good ones around one it must reject */
	FZ_SUBMIT_CHAOS,	/* random descriptors */
	FZ_SUBMIT_BATCH,	/* batches: nesting, loops, lengths */
	FZ_SUBMIT_TOCTOU,	/* a thread rewrites entries during the doorbell */
	FZ_SUBMIT_UNMAP,	/* unmap what queued work uses while it runs */
	FZ_SUBMIT_NMODES,
};

#endif /* TESSERA_VFIO_FUZZ_H */
