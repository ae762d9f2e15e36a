// SPDX-License-Identifier: GPL-2.0
/*
 * vFPGA instances through VFIO, as a guest driver uses them: the identity
 * and layout a guest discovers, reconfiguration trapped and validated by
 * the host (every refusal with its own status, the region keeping its
 * function), jobs started on the user pages mapped straight through and
 * computing what the CPU computes, DMA confined to the instance, and two
 * instances' regions running side by side.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"
#include "vfpga_util.h"

#define IMG_IOVA	0x00100000ull
#define IMG_BYTES	(2ull << 20)
#define UNMAPPED_IOVA	0x40000000ull
#define PAYLOAD		(64 * 1024)
#define JOB_MS		TSR_DEADLINE_MS

/* tessera.ko's vfpga_share: 1 = regions owned outright, user pages mapped. */
static unsigned int vfpga_share(void)
{
	char buf[16];

	if (tsr_sysfs_read("/sys/module/tessera_mdev/parameters/vfpga_share", buf, sizeof(buf)))
		return 1;
	return strtoul(buf, NULL, 10);
}

static const char *type_dir(unsigned int regions)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "tessera-vfpga-%u", regions);
	return buf;
}

/* Loads function @fn into @region; expects @want as the status. */
static void load(struct __test_metadata *_metadata, struct tsr_instance *inst,
		 struct tsr_dma_buf *img, unsigned int region, uint32_t fn,
		 enum vf_image_flaw flaw, uint32_t want)
{
	size_t size = vf_image_build(img->va, fn, PAYLOAD, fn * 7 + region, flaw);
	uint32_t status = 0;

	ASSERT_EQ(0, vf_configure(inst, region, img->iova, size, TSR_DEADLINE_MS, &status));
	EXPECT_EQ(want, status) {
		TH_LOG("region %u, function %u, flaw %d: status %u, want %u", region, fn,
		       flaw, status, want);
	}
}

/* VADD of @count floats in the slice: dst = a + b, checked against the CPU. */
static void check_vadd(struct __test_metadata *_metadata, struct tsr_instance *inst,
		       struct vf_user_pages *up, unsigned int region, unsigned int count,
		       float bias)
{
	float *a = inst->bar2, *b = a + count, *dst = b + count;
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = {
		tsr_vram_dva(2ull * count * 4), tsr_vram_dva(0), tsr_vram_dva(count * 4ull), count,
	};
	unsigned int i, wrong = 0;

	for (i = 0; i < count; i++) {
		a[i] = i * 0.5f + bias;
		b[i] = 1000.0f - i;
		dst[i] = -1;
	}
	vf_job_start(up, region, args);
	ASSERT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(up, region, JOB_MS));
	for (i = 0; i < count; i++)
		wrong += dst[i] != a[i] + b[i];
	EXPECT_EQ(0, wrong);
}

/* CRC32 of @bytes of the slice, checked against the CPU. */
static void check_crc32(struct __test_metadata *_metadata, struct tsr_instance *inst,
			struct vf_user_pages *up, unsigned int region, uint64_t off,
			size_t bytes, uint32_t seed)
{
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(off), 0, bytes };
	uint32_t *p = (uint32_t *)((uint8_t *)inst->bar2 + off), x = seed | 1;
	size_t i;

	for (i = 0; i < bytes / 4; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
	vf_job_start(up, region, args);
	ASSERT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(up, region, JOB_MS));
	EXPECT_EQ(vf_crc32(p, bytes), (uint32_t)vf_job_result(up, region));
}

/* ---- one instance ---- */

FIXTURE(vfpga) {
	struct tsr_instance inst;
	struct tsr_dma_buf img;
	struct vf_user_pages up;
	unsigned int regions;
};

FIXTURE_VARIANT(vfpga) {
	unsigned int regions;
	uint32_t functions;
};

FIXTURE_VARIANT_ADD(vfpga, vfpga1) {
	.regions = 1,
	.functions = 1u << TESSERA_FN_VADD | 1u << TESSERA_FN_CRC32,
};

FIXTURE_VARIANT_ADD(vfpga, vfpga2) {
	.regions = 2,
	.functions = 1u << TESSERA_FN_VADD | 1u << TESSERA_FN_CRC32 | 1u << TESSERA_FN_GEMM_TILE,
};

