// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_fuzz: the vGPU bind interface (tessera_hw.h, "The bind interface").
 *
 * OP_BIND writes a bind descriptor into the fuzzer's guest memory and drives
 * VF_BIND_ADDR/VF_BIND_OP: good bindings of pages of the standard slots in
 * random order, writable or not, and every way a request can be wrong (the
 * descriptor's address, its reserved fields and flags, the device range,
 * the count, each page), unbinds of starts, non-starts and nothing,
 * UNMAP_ALL and unknown operations. The model keeps the live bindings
 * (device address, pages, writable, which guest pages) and predicts
 * VF_BIND_STATUS exactly, in the order the mediator must check: DESC (the
 * header), RESERVED, RANGE, OVERLAP, TOO_MANY, DESC (the page list), then
 * page by page PAGE (misaligned or not guest memory), PIN_LIMIT (the
 * instance's pins, read from sysfs before the operation), PAGE (not
 * pinnable as asked), and VF_BIND_ERR_INDEX for ERR_PAGE and PIN_LIMIT.
 * What depends on host state the model cannot know is accepted only where
 * it is possible: MEMLOCK only for a process RLIMIT_MEMLOCK limits (not
 * root), at a page the mediator would pin; NOMEM only under a memory.max,
 * past the checks that allocate nothing. A refused operation must change
 * nothing: VF_BIND_COUNT, VF_BIND_PAGES and the instance's pinned pages are
 * read after every operation and held to the model.
 *
 * The model follows what takes bindings away: UNBIND/UNMAP_ALL, a dma_unmap
 * of a mapping that holds a bound page (the whole binding goes), a device
 * reset, FLR and close; VF_RESET keeps them. Under concurrency (threads, a
 * second process, removal) nothing is predicted, only what holds whatever
 * else runs (a status the spec defines; never MEMLOCK as root), and the
 * main thread's resynchronisation (UNMAP_DMA of everything) must leave no
 * binding: after it the model is empty again.
 *
 * A good MAP is then sometimes checked through the card: FILLs at bound
 * device addresses must land in the named guest pages, in order, and COPYs
 * from them must read those pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define PG		4096ull
#define BB		TESSERA_VF_DVA_BIND_BASE
#define GL		TESSERA_VF_DVA_GUEST_LIMIT
#define DESC_BASE	(FZ_BATCH_IOVA + FZ_IMAGE_OFF)	/* vGPUs load no images */
#define DESC_STRIDE	0x4000ull			/* per task */
#define MAX_DESC_PAGES	(TESSERA_VF_BIND_MAX_PAGES + 8)
/* the COPY probes' destination: the marker page, below the marker */
#define PROBE_DST	(FZ_DATA_IOVA + FZ_DATA_USABLE)

enum { M_BAD, M_OK, M_UNKNOWN };

static struct fz_binds *bm(void)
{
	return &fz.binds;
}

/* ---- the model ---- */

static void binding_free(struct fz_binding *b)
{
	free(b->pages);
	b->pages = NULL;
}

void fz_bind_forget_all(void)
{
	struct fz_binds *m = bm();
	unsigned int i;

	for (i = 0; i < m->n; i++)
		binding_free(&m->b[i]);
	m->n = 0;
	m->pages = 0;
	m->status_known = false;
}

static void binding_remove(unsigned int i)
{
	struct fz_binds *m = bm();

	m->pages -= m->b[i].npages;
	binding_free(&m->b[i]);
	m->b[i] = m->b[--m->n];
}

static bool binding_add(uint64_t dva, uint32_t n, bool writable, const uint64_t *pages)
{
	struct fz_binds *m = bm();
	struct fz_binding *b;

	if (m->n == m->cap) {
		unsigned int cap = m->cap ? m->cap * 2 : 64;
		void *p = realloc(m->b, cap * sizeof(*m->b));

		if (!p)
			return false;
		m->b = p;
		m->cap = cap;
	}
	b = &m->b[m->n];
	b->pages = malloc((size_t)n * sizeof(uint64_t));
	if (!b->pages)
		return false;
	memcpy(b->pages, pages, (size_t)n * sizeof(uint64_t));
	b->dva = dva;
	b->npages = n;
	b->writable = writable;
	m->n++;
	m->pages += n;
	return true;
}

/* The binding holding device page @dva, or -1. */
static int binding_at(uint64_t dva)
{
	struct fz_binds *m = bm();
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (dva >= m->b[i].dva && (dva - m->b[i].dva) / PG < m->b[i].npages)
			return i;
	return -1;
}

static bool overlaps_binding(uint64_t dva, uint64_t n)
{
	struct fz_binds *m = bm();
	uint64_t last = dva + n * PG - 1;
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (dva <= m->b[i].dva + m->b[i].npages * PG - 1 && m->b[i].dva <= last)
			return true;
	return false;
}

void fz_bind_unmapped(struct fz_task *t, uint64_t iova, uint64_t size)
{
	struct fz_binds *m = bm();
	uint64_t last = iova + size - 1;
	unsigned int i = 0, k;

	(void)t;
	while (i < m->n) {
		bool holds = false;

		for (k = 0; k < m->b[i].npages && !holds; k++)
			holds = m->b[i].pages[k] >= iova && m->b[i].pages[k] <= last;
		if (holds) {
			binding_remove(i);
			fz_cov(FZ_COV_BIND_REVOKED, 1);
		} else {
			i++;
		}
	}
}

static uint64_t pinned_now(void)
{
	uint64_t v = UINT64_MAX;

	if (fz_sysfs_u64("pinned_pages", &v))
		return UINT64_MAX;
	return v;
}

bool fz_bind_reg(uint32_t off)
{
	return off >= TESSERA_VF_BIND_ADDR_LO && off <= TESSERA_VF_BIND_MAX;
}

