// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduler benchmark, run inside the test host by scripts/bench-sched.sh.
 *
 *   sched-bench share N CARDS...   N instances of $TESSERA_BENCH_TYPE
 *                                  (default tessera-vgpu-32) spread over
 *                                  the cards (PCI names), equal weights,
 *                                  saturating
 *                                  BUSY work: share error per instance,
 *                                  Jain's index, engine time lost to
 *                                  switching, the driver's decision time
 *   sched-bench fence CARD         fence latency of one instance while
 *                                  another runs long BUSY commands, with
 *                                  preemption on and off
 *   sched-bench mix N CARD         N vgpu-32 instances, equal weights, on
 *                                  one card: one submits BATCHes of 512
 *                                  NOPs, one only BUSY(10 ms), one resets
 *                                  itself in a loop, the others BUSY(5 ms):
 *                                  the same figures for the saturating ones,
 *                                  and what the resetting one got
 *   sched-bench switch-lat CARD    percentiles of the card's switch latency
 *                                  (ENG_SWITCH_LAT_NS) of every kind of
 *                                  switch, from debugfs
 *
 * Every figure of engine time is the card's own (busy counters, clock).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched_lib.h"

#define WINDOW_SLICES	20
#define WINDOWS		20
#define BUSY_US		5000
#define MAX_INST	32
#define LONG_BUSY_US	10000
#define TINY_BATCH_IOVA	0x00200000ull
/*
 * 512 NOPs a BATCH, 16 BATCHes a doorbell: within the mediator's limits
 * of 16384 audited commands a doorbell (max_trap_cmds) and 4 MiB of
 * shadow copies an instance (max_shadow_kib) with the ring full.
 */
#define TINY_BATCH_CMDS	512
#define TINY_PER_KICK	16
#define RESET_BUSY_US	2000

static uint64_t slice_ns(void)
{
	long long us = sl_card_read("slice_us");

	return us > 0 ? (uint64_t)us * 1000 : 1000000;
}

/* Card-wide figures from debugfs: clock, engine 0 busy, driver decision time. */
struct card_snap {
	uint64_t clock, busy, decide_ns, decisions;
};

static int card_snapshot(const char *card, struct card_snap *s)
{
	char path[300], line[1024];
	FILE *f;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/state", card);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		p = strstr(line, "card clock ");
		if (p && strstr(line, "scheduler:"))
			s->clock = strtoull(p + 11, NULL, 10);
		if (!strncmp(line, "engine 0: status", 16) && (p = strstr(line, " busy ")))
			s->busy = strtoull(p + 6, NULL, 10);
		if (!strncmp(line, "engine 0: driver:", 17)) {
			p = strstr(line, "decisions ");
			if (p)
				s->decisions = strtoull(p + 10, NULL, 10);
			p = strstr(line, "decision time ");
			if (p)
				s->decide_ns = strtoull(p + 14, NULL, 10);
		}
	}
	fclose(f);
	return s->clock ? 0 : -EINVAL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(double *v, int n, double p)
{
	int i;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (int)ceil(p * n) - 1;
	return v[i < 0 ? 0 : i];
}

/*
 * One window of every instance's busy time: @switches slices from switch to
 * switch, or for a lone tenant, which never switches, as many slices of its
 * own busy time.
 */
static int share_window(struct sl_inst **v, const bool *active, const int *card_of, int n,
			uint64_t switches, uint64_t *d)
{
	if (n == 1)
		return sl_window(v, active, n, BUSY_US, switches * slice_ns(), d, TSR_DEADLINE_MS);
	return sl_window_switches(v, active, card_of, n, BUSY_US, switches, d, TSR_DEADLINE_MS);
}

