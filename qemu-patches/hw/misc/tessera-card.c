/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera card: a PCI accelerator with GPU-like engines and FPGA-like
 * regions, modelled closely enough that the drivers above it are real code.
 *
 * The contract is include/tessera_hw.h (copied into the QEMU tree as
 * include/hw/misc/tessera_hw.h by scripts/build-qemu.sh);
 * Documentation/card.rst describes the model's choices where the header
 * leaves room.
 *
 * Threads and locks:
 *  - MMIO handlers, timers and bottom halves run under the BQL.
 *  - Each engine and each region has a worker thread. Workers never take the
 *    BQL: they do DMA only to RAM (checked before each access, so that no
 *    MMIO dispatch can need the BQL) and leave MSI-X delivery to a bottom
 *    half. That is what lets the BQL holder wait for workers (quiesce).
 *  - TesseraState.lock protects every register and every piece of state
 *    shared between the BQL side and the workers. Workers drop it while
 *    they copy or compute, and take it at every checkpoint.
 *  - Lock order: BQL, then TesseraState.lock, then QEMU's timer list lock.
 *
 * Card time is QEMU_CLOCK_VIRTUAL: it stops while the VM is stopped and, in
 * qtest, moves only when the test moves it. Workers sleep on per-worker
 * timers against absolute card-time deadlines, so pacing error does not
 * accumulate.
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qemu/bswap.h"
#include "qemu/rcu.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "system/dma.h"
#include "exec/memory.h"
#include "qom/object.h"
#include "hw/misc/tessera_hw.h"
#include <zlib.h>

#define TYPE_TESSERA_CARD "tessera-card"
OBJECT_DECLARE_SIMPLE_TYPE(TesseraState, TESSERA_CARD)

/* Model choices (documented in Documentation/card.rst). */
#define TESSERA_DEFAULT_VRAM_SIZE       (256 * MiB)
QEMU_BUILD_BUG_ON(TESSERA_CTX_BASE + TESSERA_MAX_CONTEXTS * TESSERA_CTX_STRIDE >
                  TESSERA_RGN_USER_BASE);

/* 32 for mediated instances (down to 1/32 of the card) and 8 for the host */
#define TESSERA_DEFAULT_CONTEXTS        40
#define TESSERA_DEFAULT_ENGINES         2
#define TESSERA_DEFAULT_REGIONS         4
#define TESSERA_DEFAULT_REGION_CAPACITY (8 * MiB)
#define TESSERA_DEFAULT_CONFIG_BW       195     /* KiB/ms, about 200 MB/s */
#define TESSERA_DEFAULT_CHECKPOINT_NS   100000

#define TESSERA_TLB_ENTRIES     16      /* per context, direct mapped */
#define TESSERA_XFER_CHUNK      (64 * KiB)      /* FILL/COPY checkpoint */
#define TESSERA_EW_CHUNK        16384   /* ELEMWISE elements per checkpoint */
#define TESSERA_GEMM_BLOCK_MACS (1u << 22)      /* MACs per GEMM row block */
#define TESSERA_CFG_CHUNK_NS    50000   /* card time per bitstream read */
#define TESSERA_ENG_SCRATCH     3
#define TESSERA_CTX_NONE_BYTE   0xffu

typedef struct TesseraState TesseraState;

typedef struct TesseraFault {
    uint32_t code;
    uint64_t addr;
} TesseraFault;

typedef struct TesseraTlbEntry {
    bool valid;
    uint64_t vpn;
    uint64_t pte;
} TesseraTlbEntry;

/* One level of BATCH nesting: where the second-level buffer is, how far. */
typedef struct TesseraBatchFrame {
    uint64_t base;
    uint32_t count;
    uint32_t index;
} TesseraBatchFrame;

typedef struct TesseraContext {
    /* Registers (TesseraState.lock). */
    uint32_t config;
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t head;
    uint32_t tail;
    uint64_t mmu_root;
    uint64_t vram_base;
    uint64_t vram_size;
    bool faulted;
    uint32_t fault_code;
    uint64_t fault_addr;
    uint32_t fault_index;
    uint32_t int_status;
    uint32_t int_enable;
    uint64_t busy_ns;
    uint64_t fence;
    uint32_t cmds_done;
    uint32_t preemptions;
    /*
     * Resume point of the command at the current position: progress in the
     * opcode's unit (BUSY ns, GEMM rows, FILL/COPY bytes, ELEMWISE
     * elements), the card time it already ran, and the batch stack.
     */
    uint64_t resume;
    uint8_t resume_op;
    uint64_t cmd_run_ns;
    uint32_t batch_depth;
    TesseraBatchFrame batch[TESSERA_MAX_BATCH_DEPTH];

    /* Derived, not migrated (TesseraState.lock). */
    int engine;             /* engine it is loaded on, -1 = none */
    int pending_engine;     /* engine it is queued on, -1 = none */
    uint32_t gen;           /* bumped by reset: work in flight is dropped */
    uint32_t tlb_gen;       /* bumped by every invalidation */
    TesseraTlbEntry tlb[TESSERA_TLB_ENTRIES];
    bool stopping;          /* CTX_RESET waits for its engine: not runnable */
    /*
     * The drain barrier: accesses in flight (translated or through the
     * window), invalidations requested and those whose older accesses
     * have all ended.
     */
    uint32_t dma_active;
    uint32_t inv_req;
    uint32_t inv_done;
} TesseraContext;

typedef struct TesseraEngine {
    TesseraState *card;
    unsigned id;
    QemuThread thread;
    QemuCond wake;          /* worker sleeps here (TesseraState.lock) */
    QEMUTimer timer;        /* wakes the worker at a card-time deadline */

    /* Registers and switch state (TesseraState.lock). */
    uint32_t cur;           /* loaded context or TESSERA_CTX_NONE */
    uint32_t pending;       /* switch target, valid while switch_req */
    bool switch_req;
    uint64_t switch_req_ns;
    uint32_t int_status;
    uint32_t int_enable;
    uint64_t busy_ns;
    uint32_t switches;
    uint32_t switch_lat_ns;
    uint32_t preemptions;
    uint32_t control;       /* TESSERA_ENG_CTRL_* */
    uint32_t slice_ns;      /* ENG_SLICE_NS */
    uint64_t slice_deadline;    /* card time the bound passes, 0 = none */
    uint32_t slice_stops;

    /* Worker bookkeeping, not migrated (TesseraState.lock). */
    bool running;           /* a command is executing */
    bool run_is_busy;       /* ... and it is a BUSY */
    uint64_t seg_start;     /* card time the running segment began */
    uint64_t seg_progress;  /* BUSY progress at seg_start */
    uint64_t live_cap;      /* busy counters never read past this */
    bool cursor_valid;
    uint64_t cursor;        /* card time the engine's timeline reached */
    bool worked;            /* ran a command since it last went idle */
    bool parked;

    /* Scratch owned by the worker thread; cleared on every switch. */
    void *scratch[TESSERA_ENG_SCRATCH];
    size_t scratch_len[TESSERA_ENG_SCRATCH];
} TesseraEngine;

typedef struct TesseraRegion {
    TesseraState *card;
    unsigned id;
    QemuThread thread;
    QemuCond wake;
    QEMUTimer timer;

    /* Registers (TesseraState.lock). */
    uint32_t ctx;
    uint64_t image_addr;
    uint32_t image_size;
    uint32_t cfg_status;
    uint32_t function;
    uint64_t config_ns;
    uint64_t busy_ns;
    uint32_t int_status;
    uint32_t int_enable;
    uint32_t fault_code;
    uint64_t fault_addr;
    uint64_t args[TESSERA_RGN_USER_NUM_ARGS];
    uint32_t job_status;
    uint64_t result;
    uint32_t jobs_done;

    /* A load in progress (TesseraState.lock), migrated with it. */
    uint64_t cfg_start_ns;
    uint64_t cfg_addr;
    uint32_t cfg_size;
    uint32_t cfg_ctx;
    uint32_t cfg_done;      /* bytes read so far */
    uint32_t cfg_crc;
    uint32_t cfg_expect_crc;
    uint32_t cfg_function;
    bool cfg_header_ok;

    /* Not migrated. */
    uint32_t gen;           /* bumped by reset: work in flight is dropped */
    bool parked;
    bool active;            /* the worker runs a job or a load step unlocked */
} TesseraRegion;

struct TesseraState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion vram;
    uint8_t *vram_ptr;

    /* Properties. */
    uint64_t vram_size;
    uint32_t num_contexts;
    uint32_t num_engines;
    uint32_t num_regions;
    uint64_t region_capacity;
    uint32_t config_bw;
    uint32_t checkpoint_ns;

    QemuMutex lock;
    QemuCond parked_cond;   /* quiesce waits here for the workers */
    QemuCond idle_cond;     /* one context's or region's reset or drain */
    unsigned quiesce_count; /* > 0: workers park at their next checkpoint */
    unsigned nparked;
    bool exiting;
    bool vm_quiesced;       /* quiesced because the VM stopped */
    bool save_quiesced;     /* quiesced by pre_save */
    VMChangeStateEntry *vmse;

    QEMUBH *irq_bh;
    uint64_t irq_pending;   /* vectors to notify (lock) */

    /* Global registers (lock). */
    uint64_t watchdog_ns;
    uint32_t scratch;
    uint32_t error_count;
    uint32_t clock_hi_latch;
    uint32_t watchdog_lo_staged;    /* WATCHDOG_NS_LO until HI commits it */

    TesseraContext ctx[TESSERA_MAX_CONTEXTS];
    TesseraEngine eng[TESSERA_MAX_ENGINES];
    TesseraRegion rgn[TESSERA_MAX_REGIONS];
};

/* A decoded command descriptor. */
typedef struct TesseraCmd {
    uint8_t opcode;
    uint8_t flags;
    uint16_t reserved;
    uint32_t param;
    uint64_t arg[7];
} TesseraCmd;

typedef enum RunResult {
    RUN_DONE,
    RUN_STOPPED,    /* stopped at a checkpoint, resume point saved */
    RUN_FAULT,
    RUN_PUSH_BATCH,
} RunResult;

/* One execution segment of one command on one engine. */
typedef struct EngineRun {
    TesseraState *s;
    TesseraEngine *e;
    TesseraContext *c;
    unsigned ctx_id;
    uint32_t gen;
    uint32_t ring_index;
    bool priv;
    uint64_t seg_start;
    uint64_t run_before;
    uint64_t resume;
    /* Outcome. */
    uint64_t progress;
    uint64_t end_time;
    TesseraFault fault;
    uint64_t batch_base;
    uint32_t batch_count;
    uint64_t fence_value;
    bool fence_irq;
} EngineRun;

static uint64_t card_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static uint64_t lo32_set(uint64_t old, uint32_t val)
{
    return (old & 0xffffffff00000000ull) | val;
}

static uint64_t hi32_set(uint64_t old, uint32_t val)
{
    return (old & 0xffffffffull) | ((uint64_t)val << 32);
}

/* ------------------------------------------------------------------------ */
/* Interrupts                                                                */
/* ------------------------------------------------------------------------ */

/* Workers may call this: delivery happens in card_irq_bh under the BQL. */
static void card_request_vector(TesseraState *s, unsigned vector)
{
    s->irq_pending |= 1ull << vector;
    qemu_bh_schedule(s->irq_bh);
}

static void card_irq_bh(void *opaque)
{
    TesseraState *s = opaque;
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t pending;
    unsigned vector;

    qemu_mutex_lock(&s->lock);
    pending = s->irq_pending;
    s->irq_pending = 0;
    qemu_mutex_unlock(&s->lock);

    if (!msix_enabled(pdev)) {
        return;
    }
    for (vector = 0; vector < TESSERA_NUM_VECTORS(s->num_contexts); vector++) {
        if (pending & (1ull << vector)) {
            msix_notify(pdev, vector);
        }
    }
}

static void eng_raise(TesseraState *s, TesseraEngine *e, uint32_t bits)
{
    e->int_status |= bits;
    if (bits & e->int_enable) {
        card_request_vector(s, TESSERA_VEC_ENGINES);
    }
}

static void rgn_raise(TesseraState *s, TesseraRegion *r, uint32_t bits)
{
    r->int_status |= bits;
    if (bits & r->int_enable) {
        card_request_vector(s, TESSERA_VEC_REGIONS);
    }
}

static void ctx_raise(TesseraState *s, unsigned ctx_id, uint32_t bits)
{
    TesseraContext *c = &s->ctx[ctx_id];

    c->int_status |= bits;
    if (bits & c->int_enable) {
        card_request_vector(s, TESSERA_VEC_CTX(ctx_id));
    }
}

/* ------------------------------------------------------------------------ */
/* Worker parking                                                            */
/* ------------------------------------------------------------------------ */

static unsigned card_num_workers(TesseraState *s)
{
    return s->num_engines + s->num_regions;
}

static void card_kick_all(TesseraState *s)
{
    unsigned i;

    for (i = 0; i < s->num_engines; i++) {
        qemu_cond_broadcast(&s->eng[i].wake);
    }
    for (i = 0; i < s->num_regions; i++) {
        qemu_cond_broadcast(&s->rgn[i].wake);
    }
}

/*
 * Stop every worker at its next checkpoint with its resume point saved.
 * Bounded by one GEMM row block, one transfer chunk or one region job.
 * Safe under the BQL because workers never wait for it.
 */
static void card_quiesce_locked(TesseraState *s)
{
    s->quiesce_count++;
    card_kick_all(s);
    while (s->nparked < card_num_workers(s)) {
        qemu_cond_wait(&s->parked_cond, &s->lock);
    }
}

static void card_unquiesce_locked(TesseraState *s)
{
    assert(s->quiesce_count > 0);
    if (--s->quiesce_count == 0) {
        card_kick_all(s);
    }
}

