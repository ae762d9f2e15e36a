// SPDX-License-Identifier: GPL-2.0
/*
 * The vGPU bind interface (tessera_hw.h, "The bind interface"): a guest
 * binds scattered pages of its memory at consecutive device addresses and
 * its commands use them as one range.
 *
 * What a guest driver relies on: the pages it names are the pages the card
 * touches, in its order; every malformed request is refused with its own
 * code and changes nothing; commands may use only what is bound, as bound;
 * unbinding, a dma_unmap under a binding and a device reset take the pages
 * away and give back every pin.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull
#define DESC_IOVA	0x00200000ull
#define DATA_IOVA	0x01000000ull
#define OUT_IOVA	0x02000000ull
#define HOLE_IOVA	0x03000000ull	/* never mapped */
#define DATA_PAGES	64
#define PAGE		4096ull
#define BIND		TESSERA_VF_DVA_BIND_BASE

FIXTURE(bind) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf desc, data, out;
	long long pinned_at_start;
	uint64_t fault_addr;		/* VF_FAULT_ADDR of the last refusal */
};

FIXTURE_SETUP(bind)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-2"));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->desc, DESC_IOVA, 4 * PAGE));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA, DATA_PAGES * PAGE));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->out, OUT_IOVA, DATA_PAGES * PAGE));
	self->pinned_at_start = tsr_inst_stat(&self->inst, "pinned_pages");
}

FIXTURE_TEARDOWN_PARENT(bind)
{
	tsr_instance_remove(&self->inst);
}

/* Write a descriptor at DESC_IOVA + @slot * 8 KiB; return its address. */
static uint64_t put_desc(FIXTURE_DATA(bind) *self, unsigned int slot, uint64_t dva,
			 uint32_t num_pages, uint32_t flags, const uint64_t *pages)
{
	struct tessera_vf_bind_desc *d = (void *)((char *)self->desc.va + slot * 2 * PAGE);

	memset(d, 0, TESSERA_VF_BIND_DESC_HEADER);
	d->dva = dva;
	d->num_pages = num_pages;
	d->flags = flags;
	if (num_pages && num_pages <= TESSERA_VF_BIND_MAX_PAGES)
		memcpy(d->pages, pages, num_pages * sizeof(*pages));
	return DESC_IOVA + slot * 2 * PAGE;
}

static uint32_t bind_op(struct tsr_instance *inst, uint64_t addr, uint32_t op)
{
	tsr_reg_write(inst, TESSERA_VF_BIND_ADDR_LO, (uint32_t)addr);
	tsr_reg_write(inst, TESSERA_VF_BIND_ADDR_HI, (uint32_t)(addr >> 32));
	tsr_reg_write(inst, TESSERA_VF_BIND_OP, op);
	return tsr_reg(inst, TESSERA_VF_BIND_STATUS);
}

/* Data pages @first.. in reverse order: page i of the binding is page first + n-1-i. */
static void reversed_pages(uint64_t *pages, unsigned int first, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pages[i] = DATA_IOVA + (first + n - 1 - i) * PAGE;
}

/* Run @c; 0 if it ran to its fence, else the fault code it raised. */
static uint32_t run(FIXTURE_DATA(bind) *self, struct tessera_cmd c)
{
	uint32_t code = 0, index;
	uint64_t v;

	tsr_ring_push(&self->ring, &c);
	v = tsr_ring_fence_kick(&self->ring, false);
	if (tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL) == 0)
		return 0;
	if (tsr_wait_fault(&self->inst, 1000, &code, &index))
		return ~0u;
	self->fault_addr = tsr_reg64(&self->inst, TESSERA_VF_FAULT_ADDR_LO);
	/* Clear the fault so that the next command runs. */
	tsr_reg_write(&self->inst, TESSERA_VF_RESET, 1);
	self->ring.tail = 0;
	return code;
}

TEST_F(bind, the_function_offers_the_bind_interface)
{
	EXPECT_TRUE(tsr_reg(&self->inst, TESSERA_VF_CAPS) & TESSERA_VF_CAP_BIND);
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_PAGES));
	EXPECT_LT(0, tsr_reg(&self->inst, TESSERA_VF_BIND_MAX));
}

