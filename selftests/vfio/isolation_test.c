// SPDX-License-Identifier: GPL-2.0
/*
 * Two instances on one card, each opened in its own container as two VMs
 * would be: neither sees the other's device memory or guest memory, a new
 * instance starts with a zeroed slice, and a command that addresses outside
 * its own window is rejected by the mediator before it reaches the card
 * (the mediator's own reject code and counter, not a card fault).
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(1ull << 20)

FIXTURE(iso) {
	struct tsr_instance a, b;
	struct tsr_ring ring_a, ring_b;
	struct tsr_dma_buf data_a, data_b;
};

FIXTURE_VARIANT(iso) {
	const char *type;
};

FIXTURE_VARIANT_ADD(iso, vgpu2) { .type = "tessera-vgpu-2" };
FIXTURE_VARIANT_ADD(iso, vgpu8) { .type = "tessera-vgpu-8" };

FIXTURE_SETUP(iso)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->a, variant->type));
	ASSERT_EQ(0, tsr_instance_setup(&self->b, variant->type));
	ASSERT_EQ(0, tsr_bar2_map(&self->a));
	ASSERT_EQ(0, tsr_bar2_map(&self->b));
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_ring_setup(&self->b, &self->ring_b, RING_IOVA, 64));
	/* the same IOVA in both containers, backed by different memory */
	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &self->data_a, DATA_IOVA, DATA_BYTES));
	ASSERT_EQ(0, tsr_dma_alloc(&self->b, &self->data_b, DATA_IOVA, DATA_BYTES));
}

FIXTURE_TEARDOWN_PARENT(iso)
{
	tsr_instance_remove(&self->a);
	tsr_instance_remove(&self->b);
}

/* B still runs a FILL into its own slice and its guest memory. */
static void check_b_runs(struct __test_metadata *_metadata, FIXTURE_DATA(iso) *self)
{
	struct tessera_cmd c;
	uint64_t v;

	c = tsr_cmd_fill(DATA_IOVA + DATA_BYTES - 4096, 4096, 0x0b0b0b0b);
	tsr_ring_push(&self->ring_b, &c);
	c = tsr_cmd_fill(tsr_vram_dva(self->b.bar2_size - 4096), 4096, 0x0b0b0b0b);
	tsr_ring_push(&self->ring_b, &c);
	v = tsr_ring_fence_kick(&self->ring_b, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->b, v, TSR_DEADLINE_MS, NULL));
	tsr_log_first_diff("B's FILL of its last guest page",
			   (uint8_t *)self->data_b.va + DATA_BYTES - 4096, 4096, 0x0b);
	EXPECT_EQ(0, tsr_count_not_byte((uint8_t *)self->data_b.va + DATA_BYTES - 4096,
				    4096, 0x0b));
	EXPECT_EQ(0, tsr_count_not_byte((uint8_t *)self->b.bar2 + self->b.bar2_size - 4096,
				    4096, 0x0b));
}

/*
 * Submits one command on A; expects the mediator to have rejected it with
 * @want_code (a TESSERA_VF_REJECT_*) at that index before it reached the
 * card: A's rejects counter +1, its card_faults unchanged. A card fault
 * (the card's own window check) would mean the audit let it through.
 */
