// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the command audit (drivers/tessera/lib/tessera_audit.c,
 * built unchanged for userspace), with a two-sided oracle: an independent
 * reference model of the audit rules, written from the spec in
 * include/tessera_hw.h in 128-bit arithmetic and table-driven where the
 * audit is written case by case, decides for every command whether it is
 * accepted or rejected and with which reason; the audit must agree exactly.
 * An audit that rejects a good command fails as surely as one that lets a
 * bad one through. For an accepted command the audit must report exactly
 * the ranges the card will touch (the mediator pins and maps those), and,
 * independently of the model, they must all lie in the instance's guest
 * memory or its own device-memory window.
 *
 * The input chooses the instance's window size and nesting depth, then a
 * run of 64-byte commands, which are also the guest memory a BATCH can
 * name (at FUZZ_GUEST_BASE): an accepted BATCH into them is walked one
 * level deeper, as tessera_submit.c does, by the audit and the model alike.
 *
 * Before fuzzing, a deterministic sweep (LLVMFuzzerInitialize) runs the same
 * oracle over one good command of every opcode with every field set to its
 * boundary values in turn, so that a broken rule is found on every run
 * whatever the fuzzer's luck (scripts/fuzz.sh --mutants shows it is).
 *
 * Not reached: tessera_submit.c itself (ring copy, batch shadowing,
 * pinning). It needs VFIO (vfio_dma_rw, vfio_pin_pages, struct
 * vfio_device), the DMA API, genalloc, the device MMU and the scheduler, so
 * it does not build in userspace; the in-kernel VFIO fuzzer
 * (selftests/fuzz/) drives it through real doorbells.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_audit.h"

typedef unsigned __int128 u128;

/* ---- the reference model ---- */

/* Where the fuzz input's commands sit in the instance's guest memory. */
#define FUZZ_GUEST_BASE		0x10000ull
/* Most commands the walk audits for one input (nesting multiplies them). */
#define FUZZ_MAX_WALK		65536

/*
 * One instance as both sides see it: the audit reads what
 * tessera_audit_env_init() built, the model only the window's size.
 */
struct fuzz_env {
	struct tessera_audit_env audit;
	u64 vram_size;
};

static void fuzz_env_init(struct fuzz_env *env, u64 vram_size)
{
	tessera_audit_env_init(&env->audit, vram_size);
	env->vram_size = vram_size;
}

struct model_range {
	u128 addr, len;
	bool write;
	enum tessera_audit_space space;
};

struct model_result {
	u32 reject;			/* 0 or TESSERA_VF_REJECT_* */
	u64 fault_addr;			/* checked for TESSERA_VF_REJECT_RANGE */
	unsigned int nr;
	struct model_range r[TESSERA_AUDIT_MAX_RANGES];
	u64 batch_addr;
	u32 batch_count;
};

/*
 * The fields each opcode uses (include/tessera_hw.h); every other field is
 * reserved and must be zero.
 */
static const struct {
	bool valid;
	u8 flags;			/* the flag bits it defines */
	bool param;			/* it uses param */
	unsigned int args;		/* it uses arg[0, args) */
} spec[256] = {
	[TESSERA_OP_NOP]	= { true, 0, false, 0 },
	[TESSERA_OP_FENCE]	= { true, TESSERA_FENCE_IRQ, false, 2 },
	[TESSERA_OP_FILL]	= { true, 0, true, 2 },
	[TESSERA_OP_COPY]	= { true, 0, false, 3 },
	[TESSERA_OP_GEMM]	= { true, TESSERA_GEMM_ACCUMULATE, false, 6 },
	[TESSERA_OP_ELEMWISE]	= { true, 0, true, 4 },
	[TESSERA_OP_BUSY]	= { true, 0, false, 1 },
	[TESSERA_OP_BATCH]	= { true, 0, false, 2 },
};

static u32 model_reject(struct model_result *m, u32 reason, u64 addr)
{
	m->reject = reason;
	m->fault_addr = addr;
	m->nr = 0;
	return reason;
}

