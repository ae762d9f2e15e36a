// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vGPU bind space.
 *
 * A guest driver's buffers are scattered guest pages (GEM shmem objects); a
 * command names a buffer by one device address range. The guest binds its
 * pages at consecutive device addresses of the bind space with a descriptor
 * in its memory and a trapped register write (tessera_hw.h, "The bind
 * interface"). Each operation is bounded: one descriptor, at most
 * TESSERA_VF_BIND_MAX_PAGES pins and one drain barrier.
 *
 * A binding is recorded in an interval tree of device page numbers, which
 * the audit asks for every range a command touches in the bind space. Its
 * pages are pinned and mapped in the instance's device-MMU context at the
 * binding's device addresses. Going away, in this order: out of the tree
 * (no new command may use it), device-MMU entries cleared, the drain barrier
 * (no access of the card still uses them), pages unpinned.
 */
#include <linux/interval_tree.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_vgpu.h"

static unsigned int max_bindings = 4096;
module_param(max_bindings, uint, 0644);
MODULE_PARM_DESC(max_bindings, "Most live bindings one vGPU instance may hold (default 4096)");

/**
 * struct tessera_binding - pages bound at consecutive device addresses
 * @node: in struct tessera_bind_space::tree: device page numbers
 * @stale_link: in struct tessera_bind_space::stale once out of the tree
 * @writable: the card may write the pages
 * @revoking: the host takes back guest memory under it (dma_unmap): new
 *	commands may not use it
 * @num_pages: entries in @gpfns
 * @gpfns: the guest page frames, in device-address order, each holding a
 *	vfio pin and a bind reference of its struct tessera_pin
 */
struct tessera_binding {
	struct interval_tree_node node;
	struct list_head stale_link;
	bool writable;
	bool revoking;
	u32 num_pages;
	unsigned long gpfns[] __counted_by(num_pages);
};

u32 tessera_bind_max(void)
{
	return max_bindings;
}

static struct tessera_bind_space *tessera_bind_of(struct tessera_vgpu *vg)
{
	return &vg->sub.binds;
}

static u64 tessera_binding_dva(const struct tessera_binding *b)
{
	return (u64)b->node.start << PAGE_SHIFT;
}

static struct tessera_binding *tessera_binding_at(struct tessera_bind_space *bs,
						  unsigned long dpfn)
{
	struct interval_tree_node *node = interval_tree_iter_first(&bs->tree, dpfn, dpfn);

	return node ? container_of(node, struct tessera_binding, node) : NULL;
}

static int tessera_bind_ref_pfn(struct tessera_bind_space *bs, unsigned long gpfn)
{
	void *entry = xa_load(&bs->guest_pfns, gpfn);
	unsigned long refs = entry ? xa_to_value(entry) : 0;

	return xa_err(xa_store(&bs->guest_pfns, gpfn, xa_mk_value(refs + 1), TESSERA_GUEST_GFP));
}

static void tessera_bind_unref_pfn(struct tessera_bind_space *bs, unsigned long gpfn)
{
	unsigned long refs = xa_to_value(xa_load(&bs->guest_pfns, gpfn));

	/* Replacing an entry that exists allocates nothing; neither does erasing. */
	if (refs > 1)
		xa_store(&bs->guest_pfns, gpfn, xa_mk_value(refs - 1), GFP_NOWAIT);
	else
		xa_erase(&bs->guest_pfns, gpfn);
}

/* Undo pages [0, @done) of @b: their entries are gone and the card drained. */
static void tessera_binding_unpin(struct tessera_vgpu *vg, struct tessera_binding *b, u32 done)
{
	struct tessera_pin *pin;
	u32 i;

	for (i = 0; i < done; i++) {
		pin = xa_load(&vg->sub.pins, b->gpfns[i]);
		tessera_submit_pin_put(vg, b->gpfns[i], pin);
	}
	vg->sub.pinned_pages -= done;
	atomic_long_sub(done, &tessera_submit_pinned_pages);
}

static void tessera_binding_unmap(struct tessera_vgpu *vg, struct tessera_binding *b, u32 done)
{
	u64 dva = tessera_binding_dva(b);
	u32 i;

	for (i = 0; i < done; i++)
		tessera_mmu_unmap(vg->mmu, dva + ((u64)i << PAGE_SHIFT));
}

/*
 * Release bindings already out of the tree and out of the MMU: after one
 * drain barrier, or kept pinned (stale) when the card did not drain.
 */
static void tessera_bind_release(struct tessera_vgpu *vg, struct list_head *gone)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	struct tessera_binding *b, *next;

	list_splice_tail_init(gone, &bs->stale);
	if (list_empty(&bs->stale) || !tessera_submit_drain(vg))
		return;
	list_for_each_entry_safe(b, next, &bs->stale, stale_link) {
		list_del(&b->stale_link);
		tessera_binding_unpin(vg, b, b->num_pages);
		kvfree(b);
	}
}

