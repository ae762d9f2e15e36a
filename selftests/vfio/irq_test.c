// SPDX-License-Identifier: GPL-2.0
/*
 * The instance's interrupt, delivered the way QEMU receives it: an eventfd
 * wired with VFIO_DEVICE_SET_IRQS (MSI-X, and MSI: both are offered), signalled
 * when a FENCE with TESSERA_FENCE_IRQ runs or the instance faults, gated by
 * VF_INT_ENABLE.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull

FIXTURE(irq) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	int efd;
};

FIXTURE_VARIANT(irq) {
	unsigned int index;
};

FIXTURE_VARIANT_ADD(irq, msix) { .index = VFIO_PCI_MSIX_IRQ_INDEX };
FIXTURE_VARIANT_ADD(irq, msi) { .index = VFIO_PCI_MSI_IRQ_INDEX };

FIXTURE_SETUP(irq)
{
	int count;

	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-4"));
	/* Both are offered (Documentation/driver.rst): a missing one fails, never skips. */
	count = tsr_irq_count(&self->inst, variant->index);
	if (count != TESSERA_VF_NUM_VECTORS)
		/* The harness tears down only after a completed setup: free the slot now. */
		tsr_instance_teardown(&self->inst);
	ASSERT_EQ(TESSERA_VF_NUM_VECTORS, count) {
		TH_LOG("the instance reports %d %s vectors", count,
		       variant->index == VFIO_PCI_MSIX_IRQ_INDEX ? "MSI-X" : "MSI");
	}
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_GE(self->efd, 0);
	ASSERT_EQ(0, tsr_irq_enable_eventfd(&self->inst, variant->index, self->efd));
}

FIXTURE_TEARDOWN_PARENT(irq)
{
	tsr_instance_remove(&self->inst);
}

/* Nothing is pending yet: reading the eventfd must find it empty. */
static bool eventfd_empty(int efd)
{
	uint64_t n;

	return read(efd, &n, sizeof(n)) < 0 && errno == EAGAIN;
}

/* A FENCE with the IRQ flag signals the eventfd; INT_STATUS says why. */
TEST_F_TIMEOUT(irq, fence_interrupt_signals_eventfd, TSR_TEST_TIMEOUT_S)
{
	uint64_t count = 0, v;

	ASSERT_TRUE(eventfd_empty(self->efd));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_ENABLE,
				   TESSERA_CTX_INT_FENCE));
	v = tsr_ring_fence_kick(&self->ring, true);
	ASSERT_EQ(1, tsr_eventfd_wait(self->efd, TSR_DEADLINE_MS, &count)) {
		TH_LOG("no interrupt within %d ms (status 0x%x fence %llu)",
		       TSR_DEADLINE_MS, tsr_reg(&self->inst, TESSERA_VF_STATUS),
		       (unsigned long long)tsr_reg64(&self->inst, TESSERA_VF_FENCE_LO));
	}
	EXPECT_GE(count, 1);
	/* the interrupt comes after the fence value is visible */
	EXPECT_EQ(v, tsr_reg64(&self->inst, TESSERA_VF_FENCE_LO));
	EXPECT_TRUE(tsr_reg(&self->inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FENCE);
}

/* Each acknowledged fence interrupt is followed by the next one. */
TEST_F_TIMEOUT(irq, interrupts_repeat_after_acknowledge, TSR_TEST_TIMEOUT_S)
{
	uint64_t count;
	int i;

	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_ENABLE,
				   TESSERA_CTX_INT_FENCE));
	for (i = 0; i < 5; i++) {
		uint64_t v = tsr_ring_fence_kick(&self->ring, true);

		ASSERT_EQ(1, tsr_eventfd_wait(self->efd, TSR_DEADLINE_MS, &count)) {
			TH_LOG("interrupt %d missing", i);
		}
		ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
		ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_STATUS,
					   TESSERA_CTX_INT_FENCE));
	}
}

/*
 * With VF_INT_ENABLE clear no interrupt arrives: once the fence is done
 * (so the interrupt would already have been sent) the eventfd is empty.
 */
TEST_F_TIMEOUT(irq, disabled_interrupt_does_not_signal, TSR_TEST_TIMEOUT_S)
{
	uint64_t v;

	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_ENABLE, 0));
	v = tsr_ring_fence_kick(&self->ring, true);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	/* the source latches in INT_STATUS even while disabled */
	ASSERT_EQ(0, tsr_wait_int_status(&self->inst, TESSERA_CTX_INT_FENCE, TSR_DEADLINE_MS));
	EXPECT_TRUE(eventfd_empty(self->efd));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_STATUS, ~0u));
	/* a fence without the IRQ flag is silent even when enabled */
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_ENABLE,
				   TESSERA_CTX_INT_FENCE));
	v = tsr_ring_fence_kick(&self->ring, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	EXPECT_TRUE(eventfd_empty(self->efd));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FENCE);
}

/* A fault interrupts when FAULT is enabled: the guest learns of it at once. */
TEST_F_TIMEOUT(irq, fault_interrupt_signals_eventfd, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd bad = { .opcode = TESSERA_OP_REG_WRITE };
	uint64_t count;

	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_ENABLE,
				   TESSERA_CTX_INT_FAULT));
	tsr_ring_push(&self->ring, &bad);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring));
	ASSERT_EQ(1, tsr_eventfd_wait(self->efd, TSR_DEADLINE_MS, &count));
	EXPECT_TRUE(tsr_reg(&self->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED);
	EXPECT_TRUE(tsr_reg(&self->inst, TESSERA_VF_INT_STATUS) & TESSERA_CTX_INT_FAULT);
}

/* After SET_IRQS with count 0 the eventfd is no longer signalled. */
TEST_F_TIMEOUT(irq, set_irqs_disable_stops_signals, TSR_TEST_TIMEOUT_S)
{
	uint64_t v;

	ASSERT_EQ(0, tsr_irq_disable(&self->inst, variant->index));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_ENABLE,
				   TESSERA_CTX_INT_FENCE));
	v = tsr_ring_fence_kick(&self->ring, true);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	ASSERT_EQ(0, tsr_wait_int_status(&self->inst, TESSERA_CTX_INT_FENCE, TSR_DEADLINE_MS));
	EXPECT_TRUE(eventfd_empty(self->efd));
	/* re-arming delivers again */
	ASSERT_EQ(0, tsr_irq_enable_eventfd(&self->inst, variant->index, self->efd));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_INT_STATUS, ~0u));
	v = tsr_ring_fence_kick(&self->ring, true);
	ASSERT_EQ(1, tsr_eventfd_wait(self->efd, TSR_DEADLINE_MS, &v));
}

/* VFIO's loopback trigger (DATA_NONE) fires the eventfd, as QEMU tests do. */
TEST_F_TIMEOUT(irq, software_trigger_reaches_eventfd, TSR_TEST_TIMEOUT_S)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = variant->index,
		.start = 0,
		.count = 1,
	};
	uint64_t count;

	ASSERT_EQ(0, ioctl(self->inst.device_fd, VFIO_DEVICE_SET_IRQS, &set));
	EXPECT_EQ(1, tsr_eventfd_wait(self->efd, TSR_DEADLINE_MS, &count));
}

TEST_HARNESS_MAIN