/*
 * The card writes page i of a binding into the i-th page the descriptor
 * names: FILL each bound page with its index, read the guest pages back in
 * the descriptor's (reversed) order; a COPY out of the binding to guest DMA
 * memory sees the same.
 */
TEST_F(bind, scattered_pages_are_one_range_in_their_order)
{
	uint64_t pages[DATA_PAGES];
	unsigned int i;

	reversed_pages(pages, 0, DATA_PAGES);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, DATA_PAGES,
						   TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(1, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(DATA_PAGES, tsr_reg(&self->inst, TESSERA_VF_BIND_PAGES));
	EXPECT_EQ(self->pinned_at_start + DATA_PAGES,
		  tsr_inst_stat(&self->inst, "pinned_pages"));

	for (i = 0; i < DATA_PAGES; i++)
		ASSERT_EQ(0, run(self, tsr_cmd_fill(BIND + i * PAGE, PAGE, 0x01010101u * i)));
	for (i = 0; i < DATA_PAGES; i++)
		EXPECT_EQ(0, tsr_count_not_byte((char *)self->data.va + (DATA_PAGES - 1 - i) * PAGE,
						PAGE, (uint8_t)i));
	/* One command across all 64 bound pages. */
	ASSERT_EQ(0, run(self, tsr_cmd_copy(OUT_IOVA, BIND, DATA_PAGES * PAGE)));
	for (i = 0; i < DATA_PAGES; i++)
		EXPECT_EQ(0, tsr_count_not_byte((char *)self->out.va + i * PAGE, PAGE,
						(uint8_t)i));
}

/* Two adjacent bindings are one range; a gap after them is not. */
TEST_F(bind, adjacent_bindings_join_and_gaps_are_refused)
{
	uint64_t pages[8];
	uint32_t code;

	reversed_pages(pages, 0, 8);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, 8, TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	reversed_pages(pages, 8, 8);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 1, BIND + 8 * PAGE, 8,
						   TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	/* Bound pages 4..11: data pages 3..0 of the first binding, 15..12 of the second. */
	EXPECT_EQ(0, run(self, tsr_cmd_fill(BIND + 4 * PAGE, 8 * PAGE, 0x77777777)));
	EXPECT_EQ(0, tsr_count_not_byte(self->data.va, 4 * PAGE, 0x77));
	EXPECT_EQ(0, tsr_count_not_byte((char *)self->data.va + 12 * PAGE, 4 * PAGE, 0x77));
	EXPECT_EQ(0, tsr_count_not_byte((char *)self->data.va + 4 * PAGE, 8 * PAGE, 0));

	memset(self->data.va, 0, 16 * PAGE);
	code = run(self, tsr_cmd_fill(BIND + 12 * PAGE, 8 * PAGE, 0x66666666));
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE, code);
	EXPECT_EQ(BIND + 16 * PAGE, self->fault_addr);
	/* Refused before the card ran any of it. */
	EXPECT_EQ(0, tsr_count_not_byte(self->data.va, 16 * PAGE, 0));
}

/* Unbound, read-only or straddling: the mediator refuses, the card never sees it. */
TEST_F(bind, commands_use_only_what_is_bound_as_bound)
{
	uint64_t pages[4];

	reversed_pages(pages, 0, 4);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, 4, 0, pages),
			     TESSERA_VF_BIND_OP_MAP));
	memset(self->data.va, 0x11, 4 * PAGE);
	EXPECT_EQ(0, run(self, tsr_cmd_copy(OUT_IOVA, BIND, 4 * PAGE)));
	EXPECT_EQ(0, tsr_count_not_byte(self->out.va, 4 * PAGE, 0x11));
	/* A read-only binding. */
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE, run(self, tsr_cmd_fill(BIND, PAGE, 0x22222222)));
	EXPECT_EQ(0, tsr_count_not_byte(self->data.va, 4 * PAGE, 0x11));
	/* Nothing bound there. */
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE,
		  run(self, tsr_cmd_copy(OUT_IOVA, BIND + 1024 * PAGE, PAGE)));
	/* Guest DMA memory and the bind space in one range. */
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE, run(self, tsr_cmd_copy(OUT_IOVA, BIND - PAGE, 2 * PAGE)));
	/* A batch must come from guest DMA memory. */
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE, run(self, tsr_cmd_batch(BIND, 1)));
}