/* What a write of @wrote to a bind register must read back (the model's state). */
bool fz_bind_reg_ok(uint32_t off, uint32_t wrote, uint32_t back)
{
	struct fz_binds *m = bm();

	switch (off) {
	case TESSERA_VF_BIND_ADDR_LO:
	case TESSERA_VF_BIND_ADDR_HI:
		return back == wrote;
	case TESSERA_VF_BIND_OP:
		return back == 0;	/* write-only */
	case TESSERA_VF_BIND_STATUS:
		return !m->status_known || back == m->status;
	case TESSERA_VF_BIND_ERR_INDEX:
		return !m->status_known || back == m->err_index;
	case TESSERA_VF_BIND_COUNT:
		return back == m->n;
	case TESSERA_VF_BIND_PAGES:
		return back == m->pages;
	case TESSERA_VF_BIND_MAX:
		return back == m->max;
	default:
		return back == 0;
	}
}

void fz_bind_check(struct fz_task *t, const char *after)
{
	struct fz_binds *m = bm();
	uint32_t n, pages;

	if (fz.vfpga || fz.generic || !t->strict)
		return;
	n = fz_reg(TESSERA_VF_BIND_COUNT);
	pages = fz_reg(TESSERA_VF_BIND_PAGES);
	fz_checked();
	if (n != m->n || pages != m->pages)
		fz_fail(t, "after %s VF_BIND_COUNT %u VF_BIND_PAGES %u, the model holds %u bindings "
			"of %" PRIu64 " pages", after, n, pages, m->n, m->pages);
}

void fz_bind_fresh(struct fz_task *t, const char *who)
{
	uint32_t off, v;

	if (fz.generic)
		return;
	for (off = TESSERA_VF_BIND_ADDR_LO; off <= TESSERA_VF_BIND_MAX; off += 4) {
		if (off == TESSERA_VF_BIND_MAX && !fz.vfpga)
			continue;
		v = fz_reg(off);
		fz_checked();
		if (v)
			fz_fail(t, "%s: bind register 0x%x reads 0x%x, not 0", who, off, v);
	}
}

void fz_bind_setup(void)
{
	char buf[64], path[1024], line[512];
	FILE *f;

	fz_bind_forget_all();
	bm()->max = fz.vfpga || fz.generic ? 0 : fz_reg(TESSERA_VF_BIND_MAX);
	bm()->pin_limit = 512ull << 8;
	if (!tsr_sysfs_read("/sys/module/tessera_mdev/parameters/max_pinned_mib", buf, sizeof(buf)))
		bm()->pin_limit = strtoull(buf, NULL, 0) << 8;
	/* cgroup v2: a memory.max other than "max" can refuse the host's allocations */
	fz.memcg_limited = false;
	f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", line + 3);
		if (!tsr_sysfs_read(path, buf, sizeof(buf)) && strncmp(buf, "max", 3))
			fz.memcg_limited = true;
	}
	fclose(f);
}

/* ---- what guest memory is, as far as the model knows ---- */

static int slot_at(uint64_t a)
{
	int i;

	for (i = 0; i < FZ_NSLOTS; i++) {
		const struct fz_slot *s = &fz.slot[i];

		if (s->mapped && a >= s->iova && a - s->iova < s->size)
			return i;
	}
	return -1;
}

/* Whether vfio_dma_rw() of [a, a + len) reads: M_OK, M_BAD (a byte is unmapped), M_UNKNOWN. */
static int mem_class(uint64_t a, uint64_t len)
{
	bool unknown = false;
	uint64_t end = a + len;

	if (!len)
		return M_OK;
	if (end < a)
		return M_BAD;
	while (a < end) {
		int i = slot_at(a);
		const struct fz_slot *s;

		if (i < 0)
			return M_BAD;
		s = &fz.slot[i];
		if (i >= FZ_STD_SLOTS)
			unknown = true;	/* its backing may be gone, or not ours */
		if (s->iova + s->size < s->iova || s->iova + s->size >= end)
			break;
		a = s->iova + s->size;
	}
	return unknown ? M_UNKNOWN : M_OK;
}

/* Whether the host can pin page @p for a binding (@writable): the checks before the pin aside. */
static int page_class(uint64_t p, bool writable)
{
	int i = slot_at(p);

	if (i < 0)
		return M_BAD;
	if (i >= FZ_STD_SLOTS)
		return M_UNKNOWN;
	return writable && !fz.slot[i].writable ? M_BAD : M_OK;
}

/* The fuzzer's own bytes of guest address @a (a standard slot), or NULL. */
static uint8_t *guest_va(uint64_t a, uint64_t len)
{
	int i = slot_at(a);
	const struct fz_slot *s;

	if (i < 0 || i >= FZ_STD_SLOTS)
		return NULL;
	s = &fz.slot[i];
	if (!s->va || a - s->iova + len > s->size)
		return NULL;
	return (uint8_t *)s->va + (a - s->iova);
}

/* ---- the ring generator's view ---- */

bool fz_bind_covered(uint64_t addr, uint64_t len, bool write)
{
	uint64_t end = addr + len, p;
	int i;

	if (!len || end < addr || addr < BB || end > GL)
		return false;
	for (p = addr & ~(PG - 1); p < end; p += PG) {
		i = binding_at(p);
		if (i < 0 || (write && !bm()->b[i].writable))
			return false;
	}
	return true;
}

/*
 * [*addr, + len) inside live bindings (writable ones for @write), aligned
 * to @align: inside one, or across two or more adjacent ones.
 */