FIXTURE_SETUP(vfpga)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, type_dir(variant->regions)));
	ASSERT_EQ(0, tsr_bar2_map(&self->inst));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->img, IMG_IOVA, IMG_BYTES));
	ASSERT_EQ(0, vf_map_user_pages(&self->inst, &self->up, true));
	self->regions = variant->regions;
}

FIXTURE_TEARDOWN_PARENT(vfpga)
{
	tsr_instance_remove(&self->inst);
}

/* The guest sees a vFPGA function: its id, capabilities and BAR0 layout. */
TEST_F(vfpga, identity_and_layout)
{
	struct tsr_instance *inst = &self->inst;
	uint64_t bar0 = inst->region[VFIO_PCI_BAR0_REGION_INDEX].size;
	void *p;

	EXPECT_EQ(TESSERA_PCI_VENDOR_ID, tsr_cfg_read16(inst, 0));
	EXPECT_EQ(TESSERA_PCI_DEVICE_VFPGA, tsr_cfg_read16(inst, 2));
	EXPECT_EQ(TESSERA_MAGIC, tsr_reg(inst, TESSERA_VF_MAGIC));
	EXPECT_EQ(TESSERA_VF_CAP_REGIONS, tsr_reg(inst, TESSERA_VF_CAPS));
	EXPECT_EQ(variant->regions, tsr_reg(inst, TESSERA_VF_NUM_REGIONS));
	EXPECT_EQ(variant->functions, tsr_reg(inst, TESSERA_VF_FUNCTIONS));
	EXPECT_LT(0, tsr_reg(inst, TESSERA_VF_REGION_CAPACITY));
	/* BAR0: register page + one user page per region, a power of two */
	EXPECT_LE(TESSERA_VF_BAR0_SIZE_REGIONS(variant->regions), bar0);
	EXPECT_EQ(0, bar0 & (bar0 - 1));
	/* user pages are mapped through unless the host time-shares regions */
	EXPECT_EQ(vfpga_share() == 1, self->up.base != NULL);
	/* the register page itself is never mapped: reconfiguration must trap */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, inst->device_fd,
		 inst->region[VFIO_PCI_BAR0_REGION_INDEX].offset);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	/* a fresh region is empty and a job on it says so */
	EXPECT_EQ(TESSERA_RGN_CFG_EMPTY, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_CONFIG_STATUS));
	EXPECT_EQ(TESSERA_FN_NONE, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_FUNCTION));
}

/* VADD and CRC32 images load and compute what the CPU computes. */
TEST_F(vfpga, vadd_and_crc32_compute)
{
	struct tsr_instance *inst = &self->inst;
	unsigned int last = self->regions - 1;

	load(_metadata, inst, &self->img, 0, TESSERA_FN_VADD, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);
	EXPECT_EQ(TESSERA_FN_VADD, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_FUNCTION));
	EXPECT_LT(0, vf_rgn_reg64(inst, 0, TESSERA_VF_RGN_CONFIG_NS_LO));
	check_vadd(_metadata, inst, &self->up, 0, 8192, 0.25f);

	load(_metadata, inst, &self->img, last, TESSERA_FN_CRC32, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);
	check_crc32(_metadata, inst, &self->up, last, 1 << 20, 1 << 20, 99);
	EXPECT_LT(0, vf_rgn_reg64(inst, last, TESSERA_VF_RGN_BUSY_NS_LO));
}

