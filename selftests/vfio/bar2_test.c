// SPDX-License-Identifier: GPL-2.0
/*
 * BAR2, the instance's device-memory slice, mapped straight through: what a
 * guest stores through the mapping is what the region reads back, and the
 * slice keeps its contents while the instance exists.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

FIXTURE(bar2) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(bar2) {
	const char *type;
};

FIXTURE_VARIANT_ADD(bar2, vgpu1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(bar2, vgpu2) { .type = "tessera-vgpu-2" };
FIXTURE_VARIANT_ADD(bar2, vgpu4) { .type = "tessera-vgpu-4" };
FIXTURE_VARIANT_ADD(bar2, vgpu8) { .type = "tessera-vgpu-8" };

FIXTURE_SETUP(bar2)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

FIXTURE_TEARDOWN_PARENT(bar2)
{
	tsr_instance_remove(&self->inst);
}

/* A pattern that differs at every 8-byte word and between runs (@seed). */
static uint64_t pattern_at(uint64_t off, uint64_t seed)
{
	uint64_t x = (off + seed) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

/*
 * The pattern covers the first and last MiB of the slice wholly and, in
 * between, the first and last 32 bytes of every 4 KiB page: every page of
 * a slice of up to 240 MiB is touched without a full pass under TCG.
 */
#define DENSE		(1ull << 20)
#define PAGE		4096ull
#define EDGE		32ull

static bool in_pattern(uint64_t off, uint64_t bytes)
{
	uint64_t in_page = off % PAGE;

	return off < DENSE || off >= bytes - DENSE || in_page < EDGE ||
	       in_page >= PAGE - EDGE;
}

static void fill_pattern(volatile uint64_t *p, size_t bytes, uint64_t seed)
{
	size_t off;

	for (off = 0; off < bytes; off += 8)
		if (in_pattern(off, bytes))
			p[off / 8] = pattern_at(off, seed);
		else if (off % PAGE == EDGE)
			off += PAGE - 2 * EDGE - 8;	/* skip the page's middle */
}

/* Compares region contents (read with pread) with the pattern. */
static int check_pattern_pread(struct tsr_instance *inst, size_t bytes, uint64_t seed,
			       uint64_t *bad_off)
{
	static uint64_t chunk[PAGE / 8];
	size_t off, i;
	int ret;

	for (off = 0; off < bytes; off += PAGE) {
		bool dense = off < DENSE || off >= bytes - DENSE;
		uint64_t spans[2][2] = { { off, EDGE }, { off + PAGE - EDGE, EDGE } };
		unsigned int s;

		if (dense) {
			spans[0][1] = PAGE;
			spans[1][1] = 0;
		}
		for (s = 0; s < 2; s++) {
			if (!spans[s][1])
				continue;
			ret = tsr_bar2_pread(inst, spans[s][0], chunk, spans[s][1]);
			if (ret)
				return ret;
			for (i = 0; i < spans[s][1] / 8; i++) {
				if (chunk[i] != pattern_at(spans[s][0] + i * 8, seed)) {
					*bad_off = spans[s][0] + i * 8;
					return -EBADMSG;
				}
			}
		}
	}
	return 0;
}

TEST_F_TIMEOUT(bar2, region_is_mmappable_and_sized_to_the_slice, TSR_TEST_TIMEOUT_S)
{
	const struct vfio_region_info *ri =
		&self->inst.region[VFIO_PCI_BAR2_REGION_INDEX];

	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		  VFIO_REGION_INFO_FLAG_MMAP,
		  ri->flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			       VFIO_REGION_INFO_FLAG_MMAP));
	EXPECT_GE(ri->size, self->inst.vram_size);
	EXPECT_EQ(0, ri->size & (ri->size - 1));
	EXPECT_GE(self->inst.vram_size, 1 << 20);
	/* the registers trap: BAR0 must not offer mmap */
	EXPECT_EQ(0, self->inst.region[VFIO_PCI_BAR0_REGION_INDEX].flags &
		  VFIO_REGION_INFO_FLAG_MMAP);
}

/* Stores through the mapping are what the trapped region path reads. */
TEST_F_TIMEOUT(bar2, mmap_writes_read_back_through_the_region, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint64_t bad = 0;
	int ret;

	ASSERT_EQ(0, tsr_bar2_map(inst));
	fill_pattern(inst->bar2, inst->bar2_size, 0x1111);
	ret = check_pattern_pread(inst, inst->bar2_size, 0x1111, &bad);
	EXPECT_EQ(0, ret) {
		TH_LOG("mismatch at BAR2 offset 0x%llx", (unsigned long long)bad);
	}
}

