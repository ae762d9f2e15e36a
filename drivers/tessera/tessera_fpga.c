// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vFPGA: the card's regions as the mediator shares them in space,
 * and the vFPGA mdev types.
 *
 * Types "vfpga-1", "vfpga-2", "vfpga-4" (directories tessera-vfpga-N): an
 * instance owns N card regions outright, one hardware context (whose device
 * MMU and device-memory window confine every region's DMA) and a slice of
 * device memory of N times 1/(2 * regions) of what the host leaves for
 * instances, so that instances owning every region take half of it and
 * vGPUs can have the rest. vfpga-1 may load VADD and CRC32; vfpga-2 and
 * vfpga-4 also GEMM_TILE, the function that needs the most fabric. A type
 * is offered only if the card has the regions for it. available_instances
 * counts what is free now: regions, contexts and device memory.
 *
 * With vfpga_share = N > 1 (module parameter, read at probe), each card
 * region serves up to N instance regions in turn (tessera_fpga_share.c):
 * available_instances then counts those turns.
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "tessera_drv.h"
#include "tessera_fpga_turns.h"
#include "tessera_vfpga.h"

static unsigned int vfpga_share = 1;
module_param(vfpga_share, uint, 0444);
MODULE_PARM_DESC(vfpga_share,
		 "vFPGA instance regions one card region serves in turn (1 = owned outright, user pages passed through; up to 8)");

static const unsigned int tessera_vfpga_sizes[TESSERA_NUM_VFPGA_TYPES] = { 1, 2, 4 };

static const char *const tessera_fn_names[TESSERA_NUM_FUNCTIONS] = {
	[TESSERA_FN_VADD] = "VADD",
	[TESSERA_FN_CRC32] = "CRC32",
	[TESSERA_FN_GEMM_TILE] = "GEMM_TILE",
};

static u32 tessera_vfpga_functions_for(unsigned int regions)
{
	u32 fns = BIT(TESSERA_FN_VADD) | BIT(TESSERA_FN_CRC32);

	if (regions >= 2)
		fns |= BIT(TESSERA_FN_GEMM_TILE);
	return fns;
}

static struct tessera_device *tessera_vfpga_tdev(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct tessera_device, med.parent);
}

static struct tessera_vfpga_type *to_tessera_vfpga_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct tessera_vfpga_type, base.type);
}

/**
 * tessera_vfpga_is_type() - whether an mdev type of this card is a vFPGA type
 * @mtype: a type of a Tessera parent
 *
 * Return: true for the types tessera_vfpga_add_types() handed out.
 */
bool tessera_vfpga_is_type(struct mdev_type *mtype)
{
	struct tessera_fpga *fpga = tessera_vfpga_tdev(mtype)->fpga;
	unsigned int i;

	if (!fpga)
		return false;
	for (i = 0; i < fpga->num_types; i++)
		if (mtype == &fpga->types[i].base.type)
			return true;
	return false;
}

/* Instances of @count regions that fit the free turns now. Lock held. */
static unsigned int tessera_fpga_count_shared(struct tessera_fpga *fpga, unsigned int count)
{
	unsigned int tenants[TESSERA_MAX_REGIONS], r;

	lockdep_assert_held(&fpga->lock);
	for (r = 0; r < fpga->tdev->num_regions; r++)
		tenants[r] = fpga->slots[r].tenants;
	return tessera_fpga_turns_fit(tenants, fpga->tdev->num_regions, fpga->share, count);
}

