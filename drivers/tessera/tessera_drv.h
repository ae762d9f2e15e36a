/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera card core: the physical card's driver state and register access.
 */
#ifndef TESSERA_DRV_H
#define TESSERA_DRV_H

#include <linux/auxiliary_bus.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/types.h>

#include "tessera_hw.h"
#include "tessera_ctx.h"
#include "tessera_mdev.h"
#include "tessera_sched.h"
#include "tessera_vram.h"

#define TESSERA_DRV_NAME	"tessera"

struct tessera_fpga;

/*
 * The auxiliary device the card creates for each kind of client: its
 * driver serves the card through @tdev. The mediator binds to
 * "tessera.mdev"; the mdev parent it registers stays on the PCI device.
 */
struct tessera_client_dev {
	struct auxiliary_device adev;
	struct tessera_device *tdev;
};

static inline struct tessera_client_dev *to_tessera_client_dev(struct auxiliary_device *adev)
{
	return container_of(adev, struct tessera_client_dev, adev);
}

/**
 * struct tessera_device - one physical card
 * @pdev: the PCI function
 * @regs: BAR0, the register file
 * @vram: BAR2, device memory, mapped for scrubbing and region access
 * @vram_phys: bus address of BAR2, for mmap into a guest
 * @vram_size: bytes of device memory the card reports
 * @num_contexts: hardware contexts of this card
 * @num_engines: engines of this card
 * @num_regions: reconfigurable regions of this card
 * @vram_alloc: device-memory allocator
 * @ctxs: hardware-context allocator and interrupt dispatch
 * @sched: engine scheduler
 * @med: mdev mediator (vGPU types and instances)
 * @fpga: regions shared among vFPGA instances (tessera_fpga.c)
 * @debugfs: this card's debugfs folder
 * @mdev_client: the mediator's auxiliary device, while the card is bound
 */
struct tessera_device {
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *vram;
	phys_addr_t vram_phys;
	u64 vram_size;
	u32 num_contexts;
	u32 num_engines;
	u32 num_regions;

	struct tessera_vram vram_alloc;
	struct tessera_ctx_mgr ctxs;
	struct tessera_sched sched;
	struct tessera_mediator med;
	struct tessera_fpga *fpga;
	struct dentry *debugfs;
	struct tessera_client_dev *mdev_client;
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

/* tessera_debugfs.c */
void tessera_debugfs_init(struct tessera_device *tdev);
void tessera_debugfs_fini(struct tessera_device *tdev);
void tessera_debugfs_register(void);
void tessera_debugfs_unregister(void);

#endif /* TESSERA_DRV_H */
