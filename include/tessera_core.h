/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera card core API: what tessera.ko offers the drivers that serve the
 * card to users (its clients: the mediator, tessera_mdev.ko). A client
 * binds to the auxiliary device the card creates for its kind and reaches
 * the card only through the functions below, exported in the TESSERA
 * symbol namespace. The card's registers stay the core's, except the
 * reconfigurable regions' pages, which a client that claimed a region
 * drives itself (tessera_region_regs()).
 *
 * Lifetimes: the auxiliary device's remove() is the client's "card going
 * away" callback. It must free every context, device-memory slice and
 * region it holds before it returns; the core tears down only after
 * every client is gone. Nothing here may be called after that.
 *
 * Locking: the functions sleep unless marked "any context". Context and
 * region interrupt callbacks run in hard-interrupt context under the
 * core's owner lock, so tessera_ctx_free() and tessera_region_set_handler()
 * return only once no callback for the old owner can still run; a
 * callback may take only irq-safe spinlocks and must not call back into
 * the functions that change ownership.
 */
#ifndef TESSERA_CORE_H
#define TESSERA_CORE_H

#include <linux/auxiliary_bus.h>
#include <linux/types.h>

#include "tessera_hw.h"

struct dentry;
struct device;
struct tessera_ctx;
struct tessera_device;
struct tessera_mmu;

/* ---- The card and its clients ---- */

/*
 * The auxiliary device the card creates for each kind of client, named
 * "tessera.<kind>.<id>": the mediator binds to "tessera.mdev", the host
 * node (tessera_accel_host.ko) to "tessera.accel". Its parent
 * is the card's PCI device, on which clients make DMA mappings and
 * register what user space names by PCI address (the mdev parent).
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
 * struct tessera_card_info - what a client may know of the card, fixed at probe
 * @num_contexts: hardware contexts
 * @num_engines: engines
 * @num_regions: reconfigurable regions
 * @vram_size: bytes of device memory
 * @vram_usable: bytes of it the core hands to clients (the rest is the
 *	host reserve)
 * @vram_phys: bus address of BAR2, for mmap of a slice
 * @vram: BAR2 mapped, for a client's accesses to its own slices
 * @regs_phys: bus address of BAR0, for mmap of a claimed region's user page
 * @region_capacity: largest bitstream payload a region takes, bytes
 * @config_bw: reconfiguration bandwidth, KiB per ms
 * @functions: bit n set = the card implements TESSERA_FN n
 */
struct tessera_card_info {
	u32 num_contexts;
	u32 num_engines;
	u32 num_regions;
	u64 vram_size;
	u64 vram_usable;
	phys_addr_t vram_phys;
	void __iomem *vram;
	phys_addr_t regs_phys;
	u64 region_capacity;
	u32 config_bw;
	u32 functions;
};

const struct tessera_card_info *tessera_card_info(struct tessera_device *tdev);
/* The card's PCI function: DMA mappings, logging, the mdev parent. */
struct device *tessera_card_dev(struct tessera_device *tdev);
/* The card's debugfs folder (<debugfs>/tessera/<pci address>/), or NULL. */
struct dentry *tessera_card_debugfs(struct tessera_device *tdev);
/* <debugfs>/tessera/, shared by every card, or NULL. */
struct dentry *tessera_debugfs_root(void);

/* ---- Device memory: slices of BAR2 ---- */

/* Slices are handed out in multiples of this. */
#define TESSERA_VRAM_GRANULE_SHIFT	20
#define TESSERA_VRAM_GRANULE		BIT_ULL(TESSERA_VRAM_GRANULE_SHIFT)

int tessera_vram_alloc(struct tessera_device *tdev, u64 size, u64 *offset);
void tessera_vram_free(struct tessera_device *tdev, u64 offset, u64 size);
void tessera_vram_scrub(struct tessera_device *tdev, u64 offset, u64 size);
unsigned int tessera_vram_count_fit(struct tessera_device *tdev, u64 size,
				    unsigned int max);

/* ---- Device MMU: one context's page tables ---- */

struct tessera_mmu *tessera_mmu_create(struct tessera_device *tdev);
void tessera_mmu_destroy(struct tessera_mmu *mmu);
dma_addr_t tessera_mmu_root(struct tessera_mmu *mmu);
int tessera_mmu_map(struct tessera_mmu *mmu, u64 dva, dma_addr_t addr, bool writable);
bool tessera_mmu_unmap(struct tessera_mmu *mmu, u64 dva);
void tessera_mmu_reap(struct tessera_mmu *mmu);

/* ---- Contexts: a ring, a device-MMU root and a device-memory window ---- */

/**
 * typedef tessera_ctx_irq_fn - a context's interrupt, for its owner
 * @data: the owner's pointer given to tessera_ctx_alloc()
 * @status: the TESSERA_CTX_INT_* bits that were raised (already cleared)
 *
 * Called in hard-interrupt context.
 */
typedef void (*tessera_ctx_irq_fn)(void *data, u32 status);

/**
 * struct tessera_ctx_fault - what the card reports about a context's fault
 * @code: TESSERA_FAULT_*
 * @index: ring index of the faulting command
 * @addr: faulting device address or value
 */
struct tessera_ctx_fault {
	u32 code;
	u32 index;
	u64 addr;
};

