// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual PCI config space of a vGPU instance, read and written through
 * the VFIO config region exactly as QEMU's vfio-pci does when it builds the
 * guest's view: identity, BAR sizing, writable and read-only bits, and the
 * capability chain that must carry MSI-X.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_BAR(n)		(0x10 + 4 * (n))
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_MSIX		0x11

FIXTURE(config) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(config) {
	const char *type;
};

FIXTURE_VARIANT_ADD(config, vgpu1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(config, vgpu8) { .type = "tessera-vgpu-8" };

FIXTURE_SETUP(config)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

FIXTURE_TEARDOWN_PARENT(config)
{
	/* the test process is gone and its fds with it: only remove */
	tsr_instance_remove(&self->inst);
}

static uint32_t cfg_write_read32(struct tsr_instance *inst, uint32_t off,
				 uint32_t val)
{
	tsr_cfg_write(inst, off, &val, 4);
	return tsr_cfg_read32(inst, off);
}

/* The guest's lspci must name a Tessera vGPU, a processing accelerator. */
TEST_F_TIMEOUT(config, identity_is_tessera_vgpu, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;

	ASSERT_TRUE(inst->info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_GE(inst->info.num_regions, VFIO_PCI_NUM_REGIONS);
	ASSERT_GT(inst->info.num_irqs, VFIO_PCI_MSIX_IRQ_INDEX);
	ASSERT_GE(inst->region[VFIO_PCI_CONFIG_REGION_INDEX].size, 256);

	EXPECT_EQ(TESSERA_PCI_VENDOR_ID, tsr_cfg_read16(inst, 0x00));
	EXPECT_EQ(TESSERA_PCI_DEVICE_VGPU, tsr_cfg_read16(inst, 0x02));
	EXPECT_EQ(TESSERA_PCI_REVISION, tsr_cfg_read8(inst, 0x08));
	EXPECT_EQ(TESSERA_PCI_CLASS_ACCEL, tsr_cfg_read32(inst, 0x08) >> 8);
	/* a type 0 (endpoint) header, single function */
	EXPECT_EQ(0, tsr_cfg_read8(inst, 0x0e) & 0x7f);
}

/*
 * QEMU reads the whole config space with one pread when it opens the
 * device; that read must succeed and agree with small reads.
 */
TEST_F_TIMEOUT(config, whole_config_space_reads_in_one_call, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint64_t size = inst->region[VFIO_PCI_CONFIG_REGION_INDEX].size;
	uint8_t whole[4096];
	uint32_t off;

	ASSERT_LE(size, sizeof(whole));
	ASSERT_EQ(0, tsr_cfg_read(inst, 0, whole, size));
	for (off = 0; off < 0x40; off += 4)
		EXPECT_EQ(*(uint32_t *)&whole[off], tsr_cfg_read32(inst, off)) {
			TH_LOG("config dword 0x%02x differs between one big and a small read",
			       off);
		}
	/* and unaligned small reads inside a dword, as lspci does */
	EXPECT_EQ(whole[0x01], tsr_cfg_read8(inst, 0x01));
	EXPECT_EQ(*(uint16_t *)&whole[0x02], tsr_cfg_read16(inst, 0x02));
	EXPECT_EQ(whole[0x0b], tsr_cfg_read8(inst, 0x0b));
}

/* Identity and class are read-only: a guest writing them changes nothing. */
TEST_F_TIMEOUT(config, identity_and_class_are_read_only, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t id = tsr_cfg_read32(inst, 0x00);
	uint32_t class_rev = tsr_cfg_read32(inst, 0x08);
	uint8_t hdr = tsr_cfg_read8(inst, 0x0e);
	uint8_t cap_ptr = tsr_cfg_read8(inst, 0x34);
	uint8_t ones = 0xff;

	EXPECT_EQ(id, cfg_write_read32(inst, 0x00, 0xffffffff));
	EXPECT_EQ(id, cfg_write_read32(inst, 0x00, 0));
	EXPECT_EQ(class_rev, cfg_write_read32(inst, 0x08, 0xffffffff));
	tsr_cfg_write(inst, 0x0e, &ones, 1);
	EXPECT_EQ(hdr, tsr_cfg_read8(inst, 0x0e));
	tsr_cfg_write(inst, 0x34, &ones, 1);
	EXPECT_EQ(cap_ptr, tsr_cfg_read8(inst, 0x34));
}

/*
 * BAR sizing as firmware and QEMU do it: write all ones, read the size mask
 * back, restore. The sizes must match the VFIO regions QEMU will map.
 */
TEST_F_TIMEOUT(config, bar0_sizes_to_the_register_file, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t orig = tsr_cfg_read32(inst, PCI_BAR(0));
	uint32_t mask;
	uint64_t size;

	ASSERT_EQ(TESSERA_VF_BAR0_SIZE, inst->region[VFIO_PCI_BAR0_REGION_INDEX].size);
	EXPECT_EQ(0, orig & 1);			/* memory, not I/O */
	mask = cfg_write_read32(inst, PCI_BAR(0), 0xffffffff);
	size = (uint32_t)~(mask & ~0xfu) + 1;
	if ((orig & 0x6) == 0x4) {		/* 64-bit: include the high half */
		uint32_t orig_hi = tsr_cfg_read32(inst, PCI_BAR(1));
		uint32_t hi = cfg_write_read32(inst, PCI_BAR(1), 0xffffffff);

		size = ~(((uint64_t)hi << 32) | (mask & ~0xfu)) + 1;
		cfg_write_read32(inst, PCI_BAR(1), orig_hi);
	}
	EXPECT_EQ(TESSERA_VF_BAR0_SIZE, size);
	/* the flag bits survive the all-ones write */
	EXPECT_EQ(orig & 0xf, mask & 0xf);
	EXPECT_EQ(orig, cfg_write_read32(inst, PCI_BAR(0), orig));
}

TEST_F_TIMEOUT(config, bar2_is_64bit_prefetchable_sized_to_the_slice, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint64_t region_size = inst->region[VFIO_PCI_BAR2_REGION_INDEX].size;
	uint32_t lo = tsr_cfg_read32(inst, PCI_BAR(2));
	uint32_t hi = tsr_cfg_read32(inst, PCI_BAR(3));
	uint32_t mlo, mhi;
	uint64_t size;

	ASSERT_GT(region_size, 0);
	/* the BAR covers the slice, rounded up to a power of two */
	EXPECT_GE(region_size, inst->vram_size);
	EXPECT_LT(region_size / 2, inst->vram_size);
	EXPECT_EQ(0, lo & 1);
	EXPECT_EQ(0x4, lo & 0x6);		/* 64-bit */
	EXPECT_EQ(0x8, lo & 0x8);		/* prefetchable */
	/* sizes are powers of two so that the BAR can be decoded */
	EXPECT_EQ(0, region_size & (region_size - 1));

	mlo = cfg_write_read32(inst, PCI_BAR(2), 0xffffffff);
	mhi = cfg_write_read32(inst, PCI_BAR(3), 0xffffffff);
	size = ~(((uint64_t)mhi << 32) | (mlo & ~0xfu)) + 1;
	EXPECT_EQ(region_size, size);
	EXPECT_EQ(lo & 0xf, mlo & 0xf);

	EXPECT_EQ(lo, cfg_write_read32(inst, PCI_BAR(2), lo));
	EXPECT_EQ(hi, cfg_write_read32(inst, PCI_BAR(3), hi));
}

/* BARs with no region behind them size to zero: a guest allocates nothing. */
TEST_F_TIMEOUT(config, absent_bars_size_to_zero, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint32_t bar0 = tsr_cfg_read32(inst, PCI_BAR(0));
	int n;

	for (n = 1; n < 6; n++) {
		if (n == 1 && (bar0 & 0x6) == 0x4)
			continue;		/* high half of BAR0 */
		if (n == 2 || n == 3)
			continue;		/* BAR2, 64-bit */
		if (inst->region[VFIO_PCI_BAR0_REGION_INDEX + n].size)
			continue;		/* e.g. an MSI-X table BAR */
		EXPECT_EQ(0, cfg_write_read32(inst, PCI_BAR(n), 0xffffffff)) {
			TH_LOG("BAR%d decodes with no VFIO region behind it", n);
		}
	}
}

/* Memory-space and bus-master enables are writable, as a guest driver needs. */
TEST_F_TIMEOUT(config, command_enables_are_writable, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint16_t orig = tsr_cfg_read16(inst, PCI_COMMAND);
	uint16_t want = orig | 0x6;		/* MEMORY | MASTER */
	uint16_t off = orig & ~0x6;

	ASSERT_EQ(0, tsr_cfg_write(inst, PCI_COMMAND, &want, 2));
	EXPECT_EQ(0x6, tsr_cfg_read16(inst, PCI_COMMAND) & 0x6);
	ASSERT_EQ(0, tsr_cfg_write(inst, PCI_COMMAND, &off, 2));
	EXPECT_EQ(0, tsr_cfg_read16(inst, PCI_COMMAND) & 0x6);
	/* I/O space enable stays off: the instance has no I/O BAR */
	want = orig | 0x1;
	tsr_cfg_write(inst, PCI_COMMAND, &want, 2);
	EXPECT_EQ(0, tsr_cfg_read16(inst, PCI_COMMAND) & 0x1);
	tsr_cfg_write(inst, PCI_COMMAND, &orig, 2);
}

/* Status is read-only or write-one-to-clear: the capability bit stays. */
TEST_F_TIMEOUT(config, status_capability_bit_stays, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint16_t ones = 0xffff, zero = 0;

	ASSERT_TRUE(tsr_cfg_read16(inst, PCI_STATUS) & PCI_STATUS_CAP_LIST);
	tsr_cfg_write(inst, PCI_STATUS, &ones, 2);
	EXPECT_TRUE(tsr_cfg_read16(inst, PCI_STATUS) & PCI_STATUS_CAP_LIST);
	tsr_cfg_write(inst, PCI_STATUS, &zero, 2);
	EXPECT_TRUE(tsr_cfg_read16(inst, PCI_STATUS) & PCI_STATUS_CAP_LIST);
}

/* The capability chain is well formed: aligned, inside config space, ends. */
TEST_F_TIMEOUT(config, capability_chain_terminates, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	uint8_t pos = tsr_cfg_read8(inst, 0x34);
	int hops = 0;

	while (pos) {
		ASSERT_EQ(0, pos & 3);
		ASSERT_GE(pos, 0x40);
		ASSERT_LT(hops++, 48) {
			TH_LOG("capability chain loops");
		}
		TH_LOG("capability 0x%02x at 0x%02x", tsr_cfg_read8(inst, pos), pos);
		pos = tsr_cfg_read8(inst, pos + 1);
	}
	EXPECT_GT(hops, 0);
}

/*
 * MSI-X is how QEMU delivers the fence interrupt: the capability must be
 * there, its table must fit in a BAR QEMU can see, and its size must match
 * what VFIO_DEVICE_GET_IRQ_INFO reports.
 */
TEST_F_TIMEOUT(config, msix_capability_matches_vfio_irq_info, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	struct vfio_irq_info irq = { .argsz = sizeof(irq),
				     .index = VFIO_PCI_MSIX_IRQ_INDEX };
	uint32_t table, pba, table_off, pba_off;
	unsigned int table_bir, pba_bir, vectors;
	uint16_t ctrl, ctrl_flip;
	int pos;

	pos = tsr_cfg_find_cap(inst, PCI_CAP_ID_MSIX);
	ASSERT_GT(pos, 0) {
		TH_LOG("no MSI-X capability in the chain");
	}
	ctrl = tsr_cfg_read16(inst, pos + 2);
	vectors = (ctrl & 0x7ff) + 1;
	EXPECT_GE(vectors, TESSERA_VF_NUM_VECTORS);

	ASSERT_EQ(0, ioctl(inst->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &irq));
	EXPECT_EQ(vectors, irq.count);
	EXPECT_TRUE(irq.flags & VFIO_IRQ_INFO_EVENTFD);

	table = tsr_cfg_read32(inst, pos + 4);
	pba = tsr_cfg_read32(inst, pos + 8);
	table_bir = table & 7;
	pba_bir = pba & 7;
	table_off = table & ~7u;
	pba_off = pba & ~7u;
	ASSERT_LT(table_bir, 6);
	ASSERT_LT(pba_bir, 6);
	EXPECT_GE(inst->region[table_bir].size, table_off + 16ull * vectors);
	EXPECT_GE(inst->region[pba_bir].size, pba_off + 8ull * ((vectors + 63) / 64));

	/* the table-size field is read-only; enable and mask are writable */
	ctrl_flip = ctrl ^ 0x7ff;
	tsr_cfg_write(inst, pos + 2, &ctrl_flip, 2);
	EXPECT_EQ(ctrl & 0x7ff, tsr_cfg_read16(inst, pos + 2) & 0x7ff);
	tsr_cfg_write(inst, pos + 2, &ctrl, 2);
}

/*
 * MSI is offered beside MSI-X (Documentation/driver.rst: MSI at 0x40, one
 * vector, 64-bit address), and VFIO must agree on it. An instance without
 * the capability fails here: it is a regression, not a reason to skip.
 */
TEST_F_TIMEOUT(config, msi_capability_matches_vfio_irq_info, TSR_TEST_TIMEOUT_S)
{
	struct tsr_instance *inst = &self->inst;
	int pos = tsr_cfg_find_cap(inst, PCI_CAP_ID_MSI);
	int count = tsr_irq_count(inst, VFIO_PCI_MSI_IRQ_INDEX);
	uint16_t ctrl;

	ASSERT_GT(pos, 0) {
		TH_LOG("no MSI capability in the chain (VFIO reports %d MSI vectors)", count);
	}
	ctrl = tsr_cfg_read16(inst, pos + 2);
	/* multiple-message capable: log2 of the vector count */
	EXPECT_EQ(TESSERA_VF_NUM_VECTORS, count);
	EXPECT_EQ(count, 1 << ((ctrl >> 1) & 7));
	/* 64-bit address capable */
	EXPECT_TRUE(ctrl & 0x80);
}

TEST_HARNESS_MAIN