/* Called by a worker at the top of its loop; returns with the lock held. */
static void worker_park(TesseraState *s, bool *parked, QemuCond *wake)
{
    *parked = true;
    s->nparked++;
    qemu_cond_broadcast(&s->parked_cond);
    while (s->quiesce_count && !s->exiting) {
        qemu_cond_wait(wake, &s->lock);
    }
    s->nparked--;
    *parked = false;
}

static void eng_timer_cb(void *opaque)
{
    TesseraEngine *e = opaque;

    qemu_mutex_lock(&e->card->lock);
    qemu_cond_broadcast(&e->wake);
    qemu_mutex_unlock(&e->card->lock);
}

static void rgn_timer_cb(void *opaque)
{
    TesseraRegion *r = opaque;

    qemu_mutex_lock(&r->card->lock);
    qemu_cond_broadcast(&r->wake);
    qemu_mutex_unlock(&r->card->lock);
}

/* Sleep until card time reaches deadline or someone kicks; lock held. */
static void worker_sleep_until(TesseraState *s, QemuCond *wake,
                               QEMUTimer *timer, uint64_t deadline)
{
    timer_mod_ns(timer, MIN(deadline, (uint64_t)INT64_MAX));
    qemu_cond_wait(wake, &s->lock);
}

/* ------------------------------------------------------------------------ */
/* Device address translation and DMA                                        */
/* ------------------------------------------------------------------------ */

static void ctx_tlb_drop(TesseraContext *c)
{
    memset(c->tlb, 0, sizeof(c->tlb));
    c->tlb_gen++;
}

/*
 * System-memory access for the card. Only RAM is reachable: a device that
 * DMAs into MMIO would need the BQL from a worker thread, and no driver
 * has a reason to do it, so it faults instead.
 */
static bool card_phys_rw(TesseraState *s, uint64_t pa, void *buf,
                         uint64_t len, bool is_write)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    AddressSpace *as = pci_get_address_space(pdev);
    MemoryRegion *mr;
    hwaddr xlat, l = len;
    bool ram;

    WITH_RCU_READ_LOCK_GUARD() {
        mr = address_space_translate(as, pa, &xlat, &l, is_write,
                                     MEMTXATTRS_UNSPECIFIED);
        ram = l >= len && memory_region_is_ram(mr) &&
              !(is_write && mr->readonly);
    }
    if (!ram) {
        return false;
    }
    return pci_dma_rw(pdev, pa, buf, len,
                      is_write ? DMA_DIRECTION_FROM_DEVICE :
                                 DMA_DIRECTION_TO_DEVICE,
                      MEMTXATTRS_UNSPECIFIED) == MEMTX_OK;
}

/* Translate one page of context ctx_id's paged space. Lock not held. */
static bool ctx_translate(TesseraState *s, unsigned ctx_id, uint64_t dva,
                          bool is_write, uint64_t *pa, TesseraFault *f)
{
    TesseraContext *c = &s->ctx[ctx_id];
    uint64_t vpn = dva >> TESSERA_PAGE_SHIFT;
    TesseraTlbEntry *t = &c->tlb[vpn % TESSERA_TLB_ENTRIES];
    uint64_t pte = 0, table, root;
    uint32_t gen;
    bool hit;
    int level;

    qemu_mutex_lock(&s->lock);
    hit = t->valid && t->vpn == vpn;
    if (hit) {
        pte = t->pte;
    }
    root = c->mmu_root;
    gen = c->tlb_gen;
    qemu_mutex_unlock(&s->lock);

    if (!hit) {
        /* Root 0 means "no page tables": the context has only its window. */
        table = root & TESSERA_PTE_ADDR_MASK;
        if (!table) {
            goto miss;
        }
        for (level = TESSERA_PT_LEVELS - 1; level >= 0; level--) {
            uint64_t entry_pa = table + TESSERA_PT_INDEX(dva, level) * 8;
            uint64_t raw;

            if (!card_phys_rw(s, entry_pa, &raw, sizeof(raw), false)) {
                goto miss;
            }
            pte = le64_to_cpu(raw);
            if (!(pte & TESSERA_PTE_VALID)) {
                goto miss;
            }
            table = pte & TESSERA_PTE_ADDR_MASK;
        }
        qemu_mutex_lock(&s->lock);
        if (c->tlb_gen == gen) {
            t->valid = true;
            t->vpn = vpn;
            t->pte = pte;
        }
        qemu_mutex_unlock(&s->lock);
    }
    if (is_write && !(pte & TESSERA_PTE_WRITE)) {
        f->code = TESSERA_FAULT_MMU_WRITE;
        f->addr = dva;
        return false;
    }
    *pa = (pte & TESSERA_PTE_ADDR_MASK) | (dva & (TESSERA_PAGE_SIZE - 1));
    return true;

miss:
    f->code = TESSERA_FAULT_MMU_MISS;
    f->addr = dva;
    return false;
}

/*
 * Copy len bytes between buf and context ctx_id's device address space:
 * the paged space through its MMU, or its window into device memory.
 * Lock not held. On a fault, f says where; bytes before it may have moved.
 */
static bool ctx_dma_access(TesseraState *s, unsigned ctx_id, uint64_t dva,
                           void *buf, uint64_t len, bool is_write,
                           TesseraFault *f)
{
    TesseraContext *c = &s->ctx[ctx_id];
    uint8_t *p = buf;

    if (dva >= TESSERA_DVA_VRAM_BASE) {
        uint64_t off = dva - TESSERA_DVA_VRAM_BASE;
        uint64_t base, size;

        qemu_mutex_lock(&s->lock);
        base = c->vram_base;
        size = c->vram_size;
        qemu_mutex_unlock(&s->lock);

        if (base > s->vram_size || size > s->vram_size - base ||
            off >= size || len > size - off) {
            f->code = TESSERA_FAULT_VRAM_RANGE;
            f->addr = (off < size && base <= s->vram_size &&
                       size <= s->vram_size - base) ?
                      TESSERA_DVA_VRAM_BASE + size : dva;
            return false;
        }
        if (is_write) {
            memcpy(s->vram_ptr + base + off, p, len);
            memory_region_set_dirty(&s->vram, base + off, len);
        } else {
            memcpy(p, s->vram_ptr + base + off, len);
        }
        return true;
    }
    while (len) {
        uint64_t in_page = TESSERA_PAGE_SIZE - (dva & (TESSERA_PAGE_SIZE - 1));
        uint64_t n = MIN(len, in_page);
        uint64_t pa;

        if (dva >= TESSERA_DVA_PAGED_LIMIT) {
            f->code = TESSERA_FAULT_MMU_MISS;
            f->addr = dva;
            return false;
        }
        if (!ctx_translate(s, ctx_id, dva, is_write, &pa, f)) {
            return false;
        }
        if (!card_phys_rw(s, pa, p, n, is_write)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "tessera: context %u: DMA to 0x%" PRIx64
                          " (device address 0x%" PRIx64 ") is not RAM\n",
                          ctx_id, pa, dva);
            f->code = TESSERA_FAULT_MMU_MISS;
            f->addr = dva;
            return false;
        }
        dva += n;
        p += n;
        len -= n;
    }
    return true;
}

/* An invalidation ended every access that started before it. Lock held. */
static void ctx_drain_done(TesseraState *s, TesseraContext *c)
{
    if (c->inv_done != c->inv_req) {
        c->inv_done = c->inv_req;
        qemu_cond_broadcast(&s->idle_cond);
    }
}

/*
 * Every DMA of a context, whatever unit issues it, is one access of the
 * drain barrier (CTX_TLB_INVALIDATE): it may not start while an
 * invalidation waits, and the last one to end completes the invalidation.
 * Lock not held.
 */
static bool ctx_dma(TesseraState *s, unsigned ctx_id, uint64_t dva,
                    void *buf, uint64_t len, bool is_write, TesseraFault *f)
{
    TesseraContext *c = &s->ctx[ctx_id];
    bool ok;

    if (!len) {
        return true;
    }
    qemu_mutex_lock(&s->lock);
    while (c->inv_done != c->inv_req && !s->exiting) {
        qemu_cond_wait(&s->idle_cond, &s->lock);
    }
    c->dma_active++;
    qemu_mutex_unlock(&s->lock);

    ok = ctx_dma_access(s, ctx_id, dva, buf, len, is_write, f);

    qemu_mutex_lock(&s->lock);
    if (--c->dma_active == 0) {
        ctx_drain_done(s, c);
    }
    qemu_mutex_unlock(&s->lock);
    return ok;
}

/* CTX_TLB_INVALIDATE. Lock held. */
static void ctx_invalidate(TesseraState *s, TesseraContext *c)
{
    ctx_tlb_drop(c);
    c->inv_req++;
    if (!c->dma_active) {
        ctx_drain_done(s, c);
    }
}

/* ------------------------------------------------------------------------ */
/* Contexts and engines                                                      */
/* ------------------------------------------------------------------------ */

static void ctx_fault(TesseraState *s, unsigned ctx_id, uint32_t code,
                      uint64_t addr, uint32_t index)
{
    TesseraContext *c = &s->ctx[ctx_id];

    c->faulted = true;
    c->fault_code = code;
    c->fault_addr = addr;
    c->fault_index = index;
    c->batch_depth = 0;
    c->resume = 0;
    c->cmd_run_ns = 0;
    s->error_count++;
    ctx_raise(s, ctx_id, TESSERA_CTX_INT_FAULT);
}

static bool ring_size_valid(uint32_t size)
{
    return size >= TESSERA_RING_MIN_ENTRIES &&
           size <= TESSERA_RING_MAX_ENTRIES && is_power_of_2(size);
}

static bool ctx_runnable(TesseraContext *c)
{
    return (c->config & TESSERA_CTX_CFG_ENABLE) && !c->faulted && !c->stopping;
}

static bool ctx_has_work(TesseraContext *c)
{
    return c->batch_depth > 0 || c->head != c->tail;
}

static void eng_scrub_scratch(TesseraEngine *e)
{
    unsigned i;

    /* No data of one context survives into the next (CVE-2019-14615). */
    for (i = 0; i < TESSERA_ENG_SCRATCH; i++) {
        if (e->scratch[i]) {
            memset(e->scratch[i], 0, e->scratch_len[i]);
            g_free(e->scratch[i]);
        }
        e->scratch[i] = NULL;
        e->scratch_len[i] = 0;
    }
}

static void *eng_scratch(TesseraEngine *e, unsigned slot, size_t len)
{
    if (e->scratch_len[slot] < len) {
        g_free(e->scratch[slot]);
        e->scratch[slot] = g_malloc0(len);
        e->scratch_len[slot] = len;
    }
    return e->scratch[slot];
}

/*
 * A switch is requested and may stop the running command at a checkpoint:
 * with TESSERA_ENG_CTRL_BOUNDARY_ONLY it waits for the command to end.
 */
static bool eng_preempt_req(TesseraEngine *e)
{
    return e->switch_req && !(e->control & TESSERA_ENG_CTRL_BOUNDARY_ONLY);
}

/*
 * The slice bound (ENG_SLICE_NS) passed: request a switch to no context, as
 * the host would have, dated at the bound. Lock held. True if requested.
 */
static bool eng_slice_check(TesseraEngine *e, uint64_t now)
{
    if (!e->slice_deadline || now < e->slice_deadline || e->switch_req ||
        e->cur == TESSERA_CTX_NONE) {
        return false;
    }
    e->switch_req = true;
    e->switch_req_ns = e->slice_deadline;
    e->pending = TESSERA_CTX_NONE;
    e->slice_deadline = 0;
    e->slice_stops++;
    return true;
}

/* Card time at which a switch requested at t_req stops a running BUSY. */
static uint64_t busy_switch_deadline(TesseraState *s, TesseraEngine *e,
                                     uint64_t t_req)
{
    uint64_t ckpt = s->checkpoint_ns;
    uint64_t t = MAX(t_req, e->seg_start);
    uint64_t q = e->seg_progress + (t - e->seg_start);
    uint64_t cp = DIV_ROUND_UP(q, ckpt) * ckpt;

    return e->seg_start + (cp - e->seg_progress);
}

/* Unload the current context, load the pending one. Worker, lock held. */
static void eng_do_switch(TesseraState *s, TesseraEngine *e)
{
    uint64_t done = e->cursor_valid ? e->cursor : card_now();
    uint32_t target = e->pending;

    done = MAX(done, e->switch_req_ns);
    if (e->cur != TESSERA_CTX_NONE) {
        TesseraContext *old = &s->ctx[e->cur];

        old->engine = -1;
        if (old->resume || old->batch_depth) {
            old->preemptions++;
            e->preemptions++;
        }
        e->cur = TESSERA_CTX_NONE;
    }
    eng_scrub_scratch(e);
    e->switch_req = false;
    if (target != TESSERA_CTX_NONE) {
        TesseraContext *c = &s->ctx[target];

        c->pending_engine = -1;
        if (c->engine >= 0) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "tessera: engine %u: context %u is already "
                          "loaded on engine %d\n", e->id, target, c->engine);
        } else {
            c->engine = e->id;
            e->cur = target;
        }
    }
    e->switches++;
    e->switch_lat_ns = MIN(done - e->switch_req_ns, (uint64_t)UINT32_MAX);
    e->slice_deadline = e->cur != TESSERA_CTX_NONE && e->slice_ns ?
                        done + e->slice_ns : 0;
    e->cursor = done;
    e->cursor_valid = true;
    e->worked = false;
    eng_raise(s, e, TESSERA_ENG_INT_SWITCHED);
}

/*
 * A checkpoint inside a long command: take the lock, look at the clock and
 * the reasons to stop. Returns true when the command must stop now; then
 * r->progress and r->end_time (or r->fault) say how.
 */