static void expect_a_rejected(struct __test_metadata *_metadata, FIXTURE_DATA(iso) *self,
			      const struct tessera_cmd *cmd, uint32_t want_code)
{
	struct tessera_cmd nop = tsr_cmd_nop();
	uint32_t code = 0, index = 0, at;
	long long rejects = tsr_inst_stat(&self->a, "rejects");
	long long card_faults = tsr_inst_stat(&self->a, "card_faults");

	ASSERT_LE(0, rejects);
	ASSERT_LE(0, card_faults);
	tsr_ring_push(&self->ring_a, &nop);
	at = tsr_ring_push(&self->ring_a, cmd);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring_a));
	ASSERT_EQ(0, tsr_wait_fault(&self->a, TSR_DEADLINE_MS, &code, &index));
	EXPECT_EQ(want_code, code) {
		TH_LOG("opcode 0x%x arg0 0x%llx: fault code 0x%x, want the mediator's 0x%x%s",
		       cmd->opcode, (unsigned long long)cmd->arg[0], code, want_code,
		       code && code < TESSERA_VF_REJECT_BASE ?
		       " (a card fault: the audit let the command through)" : "");
	}
	EXPECT_EQ(at, index);
	ASSERT_EQ(0, tsr_wait_status(&self->a, TESSERA_VF_STATUS_BUSY, 0, TSR_DEADLINE_MS,
				     NULL));
	EXPECT_EQ(rejects + 1, tsr_inst_stat(&self->a, "rejects"));
	EXPECT_EQ(card_faults, tsr_inst_stat(&self->a, "card_faults")) {
		TH_LOG("opcode 0x%x arg0 0x%llx reached the card and faulted there",
		       cmd->opcode, (unsigned long long)cmd->arg[0]);
	}
	/* clear A for the next attempt: reset restarts its ring at 0 */
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RESET, 1));
	ASSERT_EQ(0, tsr_wait_status(&self->a, TESSERA_VF_STATUS_FAULTED, 0,
				     TSR_DEADLINE_MS, NULL));
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_BASE_LO, (uint32_t)RING_IOVA));
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_BASE_HI, RING_IOVA >> 32));
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_SIZE, 64));
	self->ring_a.tail = tsr_reg(&self->a, TESSERA_VF_RING_HEAD);
}

/* A new instance never sees what the previous owner of its slice left. */
TEST_F_TIMEOUT(iso, new_instance_bar2_is_zeroed, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance c;
	char uuid_a[40];

	EXPECT_EQ(0, tsr_count_not_byte(self->a.bar2, self->a.bar2_size, 0));
	EXPECT_EQ(0, tsr_count_not_byte(self->b.bar2, self->b.bar2_size, 0));
	memset(self->a.bar2, 0xa5, self->a.bar2_size);
	/* remove A and create another instance of the same type in its place */
	strcpy(uuid_a, self->a.uuid);
	tsr_ring_free(&self->ring_a);
	tsr_dma_free(&self->a, &self->data_a);
	tsr_instance_teardown(&self->a);
	ASSERT_EQ(0, tsr_instance_setup(&c, variant->type));
	ASSERT_EQ(0, tsr_bar2_map(&c));
	EXPECT_EQ(0, tsr_count_not_byte(c.bar2, c.bar2_size, 0)) {
		TH_LOG("instance %s sees data left by removed instance %s",
		       c.uuid, uuid_a);
	}
	tsr_instance_teardown(&c);
}

/*
 * A hardware context freed by a removed instance and reused by a new one
 * must not keep the old tenant's translations: the same IOVA, now backed by
 * the new tenant's memory, reaches only that memory.
 */
TEST_F_TIMEOUT(iso, reused_context_reaches_only_new_guest_memory, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance c;
	struct tsr_ring ring_c;
	struct tsr_dma_buf data_c;
	struct tessera_cmd cmd;
	uint8_t *old = self->data_a.va;
	uint64_t v;
	int round;

	/* A touches every page of its buffer, so that all are translated */
	cmd = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, 0x11111111);
	tsr_ring_push(&self->ring_a, &cmd);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	ASSERT_EQ(0, tsr_count_not_byte(old, DATA_BYTES, 0x11));
	/* A goes away; its memory stays in this process, as a sentinel */
	tsr_instance_teardown(&self->a);
	memset(old, 0x5a, DATA_BYTES);

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, tsr_instance_setup(&c, variant->type));
		ASSERT_EQ(0, tsr_ring_setup(&c, &ring_c, RING_IOVA, 64));
		ASSERT_EQ(0, tsr_dma_alloc(&c, &data_c, DATA_IOVA, DATA_BYTES));
		cmd = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, 0x22222222);
		tsr_ring_push(&ring_c, &cmd);
		v = tsr_ring_fence_kick(&ring_c, false);
		ASSERT_EQ(0, tsr_wait_fence(&c, v, TSR_DEADLINE_MS, NULL));
		tsr_log_first_diff("new tenant's buffer", data_c.va, DATA_BYTES, 0x22);
		tsr_log_first_diff("old tenant's freed buffer", old, DATA_BYTES, 0x5a);
		EXPECT_EQ(0, tsr_count_not_byte(data_c.va, DATA_BYTES, 0x22));
		EXPECT_EQ(0, tsr_count_not_byte(old, DATA_BYTES, 0x5a)) {
			TH_LOG("round %d: the card wrote memory of a removed instance", round);
		}
		tsr_instance_teardown(&c);
		munmap(data_c.va, DATA_BYTES);
		munmap(ring_c.mem.va, ring_c.mem.size);
	}
}

