// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera debugfs: /sys/kernel/debug/tessera/<pci-address>/state dumps the
 * whole card: global registers, engines, contexts, vGPU types, instances.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "tessera_drv.h"
#include "tessera_mmu.h"
#include "tessera_submit.h"

static struct dentry *tessera_debugfs_root;

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
		   tdev->num_contexts, tdev->num_engines, tdev->num_regions);
	seq_printf(m, "vram: %llu MiB, host reserve %llu MiB, free for instances %llu MiB\n",
		   tdev->vram_size >> 20, tdev->vram_alloc.reserve >> 20,
		   tessera_vram_avail(tdev) >> 20);
	seq_printf(m, "clock %llu ns, errors %u, watchdog %llu ns\n",
		   tessera_rd64(tdev, TESSERA_REG_CLOCK_NS_LO),
		   tessera_rd(tdev, TESSERA_REG_ERROR_COUNT),
		   tessera_rd64(tdev, TESSERA_REG_WATCHDOG_NS_LO));

	tessera_sched_dump(&tdev->sched, m);

	for (i = 0; i < tdev->num_contexts; i++) {
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

/* Recent context switches: "engine latency-ns preempted" per line, oldest first. */
static int tessera_debugfs_switch_latency_show(struct seq_file *m, void *unused)
{
	struct tessera_device *tdev = m->private;

	tessera_sched_dump_latency(&tdev->sched, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_switch_latency);

void tessera_debugfs_init(struct tessera_device *tdev)
{
	tdev->debugfs = debugfs_create_dir(pci_name(tdev->pdev), tessera_debugfs_root);
	debugfs_create_file("state", 0400, tdev->debugfs, tdev, &tessera_debugfs_state_fops);
	debugfs_create_file("switch_latency", 0400, tdev->debugfs, tdev,
			    &tessera_debugfs_switch_latency_fops);
}

void tessera_debugfs_fini(struct tessera_device *tdev)
{
	debugfs_remove_recursive(tdev->debugfs);
	tdev->debugfs = NULL;
}

/*
 * What every instance together holds for the card: the debug suites read
 * it before and after a run and fail unless it returned to where it was.
 */
static int tessera_debugfs_counters_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "pinned_pages %ld\nshadow_pages %ld\npage_table_pages %ld\n",
		   atomic_long_read(&tessera_submit_pinned_pages),
		   atomic_long_read(&tessera_submit_shadow_pages),
		   atomic_long_read(&tessera_mmu_tables));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_debugfs_counters);

void tessera_debugfs_register(void)
{
	tessera_debugfs_root = debugfs_create_dir(TESSERA_DRV_NAME, NULL);
	debugfs_create_file("counters", 0400, tessera_debugfs_root, NULL,
			    &tessera_debugfs_counters_fops);
}

void tessera_debugfs_unregister(void)
{
	debugfs_remove_recursive(tessera_debugfs_root);
}
