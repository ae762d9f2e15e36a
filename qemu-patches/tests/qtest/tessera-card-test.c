/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qtest for the Tessera card (hw/misc/tessera-card.c) against the spec in
 * hw/misc/tessera_hw.h: every opcode's result, every fault code, the
 * device MMU, context switches and mid-command preemption in card time,
 * busy counters, region reconfiguration and functions, MSI-X.
 *
 * Card time is QEMU_CLOCK_VIRTUAL, which under qtest moves only when the
 * test steps it: tests that need card time to pass step the clock while
 * they poll, everything else polls with a wall-clock deadline.
 *
 * Each test records what it verified (COVER()); the last test parses the
 * header named by $TESSERA_HW_H and fails if an opcode, fault code, region
 * configuration status, region function or element-wise op is in the
 * header but no test verified it. When the tests run one per process
 * (scripts/qtest.sh), $TESSERA_COVERAGE_FILE carries what the passing
 * processes verified to the guard's process.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci.h"
#include "standard-headers/linux/pci_regs.h"
#include "hw/misc/tessera_hw.h"
#include <math.h>

#define VRAM_SIZE       (64ull << 20)
#define CKPT_NS         100000ull
#define BW_KIB_PER_MS   195u
#define WAIT_US         (30 * G_USEC_PER_SEC)
#define MAX_REL_ERR     0.0001  /* fp32 GEMM vs the double reference */

typedef struct Card {
    QOSState *qs;
    QTestState *qts;
    QPCIDevice *dev;
    QPCIBar bar0;
    QPCIBar bar2;
    uint64_t root;          /* level-2 table shared by the test's contexts */
    uint32_t tail[TESSERA_MAX_CONTEXTS];
    uint64_t ring[TESSERA_MAX_CONTEXTS];
} Card;

/* ---- coverage bookkeeping ---------------------------------------------- */

static GHashTable *covered;

#define COVER(sym) cover_mark(#sym, (uint64_t)(sym))

static void cover_mark(const char *name, uint64_t value)
{
    (void)value;
    g_hash_table_add(covered, g_strdup(name));
}

/* ---- card access -------------------------------------------------------- */

static void find_card(QPCIDevice *dev, int devfn, void *data)
{
    *(QPCIDevice **)data = dev;
}

/*
 * Boot a PC with one card; extra = more device properties, args = more
 * command line.
 */
static void card_boot_args(Card *c, const char *extra, const char *args)
{
    uint64_t size;

    memset(c, 0, sizeof(*c));
    c->qs = qtest_pc_boot("-m 512M -device tessera-card,id=card,"
                          "vram-size=64M,checkpoint-ns=%llu,"
                          "config-bandwidth-kib-per-ms=%u%s%s %s",
                          (unsigned long long)CKPT_NS, BW_KIB_PER_MS,
                          extra ? "," : "", extra ? extra : "",
                          args ? args : "");
    c->qts = c->qs->qts;
    qpci_device_foreach(c->qs->pcibus, TESSERA_PCI_VENDOR_ID,
                        TESSERA_PCI_DEVICE_CARD, find_card, &c->dev);
    g_assert(c->dev);
    c->bar0 = qpci_iomap(c->dev, TESSERA_BAR_REGS, &size);
    g_assert_cmpuint(size, ==, TESSERA_BAR0_SIZE);
    c->bar2 = qpci_iomap(c->dev, TESSERA_BAR_VRAM, &size);
    g_assert_cmpuint(size, ==, VRAM_SIZE);
    qpci_msix_enable(c->dev);
    qpci_device_enable(c->dev);
}

static void card_boot(Card *c, const char *extra)
{
    card_boot_args(c, extra, NULL);
}

static void card_shutdown(Card *c)
{
    qpci_msix_disable(c->dev);
    g_free(c->dev);
    qtest_shutdown(c->qs);
}

static uint32_t rd(Card *c, uint64_t off)
{
    return qpci_io_readl(c->dev, c->bar0, off);
}

static void wr(Card *c, uint64_t off, uint32_t val)
{
    qpci_io_writel(c->dev, c->bar0, off, val);
}

static uint64_t rd64(Card *c, uint64_t lo)
{
    uint64_t l = rd(c, lo);

    return l | (uint64_t)rd(c, lo + 4) << 32;
}

static void wr64(Card *c, uint64_t lo, uint64_t val)
{
    wr(c, lo, val);
    wr(c, lo + 4, val >> 32);
}

static uint64_t card_clock(Card *c)
{
    return rd64(c, TESSERA_REG_CLOCK_NS_LO);
}

static uint64_t galloc(Card *c, size_t size)
{
    uint64_t a = guest_alloc(&c->qs->alloc, size);

    g_assert(a);
    qtest_memset(c->qts, a, 0, size);
    return a;
}

/* Pending bit of an MSI-X vector (all vectors stay masked in this test). */
static bool vec_pending(Card *c, unsigned vec)
{
    return qpci_msix_pending(c->dev, vec);
}

/* Unmask and mask again: QEMU delivers the pending message and clears it. */
static void vec_clear(Card *c, unsigned vec)
{
    uint64_t ctl = c->dev->msix_table_off + vec * PCI_MSIX_ENTRY_SIZE +
                   PCI_MSIX_ENTRY_VECTOR_CTRL;

    qpci_io_writel(c->dev, c->dev->msix_table_bar, ctl, 0);
    qpci_io_writel(c->dev, c->dev->msix_table_bar, ctl,
                   PCI_MSIX_ENTRY_CTRL_MASKBIT);
    g_assert(!vec_pending(c, vec));
}

/*
 * Poll expr with a wall-clock deadline; step card time by step_ns between
 * polls when step_ns is not zero.
 */
#define WAIT_UNTIL(c, step_ns, expr)                                        \
    ({                                                                      \
        gint64 dl_ = g_get_monotonic_time() + WAIT_US;                      \
        bool ok_;                                                           \
        while (!(ok_ = (expr)) && g_get_monotonic_time() < dl_) {           \
            if (step_ns) {                                                  \
                qtest_clock_step((c)->qts, (step_ns));                      \
            } else {                                                        \
                g_usleep(50);                                               \
            }                                                               \
        }                                                                   \
        ok_;                                                                \
    })

/* ---- device MMU --------------------------------------------------------- */

static uint64_t pt_get(Card *c, uint64_t table, unsigned idx)
{
    return qtest_readq(c->qts, table + idx * 8);
}

/* Map [dva, dva + len) to [pa, pa + len) in the test's page tables. */
static void mmu_map(Card *c, uint64_t dva, uint64_t pa, uint64_t len,
                    bool writable)
{
    uint64_t off;

    if (!c->root) {
        c->root = galloc(c, TESSERA_PAGE_SIZE);
    }
    for (off = 0; off < len; off += TESSERA_PAGE_SIZE) {
        uint64_t va = dva + off, table = c->root;
        int level;

        for (level = 2; level > 0; level--) {
            uint64_t pte = pt_get(c, table, TESSERA_PT_INDEX(va, level));

            if (!(pte & TESSERA_PTE_VALID)) {
                pte = galloc(c, TESSERA_PAGE_SIZE) | TESSERA_PTE_VALID;
                qtest_writeq(c->qts, table + TESSERA_PT_INDEX(va, level) * 8,
                             pte);
            }
            table = pte & TESSERA_PTE_ADDR_MASK;
        }
        qtest_writeq(c->qts, table + TESSERA_PT_INDEX(va, 0) * 8,
                     ((pa + off) & TESSERA_PTE_ADDR_MASK) | TESSERA_PTE_VALID |
                     (writable ? TESSERA_PTE_WRITE : 0));
    }
}

/* Allocate guest memory mapped at the same device address. */
static uint64_t buf_alloc(Card *c, size_t len, bool writable)
{
    uint64_t pa = galloc(c, ROUND_UP(len, TESSERA_PAGE_SIZE));

    mmu_map(c, pa, pa, ROUND_UP(len, TESSERA_PAGE_SIZE), writable);
    return pa;
}

/* ---- contexts and commands ---------------------------------------------- */

static void ctx_setup(Card *c, unsigned ctx, uint32_t cfg)
{
    c->ring[ctx] = buf_alloc(c, 64 * TESSERA_CMD_SIZE, false);
    c->tail[ctx] = 0;
    wr64(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_RING_BASE_LO), c->ring[ctx]);
    wr(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_RING_SIZE), 64);
    wr64(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_MMU_ROOT_LO), c->root);
    wr64(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_VRAM_BASE_LO), 0);
    wr64(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_VRAM_SIZE_LO), 1 << 20);
    wr(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_INT_ENABLE),
       TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT | TESSERA_CTX_INT_IDLE);
    wr(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_CONFIG),
       cfg | TESSERA_CTX_CFG_ENABLE);
}

static void cmd_write(Card *c, uint64_t addr, const struct tessera_cmd *cmd)
{
    qtest_bufwrite(c->qts, addr, cmd, sizeof(*cmd));
}

/* Queue a command (not yet visible to the card). */
static void ring_put(Card *c, unsigned ctx, struct tessera_cmd cmd)
{
    cmd_write(c, c->ring[ctx] + c->tail[ctx] * TESSERA_CMD_SIZE, &cmd);
    c->tail[ctx] = (c->tail[ctx] + 1) % 64;
}

static void ring_kick(Card *c, unsigned ctx)
{
    wr(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_RING_TAIL), c->tail[ctx]);
}

static struct tessera_cmd cmd_fence(uint64_t addr, uint64_t value, bool irq)
{
    return (struct tessera_cmd) {
        .opcode = TESSERA_OP_FENCE, .flags = irq ? TESSERA_FENCE_IRQ : 0,
        .arg = { addr, value },
    };
}

static uint32_t ctx_rd(Card *c, unsigned ctx, uint64_t reg)
{
    return rd(c, TESSERA_CTX_REG(ctx, reg));
}

static void submit(Card *c, unsigned eng, unsigned ctx)
{
    wr(c, TESSERA_ENGINE_REG(eng, TESSERA_ENG_SUBMIT), ctx);
}

