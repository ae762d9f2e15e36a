/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera card: the hardware specification.
 *
 * This header is the one source of truth for the card's PCI identity, BAR
 * layout, registers, command descriptors, device-MMU format, bitstream
 * format, fault codes and interrupt vectors. The QEMU device model, the host
 * kernel driver, the mediator, the tools and the tests all build from it.
 * Documentation/card.rst describes the same map in prose.
 *
 * Conventions: every register is 32 bits wide unless its name ends in _LO/_HI
 * (a 64-bit value split in two 32-bit registers, low half first). All
 * in-memory structures are little endian. "Card time" is the card's own
 * nanosecond clock (TESSERA_REG_CLOCK_NS); busy counters use it.
 */
#ifndef TESSERA_HW_H
#define TESSERA_HW_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#else
#include <linux/types.h>
#ifndef BIT
#define BIT(nr)			(1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif
#endif

/* ------------------------------------------------------------------------ */
/* PCI identity                                                              */
/* ------------------------------------------------------------------------ */

#define TESSERA_PCI_VENDOR_ID		0x1234
#define TESSERA_PCI_DEVICE_CARD		0x7e50	/* the physical card */
#define TESSERA_PCI_DEVICE_VGPU		0x7e51	/* a vGPU instance (virtual) */
#define TESSERA_PCI_DEVICE_VFPGA	0x7e52	/* a vFPGA instance (virtual) */
#define TESSERA_PCI_CLASS_ACCEL		0x120000 /* processing accelerator */
#define TESSERA_PCI_REVISION		0x01

#define TESSERA_BAR_REGS		0	/* MMIO registers */
#define TESSERA_BAR_VRAM		2	/* device memory, 64-bit prefetchable */
#define TESSERA_BAR_MSIX		4	/* MSI-X table and PBA */

#define TESSERA_MAGIC			0x54535241	/* "TSRA" */
#define TESSERA_VERSION			0x00010000	/* major.minor 16.16 */

/*
 * Limits of the model; the properties of one card choose within them.
 * Contexts: their register pages fill BAR0 from TESSERA_CTX_BASE up to the
 * region user pages (48 x 4 KiB).
 */
#define TESSERA_MAX_CONTEXTS		48
#define TESSERA_MAX_ENGINES		4
#define TESSERA_MAX_REGIONS		8

/* ------------------------------------------------------------------------ */
/* BAR0 layout                                                               */
/* ------------------------------------------------------------------------ */

#define TESSERA_BAR0_SIZE		0x80000

/* Global page: privileged, host only. */
#define TESSERA_GLOBAL_BASE		0x00000
/* Engine control blocks: privileged. */
#define TESSERA_ENGINE_BASE		0x01000
#define TESSERA_ENGINE_STRIDE		0x100
/* Region control blocks: privileged. */
#define TESSERA_REGION_BASE		0x02000
#define TESSERA_REGION_STRIDE		0x100
/* Context control blocks: privileged. */
#define TESSERA_CTX_BASE		0x10000
#define TESSERA_CTX_STRIDE		0x1000
/*
 * Region user pages: one 4 KiB page per region that holds only what a
 * tenant may touch (job arguments, doorbell, job status), so that the host
 * can map it straight into a guest.
 */
#define TESSERA_RGN_USER_BASE		0x40000
#define TESSERA_RGN_USER_STRIDE		0x1000

#define TESSERA_ENGINE_REG(e, reg) \
	(TESSERA_ENGINE_BASE + (e) * TESSERA_ENGINE_STRIDE + (reg))
#define TESSERA_REGION_REG(r, reg) \
	(TESSERA_REGION_BASE + (r) * TESSERA_REGION_STRIDE + (reg))
#define TESSERA_CTX_REG(c, reg) \
	(TESSERA_CTX_BASE + (c) * TESSERA_CTX_STRIDE + (reg))
#define TESSERA_RGN_USER_REG(r, reg) \
	(TESSERA_RGN_USER_BASE + (r) * TESSERA_RGN_USER_STRIDE + (reg))

/* --- Global registers (offsets inside the global page) --- */
#define TESSERA_REG_MAGIC		0x000	/* RO: TESSERA_MAGIC */
#define TESSERA_REG_VERSION		0x004	/* RO: TESSERA_VERSION */
#define TESSERA_REG_NUM_CONTEXTS	0x008	/* RO */
#define TESSERA_REG_NUM_ENGINES		0x00c	/* RO */
#define TESSERA_REG_NUM_REGIONS		0x010	/* RO */
#define TESSERA_REG_VRAM_SIZE_LO	0x018	/* RO: bytes of BAR2 device memory */
#define TESSERA_REG_VRAM_SIZE_HI	0x01c
#define TESSERA_REG_REGION_CAPACITY	0x020	/* RO: largest bitstream payload, bytes */
#define TESSERA_REG_CONFIG_BW		0x024	/* RO: reconfiguration bandwidth, KiB per ms */
#define TESSERA_REG_CHECKPOINT_NS	0x028	/* RO: preemption checkpoint interval */
#define TESSERA_REG_FUNCTIONS		0x02c	/* RO: bit n set = region function n exists */
#define TESSERA_REG_CLOCK_NS_LO		0x030	/* RO: card time; read LO first, it latches HI */
#define TESSERA_REG_CLOCK_NS_HI		0x034
/* WATCHDOG_NS: a LO write is staged, the HI write commits both halves. */
#define TESSERA_REG_WATCHDOG_NS_LO	0x038	/* RW: per-command run bound, 0 = off */
#define TESSERA_REG_WATCHDOG_NS_HI	0x03c
#define TESSERA_REG_RESET		0x040	/* WO: write TESSERA_RESET_KEY to reset the card */
#define TESSERA_REG_SCRATCH		0x044	/* RW: no effect, for probing */
#define TESSERA_REG_ERROR_COUNT		0x048	/* RO: faults raised since reset, all sources */