/* Out of the tree and the MMU, onto @gone for tessera_bind_release(). */
static void tessera_binding_take_out(struct tessera_vgpu *vg, struct tessera_binding *b,
				     struct list_head *gone)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	u32 i;

	interval_tree_remove(&b->node, &bs->tree);
	for (i = 0; i < b->num_pages; i++)
		tessera_bind_unref_pfn(bs, b->gpfns[i]);
	bs->count--;
	bs->pages -= b->num_pages;
	tessera_binding_unmap(vg, b, b->num_pages);
	list_add_tail(&b->stale_link, gone);
}

/* Pin one guest page for @b and map it at its device address. */
static u32 tessera_binding_pin(struct tessera_vgpu *vg, struct tessera_binding *b, u32 i,
			       u64 gaddr)
{
	unsigned long gpfn = gaddr >> PAGE_SHIFT;
	struct tessera_pin *pin;

	if (!PAGE_ALIGNED(gaddr) || gaddr >= TESSERA_VF_DVA_BIND_BASE)
		return TESSERA_VF_BIND_ERR_PAGE;
	if (tessera_submit_unmapping(&vg->sub, gpfn))
		return TESSERA_VF_BIND_ERR_PAGE;
	if (vg->sub.pinned_pages >= vg->sub.pin_limit)
		return TESSERA_VF_BIND_ERR_PIN_LIMIT;

	pin = tessera_submit_pin_get(vg, gpfn);
	if (IS_ERR(pin)) {
		/* -EDQUOT: RLIMIT_MEMLOCK (tessera_submit.c says whose). */
		if (PTR_ERR(pin) == -EDQUOT)
			return TESSERA_VF_BIND_ERR_MEMLOCK;
		if (PTR_ERR(pin) == -ENOMEM)
			return TESSERA_VF_BIND_ERR_NOMEM;
		return TESSERA_VF_BIND_ERR_PAGE;
	}
	/* Read-only guest memory cannot back a writable binding. */
	if (b->writable && !pin->writable) {
		tessera_submit_pin_put(vg, gpfn, pin);
		return TESSERA_VF_BIND_ERR_PAGE;
	}
	/* A map that fails wrote no entry: the card cannot have used the page. */
	if (tessera_mmu_map(vg->mmu, tessera_binding_dva(b) + ((u64)i << PAGE_SHIFT), pin->dma,
			    b->writable)) {
		tessera_submit_pin_put(vg, gpfn, pin);
		return TESSERA_VF_BIND_ERR_NOMEM;
	}
	b->gpfns[i] = gpfn;
	vg->sub.pinned_pages++;
	atomic_long_inc(&tessera_submit_pinned_pages);
	return 0;
}

static u32 tessera_bind_read_desc(struct tessera_vgpu *vg, struct tessera_vf_bind_desc *desc)
{
	u64 addr = tessera_bind_of(vg)->addr;

	if (!IS_ALIGNED(addr, 8) || addr >= TESSERA_VF_DVA_BIND_BASE ||
	    TESSERA_VF_DVA_BIND_BASE - addr < TESSERA_VF_BIND_DESC_HEADER)
		return TESSERA_VF_BIND_ERR_DESC;
	if (vfio_dma_rw(&vg->vdev, addr, desc, TESSERA_VF_BIND_DESC_HEADER, false))
		return TESSERA_VF_BIND_ERR_DESC;
	if ((desc->flags & ~TESSERA_VF_BIND_WRITE) || desc->reserved[0] || desc->reserved[1])
		return TESSERA_VF_BIND_ERR_RESERVED;
	if (!desc->num_pages || desc->num_pages > TESSERA_VF_BIND_MAX_PAGES ||
	    !PAGE_ALIGNED(desc->dva) || desc->dva < TESSERA_VF_DVA_BIND_BASE ||
	    desc->dva >= TESSERA_VF_DVA_GUEST_LIMIT ||
	    ((u64)desc->num_pages << PAGE_SHIFT) > TESSERA_VF_DVA_GUEST_LIMIT - desc->dva)
		return TESSERA_VF_BIND_ERR_RANGE;
	return 0;
}

