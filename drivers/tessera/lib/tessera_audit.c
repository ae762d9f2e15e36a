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
#include <asm/byteorder.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/string.h>
#else
/* tools/fuzz/kernel_compat.h gives the kernel's annotations and BUILD_BUG_ON */
#include <string.h>
#endif

/*
 * Lengths the audit classifies are at most this: far more than any
 * command's, and small enough that @addr + @len - 1 cannot wrap for an
 * @addr below the bind base.
 */
#define TESSERA_AUDIT_MAX_LEN	BIT_ULL(62)

/*
 * Whether [@addr, @addr + @len), @len in [1, TESSERA_AUDIT_MAX_LEN], lies
 * wholly in guest memory, wholly in the bind space or wholly in the
 * device-memory window: its first byte picks the slot, and its last byte
 * must lie below what that slot may reach. No sum can overflow: @addr is
 * below 5 * 2^38 once its slot is known. Which space it is, is not
 * returned: tessera_audit_space() tells it from @addr, so no path here
 * carries it. Inlined: the audit runs for every command a guest submits.
 */
static __always_inline bool tessera_audit_in_space(const u64 *slot_end, u64 addr, u64 len)
{
	u64 slot = addr >> TESSERA_AUDIT_SLOT_SHIFT;

	if (slot >= TESSERA_AUDIT_SLOTS)
		return false;
	return addr + len - 1 < slot_end[slot];
}

/**
 * tessera_audit_range_ok() - whether [addr, addr + len) is the instance's
 * @env: the instance
 * @addr: first byte
 * @len: bytes, > 0
 *
 * Return: true if the range lies wholly in guest memory, wholly in the bind
 * space or wholly in the device-memory window (tessera_audit_space() of
 * @addr says which). Written so that no sum can overflow.
 */
bool tessera_audit_range_ok(const struct tessera_audit_env *env, u64 addr, u64 len)
{
	if (!len || len > TESSERA_AUDIT_MAX_LEN)
		return false;	/* no space is that long */
	return tessera_audit_in_space(env->slot_end, addr, len);
}

/* Out of line: the accepting path stays short. */
static noinline u32 tessera_audit_reject(struct tessera_audit_result *res, u32 reason, u64 addr)
{
	res->nr_ranges = 0;
	res->reject = reason;
	res->batch_count = 0;
	res->fault_addr = addr;
	return reason;
}

static __always_inline u32 tessera_audit_accept(struct tessera_audit_result *res,
						unsigned int nr)
{
	res->nr_ranges = nr;
	res->reject = 0;
	res->batch_count = 0;
	return 0;
}

static __always_inline void tessera_audit_record(struct tessera_audit_range *r, u64 addr,
						 u64 len, bool write)
{
	r->addr = addr;
	r->len = len;
	r->write = write;
}

/*
 * Classify [@addr, @addr + @len) and record it as *@r; false, with nothing
 * recorded, if it is not wholly in one of the instance's spaces. Recording
 * at once keeps few values live: the ranges a rejected command recorded
 * are never read, as nr_ranges is 0 then.
 */
static __always_inline bool tessera_audit_take(struct tessera_audit_range *r,
					       const u64 *slot_end, u64 addr, u64 len, bool write)
{
	if (!tessera_audit_in_space(slot_end, addr, len))
		return false;
	tessera_audit_record(r, addr, len, write);
	return true;
}

/*
 * The header word's bytes as the card reads them, little-endian: the opcode
 * in bits 0-7, flags in 8-15, the reserved word in 16-31, param in 32-63.
 * One load, so that each opcode tests every field it does not use with one
 * mask.
 */
#define TESSERA_AUDIT_FLAGS(f)		((u64)(f) << 8)
#define TESSERA_AUDIT_PARAM		(0xffffffffull << 32)
/* The header bits an opcode must leave zero: all but the opcode and @used. */
#define TESSERA_AUDIT_UNUSED(used)	(~(0xffull | (used)))

static __always_inline u64 tessera_audit_header(const struct tessera_cmd *cmd)
{
	__le64 word;

	BUILD_BUG_ON(offsetof(struct tessera_cmd, param) != 4 ||
		     offsetof(struct tessera_cmd, arg) != 8);
	memcpy(&word, cmd, sizeof(word));
	return le64_to_cpu(word);
}

