// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera command audit.
 *
 * Every field of a guest's command is checked against the card spec before
 * the command can reach the card: the opcode is one a guest may use, every
 * field the opcode does not use is zero, sizes and counts are within the
 * card's bounds, and every address range lies, without wrapping, wholly in
 * the guest's own memory, wholly in its bind space or wholly in its
 * device-memory window. A BATCH is
 * accepted here only as far as its own fields go; the caller copies its
 * commands and audits them one level deeper.
 */
#include "tessera_audit.h"

#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

/**
 * tessera_audit_range_ok() - whether [addr, addr + len) is the instance's
 * @env: the instance
 * @addr: first byte
 * @len: bytes, > 0
 * @space: out, which space the range is in
 *
 * Return: true if the range lies wholly in guest memory, wholly in the bind
 * space or wholly in the device-memory window. Written so that no sum can
 * overflow.
 */
bool tessera_audit_range_ok(const struct tessera_audit_env *env, u64 addr, u64 len,
			    enum tessera_audit_space *space)
{
	if (!len)
		return false;
	if (addr < env->bind_base && len <= env->bind_base - addr) {
		*space = TESSERA_AUDIT_GUEST;
		return true;
	}
	if (addr >= env->bind_base && addr < env->guest_limit &&
	    len <= env->guest_limit - addr) {
		*space = TESSERA_AUDIT_BOUND;
		return true;
	}
	if (addr >= TESSERA_DVA_VRAM_BASE && addr - TESSERA_DVA_VRAM_BASE < env->vram_size &&
	    len <= env->vram_size - (addr - TESSERA_DVA_VRAM_BASE)) {
		*space = TESSERA_AUDIT_VRAM;
		return true;
	}
	return false;
}

static u32 tessera_audit_reject(struct tessera_audit_result *res, u32 reason, u64 addr)
{
	res->reject = reason;
	res->fault_addr = addr;
	return reason;
}

/* Record a range the command touches; a zero length touches nothing. */
static bool tessera_audit_add(const struct tessera_audit_env *env,
			      struct tessera_audit_result *res, u64 addr, u64 len, bool write)
{
	struct tessera_audit_range *r;
	enum tessera_audit_space space;

	if (!len)
		return true;
	if (!tessera_audit_range_ok(env, addr, len, &space)) {
		tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, addr);
		return false;
	}
	r = &res->ranges[res->nr_ranges++];
	r->addr = addr;
	r->len = len;
	r->write = write;
	r->space = space;
	return true;
}

/* Arguments from @first on must be zero. */
static bool tessera_audit_args_zero_from(const struct tessera_cmd *cmd, unsigned int first)
{
	unsigned int i;
	u64 any = 0;

	/* No early exit: a branch-free OR over at most seven words is cheaper. */
	for (i = first; i < 7; i++)
		any |= cmd->arg[i];
	return !any;
}

/* Whether two non-empty ranges overlap, without overflow. */
static bool tessera_audit_overlap(u64 a, u64 b, u64 len)
{
	return a < b ? b - a < len : a - b < len;
}

/**
 * tessera_audit_cmd() - check one command
 * @env: what the instance may reach
 * @cmd: the command, already copied out of guest memory
 * @depth: 0 for a ring entry, n for a command inside n nested batches
 * @res: out, the verdict and the ranges to pin
 *
 * Return: 0 if accepted, else the TESSERA_VF_REJECT_* reason (also in @res).
 */
