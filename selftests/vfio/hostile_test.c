// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest against its own instance (A) while a bystander instance
 * (B) shares the card. Every attack must get a clear error or a reported
 * fault on A only; after each one B's slice is intact and B still runs.
 *
 * A command the mediator's audit is meant to refuse must be refused by the
 * mediator itself, before it reaches the card: VF_FAULT_CODE holds the
 * audit's own TESSERA_VF_REJECT_* reason (never a card fault code, which
 * would mean the command ran), the instance's "rejects" counter grows by
 * one and its "card_faults" counter does not move. So each of these tests
 * fails if the audit rule it aims at is disabled, even though the card
 * would still fault the command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(1ull << 20)
#define B_PATTERN	0x3c

FIXTURE(hostile) {
	struct tsr_instance a, b;
	struct tsr_ring ring_a, ring_b;
	struct tsr_dma_buf data_a, data_b;
};

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->a, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_instance_setup(&self->b, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_bar2_map(&self->a));
	ASSERT_EQ(0, tsr_bar2_map(&self->b));
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_ring_setup(&self->b, &self->ring_b, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->a, &self->data_a, DATA_IOVA, DATA_BYTES));
	ASSERT_EQ(0, tsr_dma_alloc(&self->b, &self->data_b, DATA_IOVA, DATA_BYTES));
	memset(self->b.bar2, B_PATTERN, self->b.bar2_size);
}

FIXTURE_TEARDOWN_PARENT(hostile)
{
	tsr_instance_remove(&self->a);
	tsr_instance_remove(&self->b);
}

/* B's slice is as B left it, and B runs a GEMM-free FILL + fence. */
static void check_bystander(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self)
{
	struct tessera_cmd c = tsr_cmd_fill(DATA_IOVA, 65536, 0x0b0b0b0b);
	uint64_t v;

	EXPECT_EQ(0, tsr_count_not_byte(self->b.bar2, self->b.bar2_size, B_PATTERN)) {
		TH_LOG("the bystander's device memory changed");
	}
	tsr_ring_push(&self->ring_b, &c);
	v = tsr_ring_fence_kick(&self->ring_b, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->b, v, TSR_DEADLINE_MS, NULL)) {
		TH_LOG("the bystander stopped running");
	}
	tsr_log_first_diff("the bystander's FILL", self->data_b.va, 65536, 0x0b);
	EXPECT_EQ(0, tsr_count_not_byte(self->data_b.va, 65536, 0x0b));
	memset(self->data_b.va, 0, 65536);
}

/* Resets A and reprograms its ring, ready for the next attack. */
static void recover_a(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self)
{
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RESET, 1));
	ASSERT_EQ(0, tsr_wait_status(&self->a, TESSERA_VF_STATUS_FAULTED, 0,
				     TSR_DEADLINE_MS, NULL));
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_BASE_LO, (uint32_t)RING_IOVA));
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_BASE_HI, RING_IOVA >> 32));
	ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_SIZE, 64));
	self->ring_a.tail = tsr_reg(&self->a, TESSERA_VF_RING_HEAD);
}

/*
 * Runs @cmd on A behind a good FILL: expects the mediator to reject it with
 * @want (a TESSERA_VF_REJECT_* code) at the command's ring index, before it
 * reaches the card (A's rejects counter +1, its card_faults unchanged), the
 * FILL before it done, the FILL after it not; then recovers A and checks B.
 */