/*
 * The OR of the arguments from @first on: zero when they are all zero, as
 * the spec wants of every argument an opcode does not use. @first is a
 * constant at every call: the switch folds away into one branch-free OR.
 */
static __always_inline u64 tessera_audit_args_from(const struct tessera_cmd *cmd,
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
	return any;
}

/* Whether two non-empty ranges overlap, without overflow. */
static __always_inline bool tessera_audit_overlap(u64 a, u64 b, u64 len)
{
	return a < b ? b - a < len : a - b < len;
}

/*
 * A GEMM's dimensions, each in [1, TESSERA_GEMM_MAX_DIM]: with a power-of-two
 * bound, d - 1 wraps to a huge value for d = 0, so one OR and one compare
 * check all three.
 */
static __always_inline bool tessera_audit_dims_ok(u64 m, u64 n, u64 k)
{
	BUILD_BUG_ON(TESSERA_GEMM_MAX_DIM & (TESSERA_GEMM_MAX_DIM - 1));
	return ((m - 1) | (n - 1) | (k - 1)) < TESSERA_GEMM_MAX_DIM;
}

/*
 * Out of line: the three ranges and three dimensions it keeps live would
 * make every opcode's path save and restore registers (measured with
 * bench_audit: NOP 58 instructions instead of 51).
 */
static noinline u32 tessera_audit_gemm(const u64 *slot_end, const struct tessera_cmd *cmd,
				       u64 hdr, struct tessera_audit_result *res)
{
	u64 a0 = cmd->arg[0], a1 = cmd->arg[1], a2 = cmd->arg[2];
	u64 m, n, k;

	if ((hdr & TESSERA_AUDIT_UNUSED(TESSERA_AUDIT_FLAGS(TESSERA_GEMM_ACCUMULATE))) |
	    tessera_audit_args_from(cmd, 6))
		return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
	m = cmd->arg[3];
	n = cmd->arg[4];
	k = cmd->arg[5];
	if (!tessera_audit_dims_ok(m, n, k))
		return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, m | n << 16 | k << 32);
	/* Dimensions are at most 2^11: the products fit easily. */
	if (!tessera_audit_take(&res->ranges[0], slot_end, a0, m * k * 4, false))
		return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
	if (!tessera_audit_take(&res->ranges[1], slot_end, a1, k * n * 4, false))
		return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a1);
	if (!tessera_audit_take(&res->ranges[2], slot_end, a2, m * n * 4, true))
		return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a2);
	return tessera_audit_accept(res, 3);
}

/**
 * tessera_audit_cmd() - check one command
 * @env: what the instance may reach
 * @cmd: the command, already copied out of guest memory
 * @depth: 0 for a ring entry, n for a command inside n nested batches
 * @res: out, the verdict and the ranges to pin
 *
 * The header's reserved word is checked before the opcode's own fields, so
 * a command with both wrong is refused for the reserved word, with it as
 * the fault value: each opcode's first test folds the two together.
 * The arguments are loaded before anything is stored through @res, so that
 * the compiler need not load them again after a store (the kernel builds
 * with -fno-strict-aliasing); a rejected command's recorded ranges are
 * never read, as nr_ranges is 0 then.
 *
 * Return: 0 if accepted, else the TESSERA_VF_REJECT_* reason (also in @res).
 */