u32 tessera_audit_cmd(const struct tessera_audit_env *env, const struct tessera_cmd *cmd,
		      unsigned int depth, struct tessera_audit_result *res)
{
	u64 a0 = cmd->arg[0], a1 = cmd->arg[1], a2 = cmd->arg[2];
	u64 m, n, k, bytes;

	/* Only ranges[0, nr_ranges) are ever read: clearing them all would double the cost. */
	res->reject = 0;
	res->fault_addr = 0;
	res->nr_ranges = 0;
	res->batch_addr = 0;
	res->batch_count = 0;

	if (cmd->opcode >= TESSERA_OP_PRIVILEGED_FIRST)
		return tessera_audit_reject(res, TESSERA_VF_REJECT_OPCODE, cmd->opcode);
	if (cmd->reserved)
		return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);

	switch (cmd->opcode) {
	case TESSERA_OP_NOP:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 0))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		return 0;

	case TESSERA_OP_FENCE:
		if ((cmd->flags & ~TESSERA_FENCE_IRQ) || cmd->param ||
		    !tessera_audit_args_zero_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (a0 & 7)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a0);
		if (a0 && !tessera_audit_add(env, res, a0, 8, true))
			return res->reject;
		return 0;

	case TESSERA_OP_FILL:
		if (cmd->flags || !tessera_audit_args_zero_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if ((a1 & 3) || a1 > TESSERA_MAX_XFER_BYTES)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a1);
		if (!tessera_audit_add(env, res, a0, a1, true))
			return res->reject;
		return 0;

	case TESSERA_OP_COPY:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 3))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (a2 > TESSERA_MAX_XFER_BYTES)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a2);
		if (!tessera_audit_add(env, res, a0, a2, true) ||
		    !tessera_audit_add(env, res, a1, a2, false))
			return res->reject;
		if (a2 && tessera_audit_overlap(a0, a1, a2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a1);
		return 0;

	case TESSERA_OP_GEMM:
		if ((cmd->flags & ~TESSERA_GEMM_ACCUMULATE) || cmd->param ||
		    !tessera_audit_args_zero_from(cmd, 6))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		m = cmd->arg[3];
		n = cmd->arg[4];
		k = cmd->arg[5];
		if (!m || !n || !k || m > TESSERA_GEMM_MAX_DIM || n > TESSERA_GEMM_MAX_DIM ||
		    k > TESSERA_GEMM_MAX_DIM)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS,
						    m | n << 16 | k << 32);
		/* Dimensions are at most 2^11: products fit easily. */
		if (!tessera_audit_add(env, res, a0, m * k * 4, false) ||
		    !tessera_audit_add(env, res, a1, k * n * 4, false) ||
		    !tessera_audit_add(env, res, a2, m * n * 4, true))
			return res->reject;
		return 0;

	case TESSERA_OP_ELEMWISE:
		if (cmd->flags || !tessera_audit_args_zero_from(cmd, 4))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (cmd->param >= TESSERA_EW_NUM_OPS)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, cmd->param);
		if (cmd->param == TESSERA_EW_RELU && a2)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, a2);
		if (cmd->arg[3] > TESSERA_MAX_XFER_BYTES / 4)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, cmd->arg[3]);
		bytes = cmd->arg[3] * 4;
		if (!tessera_audit_add(env, res, a0, bytes, true) ||
		    !tessera_audit_add(env, res, a1, bytes, false))
			return res->reject;
		if (cmd->param != TESSERA_EW_RELU && !tessera_audit_add(env, res, a2, bytes, false))
			return res->reject;
		return 0;

	case TESSERA_OP_BUSY:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 1))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (a0 > TESSERA_MAX_BUSY_US)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a0);
		return 0;

	case TESSERA_OP_BATCH:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (depth + 1 > TESSERA_MAX_BATCH_DEPTH)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BATCH, depth + 1);
		if (!a1 || a1 > TESSERA_MAX_BATCH_CMDS)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BATCH, a1);
		if (!tessera_audit_add(env, res, a0, a1 * TESSERA_CMD_SIZE, false))
			return res->reject;
		/* Batches are copied by the host: they must come from guest memory. */
		if (res->ranges[0].space != TESSERA_AUDIT_GUEST)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		/* The batch itself is shadowed, not mapped: nothing to pin. */
		res->nr_ranges = 0;
		res->batch_addr = a0;
		res->batch_count = a1;
		return 0;

	default:
		return tessera_audit_reject(res, TESSERA_VF_REJECT_OPCODE, cmd->opcode);
	}
}