static bool ctx_drained(Card *c, unsigned ctx)
{
    return ctx_rd(c, ctx, TESSERA_CTX_RING_HEAD) == c->tail[ctx] &&
           !(ctx_rd(c, ctx, TESSERA_CTX_STATUS) & TESSERA_CTX_STATUS_RUNNING);
}

/* Run what is queued on ctx on engine eng and wait for it to drain. */
static void run_ctx(Card *c, unsigned eng, unsigned ctx)
{
    ring_kick(c, ctx);
    submit(c, eng, ctx);
    g_assert(WAIT_UNTIL(c, 0, ctx_drained(c, ctx) ||
                        (ctx_rd(c, ctx, TESSERA_CTX_STATUS) &
                         TESSERA_CTX_STATUS_FAULTED)));
    g_assert_cmphex(ctx_rd(c, ctx, TESSERA_CTX_STATUS) &
                    TESSERA_CTX_STATUS_FAULTED, ==, 0);
    g_assert_cmpuint(ctx_rd(c, ctx, TESSERA_CTX_FAULT_CODE), ==,
                     TESSERA_FAULT_NONE);
}

/* Run ctx on eng expecting a fault; returns the fault code. */
static uint32_t run_ctx_fault(Card *c, unsigned eng, unsigned ctx,
                              int64_t step_ns)
{
    ring_kick(c, ctx);
    submit(c, eng, ctx);
    g_assert(WAIT_UNTIL(c, step_ns, ctx_rd(c, ctx, TESSERA_CTX_STATUS) &
                        TESSERA_CTX_STATUS_FAULTED));
    g_assert(ctx_rd(c, ctx, TESSERA_CTX_INT_STATUS) & TESSERA_CTX_INT_FAULT);
    g_assert(WAIT_UNTIL(c, 0, vec_pending(c, TESSERA_VEC_CTX(ctx))));
    return ctx_rd(c, ctx, TESSERA_CTX_FAULT_CODE);
}

/* ---- references --------------------------------------------------------- */

static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffff;
    size_t i;
    int b;

    for (i = 0; i < n; i++) {
        crc ^= p[i];
        for (b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return ~crc;
}

static void rand_floats(float *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        v[i] = g_test_rand_double_range(-1.0, 1.0);
    }
}

/* Max |c - ref| over max |ref|, reference in double. */
static double gemm_rel_error(const float *a, const float *b, const float *c,
                             const float *c0, unsigned m, unsigned n,
                             unsigned k)
{
    double max_err = 0, max_ref = 0;
    unsigned i, j, l;

    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            double ref = c0 ? c0[i * n + j] : 0;

            for (l = 0; l < k; l++) {
                ref += (double)a[i * k + l] * b[l * n + j];
            }
            max_err = MAX(max_err, fabs(ref - c[i * n + j]));
            max_ref = MAX(max_ref, fabs(ref));
        }
    }
    return max_ref ? max_err / max_ref : max_err;
}

/* ---- tests -------------------------------------------------------------- */

/* The global page reports the properties; BAR sizes match the header. */
static void test_identity(void)
{
    Card c;

    card_boot(&c, NULL);
    g_assert_cmphex(rd(&c, TESSERA_REG_MAGIC), ==, TESSERA_MAGIC);
    g_assert_cmphex(rd(&c, TESSERA_REG_VERSION), ==, TESSERA_VERSION);
    g_assert_cmpuint(rd(&c, TESSERA_REG_NUM_CONTEXTS), ==, 40);
    g_assert_cmpuint(rd(&c, TESSERA_REG_NUM_ENGINES), ==, 2);
    g_assert_cmpuint(rd(&c, TESSERA_REG_NUM_REGIONS), ==, 4);
    g_assert_cmpuint(rd64(&c, TESSERA_REG_VRAM_SIZE_LO), ==, VRAM_SIZE);
    g_assert_cmpuint(rd(&c, TESSERA_REG_REGION_CAPACITY), ==, 8 << 20);
    g_assert_cmpuint(rd(&c, TESSERA_REG_CONFIG_BW), ==, BW_KIB_PER_MS);
    g_assert_cmpuint(rd(&c, TESSERA_REG_CHECKPOINT_NS), ==, CKPT_NS);
    g_assert_cmphex(rd(&c, TESSERA_REG_FUNCTIONS), ==,
                    1u << TESSERA_FN_VADD | 1u << TESSERA_FN_CRC32 |
                    1u << TESSERA_FN_GEMM_TILE);
    g_assert_cmpuint(qpci_msix_table_size(c.dev), ==, TESSERA_NUM_VECTORS(40));
    wr(&c, TESSERA_REG_SCRATCH, 0xdeadbeef);
    g_assert_cmphex(rd(&c, TESSERA_REG_SCRATCH), ==, 0xdeadbeef);
    /* A read-only register ignores writes; unused offsets read zero. */
    wr(&c, TESSERA_REG_MAGIC, 0);
    g_assert_cmphex(rd(&c, TESSERA_REG_MAGIC), ==, TESSERA_MAGIC);
    g_assert_cmphex(rd(&c, 0x7fffc), ==, 0);
    /* Card time moves with the virtual clock. */
    {
        uint64_t t0 = card_clock(&c);

        qtest_clock_step(c.qts, 12345);
        g_assert_cmpuint(card_clock(&c) - t0, ==, 12345);
    }
    g_assert_cmpuint(rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_STATUS)), ==,
                     TESSERA_ENG_STATE_IDLE | 0xff << 8 | 0xff << 16);
    card_shutdown(&c);
}

/* NOP, FENCE, FILL, COPY, ELEMWISE (all ops) and nested BATCH do their job. */
static void test_data_ops(void)
{
    enum { N = 3000 };
    Card c;
    uint64_t fence, dst, src, a, b, out_add, out_mul, out_relu, batch1, batch2;
    g_autofree float *va = g_new(float, N), *vb = g_new(float, N);
    g_autofree float *vo = g_new(float, N);
    g_autofree uint32_t *words = g_new(uint32_t, N);
    struct tessera_cmd cmd;
    unsigned i;

    card_boot(&c, NULL);
    fence = buf_alloc(&c, 4096, true);
    dst = buf_alloc(&c, N * 4, true);
    src = buf_alloc(&c, N * 4, true);
    a = buf_alloc(&c, N * 4, false);
    b = buf_alloc(&c, N * 4, false);
    out_add = buf_alloc(&c, N * 4, true);
    out_mul = buf_alloc(&c, N * 4, true);
    out_relu = buf_alloc(&c, N * 4, true);
    batch1 = buf_alloc(&c, 4096, false);
    batch2 = buf_alloc(&c, 4096, false);
    rand_floats(va, N);
    rand_floats(vb, N);
    qtest_bufwrite(c.qts, a, va, N * 4);
    qtest_bufwrite(c.qts, b, vb, N * 4);
    ctx_setup(&c, 1, 0);

    ring_put(&c, 1, (struct tessera_cmd) { .opcode = TESSERA_OP_NOP });
    ring_put(&c, 1, (struct tessera_cmd) {
        .opcode = TESSERA_OP_FILL, .param = 0xa5a5f00d, .arg = { src, N * 4 },
    });
    ring_put(&c, 1, (struct tessera_cmd) {
        .opcode = TESSERA_OP_COPY, .arg = { dst, src, N * 4 },
    });
    ring_put(&c, 1, (struct tessera_cmd) {
        .opcode = TESSERA_OP_ELEMWISE, .param = TESSERA_EW_ADD,
        .arg = { out_add, a, b, N },
    });
    /* Two levels of batch: the outer runs MUL then the inner (RELU). */
    cmd = (struct tessera_cmd) {
        .opcode = TESSERA_OP_ELEMWISE, .param = TESSERA_EW_MUL,
        .arg = { out_mul, a, b, N },
    };
    cmd_write(&c, batch1, &cmd);
    cmd = (struct tessera_cmd) {
        .opcode = TESSERA_OP_BATCH, .arg = { batch2, 1 },
    };
    cmd_write(&c, batch1 + 64, &cmd);
    cmd = (struct tessera_cmd) {
        .opcode = TESSERA_OP_ELEMWISE, .param = TESSERA_EW_RELU,
        .arg = { out_relu, a, 0, N },
    };
    cmd_write(&c, batch2, &cmd);
    ring_put(&c, 1, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BATCH, .arg = { batch1, 2 },
    });
    ring_put(&c, 1, cmd_fence(fence + 8, 0x1122334455667788ull, true));
    run_ctx(&c, 0, 1);

    g_assert_cmpuint(ctx_rd(&c, 1, TESSERA_CTX_CMDS_DONE), ==, 6);
    COVER(TESSERA_OP_NOP);
    COVER(TESSERA_FAULT_NONE);
    g_assert_cmphex(qtest_readq(c.qts, fence + 8), ==, 0x1122334455667788ull);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(1, TESSERA_CTX_FENCE_LO)), ==,
                    0x1122334455667788ull);
    g_assert(ctx_rd(&c, 1, TESSERA_CTX_INT_STATUS) & TESSERA_CTX_INT_FENCE);
    g_assert(WAIT_UNTIL(&c, 0, vec_pending(&c, TESSERA_VEC_CTX(1))));
    COVER(TESSERA_OP_FENCE);

    qtest_bufread(c.qts, src, words, N * 4);
    for (i = 0; i < N; i++) {
        g_assert_cmphex(words[i], ==, 0xa5a5f00d);
    }
    COVER(TESSERA_OP_FILL);
    qtest_bufread(c.qts, dst, words, N * 4);
    for (i = 0; i < N; i++) {
        g_assert_cmphex(words[i], ==, 0xa5a5f00d);
    }
    COVER(TESSERA_OP_COPY);
    qtest_bufread(c.qts, out_add, vo, N * 4);
    for (i = 0; i < N; i++) {
        g_assert(vo[i] == va[i] + vb[i]);
    }
    COVER(TESSERA_EW_ADD);
    qtest_bufread(c.qts, out_mul, vo, N * 4);
    for (i = 0; i < N; i++) {
        g_assert(vo[i] == va[i] * vb[i]);
    }
    COVER(TESSERA_EW_MUL);
    qtest_bufread(c.qts, out_relu, vo, N * 4);
    for (i = 0; i < N; i++) {
        g_assert(vo[i] == (va[i] > 0 ? va[i] : 0));
    }
    COVER(TESSERA_EW_RELU);
    COVER(TESSERA_OP_ELEMWISE);
    COVER(TESSERA_OP_BATCH);
    /* The ring ran empty: IDLE on the context and on the engine. */
    g_assert(WAIT_UNTIL(&c, 0, ctx_rd(&c, 1, TESSERA_CTX_INT_STATUS) &
                        TESSERA_CTX_INT_IDLE));
    g_assert(rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_INT_STATUS)) &
             TESSERA_ENG_INT_IDLE);
    g_assert_cmpuint(rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_STATUS)) &
                     TESSERA_ENG_STATUS_STATE_MASK, ==,
                     TESSERA_ENG_STATE_WAITING);
    card_shutdown(&c);
}