static void expect_rejected(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			    const struct tessera_cmd *cmd, uint32_t want)
{
	uint32_t *out = self->data_a.va;
	struct tessera_cmd c;
	uint32_t code = 0, index = 0, at;
	long long rejects = tsr_inst_stat(&self->a, "rejects");
	long long card_faults = tsr_inst_stat(&self->a, "card_faults");

	ASSERT_LE(0, rejects);
	ASSERT_LE(0, card_faults);
	memset(out, 0, 8192);
	c = tsr_cmd_fill(DATA_IOVA, 4096, 0x11111111);
	tsr_ring_push(&self->ring_a, &c);
	at = tsr_ring_push(&self->ring_a, cmd);
	c = tsr_cmd_fill(DATA_IOVA + 4096, 4096, 0x22222222);
	tsr_ring_push(&self->ring_a, &c);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring_a));
	ASSERT_EQ(0, tsr_wait_fault(&self->a, TSR_DEADLINE_MS, &code, &index)) {
		TH_LOG("opcode 0x%02x was not rejected", cmd->opcode);
	}
	EXPECT_EQ(want, code) {
		TH_LOG("opcode 0x%02x: fault code 0x%x, want the mediator's 0x%x%s", cmd->opcode,
		       code, want, code && code < TESSERA_VF_REJECT_BASE ?
		       " (a card fault: the audit let the command through)" : "");
	}
	EXPECT_EQ(at, index);
	/* the accepted command before it still runs: wait for the ring to drain */
	ASSERT_EQ(0, tsr_wait_status(&self->a, TESSERA_VF_STATUS_BUSY, 0, TSR_DEADLINE_MS,
				     NULL));
	EXPECT_EQ(rejects + 1, tsr_inst_stat(&self->a, "rejects")) {
		TH_LOG("opcode 0x%02x: the mediator did not count a reject", cmd->opcode);
	}
	EXPECT_EQ(card_faults, tsr_inst_stat(&self->a, "card_faults")) {
		TH_LOG("opcode 0x%02x reached the card and faulted there", cmd->opcode);
	}
	EXPECT_EQ(0x11111111, out[0]);		/* work before the bad command ran */
	EXPECT_EQ(0, out[1024]);		/* work after it did not */
	EXPECT_EQ(0, out[2047]);
	recover_a(_metadata, self);
	check_bystander(_metadata, self);
}

#define EXPECT_REJECTED(cmd, want) expect_rejected(_metadata, self, cmd, want)

/* ---- region access with bad offsets, sizes and alignments ---- */

static void expect_rw_error(struct __test_metadata *_metadata, int fd, bool write,
			    uint64_t off, size_t len, int want_errno)
{
	uint8_t buf[16] = { 0 };
	ssize_t n;

	errno = 0;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	EXPECT_EQ(-1, n) {
		TH_LOG("%s of %zu bytes at 0x%llx returned %zd", write ? "write" : "read",
		       len, (unsigned long long)off, n);
	}
	EXPECT_EQ(want_errno, errno) {
		TH_LOG("%s of %zu bytes at 0x%llx: errno %d (%s)", write ? "write" : "read",
		       len, (unsigned long long)off, errno, strerror(errno));
	}
}

TEST_F_TIMEOUT(hostile, bar0_bad_offsets_sizes_alignments_fail_einval, TSR_TEST_TIMEOUT_S)
{
	int fd = self->a.device_fd;
	uint64_t bar0 = tsr_region_offset(&self->a, VFIO_PCI_BAR0_REGION_INDEX);
	void *volatile bad_ptr = (void *)16;	/* unmapped user address */
	int w;

	for (w = 0; w < 2; w++) {
		expect_rw_error(_metadata, fd, w, bar0 + TESSERA_VF_BAR0_SIZE, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, bar0 + TESSERA_VF_BAR0_SIZE - 2, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, bar0 + 0x10000000, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, bar0 + TESSERA_VF_MAGIC + 2, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, bar0 + TESSERA_VF_MAGIC + 1, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, bar0 + TESSERA_VF_MAGIC, 3, EINVAL);
		expect_rw_error(_metadata, fd, w, bar0 + TESSERA_VF_MAGIC, 16, EINVAL);
	}
	/* a bad user pointer is EFAULT, not a crash */
	errno = 0;
	EXPECT_EQ(-1, pread(fd, bad_ptr, 4, bar0 + TESSERA_VF_MAGIC));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, bad_ptr, 4, bar0 + TESSERA_VF_RING_SIZE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(TESSERA_MAGIC, tsr_reg(&self->a, TESSERA_VF_MAGIC));
	check_bystander(_metadata, self);
}