bool fz_bind_pick(uint64_t r, uint64_t len, bool write, unsigned int align, uint64_t *addr)
{
	struct fz_binds *m = bm();
	unsigned int tries;

	if (!m->n || !len)
		return false;
	for (tries = 0; tries < 4; tries++, r = r * 6364136223846793005ull + 1442695040888963407ull) {
		const struct fz_binding *b = &m->b[(r >> 33) % m->n];
		uint64_t start = b->dva, end = b->dva + b->npages * PG, a;
		int j;

		if (write && !b->writable)
			continue;
		/* the run of adjacent bindings that allow it, after this one */
		while ((j = binding_at(end)) >= 0 && (!write || m->b[j].writable) && end < GL)
			end = m->b[j].dva + m->b[j].npages * PG;
		if (end - start < len)
			continue;
		if (end - start > b->npages * PG && (r & 1)) {
			/* straddle the first boundary */
			uint64_t edge = b->dva + b->npages * PG;
			uint64_t lo = edge - (len < edge - start ? len : edge - start);

			a = lo + ((r >> 8) % (edge - lo + 1));
			if (a + len > end)
				a = end - len;
			if (a > edge - 1)
				a = edge - 1;
		} else {
			a = start + ((r >> 8) % (end - start - len + 1));
		}
		a &= ~(uint64_t)(align - 1);
		if (a < start)
			a = start;	/* start is page aligned */
		if (fz_bind_covered(a, len, write)) {
			*addr = a;
			return true;
		}
	}
	return false;
}

/*
 * A bind-space address at which [a, a + len) is not bound as needed: past a
 * binding's end, never bound, a read-only binding for a write, across the
 * bind base or the guest limit. With @aligned, 8-byte aligned and still bad
 * when rounded down to 8 bytes.
 */
uint64_t fz_bind_bad(uint64_t r, uint64_t len, bool write, bool aligned)
{
	struct fz_binds *m = bm();
	unsigned int tries;
	uint64_t a = GL;

	for (tries = 0; tries < 6; tries++, r = r * 6364136223846793005ull + 1442695040888963407ull) {
		const struct fz_binding *b = m->n ? &m->b[(r >> 33) % m->n] : NULL;

		switch ((r >> 4) % (aligned ? 4 : 6)) {
		case 0:	/* runs off a binding's end, into a gap or what is not bound */
			if (!b)
				continue;
			a = b->dva + b->npages * PG - (aligned ? 0 : len / 2 + 1);
			break;
		case 1:	/* bound nowhere */
			a = BB + ((r >> 12) % 0x100000) * PG + (aligned ? 0 : (r >> 40) % PG);
			break;
		case 2:	/* a read-only binding written (or any binding's first byte) */
			if (!b)
				continue;
			a = b->dva + (aligned ? 0 : (r >> 40) % 64);
			break;
		case 3:	/* the last bytes of the bind space, then past GL */
			a = aligned ? GL - 8 : GL - len / 2 - 1;
			if (aligned && len <= 8)
				a = GL - 8 - ((r >> 20) % 64) * PG;
			break;
		case 4:	/* across the bind base, from guest memory */
			a = BB - len / 2 - 1;
			break;
		default:	/* the first page of the bind space */
			a = BB + (r >> 40) % 64;
			break;
		}
		if (aligned)
			a &= ~7ull;
		if (a >= BB && a + len <= GL && fz_bind_covered(a, len, write))
			continue;	/* valid after all */
		if (a < BB && a + len <= BB)
			continue;	/* guest memory: not this case */
		return a;
	}
	return GL;	/* the host's shadow space: refused */
}

/* Some writable binding: its device range (at most 64 KiB of it). */
bool fz_bind_writable_run(uint64_t r, uint64_t *dva, uint64_t *len)
{
	struct fz_binds *m = bm();
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		const struct fz_binding *b = &m->b[(r + i) % m->n];

		if (b->writable) {
			*dva = b->dva;
			*len = b->npages * PG > 65536 ? 65536 : b->npages * PG;
			return true;
		}
	}
	return false;
}

/* ---- the operation ---- */

struct bind_req {
	uint64_t addr;		/* VF_BIND_ADDR */
	struct {
		uint64_t dva;
		uint32_t num_pages;
		uint32_t flags;
		uint64_t reserved[2];
		uint64_t pages[MAX_DESC_PAGES];
	} d;
	uint32_t written;	/* pages of the list written to guest memory */
	bool hdr_written;
};

/* What the mediator must answer, and what else it may. */
struct bind_verdict {
	uint32_t status, index;
	bool nomem_ok;		/* a host allocation could refuse it */
	uint32_t memlock_upto;	/* MEMLOCK is possible at pages [0, memlock_upto) that pin */
	uint64_t memlock_pages;	/* ... as a bit set of the first 64 */
};

static void status_cov(uint32_t st)
{
	if (!st)
		fz_cov(FZ_COV_BIND_OK, 1);
	else if (st >= TESSERA_VF_BIND_ERR_OP && st <= TESSERA_VF_BIND_ERR_NOT_BOUND)
		fz_cov(FZ_COV_BIND_ERR_FIRST + (st - TESSERA_VF_BIND_ERR_OP), 1);
}

static bool status_defined(uint32_t st)
{
	if (!st)
		return true;
	if (st < TESSERA_VF_BIND_ERR_OP || st > TESSERA_VF_BIND_ERR_NOT_BOUND)
		return false;
	if (st == TESSERA_VF_BIND_ERR_MEMLOCK && geteuid() == 0)
		return false;	/* root's pins are not limited by RLIMIT_MEMLOCK */
	if (st == TESSERA_VF_BIND_ERR_NOMEM && !fz.memcg_limited)
		return false;
	return true;
}

