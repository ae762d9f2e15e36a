// SPDX-License-Identifier: GPL-2.0
/*
 * tessera-run: run GEMM jobs on a tessera_accel device and check every result.
 *
 * Each job multiplies two fresh random matrices whose elements are integers
 * in [-4, 4]: for every k up to the card's 2048 the fp32 product is then
 * exact (every partial sum is an integer below 2^24), so the result is
 * checked strictly, with tolerance 0, by Freivalds' test (O(n^2) per job)
 * or against a full CPU product (tsr_gemm_check() in libtessera documents
 * the argument). C is filled with NaNs before each job, so a GEMM that did
 * not run fails too.
 *
 * --hang submits one BUSY command instead, for a host that runs with
 * preemption off and a watchdog: the job is expected to come back failed,
 * with -ETIMEDOUT (hung, context reset) or -EIO (the watchdog fault).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera.h"

#define EXIT_WRONG	1	/* a result was wrong (--hang: the hang was not caught) */
#define EXIT_JOB	2	/* a job failed or did not finish in time */
#define EXIT_SETUP	3	/* bad usage, or the device or driver refused the setup */

#define HANG_FENCE	0x600df00dull

struct opts {
	const char *device;
	uint32_t m, n, k;
	unsigned long count;
	unsigned int depth;
	uint64_t seed;
	enum tsr_check_mode check;
	unsigned int rounds;
	bool syncobj;
	bool verbose;
	double timeout_s;	/* < 0: not given */
	long long hang_us;	/* < 0: no --hang */
	bool busy_ns;		/* --busy-ns: print the device's busy time only */
	long long busy_load_us;	/* < 0: no --busy-load */
};

/*
 * One job in flight. The inputs are made in host memory and copied into
 * the BOs, C is copied out before it is checked: a BO's mapping may be
 * write-combined, where CPU reads are slow.
 */
struct slot {
	struct tsr_bo *a, *b, *c;
	float *ha, *hb, *hc;
	struct tsr_cmdbuf *cb;
	uint32_t syncobj;
	unsigned long job;
	bool busy;
};

static const char *prog = "tessera-run";

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options]\n"
"Run GEMM jobs C[m][n] = A[m][k] * B[k][n] (fp32) on a tessera_accel device\n"
"and check every result.\n"
"\n"
"  -d, --device PATH   the accel node (default: the first /dev/accel/accel*\n"
"                      that tessera_accel drives)\n"
"  -n, --size SIZE     square jobs, SIZE x SIZE times SIZE x SIZE (default 256)\n"
"  -m M, -k K, -N N    the dimensions one by one (each 1 to %u)\n"
"  -c, --count COUNT   jobs to run (default 8)\n"
"  -q, --depth DEPTH   jobs in flight at once (default 2)\n"
"      --seed SEED     seed of the inputs and of the check (default 1)\n"
"      --check MODE    freivalds (default: O(n^2) per job, exact inputs make it\n"
"                      strict), full (O(n^3) CPU product), none\n"
"      --rounds R      Freivalds vectors per job (default 2)\n"
"      --syncobj       each job signals an out syncobj, waited on before BO_WAIT\n"
"      --timeout SEC   give up waiting for a job after SEC s (default 120;\n"
"                      --hang: 2 x the BUSY time + 60)\n"
"      --hang US       instead: one BUSY command of US microseconds (at most\n"
"                      %llu), which the host's watchdog is expected to stop:\n"
"                      success if the job comes back with -ETIMEDOUT or -EIO\n"
"      --busy-load US  instead: COUNT jobs of one BUSY of US microseconds each,\n"
"                      DEPTH in flight: load that keeps the card, not the\n"
"                      CPU, busy; each job's FENCE and error are checked\n"
"      --busy-ns       instead: print the card time the device's context has\n"
"                      run so far (DRM_TESSERA_PARAM_BUSY_NS), in ns\n"
"  -v, --verbose       a line per job\n"
"  -h, --help          this text\n"
"\n"
"Inputs are random integers in [-4, 4], so every fp32 product is exact.\n"
"The summary line gives the jobs, the device and its backend (vf or host), how\n"
"many results were checked and wrong, the wall time and the card time the\n"
"device's context ran (DRM_TESSERA_PARAM_BUSY_NS) over the run.\n"
"\n"
"Exit status:\n"
"  0  every job succeeded and every check passed (--hang: the expected error came)\n"
"  1  a result was wrong (--hang: the BUSY finished without an error)\n"
"  2  a job failed (BO_WAIT job_error) or did not finish within the timeout\n"
"  3  bad usage, no device, or the driver refused to set the jobs up\n",
		prog, TSR_GEMM_MAX_DIM, TSR_MAX_BUSY_US);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || *out > max)
		return -1;
	return 0;
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (%s --help)\n", prog);
	exit(EXIT_SETUP);
}

