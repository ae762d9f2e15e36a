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
#include <linux/compiler.h>
#include <linux/string.h>
#else
/* tools/fuzz/kernel_compat.h gives the kernel's inline and switch annotations */
#include <string.h>
#endif

/*
 * The space [@addr, @addr + @len) lies in, @len > 0, or -1: the whole of
 * it in guest memory, in the bind space or in the device-memory window.
 * Written so that no sum can overflow. Inlined: the audit runs for every
 * command a guest submits.
 */
static __always_inline int tessera_audit_space_of(const struct tessera_audit_env *env,
						  u64 addr, u64 len)
{
	if (addr < env->bind_base)
		return len <= env->bind_base - addr ? TESSERA_AUDIT_GUEST : -1;
	if (addr < env->guest_limit)
		return len <= env->guest_limit - addr ? TESSERA_AUDIT_BOUND : -1;
	addr -= TESSERA_DVA_VRAM_BASE;
	if (addr < env->vram_size && len <= env->vram_size - addr)
		return TESSERA_AUDIT_VRAM;
	return -1;
}

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
	int s;

	if (!len)
		return false;
	s = tessera_audit_space_of(env, addr, len);
	if (s < 0)
		return false;
	*space = s;
	return true;
}

static u32 tessera_audit_reject(struct tessera_audit_result *res, u32 reason, u64 addr)
{
	res->reject = reason;
	res->fault_addr = addr;
	res->nr_ranges = 0;
	return reason;
}

static __always_inline void tessera_audit_record(struct tessera_audit_range *r, u64 addr,
						 u64 len, bool write, int space)
{
	r->addr = addr;
	r->len = len;
	r->write = write;
	r->space = space;
}

/*
 * Record a range the command touches, as range *@nr (a local of the caller:
 * kept in a register, the count goes to @res once, on acceptance); a zero
 * length touches nothing.
 */
static __always_inline bool tessera_audit_add(const struct tessera_audit_env *env,
					      struct tessera_audit_result *res, unsigned int *nr,
					      u64 addr, u64 len, bool write)
{
	int space;

	if (!len)
		return true;
	space = tessera_audit_space_of(env, addr, len);
	if (space < 0) {
		tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, addr);
		return false;
	}
	tessera_audit_record(&res->ranges[(*nr)++], addr, len, write, space);
	return true;
}

/*
 * Arguments from @first on must be zero. @first is a constant at every
 * call: the switch folds away into one branch-free OR of the words.
 */
static __always_inline bool tessera_audit_args_zero_from(const struct tessera_cmd *cmd,
							 unsigned int first)
{
	u64 any = 0;

	switch (first) {
	case 0:
		any |= cmd->arg[0];
		fallthrough;
	case 1:
		any |= cmd->arg[1];
		fallthrough;
	case 2:
		any |= cmd->arg[2];
		fallthrough;
	case 3:
		any |= cmd->arg[3];
		fallthrough;
	case 4:
		any |= cmd->arg[4];
		fallthrough;
	case 5:
		any |= cmd->arg[5];
		fallthrough;
	default:
		any |= cmd->arg[6];
	}
	return !any;
}

/* Whether two non-empty ranges overlap, without overflow. */
static __always_inline bool tessera_audit_overlap(u64 a, u64 b, u64 len)
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
	unsigned int nr = 0;
	int s0, s1, s2;
	u64 m, n, k, bytes;

	/*
	 * Only ranges[0, nr_ranges) are ever read, and fault_addr only on a
	 * rejection: clearing the rest would double the cost.
	 */
	res->reject = 0;
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
		break;

	case TESSERA_OP_FENCE:
		if ((cmd->flags & ~TESSERA_FENCE_IRQ) || cmd->param ||
		    !tessera_audit_args_zero_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (a0 & 7)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a0);
		if (a0 && !tessera_audit_add(env, res, &nr, a0, 8, true))
			return res->reject;
		break;

	case TESSERA_OP_FILL:
		if (cmd->flags || !tessera_audit_args_zero_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if ((a1 & 3) || a1 > TESSERA_MAX_XFER_BYTES)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a1);
		if (!tessera_audit_add(env, res, &nr, a0, a1, true))
			return res->reject;
		break;

	case TESSERA_OP_COPY:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 3))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (a2 > TESSERA_MAX_XFER_BYTES)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a2);
		if (!a2)
			break;	/* copies nothing, touches nothing */
		/* Both classified before either is recorded, as for GEMM. */
		s0 = tessera_audit_space_of(env, a0, a2);
		s1 = tessera_audit_space_of(env, a1, a2);
		if ((s0 | s1) < 0)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, s0 < 0 ? a0 : a1);
		if (tessera_audit_overlap(a0, a1, a2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a1);
		tessera_audit_record(&res->ranges[0], a0, a2, true, s0);
		tessera_audit_record(&res->ranges[1], a1, a2, false, s1);
		nr = 2;
		break;

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
		/*
		 * Dimensions are at most 2^11: products fit easily. All three
		 * are classified before any is recorded, so that the
		 * instance's bounds are read once, not again after each store.
		 */
		s0 = tessera_audit_space_of(env, a0, m * k * 4);
		s1 = tessera_audit_space_of(env, a1, k * n * 4);
		s2 = tessera_audit_space_of(env, a2, m * n * 4);
		if ((s0 | s1 | s2) < 0)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE,
						    s0 < 0 ? a0 : s1 < 0 ? a1 : a2);
		tessera_audit_record(&res->ranges[0], a0, m * k * 4, false, s0);
		tessera_audit_record(&res->ranges[1], a1, k * n * 4, false, s1);
		tessera_audit_record(&res->ranges[2], a2, m * n * 4, true, s2);
		nr = 3;
		break;

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
		if (!bytes)
			break;	/* no elements, nothing touched */
		/* All classified before any is recorded, as for GEMM; RELU has no b. */
		s0 = tessera_audit_space_of(env, a0, bytes);
		s1 = tessera_audit_space_of(env, a1, bytes);
		s2 = cmd->param == TESSERA_EW_RELU ? 0 : tessera_audit_space_of(env, a2, bytes);
		if ((s0 | s1 | s2) < 0)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE,
						    s0 < 0 ? a0 : s1 < 0 ? a1 : a2);
		tessera_audit_record(&res->ranges[0], a0, bytes, true, s0);
		tessera_audit_record(&res->ranges[1], a1, bytes, false, s1);
		nr = 2;
		if (cmd->param != TESSERA_EW_RELU)
			tessera_audit_record(&res->ranges[nr++], a2, bytes, false, s2);
		break;

	case TESSERA_OP_BUSY:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 1))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (a0 > TESSERA_MAX_BUSY_US)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a0);
		break;

	case TESSERA_OP_BATCH:
		if (cmd->flags || cmd->param || !tessera_audit_args_zero_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, 0);
		if (depth + 1 > TESSERA_MAX_BATCH_DEPTH)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BATCH, depth + 1);
		if (!a1 || a1 > TESSERA_MAX_BATCH_CMDS)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BATCH, a1);
		if (!tessera_audit_add(env, res, &nr, a0, a1 * TESSERA_CMD_SIZE, false))
			return res->reject;
		/* Batches are copied by the host: they must come from guest memory. */
		if (res->ranges[0].space != TESSERA_AUDIT_GUEST)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		/* The batch itself is shadowed, not mapped: nothing to pin. */
		nr = 0;
		res->batch_addr = a0;
		res->batch_count = a1;
		break;

	default:
		return tessera_audit_reject(res, TESSERA_VF_REJECT_OPCODE, cmd->opcode);
	}
	res->nr_ranges = nr;
	return 0;
}
