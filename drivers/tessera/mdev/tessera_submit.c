// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera command submission for a vGPU instance.
 *
 * The guest's ring lives in guest memory, where the guest can change it at
 * any time. On a doorbell (VF_RING_TAIL write) the new entries are copied
 * once into the instance's shadow ring, a host-owned DMA-coherent buffer
 * that the instance's context reads through a read-only device-MMU mapping
 * above TESSERA_VF_DVA_GUEST_LIMIT. Only then are they audited, so that what
 * was checked is what the card runs. Shadow slot i holds guest slot i: the
 * card's ring head and fault index are the guest's.
 *
 * A BATCH's commands are copied the same way into a shadow buffer, audited
 * one level deeper, and the BATCH is rewritten to point at the copy. The
 * copy is freed once the card's head has passed the ring entry that used it.
 *
 * Guest pages that accepted commands touch are pinned on first use, in
 * runs of consecutive pages, one vfio_pin_pages() call each (at most
 * TESSERA_PIN_RUN_MAX_PAGES), mapped in the context's MMU at device address
 * = guest IOVA, and stay pinned until the guest unmaps them (dma_unmap: a
 * run it cuts goes whole), the device is reset or closed. In the bind
 * space a range must lie in the guest's live bindings (tessera_bind.c),
 * whose pages were pinned when they were bound. A page used both ways, or
 * bound twice, is DMA-mapped once (struct tessera_pin).
 */
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/iommu.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "tessera_audit.h"
#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_vgpu.h"

static unsigned int max_ring_entries = 4096;
module_param(max_ring_entries, uint, 0444);
MODULE_PARM_DESC(max_ring_entries,
		 "Largest VF_RING_SIZE a guest may configure, power of two (default 4096)");

static unsigned int max_pinned_mib = 512;
module_param(max_pinned_mib, uint, 0644);
MODULE_PARM_DESC(max_pinned_mib,
		 "Guest memory one instance may have pinned for its commands, MiB (default 512)");

static unsigned int max_shadow_kib = 4096;
module_param(max_shadow_kib, uint, 0644);
MODULE_PARM_DESC(max_shadow_kib,
		 "Host memory one instance may hold in shadow rings and batch copies, KiB (default 4096)");

static unsigned int max_trap_cmds = 16384;
module_param(max_trap_cmds, uint, 0644);
MODULE_PARM_DESC(max_trap_cmds,
		 "Most commands, batch contents included, one doorbell may make the mediator audit (default 16384)");

static unsigned int unmap_wait_ms = 2000;
module_param(unmap_wait_ms, uint, 0644);
MODULE_PARM_DESC(unmap_wait_ms,
		 "How long a dma_unmap waits for the instance's work to finish before resetting it (default 2000)");

/* Shadow ring and batch pages of every instance: checked by the debug suites. */
atomic_long_t tessera_submit_shadow_pages = ATOMIC_LONG_INIT(0);
/* Guest pages pinned by every instance. */
atomic_long_t tessera_submit_pinned_pages = ATOMIC_LONG_INIT(0);

/* The host's part of an instance's device address space. */
#define TESSERA_HOST_DVA_BASE	TESSERA_VF_DVA_GUEST_LIMIT
#define TESSERA_HOST_DVA_SIZE	(TESSERA_DVA_PAGED_LIMIT - TESSERA_VF_DVA_GUEST_LIMIT)

/* Why a command was refused: a TESSERA_VF_REJECT_* code and an address. */
struct tessera_reject {
	u32 code;
	u64 addr;
};

static struct device *tessera_submit_dev(struct tessera_vgpu *vg)
{
	return tessera_card_dev(vg->tdev);
}

u32 tessera_submit_max_entries(void)
{
	u32 max = clamp_t(u32, max_ring_entries, TESSERA_RING_MIN_ENTRIES,
			  TESSERA_RING_MAX_ENTRIES);

	return rounddown_pow_of_two(max);
}

/*
 * Where the mediator's time goes (the copy, audit, pin and map counters of
 * each instance) is measured only while time_mediation is on: `make bench`
 * turns it on, and the normal path pays one patched-out branch, not two
 * clock reads per step.
 */
static DEFINE_STATIC_KEY_FALSE(tessera_time_mediation);

static int tessera_time_mediation_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	if (on)
		static_branch_enable(&tessera_time_mediation);
	else
		static_branch_disable(&tessera_time_mediation);
	return 0;
}

static int tessera_time_mediation_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", static_key_enabled(&tessera_time_mediation) ? 'Y' : 'N');
}

static const struct kernel_param_ops tessera_time_mediation_ops = {
	.set = tessera_time_mediation_set,
	.get = tessera_time_mediation_get,
};
module_param_cb(time_mediation, &tessera_time_mediation_ops, NULL, 0644);
MODULE_PARM_DESC(time_mediation,
		 "Measure each instance's copy, audit, pin and map time (sysfs *_ns; default off)");

/* 0 while timing is off: tessera_stat_add_since() then adds nothing. */
static ktime_t tessera_stat_start(void)
{
	if (static_branch_unlikely(&tessera_time_mediation))
		return ktime_get();
	return 0;
}

static void tessera_stat_add_since(atomic64_t *stat, ktime_t start)
{
	if (static_branch_unlikely(&tessera_time_mediation) && start)
		atomic64_add(ktime_to_ns(ktime_sub(ktime_get(), start)), stat);
}

/* ---- Shadow buffers ---- */

/*
 * The drain barrier after mappings were removed: once it returns true, no
 * access of the card uses them and emptied tables are freed. False (the
 * card did not drain, even after a context reset): the caller must keep
 * what was mapped.
 */
