// SPDX-License-Identifier: GPL-2.0
/*
 * Commands a guest submits through its ring: the ring lives in guest memory
 * (DMA-mapped anonymous memory, as QEMU maps guest RAM), the data in guest
 * memory or in the instance's device-memory window, and every result is
 * checked against the CPU.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(4ull << 20)
#define DATA2_IOVA	0x02000000ull

FIXTURE(cmds) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf data;	/* guest memory at DATA_IOVA */
	struct tsr_dma_buf data2;	/* guest memory at DATA2_IOVA */
};

FIXTURE_VARIANT(cmds) {
	const char *type;
};

FIXTURE_VARIANT_ADD(cmds, vgpu1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(cmds, vgpu2) { .type = "tessera-vgpu-2" };
FIXTURE_VARIANT_ADD(cmds, vgpu4) { .type = "tessera-vgpu-4" };
FIXTURE_VARIANT_ADD(cmds, vgpu8) { .type = "tessera-vgpu-8" };

FIXTURE_SETUP(cmds)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
	ASSERT_EQ(0, tsr_bar2_map(&self->inst));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA, DATA_BYTES));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data2, DATA2_IOVA, DATA_BYTES));
}

FIXTURE_TEARDOWN_PARENT(cmds)
{
	tsr_instance_remove(&self->inst);
}

/* Pushes @cmd, then a fence, rings the doorbell and waits for the fence. */
static int run_one(struct tsr_ring *ring, const struct tessera_cmd *cmd)
{
	uint32_t st = 0;
	uint64_t v;
	int ret;

	tsr_ring_push(ring, cmd);
	v = tsr_ring_fence_kick(ring, false);
	ret = tsr_wait_fence(ring->inst, v, TSR_DEADLINE_MS, &st);
	if (ret == -EIO)
		fprintf(stderr, "# faulted: code 0x%x index %u addr 0x%llx\n",
			tsr_reg(ring->inst, TESSERA_VF_FAULT_CODE),
			tsr_reg(ring->inst, TESSERA_VF_FAULT_INDEX),
			(unsigned long long)tsr_reg64(ring->inst, TESSERA_VF_FAULT_ADDR_LO));
	return ret;
}

static void fill_random_floats(float *p, size_t count, unsigned int seed)
{
	size_t i;

	srandom(seed);
	for (i = 0; i < count; i++)
		p[i] = (float)((random() % 20001) - 10000) / 10000.0f;
}

static size_t count_not_u32(const void *p, size_t bytes, uint32_t want)
{
	const uint32_t *w = p;
	size_t i, bad = 0;

	for (i = 0; i < bytes / 4; i++)
		bad += w[i] != want;
	return bad;
}

/* FILL writes the 32-bit pattern over exactly the bytes asked for. */
TEST_F_TIMEOUT(cmds, fill_guest_memory, TSR_TEST_TIMEOUT_S)
{
	uint8_t *buf = self->data.va;
	struct tessera_cmd c;

	memset(buf, 0x5a, 3 * 65536);
	c = tsr_cmd_fill(DATA_IOVA + 65536, 65536, 0xc0ffee11);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0, count_not_u32(buf + 65536, 65536, 0xc0ffee11));
	EXPECT_EQ(0, count_not_u32(buf, 65536, 0x5a5a5a5a));
	EXPECT_EQ(0, count_not_u32(buf + 2 * 65536, 65536, 0x5a5a5a5a));
}

/* FILL into the device-memory window shows through the BAR2 mapping. */
TEST_F_TIMEOUT(cmds, fill_vram_window, TSR_TEST_TIMEOUT_S)
{
	uint8_t *vram = self->inst.bar2;
	size_t size = self->inst.bar2_size;
	uint64_t off = size / 2;
	struct tessera_cmd c;

	memset(vram + off - 4096, 0x5a, 3 * 4096);
	c = tsr_cmd_fill(tsr_vram_dva(off), 4096, 0x12345678);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0, count_not_u32(vram + off, 4096, 0x12345678));
	EXPECT_EQ(0, count_not_u32(vram + off - 4096, 4096, 0x5a5a5a5a));
	EXPECT_EQ(0, count_not_u32(vram + off + 4096, 4096, 0x5a5a5a5a));
	/* the last word of the window is addressable */
	c = tsr_cmd_fill(tsr_vram_dva(size - 4), 4, 0xfeedface);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0xfeedface, *(uint32_t *)(vram + size - 4));
}