/* GEMM_TILE where the type allows it; refused as forbidden where not. */
TEST_F(vfpga, gemm_tile_computes_or_is_forbidden)
{
	struct tsr_instance *inst = &self->inst;
	const unsigned int m = 37, n = 29, k = 64;
	float *a = inst->bar2, *b = a + m * k, *c = b + k * n, ref[37 * 29];
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = {
		tsr_vram_dva((m * k + k * n) * 4ull), tsr_vram_dva(0), tsr_vram_dva(m * k * 4ull),
		m | (uint64_t)n << 16 | (uint64_t)k << 32,
	};
	unsigned int i, wrong = 0;

	if (!(variant->functions & 1u << TESSERA_FN_GEMM_TILE)) {
		load(_metadata, inst, &self->img, 0, TESSERA_FN_GEMM_TILE, VF_IMAGE_GOOD,
		     TESSERA_VF_RGN_CFG_FORBIDDEN);
		EXPECT_EQ(TESSERA_FN_NONE, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_FUNCTION));
		return;
	}
	load(_metadata, inst, &self->img, 1, TESSERA_FN_GEMM_TILE, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);
	/* small integers: every product and sum is exact in fp32 */
	for (i = 0; i < m * k; i++)
		a[i] = (float)((int)(i % 7) - 3);
	for (i = 0; i < k * n; i++)
		b[i] = (float)((int)(i % 5) - 2);
	for (i = 0; i < m * n; i++)
		c[i] = 12345.0f;
	vf_gemm_ref(ref, a, b, m, n, k);
	vf_job_start(&self->up, 1, args);
	ASSERT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(&self->up, 1, JOB_MS));
	for (i = 0; i < m * n; i++)
		wrong += c[i] != ref[i];
	EXPECT_EQ(0, wrong);
}

/*
 * Each bad image is refused with its own status; the region keeps the
 * function it had and still computes.
 */
TEST_F(vfpga, bad_images_refused_function_kept)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t cap = tsr_reg(inst, TESSERA_VF_REGION_CAPACITY), status = 0;
	size_t size;

	load(_metadata, inst, &self->img, 0, TESSERA_FN_VADD, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);

	load(_metadata, inst, &self->img, 0, TESSERA_FN_CRC32, VF_IMAGE_BAD_MAGIC,
	     TESSERA_RGN_CFG_ERR_MAGIC);
	load(_metadata, inst, &self->img, 0, TESSERA_FN_CRC32, VF_IMAGE_BAD_SIZE,
	     TESSERA_RGN_CFG_ERR_SIZE);
	load(_metadata, inst, &self->img, 0, TESSERA_NUM_FUNCTIONS + 5, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_ERR_FUNCTION);
	load(_metadata, inst, &self->img, 0, TESSERA_FN_CRC32, VF_IMAGE_BAD_CHECKSUM,
	     TESSERA_RGN_CFG_ERR_CHECKSUM);
	if (!(variant->functions & 1u << TESSERA_FN_GEMM_TILE))
		load(_metadata, inst, &self->img, 0, TESSERA_FN_GEMM_TILE, VF_IMAGE_GOOD,
		     TESSERA_VF_RGN_CFG_FORBIDDEN);

	/* larger than the region can hold: refused before any copy */
	ASSERT_EQ(0, vf_configure(inst, 0, UNMAPPED_IOVA,
				  cap + TESSERA_BITSTREAM_HEADER_SIZE + 4096, TSR_DEADLINE_MS,
				  &status));
	EXPECT_EQ(TESSERA_RGN_CFG_ERR_SIZE, status);
	/* an address the guest never mapped */
	size = vf_image_build(self->img.va, TESSERA_FN_CRC32, PAYLOAD, 1, VF_IMAGE_GOOD);
	ASSERT_EQ(0, vf_configure(inst, 0, UNMAPPED_IOVA, size, TSR_DEADLINE_MS, &status));
	EXPECT_EQ(TESSERA_VF_RGN_CFG_UNREADABLE, status);

	EXPECT_EQ(TESSERA_FN_VADD, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_FUNCTION));
	check_vadd(_metadata, inst, &self->up, 0, 1024, 3.0f);
}

/* The host loads its own copy: changing the image after the trap changes nothing. */
TEST_F(vfpga, image_changed_after_trap_is_ignored)
{
	struct tsr_instance *inst = &self->inst;
	size_t size = vf_image_build(self->img.va, TESSERA_FN_CRC32, 1 << 20, 5, VF_IMAGE_GOOD);
	uint32_t bit = TESSERA_VF_INT_RGN_CONFIG(0);

	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_IMAGE_ADDR_LO, (uint32_t)IMG_IOVA));
	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_IMAGE_ADDR_HI, IMG_IOVA >> 32));
	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_IMAGE_SIZE, size));
	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_CONFIG, 1));
	/* the load is still running on the card (1 MiB at its bandwidth) */
	memset(self->img.va, 0xee, size);
	ASSERT_EQ(0, tsr_wait_int_status(inst, bit, TSR_DEADLINE_MS));
	EXPECT_EQ(TESSERA_RGN_CFG_LOADED, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_CONFIG_STATUS));
	EXPECT_EQ(TESSERA_FN_CRC32, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_FUNCTION));
}