static void gemm_case(Card *c, unsigned ctx, unsigned m, unsigned n,
                      unsigned k, bool accumulate)
{
    g_autofree float *a = g_new(float, m * k), *b = g_new(float, k * n);
    g_autofree float *out = g_new(float, m * n), *c0 = g_new(float, m * n);
    uint64_t pa = buf_alloc(c, m * k * 4, false);
    uint64_t pb = buf_alloc(c, k * n * 4, false);
    uint64_t pc = buf_alloc(c, m * n * 4, true);
    double err;

    rand_floats(a, m * k);
    rand_floats(b, k * n);
    rand_floats(c0, m * n);
    qtest_bufwrite(c->qts, pa, a, m * k * 4);
    qtest_bufwrite(c->qts, pb, b, k * n * 4);
    qtest_bufwrite(c->qts, pc, c0, m * n * 4);
    ring_put(c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_GEMM,
        .flags = accumulate ? TESSERA_GEMM_ACCUMULATE : 0,
        .arg = { pa, pb, pc, m, n, k },
    });
    run_ctx(c, 0, ctx);
    qtest_bufread(c->qts, pc, out, m * n * 4);
    err = gemm_rel_error(a, b, out, accumulate ? c0 : NULL, m, n, k);
    g_test_message("GEMM %ux%ux%u%s: max relative error %.3g", m, n, k,
                   accumulate ? " (accumulate)" : "", err);
    g_assert_cmpfloat(err, <, MAX_REL_ERR);
}

/* GEMM: a 256x256 fp32 product against a double-precision CPU reference. */
static void test_gemm(void)
{
    Card c;

    card_boot(&c, NULL);
    ctx_setup(&c, 0, 0);
    gemm_case(&c, 0, 256, 256, 256, false);
    gemm_case(&c, 0, 37, 19, 70, true);
    COVER(TESSERA_OP_GEMM);
    card_shutdown(&c);
}


/*
 * A GEMM is preempted between row blocks: the other context runs, and when
 * the GEMM's context returns it finishes from the saved row with the right
 * product (its scratch was cleared in between).
 */
static void test_gemm_preemption(void)
{
    enum { M = 512, N = 512, K = 1024 };
    g_autofree float *a = g_new(float, M * K), *b = g_new(float, K * N);
    g_autofree float *out = g_new(float, M * N);
    Card c;
    uint64_t pa, pb, pc, fence;
    uint32_t rows;

    card_boot(&c, NULL);
    pa = buf_alloc(&c, M * K * 4, false);
    pb = buf_alloc(&c, K * N * 4, false);
    pc = buf_alloc(&c, M * N * 4, true);
    fence = buf_alloc(&c, 4096, true);
    rand_floats(a, M * K);
    rand_floats(b, K * N);
    qtest_bufwrite(c.qts, pa, a, M * K * 4);
    qtest_bufwrite(c.qts, pb, b, K * N * 4);
    ctx_setup(&c, 0, 0);
    ctx_setup(&c, 1, 0);
    ring_put(&c, 0, (struct tessera_cmd) {
        .opcode = TESSERA_OP_GEMM, .arg = { pa, pb, pc, M, N, K } });
    ring_put(&c, 1, cmd_fence(fence, 1, false));
    ring_kick(&c, 1);
    ring_kick(&c, 0);
    submit(&c, 0, 0);
    g_assert(WAIT_UNTIL(&c, 0, ctx_rd(&c, 0, TESSERA_CTX_STATUS) &
                        TESSERA_CTX_STATUS_RUNNING));
    submit(&c, 0, 1);
    g_assert(WAIT_UNTIL(&c, 0, ctx_drained(&c, 1)));
    rows = ctx_rd(&c, 0, TESSERA_CTX_RESUME);
    g_test_message("GEMM %ux%ux%u preempted after %u rows", M, N, K, rows);
    g_assert(ctx_rd(&c, 0, TESSERA_CTX_STATUS) & TESSERA_CTX_STATUS_PREEMPTED);
    g_assert_cmpuint(rows, >, 0);
    g_assert_cmpuint(rows, <, M);
    g_assert_cmpuint(rows % 8, ==, 0);      /* row blocks of 4 Mi MACs */
    g_assert_cmpuint(ctx_rd(&c, 0, TESSERA_CTX_RING_HEAD), ==, 0);
    submit(&c, 0, 0);
    g_assert(WAIT_UNTIL(&c, 0, ctx_drained(&c, 0)));
    qtest_bufread(c.qts, pc, out, M * N * 4);
    g_assert_cmpfloat(gemm_rel_error(a, b, out, NULL, M, N, K), <, MAX_REL_ERR);
    g_assert_cmpuint(ctx_rd(&c, 0, TESSERA_CTX_PREEMPTIONS), ==, 1);
    card_shutdown(&c);
}

/*
 * Every fault code stops its context with code, address and ring index,
 * raises its vector and counts in ERROR_COUNT; a reset context runs again.
 */
static void test_faults(void)
{
    Card c;
    uint64_t ro, rw, batch;
    struct tessera_cmd self;
    unsigned ctx = 0;
    uint32_t errors;

    card_boot(&c, NULL);
    ro = buf_alloc(&c, 4096, false);
    rw = buf_alloc(&c, 4096, true);
    batch = buf_alloc(&c, 4096, false);

    /* MMU_MISS: a FILL to an address nothing maps. */
    ctx_setup(&c, ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) { .opcode = TESSERA_OP_NOP });
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_FILL, .arg = { 0x7000000000ull, 64 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_MMU_MISS);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_FAULT_ADDR_LO)),
                    ==, 0x7000000000ull);
    g_assert_cmpuint(ctx_rd(&c, ctx, TESSERA_CTX_FAULT_INDEX), ==, 1);
    g_assert_cmpuint(ctx_rd(&c, ctx, TESSERA_CTX_RING_HEAD), ==, 1);
    g_assert_cmpuint(rd(&c, TESSERA_REG_ERROR_COUNT), ==, 1);
    COVER(TESSERA_FAULT_MMU_MISS);

    /* After CTX_RESET the same context runs again. */
    wr(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_RESET), 1);
    g_assert_cmpuint(ctx_rd(&c, ctx, TESSERA_CTX_STATUS) &
                     TESSERA_CTX_STATUS_FAULTED, ==, 0);
    g_assert_cmpuint(ctx_rd(&c, ctx, TESSERA_CTX_RING_HEAD), ==, 0);
    c.tail[ctx] = 0;
    ring_put(&c, ctx, cmd_fence(rw, 7, false));
    run_ctx(&c, 0, ctx);
    g_assert_cmpuint(qtest_readq(c.qts, rw), ==, 7);

    /* MMU_WRITE: a FILL into a read-only page. */
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_FILL, .param = 1, .arg = { ro + 64, 64 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==,
                     TESSERA_FAULT_MMU_WRITE);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_FAULT_ADDR_LO)),
                    ==, ro + 64);
    g_assert_cmpuint(qtest_readl(c.qts, ro + 64), ==, 0);
    COVER(TESSERA_FAULT_MMU_WRITE);

    /* BAD_OPCODE. */
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) { .opcode = 0x3f });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==,
                     TESSERA_FAULT_BAD_OPCODE);
    g_assert_cmpuint(rd64(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_FAULT_ADDR_LO)),
                     ==, 0x3f);
    COVER(TESSERA_FAULT_BAD_OPCODE);

    /* PRIV: REG_WRITE and MMU_UPDATE from an unprivileged context. */
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_REG_WRITE, .arg = { TESSERA_REG_SCRATCH, 1 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_PRIV);
    g_assert_cmpuint(rd(&c, TESSERA_REG_SCRATCH), ==, 0);
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_MMU_UPDATE, .arg = { 0, 0 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_PRIV);
    COVER(TESSERA_FAULT_PRIV);

    /* BAD_ARG: a reserved field, an unaligned FILL size, a GEMM dimension. */
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_NOP, .reserved = 1,
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_BAD_ARG);
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_FILL, .arg = { rw, 6 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_BAD_ARG);
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_GEMM,
        .arg = { rw, rw, rw, TESSERA_GEMM_MAX_DIM + 1, 1, 1 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_BAD_ARG);
    COVER(TESSERA_FAULT_BAD_ARG);

    /* BATCH_DEPTH: a batch that calls itself ends at the depth bound. */
    ctx_setup(&c, ++ctx, 0);
    self = (struct tessera_cmd) {
        .opcode = TESSERA_OP_BATCH, .arg = { batch, 1 },
    };
    cmd_write(&c, batch, &self);
    ring_put(&c, ctx, self);
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==,
                     TESSERA_FAULT_BATCH_DEPTH);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_FAULT_ADDR_LO)),
                    ==, batch);
    COVER(TESSERA_FAULT_BATCH_DEPTH);

    /* WATCHDOG: a 5 ms BUSY under a 1 ms bound faults at 1 ms. */
    ctx_setup(&c, ++ctx, 0);
    wr64(&c, TESSERA_REG_WATCHDOG_NS_LO, 1000000);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 5000 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 50000), ==,
                     TESSERA_FAULT_WATCHDOG);
    g_assert_cmpuint(rd64(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_BUSY_NS_LO)),
                     ==, 1000000);
    wr64(&c, TESSERA_REG_WATCHDOG_NS_LO, 0);
    COVER(TESSERA_FAULT_WATCHDOG);

    /* A LO write alone changes nothing: HI commits both halves. */
    wr64(&c, TESSERA_REG_WATCHDOG_NS_LO, 0x1ffffffffull);
    wr(&c, TESSERA_REG_WATCHDOG_NS_LO, 5);
    g_assert_cmphex(rd64(&c, TESSERA_REG_WATCHDOG_NS_LO), ==, 0x1ffffffffull);
    wr(&c, TESSERA_REG_WATCHDOG_NS_HI, 0);
    g_assert_cmphex(rd64(&c, TESSERA_REG_WATCHDOG_NS_LO), ==, 5);
    wr64(&c, TESSERA_REG_WATCHDOG_NS_LO, 0);

    /* RING: a ring size that is not a power of two. */
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) { .opcode = TESSERA_OP_NOP });
    wr(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_RING_SIZE), 48);
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==, TESSERA_FAULT_RING);
    COVER(TESSERA_FAULT_RING);

    /* VRAM_RANGE: a FILL that runs past the context's 1 MiB window. */
    ctx_setup(&c, ++ctx, 0);
    ring_put(&c, ctx, (struct tessera_cmd) {
        .opcode = TESSERA_OP_FILL,
        .arg = { TESSERA_DVA_VRAM_BASE + (1 << 20) - 64, 128 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, ctx, 0), ==,
                     TESSERA_FAULT_VRAM_RANGE);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(ctx, TESSERA_CTX_FAULT_ADDR_LO)),
                    ==, TESSERA_DVA_VRAM_BASE + (1 << 20));
    COVER(TESSERA_FAULT_VRAM_RANGE);

    errors = rd(&c, TESSERA_REG_ERROR_COUNT);
    g_assert_cmpuint(errors, ==, ctx + 1);
    card_shutdown(&c);
}