static uint32_t parse_dim(const char *s, const char *what)
{
	unsigned long long v;

	if (parse_u64(s, TSR_GEMM_MAX_DIM, &v) || !v)
		die_usage(what, s);
	return (uint32_t)v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum { OPT_SEED = 256, OPT_CHECK, OPT_ROUNDS, OPT_SYNCOBJ, OPT_TIMEOUT, OPT_HANG,
	       OPT_BUSY_NS, OPT_BUSY_LOAD };
	static const struct option longopts[] = {
		{ "device",  required_argument, NULL, 'd' },
		{ "size",    required_argument, NULL, 'n' },
		{ "count",   required_argument, NULL, 'c' },
		{ "depth",   required_argument, NULL, 'q' },
		{ "seed",    required_argument, NULL, OPT_SEED },
		{ "check",   required_argument, NULL, OPT_CHECK },
		{ "rounds",  required_argument, NULL, OPT_ROUNDS },
		{ "syncobj", no_argument,       NULL, OPT_SYNCOBJ },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "hang",    required_argument, NULL, OPT_HANG },
		{ "busy-ns", no_argument,       NULL, OPT_BUSY_NS },
		{ "busy-load", required_argument, NULL, OPT_BUSY_LOAD },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	int c;

	*o = (struct opts){
		.m = 256, .n = 256, .k = 256, .count = 8, .depth = 2, .seed = 1,
		.check = TSR_CHECK_FREIVALDS, .rounds = 2, .timeout_s = -1, .hang_us = -1,
		.busy_load_us = -1,
	};
	while ((c = getopt_long(argc, argv, "d:n:m:k:N:c:q:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->device = optarg;
			break;
		case 'n':
			o->m = o->n = o->k = parse_dim(optarg, "-n %s: a size from 1 to 2048");
			break;
		case 'm':
			o->m = parse_dim(optarg, "-m %s: a dimension from 1 to 2048");
			break;
		case 'k':
			o->k = parse_dim(optarg, "-k %s: a dimension from 1 to 2048");
			break;
		case 'N':
			o->n = parse_dim(optarg, "-N %s: a dimension from 1 to 2048");
			break;
		case 'c':
			if (parse_u64(optarg, 100000000, &v) || !v)
				die_usage("-c %s: a count of at least 1", optarg);
			o->count = (unsigned long)v;
			break;
		case 'q':
			if (parse_u64(optarg, 1024, &v) || !v)
				die_usage("-q %s: a depth from 1 to 1024", optarg);
			o->depth = (unsigned int)v;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, UINT64_MAX, &v))
				die_usage("--seed %s: an unsigned number", optarg);
			o->seed = v;
			break;
		case OPT_CHECK:
			if (!strcmp(optarg, "freivalds"))
				o->check = TSR_CHECK_FREIVALDS;
			else if (!strcmp(optarg, "full"))
				o->check = TSR_CHECK_FULL;
			else if (!strcmp(optarg, "none"))
				o->check = TSR_CHECK_NONE;
			else
				die_usage("--check %s: freivalds, full or none", optarg);
			break;
		case OPT_ROUNDS:
			if (parse_u64(optarg, 64, &v) || !v)
				die_usage("--rounds %s: 1 to 64", optarg);
			o->rounds = (unsigned int)v;
			break;
		case OPT_SYNCOBJ:
			o->syncobj = true;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			o->timeout_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->timeout_s > 0))
				die_usage("--timeout %s: seconds, more than 0", optarg);
			break;
		case OPT_HANG:
			if (parse_u64(optarg, TSR_MAX_BUSY_US, &v))
				die_usage("--hang %s: microseconds, at most 10000000", optarg);
			o->hang_us = (long long)v;
			break;
		case OPT_BUSY_NS:
			o->busy_ns = true;
			break;
		case OPT_BUSY_LOAD:
			if (parse_u64(optarg, TSR_MAX_BUSY_US, &v) || !v)
				die_usage("--busy-load %s: microseconds, 1 to 10000000", optarg);
			o->busy_load_us = (long long)v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_SETUP);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument %s", argv[optind]);
}