/**
 * struct tessera_sched_stats - what the scheduler counted for one context
 * @submits: kicks that gave the context new work
 * @sched_in: times the context was switched onto its engine
 * @slices: slices granted (a context that keeps its engine gets a new one)
 * @charged_ns: card busy time charged to the policy
 * @faults: card faults raised by the context
 * @watchdog_faults: of those, commands stopped by the card's watchdog
 * @resets: times the context was taken off and reset (detach after attach,
 *	forced recovery)
 */
struct tessera_sched_stats {
	u64 submits;
	u64 sched_in;
	u64 slices;
	u64 charged_ns;
	u64 faults;
	u64 watchdog_faults;
	u64 resets;
};

/**
 * struct tessera_ctx_sched_info - one context as the scheduler has it
 * @weight: its share of engine time relative to the others
 * @engine: the engine it is placed on, -1 while detached
 * @preemptions: commands the card stopped midway, since allocation
 * @switch_seq: its engine's switch count when @busy_at_switch_ns was read
 * @busy_at_switch_ns: its busy time then, by the card's counter
 * @stats: the scheduler's counters
 */
struct tessera_ctx_sched_info {
	u32 weight;
	int engine;
	u32 preemptions;
	u64 switch_seq;
	u64 busy_at_switch_ns;
	struct tessera_sched_stats stats;
};

/*
 * Mediated instances may hold contexts 0 .. TESSERA_INSTANCE_CONTEXTS - 1
 * (the smallest vGPU type is 1/32 of a card); a card's contexts above them
 * are kept for host clients (the accel host node), which take those first.
 */
#define TESSERA_INSTANCE_CONTEXTS	32

/* Who a context is for: the part of the card's contexts it comes from. */
enum tessera_ctx_user {
	TESSERA_CTX_FOR_INSTANCE,
	TESSERA_CTX_FOR_HOST,
};

/*
 * The weight of a whole card: an instance of 1/N of the card has
 * TESSERA_CARD_WEIGHT / N, and under fixed share that is its share.
 */
#define TESSERA_CARD_WEIGHT		32

struct tessera_ctx *tessera_ctx_alloc(struct tessera_device *tdev, enum tessera_ctx_user user,
				      tessera_ctx_irq_fn irq_fn, void *data);
void tessera_ctx_free(struct tessera_ctx *ctx);
unsigned int tessera_ctx_free_count(struct tessera_device *tdev);
u32 tessera_ctx_id(struct tessera_ctx *ctx);

void tessera_ctx_program(struct tessera_ctx *ctx, u64 ring_dva, u32 ring_entries,
			 dma_addr_t mmu_root, u64 vram_base, u64 vram_size);
void tessera_ctx_program_window(struct tessera_ctx *ctx, dma_addr_t mmu_root,
				u64 vram_base, u64 vram_size);
void tessera_ctx_disable(struct tessera_ctx *ctx);
void tessera_ctx_reset(struct tessera_ctx *ctx);
int tessera_ctx_tlb_invalidate(struct tessera_ctx *ctx);
/* Any context: */
void tessera_ctx_set_tail(struct tessera_ctx *ctx, u32 tail);
u32 tessera_ctx_head(struct tessera_ctx *ctx);
u32 tessera_ctx_tail(struct tessera_ctx *ctx);
u32 tessera_ctx_status(struct tessera_ctx *ctx);
u64 tessera_ctx_busy_ns(struct tessera_ctx *ctx);
u64 tessera_ctx_fence(struct tessera_ctx *ctx);
u32 tessera_ctx_cmds_done(struct tessera_ctx *ctx);
void tessera_ctx_read_fault(struct tessera_ctx *ctx, struct tessera_ctx_fault *fault);

/* Scheduling. Any context except tessera_ctx_detach(), which sleeps. */
int tessera_ctx_set_weight(struct tessera_ctx *ctx, u32 weight);
u32 tessera_ctx_get_weight(struct tessera_ctx *ctx);
void tessera_ctx_attach(struct tessera_ctx *ctx);
void tessera_ctx_kick(struct tessera_ctx *ctx);
int tessera_ctx_detach(struct tessera_ctx *ctx);
void tessera_ctx_sched_info(struct tessera_ctx *ctx, struct tessera_ctx_sched_info *info);

/* ---- Reconfigurable regions ---- */

/**
 * typedef tessera_region_irq_fn - a region's interrupt, for its owner
 * @data: the owner's pointer given to tessera_region_set_handler()
 * @status: the TESSERA_RGN_INT_* bits that were raised (already cleared)
 *
 * Called in hard-interrupt context.
 */
typedef void (*tessera_region_irq_fn)(void *data, u32 status);

int tessera_region_claim(struct tessera_device *tdev, unsigned int count,
			 unsigned int *phys);
void tessera_region_release(struct tessera_device *tdev, unsigned int count,
			    const unsigned int *phys);
unsigned int tessera_region_free_count(struct tessera_device *tdev);
/* Any context. */
void tessera_region_set_handler(struct tessera_device *tdev, unsigned int phys,
				tessera_region_irq_fn fn, void *data);
void __iomem *tessera_region_regs(struct tessera_device *tdev, unsigned int phys);
void __iomem *tessera_region_user_regs(struct tessera_device *tdev, unsigned int phys);

#endif /* TESSERA_CORE_H */
