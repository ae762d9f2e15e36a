// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vGPU register file: BAR0 of an instance, every access trapped.
 *
 * One handler per register in a table with the register's access rule.
 * Offsets in BAR0 that name no register read as zero and ignore writes, as
 * unimplemented registers do on hardware; a read of a write-only register
 * returns zero and a write to a read-only one is dropped. Size and alignment
 * are checked by the caller (tessera_vgpu.c): 32-bit, aligned.
 */
#include <linux/log2.h>

#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_vgpu.h"

enum tessera_vreg_access {
	TESSERA_VREG_RO,	/* reads only; writes are dropped */
	TESSERA_VREG_RW,	/* reads back what was written */
	TESSERA_VREG_W1C,	/* writing 1 clears the bit */
	TESSERA_VREG_WO,	/* reads as zero; writes act */
};

/**
 * struct tessera_vreg - one register of the file
 * @name: for debugging
 * @access: its rule
 * @read: returns the value (NULL for WO registers)
 * @write: acts on a write (NULL for RO registers)
 */
struct tessera_vreg {
	const char *name;
	enum tessera_vreg_access access;
	u32 (*read)(struct tessera_vgpu *vg);
	void (*write)(struct tessera_vgpu *vg, u32 val);
};

static u32 tessera_vreg_magic(struct tessera_vgpu *vg)
{
	return TESSERA_MAGIC;
}

static u32 tessera_vreg_version(struct tessera_vgpu *vg)
{
	return TESSERA_VERSION;
}

static u32 tessera_vreg_vram_size_lo(struct tessera_vgpu *vg)
{
	return lower_32_bits(vg->type->vram_size);
}

static u32 tessera_vreg_vram_size_hi(struct tessera_vgpu *vg)
{
	return upper_32_bits(vg->type->vram_size);
}

static u32 tessera_vreg_ring_base_lo_rd(struct tessera_vgpu *vg)
{
	return lower_32_bits(vg->ring_base);
}

static void tessera_vreg_ring_base_lo_wr(struct tessera_vgpu *vg, u32 val)
{
	vg->ring_base = (vg->ring_base & GENMASK_ULL(63, 32)) | val;
}

static u32 tessera_vreg_ring_base_hi_rd(struct tessera_vgpu *vg)
{
	return upper_32_bits(vg->ring_base);
}

static void tessera_vreg_ring_base_hi_wr(struct tessera_vgpu *vg, u32 val)
{
	vg->ring_base = lower_32_bits(vg->ring_base) | (u64)val << 32;
}

static u32 tessera_vreg_ring_size_rd(struct tessera_vgpu *vg)
{
	return vg->ring_size;
}

static bool tessera_vreg_ring_valid(struct tessera_vgpu *vg, u32 entries)
{
	u64 bytes = (u64)entries * TESSERA_CMD_SIZE;

	return is_power_of_2(entries) && entries >= TESSERA_RING_MIN_ENTRIES &&
	       entries <= tessera_submit_max_entries() &&
	       IS_ALIGNED(vg->ring_base, TESSERA_CMD_SIZE) &&
	       vg->ring_base < TESSERA_VF_DVA_BIND_BASE &&
	       bytes <= TESSERA_VF_DVA_BIND_BASE - vg->ring_base;
}

/*
 * Writing VF_RING_SIZE (re)configures the ring from VF_RING_BASE and the
 * new size: queued work is dropped and head = tail = 0. An invalid ring
 * leaves the instance without one (VF_STATUS_ENABLED clear).
 */
static void tessera_vreg_ring_size_wr(struct tessera_vgpu *vg, u32 val)
{
	vg->ring_size = val;
	vg->ring_enabled = false;
	if (!tessera_vreg_ring_valid(vg, val)) {
		tessera_submit_deconfigure(vg);
		return;
	}
	if (!tessera_submit_configure(vg, vg->ring_base, val))
		vg->ring_enabled = true;
}

