// SPDX-License-Identifier: GPL-2.0
/*
 * A guest (or QEMU on memory hot-unplug, balloon, or VM teardown) takes
 * memory back with VFIO_IOMMU_UNMAP_DMA while the instance has work queued
 * that uses it. The unmap must return, the instance must stop touching those
 * pages, and the card must keep serving the other instance.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(1ull << 20)
#define LONG_BUSY_US	5000000ull

FIXTURE(unmap) {
	struct tsr_instance a, b;
	struct tsr_ring ring_a, ring_b;
	struct tsr_dma_buf data_a, data_b;
};

FIXTURE_SETUP(unmap)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->a, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_instance_setup(&self->b, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_ring_setup(&self->b, &self->ring_b, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &self->data_a, DATA_IOVA, DATA_BYTES));
	ASSERT_EQ(0, tsr_dma_alloc(&self->b, &self->data_b, DATA_IOVA, DATA_BYTES));
}

FIXTURE_TEARDOWN_PARENT(unmap)
{
	tsr_instance_remove(&self->a);
	tsr_instance_remove(&self->b);
}

static void check_b_runs(struct __test_metadata *_metadata, FIXTURE_DATA(unmap) *self)
{
	struct tessera_cmd c = tsr_cmd_fill(DATA_IOVA, 65536, 0x0b0b0b0b);
	uint64_t v;

	tsr_ring_push(&self->ring_b, &c);
	v = tsr_ring_fence_kick(&self->ring_b, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->b, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0, tsr_count_not_byte(self->data_b.va, 65536, 0x0b));
}

/* Queues BUSY then work on A's data pages; waits until the BUSY runs. */
static uint64_t queue_busy_then_fill(struct __test_metadata *_metadata,
				     FIXTURE_DATA(unmap) *self)
{
	struct tessera_cmd c;
	uint64_t v;

	memset(self->data_a.va, 0x5a, DATA_BYTES);
	c = tsr_cmd_busy(LONG_BUSY_US);
	tsr_ring_push(&self->ring_a, &c);
	c = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, 0xdddddddd);
	tsr_ring_push(&self->ring_a, &c);
	c = tsr_cmd_copy(DATA_IOVA + DATA_BYTES / 2, RING_IOVA, 4096);
	tsr_ring_push(&self->ring_a, &c);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_status(&self->a, TESSERA_VF_STATUS_BUSY, TESSERA_VF_STATUS_BUSY,
				     TSR_DEADLINE_MS, NULL));
	return v;
}

/*
 * Unmap A's data while BUSY holds the engine with a FILL of that data
 * queued behind it: the unmap returns, and from then on the pages keep the
 * value the guest left in them.
 */
TEST_F_TIMEOUT(unmap, unmap_during_busy_returns_and_pages_stay_untouched, TSR_TEST_TIMEOUT_S)
{
	uint64_t v, t0, took;
	uint32_t st = 0;
	int ret;

	v = queue_busy_then_fill(_metadata, self);
	ASSERT_NE(v, tsr_reg64(&self->a, TESSERA_VF_FENCE_LO)) {
		TH_LOG("the BUSY ended before the unmap: the test raced nothing");
	}
	t0 = tsr_now_ms();
	ASSERT_EQ(0, tsr_dma_unmap(&self->a, &self->data_a));
	took = tsr_now_ms() - t0;
	TH_LOG("UNMAP_DMA with work queued took %llu ms", (unsigned long long)took);
	/* the guest owns the pages again: its own store must stick */
	memset(self->data_a.va, 0x77, DATA_BYTES);

	/* A either faults or finishes; either way it settles */
	ret = tsr_wait_fence(&self->a, v, LONG_BUSY_US / 1000 + TSR_DEADLINE_MS, &st);
	TH_LOG("A after unmap: %s, status 0x%x fault 0x%x index %u",
	       ret == 0 ? "completed" : ret == -EIO ? "faulted" : "timed out", st,
	       tsr_reg(&self->a, TESSERA_VF_FAULT_CODE),
	       tsr_reg(&self->a, TESSERA_VF_FAULT_INDEX));
	EXPECT_NE(-ETIMEDOUT, ret);
	EXPECT_EQ(0, tsr_count_not_byte(self->data_a.va, DATA_BYTES, 0x77)) {
		TH_LOG("the instance wrote guest pages after UNMAP_DMA returned");
	}
	check_b_runs(_metadata, self);
}

/* After an unmap, the same IOVA backed by new memory reaches only the new memory. */
TEST_F_TIMEOUT(unmap, remap_at_same_iova_reaches_new_memory, TSR_TEST_TIMEOUT_S)
{
	struct tsr_dma_buf fresh;
	struct tessera_cmd c;
	uint8_t *old;
	uint64_t v;

	/* use the mapping once so that the mediator pins and caches it */
	c = tsr_cmd_fill(DATA_IOVA, 65536, 0x11111111);
	tsr_ring_push(&self->ring_a, &c);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	ASSERT_EQ(0, tsr_count_not_byte(self->data_a.va, 65536, 0x11));

	old = self->data_a.va;
	ASSERT_EQ(0, tsr_dma_unmap(&self->a, &self->data_a));
	memset(old, 0x5a, 65536);
	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &fresh, DATA_IOVA, DATA_BYTES));
	memset(fresh.va, 0, 65536);

	c = tsr_cmd_fill(DATA_IOVA, 65536, 0x22222222);
	tsr_ring_push(&self->ring_a, &c);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0, tsr_count_not_byte(fresh.va, 65536, 0x22));
	EXPECT_EQ(0, tsr_count_not_byte(old, 65536, 0x5a)) {
		TH_LOG("a stale translation reached the unmapped memory");
	}
	tsr_dma_free(&self->a, &fresh);
}