/* Load completion and job completion arrive as interrupts (eventfd). */
TEST_F(vfpga, config_and_job_interrupts)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t bits = TESSERA_VF_INT_RGN_CONFIG(0) | TESSERA_VF_INT_RGN_JOB(0);
	size_t size = vf_image_build(self->img.va, TESSERA_FN_CRC32, PAYLOAD, 3, VF_IMAGE_GOOD);
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(0), 0, 4096 };
	uint64_t count = 0;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, tsr_irq_enable_eventfd(inst, VFIO_PCI_MSIX_IRQ_INDEX, efd));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_STATUS, ~0u));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_ENABLE, bits));

	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_IMAGE_ADDR_LO, (uint32_t)IMG_IOVA));
	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_IMAGE_ADDR_HI, 0));
	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_IMAGE_SIZE, size));
	ASSERT_EQ(0, vf_rgn_write(inst, 0, TESSERA_VF_RGN_CONFIG, 1));
	ASSERT_EQ(1, tsr_eventfd_wait(efd, TSR_DEADLINE_MS, &count));
	EXPECT_EQ(TESSERA_VF_INT_RGN_CONFIG(0), tsr_reg(inst, TESSERA_VF_INT_STATUS) & bits);
	EXPECT_EQ(TESSERA_RGN_CFG_LOADED, vf_rgn_reg(inst, 0, TESSERA_VF_RGN_CONFIG_STATUS));
	ASSERT_EQ(0, tsr_reg_write(inst, TESSERA_VF_INT_STATUS, bits));

	vf_job_start(&self->up, 0, args);
	ASSERT_EQ(1, tsr_eventfd_wait(efd, TSR_DEADLINE_MS, &count));
	EXPECT_EQ(TESSERA_VF_INT_RGN_JOB(0), tsr_reg(inst, TESSERA_VF_INT_STATUS) & bits);
	EXPECT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(&self->up, 0, JOB_MS));
	tsr_irq_disable(inst, VFIO_PCI_MSIX_IRQ_INDEX);
	close(efd);
}

/* ---- two instances ---- */

FIXTURE(pair) {
	struct tsr_instance a, b;
	struct tsr_dma_buf img_a, img_b;
	struct vf_user_pages up_a, up_b;
};

FIXTURE_SETUP(pair)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->a, type_dir(1)));
	ASSERT_EQ(0, tsr_instance_setup(&self->b, type_dir(1)));
	ASSERT_EQ(0, tsr_bar2_map(&self->a));
	ASSERT_EQ(0, tsr_bar2_map(&self->b));
	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &self->img_a, IMG_IOVA, IMG_BYTES));
	ASSERT_EQ(0, tsr_dma_alloc(&self->b, &self->img_b, IMG_IOVA, IMG_BYTES));
	ASSERT_EQ(0, vf_map_user_pages(&self->a, &self->up_a, true));
	ASSERT_EQ(0, vf_map_user_pages(&self->b, &self->up_b, true));
}

FIXTURE_TEARDOWN_PARENT(pair)
{
	tsr_instance_remove(&self->a);
	tsr_instance_remove(&self->b);
}