static u32 tessera_bind_map(struct tessera_vgpu *vg, u32 *err_index)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	struct tessera_vf_bind_desc desc;
	struct tessera_binding *b;
	unsigned long first, last;
	LIST_HEAD(gone);
	u64 *gaddrs;
	u32 code, i;

	code = tessera_bind_read_desc(vg, &desc);
	if (code)
		return code;
	first = desc.dva >> PAGE_SHIFT;
	last = first + desc.num_pages - 1;
	if (interval_tree_iter_first(&bs->tree, first, last))
		return TESSERA_VF_BIND_ERR_OVERLAP;
	if (bs->count >= max_bindings)
		return TESSERA_VF_BIND_ERR_TOO_MANY;

	gaddrs = kvmalloc_array(desc.num_pages, sizeof(*gaddrs), TESSERA_GUEST_GFP);
	b = kvzalloc(struct_size(b, gpfns, desc.num_pages), TESSERA_GUEST_GFP);
	if (!gaddrs || !b) {
		code = TESSERA_VF_BIND_ERR_NOMEM;
		goto out;
	}
	/* The header was checked above: the page list follows it in guest memory. */
	if (vfio_dma_rw(&vg->vdev, bs->addr + TESSERA_VF_BIND_DESC_HEADER, gaddrs,
			(size_t)desc.num_pages * sizeof(*gaddrs), false)) {
		code = TESSERA_VF_BIND_ERR_DESC;
		goto out;
	}
	b->num_pages = desc.num_pages;
	b->writable = desc.flags & TESSERA_VF_BIND_WRITE;
	b->node.start = first;
	b->node.last = last;

	for (i = 0; i < b->num_pages; i++) {
		code = tessera_binding_pin(vg, b, i, gaddrs[i]);
		if (code) {
			*err_index = i;
			goto undo;
		}
	}
	for (i = 0; i < b->num_pages; i++) {
		if (tessera_bind_ref_pfn(bs, b->gpfns[i])) {
			while (i--)
				tessera_bind_unref_pfn(bs, b->gpfns[i]);
			code = TESSERA_VF_BIND_ERR_NOMEM;
			i = b->num_pages;
			goto undo;
		}
	}
	interval_tree_insert(&b->node, &bs->tree);
	bs->count++;
	bs->pages += b->num_pages;
	b = NULL;
	goto out;

undo:
	/*
	 * Pages [0, i) are pinned and mapped. Commands queued before an
	 * earlier unbind may still reach these device addresses: unpin only
	 * after a drain.
	 */
	tessera_binding_unmap(vg, b, i);
	b->num_pages = i;
	list_add_tail(&b->stale_link, &gone);
	tessera_bind_release(vg, &gone);
	b = NULL;
out:
	kvfree(b);
	kvfree(gaddrs);
	return code;
}

static u32 tessera_bind_unmap(struct tessera_vgpu *vg)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	struct tessera_binding *b;
	LIST_HEAD(gone);

	if (!PAGE_ALIGNED(bs->addr))
		return TESSERA_VF_BIND_ERR_NOT_BOUND;
	b = tessera_binding_at(bs, bs->addr >> PAGE_SHIFT);
	if (!b || tessera_binding_dva(b) != bs->addr)
		return TESSERA_VF_BIND_ERR_NOT_BOUND;
	tessera_binding_take_out(vg, b, &gone);
	tessera_bind_release(vg, &gone);
	return 0;
}

/**
 * tessera_bind_drop_all() - take every binding away
 * @vg: the instance, locked
 *
 * For VF_BIND_OP_UNMAP_ALL, a device reset and the close: one drain for
 * them all.
 */
void tessera_bind_drop_all(struct tessera_vgpu *vg)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	struct interval_tree_node *node;
	LIST_HEAD(gone);

	lockdep_assert_held(&vg->lock);
	while ((node = interval_tree_iter_first(&bs->tree, 0, ULONG_MAX)))
		tessera_binding_take_out(vg, container_of(node, struct tessera_binding, node),
					 &gone);
	tessera_bind_release(vg, &gone);
}

/**
 * tessera_bind_op() - the guest wrote VF_BIND_OP
 * @vg: the instance, locked
 * @op: the value written
 *
 * Sets VF_BIND_STATUS (and VF_BIND_ERR_INDEX); a refused operation changes
 * nothing.
 */
