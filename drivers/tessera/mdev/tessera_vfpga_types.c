// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera mediator: the vFPGA mdev types, and the card's regions as the
 * mediator shares them among vFPGA instances.
 *
 * Types "vfpga-1", "vfpga-2", "vfpga-4" (directories tessera-vfpga-N): an
 * instance owns N card regions outright, one hardware context (whose device
 * MMU and device-memory window confine every region's DMA) and a slice of
 * device memory of N times 1/(2 * regions * vfpga_share) of what the host
 * leaves for instances, so that instances holding every region (every turn
 * of it) take half of it and vGPUs can have the rest. vfpga-1 may load VADD and CRC32; vfpga-2 and
 * vfpga-4 also GEMM_TILE, the function that needs the most fabric. A type
 * is offered only if the card has the regions for it. available_instances
 * counts what is free now: regions, contexts and device memory.
 *
 * With vfpga_share = N > 1 (module parameter, read at probe), each card
 * region serves up to N instance regions in turn (tessera_fpga_share.c):
 * the mediator then claims every region from the core at probe, and
 * available_instances counts the turns. Otherwise an instance claims its
 * regions from the core when it is created.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "tessera_core.h"
#include "tessera_fpga_turns.h"
#include "tessera_mdev.h"
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

static struct tessera_vfpga_type *to_tessera_vfpga_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct tessera_vfpga_type, mt.type);
}

/* Instances of @count regions that fit the free turns now. Lock held. */
static unsigned int tessera_fpga_count_shared(struct tessera_fpga *fpga, unsigned int count)
{
	unsigned int tenants[TESSERA_MAX_REGIONS], r;

	lockdep_assert_held(&fpga->lock);
	for (r = 0; r < fpga->info->num_regions; r++)
		tenants[r] = fpga->slots[r].tenants;
	return tessera_fpga_turns_fit(tenants, fpga->info->num_regions, fpga->share, count);
}

unsigned int tessera_vfpga_get_available(struct mdev_type *mtype)
{
	struct tessera_vfpga_type *type = to_tessera_vfpga_type(mtype);
	struct tessera_fpga *fpga = tessera_mdev_of_type(mtype)->fpga;
	struct tessera_device *tdev = fpga->tdev;
	unsigned int regions, contexts;

	if (fpga->share > 1) {
		mutex_lock(&fpga->lock);
		regions = tessera_fpga_count_shared(fpga, type->regions);
		mutex_unlock(&fpga->lock);
	} else {
		regions = tessera_region_free_count(tdev) / type->regions;
	}
	contexts = tessera_ctx_free_count(tdev);
	regions = min(regions, contexts);
	if (!regions)
		return 0;
	return tessera_vram_count_fit(tdev, type->mt.vram_size, regions);
}