/* Which space [addr, addr + len) lies in wholly; false if neither. */
static bool model_space(const struct fuzz_env *env, u128 addr, u128 len,
			enum tessera_audit_space *space)
{
	u128 vram = TESSERA_DVA_VRAM_BASE;

	if (addr + len <= TESSERA_VF_DVA_BIND_BASE) {
		*space = TESSERA_AUDIT_GUEST;
		return true;
	}
	if (addr >= TESSERA_VF_DVA_BIND_BASE && addr + len <= TESSERA_VF_DVA_GUEST_LIMIT) {
		*space = TESSERA_AUDIT_BOUND;
		return true;
	}
	if (addr >= vram && addr + len <= vram + env->vram_size) {
		*space = TESSERA_AUDIT_VRAM;
		return true;
	}
	return false;
}

/* A range the command touches; an empty one touches nothing. */
static bool model_touch(const struct fuzz_env *env, struct model_result *m,
			u64 addr, u128 len, bool write)
{
	enum tessera_audit_space space;

	if (!len)
		return true;
	if (!model_space(env, addr, len, &space)) {
		model_reject(m, TESSERA_VF_REJECT_RANGE, addr);
		return false;
	}
	m->r[m->nr++] = (struct model_range){ addr, len, write, space };
	return true;
}

/*
 * The verdict on @c at nesting @depth. The reasons follow one order, so
 * that a command always gives its guest the same one: privileged opcode,
 * reserved header field, undefined opcode, reserved (unused) fields, then
 * the opcode's own bounds, then its ranges in argument order.
 */
static u32 model_audit(const struct fuzz_env *env, const struct tessera_cmd *c,
		       unsigned int depth, struct model_result *m)
{
	u128 a0 = c->arg[0], a1 = c->arg[1], a2 = c->arg[2];
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (c->opcode >= TESSERA_OP_PRIVILEGED_FIRST)
		return model_reject(m, TESSERA_VF_REJECT_OPCODE, c->opcode);
	if (c->reserved)
		return model_reject(m, TESSERA_VF_REJECT_RESERVED, c->reserved);
	if (!spec[c->opcode].valid)
		return model_reject(m, TESSERA_VF_REJECT_OPCODE, c->opcode);
	if (c->flags & ~spec[c->opcode].flags)
		return model_reject(m, TESSERA_VF_REJECT_RESERVED, 0);
	if (c->param && !spec[c->opcode].param)
		return model_reject(m, TESSERA_VF_REJECT_RESERVED, 0);
	for (i = spec[c->opcode].args; i < 7; i++)
		if (c->arg[i])
			return model_reject(m, TESSERA_VF_REJECT_RESERVED, 0);

	switch (c->opcode) {
	case TESSERA_OP_FENCE:
		if (a0 % 8)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, a0);
		if (a0)
			model_touch(env, m, a0, 8, true);
		break;
	case TESSERA_OP_FILL:
		if (a1 % 4 || a1 > TESSERA_MAX_XFER_BYTES)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, a1);
		model_touch(env, m, a0, a1, true);
		break;
	case TESSERA_OP_COPY:
		if (a2 > TESSERA_MAX_XFER_BYTES)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, a2);
		if (!model_touch(env, m, a0, a2, true) || !model_touch(env, m, a1, a2, false))
			break;
		/* The two ranges must not share a byte. */
		if (a2 && a0 + a2 > a1 && a1 + a2 > a0)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, a1);
		break;
	case TESSERA_OP_GEMM: {
		u128 mm = c->arg[3], n = c->arg[4], k = c->arg[5];

		if (!mm || !n || !k || mm > TESSERA_GEMM_MAX_DIM || n > TESSERA_GEMM_MAX_DIM ||
		    k > TESSERA_GEMM_MAX_DIM)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, 0);
		if (model_touch(env, m, a0, mm * k * 4, false) &&
		    model_touch(env, m, a1, k * n * 4, false))
			model_touch(env, m, a2, mm * n * 4, true);
		break;
	}
	case TESSERA_OP_ELEMWISE: {
		u128 bytes = (u128)c->arg[3] * 4;

		if (c->param >= TESSERA_EW_NUM_OPS)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, c->param);
		/* RELU has no second operand: its field is reserved. */
		if (c->param == TESSERA_EW_RELU && a2)
			return model_reject(m, TESSERA_VF_REJECT_RESERVED, a2);
		if (bytes > TESSERA_MAX_XFER_BYTES)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, c->arg[3]);
		if (model_touch(env, m, a0, bytes, true) && model_touch(env, m, a1, bytes, false) &&
		    c->param != TESSERA_EW_RELU)
			model_touch(env, m, a2, bytes, false);
		break;
	}
	case TESSERA_OP_BUSY:
		if (a0 > TESSERA_MAX_BUSY_US)
			return model_reject(m, TESSERA_VF_REJECT_BOUNDS, a0);
		break;
	case TESSERA_OP_BATCH: {
		enum tessera_audit_space space;

		if (depth >= TESSERA_MAX_BATCH_DEPTH)
			return model_reject(m, TESSERA_VF_REJECT_BATCH, depth + 1);
		if (!a1 || a1 > TESSERA_MAX_BATCH_CMDS)
			return model_reject(m, TESSERA_VF_REJECT_BATCH, a1);
		/* Batches are copied by the host: only from guest memory, nothing to pin. */
		if (!model_space(env, a0, a1 * TESSERA_CMD_SIZE, &space) ||
		    space != TESSERA_AUDIT_GUEST)
			return model_reject(m, TESSERA_VF_REJECT_RANGE, a0);
		m->batch_addr = a0;
		m->batch_count = a1;
		break;
	}
	default:
		break;
	}
	return m->reject;
}

