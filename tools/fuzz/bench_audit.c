// SPDX-License-Identifier: GPL-2.0
/*
 * The audit's cost, for `make bench`. Two measurements of one build:
 *  - `bench_audit count OPCODE N [bound]`: shadow-copies and audits N
 *    commands of one kind in audit_batch(); run under callgrind with
 *    --toggle-collect=audit_batch it gives instructions per command. With
 *    `bound`, what the commands address in guest memory is in the bind
 *    space instead, as a guest's tessera_accel driver addresses its
 *    buffers (a batch stays in guest memory: the host copies it from
 *    there).
 *  - `bench_audit ratio N REPS`: times shadow copy alone against shadow copy
 *    plus audit over the same mixed commands in the same process, and
 *    prints the throughput ratio (noise cancels, the ratio is what counts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera_audit.h"

static struct tessera_audit_env env;	/* a 64 MiB window, set by main() */

/* Where the commands' buffers in guest memory are: 0, or the bind space. */
static uint64_t guest;

static struct tessera_cmd make_cmd(int opcode, unsigned int i)
{
	struct tessera_cmd c = { .opcode = opcode };
	uint64_t off = (i % 1024) * 4096ull;

	switch (opcode) {
	case TESSERA_OP_FENCE:
		c.arg[0] = guest + 0x100000 + off;
		c.arg[1] = i;
		c.flags = TESSERA_FENCE_IRQ;
		break;
	case TESSERA_OP_FILL:
		c.arg[0] = TESSERA_DVA_VRAM_BASE + off;
		c.arg[1] = 4096;
		c.param = 0x5a5a5a5a;
		break;
	case TESSERA_OP_COPY:
		c.arg[0] = TESSERA_DVA_VRAM_BASE + off;
		c.arg[1] = guest + 0x10000000 + off;
		c.arg[2] = 4096;
		break;
	case TESSERA_OP_GEMM:
		c.arg[0] = guest + 0x100000;
		c.arg[1] = guest + 0x200000;
		c.arg[2] = TESSERA_DVA_VRAM_BASE + off;
		c.arg[3] = 64;
		c.arg[4] = 64;
		c.arg[5] = 64;
		break;
	case TESSERA_OP_ELEMWISE:
		c.param = TESSERA_EW_ADD;
		c.arg[0] = TESSERA_DVA_VRAM_BASE + off;
		c.arg[1] = guest + 0x100000;
		c.arg[2] = guest + 0x200000;
		c.arg[3] = 1024;
		break;
	case TESSERA_OP_BUSY:
		c.arg[0] = 100;
		break;
	case TESSERA_OP_BATCH:
		c.arg[0] = 0x300000 + off;
		c.arg[1] = 16;
		break;
	default:
		break;
	}
	return c;
}

/* The mediator's per-command work on a doorbell: copy into the shadow, audit. */
noinline unsigned int audit_batch(struct tessera_cmd *shadow,
						   const struct tessera_cmd *ring, unsigned int n)
{
	struct tessera_audit_result res;
	unsigned int i, rejected = 0;

	for (i = 0; i < n; i++) {
		shadow[i] = ring[i];
		rejected += tessera_audit_cmd(&env, &shadow[i], 0, &res) != 0;
	}
	return rejected;
}

/* The same copy with no audit: the unaudited baseline. */
noinline unsigned int copy_batch(struct tessera_cmd *shadow,
						  const struct tessera_cmd *ring, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		shadow[i] = ring[i];
	return shadow[n - 1].opcode;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static const int mix[] = { TESSERA_OP_NOP, TESSERA_OP_FENCE, TESSERA_OP_FILL,
				   TESSERA_OP_COPY, TESSERA_OP_GEMM };
	struct tessera_cmd *ring, *shadow;
	unsigned int n, i, reps, r;
	volatile unsigned int sink = 0;

	if (argc == 5 && !strcmp(argv[1], "count") && !strcmp(argv[4], "bound")) {
		guest = TESSERA_VF_DVA_BIND_BASE;
		argc--;
	}
	if (argc != 4 || (strcmp(argv[1], "count") && strcmp(argv[1], "ratio"))) {
		fprintf(stderr, "usage: %s count OPCODE N [bound] | ratio N REPS\n", argv[0]);
		return 2;
	}
	tessera_audit_env_init(&env, 64ull << 20);
	n = strtoul(argv[argv[1][0] == 'c' ? 3 : 2], NULL, 0);
	if (!n || n > 1u << 20) {
		fprintf(stderr, "bench_audit: N must be 1..%u\n", 1u << 20);
		return 2;
	}
	ring = calloc(n, sizeof(*ring));
	shadow = calloc(n, sizeof(*shadow));
	if (!ring || !shadow)
		return 1;

	if (argv[1][0] == 'c') {
		int opcode = strtol(argv[2], NULL, 0);

		for (i = 0; i < n; i++)
			ring[i] = make_cmd(opcode, i);
		copy_batch(shadow, ring, n);
		if (audit_batch(shadow, ring, n)) {
			fprintf(stderr, "bench_audit: opcode 0x%x commands were rejected\n", opcode);
			return 1;
		}
		return 0;
	}

	reps = strtoul(argv[3], NULL, 0);
	for (i = 0; i < n; i++)
		ring[i] = make_cmd(mix[i % 5], i);
	for (r = 0; r < 3; r++) {
		double t0, t_copy, t_audit;
		unsigned int k;

		t0 = now_s();
		for (k = 0; k < reps; k++)
			sink += copy_batch(shadow, ring, n);
		t_copy = now_s() - t0;
		t0 = now_s();
		for (k = 0; k < reps; k++)
			sink += audit_batch(shadow, ring, n);
		t_audit = now_s() - t0;
		printf("round %u: copy only %.1f Mcmd/s, copy+audit %.1f Mcmd/s, audited/unaudited throughput %.3f\n",
		       r, n * (double)reps / t_copy / 1e6, n * (double)reps / t_audit / 1e6,
		       t_copy / t_audit);
	}
	return sink == 0xffffffff;
}