#define TESSERA_RESET_KEY		0x52535400	/* "RST\0" */

/* --- Engine control block (offsets inside one engine's block) --- */
/*
 * Writing a context id to ENG_SUBMIT makes the engine run that context. If
 * the engine runs another context, it stops that one at its next command
 * boundary or preemption checkpoint, saves its resume point, loads the new
 * one and raises ENG_INT_SWITCHED. TESSERA_CTX_NONE stops the engine.
 */
#define TESSERA_ENG_SUBMIT		0x00	/* WO: context id or TESSERA_CTX_NONE */
#define TESSERA_ENG_STATUS		0x04	/* RO: state | current ctx | pending ctx */
#define TESSERA_ENG_INT_STATUS		0x08	/* RW1C: TESSERA_ENG_INT_* */
#define TESSERA_ENG_INT_ENABLE		0x0c	/* RW: TESSERA_ENG_INT_* */
#define TESSERA_ENG_BUSY_NS_LO		0x10	/* RO: card time spent executing commands */
#define TESSERA_ENG_BUSY_NS_HI		0x14
#define TESSERA_ENG_SWITCHES		0x18	/* RO: completed context switches */
#define TESSERA_ENG_SWITCH_LAT_NS	0x1c	/* RO: card time, last switch request to done */
#define TESSERA_ENG_PREEMPTIONS		0x20	/* RO: switches that stopped a command midway */
#define TESSERA_ENG_CONTROL		0x24	/* RW: TESSERA_ENG_CTRL_* */
#define TESSERA_ENG_SLICE_NS		0x28	/* RW: loaded context's slice bound, 0 = none */
#define TESSERA_ENG_SLICE_STOPS		0x2c	/* RO: contexts the slice bound took off */

#define TESSERA_CTX_NONE		0xffffffffu

#define TESSERA_ENG_STATUS_STATE_MASK	0x000000ffu
#define TESSERA_ENG_STATUS_CUR_SHIFT	8
#define TESSERA_ENG_STATUS_CUR_MASK	0x0000ff00u	/* 0xff = none */
#define TESSERA_ENG_STATUS_PEND_SHIFT	16
#define TESSERA_ENG_STATUS_PEND_MASK	0x00ff0000u	/* 0xff = none */
#define TESSERA_ENG_STATE_IDLE		0	/* no context loaded */
#define TESSERA_ENG_STATE_RUNNING	1	/* executing a command */
#define TESSERA_ENG_STATE_WAITING	2	/* context loaded, its ring is empty */
#define TESSERA_ENG_STATE_SWITCHING	3	/* a switch was requested, not yet done */

/*
 * ENG_CONTROL: with BOUNDARY_ONLY set, a requested switch waits for the
 * running command to end (or fault) instead of stopping it at its next
 * checkpoint: switching without mid-command preemption. Reset value 0.
 */
#define TESSERA_ENG_CTRL_BOUNDARY_ONLY	BIT(0)

/*
 * ENG_SLICE_NS: a bound on how long the loaded context may run, in card
 * time, so that a host late to end a slice cannot let a context overrun it
 * by more than the host's margin. It counts from the end of the next
 * switch that loads a context, or, written while a context is loaded and no
 * switch is pending, from the write. When it passes, the engine switches to
 * TESSERA_CTX_NONE by itself (stopping the command as a requested switch
 * would) and raises ENG_INT_SWITCHED; ENG_SLICE_STOPS counts it. 0 = none.
 */

#define TESSERA_ENG_INT_SWITCHED	BIT(0)	/* a requested switch is done */
#define TESSERA_ENG_INT_IDLE		BIT(1)	/* the loaded context's ring ran empty */

/* --- Region control block (privileged) --- */
#define TESSERA_RGN_CTX			0x00	/* RW: context whose MMU and window it uses */
#define TESSERA_RGN_IMAGE_ADDR_LO	0x08	/* RW: bitstream image, device address */
#define TESSERA_RGN_IMAGE_ADDR_HI	0x0c
#define TESSERA_RGN_IMAGE_SIZE		0x10	/* RW: bytes, header included */
#define TESSERA_RGN_CONFIG		0x14	/* WO: 1 = load the image */
#define TESSERA_RGN_CONFIG_STATUS	0x18	/* RO: TESSERA_RGN_CFG_* */
#define TESSERA_RGN_FUNCTION		0x1c	/* RO: loaded function id, 0 = empty */
#define TESSERA_RGN_CONFIG_NS_LO	0x20	/* RO: card time of the last load */
#define TESSERA_RGN_CONFIG_NS_HI	0x24
#define TESSERA_RGN_BUSY_NS_LO		0x28	/* RO: card time spent running jobs */
#define TESSERA_RGN_BUSY_NS_HI		0x2c
#define TESSERA_RGN_INT_STATUS		0x30	/* RW1C: TESSERA_RGN_INT_* */
#define TESSERA_RGN_INT_ENABLE		0x34	/* RW */
#define TESSERA_RGN_FAULT_CODE		0x38	/* RO: TESSERA_FAULT_* of the last job fault */
#define TESSERA_RGN_FAULT_ADDR_LO	0x3c	/* RO */
#define TESSERA_RGN_FAULT_ADDR_HI	0x40
#define TESSERA_RGN_RESET		0x44	/* WO: TESSERA_RGN_RESET_* */