/* ---- the oracle ---- */

static void oracle_fail(const char *why, const struct tessera_cmd *c, unsigned int depth,
			u32 audit, u32 model)
{
	unsigned int i;

	fprintf(stderr, "oracle: %s (opcode 0x%02x flags 0x%x reserved 0x%x param 0x%x depth %u; audit 0x%x, model 0x%x)\n",
		why, c->opcode, c->flags, c->reserved, c->param, depth, audit, model);
	for (i = 0; i < 7; i++)
		fprintf(stderr, "oracle:   arg%u 0x%llx\n", i, (unsigned long long)c->arg[i]);
	abort();
}

/* What the card touches when it runs @c, by the spec: independent of both. */
static bool inside(const struct fuzz_env *env, u128 lo, u128 len)
{
	enum tessera_audit_space space;

	return model_space(env, lo, len, &space);
}

/* Audit @c with both and compare; returns the verdict (0: accepted). */
static u32 check_one(const struct fuzz_env *env, const struct tessera_cmd *c,
		     unsigned int depth, struct tessera_audit_result *res)
{
	struct model_result m;
	u32 reason = tessera_audit_cmd(&env->audit, c, depth, res);
	u32 want = model_audit(env, c, depth, &m);
	unsigned int i, j;

	if (reason != res->reject)
		oracle_fail("return value and result disagree", c, depth, reason, want);
	if (reason != want)
		oracle_fail(!want ? "a good command rejected" :
			    !reason ? "a bad command accepted" : "rejected for the wrong reason",
			    c, depth, reason, want);
	if (reason) {
		if (reason == TESSERA_VF_REJECT_RANGE && res->fault_addr != m.fault_addr)
			oracle_fail("range reject names the wrong address", c, depth, reason, want);
		return reason;
	}

	/* Accepted: the ranges to pin and map, exactly. */
	if (res->nr_ranges != m.nr)
		oracle_fail("reports a different number of ranges", c, depth, reason, want);
	for (i = 0; i < m.nr; i++) {
		bool found = false;

		for (j = 0; j < res->nr_ranges; j++) {
			const struct tessera_audit_range *r = &res->ranges[j];

			if (r->addr == m.r[i].addr && r->len == m.r[i].len &&
			    r->write == m.r[i].write &&
			    tessera_audit_space(r->addr) == m.r[i].space)
				found = true;
		}
		if (!found)
			oracle_fail("a touched range is not reported as it is", c, depth, reason, want);
	}
	if (res->batch_count != m.batch_count || (m.batch_count && res->batch_addr != m.batch_addr))
		oracle_fail("batch reported wrongly", c, depth, reason, want);

	/* And, whatever the model says, nothing accepted reaches past the instance. */
	if (c->opcode >= TESSERA_OP_PRIVILEGED_FIRST || c->opcode > TESSERA_OP_BATCH)
		oracle_fail("privileged or unknown opcode accepted", c, depth, reason, want);
	for (j = 0; j < res->nr_ranges; j++)
		if (!res->ranges[j].len ||
		    !inside(env, res->ranges[j].addr, res->ranges[j].len))
			oracle_fail("reported range outside the instance", c, depth, reason, want);
	return 0;
}