/*
 * Privileged commands work from a PRIV context: REG_WRITE reaches a
 * register, MMU_UPDATE retargets another context's MMU (and drops its TLB).
 */
static void test_privileged(void)
{
    Card c;
    uint64_t buf, root2;

    card_boot(&c, NULL);
    buf = buf_alloc(&c, 4096, true);
    ctx_setup(&c, 0, TESSERA_CTX_CFG_PRIV);
    ctx_setup(&c, 1, 0);
    root2 = galloc(&c, 4096);   /* an empty table: nothing mapped */
    ring_put(&c, 0, (struct tessera_cmd) {
        .opcode = TESSERA_OP_REG_WRITE,
        .arg = { TESSERA_REG_SCRATCH, 0x5a5a1234 },
    });
    ring_put(&c, 0, (struct tessera_cmd) {
        .opcode = TESSERA_OP_MMU_UPDATE, .arg = { 1, root2 },
    });
    run_ctx(&c, 0, 0);
    g_assert_cmphex(rd(&c, TESSERA_REG_SCRATCH), ==, 0x5a5a1234);
    COVER(TESSERA_OP_REG_WRITE);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(1, TESSERA_CTX_MMU_ROOT_LO)), ==,
                    root2);
    /* Context 1 now sees nothing of the old mapping. */
    ring_put(&c, 1, cmd_fence(buf, 1, false));
    g_assert_cmpuint(run_ctx_fault(&c, 1, 1, 0), ==, TESSERA_FAULT_MMU_MISS);
    COVER(TESSERA_OP_MMU_UPDATE);
    /* A reset cannot come from a ring. */
    ring_put(&c, 0, (struct tessera_cmd) {
        .opcode = TESSERA_OP_REG_WRITE,
        .arg = { TESSERA_REG_RESET, TESSERA_RESET_KEY },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, 0, 0), ==, TESSERA_FAULT_BAD_ARG);
    g_assert_cmphex(rd(&c, TESSERA_REG_SCRATCH), ==, 0x5a5a1234);
    card_shutdown(&c);
}

/*
 * The MMU confines DMA: a context reaches only what its tables map, a
 * TLB invalidation makes a changed mapping visible, and the VRAM window
 * lands at CTX_VRAM_BASE in BAR2.
 */
static void test_mmu_confinement(void)
{
    Card c;
    uint64_t mine, secret, page, other;
    uint32_t word;

    card_boot(&c, NULL);
    mine = buf_alloc(&c, 4096, true);
    secret = galloc(&c, 4096);          /* never mapped for context 0 */
    qtest_writel(c.qts, secret, 0x5ec7e7);
    ctx_setup(&c, 0, 0);

    ring_put(&c, 0, (struct tessera_cmd) {
        .opcode = TESSERA_OP_COPY, .arg = { mine, secret, 4 },
    });
    g_assert_cmpuint(run_ctx_fault(&c, 0, 0, 0), ==, TESSERA_FAULT_MMU_MISS);
    g_assert_cmphex(rd64(&c, TESSERA_CTX_REG(0, TESSERA_CTX_FAULT_ADDR_LO)),
                    ==, secret);
    g_assert_cmpuint(qtest_readl(c.qts, mine), ==, 0);

    /* Remap device page "page" from one frame to another. */
    page = 0x4000000000ull - 0x10000;
    other = galloc(&c, 4096);
    mmu_map(&c, page, mine, 4096, true);
    ctx_setup(&c, 1, 0);
    ring_put(&c, 1, cmd_fence(page, 0x1111, false));
    run_ctx(&c, 1, 1);
    g_assert_cmpuint(qtest_readq(c.qts, mine), ==, 0x1111);
    mmu_map(&c, page, other, 4096, true);
    wr(&c, TESSERA_CTX_REG(1, TESSERA_CTX_TLB_INVALIDATE), 1);
    /* Nothing in flight: the drain barrier completes at once. */
    g_assert(WAIT_UNTIL(&c, 0, !(rd(&c, TESSERA_CTX_REG(1, TESSERA_CTX_STATUS)) &
                                 TESSERA_CTX_STATUS_TLB_DRAINING)));
    ring_put(&c, 1, cmd_fence(page, 0x2222, false));
    run_ctx(&c, 1, 1);
    g_assert_cmpuint(qtest_readq(c.qts, other), ==, 0x2222);
    g_assert_cmpuint(qtest_readq(c.qts, mine), ==, 0x1111);

    /* The window: device address VRAM_BASE + x is BAR2 offset base + x. */
    wr64(&c, TESSERA_CTX_REG(1, TESSERA_CTX_VRAM_BASE_LO), 8 << 20);
    ring_put(&c, 1, (struct tessera_cmd) {
        .opcode = TESSERA_OP_FILL, .param = 0xc0ffee,
        .arg = { TESSERA_DVA_VRAM_BASE + 0x100, 4 },
    });
    run_ctx(&c, 1, 1);
    word = qpci_io_readl(c.dev, c.bar2, (8 << 20) + 0x100);
    g_assert_cmphex(word, ==, 0xc0ffee);
    card_shutdown(&c);
}

static uint64_t ctx_busy(Card *c, unsigned ctx)
{
    return rd64(c, TESSERA_CTX_REG(ctx, TESSERA_CTX_BUSY_NS_LO));
}

/*
 * A 10 ms BUSY is switched out within one checkpoint interval of card
 * time, the other context runs, and when it comes back the BUSY completes
 * with 10 ms of card time in all.
 */
static void test_preemption(void)
{
    Card c;
    uint64_t fence, lat;
    uint32_t st;

    card_boot(&c, NULL);
    fence = buf_alloc(&c, 4096, true);
    ctx_setup(&c, 2, 0);
    ctx_setup(&c, 3, 0);
    wr(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_INT_ENABLE),
       TESSERA_ENG_INT_SWITCHED);
    ring_put(&c, 2, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 10000 },
    });
    ring_put(&c, 2, cmd_fence(fence, 2, true));
    ring_put(&c, 3, cmd_fence(fence + 8, 3, true));
    ring_kick(&c, 2);
    ring_kick(&c, 3);
    submit(&c, 0, 2);
    g_assert(WAIT_UNTIL(&c, 0, ctx_rd(&c, 2, TESSERA_CTX_STATUS) &
                        TESSERA_CTX_STATUS_RUNNING));
    g_assert(WAIT_UNTIL(&c, 0, vec_pending(&c, TESSERA_VEC_ENGINES)));
    vec_clear(&c, TESSERA_VEC_ENGINES);
    wr(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_INT_STATUS), ~0u);

    /* 3.05 ms in, ask for context 3: it must wait for a checkpoint. */
    qtest_clock_step(c.qts, 3050000);
    submit(&c, 0, 3);
    st = rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_STATUS));
    g_assert_cmpuint(st & TESSERA_ENG_STATUS_STATE_MASK, ==,
                     TESSERA_ENG_STATE_SWITCHING);
    g_assert_cmpuint((st & TESSERA_ENG_STATUS_PEND_MASK) >>
                     TESSERA_ENG_STATUS_PEND_SHIFT, ==, 3);
    g_assert(WAIT_UNTIL(&c, 10000,
                        rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_INT_STATUS)) &
                        TESSERA_ENG_INT_SWITCHED));
    g_assert(WAIT_UNTIL(&c, 0, vec_pending(&c, TESSERA_VEC_ENGINES)));
    lat = rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_SWITCH_LAT_NS));
    g_test_message("switch latency %" PRIu64 " ns (checkpoint %llu ns)", lat,
                   (unsigned long long)CKPT_NS);
    g_assert_cmpuint(lat, <=, CKPT_NS);
    g_assert_cmpuint(rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_PREEMPTIONS)),
                     ==, 1);
    g_assert_cmpuint(ctx_rd(&c, 2, TESSERA_CTX_PREEMPTIONS), ==, 1);
    st = ctx_rd(&c, 2, TESSERA_CTX_STATUS);
    g_assert(st & TESSERA_CTX_STATUS_PREEMPTED);
    g_assert(!(st & TESSERA_CTX_STATUS_LOADED));
    /* Saved progress, in microseconds for BUSY: the checkpoint at 3.1 ms. */
    g_assert_cmpuint(ctx_rd(&c, 2, TESSERA_CTX_RESUME), ==, 3100);
    g_assert_cmpuint(ctx_busy(&c, 2), ==, 3100000);
    g_assert_cmpuint(ctx_rd(&c, 2, TESSERA_CTX_RING_HEAD), ==, 0);

    /* Context 3 runs to its fence. */
    g_assert(WAIT_UNTIL(&c, 0, ctx_drained(&c, 3)));
    g_assert_cmpuint(qtest_readq(c.qts, fence + 8), ==, 3);

    /* Back to context 2: it resumes and completes with 10 ms in all. */
    submit(&c, 0, 2);
    g_assert(WAIT_UNTIL(&c, 50000, ctx_drained(&c, 2)));
    g_assert_cmpuint(qtest_readq(c.qts, fence), ==, 2);
    g_test_message("context 2 busy %" PRIu64 " ns for a 10 ms BUSY",
                   ctx_busy(&c, 2));
    g_assert_cmpuint(ctx_busy(&c, 2), >=, 10000000);
    g_assert_cmpuint(ctx_busy(&c, 2), <=, 10000000 + 10000000 / 50);
    g_assert_cmpuint(ctx_rd(&c, 2, TESSERA_CTX_STATUS) &
                     TESSERA_CTX_STATUS_PREEMPTED, ==, 0);
    g_assert_cmpuint(rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_SWITCHES)), ==,
                     3);
    COVER(TESSERA_OP_BUSY);
    card_shutdown(&c);
}

