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
 *   sched-bench switch-lat CARD    percentiles of the card's switch latency
 *                                  (ENG_SWITCH_LAT_NS) of switches that
 *                                  stopped a command midway, from debugfs
 *
 * Every figure of engine time is the card's own (busy counters, clock).
 */
#include <errno.h>
#include <math.h>
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
	if (sl_window_switches(v, active, card_of, n, BUSY_US, window, d, TSR_DEADLINE_MS)) {
		ret = 1;
		goto out;
	}
	for (c = 0; c < ncards; c++)
		card_snapshot(cards[c], &s0[c]);
	for (w = 0; w < WINDOWS; w++) {
		if (sl_window_switches(v, active, card_of, n, BUSY_US, window, d,
				       TSR_DEADLINE_MS)) {
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
	printf("%s instances %d on %d card(s), slice %llu us, %d windows of %llu slices (%d per instance), from switch to switch\n",
	       type, n, ncards, (unsigned long long)slice_ns() / 1000, WINDOWS,
	       (unsigned long long)window, WINDOW_SLICES);
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

static int bench_switch_lat(const char *card)
{
	static double pre[32768], bound[32768];
	int npre = 0, nbound = 0, eng, flag;
	char path[300];
	unsigned int lat;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/switch_latency", card);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	while (fscanf(f, "%d %u %d", &eng, &lat, &flag) == 3) {
		if (flag && npre < 32768)
			pre[npre++] = lat;
		else if (!flag && nbound < 32768)
			bound[nbound++] = lat;
	}
	fclose(f);
	printf("card %s: switch latency (ENG_SWITCH_LAT_NS, card time from ENG_SUBMIT to the switch):\n",
	       card);
	printf("  mid-command preemptions: %5d switches, p50 %7.1f us, p99 %7.1f us\n", npre,
	       percentile(pre, npre, 0.5) / 1000, percentile(pre, npre, 0.99) / 1000);
	printf("  other switches:          %5d switches, p50 %7.1f us, p99 %7.1f us\n", nbound,
	       percentile(bound, nbound, 0.5) / 1000, percentile(bound, nbound, 0.99) / 1000);
	return 0;
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
	fprintf(stderr, "usage: sched-bench share N CARD... | fence CARD | switch-lat CARD\n");
	return 2;
}