/* Writes through the region path are what the mapping sees. */
TEST_F_TIMEOUT(bar2, region_writes_show_in_the_mapping, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint64_t offs[] = { 0, 8, 4096, 0, 0 };
	uint64_t *map;
	unsigned int i;

	ASSERT_EQ(0, tsr_bar2_map(inst));
	map = inst->bar2;
	offs[3] = (inst->bar2_size / 2) & ~7ull;
	offs[4] = inst->bar2_size - 8;
	memset(inst->bar2, 0, inst->bar2_size);
	for (i = 0; i < 5; i++) {
		uint64_t v = pattern_at(offs[i], 0x2222);

		ASSERT_EQ(0, tsr_bar2_pwrite(inst, offs[i], &v, 8));
		EXPECT_EQ(v, map[offs[i] / 8]);
	}
	/* 4-, 2- and 1-byte region accesses land at the right place */
	{
		uint32_t w32 = 0xa1b2c3d4;
		uint16_t w16 = 0xe5f6;
		uint8_t w8 = 0x77;
		uint8_t *bytes = inst->bar2;

		ASSERT_EQ(0, tsr_bar2_pwrite(inst, 0x100, &w32, 4));
		ASSERT_EQ(0, tsr_bar2_pwrite(inst, 0x106, &w16, 2));
		ASSERT_EQ(0, tsr_bar2_pwrite(inst, 0x109, &w8, 1));
		EXPECT_EQ(0xa1b2c3d4, *(uint32_t *)(bytes + 0x100));
		EXPECT_EQ(0xe5f6, *(uint16_t *)(bytes + 0x106));
		EXPECT_EQ(0x77, bytes[0x109]);
		EXPECT_EQ(0, bytes[0x108]);
		EXPECT_EQ(0, bytes[0x10a]);
	}
}

/*
 * Closing everything and reopening hands the slice over zeroed: the next
 * opener may be another VM (a persistent mdev). Within one open, data stays
 * (see above); regress checks VFIO_DEVICE_RESET as well.
 */
TEST_F_TIMEOUT(bar2, data_zeroed_across_device_reopen, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;

	ASSERT_EQ(0, tsr_bar2_map(inst));
	fill_pattern(inst->bar2, inst->bar2_size, 0x3333);
	tsr_instance_close(inst);
	ASSERT_EQ(0, tsr_instance_open(inst));
	ASSERT_EQ(0, tsr_enable_device(inst));
	ASSERT_EQ(0, tsr_bar2_map(inst));
	EXPECT_EQ(0, tsr_count_not_u64(inst->bar2, inst->bar2_size, 0)) {
		tsr_log_first_diff("BAR2 after reopen", inst->bar2, inst->bar2_size, 0);
	}
}

/*
 * BAR2 is the slice rounded up to a power of two; the padding is not the
 * card's memory: it reads zero, swallows writes and cannot be mapped.
 */
TEST_F_TIMEOUT(bar2, padding_beyond_the_slice_is_inert, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	const struct vfio_region_info *ri = &inst->region[VFIO_PCI_BAR2_REGION_INDEX];
	uint64_t v = 0x1122334455667788ull, got = 1;
	void *p;

	if (ri->size == inst->vram_size)
		SKIP(return, "the slice fills BAR2: no padding");
	ASSERT_EQ(0, tsr_bar2_pwrite(inst, inst->vram_size, &v, 8));
	ASSERT_EQ(0, tsr_bar2_pread(inst, inst->vram_size, &got, 8));
	EXPECT_EQ(0, got);
	ASSERT_EQ(0, tsr_bar2_pread(inst, ri->size - 8, &got, 8));
	EXPECT_EQ(0, got);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, inst->device_fd,
		 ri->offset + ((inst->vram_size + 4095) & ~4095ull));
	EXPECT_EQ(MAP_FAILED, p) {
		TH_LOG("memory beyond the slice could be mapped");
	}
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

/* A partial mapping at an offset inside the slice shows the same bytes. */
TEST_F_TIMEOUT(bar2, partial_mmap_at_an_offset, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	const struct vfio_region_info *ri = &inst->region[VFIO_PCI_BAR2_REGION_INDEX];
	size_t page = 4096;
	uint64_t *part;

	ASSERT_EQ(0, tsr_bar2_map(inst));
	fill_pattern(inst->bar2, inst->bar2_size, 0x4444);
	uint64_t mid = (inst->vram_size / 2) & ~(page - 1);

	part = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, inst->device_fd,
		    ri->offset + mid);
	ASSERT_NE(MAP_FAILED, part);
	EXPECT_EQ(pattern_at(mid, 0x4444), part[0]);
	EXPECT_EQ(pattern_at(mid + page, 0x4444), part[page / 8]);
	munmap(part, 2 * page);
}

TEST_HARNESS_MAIN
