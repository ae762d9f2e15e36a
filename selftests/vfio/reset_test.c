// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_DEVICE_RESET (what QEMU calls on guest reboot and FLR) and the
 * instance's own VF_RESET register: both stop the instance's work, clear a
 * fault and leave an instance that runs new work; neither lets queued work
 * touch guest memory afterwards.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull

FIXTURE(reset) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf data;
};

FIXTURE_SETUP(reset)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA, 1 << 20));
}

FIXTURE_TEARDOWN_PARENT(reset)
{
	tsr_instance_remove(&self->inst);
}

static void fault_the_instance(struct __test_metadata *_metadata,
			       FIXTURE_DATA(reset) *self)
{
	struct tessera_cmd bad = { .opcode = TESSERA_OP_MMU_UPDATE };
	uint32_t code, index;

	tsr_ring_push(&self->ring, &bad);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring));
	ASSERT_EQ(0, tsr_wait_fault(&self->inst, TSR_DEADLINE_MS, &code, &index));
}

/* Reprograms the ring (after a reset) and checks a FILL runs. */
static void check_runs(struct __test_metadata *_metadata, FIXTURE_DATA(reset) *self,
		       uint32_t pattern)
{
	struct tessera_cmd c = tsr_cmd_fill(DATA_IOVA, 4096, pattern);
	uint32_t *p = self->data.va;
	uint32_t st = 0;
	uint64_t v;

	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_BASE_LO, (uint32_t)RING_IOVA));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_BASE_HI, RING_IOVA >> 32));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_SIZE, 64));
	self->ring.tail = tsr_reg(&self->inst, TESSERA_VF_RING_HEAD);
	tsr_ring_push(&self->ring, &c);
	v = tsr_ring_fence_kick(&self->ring, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, &st)) {
		TH_LOG("after reset: status 0x%x fault 0x%x", st,
		       tsr_reg(&self->inst, TESSERA_VF_FAULT_CODE));
	}
	EXPECT_EQ(pattern, p[0]);
	EXPECT_EQ(pattern, p[1023]);
}

TEST_F_TIMEOUT(reset, device_advertises_reset, TSR_TEST_TIMEOUT_S)
{
	EXPECT_TRUE(self->inst.info.flags & VFIO_DEVICE_FLAGS_RESET);
}

/* VFIO_DEVICE_RESET clears a fault and the register file to power-on state. */
TEST_F_TIMEOUT(reset, device_reset_clears_fault_and_registers, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;

	fault_the_instance(_metadata, self);
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_ENABLE, TESSERA_CTX_INT_FENCE));
	ASSERT_EQ(0, ioctl(inst->device_fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, tsr_enable_device(inst));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_STATUS) &
		  (TESSERA_VF_STATUS_FAULTED | TESSERA_VF_STATUS_BUSY));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_FAULT_CODE));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_INT_ENABLE));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_INT_STATUS));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_RING_BASE_LO));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_RING_SIZE));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_RING_HEAD));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_RING_TAIL));
	EXPECT_EQ(TESSERA_MAGIC, tsr_reg(inst, TESSERA_VF_MAGIC));
	check_runs(_metadata, self, 0x0badcafe);
}

/* The guest's own VF_RESET register clears the fault too. */
TEST_F_TIMEOUT(reset, vf_reset_register_clears_fault, TSR_TEST_TIMEOUT_S)
{
	fault_the_instance(_metadata, self);
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RESET, 1));
	ASSERT_EQ(0, tsr_wait_status(&self->inst, TESSERA_VF_STATUS_FAULTED, 0,
				     TSR_DEADLINE_MS, NULL));
	check_runs(_metadata, self, 0x600df00d);
}

/*
 * Reset during a long BUSY returns promptly, and the FILL queued behind the
 * BUSY never runs: after the reset a new fence completes with the guest
 * buffer untouched.
 */
TEST_F_TIMEOUT(reset, reset_during_busy_drops_queued_work, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t *p = self->data.va;
	struct tessera_cmd c;
	uint64_t t0;

	memset(p, 0x5a, 8192);
	c = tsr_cmd_busy(5000000);
	tsr_ring_push(&self->ring, &c);
	c = tsr_cmd_fill(DATA_IOVA + 4096, 4096, 0xdddddddd);
	tsr_ring_push(&self->ring, &c);
	tsr_ring_fence_kick(&self->ring, false);
	ASSERT_EQ(0, tsr_wait_status(inst, TESSERA_VF_STATUS_BUSY, TESSERA_VF_STATUS_BUSY,
				     TSR_DEADLINE_MS, NULL));
	t0 = tsr_now_ms();
	ASSERT_EQ(0, ioctl(inst->device_fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, tsr_enable_device(inst));
	TH_LOG("VFIO_DEVICE_RESET during BUSY took %llu ms",
	       (unsigned long long)(tsr_now_ms() - t0));
	EXPECT_EQ(0, tsr_reg(inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_BUSY);
	check_runs(_metadata, self, 0x13579bdf);
	EXPECT_EQ(0x5a5a5a5a, p[1024]);
	EXPECT_EQ(0x5a5a5a5a, p[2047]);
}

TEST_HARNESS_MAIN