static int bench_share(int n, char **cards, int ncards)
{
	const char *type = getenv("TESSERA_BENCH_TYPE") ?: "tessera-vgpu-32";
	static struct sl_inst inst[MAX_INST];
	struct sl_inst *v[MAX_INST];
	bool active[MAX_INST];
	int card_of[MAX_INST], per_card[8] = { 0 };
	uint64_t d[MAX_INST], total[MAX_INST] = { 0 };
	double err_max[MAX_INST] = { 0 }, jain_min = 1, x[MAX_INST];
	struct card_snap s0[8], s1[8];
	uint64_t window, card_sum[8];
	int max_per_card = 0;
	int i, w, c, ret = 0;

	if (n > MAX_INST || ncards > 8)
		return 2;
	for (i = 0; i < n; i++) {
		card_of[i] = i % ncards;
		per_card[card_of[i]]++;
		setenv("TESSERA_PARENT", cards[card_of[i]], 1);
		if (sl_setup(&inst[i], type)) {
			fprintf(stderr, "sched-bench: %s instance %d of %d on %s failed\n", type, i,
				n, cards[card_of[i]]);
			n = i;
			ret = 1;
			goto out;
		}
		v[i] = &inst[i];
		active[i] = true;
	}
	setenv("TESSERA_PARENT", cards[0], 1);
	for (c = 0; c < ncards; c++)
		if (per_card[c] > max_per_card)
			max_per_card = per_card[c];
	/* A window: 20 slices per instance, from switch to switch. */
	window = WINDOW_SLICES * max_per_card;
	/* Warm-up window, then the measured ones. */
	if (share_window(v, active, card_of, n, window, d)) {
		ret = 1;
		goto out;
	}
	for (c = 0; c < ncards; c++)
		card_snapshot(cards[c], &s0[c]);
	for (w = 0; w < WINDOWS; w++) {
		if (share_window(v, active, card_of, n, window, d)) {
			ret = 1;
			goto out;
		}
		memset(card_sum, 0, sizeof(card_sum));
		for (i = 0; i < n; i++)
			card_sum[card_of[i]] += d[i];
		for (i = 0; i < n; i++) {
			double share = (double)d[i] / card_sum[card_of[i]];
			double want = 1.0 / per_card[card_of[i]];

			total[i] += d[i];
			x[i] = share / want;
			if (fabs(share - want) > err_max[i])
				err_max[i] = fabs(share - want);
		}
		if (sl_jain(x, n) < jain_min)
			jain_min = sl_jain(x, n);
	}
	for (c = 0; c < ncards; c++)
		card_snapshot(cards[c], &s1[c]);

	memset(card_sum, 0, sizeof(card_sum));
	for (i = 0; i < n; i++)
		card_sum[card_of[i]] += total[i];
	printf("%s instances %d on %d card(s), slice %llu us, %d windows of %llu slices (%d per instance), %s\n",
	       type, n, ncards, (unsigned long long)slice_ns() / 1000, WINDOWS,
	       (unsigned long long)window, WINDOW_SLICES,
	       n == 1 ? "of the lone tenant's busy time" : "from switch to switch");
	printf("  instance  card          share    want     error(all)  worst window error\n");
	for (i = 0; i < n; i++) {
		double share = (double)total[i] / card_sum[card_of[i]];
		double want = 1.0 / per_card[card_of[i]];

		x[i] = share / want;
		printf("  %-8d  %-12s  %.4f   %.4f   %+6.2f pp   %5.2f pp\n", i, cards[card_of[i]],
		       share, want, (share - want) * 100, err_max[i] * 100);
	}
	printf("  Jain's index: %.5f over all windows, %.5f worst window\n", sl_jain(x, n),
	       jain_min);
	for (c = 0; c < ncards; c++) {
		uint64_t dc = s1[c].clock - s0[c].clock, db = s1[c].busy - s0[c].busy;

		if (!dc)
			continue;
		printf("  card %s: engine busy %.2f%% of card time (%.2f%% lost to switching), driver decisions %llu taking %.3f%% of card time (%.1f us each)\n",
		       cards[c], 100.0 * db / dc, 100.0 - 100.0 * db / dc,
		       (unsigned long long)(s1[c].decisions - s0[c].decisions),
		       100.0 * (s1[c].decide_ns - s0[c].decide_ns) / dc,
		       s1[c].decisions > s0[c].decisions ?
		       (double)(s1[c].decide_ns - s0[c].decide_ns) / 1000 /
		       (s1[c].decisions - s0[c].decisions) : 0.0);
	}
out:
	for (i = 0; i < n; i++)
		sl_teardown(&inst[i]);
	return ret;
}