/* A job that reaches outside its instance faults that region alone. */
TEST_F(pair, dma_outside_instance_faults_it_alone)
{
	struct vf_user_pages *pa = &self->up_a, *pb = &self->up_b;
	uint64_t beyond[TESSERA_RGN_USER_NUM_ARGS] = {
		0, tsr_vram_dva(self->a.vram_size - 2048), 0, 4096,
	};
	/* B's slice as A would name it, and a guest page nobody mapped */
	uint64_t unmapped[TESSERA_RGN_USER_NUM_ARGS] = { 0, 0x200000, 0, 4096 };

	load(_metadata, &self->a, &self->img_a, 0, TESSERA_FN_CRC32, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);
	load(_metadata, &self->b, &self->img_b, 0, TESSERA_FN_CRC32, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);

	vf_job_start(pa, 0, beyond);
	EXPECT_EQ(TESSERA_RGN_JOB_FAULT, vf_job_wait(pa, 0, JOB_MS));
	EXPECT_EQ(TESSERA_FAULT_VRAM_RANGE, vf_rgn_reg(&self->a, 0, TESSERA_VF_RGN_FAULT_CODE));
	check_crc32(_metadata, &self->b, pb, 0, 0, 256 << 10, 11);

	vf_job_start(pa, 0, unmapped);
	EXPECT_EQ(TESSERA_RGN_JOB_FAULT, vf_job_wait(pa, 0, JOB_MS));
	EXPECT_EQ(TESSERA_FAULT_MMU_MISS, vf_rgn_reg(&self->a, 0, TESSERA_VF_RGN_FAULT_CODE));
	EXPECT_EQ(0x200000, vf_rgn_reg64(&self->a, 0, TESSERA_VF_RGN_FAULT_ADDR_LO));
	check_crc32(_metadata, &self->b, pb, 0, 0, 256 << 10, 12);
	EXPECT_EQ(0, vf_rgn_reg(&self->b, 0, TESSERA_VF_RGN_FAULT_CODE));

	/* A recovers after a region reset and computes again */
	ASSERT_EQ(0, vf_rgn_write(&self->a, 0, TESSERA_VF_RGN_RESET, 1));
	EXPECT_EQ(0, vf_rgn_reg(&self->a, 0, TESSERA_VF_RGN_FAULT_CODE));
	check_crc32(_metadata, &self->a, pa, 0, 0, 256 << 10, 13);
}

/*
 * Two instances' regions take jobs at once, interleaved, and each computes
 * its own answer over its own slice. How much they overlap is a
 * performance figure, measured by `make bench` (scripts/bench-fpga.sh),
 * not judged here by wall time on a shared host.
 */
TEST_F(pair, regions_run_in_parallel)
{
	struct vf_user_pages *pa = &self->up_a, *pb = &self->up_b;
	size_t bytes = self->a.vram_size < (16u << 20) ? self->a.vram_size : 16u << 20;
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(0), 0, bytes };
	uint32_t *da = self->a.bar2, *db = self->b.bar2, want_a, want_b;
	uint64_t busy_a, busy_b;
	unsigned int pair;
	size_t i;

	load(_metadata, &self->a, &self->img_a, 0, TESSERA_FN_CRC32, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);
	load(_metadata, &self->b, &self->img_b, 0, TESSERA_FN_CRC32, VF_IMAGE_GOOD,
	     TESSERA_RGN_CFG_LOADED);
	for (i = 0; i < bytes / 4; i++) {
		da[i] = i * 2654435761u;
		db[i] = ~da[i];
	}
	want_a = vf_crc32(da, bytes);
	want_b = vf_crc32(db, bytes);

	busy_a = vf_rgn_reg64(&self->a, 0, TESSERA_VF_RGN_BUSY_NS_LO);
	busy_b = vf_rgn_reg64(&self->b, 0, TESSERA_VF_RGN_BUSY_NS_LO);
	for (pair = 0; pair < 4; pair++) {
		vf_job_start(pa, 0, args);
		vf_job_start(pb, 0, args);
		ASSERT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(pa, 0, JOB_MS));
		ASSERT_EQ(TESSERA_RGN_JOB_DONE, vf_job_wait(pb, 0, JOB_MS));
		EXPECT_EQ(want_a, (uint32_t)vf_job_result(pa, 0));
		EXPECT_EQ(want_b, (uint32_t)vf_job_result(pb, 0));
	}
	/* Each region's card time is its own jobs': both really ran. */
	EXPECT_GT(vf_rgn_reg64(&self->a, 0, TESSERA_VF_RGN_BUSY_NS_LO), busy_a);
	EXPECT_GT(vf_rgn_reg64(&self->b, 0, TESSERA_VF_RGN_BUSY_NS_LO), busy_b);
}