/*
 * Both instances busy at once (so the scheduler shares and switches the
 * engines): each one's fence still comes only after its own FILL landed.
 */
TEST_F_TIMEOUT(iso, fences_order_after_writes_under_contention, TSR_TEST_TIMEOUT_S)
{
	const size_t bytes = 512 * 1024;
	int round;

	for (round = 1; round <= 6; round++) {
		struct tessera_cmd busy = tsr_cmd_busy(2000);
		struct tessera_cmd fa = tsr_cmd_fill(DATA_IOVA, bytes, 0x01010101u * round);
		struct tessera_cmd fb = tsr_cmd_fill(DATA_IOVA, bytes, 0x11111111u * round);
		uint64_t va, vb;
		size_t late_a, late_b;
		int i;

		for (i = 0; i < 4; i++) {
			tsr_ring_push(&self->ring_a, &busy);
			tsr_ring_push(&self->ring_b, &busy);
		}
		tsr_ring_push(&self->ring_a, &fa);
		tsr_ring_push(&self->ring_b, &fb);
		va = tsr_ring_fence_kick(&self->ring_a, false);
		vb = tsr_ring_fence_kick(&self->ring_b, false);
		ASSERT_EQ(0, tsr_wait_fence(&self->a, va, TSR_DEADLINE_MS, NULL));
		late_a = tsr_count_not_byte(self->data_a.va, bytes, round);
		ASSERT_EQ(0, tsr_wait_fence(&self->b, vb, TSR_DEADLINE_MS, NULL));
		late_b = tsr_count_not_byte(self->data_b.va, bytes, 0x11 * round);
		if (late_a)
			tsr_log_first_diff("A's FILL behind its fence", self->data_a.va, bytes, round);
		if (late_b)
			tsr_log_first_diff("B's FILL behind its fence", self->data_b.va, bytes,
					   0x11 * round);
		EXPECT_EQ(0, late_a) {
			TH_LOG("round %d: %zu of A's bytes missing at its fence", round, late_a);
		}
		EXPECT_EQ(0, late_b) {
			TH_LOG("round %d: %zu of B's bytes missing at its fence", round, late_b);
		}
	}
}

/* Writes to one slice never appear in the other. */
TEST_F_TIMEOUT(iso, slices_are_disjoint, TSR_TEST_TIMEOUT_S)
{
	memset(self->b.bar2, 0, self->b.bar2_size);
	memset(self->a.bar2, 0xa5, self->a.bar2_size);
	EXPECT_EQ(0, tsr_count_not_byte(self->b.bar2, self->b.bar2_size, 0));
}

/* The same IOVA in two containers is two different memories. */
TEST_F_TIMEOUT(iso, same_iova_reaches_only_own_guest_memory, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd c = tsr_cmd_fill(DATA_IOVA, 65536, 0xaaaaaaaa);
	uint64_t v;

	memset(self->data_b.va, 0x5b, 65536);
	tsr_ring_push(&self->ring_a, &c);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0, tsr_count_not_byte(self->data_a.va, 65536, 0xaa));
	EXPECT_EQ(0, tsr_count_not_byte(self->data_b.va, 65536, 0x5b));
	check_b_runs(_metadata, self);
}