/* One fence's latency on @b while @a saturates the engine with long BUSYs. */
static int fence_latencies(struct sl_inst *a, struct sl_inst *b, int reps, uint64_t busy_us,
			   double *lat_us)
{
	int r;

	for (r = 0; r < reps; r++) {
		uint64_t t0, v, deadline;
		struct timespec ts;

		if (sl_top_up(a, busy_us))
			return -1;
		/* Land at a random point of a's command, as a tenant would. */
		usleep(1000 + (rand() % 7000));
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		v = tsr_ring_fence_kick(&b->ring, false);
		deadline = tsr_now_ms() + TSR_DEADLINE_MS;
		while (tsr_reg64(&b->inst, TESSERA_VF_FENCE_LO) != v) {
			if (tsr_now_ms() > deadline)
				return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		lat_us[r] = (ts.tv_sec * 1000000000ull + ts.tv_nsec - t0) / 1000.0;
	}
	return 0;
}

static int bench_fence(void)
{
	static struct sl_inst a, b;
	const uint64_t long_us = 20000;
	const int reps = 40;
	double on[64], off[64];
	int ret = 1;

	if (sl_setup(&a, "tessera-vgpu-8") || sl_setup(&b, "tessera-vgpu-8"))
		goto out;
	srand(1);
	if (sl_card_write("preempt", "1") || fence_latencies(&a, &b, reps, long_us, on))
		goto out;
	if (sl_card_write("preempt", "0") || fence_latencies(&a, &b, reps, long_us, off))
		goto out;
	sl_card_write("preempt", "1");
	printf("fence latency of one instance while another runs BUSY(%llu us) commands, slice %llu us, %d fences each (test-host clock, TCG):\n",
	       (unsigned long long)long_us, (unsigned long long)slice_ns() / 1000, reps);
	printf("  preemption on  (switch at the next checkpoint): p50 %8.0f us  p99 %8.0f us\n",
	       percentile(on, reps, 0.5), percentile(on, reps, 0.99));
	printf("  preemption off (switch at command boundaries):  p50 %8.0f us  p99 %8.0f us\n",
	       percentile(off, reps, 0.5), percentile(off, reps, 0.99));
	ret = 0;
out:
	sl_card_write("preempt", "1");
	sl_teardown(&a);
	sl_teardown(&b);
	return ret;
}

#define LAT_KINDS	6
static const char *const lat_kind_names[LAT_KINDS] = {
	"pickup", "slice-end", "idle", "fault", "detach", "throttle",
};
static const char *const lat_kind_what[LAT_KINDS] = {
	"idle engine picks up new work",
	"slice ended, work left",
	"loaded context ran out of work",
	"loaded context faulted",
	"loaded context reset or removed",
	"fixed share: budgets spent",
};

static int bench_switch_lat(const char *card)
{
	static double lat[LAT_KINDS][2][4096];
	int n[LAT_KINDS][2] = { { 0 } }, eng, flag, k, p, total = 0;
	char path[300], kind[32];
	unsigned int ns;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/switch_latency", card);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	while (fscanf(f, "%d %u %d %31s", &eng, &ns, &flag, kind) == 4) {
		for (k = 0; k < LAT_KINDS; k++)
			if (!strcmp(kind, lat_kind_names[k]))
				break;
		if (k == LAT_KINDS) {
			fprintf(stderr, "sched-bench: unknown switch kind '%s' in %s\n", kind, path);
			fclose(f);
			return 1;
		}
		p = !!flag;
		if (n[k][p] < 4096)
			lat[k][p][n[k][p]++] = ns;
		total++;
	}
	fclose(f);
	printf("card %s: switch latency by kind, the last %d switches (ENG_SWITCH_LAT_NS, card time from ENG_SUBMIT to the switch):\n",
	       card, total);
	for (k = 0; k < LAT_KINDS; k++)
		for (p = 0; p < 2; p++) {
			if (!n[k][p] && p)
				continue;
			printf("  %-9s %-32s %-14s %5d switches", lat_kind_names[k],
			       lat_kind_what[k], p ? "command cut" : "at a boundary", n[k][p]);
			if (n[k][p])
				printf(", p50 %7.1f us, p99 %7.1f us",
				       percentile(lat[k][p], n[k][p], 0.5) / 1000,
				       percentile(lat[k][p], n[k][p], 0.99) / 1000);
			printf("\n");
		}
	return 0;
}

/* The resetting tenant: a few BUSYs, then VF_RESET while they run, again and again. */
struct resetter {
	struct sl_inst *s;
	atomic_bool stop;
	unsigned long resets;
	int err;
};

static int resetter_ring_again(struct sl_inst *s)
{
	uint32_t st;

	if (tsr_reg_write(&s->inst, TESSERA_VF_RESET, 1) ||
	    tsr_wait_status(&s->inst, TESSERA_VF_STATUS_FAULTED, 0, TSR_DEADLINE_MS, &st) ||
	    tsr_reg_write(&s->inst, TESSERA_VF_RING_BASE_LO, (uint32_t)SL_RING_IOVA) ||
	    tsr_reg_write(&s->inst, TESSERA_VF_RING_BASE_HI, SL_RING_IOVA >> 32) ||
	    tsr_reg_write(&s->inst, TESSERA_VF_RING_SIZE, SL_RING_ENTRIES))
		return -EIO;
	s->ring.tail = tsr_reg(&s->inst, TESSERA_VF_RING_HEAD);
	return 0;
}

