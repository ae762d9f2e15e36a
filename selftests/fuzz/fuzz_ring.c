// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_fuzz: command rings and batches that reach the mediator's ring walk,
 * batch shadowing, audit and pinning (tessera_submit.c, tessera_audit.c),
 * each command with the verdict the card spec (include/tessera_hw.h) says
 * the audit must reach, and the oracle that holds the instance to it.
 *
 * A checked submission: the instance idle and unfaulted, n planned
 * commands and a marker FENCE (register and guest memory) behind them, one
 * doorbell, then wait until the ring settles. Let r be the first command
 * the audit must reject. Then, as strictly one way as the other:
 *   - r exists: the instance faults, at an index <= r; at r the code is
 *     r's TESSERA_VF_REJECT_*; the marker never shows (nothing after a
 *     rejected command runs); VF_CMDS_DONE grew by at most the index;
 *   - no r: either everything ran (marker in VF_FENCE and in memory,
 *     VF_CMDS_DONE grew by n + 1), or a command of unknown verdict faulted
 *     or was rejected: a command the spec says is valid must never be;
 *   - never a card fault the audit exists to prevent (PRIV, BAD_OPCODE,
 *     BATCH_DEPTH, RING, an MMU or window fault on a command the mediator
 *     pinned and mapped): the card ran something the audit let through.
 * The expected verdicts come from the spec, not from tessera_audit.c: a
 * reimplementation of the audit would share its bugs.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

enum { V_ACCEPT, V_REJECT, V_MAYBE };

#define CODE(c)		(1u << ((c) - TESSERA_VF_REJECT_BASE))

struct plan {
	struct tessera_cmd c;
	int verdict;
	uint32_t codes;		/* acceptable reject codes, CODE() bits */
	const char *what;
};

/* Where a submission's batches go: the lower half of slot 2. */
struct batch_area {
	uint64_t used;
	unsigned int cmds;	/* commands placed in batches so far */
};

struct gen {
	struct fz_task r;	/* the submission's own generator */
	struct batch_area ba;
	bool hole_mapped;	/* someone mapped the never-mapped hole */
	bool heavy;
	bool reuse;		/* this submission may run one long list many times */
	uint64_t long_list;	/* that list: TESSERA_MAX_BATCH_CMDS NOPs, or 0 */
};

static uint64_t g_rand(struct gen *g)
{
	return fz_rand(&g->r);
}

static uint64_t g_below(struct gen *g, uint64_t n)
{
	return fz_below(&g->r, n);
}

/* ---- address spaces ---- */

enum space { SP_DATA, SP_VRAM, SP_RO };

/* [a, a + len) inside one space the instance may use; len <= 64 KiB. */
static uint64_t pick_addr(struct gen *g, uint64_t len, bool write, unsigned int align)
{
	unsigned int sp = g_below(g, write ? 2 : 3);
	uint64_t base, size, a;

	/* the bind space: live bindings, across adjacent ones (writable ones for a write) */
	if (fz.binds.n && g_below(g, 4) == 0 && fz_bind_pick(g_rand(g), len, write, align, &a)) {
		fz_cov(FZ_COV_BIND_CMDS, 1);
		return a;
	}
	if (sp == SP_VRAM && fz.vram_size < (1 << 20))
		sp = SP_DATA;
	switch (sp) {
	case SP_VRAM:
		base = TESSERA_DVA_VRAM_BASE;
		size = fz.vram_size;
		break;
	case SP_RO:
		base = FZ_RO_IOVA;
		size = FZ_RO_BYTES;
		break;
	default:
		base = FZ_DATA_IOVA;
		size = FZ_DATA_USABLE;
		break;
	}
	if (len > size)
		len = size;
	/* the VRAM window's end is a boundary worth hitting exactly */
	if (sp == SP_VRAM && g_below(g, 4) == 0)
		a = size - len;
	else
		a = g_below(g, size - len + 1);
	a &= ~(uint64_t)(align - 1);
	return base + a;
}

/* Two ranges that do not overlap: dst in the data lower half, src elsewhere. */
static void pick_two(struct gen *g, uint64_t len, uint64_t *dst, uint64_t *src, unsigned int align)
{
	uint64_t half = FZ_DATA_USABLE / 2;

	if (len > half)
		len = half;
	*dst = FZ_DATA_IOVA + (g_below(g, half - len + 1) & ~(uint64_t)(align - 1));
	switch (g_below(g, 4)) {
	case 3:
		if (fz_bind_pick(g_rand(g), len, false, align, src)) {
			fz_cov(FZ_COV_BIND_CMDS, 1);
			break;
		}
		/* fall through */
	case 0:
		*src = FZ_DATA_IOVA + half + (g_below(g, half - len + 1) & ~(uint64_t)(align - 1));
		break;
	case 1:
		*src = FZ_RO_IOVA + (g_below(g, FZ_RO_BYTES - (len < FZ_RO_BYTES ? len : FZ_RO_BYTES) + 1) &
				     ~(uint64_t)(align - 1));
		break;
	default:
		*src = TESSERA_DVA_VRAM_BASE +
		       (g_below(g, fz.vram_size - len + 1) & ~(uint64_t)(align - 1));
		break;
	}
}

/*
 * An address the instance may not use for @len bytes, and why. With
 * @aligned, only the cases that stay bad when rounded down to 8 bytes.
 */
static uint64_t bad_addr_of(struct gen *g, uint64_t len, bool write, bool aligned, uint32_t *code)
{
	static const unsigned int cases8[] = { 0, 2, 4, 5, 7, 9, 9, 8 };
	unsigned int c = aligned ? cases8[g_below(g, write ? 8 : 7)] :
		      g_below(g, write ? 10 : 9);

	*code = CODE(TESSERA_VF_REJECT_RANGE);
	if (!write && c == 8)
		c = 9;	/* reading the read-only slot is no flaw */
	switch (c) {
	case 9:
		/*
		 * The bind space, not bound as needed: past a binding's end,
		 * never bound, a read-only binding written, across the bind
		 * base or the guest limit (the model's bindings say which).
		 */
		fz_cov(FZ_COV_BIND_CMDS, 1);
		return fz_bind_bad(g_rand(g), len, write, aligned);
	case 0:
		return TESSERA_VF_DVA_GUEST_LIMIT;		/* the host's shadow space */
	case 1:
		return TESSERA_VF_DVA_GUEST_LIMIT - len / 2 - 1;	/* crosses into it */
	case 2:
		return TESSERA_DVA_PAGED_LIMIT + g_below(g, 1 << 20) * 64;
	case 3:
		return TESSERA_DVA_VRAM_BASE + fz.vram_size - len / 2;	/* past the window */
	case 4:
		return TESSERA_DVA_VRAM_BASE + fz.vram_size + (g_below(g, 64) << 12);
	case 5:
		return 0 - len / 2;				/* wraps */
	case 6:
		return TESSERA_DVA_VRAM_BASE - len / 2;		/* straddles both */
	case 7:
		if (!g->hole_mapped)
			return FZ_HOLE_IOVA + (g_below(g, 1024) << 12);	/* never mapped */
		return TESSERA_VF_DVA_GUEST_LIMIT;
	default:
		return FZ_RO_IOVA + g_below(g, FZ_RO_BYTES / 2);	/* read-only for the device */
	}
}