void tessera_bind_op(struct tessera_vgpu *vg, u32 op)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	u32 err_index = 0, code;

	lockdep_assert_held(&vg->lock);
	switch (op) {
	case TESSERA_VF_BIND_OP_MAP:
		code = tessera_bind_map(vg, &err_index);
		break;
	case TESSERA_VF_BIND_OP_UNMAP:
		code = tessera_bind_unmap(vg);
		break;
	case TESSERA_VF_BIND_OP_UNMAP_ALL:
		tessera_bind_drop_all(vg);
		code = 0;
		break;
	default:
		code = TESSERA_VF_BIND_ERR_OP;
	}
	bs->status = code;
	bs->err_index = code == TESSERA_VF_BIND_ERR_PAGE || code == TESSERA_VF_BIND_ERR_PIN_LIMIT ||
			code == TESSERA_VF_BIND_ERR_MEMLOCK ? err_index : 0;
	if (code)
		dev_dbg_ratelimited(&vg->mdev->dev, "bind op %u refused: 0x%x (page %u)\n", op,
				    code, bs->err_index);
}

/**
 * tessera_bind_check() - whether a command may use a bind-space range
 * @vg: the instance, locked
 * @dva: first byte, in the bind space
 * @len: bytes, > 0, the range within the bind space
 * @write: the card writes it
 * @bad: out, the first offending address
 *
 * Return: 0 if live bindings cover every page of the range, writable ones
 * for @write; TESSERA_VF_REJECT_UNMAPPED if one is being revoked; else
 * TESSERA_VF_REJECT_RANGE.
 */
u32 tessera_bind_check(struct tessera_vgpu *vg, u64 dva, u64 len, bool write, u64 *bad)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	unsigned long dpfn = dva >> PAGE_SHIFT, last = (dva + len - 1) >> PAGE_SHIFT;
	struct tessera_binding *b;

	for (;;) {
		b = tessera_binding_at(bs, dpfn);
		if (!b || (write && !b->writable) || b->revoking) {
			*bad = max_t(u64, dva, (u64)dpfn << PAGE_SHIFT);
			if (b && b->revoking)
				return TESSERA_VF_REJECT_UNMAPPED;
			return TESSERA_VF_REJECT_RANGE;
		}
		if (b->node.last >= last)
			return 0;
		dpfn = b->node.last + 1;
	}
}

/* Whether a live binding holds a guest page frame in [@first, @last]. */
bool tessera_bind_holds(struct tessera_vgpu *vg, unsigned long first, unsigned long last)
{
	unsigned long index = first;

	return xa_find(&tessera_bind_of(vg)->guest_pfns, &index, last, XA_PRESENT);
}

/**
 * tessera_bind_mark_revoking() - the host takes back guest memory
 * @vg: the instance, locked
 * @first: first guest page frame
 * @last: last one
 *
 * Every binding that holds one of the pages may no longer be used by new
 * commands; tessera_bind_revoke() then takes them away whole.
 */
void tessera_bind_mark_revoking(struct tessera_vgpu *vg, unsigned long first, unsigned long last)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	struct interval_tree_node *node;
	struct tessera_binding *b;
	u32 i;

	if (!tessera_bind_holds(vg, first, last))
		return;
	for (node = interval_tree_iter_first(&bs->tree, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		b = container_of(node, struct tessera_binding, node);
		for (i = 0; i < b->num_pages && !b->revoking; i++)
			if (b->gpfns[i] >= first && b->gpfns[i] <= last)
				b->revoking = true;
	}
}

/* Take away every binding tessera_bind_mark_revoking() marked. */
void tessera_bind_revoke(struct tessera_vgpu *vg)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);
	struct interval_tree_node *node, *next;
	struct tessera_binding *b;
	LIST_HEAD(gone);

	lockdep_assert_held(&vg->lock);
	for (node = interval_tree_iter_first(&bs->tree, 0, ULONG_MAX); node; node = next) {
		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		b = container_of(node, struct tessera_binding, node);
		if (b->revoking)
			tessera_binding_take_out(vg, b, &gone);
	}
	tessera_bind_release(vg, &gone);
}

void tessera_bind_init(struct tessera_vgpu *vg)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);

	bs->tree = RB_ROOT_CACHED;
	xa_init(&bs->guest_pfns);
	INIT_LIST_HEAD(&bs->stale);
}

/* The instance is closed: tessera_bind_drop_all() ran with the card stopped. */
void tessera_bind_fini(struct tessera_vgpu *vg)
{
	struct tessera_bind_space *bs = tessera_bind_of(vg);

	WARN_ON(bs->count || !RB_EMPTY_ROOT(&bs->tree.rb_root));
	/* Pages the card never drained from stay pinned: leaked, not freed. */
	WARN_ON(!list_empty(&bs->stale));
	xa_destroy(&bs->guest_pfns);
}
