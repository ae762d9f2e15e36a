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

/* The functions a context's owner calls are in tessera_core.h. */
int tessera_ctx_mgr_init(struct tessera_device *tdev);
void tessera_ctx_mgr_fini(struct tessera_device *tdev);

#endif /* TESSERA_CTX_H */