/*
 * Busy counters: two contexts on two engines, 2 ms and 4 ms of BUSY; the
 * per-context and per-engine counters say exactly that in card time.
 */
static void test_busy_counters(void)
{
    Card c;

    card_boot(&c, NULL);
    ctx_setup(&c, 4, 0);
    ctx_setup(&c, 5, 0);
    ring_put(&c, 4, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 2000 } });
    ring_put(&c, 5, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 1500 } });
    ring_put(&c, 5, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 2500 } });
    ring_kick(&c, 4);
    ring_kick(&c, 5);
    submit(&c, 0, 4);
    submit(&c, 1, 5);
    g_assert(WAIT_UNTIL(&c, 70000, ctx_drained(&c, 4) && ctx_drained(&c, 5)));
    g_assert_cmpuint(ctx_busy(&c, 4), ==, 2000000);
    g_assert_cmpuint(ctx_busy(&c, 5), ==, 4000000);
    g_assert_cmpuint(rd64(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_BUSY_NS_LO)),
                     ==, 2000000);
    g_assert_cmpuint(rd64(&c, TESSERA_ENGINE_REG(1, TESSERA_ENG_BUSY_NS_LO)),
                     ==, 4000000);
    card_shutdown(&c);
}

/* One context faults on engine 1 while another finishes on engine 0. */
static void test_fault_isolation(void)
{
    Card c;
    uint64_t fence;

    card_boot(&c, NULL);
    fence = buf_alloc(&c, 4096, true);
    ctx_setup(&c, 6, 0);
    ctx_setup(&c, 7, 0);
    ring_put(&c, 6, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 2000 } });
    ring_put(&c, 6, cmd_fence(fence, 66, true));
    ring_put(&c, 7, (struct tessera_cmd) { .opcode = 0x77 });
    ring_kick(&c, 6);
    submit(&c, 0, 6);
    g_assert_cmpuint(run_ctx_fault(&c, 1, 7, 0), ==, TESSERA_FAULT_BAD_OPCODE);
    g_assert_cmpuint(ctx_rd(&c, 6, TESSERA_CTX_STATUS) &
                     TESSERA_CTX_STATUS_FAULTED, ==, 0);
    g_assert(WAIT_UNTIL(&c, 50000, ctx_drained(&c, 6)));
    g_assert_cmpuint(qtest_readq(c.qts, fence), ==, 66);
    g_assert(WAIT_UNTIL(&c, 0, vec_pending(&c, TESSERA_VEC_CTX(6))));
    g_assert_cmpuint(ctx_rd(&c, 6, TESSERA_CTX_FAULT_CODE), ==, 0);
    card_shutdown(&c);
}

/* ---- regions ------------------------------------------------------------ */

static uint64_t put_image(Card *c, uint32_t function, size_t payload,
                          uint8_t **out_payload, uint32_t *out_size)
{
    size_t size = TESSERA_BITSTREAM_HEADER_SIZE + payload;
    g_autofree uint8_t *img = g_malloc0(size);
    struct tessera_bitstream_header *h = (void *)img;
    uint64_t addr = buf_alloc(c, size, false);
    size_t i;

    for (i = 0; i < payload; i++) {
        img[sizeof(*h) + i] = g_test_rand_int();
    }
    h->magic = TESSERA_BITSTREAM_MAGIC;
    h->version = TESSERA_BITSTREAM_VERSION;
    h->header_size = sizeof(*h);
    h->function_id = function;
    h->payload_size = payload;
    h->payload_crc32 = ref_crc32(img + sizeof(*h), payload);
    qtest_bufwrite(c->qts, addr, img, size);
    if (out_payload) {
        *out_payload = g_memdup2(img, size);
    }
    *out_size = size;
    return addr;
}

static uint32_t rgn_rd(Card *c, unsigned r, uint64_t reg)
{
    return rd(c, TESSERA_REGION_REG(r, reg));
}

/* Load an image into region r, stepping card time; returns the status. */
static uint32_t rgn_load(Card *c, unsigned r, uint64_t addr, uint32_t size,
                         uint64_t *config_ns)
{
    uint32_t st;

    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_INT_STATUS), ~0u);
    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_CTX), 0);
    wr64(c, TESSERA_REGION_REG(r, TESSERA_RGN_IMAGE_ADDR_LO), addr);
    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_IMAGE_SIZE), size);
    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG), 1);
    g_assert(WAIT_UNTIL(c, 10000, rgn_rd(c, r, TESSERA_RGN_INT_STATUS) &
                        TESSERA_RGN_INT_CONFIG_DONE));
    st = rgn_rd(c, r, TESSERA_RGN_CONFIG_STATUS);
    if (config_ns) {
        *config_ns = rd64(c, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG_NS_LO));
    }
    return st;
}

/*
 * Reconfiguration takes card time in proportion to the image size at the
 * configured bandwidth; bad images are refused with their status code and
 * leave the previous function loaded.
 */
static void test_region_config(void)
{
    static const size_t sizes[] = { 256 << 10, 512 << 10, 1 << 20 };
    Card c;
    uint64_t addr, ns;
    uint32_t size, st;
    g_autofree uint8_t *img = NULL;
    uint8_t bad[TESSERA_BITSTREAM_HEADER_SIZE];
    unsigned i;

    card_boot(&c, "region-capacity=2M");
    ctx_setup(&c, 0, 0);
    wr(&c, TESSERA_REGION_REG(0, TESSERA_RGN_INT_ENABLE),
       TESSERA_RGN_INT_CONFIG_DONE);
    g_assert_cmpuint(rgn_rd(&c, 0, TESSERA_RGN_CONFIG_STATUS), ==,
                     TESSERA_RGN_CFG_EMPTY);
    g_assert_cmpuint(rgn_rd(&c, 0, TESSERA_RGN_FUNCTION), ==, TESSERA_FN_NONE);
    COVER(TESSERA_RGN_CFG_EMPTY);

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        double want, err;

        addr = put_image(&c, TESSERA_FN_CRC32, sizes[i], NULL, &size);
        wr64(&c, TESSERA_REGION_REG(0, TESSERA_RGN_IMAGE_ADDR_LO), addr);
        wr(&c, TESSERA_REGION_REG(0, TESSERA_RGN_IMAGE_SIZE), size);
        wr(&c, TESSERA_REGION_REG(0, TESSERA_RGN_CONFIG), 1);
        g_assert_cmpuint(rgn_rd(&c, 0, TESSERA_RGN_CONFIG_STATUS), ==,
                         TESSERA_RGN_CFG_LOADING);
        COVER(TESSERA_RGN_CFG_LOADING);
        g_assert(WAIT_UNTIL(&c, 5000,
                            rgn_rd(&c, 0, TESSERA_RGN_CONFIG_STATUS) !=
                            TESSERA_RGN_CFG_LOADING));
        g_assert_cmpuint(rgn_rd(&c, 0, TESSERA_RGN_CONFIG_STATUS), ==,
                         TESSERA_RGN_CFG_LOADED);
        ns = rd64(&c, TESSERA_REGION_REG(0, TESSERA_RGN_CONFIG_NS_LO));
        want = size * 1e6 / (BW_KIB_PER_MS * 1024.0);
        err = (ns - want) / want;
        g_test_message("image %u bytes: %" PRIu64 " ns, %.0f ns at %u KiB/ms "
                       "(%+.2f%%)", size, ns, want, BW_KIB_PER_MS, err * 100);
        g_assert_cmpfloat(fabs(err), <, 0.02);
        g_assert(WAIT_UNTIL(&c, 0, vec_pending(&c, TESSERA_VEC_REGIONS)));
        vec_clear(&c, TESSERA_VEC_REGIONS);
    }
    COVER(TESSERA_RGN_CFG_LOADED);
    g_assert_cmpuint(rgn_rd(&c, 0, TESSERA_RGN_FUNCTION), ==,
                     TESSERA_FN_CRC32);

    /* Bad images: each status, and the CRC32 function stays loaded. */
    addr = put_image(&c, TESSERA_FN_VADD, 4096, &img, &size);
    memcpy(bad, img, sizeof(bad));
    bad[0] ^= 1;
    qtest_bufwrite(c.qts, addr, bad, sizeof(bad));
    g_assert_cmpuint(rgn_load(&c, 0, addr, size, NULL), ==,
                     TESSERA_RGN_CFG_ERR_MAGIC);
    COVER(TESSERA_RGN_CFG_ERR_MAGIC);
    memcpy(bad, img, sizeof(bad));
    qtest_bufwrite(c.qts, addr, bad, sizeof(bad));
    g_assert_cmpuint(rgn_load(&c, 0, addr, size - 4, NULL), ==,
                     TESSERA_RGN_CFG_ERR_SIZE);
    addr = put_image(&c, TESSERA_FN_VADD, (2 << 20) + 4096, NULL, &size);
    g_assert_cmpuint(rgn_load(&c, 0, addr, size, NULL), ==,
                     TESSERA_RGN_CFG_ERR_SIZE);
    COVER(TESSERA_RGN_CFG_ERR_SIZE);
    addr = put_image(&c, 9, 4096, NULL, &size);
    g_assert_cmpuint(rgn_load(&c, 0, addr, size, NULL), ==,
                     TESSERA_RGN_CFG_ERR_FUNCTION);
    COVER(TESSERA_RGN_CFG_ERR_FUNCTION);
    addr = put_image(&c, TESSERA_FN_VADD, 4096, NULL, &size);
    qtest_writeb(c.qts, addr + 100, qtest_readb(c.qts, addr + 100) ^ 0x40);
    g_assert_cmpuint(rgn_load(&c, 0, addr, size, &ns), ==,
                     TESSERA_RGN_CFG_ERR_CHECKSUM);
    COVER(TESSERA_RGN_CFG_ERR_CHECKSUM);
    g_assert_cmpuint(rgn_load(&c, 0, 0x7000000000ull, 4096, NULL), ==,
                     TESSERA_RGN_CFG_ERR_MMU);
    COVER(TESSERA_RGN_CFG_ERR_MMU);
    g_assert_cmpuint(rgn_rd(&c, 0, TESSERA_RGN_FUNCTION), ==,
                     TESSERA_FN_CRC32);

    /*
     * ERR_BUSY: a reconfiguration while a job runs. A 16 MiB CRC32 job
     * takes milliseconds of host time; should it win the race, try again.
     */
    {
        uint64_t data = buf_alloc(&c, TESSERA_FN_MAX_BYTES, false);
        unsigned attempt;

        wr64(&c, TESSERA_RGN_USER_REG(0, TESSERA_RGN_USER_ARG(1)), data);
        wr64(&c, TESSERA_RGN_USER_REG(0, TESSERA_RGN_USER_ARG(3)),
             TESSERA_FN_MAX_BYTES);
        for (attempt = 0; attempt < 10; attempt++) {
            wr(&c, TESSERA_RGN_USER_REG(0, TESSERA_RGN_USER_START), 1);
            wr(&c, TESSERA_REGION_REG(0, TESSERA_RGN_CONFIG), 1);
            st = rgn_rd(&c, 0, TESSERA_RGN_CONFIG_STATUS);
            g_assert(WAIT_UNTIL(&c, 10000,
                                rgn_rd(&c, 0, TESSERA_RGN_CONFIG_STATUS) !=
                                TESSERA_RGN_CFG_LOADING &&
                                rd(&c, TESSERA_RGN_USER_REG(0,
                                   TESSERA_RGN_USER_JOB_STATUS)) !=
                                TESSERA_RGN_JOB_RUNNING));
            if (st == TESSERA_RGN_CFG_ERR_BUSY) {
                break;
            }
        }
        g_assert_cmpuint(st, ==, TESSERA_RGN_CFG_ERR_BUSY);
        g_assert_cmpuint(rd(&c, TESSERA_RGN_USER_REG(0,
                         TESSERA_RGN_USER_JOB_STATUS)), ==,
                         TESSERA_RGN_JOB_DONE);
        COVER(TESSERA_RGN_CFG_ERR_BUSY);
    }
    g_assert_cmpuint(rd(&c, TESSERA_REG_ERROR_COUNT), >=, 6);
    card_shutdown(&c);
}