static bool eng_checkpoint(EngineRun *r, uint64_t progress)
{
    TesseraState *s = r->s;
    uint64_t now, ran;
    bool stop = false;

    qemu_mutex_lock(&s->lock);
    now = card_now();
    ran = r->run_before + (now - r->seg_start);
    eng_slice_check(r->e, now);
    if (s->watchdog_ns && ran > s->watchdog_ns) {
        r->fault.code = TESSERA_FAULT_WATCHDOG;
        r->fault.addr = ran;
        r->end_time = now;
        stop = true;
    } else if (s->exiting || s->quiesce_count || eng_preempt_req(r->e) ||
               r->c->gen != r->gen) {
        r->progress = progress;
        r->end_time = now;
        stop = true;
    }
    qemu_mutex_unlock(&s->lock);
    return stop;
}

#define CHECKPOINT(r, prog, first)                                      \
    do {                                                                \
        if (!(first) && eng_checkpoint((r), (prog))) {                  \
            return (r)->fault.code ? RUN_FAULT : RUN_STOPPED;           \
        }                                                               \
    } while (0)

static RunResult run_fault(EngineRun *r, uint32_t code, uint64_t addr)
{
    r->fault.code = code;
    r->fault.addr = addr;
    return RUN_FAULT;
}

static bool args_zero_from(const TesseraCmd *cmd, unsigned first)
{
    unsigned i;

    for (i = first; i < ARRAY_SIZE(cmd->arg); i++) {
        if (cmd->arg[i]) {
            return false;
        }
    }
    return true;
}

static bool range_ok(uint64_t addr, uint64_t len)
{
    return len <= UINT64_MAX - addr;
}

static RunResult exec_fence(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t addr = cmd->arg[0];
    uint64_t val = cpu_to_le64(cmd->arg[1]);

    if ((cmd->flags & ~TESSERA_FENCE_IRQ) || cmd->param ||
        !args_zero_from(cmd, 2) || (addr & 7)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, addr);
    }
    if (addr && !ctx_dma(r->s, r->ctx_id, addr, &val, 8, true, &r->fault)) {
        return RUN_FAULT;
    }
    r->fence_value = cmd->arg[1];
    r->fence_irq = cmd->flags & TESSERA_FENCE_IRQ;
    return RUN_DONE;
}

static RunResult exec_fill(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t dst = cmd->arg[0], bytes = cmd->arg[1], off;
    uint32_t *buf;
    size_t i;

    if (cmd->flags || !args_zero_from(cmd, 2) || (bytes & 3) ||
        bytes > TESSERA_MAX_XFER_BYTES || !range_ok(dst, bytes)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, bytes);
    }
    buf = eng_scratch(r->e, 0, TESSERA_XFER_CHUNK);
    for (i = 0; i < TESSERA_XFER_CHUNK / 4; i++) {
        buf[i] = cpu_to_le32(cmd->param);
    }
    for (off = r->resume; off < bytes; off += TESSERA_XFER_CHUNK) {
        uint64_t n = MIN(bytes - off, TESSERA_XFER_CHUNK);

        CHECKPOINT(r, off, off == r->resume);
        if (!ctx_dma(r->s, r->ctx_id, dst + off, buf, n, true, &r->fault)) {
            return RUN_FAULT;
        }
    }
    return RUN_DONE;
}

static bool ranges_overlap64(uint64_t a, uint64_t b, uint64_t len)
{
    return len && a < b + len && b < a + len;
}

static RunResult exec_copy(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t dst = cmd->arg[0], src = cmd->arg[1], bytes = cmd->arg[2], off;
    uint8_t *buf;

    if (cmd->flags || cmd->param || !args_zero_from(cmd, 3) ||
        bytes > TESSERA_MAX_XFER_BYTES || !range_ok(dst, bytes) ||
        !range_ok(src, bytes) || ranges_overlap64(dst, src, bytes)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, bytes);
    }
    buf = eng_scratch(r->e, 0, TESSERA_XFER_CHUNK);
    for (off = r->resume; off < bytes; off += TESSERA_XFER_CHUNK) {
        uint64_t n = MIN(bytes - off, TESSERA_XFER_CHUNK);

        CHECKPOINT(r, off, off == r->resume);
        if (!ctx_dma(r->s, r->ctx_id, src + off, buf, n, false, &r->fault) ||
            !ctx_dma(r->s, r->ctx_id, dst + off, buf, n, true, &r->fault)) {
            return RUN_FAULT;
        }
    }
    return RUN_DONE;
}

static float f32_from_le(uint32_t v)
{
    union { uint32_t u; float f; } x = { .u = le32_to_cpu(v) };

    return x.f;
}

static uint32_t f32_to_le(float f)
{
    union { uint32_t u; float f; } x = { .f = f };

    return cpu_to_le32(x.u);
}

static void f32_buf_from_le(float *v, size_t n)
{
    uint32_t *u = (uint32_t *)v;
    size_t i;

    for (i = 0; i < n; i++) {
        v[i] = f32_from_le(u[i]);
    }
}

static void f32_buf_to_le(float *v, size_t n)
{
    uint32_t *u = (uint32_t *)v;
    size_t i;

    for (i = 0; i < n; i++) {
        u[i] = f32_to_le(v[i]);
    }
}

static RunResult exec_elemwise(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t dst = cmd->arg[0], a = cmd->arg[1], b = cmd->arg[2];
    uint64_t count = cmd->arg[3], i;
    uint32_t op = cmd->param;
    float *va, *vb;

    if (cmd->flags || op >= TESSERA_EW_NUM_OPS || !args_zero_from(cmd, 4) ||
        (op == TESSERA_EW_RELU && b) ||
        count > TESSERA_MAX_XFER_BYTES / 4 || !range_ok(dst, count * 4) ||
        !range_ok(a, count * 4) || !range_ok(b, count * 4)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, count);
    }
    va = eng_scratch(r->e, 0, TESSERA_EW_CHUNK * 4);
    vb = eng_scratch(r->e, 1, TESSERA_EW_CHUNK * 4);
    for (i = r->resume; i < count; i += TESSERA_EW_CHUNK) {
        uint64_t n = MIN(count - i, TESSERA_EW_CHUNK), j;

        CHECKPOINT(r, i, i == r->resume);
        if (!ctx_dma(r->s, r->ctx_id, a + i * 4, va, n * 4, false,
                     &r->fault)) {
            return RUN_FAULT;
        }
        f32_buf_from_le(va, n);
        if (op != TESSERA_EW_RELU) {
            if (!ctx_dma(r->s, r->ctx_id, b + i * 4, vb, n * 4, false,
                         &r->fault)) {
                return RUN_FAULT;
            }
            f32_buf_from_le(vb, n);
        }
        for (j = 0; j < n; j++) {
            switch (op) {
            case TESSERA_EW_ADD:
                va[j] = va[j] + vb[j];
                break;
            case TESSERA_EW_MUL:
                va[j] = va[j] * vb[j];
                break;
            default:
                va[j] = va[j] > 0.0f ? va[j] : 0.0f;
                break;
            }
        }
        f32_buf_to_le(va, n);
        if (!ctx_dma(r->s, r->ctx_id, dst + i * 4, va, n * 4, true,
                     &r->fault)) {
            return RUN_FAULT;
        }
    }
    return RUN_DONE;
}

/* c[rows][n] (+)= a[rows][k] * b[k][n], fp32, i-k-j order. */
static void gemm_block(float *c, const float *a, const float *b,
                       uint64_t rows, uint64_t n, uint64_t k)
{
    uint64_t i, j, l;

    for (i = 0; i < rows; i++) {
        float *ci = c + i * n;

        for (l = 0; l < k; l++) {
            float ail = a[i * k + l];
            const float *bl = b + l * n;

            for (j = 0; j < n; j++) {
                ci[j] += ail * bl[j];
            }
        }
    }
}

static bool gemm_dims_ok(uint64_t m, uint64_t n, uint64_t k, uint64_t max)
{
    return m >= 1 && n >= 1 && k >= 1 && m <= max && n <= max && k <= max;
}

static RunResult exec_gemm(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t pa = cmd->arg[0], pb = cmd->arg[1], pc = cmd->arg[2];
    uint64_t m = cmd->arg[3], n = cmd->arg[4], k = cmd->arg[5];
    uint64_t rows_per_block, row;
    bool acc = cmd->flags & TESSERA_GEMM_ACCUMULATE;
    float *a, *b, *c;

    if ((cmd->flags & ~TESSERA_GEMM_ACCUMULATE) || cmd->param ||
        !args_zero_from(cmd, 6) ||
        !gemm_dims_ok(m, n, k, TESSERA_GEMM_MAX_DIM) ||
        (pa & 3) || (pb & 3) || (pc & 3) || !range_ok(pa, m * k * 4) ||
        !range_ok(pb, k * n * 4) || !range_ok(pc, m * n * 4)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, m | n << 16 | k << 32);
    }
    rows_per_block = MAX(1, TESSERA_GEMM_BLOCK_MACS / (n * k));
    rows_per_block = MIN(rows_per_block, m);
    b = eng_scratch(r->e, 0, k * n * 4);
    a = eng_scratch(r->e, 1, rows_per_block * k * 4);
    c = eng_scratch(r->e, 2, rows_per_block * n * 4);
    if (!ctx_dma(r->s, r->ctx_id, pb, b, k * n * 4, false, &r->fault)) {
        return RUN_FAULT;
    }
    f32_buf_from_le(b, k * n);
    for (row = r->resume; row < m; row += rows_per_block) {
        uint64_t rows = MIN(rows_per_block, m - row);

        CHECKPOINT(r, row, row == r->resume);
        if (!ctx_dma(r->s, r->ctx_id, pa + row * k * 4, a, rows * k * 4,
                     false, &r->fault)) {
            return RUN_FAULT;
        }
        f32_buf_from_le(a, rows * k);
        if (acc) {
            if (!ctx_dma(r->s, r->ctx_id, pc + row * n * 4, c, rows * n * 4,
                         false, &r->fault)) {
                return RUN_FAULT;
            }
            f32_buf_from_le(c, rows * n);
        } else {
            memset(c, 0, rows * n * 4);
        }
        gemm_block(c, a, b, rows, n, k);
        f32_buf_to_le(c, rows * n);
        if (!ctx_dma(r->s, r->ctx_id, pc + row * n * 4, c, rows * n * 4,
                     true, &r->fault)) {
            return RUN_FAULT;
        }
    }
    return RUN_DONE;
}

/*
 * BUSY occupies the engine for a span of card time. It keeps its own
 * timeline: it ends, faults or stops at exact deadlines (the end, the
 * watchdog bound, the first checkpoint after a switch request), however
 * late the worker wakes, so its card time never drifts.
 */
static RunResult exec_busy(EngineRun *r, const TesseraCmd *cmd)
{
    TesseraState *s = r->s;
    TesseraEngine *e = r->e;
    uint64_t total, p0 = r->resume, seg = r->seg_start;
    RunResult res;

    if (cmd->flags || cmd->param || !args_zero_from(cmd, 1) ||
        cmd->arg[0] > TESSERA_MAX_BUSY_US) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, cmd->arg[0]);
    }
    total = cmd->arg[0] * 1000;
    if (p0 > total) {
        p0 = total;
    }

    qemu_mutex_lock(&s->lock);
    e->run_is_busy = true;
    e->seg_progress = p0;
    for (;;) {
        uint64_t now = card_now();
        uint64_t end_dl = seg + (total - p0);
        uint64_t wd_dl = UINT64_MAX, sw_dl = UINT64_MAX, dl;

        eng_slice_check(e, now);
        if (s->watchdog_ns) {
            wd_dl = r->run_before >= s->watchdog_ns ?
                    seg : seg + (s->watchdog_ns - r->run_before);
        }
        if (eng_preempt_req(e)) {
            sw_dl = busy_switch_deadline(s, e, e->switch_req_ns);
        }
        dl = MIN(end_dl, MIN(wd_dl, sw_dl));
        if (now >= dl) {
            r->end_time = dl;
            if (wd_dl == dl && wd_dl < end_dl) {
                r->fault.code = TESSERA_FAULT_WATCHDOG;
                r->fault.addr = r->run_before + (dl - seg);
                res = RUN_FAULT;
            } else if (sw_dl == dl && sw_dl < end_dl) {
                r->progress = p0 + (dl - seg);
                res = RUN_STOPPED;
            } else {
                res = RUN_DONE;
            }
            break;
        }
        if (s->quiesce_count || s->exiting || r->c->gen != r->gen) {
            r->end_time = now;
            r->progress = p0 + (now - seg);
            res = RUN_STOPPED;
            break;
        }
        e->live_cap = dl;
        /* Wake at the slice bound too; it does not cap the counters. */
        worker_sleep_until(s, &e->wake, &e->timer,
                           e->slice_deadline && !e->switch_req ?
                           MIN(dl, e->slice_deadline) : dl);
    }
    e->run_is_busy = false;
    e->live_cap = UINT64_MAX;
    qemu_mutex_unlock(&s->lock);
    return res;
}

static RunResult exec_batch(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t base = cmd->arg[0], count = cmd->arg[1];

    if (cmd->flags || cmd->param || !args_zero_from(cmd, 2) ||
        (base & (TESSERA_CMD_SIZE - 1)) || count == 0 ||
        count > TESSERA_MAX_BATCH_CMDS ||
        !range_ok(base, count * TESSERA_CMD_SIZE)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, base);
    }
    r->batch_base = base;
    r->batch_count = count;
    return RUN_PUSH_BATCH;
}

static bool card_reg_write(TesseraState *s, hwaddr addr, uint32_t val,
                           bool from_ring);