static u32 tessera_vreg_ring_head(struct tessera_vgpu *vg)
{
	return tessera_submit_head(vg);
}

static u32 tessera_vreg_ring_tail_rd(struct tessera_vgpu *vg)
{
	return vg->sub.tail;
}

static void tessera_vreg_ring_tail_wr(struct tessera_vgpu *vg, u32 val)
{
	tessera_submit_doorbell(vg, val);
}

static u32 tessera_vreg_status(struct tessera_vgpu *vg)
{
	unsigned long flags;
	u32 status = 0;

	if (vg->ring_enabled)
		status |= TESSERA_VF_STATUS_ENABLED;
	if (tessera_submit_busy(vg))
		status |= TESSERA_VF_STATUS_BUSY;
	spin_lock_irqsave(&vg->irq_lock, flags);
	if (vg->faulted)
		status |= TESSERA_VF_STATUS_FAULTED;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	return status;
}

/* A snapshot of the fields the interrupt path updates. */
static void tessera_vreg_irq_snapshot(struct tessera_vgpu *vg, u32 *int_status, u32 *int_enable,
				      u32 *code, u32 *index, u64 *addr)
{
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	*int_status = vg->int_status;
	*int_enable = vg->int_enable;
	*code = vg->fault_code;
	*index = vg->fault_index;
	*addr = vg->fault_addr;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}

static u32 tessera_vreg_fault_code(struct tessera_vgpu *vg)
{
	u32 int_status, int_enable, code, index;
	u64 addr;

	tessera_vreg_irq_snapshot(vg, &int_status, &int_enable, &code, &index, &addr);
	return code;
}

static u32 tessera_vreg_fault_index(struct tessera_vgpu *vg)
{
	u32 int_status, int_enable, code, index;
	u64 addr;

	tessera_vreg_irq_snapshot(vg, &int_status, &int_enable, &code, &index, &addr);
	return index;
}

static u32 tessera_vreg_fault_addr_lo(struct tessera_vgpu *vg)
{
	u32 int_status, int_enable, code, index;
	u64 addr;

	tessera_vreg_irq_snapshot(vg, &int_status, &int_enable, &code, &index, &addr);
	return lower_32_bits(addr);
}

static u32 tessera_vreg_fault_addr_hi(struct tessera_vgpu *vg)
{
	u32 int_status, int_enable, code, index;
	u64 addr;

	tessera_vreg_irq_snapshot(vg, &int_status, &int_enable, &code, &index, &addr);
	return upper_32_bits(addr);
}

static u32 tessera_vreg_int_status_rd(struct tessera_vgpu *vg)
{
	u32 int_status, int_enable, code, index;
	u64 addr;

	tessera_vreg_irq_snapshot(vg, &int_status, &int_enable, &code, &index, &addr);
	return int_status;
}

static u32 tessera_vreg_int_enable_rd(struct tessera_vgpu *vg)
{
	u32 int_status, int_enable, code, index;
	u64 addr;

	tessera_vreg_irq_snapshot(vg, &int_status, &int_enable, &code, &index, &addr);
	return int_enable;
}

static void tessera_vreg_int_status_wr(struct tessera_vgpu *vg, u32 val)
{
	unsigned long flags;

	spin_lock_irqsave(&vg->irq_lock, flags);
	vg->int_status &= ~val;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}

static void tessera_vreg_int_enable_wr(struct tessera_vgpu *vg, u32 val)
{
	unsigned long flags;
	u32 pending;

	val &= TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT | TESSERA_CTX_INT_IDLE;
	spin_lock_irqsave(&vg->irq_lock, flags);
	pending = vg->int_status & val & ~vg->int_enable;
	vg->int_enable = val;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	/* Enabling a source that is already pending interrupts at once. */
	if (pending)
		tessera_vgpu_raise(vg, 0);
}