static uint32_t rgn_job(Card *c, unsigned r, const uint64_t *args)
{
    unsigned i;

    for (i = 0; i < TESSERA_RGN_USER_NUM_ARGS; i++) {
        wr64(c, TESSERA_RGN_USER_REG(r, TESSERA_RGN_USER_ARG(i)), args[i]);
    }
    wr(c, TESSERA_RGN_USER_REG(r, TESSERA_RGN_USER_START), 1);
    g_assert(WAIT_UNTIL(c, 0, rd(c, TESSERA_RGN_USER_REG(r,
                        TESSERA_RGN_USER_JOB_STATUS)) !=
                        TESSERA_RGN_JOB_RUNNING));
    return rd(c, TESSERA_RGN_USER_REG(r, TESSERA_RGN_USER_JOB_STATUS));
}

/* Region functions compute VADD, CRC32 and GEMM_TILE through the MMU. */
static void test_region_functions(void)
{
    enum { N = 5000, T = 64 };
    Card c;
    uint32_t size;
    uint64_t addr, pa, pb, pc, args[6] = { 0 };
    g_autofree float *a = g_new(float, N), *b = g_new(float, N);
    g_autofree float *o = g_new(float, N);
    g_autofree uint8_t *bytes = g_malloc(N);
    unsigned i;

    card_boot(&c, NULL);
    ctx_setup(&c, 0, 0);
    wr(&c, TESSERA_REGION_REG(1, TESSERA_RGN_INT_ENABLE),
       TESSERA_RGN_INT_JOB_DONE | TESSERA_RGN_INT_JOB_FAULT);

    /* Nothing loaded yet. */
    g_assert_cmpuint(rgn_job(&c, 1, args), ==, TESSERA_RGN_JOB_NO_FUNCTION);
    COVER(TESSERA_FN_NONE);

    addr = put_image(&c, TESSERA_FN_VADD, 1024, NULL, &size);
    g_assert_cmpuint(rgn_load(&c, 1, addr, size, NULL), ==,
                     TESSERA_RGN_CFG_LOADED);
    pa = buf_alloc(&c, N * 4, false);
    pb = buf_alloc(&c, N * 4, false);
    pc = buf_alloc(&c, N * 4, true);
    rand_floats(a, N);
    rand_floats(b, N);
    qtest_bufwrite(c.qts, pa, a, N * 4);
    qtest_bufwrite(c.qts, pb, b, N * 4);
    args[0] = pc;
    args[1] = pa;
    args[2] = pb;
    args[3] = N;
    g_assert_cmpuint(rgn_job(&c, 1, args), ==, TESSERA_RGN_JOB_DONE);
    qtest_bufread(c.qts, pc, o, N * 4);
    for (i = 0; i < N; i++) {
        g_assert(o[i] == a[i] + b[i]);
    }
    g_assert(WAIT_UNTIL(&c, 0, vec_pending(&c, TESSERA_VEC_REGIONS)));
    vec_clear(&c, TESSERA_VEC_REGIONS);
    COVER(TESSERA_FN_VADD);
    /* A job's DMA is confined by its context's MMU too. */
    args[0] = 0x7000000000ull;
    g_assert_cmpuint(rgn_job(&c, 1, args), ==, TESSERA_RGN_JOB_FAULT);
    g_assert_cmpuint(rgn_rd(&c, 1, TESSERA_RGN_FAULT_CODE), ==,
                     TESSERA_FAULT_MMU_MISS);
    g_assert_cmphex(rd64(&c, TESSERA_REGION_REG(1, TESSERA_RGN_FAULT_ADDR_LO)),
                    ==, 0x7000000000ull);
    g_assert(rgn_rd(&c, 1, TESSERA_RGN_INT_STATUS) & TESSERA_RGN_INT_JOB_FAULT);
    wr(&c, TESSERA_REGION_REG(1, TESSERA_RGN_RESET), 1);
    g_assert_cmpuint(rgn_rd(&c, 1, TESSERA_RGN_FAULT_CODE), ==, 0);
    g_assert_cmpuint(rd(&c, TESSERA_RGN_USER_REG(1,
                     TESSERA_RGN_USER_JOB_STATUS)), ==, TESSERA_RGN_JOB_IDLE);

    addr = put_image(&c, TESSERA_FN_CRC32, 1024, NULL, &size);
    g_assert_cmpuint(rgn_load(&c, 1, addr, size, NULL), ==,
                     TESSERA_RGN_CFG_LOADED);
    for (i = 0; i < N; i++) {
        bytes[i] = g_test_rand_int();
    }
    qtest_bufwrite(c.qts, pa, bytes, N);
    memset(args, 0, sizeof(args));
    args[1] = pa;
    args[3] = N;
    g_assert_cmpuint(rgn_job(&c, 1, args), ==, TESSERA_RGN_JOB_DONE);
    g_assert_cmphex(rd64(&c, TESSERA_RGN_USER_REG(1,
                    TESSERA_RGN_USER_RESULT_LO)), ==, ref_crc32(bytes, N));
    g_assert_cmpuint(rd(&c, TESSERA_RGN_USER_REG(1,
                     TESSERA_RGN_USER_JOBS_DONE)), ==, 1);
    COVER(TESSERA_FN_CRC32);

    /* ABORT keeps the function and the result; CLEAR forgets the tenant. */
    wr(&c, TESSERA_REGION_REG(1, TESSERA_RGN_RESET), TESSERA_RGN_RESET_ABORT);
    g_assert_cmpuint(rgn_rd(&c, 1, TESSERA_RGN_FUNCTION), ==, TESSERA_FN_CRC32);
    wr(&c, TESSERA_REGION_REG(1, TESSERA_RGN_RESET), TESSERA_RGN_RESET_CLEAR);
    g_assert_cmpuint(rgn_rd(&c, 1, TESSERA_RGN_FUNCTION), ==, TESSERA_FN_NONE);
    g_assert_cmpuint(rgn_rd(&c, 1, TESSERA_RGN_CONFIG_STATUS), ==,
                     TESSERA_RGN_CFG_EMPTY);
    g_assert_cmphex(rd64(&c, TESSERA_REGION_REG(1, TESSERA_RGN_IMAGE_ADDR_LO)), ==, 0);
    g_assert_cmphex(rd64(&c, TESSERA_REGION_REG(1, TESSERA_RGN_BUSY_NS_LO)), ==, 0);
    g_assert_cmphex(rd64(&c, TESSERA_REGION_REG(1, TESSERA_RGN_CONFIG_NS_LO)), ==, 0);
    g_assert_cmphex(rd64(&c, TESSERA_RGN_USER_REG(1, TESSERA_RGN_USER_RESULT_LO)), ==, 0);
    g_assert_cmphex(rd64(&c, TESSERA_RGN_USER_REG(1, TESSERA_RGN_USER_ARG(1))), ==, 0);
    g_assert_cmpuint(rd(&c, TESSERA_RGN_USER_REG(1, TESSERA_RGN_USER_JOBS_DONE)), ==, 0);
    /* No function: a job does not start. */
    wr(&c, TESSERA_RGN_USER_REG(1, TESSERA_RGN_USER_START), 1);
    g_assert_cmpuint(rd(&c, TESSERA_RGN_USER_REG(1, TESSERA_RGN_USER_JOB_STATUS)), ==,
                     TESSERA_RGN_JOB_NO_FUNCTION);

    addr = put_image(&c, TESSERA_FN_GEMM_TILE, 2048, NULL, &size);
    g_assert_cmpuint(rgn_load(&c, 1, addr, size, NULL), ==,
                     TESSERA_RGN_CFG_LOADED);
    rand_floats(a, T * T);
    rand_floats(b, T * T);
    qtest_bufwrite(c.qts, pa, a, T * T * 4);
    qtest_bufwrite(c.qts, pb, b, T * T * 4);
    memset(args, 0, sizeof(args));
    args[0] = pc;
    args[1] = pa;
    args[2] = pb;
    args[3] = T | T << 16 | (uint64_t)T << 32;
    g_assert_cmpuint(rgn_job(&c, 1, args), ==, TESSERA_RGN_JOB_DONE);
    qtest_bufread(c.qts, pc, o, T * T * 4);
    g_assert_cmpfloat(gemm_rel_error(a, b, o, NULL, T, T, T), <, MAX_REL_ERR);
    COVER(TESSERA_FN_GEMM_TILE);
    /* A tile larger than 64 is a bad argument. */
    args[3] = 65 | T << 16 | (uint64_t)T << 32;
    g_assert_cmpuint(rgn_job(&c, 1, args), ==, TESSERA_RGN_JOB_FAULT);
    g_assert_cmpuint(rgn_rd(&c, 1, TESSERA_RGN_FAULT_CODE), ==,
                     TESSERA_FAULT_BAD_ARG);
    card_shutdown(&c);
}