ssize_t tessera_vfpga_show_description(struct mdev_type *mtype, char *buf)
{
	struct tessera_vfpga_type *type = to_tessera_vfpga_type(mtype);
	struct tessera_fpga *fpga = tessera_mdev_of_type(mtype)->fpga;
	ssize_t len;
	unsigned int fn;
	bool first = true;

	len = sysfs_emit(buf,
			 "vFPGA, %u reconfigurable region%s %s: %llu MiB device memory (BAR2 %llu MiB), 1 hardware context, images up to %llu KiB, may load",
			 type->regions, type->regions > 1 ? "s" : "",
			 fpga->share > 1 ? "time-shared with other instances" : "owned in space",
			 type->mt.vram_size >> 20,
			 type->mt.bar2_size >> 20, fpga->info->region_capacity >> 10);
	for (fn = 1; fn < TESSERA_NUM_FUNCTIONS; fn++) {
		if (!(type->functions & BIT(fn)))
			continue;
		len += sysfs_emit_at(buf, len, "%s%s", first ? " " : ",", tessera_fn_names[fn]);
		first = false;
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

/* The functions a type's images may use, "VADD,CRC32": for tools. */
ssize_t tessera_vfpga_show_functions(struct mdev_type *mtype, char *buf)
{
	struct tessera_vfpga_type *type = to_tessera_vfpga_type(mtype);
	ssize_t len = 0;
	unsigned int fn;

	for (fn = 1; fn < TESSERA_NUM_FUNCTIONS; fn++)
		if (type->functions & BIT(fn))
			len += sysfs_emit_at(buf, len, "%s%s", len ? "," : "",
					     tessera_fn_names[fn]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

unsigned int tessera_vfpga_type_regions(struct mdev_type *mtype)
{
	return to_tessera_vfpga_type(mtype)->regions;
}

/**
 * tessera_vfpga_add_types() - derive the vFPGA types from the card
 * @med: the mediator, its @fpga set up
 * @list: where to append the types, as mdev_register_parent() takes them
 * @room: entries left in @list
 *
 * Return: how many types were appended.
 */
unsigned int tessera_vfpga_add_types(struct tessera_mediator *med, struct mdev_type **list,
				     unsigned int room)
{
	struct tessera_fpga *fpga = med->fpga;
	unsigned int i, nr;
	u64 per_region;

	if (!fpga)
		return 0;
	nr = fpga->info->num_regions;
	/* Time-shared, a card region serves share instance regions: each gets its part. */
	per_region = round_down(div_u64(fpga->info->vram_usable, 2 * nr * max(fpga->share, 1U)),
				TESSERA_VRAM_GRANULE);
	if (!per_region)
		return 0;

	fpga->num_types = 0;
	for (i = 0; i < TESSERA_NUM_VFPGA_TYPES && fpga->num_types < room; i++) {
		unsigned int regions = tessera_vfpga_sizes[i];
		struct tessera_vfpga_type *type = &fpga->types[fpga->num_types];
		u32 functions = tessera_vfpga_functions_for(regions) & fpga->info->functions;

		if (regions > nr || !functions)
			continue;
		type->regions = regions;
		type->functions = functions;
		type->mt.per_card = nr * max(fpga->share, 1U) / regions;
		type->mt.vram_size = per_region * regions;
		type->mt.bar2_size = roundup_pow_of_two(type->mt.vram_size);
		type->mt.kind = TESSERA_INST_VFPGA;
		type->mt.weight = regions;
		snprintf(type->mt.sysfs_name, sizeof(type->mt.sysfs_name), "vfpga-%u", regions);
		snprintf(type->mt.pretty_name, sizeof(type->mt.pretty_name),
			 "Tessera vFPGA %u region%s (%llu MiB)", regions, regions > 1 ? "s" : "",
			 type->mt.vram_size >> 20);
		type->mt.type.sysfs_name = type->mt.sysfs_name;
		type->mt.type.pretty_name = type->mt.pretty_name;
		list[fpga->num_types++] = &type->mt.type;
	}
	return fpga->num_types;
}

/**
 * tessera_fpga_claim_regions() - give an instance card regions
 * @fpga: the card's regions
 * @count: how many
 * @phys: out, the card region numbers
 *
 * Time-shared: turns on the slots with the fewest tenants; else regions
 * claimed from the core, owned outright.
 *
 * Return: 0, or -ENOSPC when fewer than @count are free (none taken).
 */
int tessera_fpga_claim_regions(struct tessera_fpga *fpga, unsigned int count,
			       unsigned int *phys)
{
	unsigned int nr = fpga->info->num_regions, r;
	unsigned int tenants[TESSERA_MAX_REGIONS];

	if (fpga->share <= 1)
		return tessera_region_claim(fpga->tdev, count, phys);
	mutex_lock(&fpga->lock);
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

void tessera_fpga_release_regions(struct tessera_fpga *fpga, unsigned int count,
				  const unsigned int *phys)
{
	unsigned int i;

	if (fpga->share <= 1) {
		tessera_region_release(fpga->tdev, count, phys);
		return;
	}
	mutex_lock(&fpga->lock);
	for (i = 0; i < count; i++)
		fpga->slots[phys[i]].tenants--;
	mutex_unlock(&fpga->lock);
}

/* Hard-interrupt context, under the core's owner lock. */
static void tessera_fpga_owned_irq(void *vr, u32 status)
{
	tessera_vfpga_region_event(vr, status);
}

/*
 * Route an owned card region's interrupts to @vr (NULL: acknowledge
 * only). Once this returns the old owner sees no more interrupts.
 */
void tessera_fpga_set_owner(struct tessera_fpga *fpga, unsigned int phys,
			    struct tessera_vfpga_region *vr)
{
	tessera_region_set_handler(fpga->tdev, phys, vr ? tessera_fpga_owned_irq : NULL, vr);
}

/*
 * debugfs <card>/vfpga: the sharing, each card region and whom it serves
 * (the region registers themselves are in the core's <card>/regions).
 */
static int tessera_fpga_debugfs_show(struct seq_file *m, void *unused)
{
	struct tessera_fpga *fpga = m->private;
	unsigned int r;

	seq_printf(m, "capacity %llu config_bw_kib_per_ms %u functions 0x%x share %u\n",
		   fpga->info->region_capacity, fpga->info->config_bw, fpga->info->functions,
		   fpga->share);
	for (r = 0; r < fpga->info->num_regions; r++) {
		void __iomem *regs = tessera_region_regs(fpga->tdev, r);
		struct tessera_fpga_slot *slot = &fpga->slots[r];
		unsigned long flags;
		unsigned int tenants = 0;
		u64 switches = 0;
		int resident = -1;

		if (fpga->share > 1) {
			mutex_lock(&fpga->lock);
			tenants = slot->tenants;
			mutex_unlock(&fpga->lock);
			spin_lock_irqsave(&slot->lock, flags);
			switches = slot->switches;
			if (slot->resident)
				resident = tessera_ctx_id(slot->resident->vf->vg.ctx);
			spin_unlock_irqrestore(&slot->lock, flags);
		}
		/* Owned outright, who holds a region is the core's (<card>/regions). */
		if (fpga->share > 1)
			seq_printf(m, "region %u: tenants %u ", r, tenants);
		else
			seq_printf(m, "region %u: ", r);
		seq_printf(m,
			   "ctx %u function %u status %u config_ns %llu busy_ns %llu jobs_done %u fault %u resident_ctx %d switches %llu\n",
			   readl(regs + TESSERA_RGN_CTX), readl(regs + TESSERA_RGN_FUNCTION),
			   readl(regs + TESSERA_RGN_CONFIG_STATUS),
			   lo_hi_readq(regs + TESSERA_RGN_CONFIG_NS_LO),
			   lo_hi_readq(regs + TESSERA_RGN_BUSY_NS_LO),
			   readl(tessera_region_user_regs(fpga->tdev, r) +
				 TESSERA_RGN_USER_JOBS_DONE),
			   readl(regs + TESSERA_RGN_FAULT_CODE), resident, switches);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_fpga_debugfs);

/**
 * tessera_fpga_init() - share the card's regions among vFPGA instances
 * @med: the mediator
 *
 * Return: 0 or a negative errno. A card without regions gets no vFPGA
 * types (@med->fpga stays NULL).
 */
int tessera_fpga_init(struct tessera_mediator *med)
{
	const struct tessera_card_info *info = tessera_card_info(med->tdev);
	struct tessera_fpga *fpga;
	int ret;

	if (!info->num_regions)
		return 0;
	fpga = kzalloc(sizeof(*fpga), GFP_KERNEL);
	if (!fpga)
		return -ENOMEM;
	fpga->tdev = med->tdev;
	fpga->info = info;
	mutex_init(&fpga->lock);
	fpga->share = clamp(vfpga_share, 1U, (unsigned int)TESSERA_VFPGA_MAX_SHARE);
	if (fpga->share > 1) {
		/* Every region, for the slots' threads to drive in turns. */
		ret = tessera_region_claim(fpga->tdev, info->num_regions, fpga->claimed);
		if (ret)
			goto err_free;
		ret = tessera_fpga_share_init(fpga);
		if (ret)
			goto err_release;
	}
	/* Removed in tessera_fpga_fini(), before @fpga goes, not with the folder. */
	fpga->debugfs = debugfs_create_file("vfpga", 0400, tessera_card_debugfs(med->tdev), fpga,
					    &tessera_fpga_debugfs_fops);
	med->fpga = fpga;
	return 0;

err_release:
	tessera_region_release(fpga->tdev, info->num_regions, fpga->claimed);
err_free:
	mutex_destroy(&fpga->lock);
	kfree(fpga);
	return ret;
}

/* Every vFPGA instance is gone. */
void tessera_fpga_fini(struct tessera_mediator *med)
{
	struct tessera_fpga *fpga = med->fpga;

	if (!fpga)
		return;
	debugfs_remove(fpga->debugfs);
	if (fpga->share > 1) {
		tessera_fpga_share_fini(fpga);
		tessera_region_release(fpga->tdev, fpga->info->num_regions, fpga->claimed);
	}
	med->fpga = NULL;
	mutex_destroy(&fpga->lock);
	kfree(fpga);
}
