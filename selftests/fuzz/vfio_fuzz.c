// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_fuzz: a stateful VFIO uAPI fuzzer for Tessera mdev instances, the
 * hostile user space the mediator has to survive.
 *
 *   vfio_fuzz [--type T] [--seed N] [--seconds S] [--ops N] [--threads N]
 *             [--no-fork] [--no-remove] [--heavy] [--log FILE]
 *             [--replay FILE] [--tail N] [--op-timeout S] [--keep-going]
 *             [-v]
 *
 * Two processes. The supervisor (this one) prints the seed, forks the
 * worker and watches it: the kernel's taint flags and lockdep's
 * debug_locks (a kernel report while the worker ran fails the run, with
 * the kernel's messages and the last operations), and a heartbeat per
 * fuzzing thread (an operation that runs longer than --op-timeout is a
 * hang, even one stuck in the kernel where no signal reaches it). The
 * worker creates an instance of the type, drives it with operations drawn
 * from a seeded generator (fuzz_ops.c), and checks what VFIO's rules and
 * the card's spec say the answer must be (the oracle). Its own SIGALRM
 * watchdog catches an operation stuck in an interruptible wait.
 *
 * Every operation is logged before it runs, as one line that holds all it
 * needs (a replayed operation never draws from the generator): the last
 * FZ_LOG_SLOTS are kept in shared memory, written to --log at the end and,
 * on a failure, the last --tail printed as "# op: " lines. --replay FILE
 * runs such lines again, in order, on one thread, after the same setup.
 * The same --seed with --threads 0 --no-fork replays a whole run.
 *
 * Exit status: 0 pass, 1 failure (oracle, kernel report, hang), 2 the run
 * could not start (no card, no such type, instance creation failed).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct fz_opts fz_opt = {
	.seconds = 60,
	.type = "tessera-vgpu-2",
	.threads = 2,
	.fork = true,
	.remove = true,
	.tail = 40,
	.op_timeout = 45,
};
struct fz_state fz;
__thread struct fz_task *fz_cur;

/* ---- shared between the supervisor and the worker (and its children) ---- */

struct fz_hb {
	volatile uint64_t seq;		/* operation running, 0 = between operations */
	volatile uint64_t start_ms;
	volatile pid_t pid;
	volatile pid_t tid;
};

struct fz_shared {
	volatile uint64_t next_seq;
	volatile uint64_t ops;
	volatile uint64_t checks;
	volatile uint64_t kind_ops[64];
	volatile uint64_t cov[FZ_COV_NUM];
	volatile uint64_t failures;
	volatile uint64_t fail_seq;
	volatile int stop;
	volatile int hang;
	volatile uint64_t end_ms;
	struct fz_hb hb[FZ_MAX_TASKS];
	pthread_mutex_t dma_lock;	/* process-shared, robust: see fz_dma_lock() */
	char fail_msg[1024];
	char log[FZ_LOG_SLOTS][FZ_LOG_WIDTH];
};

static struct fz_shared *sh;
static uint64_t run_start_ms, deadline_ms;

/* ---- random numbers: splitmix64 seeds xoshiro256** ---- */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void fz_seed_task(struct fz_task *t, uint64_t seed, int tid)
{
	uint64_t x = seed ^ ((uint64_t)tid << 56) ^ 0x7e5e7a00ull;
	int i;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	for (i = 0; i < 4; i++)
		t->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t fz_rand(struct fz_task *t)
{
	uint64_t *s = t->s, r = rotl(s[1] * 5, 7) * 9, u = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= u;
	s[3] = rotl(s[3], 45);
	return r;
}

uint64_t fz_below(struct fz_task *t, uint64_t n)
{
	return n ? fz_rand(t) % n : 0;
}

bool fz_chance(struct fz_task *t, unsigned int percent)
{
	return fz_below(t, 100) < percent;
}

uint64_t fz_pick(struct fz_task *t, const uint64_t *v, size_t n)
{
	return v[fz_below(t, n)];
}

uint64_t fz_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool fz_time_up(void)
{
	if (sh->stop)
		return true;
	if (fz_opt.max_ops && sh->ops >= fz_opt.max_ops)
		return true;
	return deadline_ms && fz_now_ms() >= deadline_ms;
}

/* ---- the operation log and the heartbeats ---- */

static struct fz_hb *hb_of(struct fz_task *t)
{
	return &sh->hb[t->tid % FZ_MAX_TASKS];
}

void fz_op_begin(struct fz_task *t, const struct fz_op *op)
{
	uint64_t seq = __atomic_add_fetch(&sh->next_seq, 1, __ATOMIC_RELAXED);
	struct fz_hb *hb = hb_of(t);
	char *line = sh->log[seq & (FZ_LOG_SLOTS - 1)];

	snprintf(line, FZ_LOG_WIDTH, "%" PRIu64 " t%d %s %" PRIx64 " %" PRIx64 " %" PRIx64
		 " %" PRIx64 " %" PRIx64 " %" PRIx64, seq, t->tid, fz_op_name(op->kind),
		 op->a[0], op->a[1], op->a[2], op->a[3], op->a[4], op->a[5]);
	t->seq = seq;
	fz_cur = t;
	__atomic_add_fetch(&sh->kind_ops[op->kind & 63], 1, __ATOMIC_RELAXED);
	if (t->strict)
		fz_cov(FZ_COV_STRICT, 1);
	hb->start_ms = fz_now_ms();
	__atomic_store_n(&hb->seq, seq, __ATOMIC_RELEASE);
	if (fz_opt.verbose > 1)
		fprintf(stderr, "# op: %s\n", line);
}

void fz_op_end(struct fz_task *t)
{
	__atomic_store_n(&hb_of(t)->seq, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sh->ops, 1, __ATOMIC_RELAXED);
}

void fz_cov(enum fz_cov what, uint64_t n)
{
	__atomic_add_fetch(&sh->cov[what], n, __ATOMIC_RELAXED);
}

void fz_checked(void)
{
	__atomic_add_fetch(&sh->checks, 1, __ATOMIC_RELAXED);
}

void fz_note(const char *fmt, ...)
{
	va_list ap;

	if (!fz_opt.verbose)
		return;
	fputs("# vfio_fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void fz_fail(struct fz_task *t, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# ORACLE: op %" PRIu64 " (t%d): %s\n", t ? t->seq : 0,
		t ? t->tid : -1, msg);
	if (__atomic_add_fetch(&sh->failures, 1, __ATOMIC_SEQ_CST) == 1) {
		snprintf(sh->fail_msg, sizeof(sh->fail_msg), "oracle: op %" PRIu64 " (t%d): %s",
			 t ? t->seq : 0, t ? t->tid : -1, msg);
		sh->fail_seq = t ? t->seq : sh->next_seq;
	}
	if (!fz_opt.keep_going)
		sh->stop = 1;
}

void fz_expect(struct fz_task *t, long ret, int err, int want, const char *what)
{
	fz_checked();
	if (want == 0 && ret < 0)
		fz_fail(t, "%s failed with %s, must succeed", what, strerror(err));
	else if (want != 0 && ret >= 0)
		fz_fail(t, "%s succeeded (%ld), must fail%s%s", what, ret,
			want > 0 ? " with " : "", want > 0 ? strerror(want) : "");
	else if (want > 0 && ret < 0 && err != want)
		fz_fail(t, "%s failed with %s, must fail with %s", what, strerror(err),
			strerror(want));
}

/*
 * UNMAP_DMA calls on one container, serialised across the fuzzer's threads
 * and processes. Two at once deadlock 6.12's vfio_iommu_type1 whenever the
 * mdev unpins in its dma_unmap callback, as it must: vfio_notify_dma_unmap()
 * takes device_list_lock with iommu->lock held, the callback's
 * vfio_unpin_pages() takes iommu->lock with device_list_lock held (ABBA;
 * found by this fuzzer; upstream, not Tessera's). --upstream-races lets
 * them race.
 */
void fz_dma_lock(void)
{
	if (fz_opt.upstream_races)
		return;
	if (pthread_mutex_lock(&sh->dma_lock) == EOWNERDEAD)
		pthread_mutex_consistent(&sh->dma_lock);	/* a killed second process */
}

void fz_dma_unlock(void)
{
	if (!fz_opt.upstream_races)
		pthread_mutex_unlock(&sh->dma_lock);
}

/* ---- async-signal-safe output for the watchdogs ---- */

static void sa_puts(const char *s)
{
	ssize_t n = write(2, s, strlen(s));

	(void)n;
}

static void sa_putu(uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	sa_puts(p);
}

/* The last @n log lines up to @upto (0: the newest), oldest first. */
static void print_tail(unsigned int n, uint64_t upto, bool async)
{
	uint64_t last = upto ? upto : sh->next_seq, first;

	first = last > n ? last - n + 1 : 1;
	if (last - first >= FZ_LOG_SLOTS)
		first = last - FZ_LOG_SLOTS + 1;
	for (; first && first <= last; first++) {
		const char *line = sh->log[first & (FZ_LOG_SLOTS - 1)];

		if (async) {
			sa_puts("# op: ");
			sa_puts(line);
			sa_puts("\n");
		} else {
			printf("# op: %s\n", line);
		}
	}
}

/*
 * The worker's watchdog: once a second, any of its own threads stuck in one
 * operation past --op-timeout ends the process with the last operations.
 */
static void worker_alarm(int sig)
{
	uint64_t now = fz_now_ms(), limit = (uint64_t)fz_opt.op_timeout * 1000;
	pid_t me = getpid();
	int i;

	(void)sig;
	for (i = 0; i < FZ_MAX_TASKS; i++) {
		struct fz_hb *hb = &sh->hb[i];
		uint64_t seq = hb->seq, start = hb->start_ms;

		/* an operation begun since @now was read has start > now */
		if (!seq || hb->pid != me || start > now || now - start < limit)
			continue;
		sa_puts("# HANG: operation ");
		sa_putu(seq);
		sa_puts(" has run for ");
		sa_putu((now - start) / 1000);
		sa_puts(" s: ");
		sa_puts(sh->log[seq & (FZ_LOG_SLOTS - 1)]);
		sa_puts("\n");
		if (!sh->hang) {
			sh->hang = 1;
			sh->fail_seq = seq;
		}
		print_tail(fz_opt.tail, seq, true);
		_exit(3);
	}
}

void fz_arm_watchdog(void)
{
	struct itimerval it = { { 1, 0 }, { 1, 0 } };
	struct sigaction sa = { .sa_handler = worker_alarm, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

void fz_register_task(struct fz_task *t)
{
	struct fz_hb *hb = hb_of(t);

	hb->seq = 0;
	hb->pid = getpid();
	hb->tid = gettid();
	fz_cur = t;
}

/* SIGSEGV/SIGBUS while touching a mapping the kernel handed out. */
static void touch_fault(int sig)
{
	struct fz_task *t = fz_cur;

	if (t && t->touching)
		siglongjmp(t->touch_jb, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- the worker ---- */

static int replay_file(struct fz_task *t, const char *path)
{
	char line[512], name[64];
	FILE *f = fopen(path, "r");
	unsigned long n = 0;

	if (!f) {
		fprintf(stderr, "# vfio_fuzz: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && !sh->stop) {
		char *p = line;
		unsigned long long seq, a[6];
		struct fz_op op;
		int tid, i;

		if (!strncmp(p, "# op: ", 6))
			p += 6;
		if (sscanf(p, "%llu t%d %63s %llx %llx %llx %llx %llx %llx", &seq, &tid, name,
			   &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) != 9)
			continue;
		memset(&op, 0, sizeof(op));
		op.kind = fz_op_kind(name);
		if (op.kind < 0) {
			fprintf(stderr, "# vfio_fuzz: unknown operation %s in %s\n", name, path);
			continue;
		}
		op.tid = tid;
		for (i = 0; i < 6; i++)
			op.a[i] = a[i];
		t->strict = fz_quiet();
		if (t->strict && fz.dirty && op.kind != fz_op_kind("RESYNC"))
			fz_resync(t);
		fz_exec(t, &op);
		n++;
	}
	fclose(f);
	fprintf(stderr, "# vfio_fuzz: replayed %lu operations from %s\n", n, path);
	return 0;
}

static int worker_main(void)
{
	struct fz_task t0;
	struct sigaction sa = { .sa_handler = touch_fault, .sa_flags = SA_NODEFER };
	int ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	fz_seed_task(&t0, fz_opt.seed, 0);
	fz_register_task(&t0);
	fz_arm_watchdog();

	ret = fz_setup(&t0);
	if (ret)
		return 2;
	deadline_ms = run_start_ms + (uint64_t)(fz_opt.seconds * 1000);

	if (fz_opt.replay) {
		replay_file(&t0, fz_opt.replay);
	} else {
		while (!fz_time_up()) {
			struct fz_op op;

			fz_finish_episodes(&t0);
			t0.strict = fz_quiet();
			if (t0.strict && fz.dirty)
				fz_resync(&t0);
			if (fz_time_up())
				break;
			fz_gen(&t0, &op);
			fz_exec(&t0, &op);
		}
	}
	sh->end_ms = fz_now_ms();
	/* Wind down: threads and the second process, then the leak checks. */
	deadline_ms = 0;
	while (fz.storm_live || fz.child) {
		fz_finish_episodes(&t0);
		usleep(1000);
	}
	if (!sh->failures || fz_opt.keep_going)
		fz_final_checks(&t0);
	fz_teardown(&t0);
	return sh->failures ? 1 : 0;
}

/* ---- the supervisor ---- */

static uint64_t read_taint(void)
{
	char buf[64];

	if (tsr_sysfs_read("/proc/sys/kernel/tainted", buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

/* lockdep's debug_locks: 1 while lockdep works, 0 once it reported; -1 no lockdep. */
static int read_debug_locks(void)
{
	char line[128];
	FILE *f = fopen("/proc/lockdep_stats", "r");
	int v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " debug_locks: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * The kernel's log since the run began, kept (the last KLINES lines) for the
 * report. Some reports taint nothing (UBSAN, a DMAR fault): the lines
 * themselves are watched too.
 */
#define KLINES	2048
static char klog[KLINES][200];
static unsigned long klines;	/* lines read so far */
static long kreport = -1;	/* the first line that is a kernel report */
static char kreport_line[200];

static bool is_report(const char *msg)
{
	static const char *const marks[] = {
		"BUG:", "WARNING:", "UBSAN:", "KASAN:", "KFENCE:", "Oops", "general protection",
		"kernel BUG", "INFO: task", "circular locking", "DMAR: [DMA", "Call Trace:",
	};
	unsigned int i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(msg, marks[i]))
			return true;
	return false;
}

/* Reads what the kernel logged since the last call; the first report line, or NULL. */
static const char *poll_kmsg(int fd)
{
	char rec[2048];
	ssize_t len;

	if (fd < 0)
		return NULL;
	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0 || (len < 0 && errno == EPIPE)) {
		char *msg;

		if (len <= 0)
			continue;
		rec[len] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(klog[klines % KLINES], sizeof(klog[0]), "%.199s", msg);
		if (kreport < 0 && is_report(msg)) {
			kreport = klines;
			snprintf(kreport_line, sizeof(kreport_line), "%.199s", msg);
		}
		klines++;
	}
	return kreport >= 0 ? kreport_line : NULL;
}

/* The kernel's messages as "# kmsg: " lines: from just before its first report, or the last. */
static void print_kmsg(int fd, unsigned int max)
{
	unsigned long first, i;

	poll_kmsg(fd);
	if (kreport >= 0)
		first = kreport > 2 ? kreport - 2 : 0;
	else
		first = klines > max ? klines - max : 0;
	if (klines > KLINES && first < klines - KLINES)
		first = klines - KLINES;
	for (i = first; i < klines && i < first + max; i++)
		printf("# kmsg: %s\n", klog[i % KLINES]);
	if (klines > first + max)
		printf("# kmsg: ... %lu more lines\n", klines - first - max);
}

/* Where @tid of @pid waits in the kernel. */
static void print_stack(int pid, int tid, const char *why)
{
	char path[128], buf[4096], comm[64] = "?";

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	tsr_sysfs_read(path, comm, sizeof(comm));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, tid);
	if (tsr_sysfs_read(path, buf, sizeof(buf)))
		return;
	printf("# task %d/%d (%s, %s) waits in %s; kernel stack:\n", pid, tid, comm, why, buf);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, tid);
	if (!tsr_sysfs_read(path, buf, sizeof(buf))) {
		char *line = strtok(buf, "\n");

		for (; line; line = strtok(NULL, "\n"))
			printf("#   %s\n", line);
	}
}

/*
 * Where every thread of the fuzzer's processes waits, and every task of the
 * system in uninterruptible sleep (who holds what a stuck thread waits for).
 */
static void print_stacks(pid_t worker)
{
	struct dirent *p, *t;
	DIR *proc, *task;
	char path[128], stat[512];

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((p = readdir(proc))) {
		int pid = atoi(p->d_name);
		bool ours = false;
		int i;

		if (pid <= 0 || pid == getpid())
			continue;
		for (i = 0; i < FZ_MAX_TASKS; i++)
			ours |= sh->hb[i].pid == pid;
		ours |= pid == worker;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		task = opendir(path);
		if (!task)
			continue;
		while ((t = readdir(task))) {
			int tid = atoi(t->d_name);
			char *st;

			if (tid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
			if (tsr_sysfs_read(path, stat, sizeof(stat)))
				continue;
			st = strrchr(stat, ')');
			if (ours)
				print_stack(pid, tid, "fuzzer");
			else if (st && st[1] == ' ' && st[2] == 'D')
				print_stack(pid, tid, "uninterruptible");
		}
		closedir(task);
	}
	closedir(proc);
}

static void write_log(const char *path)
{
	uint64_t last = sh->next_seq, first = last > FZ_LOG_SLOTS ? last - FZ_LOG_SLOTS + 1 : 1;
	FILE *f = fopen(path, "w");

	if (!f) {
		printf("# vfio_fuzz: cannot write the operation log %s: %s\n", path, strerror(errno));
		return;
	}
	for (; first && first <= last; first++)
		fprintf(f, "%s\n", sh->log[first & (FZ_LOG_SLOTS - 1)]);
	fclose(f);
}

static void print_coverage(void)
{
	const volatile uint64_t *c = sh->cov;
	char line[1024];
	size_t len = 0;
	int k;

	static const char *const bind_names[] = {
		"OP", "DESC", "RESERVED", "RANGE", "OVERLAP", "PAGE", "TOO_MANY", "PIN_LIMIT",
		"MEMLOCK", "NOMEM", "NOT_BOUND",
	};
	char bind[512];
	size_t bl;
	uint64_t bsum = c[FZ_COV_BIND_OK];

	for (k = 0; k <= FZ_COV_BIND_ERR_LAST - FZ_COV_BIND_ERR_FIRST; k++)
		bsum += c[FZ_COV_BIND_ERR_FIRST + k];
	bl = snprintf(bind, sizeof(bind), "bind ops checked %" PRIu64 " (0=%" PRIu64, bsum,
		      c[FZ_COV_BIND_OK]);
	for (k = 0; k <= FZ_COV_BIND_ERR_LAST - FZ_COV_BIND_ERR_FIRST && bl < sizeof(bind); k++)
		bl += snprintf(bind + bl, sizeof(bind) - bl, " %s=%" PRIu64, bind_names[k],
			       c[FZ_COV_BIND_ERR_FIRST + k]);
	if (bl < sizeof(bind))
		snprintf(bind + bl, sizeof(bind) - bl, "; relaxed %" PRIu64 "), bound pages probed "
			 "through the card %" PRIu64 ", bindings revoked by dma_unmap %" PRIu64
			 ", fills to TOO_MANY/PIN_LIMIT %" PRIu64 ", ring commands on the bind space %"
			 PRIu64 ", vFPGA bind checks %" PRIu64, c[FZ_COV_BIND_LOOSE],
			 c[FZ_COV_BIND_PROBE], c[FZ_COV_BIND_REVOKED], c[FZ_COV_BIND_FILLS],
			 c[FZ_COV_BIND_CMDS], c[FZ_COV_BIND_VFPGA]);
	printf("# vfio_fuzz: strict operations %" PRIu64 "; rings checked %" PRIu64 " (refused as the "
	       "spec says %" PRIu64 ", ran to the marker %" PRIu64 ", unknown verdicts faulted %" PRIu64
	       ", past the trap budget %" PRIu64 "); vFPGA loads checked %" PRIu64 ", jobs checked %"
	       PRIu64 "; %s\n", c[FZ_COV_STRICT], c[FZ_COV_RING], c[FZ_COV_RING_REFUSED],
	       c[FZ_COV_RING_RAN], c[FZ_COV_RING_FAULT], c[FZ_COV_RING_TRAP_LIMIT], c[FZ_COV_LOAD],
	       c[FZ_COV_JOB], bind);
	printf("# vfio_fuzz: the mediator counted doorbells %" PRIu64 ", commands accepted %" PRIu64
	       ", rejects %" PRIu64 ", card faults %" PRIu64 "\n", c[FZ_COV_DOORBELLS],
	       c[FZ_COV_COMMANDS], c[FZ_COV_REJECTS], c[FZ_COV_CARD_FAULTS]);
	for (k = 0; k < 64; k++) {
		const char *name = fz_op_name(k);

		if (!sh->kind_ops[k] || name[0] == '?')
			continue;
		len += snprintf(line + len, sizeof(line) - len, " %s=%" PRIu64, name, sh->kind_ops[k]);
		if (len >= sizeof(line))
			break;
	}
	printf("# vfio_fuzz: operations:%s\n", line);
}

static void summary(const char *result, const char *reason)
{
	uint64_t end = sh->end_ms ? sh->end_ms : fz_now_ms();
	double secs = (end - run_start_ms) / 1000.0;

	write_log(fz_opt.log);
	print_coverage();
	printf("# vfio_fuzz: operation log (last %d operations): %s\n", FZ_LOG_SLOTS, fz_opt.log);
	printf("vfio_fuzz: %s type=%s seed=%" PRIu64 " ops=%" PRIu64 " seconds=%.1f ops_per_s=%.0f checks=%" PRIu64
	       "%s%s\n", result, fz_opt.type, fz_opt.seed, sh->ops, secs,
	       secs > 0 ? sh->ops / secs : 0, sh->checks, reason ? " reason=" : "",
	       reason ? reason : "");
	fflush(stdout);
}

static int supervise(pid_t worker, int kmsg)
{
	uint64_t taint0 = read_taint(), watched = ~((1ull << 0) | (1ull << 12) | (1ull << 13) |
						    (1ull << 15));
	uint64_t grace = (uint64_t)fz_opt.op_timeout * 1000 + 3000;
	uint64_t end_by = run_start_ms + (uint64_t)(fz_opt.seconds * 1000) + 2 * grace + 60000;
	int locks0 = read_debug_locks(), status, i;
	char reason[256] = "";

	if (fz_opt.replay)
		end_by = UINT64_MAX;
	for (;;) {
		uint64_t now, taint;
		pid_t r;

		usleep(100000);
		r = waitpid(worker, &status, WNOHANG);
		taint = read_taint();
		if ((taint & ~taint0) & watched) {
			snprintf(reason, sizeof(reason), "kernel-report(taint %" PRIu64 "->%" PRIu64 ")",
				 taint0, taint);
			break;
		}
		if (locks0 == 1 && read_debug_locks() == 0) {
			snprintf(reason, sizeof(reason), "kernel-report(lockdep)");
			break;
		}
		if (poll_kmsg(kmsg)) {
			/* a report that need not taint: let it finish printing first */
			usleep(300000);
			poll_kmsg(kmsg);
			snprintf(reason, sizeof(reason), "kernel-report(%.60s)", kreport_line);
			break;
		}
		if (r == worker)
			goto exited;
		now = fz_now_ms();
		for (i = 0; i < FZ_MAX_TASKS; i++) {
			uint64_t seq = sh->hb[i].seq, start = sh->hb[i].start_ms;

			if (seq && start <= now && now - start > grace) {
				snprintf(reason, sizeof(reason), "hang(op %" PRIu64 " for %" PRIu64 " s)",
					 seq, (now - start) / 1000);
				sh->fail_seq = seq;
				printf("# HANG: op %" PRIu64 " (task %d) stuck for %" PRIu64 " s: %s\n", seq,
				       i, (now - start) / 1000,
				       sh->log[seq & (FZ_LOG_SLOTS - 1)]);
				print_stacks(worker);
				break;
			}
		}
		if (reason[0])
			break;
		if (now > end_by) {
			snprintf(reason, sizeof(reason), "hang(the run did not end)");
			print_stacks(worker);
			break;
		}
	}

	/* A kernel report or a hang: report now, the worker may never exit. */
	sh->stop = 1;
	printf("# vfio_fuzz: FAIL: %s\n", reason);
	if (sh->fail_msg[0])
		printf("# vfio_fuzz: %s\n", sh->fail_msg);
	print_kmsg(kmsg, 80);
	printf("# vfio_fuzz: the last operations (oldest first):\n");
	print_tail(fz_opt.tail, strncmp(reason, "hang", 4) ? 0 : sh->fail_seq, false);
	kill(worker, SIGKILL);
	summary("FAIL", reason);
	return 1;

exited:
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !sh->failures) {
		summary("PASS", NULL);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		printf("# vfio_fuzz: the run could not start (see the messages above)\n");
		summary("ERROR", "setup");
		return 2;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		snprintf(reason, sizeof(reason), "hang(watchdog)");
	else if (WIFSIGNALED(status))
		snprintf(reason, sizeof(reason), "worker-killed(signal %d)", WTERMSIG(status));
	else
		snprintf(reason, sizeof(reason), "oracle(%" PRIu64 " violations)", sh->failures);
	printf("# vfio_fuzz: FAIL: %s\n", reason);
	if (sh->fail_msg[0])
		printf("# vfio_fuzz: %s\n", sh->fail_msg);
	print_kmsg(kmsg, 40);
	printf("# vfio_fuzz: the last operations (oldest first):\n");
	print_tail(fz_opt.tail, sh->fail_seq, false);
	summary("FAIL", reason);
	return 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfio_fuzz [options]\n"
		"  --type T          mdev type (default tessera-vgpu-2)\n"
		"  --seed N          generator seed (default: random, printed)\n"
		"  --seconds S       time budget (default 60)\n"
		"  --ops N           stop after N operations\n"
		"  --threads N       helper threads in a concurrency episode (default 2, 0 = none)\n"
		"  --no-fork         no second process on the same instance\n"
		"  --no-remove       no instance removal while open\n"
		"  --heavy           also the costly cases (maximal batch nesting)\n"
		"  --log FILE        operation log (default /tmp/vfio_fuzz-TYPE.log)\n"
		"  --replay FILE     run the operations logged in FILE, in order, on one thread\n"
		"  --tail N          operations printed on a failure (default 40)\n"
		"  --op-timeout S    one operation longer than this is a hang (default 45)\n"
		"  --keep-going      do not stop at the first oracle violation\n"
		"  --upstream-races  let UNMAP_DMA calls race (deadlocks 6.12's type1 IOMMU)\n"
		"  --iommufd         the device cdev bound to an iommufd IOAS, not a type1\n"
		"                    container and group (as TSR_IOMMUFD=1)\n"
		"  --parent DEV      the mdev parent (default: the card; as TESSERA_PARENT)\n"
		"  --generic         VFIO's own rules only (automatic for another mdev driver,\n"
		"                    e.g. --parent mtty --type mtty-2)\n"
		"  -v                more messages (twice: every operation)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 'T' },
		{ "no-fork", no_argument, NULL, 'F' },
		{ "no-remove", no_argument, NULL, 'R' },
		{ "heavy", no_argument, NULL, 'H' },
		{ "log", required_argument, NULL, 'l' },
		{ "replay", required_argument, NULL, 'r' },
		{ "tail", required_argument, NULL, 'L' },
		{ "op-timeout", required_argument, NULL, 'o' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "upstream-races", no_argument, NULL, 'U' },
		{ "iommufd", no_argument, NULL, 'I' },
		{ "generic", no_argument, NULL, 'G' },
		{ "parent", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char logbuf[256];
	bool have_seed = false;
	pid_t worker;
	int c, kmsg, status;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': fz_opt.type = optarg; break;
		case 's': fz_opt.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'S': fz_opt.seconds = strtod(optarg, NULL); break;
		case 'n': fz_opt.max_ops = strtoull(optarg, NULL, 0); break;
		case 'T': fz_opt.threads = atoi(optarg); break;
		case 'F': fz_opt.fork = false; break;
		case 'R': fz_opt.remove = false; break;
		case 'H': fz_opt.heavy = true; break;
		case 'l': fz_opt.log = optarg; break;
		case 'r': fz_opt.replay = optarg; break;
		case 'L': fz_opt.tail = atoi(optarg); break;
		case 'o': fz_opt.op_timeout = atoi(optarg); break;
		case 'k': fz_opt.keep_going = true; break;
		case 'U': fz_opt.upstream_races = true; break;
		case 'I': setenv("TSR_IOMMUFD", "1", 1); break;
		case 'G': fz_opt.generic = true; break;
		case 'P': setenv("TESSERA_PARENT", optarg, 1); break;
		case 'v': fz_opt.verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* each helper thread owns one random DMA slot: at most three */
	if (fz_opt.threads < 0 || fz_opt.threads > 3)
		fz_opt.threads = 3;
	if (fz_opt.op_timeout < 5)
		fz_opt.op_timeout = 5;
	if (!have_seed) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, &fz_opt.seed, sizeof(fz_opt.seed)) != sizeof(fz_opt.seed))
			fz_opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		if (fd >= 0)
			close(fd);
		fz_opt.seed &= 0xffffffffffffull;	/* short enough to type */
	}
	if (!fz_opt.log) {
		snprintf(logbuf, sizeof(logbuf), "/tmp/vfio_fuzz-%s.log", fz_opt.type);
		fz_opt.log = logbuf;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# vfio_fuzz: seed=%" PRIu64 " type=%s seconds=%.0f threads=%d fork=%d remove=%d "
	       "iommu=%s%s%s\n", fz_opt.seed, fz_opt.type, fz_opt.seconds, fz_opt.threads,
	       fz_opt.fork, fz_opt.remove,
	       getenv("TSR_IOMMUFD") && !strcmp(getenv("TSR_IOMMUFD"), "1") ? "iommufd" : "type1", fz_opt.replay ? " replay=" : "",
	       fz_opt.replay ? fz_opt.replay : "");
	printf("# vfio_fuzz: reproduce with: vfio_fuzz --type %s --seed %" PRIu64 " --seconds %.0f%s\n",
	       fz_opt.type, fz_opt.seed, fz_opt.seconds,
	       getenv("TSR_IOMMUFD") && !strcmp(getenv("TSR_IOMMUFD"), "1") ? " --iommufd" : "");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	{
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
		pthread_mutex_init(&sh->dma_lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	run_start_ms = fz_now_ms();
	fflush(NULL);
	worker = fork();
	if (worker < 0) {
		perror("fork");
		return 2;
	}
	if (!worker) {
		if (kmsg >= 0)
			close(kmsg);
		status = worker_main();
		fflush(NULL);
		_exit(status);
	}
	return supervise(worker, kmsg);
}