TEST_F_TIMEOUT(hostile, config_and_absent_regions_fail_einval, TSR_TEST_TIMEOUT_S)
{
	int fd = self->a.device_fd;
	const struct vfio_region_info *cfg = &self->a.region[VFIO_PCI_CONFIG_REGION_INDEX];
	unsigned int i;
	int w;

	for (w = 0; w < 2; w++) {
		expect_rw_error(_metadata, fd, w, cfg->offset + cfg->size, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, cfg->offset + cfg->size - 2, 4, EINVAL);
		/* regions the instance does not have, and indexes past the last */
		for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
			if (self->a.region[i].size)
				continue;
			expect_rw_error(_metadata, fd, w, (uint64_t)i << 40, 4, EINVAL);
		}
		expect_rw_error(_metadata, fd, w, 20ull << 40, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, ~0ull >> 1, 4, EINVAL);
	}
	EXPECT_EQ(TESSERA_PCI_VENDOR_ID, tsr_cfg_read16(&self->a, 0));
	check_bystander(_metadata, self);
}

TEST_F_TIMEOUT(hostile, bar2_access_beyond_the_slice_fails, TSR_TEST_TIMEOUT_S)
{
	const struct vfio_region_info *ri = &self->a.region[VFIO_PCI_BAR2_REGION_INDEX];
	int fd = self->a.device_fd;
	void *p;
	int w;

	for (w = 0; w < 2; w++) {
		expect_rw_error(_metadata, fd, w, ri->offset + ri->size, 4, EINVAL);
		expect_rw_error(_metadata, fd, w, ri->offset + ri->size + 4096, 8, EINVAL);
	}
	/* mappings beyond the slice, of the trapped BAR0, or private: refused */
	p = mmap(NULL, self->a.vram_size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 ri->offset);
	EXPECT_EQ(MAP_FAILED, p) {
		TH_LOG("a mapping reaching past the slice was granted");
	}
	if (p != MAP_FAILED)
		munmap(p, self->a.vram_size + 4096);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, ri->offset + ri->size);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 tsr_region_offset(&self->a, VFIO_PCI_BAR0_REGION_INDEX));
	EXPECT_EQ(MAP_FAILED, p) {
		TH_LOG("the trapped register file could be mapped");
	}
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, ri->offset);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, 4096);
	check_bystander(_metadata, self);
}

/* ---- ioctls ---- */

TEST_F_TIMEOUT(hostile, unknown_and_malformed_ioctls_fail_cleanly, TSR_TEST_TIMEOUT_S)
{
	int fd = self->a.device_fd;
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	struct {
		struct vfio_irq_set set;
		int32_t fds[4];
	} s;
	int ret;

	/* unknown commands */
	errno = 0;
	ret = ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 60));
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == ENOTTY || errno == EINVAL) {
		TH_LOG("unknown ioctl: errno %d", errno);
	}
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, _IOWR('Z', 1, int), &ret));
	EXPECT_TRUE(errno == ENOTTY || errno == EINVAL);

	/* region info: short argsz, bad index, bad pointer */
	memset(&ri, 0, sizeof(ri));
	ri.argsz = 4;
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
	ri.argsz = sizeof(ri);
	ri.index = 1000;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* irq info: bad index */
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = 77;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	EXPECT_EQ(EINVAL, errno);

	/* set irqs: short argsz, bad index, vectors past the end, two data types */
	memset(&s, 0, sizeof(s));
	s.set.argsz = 8;
	s.set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.set.index = VFIO_PCI_MSIX_IRQ_INDEX;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.set.argsz = sizeof(s.set);
	s.set.index = 77;
	s.set.count = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.set.index = VFIO_PCI_MSIX_IRQ_INDEX;
	s.set.start = 5;
	s.set.count = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	s.set.start = 0;
	s.set.count = 1;
	s.set.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
		      VFIO_IRQ_SET_ACTION_TRIGGER;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_EQ(EINVAL, errno);
	/* an eventfd argument that is not a file, and one that is not an eventfd */
	s.set.argsz = sizeof(s.set) + sizeof(int32_t);
	s.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.fds[0] = 9999;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_TRUE(errno == EBADF || errno == EINVAL);
	s.fds[0] = fd;
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_SET_IRQS, &s));
	EXPECT_TRUE(errno == EINVAL || errno == EBADF);

	/* the instance still answers */
	EXPECT_EQ(TESSERA_MAGIC, tsr_reg(&self->a, TESSERA_VF_MAGIC));
	check_bystander(_metadata, self);
}

/* ---- commands ---- */

