// SPDX-License-Identifier: GPL-2.0
/*
 * The marker test of issue 10 (tenant hygiene): tenant A writes a marker
 * everywhere it can reach (every dword of every writable region, its
 * device memory, the fence, the fault address, region arguments and
 * results), then leaves; tenant B reads every readable byte and register
 * and must find the power-on state that A itself saw first, byte for
 * byte: nothing of A, and no state A left behind. B is the same instance
 * reopened (a persistent mdev handed to the next VM), and a new instance
 * of the same type on the same context and device-memory slot.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"
#include "vfpga_util.h"

#define MARK32		0x4d41524bu			/* "KRAM" */
#define MARK64		0x4d41524b4d41524bull
#define MARK_BYTE	0x4b
/* Guest addresses that fault, carrying the marker into FAULT_ADDR. */
#define MARK_ADDR	0x4d41524b000ull
#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(2ull << 20)
#define PAYLOAD		(64 * 1024)
/* Regions read dword by dword; device memory (BAR2) is checked apart. */
#define MAX_SNAP	(1u << 20)

/* What an instance shows through every readable region but BAR2. */
struct snapshot {
	uint32_t *words[VFIO_PCI_NUM_REGIONS];
	uint8_t *readable[VFIO_PCI_NUM_REGIONS];	/* per dword: pread worked */
	size_t dwords[VFIO_PCI_NUM_REGIONS];
};

static const char *const region_names[VFIO_PCI_NUM_REGIONS] = {
	"BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "config", "VGA",
};

/* Region @i is one read (or written) dword by dword, with @flag. */
static bool dword_region(const struct tsr_instance *inst, unsigned int i, uint32_t flag)
{
	const struct vfio_region_info *ri = &inst->region[i];

	return i != VFIO_PCI_BAR2_REGION_INDEX && (ri->flags & flag) && ri->size &&
	       ri->size <= MAX_SNAP;
}

static int take_snapshot(struct tsr_instance *inst, struct snapshot *s)
{
	unsigned int i;
	size_t k;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		const struct vfio_region_info *ri = &inst->region[i];

		if (!dword_region(inst, i, VFIO_REGION_INFO_FLAG_READ))
			continue;
		s->dwords[i] = ri->size / 4;
		s->words[i] = calloc(s->dwords[i], 4);
		s->readable[i] = calloc(s->dwords[i], 1);
		if (!s->words[i] || !s->readable[i])
			return -ENOMEM;
		for (k = 0; k < s->dwords[i]; k++)
			s->readable[i][k] = pread(inst->device_fd, &s->words[i][k], 4,
						  ri->offset + k * 4) == 4;
	}
	return 0;
}

static void free_snapshot(struct snapshot *s)
{
	unsigned int i;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		free(s->words[i]);
		free(s->readable[i]);
	}
}

/* Tenant A: the marker in every dword of every writable region. */
static void write_everywhere(struct tsr_instance *inst)
{
	uint32_t mark = MARK32;
	unsigned int i;
	size_t k;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		const struct vfio_region_info *ri = &inst->region[i];

		if (!dword_region(inst, i, VFIO_REGION_INFO_FLAG_WRITE))
			continue;
		/* A refused write (a read-only register) writes nothing: fine. */
		for (k = 0; k < ri->size / 4; k++)
			(void)!pwrite(inst->device_fd, &mark, 4, ri->offset + k * 4);
	}
}

/*
 * Tenant A's work: a fence and a fault carrying the marker (vGPU), a
 * loaded function, a job and arguments (vFPGA), device memory full of it.
 */
static int leave_markers(struct __test_metadata *_metadata, struct tsr_instance *inst)
{
	struct tsr_dma_buf data = { 0 };
	uint32_t code = 0, index = 0, status = 0;
	int ret;

	/* The blind writes may have left a fault or a half-configured ring. */
	tsr_reg_write(inst, TESSERA_VF_RESET, 1);
	ret = tsr_bar2_map(inst);
	if (ret)
		return ret;
	memset(inst->bar2, MARK_BYTE, inst->bar2_size);

	if (tsr_reg(inst, TESSERA_VF_CAPS) & TESSERA_VF_CAP_REGIONS) {
		struct vf_user_pages up;
		uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0 };
		unsigned int r, n = tsr_reg(inst, TESSERA_VF_NUM_REGIONS), k;
		size_t size;

		ret = tsr_dma_alloc(inst, &data, DATA_IOVA, DATA_BYTES);
		if (ret)
			return ret;
		ret = vf_map_user_pages(inst, &up, true);
		if (ret)
			return ret;
		for (r = 0; r < n; r++) {
			size = vf_image_build(data.va, TESSERA_FN_CRC32, PAYLOAD, MARK32 + r,
					      VF_IMAGE_GOOD);
			ret = vf_configure(inst, r, DATA_IOVA, size, TSR_DEADLINE_MS, &status);
			if (ret || status != TESSERA_RGN_CFG_LOADED) {
				TH_LOG("region %u: load failed (%d, status %u)", r, ret, status);
				return -EIO;
			}
			args[1] = tsr_vram_dva(0);
			args[3] = 4096;
			vf_job_start(&up, r, args);
			if (vf_job_wait(&up, r, TSR_DEADLINE_MS) != TESSERA_RGN_JOB_DONE) {
				TH_LOG("region %u: the CRC32 job did not finish", r);
				return -EIO;
			}
			for (k = 0; k < TESSERA_RGN_USER_NUM_ARGS * 2; k++)
				vf_user_wr32(&up, r, TESSERA_RGN_USER_ARG(0) + k * 4, MARK32);
		}
		vf_unmap_user_pages(&up);
	} else {
		struct tsr_ring ring;
		struct tessera_cmd fence = tsr_cmd_fence(DATA_IOVA, MARK64, false);
		struct tessera_cmd fill = tsr_cmd_fill(MARK_ADDR, 4096, MARK32);

		ret = tsr_ring_setup(inst, &ring, RING_IOVA, 64);
		if (ret)
			return ret;
		ret = tsr_dma_alloc(inst, &data, DATA_IOVA, DATA_BYTES);
		if (ret)
			return ret;
		tsr_ring_push(&ring, &fence);
		tsr_ring_kick(&ring);
		ret = tsr_wait_fence(inst, MARK64, TSR_DEADLINE_MS, &status);
		if (ret) {
			TH_LOG("the marker FENCE did not land (%d, status 0x%x)", ret, status);
			return ret;
		}
		/* A FILL into memory nobody mapped: FAULT_ADDR holds the marker. */
		tsr_ring_push(&ring, &fill);
		tsr_ring_kick(&ring);
		ret = tsr_wait_fault(inst, TSR_DEADLINE_MS, &code, &index);
		if (ret || tsr_reg64(inst, TESSERA_VF_FAULT_ADDR_LO) != MARK_ADDR) {
			TH_LOG("no fault at the marker address (%d, code 0x%x, addr 0x%llx)", ret,
			       code, (unsigned long long)tsr_reg64(inst, TESSERA_VF_FAULT_ADDR_LO));
			return -EIO;
		}
		/* The ring, the memory and the instance go with tenant A. */
	}
	return 0;
}