/* The RESET key returns the card to its power-on state. */
static void test_card_reset(void)
{
    Card c;

    card_boot(&c, NULL);
    ctx_setup(&c, 0, 0);
    wr(&c, TESSERA_REG_SCRATCH, 5);
    ring_put(&c, 0, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 1000000 } });
    ring_kick(&c, 0);
    submit(&c, 0, 0);
    g_assert(WAIT_UNTIL(&c, 0, ctx_rd(&c, 0, TESSERA_CTX_STATUS) &
                        TESSERA_CTX_STATUS_RUNNING));
    wr(&c, TESSERA_REG_RESET, 0x1234);          /* wrong key: ignored */
    g_assert_cmpuint(rd(&c, TESSERA_REG_SCRATCH), ==, 5);
    wr(&c, TESSERA_REG_RESET, TESSERA_RESET_KEY);
    g_assert_cmpuint(rd(&c, TESSERA_REG_SCRATCH), ==, 0);
    g_assert_cmpuint(ctx_rd(&c, 0, TESSERA_CTX_CONFIG), ==, 0);
    g_assert_cmpuint(ctx_rd(&c, 0, TESSERA_CTX_STATUS), ==, 0);
    g_assert_cmpuint(rd(&c, TESSERA_ENGINE_REG(0, TESSERA_ENG_STATUS)), ==,
                     TESSERA_ENG_STATE_IDLE | 0xff << 8 | 0xff << 16);
    card_shutdown(&c);
}



/*
 * Hot-unplug while busy: exit stops and joins the workers of a card whose
 * engine is inside a long BUSY; QEMU and the other card carry on.
 */
static void test_hotplug(void)
{
    Card c, c2;
    uint64_t size;

    card_boot(&c, NULL);
    qtest_qmp_device_add(c.qts, "tessera-card", "card2",
                         "{'addr': '0x6', 'vram-size': 16777216, 'contexts': 4,"
                         " 'engines': 1, 'regions': 1}");
    c2 = c;
    c2.dev = qpci_device_find(c.qs->pcibus, QPCI_DEVFN(6, 0));
    g_assert(c2.dev);
    c2.bar0 = qpci_iomap(c2.dev, TESSERA_BAR_REGS, &size);
    qpci_device_enable(c2.dev);
    g_assert_cmphex(rd(&c2, TESSERA_REG_MAGIC), ==, TESSERA_MAGIC);
    g_assert_cmpuint(rd(&c2, TESSERA_REG_NUM_CONTEXTS), ==, 4);
    ctx_setup(&c2, 1, 0);
    ring_put(&c2, 1, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 1000000 } });
    ring_kick(&c2, 1);
    submit(&c2, 0, 1);
    g_assert(WAIT_UNTIL(&c2, 0, ctx_rd(&c2, 1, TESSERA_CTX_STATUS) &
                        TESSERA_CTX_STATUS_RUNNING));
    qtest_clock_step(c.qts, 1000000);
    qpci_unplug_acpi_device_test(c.qts, "card2", 0x06);
    g_free(c2.dev);
    g_assert_cmphex(rd(&c, TESSERA_REG_MAGIC), ==, TESSERA_MAGIC);
    card_shutdown(&c);
}

/*
 * Hostile driver: random register writes over every block and random
 * commands with edge-case arguments. QEMU must neither crash nor hang,
 * and after a card reset the card works normally.
 */
static void test_hostile_inputs(void)
{
    static const uint64_t interesting[] = {
        0, 1, 4, 8, 63, 64, 4096, 2049, 0xffffffffull, ~0ull,
        TESSERA_DVA_VRAM_BASE, TESSERA_DVA_VRAM_BASE + 0x100,
        TESSERA_DVA_VRAM_BASE + (1 << 20) - 4, TESSERA_DVA_PAGED_LIMIT - 8,
        TESSERA_DVA_PAGED_LIMIT, 1ull << 63,
    };
    static const uint64_t blocks[][2] = {
        { TESSERA_GLOBAL_BASE, 0x100 },
        { TESSERA_ENGINE_BASE, 2 * TESSERA_ENGINE_STRIDE },
        { TESSERA_REGION_BASE, 4 * TESSERA_REGION_STRIDE },
        { TESSERA_CTX_BASE, 16 * TESSERA_CTX_STRIDE },
        { TESSERA_RGN_USER_BASE, 4 * TESSERA_RGN_USER_STRIDE },
        { 0, TESSERA_BAR0_SIZE },
    };
    Card c;
    uint64_t buf, fence;
    unsigned round, i, ctx;

    card_boot(&c, NULL);
    buf = buf_alloc(&c, 8192, true);
    for (ctx = 8; ctx < 12; ctx++) {
        ctx_setup(&c, ctx, ctx == 8 ? TESSERA_CTX_CFG_PRIV : 0);
    }
    for (round = 0; round < 100; round++) {
        for (ctx = 8; ctx < 12; ctx++) {
            for (i = 0; i < 8; i++) {
                struct tessera_cmd cmd = {
                    .opcode = g_test_rand_int_range(0, 0x14),
                    .flags = g_test_rand_bit() ? 0 : g_test_rand_int(),
                    .param = g_test_rand_int_range(0, 4),
                };
                unsigned a;

                for (a = 0; a < 7; a++) {
                    unsigned pick = g_test_rand_int_range(0, 20);

                    cmd.arg[a] = pick < ARRAY_SIZE(interesting) ?
                                 interesting[pick] :
                                 pick == 16 ? buf : pick == 17 ?
                                 buf + 4096 : 0;
                }
                ring_put(&c, ctx, cmd);
            }
            ring_kick(&c, ctx);
            submit(&c, ctx % 2, ctx);
        }
        for (i = 0; i < 20; i++) {
            unsigned b = g_test_rand_int_range(0, ARRAY_SIZE(blocks));
            uint64_t off = blocks[b][0] +
                           (g_test_rand_int_range(0, blocks[b][1] / 4) * 4);
            uint32_t val = g_test_rand_bit() ?
                           g_test_rand_int() : g_test_rand_int_range(0, 3);

            if (off == TESSERA_REG_RESET) {
                continue;
            }
            wr(&c, off, val);
        }
        qtest_clock_step(c.qts, g_test_rand_int_range(0, 200000));
        g_assert_cmphex(rd(&c, TESSERA_REG_MAGIC), ==, TESSERA_MAGIC);
    }
    wr(&c, TESSERA_REG_RESET, TESSERA_RESET_KEY);
    g_assert_cmpuint(rd(&c, TESSERA_REG_ERROR_COUNT), ==, 0);
    /* The card still works: a fresh context runs a FENCE. */
    fence = buf_alloc(&c, 4096, true);
    ctx_setup(&c, 0, 0);
    ring_put(&c, 0, cmd_fence(fence, 0xfeed, false));
    run_ctx(&c, 0, 0);
    g_assert_cmphex(qtest_readq(c.qts, fence), ==, 0xfeed);
    card_shutdown(&c);
}

static bool migration_completed(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{ 'execute': 'query-migrate' }");
    const char *st = qdict_get_try_str(qdict_get_qdict(rsp, "return"),
                                       "status");
    bool done = st && !strcmp(st, "completed");

    g_assert(!st || strcmp(st, "failed"));
    qobject_unref(rsp);
    return done;
}

/*
 * Live migration: a BUSY stopped by the migration resumes on the
 * destination from its saved progress and completes with its full card
 * time; registers, ring state and guest memory arrive intact.
 */