/*
 * RGN_RESET waits for the region's own worker only (never for other
 * regions or engines). ABORT drops the running job or load and clears the
 * fault; CLEAR also returns the region to its power-on state: no function,
 * arguments, result, image registers and counters zero, context 0.
 */
#define TESSERA_RGN_RESET_ABORT		1
#define TESSERA_RGN_RESET_CLEAR		2

#define TESSERA_RGN_CFG_EMPTY		0	/* no function loaded */
#define TESSERA_RGN_CFG_LOADING		1
#define TESSERA_RGN_CFG_LOADED		2
#define TESSERA_RGN_CFG_ERR_MAGIC	3	/* bad magic or header version */
#define TESSERA_RGN_CFG_ERR_SIZE	4	/* sizes disagree or exceed capacity */
#define TESSERA_RGN_CFG_ERR_FUNCTION	5	/* unknown function id */
#define TESSERA_RGN_CFG_ERR_CHECKSUM	6	/* payload CRC32 mismatch */
#define TESSERA_RGN_CFG_ERR_MMU		7	/* image not readable through the MMU */
#define TESSERA_RGN_CFG_ERR_BUSY	8	/* a job was running */

#define TESSERA_RGN_INT_CONFIG_DONE	BIT(0)	/* load finished, good or bad */
#define TESSERA_RGN_INT_JOB_DONE	BIT(1)
#define TESSERA_RGN_INT_JOB_FAULT	BIT(2)

/* --- Region user page (may be mapped into a tenant) --- */
#define TESSERA_RGN_USER_ARG(n)		(0x00 + (n) * 8)	/* RW: 64-bit args, n < 6 */
#define TESSERA_RGN_USER_NUM_ARGS	6
#define TESSERA_RGN_USER_START		0x40	/* WO: any value starts a job */
#define TESSERA_RGN_USER_JOB_STATUS	0x44	/* RO: TESSERA_RGN_JOB_* */
#define TESSERA_RGN_USER_RESULT_LO	0x48	/* RO: scalar result (CRC32) */
#define TESSERA_RGN_USER_RESULT_HI	0x4c
#define TESSERA_RGN_USER_JOBS_DONE	0x50	/* RO: jobs completed since load */

#define TESSERA_RGN_JOB_IDLE		0
#define TESSERA_RGN_JOB_RUNNING		1
#define TESSERA_RGN_JOB_DONE		2
#define TESSERA_RGN_JOB_FAULT		3	/* see TESSERA_RGN_FAULT_CODE */
#define TESSERA_RGN_JOB_NO_FUNCTION	4	/* started with nothing loaded */

/* --- Context control block (privileged) --- */
#define TESSERA_CTX_CONFIG		0x00	/* RW: TESSERA_CTX_CFG_* */
#define TESSERA_CTX_RING_BASE_LO	0x08	/* RW: device address of the ring */
#define TESSERA_CTX_RING_BASE_HI	0x0c
#define TESSERA_CTX_RING_SIZE		0x10	/* RW: entries, power of two */
#define TESSERA_CTX_RING_HEAD		0x14	/* RO: next entry the card executes */
#define TESSERA_CTX_RING_TAIL		0x18	/* RW: doorbell; [head, tail) is work */
#define TESSERA_CTX_MMU_ROOT_LO		0x20	/* RW: physical address of the level-2 table */
#define TESSERA_CTX_MMU_ROOT_HI		0x24
#define TESSERA_CTX_TLB_INVALIDATE	0x28	/* WO: 1 = drop cached translations, drain */
#define TESSERA_CTX_VRAM_BASE_LO	0x30	/* RW: device-memory window offset in BAR2 */
#define TESSERA_CTX_VRAM_BASE_HI	0x34
#define TESSERA_CTX_VRAM_SIZE_LO	0x38	/* RW: window size, 0 = no window */
#define TESSERA_CTX_VRAM_SIZE_HI	0x3c
#define TESSERA_CTX_STATUS		0x40	/* RO: TESSERA_CTX_STATUS_* */
#define TESSERA_CTX_FAULT_CODE		0x44	/* RO: TESSERA_FAULT_* */
#define TESSERA_CTX_FAULT_ADDR_LO	0x48	/* RO: faulting device address or value */
#define TESSERA_CTX_FAULT_ADDR_HI	0x4c
#define TESSERA_CTX_FAULT_INDEX		0x50	/* RO: ring index of the faulting command */
#define TESSERA_CTX_INT_STATUS		0x54	/* RW1C: TESSERA_CTX_INT_* */
#define TESSERA_CTX_INT_ENABLE		0x58	/* RW */
#define TESSERA_CTX_RESET		0x5c	/* WO: 1 = stop this context only, clear fault */
#define TESSERA_CTX_BUSY_NS_LO		0x60	/* RO: card time executing this context */
#define TESSERA_CTX_BUSY_NS_HI		0x64
#define TESSERA_CTX_FENCE_LO		0x68	/* RO: value of the last FENCE executed */
#define TESSERA_CTX_FENCE_HI		0x6c
#define TESSERA_CTX_CMDS_DONE		0x70	/* RO: ring commands completed */
#define TESSERA_CTX_PREEMPTIONS		0x74	/* RO: times stopped midway in a command */
#define TESSERA_CTX_RESUME		0x78	/* RO: progress saved inside the current command */