/* Zero until the instance's own first FENCE has run. */
static u64 tessera_vreg_fence(struct tessera_vgpu *vg)
{
	return tessera_submit_fence_seen(vg) ? tessera_ctx_fence(vg->ctx) : 0;
}

/*
 * The 64-bit counters move while the guest reads them in two halves: the
 * LO read latches the whole value and HI returns the latched upper half, as
 * the card's own clock does, so a LO-then-HI read is never torn.
 */
static u32 tessera_vreg_fence_lo(struct tessera_vgpu *vg)
{
	lockdep_assert_held(&vg->lock);
	vg->fence_latch = tessera_vreg_fence(vg);
	return lower_32_bits(vg->fence_latch);
}

static u32 tessera_vreg_fence_hi(struct tessera_vgpu *vg)
{
	lockdep_assert_held(&vg->lock);
	return upper_32_bits(vg->fence_latch);
}

static u32 tessera_vreg_busy_lo(struct tessera_vgpu *vg)
{
	lockdep_assert_held(&vg->lock);
	vg->busy_latch = tessera_vgpu_busy_ns(vg) - vg->reg_busy_base;
	return lower_32_bits(vg->busy_latch);
}

static u32 tessera_vreg_busy_hi(struct tessera_vgpu *vg)
{
	lockdep_assert_held(&vg->lock);
	return upper_32_bits(vg->busy_latch);
}

static void tessera_vreg_reset_wr(struct tessera_vgpu *vg, u32 val)
{
	if (val & 1)
		tessera_vgpu_reset_engine(vg);
}

static u32 tessera_vreg_cmds_done(struct tessera_vgpu *vg)
{
	return tessera_vgpu_cmds_done(vg) - vg->reg_cmds_base;
}

static u32 tessera_vreg_weight(struct tessera_vgpu *vg)
{
	/* The type's 8/N unless changed in sysfs (tessera/weight). */
	return tessera_ctx_get_weight(vg->ctx);
}

static u32 tessera_vreg_caps(struct tessera_vgpu *vg)
{
	return TESSERA_VF_CAP_ENGINES | TESSERA_VF_CAP_BIND;
}

static u32 tessera_vreg_bind_addr_lo_rd(struct tessera_vgpu *vg)
{
	return lower_32_bits(vg->sub.binds.addr);
}

static void tessera_vreg_bind_addr_lo_wr(struct tessera_vgpu *vg, u32 val)
{
	vg->sub.binds.addr = (vg->sub.binds.addr & GENMASK_ULL(63, 32)) | val;
}

static u32 tessera_vreg_bind_addr_hi_rd(struct tessera_vgpu *vg)
{
	return upper_32_bits(vg->sub.binds.addr);
}

static void tessera_vreg_bind_addr_hi_wr(struct tessera_vgpu *vg, u32 val)
{
	vg->sub.binds.addr = lower_32_bits(vg->sub.binds.addr) | (u64)val << 32;
}

static void tessera_vreg_bind_op_wr(struct tessera_vgpu *vg, u32 val)
{
	tessera_bind_op(vg, val);
}

static u32 tessera_vreg_bind_status(struct tessera_vgpu *vg)
{
	return vg->sub.binds.status;
}

static u32 tessera_vreg_bind_err_index(struct tessera_vgpu *vg)
{
	return vg->sub.binds.err_index;
}

static u32 tessera_vreg_bind_count(struct tessera_vgpu *vg)
{
	return vg->sub.binds.count;
}

/* Pages are at most max_pinned_mib's worth: a 32-bit register holds them. */
static u32 tessera_vreg_bind_pages(struct tessera_vgpu *vg)
{
	return min_t(u64, vg->sub.binds.pages, U32_MAX);
}

static u32 tessera_vreg_bind_max(struct tessera_vgpu *vg)
{
	return tessera_bind_max();
}

