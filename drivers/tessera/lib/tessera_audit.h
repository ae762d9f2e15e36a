/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera command audit: the pure rules a guest's command must pass.
 *
 * No VFIO, PCI or allocation here: the same file builds for the kernel
 * module, for KUnit and for a userspace fuzzer.
 */
#ifndef TESSERA_AUDIT_H
#define TESSERA_AUDIT_H

#include "tessera_hw.h"

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/types.h>
#else
#include <stdbool.h>
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
#endif

/* A command touches at most this many address ranges (GEMM: A, B, C). */
#define TESSERA_AUDIT_MAX_RANGES	3

/*
 * The audit finds a range's space by its first byte's bits 38 and up, its
 * slot: slot 0 is the guest's own DMA addresses, 1 its bind space, 2 and 3
 * nothing a guest may name, 4 the device-memory window.
 */
#define TESSERA_AUDIT_SLOT_SHIFT	38
#define TESSERA_AUDIT_SLOTS		5
/* A window is at most a slot: 256 GiB, far beyond any card's BAR2. */
#define TESSERA_AUDIT_WINDOW_MAX	BIT_ULL(TESSERA_AUDIT_SLOT_SHIFT)

/**
 * struct tessera_audit_env - what an instance may reach
 * @slot_end: per slot, the end of what a range starting in it may reach:
 *	the spec's fixed layout of an instance's device addresses, guest
 *	memory [0, TESSERA_VF_DVA_BIND_BASE), bind space
 *	[TESSERA_VF_DVA_BIND_BASE, TESSERA_VF_DVA_GUEST_LIMIT), and the
 *	instance's device-memory window at TESSERA_DVA_VRAM_BASE; 0 for a slot
 *	a guest may not use
 *
 * Built by tessera_audit_env_init(), so that the audit tests every range,
 * whichever space it is in, with one lookup and one compare.
 */
struct tessera_audit_env {
	u64 slot_end[TESSERA_AUDIT_SLOTS];
};

/**
 * tessera_audit_env_init() - what an instance with this window may reach
 * @env: out
 * @vram_size: bytes of its device-memory window (0: none); a window longer
 *	than TESSERA_AUDIT_WINDOW_MAX is cut there
 */
static inline void tessera_audit_env_init(struct tessera_audit_env *env, u64 vram_size)
{
	/* The spec's layout is what the slots stand for. */
	BUILD_BUG_ON((TESSERA_VF_DVA_BIND_BASE >> TESSERA_AUDIT_SLOT_SHIFT) != 1 ||
		     (TESSERA_VF_DVA_BIND_BASE & (BIT_ULL(TESSERA_AUDIT_SLOT_SHIFT) - 1)));
	BUILD_BUG_ON(((TESSERA_VF_DVA_GUEST_LIMIT - 1) >> TESSERA_AUDIT_SLOT_SHIFT) != 1);
	BUILD_BUG_ON((TESSERA_DVA_VRAM_BASE >> TESSERA_AUDIT_SLOT_SHIFT) != 4 ||
		     (TESSERA_DVA_VRAM_BASE & (BIT_ULL(TESSERA_AUDIT_SLOT_SHIFT) - 1)));
	if (vram_size > TESSERA_AUDIT_WINDOW_MAX)
		vram_size = TESSERA_AUDIT_WINDOW_MAX;
	env->slot_end[0] = TESSERA_VF_DVA_BIND_BASE;
	env->slot_end[1] = TESSERA_VF_DVA_GUEST_LIMIT;
	env->slot_end[2] = 0;
	env->slot_end[3] = 0;
	env->slot_end[4] = TESSERA_DVA_VRAM_BASE + vram_size;
}

enum tessera_audit_space {
	TESSERA_AUDIT_GUEST,	/* guest memory: must be pinned and mapped */
	TESSERA_AUDIT_VRAM,	/* the instance's device-memory window */
	TESSERA_AUDIT_BOUND,	/* the bind space: must lie in live bindings */
};

/**
 * struct tessera_audit_range - one memory range a command touches
 * @addr: device address
 * @len: bytes, never 0
 * @write: the card writes it
 *
 * Its space is not recorded: tessera_audit_space() tells it from @addr.
 */
struct tessera_audit_range {
	u64 addr;
	u64 len;
	bool write;
};

/**
 * tessera_audit_space() - the space an accepted range lies in
 * @addr: the first byte of a range the audit accepted
 *
 * The audit accepts a range only wholly inside one space, and the spaces
 * are ordered (guest memory, bind space, device-memory window), so its
 * first byte tells which; a caller branches on this as cheaply as on a
 * recorded field, and the audit stores one field less per range.
 */
static inline enum tessera_audit_space tessera_audit_space(u64 addr)
{
	if (addr < TESSERA_VF_DVA_BIND_BASE)
		return TESSERA_AUDIT_GUEST;
	if (addr < TESSERA_VF_DVA_GUEST_LIMIT)
		return TESSERA_AUDIT_BOUND;
	return TESSERA_AUDIT_VRAM;
}

/**
 * struct tessera_audit_result - the verdict on one command
 * @nr_ranges: valid entries in @ranges
 * @reject: 0, or the TESSERA_VF_REJECT_* reason
 * @batch_count: for an accepted BATCH, number of commands (0 otherwise)
 * @fault_addr: the offending address or value when rejected
 * @batch_addr: for an accepted BATCH, guest address of its commands (read
 *	only when @batch_count is not 0)
 * @ranges: memory the command touches
 *
 * The three counts come first and together: the audit stores them at once.
 */
struct tessera_audit_result {
	unsigned int nr_ranges;
	u32 reject;
	u32 batch_count;
	u64 fault_addr;
	u64 batch_addr;
	struct tessera_audit_range ranges[TESSERA_AUDIT_MAX_RANGES];
};

u32 tessera_audit_cmd(const struct tessera_audit_env *env, const struct tessera_cmd *cmd,
		      unsigned int depth, struct tessera_audit_result *res);
bool tessera_audit_range_ok(const struct tessera_audit_env *env, u64 addr, u64 len);

#endif /* TESSERA_AUDIT_H */