static RunResult exec_reg_write(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t off = cmd->arg[0], val = cmd->arg[1];
    TesseraState *s = r->s;
    bool ok;

    if (cmd->flags || cmd->param || !args_zero_from(cmd, 2) ||
        off >= TESSERA_BAR0_SIZE || (off & 3) || val > UINT32_MAX) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, off);
    }
    qemu_mutex_lock(&s->lock);
    ok = r->c->gen != r->gen || card_reg_write(s, off, val, true);
    qemu_mutex_unlock(&s->lock);
    return ok ? RUN_DONE : run_fault(r, TESSERA_FAULT_BAD_ARG, off);
}

static RunResult exec_mmu_update(EngineRun *r, const TesseraCmd *cmd)
{
    uint64_t target = cmd->arg[0], root = cmd->arg[1];
    TesseraState *s = r->s;

    if (cmd->flags || cmd->param || !args_zero_from(cmd, 2) ||
        target >= s->num_contexts || (root & ~TESSERA_PTE_ADDR_MASK)) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, target);
    }
    qemu_mutex_lock(&s->lock);
    if (r->c->gen == r->gen) {
        s->ctx[target].mmu_root = root;
        ctx_tlb_drop(&s->ctx[target]);
    }
    qemu_mutex_unlock(&s->lock);
    return RUN_DONE;
}

static void cmd_decode(TesseraCmd *cmd, const uint8_t *raw)
{
    unsigned i;

    cmd->opcode = raw[0];
    cmd->flags = raw[1];
    cmd->reserved = lduw_le_p(raw + 2);
    cmd->param = ldl_le_p(raw + 4);
    for (i = 0; i < ARRAY_SIZE(cmd->arg); i++) {
        cmd->arg[i] = ldq_le_p(raw + 8 + i * 8);
    }
}

static RunResult eng_execute(EngineRun *r, const TesseraCmd *cmd)
{
    switch (cmd->opcode) {
    case TESSERA_OP_NOP:
    case TESSERA_OP_FENCE:
    case TESSERA_OP_FILL:
    case TESSERA_OP_COPY:
    case TESSERA_OP_GEMM:
    case TESSERA_OP_ELEMWISE:
    case TESSERA_OP_BUSY:
    case TESSERA_OP_BATCH:
    case TESSERA_OP_REG_WRITE:
    case TESSERA_OP_MMU_UPDATE:
        break;
    default:
        return run_fault(r, TESSERA_FAULT_BAD_OPCODE, cmd->opcode);
    }
    if (cmd->opcode >= TESSERA_OP_PRIVILEGED_FIRST && !r->priv) {
        return run_fault(r, TESSERA_FAULT_PRIV, cmd->opcode);
    }
    if (cmd->reserved) {
        return run_fault(r, TESSERA_FAULT_BAD_ARG, cmd->reserved);
    }
    switch (cmd->opcode) {
    case TESSERA_OP_NOP:
        if (cmd->flags || cmd->param || !args_zero_from(cmd, 0)) {
            return run_fault(r, TESSERA_FAULT_BAD_ARG, 0);
        }
        return RUN_DONE;
    case TESSERA_OP_FENCE:
        return exec_fence(r, cmd);
    case TESSERA_OP_FILL:
        return exec_fill(r, cmd);
    case TESSERA_OP_COPY:
        return exec_copy(r, cmd);
    case TESSERA_OP_GEMM:
        return exec_gemm(r, cmd);
    case TESSERA_OP_ELEMWISE:
        return exec_elemwise(r, cmd);
    case TESSERA_OP_BUSY:
        return exec_busy(r, cmd);
    case TESSERA_OP_BATCH:
        return exec_batch(r, cmd);
    case TESSERA_OP_REG_WRITE:
        return exec_reg_write(r, cmd);
    default:
        return exec_mmu_update(r, cmd);
    }
}

/* The position after the command at the current position completed. */
static void ctx_advance(TesseraState *s, TesseraContext *c)
{
    c->resume = 0;
    c->cmd_run_ns = 0;
    if (c->batch_depth) {
        c->batch[c->batch_depth - 1].index++;
        return;
    }
    c->head = (c->head + 1) & (c->ring_size - 1);
    c->cmds_done++;
}

/*
 * Fetch and run the command at context cur's current position. Called by
 * the engine worker with the lock held; drops it while the command runs.
 */
static void eng_run_one(TesseraState *s, TesseraEngine *e)
{
    unsigned ctx_id = e->cur;
    TesseraContext *c = &s->ctx[ctx_id];
    EngineRun r = {
        .s = s, .e = e, .c = c, .ctx_id = ctx_id, .gen = c->gen,
        .ring_index = c->head, .priv = c->config & TESSERA_CTX_CFG_PRIV,
        .run_before = c->cmd_run_ns, .resume = c->resume,
    };
    uint8_t raw[TESSERA_CMD_SIZE];
    TesseraCmd cmd;
    RunResult res;
    uint64_t cmd_addr, elapsed;

    /* Finished second-level buffers return to their parent. */
    if (c->batch_depth) {
        TesseraBatchFrame *fr = &c->batch[c->batch_depth - 1];

        if (fr->index >= fr->count) {
            c->batch_depth--;
            ctx_advance(s, c);
            return;
        }
        cmd_addr = fr->base + (uint64_t)fr->index * TESSERA_CMD_SIZE;
    } else {
        if (!ring_size_valid(c->ring_size) ||
            (c->ring_base & (TESSERA_CMD_SIZE - 1)) ||
            c->tail >= c->ring_size || c->head >= c->ring_size) {
            ctx_fault(s, ctx_id, TESSERA_FAULT_RING, c->ring_base, c->head);
            return;
        }
        cmd_addr = c->ring_base + (uint64_t)c->head * TESSERA_CMD_SIZE;
    }

    if (!e->cursor_valid) {
        e->cursor = card_now();
        e->cursor_valid = true;
    }
    r.seg_start = e->cursor;
    e->seg_start = r.seg_start;
    e->live_cap = UINT64_MAX;
    e->running = true;
    e->worked = true;
    qemu_mutex_unlock(&s->lock);

    if (!ctx_dma(s, ctx_id, cmd_addr, raw, sizeof(raw), false, &r.fault)) {
        res = RUN_FAULT;
    } else {
        cmd_decode(&cmd, raw);
        res = eng_execute(&r, &cmd);
    }

    qemu_mutex_lock(&s->lock);
    e->running = false;
    qemu_cond_broadcast(&s->idle_cond);
    if (!r.end_time) {
        /* BUSY and checkpoints set it; everything else ends now. */
        r.end_time = card_now();
    }
    r.end_time = MAX(r.end_time, r.seg_start);
    e->cursor = r.end_time;
    if (c->gen != r.gen || e->cur != ctx_id) {
        /* The context was reset while the command ran: drop the result. */
        return;
    }
    elapsed = r.end_time - r.seg_start;
    c->busy_ns += elapsed;
    e->busy_ns += elapsed;

    switch (res) {
    case RUN_DONE:
        if (cmd.opcode == TESSERA_OP_FENCE) {
            c->fence = r.fence_value;
            if (r.fence_irq) {
                ctx_raise(s, ctx_id, TESSERA_CTX_INT_FENCE);
            }
        }
        ctx_advance(s, c);
        break;
    case RUN_PUSH_BATCH:
        if (c->batch_depth >= TESSERA_MAX_BATCH_DEPTH) {
            ctx_fault(s, ctx_id, TESSERA_FAULT_BATCH_DEPTH, r.batch_base,
                      r.ring_index);
            break;
        }
        c->batch[c->batch_depth].base = r.batch_base;
        c->batch[c->batch_depth].count = r.batch_count;
        c->batch[c->batch_depth].index = 0;
        c->batch_depth++;
        c->resume = 0;
        c->cmd_run_ns = 0;
        break;
    case RUN_STOPPED:
        c->resume = r.progress;
        c->resume_op = cmd.opcode;
        c->cmd_run_ns = r.run_before + elapsed;
        break;
    case RUN_FAULT:
        ctx_fault(s, ctx_id, r.fault.code, r.fault.addr, r.ring_index);
        break;
    }
}

static void *eng_thread(void *opaque)
{
    TesseraEngine *e = opaque;
    TesseraState *s = e->card;

    qemu_mutex_lock(&s->lock);
    while (!s->exiting) {
        TesseraContext *c;

        if (s->quiesce_count) {
            worker_park(s, &e->parked, &e->wake);
            e->cursor_valid = false;
            continue;
        }
        if (e->switch_req || eng_slice_check(e, card_now())) {
            eng_do_switch(s, e);
            continue;
        }
        c = e->cur == TESSERA_CTX_NONE ? NULL : &s->ctx[e->cur];
        if (!c || !ctx_runnable(c) || !ctx_has_work(c)) {
            if (c && e->worked && ctx_runnable(c)) {
                e->worked = false;
                eng_raise(s, e, TESSERA_ENG_INT_IDLE);
                ctx_raise(s, e->cur, TESSERA_CTX_INT_IDLE);
            }
            e->cursor_valid = false;
            qemu_cond_wait(&e->wake, &s->lock);
            continue;
        }
        eng_run_one(s, e);
    }
    qemu_mutex_unlock(&s->lock);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Regions                                                                   */
/* ------------------------------------------------------------------------ */

static uint64_t cfg_bytes_to_ns(TesseraState *s, uint64_t bytes)
{
    /* KiB per ms = 1024 bytes per 1e6 ns. */
    return DIV_ROUND_UP(bytes * 1000000ull, (uint64_t)s->config_bw * 1024);
}

/* Read granule: about TESSERA_CFG_CHUNK_NS of card time, 4K..256K. */
static uint32_t cfg_chunk_bytes(TesseraState *s)
{
    uint64_t bytes = (uint64_t)s->config_bw * 1024 * TESSERA_CFG_CHUNK_NS /
                     1000000;

    return QEMU_ALIGN_UP(MIN(MAX(bytes, 4 * KiB), 256 * KiB), 4 * KiB);
}

static void rgn_config_finish(TesseraState *s, TesseraRegion *r,
                              uint32_t status)
{
    r->cfg_status = status;
    r->config_ns = card_now() - r->cfg_start_ns;
    if (status == TESSERA_RGN_CFG_LOADED) {
        r->function = r->cfg_function;
        r->jobs_done = 0;
        r->job_status = TESSERA_RGN_JOB_IDLE;
        r->result = 0;
    } else {
        s->error_count++;
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: region %u: image rejected, status %u\n",
                      r->id, status);
    }
    rgn_raise(s, r, TESSERA_RGN_INT_CONFIG_DONE);
}

static uint32_t bitstream_check_header(TesseraState *s, TesseraRegion *r,
                                       const uint8_t *raw)
{
    uint32_t magic = ldl_le_p(raw);
    uint16_t version = lduw_le_p(raw + 4);
    uint16_t header_size = lduw_le_p(raw + 6);
    uint32_t function = ldl_le_p(raw + 8);
    uint32_t flags = ldl_le_p(raw + 12);
    uint64_t payload = ldq_le_p(raw + 16);
    uint32_t crc = ldl_le_p(raw + 24);
    uint32_t reserved = ldl_le_p(raw + 28);

    if (magic != TESSERA_BITSTREAM_MAGIC ||
        version != TESSERA_BITSTREAM_VERSION ||
        header_size != TESSERA_BITSTREAM_HEADER_SIZE || flags || reserved) {
        return TESSERA_RGN_CFG_ERR_MAGIC;
    }
    if (function == TESSERA_FN_NONE || function >= TESSERA_NUM_FUNCTIONS) {
        return TESSERA_RGN_CFG_ERR_FUNCTION;
    }
    if (payload > s->region_capacity ||
        payload != (uint64_t)r->cfg_size - TESSERA_BITSTREAM_HEADER_SIZE) {
        return TESSERA_RGN_CFG_ERR_SIZE;
    }
    r->cfg_function = function;
    r->cfg_expect_crc = crc;
    return TESSERA_RGN_CFG_LOADING;
}

/*
 * One step of a load: wait for the card-time deadline of what was read,
 * or read the header, or read one chunk, or finish. Lock held; dropped
 * while reading. Returning lets the worker loop park for a quiesce.
 */
/* The region's worker is back under the lock: a reset may go on. */
static void rgn_idle(TesseraState *s, TesseraRegion *r)
{
    r->active = false;
    qemu_cond_broadcast(&s->idle_cond);
}

static void rgn_config_step(TesseraState *s, TesseraRegion *r)
{
    uint64_t deadline = r->cfg_start_ns + cfg_bytes_to_ns(s, r->cfg_done);
    uint32_t gen = r->gen, n, status;
    TesseraFault f = { 0 };
    uint8_t *buf;
    bool ok;

    if (card_now() < deadline) {
        worker_sleep_until(s, &r->wake, &r->timer, deadline);
        return;
    }
    if (!r->cfg_header_ok) {
        uint8_t raw[TESSERA_BITSTREAM_HEADER_SIZE];

        if (r->cfg_size < TESSERA_BITSTREAM_HEADER_SIZE) {
            rgn_config_finish(s, r, TESSERA_RGN_CFG_ERR_SIZE);
            return;
        }
        r->active = true;
        qemu_mutex_unlock(&s->lock);
        ok = ctx_dma(s, r->cfg_ctx, r->cfg_addr, raw, sizeof(raw), false, &f);
        qemu_mutex_lock(&s->lock);
        rgn_idle(s, r);
        if (r->gen != gen) {
            return;
        }
        if (!ok) {
            r->fault_code = f.code;
            r->fault_addr = f.addr;
            rgn_config_finish(s, r, TESSERA_RGN_CFG_ERR_MMU);
            return;
        }
        status = bitstream_check_header(s, r, raw);
        if (status != TESSERA_RGN_CFG_LOADING) {
            rgn_config_finish(s, r, status);
            return;
        }
        r->cfg_header_ok = true;
        r->cfg_done = TESSERA_BITSTREAM_HEADER_SIZE;
        r->cfg_crc = crc32(0, NULL, 0);
        return;
    }
    if (r->cfg_done < r->cfg_size) {
        uint64_t addr = r->cfg_addr + r->cfg_done;
        uint32_t crc = r->cfg_crc;

        n = MIN(r->cfg_size - r->cfg_done, cfg_chunk_bytes(s));
        r->active = true;
        qemu_mutex_unlock(&s->lock);
        buf = g_malloc(n);
        ok = ctx_dma(s, r->cfg_ctx, addr, buf, n, false, &f);
        if (ok) {
            crc = crc32(crc, buf, n);
        }
        g_free(buf);
        qemu_mutex_lock(&s->lock);
        rgn_idle(s, r);
        if (r->gen != gen) {
            return;
        }
        if (!ok) {
            r->fault_code = f.code;
            r->fault_addr = f.addr;
            rgn_config_finish(s, r, TESSERA_RGN_CFG_ERR_MMU);
            return;
        }
        r->cfg_crc = crc;
        r->cfg_done += n;
        return;
    }
    rgn_config_finish(s, r, r->cfg_crc == r->cfg_expect_crc ?
                            TESSERA_RGN_CFG_LOADED :
                            TESSERA_RGN_CFG_ERR_CHECKSUM);
}