static int64_t timeout_ns(double s)
{
	return s > 9e9 ? TSR_TIMEOUT_INFINITE : (int64_t)(s * 1e9);
}

/* Print a library failure; the detail is in tsr_last_error(). */
static void lib_error(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, tsr_last_error());
}

static uint64_t param(struct tsr_dev *dev, uint32_t id)
{
	uint64_t v = 0;

	if (tsr_get_param(dev, id, &v))
		return 0;
	return v;
}

/* --hang: one BUSY, then a FENCE into a BO, so there is a BO to wait on. */
static int run_hang(struct tsr_dev *dev, const struct opts *o)
{
	double timeout = o->timeout_s > 0 ? o->timeout_s : 2 * o->hang_us / 1e6 + 60;
	uint64_t resets0 = param(dev, TSR_PARAM_RESETS), resets1, fence;
	struct tsr_cmdbuf *cb = NULL;
	struct tsr_bo *bo = NULL;
	int ret, job_error, status;
	double t0, t;

	if (tsr_bo_alloc(dev, 4096, 0, &bo) || tsr_cmdbuf_new(dev, 2, &cb) ||
	    tsr_cmd_busy(cb, (uint64_t)o->hang_us) || tsr_cmd_fence(cb, bo, 0, HANG_FENCE)) {
		lib_error("setting up the hang");
		status = EXIT_SETUP;
		goto out;
	}
	t0 = now_s();
	if (tsr_submit(cb, NULL, 0, 0)) {
		lib_error("submit");
		status = EXIT_SETUP;
		goto out;
	}
	ret = tsr_bo_wait(bo, timeout_ns(timeout), &job_error);
	t = now_s() - t0;
	resets1 = param(dev, TSR_PARAM_RESETS);
	fence = *(volatile uint64_t *)bo->cpu;
	if (ret) {
		fprintf(stderr, "%s: hang: no answer within %.1f s: %s\n", prog, timeout,
			tsr_last_error());
		status = EXIT_JOB;
		goto out;
	}
	if (o->verbose)
		printf("%s: hang: BUSY %lld us came back after %.3f s, job_error %d, fence %#" PRIx64
		       ", resets %" PRIu64 " -> %" PRIu64 "\n", prog, o->hang_us, t, job_error,
		       fence, resets0, resets1);
	if (job_error == -ETIMEDOUT || job_error == -EIO) {
		printf("%s: hang of %lld us on %s (%s): job error -%s (%s) after %.2f s, as expected; resets %" PRIu64 " -> %" PRIu64 "\n",
		       prog, o->hang_us, tsr_dev_path(dev), tsr_backend_name(tsr_dev_backend(dev)),
		       tsr_errno_name(job_error), tsr_strerror(TSR_CALL_JOB, job_error), t,
		       resets0, resets1);
		status = 0;
	} else if (!job_error) {
		printf("%s: hang of %lld us on %s (%s): the BUSY finished without an error after %.2f s (fence %s): no watchdog stopped it\n",
		       prog, o->hang_us, tsr_dev_path(dev), tsr_backend_name(tsr_dev_backend(dev)),
		       t, fence == HANG_FENCE ? "written" : "not written");
		status = EXIT_WRONG;
	} else {
		printf("%s: hang of %lld us on %s (%s): unexpected job error -%s: %s\n",
		       prog, o->hang_us, tsr_dev_path(dev), tsr_backend_name(tsr_dev_backend(dev)),
		       tsr_errno_name(job_error), tsr_strerror(TSR_CALL_JOB, job_error));
		status = EXIT_JOB;
	}
out:
	tsr_cmdbuf_free(cb);
	tsr_bo_free(bo);
	return status;
}