bool tessera_submit_drain(struct tessera_vgpu *vg)
{
	if (tessera_ctx_tlb_invalidate(vg->ctx))
		return false;
	tessera_mmu_reap(vg->mmu);
	return true;
}

static void tessera_shadow_free(struct tessera_vgpu *vg, struct tessera_shadow_buf *buf)
{
	size_t off;

	for (off = 0; off < buf->size; off += TESSERA_PAGE_SIZE)
		tessera_mmu_unmap(vg->mmu, buf->dva + off);
	/* The card may not read the memory once it is freed: leak it if it might. */
	if (!tessera_submit_drain(vg))
		return;
	vg->sub.shadow_bytes -= buf->size;
	atomic_long_sub(buf->size >> PAGE_SHIFT, &tessera_submit_shadow_pages);
	gen_pool_free(vg->sub.dva_pool, buf->dva, buf->size);
	dma_free_coherent(tessera_submit_dev(vg), buf->size, buf->va, buf->dma);
	kfree(buf);
}

/*
 * A shadow buffer of @bytes. ERR_PTR(-ENOSPC): the instance's cap or its
 * device address space is spent; -ENOMEM: the host (the caller's memory
 * cgroup) would not give the memory.
 */
static struct tessera_shadow_buf *tessera_shadow_alloc(struct tessera_vgpu *vg, size_t bytes)
{
	struct tessera_shadow_buf *buf;
	int err = -ENOMEM;
	ktime_t start;
	size_t off;

	if (vg->sub.shadow_bytes + PAGE_ALIGN(bytes) > (u64)max_shadow_kib * SZ_1K)
		return ERR_PTR(-ENOSPC);
	buf = kzalloc(sizeof(*buf), TESSERA_GUEST_GFP);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->size = PAGE_ALIGN(bytes);
	/*
	 * Charged to the memory cgroup of the process that drives the
	 * instance: without an IOMMU, dma-direct allocates with alloc_pages()
	 * and this gfp (the Debian and debug kernels have no CMA area, whose
	 * pages would not be charged); with one, iommu-dma does the same.
	 */
	buf->va = dma_alloc_coherent(tessera_submit_dev(vg), buf->size, &buf->dma,
				     TESSERA_GUEST_GFP);
	if (!buf->va)
		goto err_free;
	buf->dva = gen_pool_alloc(vg->sub.dva_pool, buf->size);
	if (!buf->dva) {
		err = -ENOSPC;
		goto err_dma;
	}

	start = tessera_stat_start();
	for (off = 0; off < buf->size; off += TESSERA_PAGE_SIZE) {
		if (tessera_mmu_map(vg->mmu, buf->dva + off, buf->dma + off, false))
			goto err_unmap;
	}
	tessera_stat_add_since(&vg->stats.map_ns, start);
	INIT_LIST_HEAD(&buf->node);
	vg->sub.shadow_bytes += buf->size;
	atomic_long_add(buf->size >> PAGE_SHIFT, &tessera_submit_shadow_pages);
	return buf;

err_unmap:
	while (off) {
		off -= TESSERA_PAGE_SIZE;
		tessera_mmu_unmap(vg->mmu, buf->dva + off);
	}
	/* Never handed to the card: its emptied tables wait for the next drain. */
	gen_pool_free(vg->sub.dva_pool, buf->dva, buf->size);
err_dma:
	dma_free_coherent(tessera_submit_dev(vg), buf->size, buf->va, buf->dma);
err_free:
	kfree(buf);
	return ERR_PTR(err);
}

static void tessera_submit_free_batches(struct tessera_vgpu *vg)
{
	struct tessera_shadow_buf *buf, *tmp;

	list_for_each_entry_safe(buf, tmp, &vg->sub.batches, node) {
		list_del(&buf->node);
		tessera_shadow_free(vg, buf);
	}
}

/* Ring entries the card has finished, counted since the ring was started. */
static u64 tessera_submit_completed(struct tessera_vgpu *vg, u32 head)
{
	struct tessera_submit *sub = &vg->sub;

	return sub->seq - ((sub->tail - head) & (sub->entries - 1));
}

/* Free batch copies of ring entries the card has finished with. */
static void tessera_submit_reclaim(struct tessera_vgpu *vg, u32 head)
{
	struct tessera_submit *sub = &vg->sub;
	struct tessera_shadow_buf *buf, *tmp;
	u64 completed = tessera_submit_completed(vg, head);

	list_for_each_entry_safe(buf, tmp, &sub->batches, node) {
		if (buf->retire_seq > completed)
			break;
		list_del(&buf->node);
		tessera_shadow_free(vg, buf);
	}
}

/* Drop the batch copies made for a ring entry that was then rejected. */
static void tessera_submit_drop_batches_from(struct tessera_vgpu *vg, u64 retire_seq)
{
	struct tessera_shadow_buf *buf, *tmp;

	list_for_each_entry_safe_reverse(buf, tmp, &vg->sub.batches, node) {
		if (buf->retire_seq < retire_seq)
			break;
		list_del(&buf->node);
		tessera_shadow_free(vg, buf);
	}
}

/*
 * The commands of one doorbell or one BATCH, in host memory: command k is
 * @cmds[(@first + k) & @mask], @pos the one being checked. A page it must
 * pin starts a run that may take in the pages the commands after it go on
 * to touch (tessera_submit_ahead()); @ahead is cleared once such a run
 * failed, for the rest of the list.
 */
struct tessera_cmd_list {
	const struct tessera_cmd *cmds;
	u32 first;
	u32 mask;
	u32 count;
	u32 pos;
	unsigned int depth;
	bool ahead;
};

/* ---- Pinning ---- */