static bool rgn_read_f32(TesseraState *s, unsigned ctx, uint64_t addr,
                         float *v, uint64_t n, TesseraFault *f)
{
    if (!ctx_dma(s, ctx, addr, v, n * 4, false, f)) {
        return false;
    }
    f32_buf_from_le(v, n);
    return true;
}

static bool rgn_job_vadd(TesseraState *s, unsigned ctx, const uint64_t *arg,
                         TesseraFault *f)
{
    uint64_t count = arg[3], i;
    float *a, *b;
    bool ok = true;

    if (arg[4] || arg[5] || count > TESSERA_FN_MAX_BYTES / 4 ||
        !range_ok(arg[0], count * 4) || !range_ok(arg[1], count * 4) ||
        !range_ok(arg[2], count * 4)) {
        f->code = TESSERA_FAULT_BAD_ARG;
        f->addr = count;
        return false;
    }
    a = g_new(float, TESSERA_EW_CHUNK);
    b = g_new(float, TESSERA_EW_CHUNK);
    for (i = 0; ok && i < count; i += TESSERA_EW_CHUNK) {
        uint64_t n = MIN(count - i, TESSERA_EW_CHUNK), j;

        ok = rgn_read_f32(s, ctx, arg[1] + i * 4, a, n, f) &&
             rgn_read_f32(s, ctx, arg[2] + i * 4, b, n, f);
        if (ok) {
            for (j = 0; j < n; j++) {
                a[j] += b[j];
            }
            f32_buf_to_le(a, n);
            ok = ctx_dma(s, ctx, arg[0] + i * 4, a, n * 4, true, f);
        }
    }
    g_free(a);
    g_free(b);
    return ok;
}

static bool rgn_job_crc32(TesseraState *s, unsigned ctx, const uint64_t *arg,
                          uint64_t *result, TesseraFault *f)
{
    uint64_t bytes = arg[3], off;
    uint32_t crc = crc32(0, NULL, 0);
    uint8_t *buf;
    bool ok = true;

    if (arg[0] || arg[2] || arg[4] || arg[5] ||
        bytes > TESSERA_FN_MAX_BYTES || !range_ok(arg[1], bytes)) {
        f->code = TESSERA_FAULT_BAD_ARG;
        f->addr = bytes;
        return false;
    }
    buf = g_malloc(TESSERA_XFER_CHUNK);
    for (off = 0; ok && off < bytes; off += TESSERA_XFER_CHUNK) {
        uint64_t n = MIN(bytes - off, TESSERA_XFER_CHUNK);

        ok = ctx_dma(s, ctx, arg[1] + off, buf, n, false, f);
        if (ok) {
            crc = crc32(crc, buf, n);
        }
    }
    g_free(buf);
    *result = crc;
    return ok;
}

static bool rgn_job_gemm_tile(TesseraState *s, unsigned ctx,
                              const uint64_t *arg, TesseraFault *f)
{
    uint64_t m = arg[3] & 0xffff, n = (arg[3] >> 16) & 0xffff;
    uint64_t k = (arg[3] >> 32) & 0xffff;
    float *a, *b, *c;
    bool ok;

    if (arg[4] || arg[5] || (arg[3] >> 48) ||
        !gemm_dims_ok(m, n, k, TESSERA_FN_GEMM_TILE_MAX) ||
        !range_ok(arg[0], m * n * 4) || !range_ok(arg[1], m * k * 4) ||
        !range_ok(arg[2], k * n * 4)) {
        f->code = TESSERA_FAULT_BAD_ARG;
        f->addr = arg[3];
        return false;
    }
    a = g_new(float, m * k);
    b = g_new(float, k * n);
    c = g_new0(float, m * n);
    ok = rgn_read_f32(s, ctx, arg[1], a, m * k, f) &&
         rgn_read_f32(s, ctx, arg[2], b, k * n, f);
    if (ok) {
        gemm_block(c, a, b, m, n, k);
        f32_buf_to_le(c, m * n);
        ok = ctx_dma(s, ctx, arg[0], c, m * n * 4, true, f);
    }
    g_free(a);
    g_free(b);
    g_free(c);
    return ok;
}

/* Run the started job to completion (jobs are short). Lock held. */
static void rgn_run_job(TesseraState *s, TesseraRegion *r)
{
    uint64_t args[TESSERA_RGN_USER_NUM_ARGS], result = 0, start;
    uint32_t function = r->function, gen = r->gen;
    unsigned ctx = r->ctx;
    TesseraFault f = { 0 };
    bool ok;

    memcpy(args, r->args, sizeof(args));
    start = card_now();
    r->active = true;
    qemu_mutex_unlock(&s->lock);
    switch (function) {
    case TESSERA_FN_VADD:
        ok = rgn_job_vadd(s, ctx, args, &f);
        break;
    case TESSERA_FN_CRC32:
        ok = rgn_job_crc32(s, ctx, args, &result, &f);
        break;
    default:
        ok = rgn_job_gemm_tile(s, ctx, args, &f);
        break;
    }
    qemu_mutex_lock(&s->lock);
    rgn_idle(s, r);
    if (r->gen != gen) {
        return;
    }
    r->busy_ns += card_now() - start;
    if (ok) {
        r->result = result;
        r->jobs_done++;
        r->job_status = TESSERA_RGN_JOB_DONE;
        rgn_raise(s, r, TESSERA_RGN_INT_JOB_DONE);
    } else {
        r->fault_code = f.code;
        r->fault_addr = f.addr;
        r->job_status = TESSERA_RGN_JOB_FAULT;
        s->error_count++;
        rgn_raise(s, r, TESSERA_RGN_INT_JOB_FAULT);
    }
}