static void test_migration(void)
{
    g_autofree char *dir = g_dir_make_tmp("tessera-mig-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "state", NULL);
    g_autofree char *uri = g_strdup_printf("exec:cat > %s", file);
    g_autofree char *incoming = g_strdup_printf("-incoming \"exec:cat %s\"",
                                                file);
    Card src, dst;
    uint64_t fence;
    QDict *rsp;

    card_boot(&src, NULL);
    fence = buf_alloc(&src, 4096, true);
    ctx_setup(&src, 3, 0);
    wr(&src, TESSERA_REG_SCRATCH, 0xabcd);
    ring_put(&src, 3, (struct tessera_cmd) {
        .opcode = TESSERA_OP_BUSY, .arg = { 10000 } });
    ring_put(&src, 3, cmd_fence(fence, 0x600d, false));
    ring_kick(&src, 3);
    submit(&src, 1, 3);
    g_assert(WAIT_UNTIL(&src, 0, ctx_rd(&src, 3, TESSERA_CTX_STATUS) &
                        TESSERA_CTX_STATUS_RUNNING));
    qtest_clock_step(src.qts, 4050000);

    rsp = qtest_qmp(src.qts, "{ 'execute': 'migrate', "
                    "'arguments': { 'uri': %s } }", uri);
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
    g_assert(WAIT_UNTIL(&src, 0, migration_completed(src.qts)));
    /* The source stopped: the BUSY saved 4.05 ms of progress. */
    g_assert_cmpuint(ctx_busy(&src, 3), ==, 4050000);
    g_assert_cmpuint(ctx_rd(&src, 3, TESSERA_CTX_RESUME), ==, 4050);
    card_shutdown(&src);

    card_boot_args(&dst, NULL, incoming);
    qtest_qmp_eventwait(dst.qts, "RESUME");
    g_assert_cmphex(rd(&dst, TESSERA_REG_SCRATCH), ==, 0xabcd);
    g_assert_cmpuint(ctx_rd(&dst, 3, TESSERA_CTX_STATUS) &
                     TESSERA_CTX_STATUS_LOADED, !=, 0);
    dst.tail[3] = 2;
    g_assert(WAIT_UNTIL(&dst, 50000, ctx_drained(&dst, 3)));
    g_assert_cmphex(qtest_readq(dst.qts, fence), ==, 0x600d);
    g_test_message("after migration: context busy %" PRIu64 " ns",
                   ctx_busy(&dst, 3));
    g_assert_cmpuint(ctx_busy(&dst, 3), >=, 10000000);
    g_assert_cmpuint(ctx_busy(&dst, 3), <=, 10000000 + 10000000 / 50);
    card_shutdown(&dst);
    unlink(file);
    rmdir(dir);
}

/*
 * Coverage guard: every opcode, fault code, region configuration status,
 * region function and element-wise op named in the header was verified
 * by some test above.
 */
static void test_coverage_guard(void)
{
    static const char *const prefixes[] = {
        "TESSERA_OP_", "TESSERA_FAULT_", "TESSERA_RGN_CFG_", "TESSERA_FN_",
        "TESSERA_EW_",
    };
    static const char *const not_values[] = {
        "TESSERA_OP_PRIVILEGED_FIRST", "TESSERA_EW_NUM_OPS",
        "TESSERA_FN_GEMM_TILE_MAX", "TESSERA_FN_MAX_BYTES",
    };
    const char *path = g_getenv("TESSERA_HW_H");
    const char *record = g_getenv("TESSERA_COVERAGE_FILE");
    g_autofree char *text = NULL, *recorded = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned i, j, names = 0, missing = 0;

    if (!path) {
        g_test_skip("TESSERA_HW_H is not set (scripts/qtest.sh sets it)");
        return;
    }
    if (record && g_file_get_contents(record, &recorded, NULL, NULL)) {
        g_auto(GStrv) names_seen = g_strsplit(recorded, "\n", -1);

        for (i = 0; names_seen[i]; i++) {
            if (*names_seen[i]) {
                g_hash_table_add(covered, g_strdup(names_seen[i]));
            }
        }
    }
    g_assert(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (i = 0; lines[i]; i++) {
        g_autofree char *name = NULL;
        const char *p = g_strstrip(lines[i]);
        size_t len;

        if (g_str_has_prefix(p, "#define")) {
            p += strlen("#define");
            while (*p == ' ' || *p == '\t') {
                p++;
            }
        }
        len = 0;
        while (g_ascii_isalnum(p[len]) || p[len] == '_') {
            len++;
        }
        name = g_strndup(p, len);
        for (j = 0; j < ARRAY_SIZE(prefixes); j++) {
            if (g_str_has_prefix(name, prefixes[j])) {
                break;
            }
        }
        if (j == ARRAY_SIZE(prefixes) ||
            g_strv_contains((const char * const *)not_values, name) ||
            (p[len] != ' ' && p[len] != '\t' && p[len] != '=')) {
            continue;
        }
        names++;
        if (!g_hash_table_contains(covered, name)) {
            g_test_message("not covered by any test: %s", name);
            missing++;
        }
    }
    g_test_message("coverage guard: %u names, %u not covered", names, missing);
    g_assert_cmpuint(names, >=, 30);
    g_assert_cmpuint(missing, ==, 0);
}


/* ---- benchmark (only with -m perf; scripts/bench-card.sh runs it) ------ */

/*
 * Load an image and let card time follow the wall clock, as it does in a
 * running VM: each poll steps the virtual clock by the host time elapsed.
 * Returns CONFIG_NS.
 */
static uint64_t bench_load_realtime(Card *c, unsigned r, uint64_t addr,
                                    uint32_t size)
{
    gint64 last = g_get_monotonic_time(), deadline = last + WAIT_US;

    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_INT_STATUS), ~0u);
    wr64(c, TESSERA_REGION_REG(r, TESSERA_RGN_IMAGE_ADDR_LO), addr);
    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_IMAGE_SIZE), size);
    wr(c, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG), 1);
    while (!(rgn_rd(c, r, TESSERA_RGN_INT_STATUS) &
             TESSERA_RGN_INT_CONFIG_DONE)) {
        gint64 now = g_get_monotonic_time();

        g_assert_cmpint(now, <, deadline);
        if (now > last) {
            qtest_clock_step(c->qts, (now - last) * 1000);
            last = now;
        }
    }
    g_assert_cmpuint(rgn_rd(c, r, TESSERA_RGN_CONFIG_STATUS), ==,
                     TESSERA_RGN_CFG_LOADED);
    return rd64(c, TESSERA_REGION_REG(r, TESSERA_RGN_CONFIG_NS_LO));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/*
 * Reconfiguration card time for 1, 2 and 4 MiB payloads against the
 * configured bandwidth (median of 5 loads each), and the worst deviation
 * from the ideal line; the goal is 5%.
 */
static void bench_reconfig(void)
{
    static const uint32_t mib[] = { 1, 2, 4 };
    const char *bw_env = g_getenv("TESSERA_BENCH_BW");
    unsigned bw = bw_env ? atoi(bw_env) : BW_KIB_PER_MS;
    g_autofree char *props = g_strdup_printf(
        "region-capacity=8M,regions=1,config-bandwidth-kib-per-ms=%u", bw);
    double worst = 0;
    Card c;
    unsigned i, rep;

    /* The later config-bandwidth property overrides card_boot's. */
    card_boot(&c, props);
    g_assert_cmpuint(rd(&c, TESSERA_REG_CONFIG_BW), ==, bw);
    ctx_setup(&c, 0, 0);
    wr(&c, TESSERA_REGION_REG(0, TESSERA_RGN_CTX), 0);
    printf("BENCH region reconfiguration, config bandwidth %u KiB/ms "
           "(%.1f MB/s), card time follows the wall clock\n",
           bw, bw * 1024.0 / 1000.0);
    printf("BENCH %-8s %-12s %-14s %-14s %-8s\n", "payload", "image bytes",
           "expected ns", "measured ns", "error");
    for (i = 0; i < ARRAY_SIZE(mib); i++) {
        uint32_t size;
        uint64_t addr = put_image(&c, TESSERA_FN_VADD, mib[i] << 20, NULL,
                                  &size);
        uint64_t ns[5];
        char label[16];
        double want, err;

        for (rep = 0; rep < ARRAY_SIZE(ns); rep++) {
            ns[rep] = bench_load_realtime(&c, 0, addr, size);
        }
        qsort(ns, ARRAY_SIZE(ns), sizeof(ns[0]), cmp_u64);
        want = size * 1e6 / (bw * 1024.0);
        err = (ns[2] - want) / want;
        worst = MAX(worst, fabs(err));
        snprintf(label, sizeof(label), "%u MiB", mib[i]);
        printf("BENCH %-8s %-12u %-14.0f %-14" PRIu64 " %+.2f%%\n",
               label, size, want, ns[2], err * 100);
    }
    printf("BENCH worst deviation from size/bandwidth: %.2f%% (goal 5%%)\n",
           worst * 100);
    card_shutdown(&c);
    g_assert_cmpfloat(worst, <, 0.05);
}

int main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    covered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    qtest_add_func("/tessera-card/identity", test_identity);
    qtest_add_func("/tessera-card/data-ops", test_data_ops);
    qtest_add_func("/tessera-card/gemm", test_gemm);
    qtest_add_func("/tessera-card/gemm-preemption", test_gemm_preemption);
    qtest_add_func("/tessera-card/faults", test_faults);
    qtest_add_func("/tessera-card/privileged", test_privileged);
    qtest_add_func("/tessera-card/mmu-confinement", test_mmu_confinement);
    qtest_add_func("/tessera-card/preemption", test_preemption);
    qtest_add_func("/tessera-card/busy-counters", test_busy_counters);
    qtest_add_func("/tessera-card/fault-isolation", test_fault_isolation);
    qtest_add_func("/tessera-card/region-config", test_region_config);
    qtest_add_func("/tessera-card/region-functions", test_region_functions);
    qtest_add_func("/tessera-card/card-reset", test_card_reset);
    qtest_add_func("/tessera-card/hostile-inputs", test_hostile_inputs);
    qtest_add_func("/tessera-card/hotplug", test_hotplug);
    qtest_add_func("/tessera-card/migration", test_migration);
    qtest_add_func("/tessera-card/zz-coverage-guard", test_coverage_guard);
    if (g_test_perf()) {
        qtest_add_func("/tessera-card/bench/reconfig", bench_reconfig);
    }
    ret = g_test_run();
    /* Only a process whose tests all passed gets here to record them. */
    if (g_getenv("TESSERA_COVERAGE_FILE") && !ret) {
        GHashTableIter it;
        gpointer name;
        FILE *f = fopen(g_getenv("TESSERA_COVERAGE_FILE"), "a");

        g_assert(f);
        g_hash_table_iter_init(&it, covered);
        while (g_hash_table_iter_next(&it, &name, NULL)) {
            fprintf(f, "%s\n", (const char *)name);
        }
        fclose(f);
    }
    return ret;
}
