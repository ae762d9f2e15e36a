// SPDX-License-Identifier: GPL-2.0
/*
 * The host-native side of the submission benchmark (scripts/bench-submit.sh):
 * the same batches as submit_bench.c's, through the card's host node
 * (tessera_accel_host.ko, /dev/accel/accelN) with libtessera, in the same
 * test host. A batch of B commands is B - 1 FILLs of one 4 KiB page each and
 * a closing FENCE, one SUBMIT and one BO_WAIT.
 *
 *   native-bench NODE
 *
 * Prints "rate: native B new|reused COMMANDS_PER_S" lines: "new", every batch
 * on a BO of its own whose pages the card has not mapped before, the clock
 * running over BO_CREATE too, since that is where the host node allocates,
 * pins, DMA-maps and binds pages, the work the mediator does on the doorbell
 * for a guest page it has not pinned yet; "reused", one BO whose pages the
 * first batch used. "rate: native-premade B new" is the same "new" batches
 * with BO_CREATE off the clock: the commands alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tessera.h"

#define BATCHES		32
#define REUSED_PAGES	256

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One batch of @batch commands on @bo (pages from 0, at most @pages), waited for. */
static int one_batch(struct tsr_cmdbuf *cb, struct tsr_bo *bo, unsigned int batch,
		     unsigned int pages, unsigned int tag)
{
	unsigned int i;
	int job_error = 0;

	tsr_cmdbuf_reset(cb);
	for (i = 0; i + 1 < batch; i++)
		if (tsr_cmd_fill(cb, bo, (uint64_t)(i % pages) * 4096, 4096, tag * 1000 + i))
			return -1;
	if (tsr_cmd_fence(cb, bo, (uint64_t)pages * 4096, tag + 1) || tsr_submit(cb, NULL, 0, 0) ||
	    tsr_bo_wait(bo, 30000000000ll, &job_error) || job_error) {
		fprintf(stderr, "native-bench: batch of %u: %s (job error %d)\n", batch,
			tsr_last_error(), job_error);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1, 8, 64, 256 };
	struct tsr_bo *fresh[BATCHES], *reused;
	struct tsr_cmdbuf *cb;
	struct tsr_dev *dev;
	unsigned int s, b;
	double t, create_s, run_s;

	if (argc != 2) {
		fprintf(stderr, "usage: native-bench /dev/accel/accelN\n");
		return 2;
	}
	if (tsr_open(argv[1], &dev) || tsr_cmdbuf_new(dev, 256, &cb) ||
	    tsr_bo_alloc(dev, (REUSED_PAGES + 1) * 4096ull, 0, &reused)) {
		fprintf(stderr, "native-bench: %s: %s\n", argv[1], tsr_last_error());
		return 1;
	}
	/* The first batch maps the reused BO's pages. */
	if (one_batch(cb, reused, 256, REUSED_PAGES, 0))
		return 1;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned int batch = sizes[s], pages = batch > 1 ? batch - 1 : 1;

		create_s = 0;
		run_s = 0;
		for (b = 0; b < BATCHES; b++) {
			t = now_s();
			if (tsr_bo_alloc(dev, (pages + 1) * 4096ull, 0, &fresh[b])) {
				fprintf(stderr, "native-bench: BO: %s\n", tsr_last_error());
				return 1;
			}
			create_s += now_s() - t;
			t = now_s();
			if (one_batch(cb, fresh[b], batch, pages, b))
				return 1;
			run_s += now_s() - t;
		}
		printf("rate: native %u new %.0f\n", batch, BATCHES * batch / (create_s + run_s));
		printf("rate: native-premade %u new %.0f\n", batch, BATCHES * batch / run_s);
		for (b = 0; b < BATCHES; b++)
			tsr_bo_free(fresh[b]);
		t = now_s();
		for (b = 0; b < BATCHES; b++)
			if (one_batch(cb, reused, batch, REUSED_PAGES, b))
				return 1;
		printf("rate: native %u reused %.0f\n", batch, BATCHES * batch / (now_s() - t));
	}
	tsr_cmdbuf_free(cb);
	tsr_bo_free(reused);
	tsr_close(dev);
	return 0;
}