static void *resetter_loop(void *arg)
{
	struct resetter *r = arg;
	unsigned int seed = 7;

	while (!atomic_load(&r->stop)) {
		struct tessera_cmd c = tsr_cmd_busy(RESET_BUSY_US);
		int i;

		for (i = 0; i < 4; i++)
			tsr_ring_push(&r->s->ring, &c);
		if (tsr_ring_kick(&r->s->ring)) {
			r->err = -EIO;
			break;
		}
		/* Somewhere in its work: queued, running, or cut by a slice end. */
		usleep(500 + rand_r(&seed) % 4000);
		if (resetter_ring_again(r->s)) {
			r->err = -EIO;
			break;
		}
		r->resets++;
	}
	return NULL;
}

/*
 * Saturating tenants beside adversaries on one card: per-window share error
 * and Jain's index of the saturating ones (each one's target is an equal
 * part of what they got together: the resetting tenant takes engine time
 * whenever it has work), the resetting tenant's share of the engine.
 */
static int bench_mix(int n, const char *card)
{
	static struct sl_inst inst[MAX_INST];
	struct sl_inst *v[MAX_INST];
	const char *role[MAX_INST];
	bool active[MAX_INST];
	uint64_t d[MAX_INST], total[MAX_INST] = { 0 }, sum, all_sum = 0, rs_busy0, rs_busy1;
	double err_max[MAX_INST] = { 0 }, jain_min = 1, x[MAX_INST];
	struct tsr_dma_buf tiny = { 0 };
	struct resetter rs = { 0 };
	struct card_snap s0, s1;
	pthread_t thread;
	bool thread_up = false;
	int i, w, nsat, made = 0, ret = 1;

	if (n < 4 || n > MAX_INST)
		return 2;
	setenv("TESSERA_PARENT", card, 1);
	for (i = 0; i < n; i++) {
		if (sl_setup(&inst[i], "tessera-vgpu-32")) {
			fprintf(stderr, "sched-bench: instance %d of %d failed\n", i, n);
			goto out;
		}
		made++;
	}
	/* Instance 0: thousands of tiny commands, a BATCH of 512 NOPs an entry. */
	if (tsr_dma_alloc(&inst[0].inst, &tiny, TINY_BATCH_IOVA,
			  TINY_BATCH_CMDS * sizeof(struct tessera_cmd)))
		goto out;
	for (i = 0; i < TINY_BATCH_CMDS; i++)
		((struct tessera_cmd *)tiny.va)[i] = tsr_cmd_nop();
	inst[0].own_cmd = true;
	inst[0].cmd = tsr_cmd_batch(TINY_BATCH_IOVA, TINY_BATCH_CMDS);
	inst[0].kick_every = TINY_PER_KICK;
	role[0] = "512-NOP batches";
	/* Instance 1: only long commands. */
	inst[1].own_cmd = true;
	inst[1].cmd = tsr_cmd_busy(LONG_BUSY_US);
	role[1] = "BUSY 10 ms";
	for (i = 2; i < n - 1; i++)
		role[i] = "BUSY 5 ms";
	/* The last one resets itself in a loop, outside the measured set. */
	rs.s = &inst[n - 1];
	nsat = n - 1;
	for (i = 0; i < nsat; i++) {
		v[i] = &inst[i];
		active[i] = true;
	}
	if (pthread_create(&thread, NULL, resetter_loop, &rs))
		goto out;
	thread_up = true;
	/* Warm-up window, then the measured ones: 20 slices per instance. */
	if (sl_window_switches(v, active, NULL, nsat, BUSY_US, WINDOW_SLICES * n, d,
			       TSR_DEADLINE_MS))
		goto out;
	card_snapshot(card, &s0);
	rs_busy0 = sl_busy(rs.s);
	for (w = 0; w < WINDOWS; w++) {
		if (sl_window_switches(v, active, NULL, nsat, BUSY_US, WINDOW_SLICES * n, d,
				       TSR_DEADLINE_MS))
			goto out;
		sum = 0;
		for (i = 0; i < nsat; i++)
			sum += d[i];
		for (i = 0; i < nsat; i++) {
			double share = (double)d[i] / sum, want = 1.0 / nsat;

			total[i] += d[i];
			x[i] = share / want;
			if (fabs(share - want) > err_max[i])
				err_max[i] = fabs(share - want);
		}
		if (sl_jain(x, nsat) < jain_min)
			jain_min = sl_jain(x, nsat);
	}
	card_snapshot(card, &s1);
	rs_busy1 = sl_busy(rs.s);
	atomic_store(&rs.stop, true);
	pthread_join(thread, NULL);
	thread_up = false;
	if (rs.err) {
		fprintf(stderr, "sched-bench: the resetting tenant failed after %lu resets\n",
			rs.resets);
		goto out;
	}

	for (i = 0; i < nsat; i++)
		all_sum += total[i];
	printf("mix: %d tessera-vgpu-32 instances on %s, equal weights, slice %llu us, %d windows of %d slices (%d per instance), from switch to switch\n",
	       n, card, (unsigned long long)slice_ns() / 1000, WINDOWS, WINDOW_SLICES * n,
	       WINDOW_SLICES);
	printf("  instance  work               share    want     error(all)  worst window error\n");
	for (i = 0; i < nsat; i++) {
		double share = (double)total[i] / all_sum, want = 1.0 / nsat;

		x[i] = share / want;
		printf("  %-8d  %-17s  %.4f   %.4f   %+6.2f pp   %5.2f pp\n", i, role[i], share,
		       want, (share - want) * 100, err_max[i] * 100);
	}
	printf("  Jain's index of the %d saturating ones: %.5f over all windows, %.5f worst window\n",
	       nsat, sl_jain(x, nsat), jain_min);
	if (s1.busy > s0.busy) {
		uint64_t eng = s1.busy - s0.busy;

		printf("  instance %d (resets itself in a loop, %lu resets): %.4f of the engine's busy time by its own counter, %.4f by the engine's less the others' (an equal share %.4f), engine busy %.2f%% of card time\n",
		       n - 1, rs.resets, (double)(rs_busy1 - rs_busy0) / eng,
		       eng > all_sum ? (double)(eng - all_sum) / eng : 0.0,
		       1.0 / n, 100.0 * eng / (s1.clock - s0.clock));
	}
	ret = 0;
out:
	if (thread_up) {
		atomic_store(&rs.stop, true);
		pthread_join(thread, NULL);
	}
	if (tiny.va)
		tsr_dma_free(&inst[0].inst, &tiny);
	for (i = 0; i < made; i++)
		sl_teardown(&inst[i]);
	return ret;
}