/*
 * A guest page has one struct tessera_pin while it has uses: its DMA
 * mapping for the card (the DMA API allows one mapping of a page per device
 * at a time) and what uses it. Its vfio pins belong to the uses: the use at
 * its own address to a run (struct tessera_pin_run: the pages one
 * vfio_pin_pages() call pinned, unpinned whole, as iommufd requires), each
 * binding page to a pin of its own.
 */

/* What a failed vfio_pin_pages() means for the guest. */
static int tessera_pin_error(struct tessera_vgpu *vg, dma_addr_t iova, int ret)
{
	/* The guest never mapped the IOVA: -EINVAL from type1, -ENOENT from iommufd. */
	if (ret == -EINVAL || ret == -ENOENT)
		return -EFAULT;
	/*
	 * -ENOMEM: the pin would take the process past its RLIMIT_MEMLOCK
	 * (type1: the mm's locked_vm; iommufd: the user's, as the device cdev
	 * accounts by default). Both check the limit of the process that
	 * mapped the IOVA, when the page is pinned, not when it is mapped.
	 */
	if (ret == -ENOMEM)
		return -EDQUOT;
	dev_warn_ratelimited(&vg->mdev->dev,
			     "cannot pin IOVA 0x%llx: %d (a type1v2 container is required)\n",
			     (u64)iova, ret);
	return -EFAULT;
}

/* One vfio pin of guest page @pfn, read-write if the guest's mapping allows it. */
static int tessera_pin_one(struct tessera_vgpu *vg, unsigned long pfn, struct page **page,
			   bool *writable)
{
	dma_addr_t iova = (dma_addr_t)pfn << PAGE_SHIFT;
	int ret;

	*writable = true;
	atomic64_inc(&vg->stats.pin_calls);
	ret = vfio_pin_pages(&vg->vdev, iova, 1, IOMMU_READ | IOMMU_WRITE, page);
	if (ret == -EPERM) {
		*writable = false;
		atomic64_inc(&vg->stats.pin_calls);
		ret = vfio_pin_pages(&vg->vdev, iova, 1, IOMMU_READ, page);
	}
	return ret == 1 ? 0 : tessera_pin_error(vg, iova, ret);
}

/*
 * The pin entry of guest page @pfn, which the caller has just pinned (once
 * more) as @page: made and DMA-mapped if there is none.
 */
static struct tessera_pin *tessera_pin_entry(struct tessera_vgpu *vg, unsigned long pfn,
					     struct page *page, bool writable)
{
	struct device *dev = tessera_submit_dev(vg);
	struct tessera_pin *pin = xa_load(&vg->sub.pins, pfn);

	if (pin)
		return pin;
	pin = kzalloc(sizeof(*pin), TESSERA_GUEST_GFP);
	if (!pin)
		return ERR_PTR(-ENOMEM);
	pin->page = page;
	pin->writable = writable;
	pin->dma = dma_map_page(dev, page, 0, PAGE_SIZE,
				writable ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE);
	if (dma_mapping_error(dev, pin->dma))
		goto err_free;
	if (xa_err(xa_store(&vg->sub.pins, pfn, pin, TESSERA_GUEST_GFP)))
		goto err_dma;
	return pin;

err_dma:
	dma_unmap_page(dev, pin->dma, PAGE_SIZE, writable ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE);
err_free:
	kfree(pin);
	return ERR_PTR(-ENOMEM);
}

/* The entry goes with its last use; the uses' vfio pins are their owners'. */
static void tessera_pin_entry_put(struct tessera_vgpu *vg, unsigned long pfn,
				  struct tessera_pin *pin)
{
	if (pin->direct || pin->bind_refs)
		return;
	dma_unmap_page(tessera_submit_dev(vg), pin->dma, PAGE_SIZE,
		       pin->writable ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE);
	xa_erase(&vg->sub.pins, pfn);
	kfree(pin);
}

/**
 * tessera_submit_pin_get() - pin a guest page for a binding
 * @vg: the instance, locked
 * @pfn: guest page frame (IOVA >> PAGE_SHIFT)
 *
 * Takes a vfio pin of the page for the binding and one bind reference of
 * its pin entry, which is made and DMA-mapped if there is none. The entry
 * says whether the card may write the page (the guest's DMA mapping
 * allows it); each device-MMU entry says whether its use may.
 *
 * Return: the pin entry; ERR_PTR(-EFAULT) if the guest never mapped the
 * IOVA, -EDQUOT if pinning would pass RLIMIT_MEMLOCK, -ENOMEM if the host
 * would not give the memory.
 */
struct tessera_pin *tessera_submit_pin_get(struct tessera_vgpu *vg, unsigned long pfn)
{
	struct tessera_pin *pin;
	struct page *page;
	bool writable;
	int ret;

	ret = tessera_pin_one(vg, pfn, &page, &writable);
	if (ret)
		return ERR_PTR(ret);
	pin = tessera_pin_entry(vg, pfn, page, writable);
	if (IS_ERR(pin)) {
		vfio_unpin_pages(&vg->vdev, (dma_addr_t)pfn << PAGE_SHIFT, 1);
		return pin;
	}
	pin->bind_refs++;
	return pin;
}

/**
 * tessera_submit_pin_put() - give back what tessera_submit_pin_get() took
 * @vg: the instance, locked
 * @pfn: guest page frame
 * @pin: its pin entry
 *
 * The caller has cleared the device-MMU entry of the binding page and
 * drained the card since, or the card never saw it.
 */
void tessera_submit_pin_put(struct tessera_vgpu *vg, unsigned long pfn, struct tessera_pin *pin)
{
	pin->bind_refs--;
	tessera_pin_entry_put(vg, pfn, pin);
	vfio_unpin_pages(&vg->vdev, (dma_addr_t)pfn << PAGE_SHIFT, 1);
}

/*
 * Map the pages of a run the caller has just pinned at their own
 * addresses. On failure nothing of the run is left mapped or counted (the
 * card never had work that uses its pages) and the caller unpins it.
 */
