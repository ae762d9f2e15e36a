/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera vGPU bind space: guest pages bound at device addresses of the
 * guest's choosing (TESSERA_VF_BIND_* in tessera_hw.h).
 */
#ifndef TESSERA_BIND_H
#define TESSERA_BIND_H

#include <linux/list.h>
#include <linux/rbtree_types.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct tessera_vgpu;

/**
 * struct tessera_bind_space - one instance's bindings
 *
 * Protected by the instance's lock (struct tessera_vgpu::lock).
 *
 * @tree: live bindings, an interval tree of device page numbers
 * @guest_pfns: guest page frame -> how many live bindings hold it (a value
 *	entry), so that a dma_unmap finds at once whether it cuts a binding
 * @stale: bindings taken out of @tree whose pages the card did not drain
 *	from: kept pinned until a later drain succeeds
 * @count: bindings in @tree
 * @pages: pages in them
 * @addr: VF_BIND_ADDR as the guest wrote it
 * @status: VF_BIND_STATUS: 0 or the TESSERA_VF_BIND_ERR_* of the last op
 * @err_index: VF_BIND_ERR_INDEX
 */
struct tessera_bind_space {
	struct rb_root_cached tree;
	struct xarray guest_pfns;
	struct list_head stale;
	u32 count;
	u64 pages;
	u64 addr;
	u32 status;
	u32 err_index;
};

void tessera_bind_init(struct tessera_vgpu *vg);
void tessera_bind_fini(struct tessera_vgpu *vg);
u32 tessera_bind_max(void);
void tessera_bind_op(struct tessera_vgpu *vg, u32 op);
u32 tessera_bind_check(struct tessera_vgpu *vg, u64 dva, u64 len, bool write, u64 *bad);
bool tessera_bind_holds(struct tessera_vgpu *vg, unsigned long first, unsigned long last);
void tessera_bind_mark_revoking(struct tessera_vgpu *vg, unsigned long first,
				unsigned long last);
void tessera_bind_revoke(struct tessera_vgpu *vg);
void tessera_bind_drop_all(struct tessera_vgpu *vg);

#endif /* TESSERA_BIND_H */