TEST_F_TIMEOUT(hostile, privileged_opcodes_are_rejected, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd c;

	/* a register write aimed at the card's reset register */
	memset(&c, 0, sizeof(c));
	c.opcode = TESSERA_OP_REG_WRITE;
	c.arg[0] = TESSERA_GLOBAL_BASE + TESSERA_REG_RESET;
	c.arg[1] = TESSERA_RESET_KEY;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_OPCODE);
	/* an MMU root swap for context 0 */
	memset(&c, 0, sizeof(c));
	c.opcode = TESSERA_OP_MMU_UPDATE;
	c.arg[0] = 0;
	c.arg[1] = 0x1000;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_OPCODE);
	/* every other opcode in the privileged space */
	memset(&c, 0, sizeof(c));
	c.opcode = 0x12;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_OPCODE);
}

TEST_F_TIMEOUT(hostile, undefined_opcodes_are_rejected, TSR_TEST_TIMEOUT_S)
{
	static const uint8_t ops[] = { 0x08, 0x0f, 0x7f, 0x80, 0xff };
	struct tessera_cmd c;
	unsigned int i;

	for (i = 0; i < sizeof(ops); i++) {
		memset(&c, 0, sizeof(c));
		c.opcode = ops[i];
		EXPECT_REJECTED(&c, TESSERA_VF_REJECT_OPCODE);
	}
}

/* A privileged command hidden in a second-level batch is found too. */
TEST_F_TIMEOUT(hostile, privileged_opcode_inside_batch_is_rejected, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd *batch =
		(struct tessera_cmd *)((uint8_t *)self->data_a.va + 65536);
	struct tessera_cmd c = tsr_cmd_batch(DATA_IOVA + 65536, 2);

	batch[0] = tsr_cmd_nop();
	memset(&batch[1], 0, sizeof(batch[1]));
	batch[1].opcode = TESSERA_OP_REG_WRITE;
	batch[1].arg[0] = TESSERA_CTX_REG(0, TESSERA_CTX_CONFIG);
	batch[1].arg[1] = TESSERA_CTX_CFG_ENABLE | TESSERA_CTX_CFG_PRIV;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_OPCODE);
}

/* Batches that loop, nest too deep or run too long are refused, not run. */
TEST_F_TIMEOUT(hostile, batch_loops_and_deep_nesting_are_rejected, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd *b1 = (struct tessera_cmd *)((uint8_t *)self->data_a.va + 65536);
	struct tessera_cmd *b2 = b1 + 64, *b3 = b1 + 128;
	uint64_t b1_iova = DATA_IOVA + 65536;
	struct tessera_cmd c;

	/* a batch that calls itself */
	b1[0] = tsr_cmd_batch(b1_iova, 1);
	c = tsr_cmd_batch(b1_iova, 1);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BATCH);
	/* one level deeper than allowed */
	b1[0] = tsr_cmd_batch(b1_iova + 64 * 64, 1);
	b2[0] = tsr_cmd_batch(b1_iova + 128 * 64, 1);
	b3[0] = tsr_cmd_nop();
	c = tsr_cmd_batch(b1_iova, 1);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BATCH);
	/* too many commands */
	c = tsr_cmd_batch(b1_iova, TESSERA_MAX_BATCH_CMDS + 1);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BATCH);
}

TEST_F_TIMEOUT(hostile, reserved_fields_must_be_zero, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd c;

	c = tsr_cmd_fill(DATA_IOVA + 8192, 64, 1);
	c.arg[6] = 1;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RESERVED);
	c = tsr_cmd_fill(DATA_IOVA + 8192, 64, 1);
	c.reserved = 0x8000;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RESERVED);
	c = tsr_cmd_nop();
	c.param = 1;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RESERVED);
	c = tsr_cmd_fence(0, 1, false);
	c.flags = 0x80;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RESERVED);
	c = tsr_cmd_copy(DATA_IOVA + 8192, DATA_IOVA + 16384, 64);
	c.flags = 1;
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RESERVED);
}

