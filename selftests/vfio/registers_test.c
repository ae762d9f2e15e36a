// SPDX-License-Identifier: GPL-2.0
/*
 * The instance's trapped register file (BAR0, TESSERA_VF_*): identity
 * registers, read-only registers that ignore writes, read-write registers
 * that keep what the guest wrote, write-one-to-clear interrupt status, and
 * offsets that name no register.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x100000ull

FIXTURE(regs) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(regs) {
	const char *type;
};

FIXTURE_VARIANT_ADD(regs, vgpu1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(regs, vgpu2) { .type = "tessera-vgpu-2" };
FIXTURE_VARIANT_ADD(regs, vgpu4) { .type = "tessera-vgpu-4" };
FIXTURE_VARIANT_ADD(regs, vgpu8) { .type = "tessera-vgpu-8" };

FIXTURE_SETUP(regs)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

FIXTURE_TEARDOWN_PARENT(regs)
{
	tsr_instance_remove(&self->inst);
}

/* A guest driver probes these first and gives up if they are wrong. */
TEST_F_TIMEOUT(regs, identity_registers_describe_the_instance, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;

	EXPECT_EQ(TESSERA_MAGIC, tsr_reg(inst, TESSERA_VF_MAGIC));
	EXPECT_EQ(TESSERA_VERSION, tsr_reg(inst, TESSERA_VF_VERSION));
	EXPECT_GT(inst->vram_size, 0);
	EXPECT_GE(inst->region[VFIO_PCI_BAR2_REGION_INDEX].size, inst->vram_size);
	EXPECT_EQ(0, inst->vram_size % 4096);
	EXPECT_TRUE(tsr_reg(inst, TESSERA_VF_CAPS) & TESSERA_VF_CAP_ENGINES);
	EXPECT_GT(tsr_reg(inst, TESSERA_VF_WEIGHT), 0);
	/* a fresh instance is idle, unfaulted, with nothing pending */
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_STATUS) &
		  (TESSERA_VF_STATUS_BUSY | TESSERA_VF_STATUS_FAULTED));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_INT_STATUS));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_FAULT_CODE));
}

/*
 * A new instance starts from zero: nothing of the hardware context's
 * previous tenant (its fence value, command count, busy time) shows.
 */
TEST_F_TIMEOUT(regs, new_instance_shows_nothing_of_a_previous_tenant, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	struct tsr_ring ring;
	struct tsr_instance next;
	struct tessera_cmd c;
	uint64_t v;

	/* leave traces: a fence value, commands done, busy time */
	ASSERT_EQ(0, tsr_ring_setup(inst, &ring, RING_IOVA, 64));
	c = tsr_cmd_busy(1000);
	tsr_ring_push(&ring, &c);
	ring.next_fence = 0x5ec2e7;
	v = tsr_ring_fence_kick(&ring, false);
	ASSERT_EQ(0, tsr_wait_fence(inst, v, TSR_DEADLINE_MS, NULL));
	tsr_ring_free(&ring);
	tsr_instance_teardown(inst);

	/* the next instance of the type most likely reuses the context */
	ASSERT_EQ(0, tsr_instance_setup(&next, variant->type));
	EXPECT_EQ(0, tsr_reg64(&next, TESSERA_VF_FENCE_LO)) {
		TH_LOG("a new instance reads the previous tenant's fence value");
	}
	EXPECT_EQ(0, tsr_reg(&next, TESSERA_VF_CMDS_DONE)) {
		TH_LOG("a new instance reads the previous tenant's command count");
	}
	EXPECT_EQ(0, tsr_reg64(&next, TESSERA_VF_BUSY_NS_LO)) {
		TH_LOG("a new instance reads the previous tenant's busy time");
	}
	tsr_instance_teardown(&next);
}