/*
 * Keep existing instances (made by tessera-smi or mdevctl) busy for @secs:
 * the known load of the tessera-smi golden test. Opens them, closes them,
 * never removes them.
 */
static int bench_hold(double secs, char **uuids, int n)
{
	static struct sl_inst inst[MAX_INST];
	struct timespec t0, t;
	int i, opened = 0, ret = 0;

	if (n > MAX_INST || !(secs > 0))
		return 2;
	for (i = 0; i < n; i++) {
		struct sl_inst *s = &inst[i];

		memset(s, 0, sizeof(*s));
		snprintf(s->inst.uuid, sizeof(s->inst.uuid), "%s", uuids[i]);
		snprintf(s->sysdir, sizeof(s->sysdir), "/sys/bus/mdev/devices/%s/tessera",
			 uuids[i]);
		if (tsr_instance_open(&s->inst) || tsr_enable_device(&s->inst) ||
		    tsr_ring_setup(&s->inst, &s->ring, SL_RING_IOVA, SL_RING_ENTRIES)) {
			fprintf(stderr, "sched-bench hold: cannot drive %s\n", uuids[i]);
			ret = 1;
			goto out;
		}
		opened++;
	}
	printf("holding %d\n", n);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0; i < n; i++)
			if (sl_top_up(&inst[i], BUSY_US)) {
				ret = 1;
				goto out;
			}
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
out:
	for (i = 0; i < opened; i++)
		tsr_instance_close(&inst[i].inst);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "share"))
		return bench_share(atoi(argv[2]), argv + 3, argc - 3);
	if (argc == 3 && !strcmp(argv[1], "fence")) {
		setenv("TESSERA_PARENT", argv[2], 1);
		return bench_fence();
	}
	if (argc == 3 && !strcmp(argv[1], "switch-lat"))
		return bench_switch_lat(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "mix"))
		return bench_mix(atoi(argv[2]), argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "hold"))
		return bench_hold(atof(argv[2]), argv + 3, argc - 3);
	fprintf(stderr, "usage: sched-bench share N CARD... | mix N CARD | fence CARD | switch-lat CARD | hold SECONDS UUID...\n");
	return 2;
}