static uint64_t bad_addr(struct gen *g, uint64_t len, bool write, uint32_t *code)
{
	return bad_addr_of(g, len, write, false, code);
}

/* ---- batches ---- */

static uint64_t batch_alloc(struct gen *g, unsigned int count, struct tessera_cmd **va)
{
	uint64_t bytes = (uint64_t)count * TESSERA_CMD_SIZE, off = g->ba.used;

	if (!fz.slot[2].va || off + bytes > FZ_IMAGE_OFF)
		return 0;
	g->ba.used += bytes;
	g->ba.cmds += count;
	*va = (struct tessera_cmd *)((uint8_t *)fz.slot[2].va + off);
	return FZ_BATCH_IOVA + off;
}

static void good_cmd(struct gen *g, struct plan *p, unsigned int depth);
static void hostile_cmd(struct gen *g, struct plan *p, unsigned int depth);

/* @p, zeroed: a BATCH of the @count commands at @addr, with its verdict. */
static void plan_batch(struct plan *p, uint64_t addr, uint32_t count, int verdict,
		       const char *what)
{
	p->c.opcode = TESSERA_OP_BATCH;
	p->c.arg[0] = addr;
	p->c.arg[1] = count;
	p->verdict = verdict;
	p->what = what;
}

/* A BATCH of @count commands at @depth whose contents are good except one. */
static void batch_cmd(struct gen *g, struct plan *p, unsigned int depth, unsigned int count,
		      int bad_at)
{
	struct tessera_cmd *list = NULL;
	uint64_t addr = batch_alloc(g, count, &list);
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (!addr) {
		p->c.opcode = TESSERA_OP_NOP;
		p->verdict = V_ACCEPT;
		p->what = "NOP (no room for a batch)";
		return;
	}
	plan_batch(p, addr, count, V_ACCEPT, "BATCH");
	for (i = 0; i < count; i++) {
		struct plan sub;

		if ((int)i == bad_at)
			hostile_cmd(g, &sub, depth + 1);
		else
			good_cmd(g, &sub, depth + 1);
		list[i] = sub.c;
		/* the batch's verdict is its first refused command's */
		if (p->verdict == V_ACCEPT && sub.verdict != V_ACCEPT) {
			p->verdict = sub.verdict;
			p->codes = sub.codes;
			p->what = sub.verdict == V_REJECT ? "BATCH holding a refused command" :
				  "BATCH holding a command of unknown verdict";
		}
	}
}

/* ---- commands the audit must accept (and the card run) ---- */

static void good_cmd(struct gen *g, struct plan *p, unsigned int depth)
{
	struct tessera_cmd *c = &p->c;
	unsigned int kind = g_below(g, depth < TESSERA_MAX_BATCH_DEPTH ? 9 : 8);
	uint64_t len, a, b;

	memset(p, 0, sizeof(*p));
	p->verdict = V_ACCEPT;
	switch (kind) {
	case 0:
		c->opcode = TESSERA_OP_NOP;
		p->what = "NOP";
		break;
	case 1:
		c->opcode = TESSERA_OP_FENCE;
		c->flags = g_below(g, 2) ? TESSERA_FENCE_IRQ : 0;
		c->arg[0] = g_below(g, 2) ? pick_addr(g, 8, true, 8) : 0;
		c->arg[1] = g_rand(g) >> 1;	/* bit 63 clear: never a marker */
		p->what = "FENCE";
		break;
	case 2:
		len = 4 * g_below(g, 4097);
		c->opcode = TESSERA_OP_FILL;
		c->param = g_rand(g);
		c->arg[0] = pick_addr(g, len ? len : 4, true, 1);
		c->arg[1] = len;
		p->what = "FILL";
		break;
	case 3:
		len = g_below(g, 16385);
		pick_two(g, len, &a, &b, 1);
		c->opcode = TESSERA_OP_COPY;
		c->arg[0] = a;
		c->arg[1] = b;
		c->arg[2] = len;
		p->what = "COPY";
		break;
	case 4: {
		uint64_t m = 1 + g_below(g, 16), n = 1 + g_below(g, 16), k = 1 + g_below(g, 16);

		c->opcode = TESSERA_OP_GEMM;
		c->flags = g_below(g, 2) ? TESSERA_GEMM_ACCUMULATE : 0;
		c->arg[0] = pick_addr(g, m * k * 4, false, 4);
		c->arg[1] = pick_addr(g, k * n * 4, false, 4);
		c->arg[2] = pick_addr(g, m * n * 4, true, 4);
		c->arg[3] = m;
		c->arg[4] = n;
		c->arg[5] = k;
		p->what = "GEMM";
		break;
	}
	case 5: {
		uint64_t count = 1 + g_below(g, 1024);

		c->opcode = TESSERA_OP_ELEMWISE;
		c->param = g_below(g, TESSERA_EW_NUM_OPS);
		c->arg[0] = pick_addr(g, count * 4, true, 4);
		c->arg[1] = pick_addr(g, count * 4, false, 4);
		c->arg[2] = c->param == TESSERA_EW_RELU ? 0 : pick_addr(g, count * 4, false, 4);
		c->arg[3] = count;
		p->what = "ELEMWISE";
		break;
	}
	case 6:
	case 7:
		c->opcode = TESSERA_OP_BUSY;
		c->arg[0] = g_below(g, 200);
		p->what = "BUSY";
		break;
	default:
		batch_cmd(g, p, depth, 1 + g_below(g, 6), -1);
		break;
	}
}

/* ---- commands with exactly one thing the audit must refuse ---- */

