// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "tessera_core": the core API (include/tessera_core.h) alone,
 * on a real card, with no mediator loaded. Built as tessera_core_test.ko
 * when the kernel has KUnit; run in the debug test host by
 * scripts/suites/40-kunit.sh.
 *
 * The suite is a client of the card like any other: an auxiliary driver
 * of "tessera.mdev", the device the card offers the mediator (which must
 * not be loaded). Through the API only it allocates a context with a
 * device-memory slice and page tables, maps a ring, runs a GEMM and a
 * fence and checks the product bit for bit, makes the card fault on an
 * unmapped address and recovers with a context reset, and last unbinds the
 * card and sees its own remove() called before the unbind returns.
 */
#include <kunit/test.h>
#include <linux/auxiliary_bus.h>
#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/module.h>

#include "tessera_core.h"

#define TCT_RING_DVA		0x1000ull
#define TCT_UNMAPPED_DVA	0x200000ull
#define TCT_RING_ENTRIES	TESSERA_RING_MIN_ENTRIES
#define TCT_SLICE		TESSERA_VRAM_GRANULE
#define TCT_WAIT		(10 * HZ)

/* fp32 bit patterns: the card's arithmetic, checked without the FPU. */
#define FP_1	0x3f800000u
#define FP_2	0x40000000u
#define FP_3	0x40400000u
#define FP_4	0x40800000u
#define FP_6	0x40c00000u
#define FP_8	0x41000000u

static struct {
	struct tessera_device *tdev;
	struct completion probed;
	struct completion removed;
	bool remove_called;
} tct;

/* One context of the test, with what it needs to run. */
struct tct_ctx {
	struct tessera_ctx *ctx;
	struct tessera_mmu *mmu;
	u64 slice;
	bool have_slice;
	struct tessera_cmd *ring;
	dma_addr_t ring_dma;
	u32 tail;
	u32 status;
	struct completion fence;
	struct completion fault;
};

static void tct_irq(void *data, u32 status)
{
	struct tct_ctx *c = data;

	c->status |= status;
	if (status & TESSERA_CTX_INT_FENCE)
		complete(&c->fence);
	if (status & TESSERA_CTX_INT_FAULT)
		complete(&c->fault);
}

static void tct_ctx_setup(struct kunit *test, struct tct_ctx *c)
{
	struct device *dev = tessera_card_dev(tct.tdev);

	init_completion(&c->fence);
	init_completion(&c->fault);
	KUNIT_ASSERT_EQ(test, tessera_vram_alloc(tct.tdev, TCT_SLICE, &c->slice), 0);
	c->have_slice = true;
	c->ctx = tessera_ctx_alloc(tct.tdev, TESSERA_CTX_FOR_HOST, tct_irq, c);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->ctx));
	c->mmu = tessera_mmu_create(tct.tdev);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->mmu));
	c->ring = dma_alloc_coherent(dev, TCT_RING_ENTRIES * TESSERA_CMD_SIZE, &c->ring_dma,
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->ring);
	KUNIT_ASSERT_EQ(test, tessera_mmu_map(c->mmu, TCT_RING_DVA, c->ring_dma, false), 0);
	tessera_ctx_program(c->ctx, TCT_RING_DVA, TCT_RING_ENTRIES, tessera_mmu_root(c->mmu),
			    c->slice, TCT_SLICE);
	KUNIT_ASSERT_EQ(test, tessera_ctx_set_weight(c->ctx, 4), 0);
	tessera_ctx_attach(c->ctx);
	c->tail = 0;
}