static void *rgn_thread(void *opaque)
{
    TesseraRegion *r = opaque;
    TesseraState *s = r->card;

    qemu_mutex_lock(&s->lock);
    while (!s->exiting) {
        if (s->quiesce_count) {
            worker_park(s, &r->parked, &r->wake);
        } else if (r->cfg_status == TESSERA_RGN_CFG_LOADING) {
            rgn_config_step(s, r);
        } else if (r->job_status == TESSERA_RGN_JOB_RUNNING) {
            rgn_run_job(s, r);
        } else {
            qemu_cond_wait(&r->wake, &s->lock);
        }
    }
    qemu_mutex_unlock(&s->lock);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Resets                                                                    */
/* ------------------------------------------------------------------------ */

/* Workers are parked (or not started). */
static void ctx_reset_state(TesseraContext *c, bool full)
{
    uint32_t gen = c->gen + 1;
    int engine = c->engine, pending = c->pending_engine;

    if (full) {
        memset(c, 0, sizeof(*c));
        c->engine = -1;
        c->pending_engine = -1;
    } else {
        c->head = 0;
        c->tail = 0;
        c->faulted = false;
        c->fault_code = 0;
        c->fault_addr = 0;
        c->fault_index = 0;
        c->resume = 0;
        c->cmd_run_ns = 0;
        c->batch_depth = 0;
        memset(c->batch, 0, sizeof(c->batch));
        c->engine = engine;
        c->pending_engine = pending;
    }
    c->gen = gen;
    ctx_tlb_drop(c);
}

static void rgn_reset_state(TesseraRegion *r)
{
    TesseraState *card = r->card;
    unsigned id = r->id;
    uint32_t gen = r->gen + 1;

    memset(&r->ctx, 0, sizeof(*r) - offsetof(TesseraRegion, ctx));
    r->card = card;
    r->id = id;
    r->gen = gen;
    r->cfg_status = TESSERA_RGN_CFG_EMPTY;
    r->job_status = TESSERA_RGN_JOB_IDLE;
}

/*
 * CTX_RESET: stop one context without stalling the others. The engine that
 * runs it sees the new generation at its next checkpoint (a BUSY at once,
 * being woken) and drops the command's result; meanwhile the context is not
 * runnable, so the engine cannot pick the same command up again. Lock held;
 * waits (dropping it) only for that engine.
 */
static void ctx_stop_locked(TesseraState *s, unsigned ctx_id)
{
    TesseraContext *c = &s->ctx[ctx_id];

    c->stopping = true;
    c->gen++;
    while (c->engine >= 0 && !s->exiting) {
        TesseraEngine *e = &s->eng[c->engine];

        if (!e->running || e->cur != ctx_id) {
            break;
        }
        qemu_cond_broadcast(&e->wake);
        qemu_cond_wait(&s->idle_cond, &s->lock);
    }
    ctx_reset_state(c, false);
    c->stopping = false;
}

/*
 * RGN_RESET: a job is not preemptible, so wait for this region's worker
 * to come back under the lock; the new generation drops its result. Lock
 * held; never waits for another region or an engine.
 */
static void rgn_stop_locked(TesseraState *s, TesseraRegion *r)
{
    r->gen++;
    qemu_cond_broadcast(&r->wake);
    while (r->active && !s->exiting) {
        qemu_cond_wait(&s->idle_cond, &s->lock);
    }
}

/* RGN_RESET_CLEAR: nothing of the last tenant stays readable. */
static void rgn_clear_state(TesseraRegion *r)
{
    r->ctx = 0;
    r->image_addr = 0;
    r->image_size = 0;
    r->cfg_status = TESSERA_RGN_CFG_EMPTY;
    r->function = TESSERA_FN_NONE;
    r->config_ns = 0;
    r->busy_ns = 0;
    r->int_status = 0;
    r->fault_code = 0;
    r->fault_addr = 0;
    memset(r->args, 0, sizeof(r->args));
    r->job_status = TESSERA_RGN_JOB_IDLE;
    r->result = 0;
    r->jobs_done = 0;
    r->cfg_start_ns = 0;
    r->cfg_addr = 0;
    r->cfg_size = 0;
    r->cfg_ctx = 0;
    r->cfg_done = 0;
    r->cfg_crc = 0;
    r->cfg_expect_crc = 0;
    r->cfg_function = 0;
    r->cfg_header_ok = false;
}

static void eng_reset_state(TesseraEngine *e)
{
    e->cur = TESSERA_CTX_NONE;
    e->pending = TESSERA_CTX_NONE;
    e->switch_req = false;
    e->switch_req_ns = 0;
    e->int_status = 0;
    e->int_enable = 0;
    e->busy_ns = 0;
    e->switches = 0;
    e->switch_lat_ns = 0;
    e->preemptions = 0;
    e->control = 0;
    e->slice_ns = 0;
    e->slice_deadline = 0;
    e->slice_stops = 0;
    e->running = false;
    e->cursor_valid = false;
    e->worked = false;
    e->live_cap = UINT64_MAX;
    eng_scrub_scratch(e);
}

static void card_reset_locked(TesseraState *s)
{
    unsigned i;

    card_quiesce_locked(s);
    for (i = 0; i < TESSERA_MAX_CONTEXTS; i++) {
        ctx_reset_state(&s->ctx[i], true);
    }
    for (i = 0; i < s->num_engines; i++) {
        eng_reset_state(&s->eng[i]);
    }
    for (i = 0; i < s->num_regions; i++) {
        rgn_reset_state(&s->rgn[i]);
    }
    s->watchdog_ns = 0;
    s->scratch = 0;
    s->error_count = 0;
    s->clock_hi_latch = 0;
    s->irq_pending = 0;
    card_unquiesce_locked(s);
}

/* ------------------------------------------------------------------------ */
/* Registers                                                                 */
/* ------------------------------------------------------------------------ */

static uint64_t eng_live_ns(TesseraState *s, TesseraEngine *e, uint64_t now)
{
    if (!e->running) {
        return 0;
    }
    now = MIN(now, e->live_cap);
    return now > e->seg_start ? now - e->seg_start : 0;
}

static uint32_t eng_status(TesseraState *s, TesseraEngine *e)
{
    uint32_t state, cur, pend;

    if (e->switch_req) {
        state = TESSERA_ENG_STATE_SWITCHING;
    } else if (e->cur == TESSERA_CTX_NONE) {
        state = TESSERA_ENG_STATE_IDLE;
    } else if (e->running) {
        state = TESSERA_ENG_STATE_RUNNING;
    } else {
        state = TESSERA_ENG_STATE_WAITING;
    }
    cur = e->cur == TESSERA_CTX_NONE ? TESSERA_CTX_NONE_BYTE : e->cur;
    pend = !e->switch_req || e->pending == TESSERA_CTX_NONE ?
           TESSERA_CTX_NONE_BYTE : e->pending;
    return state | cur << TESSERA_ENG_STATUS_CUR_SHIFT |
           pend << TESSERA_ENG_STATUS_PEND_SHIFT;
}

static uint32_t ctx_status(TesseraState *s, TesseraContext *c)
{
    uint32_t st = 0;
    bool running = false;

    if (c->engine >= 0) {
        st |= TESSERA_CTX_STATUS_LOADED |
              (uint32_t)c->engine << TESSERA_CTX_STATUS_ENGINE_SHIFT;
        running = s->eng[c->engine].running;
    }
    if (running) {
        st |= TESSERA_CTX_STATUS_RUNNING;
    }
    if (c->faulted) {
        st |= TESSERA_CTX_STATUS_FAULTED;
    }
    if (!running && (c->resume || c->batch_depth)) {
        st |= TESSERA_CTX_STATUS_PREEMPTED;
    }
    if (c->inv_done != c->inv_req) {
        st |= TESSERA_CTX_STATUS_TLB_DRAINING;
    }
    return st;
}

static uint64_t ctx_busy_ns(TesseraState *s, TesseraContext *c)
{
    if (c->engine < 0) {
        return c->busy_ns;
    }
    return c->busy_ns + eng_live_ns(s, &s->eng[c->engine], card_now());
}

static uint32_t global_read(TesseraState *s, hwaddr off)
{
    uint64_t now;

    switch (off) {
    case TESSERA_REG_MAGIC:
        return TESSERA_MAGIC;
    case TESSERA_REG_VERSION:
        return TESSERA_VERSION;
    case TESSERA_REG_NUM_CONTEXTS:
        return s->num_contexts;
    case TESSERA_REG_NUM_ENGINES:
        return s->num_engines;
    case TESSERA_REG_NUM_REGIONS:
        return s->num_regions;
    case TESSERA_REG_VRAM_SIZE_LO:
        return s->vram_size;
    case TESSERA_REG_VRAM_SIZE_HI:
        return s->vram_size >> 32;
    case TESSERA_REG_REGION_CAPACITY:
        return s->region_capacity;
    case TESSERA_REG_CONFIG_BW:
        return s->config_bw;
    case TESSERA_REG_CHECKPOINT_NS:
        return s->checkpoint_ns;
    case TESSERA_REG_FUNCTIONS:
        return (1u << TESSERA_FN_VADD) | (1u << TESSERA_FN_CRC32) |
               (1u << TESSERA_FN_GEMM_TILE);
    case TESSERA_REG_CLOCK_NS_LO:
        now = card_now();
        s->clock_hi_latch = now >> 32;
        return now;
    case TESSERA_REG_CLOCK_NS_HI:
        return s->clock_hi_latch;
    case TESSERA_REG_WATCHDOG_NS_LO:
        return s->watchdog_ns;
    case TESSERA_REG_WATCHDOG_NS_HI:
        return s->watchdog_ns >> 32;
    case TESSERA_REG_SCRATCH:
        return s->scratch;
    case TESSERA_REG_ERROR_COUNT:
        return s->error_count;
    }
    return 0;
}

static uint32_t eng_read(TesseraState *s, TesseraEngine *e, hwaddr off)
{
    uint64_t busy = e->busy_ns + eng_live_ns(s, e, card_now());

    switch (off) {
    case TESSERA_ENG_STATUS:
        return eng_status(s, e);
    case TESSERA_ENG_INT_STATUS:
        return e->int_status;
    case TESSERA_ENG_INT_ENABLE:
        return e->int_enable;
    case TESSERA_ENG_BUSY_NS_LO:
        return busy;
    case TESSERA_ENG_BUSY_NS_HI:
        return busy >> 32;
    case TESSERA_ENG_SWITCHES:
        return e->switches;
    case TESSERA_ENG_SWITCH_LAT_NS:
        return e->switch_lat_ns;
    case TESSERA_ENG_PREEMPTIONS:
        return e->preemptions;
    case TESSERA_ENG_CONTROL:
        return e->control;
    case TESSERA_ENG_SLICE_NS:
        return e->slice_ns;
    case TESSERA_ENG_SLICE_STOPS:
        return e->slice_stops;
    }
    return 0;
}

static uint32_t rgn_read(TesseraState *s, TesseraRegion *r, hwaddr off)
{
    switch (off) {
    case TESSERA_RGN_CTX:
        return r->ctx;
    case TESSERA_RGN_IMAGE_ADDR_LO:
        return r->image_addr;
    case TESSERA_RGN_IMAGE_ADDR_HI:
        return r->image_addr >> 32;
    case TESSERA_RGN_IMAGE_SIZE:
        return r->image_size;
    case TESSERA_RGN_CONFIG_STATUS:
        return r->cfg_status;
    case TESSERA_RGN_FUNCTION:
        return r->function;
    case TESSERA_RGN_CONFIG_NS_LO:
        return r->config_ns;
    case TESSERA_RGN_CONFIG_NS_HI:
        return r->config_ns >> 32;
    case TESSERA_RGN_BUSY_NS_LO:
        return r->busy_ns;
    case TESSERA_RGN_BUSY_NS_HI:
        return r->busy_ns >> 32;
    case TESSERA_RGN_INT_STATUS:
        return r->int_status;
    case TESSERA_RGN_INT_ENABLE:
        return r->int_enable;
    case TESSERA_RGN_FAULT_CODE:
        return r->fault_code;
    case TESSERA_RGN_FAULT_ADDR_LO:
        return r->fault_addr;
    case TESSERA_RGN_FAULT_ADDR_HI:
        return r->fault_addr >> 32;
    }
    return 0;
}

static uint32_t rgn_user_read(TesseraState *s, TesseraRegion *r, hwaddr off)
{
    if (off < TESSERA_RGN_USER_ARG(TESSERA_RGN_USER_NUM_ARGS)) {
        uint64_t v = r->args[off / 8];

        return off & 4 ? v >> 32 : v;
    }
    switch (off) {
    case TESSERA_RGN_USER_JOB_STATUS:
        return r->job_status;
    case TESSERA_RGN_USER_RESULT_LO:
        return r->result;
    case TESSERA_RGN_USER_RESULT_HI:
        return r->result >> 32;
    case TESSERA_RGN_USER_JOBS_DONE:
        return r->jobs_done;
    }
    return 0;
}

static uint32_t ctx_read(TesseraState *s, TesseraContext *c, hwaddr off)
{
    uint64_t busy;

    switch (off) {
    case TESSERA_CTX_CONFIG:
        return c->config;
    case TESSERA_CTX_RING_BASE_LO:
        return c->ring_base;
    case TESSERA_CTX_RING_BASE_HI:
        return c->ring_base >> 32;
    case TESSERA_CTX_RING_SIZE:
        return c->ring_size;
    case TESSERA_CTX_RING_HEAD:
        return c->head;
    case TESSERA_CTX_RING_TAIL:
        return c->tail;
    case TESSERA_CTX_MMU_ROOT_LO:
        return c->mmu_root;
    case TESSERA_CTX_MMU_ROOT_HI:
        return c->mmu_root >> 32;
    case TESSERA_CTX_VRAM_BASE_LO:
        return c->vram_base;
    case TESSERA_CTX_VRAM_BASE_HI:
        return c->vram_base >> 32;
    case TESSERA_CTX_VRAM_SIZE_LO:
        return c->vram_size;
    case TESSERA_CTX_VRAM_SIZE_HI:
        return c->vram_size >> 32;
    case TESSERA_CTX_STATUS:
        return ctx_status(s, c);
    case TESSERA_CTX_FAULT_CODE:
        return c->fault_code;
    case TESSERA_CTX_FAULT_ADDR_LO:
        return c->fault_addr;
    case TESSERA_CTX_FAULT_ADDR_HI:
        return c->fault_addr >> 32;
    case TESSERA_CTX_FAULT_INDEX:
        return c->fault_index;
    case TESSERA_CTX_INT_STATUS:
        return c->int_status;
    case TESSERA_CTX_INT_ENABLE:
        return c->int_enable;
    case TESSERA_CTX_BUSY_NS_LO:
        busy = ctx_busy_ns(s, c);
        return busy;
    case TESSERA_CTX_BUSY_NS_HI:
        busy = ctx_busy_ns(s, c);
        return busy >> 32;
    case TESSERA_CTX_FENCE_LO:
        return c->fence;
    case TESSERA_CTX_FENCE_HI:
        return c->fence >> 32;
    case TESSERA_CTX_CMDS_DONE:
        return c->cmds_done;
    case TESSERA_CTX_PREEMPTIONS:
        return c->preemptions;
    case TESSERA_CTX_RESUME:
        /* BUSY keeps nanoseconds inside; the register shows microseconds. */
        return c->resume_op == TESSERA_OP_BUSY ? c->resume / 1000 : c->resume;
    }
    return 0;
}

static uint64_t card_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TesseraState *s = opaque;
    uint32_t val = 0;

    qemu_mutex_lock(&s->lock);
    if (addr < TESSERA_ENGINE_BASE) {
        val = global_read(s, addr);
    } else if (addr >= TESSERA_ENGINE_BASE &&
               addr < TESSERA_ENGINE_BASE +
                      s->num_engines * TESSERA_ENGINE_STRIDE) {
        hwaddr rel = addr - TESSERA_ENGINE_BASE;

        val = eng_read(s, &s->eng[rel / TESSERA_ENGINE_STRIDE],
                       rel % TESSERA_ENGINE_STRIDE);
    } else if (addr >= TESSERA_REGION_BASE &&
               addr < TESSERA_REGION_BASE +
                      s->num_regions * TESSERA_REGION_STRIDE) {
        hwaddr rel = addr - TESSERA_REGION_BASE;

        val = rgn_read(s, &s->rgn[rel / TESSERA_REGION_STRIDE],
                       rel % TESSERA_REGION_STRIDE);
    } else if (addr >= TESSERA_CTX_BASE &&
               addr < TESSERA_CTX_BASE + s->num_contexts * TESSERA_CTX_STRIDE) {
        hwaddr rel = addr - TESSERA_CTX_BASE;

        val = ctx_read(s, &s->ctx[rel / TESSERA_CTX_STRIDE],
                       rel % TESSERA_CTX_STRIDE);
    } else if (addr >= TESSERA_RGN_USER_BASE &&
               addr < TESSERA_RGN_USER_BASE +
                      s->num_regions * TESSERA_RGN_USER_STRIDE) {
        hwaddr rel = addr - TESSERA_RGN_USER_BASE;

        val = rgn_user_read(s, &s->rgn[rel / TESSERA_RGN_USER_STRIDE],
                            rel % TESSERA_RGN_USER_STRIDE);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: read of unused offset 0x%" HWADDR_PRIx "\n",
                      addr);
    }
    qemu_mutex_unlock(&s->lock);
    return val;
}

static void eng_kick_ctx(TesseraState *s, TesseraContext *c)
{
    if (c->engine >= 0) {
        qemu_cond_broadcast(&s->eng[c->engine].wake);
    }
}

static void eng_submit(TesseraState *s, TesseraEngine *e, uint32_t target)
{
    uint64_t now = card_now();

    if (target != TESSERA_CTX_NONE) {
        TesseraContext *c;

        if (target >= s->num_contexts) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "tessera: engine %u: submit of context %u out of "
                          "range\n", e->id, target);
            return;
        }
        c = &s->ctx[target];
        if ((c->engine >= 0 && c->engine != (int)e->id) ||
            (c->pending_engine >= 0 && c->pending_engine != (int)e->id)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "tessera: engine %u: context %u belongs to another "
                          "engine\n", e->id, target);
            return;
        }
    }
    if (e->switch_req) {
        /* Retarget the switch already under way; it keeps its start. */
        if (e->pending != TESSERA_CTX_NONE) {
            s->ctx[e->pending].pending_engine = -1;
        }
    } else {
        if (target == e->cur) {
            return;
        }
        e->switch_req = true;
        e->switch_req_ns = now;
        if (e->running && e->run_is_busy && eng_preempt_req(e)) {
            e->live_cap = MIN(e->live_cap, busy_switch_deadline(s, e, now));
        }
    }
    e->pending = target;
    if (target != TESSERA_CTX_NONE) {
        s->ctx[target].pending_engine = e->id;
    }
    qemu_cond_broadcast(&e->wake);
}

static bool eng_write(TesseraState *s, TesseraEngine *e, hwaddr off,
                      uint32_t val)
{
    switch (off) {
    case TESSERA_ENG_SUBMIT:
        eng_submit(s, e, val);
        break;
    case TESSERA_ENG_CONTROL:
        e->control = val & TESSERA_ENG_CTRL_BOUNDARY_ONLY;
        /* A BUSY waiting for a switch now stops at its next checkpoint. */
        qemu_cond_broadcast(&e->wake);
        break;
    case TESSERA_ENG_SLICE_NS:
        e->slice_ns = val;
        /* Written while a context runs: the bound counts from now. */
        if (!e->switch_req && e->cur != TESSERA_CTX_NONE) {
            e->slice_deadline = val ? card_now() + val : 0;
            qemu_cond_broadcast(&e->wake);
        }
        break;
    case TESSERA_ENG_INT_STATUS:
        e->int_status &= ~val;
        break;
    case TESSERA_ENG_INT_ENABLE:
        if (val & e->int_status & ~e->int_enable) {
            card_request_vector(s, TESSERA_VEC_ENGINES);
        }
        e->int_enable = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: engine %u: write to read-only offset 0x%"
                      HWADDR_PRIx "\n", e->id, off);
        return false;
    }
    return true;
}

