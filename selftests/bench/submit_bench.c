// SPDX-License-Identifier: GPL-2.0
/*
 * Submission-path benchmark, run in the test host by scripts/bench-submit.sh.
 * A vGPU instance submits batches of B commands with one doorbell each
 * (B = 1, 8, 64, 256), exactly as a guest driver would through VFIO. From
 * the mediator's own counters (sysfs, per instance) it prints, per batch:
 * doorbell traps, and the host time spent copying commands out of guest
 * memory, auditing, pinning and mapping, as nanoseconds per command and as
 * fractions of the mediation time; and mediation time against the card's
 * busy time for the same work (both measured in the same run).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vfio_util.h"

#define BATCHES		32
#define RING_ENTRIES	1024
#define RING_IOVA	0x100000ull
#define DATA_IOVA	0x10000000ull
#define DATA_PAGES	12288	/* 48 MiB: every "new" row gets pages of its own */
#define REUSED_PAGES	256

static const char * const counters[] = {
	"doorbells", "commands", "copy_ns", "audit_ns", "pin_ns", "map_ns", "busy_ns", "pin_calls",
};

#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static int read_counters(const char *uuid, unsigned long long *v)
{
	char path[256];
	unsigned int i;

	for (i = 0; i < NCOUNTERS; i++) {
		FILE *f;
		int ok;

		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/%s", uuid,
			 counters[i]);
		f = fopen(path, "r");
		if (!f) {
			fprintf(stderr, "submit-bench: %s: %s\n", path, strerror(errno));
			return -1;
		}
		ok = fscanf(f, "%llu", &v[i]) == 1;
		fclose(f);
		if (!ok) {
			fprintf(stderr, "submit-bench: %s: not a number\n", path);
			return -1;
		}
	}
	return 0;
}

/*
 * One round: BATCHES doorbells of @batch FILLs each, every FILL writing one
 * 4 KiB guest page (so pinning and mapping are real work), the last command
 * of each batch a FENCE. @fresh_pages: each batch touches pages no earlier
 * batch touched, so every page is pinned anew; otherwise the same pages.
 */
static unsigned int next_new_page;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int round_of(struct tsr_instance *inst, struct tsr_ring *ring, unsigned int batch,
		    bool fresh_pages, unsigned long long *delta, double *seconds)
{
	unsigned long long before[NCOUNTERS], after[NCOUNTERS];
	unsigned int b, i, page;
	uint32_t status;
	double t;

	if (read_counters(inst->uuid, before))
		return -1;
	t = now_s();
	for (b = 0; b < BATCHES; b++) {
		uint64_t fence;

		for (i = 0; i + 1 < batch; i++) {
			struct tessera_cmd c;

			page = fresh_pages ? next_new_page++ % DATA_PAGES : i % REUSED_PAGES;
			c = tsr_cmd_fill(DATA_IOVA + (uint64_t)page * 4096, 4096, b * 1000 + i);
			tsr_ring_push(ring, &c);
		}
		fence = tsr_ring_fence_kick(ring, false);
		if (tsr_wait_fence(inst, fence, TSR_DEADLINE_MS, &status)) {
			fprintf(stderr, "submit-bench: batch %u of %u: fence %llu not seen (status 0x%x)\n",
				b, batch, (unsigned long long)fence, status);
			return -1;
		}
	}
	if (tsr_wait_idle(inst, TSR_DEADLINE_MS, &status))
		return -1;
	*seconds = now_s() - t;
	if (read_counters(inst->uuid, after))
		return -1;
	for (i = 0; i < NCOUNTERS; i++)
		delta[i] = after[i] - before[i];
	return 0;
}

int main(void)
{
	static const unsigned int sizes[] = { 1, 8, 64, 256 };
	struct tsr_instance inst;
	struct tsr_dma_buf data;
	struct tsr_ring ring;
	double rate[2][4];
	unsigned int s, pass;
	int ret = 1;

	/* The mediator times its steps only when asked (one static branch otherwise). */
	if (tsr_sysfs_write("/sys/module/tessera_mdev/parameters/time_mediation", "Y")) {
		fprintf(stderr, "submit-bench: cannot turn on tessera_mdev's time_mediation\n");
		return 1;
	}
	if (tsr_instance_setup(&inst, "tessera-vgpu-2")) {
		fprintf(stderr, "submit-bench: cannot create a tessera-vgpu-2 instance\n");
		return 1;
	}
	if (tsr_ring_setup(&inst, &ring, RING_IOVA, RING_ENTRIES) ||
	    tsr_dma_alloc(&inst, &data, DATA_IOVA, DATA_PAGES * 4096)) {
		fprintf(stderr, "submit-bench: ring or data setup failed\n");
		goto out;
	}

	printf("Submission path: %u batches per row, one doorbell per batch, FILLs of one 4 KiB guest page each plus a closing FENCE\n\n",
	       BATCHES);
	printf("| batch | pages | traps/batch | pin calls/batch | copy ns/cmd | audit ns/cmd | pin ns/cmd | map ns/cmd | copy:audit:pin:map (%% of mediation) | mediation/card busy |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (pass = 0; pass < 2; pass++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			unsigned long long d[NCOUNTERS], med;
			double cmds, secs;

			if (round_of(&inst, &ring, sizes[s], pass == 0, d, &secs))
				goto out;
			rate[pass][s] = BATCHES * sizes[s] / secs;
			cmds = d[1] ? (double)d[1] : 1;
			med = d[2] + d[3] + d[4] + d[5];
			printf("| %u | %s | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f:%.0f:%.0f:%.0f | %.3f |\n",
			       sizes[s], pass == 0 ? "new" : "reused",
			       (double)d[0] / BATCHES, (double)d[7] / BATCHES, d[2] / cmds, d[3] / cmds, d[4] / cmds,
			       d[5] / cmds, 100.0 * d[2] / (med ? med : 1), 100.0 * d[3] / (med ? med : 1),
			       100.0 * d[4] / (med ? med : 1), 100.0 * d[5] / (med ? med : 1),
			       d[6] ? (double)med / d[6] : 0.0);
			if (d[0] != BATCHES) {
				fprintf(stderr, "submit-bench: %llu doorbell traps for %u batches\n",
					d[0], BATCHES);
				goto out;
			}
		}
	}
	printf("\n\"new\": every command writes a page not touched before (pinned and mapped on the doorbell); \"reused\": pages already pinned by an earlier batch.\n");
	/* For bench-submit.sh's table against the host node: commands per second, wall clock. */
	for (pass = 0; pass < 2; pass++)
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			printf("rate: mediated %u %s %.0f\n", sizes[s], pass == 0 ? "new" : "reused",
				rate[pass][s]);
	ret = 0;
out:
	tsr_instance_teardown(&inst);
	return ret;
}