u32 tessera_audit_cmd(const struct tessera_audit_env *env, const struct tessera_cmd *cmd,
		      unsigned int depth, struct tessera_audit_result *res)
{
	u64 hdr = tessera_audit_header(cmd);
	u64 a0 = cmd->arg[0], a1 = cmd->arg[1], a2 = cmd->arg[2];
	u64 bytes;

	switch ((u8)hdr) {
	case TESSERA_OP_NOP:
		if ((hdr & TESSERA_AUDIT_UNUSED(0)) | tessera_audit_args_from(cmd, 0))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		return tessera_audit_accept(res, 0);

	case TESSERA_OP_FENCE:
		if ((hdr & TESSERA_AUDIT_UNUSED(TESSERA_AUDIT_FLAGS(TESSERA_FENCE_IRQ))) |
		    tessera_audit_args_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		if (a0 & 7)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a0);
		if (!a0)
			return tessera_audit_accept(res, 0);
		if (!tessera_audit_take(&res->ranges[0], env->slot_end, a0, 8, true))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		return tessera_audit_accept(res, 1);

	case TESSERA_OP_FILL:
		if ((hdr & TESSERA_AUDIT_UNUSED(TESSERA_AUDIT_PARAM)) |
		    tessera_audit_args_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		if ((a1 & 3) || a1 > TESSERA_MAX_XFER_BYTES)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a1);
		if (!a1)
			return tessera_audit_accept(res, 0);
		if (!tessera_audit_take(&res->ranges[0], env->slot_end, a0, a1, true))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		return tessera_audit_accept(res, 1);

	case TESSERA_OP_COPY:
		if ((hdr & TESSERA_AUDIT_UNUSED(0)) | tessera_audit_args_from(cmd, 3))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		if (a2 > TESSERA_MAX_XFER_BYTES)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a2);
		if (!a2)
			return tessera_audit_accept(res, 0);	/* copies nothing */
		if (!tessera_audit_take(&res->ranges[0], env->slot_end, a0, a2, true))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		if (!tessera_audit_take(&res->ranges[1], env->slot_end, a1, a2, false))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a1);
		if (tessera_audit_overlap(a0, a1, a2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a1);
		return tessera_audit_accept(res, 2);

	case TESSERA_OP_GEMM:
		return tessera_audit_gemm(env->slot_end, cmd, hdr, res);

	case TESSERA_OP_ELEMWISE:
		if ((hdr & TESSERA_AUDIT_UNUSED(TESSERA_AUDIT_PARAM)) |
		    tessera_audit_args_from(cmd, 4))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		/* ADD and MUL, the common ones, pass with one test. */
		if (cmd->param >= TESSERA_EW_RELU) {
			if (cmd->param >= TESSERA_EW_NUM_OPS)
				return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS,
							    cmd->param);
			if (cmd->param == TESSERA_EW_RELU && a2)	/* RELU has no b */
				return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, a2);
		}
		if (cmd->arg[3] > TESSERA_MAX_XFER_BYTES / 4)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, cmd->arg[3]);
		bytes = cmd->arg[3] * 4;
		if (!bytes)
			return tessera_audit_accept(res, 0);	/* no elements */
		if (!tessera_audit_take(&res->ranges[0], env->slot_end, a0, bytes, true))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		if (!tessera_audit_take(&res->ranges[1], env->slot_end, a1, bytes, false))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a1);
		if (cmd->param == TESSERA_EW_RELU)	/* RELU has no b */
			return tessera_audit_accept(res, 2);
		if (!tessera_audit_take(&res->ranges[2], env->slot_end, a2, bytes, false))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a2);
		return tessera_audit_accept(res, 3);

	case TESSERA_OP_BUSY:
		if ((hdr & TESSERA_AUDIT_UNUSED(0)) | tessera_audit_args_from(cmd, 1))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		if (a0 > TESSERA_MAX_BUSY_US)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BOUNDS, a0);
		return tessera_audit_accept(res, 0);

	case TESSERA_OP_BATCH:
		if ((hdr & TESSERA_AUDIT_UNUSED(0)) | tessera_audit_args_from(cmd, 2))
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		if (depth + 1 > TESSERA_MAX_BATCH_DEPTH)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BATCH, depth + 1);
		if (!a1 || a1 > TESSERA_MAX_BATCH_CMDS)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_BATCH, a1);
		/*
		 * Batches are copied by the host: they must come from guest
		 * memory, which ends at a power of two. The batch itself is
		 * shadowed, not mapped: nothing to pin.
		 */
		if ((a0 | (a0 + a1 * TESSERA_CMD_SIZE - 1)) >= TESSERA_VF_DVA_BIND_BASE)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RANGE, a0);
		tessera_audit_accept(res, 0);
		res->batch_addr = a0;
		res->batch_count = a1;
		return 0;

	default:
		/* Privileged and unknown opcodes: the reserved word first, below 0x10. */
		if (cmd->opcode < TESSERA_OP_PRIVILEGED_FIRST && cmd->reserved)
			return tessera_audit_reject(res, TESSERA_VF_REJECT_RESERVED, cmd->reserved);
		return tessera_audit_reject(res, TESSERA_VF_REJECT_OPCODE, cmd->opcode);
	}
}