static void rgn_start_config(TesseraState *s, TesseraRegion *r)
{
    if (r->cfg_status == TESSERA_RGN_CFG_LOADING) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: region %u: load already in progress\n", r->id);
        return;
    }
    r->cfg_start_ns = card_now();
    if (r->job_status == TESSERA_RGN_JOB_RUNNING) {
        rgn_config_finish(s, r, TESSERA_RGN_CFG_ERR_BUSY);
        return;
    }
    r->cfg_status = TESSERA_RGN_CFG_LOADING;
    r->cfg_addr = r->image_addr;
    r->cfg_size = r->image_size;
    r->cfg_ctx = r->ctx;
    r->cfg_done = 0;
    r->cfg_crc = 0;
    r->cfg_header_ok = false;
    qemu_cond_broadcast(&r->wake);
}

static bool rgn_write(TesseraState *s, TesseraRegion *r, hwaddr off,
                      uint32_t val, bool from_ring)
{
    switch (off) {
    case TESSERA_RGN_CTX:
        if (val >= s->num_contexts) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "tessera: region %u: context %u out of range\n",
                          r->id, val);
            return false;
        }
        r->ctx = val;
        break;
    case TESSERA_RGN_IMAGE_ADDR_LO:
        r->image_addr = lo32_set(r->image_addr, val);
        break;
    case TESSERA_RGN_IMAGE_ADDR_HI:
        r->image_addr = hi32_set(r->image_addr, val);
        break;
    case TESSERA_RGN_IMAGE_SIZE:
        r->image_size = val;
        break;
    case TESSERA_RGN_CONFIG:
        if (val == 1) {
            rgn_start_config(s, r);
        }
        break;
    case TESSERA_RGN_INT_STATUS:
        r->int_status &= ~val;
        break;
    case TESSERA_RGN_INT_ENABLE:
        if (val & r->int_status & ~r->int_enable) {
            card_request_vector(s, TESSERA_VEC_REGIONS);
        }
        r->int_enable = val;
        break;
    case TESSERA_RGN_RESET:
        if (from_ring) {
            return false;
        }
        if (val == TESSERA_RGN_RESET_ABORT || val == TESSERA_RGN_RESET_CLEAR) {
            rgn_stop_locked(s, r);
            if (r->job_status == TESSERA_RGN_JOB_RUNNING ||
                r->job_status == TESSERA_RGN_JOB_FAULT) {
                r->job_status = TESSERA_RGN_JOB_IDLE;
            }
            r->fault_code = 0;
            r->fault_addr = 0;
            if (val == TESSERA_RGN_RESET_CLEAR) {
                rgn_clear_state(r);
            }
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: region %u: write to read-only offset 0x%"
                      HWADDR_PRIx "\n", r->id, off);
        return false;
    }
    return true;
}

static bool rgn_user_write(TesseraState *s, TesseraRegion *r, hwaddr off,
                           uint32_t val)
{
    if (off < TESSERA_RGN_USER_ARG(TESSERA_RGN_USER_NUM_ARGS)) {
        uint64_t *arg = &r->args[off / 8];

        *arg = off & 4 ? hi32_set(*arg, val) : lo32_set(*arg, val);
        return true;
    }
    if (off != TESSERA_RGN_USER_START) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: region %u: user write to read-only offset 0x%"
                      HWADDR_PRIx "\n", r->id, off);
        return false;
    }
    if (r->job_status == TESSERA_RGN_JOB_RUNNING) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: region %u: job already running\n", r->id);
        return true;
    }
    if (r->function == TESSERA_FN_NONE ||
        r->cfg_status == TESSERA_RGN_CFG_LOADING) {
        r->job_status = TESSERA_RGN_JOB_NO_FUNCTION;
        return true;
    }
    r->job_status = TESSERA_RGN_JOB_RUNNING;
    r->fault_code = 0;
    r->fault_addr = 0;
    qemu_cond_broadcast(&r->wake);
    return true;
}

static bool ctx_write(TesseraState *s, unsigned ctx_id, hwaddr off,
                      uint32_t val, bool from_ring)
{
    TesseraContext *c = &s->ctx[ctx_id];

    switch (off) {
    case TESSERA_CTX_CONFIG:
        c->config = val & (TESSERA_CTX_CFG_ENABLE | TESSERA_CTX_CFG_PRIV);
        eng_kick_ctx(s, c);
        break;
    case TESSERA_CTX_RING_BASE_LO:
        c->ring_base = lo32_set(c->ring_base, val);
        break;
    case TESSERA_CTX_RING_BASE_HI:
        c->ring_base = hi32_set(c->ring_base, val);
        break;
    case TESSERA_CTX_RING_SIZE:
        c->ring_size = val;
        break;
    case TESSERA_CTX_RING_TAIL:
        c->tail = val;
        eng_kick_ctx(s, c);
        break;
    case TESSERA_CTX_MMU_ROOT_LO:
        c->mmu_root = lo32_set(c->mmu_root, val);
        ctx_tlb_drop(c);
        break;
    case TESSERA_CTX_MMU_ROOT_HI:
        c->mmu_root = hi32_set(c->mmu_root, val);
        ctx_tlb_drop(c);
        break;
    case TESSERA_CTX_TLB_INVALIDATE:
        if (val == 1) {
            ctx_invalidate(s, c);
        }
        break;
    case TESSERA_CTX_VRAM_BASE_LO:
        c->vram_base = lo32_set(c->vram_base, val);
        break;
    case TESSERA_CTX_VRAM_BASE_HI:
        c->vram_base = hi32_set(c->vram_base, val);
        break;
    case TESSERA_CTX_VRAM_SIZE_LO:
        c->vram_size = lo32_set(c->vram_size, val);
        break;
    case TESSERA_CTX_VRAM_SIZE_HI:
        c->vram_size = hi32_set(c->vram_size, val);
        break;
    case TESSERA_CTX_INT_STATUS:
        c->int_status &= ~val;
        break;
    case TESSERA_CTX_INT_ENABLE:
        if (val & c->int_status & ~c->int_enable) {
            card_request_vector(s, TESSERA_VEC_CTX(ctx_id));
        }
        c->int_enable = val;
        break;
    case TESSERA_CTX_RESET:
        if (from_ring) {
            return false;
        }
        if (val == 1) {
            ctx_stop_locked(s, ctx_id);
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "tessera: context %u: write to read-only offset 0x%"
                      HWADDR_PRIx "\n", ctx_id, off);
        return false;
    }
    return true;
}

/*
 * Every register write, from the bus or from a privileged REG_WRITE
 * command (from_ring). Writes that must stop the workers (resets) are not
 * allowed from a ring: a worker cannot wait for itself. Lock held.
 */
static bool card_reg_write(TesseraState *s, hwaddr addr, uint32_t val,
                           bool from_ring)
{
    if (addr < TESSERA_ENGINE_BASE) {
        switch (addr) {
        case TESSERA_REG_WATCHDOG_NS_LO:
            /* Staged: a half-written bound must never stop a command. */
            s->watchdog_lo_staged = val;
            return true;
        case TESSERA_REG_WATCHDOG_NS_HI:
            s->watchdog_ns = (uint64_t)val << 32 | s->watchdog_lo_staged;
            card_kick_all(s);
            return true;
        case TESSERA_REG_SCRATCH:
            s->scratch = val;
            return true;
        case TESSERA_REG_RESET:
            if (from_ring) {
                return false;
            }
            if (val == TESSERA_RESET_KEY) {
                card_reset_locked(s);
            } else {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "tessera: reset with a wrong key 0x%x\n", val);
            }
            return true;
        }
    } else if (addr < TESSERA_ENGINE_BASE +
                      s->num_engines * TESSERA_ENGINE_STRIDE) {
        hwaddr rel = addr - TESSERA_ENGINE_BASE;

        return eng_write(s, &s->eng[rel / TESSERA_ENGINE_STRIDE],
                         rel % TESSERA_ENGINE_STRIDE, val);
    } else if (addr >= TESSERA_REGION_BASE &&
               addr < TESSERA_REGION_BASE +
                      s->num_regions * TESSERA_REGION_STRIDE) {
        hwaddr rel = addr - TESSERA_REGION_BASE;

        return rgn_write(s, &s->rgn[rel / TESSERA_REGION_STRIDE],
                         rel % TESSERA_REGION_STRIDE, val, from_ring);
    } else if (addr >= TESSERA_CTX_BASE &&
               addr < TESSERA_CTX_BASE + s->num_contexts * TESSERA_CTX_STRIDE) {
        hwaddr rel = addr - TESSERA_CTX_BASE;

        return ctx_write(s, rel / TESSERA_CTX_STRIDE, rel % TESSERA_CTX_STRIDE,
                         val, from_ring);
    } else if (addr >= TESSERA_RGN_USER_BASE &&
               addr < TESSERA_RGN_USER_BASE +
                      s->num_regions * TESSERA_RGN_USER_STRIDE) {
        hwaddr rel = addr - TESSERA_RGN_USER_BASE;

        return rgn_user_write(s, &s->rgn[rel / TESSERA_RGN_USER_STRIDE],
                              rel % TESSERA_RGN_USER_STRIDE, val);
    }
    qemu_log_mask(LOG_GUEST_ERROR,
                  "tessera: write of 0x%x to unused or read-only offset 0x%"
                  HWADDR_PRIx "\n", val, addr);
    return false;
}

static void card_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    TesseraState *s = opaque;

    qemu_mutex_lock(&s->lock);
    card_reg_write(s, addr, val, false);
    qemu_mutex_unlock(&s->lock);
}

