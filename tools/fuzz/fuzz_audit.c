// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the command audit (drivers/tessera/tessera_audit.c,
 * built unchanged for userspace). The input chooses the instance's window
 * size and nesting depth, then a run of 64-byte commands. The oracle is an
 * independent model of what each command makes the card touch, computed in
 * 128-bit arithmetic from the spec: whatever the audit accepts must touch
 * only the instance's guest memory or its own device-memory window, and
 * the audit must report every range it touches so that the mediator pins
 * and maps exactly those.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_audit.h"

typedef unsigned __int128 u128;

struct span {
	u128 lo, len;
	bool write;
};

static void oracle_fail(const char *why, const struct tessera_cmd *c)
{
	fprintf(stderr, "oracle: %s (opcode 0x%02x flags 0x%x param 0x%x)\n",
		why, c->opcode, c->flags, c->param);
	abort();
}

/* What the card touches when it runs @c: the spec's semantics, not the audit's. */
static int footprint(const struct tessera_cmd *c, struct span *s)
{
	u128 a0 = c->arg[0], a1 = c->arg[1], a2 = c->arg[2];
	int n = 0;

	switch (c->opcode) {
	case TESSERA_OP_FENCE:
		if (a0)
			s[n++] = (struct span){ a0, 8, true };
		break;
	case TESSERA_OP_FILL:
		s[n++] = (struct span){ a0, a1, true };
		break;
	case TESSERA_OP_COPY:
		s[n++] = (struct span){ a0, a2, true };
		s[n++] = (struct span){ a1, a2, false };
		break;
	case TESSERA_OP_GEMM: {
		u128 m = c->arg[3], nn = c->arg[4], k = c->arg[5];

		s[n++] = (struct span){ a0, m * k * 4, false };
		s[n++] = (struct span){ a1, k * nn * 4, false };
		s[n++] = (struct span){ a2, m * nn * 4, true };
		break;
	}
	case TESSERA_OP_ELEMWISE: {
		u128 bytes = (u128)c->arg[3] * 4;

		s[n++] = (struct span){ a0, bytes, true };
		s[n++] = (struct span){ a1, bytes, false };
		if (c->param != TESSERA_EW_RELU)
			s[n++] = (struct span){ a2, bytes, false };
		break;
	}
	default:
		break;
	}
	return n;
}

static bool inside(const struct tessera_audit_env *env, u128 lo, u128 len)
{
	u128 vram = TESSERA_DVA_VRAM_BASE;

	if (lo + len <= env->guest_limit)
		return true;
	return lo >= vram && lo + len <= vram + env->vram_size;
}

static void check_accepted(const struct tessera_audit_env *env, const struct tessera_cmd *c,
			   unsigned int depth, const struct tessera_audit_result *res)
{
	struct span s[4];
	int i, n;
	unsigned int j;

	if (c->opcode >= TESSERA_OP_PRIVILEGED_FIRST)
		oracle_fail("privileged opcode accepted", c);
	if (c->opcode > TESSERA_OP_BATCH)
		oracle_fail("unknown opcode accepted", c);
	if (c->reserved)
		oracle_fail("reserved field accepted", c);
	if (c->opcode == TESSERA_OP_BUSY && c->arg[0] > TESSERA_MAX_BUSY_US)
		oracle_fail("unbounded busy accepted", c);
	if (c->opcode == TESSERA_OP_BATCH) {
		u128 len = (u128)c->arg[1] * TESSERA_CMD_SIZE;

		if (depth + 1 > TESSERA_MAX_BATCH_DEPTH)
			oracle_fail("batch nesting past the bound accepted", c);
		if (!c->arg[1] || c->arg[1] > TESSERA_MAX_BATCH_CMDS)
			oracle_fail("batch length out of bounds accepted", c);
		if ((u128)c->arg[0] + len > env->guest_limit)
			oracle_fail("batch outside guest memory accepted", c);
		if (res->batch_addr != c->arg[0] || res->batch_count != c->arg[1])
			oracle_fail("batch reported wrongly", c);
		return;
	}
	n = footprint(c, s);
	for (i = 0; i < n; i++) {
		bool reported = false;

		if (!s[i].len)
			continue;
		if (s[i].len > TESSERA_MAX_XFER_BYTES && c->opcode != TESSERA_OP_GEMM)
			oracle_fail("transfer past the bound accepted", c);
		if (!inside(env, s[i].lo, s[i].len))
			oracle_fail("access outside the instance accepted", c);
		for (j = 0; j < res->nr_ranges; j++)
			if (res->ranges[j].addr == s[i].lo && res->ranges[j].len == s[i].len &&
			    res->ranges[j].write == s[i].write)
				reported = true;
		if (!reported)
			oracle_fail("a touched range is not reported for pinning", c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t windows[] = { 0, 4096, 1 << 20, 64ull << 20, 1ull << 32 };
	struct tessera_audit_env env = { .guest_limit = TESSERA_VF_DVA_GUEST_LIMIT };
	struct tessera_audit_result res;
	struct tessera_cmd c;
	unsigned int depth;

	if (size < 2)
		return 0;
	env.vram_size = windows[data[0] % 5];
	depth = data[1] % (TESSERA_MAX_BATCH_DEPTH + 1);
	data += 2;
	size -= 2;
	for (; size >= sizeof(c); data += sizeof(c), size -= sizeof(c)) {
		unsigned int j;
		u32 reason;

		memcpy(&c, data, sizeof(c));
		reason = tessera_audit_cmd(&env, &c, depth, &res);
		if (reason != res.reject)
			oracle_fail("return value and result disagree", &c);
		if (reason) {
			if (reason <= TESSERA_VF_REJECT_BASE || reason > TESSERA_VF_REJECT_PIN_LIMIT)
				oracle_fail("unknown reject reason", &c);
			continue;
		}
		if (res.nr_ranges > TESSERA_AUDIT_MAX_RANGES)
			oracle_fail("too many ranges", &c);
		for (j = 0; j < res.nr_ranges; j++)
			if (!inside(&env, res.ranges[j].addr, res.ranges[j].len))
				oracle_fail("reported range outside the instance", &c);
		check_accepted(&env, &c, depth, &res);
	}
	return 0;
}