/* available_instances follows the regions that are free right now. */
TEST(available_instances_follow_free_regions)
{
	struct tsr_instance two;
	char parent[256];
	long avail1, avail2, avail1_after, avail4_after;

	ASSERT_EQ(0, tsr_find_parent(parent, sizeof(parent)));
	ASSERT_EQ(0, tsr_type_available(parent, type_dir(1), &avail1));
	ASSERT_EQ(0, tsr_type_available(parent, type_dir(2), &avail2));
	if (avail2 < 1)
		SKIP(return, "no free pair of regions");
	ASSERT_EQ(0, tsr_instance_create(&two, type_dir(2)));
	EXPECT_EQ(0, tsr_type_available(parent, type_dir(1), &avail1_after));
	EXPECT_EQ(avail1 - 2, avail1_after);
	EXPECT_EQ(0, tsr_type_available(parent, type_dir(4), &avail4_after));
	/* owned outright, only two regions are left; shared, each has a turn left */
	if (vfpga_share() == 1)
		EXPECT_EQ(0, avail4_after);
	EXPECT_EQ(0, tsr_instance_remove(&two));
	EXPECT_EQ(0, tsr_type_available(parent, type_dir(1), &avail1_after));
	EXPECT_EQ(avail1, avail1_after);
}

/*
 * More instances than regions (vfpga_share > 1): each tenant's jobs run its
 * own function on its own memory, whatever ran on the card region between
 * its turns, and the reloads that switching cost are charged to it.
 */
TEST(shared_tenants_compute_their_own_functions)
{
	struct tsr_instance inst[2 * TESSERA_MAX_REGIONS];
	struct tsr_dma_buf img[2 * TESSERA_MAX_REGIONS];
	struct vf_user_pages up[2 * TESSERA_MAX_REGIONS];
	char parent[256];
	long avail = 0;
	unsigned int n, i, round;

	if (vfpga_share() == 1)
		SKIP(return, "tessera.ko has vfpga_share=1: regions are not time-shared");
	ASSERT_EQ(0, tsr_find_parent(parent, sizeof(parent)));
	ASSERT_EQ(0, tsr_type_available(parent, type_dir(1), &avail));
	n = avail < 2 * TESSERA_MAX_REGIONS ? avail : 2 * TESSERA_MAX_REGIONS;
	ASSERT_LE(4, n);
	memset(inst, 0, sizeof(inst));
	for (i = 0; i < n; i++) {
		uint32_t fn = i % 2 ? TESSERA_FN_VADD : TESSERA_FN_CRC32, status = 0;
		size_t size;

		ASSERT_EQ(0, tsr_instance_setup(&inst[i], type_dir(1)));
		ASSERT_EQ(0, tsr_bar2_map(&inst[i]));
		ASSERT_EQ(0, tsr_dma_alloc(&inst[i], &img[i], IMG_IOVA, IMG_BYTES));
		ASSERT_EQ(0, vf_map_user_pages(&inst[i], &up[i], true));
		EXPECT_EQ(NULL, up[i].base);
		size = vf_image_build(img[i].va, fn, 256 << 10, i, VF_IMAGE_GOOD);
		ASSERT_EQ(0, vf_configure(&inst[i], 0, IMG_IOVA, size, TSR_DEADLINE_MS, &status));
		ASSERT_EQ(TESSERA_RGN_CFG_LOADED, status);
	}
	for (round = 0; round < 3; round++) {
		for (i = 0; i < n; i++) {
			if (i % 2)
				check_vadd(_metadata, &inst[i], &up[i], 0, 4096, i + round);
			else
				check_crc32(_metadata, &inst[i], &up[i], 0, 0, 128 << 10,
					    i * 16 + round);
		}
	}
	for (i = 0; i < n; i++) {
		EXPECT_EQ(i % 2 ? TESSERA_FN_VADD : TESSERA_FN_CRC32,
			  vf_rgn_reg(&inst[i], 0, TESSERA_VF_RGN_FUNCTION));
		EXPECT_LT(0, vf_rgn_reg64(&inst[i], 0, TESSERA_VF_RGN_SHARE_NS_LO)) {
			TH_LOG("instance %u was never reloaded for a turn", i);
		}
		tsr_instance_teardown(&inst[i]);
	}
}

TEST_HARNESS_MAIN