static int tessera_submit_map_run(struct tessera_vgpu *vg, unsigned long first,
				  unsigned long n, struct page **pages, bool writable)
{
	struct tessera_submit *sub = &vg->sub;
	struct tessera_pin *pin;
	unsigned long i;
	ktime_t start = tessera_stat_start();

	for (i = 0; i < n; i++) {
		pin = tessera_pin_entry(vg, first + i, pages[i], writable);
		if (IS_ERR(pin))
			goto undo;
		if (tessera_mmu_map(vg->mmu, (u64)(first + i) << PAGE_SHIFT, pin->dma,
				    pin->writable)) {
			tessera_pin_entry_put(vg, first + i, pin);
			goto undo;
		}
		pin->direct = true;
	}
	sub->pinned_pages += n;
	atomic_long_add(n, &tessera_submit_pinned_pages);
	tessera_stat_add_since(&vg->stats.map_ns, start);
	return 0;

undo:
	while (i--) {
		pin = xa_load(&sub->pins, first + i);
		tessera_mmu_unmap(vg->mmu, (u64)(first + i) << PAGE_SHIFT);
		pin->direct = false;
		tessera_pin_entry_put(vg, first + i, pin);
	}
	return -ENOMEM;
}

/*
 * Pin [@first, @first + @n) with one vfio_pin_pages() call, read-write,
 * and map it. 0, or a negative errno with nothing of it left: the caller
 * then goes page by page, which finds which page is wrong and how.
 */
static int tessera_submit_pin_run(struct tessera_vgpu *vg, unsigned long first, unsigned long n,
				  struct tessera_pin_run *run)
{
	dma_addr_t iova = (dma_addr_t)first << PAGE_SHIFT;
	struct page **pages;
	ktime_t start;
	int ret;

	pages = kvmalloc_array(n, sizeof(*pages), TESSERA_GUEST_GFP);
	if (!pages)
		return -ENOMEM;
	start = tessera_stat_start();
	atomic64_inc(&vg->stats.pin_calls);
	ret = vfio_pin_pages(&vg->vdev, iova, n, IOMMU_READ | IOMMU_WRITE, pages);
	tessera_stat_add_since(&vg->stats.pin_ns, start);
	if (ret != n) {
		/* type1 and iommufd pin all or nothing */
		kvfree(pages);
		return ret < 0 ? ret : -EFAULT;
	}
	ret = tessera_submit_map_run(vg, first, n, pages, true);
	kvfree(pages);
	if (ret) {
		vfio_unpin_pages(&vg->vdev, iova, n);
		return ret;
	}
	tessera_pin_runs_insert(&vg->sub.runs, run, first, first + n - 1);
	return 0;
}

/* Pin guest page @pfn alone (a run of one) and map it at its own address. */
static u32 tessera_submit_pin_page(struct tessera_vgpu *vg, unsigned long pfn,
				   struct tessera_pin_run *run)
{
	struct page *page;
	ktime_t start;
	bool writable;
	int ret;

	start = tessera_stat_start();
	ret = tessera_pin_one(vg, pfn, &page, &writable);
	tessera_stat_add_since(&vg->stats.pin_ns, start);
	if (ret == -EFAULT)
		return TESSERA_VF_REJECT_RANGE;
	if (ret == -EDQUOT)
		return TESSERA_VF_REJECT_MEMLOCK;
	if (ret)
		return TESSERA_VF_REJECT_NOMEM;
	if (tessera_submit_map_run(vg, pfn, 1, &page, writable)) {
		vfio_unpin_pages(&vg->vdev, (dma_addr_t)pfn << PAGE_SHIFT, 1);
		return TESSERA_VF_REJECT_NOMEM;
	}
	tessera_pin_runs_insert(&vg->sub.runs, run, pfn, pfn);
	return 0;
}

/*
 * How far past guest page frame @last the commands after the current one
 * in @list go on touching consecutive guest pages from @pfn: the last page
 * frame of that stretch, at most @limit. The audit here only reads them;
 * each is checked in its own turn.
 */
static unsigned long tessera_submit_ahead(struct tessera_vgpu *vg,
					  const struct tessera_cmd_list *list, unsigned long pfn,
					  unsigned long last, unsigned long limit)
{
	struct tessera_audit_result res;
	unsigned long r_first, r_last;
	unsigned int i;
	bool grew;
	u32 k;

	for (k = list->pos + 1; k < list->count && last < limit; k++) {
		if (tessera_audit_cmd(&vg->sub.audit_env,
				      &list->cmds[(list->first + k) & list->mask], list->depth,
				      &res))
			break;
		grew = false;
		for (i = 0; i < res.nr_ranges; i++) {
			const struct tessera_audit_range *r = &res.ranges[i];

			if (tessera_audit_space(r->addr) != TESSERA_AUDIT_GUEST)
				continue;
			r_first = r->addr >> PAGE_SHIFT;
			r_last = (r->addr + r->len - 1) >> PAGE_SHIFT;
			if (r_first >= pfn && r_first <= last + 1 && r_last > last) {
				last = min(r_last, limit);
				grew = true;
			}
		}
		if (!grew)
			break;
	}
	return last;
}

/*
 * Guest page @pfn, not mapped at its own address, and as many pages after
 * it up to @last as one pin call takes: pinned as one run where that
 * works, else @pfn alone (its error is the command's). A run that failed
 * clears *@try_run: the rest of the range goes page by page, so that a
 * range whose end cannot be pinned costs one failed call, not one per page.
 */