unsigned int tessera_vfpga_get_available(struct mdev_type *mtype)
{
	struct tessera_vfpga_type *type = to_tessera_vfpga_type(mtype);
	struct tessera_device *tdev = tessera_vfpga_tdev(mtype);
	struct tessera_fpga *fpga = tdev->fpga;
	unsigned int regions, contexts;

	mutex_lock(&fpga->lock);
	if (fpga->share > 1)
		regions = tessera_fpga_count_shared(fpga, type->regions);
	else
		regions = (tdev->num_regions - bitmap_weight(&fpga->owned, tdev->num_regions)) /
			  type->regions;
	mutex_unlock(&fpga->lock);
	contexts = tessera_ctx_free_count(tdev);
	regions = min(regions, contexts);
	if (!regions)
		return 0;
	return tessera_vram_count_fit(tdev, type->base.vram_size, regions);
}

ssize_t tessera_vfpga_show_description(struct mdev_type *mtype, char *buf)
{
	struct tessera_vfpga_type *type = to_tessera_vfpga_type(mtype);
	struct tessera_fpga *fpga = tessera_vfpga_tdev(mtype)->fpga;
	ssize_t len;
	unsigned int fn;
	bool first = true;

	len = sysfs_emit(buf,
			 "vFPGA, %u reconfigurable region%s %s: %llu MiB device memory (BAR2 %llu MiB), 1 hardware context, images up to %llu KiB, may load",
			 type->regions, type->regions > 1 ? "s" : "",
			 fpga->share > 1 ? "time-shared with other instances" : "owned in space",
			 type->base.vram_size >> 20,
			 type->base.bar2_size >> 20, fpga->capacity >> 10);
	for (fn = 1; fn < TESSERA_NUM_FUNCTIONS; fn++) {
		if (!(type->functions & BIT(fn)))
			continue;
		len += sysfs_emit_at(buf, len, "%s%s", first ? " " : ",", tessera_fn_names[fn]);
		first = false;
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

/**
 * tessera_vfpga_add_types() - derive the vFPGA types from the card
 * @tdev: the card, its device memory and @tdev->fpga set up
 * @list: where to append the types, as mdev_register_parent() takes them
 * @room: entries left in @list
 *
 * Return: how many types were appended.
 */
unsigned int tessera_vfpga_add_types(struct tessera_device *tdev, struct mdev_type **list,
				     unsigned int room)
{
	struct tessera_fpga *fpga = tdev->fpga;
	u64 per_region;
	unsigned int i;

	if (!fpga || !tdev->num_regions)
		return 0;
	per_region = round_down(div_u64(tdev->vram_alloc.usable, 2 * tdev->num_regions),
				TESSERA_VRAM_GRANULE);
	if (!per_region)
		return 0;

	fpga->num_types = 0;
	for (i = 0; i < TESSERA_NUM_VFPGA_TYPES && fpga->num_types < room; i++) {
		unsigned int regions = tessera_vfpga_sizes[i];
		struct tessera_vfpga_type *type = &fpga->types[fpga->num_types];
		u32 functions = tessera_vfpga_functions_for(regions) & fpga->functions;

		if (regions > tdev->num_regions || !functions)
			continue;
		type->regions = regions;
		type->functions = functions;
		type->base.per_card = tdev->num_regions / regions;
		type->base.vram_size = per_region * regions;
		type->base.bar2_size = roundup_pow_of_two(type->base.vram_size);
		type->base.weight = regions;
		snprintf(type->base.sysfs_name, sizeof(type->base.sysfs_name), "vfpga-%u", regions);
		snprintf(type->base.pretty_name, sizeof(type->base.pretty_name),
			 "Tessera vFPGA %u region%s (%llu MiB)", regions, regions > 1 ? "s" : "",
			 type->base.vram_size >> 20);
		type->base.type.sysfs_name = type->base.sysfs_name;
		type->base.type.pretty_name = type->base.pretty_name;
		list[fpga->num_types++] = &type->base.type;
	}
	return fpga->num_types;
}

/**
 * tessera_fpga_claim_regions() - take free card regions for an instance
 * @fpga: the card's regions
 * @count: how many
 * @phys: out, the card region numbers
 *
 * Return: 0, or -ENOSPC when fewer than @count are free (none taken).
 */
int tessera_fpga_claim_regions(struct tessera_fpga *fpga, unsigned int count,
			       unsigned int *phys)
{
	unsigned int nr = fpga->tdev->num_regions, r, got = 0;
	unsigned int tenants[TESSERA_MAX_REGIONS];

	mutex_lock(&fpga->lock);
	if (fpga->share > 1) {
		for (r = 0; r < nr; r++)
			tenants[r] = fpga->slots[r].tenants;
		if (!tessera_fpga_turns_pick(tenants, nr, fpga->share, count, phys)) {
			mutex_unlock(&fpga->lock);
			return -ENOSPC;
		}
		for (r = 0; r < count; r++)
			fpga->slots[phys[r]].tenants++;
		mutex_unlock(&fpga->lock);
		return 0;
	}
	if (nr - bitmap_weight(&fpga->owned, nr) < count) {
		mutex_unlock(&fpga->lock);
		return -ENOSPC;
	}
	for_each_clear_bit(r, &fpga->owned, nr) {
		if (got == count)
			break;
		phys[got++] = r;
	}
	for (r = 0; r < count; r++)
		__set_bit(phys[r], &fpga->owned);
	mutex_unlock(&fpga->lock);
	return 0;
}

void tessera_fpga_release_regions(struct tessera_fpga *fpga, unsigned int count,
				  const unsigned int *phys)
{
	unsigned int i;

	mutex_lock(&fpga->lock);
	for (i = 0; i < count; i++) {
		if (fpga->share > 1)
			fpga->slots[phys[i]].tenants--;
		else
			__clear_bit(phys[i], &fpga->owned);
	}
	mutex_unlock(&fpga->lock);
}

/* Route card region @phys's interrupts to @vr (NULL: acknowledge only). */
void tessera_fpga_set_owner(struct tessera_fpga *fpga, unsigned int phys,
			    struct tessera_vfpga_region *vr)
{
	unsigned long flags;

	spin_lock_irqsave(&fpga->owner_lock, flags);
	fpga->owner[phys] = vr;
	spin_unlock_irqrestore(&fpga->owner_lock, flags);
}

/**
 * tessera_fpga_region_irq() - a card region interrupted
 * @tdev: the card
 * @phys: the region
 * @status: the TESSERA_RGN_INT_* bits raised (already acknowledged)
 *
 * Hard-interrupt context. The owner's handler runs under @owner_lock, so
 * that an instance going away (which clears its owner entries first)
 * never sees an interrupt after tessera_fpga_set_owner() returned.
 */
void tessera_fpga_region_irq(struct tessera_device *tdev, unsigned int phys, u32 status)
{
	struct tessera_fpga *fpga = READ_ONCE(tdev->fpga);
	unsigned long flags;

	if (!fpga || phys >= TESSERA_MAX_REGIONS)
		return;
	if (fpga->share > 1) {
		tessera_fpga_share_irq(&fpga->slots[phys], status);
		return;
	}
	spin_lock_irqsave(&fpga->owner_lock, flags);
	if (fpga->owner[phys])
		tessera_vfpga_region_event(fpga->owner[phys], status);
	spin_unlock_irqrestore(&fpga->owner_lock, flags);
}

/* debugfs <card>/vfpga: each card region, who it serves and what it holds. */
static int tessera_fpga_debugfs_show(struct seq_file *m, void *unused)
{
	struct tessera_fpga *fpga = m->private;
	struct tessera_device *tdev = fpga->tdev;
	unsigned int r;

	seq_printf(m, "capacity %llu config_bw_kib_per_ms %u functions 0x%x share %u\n",
		   fpga->capacity, fpga->config_bw, fpga->functions, fpga->share);
	for (r = 0; r < tdev->num_regions; r++) {
		struct tessera_fpga_slot *slot = &fpga->slots[r];
		unsigned long flags;
		unsigned int tenants;
		u64 switches = 0;
		int resident = -1;

		mutex_lock(&fpga->lock);
		tenants = fpga->share > 1 ? slot->tenants : test_bit(r, &fpga->owned);
		mutex_unlock(&fpga->lock);
		if (fpga->share > 1) {
			spin_lock_irqsave(&slot->lock, flags);
			switches = slot->switches;
			if (slot->resident)
				resident = slot->resident->vf->vg.ctx->id;
			spin_unlock_irqrestore(&slot->lock, flags);
		}
		seq_printf(m,
			   "region %u: tenants %u ctx %u function %u status %u config_ns %llu busy_ns %llu jobs_done %u fault %u resident_ctx %d switches %llu\n",
			   r, tenants, tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_CTX)),
			   tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_FUNCTION)),
			   tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG_STATUS)),
			   tessera_rd64(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG_NS_LO)),
			   tessera_rd64(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_BUSY_NS_LO)),
			   tessera_rd(tdev, TESSERA_RGN_USER_REG(r, TESSERA_RGN_USER_JOBS_DONE)),
			   tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_FAULT_CODE)),
			   resident, switches);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_fpga_debugfs);