/*
 * Audits @count commands of the input @all (@n_all commands at guest
 * address FUZZ_GUEST_BASE) from @first, at @depth, as the mediator walks a
 * ring or a batch: in order, until the first reject, which rejects the
 * whole walk; an accepted BATCH that names commands of the input is walked
 * one level deeper first. *@budget bounds the work. Returns the verdict.
 */
static u32 walk(const struct fuzz_env *env, const struct tessera_cmd *all,
		size_t n_all, size_t first, size_t count, unsigned int depth, int *budget)
{
	struct tessera_audit_result res;
	size_t i;
	u32 reason;

	for (i = first; i < first + count && *budget > 0; i++, (*budget)--) {
		reason = check_one(env, &all[i], depth, &res);
		if (reason)
			return reason;
		if (!res.batch_count)
			continue;
		if (depth + 1 > TESSERA_MAX_BATCH_DEPTH)
			oracle_fail("batch nesting past the bound accepted", &all[i], depth, 0, 0);
		if (res.batch_addr >= FUZZ_GUEST_BASE &&
		    (res.batch_addr - FUZZ_GUEST_BASE) % TESSERA_CMD_SIZE == 0) {
			u64 at = (res.batch_addr - FUZZ_GUEST_BASE) / TESSERA_CMD_SIZE;

			if (at < n_all && res.batch_count <= n_all - at) {
				reason = walk(env, all, n_all, at, res.batch_count, depth + 1, budget);
				if (reason)
					return reason;
			}
		}
	}
	return 0;
}

/* ---- the deterministic sweep ---- */

static const u64 window_sizes[] = { 0, 4096, 1 << 20, 64ull << 20, 1ull << 32 };

static struct tessera_cmd good(u8 opcode)
{
	struct tessera_cmd c = { .opcode = opcode };

	switch (opcode) {
	case TESSERA_OP_FENCE:
		c.flags = TESSERA_FENCE_IRQ;
		c.arg[0] = 0x1000;
		c.arg[1] = 5;
		break;
	case TESSERA_OP_FILL:
		c.arg[0] = 0x2000;
		c.arg[1] = 4096;
		c.param = 0xa5a5a5a5;
		break;
	case TESSERA_OP_COPY:
		c.arg[0] = 0x10000;
		c.arg[1] = 0x20000;
		c.arg[2] = 4096;
		break;
	case TESSERA_OP_GEMM:
		c.arg[0] = 0x100000;
		c.arg[1] = 0x200000;
		c.arg[2] = 0x300000;
		c.arg[3] = c.arg[4] = c.arg[5] = 16;
		break;
	case TESSERA_OP_ELEMWISE:
		c.param = TESSERA_EW_MUL;
		c.arg[0] = 0x100000;
		c.arg[1] = 0x200000;
		c.arg[2] = 0x300000;
		c.arg[3] = 256;
		break;
	case TESSERA_OP_BUSY:
		c.arg[0] = 1000;
		break;
	case TESSERA_OP_BATCH:
		c.arg[0] = 0x40000;
		c.arg[1] = 4;
		break;
	}
	return c;
}

static void sweep_one(const struct tessera_cmd *c)
{
	struct tessera_audit_result res;
	struct fuzz_env env;
	unsigned int w, depth;

	for (w = 0; w < sizeof(window_sizes) / sizeof(window_sizes[0]); w++) {
		fuzz_env_init(&env, window_sizes[w]);
		for (depth = 0; depth <= TESSERA_MAX_BATCH_DEPTH; depth++)
			check_one(&env, c, depth, &res);
	}
}