static u32 tessera_submit_pin_from(struct tessera_vgpu *vg, unsigned long pfn, unsigned long last,
				   struct tessera_cmd_list *list, bool *try_run)
{
	struct tessera_submit *sub = &vg->sub;
	unsigned long room = sub->pin_limit - sub->pinned_pages, gap_first, gap_last, limit;
	struct tessera_pin_run *run;
	u32 code;

	if (sub->pinned_pages >= sub->pin_limit)
		return TESSERA_VF_REJECT_PIN_LIMIT;
	run = kmalloc(sizeof(*run), TESSERA_GUEST_GFP);
	if (!run)
		return TESSERA_VF_REJECT_NOMEM;
	limit = pfn + min_t(unsigned long, room, TESSERA_PIN_RUN_MAX_PAGES) - 1;
	/* The run may go on into what the next commands touch. */
	if (*try_run && list->ahead && last < limit)
		last = tessera_submit_ahead(vg, list, pfn, last, limit);
	/* Runs cover exactly the pages mapped at their own addresses: @pfn starts a gap. */
	if (WARN_ON_ONCE(!tessera_pin_runs_gap(&sub->runs, pfn, last, limit - pfn + 1,
					       &gap_first, &gap_last) ||
			 gap_first != pfn)) {
		kfree(run);
		return TESSERA_VF_REJECT_NOMEM;
	}
	/* Pages the host is taking back stay out of it. */
	if (sub->unmap_pending && sub->unmap_first > pfn && sub->unmap_first <= gap_last)
		gap_last = sub->unmap_first - 1;
	if (*try_run && gap_last > pfn) {
		if (!tessera_submit_pin_run(vg, pfn, gap_last - pfn + 1, run))
			return 0;
		*try_run = false;
		list->ahead = false;
	}
	code = tessera_submit_pin_page(vg, pfn, run);
	if (code)
		kfree(run);
	return code;
}

/* Pin and map every page of a guest range the card will touch. */
static u32 tessera_submit_pin_range(struct tessera_vgpu *vg, u64 addr, u64 len, bool write,
				    struct tessera_cmd_list *list, u64 *bad)
{
	unsigned long pfn, last = (addr + len - 1) >> PAGE_SHIFT;
	struct tessera_pin *pin;
	bool try_run = true;
	u32 code;

	for (pfn = addr >> PAGE_SHIFT; pfn <= last; pfn++) {
		/* The host is taking this page back: dma_unmap waits for the card. */
		if (tessera_submit_unmapping(&vg->sub, pfn)) {
			*bad = max_t(u64, addr, (u64)pfn << PAGE_SHIFT);
			return TESSERA_VF_REJECT_UNMAPPED;
		}
		pin = xa_load(&vg->sub.pins, pfn);
		if (!pin || !pin->direct) {
			code = tessera_submit_pin_from(vg, pfn, last, list, &try_run);
			if (code) {
				*bad = max_t(u64, addr, (u64)pfn << PAGE_SHIFT);
				return code;
			}
			pin = xa_load(&vg->sub.pins, pfn);
		}
		if (write && !pin->writable) {
			*bad = max_t(u64, addr, (u64)pfn << PAGE_SHIFT);
			return TESSERA_VF_REJECT_RANGE;
		}
	}
	return 0;
}

/*
 * Take pages in [@first, @last] off their own addresses and unpin them,
 * with the whole of every run that has pages in the range.
 */
static void tessera_submit_unpin_pfns(struct tessera_vgpu *vg, unsigned long first,
				      unsigned long last)
{
	struct tessera_submit *sub = &vg->sub;
	struct tessera_pin_run *run;
	struct tessera_pin *pin;
	unsigned long pfn;

	tessera_pin_runs_widen(&sub->runs, &first, &last);
	xa_for_each_range(&sub->pins, pfn, pin, first, last)
		if (pin->direct)
			tessera_mmu_unmap(vg->mmu, (u64)pfn << PAGE_SHIFT);
	/* No access of the card may still use the pages. */
	if (!tessera_submit_drain(vg))
		return;
	xa_for_each_range(&sub->pins, pfn, pin, first, last) {
		if (pin->direct) {
			pin->direct = false;
			sub->pinned_pages--;
			atomic_long_dec(&tessera_submit_pinned_pages);
		}
		tessera_pin_entry_put(vg, pfn, pin);
	}
	while ((run = tessera_pin_runs_first(&sub->runs, first, last))) {
		tessera_pin_runs_remove(&sub->runs, run);
		vfio_unpin_pages(&vg->vdev, (dma_addr_t)run->node.start << PAGE_SHIFT,
				 tessera_pin_run_pages(run));
		kfree(run);
	}
}

/* The caller has made sure the card no longer uses any pinned page. */
void tessera_submit_unpin_all(struct tessera_vgpu *vg)
{
	lockdep_assert_held(&vg->lock);
	tessera_bind_drop_all(vg);
	tessera_submit_unpin_pfns(vg, 0, ULONG_MAX);
}

/* ---- Audit ---- */

static int tessera_submit_check(struct tessera_vgpu *vg, struct tessera_cmd *cmd,
				struct tessera_cmd_list *list, u64 retire_seq,
				struct tessera_reject *rej);

/* Copy, audit and map a BATCH's commands; return the copy's device address. */
static int tessera_submit_batch(struct tessera_vgpu *vg, u64 gaddr, u32 count,
				unsigned int depth, u64 retire_seq, u64 *dva,
				struct tessera_reject *rej)
{
	struct tessera_cmd_list list;
	struct tessera_shadow_buf *buf;
	struct tessera_cmd *cmds;
	ktime_t start;
	u32 i;
	int ret;