/* Every malformed request has its own code, leaves nothing bound, and the ring runs on. */
TEST_F(bind, every_bad_request_is_refused_with_its_code)
{
	uint64_t pages[TESSERA_VF_BIND_MAX_PAGES + 1], desc;
	struct tessera_vf_bind_desc *d;
	unsigned int i;

	for (i = 0; i <= TESSERA_VF_BIND_MAX_PAGES; i++)
		pages[i] = DATA_IOVA + (i % DATA_PAGES) * PAGE;
	/* A live binding to overlap. */
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND + 16 * PAGE, 4, 0, pages),
			     TESSERA_VF_BIND_OP_MAP));

	EXPECT_EQ(TESSERA_VF_BIND_ERR_OP, bind_op(&self->inst, DESC_IOVA, 0));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_OP, bind_op(&self->inst, DESC_IOVA, 4));
	desc = put_desc(self, 1, BIND, 1, 0, pages);
	EXPECT_EQ(TESSERA_VF_BIND_ERR_DESC, bind_op(&self->inst, desc + 4, TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_DESC, bind_op(&self->inst, HOLE_IOVA, TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_DESC, bind_op(&self->inst, BIND, TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RESERVED,
		  bind_op(&self->inst, put_desc(self, 1, BIND, 1, 2, pages), TESSERA_VF_BIND_OP_MAP));
	desc = put_desc(self, 1, BIND, 1, 0, pages);
	d = (void *)((char *)self->desc.va + 2 * PAGE);
	d->reserved[1] = 1;
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RESERVED, bind_op(&self->inst, desc, TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RANGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND, 0, 0, pages), TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RANGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND, TESSERA_VF_BIND_MAX_PAGES + 1, 0, pages),
			  TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RANGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND + 8, 1, 0, pages), TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RANGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND - PAGE, 1, 0, pages),
			  TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_RANGE,
		  bind_op(&self->inst, put_desc(self, 1, TESSERA_VF_DVA_GUEST_LIMIT - PAGE, 2, 0, pages),
			  TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_OVERLAP,
		  bind_op(&self->inst, put_desc(self, 1, BIND + 19 * PAGE, 2, 0, pages),
			  TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_OVERLAP,
		  bind_op(&self->inst, put_desc(self, 1, BIND + 8 * PAGE, 64, 0, pages),
			  TESSERA_VF_BIND_OP_MAP));

	/* A bad page: refused with its index, the pages before it let go again. */
	pages[5] = HOLE_IOVA;
	EXPECT_EQ(TESSERA_VF_BIND_ERR_PAGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND, 8, 0, pages), TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(5, tsr_reg(&self->inst, TESSERA_VF_BIND_ERR_INDEX));
	pages[5] = DATA_IOVA + 5 * PAGE + 8;
	EXPECT_EQ(TESSERA_VF_BIND_ERR_PAGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND, 8, 0, pages), TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(5, tsr_reg(&self->inst, TESSERA_VF_BIND_ERR_INDEX));
	pages[5] = BIND;
	EXPECT_EQ(TESSERA_VF_BIND_ERR_PAGE,
		  bind_op(&self->inst, put_desc(self, 1, BIND, 8, 0, pages), TESSERA_VF_BIND_OP_MAP));
	pages[5] = DATA_IOVA + 5 * PAGE;

	EXPECT_EQ(TESSERA_VF_BIND_ERR_NOT_BOUND,
		  bind_op(&self->inst, BIND + 17 * PAGE, TESSERA_VF_BIND_OP_UNMAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_NOT_BOUND, bind_op(&self->inst, BIND, TESSERA_VF_BIND_OP_UNMAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_NOT_BOUND,
		  bind_op(&self->inst, BIND + 16 * PAGE + 1, TESSERA_VF_BIND_OP_UNMAP));

	/* Nothing of it stuck: one binding of 4 pages, its pins only. */
	EXPECT_EQ(1, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(4, tsr_reg(&self->inst, TESSERA_VF_BIND_PAGES));
	EXPECT_EQ(self->pinned_at_start + 4, tsr_inst_stat(&self->inst, "pinned_pages"));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED);
	memset(self->out.va, 0, PAGE);
	EXPECT_EQ(0, run(self, tsr_cmd_fill(OUT_IOVA, PAGE, 0x5a5a5a5a)));
	EXPECT_EQ(0, tsr_count_not_byte(self->out.va, PAGE, 0x5a));
}

/* Unbind, unbind-all, a dma_unmap under a binding, a device reset: pins come back. */
TEST_F(bind, every_way_out_gives_the_pages_back)
{
	uint64_t pages[16];

	reversed_pages(pages, 0, 16);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, 16, TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	ASSERT_EQ(0, bind_op(&self->inst, BIND, TESSERA_VF_BIND_OP_UNMAP));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(self->pinned_at_start, tsr_inst_stat(&self->inst, "pinned_pages"));
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE, run(self, tsr_cmd_fill(BIND, PAGE, 1)));

	/* The same device addresses may be bound again, to other pages. */
	reversed_pages(pages, 16, 16);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, 16, TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 1, BIND + 64 * PAGE, 16,
						   TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	ASSERT_EQ(0, bind_op(&self->inst, 0, TESSERA_VF_BIND_OP_UNMAP_ALL));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_PAGES));
	EXPECT_EQ(self->pinned_at_start, tsr_inst_stat(&self->inst, "pinned_pages"));

	/* VF_RESET keeps bindings. */
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, 16, TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	tsr_reg_write(&self->inst, TESSERA_VF_RESET, 1);
	self->ring.tail = 0;
	EXPECT_EQ(1, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(0, run(self, tsr_cmd_fill(BIND, 16 * PAGE, 0x33333333)));
	EXPECT_EQ(0, tsr_count_not_byte((char *)self->data.va + 16 * PAGE, 16 * PAGE, 0x33));

	/* The guest takes back the memory under it: the whole binding goes. */
	ASSERT_EQ(0, tsr_dma_unmap(&self->inst, &self->data));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_PAGES));
	EXPECT_EQ(TESSERA_VF_REJECT_RANGE, run(self, tsr_cmd_fill(BIND, PAGE, 1)));
}

