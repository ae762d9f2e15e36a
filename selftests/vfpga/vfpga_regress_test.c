// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the vFPGA isolation findings of issue 10: a region
 * handed from one instance to the next keeps nothing of the first.
 */
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"
#include "vfpga_util.h"

#define IMG_IOVA	0x00100000ull
#define IMG_BYTES	(2ull << 20)
#define PAYLOAD		(64 * 1024)
#define MARK		0xfeedfacecafebeefull

/*
 * Finding 3: RGN_RESET kept a region's function, arguments, result and
 * counters across attach, so the next owner read them through its user
 * page and could start a function it never loaded (nor, for another type,
 * may load). Tenant A loads CRC32 in every region, runs a job and leaves
 * markers in the arguments; tenant B, a new instance on the same regions,
 * finds each region at power-on state and a started job has no function.
 */
TEST(region_state_does_not_pass_to_next_owner)
{
	struct tsr_instance a = { 0 }, b = { 0 };
	struct vf_user_pages up_a = { 0 }, up_b = { 0 };
	struct tsr_dma_buf img = { 0 };
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0 };
	unsigned int r, n, i;
	uint32_t status = 0;
	size_t size;

	ASSERT_EQ(0, tsr_instance_setup(&a, "tessera-vfpga-4"));
	ASSERT_EQ(0, tsr_bar2_map(&a));
	ASSERT_EQ(0, tsr_dma_alloc(&a, &img, IMG_IOVA, IMG_BYTES));
	ASSERT_EQ(0, vf_map_user_pages(&a, &up_a, true));
	n = tsr_reg(&a, TESSERA_VF_NUM_REGIONS);
	ASSERT_GE(n, 1);
	memset(a.bar2, 0x42, 4096);
	for (r = 0; r < n; r++) {
		size = vf_image_build(img.va, TESSERA_FN_CRC32, PAYLOAD, r + 1, VF_IMAGE_GOOD);
		ASSERT_EQ(0, vf_configure(&a, r, IMG_IOVA, size, TSR_DEADLINE_MS, &status));
		ASSERT_EQ(TESSERA_RGN_CFG_LOADED, status);
		args[1] = tsr_vram_dva(0);
		args[3] = 4096;
		vf_job_start(&up_a, r, args);
		ASSERT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(&up_a, r, TSR_DEADLINE_MS));
		ASSERT_NE(0, vf_job_result(&up_a, r));
		/* Markers left in the arguments after the job. */
		for (i = 0; i < TESSERA_RGN_USER_NUM_ARGS * 2; i++)
			vf_user_wr32(&up_a, r, TESSERA_RGN_USER_ARG(0) + i * 4, (uint32_t)MARK);
	}
	vf_unmap_user_pages(&up_a);
	tsr_dma_free(&a, &img);
	tsr_instance_close(&a);
	ASSERT_EQ(0, tsr_instance_remove(&a));

	ASSERT_EQ(0, tsr_instance_setup(&b, "tessera-vfpga-4"));
	ASSERT_EQ(0, vf_map_user_pages(&b, &up_b, true));
	for (r = 0; r < n; r++) {
		EXPECT_EQ(TESSERA_FN_NONE, vf_rgn_reg(&b, r, TESSERA_VF_RGN_FUNCTION));
		EXPECT_EQ(TESSERA_RGN_CFG_EMPTY, vf_rgn_reg(&b, r, TESSERA_VF_RGN_CONFIG_STATUS));
		EXPECT_EQ(0, vf_rgn_reg64(&b, r, TESSERA_VF_RGN_BUSY_NS_LO));
		EXPECT_EQ(0, vf_rgn_reg64(&b, r, TESSERA_VF_RGN_CONFIG_NS_LO));
		for (i = 0; i < TESSERA_RGN_USER_NUM_ARGS * 2; i++)
			EXPECT_EQ(0, vf_user_rd32(&up_b, r, TESSERA_RGN_USER_ARG(0) + i * 4)) {
				TH_LOG("region %u: argument word %u is the last owner's", r, i);
			}
		EXPECT_EQ(0, vf_user_rd32(&up_b, r, TESSERA_RGN_USER_RESULT_LO));
		EXPECT_EQ(0, vf_user_rd32(&up_b, r, TESSERA_RGN_USER_RESULT_HI));
		EXPECT_EQ(0, vf_user_rd32(&up_b, r, TESSERA_RGN_USER_JOBS_DONE));
		EXPECT_EQ(TESSERA_RGN_JOB_IDLE, vf_user_rd32(&up_b, r, TESSERA_RGN_USER_JOB_STATUS));
		/* Nothing loaded by B: a job must not run A's function. */
		vf_user_wr32(&up_b, r, TESSERA_RGN_USER_START, 1);
		EXPECT_EQ(TESSERA_RGN_JOB_NO_FUNCTION,
			  vf_user_rd32(&up_b, r, TESSERA_RGN_USER_JOB_STATUS));
	}
	vf_unmap_user_pages(&up_b);
	tsr_instance_close(&b);
	tsr_instance_remove(&b);
}

TEST_HARNESS_MAIN
