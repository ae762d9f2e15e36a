// SPDX-License-Identifier: GPL-2.0
/*
 * Reset-storm benchmark, run in the test host by scripts/bench-reset.sh:
 * what a tenant that loops on VF_RESET costs another. Instance B runs the
 * same batch of FILLs with its neighbour A quiet and with A resetting its
 * engine state as fast as it can (each reset stopping a BUSY it keeps
 * queued), alternately, several rounds in one run; it prints B's
 * throughput under the storm as a fraction of its quiet throughput, and
 * the storm's reset rate.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfio_util.h"

#define RING_IOVA	0x100000ull
#define DATA_IOVA	0x10000000ull
#define FILL_BYTES	(4ull << 20)
#define FILLS		384
#define ROUNDS		5

/* B's batch: FILLS fills and a fence; wall milliseconds until the fence. */
static double run_b(struct tsr_instance *b, struct tsr_ring *ring)
{
	struct tessera_cmd c = tsr_cmd_fill(DATA_IOVA, FILL_BYTES, 0x01020304);
	uint64_t start = tsr_now_ms(), v;
	unsigned int i;

	for (i = 0; i < FILLS; i++)
		tsr_ring_push(ring, &c);
	v = tsr_ring_fence_kick(ring, false);
	if (tsr_wait_fence(b, v, TSR_DEADLINE_MS, NULL)) {
		fprintf(stderr, "reset-bench: B's fence never came\n");
		exit(1);
	}
	return (double)(tsr_now_ms() - start);
}

/* A: keep a BUSY queued and reset it, until killed; count resets in a pipe. */
static void storm(struct tsr_instance *a, struct tsr_ring *ring, int out)
{
	struct tessera_cmd busy = tsr_cmd_busy(5000);
	unsigned long n = 0;

	for (;;) {
		tsr_ring_push(ring, &busy);
		tsr_ring_kick(ring);
		tsr_reg_write(a, TESSERA_VF_RESET, 1);
		ring->tail = 0;
		if (!(++n % 16) && write(out, &n, sizeof(n)) != sizeof(n))
			_exit(1);
	}
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

int main(void)
{
	struct tsr_instance a = { 0 }, b = { 0 };
	struct tsr_ring ring_a, ring_b;
	struct tsr_dma_buf data;
	double quiet[ROUNDS], loud[ROUNDS], ratio;
	unsigned long resets = 0, n;
	uint64_t storm_ms = 0, t0;
	unsigned int r;

	if (tsr_instance_setup(&a, "tessera-vgpu-4") || tsr_instance_setup(&b, "tessera-vgpu-4") ||
	    tsr_ring_setup(&a, &ring_a, RING_IOVA, 64) ||
	    tsr_ring_setup(&b, &ring_b, RING_IOVA, 1024) ||
	    tsr_dma_alloc(&b, &data, DATA_IOVA, FILL_BYTES))
		return 1;
	run_b(&b, &ring_b);	/* pins B's pages outside the measurement */

	for (r = 0; r < ROUNDS; r++) {
		int fds[2];
		pid_t pid;

		quiet[r] = run_b(&b, &ring_b);
		if (pipe(fds))
			return 1;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			storm(&a, &ring_a, fds[1]);
		}
		close(fds[1]);
		/* The storm runs before B starts and until B is done. */
		while (read(fds[0], &n, sizeof(n)) == sizeof(n) && n < 16)
			;
		t0 = tsr_now_ms();
		loud[r] = run_b(&b, &ring_b);
		kill(pid, SIGKILL);
		while (read(fds[0], &n, sizeof(n)) == sizeof(n))
			;
		waitpid(pid, NULL, 0);
		close(fds[0]);
		storm_ms += tsr_now_ms() - t0;
		resets += n;
		printf("round %u: B %.0f ms quiet, %.0f ms under the storm\n", r, quiet[r], loud[r]);
	}
	qsort(quiet, ROUNDS, sizeof(double), cmp);
	qsort(loud, ROUNDS, sizeof(double), cmp);
	ratio = quiet[ROUNDS / 2] / loud[ROUNDS / 2];
	printf("B's throughput under A's reset storm: %.2f of quiet (medians of %u rounds, %u x %llu MiB FILL); A made about %.0f resets/s\n",
	       ratio, ROUNDS, FILLS, FILL_BYTES >> 20, storm_ms ? resets * 1000.0 / storm_ms : 0);
	tsr_instance_teardown(&a);
	tsr_instance_teardown(&b);
	return 0;
}
