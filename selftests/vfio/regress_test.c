// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the isolation findings of issue 10: each test names
 * the finding it pins down and fails on the driver before its fix.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

FIXTURE(any_type) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(any_type) {
	const char *type;
};

FIXTURE_VARIANT_ADD(any_type, vgpu_1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(any_type, vgpu_8) { .type = "tessera-vgpu-8" };
FIXTURE_VARIANT_ADD(any_type, vfpga_1) { .type = "tessera-vfpga-1" };
FIXTURE_VARIANT_ADD(any_type, vfpga_4) { .type = "tessera-vfpga-4" };

FIXTURE_SETUP(any_type)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

FIXTURE_TEARDOWN_PARENT(any_type)
{
	tsr_instance_remove(&self->inst);
}

/*
 * The oops a hostile client found first: SET_IRQS with count 0 and BOOL or
 * EVENTFD data made the driver read a data buffer it never allocated. Every
 * index, both data kinds, with and without trailing bytes: the call must
 * return (0: no vector named, nothing to do) and the device must still
 * answer.
 */
TEST_F(any_type, set_irqs_count0_with_data)
{
	static const unsigned int indices[] = {
		VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX,
	};
	static const uint32_t kinds[] = { VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD };
	struct {
		struct vfio_irq_set hdr;
		int32_t data[2];
	} set;
	unsigned int i, k, extra;
	int ret;

	for (i = 0; i < sizeof(indices) / sizeof(indices[0]); i++) {
		int vectors = tsr_irq_count(&self->inst, indices[i]);

		for (k = 0; k < 2; k++) {
			for (extra = 0; extra <= sizeof(set.data); extra += sizeof(set.data)) {
				memset(&set, 0xff, sizeof(set));
				set.hdr.argsz = sizeof(set.hdr) + extra;
				set.hdr.flags = kinds[k] | VFIO_IRQ_SET_ACTION_TRIGGER;
				set.hdr.index = indices[i];
				set.hdr.start = 0;
				set.hdr.count = 0;
				ret = ioctl(self->inst.device_fd, VFIO_DEVICE_SET_IRQS, &set);
				if (vectors > 0) {
					EXPECT_EQ(0, ret) {
						TH_LOG("index %u kind 0x%x: %s", indices[i],
						       kinds[k], strerror(errno));
					}
				} else {
					EXPECT_EQ(-1, ret);
				}
			}
		}
	}
	/* The instance's lock was not left held: it still answers. */
	EXPECT_EQ(0, tsr_irq_disable(&self->inst, VFIO_PCI_MSIX_IRQ_INDEX));
	EXPECT_NE(0xdeadbeef, tsr_reg(&self->inst, TESSERA_VF_STATUS));
}

/*
 * Finding 6: BAR2 was zeroed only when the instance was created, so a
 * persistent instance (mdevctl define --auto; Nova reuses mdevs) handed
 * one VM's device memory to the next. It must read zero after a close and
 * reopen, and after VFIO_DEVICE_RESET.
 */
TEST_F(any_type, bar2_zero_after_reopen_and_reset)
{
	ASSERT_EQ(0, tsr_bar2_map(&self->inst));
	memset(self->inst.bar2, 0xa5, self->inst.bar2_size);
	tsr_instance_close(&self->inst);
	ASSERT_EQ(0, tsr_instance_open(&self->inst));
	ASSERT_EQ(0, tsr_enable_device(&self->inst));
	ASSERT_EQ(0, tsr_bar2_map(&self->inst));
	EXPECT_EQ(0, tsr_count_not_byte(self->inst.bar2, self->inst.bar2_size, 0)) {
		tsr_log_first_diff("BAR2 after reopen", self->inst.bar2,
				   self->inst.bar2_size, 0);
	}
	memset(self->inst.bar2, 0x5a, self->inst.bar2_size);
	ASSERT_EQ(0, ioctl(self->inst.device_fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, tsr_count_not_byte(self->inst.bar2, self->inst.bar2_size, 0)) {
		tsr_log_first_diff("BAR2 after VFIO_DEVICE_RESET", self->inst.bar2,
				   self->inst.bar2_size, 0);
	}
}

/*
 * Finding 8: per-instance figures in sysfs (busy time, commands, rejects)
 * were readable by every user. Root only, unless the host asks otherwise.
 */
TEST_F(any_type, tenant_figures_are_root_only)
{
	static const char *const files[] = {
		"busy_ns", "commands", "rejects", "stats", "pinned_pages", "sched_stats",
	};
	char path[PATH_MAX];
	struct stat st;
	unsigned int i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/%s",
			 self->inst.uuid, files[i]);
		ASSERT_EQ(0, stat(path, &st)) {
			TH_LOG("%s: %s", path, strerror(errno));
		}
		EXPECT_EQ(0, st.st_mode & 0077) {
			TH_LOG("%s has mode 0%o", path, st.st_mode & 0777);
		}
	}
}

/*
 * Finding 8: a freed context kept its last owner's MMU root and device-
 * memory window. After the instance is removed, the card's context points
 * at nothing (debugfs state shows free contexts' registers).
 */
TEST_F(any_type, freed_context_points_at_nothing)
{
	char path[PATH_MAX], buf[64], prefix[32], want[96], line[512];
	unsigned int ctx;
	bool seen = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/context", self->inst.uuid);
	ASSERT_EQ(0, tsr_sysfs_read(path, buf, sizeof(buf)));
	ctx = strtoul(buf, NULL, 0);
	tsr_instance_close(&self->inst);
	ASSERT_EQ(0, tsr_instance_remove(&self->inst));
	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/state", self->inst.parent);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	snprintf(prefix, sizeof(prefix), "context %u:", ctx);
	snprintf(want, sizeof(want), "context %u: free, mmu 0x0 window 0x0/0x0 ring 0x0\n", ctx);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)))
			continue;
		seen = true;
		EXPECT_STREQ(want, line);
	}
	fclose(f);
	EXPECT_TRUE(seen) {
		TH_LOG("no free-context line for context %u in %s", ctx, path);
	}
}

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(1ull << 20)

