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
 *
 * It waits for each batch as a guest driver does: the closing FENCE writes
 * a fence word in guest memory and raises the instance's MSI, which VFIO
 * delivers on an eventfd; no register is polled, so the one trap per batch
 * is the doorbell (the host node's side sleeps in BO_WAIT likewise). The
 * throughput rows come from a second pass with the mediator's step timing
 * off, as it runs normally, on pages unmapped and mapped again so that
 * "new" pages are new again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

#define BATCHES		32
#define RING_ENTRIES	1024
#define RING_IOVA	0x100000ull
#define DATA_IOVA	0x10000000ull
#define DATA_PAGES	12288	/* 48 MiB: every "new" row gets pages of its own */
#define REUSED_PAGES	256
#define FENCE_IOVA	0x200000ull

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

/* The batches' fence word (a guest page) and the MSI's eventfd. */
struct fence_wait {
	volatile uint64_t *word;
	uint64_t next;
	int efd;
};

/* Sleep on the eventfd until the fence word reaches @value. */
static int wait_fence_irq(struct tsr_instance *inst, struct fence_wait *fw, uint64_t value)
{
	uint64_t count;

	while (*fw->word < value) {
		int ret = tsr_eventfd_wait(fw->efd, TSR_DEADLINE_MS, &count);

		if (ret <= 0) {
			fprintf(stderr, "submit-bench: fence %llu: %s (word %llu, status 0x%x)\n",
				(unsigned long long)value,
				ret ? strerror(-ret) : "no interrupt in time",
				(unsigned long long)*fw->word, tsr_reg(inst, TESSERA_VF_STATUS));
			return -1;
		}
	}
	return 0;
}

static int round_of(struct tsr_instance *inst, struct tsr_ring *ring, struct fence_wait *fw,
		    unsigned int batch, bool fresh_pages, unsigned long long *delta,
		    double *seconds)
{
	unsigned long long before[NCOUNTERS], after[NCOUNTERS];
	unsigned int b, i, page;
	uint32_t status;
	double t;

	if (read_counters(inst->uuid, before))
		return -1;
	t = now_s();
	for (b = 0; b < BATCHES; b++) {
		uint64_t fence = fw->next++;
		struct tessera_cmd c;

		for (i = 0; i + 1 < batch; i++) {
			page = fresh_pages ? next_new_page++ % DATA_PAGES : i % REUSED_PAGES;
			c = tsr_cmd_fill(DATA_IOVA + (uint64_t)page * 4096, 4096, b * 1000 + i);
			tsr_ring_push(ring, &c);
		}
		c = tsr_cmd_fence(FENCE_IOVA, fence, true);
		tsr_ring_push(ring, &c);
		if (tsr_ring_kick(ring) || wait_fence_irq(inst, fw, fence)) {
			fprintf(stderr, "submit-bench: batch %u of %u failed\n", b, batch);
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

static int set_timing(bool on)
{
	if (tsr_sysfs_write("/sys/module/tessera_mdev/parameters/time_mediation", on ? "Y" : "N")) {
		fprintf(stderr, "submit-bench: cannot set tessera_mdev's time_mediation\n");
		return -1;
	}
	return 0;
}

int main(void)
{
	static const unsigned int sizes[] = { 1, 8, 64, 256 };
	struct fence_wait fw = { .next = 1, .efd = -1 };
	struct tsr_dma_buf data, fence_page;
	struct tsr_instance inst;
	struct tsr_ring ring;
	double rate[2][4];
	unsigned int s, pass;
	int ret = 1;

	/* The mediator times its steps only when asked (one static branch otherwise). */
	if (set_timing(true))
		return 1;
	if (tsr_instance_setup(&inst, "tessera-vgpu-2")) {
		fprintf(stderr, "submit-bench: cannot create a tessera-vgpu-2 instance\n");
		return 1;
	}
	fw.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fw.efd < 0 || tsr_ring_setup(&inst, &ring, RING_IOVA, RING_ENTRIES) ||
	    tsr_dma_alloc(&inst, &fence_page, FENCE_IOVA, 4096) ||
	    tsr_dma_alloc(&inst, &data, DATA_IOVA, DATA_PAGES * 4096) ||
	    tsr_irq_enable_eventfd(&inst, VFIO_PCI_MSI_IRQ_INDEX, fw.efd) ||
	    tsr_reg_write(&inst, TESSERA_VF_INT_ENABLE, TESSERA_CTX_INT_FENCE)) {
		fprintf(stderr, "submit-bench: ring, memory or interrupt setup failed\n");
		goto out;
	}
	fw.word = fence_page.va;
	*fw.word = 0;

	printf("Submission path: %u batches per row, one doorbell per batch, FILLs of one 4 KiB guest page each plus a closing FENCE that interrupts\n\n",
	       BATCHES);
	printf("| batch | pages | traps/batch | pin calls/batch | copy ns/cmd | audit ns/cmd | pin ns/cmd | map ns/cmd | copy:audit:pin:map (%% of mediation) | mediation/card busy |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (pass = 0; pass < 2; pass++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			unsigned long long d[NCOUNTERS], med;
			double cmds, secs;

			if (round_of(&inst, &ring, &fw, sizes[s], pass == 0, d, &secs))
				goto out;
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

	/* The same rounds for throughput, untimed, on pages new again. */
	tsr_dma_free(&inst, &data);
	next_new_page = 0;
	if (set_timing(false) || tsr_dma_alloc(&inst, &data, DATA_IOVA, DATA_PAGES * 4096))
		goto out;
	for (pass = 0; pass < 2; pass++)
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			unsigned long long d[NCOUNTERS];
			double secs;

			if (round_of(&inst, &ring, &fw, sizes[s], pass == 0, d, &secs))
				goto out;
			rate[pass][s] = BATCHES * sizes[s] / secs;
		}
	/* For bench-submit.sh's table against the host node: commands per second, wall clock. */
	for (pass = 0; pass < 2; pass++)
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			printf("rate: mediated %u %s %.0f\n", sizes[s], pass == 0 ? "new" : "reused",
				rate[pass][s]);
	ret = 0;
out:
	tsr_instance_teardown(&inst);
	if (fw.efd >= 0)
		close(fw.efd);
	return ret;
}