/* --busy-load: BUSY jobs, each fencing its number into its slot's BO. */
static int run_busy_load(struct tsr_dev *dev, const struct opts *o)
{
	double timeout = o->timeout_s > 0 ? o->timeout_s : 2 * o->busy_load_us / 1e6 * o->depth + 60;
	uint64_t busy0 = param(dev, TSR_PARAM_BUSY_NS), busy1;
	struct tsr_cmdbuf *cb[1024] = { NULL };
	struct tsr_bo *bo[1024] = { NULL };
	unsigned long job, fenced = 0, errors = 0, done;
	unsigned int d = o->depth, i;
	int status = 0, job_error;
	double t0 = now_s();

	for (i = 0; i < d; i++) {
		if (tsr_bo_alloc(dev, 4096, 0, &bo[i]) || tsr_cmdbuf_new(dev, 2, &cb[i])) {
			lib_error("setting up the load");
			status = EXIT_SETUP;
			goto out;
		}
	}
	/* Job j uses slot j % depth; its slot's previous job is waited for first. */
	for (job = 0; job < o->count + d; job++) {
		i = job % d;
		if (job >= d) {
			done = job - d;
			if (tsr_bo_wait(bo[i], timeout_ns(timeout), &job_error)) {
				lib_error("waiting for a BUSY job");
				status = EXIT_JOB;
				goto out;
			}
			if (job_error)
				errors++;
			else if (*(volatile uint64_t *)bo[i]->cpu == done + 1)
				fenced++;
		}
		if (job >= o->count)
			continue;
		tsr_cmdbuf_reset(cb[i]);
		if (tsr_cmd_busy(cb[i], (uint64_t)o->busy_load_us) ||
		    tsr_cmd_fence(cb[i], bo[i], 0, job + 1) || tsr_submit(cb[i], NULL, 0, 0)) {
			lib_error("submit");
			status = EXIT_SETUP;
			goto out;
		}
	}
	busy1 = param(dev, TSR_PARAM_BUSY_NS);
	printf("%s: %lu BUSY jobs of %lld us on %s (%s): %lu fenced, %lu errors, %.2f s, busy %" PRIu64 " ns\n",
	       prog, o->count, o->busy_load_us, tsr_dev_path(dev),
	       tsr_backend_name(tsr_dev_backend(dev)), fenced, errors, now_s() - t0, busy1 - busy0);
	if (errors)
		status = EXIT_JOB;
	else if (fenced != o->count)
		status = EXIT_WRONG;
out:
	for (i = 0; i < d; i++) {
		tsr_cmdbuf_free(cb[i]);
		tsr_bo_free(bo[i]);
	}
	return status;
}

static void fill_inputs(struct slot *s, const struct opts *o)
{
	uint64_t state = o->seed ^ (0xa0761d6478bd642full * (s->job + 1));
	size_t na = (size_t)o->m * o->k, nb = (size_t)o->k * o->n, i;

	for (i = 0; i < na; i++)
		s->ha[i] = (float)((int)(splitmix64(&state) % 9) - 4);
	for (i = 0; i < nb; i++)
		s->hb[i] = (float)((int)(splitmix64(&state) % 9) - 4);
	memcpy(s->a->cpu, s->ha, na * 4);
	memcpy(s->b->cpu, s->hb, nb * 4);
	/* All-ones bytes: NaNs, which no check accepts, if the GEMM never writes C. */
	memset(s->c->cpu, 0xff, (size_t)o->m * o->n * 4);
}

static int submit_job(struct slot *s, const struct opts *o)
{
	fill_inputs(s, o);
	tsr_cmdbuf_reset(s->cb);
	if (tsr_cmd_gemm(s->cb, s->a, 0, s->b, 0, s->c, 0, o->m, o->n, o->k, 0))
		return -1;
	if (tsr_submit(s->cb, NULL, 0, o->syncobj ? s->syncobj : 0))
		return -1;
	s->busy = true;
	return 0;
}

struct tally {
	unsigned long done, checked, wrong;
};

/* Wait for the job in @s and check it: 0, or the exit status to stop with. */
static int finish_job(struct tsr_dev *dev, struct slot *s, const struct opts *o,
		      struct tally *t)
{
	double timeout = o->timeout_s > 0 ? o->timeout_s : 120;
	struct tsr_check_result res;
	int ret, job_error;

