/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera card core: the physical card's driver state and register access.
 */
#ifndef TESSERA_DRV_H
#define TESSERA_DRV_H

#include <linux/io.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "tessera_core.h"
#include "tessera_hw.h"
#include "tessera_ctx.h"
#include "tessera_sched.h"
#include "tessera_vram.h"

#define TESSERA_DRV_NAME	"tessera"

/**
 * struct tessera_region_owner - who a reconfigurable region's interrupts go to
 * @fn: the owner's callback, NULL to acknowledge only
 * @data: its argument
 */
struct tessera_region_owner {
	tessera_region_irq_fn fn;
	void *data;
};

/**
 * struct tessera_regions - the card's reconfigurable regions, as clients hold them
 * @lock: protects @claimed
 * @claimed: bit r set = region r belongs to a client
 * @owner_lock: protects @owner against the region interrupt
 * @owner: each region's interrupt callback
 */
struct tessera_regions {
	struct mutex lock;	/* protects claimed */
	unsigned long claimed;
	spinlock_t owner_lock;	/* protects owner[]; taken in hard-irq context */
	struct tessera_region_owner owner[TESSERA_MAX_REGIONS];
};

/**
 * struct tessera_device - one physical card
 * @pdev: the PCI function
 * @regs: BAR0, the register file
 * @info: what the card is, as its clients see it (BAR2 mapping included)
 * @vram_alloc: device-memory allocator
 * @ctxs: hardware-context allocator and interrupt dispatch
 * @sched: engine scheduler
 * @regions: who holds each reconfigurable region
 * @debugfs: this card's debugfs folder
 * @mdev_client: the mediator's auxiliary device, while the card is bound
 * @accel_client: the host node's auxiliary device (tessera_accel_host.ko)
 */
struct tessera_device {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct tessera_card_info info;

	struct tessera_vram vram_alloc;
	struct tessera_ctx_mgr ctxs;
	struct tessera_sched sched;
	struct tessera_regions regions;
	struct dentry *debugfs;
	struct tessera_client_dev *mdev_client;
	struct tessera_client_dev *accel_client;
};

static inline u32 tessera_rd(struct tessera_device *tdev, u32 off)
{
	return readl(tdev->regs + off);
}

static inline void tessera_wr(struct tessera_device *tdev, u32 off, u32 val)
{
	writel(val, tdev->regs + off);
}

/* A 64-bit counter split in LO/HI: LO first, which latches HI on the card. */
static inline u64 tessera_rd64(struct tessera_device *tdev, u32 off_lo)
{
	u64 lo = readl(tdev->regs + off_lo);

	return lo | (u64)readl(tdev->regs + off_lo + 4) << 32;
}

static inline void tessera_wr64(struct tessera_device *tdev, u32 off_lo, u64 val)
{
	writel(lower_32_bits(val), tdev->regs + off_lo);
	writel(upper_32_bits(val), tdev->regs + off_lo + 4);
}

/* tessera_regions.c */
int tessera_regions_init(struct tessera_device *tdev);
void tessera_regions_fini(struct tessera_device *tdev);
void tessera_regions_dispatch(struct tessera_device *tdev, unsigned int phys, u32 status);

/* tessera_debugfs.c */
void tessera_debugfs_init(struct tessera_device *tdev);
void tessera_debugfs_fini(struct tessera_device *tdev);
void tessera_debugfs_register(void);
void tessera_debugfs_unregister(void);

#endif /* TESSERA_DRV_H */