static void hostile_cmd(struct gen *g, struct plan *p, unsigned int depth)
{
	struct tessera_cmd *c = &p->c;
	uint32_t code = 0;
	uint64_t len;

	good_cmd(g, p, TESSERA_MAX_BATCH_DEPTH);	/* something valid to spoil */
	p->verdict = V_REJECT;
	switch (g_below(g, 22)) {
	case 0:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_REG_WRITE;
		/* privileged: make another context privileged, or reset the card */
		c->arg[0] = g_below(g, 2) ? TESSERA_CTX_REG(g_below(g, 16), TESSERA_CTX_CONFIG) :
			    TESSERA_REG_RESET;
		c->arg[1] = g_below(g, 2) ? TESSERA_CTX_CFG_ENABLE | TESSERA_CTX_CFG_PRIV :
			    TESSERA_RESET_KEY;
		p->codes = CODE(TESSERA_VF_REJECT_OPCODE);
		p->what = "REG_WRITE (privileged)";
		return;
	case 1:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_MMU_UPDATE;
		c->arg[0] = g_below(g, 16);
		c->arg[1] = g_rand(g) & TESSERA_PTE_ADDR_MASK;
		p->codes = CODE(TESSERA_VF_REJECT_OPCODE);
		p->what = "MMU_UPDATE (privileged)";
		return;
	case 2:
		c->opcode = g_below(g, 2) ? 0x08 + g_below(g, 8) : 0x12 + g_below(g, 0xee);
		p->codes = CODE(TESSERA_VF_REJECT_OPCODE);
		p->what = "an opcode that does not exist";
		return;
	case 3:
		c->reserved = 1 + g_below(g, 0xffff);
		p->codes = CODE(TESSERA_VF_REJECT_RESERVED);
		p->what = "reserved field set";
		return;
	case 4:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_NOP;
		if (g_below(g, 2))
			c->arg[g_below(g, 7)] = 1 + g_below(g, 1000);
		else
			c->flags = 1 + g_below(g, 255);
		p->codes = CODE(TESSERA_VF_REJECT_RESERVED);
		p->what = "NOP with arguments";
		return;
	case 5:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_FENCE;
		c->arg[0] = pick_addr(g, 16, true, 8) + 1 + g_below(g, 7);
		c->arg[1] = 1;
		p->codes = CODE(TESSERA_VF_REJECT_BOUNDS);
		p->what = "FENCE at a misaligned address";
		return;
	case 6:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_FENCE;
		c->arg[0] = bad_addr_of(g, 8, true, true, &code) & ~7ull;
		c->arg[1] = 2;
		p->codes = code;
		p->what = "FENCE outside the instance's memory";
		return;
	case 7:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_FENCE;
		c->flags = 2 << g_below(g, 7);
		p->codes = CODE(TESSERA_VF_REJECT_RESERVED);
		p->what = "FENCE with an unknown flag";
		return;
	case 8:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_FILL;
		c->arg[0] = pick_addr(g, 4096, true, 1);
		c->arg[1] = g_below(g, 2) ? 4 * g_below(g, 1024) + 1 + g_below(g, 3) :
			    TESSERA_MAX_XFER_BYTES + 4 * (1 + g_below(g, 1000));
		p->codes = CODE(TESSERA_VF_REJECT_BOUNDS);
		p->what = "FILL of a bad size";
		return;
	case 9:
	case 10:
		len = 4 * (1 + g_below(g, 4096));
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_FILL;
		c->arg[0] = bad_addr(g, len, true, &code);
		c->arg[1] = len;
		p->codes = code;
		p->what = "FILL outside the instance's memory";
		return;
	case 11:
		len = 1 + g_below(g, 8192);
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_COPY;
		c->arg[0] = pick_addr(g, len * 2, true, 1);
		c->arg[1] = c->arg[0] + g_below(g, len);	/* overlapping */
		c->arg[2] = len;
		p->codes = CODE(TESSERA_VF_REJECT_BOUNDS);
		p->what = "COPY of overlapping ranges";
		return;
	case 12:
		len = 1 + g_below(g, 8192);
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_COPY;
		c->arg[0] = pick_addr(g, len, true, 1);
		c->arg[1] = bad_addr(g, len, false, &code);
		c->arg[2] = len;
		p->codes = code;
		p->what = "COPY from outside the instance's memory";
		return;
	case 13:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_GEMM;
		c->arg[0] = c->arg[1] = c->arg[2] = FZ_DATA_IOVA;
		c->arg[3] = g_below(g, 2) ? 0 : TESSERA_GEMM_MAX_DIM + 1 + g_below(g, 10);
		c->arg[4] = 1 + g_below(g, 16);
		c->arg[5] = 1 + g_below(g, 16);
		if (g_below(g, 2)) {
			uint64_t t = c->arg[3];

			c->arg[3] = c->arg[5];
			c->arg[5] = t;
		}
		p->codes = CODE(TESSERA_VF_REJECT_BOUNDS);
		p->what = "GEMM with a dimension out of bounds";
		return;
	case 14:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_GEMM;
		c->arg[3] = c->arg[4] = c->arg[5] = 4;
		c->arg[0] = pick_addr(g, 64, false, 4);
		c->arg[1] = pick_addr(g, 64, false, 4);
		c->arg[2] = bad_addr(g, 64, true, &code);
		p->codes = code;
		p->what = "GEMM writing outside the instance's memory";
		return;
	case 15:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_ELEMWISE;
		c->param = TESSERA_EW_NUM_OPS + g_below(g, 1000);
		c->arg[0] = c->arg[1] = c->arg[2] = FZ_DATA_IOVA;
		c->arg[3] = 1;
		p->codes = CODE(TESSERA_VF_REJECT_BOUNDS);
		p->what = "ELEMWISE with an unknown operation";
		return;
	case 16:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_ELEMWISE;
		c->param = TESSERA_EW_RELU;
		c->arg[0] = FZ_DATA_IOVA;
		c->arg[1] = FZ_DATA_IOVA + 8192;
		c->arg[2] = FZ_DATA_IOVA + 16384;
		c->arg[3] = 16;
		p->codes = CODE(TESSERA_VF_REJECT_RESERVED);
		p->what = "RELU with a second operand";
		return;
	case 17:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_BUSY;
		c->arg[0] = TESSERA_MAX_BUSY_US + 1 + g_below(g, 1000000);
		p->codes = CODE(TESSERA_VF_REJECT_BOUNDS);
		p->what = "BUSY longer than the card allows";
		return;
	case 18:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_BATCH;
		c->arg[0] = FZ_BATCH_IOVA;
		c->arg[1] = g_below(g, 2) ? 0 : TESSERA_MAX_BATCH_CMDS + 1 + g_below(g, 100000);
		p->codes = CODE(TESSERA_VF_REJECT_BATCH);
		p->what = "BATCH of a bad length";
		return;
	case 19:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_BATCH;
		c->arg[1] = 1 + g_below(g, 4);
		switch (g_below(g, 4)) {
		case 0:
			c->arg[0] = TESSERA_DVA_VRAM_BASE;	/* batches come from guest memory */
			break;
		case 1:
			c->arg[0] = g->hole_mapped ? TESSERA_VF_DVA_GUEST_LIMIT : FZ_HOLE_IOVA;
			break;
		case 2:
			c->arg[0] = TESSERA_VF_DVA_GUEST_LIMIT - 64;
			c->arg[1] = 2;
			break;
		default:
			/* the bind space, bound or not: batches come from guest memory */
			c->arg[0] = fz.binds.n ? fz.binds.b[g_below(g, fz.binds.n)].dva :
				    TESSERA_VF_DVA_BIND_BASE + g_below(g, 64) * 64;
			if (g_below(g, 4) == 0)
				c->arg[0] = TESSERA_VF_DVA_BIND_BASE - 64;	/* across its base */
			fz_cov(FZ_COV_BIND_CMDS, 1);
			break;
		}
		/* one nesting too deep is found first */
		p->codes = CODE(depth >= TESSERA_MAX_BATCH_DEPTH ? TESSERA_VF_REJECT_BATCH :
				TESSERA_VF_REJECT_RANGE);
		p->what = "BATCH from memory the host may not copy";
		return;
	case 20:
		if (depth < TESSERA_MAX_BATCH_DEPTH) {
			unsigned int n = 1 + g_below(g, 4);

			batch_cmd(g, p, depth, n, g_below(g, n));
			p->verdict = V_REJECT;
			return;
		}
		/* a batch this deep nests one level too many */
		{
			struct tessera_cmd *list;
			uint64_t addr = batch_alloc(g, 1, &list);

			memset(c, 0, sizeof(*c));
			if (!addr) {
				c->opcode = 0xff;
				p->codes = CODE(TESSERA_VF_REJECT_OPCODE);
				p->what = "opcode 0xff";
				return;
			}
			memset(list, 0, sizeof(*list));
			c->opcode = TESSERA_OP_BATCH;
			c->arg[0] = addr;
			c->arg[1] = 1;
			p->codes = CODE(TESSERA_VF_REJECT_BATCH);
			p->what = "BATCH nested deeper than the card allows";
		}
		return;
	default:
		memset(c, 0, sizeof(*c));
		c->opcode = TESSERA_OP_BATCH;
		c->arg[0] = FZ_BATCH_IOVA;
		c->arg[1] = 1;
		if (g_below(g, 2))
			c->flags = 1 + g_below(g, 255);
		else
			c->arg[2 + g_below(g, 5)] = 1;
		p->codes = CODE(TESSERA_VF_REJECT_RESERVED);
		p->what = "BATCH with reserved fields";
		return;
	}
}