	/* One trap audits a bounded number of commands, nested ones included. */
	if (count > vg->sub.trap_budget) {
		rej->code = TESSERA_VF_REJECT_TRAP_LIMIT;
		rej->addr = gaddr;
		return -E2BIG;
	}
	vg->sub.trap_budget -= count;
	buf = tessera_shadow_alloc(vg, (size_t)count * TESSERA_CMD_SIZE);
	if (IS_ERR(buf)) {
		rej->code = PTR_ERR(buf) == -ENOSPC ? TESSERA_VF_REJECT_SHADOW_LIMIT :
						      TESSERA_VF_REJECT_NOMEM;
		rej->addr = gaddr;
		return PTR_ERR(buf);
	}

	start = tessera_stat_start();
	ret = vfio_dma_rw(&vg->vdev, gaddr, buf->va, (size_t)count * TESSERA_CMD_SIZE, false);
	tessera_stat_add_since(&vg->stats.copy_ns, start);
	if (ret) {
		rej->code = TESSERA_VF_REJECT_RANGE;
		rej->addr = gaddr;
		tessera_shadow_free(vg, buf);
		return ret;
	}

	cmds = buf->va;
	list = (struct tessera_cmd_list){
		.cmds = cmds, .mask = U32_MAX, .count = count, .depth = depth, .ahead = true,
	};
	for (i = 0; i < count; i++) {
		list.pos = i;
		ret = tessera_submit_check(vg, &cmds[i], &list, retire_seq, rej);
		if (ret) {
			tessera_shadow_free(vg, buf);
			return ret;
		}
	}
	buf->retire_seq = retire_seq;
	list_add_tail(&buf->node, &vg->sub.batches);
	*dva = buf->dva;
	return 0;
}

/*
 * Audit one command in host memory, pin what it touches and, for a BATCH,
 * shadow its commands and rewrite its address. @cmd is @list's command at
 * @list->pos, @list->depth its batch nesting; @retire_seq the ring sequence
 * number after which the card is done with it.
 */
static int tessera_submit_check(struct tessera_vgpu *vg, struct tessera_cmd *cmd,
				struct tessera_cmd_list *list, u64 retire_seq,
				struct tessera_reject *rej)
{
	unsigned int depth = list->depth;
	struct tessera_audit_result res;
	ktime_t start;
	unsigned int i;
	u32 code;

	start = tessera_stat_start();
	code = tessera_audit_cmd(&vg->sub.audit_env, cmd, depth, &res);
	tessera_stat_add_since(&vg->stats.audit_ns, start);
	if (code) {
		rej->code = code;
		rej->addr = res.fault_addr;
		return -EINVAL;
	}

	for (i = 0; i < res.nr_ranges; i++) {
		const struct tessera_audit_range *r = &res.ranges[i];
		enum tessera_audit_space space = tessera_audit_space(r->addr);

		if (space == TESSERA_AUDIT_GUEST)
			code = tessera_submit_pin_range(vg, r->addr, r->len, r->write, list,
							&rej->addr);
		else if (space == TESSERA_AUDIT_BOUND)
			code = tessera_bind_check(vg, r->addr, r->len, r->write, &rej->addr);
		else
			continue;
		if (code) {
			rej->code = code;
			return -EINVAL;
		}
	}

	if (cmd->opcode == TESSERA_OP_FENCE && !vg->sub.fence_seq)
		vg->sub.fence_seq = retire_seq;

	if (res.batch_count) {
		u64 dva;
		int ret;

		ret = tessera_submit_batch(vg, res.batch_addr, res.batch_count, depth + 1,
					   retire_seq, &dva, rej);
		if (ret)
			return ret;
		cmd->arg[0] = dva;
	}
	atomic64_inc(&vg->stats.commands);
	return 0;
}

/* ---- Ring ---- */

/**
 * tessera_submit_fence_seen() - whether a FENCE of this instance has run
 * @vg: the instance, locked
 *
 * Until then the card's fence register still holds whatever the context's
 * previous owner left there.
 */
bool tessera_submit_fence_seen(struct tessera_vgpu *vg)
{
	struct tessera_submit *sub = &vg->sub;
	unsigned long flags;
	bool seen;

	lockdep_assert_held(&vg->lock);
	spin_lock_irqsave(&vg->irq_lock, flags);
	seen = vg->fence_seen;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	if (seen || !sub->ring || !sub->fence_seq)
		return seen;
	if (tessera_submit_completed(vg, tessera_submit_head(vg)) < sub->fence_seq)
		return false;
	spin_lock_irqsave(&vg->irq_lock, flags);
	vg->fence_seen = true;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	return true;
}

u32 tessera_submit_head(struct tessera_vgpu *vg)
{
	if (!vg->sub.ring)
		return 0;
	return tessera_ctx_head(vg->ctx) & (vg->sub.entries - 1);
}

/* Work is queued on the card that it has not finished. */
bool tessera_submit_busy(struct tessera_vgpu *vg)
{
	if (!vg->sub.ring)
		return false;
	return tessera_submit_head(vg) != vg->sub.tail;
}

static void tessera_submit_reject(struct tessera_vgpu *vg, u32 index,
				  const struct tessera_reject *rej)
{
	atomic64_inc(&vg->stats.rejects);
	dev_warn_ratelimited(&vg->mdev->dev,
			     "command at ring index %u rejected: reason 0x%x, address 0x%llx\n",
			     index, rej->code, rej->addr);
	tessera_vgpu_fault(vg, rej->code, index, rej->addr);
}

/**
 * tessera_submit_doorbell() - the guest wrote VF_RING_TAIL
 * @vg: the instance, locked
 * @new_tail: the value written
 *
 * Shadows, audits and submits the entries from the last accepted tail up to
 * @new_tail. The first rejected entry faults the instance; the entries
 * before it still run.
 */