TEST_F_TIMEOUT(hostile, sizes_beyond_bounds_are_rejected, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd c;

	c = tsr_cmd_fill(tsr_vram_dva(0), TESSERA_MAX_XFER_BYTES + 4, 0);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_fill(DATA_IOVA + 8192, 6, 0);	/* not a multiple of 4 */
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_gemm(DATA_IOVA, DATA_IOVA, DATA_IOVA + 8192, TESSERA_GEMM_MAX_DIM + 1,
			 1, 1, false);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_gemm(DATA_IOVA, DATA_IOVA, DATA_IOVA + 8192, 1, 1, 1, false);
	c.arg[4] = 1ull << 32;				/* n that truncates to 0 */
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_busy(TESSERA_MAX_BUSY_US + 1);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_elemwise(TESSERA_EW_NUM_OPS, DATA_IOVA + 8192, DATA_IOVA, DATA_IOVA, 4);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_copy(DATA_IOVA + 8192, DATA_IOVA + 8192 + 16, 64);	/* overlap */
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
	c = tsr_cmd_fence(DATA_IOVA + 8196, 1, false);			/* misaligned */
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_BOUNDS);
}

/* Out-of-instance addresses (the isolation test covers more of them). */
TEST_F_TIMEOUT(hostile, addresses_outside_the_instance_are_rejected, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd c;

	c = tsr_cmd_fill(tsr_vram_dva(self->a.bar2_size), 4096, 0xeeeeeeee);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
	c = tsr_cmd_copy(DATA_IOVA + 8192, tsr_vram_dva(self->a.bar2_size + 4096), 4096);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
	/* ending one byte past the slice, as destination and as source */
	c = tsr_cmd_copy(tsr_vram_dva(self->a.bar2_size - 4095), DATA_IOVA + 8192, 4096);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
	c = tsr_cmd_copy(DATA_IOVA + 8192, tsr_vram_dva(self->a.bar2_size - 4095), 4096);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
	c = tsr_cmd_fill(TESSERA_VF_DVA_GUEST_LIMIT, 4096, 0xeeeeeeee);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
	c = tsr_cmd_fill(DATA_IOVA + DATA_BYTES, 4096, 0xeeeeeeee);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
	c = tsr_cmd_fence(~0ull & ~7ull, 1, false);
	EXPECT_REJECTED(&c, TESSERA_VF_REJECT_RANGE);
}

/* A faulted instance runs nothing more until it is reset. */
TEST_F_TIMEOUT(hostile, faulted_instance_ignores_doorbells, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_REG_WRITE };
	uint32_t *out = self->data_a.va, code, index, done;

	long long doorbells, rejects;

	tsr_ring_push(&self->ring_a, &c);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring_a));
	ASSERT_EQ(0, tsr_wait_fault(&self->a, TSR_DEADLINE_MS, &code, &index));
	/* the mediator refused it: a privileged opcode */
	EXPECT_EQ(TESSERA_VF_REJECT_OPCODE, code);
	done = tsr_reg(&self->a, TESSERA_VF_CMDS_DONE);
	doorbells = tsr_inst_stat(&self->a, "doorbells");
	rejects = tsr_inst_stat(&self->a, "rejects");
	out[0] = 0;
	c = tsr_cmd_fill(DATA_IOVA, 4, 0x99999999);
	tsr_ring_push(&self->ring_a, &c);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring_a));
	/* B's fence passing shows the card went on; A must not have run */
	check_bystander(_metadata, self);
	EXPECT_EQ(0, out[0]);
	EXPECT_EQ(done, tsr_reg(&self->a, TESSERA_VF_CMDS_DONE));
	/* the doorbell reached the mediator, which looked at nothing */
	EXPECT_EQ(doorbells + 1, tsr_inst_stat(&self->a, "doorbells"));
	EXPECT_EQ(rejects, tsr_inst_stat(&self->a, "rejects"));
	EXPECT_EQ(TESSERA_VF_REJECT_OPCODE, tsr_reg(&self->a, TESSERA_VF_FAULT_CODE));
	EXPECT_TRUE(tsr_reg(&self->a, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED);
	recover_a(_metadata, self);
}

/*
 * The guest rewrites its ring after ringing the doorbell: a BUSY keeps the
 * engine occupied while the FILL behind it is replaced in guest memory by a
 * privileged write and then by a FILL outside the instance. The card must
 * run what was in the ring at doorbell time: the original FILL, no fault.
 */