/* ---- batch structures: nesting, loops, lengths ---- */

/* @n entries of @list, each a BATCH of the @count commands at @addr. */
static void batches_of(struct tessera_cmd *list, unsigned int n, uint64_t addr, uint32_t count)
{
	unsigned int i;

	memset(list, 0, (size_t)n * sizeof(*list));
	for (i = 0; i < n; i++) {
		list[i].opcode = TESSERA_OP_BATCH;
		list[i].arg[0] = addr;
		list[i].arg[1] = count;
	}
}

static void batch_structure(struct gen *g, struct plan *p)
{
	struct tessera_cmd *l1, *l2;
	uint64_t a1, a2;
	unsigned int i, n;

	memset(p, 0, sizeof(*p));
	switch (g_below(g, g->reuse ? 7 : 6)) {
	case 0: {
		/* a loop: a list whose one command is a BATCH of itself */
		a1 = batch_alloc(g, 1, &l1);
		if (!a1)
			break;
		memset(l1, 0, sizeof(*l1));
		l1->opcode = TESSERA_OP_BATCH;
		l1->arg[0] = a1;
		l1->arg[1] = 1;
		p->c = *l1;
		p->verdict = V_REJECT;
		p->codes = CODE(TESSERA_VF_REJECT_BATCH);
		p->what = "a BATCH that runs itself";
		return;
	}
	case 1:
		/* two levels, each of several good commands */
		n = 1 + g_below(g, 8);
		a1 = batch_alloc(g, n, &l1);
		a2 = batch_alloc(g, 4, &l2);
		if (!a1 || !a2)
			break;
		for (i = 0; i < 4; i++) {
			struct plan s;

			good_cmd(g, &s, TESSERA_MAX_BATCH_DEPTH);
			l2[i] = s.c;
		}
		batches_of(l1, n, a2, 4);
		plan_batch(p, a1, n, V_ACCEPT, "two levels of batches");
		return;
	case 2:
		/* the longest batch the card allows, of NOPs (or, heavy, of batches) */
		n = TESSERA_MAX_BATCH_CMDS;
		a1 = batch_alloc(g, n, &l1);
		if (!a1)
			break;
		memset(l1, 0, (size_t)n * sizeof(*l1));
		if (g->heavy) {
			a2 = batch_alloc(g, n, &l2);
			if (a2) {
				memset(l2, 0, (size_t)n * sizeof(*l2));
				batches_of(l1, n, a2, n);
			}
		}
		plan_batch(p, a1, n, V_ACCEPT, "BATCH of 4096 commands");
		return;
	case 3:
		/* a batch at a misaligned guest address: shadowed, so it may run */
		a1 = batch_alloc(g, 3, &l1);
		if (!a1)
			break;
		l1 = (struct tessera_cmd *)((uint8_t *)l1 + 8);
		for (i = 0; i < 2; i++) {
			struct plan s;

			good_cmd(g, &s, TESSERA_MAX_BATCH_DEPTH);
			memcpy(&l1[i], &s.c, sizeof(s.c));
		}
		plan_batch(p, a1 + 8, 2, V_MAYBE, "BATCH at a misaligned address");
		return;
	case 4:
		/* the list runs off the end of its mapping */
		memset(&p->c, 0, sizeof(p->c));
		plan_batch(p, FZ_BATCH_IOVA + FZ_BATCH_BYTES - 64 * (1 + g_below(g, 4)), 8,
			   V_REJECT, "BATCH running past its mapping");
		p->codes = CODE(TESSERA_VF_REJECT_RANGE);
		if (g->hole_mapped || fz.slot[4].mapped || fz.slot[5].mapped || fz.slot[6].mapped ||
		    fz.slot[7].mapped)
			p->verdict = V_MAYBE;	/* something may be mapped right after it */
		return;
	case 6:
		/*
		 * One long list run n times from a list of n BATCHes: from n = 4
		 * that passes max_trap_cmds (at its default), which the oracle
		 * then expects refused.
		 */
		if (!g->long_list) {
			g->long_list = batch_alloc(g, TESSERA_MAX_BATCH_CMDS, &l2);
			if (!g->long_list)
				break;
			memset(l2, 0, TESSERA_MAX_BATCH_CMDS * sizeof(*l2));
		}
		n = 1 + g_below(g, 8);
		a1 = batch_alloc(g, n, &l1);
		if (!a1)
			break;
		batches_of(l1, n, g->long_list, TESSERA_MAX_BATCH_CMDS);
		plan_batch(p, a1, n, V_ACCEPT, "a list running one long list n times");
		return;
	default:
		break;
	}
	hostile_cmd(g, p, 0);
}

/* ---- random descriptors ---- */

static uint64_t chaos_arg(struct gen *g)
{
	switch (g_below(g, 8)) {
	case 0: return 0;
	case 1: return g_below(g, 4096);
	case 2: return pick_addr(g, 64, true, 1);
	case 3: return pick_addr(g, 64, false, 4);
	case 4: { uint32_t code; return bad_addr(g, 64, true, &code); }
	case 5: return g_rand(g);
	case 6: return FZ_BATCH_IOVA + g_below(g, 1024) * 64;
	default: return 1ull << g_below(g, 64);
	}
}

