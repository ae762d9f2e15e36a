// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the command audit: for every rule, one command that
 * passes it and one that breaks it and is rejected with the right reason.
 */

#include <kunit/test.h>

#include "tessera_audit.h"

#define GUEST_LIMIT	TESSERA_VF_DVA_GUEST_LIMIT
#define VRAM_SIZE	(16ULL << 20)
#define VRAM(off)	(TESSERA_DVA_VRAM_BASE + (off))

static struct tessera_audit_env env;

static int audit_suite_init(struct kunit_suite *suite)
{
	tessera_audit_env_init(&env, VRAM_SIZE);
	return 0;
}

static struct tessera_cmd cmd_of(u8 opcode, u64 a0, u64 a1, u64 a2)
{
	struct tessera_cmd c = { .opcode = opcode };

	c.arg[0] = a0;
	c.arg[1] = a1;
	c.arg[2] = a2;
	return c;
}

static u32 audit(const struct tessera_cmd *c, struct tessera_audit_result *res)
{
	return tessera_audit_cmd(&env, c, 0, res);
}

/* NOP passes bare; any flag, param or argument makes it a reserved-bit reject. */
static void nop_reserved_fields(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_NOP, 0, 0, 0);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 0);
	c.arg[6] = 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
	c = cmd_of(TESSERA_OP_NOP, 0, 0, 0);
	c.reserved = 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
	c = cmd_of(TESSERA_OP_NOP, 0, 0, 0);
	c.flags = 0x80;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
}

/* Opcodes a guest may not use: privileged ones and unassigned ones. */
static void forbidden_opcodes(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c;

	c = cmd_of(TESSERA_OP_REG_WRITE, TESSERA_CTX_REG(0, TESSERA_CTX_MMU_ROOT_LO), 0, 0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_OPCODE);
	c = cmd_of(TESSERA_OP_MMU_UPDATE, 0, 0x1000, 0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_OPCODE);
	c = cmd_of(0x08, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_OPCODE);
	c = cmd_of(0xff, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_OPCODE);
	KUNIT_EXPECT_EQ(test, res.fault_addr, 0xff);
}

/* FENCE: 8-aligned address in guest memory or none; misaligned or outside is refused. */
static void fence_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_FENCE, 0x1000, 42, 0);

	c.flags = TESSERA_FENCE_IRQ;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_ASSERT_EQ(test, res.nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, res.ranges[0].addr, 0x1000);
	KUNIT_EXPECT_EQ(test, res.ranges[0].len, 8);
	KUNIT_EXPECT_TRUE(test, res.ranges[0].write);
	c.arg[0] = 0;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 0);
	c.arg[0] = 0x1004;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.arg[0] = GUEST_LIMIT;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	c.arg[0] = 0x1000;
	c.flags = 0x2;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
}

/* FILL: size a multiple of 4 and bounded; the range must be the instance's. */
static void fill_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_FILL, VRAM(0), 4096, 0);

	c.param = 0xdeadbeef;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_ASSERT_EQ(test, res.nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(res.ranges[0].addr), TESSERA_AUDIT_VRAM);
	c.arg[1] = 4097;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.arg[1] = TESSERA_MAX_XFER_BYTES + 4;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	/* Runs one byte past the end of the window. */
	c.arg[0] = VRAM(VRAM_SIZE - 4092);
	c.arg[1] = 4096;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	c.arg[0] = 0;
	c.arg[2] = 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
}

/* COPY: both ranges the instance's, bounded, not overlapping. */
static void copy_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_COPY, VRAM(0), 0x10000, 4096);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_ASSERT_EQ(test, res.nr_ranges, 2);
	KUNIT_EXPECT_TRUE(test, res.ranges[0].write);
	KUNIT_EXPECT_FALSE(test, res.ranges[1].write);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(res.ranges[1].addr), TESSERA_AUDIT_GUEST);
	c.arg[1] = VRAM(2048);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.arg[1] = VRAM(VRAM_SIZE);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	c.arg[1] = 0x10000;
	c.arg[2] = TESSERA_MAX_XFER_BYTES + 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
}