TEST_F_TIMEOUT(hostile, ring_rewrite_after_doorbell_runs_original, TSR_TEST_TIMEOUT_S)
{
	uint32_t *out = self->data_a.va;
	struct tessera_cmd c;
	uint32_t fill_at, fence_at, st = 0;
	uint64_t v;

	memset(out, 0, 4096);
	c = tsr_cmd_busy(300000);
	tsr_ring_push(&self->ring_a, &c);
	c = tsr_cmd_fill(DATA_IOVA, 4096, 0x0a0a0a0a);
	fill_at = tsr_ring_push(&self->ring_a, &c);
	v = self->ring_a.next_fence;
	fence_at = self->ring_a.tail;
	tsr_ring_fence_kick(&self->ring_a, false);

	memset(&self->ring_a.cmds[fill_at], 0, TESSERA_CMD_SIZE);
	self->ring_a.cmds[fill_at].opcode = TESSERA_OP_REG_WRITE;
	self->ring_a.cmds[fill_at].arg[0] = TESSERA_GLOBAL_BASE + TESSERA_REG_RESET;
	self->ring_a.cmds[fill_at].arg[1] = TESSERA_RESET_KEY;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	self->ring_a.cmds[fill_at] = tsr_cmd_fill(tsr_vram_dva(self->a.bar2_size * 3),
						  4096, 0xeeeeeeee);
	self->ring_a.cmds[fence_at] = tsr_cmd_fence(0, 0xbad, false);

	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, &st)) {
		TH_LOG("status 0x%x fault 0x%x at %u", st,
		       tsr_reg(&self->a, TESSERA_VF_FAULT_CODE),
		       tsr_reg(&self->a, TESSERA_VF_FAULT_INDEX));
	}
	EXPECT_EQ(0, tsr_reg(&self->a, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED);
	EXPECT_EQ(0x0a0a0a0a, out[0]);
	EXPECT_EQ(0x0a0a0a0a, out[1023]);
	check_bystander(_metadata, self);
}

/* The same for a second-level batch rewritten after the doorbell. */
TEST_F_TIMEOUT(hostile, batch_rewrite_after_doorbell_runs_original, TSR_TEST_TIMEOUT_S)
{
	struct tessera_cmd *batch =
		(struct tessera_cmd *)((uint8_t *)self->data_a.va + 65536);
	uint32_t *out = self->data_a.va;
	struct tessera_cmd c;
	uint32_t st = 0;
	uint64_t v;

	memset(out, 0, 4096);
	batch[0] = tsr_cmd_fill(DATA_IOVA, 4096, 0x0c0c0c0c);
	c = tsr_cmd_busy(300000);
	tsr_ring_push(&self->ring_a, &c);
	c = tsr_cmd_batch(DATA_IOVA + 65536, 1);
	tsr_ring_push(&self->ring_a, &c);
	v = tsr_ring_fence_kick(&self->ring_a, false);
	memset(&batch[0], 0, sizeof(batch[0]));
	batch[0].opcode = TESSERA_OP_MMU_UPDATE;
	batch[0].arg[1] = 0x1000;
	ASSERT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, &st)) {
		TH_LOG("status 0x%x fault 0x%x", st, tsr_reg(&self->a, TESSERA_VF_FAULT_CODE));
	}
	EXPECT_EQ(0x0c0c0c0c, out[0]);
	check_bystander(_metadata, self);
}