static void chaos_cmd(struct gen *g, struct plan *p)
{
	struct tessera_cmd *c = &p->c;
	unsigned int i, k = g_below(g, 10);

	memset(p, 0, sizeof(*p));
	c->opcode = k < 6 ? g_below(g, 8) : k < 8 ? 0x10 + g_below(g, 2) : g_rand(g);
	c->flags = g_below(g, 3) ? 0 : g_rand(g);
	c->reserved = g_below(g, 8) ? 0 : g_rand(g);
	c->param = g_below(g, 2) ? 0 : g_rand(g);
	for (i = 0; i < 7; i++)
		c->arg[i] = g_below(g, 2) ? 0 : chaos_arg(g);
	if (c->opcode == TESSERA_OP_BATCH)
		c->arg[1] = 1 + g_below(g, 8);	/* keep random batches short */
	p->what = "a random descriptor";
	p->verdict = V_MAYBE;
	if (c->opcode >= TESSERA_OP_PRIVILEGED_FIRST || c->opcode > TESSERA_OP_BATCH) {
		/* the spec orders no two flaws: either reason will do */
		p->verdict = V_REJECT;
		p->codes = CODE(TESSERA_VF_REJECT_OPCODE) |
			   (c->reserved ? CODE(TESSERA_VF_REJECT_RESERVED) : 0);
	} else if (c->reserved) {
		p->verdict = V_REJECT;
		p->codes = CODE(TESSERA_VF_REJECT_RESERVED);
	}
}

/* ---- the trap budget: what max_trap_cmds bounds ---- */

/* The fuzzer's own view of guest memory at @iova, or NULL. */
static const void *guest_bytes(uint64_t iova, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < FZ_NSLOTS; i++) {
		const struct fz_slot *s = &fz.slot[i];
		uint64_t end = s->iova + (s->va_len < s->size ? s->va_len : s->size);

		if (s->mapped && s->va && iova >= s->iova && len <= end - iova && iova < end)
			return (const uint8_t *)s->va + (iova - s->iova);
	}
	return NULL;
}

#define TRAP_UNKNOWN	UINT64_MAX

/*
 * The batch commands the audit copies for @c at @depth, nested ones
 * included: what one doorbell may make it see at most max_trap_cmds of.
 * Every BATCH the audit could accept counts, so the figure is exact when
 * everything ran and an upper bound when something was refused; counting
 * stops once it passes @cap. TRAP_UNKNOWN: a list the fuzzer cannot read.
 */
static uint64_t trap_cmds(const struct tessera_cmd *c, unsigned int depth, uint64_t cap)
{
	const uint8_t *list;
	uint64_t n, i, total, sub;

	if (c->opcode != TESSERA_OP_BATCH || depth >= TESSERA_MAX_BATCH_DEPTH || !c->arg[1] ||
	    c->arg[1] > TESSERA_MAX_BATCH_CMDS)
		return 0;
	n = c->arg[1];
	list = guest_bytes(c->arg[0], n * TESSERA_CMD_SIZE);
	if (!list)
		return TRAP_UNKNOWN;
	total = n;
	for (i = 0; i < n && total <= cap; i++) {
		struct tessera_cmd child;

		memcpy(&child, list + i * TESSERA_CMD_SIZE, sizeof(child));
		sub = trap_cmds(&child, depth + 1, cap - total);
		if (sub == TRAP_UNKNOWN)
			return TRAP_UNKNOWN;
		total += sub;
	}
	return total;
}

static uint64_t trap_add(uint64_t a, uint64_t b)
{
	return a == TRAP_UNKNOWN || b == TRAP_UNKNOWN ? TRAP_UNKNOWN : a + b;
}

/*
 * Whether a checked submission may meet the shadow cap: it starts with the
 * work before it retired, so it holds only the shadow ring and its own
 * batches, at most max_trap_cmds commands.
 */
static bool fz_shadow_limit_reachable(void)
{
	return (fz.max_trap_cmds + fz.ring_entries) * TESSERA_CMD_SIZE >= fz.max_shadow_bytes;
}

/* ---- the ring ---- */

static bool ring_valid(uint64_t base, uint32_t e)
{
	return e >= TESSERA_RING_MIN_ENTRIES && e <= fz.max_entries && !(e & (e - 1)) &&
	       !(base % TESSERA_CMD_SIZE) && base < TESSERA_VF_DVA_BIND_BASE &&
	       (uint64_t)e * TESSERA_CMD_SIZE <= TESSERA_VF_DVA_BIND_BASE - base;
}

int fz_ring_configure(struct fz_task *t, uint64_t base, uint32_t entries)
{
	bool valid = ring_valid(base, entries);
	uint32_t st;

	fz_reg_wr(TESSERA_VF_RING_BASE_LO, (uint32_t)base);
	fz_reg_wr(TESSERA_VF_RING_BASE_HI, base >> 32);
	fz_reg_wr(TESSERA_VF_RING_SIZE, entries);
	fz.ring_entries = valid ? entries : 0;
	fz.ring_std = valid && base == FZ_RING_IOVA && (uint64_t)entries * 64 <= FZ_RING_BYTES;
	if (t->strict) {
		st = fz_reg(TESSERA_VF_STATUS);
		fz_checked();
		if (!!(st & TESSERA_VF_STATUS_ENABLED) != valid)
			fz_fail(t, "a ring of %u entries at 0x%" PRIx64 " is %s, but VF_STATUS is 0x%x",
				entries, base, valid ? "valid" : "invalid", st);
	}
	return valid ? 0 : -1;
}