/* A larger share of the card never gets a smaller weight. */
TEST_F_TIMEOUT(regs, weight_follows_the_share, TSR_TEST_TIMEOUT_S)
{
	static const char *const types[] = {
		"tessera-vgpu-1", "tessera-vgpu-2", "tessera-vgpu-4", "tessera-vgpu-8",
	};
	uint32_t mine = tsr_reg(&self->inst, TESSERA_VF_WEIGHT);
	uint64_t vram = tsr_reg64(&self->inst, TESSERA_VF_VRAM_SIZE_LO);
	int me = -1, i;

	for (i = 0; i < 4; i++)
		if (!strcmp(types[i], variant->type))
			me = i;
	ASSERT_GE(me, 0);
	/* compare against a smaller type created beside this one, if it fits */
	for (i = me + 1; i < 4; i++) {
		struct tsr_instance other;
		long avail = 0;

		if (tsr_type_available(self->inst.parent, types[i], &avail) || !avail)
			continue;
		ASSERT_EQ(0, tsr_instance_setup(&other, types[i]));
		EXPECT_GE(mine, tsr_reg(&other, TESSERA_VF_WEIGHT));
		EXPECT_GE(vram, tsr_reg64(&other, TESSERA_VF_VRAM_SIZE_LO));
		tsr_instance_teardown(&other);
		return;
	}
	TH_LOG("no smaller type fits beside %s: compared nothing", variant->type);
}

/* Read-only registers keep their value whatever a guest writes. */
TEST_F_TIMEOUT(regs, read_only_registers_ignore_writes, TSR_TEST_TIMEOUT_S)
{
	static const uint32_t ro[] = {
		TESSERA_VF_MAGIC, TESSERA_VF_VERSION, TESSERA_VF_VRAM_SIZE_LO,
		TESSERA_VF_VRAM_SIZE_HI, TESSERA_VF_RING_HEAD, TESSERA_VF_STATUS,
		TESSERA_VF_FAULT_CODE, TESSERA_VF_FAULT_INDEX,
		TESSERA_VF_FAULT_ADDR_LO, TESSERA_VF_FAULT_ADDR_HI,
		TESSERA_VF_FENCE_LO, TESSERA_VF_FENCE_HI, TESSERA_VF_BUSY_NS_LO,
		TESSERA_VF_BUSY_NS_HI, TESSERA_VF_CMDS_DONE, TESSERA_VF_WEIGHT,
		TESSERA_VF_CAPS,
	};
	struct tsr_instance *inst = &self->inst;
	unsigned int i;

	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		uint32_t before = tsr_reg(inst, ro[i]);
		int ret = tsr_reg_write(inst, ro[i], ~before);

		EXPECT_EQ(before, tsr_reg(inst, ro[i])) {
			TH_LOG("register 0x%03x changed by a guest write (write returned %d)",
			       ro[i], ret);
		}
	}
}

/* Ring configuration and interrupt enable keep what the guest wrote. */
TEST_F_TIMEOUT(regs, read_write_registers_keep_values, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t done = tsr_reg(inst, TESSERA_VF_CMDS_DONE);

	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_RING_BASE_LO, 0x12345000));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_RING_BASE_HI, 0x7));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_RING_SIZE, 256));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_ENABLE,
				   TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT));
	EXPECT_EQ(0x12345000, tsr_reg(inst, TESSERA_VF_RING_BASE_LO));
	EXPECT_EQ(0x7, tsr_reg(inst, TESSERA_VF_RING_BASE_HI));
	EXPECT_EQ(256, tsr_reg(inst, TESSERA_VF_RING_SIZE));
	EXPECT_EQ(TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT,
		  tsr_reg(inst, TESSERA_VF_INT_ENABLE));
	/* writing the ring registers starts nothing */
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_BUSY);
	EXPECT_EQ(done, tsr_reg(inst, TESSERA_VF_CMDS_DONE));
}

/*
 * INT_STATUS is write-one-to-clear: writing zeros or other bits leaves a
 * pending FENCE bit alone; writing the bit clears it.
 */