	s->busy = false;
	if (o->syncobj &&
	    tsr_syncobj_wait(dev, &s->syncobj, 1, timeout_ns(timeout), true, NULL)) {
		fprintf(stderr, "%s: job %lu: %s\n", prog, s->job, tsr_last_error());
		return EXIT_JOB;
	}
	ret = tsr_bo_wait(s->c, timeout_ns(timeout), &job_error);
	if (ret == -ETIME) {
		fprintf(stderr, "%s: job %lu: not done within %.1f s: %s\n", prog, s->job, timeout,
			tsr_last_error());
		return EXIT_JOB;
	}
	if (ret) {
		fprintf(stderr, "%s: job %lu: %s\n", prog, s->job, tsr_last_error());
		return EXIT_JOB;
	}
	if (job_error) {
		fprintf(stderr, "%s: job %lu: job error -%s: %s\n", prog, s->job,
			tsr_errno_name(job_error), tsr_strerror(TSR_CALL_JOB, job_error));
		return EXIT_JOB;
	}
	t->done++;
	if (o->check == TSR_CHECK_NONE) {
		if (o->verbose)
			printf("%s: job %lu: done, not checked\n", prog, s->job);
		return 0;
	}
	memcpy(s->hc, s->c->cpu, (size_t)o->m * o->n * 4);
	ret = tsr_gemm_check(s->ha, s->hb, s->hc, o->m, o->n, o->k, o->check,
			     o->rounds, o->seed ^ s->job, &res);
	if (ret < 0) {
		lib_error("check");
		return EXIT_SETUP;
	}
	t->checked++;
	if (ret) {
		t->wrong++;
		if (res.bad_col >= 0)
			fprintf(stderr, "%s: job %lu: WRONG: C[%ld][%ld] = %.9g, want %.9g (tolerance %g)\n",
				prog, s->job, res.bad_row, res.bad_col, res.got, res.want, res.tol);
		else
			fprintf(stderr, "%s: job %lu: WRONG: row %ld of C fails Freivalds' test: (C r)[%ld] = %.17g, (A (B r))[%ld] = %.17g (tolerance %g)\n",
				prog, s->job, res.bad_row, res.bad_row, res.got, res.bad_row,
				res.want, res.tol);
	} else if (o->verbose) {
		printf("%s: job %lu: right (%s%s)\n", prog, s->job,
		       o->check == TSR_CHECK_FULL ? "full" : "freivalds",
		       res.exact ? ", exact" : "");
	}
	return 0;
}

static void free_slots(struct tsr_dev *dev, struct slot *slots, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		tsr_cmdbuf_free(slots[i].cb);
		tsr_bo_free(slots[i].a);
		tsr_bo_free(slots[i].b);
		tsr_bo_free(slots[i].c);
		free(slots[i].ha);
		free(slots[i].hb);
		free(slots[i].hc);
		if (slots[i].syncobj)
			tsr_syncobj_destroy(dev, slots[i].syncobj);
	}
	free(slots);
}