/* Unmapping the ring itself while work runs: the unmap returns, B runs on. */
TEST_F_TIMEOUT(unmap, unmap_ring_during_busy, TSR_TEST_TIMEOUT_S)
{
	uint64_t v;
	uint32_t st = 0;
	int ret;

	v = queue_busy_then_fill(_metadata, self);
	ASSERT_EQ(0, tsr_dma_unmap(&self->a, &self->ring_a.mem));
	ASSERT_EQ(0, tsr_dma_unmap(&self->a, &self->data_a));
	memset(self->data_a.va, 0x77, DATA_BYTES);
	/* further doorbells on an unmapped ring must not crash anything */
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_TAIL, 7));
	ret = tsr_wait_fence(&self->a, v, LONG_BUSY_US / 1000 + TSR_DEADLINE_MS, &st);
	EXPECT_NE(-ETIMEDOUT, ret);
	EXPECT_EQ(0, tsr_count_not_byte(self->data_a.va, DATA_BYTES, 0x77));
	check_b_runs(_metadata, self);
	/* A recovers with a reset and fresh memory */
	ASSERT_EQ(0, ioctl(self->a.device_fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, tsr_enable_device(&self->a));
	tsr_ring_free(&self->ring_a);
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, RING_IOVA, 64));
	v = tsr_ring_fence_kick(&self->ring_a, false);
	EXPECT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
}

/* Closing the container (VM exit) with work queued: the host survives. */
TEST_F_TIMEOUT(unmap, container_close_during_busy, TSR_TEST_TIMEOUT_S)
{
	queue_busy_then_fill(_metadata, self);
	memset(self->data_a.va, 0x77, DATA_BYTES);
	tsr_instance_close(&self->a);
	/* B's work runs on the same engines after A's teardown */
	check_b_runs(_metadata, self);
	EXPECT_EQ(0, tsr_count_not_byte(self->data_a.va, DATA_BYTES, 0x77)) {
		TH_LOG("the instance wrote guest pages after its container closed");
	}
	/* and A can be opened again and used */
	ASSERT_EQ(0, tsr_instance_open(&self->a));
	ASSERT_EQ(0, tsr_enable_device(&self->a));
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, 0x200000, 64));
	EXPECT_EQ(0, tsr_wait_fence(&self->a, tsr_ring_fence_kick(&self->ring_a, false),
				    TSR_DEADLINE_MS, NULL));
}

/*
 * Pins come in runs: a doorbell of FILLs over 16 fresh consecutive pages,
 * which lie in two DMA mappings of 8 pages each, pins with one
 * vfio_pin_pages() call. Unmapping the first mapping cuts that run, which
 * goes whole (iommufd unpins a run only as it was pinned): no page of the
 * instance stays pinned, and the second mapping's pages still work, pinned
 * again by one call on their next use.
 */
TEST_F_TIMEOUT(unmap, a_run_is_pinned_by_one_call_and_unpinned_whole, TSR_TEST_TIMEOUT_S)
{
	struct tsr_dma_buf lo, hi;
	long long calls0, calls1, pinned0;
	struct tessera_cmd c;
	const uint64_t base = 0x08000000ull;
	unsigned int i;
	uint64_t v;

	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &lo, base, 8 * 4096));
	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &hi, base + 8 * 4096, 8 * 4096));
	/* The fence's own page first, so that only the FILLs' pages are counted. */
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	pinned0 = tsr_inst_stat(&self->a, "pinned_pages");
	calls0 = tsr_inst_stat(&self->a, "pin_calls");
	for (i = 0; i < 16; i++) {
		c = tsr_cmd_fill(base + i * 4096ull, 4096, 0x11111111 * (i % 15 + 1));
		tsr_ring_push(&self->ring_a, &c);
	}
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	calls1 = tsr_inst_stat(&self->a, "pin_calls");
	/* the 16 pages in one call */
	EXPECT_EQ(calls0 + 1, calls1);
	EXPECT_EQ(pinned0 + 16, tsr_inst_stat(&self->a, "pinned_pages"));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(0, tsr_count_not_byte((uint8_t *)lo.va + i * 4096, 4096,
						0x11 * (i % 15 + 1)));
		EXPECT_EQ(0, tsr_count_not_byte((uint8_t *)hi.va + i * 4096, 4096,
						0x11 * ((i + 8) % 15 + 1)));
	}

	tsr_dma_free(&self->a, &lo);
	EXPECT_EQ(pinned0, tsr_inst_stat(&self->a, "pinned_pages"));

	c = tsr_cmd_fill(base + 8 * 4096, 8 * 4096, 0x77777777);
	tsr_ring_push(&self->ring_a, &c);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0, tsr_count_not_byte(hi.va, 8 * 4096, 0x77));
	EXPECT_EQ(calls1 + 1, tsr_inst_stat(&self->a, "pin_calls"));
	EXPECT_EQ(pinned0 + 8, tsr_inst_stat(&self->a, "pinned_pages"));
	tsr_dma_free(&self->a, &hi);
}

TEST_HARNESS_MAIN