#define TESSERA_CTX_CFG_ENABLE		BIT(0)
#define TESSERA_CTX_CFG_PRIV		BIT(1)	/* may run privileged commands */

#define TESSERA_CTX_STATUS_LOADED	BIT(0)	/* current on an engine */
#define TESSERA_CTX_STATUS_RUNNING	BIT(1)	/* executing a command now */
#define TESSERA_CTX_STATUS_FAULTED	BIT(2)	/* stopped by a fault until reset */
#define TESSERA_CTX_STATUS_PREEMPTED	BIT(3)	/* has a saved mid-command resume point */
#define TESSERA_CTX_STATUS_TLB_DRAINING	BIT(4)	/* an invalidate waits for old accesses */
#define TESSERA_CTX_STATUS_ENGINE_SHIFT	8		/* engine id when LOADED */
#define TESSERA_CTX_STATUS_ENGINE_MASK	0x0000ff00u

#define TESSERA_CTX_INT_FENCE		BIT(0)	/* a FENCE with TESSERA_FENCE_IRQ ran */
#define TESSERA_CTX_INT_FAULT		BIT(1)
#define TESSERA_CTX_INT_IDLE		BIT(2)	/* ring ran empty */

#define TESSERA_RING_MIN_ENTRIES	16
#define TESSERA_RING_MAX_ENTRIES	65536

/* ------------------------------------------------------------------------ */
/* Interrupts (MSI-X vectors)                                                */
/* ------------------------------------------------------------------------ */

#define TESSERA_VEC_ENGINES		0	/* any engine's ENG_INT_STATUS */
#define TESSERA_VEC_REGIONS		1	/* any region's RGN_INT_STATUS */
#define TESSERA_VEC_CTX(c)		(2 + (c))	/* context c's CTX_INT_STATUS */
#define TESSERA_NUM_VECTORS(nctx)	(2 + (nctx))

/* ------------------------------------------------------------------------ */
/* Device address space of one context                                       */
/* ------------------------------------------------------------------------ */

/*
 * [0, 2^39) is paged through the context's MMU. [TESSERA_DVA_VRAM_BASE,
 * + CTX_VRAM_SIZE) is the device-memory window, mapped linearly to BAR2 at
 * CTX_VRAM_BASE. Every other address faults.
 */
#define TESSERA_DVA_PAGED_BITS		39
#define TESSERA_DVA_PAGED_LIMIT		BIT_ULL(TESSERA_DVA_PAGED_BITS)
#define TESSERA_DVA_VRAM_BASE		BIT_ULL(40)

/*
 * Three levels of 512 eight-byte entries, 4 KiB pages: level 2 indexes
 * bits 38:30, level 1 bits 29:21, level 0 bits 20:12. Tables live in system
 * memory, 4 KiB aligned. The card may cache translations until
 * CTX_TLB_INVALIDATE (or an MMU_UPDATE command) drops them.
 *
 * CTX_TLB_INVALIDATE is also the drain barrier: it sets
 * CTX_STATUS_TLB_DRAINING until every access of the context that may use a
 * translation (or device-memory window) from before the write has ended;
 * accesses that start meanwhile wait. Once the bit reads clear, no engine
 * or region touches a page through a translation the host removed before
 * the write, so the host may unpin it and free emptied tables.
 *
 * CTX_RESET stops only its own context: the engine running it stops at its
 * next checkpoint and drops the command's result; the write completes when
 * no engine runs the context any more.
 */
#define TESSERA_PAGE_SHIFT		12
#define TESSERA_PAGE_SIZE		BIT_ULL(TESSERA_PAGE_SHIFT)
#define TESSERA_PT_LEVELS		3
#define TESSERA_PT_ENTRIES		512
#define TESSERA_PT_INDEX(dva, level) \
	(((dva) >> (TESSERA_PAGE_SHIFT + 9 * (level))) & (TESSERA_PT_ENTRIES - 1))

#define TESSERA_PTE_VALID		BIT_ULL(0)
#define TESSERA_PTE_WRITE		BIT_ULL(1)	/* leaf: device may write */
#define TESSERA_PTE_ADDR_MASK		0x000ffffffffff000ull

/* ------------------------------------------------------------------------ */
/* Commands                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Every command is one 64-byte descriptor. Fields a command does not use
 * are reserved and must be zero: the card faults BAD_ARG otherwise.
 */