/* An address range that would wrap past 2^64 is refused, not wrapped. */
static void ranges_never_wrap(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_COPY, U64_MAX - 15, 0x1000, 64);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, U64_MAX, 2));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, GUEST_LIMIT - 4, 8));
	KUNIT_EXPECT_TRUE(test, tessera_audit_range_ok(&env, GUEST_LIMIT - 8, 8));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, 0, 0));
	/* Straddling guest memory and the window is neither. */
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, GUEST_LIMIT - 8,
							TESSERA_DVA_VRAM_BASE));
}

/* GEMM: dimensions 1..TESSERA_GEMM_MAX_DIM, three ranges sized by them. */
static void gemm_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_GEMM, 0x100000, 0x200000, VRAM(0));

	c.arg[3] = 256;
	c.arg[4] = 128;
	c.arg[5] = 64;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_ASSERT_EQ(test, res.nr_ranges, 3);
	KUNIT_EXPECT_EQ(test, res.ranges[0].len, 256 * 64 * 4);
	KUNIT_EXPECT_EQ(test, res.ranges[1].len, 64 * 128 * 4);
	KUNIT_EXPECT_EQ(test, res.ranges[2].len, 256 * 128 * 4);
	KUNIT_EXPECT_TRUE(test, res.ranges[2].write);
	c.arg[4] = 0;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.arg[4] = TESSERA_GEMM_MAX_DIM + 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.arg[4] = 128;
	c.flags = TESSERA_GEMM_ACCUMULATE;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	c.flags = 0x4;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
	/* 2048 x 2048 x 4 bytes of C fill the 16 MiB window exactly... */
	c.flags = 0;
	c.arg[3] = 2048;
	c.arg[4] = 2048;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	/* ...and run 4 KiB past its end one page further in. */
	c.arg[2] = VRAM(4096);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	KUNIT_EXPECT_EQ(test, res.fault_addr, VRAM(4096));
}

/* ELEMWISE: known op, RELU takes no second operand, count bounded. */
static void elemwise_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_ELEMWISE, VRAM(0), VRAM(4096), VRAM(8192));

	c.arg[3] = 1024;
	c.param = TESSERA_EW_MUL;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 3);
	c.param = TESSERA_EW_RELU;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
	c.arg[2] = 0;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 2);
	c.param = TESSERA_EW_NUM_OPS;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.param = TESSERA_EW_ADD;
	c.arg[2] = VRAM(8192);
	c.arg[3] = TESSERA_MAX_XFER_BYTES / 4 + 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
}

/* BUSY: bounded duration, no memory touched. */
static void busy_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_BUSY, 10000, 0, 0);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 0);
	c.arg[0] = TESSERA_MAX_BUSY_US + 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BOUNDS);
	c.arg[0] = 10;
	c.arg[1] = 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RESERVED);
}

/* BATCH: from guest memory, 1..TESSERA_MAX_BATCH_CMDS commands, nesting bounded. */
static void batch_rules(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_BATCH, 0x40000, 16, 0);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.batch_addr, 0x40000);
	KUNIT_EXPECT_EQ(test, res.batch_count, 16);
	/* The host copies the batch, so nothing of it is pinned for the card. */
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 0);
	KUNIT_EXPECT_EQ(test, tessera_audit_cmd(&env, &c, TESSERA_MAX_BATCH_DEPTH - 1, &res), 0);
	/* One level too deep: a batch calling itself ends here. */
	KUNIT_EXPECT_EQ(test, tessera_audit_cmd(&env, &c, TESSERA_MAX_BATCH_DEPTH, &res),
			TESSERA_VF_REJECT_BATCH);
	c.arg[1] = 0;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BATCH);
	c.arg[1] = TESSERA_MAX_BATCH_CMDS + 1;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_BATCH);
	c.arg[1] = 16;
	c.arg[0] = VRAM(0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	c.arg[0] = GUEST_LIMIT - 512;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
}

/* The host's own part of the address space (shadow rings) is never a guest's. */
static void host_range_is_not_guest_memory(struct kunit *test)
{
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_FILL, GUEST_LIMIT, 64, 0);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	KUNIT_EXPECT_EQ(test, res.fault_addr, GUEST_LIMIT);
	c.arg[0] = TESSERA_DVA_PAGED_LIMIT - 64;
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
}