FIXTURE(vgpu) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf data;
};

FIXTURE_SETUP(vgpu)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA, DATA_BYTES));
}

FIXTURE_TEARDOWN_PARENT(vgpu)
{
	tsr_instance_remove(&self->inst);
}

/*
 * Finding 1: a mediator reject made dma_unmap take the instance for
 * "runs nothing more" and unpin at once, while the commands accepted before
 * the rejected one still ran. Here a FILL waits behind a BUSY, a privileged
 * command after them is rejected, and the guest unmaps the FILL's buffer:
 * the unmap must wait for the FILL, which then completes whole (before, it
 * faulted on the unpinned pages half-way or wrote after the unmap).
 */
TEST_F(vgpu, unmap_after_reject_waits_for_accepted_work)
{
	struct tessera_cmd busy = tsr_cmd_busy(200000);
	struct tessera_cmd fill = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, 0x5a5a5a5a);
	struct tessera_cmd priv = { .opcode = TESSERA_OP_REG_WRITE };
	uint32_t code = 0, index = 0, status = 0;
	size_t left;

	memset(self->data.va, 0, DATA_BYTES);
	tsr_ring_push(&self->ring, &busy);
	tsr_ring_push(&self->ring, &fill);
	tsr_ring_push(&self->ring, &priv);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring));
	ASSERT_EQ(0, tsr_wait_fault(&self->inst, TSR_DEADLINE_MS, &code, &index));
	EXPECT_EQ(TESSERA_VF_REJECT_OPCODE, code);
	EXPECT_EQ(2, index);
	/* Still running the BUSY: the unmap comes while the FILL is queued. */
	EXPECT_TRUE(tsr_reg(&self->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_BUSY);
	ASSERT_EQ(0, tsr_dma_unmap(&self->inst, &self->data));
	/* The unmap returned only once the card was done with the pages. */
	left = tsr_count_not_byte(self->data.va, DATA_BYTES, 0x5a);
	EXPECT_EQ(0, left) {
		tsr_log_first_diff("the FILL accepted before the reject", self->data.va,
				   DATA_BYTES, 0x5a);
	}
	ASSERT_EQ(0, tsr_wait_status(&self->inst, TESSERA_VF_STATUS_BUSY, 0, TSR_DEADLINE_MS,
				     &status));
	/* Nothing was written after the unmap either. */
	EXPECT_EQ(left, tsr_count_not_byte(self->data.va, DATA_BYTES, 0x5a));
	/* The first fault stays the guest's own reject, not a card MMU fault. */
	EXPECT_EQ(TESSERA_VF_REJECT_OPCODE, tsr_reg(&self->inst, TESSERA_VF_FAULT_CODE));
}

/*
 * Finding 8: RING_BASE written after the ring was configured moved where
 * the next doorbell copied commands from, past the bounds checked at
 * configure time. The ring stays where it was configured.
 */
TEST_F(vgpu, ring_base_is_fixed_at_configure)
{
	struct tessera_cmd fill = tsr_cmd_fill(DATA_IOVA, 4096, 0x77777777);
	uint64_t v;

	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_BASE_LO, (uint32_t)DATA_IOVA));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_BASE_HI, 0));
	/* DATA_IOVA holds zeroes: NOPs, if the mediator read the ring there. */
	memset(self->data.va, 0, DATA_BYTES);
	tsr_ring_push(&self->ring, &fill);
	v = tsr_ring_fence_kick(&self->ring, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0, tsr_count_not_byte(self->data.va, 4096, 0x77));
}

FIXTURE(vgpu_big) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf data;
};

FIXTURE_SETUP(vgpu_big)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA,
				   2 * 4096 * TESSERA_CMD_SIZE));
}

FIXTURE_TEARDOWN_PARENT(vgpu_big)
{
	tsr_instance_remove(&self->inst);
}

/*
 * Finding 5: nested BATCH(4096) entries made the mediator shadow ~1 GiB
 * and audit ~16M commands in one trap. A doorbell carrying more than one
 * trap's budget is refused with its own code, before anything runs.
 */
TEST_F(vgpu_big, nested_batches_hit_the_trap_limit)
{
	struct tessera_cmd *outer = self->data.va, *leaf = outer + 4096;
	struct tessera_cmd batch = tsr_cmd_batch(DATA_IOVA, 4096);
	uint32_t code = 0, index = 0;
	unsigned int i;

	/* One ring entry: 4096 BATCHes of 4096 NOPs each, 16M commands. */
	for (i = 0; i < 4096; i++) {
		outer[i] = tsr_cmd_batch(DATA_IOVA + 4096 * TESSERA_CMD_SIZE, 4096);
		leaf[i] = tsr_cmd_nop();
	}
	tsr_ring_push(&self->ring, &batch);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring));
	ASSERT_EQ(0, tsr_wait_fault(&self->inst, TSR_DEADLINE_MS, &code, &index));
	EXPECT_EQ(TESSERA_VF_REJECT_TRAP_LIMIT, code) {
		TH_LOG("fault code 0x%x", code);
	}
	EXPECT_EQ(0, index);
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_CMDS_DONE));
}

TEST_HARNESS_MAIN