struct tessera_cmd {
	__u8 opcode;		/* TESSERA_OP_* */
	__u8 flags;		/* per opcode */
	__u16 reserved;
	__u32 param;		/* per opcode */
	__u64 arg[7];
};

#define TESSERA_CMD_SIZE		64

enum tessera_opcode {
	TESSERA_OP_NOP		= 0x00,
	/* arg0 = address (8-aligned) or 0, arg1 = value; flags TESSERA_FENCE_* */
	TESSERA_OP_FENCE	= 0x01,
	/* arg0 = dst, arg1 = bytes (multiple of 4), param = 32-bit pattern */
	TESSERA_OP_FILL		= 0x02,
	/* arg0 = dst, arg1 = src, arg2 = bytes; ranges must not overlap */
	TESSERA_OP_COPY		= 0x03,
	/*
	 * fp32 row-major C[m][n] = A[m][k] * B[k][n] (+ C if TESSERA_GEMM_ACCUMULATE):
	 * arg0 = A, arg1 = B, arg2 = C, arg3 = m, arg4 = n, arg5 = k.
	 */
	TESSERA_OP_GEMM		= 0x04,
	/*
	 * fp32 dst[i] = a[i] op b[i]: param = TESSERA_EW_*, arg0 = dst,
	 * arg1 = a, arg2 = b (0 for RELU), arg3 = count
	 */
	TESSERA_OP_ELEMWISE	= 0x05,
	/* occupy the engine for arg0 microseconds, preemptible at checkpoints */
	TESSERA_OP_BUSY		= 0x06,
	/* run arg1 commands at arg0, then return; nesting at most TESSERA_MAX_BATCH_DEPTH */
	TESSERA_OP_BATCH	= 0x07,
	/* privileged: write arg1 (32 bits) to BAR0 offset arg0 */
	TESSERA_OP_REG_WRITE	= 0x10,
	/* privileged: set context arg0's MMU root to arg1 and drop its TLB */
	TESSERA_OP_MMU_UPDATE	= 0x11,
};

#define TESSERA_OP_PRIVILEGED_FIRST	0x10

#define TESSERA_FENCE_IRQ		BIT(0)	/* raise TESSERA_CTX_INT_FENCE */

#define TESSERA_GEMM_ACCUMULATE		BIT(0)
#define TESSERA_GEMM_MAX_DIM		2048

#define TESSERA_EW_ADD			0
#define TESSERA_EW_MUL			1
#define TESSERA_EW_RELU			2
#define TESSERA_EW_NUM_OPS		3

/* Bounds the card enforces (BAD_ARG beyond them). */
#define TESSERA_MAX_XFER_BYTES		(64ull << 20)	/* FILL, COPY, ELEMWISE data */
#define TESSERA_MAX_BUSY_US		10000000ull	/* 10 s */
#define TESSERA_MAX_BATCH_DEPTH		2
#define TESSERA_MAX_BATCH_CMDS		4096

/* ------------------------------------------------------------------------ */
/* Faults                                                                    */
/* ------------------------------------------------------------------------ */

enum tessera_fault {
	TESSERA_FAULT_NONE		= 0,
	TESSERA_FAULT_MMU_MISS		= 1,	/* no valid translation */
	TESSERA_FAULT_MMU_WRITE		= 2,	/* write to a read-only page */
	TESSERA_FAULT_BAD_OPCODE	= 3,
	TESSERA_FAULT_PRIV		= 4,	/* privileged command, unprivileged context */
	TESSERA_FAULT_BAD_ARG		= 5,	/* reserved bits, bounds, alignment */
	TESSERA_FAULT_BATCH_DEPTH	= 6,	/* batch nesting too deep (loops end here) */
	TESSERA_FAULT_WATCHDOG		= 7,	/* a command ran past the watchdog bound */
	TESSERA_FAULT_RING		= 8,	/* ring base/size invalid */
	TESSERA_FAULT_VRAM_RANGE	= 9,	/* outside the device-memory window */
	TESSERA_NUM_FAULTS		= 10,
};

/* ------------------------------------------------------------------------ */
/* Region functions and bitstream images                                     */
/* ------------------------------------------------------------------------ */

enum tessera_function {
	TESSERA_FN_NONE		= 0,
	/* fp32 arg0[i] = arg1[i] + arg2[i], i < arg3 */
	TESSERA_FN_VADD		= 1,
	/* CRC32 (IEEE, as zlib) of arg3 bytes at arg1 into RESULT */
	TESSERA_FN_CRC32	= 2,
	/*
	 * fp32 C(arg0)[m][n] = A(arg1)[m][k] * B(arg2)[k][n],
	 * arg3 = m | n << 16 | k << 32 (each <= 64)
	 */
	TESSERA_FN_GEMM_TILE	= 3,
	TESSERA_NUM_FUNCTIONS	= 4,
};

#define TESSERA_FN_GEMM_TILE_MAX	64
#define TESSERA_FN_MAX_BYTES		(16ull << 20)

#define TESSERA_BITSTREAM_MAGIC		0x53425354	/* "TSBS" */
#define TESSERA_BITSTREAM_VERSION	1