#define TESSERA_VREG(off, acc, rd, wr) \
	[(off) / 4] = { .name = #off, .access = TESSERA_VREG_##acc, .read = rd, .write = wr }

static const struct tessera_vreg tessera_vregs[] = {
	TESSERA_VREG(TESSERA_VF_MAGIC, RO, tessera_vreg_magic, NULL),
	TESSERA_VREG(TESSERA_VF_VERSION, RO, tessera_vreg_version, NULL),
	TESSERA_VREG(TESSERA_VF_VRAM_SIZE_LO, RO, tessera_vreg_vram_size_lo, NULL),
	TESSERA_VREG(TESSERA_VF_VRAM_SIZE_HI, RO, tessera_vreg_vram_size_hi, NULL),
	TESSERA_VREG(TESSERA_VF_RING_BASE_LO, RW, tessera_vreg_ring_base_lo_rd,
		     tessera_vreg_ring_base_lo_wr),
	TESSERA_VREG(TESSERA_VF_RING_BASE_HI, RW, tessera_vreg_ring_base_hi_rd,
		     tessera_vreg_ring_base_hi_wr),
	TESSERA_VREG(TESSERA_VF_RING_SIZE, RW, tessera_vreg_ring_size_rd,
		     tessera_vreg_ring_size_wr),
	TESSERA_VREG(TESSERA_VF_RING_HEAD, RO, tessera_vreg_ring_head, NULL),
	TESSERA_VREG(TESSERA_VF_RING_TAIL, RW, tessera_vreg_ring_tail_rd,
		     tessera_vreg_ring_tail_wr),
	TESSERA_VREG(TESSERA_VF_STATUS, RO, tessera_vreg_status, NULL),
	TESSERA_VREG(TESSERA_VF_FAULT_CODE, RO, tessera_vreg_fault_code, NULL),
	TESSERA_VREG(TESSERA_VF_FAULT_INDEX, RO, tessera_vreg_fault_index, NULL),
	TESSERA_VREG(TESSERA_VF_FAULT_ADDR_LO, RO, tessera_vreg_fault_addr_lo, NULL),
	TESSERA_VREG(TESSERA_VF_FAULT_ADDR_HI, RO, tessera_vreg_fault_addr_hi, NULL),
	TESSERA_VREG(TESSERA_VF_INT_STATUS, W1C, tessera_vreg_int_status_rd,
		     tessera_vreg_int_status_wr),
	TESSERA_VREG(TESSERA_VF_INT_ENABLE, RW, tessera_vreg_int_enable_rd,
		     tessera_vreg_int_enable_wr),
	TESSERA_VREG(TESSERA_VF_FENCE_LO, RO, tessera_vreg_fence_lo, NULL),
	TESSERA_VREG(TESSERA_VF_FENCE_HI, RO, tessera_vreg_fence_hi, NULL),
	TESSERA_VREG(TESSERA_VF_BUSY_NS_LO, RO, tessera_vreg_busy_lo, NULL),
	TESSERA_VREG(TESSERA_VF_BUSY_NS_HI, RO, tessera_vreg_busy_hi, NULL),
	TESSERA_VREG(TESSERA_VF_RESET, WO, NULL, tessera_vreg_reset_wr),
	TESSERA_VREG(TESSERA_VF_CMDS_DONE, RO, tessera_vreg_cmds_done, NULL),
	TESSERA_VREG(TESSERA_VF_WEIGHT, RO, tessera_vreg_weight, NULL),
	TESSERA_VREG(TESSERA_VF_CAPS, RO, tessera_vreg_caps, NULL),
	TESSERA_VREG(TESSERA_VF_BIND_ADDR_LO, RW, tessera_vreg_bind_addr_lo_rd,
		     tessera_vreg_bind_addr_lo_wr),
	TESSERA_VREG(TESSERA_VF_BIND_ADDR_HI, RW, tessera_vreg_bind_addr_hi_rd,
		     tessera_vreg_bind_addr_hi_wr),
	TESSERA_VREG(TESSERA_VF_BIND_OP, WO, NULL, tessera_vreg_bind_op_wr),
	TESSERA_VREG(TESSERA_VF_BIND_STATUS, RO, tessera_vreg_bind_status, NULL),
	TESSERA_VREG(TESSERA_VF_BIND_ERR_INDEX, RO, tessera_vreg_bind_err_index, NULL),
	TESSERA_VREG(TESSERA_VF_BIND_COUNT, RO, tessera_vreg_bind_count, NULL),
	TESSERA_VREG(TESSERA_VF_BIND_PAGES, RO, tessera_vreg_bind_pages, NULL),
	TESSERA_VREG(TESSERA_VF_BIND_MAX, RO, tessera_vreg_bind_max, NULL),
};

static const struct tessera_vreg *tessera_vreg_find(u32 offset)
{
	const struct tessera_vreg *reg;

	if (offset >= TESSERA_VF_BAR0_SIZE || offset % 4 || offset / 4 >= ARRAY_SIZE(tessera_vregs))
		return NULL;
	reg = &tessera_vregs[offset / 4];
	return reg->name ? reg : NULL;
}

/**
 * tessera_vregs_read() - a 32-bit read of BAR0
 * @vg: the instance, locked
 * @offset: 4-byte aligned offset below TESSERA_VF_BAR0_SIZE
 * @val: out
 *
 * Return: 0, or -EINVAL for an offset outside BAR0 or misaligned.
 */
int tessera_vregs_read(struct tessera_vgpu *vg, u32 offset, u32 *val)
{
	const struct tessera_vreg *reg;

	lockdep_assert_held(&vg->lock);
	if (offset >= TESSERA_VF_BAR0_SIZE || offset % 4)
		return -EINVAL;
	reg = tessera_vreg_find(offset);
	*val = reg && reg->read ? reg->read(vg) : 0;
	return 0;
}

/**
 * tessera_vregs_write() - a 32-bit write of BAR0
 * @vg: the instance, locked
 * @offset: 4-byte aligned offset below TESSERA_VF_BAR0_SIZE
 * @val: the value
 *
 * Return: 0, or -EINVAL for an offset outside BAR0 or misaligned.
 */
int tessera_vregs_write(struct tessera_vgpu *vg, u32 offset, u32 val)
{
	const struct tessera_vreg *reg;

	lockdep_assert_held(&vg->lock);
	if (offset >= TESSERA_VF_BAR0_SIZE || offset % 4)
		return -EINVAL;
	reg = tessera_vreg_find(offset);
	if (reg && reg->access != TESSERA_VREG_RO && reg->write)
		reg->write(vg, val);
	return 0;
}

/*
 * The register file's power-on state; the ring is torn down. The fence and
 * the counters start again too: the next user of the instance (another VM)
 * must not read this one's fence value, busy time or command count.
 */
void tessera_vregs_reset(struct tessera_vgpu *vg)
{
	unsigned long flags;

	lockdep_assert_held(&vg->lock);
	tessera_submit_deconfigure(vg);
	vg->ring_base = 0;
	vg->ring_size = 0;
	vg->ring_enabled = false;
	vg->sub.binds.addr = 0;
	vg->sub.binds.status = 0;
	vg->sub.binds.err_index = 0;
	vg->fence_latch = 0;
	vg->busy_latch = 0;
	vg->reg_busy_base = tessera_vgpu_busy_ns(vg);
	vg->reg_cmds_base = tessera_vgpu_cmds_done(vg);
	spin_lock_irqsave(&vg->irq_lock, flags);
	vg->fence_seen = false;
	vg->int_status = 0;
	vg->int_enable = 0;
	vg->faulted = false;
	vg->fault_code = 0;
	vg->fault_index = 0;
	vg->fault_addr = 0;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
}