void tessera_submit_doorbell(struct tessera_vgpu *vg, u32 new_tail)
{
	struct tessera_submit *sub = &vg->sub;
	struct tessera_reject rej = {};
	struct tessera_cmd_list list;
	struct tessera_cmd *ring;
	u32 mask, head, n, first, i, accepted = 0;
	bool rejected = false;
	unsigned long flags;
	ktime_t start;
	bool faulted;
	int ret;

	lockdep_assert_held(&vg->lock);
	atomic64_inc(&vg->stats.doorbells);

	spin_lock_irqsave(&vg->irq_lock, flags);
	faulted = vg->faulted;
	spin_unlock_irqrestore(&vg->irq_lock, flags);
	if (faulted)
		return;

	rej.code = TESSERA_VF_REJECT_RING;
	rej.addr = new_tail;
	if (!sub->ring || new_tail >= sub->entries) {
		tessera_submit_reject(vg, new_tail, &rej);
		return;
	}

	mask = sub->entries - 1;
	head = tessera_submit_head(vg);
	tessera_submit_reclaim(vg, head);

	n = (new_tail - sub->tail) & mask;
	if (!n)
		return;
	sub->trap_budget = max_trap_cmds;
	/* The guest may not overwrite entries the card has not consumed. */
	if (n > mask - ((sub->tail - head) & mask)) {
		tessera_submit_reject(vg, new_tail, &rej);
		return;
	}

	ring = sub->ring->va;
	first = min(n, sub->entries - sub->tail);
	start = tessera_stat_start();
	/* The base checked when the ring was configured, not the register now. */
	ret = vfio_dma_rw(&vg->vdev, sub->ring_base + (u64)sub->tail * TESSERA_CMD_SIZE,
			  &ring[sub->tail], (size_t)first * TESSERA_CMD_SIZE, false);
	if (!ret && n > first)
		ret = vfio_dma_rw(&vg->vdev, sub->ring_base, &ring[0],
				  (size_t)(n - first) * TESSERA_CMD_SIZE, false);
	tessera_stat_add_since(&vg->stats.copy_ns, start);
	if (ret) {
		rej.addr = sub->ring_base;
		tessera_submit_reject(vg, sub->tail, &rej);
		return;
	}

	list = (struct tessera_cmd_list){
		.cmds = ring, .first = sub->tail, .mask = mask, .count = n, .ahead = true,
	};
	for (i = 0; i < n; i++) {
		u32 idx = (sub->tail + i) & mask;

		list.pos = i;
		if (tessera_submit_check(vg, &ring[idx], &list, sub->seq + i + 1, &rej)) {
			tessera_submit_drop_batches_from(vg, sub->seq + i + 1);
			rejected = true;
			break;
		}
		accepted++;
	}

	if (accepted) {
		/*
		 * New pins only filled empty entries, and the card caches no
		 * misses (card.rst): no invalidate is needed before the tail.
		 * The shadow entries must be in memory before the card sees it.
		 */
		dma_wmb();
		sub->tail = (sub->tail + accepted) & mask;
		sub->seq += accepted;
		tessera_ctx_set_tail(vg->ctx, sub->tail);
		tessera_ctx_kick(vg->ctx);
	}
	if (rejected)
		tessera_submit_reject(vg, (sub->tail) & mask, &rej);
}

/*
 * Take the context off its engine and stop it at the card: when this
 * returns no engine runs it (CTX_RESET completes only then), so the
 * shadow buffers it read may go, after the drain barrier.
 */
static void tessera_submit_stop(struct tessera_vgpu *vg)
{
	if (tessera_ctx_detach(vg->ctx))
		dev_warn_ratelimited(&vg->mdev->dev,
				     "context did not leave its engine: stopped at the card\n");
	tessera_ctx_reset(vg->ctx);
}

/* Take the context off its engine and off the card's ring. */
void tessera_submit_deconfigure(struct tessera_vgpu *vg)
{
	struct tessera_submit *sub = &vg->sub;

	lockdep_assert_held(&vg->lock);
	if (!sub->ring)
		return;
	tessera_submit_fence_seen(vg);
	sub->fence_seq = 0;
	tessera_submit_stop(vg);
	tessera_ctx_disable(vg->ctx);
	tessera_submit_free_batches(vg);
	tessera_shadow_free(vg, sub->ring);
	sub->ring = NULL;
	sub->ring_base = 0;
	sub->entries = 0;
	sub->tail = 0;
	sub->seq = 0;
}

/**
 * tessera_submit_configure() - the guest configured its ring
 * @vg: the instance, locked
 * @ring_base: guest address of the ring
 * @entries: ring entries, a power of two within bounds
 *
 * Return: 0, -ENOMEM, or -ENOSPC past the instance's shadow-memory cap.
 */
int tessera_submit_configure(struct tessera_vgpu *vg, u64 ring_base, u32 entries)
{
	struct tessera_submit *sub = &vg->sub;
	struct tessera_shadow_buf *ring;

	lockdep_assert_held(&vg->lock);
	tessera_submit_deconfigure(vg);

	ring = tessera_shadow_alloc(vg, (size_t)entries * TESSERA_CMD_SIZE);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	sub->ring = ring;
	sub->ring_base = ring_base;
	sub->entries = entries;
	sub->tail = 0;
	sub->seq = 0;
	tessera_ctx_program(vg->ctx, sub->ring->dva, entries, tessera_mmu_root(vg->mmu),
			    vg->vram_offset, vg->type->vram_size);
	tessera_ctx_attach(vg->ctx);
	return 0;
}

/**
 * tessera_submit_reset() - VF_RESET: drop queued work, clear a card fault
 * @vg: the instance, locked
 *
 * The ring stays configured, with head = tail = 0. Pins stay.
 */
