/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera hardware contexts: id allocation, programming, interrupts.
 */
#ifndef TESSERA_CTX_H
#define TESSERA_CTX_H

#include <linux/idr.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "tessera_core.h"
#include "tessera_hw.h"
#include "tessera_sched.h"

struct tessera_device;
struct tessera_ctx;

/**
 * struct tessera_ctx - one hardware context
 * @tdev: the card
 * @id: the context number on the card
 * @in_use: allocated to an owner
 * @owner_lock: protects @irq_fn and @irq_data against the interrupt handler
 * @irq_fn: the owner's interrupt callback
 * @irq_data: its argument
 * @se: the context's scheduling entity
 * @irq_name: name shown in /proc/interrupts
 */
struct tessera_ctx {
	struct tessera_device *tdev;
	u32 id;
	bool in_use;
	spinlock_t owner_lock;	/* protects irq_fn, irq_data */
	tessera_ctx_irq_fn irq_fn;
	void *irq_data;
	struct tessera_sched_entity se;
	char irq_name[32];
};

/**
 * struct tessera_ctx_mgr - all contexts of a card
 * @ids: free context ids (takes its own lock)
 * @ctx: the contexts, indexed by id
 * @irqs_requested: how many per-context vectors are requested
 */
struct tessera_ctx_mgr {
	struct ida ids;
	struct tessera_ctx *ctx;
	unsigned int irqs_requested;
};

int tessera_ctx_mgr_init(struct tessera_device *tdev);
void tessera_ctx_mgr_fini(struct tessera_device *tdev);
unsigned int tessera_ctx_free_count(struct tessera_device *tdev);

struct tessera_ctx *tessera_ctx_alloc(struct tessera_device *tdev,
				      tessera_ctx_irq_fn irq_fn, void *data);
void tessera_ctx_free(struct tessera_ctx *ctx);

void tessera_ctx_program(struct tessera_ctx *ctx, u64 ring_dva, u32 ring_entries,
			 dma_addr_t mmu_root, u64 vram_base, u64 vram_size);
void tessera_ctx_disable(struct tessera_ctx *ctx);
void tessera_ctx_reset(struct tessera_ctx *ctx);
int tessera_ctx_tlb_invalidate(struct tessera_ctx *ctx);
void tessera_ctx_set_tail(struct tessera_ctx *ctx, u32 tail);
u32 tessera_ctx_head(struct tessera_ctx *ctx);
u32 tessera_ctx_tail(struct tessera_ctx *ctx);
u32 tessera_ctx_status(struct tessera_ctx *ctx);
u64 tessera_ctx_busy_ns(struct tessera_ctx *ctx);
u64 tessera_ctx_fence(struct tessera_ctx *ctx);
u32 tessera_ctx_cmds_done(struct tessera_ctx *ctx);

void tessera_ctx_read_fault(struct tessera_ctx *ctx, struct tessera_ctx_fault *fault);

#endif /* TESSERA_CTX_H */