/*
 * Every way of pointing past the end of A's window is rejected by the
 * mediator at the offending ring index (TESSERA_VF_REJECT_RANGE; a length
 * past the card's transfer bound fails the bounds check first,
 * TESSERA_VF_REJECT_BOUNDS), B's slice keeps its data, and B runs on.
 */
TEST_F_TIMEOUT(iso, command_outside_own_window_is_rejected, TSR_TEST_TIMEOUT_S)
{
	uint64_t size = self->a.bar2_size;
	const struct {
		struct tessera_cmd cmd;
		uint32_t code;
	} attempts[] = {
		/* one past the end */
		{ tsr_cmd_fill(tsr_vram_dva(size), 4, 0xeeeeeeee), TESSERA_VF_REJECT_RANGE },
		/* straddling the end */
		{ tsr_cmd_fill(tsr_vram_dva(size - 4), 8, 0xeeeeeeee), TESSERA_VF_REJECT_RANGE },
		/* a whole neighbour's worth beyond */
		{ tsr_cmd_fill(tsr_vram_dva(size * 2), 4096, 0xeeeeeeee), TESSERA_VF_REJECT_RANGE },
		/* just below the window */
		{ tsr_cmd_fill(TESSERA_DVA_VRAM_BASE - 4, 4, 0xeeeeeeee), TESSERA_VF_REJECT_RANGE },
		/* reading beyond the window into guest memory */
		{ tsr_cmd_copy(DATA_IOVA, tsr_vram_dva(size), 4096), TESSERA_VF_REJECT_RANGE },
		/* a length that wraps the address space (and is past the transfer bound) */
		{ tsr_cmd_copy(tsr_vram_dva(0), DATA_IOVA, 0xfffffffffffff000ull),
		  TESSERA_VF_REJECT_BOUNDS },
		/* GEMM whose C runs off the end */
		{ tsr_cmd_gemm(DATA_IOVA, DATA_IOVA, tsr_vram_dva(size - 64), 16, 16, 16, false),
		  TESSERA_VF_REJECT_RANGE },
		/* a fence past the end */
		{ tsr_cmd_fence(tsr_vram_dva(size), 1, false), TESSERA_VF_REJECT_RANGE },
	};
	unsigned int i;

	memset(self->b.bar2, 0x3c, self->b.bar2_size);
	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		TH_LOG("attempt %u", i);
		expect_a_rejected(_metadata, self, &attempts[i].cmd, attempts[i].code);
		ASSERT_EQ(0, tsr_count_not_byte(self->b.bar2, self->b.bar2_size - 4096, 0x3c)) {
			TH_LOG("attempt %u changed B's slice", i);
		}
	}
	check_b_runs(_metadata, self);
}

/* Guest addresses A never mapped, or the host's reserved top, are rejected. */
TEST_F_TIMEOUT(iso, unmapped_and_reserved_guest_addresses_are_rejected, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd attempts[] = {
		tsr_cmd_fill(DATA_IOVA + DATA_BYTES, 4096, 0xeeeeeeee),
		tsr_cmd_fill(DATA_IOVA + DATA_BYTES - 4, 8, 0xeeeeeeee),
		tsr_cmd_fill(0, 4096, 0xeeeeeeee),
		tsr_cmd_fill(TESSERA_VF_DVA_GUEST_LIMIT, 4096, 0xeeeeeeee),
		tsr_cmd_fill(TESSERA_VF_DVA_GUEST_LIMIT - 4, 8, 0xeeeeeeee),
		tsr_cmd_copy(DATA_IOVA, TESSERA_VF_DVA_GUEST_LIMIT + 65536, 4096),
		tsr_cmd_fill(TESSERA_DVA_PAGED_LIMIT, 4096, 0xeeeeeeee),
		tsr_cmd_batch(DATA_IOVA + DATA_BYTES, 1),
	};
	unsigned int i;

	for (i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		TH_LOG("attempt %u", i);
		expect_a_rejected(_metadata, self, &attempts[i], TESSERA_VF_REJECT_RANGE);
	}
	check_b_runs(_metadata, self);
}

TEST_HARNESS_MAIN