/* The spec's order of checks for MAP, with @pinned0 pages pinned before. */
static void predict_map(const struct bind_req *q, uint64_t pinned0, struct bind_verdict *v)
{
	const struct fz_binds *m = bm();
	uint64_t addr = q->addr, n = q->d.num_pages, i;
	bool w = q->d.flags & TESSERA_VF_BIND_WRITE;

	memset(v, 0, sizeof(*v));
	v->status = TESSERA_VF_BIND_ERR_DESC;
	if ((addr & 7) || addr >= BB || BB - addr < TESSERA_VF_BIND_DESC_HEADER ||
	    mem_class(addr, TESSERA_VF_BIND_DESC_HEADER) != M_OK)
		return;
	v->status = TESSERA_VF_BIND_ERR_RESERVED;
	if ((q->d.flags & ~TESSERA_VF_BIND_WRITE) || q->d.reserved[0] || q->d.reserved[1])
		return;
	v->status = TESSERA_VF_BIND_ERR_RANGE;
	if (!n || n > TESSERA_VF_BIND_MAX_PAGES || (q->d.dva & (PG - 1)) || q->d.dva < BB ||
	    q->d.dva >= GL || n * PG > GL - q->d.dva)
		return;
	v->status = TESSERA_VF_BIND_ERR_OVERLAP;
	if (overlaps_binding(q->d.dva, n))
		return;
	v->status = TESSERA_VF_BIND_ERR_TOO_MANY;
	if (m->n >= m->max)
		return;
	/* from here the host allocates (the page list, the binding, tables) */
	v->nomem_ok = fz.memcg_limited;
	v->status = TESSERA_VF_BIND_ERR_DESC;
	if (mem_class(addr + TESSERA_VF_BIND_DESC_HEADER, n * 8) != M_OK)
		return;
	for (i = 0; i < n; i++) {
		uint64_t p = q->d.pages[i];

		v->index = i;
		v->status = TESSERA_VF_BIND_ERR_PAGE;
		if ((p & (PG - 1)) || p >= BB)
			return;
		v->status = TESSERA_VF_BIND_ERR_PIN_LIMIT;
		if (pinned0 + i >= m->pin_limit)
			return;
		/* the pin itself: RLIMIT_MEMLOCK could refuse it */
		v->memlock_upto = i + 1;
		if (i < 64)
			v->memlock_pages |= 1ull << i;
		v->status = TESSERA_VF_BIND_ERR_PAGE;
		if (page_class(p, w) != M_OK)
			return;
	}
	v->status = 0;
	v->index = 0;
}

static uint64_t page_of_slot(struct fz_task *g, int slot)
{
	const struct fz_slot *s = &fz.slot[slot];
	uint64_t size = s->size ? s->size : PG;

	return (s->iova ? s->iova : (slot == 0 ? FZ_RING_IOVA : slot == 1 ? FZ_DATA_IOVA :
				   slot == 2 ? FZ_BATCH_IOVA : FZ_RO_IOVA)) +
	       fz_below(g, size / PG) * PG;
}

static uint64_t good_page(struct fz_task *g, bool writable)
{
	unsigned int k = fz_below(g, 100);

	if (k < 55)
		return page_of_slot(g, 1);
	if (k < 80)
		return page_of_slot(g, 2);
	if (k < 90 || writable)
		return page_of_slot(g, 0);
	return page_of_slot(g, 3);
}

static uint64_t bad_page(struct fz_task *g)
{
	switch (fz_below(g, 7)) {
	case 0:
		return page_of_slot(g, 3);	/* read-only for the device */
	case 1:
		return FZ_HOLE_IOVA + fz_below(g, FZ_HOLE_BYTES / PG) * PG;	/* never mapped */
	case 2:
		return page_of_slot(g, 1) + 1 + fz_below(g, PG - 1);	/* misaligned */
	case 3:
		return page_of_slot(g, 2) + 8;
	case 4:
		return BB + fz_below(g, 1024) * PG;	/* the bind space itself */
	case 5:
		return fz_below(g, 2) ? GL : 0xfffffffffffff000ull;
	default:
		return BB - PG;		/* the last guest page, never mapped */
	}
}

/* A device address for @n pages: free, adjacent to a binding, at the end, or random. */
static uint64_t pick_dva(struct fz_task *g, uint64_t n, unsigned int kind)
{
	const struct fz_binds *m = bm();
	const struct fz_binding *b = m->n ? &m->b[fz_below(g, m->n)] : NULL;
	uint64_t span = n <= TESSERA_VF_BIND_MAX_PAGES ? n * PG : PG;

	switch (kind) {
	case 0: case 1:
		if (b)	/* right after a binding: commands may straddle the two */
			return b->dva + b->npages * PG;
		return BB;
	case 2:
		if (b && b->dva - BB >= span)	/* right before one */
			return b->dva - span;
		return BB + fz_below(g, 64) * PG;
	case 3:
		return GL - span;	/* the last pages of the bind space */
	case 4:
		return BB + fz_below(g, 4096) * PG;
	case 5:
		return BB + (fz_below(g, (GL - BB) / PG - 512)) * PG;
	case 6:
		if (b)	/* overlapping a live binding */
			return b->dva + fz_below(g, b->npages) * PG -
			       fz_below(g, n < 512 ? n : 512) * PG;
		return BB;
	case 7:
		return BB + fz_below(g, 64) * PG + 1 + fz_below(g, PG - 1);	/* misaligned */
	case 8:
		return fz_below(g, 2) ? BB - span : FZ_DATA_IOVA;	/* below the bind space */
	case 9:
		return GL - span + PG;	/* crossing the guest limit */
	case 10: {
		static const uint64_t far[] = {
			GL, TESSERA_DVA_PAGED_LIMIT, TESSERA_DVA_VRAM_BASE, 0xfffffffffffff000ull,
			0 - 2 * PG,
		};

		return far[fz_below(g, 5)];
	}
	default:
		return BB + fz_below(g, 256) * PG;
	}
}

static uint32_t pick_count(struct fz_task *g)
{
	static const uint32_t odd[] = {
		0, TESSERA_VF_BIND_MAX_PAGES, TESSERA_VF_BIND_MAX_PAGES + 1, 0xffffffff, 0x80000000,
		TESSERA_VF_BIND_MAX_PAGES * 2, 1u << 20,
	};
	unsigned int k = fz_below(g, 20);

	if (k < 8)
		return 1;
	if (k < 15)
		return 2 + fz_below(g, 15);
	if (k < 17)
		return 16 + fz_below(g, 240);
	return odd[fz_below(g, 7)];
}