/* A device reset (as a guest reboot makes QEMU do) drops every binding. */
TEST_F(bind, a_device_reset_drops_every_binding)
{
	uint64_t pages[16];

	reversed_pages(pages, 0, 16);
	ASSERT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND, 16, TESSERA_VF_BIND_WRITE, pages),
			     TESSERA_VF_BIND_OP_MAP));
	ASSERT_EQ(0, ioctl(self->inst.device_fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_BIND_STATUS));
	EXPECT_EQ(0, tsr_inst_stat(&self->inst, "pinned_pages"));
}

/* max_bindings is the bound: one more is refused, one fewer is taken. */
TEST_F(bind, the_binding_count_is_bounded)
{
	const char *param = "/sys/module/tessera_mdev/parameters/max_bindings";
	uint64_t page = DATA_IOVA;
	char old[32];
	unsigned int i;

	ASSERT_EQ(0, tsr_sysfs_read(param, old, sizeof(old)));
	ASSERT_EQ(0, tsr_sysfs_write(param, "8"));
	EXPECT_EQ(8, tsr_reg(&self->inst, TESSERA_VF_BIND_MAX));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0, bind_op(&self->inst, put_desc(self, 0, BIND + i * 2 * PAGE, 1, 0, &page),
				     TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(TESSERA_VF_BIND_ERR_TOO_MANY,
		  bind_op(&self->inst, put_desc(self, 0, BIND + 64 * PAGE, 1, 0, &page),
			  TESSERA_VF_BIND_OP_MAP));
	EXPECT_EQ(8, tsr_reg(&self->inst, TESSERA_VF_BIND_COUNT));
	ASSERT_EQ(0, tsr_sysfs_write(param, old));
}

TEST_HARNESS_MAIN