TEST_F_TIMEOUT(regs, int_status_is_write_one_to_clear, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	struct tsr_ring ring;
	uint32_t st = 0;
	uint64_t v;

	ASSERT_EQ(0, tsr_ring_setup(inst, &ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_ENABLE, TESSERA_CTX_INT_FENCE));
	v = tsr_ring_fence_kick(&ring, true);
	ASSERT_EQ(0, tsr_wait_fence(inst, v, TSR_DEADLINE_MS, &st));
	ASSERT_EQ(0, tsr_wait_int_status(inst, TESSERA_CTX_INT_FENCE, TSR_DEADLINE_MS));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_STATUS, 0));
	EXPECT_TRUE(tsr_reg(inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FENCE);
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_STATUS,
				   (uint32_t)~TESSERA_CTX_INT_FENCE));
	EXPECT_TRUE(tsr_reg(inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FENCE);
	/* the write of other bits set nothing that was not pending */
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FAULT);
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_STATUS, TESSERA_CTX_INT_FENCE));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FENCE);
	tsr_ring_free(&ring);
}

/*
 * Offsets inside BAR0 that name no register read as zero and swallow
 * writes, as on the card; the known registers are not disturbed.
 */
TEST_F_TIMEOUT(regs, unknown_offsets_read_zero_and_ignore_writes, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t first_unknown = TESSERA_VF_CAPS + 4;
	uint32_t off, v, bad = 0;

	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_RING_SIZE, 64));
	for (off = first_unknown; off < TESSERA_VF_BAR0_SIZE; off += 4) {
		int ret;

		/* The bind interface's registers (bind_test.c). */
		if (off >= TESSERA_VF_BIND_ADDR_LO && off <= TESSERA_VF_BIND_MAX)
			continue;
		ret = tsr_reg_read(inst, off, &v);

		if (ret || v) {
			if (bad++ < 4)
				TH_LOG("offset 0x%03x: read ret %d value 0x%x", off, ret, v);
		}
	}
	EXPECT_EQ(0, bad);
	for (off = first_unknown; off < TESSERA_VF_BAR0_SIZE; off += 0x1a4) {
		tsr_reg_write(inst, off, 0xffffffff);
		ASSERT_EQ(0, tsr_reg_read(inst, off, &v));
		EXPECT_EQ(0, v);
	}
	tsr_reg_write(inst, TESSERA_VF_BAR0_SIZE - 4, 0xffffffff);
	EXPECT_EQ(64, tsr_reg(inst, TESSERA_VF_RING_SIZE));
	EXPECT_EQ(TESSERA_MAGIC, tsr_reg(inst, TESSERA_VF_MAGIC));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED);
}

/* The doorbell reads back what was written; the reset register reads zero. */
TEST_F_TIMEOUT(regs, tail_reads_back_and_reset_reads_zero, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	struct tsr_ring ring;
	struct tessera_cmd nop = tsr_cmd_nop();
	uint32_t done = tsr_reg(inst, TESSERA_VF_CMDS_DONE);
	uint64_t v;

	ASSERT_EQ(0, tsr_ring_setup(inst, &ring, RING_IOVA, 64));
	tsr_ring_push(&ring, &nop);
	tsr_ring_push(&ring, &nop);
	v = tsr_ring_fence_kick(&ring, false);
	ASSERT_EQ(0, tsr_wait_fence(inst, v, TSR_DEADLINE_MS, NULL));
	/* the head may trail the fence by a moment: wait for the ring to drain */
	ASSERT_EQ(0, tsr_wait_idle(inst, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(3, tsr_reg(inst, TESSERA_VF_RING_TAIL));
	EXPECT_EQ(3, tsr_reg(inst, TESSERA_VF_RING_HEAD));
	EXPECT_EQ(3, tsr_reg(inst, TESSERA_VF_CMDS_DONE) - done);
	EXPECT_TRUE(tsr_reg(inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_ENABLED);
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_RESET));
	tsr_ring_free(&ring);
}

TEST_HARNESS_MAIN