static void tct_ctx_teardown(struct tct_ctx *c)
{
	if (!IS_ERR_OR_NULL(c->ctx)) {
		tessera_ctx_detach(c->ctx);
		tessera_ctx_disable(c->ctx);
	}
	if (!IS_ERR_OR_NULL(c->mmu) && tessera_mmu_unmap(c->mmu, TCT_RING_DVA) &&
	    !IS_ERR_OR_NULL(c->ctx))
		tessera_ctx_tlb_invalidate(c->ctx);
	if (c->ring)
		dma_free_coherent(tessera_card_dev(tct.tdev), TCT_RING_ENTRIES * TESSERA_CMD_SIZE,
				  c->ring, c->ring_dma);
	if (!IS_ERR_OR_NULL(c->ctx))
		tessera_ctx_free(c->ctx);
	tessera_mmu_destroy(c->mmu);
	if (c->have_slice)
		tessera_vram_free(tct.tdev, c->slice, TCT_SLICE);
}

static void tct_push(struct tct_ctx *c, const struct tessera_cmd *cmd)
{
	c->ring[c->tail % TCT_RING_ENTRIES] = *cmd;
	c->tail++;
}

static void tct_kick(struct tct_ctx *c)
{
	/* The descriptors are in coherent memory: ordered before the tail. */
	wmb();
	tessera_ctx_set_tail(c->ctx, c->tail % TCT_RING_ENTRIES);
	tessera_ctx_kick(c->ctx);
}

static void tct_fence(struct tct_ctx *c, u64 value)
{
	struct tessera_cmd cmd = {
		.opcode = TESSERA_OP_FENCE,
		.flags = TESSERA_FENCE_IRQ,
		.arg = { 0, value },
	};

	tct_push(c, &cmd);
}

static void __iomem *tct_vram(struct tct_ctx *c, u64 off)
{
	return tessera_card_info(tct.tdev)->vram + c->slice + off;
}

/* C = A B for 2x2 fp32 in the slice: A = 2I, B = [1 2; 3 4], C = [2 4; 6 8]. */
static void tessera_core_gemm_and_fence(struct kunit *test)
{
	static const u32 a[4] = { FP_2, 0, 0, FP_2 }, b[4] = { FP_1, FP_2, FP_3, FP_4 };
	static const u32 want[4] = { FP_2, FP_4, FP_6, FP_8 };
	struct tct_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct tessera_cmd gemm = { .opcode = TESSERA_OP_GEMM };
	u32 got[4];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	tct_ctx_setup(test, c);
	for (i = 0; i < 4; i++) {
		writel(a[i], tct_vram(c, 4 * i));
		writel(b[i], tct_vram(c, 0x100 + 4 * i));
		writel(0xdeadbeef, tct_vram(c, 0x200 + 4 * i));
	}
	gemm.arg[0] = TESSERA_DVA_VRAM_BASE;
	gemm.arg[1] = TESSERA_DVA_VRAM_BASE + 0x100;
	gemm.arg[2] = TESSERA_DVA_VRAM_BASE + 0x200;
	gemm.arg[3] = 2;
	gemm.arg[4] = 2;
	gemm.arg[5] = 2;
	tct_push(c, &gemm);
	tct_fence(c, 0x7e55e7a);
	tct_kick(c);

	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&c->fence, TCT_WAIT), 0);
	KUNIT_EXPECT_EQ(test, tessera_ctx_fence(c->ctx), 0x7e55e7aull);
	KUNIT_EXPECT_FALSE(test, c->status & TESSERA_CTX_INT_FAULT);
	KUNIT_EXPECT_EQ(test, tessera_ctx_cmds_done(c->ctx), 2u);
	for (i = 0; i < 4; i++)
		got[i] = readl(tct_vram(c, 0x200 + 4 * i));
	KUNIT_EXPECT_MEMEQ(test, got, want, sizeof(want));
	tct_ctx_teardown(c);
}