/* COPY guest -> VRAM -> guest keeps every byte; the window sees the data. */
TEST_F_TIMEOUT(cmds, copy_between_guest_memory_and_vram, TSR_TEST_TIMEOUT_S)
{
	uint8_t *src = self->data.va, *dst = self->data2.va;
	uint8_t *vram = self->inst.bar2;
	size_t bytes = 256 * 1024;
	struct tessera_cmd c;
	size_t i;

	if (bytes > self->inst.bar2_size / 2)
		bytes = self->inst.bar2_size / 2;
	srandom(7);
	for (i = 0; i < bytes; i++)
		src[i] = random();
	memset(dst, 0, bytes);

	c = tsr_cmd_copy(tsr_vram_dva(4096), DATA_IOVA, bytes);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0, memcmp(vram + 4096, src, bytes));
	c = tsr_cmd_copy(DATA2_IOVA, tsr_vram_dva(4096), bytes);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0, memcmp(dst, src, bytes));
}

/* COPY inside guest memory, across a page boundary at odd 4-byte offsets. */
TEST_F_TIMEOUT(cmds, copy_within_guest_memory, TSR_TEST_TIMEOUT_S)
{
	uint8_t *src = self->data.va, *dst = self->data2.va;
	size_t bytes = 3 * 4096 + 12;
	struct tessera_cmd c;
	size_t i;

	for (i = 0; i < bytes + 8; i++)
		src[i] = i * 7 + 3;
	memset(dst, 0xee, bytes + 64);
	c = tsr_cmd_copy(DATA2_IOVA + 20, DATA_IOVA + 4, bytes);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0, memcmp(dst + 20, src + 4, bytes));
	EXPECT_EQ(0xee, dst[19]);
	EXPECT_EQ(0xee, dst[20 + bytes]);
}

/* C = A * B against a CPU reference in double precision. */
static void gemm_reference(const float *a, const float *b, const float *c_in,
			   double *c, int m, int n, int k)
{
	int i, j, l;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			double sum = c_in ? c_in[i * n + j] : 0.0;

			for (l = 0; l < k; l++)
				sum += (double)a[i * k + l] * b[l * n + j];
			c[i * n + j] = sum;
		}
	}
}

/* Elements whose error exceeds k ulps of the magnitudes summed. */
static int gemm_mismatches(const float *got, const double *want, const float *a,
			   const float *b, int m, int n, int k)
{
	int i, j, l, bad = 0;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++) {
			double mag = 1.0, tol;

			for (l = 0; l < k; l++)
				mag += fabs((double)a[i * k + l] * b[l * n + j]);
			tol = (k + 2) * 1.2e-7 * mag;
			if (fabs(got[i * n + j] - want[i * n + j]) > tol) {
				if (bad++ < 3)
					fprintf(stderr, "# C[%d][%d] = %.9g, want %.9g\n",
						i, j, got[i * n + j], want[i * n + j]);
			}
		}
	}
	return bad;
}

static void check_gemm_guest(struct __test_metadata *_metadata,
			     FIXTURE_DATA(cmds) *self, int m, int n, int k,
			     bool accumulate)
{
	float *a = self->data.va;
	float *b = a + m * k;
	float *c = self->data2.va;
	float *c_in = malloc(sizeof(float) * m * n);
	double *want = malloc(sizeof(double) * m * n);
	uint64_t a_iova = DATA_IOVA, b_iova = DATA_IOVA + sizeof(float) * m * k;
	struct tessera_cmd cmd;

	ASSERT_NE(NULL, c_in);
	ASSERT_NE(NULL, want);
	fill_random_floats(a, m * k, m * 131 + k);
	fill_random_floats(b, k * n, n * 17 + k);
	fill_random_floats(c_in, m * n, m + n + k);
	memcpy(c, c_in, sizeof(float) * m * n);
	gemm_reference(a, b, accumulate ? c_in : NULL, want, m, n, k);

	cmd = tsr_cmd_gemm(a_iova, b_iova, DATA2_IOVA, m, n, k, accumulate);
	ASSERT_EQ(0, run_one(&self->ring, &cmd));
	EXPECT_EQ(0, gemm_mismatches(c, want, a, b, m, n, k)) {
		TH_LOG("GEMM %dx%dx%d%s differs from the CPU", m, n, k,
		       accumulate ? " (accumulate)" : "");
	}
	free(c_in);
	free(want);
}

TEST_F_TIMEOUT(cmds, gemm_fp32_matches_cpu_reference, TSR_TEST_TIMEOUT_S)
{
	check_gemm_guest(_metadata, self, 1, 1, 1, false);
	check_gemm_guest(_metadata, self, 17, 23, 31, false);
	check_gemm_guest(_metadata, self, 64, 64, 64, false);
	check_gemm_guest(_metadata, self, 3, 130, 5, false);
}