static const MemoryRegionOps card_mmio_ops = {
    .read = card_mmio_read,
    .write = card_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ------------------------------------------------------------------------ */
/* VM state                                                                  */
/* ------------------------------------------------------------------------ */

/* No DMA and no card time while the VM is stopped. */
static void card_vm_state_change(void *opaque, bool running, RunState state)
{
    TesseraState *s = opaque;

    qemu_mutex_lock(&s->lock);
    if (!running && !s->vm_quiesced) {
        card_quiesce_locked(s);
        s->vm_quiesced = true;
    } else if (running && s->vm_quiesced) {
        s->vm_quiesced = false;
        card_unquiesce_locked(s);
    }
    qemu_mutex_unlock(&s->lock);
}

static int card_pre_save(void *opaque)
{
    TesseraState *s = opaque;

    qemu_mutex_lock(&s->lock);
    if (!s->vm_quiesced) {
        card_quiesce_locked(s);
        s->save_quiesced = true;
    }
    qemu_mutex_unlock(&s->lock);
    return 0;
}

static int card_post_save(void *opaque)
{
    TesseraState *s = opaque;

    qemu_mutex_lock(&s->lock);
    if (s->save_quiesced) {
        s->save_quiesced = false;
        card_unquiesce_locked(s);
    }
    qemu_mutex_unlock(&s->lock);
    return 0;
}

static int card_pre_load(void *opaque)
{
    return card_pre_save(opaque);
}

static int card_post_load(void *opaque, int version_id)
{
    TesseraState *s = opaque;
    unsigned i;

    qemu_mutex_lock(&s->lock);
    for (i = 0; i < TESSERA_MAX_CONTEXTS; i++) {
        TesseraContext *c = &s->ctx[i];

        c->engine = -1;
        c->pending_engine = -1;
        c->gen++;
        ctx_tlb_drop(c);
        if (c->batch_depth > TESSERA_MAX_BATCH_DEPTH) {
            qemu_mutex_unlock(&s->lock);
            return -EINVAL;
        }
    }
    for (i = 0; i < s->num_engines; i++) {
        TesseraEngine *e = &s->eng[i];

        if (e->cur != TESSERA_CTX_NONE) {
            if (e->cur >= s->num_contexts) {
                qemu_mutex_unlock(&s->lock);
                return -EINVAL;
            }
            s->ctx[e->cur].engine = i;
        }
        if (e->switch_req && e->pending != TESSERA_CTX_NONE) {
            if (e->pending >= s->num_contexts) {
                qemu_mutex_unlock(&s->lock);
                return -EINVAL;
            }
            s->ctx[e->pending].pending_engine = i;
        }
        e->cursor_valid = false;
        e->live_cap = UINT64_MAX;
        if (e->int_status & e->int_enable) {
            card_request_vector(s, TESSERA_VEC_ENGINES);
        }
    }
    for (i = 0; i < s->num_regions; i++) {
        TesseraRegion *r = &s->rgn[i];

        if (r->ctx >= s->num_contexts || r->cfg_ctx >= s->num_contexts ||
            r->function >= TESSERA_NUM_FUNCTIONS) {
            qemu_mutex_unlock(&s->lock);
            return -EINVAL;
        }
        r->gen++;
        if (r->int_status & r->int_enable) {
            card_request_vector(s, TESSERA_VEC_REGIONS);
        }
    }
    for (i = 0; i < s->num_contexts; i++) {
        if (s->ctx[i].int_status & s->ctx[i].int_enable) {
            card_request_vector(s, TESSERA_VEC_CTX(i));
        }
    }
    if (s->save_quiesced) {
        s->save_quiesced = false;
        card_unquiesce_locked(s);
    }
    qemu_mutex_unlock(&s->lock);
    return 0;
}

static const VMStateDescription vmstate_tessera_batch = {
    .name = "tessera-card/batch",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(base, TesseraBatchFrame),
        VMSTATE_UINT32(count, TesseraBatchFrame),
        VMSTATE_UINT32(index, TesseraBatchFrame),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_tessera_ctx = {
    .name = "tessera-card/context",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(config, TesseraContext),
        VMSTATE_UINT64(ring_base, TesseraContext),
        VMSTATE_UINT32(ring_size, TesseraContext),
        VMSTATE_UINT32(head, TesseraContext),
        VMSTATE_UINT32(tail, TesseraContext),
        VMSTATE_UINT64(mmu_root, TesseraContext),
        VMSTATE_UINT64(vram_base, TesseraContext),
        VMSTATE_UINT64(vram_size, TesseraContext),
        VMSTATE_BOOL(faulted, TesseraContext),
        VMSTATE_UINT32(fault_code, TesseraContext),
        VMSTATE_UINT64(fault_addr, TesseraContext),
        VMSTATE_UINT32(fault_index, TesseraContext),
        VMSTATE_UINT32(int_status, TesseraContext),
        VMSTATE_UINT32(int_enable, TesseraContext),
        VMSTATE_UINT64(busy_ns, TesseraContext),
        VMSTATE_UINT64(fence, TesseraContext),
        VMSTATE_UINT32(cmds_done, TesseraContext),
        VMSTATE_UINT32(preemptions, TesseraContext),
        VMSTATE_UINT64(resume, TesseraContext),
        VMSTATE_UINT8(resume_op, TesseraContext),
        VMSTATE_UINT64(cmd_run_ns, TesseraContext),
        VMSTATE_UINT32(batch_depth, TesseraContext),
        VMSTATE_STRUCT_ARRAY(batch, TesseraContext, TESSERA_MAX_BATCH_DEPTH, 1,
                             vmstate_tessera_batch, TesseraBatchFrame),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_tessera_engine = {
    .name = "tessera-card/engine",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(cur, TesseraEngine),
        VMSTATE_UINT32(pending, TesseraEngine),
        VMSTATE_BOOL(switch_req, TesseraEngine),
        VMSTATE_UINT64(switch_req_ns, TesseraEngine),
        VMSTATE_UINT32(int_status, TesseraEngine),
        VMSTATE_UINT32(int_enable, TesseraEngine),
        VMSTATE_UINT64(busy_ns, TesseraEngine),
        VMSTATE_UINT32(switches, TesseraEngine),
        VMSTATE_UINT32(switch_lat_ns, TesseraEngine),
        VMSTATE_UINT32(preemptions, TesseraEngine),
        VMSTATE_END_OF_LIST()
    },
};

/* ENG_CONTROL and the slice bound: streams without them load with 0. */
static const VMStateDescription vmstate_tessera_engine_control = {
    .name = "tessera-card/engine-control",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(control, TesseraEngine),
        VMSTATE_UINT32(slice_ns, TesseraEngine),
        VMSTATE_UINT64(slice_deadline, TesseraEngine),
        VMSTATE_UINT32(slice_stops, TesseraEngine),
        VMSTATE_END_OF_LIST()
    },
};

static bool card_engine_control_needed(void *opaque)
{
    TesseraState *s = opaque;
    unsigned i;

    for (i = 0; i < TESSERA_MAX_ENGINES; i++) {
        TesseraEngine *e = &s->eng[i];

        if (e->control || e->slice_ns || e->slice_stops) {
            return true;
        }
    }
    return false;
}

static const VMStateDescription vmstate_tessera_engine_controls = {
    .name = "tessera-card/engine-controls",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = card_engine_control_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(eng, TesseraState, TESSERA_MAX_ENGINES, 1,
                             vmstate_tessera_engine_control, TesseraEngine),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_tessera_region = {
    .name = "tessera-card/region",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(ctx, TesseraRegion),
        VMSTATE_UINT64(image_addr, TesseraRegion),
        VMSTATE_UINT32(image_size, TesseraRegion),
        VMSTATE_UINT32(cfg_status, TesseraRegion),
        VMSTATE_UINT32(function, TesseraRegion),
        VMSTATE_UINT64(config_ns, TesseraRegion),
        VMSTATE_UINT64(busy_ns, TesseraRegion),
        VMSTATE_UINT32(int_status, TesseraRegion),
        VMSTATE_UINT32(int_enable, TesseraRegion),
        VMSTATE_UINT32(fault_code, TesseraRegion),
        VMSTATE_UINT64(fault_addr, TesseraRegion),
        VMSTATE_UINT64_ARRAY(args, TesseraRegion, TESSERA_RGN_USER_NUM_ARGS),
        VMSTATE_UINT32(job_status, TesseraRegion),
        VMSTATE_UINT64(result, TesseraRegion),
        VMSTATE_UINT32(jobs_done, TesseraRegion),
        VMSTATE_UINT64(cfg_start_ns, TesseraRegion),
        VMSTATE_UINT64(cfg_addr, TesseraRegion),
        VMSTATE_UINT32(cfg_size, TesseraRegion),
        VMSTATE_UINT32(cfg_ctx, TesseraRegion),
        VMSTATE_UINT32(cfg_done, TesseraRegion),
        VMSTATE_UINT32(cfg_crc, TesseraRegion),
        VMSTATE_UINT32(cfg_expect_crc, TesseraRegion),
        VMSTATE_UINT32(cfg_function, TesseraRegion),
        VMSTATE_BOOL(cfg_header_ok, TesseraRegion),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_tessera = {
    .name = TYPE_TESSERA_CARD,
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = card_pre_save,
    .post_save = card_post_save,
    .pre_load = card_pre_load,
    .post_load = card_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, TesseraState),
        VMSTATE_MSIX(parent_obj, TesseraState),
        VMSTATE_UINT64(watchdog_ns, TesseraState),
        VMSTATE_UINT32(scratch, TesseraState),
        VMSTATE_UINT32(error_count, TesseraState),
        VMSTATE_UINT32(clock_hi_latch, TesseraState),
        VMSTATE_STRUCT_ARRAY(ctx, TesseraState, TESSERA_MAX_CONTEXTS, 1,
                             vmstate_tessera_ctx, TesseraContext),
        VMSTATE_STRUCT_ARRAY(eng, TesseraState, TESSERA_MAX_ENGINES, 1,
                             vmstate_tessera_engine, TesseraEngine),
        VMSTATE_STRUCT_ARRAY(rgn, TesseraState, TESSERA_MAX_REGIONS, 1,
                             vmstate_tessera_region, TesseraRegion),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_tessera_engine_controls,
        NULL
    },
};

/* ------------------------------------------------------------------------ */
/* Realize, exit, reset                                                      */
/* ------------------------------------------------------------------------ */

static bool card_check_properties(TesseraState *s, Error **errp)
{
    if (s->vram_size < 1 * MiB || s->vram_size > 64 * GiB ||
        !is_power_of_2(s->vram_size)) {
        error_setg(errp, "tessera-card: vram-size must be a power of two "
                   "between 1M and 64G");
        return false;
    }
    if (s->num_contexts < 1 || s->num_contexts > TESSERA_MAX_CONTEXTS) {
        error_setg(errp, "tessera-card: contexts must be 1..%d",
                   TESSERA_MAX_CONTEXTS);
        return false;
    }
    if (s->num_engines < 1 || s->num_engines > TESSERA_MAX_ENGINES) {
        error_setg(errp, "tessera-card: engines must be 1..%d",
                   TESSERA_MAX_ENGINES);
        return false;
    }
    if (s->num_regions > TESSERA_MAX_REGIONS) {
        error_setg(errp, "tessera-card: regions must be 0..%d",
                   TESSERA_MAX_REGIONS);
        return false;
    }
    if (s->region_capacity < 4 * KiB || s->region_capacity > 256 * MiB) {
        error_setg(errp, "tessera-card: region-capacity must be 4K..256M");
        return false;
    }
    if (s->config_bw < 1 || s->config_bw > 16 * MiB) {
        error_setg(errp, "tessera-card: config-bandwidth-kib-per-ms must be "
                   "1..16777216");
        return false;
    }
    if (s->checkpoint_ns < 1000 || s->checkpoint_ns > 1000000000) {
        error_setg(errp, "tessera-card: checkpoint-ns must be 1000..1e9");
        return false;
    }
    return true;
}

static void card_realize(PCIDevice *pdev, Error **errp)
{
    TesseraState *s = TESSERA_CARD(pdev);
    unsigned i, nvec;

    if (!card_check_properties(s, errp)) {
        return;
    }
    nvec = TESSERA_NUM_VECTORS(s->num_contexts);

    pci_config_set_revision(pdev->config, TESSERA_PCI_REVISION);
    pci_config_set_prog_interface(pdev->config, TESSERA_PCI_CLASS_ACCEL & 0xff);

    memory_region_init_io(&s->mmio, OBJECT(s), &card_mmio_ops, s,
                          "tessera-card.regs", TESSERA_BAR0_SIZE);
    pci_register_bar(pdev, TESSERA_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);
    if (!memory_region_init_ram(&s->vram, OBJECT(s), "tessera-card.vram",
                                s->vram_size, errp)) {
        return;
    }
    s->vram_ptr = memory_region_get_ram_ptr(&s->vram);
    pci_register_bar(pdev, TESSERA_BAR_VRAM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->vram);
    if (msix_init_exclusive_bar(pdev, nvec, TESSERA_BAR_MSIX, errp)) {
        return;
    }
    for (i = 0; i < nvec; i++) {
        msix_vector_use(pdev, i);
    }

    qemu_mutex_init(&s->lock);
    qemu_cond_init(&s->parked_cond);
    qemu_cond_init(&s->idle_cond);
    s->irq_bh = qemu_bh_new_guarded(card_irq_bh, s,
                                    &DEVICE(s)->mem_reentrancy_guard);
    for (i = 0; i < TESSERA_MAX_CONTEXTS; i++) {
        ctx_reset_state(&s->ctx[i], true);
    }
    for (i = 0; i < s->num_engines; i++) {
        TesseraEngine *e = &s->eng[i];
        char name[32];

        e->card = s;
        e->id = i;
        eng_reset_state(e);
        qemu_cond_init(&e->wake);
        timer_init_ns(&e->timer, QEMU_CLOCK_VIRTUAL, eng_timer_cb, e);
        snprintf(name, sizeof(name), "tessera-eng%u", i);
        qemu_thread_create(&e->thread, name, eng_thread, e,
                           QEMU_THREAD_JOINABLE);
    }
    for (i = 0; i < s->num_regions; i++) {
        TesseraRegion *r = &s->rgn[i];
        char name[32];

        r->card = s;
        r->id = i;
        rgn_reset_state(r);
        qemu_cond_init(&r->wake);
        timer_init_ns(&r->timer, QEMU_CLOCK_VIRTUAL, rgn_timer_cb, r);
        snprintf(name, sizeof(name), "tessera-rgn%u", i);
        qemu_thread_create(&r->thread, name, rgn_thread, r,
                           QEMU_THREAD_JOINABLE);
    }
    s->vmse = qemu_add_vm_change_state_handler(card_vm_state_change, s);
}

static void card_exit(PCIDevice *pdev)
{
    TesseraState *s = TESSERA_CARD(pdev);
    int i;

    qemu_del_vm_change_state_handler(s->vmse);

    qemu_mutex_lock(&s->lock);
    s->exiting = true;
    card_kick_all(s);
    qemu_mutex_unlock(&s->lock);

    for (i = s->num_regions - 1; i >= 0; i--) {
        TesseraRegion *r = &s->rgn[i];

        qemu_thread_join(&r->thread);
        timer_del(&r->timer);
        qemu_cond_destroy(&r->wake);
    }
    for (i = s->num_engines - 1; i >= 0; i--) {
        TesseraEngine *e = &s->eng[i];

        qemu_thread_join(&e->thread);
        timer_del(&e->timer);
        qemu_cond_destroy(&e->wake);
        eng_scrub_scratch(e);
    }
    qemu_bh_delete(s->irq_bh);
    qemu_cond_destroy(&s->parked_cond);
    qemu_cond_destroy(&s->idle_cond);
    qemu_mutex_destroy(&s->lock);

    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
}

static void card_reset(DeviceState *dev)
{
    TesseraState *s = TESSERA_CARD(dev);
    unsigned i;

    qemu_mutex_lock(&s->lock);
    card_reset_locked(s);
    qemu_mutex_unlock(&s->lock);
    msix_unuse_all_vectors(PCI_DEVICE(s));
    for (i = 0; i < TESSERA_NUM_VECTORS(s->num_contexts); i++) {
        msix_vector_use(PCI_DEVICE(s), i);
    }
}

static const Property card_properties[] = {
    DEFINE_PROP_SIZE("vram-size", TesseraState, vram_size,
                     TESSERA_DEFAULT_VRAM_SIZE),
    DEFINE_PROP_UINT32("contexts", TesseraState, num_contexts,
                       TESSERA_DEFAULT_CONTEXTS),
    DEFINE_PROP_UINT32("engines", TesseraState, num_engines,
                       TESSERA_DEFAULT_ENGINES),
    DEFINE_PROP_UINT32("regions", TesseraState, num_regions,
                       TESSERA_DEFAULT_REGIONS),
    DEFINE_PROP_SIZE("region-capacity", TesseraState, region_capacity,
                     TESSERA_DEFAULT_REGION_CAPACITY),
    DEFINE_PROP_UINT32("config-bandwidth-kib-per-ms", TesseraState, config_bw,
                       TESSERA_DEFAULT_CONFIG_BW),
    DEFINE_PROP_UINT32("checkpoint-ns", TesseraState, checkpoint_ns,
                       TESSERA_DEFAULT_CHECKPOINT_NS),
};

static void card_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = card_realize;
    k->exit = card_exit;
    k->vendor_id = TESSERA_PCI_VENDOR_ID;
    k->device_id = TESSERA_PCI_DEVICE_CARD;
    k->revision = TESSERA_PCI_REVISION;
    k->class_id = TESSERA_PCI_CLASS_ACCEL >> 8;
    dc->desc = "Tessera accelerator card (engines and regions)";
    dc->vmsd = &vmstate_tessera;
    device_class_set_legacy_reset(dc, card_reset);
    device_class_set_props(dc, card_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo card_info = {
    .name = TYPE_TESSERA_CARD,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(TesseraState),
    .class_init = card_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void card_register_types(void)
{
    type_register_static(&card_info);
}

type_init(card_register_types)