void tessera_submit_reset(struct tessera_vgpu *vg)
{
	struct tessera_submit *sub = &vg->sub;

	lockdep_assert_held(&vg->lock);
	if (!sub->ring)
		return;
	tessera_submit_fence_seen(vg);
	sub->fence_seq = 0;
	/* Stop the card reading the batch copies before they are freed. */
	tessera_submit_stop(vg);
	tessera_submit_free_batches(vg);
	sub->tail = 0;
	sub->seq = 0;
	tessera_ctx_program(vg->ctx, sub->ring->dva, sub->entries, tessera_mmu_root(vg->mmu),
			    vg->vram_offset, vg->type->vram_size);
	tessera_ctx_attach(vg->ctx);
}

/*
 * The card runs nothing more of the instance: its ring is empty, or the card
 * itself stopped the context with a fault. A mediator reject does not count:
 * the entries accepted before it still run. Read from the card, without the
 * instance lock.
 */
static bool tessera_submit_card_settled(struct tessera_vgpu *vg)
{
	u32 status = tessera_ctx_status(vg->ctx);

	if (status == ~0u || (status & TESSERA_CTX_STATUS_FAULTED))
		return true;
	return tessera_ctx_head(vg->ctx) == tessera_ctx_tail(vg->ctx);
}

/**
 * tessera_submit_dma_unmap() - the guest takes back [iova, iova + length)
 * @vg: the instance, not locked
 * @iova: first byte
 * @length: bytes
 *
 * If any page of the range is pinned, new commands may no longer use the
 * range, and the work queued before is waited for without the instance
 * lock (the guest's registers still answer); if it does not finish in time
 * the instance is stopped at the card and faults with
 * TESSERA_VF_REJECT_UNMAPPED. Then, in this order: the pages' device-MMU
 * entries are cleared, the drain barrier waits until no access of the card
 * uses them, the pages are unpinned and emptied tables freed. When this
 * returns, the card never touches the range again (type1 and iommufd both
 * require the range to be unpinned by then).
 */
void tessera_submit_dma_unmap(struct tessera_vgpu *vg, u64 iova, u64 length)
{
	unsigned long first, last, index, wide_first, wide_last;
	struct tessera_submit *sub = &vg->sub;
	bool settled;

	if (!length)
		return;
	first = iova >> PAGE_SHIFT;
	last = (iova + length - 1) >> PAGE_SHIFT;

	mutex_lock(&sub->unmap_lock);
	mutex_lock(&vg->lock);
	index = first;
	if (!xa_find(&sub->pins, &index, last, XA_PRESENT) &&
	    !tessera_bind_holds(vg, first, last))
		goto out;
	/* A run is unpinned whole: new commands may use none of a run the range cuts. */
	wide_first = first;
	wide_last = last;
	tessera_pin_runs_widen(&sub->runs, &wide_first, &wide_last);
	sub->unmap_first = wide_first;
	sub->unmap_last = wide_last;
	sub->unmap_pending = true;
	tessera_bind_mark_revoking(vg, first, last);
	mutex_unlock(&vg->lock);

	settled = wait_event_timeout(vg->idle_wq, tessera_submit_card_settled(vg),
				     msecs_to_jiffies(unmap_wait_ms));

	mutex_lock(&vg->lock);
	if (!settled && sub->ring && !tessera_submit_card_settled(vg)) {
		u32 head = tessera_submit_head(vg);

		dev_warn_ratelimited(&vg->mdev->dev,
				     "guest unmapped IOVA 0x%llx while work using it was queued: resetting the instance\n",
				     iova);
		tessera_submit_reset(vg);
		tessera_vgpu_fault(vg, TESSERA_VF_REJECT_UNMAPPED, head, iova);
	}
	tessera_bind_revoke(vg);
	tessera_submit_unpin_pfns(vg, wide_first, wide_last);
	sub->unmap_pending = false;
out:
	mutex_unlock(&vg->lock);
	mutex_unlock(&sub->unmap_lock);
}

int tessera_submit_init(struct tessera_vgpu *vg)
{
	struct tessera_submit *sub = &vg->sub;
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != TESSERA_PAGE_SIZE);
	BUILD_BUG_ON(sizeof(struct tessera_cmd) != TESSERA_CMD_SIZE);

	INIT_LIST_HEAD(&sub->batches);
	xa_init(&sub->pins);
	tessera_pin_runs_init(&sub->runs);
	tessera_bind_init(vg);
	mutex_init(&sub->unmap_lock);
	sub->pin_limit = (u64)max_pinned_mib << (20 - PAGE_SHIFT);
	tessera_audit_env_init(&sub->audit_env, vg->type->vram_size);
	sub->dva_pool = gen_pool_create(PAGE_SHIFT, -1);
	if (!sub->dva_pool)
		return -ENOMEM;
	ret = gen_pool_add(sub->dva_pool, TESSERA_HOST_DVA_BASE, TESSERA_HOST_DVA_SIZE, -1);
	if (ret) {
		gen_pool_destroy(sub->dva_pool);
		sub->dva_pool = NULL;
	}
	return ret;
}

/* The instance is closed: no ring, no pins. */
void tessera_submit_fini(struct tessera_vgpu *vg)
{
	struct tessera_submit *sub = &vg->sub;

	WARN_ON(sub->ring || !list_empty(&sub->batches) || sub->pinned_pages || sub->runs.count);
	tessera_bind_fini(vg);
	xa_destroy(&sub->pins);
	mutex_destroy(&sub->unmap_lock);
	/*
	 * gen_pool_destroy() BUGs on outstanding ranges: those are memory the
	 * card did not drain from, deliberately leaked with their pool.
	 */
	if (WARN_ON(gen_pool_avail(sub->dva_pool) != gen_pool_size(sub->dva_pool)))
		return;
	gen_pool_destroy(sub->dva_pool);
	sub->dva_pool = NULL;
}