TEST_F_TIMEOUT(cmds, gemm_accumulate_adds_to_c, TSR_TEST_TIMEOUT_S)
{
	check_gemm_guest(_metadata, self, 19, 11, 7, true);
}

/* GEMM with A in guest memory, B and C in the device-memory window. */
TEST_F_TIMEOUT(cmds, gemm_with_operands_in_vram, TSR_TEST_TIMEOUT_S)
{
	const int m = 32, n = 40, k = 24;
	uint8_t *vram = self->inst.bar2;
	float *a = self->data.va;
	float *b = malloc(sizeof(float) * k * n);
	float *c = malloc(sizeof(float) * m * n);
	double *want = malloc(sizeof(double) * m * n);
	uint64_t b_off = 0, c_off = 65536;
	struct tessera_cmd cmd;

	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, want);
	fill_random_floats(a, m * k, 1);
	fill_random_floats(b, k * n, 2);
	memcpy(vram + b_off, b, sizeof(float) * k * n);
	memset(vram + c_off, 0xff, sizeof(float) * m * n);
	gemm_reference(a, b, NULL, want, m, n, k);

	cmd = tsr_cmd_gemm(DATA_IOVA, tsr_vram_dva(b_off), tsr_vram_dva(c_off), m, n, k,
			   false);
	ASSERT_EQ(0, run_one(&self->ring, &cmd));
	memcpy(c, vram + c_off, sizeof(float) * m * n);
	EXPECT_EQ(0, gemm_mismatches(c, want, a, b, m, n, k));
	free(b);
	free(c);
	free(want);
}

/* ADD and MUL are single fp32 operations: the card must match bit for bit. */
TEST_F_TIMEOUT(cmds, elementwise_add_mul_relu_exact, TSR_TEST_TIMEOUT_S)
{
	const size_t count = 10000;
	float *a = self->data.va;
	float *b = a + count;
	float *dst = self->data2.va;
	uint64_t a_iova = DATA_IOVA, b_iova = DATA_IOVA + count * sizeof(float);
	struct tessera_cmd c;
	size_t i, bad;

	fill_random_floats(a, count, 11);
	fill_random_floats(b, count, 12);
	a[0] = -0.0f;
	a[1] = 1e30f;
	b[1] = 1e30f;

	c = tsr_cmd_elemwise(TESSERA_EW_ADD, DATA2_IOVA, a_iova, b_iova, count);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	for (bad = 0, i = 0; i < count; i++)
		bad += memcmp(&dst[i], &(float){ a[i] + b[i] }, 4) != 0;
	EXPECT_EQ(0, bad);

	c = tsr_cmd_elemwise(TESSERA_EW_MUL, DATA2_IOVA, a_iova, b_iova, count);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	for (bad = 0, i = 0; i < count; i++)
		bad += memcmp(&dst[i], &(float){ a[i] * b[i] }, 4) != 0;
	EXPECT_EQ(0, bad);	/* includes 1e30 * 1e30 = +inf */

	c = tsr_cmd_elemwise(TESSERA_EW_RELU, DATA2_IOVA, a_iova, 0, count);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	for (bad = 0, i = 1; i < count; i++)
		bad += dst[i] != (a[i] > 0 ? a[i] : 0.0f);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0.0f, dst[0]);
}

/* ELEMWISE reading from and writing to the device-memory window. */
TEST_F_TIMEOUT(cmds, elementwise_in_vram, TSR_TEST_TIMEOUT_S)
{
	const size_t count = 1024;
	float *vram = self->inst.bar2;
	float *a = vram, *b = vram + count, *dst = vram + 2 * count;
	struct tessera_cmd c;
	size_t i, bad = 0;

	fill_random_floats(a, count, 21);
	fill_random_floats(b, count, 22);
	c = tsr_cmd_elemwise(TESSERA_EW_ADD, tsr_vram_dva(8 * count),
			     tsr_vram_dva(0), tsr_vram_dva(4 * count), count);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	for (i = 0; i < count; i++)
		bad += dst[i] != a[i] + b[i];
	EXPECT_EQ(0, bad);
}

/* FENCE stores its 64-bit value in memory and in VF_FENCE, in order. */
TEST_F_TIMEOUT(cmds, fence_writes_value_to_memory_and_register, TSR_TEST_TIMEOUT_S)
{
	volatile uint64_t *guest = self->data.va;
	volatile uint64_t *vram = self->inst.bar2;
	struct tessera_cmd c;
	uint64_t v;

	guest[1] = 0;
	vram[3] = 0;
	c = tsr_cmd_fence(DATA_IOVA + 8, 0x1122334455667788ull, false);
	tsr_ring_push(&self->ring, &c);
	c = tsr_cmd_fence(tsr_vram_dva(24), 0x8877665544332211ull, false);
	tsr_ring_push(&self->ring, &c);
	v = tsr_ring_fence_kick(&self->ring, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0x1122334455667788ull, guest[1]);
	EXPECT_EQ(0x8877665544332211ull, vram[3]);
	EXPECT_EQ(v, tsr_reg64(&self->inst, TESSERA_VF_FENCE_LO));
}