/* An image is this header followed by payload_size bytes. */
struct tessera_bitstream_header {
	__u32 magic;		/* TESSERA_BITSTREAM_MAGIC */
	__u16 version;		/* TESSERA_BITSTREAM_VERSION */
	__u16 header_size;	/* sizeof(struct tessera_bitstream_header) */
	__u32 function_id;	/* TESSERA_FN_* */
	__u32 flags;		/* must be zero */
	__u64 payload_size;	/* bytes after the header */
	__u32 payload_crc32;	/* CRC32 (IEEE, as zlib) of the payload */
	__u32 reserved;		/* must be zero */
};

#define TESSERA_BITSTREAM_HEADER_SIZE	32

/* ------------------------------------------------------------------------ */
/* The virtual function a vGPU/vFPGA instance shows its guest                */
/* ------------------------------------------------------------------------ */

/*
 * BAR0 of an instance is a register file the host mediates: every access
 * traps. It shows one context's interface and nothing privileged. The
 * guest's commands use the same struct tessera_cmd and the same device
 * address space as a card context, in four parts:
 *
 *   [0, TESSERA_VF_DVA_BIND_BASE)  the guest's own DMA addresses (IOVAs it
 *                                  mapped), each the address of itself
 *   [TESSERA_VF_DVA_BIND_BASE, TESSERA_VF_DVA_GUEST_LIMIT)
 *                                  the bind space: only what the guest
 *                                  bound there (TESSERA_VF_BIND_*, vGPU)
 *   [TESSERA_VF_DVA_GUEST_LIMIT, TESSERA_DVA_PAGED_LIMIT)
 *                                  the host's (shadow rings); faults
 *   [TESSERA_DVA_VRAM_BASE, + VF_VRAM_SIZE)
 *                                  its device-memory slice, which BAR2
 *                                  exposes and which may be mmapped
 *                                  straight through
 *
 * A command's range must lie wholly in one part. The ring, batches and
 * bind descriptors are read at guest DMA addresses (the first part).
 */
#define TESSERA_VF_BAR0_SIZE		0x1000
#define TESSERA_VF_DVA_BIND_BASE	BIT_ULL(38)
#define TESSERA_VF_DVA_GUEST_LIMIT	(TESSERA_DVA_PAGED_LIMIT - BIT_ULL(30))
#define TESSERA_VF_NUM_VECTORS		1	/* MSI/MSI-X vector 0: VF_INT_STATUS */

#define TESSERA_VF_MAGIC		0x000	/* RO: TESSERA_MAGIC */
#define TESSERA_VF_VERSION		0x004	/* RO: TESSERA_VERSION */
#define TESSERA_VF_VRAM_SIZE_LO		0x008	/* RO: bytes of BAR2 */
#define TESSERA_VF_VRAM_SIZE_HI		0x00c
#define TESSERA_VF_RING_BASE_LO		0x010	/* RW: guest DMA address of the ring */
#define TESSERA_VF_RING_BASE_HI		0x014
#define TESSERA_VF_RING_SIZE		0x018	/* RW: entries, power of two */
#define TESSERA_VF_RING_HEAD		0x01c	/* RO: entries consumed */
#define TESSERA_VF_RING_TAIL		0x020	/* RW: the doorbell */
#define TESSERA_VF_STATUS		0x024	/* RO: TESSERA_VF_STATUS_* */
#define TESSERA_VF_FAULT_CODE		0x028	/* RO: TESSERA_FAULT_* or TESSERA_VF_REJECT_* */
#define TESSERA_VF_FAULT_INDEX		0x02c	/* RO: ring index of the offending command */
#define TESSERA_VF_FAULT_ADDR_LO	0x030	/* RO */
#define TESSERA_VF_FAULT_ADDR_HI	0x034
#define TESSERA_VF_INT_STATUS		0x038	/* RW1C: TESSERA_CTX_INT_* */
#define TESSERA_VF_INT_ENABLE		0x03c	/* RW */
#define TESSERA_VF_FENCE_LO		0x040	/* RO: last fence value; LO read latches HI */
#define TESSERA_VF_FENCE_HI		0x044
#define TESSERA_VF_BUSY_NS_LO		0x048	/* RO: card busy time; LO read latches HI */
#define TESSERA_VF_BUSY_NS_HI		0x04c
#define TESSERA_VF_RESET		0x050	/* WO: 1 = reset the instance's engine state */
#define TESSERA_VF_CMDS_DONE		0x054	/* RO */
#define TESSERA_VF_WEIGHT		0x058	/* RO: scheduling weight */
#define TESSERA_VF_CAPS			0x05c	/* RO: TESSERA_VF_CAP_* */

#define TESSERA_VF_STATUS_ENABLED	BIT(0)	/* ring configured */
#define TESSERA_VF_STATUS_BUSY		BIT(1)	/* work outstanding */
#define TESSERA_VF_STATUS_FAULTED	BIT(2)	/* stopped until VF_RESET */

#define TESSERA_VF_CAP_ENGINES		BIT(0)	/* vGPU: command ring */
#define TESSERA_VF_CAP_REGIONS		BIT(1)	/* vFPGA: regions */
#define TESSERA_VF_CAP_BIND		BIT(2)	/* vGPU: the bind interface below */

