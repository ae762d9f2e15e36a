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
#include <linux/types.h>
#else
#include <stdbool.h>
typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
#endif

/* A command touches at most this many address ranges (GEMM: A, B, C). */
#define TESSERA_AUDIT_MAX_RANGES	3

/**
 * struct tessera_audit_env - what an instance may reach
 * @vram_size: bytes of its device-memory window at TESSERA_DVA_VRAM_BASE
 * @bind_base: its guest DMA addresses are [0, @bind_base)
 * @guest_limit: its bind space is [@bind_base, @guest_limit); equal to
 *	@bind_base where there is none
 */
struct tessera_audit_env {
	u64 vram_size;
	u64 bind_base;
	u64 guest_limit;
};

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
 * @space: where @addr lies
 */
struct tessera_audit_range {
	u64 addr;
	u64 len;
	bool write;
	enum tessera_audit_space space;
};

/**
 * struct tessera_audit_result - the verdict on one command
 * @reject: 0, or the TESSERA_VF_REJECT_* reason
 * @fault_addr: the offending address or value when rejected
 * @nr_ranges: valid entries in @ranges
 * @ranges: memory the command touches
 * @batch_addr: for an accepted BATCH, guest address of its commands
 * @batch_count: for an accepted BATCH, number of commands (0 otherwise)
 */
struct tessera_audit_result {
	u32 reject;
	u64 fault_addr;
	unsigned int nr_ranges;
	struct tessera_audit_range ranges[TESSERA_AUDIT_MAX_RANGES];
	u64 batch_addr;
	u32 batch_count;
};

u32 tessera_audit_cmd(const struct tessera_audit_env *env, const struct tessera_cmd *cmd,
		      unsigned int depth, struct tessera_audit_result *res);
bool tessera_audit_range_ok(const struct tessera_audit_env *env, u64 addr, u64 len,
			    enum tessera_audit_space *space);

#endif /* TESSERA_AUDIT_H */