/* 0 idle, 1 faulted, -ETIMEDOUT */
int fz_wait_idle(struct fz_task *t, int timeout_ms)
{
	uint64_t deadline = fz_now_ms() + timeout_ms;
	uint32_t st;

	(void)t;
	for (;;) {
		st = fz_reg(TESSERA_VF_STATUS);
		if (st & TESSERA_VF_STATUS_FAULTED)
			return 1;
		if (!(st & TESSERA_VF_STATUS_BUSY))
			return 0;
		if (fz_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(200);
	}
}

static void ring_write(uint32_t index, const struct tessera_cmd *c)
{
	struct tessera_cmd *ring = fz.slot[0].va;

	if (ring && fz.ring_entries && (uint64_t)fz.ring_entries * 64 <= FZ_RING_BYTES)
		ring[index % fz.ring_entries] = *c;
}

/* A thread that rewrites a ring entry while the doorbell traps. */
struct flipper {
	volatile int stop;
	volatile struct tessera_cmd *slot;
	struct tessera_cmd good, bad;
};

static void *flip_thread(void *arg)
{
	struct flipper *f = arg;
	unsigned long i = 0;

	while (!f->stop) {
		const struct tessera_cmd *src = (i++ & 1) ? &f->bad : &f->good;

		memcpy((void *)f->slot, src, sizeof(*src));
	}
	return NULL;
}

/* Work that keeps the ring busy while its memory is unmapped. */
static void submit_for_unmap(struct gen *g)
{
	uint32_t tail = fz_reg(TESSERA_VF_RING_TAIL);
	struct tessera_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = TESSERA_OP_BUSY;
	c.arg[0] = 500 + g_below(g, 3000);
	ring_write(tail, &c);
	memset(&c, 0, sizeof(c));
	c.opcode = TESSERA_OP_FILL;
	c.arg[0] = FZ_DATA_IOVA + g_below(g, 16) * 4096;
	c.arg[1] = 65536;
	c.param = 0x5a5a5a5a;
	ring_write(tail + 1, &c);
	/* and a bound range: the unmap revoking it must wait for the card too */
	memset(&c, 0, sizeof(c));
	c.opcode = TESSERA_OP_NOP;
	{
		uint64_t dva, len;

		if (fz_bind_writable_run(g_rand(g), &dva, &len)) {
			c.opcode = TESSERA_OP_FILL;
			c.arg[0] = dva;
			c.arg[1] = len;
			c.param = 0xb1b1b1b1;
		}
	}
	ring_write(tail + 2, &c);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fz_reg_wr(TESSERA_VF_RING_TAIL, (tail + 3) % fz.ring_entries);
}

/* Without the strict model: commands of every kind, one doorbell, no checks. */
static void submit_loose(struct gen *g, unsigned int n)
{
	uint32_t e = fz_reg(TESSERA_VF_RING_SIZE), tail = fz_reg(TESSERA_VF_RING_TAIL), i;
	struct tessera_cmd *ring = fz.slot[0].va;
	struct plan p;

	if (!ring || !e || e > FZ_RING_BYTES / 64 || (e & (e - 1)))
		e = FZ_STD_RING;
	for (i = 0; i < n && i + 1 < e; i++) {
		switch (g_below(g, 4)) {
		case 0: good_cmd(g, &p, 0); break;
		case 1: hostile_cmd(g, &p, 0); break;
		case 2: batch_structure(g, &p); break;
		default: chaos_cmd(g, &p); break;
		}
		if (ring)
			ring[(tail + i) % e] = p.c;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fz_reg_wr(TESSERA_VF_RING_TAIL, g_below(g, 16) ? (tail + i) % e : (uint32_t)g_rand(g));
}

bool fz_card_fault_forbidden(uint32_t code)
{
	switch (code) {
	case TESSERA_FAULT_PRIV:
	case TESSERA_FAULT_BAD_OPCODE:
	case TESSERA_FAULT_BATCH_DEPTH:
	case TESSERA_FAULT_RING:
	case TESSERA_FAULT_VRAM_RANGE:
	case TESSERA_FAULT_MMU_MISS:
	case TESSERA_FAULT_MMU_WRITE:
		return true;
	default:
		return false;
	}
}

/*
 * A card fault that only the mediator's own mistakes can cause: a command
 * the audit let through that the card refuses as privileged or unknown, or
 * an MMU or window fault on memory the mediator pinned and mapped for it
 * (unpinned or unmapped while the card still used it).
 */
void fz_check_card_fault(struct fz_task *t, uint32_t code, const char *when)
{
	if (fz_card_fault_forbidden(code))
		fz_fail(t, "VF_FAULT_CODE %u (%s, fault index %u, address 0x%" PRIx64 "): a card fault "
			"the audit and pinning exist to prevent", code, when,
			fz_reg(TESSERA_VF_FAULT_INDEX), fz_reg64(TESSERA_VF_FAULT_ADDR_LO));
}

static const char *verdict_name(int v)
{
	return v == V_ACCEPT ? "valid" : v == V_REJECT ? "must be refused" : "of unknown verdict";
}

/*
 * The known state a checked submission starts from: the standard mappings
 * and ring, idle, unfaulted. 0 when there; else the main loop
 * resynchronises first (or the state was not reached this time).
 */
static int ring_ready(struct fz_task *t, uint64_t subseed)
{
	unsigned int i;
	uint32_t st;

	for (i = FZ_STD_SLOTS; i < FZ_NSLOTS; i++)
		if (fz.slot[i].mapped && fz.slot[i].iova < FZ_HOLE_IOVA + FZ_HOLE_BYTES &&
		    fz.slot[i].iova + fz.slot[i].size > FZ_RING_IOVA)
			break;
	if (i < FZ_NSLOTS || !fz.slot[0].mapped || !fz.slot[1].mapped || !fz.slot[2].mapped ||
	    !fz.slot[3].mapped) {
		fz.dirty = true;	/* the main loop resynchronises first */
		return 1;
	}
	if (!fz.ring_std || fz_reg64(TESSERA_VF_RING_BASE_LO) != FZ_RING_IOVA ||
	    fz_reg(TESSERA_VF_RING_SIZE) != fz.ring_entries ||
	    !(fz_reg(TESSERA_VF_STATUS) & TESSERA_VF_STATUS_ENABLED)) {
		static const uint32_t sizes[] = { 16, 64, 64, 256, 1024, 4096 };
		uint32_t es = sizes[subseed % 6];

		if (es > fz.max_entries)
			es = fz.max_entries;
		if (fz_ring_configure(t, FZ_RING_IOVA, es))
			return 1;
	}
	st = fz_reg(TESSERA_VF_STATUS);
	if (st & TESSERA_VF_STATUS_FAULTED) {
		fz_check_card_fault(t, fz_reg(TESSERA_VF_FAULT_CODE), "left by earlier work");
		fz_reg_wr(TESSERA_VF_RESET, 1);
	}
	if (fz_wait_idle(t, 20000) < 0) {
		fz_fail(t, "the ring never went idle: status 0x%x head %u tail %u",
			fz_reg(TESSERA_VF_STATUS), fz_reg(TESSERA_VF_RING_HEAD),
			fz_reg(TESSERA_VF_RING_TAIL));
		return 1;
	}
	st = fz_reg(TESSERA_VF_STATUS);
	if (st & TESSERA_VF_STATUS_FAULTED) {
		/* a late fault of the work before the reset: start over next time */
		fz_reg_wr(TESSERA_VF_RESET, 1);
		return 1;
	}
	return 0;
}

/*
 * Runs @n commands the model says are valid, then the marker FENCE: each
 * must run, none be refused or fault. 0 when they ran; nonzero when the
 * known state could not be reached or the run failed (a violation).
 */
int fz_ring_run(struct fz_task *t, const struct tessera_cmd *cmds, unsigned int n,
		const char *what)
{
	uint32_t e, tail0, st, i;
	uint64_t v, fence, marker;
	volatile uint64_t *mk;
	int w;

	if (fz.vfpga || !t->strict || ring_ready(t, n))
		return -1;
	e = fz.ring_entries;
	if (n + 2 > e)
		return -1;
	tail0 = fz_reg(TESSERA_VF_RING_TAIL);
	v = (1ull << 63) | (0x5bull << 48) | ++fz.fence_next;
	mk = (volatile uint64_t *)((uint8_t *)fz.slot[1].va + (FZ_MARKER_IOVA - FZ_DATA_IOVA));
	*mk = 0;
	for (i = 0; i < n; i++)
		ring_write(tail0 + i, &cmds[i]);
	{
		struct tessera_cmd m;

		memset(&m, 0, sizeof(m));
		m.opcode = TESSERA_OP_FENCE;
		m.arg[0] = FZ_MARKER_IOVA;
		m.arg[1] = v;
		ring_write(tail0 + n, &m);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fz_reg_wr(TESSERA_VF_RING_TAIL, (tail0 + n + 1) % e);
	w = fz_wait_idle(t, 20000);
	st = fz_reg(TESSERA_VF_STATUS);
	fence = fz_reg64(TESSERA_VF_FENCE_LO);
	marker = *mk;
	fz_checked();
	fz_cov(FZ_COV_RING, 1);
	if (w < 0) {
		fz_fail(t, "%s: %u commands never settled (status 0x%x)", what, n + 1, st);
		return -1;
	}
	if (st & TESSERA_VF_STATUS_FAULTED) {
		uint32_t code = fz_reg(TESSERA_VF_FAULT_CODE), k = (fz_reg(TESSERA_VF_FAULT_INDEX) - tail0) % e;

		fz_fail(t, "%s: valid commands refused or faulted: 0x%x at entry %u of %u (opcode 0x%x "
			"arg0 0x%llx arg1 0x%llx), address 0x%" PRIx64, what, code, k, n + 1,
			k < n ? cmds[k].opcode : TESSERA_OP_FENCE,
			k < n ? (unsigned long long)cmds[k].arg[0] : 0ull,
			k < n ? (unsigned long long)cmds[k].arg[1] : 0ull,
			fz_reg64(TESSERA_VF_FAULT_ADDR_LO));
		return -1;
	}
	if (fence != v || marker != v) {
		fz_fail(t, "%s: ran without a fault but the marker FENCE 0x%" PRIx64 " reads 0x%" PRIx64
			" in VF_FENCE and 0x%" PRIx64 " in memory", what, v, fence, marker);
		return -1;
	}
	fz_cov(FZ_COV_RING_RAN, 1);
	return 0;
}

void fz_submit(struct fz_task *t, uint64_t subseed, unsigned int n, unsigned int mode)
{
	struct plan plan[64];
	uint64_t trap[64];	/* trap_cmds() of entries 0..i together */
	struct gen g;
	struct flipper fl;
	pthread_t flth;
	bool flipping = false;
	uint32_t e, tail0, cmds0, st, code, fidx, k, cmds, head, last_head;
	uint64_t fence, v, marker, deadline, still_since;
	volatile uint64_t *mk;
	int r = -1, flip_at = -1;
	unsigned int i;

	memset(&g, 0, sizeof(g));
	fz_seed_task(&g.r, subseed, 99);
	g.heavy = fz_opt.heavy;
	g.reuse = !(subseed % 4);
	if (fz.vfpga) {
		fz_reg_wr(TESSERA_VF_RING_TAIL, subseed % 64);	/* no ring: nothing happens */
		return;
	}
	if (!t->strict) {
		submit_loose(&g, n);
		return;
	}

	if (ring_ready(t, subseed))
		return;
	g.hole_mapped = false;
	for (i = FZ_STD_SLOTS; i < FZ_NSLOTS; i++) {
		const struct fz_slot *s = &fz.slot[i];

		if (s->mapped && s->iova < FZ_HOLE_IOVA + FZ_HOLE_BYTES &&
		    s->iova + s->size - 1 >= FZ_HOLE_IOVA)
			g.hole_mapped = true;
	}
	if (mode == FZ_SUBMIT_UNMAP) {
		submit_for_unmap(&g);
		return;
	}

	e = fz.ring_entries;
	tail0 = fz_reg(TESSERA_VF_RING_TAIL);
	cmds0 = fz_reg(TESSERA_VF_CMDS_DONE);
	if (n > e - 2)
		n = e - 2;
	if (n > 62)
		n = 62;

	for (i = 0; i < n; i++) {
		switch (mode) {
		case FZ_SUBMIT_GOOD:
			good_cmd(&g, &plan[i], 0);
			break;
		case FZ_SUBMIT_HOSTILE:
			if (g_below(&g, n) == 0)
				hostile_cmd(&g, &plan[i], 0);
			else
				good_cmd(&g, &plan[i], 0);
			break;
		case FZ_SUBMIT_CHAOS:
			if (g_below(&g, 2))
				chaos_cmd(&g, &plan[i]);
			else
				good_cmd(&g, &plan[i], 0);
			break;
		case FZ_SUBMIT_BATCH:
			if (g_below(&g, 2))
				batch_structure(&g, &plan[i]);
			else
				good_cmd(&g, &plan[i], 0);
			break;
		default:
			good_cmd(&g, &plan[i], 0);
			break;
		}
	}
	/* the marker: its value has bit 63 set, no planned FENCE has */
	v = (1ull << 63) | (subseed & 0x7fff000000000000ull) | ++fz.fence_next;
	memset(&plan[n], 0, sizeof(plan[n]));
	plan[n].c.opcode = TESSERA_OP_FENCE;
	plan[n].c.arg[0] = FZ_MARKER_IOVA;
	plan[n].c.arg[1] = v;
	plan[n].verdict = V_ACCEPT;
	plan[n].what = "the marker FENCE";
	mk = (volatile uint64_t *)((uint8_t *)fz.slot[1].va + (FZ_MARKER_IOVA - FZ_DATA_IOVA));
	*mk = 0;
	for (i = 0; i <= n; i++)
		ring_write(tail0 + i, &plan[i].c);
	for (i = 0; i <= n; i++)
		if (plan[i].verdict == V_REJECT) {
			r = i;
			break;
		}

	if (mode == FZ_SUBMIT_TOCTOU && n) {
		/* the guest changes an entry while the host copies and audits */
		k = g_below(&g, n);
		memset(&fl, 0, sizeof(fl));
		fl.slot = &((struct tessera_cmd *)fz.slot[0].va)[(tail0 + k) % e];
		fl.good = plan[k].c;
		hostile_cmd(&g, &plan[63], 0);
		fl.bad = plan[63].c;
		plan[k].verdict = V_MAYBE;
		plan[k].what = "an entry rewritten during the doorbell";
		if (!pthread_create(&flth, NULL, flip_thread, &fl)) {
			flipping = true;
			flip_at = k;
		}
		usleep(50);
		r = -1;
		for (i = 0; i <= n; i++)
			if (plan[i].verdict == V_REJECT) {
				r = i;
				break;
			}
	}
	for (i = 0; i <= n; i++) {
		uint64_t w = trap_cmds(&plan[i].c, 0, fz.max_trap_cmds + 1);

		/*
		 * The host may copy a torn mix of the two versions of a
		 * rewritten entry: a BATCH with any address and length.
		 */
		if ((int)i == flip_at)
			w = TRAP_UNKNOWN;
		trap[i] = trap_add(i ? trap[i - 1] : 0, w);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fz_reg_wr(TESSERA_VF_RING_TAIL, (tail0 + n + 1) % e);
	if (flipping) {
		fl.stop = 1;
		pthread_join(flth, NULL);
	}

	/* settle: idle, or stopped by a fault */
	deadline = fz_now_ms() + 20000;
	last_head = ~0u;
	still_since = fz_now_ms();
	for (;;) {
		st = fz_reg(TESSERA_VF_STATUS);
		if (!(st & TESSERA_VF_STATUS_BUSY))
			break;
		if (st & TESSERA_VF_STATUS_FAULTED) {
			code = fz_reg(TESSERA_VF_FAULT_CODE);
			if (code < TESSERA_VF_REJECT_BASE)
				break;
			head = fz_reg(TESSERA_VF_RING_HEAD);
			if (head != last_head) {
				last_head = head;
				still_since = fz_now_ms();
			} else if (fz_now_ms() - still_since > 500) {
				break;
			}
		}
		if (fz_now_ms() > deadline) {
			fz_fail(t, "the ring of %u commands never settled: status 0x%x head %u tail %u",
				n + 1, st, fz_reg(TESSERA_VF_RING_HEAD), fz_reg(TESSERA_VF_RING_TAIL));
			return;
		}
		usleep(100);
	}

	st = fz_reg(TESSERA_VF_STATUS);
	code = fz_reg(TESSERA_VF_FAULT_CODE);
	fidx = fz_reg(TESSERA_VF_FAULT_INDEX);
	fence = fz_reg64(TESSERA_VF_FENCE_LO);
	cmds = fz_reg(TESSERA_VF_CMDS_DONE) - cmds0;
	marker = *mk;
	fz_checked();
	fz_cov(FZ_COV_RING, 1);

	if (st & TESSERA_VF_STATUS_FAULTED) {
		k = (fidx - tail0) % e;
		fz_cov(r >= 0 && (int)k == r && code >= TESSERA_VF_REJECT_BASE ? FZ_COV_RING_REFUSED :
		       FZ_COV_RING_FAULT, 1);
		if (code < TESSERA_VF_REJECT_BASE && fz_card_fault_forbidden(code))
			fz_fail(t, "the card faulted %u at entry %u (%s, %s): the mediator let through "
				"what the audit and pinning exist to stop", code, k, plan[k % 64].what,
				verdict_name(plan[k % 64].verdict));
		if (k > n) {
			fz_fail(t, "fault 0x%x at ring index %u, outside the %u entries submitted at %u",
				code, fidx, n + 1, tail0);
		} else if (code >= TESSERA_VF_REJECT_BASE) {
			if (code < TESSERA_VF_REJECT_OPCODE || code > TESSERA_VF_REJECT_NOMEM)
				fz_fail(t, "unknown reject code 0x%x at entry %u", code, k);
			else if (code == TESSERA_VF_REJECT_SHADOW_LIMIT && !fz_shadow_limit_reachable())
				fz_fail(t, "entry %u refused with SHADOW_LIMIT, but one doorbell's "
					"batches (at most max_trap_cmds %" PRIu64 ") and the ring fit "
					"in max_shadow_kib, and the work before it retired", k,
					fz.max_trap_cmds);
			else if (code == TESSERA_VF_REJECT_MEMLOCK && geteuid() == 0)
				fz_fail(t, "entry %u refused with MEMLOCK, but the fuzzer runs as root, "
					"whose pins RLIMIT_MEMLOCK does not limit", k);
			else if (r >= 0 && (int)k > r)
				fz_fail(t, "entry %d (%s) must be refused, yet the audit went on to "
					"refuse entry %u (0x%x) after it", r, plan[r].what, k, code);
			else if (code == TESSERA_VF_REJECT_TRAP_LIMIT) {
				fz_cov(FZ_COV_RING_TRAP_LIMIT, trap[k] > fz.max_trap_cmds);
				if (trap[k] <= fz.max_trap_cmds) {
					fz_fail(t, "entry %u refused with TRAP_LIMIT, but entries 0..%u "
						"hold %" PRIu64 " batch commands, within max_trap_cmds "
						"%" PRIu64, k, k, trap[k], fz.max_trap_cmds);
					for (i = 0; i <= k; i++)
						fz_note("entry %u: %s, opcode 0x%x arg0 0x%llx arg1 "
							"0x%llx, %" PRIu64 " so far", i, plan[i].what,
							plan[i].c.opcode,
							(unsigned long long)plan[i].c.arg[0],
							(unsigned long long)plan[i].c.arg[1], trap[i]);
				}
			} else if (plan[k].verdict == V_ACCEPT)
				fz_fail(t, "the audit refused entry %u, a valid %s, with 0x%x", k,
					plan[k].what, code);
			else if (plan[k].verdict == V_REJECT && !(plan[k].codes & CODE(code)))
				fz_fail(t, "entry %u (%s) refused with 0x%x, the spec says 0x%x", k,
					plan[k].what, code, plan[k].codes);
		} else {
			if (r >= 0 && (int)k >= r)
				fz_fail(t, "the card ran entry %u (fault %u) although entry %d (%s) "
					"before it must be refused", k, code, r, plan[r].what);
			else if (plan[k].verdict == V_ACCEPT && code != TESSERA_FAULT_WATCHDOG)
				fz_fail(t, "a valid %s at entry %u faulted on the card with %u",
					plan[k].what, k, code);
		}
		if (fence == v || marker == v)
			fz_fail(t, "the instance faulted (0x%x at entry %u) but the marker FENCE behind "
				"it ran (register 0x%" PRIx64 ", memory 0x%" PRIx64 ")", code, k, fence,
				marker);
		if (cmds > k)
			fz_fail(t, "VF_CMDS_DONE grew by %u but the fault is at entry %u", cmds, k);
		fz_note("ring: %u entries, fault 0x%x at %u (first must-refuse %d)", n + 1, code, k, r);
		return;
	}
	if (r >= 0)
		fz_fail(t, "entry %d (%s, reject codes 0x%x) must be refused, but all %u entries "
			"ran without a fault (fence 0x%" PRIx64 ")", r, plan[r].what, plan[r].codes,
			n + 1, fence);
	else if (fence != v || marker != v)
		fz_fail(t, "all %u entries ran without a fault but the marker FENCE 0x%" PRIx64
			" reads 0x%" PRIx64 " in VF_FENCE and 0x%" PRIx64 " in memory", n + 1, v,
			fence, marker);
	else if (cmds != n + 1)
		fz_fail(t, "%u entries ran but VF_CMDS_DONE grew by %u", n + 1, cmds);
	else if (trap[n] != TRAP_UNKNOWN && trap[n] > fz.max_trap_cmds)
		fz_fail(t, "all %u entries ran, but their batches hold %" PRIu64 " commands, "
			"past max_trap_cmds %" PRIu64 ": one doorbell must be refused with "
			"TRAP_LIMIT", n + 1, trap[n], fz.max_trap_cmds);
	else
		fz_cov(FZ_COV_RING_RAN, 1);
}