/* Rings that are not configurable are refused; nothing runs from them. */
TEST_F_TIMEOUT(hostile, misconfigured_rings_are_refused, TSR_TEST_TIMEOUT_S)
{
	static const struct { uint64_t base; uint32_t size; } bad[] = {
		{ RING_IOVA, 17 },				/* not a power of two */
		{ RING_IOVA, TESSERA_RING_MIN_ENTRIES / 2 },	/* too small */
		{ RING_IOVA, TESSERA_RING_MAX_ENTRIES * 2 },	/* too large */
		{ RING_IOVA, 0 },
		{ 0x7000000000ull, 64 },			/* never mapped */
		{ TESSERA_VF_DVA_GUEST_LIMIT, 64 },		/* host-reserved */
	};
	uint32_t *out = self->data_a.va;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t st = 0, done;
		int ret;

		/* a FILL at every slot of the real ring, should one get read */
		for (ret = 0; ret < 64; ret++)
			self->ring_a.cmds[ret] = tsr_cmd_fill(DATA_IOVA, 4, 0xeeeeeeee);
		out[0] = 0;
		ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_BASE_LO, (uint32_t)bad[i].base));
		ASSERT_EQ(0, tsr_reg_write(&self->a, TESSERA_VF_RING_BASE_HI, bad[i].base >> 32));
		tsr_reg_write(&self->a, TESSERA_VF_RING_SIZE, bad[i].size);
		done = tsr_reg(&self->a, TESSERA_VF_CMDS_DONE);
		tsr_reg_write(&self->a, TESSERA_VF_RING_TAIL, 1);
		/* either refused at configuration or faulted at the doorbell */
		ret = tsr_wait_status(&self->a, TESSERA_VF_STATUS_FAULTED | TESSERA_VF_STATUS_BUSY,
				      TESSERA_VF_STATUS_FAULTED, 2000, &st);
		if (ret) {
			EXPECT_EQ(0, st & (TESSERA_VF_STATUS_ENABLED | TESSERA_VF_STATUS_BUSY)) {
				TH_LOG("ring %u (base 0x%llx size %u): accepted, status 0x%x", i,
				       (unsigned long long)bad[i].base, bad[i].size, st);
			}
		} else {
			EXPECT_EQ(TESSERA_VF_REJECT_RING, tsr_reg(&self->a, TESSERA_VF_FAULT_CODE)) {
				TH_LOG("ring %u: fault code 0x%x", i,
				       tsr_reg(&self->a, TESSERA_VF_FAULT_CODE));
			}
		}
		check_bystander(_metadata, self);
		EXPECT_EQ(done, tsr_reg(&self->a, TESSERA_VF_CMDS_DONE));
		EXPECT_EQ(0, out[0]);
		recover_a(_metadata, self);
	}
}

/* A storm of doorbells with arbitrary tails, then reset: A works again. */
TEST_F_TIMEOUT(hostile, doorbell_storm_then_reset, TSR_TEST_TIMEOUT_S)
{
	unsigned int i;
	uint64_t v;

	for (i = 0; i < 64; i++)
		self->ring_a.cmds[i] = tsr_cmd_nop();
	srandom(5);
	for (i = 0; i < 2000; i++)
		tsr_reg_write(&self->a, TESSERA_VF_RING_TAIL, random());
	check_bystander(_metadata, self);
	ASSERT_EQ(0, ioctl(self->a.device_fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, tsr_enable_device(&self->a));
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, 0x300000, 64));
	v = tsr_ring_fence_kick(&self->ring_a, false);
	EXPECT_EQ(0, tsr_wait_fence(&self->a, v, TSR_DEADLINE_MS, NULL));
}

/* Random values written over the whole register file and config space. */
TEST_F_TIMEOUT(hostile, register_and_config_fuzz_leaves_a_working_instance, TSR_TEST_TIMEOUT_S)
{
	uint32_t cfg_size = self->a.region[VFIO_PCI_CONFIG_REGION_INDEX].size;
	uint32_t off, v;
	uint64_t fence;
	int round;

	srandom(99);
	for (round = 0; round < 3; round++) {
		for (off = 0; off < TESSERA_VF_BAR0_SIZE; off += 4)
			tsr_reg_write(&self->a, off, random());
		for (off = 0; off < cfg_size; off += 4) {
			v = random();
			tsr_cfg_write(&self->a, off, &v, 4);
		}
	}
	EXPECT_EQ(TESSERA_PCI_VENDOR_ID, tsr_cfg_read16(&self->a, 0));
	EXPECT_EQ(TESSERA_PCI_DEVICE_VGPU, tsr_cfg_read16(&self->a, 2));
	check_bystander(_metadata, self);
	ASSERT_EQ(0, ioctl(self->a.device_fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, tsr_enable_device(&self->a));
	ASSERT_EQ(0, tsr_ring_setup(&self->a, &self->ring_a, 0x300000, 64));
	fence = tsr_ring_fence_kick(&self->ring_a, false);
	EXPECT_EQ(0, tsr_wait_fence(&self->a, fence, TSR_DEADLINE_MS, NULL));
}

TEST_HARNESS_MAIN