/* Builds a MAP request from @op; in strict mode nothing whose outcome the model cannot know. */
static void gen_map(struct fz_task *t, const struct fz_op *op, struct bind_req *q)
{
	struct fz_task g;
	uint32_t n, i, hostile;
	unsigned int dk = op->a[2] % 32;
	bool w;

	fz_seed_task(&g, op->a[5], 98);
	memset(q, 0, sizeof(*q));
	n = pick_count(&g);
	w = fz_below(&g, 100) < 70;
	q->d.num_pages = n;
	q->d.flags = w ? TESSERA_VF_BIND_WRITE : 0;
	q->d.dva = pick_dva(&g, n, fz_below(&g, 100) < 70 ? fz_below(&g, 6) :
			    fz_below(&g, 3) ? 6 : 7 + fz_below(&g, 5));
	switch (fz_below(&g, 40)) {
	case 0:
		q->d.flags |= 2u << fz_below(&g, 31);	/* an unknown flag */
		break;
	case 1:
		q->d.reserved[fz_below(&g, 2)] = 1ull << fz_below(&g, 64);
		break;
	default:
		break;
	}
	/* the pages: all good, or one in so many hostile */
	hostile = fz_below(&g, 100) < 70 ? 0 : 1 + fz_below(&g, 30);
	for (i = 0; i < n && i < TESSERA_VF_BIND_MAX_PAGES; i++) {
		uint64_t p = fz_below(&g, 100) < hostile ? bad_page(&g) : good_page(&g, w);

		/* strict: no page whose pin the model cannot predict */
		if (t->strict && !(p & (PG - 1)) && p < BB && page_class(p, w) == M_UNKNOWN)
			p = BB + i * PG;
		q->d.pages[i] = p;
	}

	/* where the descriptor is */
	q->addr = DESC_BASE + (uint64_t)(t->tid & 7) * DESC_STRIDE + fz_below(&g, 64) * 8;
	switch (dk) {
	case 0:
		q->addr += 4;	/* misaligned */
		break;
	case 1:
		q->addr = FZ_HOLE_IOVA + fz_below(&g, 1024) * PG;	/* not guest memory */
		break;
	case 2:	/* in the bind space, at a binding if any */
		q->addr = bm()->n ? bm()->b[fz_below(&g, bm()->n)].dva : BB + fz_below(&g, 64) * 8;
		break;
	case 3:	/* the header crosses into the bind space */
		q->addr = BB - 8 * (1 + fz_below(&g, 3));
		break;
	case 4:	/* the header runs off the end of slot 2 */
		q->addr = FZ_BATCH_IOVA + FZ_BATCH_BYTES - 8 * (1 + fz_below(&g, 3));
		break;
	case 5:	/* the page list runs off the end of slot 2 */
		if (n >= 2 && n <= TESSERA_VF_BIND_MAX_PAGES)
			q->addr = FZ_BATCH_IOVA + FZ_BATCH_BYTES - TESSERA_VF_BIND_DESC_HEADER -
				  8 * fz_below(&g, n);
		break;
	case 6:	/* in the read-only slot: the host may read it */
		q->addr = FZ_RO_IOVA + fz_below(&g, 32) * 8;
		break;
	default:
		break;
	}
	if (t->strict && (mem_class(q->addr, TESSERA_VF_BIND_DESC_HEADER) == M_UNKNOWN ||
			  (n <= TESSERA_VF_BIND_MAX_PAGES &&
			   mem_class(q->addr + TESSERA_VF_BIND_DESC_HEADER, (uint64_t)n * 8) ==
			   M_UNKNOWN)))
		q->addr = BB - 16;	/* refused before it is read */
}

/* The descriptor into the fuzzer's own view of guest memory, as far as it is there. */
static void put_desc(struct bind_req *q)
{
	uint8_t *h = guest_va(q->addr, TESSERA_VF_BIND_DESC_HEADER);
	uint32_t n = q->d.num_pages < TESSERA_VF_BIND_MAX_PAGES ? q->d.num_pages :
		     TESSERA_VF_BIND_MAX_PAGES, i;

	if (h) {
		memcpy(h, &q->d, TESSERA_VF_BIND_DESC_HEADER);
		q->hdr_written = true;
	}
	for (i = 0; i < n; i++) {
		uint8_t *p = guest_va(q->addr + TESSERA_VF_BIND_DESC_HEADER + 8ull * i, 8);

		if (!p)
			break;
		memcpy(p, &q->d.pages[i], 8);
		q->written = i + 1;
	}
}

static void do_op(uint64_t addr, uint32_t opv, uint32_t *st, uint32_t *idx)
{
	fz_reg_wr(TESSERA_VF_BIND_ADDR_LO, (uint32_t)addr);
	fz_reg_wr(TESSERA_VF_BIND_ADDR_HI, addr >> 32);
	fz_reg_wr(TESSERA_VF_BIND_OP, opv);
	*st = fz_reg(TESSERA_VF_BIND_STATUS);
	*idx = fz_reg(TESSERA_VF_BIND_ERR_INDEX);
}

/* Under concurrency: only what holds whatever else runs. */
static void loose_check(struct fz_task *t, uint32_t st, const char *what)
{
	uint32_t n = fz_reg(TESSERA_VF_BIND_COUNT), max = fz_reg(TESSERA_VF_BIND_MAX);

	fz_checked();
	fz_cov(FZ_COV_BIND_LOOSE, 1);
	if (!status_defined(st))
		fz_fail(t, "%s: VF_BIND_STATUS 0x%x is no status the spec allows here (root: %d, "
			"memory.max: %d)", what, st, geteuid() == 0, fz.memcg_limited);
	if (max != bm()->max || n > max)
		fz_fail(t, "%s: VF_BIND_COUNT %u, VF_BIND_MAX %u (was %u)", what, n, max, bm()->max);
}

static void after_op(struct fz_task *t, const char *what, uint64_t pinned0, int64_t dpages)
{
	uint64_t pinned = pinned_now();

	fz_bind_check(t, what);
	fz_checked();
	if (pinned0 != UINT64_MAX && pinned != UINT64_MAX && pinned != pinned0 + dpages)
		fz_fail(t, "%s: the instance holds %" PRIu64 " pinned pages, %" PRIu64 " before and "
			"the bindings changed by %" PRId64, what, pinned, pinned0, dpages);
}