/* Every field of one good command of every opcode, at its boundaries in turn. */
static void sweep(void)
{
	const u64 limit = TESSERA_VF_DVA_GUEST_LIMIT, vram = TESSERA_DVA_VRAM_BASE;
	const u64 bind = TESSERA_VF_DVA_BIND_BASE;
	const u64 values[] = {
		0, 1, 2, 3, 4, 6, 7, 8, 16, 0x1000, 0x20000 - 8, 0x20000, 0x20000 + 8,
		TESSERA_EW_NUM_OPS, TESSERA_GEMM_MAX_DIM, TESSERA_GEMM_MAX_DIM + 1,
		TESSERA_MAX_BATCH_CMDS, TESSERA_MAX_BATCH_CMDS + 1,
		TESSERA_MAX_XFER_BYTES / 4, TESSERA_MAX_XFER_BYTES / 4 + 1,
		TESSERA_MAX_XFER_BYTES - 4, TESSERA_MAX_XFER_BYTES, TESSERA_MAX_XFER_BYTES + 4,
		TESSERA_MAX_BUSY_US, TESSERA_MAX_BUSY_US + 1,
		limit - 0x100000, limit - 4096, limit - 8, limit, limit + 4096,
		bind - 4096, bind - 8, bind, bind + 4096,
		TESSERA_DVA_PAGED_LIMIT, vram - 8, vram, vram + 4096, vram + (1 << 20) - 8,
		vram + (1 << 20), vram + (64ull << 20), 1ull << 32, 1ull << 63,
		~0ull - 4095, ~0ull,
		/* a 4096-byte range from here ends one byte past a space's end */
		bind - 4095, limit - 4095, vram + (1 << 20) - 4095, vram + (64ull << 20) - 4095,
		0x1001,
	};
	unsigned int op, i, v, bit;

	for (op = TESSERA_OP_NOP; op <= TESSERA_OP_BATCH; op++) {
		struct tessera_cmd base = good(op), c;

		sweep_one(&base);
		for (i = 0; i < 256; i++) {
			c = base;
			c.opcode = i;
			sweep_one(&c);
		}
		for (bit = 0; bit < 8; bit++) {
			c = base;
			c.flags ^= 1u << bit;
			sweep_one(&c);
		}
		for (bit = 0; bit < 16; bit++) {
			c = base;
			c.reserved = 1u << bit;
			sweep_one(&c);
		}
		for (bit = 0; bit < 32; bit++) {
			c = base;
			c.param ^= 1u << bit;
			sweep_one(&c);
		}
		for (v = 0; v < 8; v++) {
			c = base;
			c.param = v;
			sweep_one(&c);
		}
		for (i = 0; i < 7; i++) {
			for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
				c = base;
				c.arg[i] = values[v];
				sweep_one(&c);
				/* and with the other range arguments overlapping it */
				c.arg[(i + 1) % 3] = values[v];
				sweep_one(&c);
			}
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *env = getenv("TESSERA_FUZZ_SWEEP");

	/* TESSERA_FUZZ_SWEEP=0: fuzz only (to see what the fuzzer finds alone). */
	if (!env || strcmp(env, "0"))
		sweep();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_env env;
	struct tessera_cmd cmds[64];
	unsigned int depth;
	size_t n;
	int budget = FUZZ_MAX_WALK;

	if (size < 2)
		return 0;
	fuzz_env_init(&env, window_sizes[data[0] % 5]);
	depth = data[1] % (TESSERA_MAX_BATCH_DEPTH + 1);
	data += 2;
	size -= 2;
	n = size / sizeof(cmds[0]);
	if (n > sizeof(cmds) / sizeof(cmds[0]))
		n = sizeof(cmds) / sizeof(cmds[0]);
	memcpy(cmds, data, n * sizeof(cmds[0]));
	walk(&env, cmds, n, 0, n, depth, &budget);
	return 0;
}