static int run_gemm(struct tsr_dev *dev, const struct opts *o)
{
	uint64_t a_bytes = (uint64_t)o->m * o->k * 4, b_bytes = (uint64_t)o->k * o->n * 4;
	uint64_t c_bytes = (uint64_t)o->m * o->n * 4, busy0, busy1;
	unsigned int depth = o->depth < o->count ? o->depth : (unsigned int)o->count;
	struct tally t = { 0 };
	struct slot *slots;
	unsigned long j;
	char dims[64];
	int status = 0;
	unsigned int i;
	double t0, secs;

	slots = calloc(depth, sizeof(*slots));
	if (!slots) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_SETUP;
	}
	for (i = 0; i < depth; i++) {
		struct slot *s = &slots[i];

		s->ha = malloc(a_bytes);
		s->hb = malloc(b_bytes);
		s->hc = malloc(c_bytes);
		if (!s->ha || !s->hb || !s->hc) {
			fprintf(stderr, "%s: out of memory\n", prog);
			free_slots(dev, slots, depth);
			return EXIT_SETUP;
		}
		if (tsr_bo_alloc(dev, a_bytes, TSR_BO_DEVICE_READ_ONLY, &s->a) ||
		    tsr_bo_alloc(dev, b_bytes, TSR_BO_DEVICE_READ_ONLY, &s->b) ||
		    tsr_bo_alloc(dev, c_bytes, 0, &s->c) || tsr_cmdbuf_new(dev, 1, &s->cb) ||
		    (o->syncobj && tsr_syncobj_create(dev, 0, &s->syncobj))) {
			lib_error("setting up the jobs");
			free_slots(dev, slots, depth);
			return EXIT_SETUP;
		}
	}

	busy0 = param(dev, TSR_PARAM_BUSY_NS);
	t0 = now_s();
	/* Job j goes into slot j % depth once that slot's previous job is checked. */
	for (j = 0; j < o->count + depth && !status; j++) {
		if (j >= depth && slots[(j - depth) % depth].busy)
			status = finish_job(dev, &slots[(j - depth) % depth], o, &t);
		if (!status && j < o->count) {
			struct slot *s = &slots[j % depth];

			s->job = j;
			if (submit_job(s, o)) {
				fprintf(stderr, "%s: job %lu: %s\n", prog, j, tsr_last_error());
				status = EXIT_SETUP;
			}
		}
	}
	/* After a failure, let what is still in flight end before the BOs go. */
	for (i = 0; i < depth; i++)
		if (slots[i].busy)
			tsr_bo_wait(slots[i].c, timeout_ns(o->timeout_s > 0 ? o->timeout_s : 120),
				    NULL);
	secs = now_s() - t0;
	busy1 = param(dev, TSR_PARAM_BUSY_NS);

	if (o->m == o->n && o->n == o->k)
		snprintf(dims, sizeof(dims), "%ux%u", o->m, o->n);
	else
		snprintf(dims, sizeof(dims), "%ux%u (k %u)", o->m, o->n, o->k);
	printf("%s: %lu GEMM%s %s on %s (%s): %lu checked, %lu wrong, %.2f s, busy %" PRIu64 " ns%s\n",
	       prog, o->count, o->count == 1 ? "" : "s", dims, tsr_dev_path(dev), tsr_backend_name(tsr_dev_backend(dev)),
	       t.checked, t.wrong, secs, busy1 - busy0,
	       status ? ", stopped at the failure" : "");
	free_slots(dev, slots, depth);
	if (status)
		return status;
	return t.wrong ? EXIT_WRONG : 0;
}

int main(int argc, char **argv)
{
	struct tsr_dev *dev;
	struct opts o;
	uint64_t need;
	int status;

	parse_opts(argc, argv, &o);
	if (tsr_open(o.device, &dev)) {
		fprintf(stderr, "%s: %s\n", prog, tsr_last_error());
		return EXIT_SETUP;
	}
	if (o.busy_ns) {
		uint64_t busy;

		status = tsr_get_param(dev, TSR_PARAM_BUSY_NS, &busy) ? EXIT_SETUP : 0;
		if (status)
			fprintf(stderr, "%s: %s\n", prog, tsr_last_error());
		else
			printf("%" PRIu64 "\n", busy);
		tsr_close(dev);
		return status;
	}
	if (o.busy_load_us >= 0) {
		status = run_busy_load(dev, &o);
		tsr_close(dev);
		return status;
	}
	if (o.hang_us >= 0) {
		status = run_hang(dev, &o);
		tsr_close(dev);
		return status;
	}
	need = (uint64_t)o.m * o.k;
	if ((uint64_t)o.k * o.n > need)
		need = (uint64_t)o.k * o.n;
	if ((uint64_t)o.m * o.n > need)
		need = (uint64_t)o.m * o.n;
	need *= 4;
	if (need > tsr_dev_max_bo_size(dev)) {
		fprintf(stderr, "%s: a %" PRIu64 "-byte matrix is above the device's MAX_BO_SIZE %" PRIu64 "\n",
			prog, need, tsr_dev_max_bo_size(dev));
		tsr_close(dev);
		return EXIT_SETUP;
	}
	status = run_gemm(dev, &o);
	tsr_close(dev);
	return status;
}