/* Runs commands through the bound pages of binding @b and checks the pages the card touched. */
static void probe(struct fz_task *t, const struct fz_binding *b, uint64_t seed)
{
	struct tessera_cmd c[8];
	uint64_t want[8];
	uint8_t *where[8];
	struct fz_task g;
	unsigned int n = 0, i, k, tries;

	/* Work queued earlier may still write the bound pages: read them after it. */
	if (fz_wait_idle(t, 20000) < 0)
		return;
	fz_seed_task(&g, seed, 97);
	memset(c, 0, sizeof(c));
	for (tries = 0; tries < 12 && n < 6; tries++) {
		uint64_t i_pg = fz_below(&g, b->npages), off = fz_below(&g, PG / 8) * 8;
		uint64_t gp = b->pages[i_pg] + off;
		uint8_t *src = guest_va(gp, 8);
		bool clash = false;

		/* the marker page is the probe's own; the ring's slot it rewrites itself */
		if (!src || (gp >= PROBE_DST && gp < PROBE_DST + PG) ||
		    (gp >= FZ_RING_IOVA && gp < FZ_RING_IOVA + FZ_RING_BYTES))
			continue;
		for (k = 0; k < n; k++)
			clash |= where[k] == src;
		if (clash)
			continue;
		if (b->writable) {
			uint32_t pat = fz_rand(&g) | 1;

			c[n].opcode = TESSERA_OP_FILL;
			c[n].param = pat;
			c[n].arg[0] = b->dva + i_pg * PG + off;
			c[n].arg[1] = 8;
			want[n] = (uint64_t)pat << 32 | pat;
			where[n] = src;
			memset(src, 0, 8);
		} else {
			uint8_t *dst = guest_va(PROBE_DST + 8ull * n, 8);

			if (!dst)
				continue;
			memcpy(&want[n], src, 8);
			c[n].opcode = TESSERA_OP_COPY;
			c[n].arg[0] = PROBE_DST + 8ull * n;
			c[n].arg[1] = b->dva + i_pg * PG + off;
			c[n].arg[2] = 8;
			where[n] = src;	/* for the clash test; the result is at dst */
			memset(dst, 0xa5, 8);
		}
		n++;
	}
	if (!n || fz_ring_run(t, c, n, "bound pages through the card"))
		return;
	for (i = 0; i < n; i++) {
		uint64_t got;
		const uint8_t *at = b->writable ? where[i] : guest_va(PROBE_DST + 8ull * i, 8);

		memcpy(&got, at, 8);
		fz_checked();
		if (got != want[i])
			fz_fail(t, "%s at device address 0x%" PRIx64 " (binding at 0x%" PRIx64 " of %u "
				"pages) %s 0x%016" PRIx64 ", the bound guest page says 0x%016" PRIx64,
				b->writable ? "FILL" : "COPY", (uint64_t)c[i].arg[b->writable ? 0 : 1], b->dva,
				b->npages, b->writable ? "left" : "read", got, want[i]);
	}
	fz_cov(FZ_COV_BIND_PROBE, n);
}

static void exec_map(struct fz_task *t, const struct fz_op *op)
{
	struct bind_req *q = malloc(sizeof(*q));
	struct bind_verdict v;
	uint64_t pinned0 = 0;
	uint32_t st, idx;
	bool ok;

	if (!q)
		return;
	gen_map(t, op, q);
	if (t->strict)
		pinned0 = pinned_now();
	put_desc(q);
	if (t->strict)
		predict_map(q, pinned0, &v);
	do_op(q->addr, TESSERA_VF_BIND_OP_MAP, &st, &idx);
	if (!t->strict) {
		loose_check(t, st, "BIND MAP");
		free(q);
		return;
	}
	fz_checked();
	ok = st == v.status && (st != TESSERA_VF_BIND_ERR_PAGE || idx == v.index) &&
	     (st != TESSERA_VF_BIND_ERR_PIN_LIMIT || idx == v.index);
	if (!ok && st == TESSERA_VF_BIND_ERR_NOMEM && v.nomem_ok)
		ok = true;	/* memory.max: the host's allocation may be refused */
	if (!ok && st == TESSERA_VF_BIND_ERR_MEMLOCK && geteuid() != 0 && idx < v.memlock_upto &&
	    (idx >= 64 || (v.memlock_pages >> idx) & 1))
		ok = true;	/* RLIMIT_MEMLOCK, at a page the mediator pins */
	status_cov(st);
	bm()->status_known = true;
	bm()->status = st;
	bm()->err_index = idx;
	if (!ok)
		fz_fail(t, "BIND MAP of %u pages at 0x%" PRIx64 " (flags 0x%x, reserved 0x%" PRIx64
			"/0x%" PRIx64 ", descriptor at 0x%" PRIx64 ", %u live bindings, %" PRIu64
			" pages pinned): VF_BIND_STATUS 0x%x index %u, the spec says 0x%x index %u",
			q->d.num_pages, (uint64_t)q->d.dva, q->d.flags, (uint64_t)q->d.reserved[0],
			(uint64_t)q->d.reserved[1], q->addr, bm()->n, pinned0, st, idx, v.status,
			v.index);
	if (!st && !binding_add(q->d.dva, q->d.num_pages, q->d.flags & TESSERA_VF_BIND_WRITE,
				q->d.pages)) {
		fz.dirty = true;	/* out of memory ourselves: start over */
		free(q);
		return;
	}
	after_op(t, "BIND MAP", pinned0, st ? 0 : q->d.num_pages);
	if (!st && op->a[1] % 4 == 0 && !fz.dirty)
		probe(t, &bm()->b[bm()->n - 1], op->a[3]);
	free(q);
}

/*
 * Strict: no queued work may still use a binding about to go, or its
 * MMU_MISS (which the spec allows then) would read as a violation later.
 * Work before a mediator reject may still run although the instance shows
 * FAULTED: VF_RESET stops it (bindings survive VF_RESET).
 */