/* A command on an unmapped page faults that context; a reset recovers it. */
static void tessera_core_fault_and_reset(struct kunit *test)
{
	struct tct_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct tessera_cmd fill = {
		.opcode = TESSERA_OP_FILL,
		.param = 0x5a5a5a5a,
		.arg = { TCT_UNMAPPED_DVA, TESSERA_PAGE_SIZE },
	};
	struct tessera_ctx_fault fault;

	KUNIT_ASSERT_NOT_NULL(test, c);
	tct_ctx_setup(test, c);
	tct_push(c, &fill);
	tct_kick(c);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&c->fault, TCT_WAIT), 0);
	tessera_ctx_read_fault(c->ctx, &fault);
	KUNIT_EXPECT_EQ(test, fault.code, (u32)TESSERA_FAULT_MMU_MISS);
	KUNIT_EXPECT_EQ(test, fault.index, 0u);
	KUNIT_EXPECT_EQ(test, fault.addr, TCT_UNMAPPED_DVA);
	KUNIT_EXPECT_TRUE(test, tessera_ctx_status(c->ctx) & TESSERA_CTX_STATUS_FAULTED);

	/* Off the engine, reset, programmed again: it runs the next fence. */
	tessera_ctx_detach(c->ctx);
	tessera_ctx_reset(c->ctx);
	KUNIT_EXPECT_FALSE(test, tessera_ctx_status(c->ctx) & TESSERA_CTX_STATUS_FAULTED);
	tessera_ctx_program(c->ctx, TCT_RING_DVA, TCT_RING_ENTRIES, tessera_mmu_root(c->mmu),
			    c->slice, TCT_SLICE);
	tessera_ctx_attach(c->ctx);
	c->tail = 0;
	tct_fence(c, 2);
	tct_kick(c);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&c->fence, TCT_WAIT), 0);
	KUNIT_EXPECT_EQ(test, tessera_ctx_fence(c->ctx), 2ull);
	tct_ctx_teardown(c);
}

/* Last: unbind the card; the client's remove() runs before unbind returns. */
static void tessera_core_removal_callback(struct kunit *test)
{
	struct device *dev = tessera_card_dev(tct.tdev);

	KUNIT_ASSERT_FALSE(test, tct.remove_called);
	get_device(dev);
	device_release_driver(dev);
	KUNIT_EXPECT_TRUE(test, tct.remove_called);
	KUNIT_EXPECT_NULL(test, dev->driver);
	put_device(dev);
}

static int tct_probe(struct auxiliary_device *adev, const struct auxiliary_device_id *id)
{
	tct.tdev = to_tessera_client_dev(adev)->tdev;
	complete(&tct.probed);
	return 0;
}

/* The card going away: every context of the cases is already freed. */
static void tct_remove(struct auxiliary_device *adev)
{
	tct.remove_called = true;
	tct.tdev = NULL;
	complete(&tct.removed);
}

static const struct auxiliary_device_id tct_ids[] = {
	{ .name = "tessera.mdev" },
	{ }
};

static struct auxiliary_driver tct_driver = {
	.name = "core_test",
	.id_table = tct_ids,
	.probe = tct_probe,
	.remove = tct_remove,
};

static int tessera_core_suite_init(struct kunit_suite *suite)
{
	int ret;

	init_completion(&tct.probed);
	init_completion(&tct.removed);
	ret = auxiliary_driver_register(&tct_driver);
	if (ret)
		return ret;
	/* A card bound to tessera, and no mediator holding its device. */
	if (!wait_for_completion_timeout(&tct.probed, TCT_WAIT)) {
		auxiliary_driver_unregister(&tct_driver);
		return -ENODEV;
	}
	return 0;
}

static void tessera_core_suite_exit(struct kunit_suite *suite)
{
	auxiliary_driver_unregister(&tct_driver);
}

static struct kunit_case tessera_core_cases[] = {
	KUNIT_CASE(tessera_core_gemm_and_fence),
	KUNIT_CASE(tessera_core_fault_and_reset),
	KUNIT_CASE(tessera_core_removal_callback),
	{}
};

static struct kunit_suite tessera_core_suite = {
	.name = "tessera_core",
	.suite_init = tessera_core_suite_init,
	.suite_exit = tessera_core_suite_exit,
	.test_cases = tessera_core_cases,
};

kunit_test_suite(tessera_core_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit: the Tessera card's core API on a real card");
MODULE_IMPORT_NS(TESSERA);
