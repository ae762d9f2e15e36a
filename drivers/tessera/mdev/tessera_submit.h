/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera command submission: guest ring -> audit -> shadow ring -> card.
 */
#ifndef TESSERA_SUBMIT_H
#define TESSERA_SUBMIT_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "tessera_audit.h"
#include "tessera_bind.h"
#include "tessera_pin_runs.h"

struct gen_pool;
struct tessera_vgpu;

/**
 * struct tessera_shadow_buf - host-owned copy of commands the card reads
 * @va: kernel address
 * @dma: bus address
 * @dva: device address in the instance's context (read-only mapping)
 * @size: bytes, page multiple
 * @retire_seq: for a batch, the ring sequence number after which the card
 *	no longer reads it
 * @node: link in struct tessera_submit::batches
 */
struct tessera_shadow_buf {
	void *va;
	dma_addr_t dma;
	u64 dva;
	size_t size;
	u64 retire_seq;
	struct list_head node;
};

/**
 * struct tessera_submit - one instance's submission state
 *
 * Protected by the instance's lock (struct tessera_vgpu::lock).
 *
 * @ring: the shadow ring, NULL while the guest's ring is not configured
 * @ring_base: guest address of the ring, as checked when it was configured
 * @entries: ring entries (same as the guest's ring)
 * @tail: next shadow slot to fill; the tail the card was given
 * @seq: ring entries submitted since the ring was configured
 * @fence_seq: ring sequence number after which the first FENCE submitted
 *	since the ring was (re)started has run; 0 if none is pending
 * @batches: shadow batch buffers in submission order
 * @dva_pool: allocator of host device addresses above the guest's space
 * @pins: guest page frame (IOVA >> 12) -> struct tessera_pin
 * @runs: the runs the pages mapped at their own addresses were pinned in,
 *	each its own allocation of struct tessera_pin_run
 * @pinned_pages: uses of pinned guest pages, which @pin_limit bounds: one
 *	per page mapped at its own address, one per page of each binding
 * @pin_limit: most pages the instance may have pinned
 * @shadow_bytes: host memory in @ring and @batches
 * @trap_budget: commands the current doorbell may still make the audit see
 * @unmap_lock: serializes dma_unmap callbacks; taken before the instance lock
 * @unmap_pending: a dma_unmap waits for the card: [@unmap_first,
 *	@unmap_last] (guest page frames) may not be used by new commands
 * @binds: the bind space
 * @audit_env: what the audit lets the instance's commands reach (its type's
 *	device-memory window), built once with the instance
 */
struct tessera_submit {
	struct tessera_shadow_buf *ring;
	u64 ring_base;
	u32 entries;
	u32 tail;
	u64 seq;
	u64 fence_seq;
	struct list_head batches;
	struct gen_pool *dva_pool;
	struct xarray pins;
	struct tessera_pin_runs runs;
	u64 pinned_pages;
	u64 pin_limit;
	u64 shadow_bytes;
	u32 trap_budget;
	struct mutex unmap_lock;	/* one dma_unmap at a time */
	bool unmap_pending;
	unsigned long unmap_first;
	unsigned long unmap_last;
	struct tessera_bind_space binds;
	struct tessera_audit_env audit_env;
};

/**
 * struct tessera_pin - one pinned guest page, DMA-mapped once for all its uses
 * @page: the page
 * @dma: its bus address for the card
 * @writable: pinned and DMA-mapped for device writes, as the guest's DMA
 *	mapping allows; each device-MMU entry says whether its use may write
 * @direct: mapped in the device MMU at its own guest address; that use's
 *	vfio pin is its run's (struct tessera_submit::runs)
 * @bind_refs: pages of bindings (live or stale) that map it, each with a
 *	vfio pin of its own
 *
 * Protected by the instance's lock.
 */
struct tessera_pin {
	struct page *page;
	dma_addr_t dma;
	bool writable;
	bool direct;
	u32 bind_refs;
};

/*
 * Host memory the mediator takes on a guest's behalf while it handles a
 * trap: charged to the memory cgroup of the process driving the instance,
 * and allowed to fail instead of invoking the OOM killer (the cgroup's or
 * the host's), so that a tenant at its memory.max gets a refusal
 * (TESSERA_VF_REJECT_NOMEM, TESSERA_VF_BIND_ERR_NOMEM) rather than a kill
 * of some process.
 */
#define TESSERA_GUEST_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* The host is taking guest page frame @pfn back: dma_unmap waits for the card. */
static inline bool tessera_submit_unmapping(const struct tessera_submit *sub, unsigned long pfn)
{
	return sub->unmap_pending && pfn >= sub->unmap_first && pfn <= sub->unmap_last;
}

extern atomic_long_t tessera_submit_shadow_pages;
extern atomic_long_t tessera_submit_pinned_pages;

int tessera_submit_init(struct tessera_vgpu *vg);
void tessera_submit_fini(struct tessera_vgpu *vg);
int tessera_submit_configure(struct tessera_vgpu *vg, u64 ring_base, u32 entries);
void tessera_submit_deconfigure(struct tessera_vgpu *vg);
void tessera_submit_doorbell(struct tessera_vgpu *vg, u32 tail);
void tessera_submit_reset(struct tessera_vgpu *vg);
u32 tessera_submit_head(struct tessera_vgpu *vg);
bool tessera_submit_busy(struct tessera_vgpu *vg);
void tessera_submit_dma_unmap(struct tessera_vgpu *vg, u64 iova, u64 length);
struct tessera_pin *tessera_submit_pin_get(struct tessera_vgpu *vg, unsigned long pfn);
void tessera_submit_pin_put(struct tessera_vgpu *vg, unsigned long pfn, struct tessera_pin *pin);
void tessera_submit_unpin_all(struct tessera_vgpu *vg);
u32 tessera_submit_max_entries(void);
bool tessera_submit_fence_seen(struct tessera_vgpu *vg);
bool tessera_submit_drain(struct tessera_vgpu *vg);

#endif /* TESSERA_SUBMIT_H */