static void quiesce(struct fz_task *t)
{
	uint32_t st = fz_reg(TESSERA_VF_STATUS);

	if (!(st & TESSERA_VF_STATUS_BUSY))
		return;
	if (!(st & TESSERA_VF_STATUS_FAULTED))
		fz_wait_idle(t, 20000);
	if (fz_reg(TESSERA_VF_STATUS) & TESSERA_VF_STATUS_BUSY) {
		if (fz_reg(TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED)
			fz_check_card_fault(t, fz_reg(TESSERA_VF_FAULT_CODE), "before an unbind");
		fz_reg_wr(TESSERA_VF_RESET, 1);
	}
}

static void exec_unmap(struct fz_task *t, const struct fz_op *op)
{
	struct fz_binds *m = bm();
	struct fz_task g;
	uint64_t addr, pinned0 = 0, n = 0;
	uint32_t st, idx, want = TESSERA_VF_BIND_ERR_NOT_BOUND;
	int i;

	fz_seed_task(&g, op->a[5], 96);
	i = m->n ? (int)fz_below(&g, m->n) : -1;
	switch (op->a[1] % 8) {
	case 0: case 1: case 2: case 3:
		addr = i >= 0 ? m->b[i].dva : BB;
		break;
	case 4:	/* inside a binding, not its start */
		addr = i >= 0 ? m->b[i].dva + (m->b[i].npages > 1 ? PG * (1 + fz_below(&g,
				m->b[i].npages - 1)) : 0x800) : BB + PG;
		break;
	case 5:	/* a start, misaligned */
		addr = (i >= 0 ? m->b[i].dva : BB) + 8 * (1 + fz_below(&g, 511));
		break;
	case 6:
		addr = BB + fz_below(&g, 0x10000) * PG;
		break;
	default: {
		static const uint64_t odd[] = {
			0, FZ_DATA_IOVA, GL, 0xffffffffffffffffull, BB - PG, TESSERA_DVA_VRAM_BASE,
		};

		addr = odd[fz_below(&g, 6)];
		break;
	}
	}
	if (t->strict) {
		quiesce(t);
		pinned0 = pinned_now();
		i = !(addr & (PG - 1)) ? binding_at(addr) : -1;
		if (i >= 0 && m->b[i].dva == addr) {
			want = 0;
			n = m->b[i].npages;
		}
	}
	do_op(addr, TESSERA_VF_BIND_OP_UNMAP, &st, &idx);
	if (!t->strict) {
		loose_check(t, st, "BIND UNMAP");
		return;
	}
	fz_checked();
	status_cov(st);
	m->status_known = true;
	m->status = st;
	m->err_index = idx;
	if (st != want)
		fz_fail(t, "BIND UNMAP at 0x%" PRIx64 " (%u live bindings): VF_BIND_STATUS 0x%x, the "
			"spec says 0x%x", addr, m->n, st, want);
	if (!st && i >= 0 && m->b[i].dva == addr)
		binding_remove(i);
	after_op(t, "BIND UNMAP", pinned0, -(int64_t)(st ? 0 : n));
}

static void exec_unmap_all(struct fz_task *t)
{
	uint64_t pinned0 = 0, pages = bm()->pages;
	uint32_t st, idx;

	if (t->strict) {
		quiesce(t);
		pinned0 = pinned_now();
	}
	do_op(fz_rand(t), TESSERA_VF_BIND_OP_UNMAP_ALL, &st, &idx);
	if (!t->strict) {
		loose_check(t, st, "BIND UNMAP_ALL");
		return;
	}
	fz_checked();
	status_cov(st);
	if (st)
		fz_fail(t, "BIND UNMAP_ALL: VF_BIND_STATUS 0x%x, must be 0", st);
	fz_bind_forget_all();
	bm()->status_known = true;
	bm()->status = st;
	bm()->err_index = idx;
	after_op(t, "BIND UNMAP_ALL", pinned0, -(int64_t)pages);
}

static void exec_bad_op(struct fz_task *t, const struct fz_op *op)
{
	static const uint64_t ops[] = { 0, 4, 5, 0xffffffff, 0x80000001, 0x101, 0x10001, 0xff };
	uint32_t opv = ops[op->a[1] % 8], st, idx;
	uint64_t pinned0 = t->strict ? pinned_now() : 0;

	do_op(op->a[3] & 1 ? DESC_BASE : op->a[3], opv, &st, &idx);
	if (!t->strict) {
		loose_check(t, st, "an unknown bind op");
		return;
	}
	fz_checked();
	status_cov(st);
	bm()->status_known = true;
	bm()->status = st;
	bm()->err_index = idx;
	if (st != TESSERA_VF_BIND_ERR_OP)
		fz_fail(t, "VF_BIND_OP 0x%x: VF_BIND_STATUS 0x%x, the spec says ERR_OP", opv, st);
	after_op(t, "an unknown bind op", pinned0, 0);
}

/*
 * Binds until the mediator refuses for VF_BIND_MAX bindings (TOO_MANY) or
 * the instance's pin limit (PIN_LIMIT, at the page the model predicts),
 * then unbinds everything: every pin must come back.
 */
static void exec_fill(struct fz_task *t, bool pins)
{
	struct fz_binds *m = bm();
	uint32_t n = pins ? TESSERA_VF_BIND_MAX_PAGES : 1, st, idx, i, want, want_idx = 0;
	uint64_t pinned0 = pinned_now(), pinned, dva, *pages;
	struct bind_req *q;
	uint8_t *h;

	if (pinned0 == UINT64_MAX || !m->max || (pins && m->pin_limit > (1ull << 22)) ||
	    (!pins && m->max > 65536))
		return;	/* not within reach of one operation */
	q = calloc(1, sizeof(*q));
	pages = calloc(TESSERA_VF_BIND_MAX_PAGES, sizeof(*pages));
	if (!q || !pages)
		goto out;
	q->addr = DESC_BASE;
	h = guest_va(q->addr, TESSERA_VF_BIND_DESC_HEADER + 8ull * TESSERA_VF_BIND_MAX_PAGES);
	if (!h || !fz.slot[1].mapped)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = FZ_DATA_IOVA + (i % (FZ_DATA_BYTES / PG)) * PG;
	/* above every binding there is */
	dva = BB;
	for (i = 0; i < m->n; i++)
		if (m->b[i].dva + m->b[i].npages * PG > dva)
			dva = m->b[i].dva + m->b[i].npages * PG;
	pinned = pinned0;
	for (;;) {
		if (dva + n * PG > GL)
			break;
		memset(&q->d, 0, TESSERA_VF_BIND_DESC_HEADER);
		q->d.dva = dva;
		q->d.num_pages = n;
		q->d.flags = TESSERA_VF_BIND_WRITE;
		memcpy(h, &q->d, TESSERA_VF_BIND_DESC_HEADER);
		memcpy(h + TESSERA_VF_BIND_DESC_HEADER, pages, 8ull * n);
		want = 0;
		if (m->n >= m->max) {
			want = TESSERA_VF_BIND_ERR_TOO_MANY;
		} else if (pinned + n > m->pin_limit) {
			want = TESSERA_VF_BIND_ERR_PIN_LIMIT;
			want_idx = pinned >= m->pin_limit ? 0 : m->pin_limit - pinned;
		}
		do_op(q->addr, TESSERA_VF_BIND_OP_MAP, &st, &idx);
		if (st == TESSERA_VF_BIND_ERR_NOMEM && fz.memcg_limited)
			break;
		if (st != want || (want == TESSERA_VF_BIND_ERR_PIN_LIMIT && idx != want_idx)) {
			fz_fail(t, "filling the bind space: binding %u (%u pages at 0x%" PRIx64 ", %"
				PRIu64 " pages pinned, pin limit %" PRIu64 ", VF_BIND_MAX %u): "
				"VF_BIND_STATUS 0x%x index %u, the spec says 0x%x index %u", m->n, n,
				dva, pinned, m->pin_limit, m->max, st, idx, want, want_idx);
			break;
		}
		if (st) {
			status_cov(st);
			fz_cov(FZ_COV_BIND_FILLS, 1);
			break;
		}
		if (!binding_add(dva, n, true, pages)) {
			fz.dirty = true;
			break;
		}
		pinned += n;
		dva += n * PG;
	}
	m->status_known = false;
	fz_bind_check(t, pins ? "binding up to the pin limit" : "binding up to VF_BIND_MAX");
	after_op(t, "filling the bind space", pinned0, (int64_t)(pinned - pinned0));
	exec_unmap_all(t);
out:
	free(q);
	free(pages);
}

/* vFPGA: no bind interface. Its registers read 0 and a bind operation changes nothing. */
static void exec_vfpga(struct fz_task *t, const struct fz_op *op)
{
	uint32_t off, v;
	uint64_t pinned0 = t->strict ? pinned_now() : 0;

	fz_reg_wr(TESSERA_VF_BIND_ADDR_LO, (uint32_t)op->a[3]);
	fz_reg_wr(TESSERA_VF_BIND_ADDR_HI, op->a[3] & 1 ? 0 : op->a[3] >> 32);
	fz_reg_wr(TESSERA_VF_BIND_OP, 1 + op->a[1] % 4);
	if (!t->strict)
		return;
	for (off = TESSERA_VF_BIND_ADDR_LO; off <= TESSERA_VF_BIND_MAX; off += 4) {
		v = fz_reg(off);
		fz_checked();
		if (v)
			fz_fail(t, "vFPGA: bind register 0x%x reads 0x%x after a bind operation: a vFPGA "
				"has no bind interface", off, v);
	}
	fz_checked();
	if (pinned0 != UINT64_MAX && pinned_now() != pinned0)
		fz_fail(t, "vFPGA: a bind operation changed the pinned pages from %" PRIu64, pinned0);
	fz_cov(FZ_COV_BIND_VFPGA, 1);
}

void fz_bind_exec(struct fz_task *t, const struct fz_op *op)
{
	unsigned int k = op->a[0] % 1000;

	if (fz.generic)
		return;
	if (fz.vfpga) {
		exec_vfpga(t, op);
		return;
	}
	if (t->strict && fz.binds.pages > bm()->pin_limit / 4)
		k = 820;	/* keep the ring's pins within reach: unbind everything */
	if (k >= 994) {
		if (t->strict)
			exec_fill(t, k >= 997);
		return;
	}
	if (k < 560)
		exec_map(t, op);
	else if (k < 800)
		exec_unmap(t, op);
	else if (k < 840)
		exec_unmap_all(t);
	else if (k < 900)
		exec_bad_op(t, op);
	else {
		/* VF_BIND_ADDR reads back what was written, and nothing else moves */
		uint64_t a = op->a[3];

		fz_reg_wr(TESSERA_VF_BIND_ADDR_LO, (uint32_t)a);
		fz_reg_wr(TESSERA_VF_BIND_ADDR_HI, a >> 32);
		if (t->strict) {
			uint64_t back = fz_reg64(TESSERA_VF_BIND_ADDR_LO);

			fz_checked();
			if (back != a)
				fz_fail(t, "VF_BIND_ADDR: wrote 0x%" PRIx64 ", reads 0x%" PRIx64, a, back);
			if (bm()->status_known && (fz_reg(TESSERA_VF_BIND_STATUS) != bm()->status ||
						   fz_reg(TESSERA_VF_BIND_ERR_INDEX) != bm()->err_index))
				fz_fail(t, "VF_BIND_STATUS/ERR_INDEX changed without an operation: "
					"0x%x/%u, was 0x%x/%u", fz_reg(TESSERA_VF_BIND_STATUS),
					fz_reg(TESSERA_VF_BIND_ERR_INDEX), bm()->status,
					bm()->err_index);
			fz_bind_check(t, "a VF_BIND_ADDR write");
		}
	}
}