/* Reasons the mediator's audit rejects a command (beyond card faults). */
#define TESSERA_VF_REJECT_BASE		0x100
#define TESSERA_VF_REJECT_OPCODE	0x101	/* opcode not allowed for this instance */
#define TESSERA_VF_REJECT_RANGE		0x102	/* address outside the guest's memory */
#define TESSERA_VF_REJECT_RESERVED	0x103	/* reserved field not zero */
#define TESSERA_VF_REJECT_BOUNDS	0x104	/* size or count out of bounds */
#define TESSERA_VF_REJECT_BATCH		0x105	/* batch nesting or length */
#define TESSERA_VF_REJECT_RING		0x106	/* ring unreadable or misconfigured */
#define TESSERA_VF_REJECT_PIN_LIMIT	0x107	/* pinned-memory limit reached */
#define TESSERA_VF_REJECT_UNMAPPED	0x108	/* guest unmapped memory its queued work used */
#define TESSERA_VF_REJECT_SHADOW_LIMIT	0x109	/* the instance's shadow-memory cap is reached */
#define TESSERA_VF_REJECT_MEMLOCK	0x10a	/* pin refused: the process's RLIMIT_MEMLOCK */
#define TESSERA_VF_REJECT_TRAP_LIMIT	0x10b	/* one doorbell carries too many commands */
#define TESSERA_VF_REJECT_NOMEM		0x10c	/* host memory refused: the process's memory.max */

/*
 * The bind interface (TESSERA_VF_CAP_BIND): the guest gives the card
 * scattered pages of its memory at consecutive device addresses of the bind
 * space, so that a buffer made of pages anywhere in guest memory (a GEM
 * shmem object) is one range for its commands.
 *
 * To bind, the guest writes a struct tessera_vf_bind_desc into its memory,
 * its guest DMA address (8-byte aligned) to VF_BIND_ADDR and
 * TESSERA_VF_BIND_OP_MAP to VF_BIND_OP. To unbind, it writes the first
 * device address of a binding to VF_BIND_ADDR and TESSERA_VF_BIND_OP_UNMAP.
 * TESSERA_VF_BIND_OP_UNMAP_ALL drops every binding. Each operation is done
 * when the write completes; VF_BIND_STATUS then reads 0 or the reason it
 * was refused (TESSERA_VF_BIND_ERR_*, VF_BIND_ERR_INDEX naming the page for
 * ERR_PAGE). A refused operation changes nothing and does not stop the
 * ring.
 *
 * A binding's device addresses, [dva, dva + num_pages * 4 KiB), must lie in
 * the bind space and overlap no live binding; each page address must be
 * page aligned guest memory the host can pin, writable when the binding has
 * TESSERA_VF_BIND_WRITE. Commands may use a bound range only as the binding
 * allows (reading, or also writing); anything else in the bind space is
 * refused with TESSERA_VF_REJECT_RANGE before it reaches the card.
 *
 * Unbinding removes the translations and waits until no access of the card
 * uses them before the host lets the pages go: commands queued earlier that
 * still use the range then fault the instance (TESSERA_FAULT_MMU_MISS), as a
 * freed buffer would on hardware. Bindings survive VF_RESET; a device reset
 * or close drops them all. When the host takes back guest memory under a
 * binding (the VM unmaps it), the whole binding goes.
 */
#define TESSERA_VF_BIND_MAX_PAGES	512

/**
 * struct tessera_vf_bind_desc - a bind request in guest memory
 * @dva: first device address, page aligned, in the bind space
 * @num_pages: pages, 1 to TESSERA_VF_BIND_MAX_PAGES
 * @flags: TESSERA_VF_BIND_WRITE or 0
 * @reserved: must be zero
 * @pages: @num_pages guest DMA addresses, page aligned; page i is bound at
 *	@dva + i * 4 KiB
 */
struct tessera_vf_bind_desc {
	__u64 dva;
	__u32 num_pages;
	__u32 flags;
	__u64 reserved[2];
	__u64 pages[];
};

#define TESSERA_VF_BIND_DESC_HEADER	32
#define TESSERA_VF_BIND_WRITE		BIT(0)	/* the card may write the pages */

#define TESSERA_VF_BIND_ADDR_LO		0x070	/* RW: descriptor (MAP) or binding (UNMAP) */
#define TESSERA_VF_BIND_ADDR_HI		0x074
#define TESSERA_VF_BIND_OP		0x078	/* WO: TESSERA_VF_BIND_OP_*, done on return */
#define TESSERA_VF_BIND_STATUS		0x07c	/* RO: 0 or TESSERA_VF_BIND_ERR_* of the last op */
#define TESSERA_VF_BIND_ERR_INDEX	0x080	/* RO: for ERR_PAGE, the page's index */
#define TESSERA_VF_BIND_COUNT		0x084	/* RO: live bindings */
#define TESSERA_VF_BIND_PAGES		0x088	/* RO: pages in live bindings */
#define TESSERA_VF_BIND_MAX		0x08c	/* RO: most live bindings at once */

#define TESSERA_VF_BIND_OP_MAP		1
#define TESSERA_VF_BIND_OP_UNMAP	2
#define TESSERA_VF_BIND_OP_UNMAP_ALL	3

