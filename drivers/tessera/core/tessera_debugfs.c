// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera debugfs, the card's own files. /sys/kernel/debug/tessera/:
 *   counters                   page-table pages every context holds together
 *   <pci-address>/state        global registers, engines, contexts
 *   <pci-address>/switch_latency  the engines' recent switch latencies
 *   <pci-address>/regions      each reconfigurable region's registers
 *   <pci-address>/busy_at_switch  every context's busy time at its
 *                              engine's last switch, at one instant
 * Clients add their own files to these folders (tessera_card_debugfs()).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "tessera_drv.h"
#include "tessera_mmu.h"

static struct dentry *tessera_debugfs_dir;

static u64 tessera_ctx_rd64(struct tessera_device *tdev, u32 id, u32 reg_lo)
{
	return tessera_rd64(tdev, TESSERA_CTX_REG(id, reg_lo));
}

static int tessera_debugfs_state_show(struct seq_file *m, void *unused)
{
	struct tessera_device *tdev = m->private;
	unsigned int i;

	seq_printf(m, "card %s: version 0x%08x, %u contexts, %u engines, %u regions\n",
		   pci_name(tdev->pdev), tessera_rd(tdev, TESSERA_REG_VERSION),
		   tdev->info.num_contexts, tdev->info.num_engines, tdev->info.num_regions);
	seq_printf(m, "vram: %llu MiB, host reserve %llu MiB, free for instances %llu MiB\n",
		   tdev->info.vram_size >> 20, tdev->vram_alloc.reserve >> 20,
		   tessera_vram_avail(tdev) >> 20);
	seq_printf(m, "clock %llu ns, errors %u, watchdog %llu ns\n",
		   tessera_rd64(tdev, TESSERA_REG_CLOCK_NS_LO),
		   tessera_rd(tdev, TESSERA_REG_ERROR_COUNT),
		   tessera_rd64(tdev, TESSERA_REG_WATCHDOG_NS_LO));

	tessera_sched_dump(&tdev->sched, m);

	for (i = 0; i < tdev->info.num_contexts; i++) {
		struct tessera_ctx *ctx = &tdev->ctxs.ctx[i];
		u32 id = ctx->id;

		if (!READ_ONCE(ctx->in_use)) {
			/* Between owners: it must point at nothing of the last one. */
			seq_printf(m, "context %u: free, mmu 0x%llx window 0x%llx/0x%llx ring 0x%llx\n",
				   id, tessera_ctx_rd64(tdev, id, TESSERA_CTX_MMU_ROOT_LO),
				   tessera_ctx_rd64(tdev, id, TESSERA_CTX_VRAM_BASE_LO),
				   tessera_ctx_rd64(tdev, id, TESSERA_CTX_VRAM_SIZE_LO),
				   tessera_ctx_rd64(tdev, id, TESSERA_CTX_RING_BASE_LO));
			continue;
		}
		seq_printf(m, "context %u: config 0x%x status 0x%08x ring 0x%llx/%u head %u tail %u fault %u@%u addr 0x%llx busy %llu ns done %u preempted %u fence 0x%llx\n",
			   id, tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_CONFIG)),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_STATUS)),
			   tessera_rd64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_BASE_LO)),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_SIZE)),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_HEAD)),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_RING_TAIL)),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_FAULT_CODE)),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_FAULT_INDEX)),
			   tessera_rd64(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_FAULT_ADDR_LO)),
			   tessera_ctx_busy_ns(ctx), tessera_ctx_cmds_done(ctx),
			   tessera_rd(tdev, TESSERA_CTX_REG(id, TESSERA_CTX_PREEMPTIONS)),
			   tessera_ctx_fence(ctx));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_state);

/* Recent context switches: "engine latency-ns preempted kind" per line, oldest first. */
static int tessera_debugfs_switch_latency_show(struct seq_file *m, void *unused)
{
	struct tessera_device *tdev = m->private;

	tessera_sched_dump_latency(&tdev->sched, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_switch_latency);

/* Each context's busy time at its engine's last switch, at one instant. */
static int tessera_debugfs_busy_at_switch_show(struct seq_file *m, void *unused)
{
	struct tessera_device *tdev = m->private;

	tessera_sched_dump_snapshots(&tdev->sched, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_busy_at_switch);

/* Each region: who holds it and what its registers say. */
static int tessera_debugfs_regions_show(struct seq_file *m, void *unused)
{
	struct tessera_device *tdev = m->private;
	unsigned int r;

	seq_printf(m, "capacity %llu config_bw_kib_per_ms %u functions 0x%x\n",
		   tdev->info.region_capacity, tdev->info.config_bw, tdev->info.functions);
	for (r = 0; r < tdev->info.num_regions; r++) {
		bool claimed;

		mutex_lock(&tdev->regions.lock);
		claimed = test_bit(r, &tdev->regions.claimed);
		mutex_unlock(&tdev->regions.lock);
		seq_printf(m,
			   "region %u: claimed %d ctx %u function %u status %u config_ns %llu busy_ns %llu jobs_done %u fault %u\n",
			   r, claimed, tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_CTX)),
			   tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_FUNCTION)),
			   tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG_STATUS)),
			   tessera_rd64(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG_NS_LO)),
			   tessera_rd64(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_BUSY_NS_LO)),
			   tessera_rd(tdev, TESSERA_RGN_USER_REG(r, TESSERA_RGN_USER_JOBS_DONE)),
			   tessera_rd(tdev, TESSERA_REGION_REG(r, TESSERA_RGN_FAULT_CODE)));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_regions);

void tessera_debugfs_init(struct tessera_device *tdev)
{
	tdev->debugfs = debugfs_create_dir(pci_name(tdev->pdev), tessera_debugfs_dir);
	debugfs_create_file("state", 0400, tdev->debugfs, tdev, &tessera_debugfs_state_fops);
	debugfs_create_file("switch_latency", 0400, tdev->debugfs, tdev,
			    &tessera_debugfs_switch_latency_fops);
	debugfs_create_file("regions", 0400, tdev->debugfs, tdev, &tessera_debugfs_regions_fops);
	debugfs_create_file("busy_at_switch", 0400, tdev->debugfs, tdev,
			    &tessera_debugfs_busy_at_switch_fops);
}

struct dentry *tessera_card_debugfs(struct tessera_device *tdev)
{
	return IS_ERR(tdev->debugfs) ? NULL : tdev->debugfs;
}
EXPORT_SYMBOL_NS_GPL(tessera_card_debugfs, TESSERA);

struct dentry *tessera_debugfs_root(void)
{
	return IS_ERR(tessera_debugfs_dir) ? NULL : tessera_debugfs_dir;
}
EXPORT_SYMBOL_NS_GPL(tessera_debugfs_root, TESSERA);

void tessera_debugfs_fini(struct tessera_device *tdev)
{
	debugfs_remove_recursive(tdev->debugfs);
	tdev->debugfs = NULL;
}

/*
 * What every context together holds: the debug suites read it before and
 * after a run and fail unless it returned to where it was.
 */
static int tessera_debugfs_counters_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "page_table_pages %ld\n", atomic_long_read(&tessera_mmu_tables));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_counters);

void tessera_debugfs_register(void)
{
	tessera_debugfs_dir = debugfs_create_dir(TESSERA_DRV_NAME, NULL);
	debugfs_create_file("counters", 0400, tessera_debugfs_dir, NULL,
			    &tessera_debugfs_counters_fops);
}

void tessera_debugfs_unregister(void)
{
	debugfs_remove_recursive(tessera_debugfs_dir);
}