/*
 * A fence is the guest's only completion signal: when VF_FENCE shows it,
 * every byte the commands before it wrote must already be in memory.
 * Checked immediately on the fence, ten rounds of a 1 MiB FILL.
 */
TEST_F_TIMEOUT(cmds, fence_is_seen_only_after_preceding_writes_land, TSR_TEST_TIMEOUT_S)
{
	const size_t bytes = 1 << 20;
	uint8_t *buf = self->data.va;
	int round;

	for (round = 1; round <= 10; round++) {
		struct tessera_cmd c = tsr_cmd_fill(DATA_IOVA, bytes, 0x01010101u * round);
		size_t late;
		uint64_t v;

		tsr_ring_push(&self->ring, &c);
		v = tsr_ring_fence_kick(&self->ring, false);
		ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
		late = tsr_count_not_byte(buf, bytes, round);
		if (late)
			tsr_log_first_diff("FILL behind a completed fence", buf, bytes, round);
		EXPECT_EQ(0, late) {
			TH_LOG("round %d: %zu bytes not yet written when the fence was seen",
			       round, late);
		}
	}
}

/* A batch in guest memory runs its commands and returns to the ring. */
TEST_F_TIMEOUT(cmds, batch_runs_second_level_commands, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd *batch = (struct tessera_cmd *)((uint8_t *)self->data.va + 65536);
	uint32_t *out = self->data2.va;
	struct tessera_cmd c;

	memset(out, 0, 3 * 4096);
	batch[0] = tsr_cmd_fill(DATA2_IOVA, 4096, 0xaaaaaaaa);
	batch[1] = tsr_cmd_fill(DATA2_IOVA + 4096, 4096, 0xbbbbbbbb);
	c = tsr_cmd_batch(DATA_IOVA + 65536, 2);
	tsr_ring_push(&self->ring, &c);
	c = tsr_cmd_fill(DATA2_IOVA + 8192, 4096, 0xcccccccc);
	ASSERT_EQ(0, run_one(&self->ring, &c));
	EXPECT_EQ(0, count_not_u32(out, 4096, 0xaaaaaaaa));
	EXPECT_EQ(0, count_not_u32(out + 1024, 4096, 0xbbbbbbbb));
	EXPECT_EQ(0, count_not_u32(out + 2048, 4096, 0xcccccccc));
}

/* The ring wraps: many more commands than entries, in rounds. */
TEST_F_TIMEOUT(cmds, ring_wraps_around, TSR_TEST_TIMEOUT_S)
{
	uint32_t *out = self->data2.va;
	uint32_t done0 = tsr_reg(&self->inst, TESSERA_VF_CMDS_DONE);
	int round, i;

	memset(out, 0, 4096);
	for (round = 0; round < 7; round++) {
		uint64_t v;

		for (i = 0; i < 20; i++) {
			struct tessera_cmd c =
				tsr_cmd_fill(DATA2_IOVA + 4 * (round * 20 + i), 4,
					     round * 1000 + i);

			tsr_ring_push(&self->ring, &c);
		}
		v = tsr_ring_fence_kick(&self->ring, false);
		ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	}
	for (round = 0; round < 7; round++)
		for (i = 0; i < 20; i++)
			EXPECT_EQ(round * 1000 + i, out[round * 20 + i]);
	ASSERT_EQ(0, tsr_wait_idle(&self->inst, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(7 * 21, tsr_reg(&self->inst, TESSERA_VF_CMDS_DONE) - done0);
	EXPECT_EQ(self->ring.tail, tsr_reg(&self->inst, TESSERA_VF_RING_HEAD));
}

/* BUSY occupies the engine and the card's busy counter shows the time. */
TEST_F_TIMEOUT(cmds, busy_time_is_accounted, TSR_TEST_TIMEOUT_S)
{
	uint64_t before = tsr_reg64(&self->inst, TESSERA_VF_BUSY_NS_LO);
	struct tessera_cmd c = tsr_cmd_busy(20000);
	uint64_t after;

	ASSERT_EQ(0, run_one(&self->ring, &c));
	after = tsr_reg64(&self->inst, TESSERA_VF_BUSY_NS_LO);
	EXPECT_GE(after - before, 20000ull * 1000);
}

TEST_HARNESS_MAIN