#define TESSERA_VF_BIND_ERR_BASE	0x200
#define TESSERA_VF_BIND_ERR_OP		0x201	/* unknown operation */
#define TESSERA_VF_BIND_ERR_DESC	0x202	/* descriptor misaligned or not guest memory */
#define TESSERA_VF_BIND_ERR_RESERVED	0x203	/* unknown flag or reserved field not zero */
#define TESSERA_VF_BIND_ERR_RANGE	0x204	/* dva misaligned, bad count, outside the space */
#define TESSERA_VF_BIND_ERR_OVERLAP	0x205	/* overlaps a live binding */
#define TESSERA_VF_BIND_ERR_PAGE	0x206	/* a page misaligned, not guest memory, read-only */
#define TESSERA_VF_BIND_ERR_TOO_MANY	0x207	/* VF_BIND_MAX bindings are live */
#define TESSERA_VF_BIND_ERR_PIN_LIMIT	0x208	/* the instance's pinned-memory limit */
#define TESSERA_VF_BIND_ERR_MEMLOCK	0x209	/* the process's RLIMIT_MEMLOCK */
#define TESSERA_VF_BIND_ERR_NOMEM	0x20a	/* host memory refused (memory.max) */
#define TESSERA_VF_BIND_ERR_NOT_BOUND	0x20b	/* UNMAP: no binding starts there */

/*
 * vFPGA instances (TESSERA_VF_CAP_REGIONS) add region blocks to the register
 * page, and one page per region after it that maps the card's region user
 * page (TESSERA_RGN_USER_*) straight through, so starting a job on a loaded
 * function does not trap. A region's job DMA goes through the instance's
 * device-MMU context: its device-memory window and the guest memory the
 * host has mapped for it; anything else faults the region.
 */
#define TESSERA_VF_NUM_REGIONS		0x060	/* RO: regions this instance owns */
#define TESSERA_VF_FUNCTIONS		0x064	/* RO: bit n = may load TESSERA_FN n */
#define TESSERA_VF_REGION_CAPACITY	0x068	/* RO: largest bitstream payload */

#define TESSERA_VF_RGN_BASE		0x100
#define TESSERA_VF_RGN_STRIDE		0x40
#define TESSERA_VF_RGN_REG(i, reg)	(TESSERA_VF_RGN_BASE + (i) * TESSERA_VF_RGN_STRIDE + (reg))
#define TESSERA_VF_RGN_IMAGE_ADDR_LO	0x00	/* RW: guest DMA address of the image */
#define TESSERA_VF_RGN_IMAGE_ADDR_HI	0x04
#define TESSERA_VF_RGN_IMAGE_SIZE	0x08	/* RW: bytes, header included */
#define TESSERA_VF_RGN_CONFIG		0x0c	/* WO: 1 = validate and load (traps) */
#define TESSERA_VF_RGN_CONFIG_STATUS	0x10	/* RO: TESSERA_RGN_CFG_* or _VF_RGN_CFG_* */
#define TESSERA_VF_RGN_FUNCTION		0x14	/* RO: loaded function, 0 = empty */
#define TESSERA_VF_RGN_CONFIG_NS_LO	0x18	/* RO: card time of the last load */
#define TESSERA_VF_RGN_CONFIG_NS_HI	0x1c
#define TESSERA_VF_RGN_BUSY_NS_LO	0x20	/* RO: card time running jobs */
#define TESSERA_VF_RGN_BUSY_NS_HI	0x24
#define TESSERA_VF_RGN_FAULT_CODE	0x28	/* RO: TESSERA_FAULT_* of the last job */
#define TESSERA_VF_RGN_FAULT_ADDR_LO	0x2c
#define TESSERA_VF_RGN_FAULT_ADDR_HI	0x30
#define TESSERA_VF_RGN_RESET		0x34	/* WO: 1 = abort the job, clear the fault */
/*
 * RO: card time spent reloading this region's function because the host
 * time-shares the card region among more instances than it has regions
 * (tessera.ko vfpga_share > 1), charged to this instance; 0 when the
 * instance owns its regions outright.
 */
#define TESSERA_VF_RGN_SHARE_NS_LO	0x38
#define TESSERA_VF_RGN_SHARE_NS_HI	0x3c

/* The region user pages follow the register page; BAR0 is this rounded up to a power of two. */
#define TESSERA_VF_RGN_USER_BASE	0x1000
#define TESSERA_VF_RGN_USER_STRIDE	0x1000
#define TESSERA_VF_BAR0_SIZE_REGIONS(n) \
	(TESSERA_VF_RGN_USER_BASE + (n) * TESSERA_VF_RGN_USER_STRIDE)

/* Reconfiguration statuses only the mediator gives (beyond TESSERA_RGN_CFG_*). */
#define TESSERA_VF_RGN_CFG_FORBIDDEN	0x10	/* function not allowed for this type */
#define TESSERA_VF_RGN_CFG_UNREADABLE	0x11	/* image not in guest memory */

/* VF_INT_STATUS bits for regions, beside the TESSERA_CTX_INT_* bits. */
#define TESSERA_VF_INT_RGN_CONFIG(i)	BIT(8 + (i))	/* region i load finished */
#define TESSERA_VF_INT_RGN_JOB(i)	BIT(16 + (i))	/* region i job done or faulted */

#endif /* TESSERA_HW_H */