/**
 * tessera_fpga_init() - read the card's region capabilities
 * @tdev: the card, registers mapped and capabilities read
 *
 * Return: 0 or a negative errno. A card without regions gets no vFPGA types.
 */
int tessera_fpga_init(struct tessera_device *tdev)
{
	struct tessera_fpga *fpga;
	unsigned int r;
	int ret;

	fpga = kzalloc(sizeof(*fpga), GFP_KERNEL);
	if (!fpga)
		return -ENOMEM;
	fpga->tdev = tdev;
	fpga->capacity = tessera_rd(tdev, TESSERA_REG_REGION_CAPACITY);
	fpga->config_bw = tessera_rd(tdev, TESSERA_REG_CONFIG_BW);
	fpga->functions = tessera_rd(tdev, TESSERA_REG_FUNCTIONS) &
			  GENMASK(TESSERA_NUM_FUNCTIONS - 1, 1);
	mutex_init(&fpga->lock);
	spin_lock_init(&fpga->owner_lock);

	/* Regions start quiet: no interrupts until an instance owns one. */
	for (r = 0; r < tdev->num_regions; r++) {
		tessera_wr(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_INT_ENABLE), 0);
		tessera_wr(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_INT_STATUS), ~0u);
	}
	fpga->share = clamp(vfpga_share, 1U, (unsigned int)TESSERA_VFPGA_MAX_SHARE);
	/* The interrupt handler may look at the slots as soon as this is set. */
	tdev->fpga = fpga;
	if (fpga->share > 1 && tdev->num_regions) {
		ret = tessera_fpga_share_init(fpga);
		if (ret) {
			tdev->fpga = NULL;
			mutex_destroy(&fpga->lock);
			kfree(fpga);
			return ret;
		}
	}
	/* Removed in tessera_fpga_fini(), before @fpga goes, not with the folder. */
	fpga->debugfs = debugfs_create_file("vfpga", 0400, tdev->debugfs, fpga,
					    &tessera_fpga_debugfs_fops);
	return 0;
}

void tessera_fpga_fini(struct tessera_device *tdev)
{
	struct tessera_fpga *fpga = tdev->fpga;
	unsigned int r;

	if (!fpga)
		return;
	debugfs_remove(fpga->debugfs);
	if (fpga->share > 1)
		tessera_fpga_share_fini(fpga);
	for (r = 0; r < tdev->num_regions; r++)
		tessera_wr(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_INT_ENABLE), 0);
	WARN_ON(fpga->owned);
	WRITE_ONCE(tdev->fpga, NULL);
	/* A region interrupt already running may still hold @fpga. */
	synchronize_irq(pci_irq_vector(tdev->pdev, TESSERA_VEC_REGIONS));
	mutex_destroy(&fpga->lock);
	kfree(fpga);
}