/* Tenant B: every readable dword as at power-on, device memory zero. */
static void expect_power_on(struct __test_metadata *_metadata, struct tsr_instance *inst,
			    const struct snapshot *power_on, const char *who)
{
	struct snapshot now;
	unsigned int i, logged = 0;
	size_t k, differ = 0, marks = 0, nz;

	ASSERT_EQ(0, take_snapshot(inst, &now));
	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		EXPECT_EQ(power_on->dwords[i], now.dwords[i]);
		if (power_on->dwords[i] != now.dwords[i])
			continue;
		for (k = 0; k < now.dwords[i]; k++) {
			uint32_t was = power_on->words[i][k], is = now.words[i][k];

			if (power_on->readable[i][k] != now.readable[i][k] ||
			    (now.readable[i][k] && was != is)) {
				differ++;
				marks += is == MARK32 || (is & 0xffff) == (MARK32 & 0xffff) ||
					 (is >> 16) == (MARK32 >> 16);
				if (logged++ < 12)
					TH_LOG("%s: %s+0x%zx reads 0x%08x, 0x%08x at power-on%s", who,
					       region_names[i], k * 4, is, was,
					       now.readable[i][k] ? "" : " (now unreadable)");
			}
		}
	}
	EXPECT_EQ(0, differ) {
		TH_LOG("%s: %zu dwords differ from power-on, %zu of them show the marker", who,
		       differ, marks);
	}
	free_snapshot(&now);

	ASSERT_EQ(0, tsr_bar2_map(inst));
	nz = tsr_count_not_byte(inst->bar2, inst->bar2_size, 0);
	EXPECT_EQ(0, nz) {
		tsr_log_first_diff(who, inst->bar2, inst->bar2_size, 0);
	}
}

static long instance_context(const struct tsr_instance *inst)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/context", inst->uuid);
	if (tsr_sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

FIXTURE(marker) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(marker) {
	const char *type;
};

FIXTURE_VARIANT_ADD(marker, vgpu_1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(marker, vgpu_2) { .type = "tessera-vgpu-2" };
FIXTURE_VARIANT_ADD(marker, vgpu_4) { .type = "tessera-vgpu-4" };
FIXTURE_VARIANT_ADD(marker, vgpu_8) { .type = "tessera-vgpu-8" };
FIXTURE_VARIANT_ADD(marker, vfpga_1) { .type = "tessera-vfpga-1" };
FIXTURE_VARIANT_ADD(marker, vfpga_2) { .type = "tessera-vfpga-2" };
FIXTURE_VARIANT_ADD(marker, vfpga_4) { .type = "tessera-vfpga-4" };

FIXTURE_SETUP(marker)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

/* In the parent, which shares *self but not the test's heap. */
FIXTURE_TEARDOWN_PARENT(marker)
{
	tsr_instance_teardown(&self->inst);
}

TEST_F(marker, reopened_instance_shows_nothing_of_tenant_a)
{
	struct snapshot power_on;

	ASSERT_EQ(0, take_snapshot(&self->inst, &power_on));
	write_everywhere(&self->inst);
	ASSERT_EQ(0, leave_markers(_metadata, &self->inst));
	tsr_instance_close(&self->inst);

	ASSERT_EQ(0, tsr_instance_open(&self->inst));
	ASSERT_EQ(0, tsr_enable_device(&self->inst));
	expect_power_on(_metadata, &self->inst, &power_on, "the same instance reopened");
	free_snapshot(&power_on);
}

TEST_F(marker, next_instance_on_the_slot_shows_nothing_of_tenant_a)
{
	long ctx = instance_context(&self->inst);
	struct snapshot power_on;

	ASSERT_LE(0, ctx);
	ASSERT_EQ(0, take_snapshot(&self->inst, &power_on));
	write_everywhere(&self->inst);
	ASSERT_EQ(0, leave_markers(_metadata, &self->inst));
	tsr_instance_close(&self->inst);
	ASSERT_EQ(0, tsr_instance_remove(&self->inst));

	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
	/* The same card context and device-memory slot: the first free ones. */
	ASSERT_EQ(ctx, instance_context(&self->inst));
	expect_power_on(_metadata, &self->inst, &power_on, "the next instance");
	free_snapshot(&power_on);
}

TEST_HARNESS_MAIN