/*
 * The bind space is its own part: a range lies wholly in it or wholly in
 * guest DMA memory, never across the boundary, and batches never come from
 * it (the host copies batches from guest DMA memory only).
 */
static void bind_space_is_its_own_part(struct kunit *test)
{
	const u64 bind = TESSERA_VF_DVA_BIND_BASE;
	struct tessera_audit_result res;
	struct tessera_cmd c = cmd_of(TESSERA_OP_COPY, bind + 0x10000, bind - 0x1000, 0x1000);

	KUNIT_EXPECT_EQ(test, audit(&c, &res), 0);
	KUNIT_EXPECT_EQ(test, res.nr_ranges, 2);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(res.ranges[0].addr), TESSERA_AUDIT_BOUND);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(res.ranges[1].addr), TESSERA_AUDIT_GUEST);
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, bind - 8, 16));
	KUNIT_EXPECT_TRUE(test, tessera_audit_range_ok(&env, bind, GUEST_LIMIT - bind));
	KUNIT_EXPECT_EQ(test, tessera_audit_space(bind), TESSERA_AUDIT_BOUND);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(bind - 1), TESSERA_AUDIT_GUEST);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(GUEST_LIMIT - 1), TESSERA_AUDIT_BOUND);
	KUNIT_EXPECT_EQ(test, tessera_audit_space(TESSERA_DVA_VRAM_BASE), TESSERA_AUDIT_VRAM);
	c = cmd_of(TESSERA_OP_FILL, bind - 32, 64, 0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
	KUNIT_EXPECT_EQ(test, res.fault_addr, bind - 32);
	c = cmd_of(TESSERA_OP_BATCH, bind, 4, 0);
	KUNIT_EXPECT_EQ(test, audit(&c, &res), TESSERA_VF_REJECT_RANGE);
}

/*
 * Slots 2 and 3 and everything from slot 5 on are no one's; with no window
 * slot 4 is no one's either, and a window is at most a slot.
 */
static void slots_a_guest_may_not_use(struct kunit *test)
{
	const u64 slot = BIT_ULL(TESSERA_AUDIT_SLOT_SHIFT);
	struct tessera_audit_env none, huge;

	tessera_audit_env_init(&none, 0);
	tessera_audit_env_init(&huge, U64_MAX);
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, 2 * slot, 4096));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, 3 * slot + 4096, 4096));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, 5 * slot, 4096));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, U64_MAX - 4095, 4096));
	KUNIT_EXPECT_TRUE(test, tessera_audit_range_ok(&env, VRAM(0), VRAM_SIZE));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&env, VRAM(0), VRAM_SIZE + 1));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&none, VRAM(0), 1));
	KUNIT_EXPECT_TRUE(test, tessera_audit_range_ok(&huge, VRAM(0), slot));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&huge, VRAM(0), slot + 1));
	KUNIT_EXPECT_FALSE(test, tessera_audit_range_ok(&huge, 5 * slot, 1));
}

static struct kunit_case tessera_audit_cases[] = {
	KUNIT_CASE(slots_a_guest_may_not_use),
	KUNIT_CASE(bind_space_is_its_own_part),
	KUNIT_CASE(nop_reserved_fields),
	KUNIT_CASE(forbidden_opcodes),
	KUNIT_CASE(fence_rules),
	KUNIT_CASE(fill_rules),
	KUNIT_CASE(copy_rules),
	KUNIT_CASE(ranges_never_wrap),
	KUNIT_CASE(gemm_rules),
	KUNIT_CASE(elemwise_rules),
	KUNIT_CASE(busy_rules),
	KUNIT_CASE(batch_rules),
	KUNIT_CASE(host_range_is_not_guest_memory),
	{}
};

static struct kunit_suite tessera_audit_suite = {
	.name = "tessera_audit",
	.suite_init = audit_suite_init,
	.test_cases = tessera_audit_cases,
};

kunit_test_suite(tessera_audit_suite);

MODULE_DESCRIPTION("KUnit tests for Tessera's command audit");
MODULE_LICENSE("GPL");
