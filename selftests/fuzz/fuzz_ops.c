// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_fuzz operations. fz_gen() draws one from the task's generator;
 * fz_exec() runs it from its record alone (so a logged operation replays)
 * and checks what it can of the answer:
 *
 *  - stateless VFIO rules always (argsz/index/flags the core and the type1
 *    IOMMU refuse with EINVAL, unknown ioctls ENOTTY, bad pointers EFAULT,
 *    region accesses past the end, mmap outside what may be mapped), also
 *    while other threads and a second process run;
 *  - rules that depend on state (DMA mappings overlapping, a second group
 *    open, register read-back, the ring's verdicts, pinned pages after a
 *    reset or an unmap) only while the instance is the main thread's alone
 *    (task->strict), after a resynchronisation that puts the instance and
 *    the model into one known state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"
#include "vfpga_util.h"

enum {
	OP_RESYNC, OP_GET_INFO, OP_REGION_INFO, OP_IRQ_INFO, OP_SET_IRQS, OP_RESET,
	OP_BAD_IOCTL, OP_FEATURE, OP_CONTAINER, OP_GROUP, OP_MAP_DMA, OP_UNMAP_DMA,
	OP_RW, OP_MMAP, OP_CFG_WRITE, OP_REG, OP_RING_CONFIG, OP_SUBMIT, OP_DOORBELL,
	OP_VF_RESET, OP_EVENTFD, OP_FPGA_LOAD, OP_FPGA_JOB, OP_STORM, OP_FORK,
	OP_REMOVE, OP_REMOVE_END, OP_REOPEN, OP_CHECK, OP_BIND, OP_SYSFS,
	OP_NKINDS
};

static const char *const op_names[OP_NKINDS] = {
	"RESYNC", "GET_INFO", "REGION_INFO", "IRQ_INFO", "SET_IRQS", "RESET",
	"BAD_IOCTL", "FEATURE", "CONTAINER", "GROUP", "MAP_DMA", "UNMAP_DMA",
	"RW", "MMAP", "CFG_WRITE", "REG", "RING_CONFIG", "SUBMIT", "DOORBELL",
	"VF_RESET", "EVENTFD", "FPGA_LOAD", "FPGA_JOB", "STORM", "FORK",
	"REMOVE", "REMOVE_END", "REOPEN", "CHECK", "BIND", "SYSFS",
};

const char *fz_op_name(int kind)
{
	return kind >= 0 && kind < OP_NKINDS ? op_names[kind] : "?";
}

int fz_op_kind(const char *name)
{
	int i;

	for (i = 0; i < OP_NKINDS; i++)
		if (!strcmp(name, op_names[i]))
			return i;
	return -1;
}

/* ---- small helpers ---- */

#define BAD_KPTR	((void *)0xffff888000000000ull)

static uint8_t scratch_page[4096] __attribute__((aligned(4096)));
static void *none_page;		/* PROT_NONE: a user pointer that faults */
static uint8_t *big_buf;	/* 1 MiB for large region reads */
#define BIG_BUF_BYTES	(1u << 20)
/* the PCIe capability's Device Control, high byte (at 0x60 + 8): Initiate FLR */
#define FZ_CFG_DEVCTL_HI	0x69
#define FZ_CFG_FLR_BIT		0x80

static int removing;		/* a removal was started and not finished */
static int remove_countdown;
static pthread_t remover;
static volatile int remover_ret;
static char types[16][64];
static unsigned int ntypes;
static uint32_t weight0;
static uint64_t child_kill_ms;
static bool replaying;

static long xioctl(int fd, unsigned long req, void *arg, int *err)
{
	long r = ioctl(fd, req, arg);

	*err = r < 0 ? errno : 0;
	return r;
}

int fz_sysfs_u64(const char *file, uint64_t *val)
{
	char path[PATH_MAX], buf[64];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/%s", fz.inst.uuid, file);
	ret = tsr_sysfs_read(path, buf, sizeof(buf));
	if (ret)
		return ret;
	*val = strtoull(buf, NULL, 0);
	return 0;
}

static uint64_t region_base(unsigned int index)
{
	return (uint64_t)index << 40;	/* Tessera's encoding (region info says so) */
}

ssize_t fz_region_rw(int index, bool write, uint64_t off, void *buf, size_t len, int *err)
{
	ssize_t n;

	if (write)
		n = pwrite(fz.inst.device_fd, buf, len, region_base(index) + off);
	else
		n = pread(fz.inst.device_fd, buf, len, region_base(index) + off);
	*err = n < 0 ? errno : 0;
	return n;
}

int fz_reg_rd(uint32_t off, uint32_t *val)
{
	int err;

	return fz_region_rw(VFIO_PCI_BAR0_REGION_INDEX, false, off, val, 4, &err) == 4 ? 0 : -err;
}

int fz_reg_wr(uint32_t off, uint32_t val)
{
	int err;

	return fz_region_rw(VFIO_PCI_BAR0_REGION_INDEX, true, off, &val, 4, &err) == 4 ? 0 : -err;
}

uint32_t fz_reg(uint32_t off)
{
	uint32_t v = 0xdeadbeef;

	fz_reg_rd(off, &v);
	return v;
}

uint64_t fz_reg64(uint32_t lo)
{
	uint64_t v = fz_reg(lo);

	return v | (uint64_t)fz_reg(lo + 4) << 32;
}

static int cfg_rd(uint32_t off, void *v, size_t len)
{
	int err;

	return fz_region_rw(VFIO_PCI_CONFIG_REGION_INDEX, false, off, v, len, &err) == (ssize_t)len ?
	       0 : -err;
}

static int cfg_wr(uint32_t off, const void *v, size_t len)
{
	int err;

	return fz_region_rw(VFIO_PCI_CONFIG_REGION_INDEX, true, off, (void *)v, len, &err) ==
	       (ssize_t)len ? 0 : -err;
}

static void enable_device(void)
{
	uint16_t cmd = 0;

	if (!cfg_rd(0x04, &cmd, 2)) {
		cmd |= 0x6;
		cfg_wr(0x04, &cmd, 2);
	}
}

/* A user buffer of the given kind for a kernel to read or write. */
static void *user_ptr(uint64_t kind, void *valid)
{
	switch (kind % 8) {
	case 5:
		return NULL;
	case 6:
		return BAD_KPTR;
	case 7:
		return none_page;
	default:
		return valid;
	}
}

static int ptr_errno(uint64_t kind)
{
	return kind % 8 >= 5 ? EFAULT : 0;
}

/* ---- DMA mappings ---- */

static void slot_release_backing(struct fz_slot *s)
{
	if (s->va && s->va_len)
		munmap(s->va, s->va_len);
	s->va = NULL;
	s->va_len = 0;
}

/*
 * iommufd (6.6+), spelled out: the build machine's uAPI headers predate it
 * (as selftests/vfio/vfio_util.c, which opens instances either way).
 */
#define FZ_IOMMU_IOAS_MAP	_IO(';', 0x85)
#define FZ_IOMMU_IOAS_UNMAP	_IO(';', 0x86)
#define FZ_IOAS_MAP_FIXED_IOVA	(1u << 0)
#define FZ_IOAS_MAP_WRITEABLE	(1u << 1)
#define FZ_IOAS_MAP_READABLE	(1u << 2)

struct fz_ioas_map {
	uint32_t size, flags, ioas_id, reserved;
	uint64_t user_va, length, iova;
};

struct fz_ioas_unmap {
	uint32_t size, ioas_id;
	uint64_t iova, length;
};

static bool iommufd(void)
{
	return fz.inst.iommufd;
}

/*
 * One MAP_DMA, in type1's terms (@flags: VFIO_DMA_MAP_FLAG_*, an unknown
 * bit 0x8), through the type1 container or the iommufd IOAS.
 */
static long dma_map_raw(uint32_t argsz, uint32_t flags, uint64_t vaddr, uint64_t iova,
			uint64_t size, int *err)
{
	if (iommufd()) {
		struct fz_ioas_map m = {
			.size = argsz < 32 ? argsz : sizeof(m), .ioas_id = fz.inst.ioas_id,
			.user_va = vaddr, .length = size, .iova = iova,
		};

		m.flags = FZ_IOAS_MAP_FIXED_IOVA |
			  (flags & VFIO_DMA_MAP_FLAG_READ ? FZ_IOAS_MAP_READABLE : 0) |
			  (flags & VFIO_DMA_MAP_FLAG_WRITE ? FZ_IOAS_MAP_WRITEABLE : 0) |
			  (flags & ~3u ? 1u << 5 : 0);	/* no VADDR there: an unknown flag */
		return xioctl(fz.inst.container_fd, FZ_IOMMU_IOAS_MAP, &m, err);
	} else {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = argsz, .flags = flags, .vaddr = vaddr, .iova = iova, .size = size,
		};

		return xioctl(fz.inst.container_fd, VFIO_IOMMU_MAP_DMA, &m, err);
	}
}

/* One UNMAP_DMA in type1's terms (VFIO_DMA_UNMAP_FLAG_ALL: everything). */
static long dma_unmap_raw(uint32_t flags, uint64_t iova, uint64_t size, uint64_t *unmapped,
			  int *err)
{
	long r;

	fz_dma_lock();
	if (iommufd()) {
		struct fz_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = fz.inst.ioas_id, .iova = iova, .length = size,
		};

		if (flags & VFIO_DMA_UNMAP_FLAG_ALL)
			u.length = UINT64_MAX;	/* iova 0, length U64_MAX: everything */
		/* no other flags there, nor "all" with a range: an IOAS that does not exist */
		if ((flags & ~VFIO_DMA_UNMAP_FLAG_ALL) ||
		    ((flags & VFIO_DMA_UNMAP_FLAG_ALL) && (iova || size)))
			u.ioas_id += 1000;
		r = xioctl(fz.inst.container_fd, FZ_IOMMU_IOAS_UNMAP, &u, err);
		*unmapped = r < 0 ? 0 : u.length;
	} else {
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size,
		};

		r = xioctl(fz.inst.container_fd, VFIO_IOMMU_UNMAP_DMA, &u, err);
		*unmapped = r < 0 ? 0 : u.size;
	}
	fz_dma_unlock();
	return r;
}

int fz_map(struct fz_task *t, int slot, uint64_t iova, uint64_t size, bool writable)
{
	struct fz_slot *s = &fz.slot[slot];
	int err;
	long r;

	if (!s->va) {
		s->va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->va == MAP_FAILED) {
			s->va = NULL;
			return -ENOMEM;
		}
		s->va_len = size;
	}
	r = dma_map_raw(32, VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
			(uintptr_t)s->va, iova, size, &err);
	if (t && t->strict)
		fz_expect(t, r, err, 0, "MAP_DMA of a standard slot");
	if (r < 0)
		return -err;
	s->iova = iova;
	s->size = size;
	s->mapped = true;
	s->writable = writable;
	return 0;
}

int fz_unmap_range(uint64_t iova, uint64_t size, uint64_t *unmapped, int *err)
{
	uint64_t n;
	long r = dma_unmap_raw(0, iova, size, &n, err);

	if (unmapped)
		*unmapped = n;
	return r < 0 ? -1 : 0;
}

/* The model after an unmap of [iova, iova + size) succeeded. */
static uint64_t model_unmapped(uint64_t iova, uint64_t size, bool all)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < FZ_NSLOTS; i++) {
		struct fz_slot *s = &fz.slot[i];

		if (!s->mapped)
			continue;
		if (all || (s->iova >= iova && s->iova + s->size - 1 <= iova + size - 1 &&
			    s->iova + s->size - 1 >= s->iova)) {
			sum += s->size;
			s->mapped = false;
			/* the mediator revokes every binding holding a page of it, whole */
			fz_bind_unmapped(NULL, s->iova, s->size);
			if (i >= FZ_STD_SLOTS)
				slot_release_backing(s);
		}
	}
	return sum;
}

/* Whether [iova, iova + size) bisects a mapping the model knows. */
static bool model_bisects(uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	int i;

	for (i = 0; i < FZ_NSLOTS; i++) {
		const struct fz_slot *s = &fz.slot[i];
		uint64_t slast = s->iova + s->size - 1;

		if (!s->mapped)
			continue;
		if (iova > s->iova && iova <= slast)
			return true;
		if (last >= s->iova && last < slast)
			return true;
	}
	return false;
}

/* Whether a mapping the model knows lies wholly in [iova, iova + size). */
static bool model_holds(uint64_t iova, uint64_t size)
{
	int i;

	for (i = 0; i < FZ_NSLOTS; i++) {
		const struct fz_slot *s = &fz.slot[i];

		if (s->mapped && s->iova >= iova && s->iova + s->size - 1 <= iova + size - 1)
			return true;
	}
	return false;
}

static bool model_overlaps(uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	int i;

	for (i = 0; i < FZ_NSLOTS; i++) {
		const struct fz_slot *s = &fz.slot[i];

		if (s->mapped && iova <= s->iova + s->size - 1 && s->iova <= last)
			return true;
	}
	return false;
}

static void ensure_std_slots(struct fz_task *t)
{
	static const uint64_t iova[FZ_STD_SLOTS] = {
		FZ_RING_IOVA, FZ_DATA_IOVA, FZ_BATCH_IOVA, FZ_RO_IOVA,
	};
	static const uint64_t size[FZ_STD_SLOTS] = {
		FZ_RING_BYTES, FZ_DATA_BYTES, FZ_BATCH_BYTES, FZ_RO_BYTES,
	};
	int i;

	for (i = 0; i < FZ_STD_SLOTS; i++)
		if (!fz.slot[i].mapped)
			fz_map(t, i, iova[i], size[i], i != 3);
}

/* ---- generation helpers ---- */

static const uint64_t interesting32[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 63, 64, 255, 256, 4095, 4096, 65535, 65536,
	0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};

static uint64_t rand_interesting(struct fz_task *t)
{
	switch (fz_below(t, 4)) {
	case 0:
		return FZ_PICK(t, interesting32);
	case 1:
		return fz_rand(t);
	case 2:
		return fz_below(t, 64);
	default:
		return 1ull << fz_below(t, 64);
	}
}

/* ---- VFIO_DEVICE_GET_INFO ---- */

static const uint64_t argsz_info[] = { 24, 16, 15, 0, 0xffffffff, 12, 88 };

static void exec_get_info(struct fz_task *t, const struct fz_op *op)
{
	struct { struct vfio_device_info i; uint8_t pad[64]; } b;
	void *p = user_ptr(op->a[1], &b);
	int err, want;
	long r;

	memset(&b, 0, sizeof(b));
	b.i.argsz = op->a[0];
	r = xioctl(fz.inst.device_fd, VFIO_DEVICE_GET_INFO, p, &err);
	want = ptr_errno(op->a[1]);
	if (!want && b.i.argsz < 16)
		want = EINVAL;
	fz_expect(t, r, err, want, "DEVICE_GET_INFO");
	if (r < 0 || want)
		return;
	fz_checked();
	if ((!fz.generic && (!(b.i.flags & VFIO_DEVICE_FLAGS_PCI) ||
			     !(b.i.flags & VFIO_DEVICE_FLAGS_RESET))) ||
	    b.i.num_regions < VFIO_PCI_NUM_REGIONS || b.i.num_irqs < VFIO_PCI_NUM_IRQS)
		fz_fail(t, "DEVICE_GET_INFO: flags 0x%x regions %u irqs %u", b.i.flags,
			b.i.num_regions, b.i.num_irqs);
}

/* ---- VFIO_DEVICE_GET_REGION_INFO ---- */

static const uint64_t argsz_region[] = { 32, 31, 0, 8, 0xffffffff, 4096, 33, 40 };

static void check_sparse(struct fz_task *t, unsigned int index, const uint8_t *buf,
			 const struct vfio_region_info *ri)
{
	const struct vfio_info_cap_header *h;
	const struct vfio_region_info_cap_sparse_mmap *sp;
	uint64_t lo, hi;
	uint32_t i;

	fz_checked();
	if (ri->cap_offset < sizeof(*ri) || ri->cap_offset > 4096 - sizeof(*sp)) {
		fz_fail(t, "REGION_INFO %u: cap_offset %u", index, ri->cap_offset);
		return;
	}
	h = (const void *)(buf + ri->cap_offset);
	if (h->id != VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
		fz_fail(t, "REGION_INFO %u: capability id %u, expected sparse mmap", index, h->id);
		return;
	}
	sp = (const void *)h;
	if (index == VFIO_PCI_BAR2_REGION_INDEX) {
		lo = 0;
		hi = fz.vram_size;
	} else {
		lo = TESSERA_VF_RGN_USER_BASE;
		hi = TESSERA_VF_RGN_USER_BASE + (uint64_t)fz.regions * TESSERA_VF_RGN_USER_STRIDE;
	}
	for (i = 0; i < sp->nr_areas && i < 16; i++) {
		const struct vfio_region_sparse_mmap_area *a = &sp->areas[i];

		if (a->offset < lo || a->offset > hi || a->size > hi - a->offset)
			fz_fail(t, "REGION_INFO %u: sparse area [0x%llx, +0x%llx) outside [0x%" PRIx64
				", 0x%" PRIx64 ")", index, (unsigned long long)a->offset,
				(unsigned long long)a->size, lo, hi);
	}
}

static void exec_region_info(struct fz_task *t, const struct fz_op *op)
{
	uint8_t buf[4096] __attribute__((aligned(8)));
	struct vfio_region_info *ri = (void *)buf;
	uint32_t index = op->a[0], argsz = op->a[1];
	void *p = user_ptr(op->a[2], buf);
	int err, want;
	long r;

	memset(buf, 0, sizeof(*ri));
	ri->argsz = argsz;
	ri->index = index;
	r = xioctl(fz.inst.device_fd, VFIO_DEVICE_GET_REGION_INFO, p, &err);
	want = ptr_errno(op->a[2]);
	if (!want && (argsz < 32 || index >= VFIO_PCI_NUM_REGIONS))
		want = EINVAL;
	fz_expect(t, r, err, want, "DEVICE_GET_REGION_INFO");
	if (r < 0 || want || !t->strict)
		return;
	fz_checked();
	if (ri->offset != region_base(index) || ri->size != fz.region_size[index] ||
	    !!(ri->flags & VFIO_REGION_INFO_FLAG_READ) != !!ri->size)
		fz_fail(t, "REGION_INFO %u: offset 0x%llx size 0x%llx flags 0x%x (size was 0x%" PRIx64
			")", index, (unsigned long long)ri->offset, (unsigned long long)ri->size,
			ri->flags, fz.region_size[index]);
	if (fz.generic)
		return;
	if (index == VFIO_PCI_BAR2_REGION_INDEX && !(ri->flags & VFIO_REGION_INFO_FLAG_MMAP))
		fz_fail(t, "REGION_INFO: BAR2 is not mmap-able");
	if ((ri->flags & VFIO_REGION_INFO_FLAG_MMAP) && index != VFIO_PCI_BAR2_REGION_INDEX &&
	    !(index == VFIO_PCI_BAR0_REGION_INDEX && fz.vfpga))
		fz_fail(t, "REGION_INFO %u claims to be mmap-able", index);
	if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return;
	if (argsz >= ri->argsz && ri->argsz > sizeof(*ri)) {
		check_sparse(t, index, p, ri);
	} else if (ri->cap_offset || ri->argsz <= argsz) {
		fz_fail(t, "REGION_INFO %u: argsz %u too small for the capabilities but the kernel "
			"answered argsz %u cap_offset %u", index, argsz, ri->argsz, ri->cap_offset);
	}
}

/* ---- VFIO_DEVICE_GET_IRQ_INFO ---- */

static void exec_irq_info(struct fz_task *t, const struct fz_op *op)
{
	struct { struct vfio_irq_info i; uint8_t pad[32]; } b;
	uint32_t index = op->a[0];
	void *p = user_ptr(op->a[2], &b);
	int err, want;
	long r;

	memset(&b, 0, sizeof(b));
	b.i.argsz = op->a[1];
	b.i.index = index;
	r = xioctl(fz.inst.device_fd, VFIO_DEVICE_GET_IRQ_INFO, p, &err);
	want = ptr_errno(op->a[2]);
	if (!want && (b.i.argsz < 16 || index >= VFIO_PCI_NUM_IRQS))
		want = EINVAL;
	fz_expect(t, r, err, want, "DEVICE_GET_IRQ_INFO");
	if (r < 0 || want)
		return;
	fz_checked();
	if (b.i.count != fz.irq_count[index] ||
	    !!(b.i.flags & VFIO_IRQ_INFO_EVENTFD) != !!b.i.count)
		fz_fail(t, "IRQ_INFO %u: count %u flags 0x%x (count was %u)", index, b.i.count,
			b.i.flags, fz.irq_count[index]);
}

/* ---- VFIO_DEVICE_SET_IRQS: every flag combination, boundary sizes ---- */

static const uint64_t set_irqs_flags[] = {
	/* the valid combinations */
	VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
	VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
	VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
	VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
	VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
	VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
	/* invalid ones */
	VFIO_IRQ_SET_DATA_NONE,
	VFIO_IRQ_SET_ACTION_TRIGGER,
	0,
	VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_TRIGGER,
	VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TYPE_MASK,
	VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER | 0x40,
	VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER | 0x80000000,
};

static const uint64_t irq_indices[] = { 0, 1, 2, 3, 4, 1, 2, 4, 5, 6, 0xffffffff, 0x80000001 };
static const uint64_t irq_starts[] = { 0, 0, 0, 0, 1, 2, 0xffffffff, 0xfffffffe, 0x80000000 };
static const uint64_t irq_counts[] = {
	0, 0, 1, 1, 1, 2, 3, 16, 0xffffffff, 0xfffffffe, 0x7fffffff, 0x40000000,
};

static void exec_set_irqs(struct fz_task *t, const struct fz_op *op)
{
	struct { struct vfio_irq_set s; uint8_t data[128]; } b;
	uint32_t flags = op->a[0], index = op->a[1], start = op->a[2], count = op->a[3];
	uint32_t dtype = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	uint32_t n = index < VFIO_PCI_NUM_IRQS ? fz.irq_count[index] : 0;
	size_t dsize = dtype == VFIO_IRQ_SET_DATA_BOOL ? 1 : dtype == VFIO_IRQ_SET_DATA_EVENTFD ? 4 : 0;
	uint64_t exact = 20 + (uint64_t)(count < 32 ? count : 32) * dsize, argsz;
	int err, want = 0, fdkind = -1;
	unsigned int i;
	long r;

	memset(&b, 0, sizeof(b));
	switch (op->a[4] % 8) {
	case 0: case 1: case 2: argsz = exact; break;
	case 3: argsz = 20; break;
	case 4: argsz = 19; break;
	case 5: argsz = exact ? exact - 1 : 0; break;
	case 6: argsz = 0xffffffff; break;
	default: argsz = exact + 3; break;
	}
	b.s.argsz = argsz;
	b.s.flags = flags;
	b.s.index = index;
	b.s.start = start;
	b.s.count = count;
	/* Data: each entry chosen by a nibble of a5. */
	for (i = 0; i < 32 && i * dsize < sizeof(b.data); i++) {
		unsigned int k = (op->a[5] >> (4 * (i % 16))) & 0xf;

		if (dtype == VFIO_IRQ_SET_DATA_BOOL) {
			b.data[i] = k & 1 ? 1 : (k & 2 ? 0xff : 0);
		} else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
			int32_t fd;

			switch (k % 6) {
			case 0: case 1: fd = fz.efd[(k >> 1) % FZ_NEFD]; break;
			case 2: fd = -1; break;
			case 3: fd = -2; break;
			case 4: fd = 1000 + k; break;	/* not open */
			default: fd = fz.inst.container_fd; break;	/* not an eventfd */
			}
			if (!i)
				fdkind = fd == -1 ? 2 : fd < -1 ? 3 : (k % 6 == 4) ? 4 :
					 (k % 6 == 5) ? 5 : (fd < 0 ? 4 : 0);
			memcpy(b.data + 4 * i, &fd, 4);
		}
	}
	r = xioctl(fz.inst.device_fd, VFIO_DEVICE_SET_IRQS, &b, &err);

	/* vfio_set_irqs_validate_and_prepare(), then the driver */
	if (argsz < 20 || index >= VFIO_PCI_NUM_IRQS || count >= UINT32_MAX - start ||
	    (flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		want = EINVAL;
	else if (!fz.generic && (start >= n || start + count > n))
		want = EINVAL;	/* Tessera validates against the index's own count */
	else if (dtype != VFIO_IRQ_SET_DATA_NONE && dtype != VFIO_IRQ_SET_DATA_BOOL &&
		 dtype != VFIO_IRQ_SET_DATA_EVENTFD)
		want = EINVAL;
	else if (dsize && argsz - 20 < (uint64_t)count * dsize)
		want = EINVAL;
	else if (fz.generic)
		want = -2;	/* the rest is the driver's */
	else if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
		want = -1;	/* no index is VFIO_IRQ_INFO_MASKABLE: must fail */
	else if (!count && dsize)
		want = -2;	/* names no vector: any answer, but no oops */
	else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD)
		want = !t->strict ? -2 : fdkind == 4 ? EBADF : fdkind == 5 ? EINVAL :
		       fdkind == 3 ? -2 : 0;
	if (want == -2)
		return;
	/* an eventfd slot may be closed (-1 is then a valid "disable") */
	fz_expect(t, r, err, want, "DEVICE_SET_IRQS");
}

/* ---- VFIO_DEVICE_RESET ---- */

static void bar2_reads_zero(struct fz_task *t, const char *who);

static void exec_reset(struct fz_task *t, const struct fz_op *op)
{
	uint64_t pinned;
	int err;
	long r;

	(void)op;
	r = xioctl(fz.inst.device_fd, VFIO_DEVICE_RESET, NULL, &err);
	fz_expect(t, r, err, 0, "DEVICE_RESET");
	fz.ring_std = false;
	fz.ring_entries = 0;
	if (!t->strict || r < 0)
		return;
	fz_bind_forget_all();	/* a device reset drops every binding */
	fz_bind_check(t, "DEVICE_RESET");
	fz_checked();
	if (!fz_sysfs_u64("pinned_pages", &pinned) && pinned)
		fz_fail(t, "DEVICE_RESET left %" PRIu64 " guest pages pinned", pinned);
	if (!fz.generic)
		bar2_reads_zero(t, "after DEVICE_RESET");
	if (!fz.vfpga && !fz.generic) {
		uint32_t st = fz_reg(TESSERA_VF_STATUS);

		fz_checked();
		if (st)
			fz_fail(t, "DEVICE_RESET: VF_STATUS 0x%x, expected 0 (no ring, no fault)", st);
	}
	enable_device();
}

/* ---- ioctls nobody defined ---- */

static const uint64_t dev_unknown_nr[] = { 12, 13, 14, 15, 16, 19, 20, 21, 22, 23, 30, 64, 99, 155 };
static const uint64_t grp_unknown_nr[] = { 0, 1, 2, 7, 8, 10, 11, 12, 17, 21, 40 };
static const uint64_t ctr_unknown_nr[] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 18, 19, 20, 21, 40 };
static const uint64_t other_types[] = { 0x3c, 0xe1, 0xe7, 0xa5, 0x5a, 0x77, 0xfe };

static void exec_bad_ioctl(struct fz_task *t, const struct fz_op *op)
{
	int fds[3] = { fz.inst.device_fd, fz.inst.group_fd, fz.inst.container_fd };
	static const char *const names[3] = { "device", "group", "container" };
	unsigned int which = op->a[0] % 3, dir = op->a[3] % 4, size = (op->a[3] >> 8) & 0x3fff;

	if (iommufd() && which == 1)
		which = 0;	/* no group fd: the device cdev instead */
	unsigned int type, nr;
	unsigned long cmd;
	char what[96];
	int err;
	long r;

	if (op->a[1] & 1) {
		/* a VFIO number with size/direction bits: never the same command */
		type = VFIO_TYPE;
		nr = VFIO_BASE + (op->a[1] >> 8) % 22;
		if (!dir && !size)
			dir = 3, size = 16;
	} else if (op->a[1] & 2) {
		type = VFIO_TYPE;
		dir = 0;
		size = 0;
		nr = VFIO_BASE + (which == 0 ? dev_unknown_nr[(op->a[1] >> 8) % 14] :
				  which == 1 ? grp_unknown_nr[(op->a[1] >> 8) % 11] :
				  ctr_unknown_nr[(op->a[1] >> 8) % 16]);
	} else {
		type = other_types[(op->a[1] >> 8) % 7];
		nr = (op->a[1] >> 16) & 0xff;
	}
	cmd = _IOC(dir, type, nr, size);
	r = xioctl(fds[which], cmd, op->a[2] & 1 ? (void *)scratch_page : (void *)(uintptr_t)op->a[2],
		   &err);
	snprintf(what, sizeof(what), "unknown ioctl 0x%lx on the %s fd", cmd, names[which]);
	/*
	 * With iommufd, the device cdev has ATTACH/DETACH_IOMMUFD_PT (VFIO
	 * 19, 20), and the iommufd dispatches on the number alone (0x80 on,
	 * whatever the type and size), reading the argument before it checks
	 * the whole command: those only have to fail.
	 */
	if (iommufd() && ((which == 0 && type == VFIO_TYPE && nr >= VFIO_BASE + 18 &&
			   nr <= VFIO_BASE + 20) || (which == 2 && nr >= 0x80 && nr < 0xa0)))
		fz_expect(t, r, err, -1, what);
	else
		fz_expect(t, r, err, ENOTTY, what);
}

/* ---- VFIO_DEVICE_FEATURE: Tessera has none ---- */

static void exec_feature(struct fz_task *t, const struct fz_op *op)
{
	struct { struct vfio_device_feature f; uint8_t data[64]; } b;
	uint32_t flags = op->a[0], argsz = op->a[1];
	uint32_t known = VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE;
	int err, want = -1;
	long r;

	memset(&b, 0, sizeof(b));
	b.f.argsz = argsz;
	b.f.flags = flags;
	r = xioctl(fz.inst.device_fd, VFIO_DEVICE_FEATURE, &b, &err);
	if (argsz < 8 || (flags & ~known) ||
	    (!(flags & VFIO_DEVICE_FEATURE_PROBE) && (flags & VFIO_DEVICE_FEATURE_GET) &&
	     (flags & VFIO_DEVICE_FEATURE_SET)))
		want = EINVAL;
	fz_expect(t, r, err, want, "DEVICE_FEATURE");
}

/* ---- container ioctls ---- */

/* The iommufd's own refusals: unknown commands, an IOAS that does not exist. */
static void exec_iommufd(struct fz_task *t, const struct fz_op *op)
{
	struct fz_ioas_map m = { .size = sizeof(m), .ioas_id = fz.inst.ioas_id + 1 + op->a[2] % 100,
				 .flags = FZ_IOAS_MAP_FIXED_IOVA | FZ_IOAS_MAP_READABLE,
				 .user_va = (uintptr_t)scratch_page, .length = 4096,
				 .iova = FZ_HOLE_IOVA };
	struct fz_ioas_unmap u = { .size = sizeof(u), .ioas_id = m.ioas_id, .length = 4096 };
	int fd = fz.inst.container_fd, err;
	long r;

	switch (op->a[0] % 5) {
	case 0:
		r = xioctl(fd, FZ_IOMMU_IOAS_MAP, &m, &err);
		fz_expect(t, r, err, ENOENT, "IOMMU_IOAS_MAP into an IOAS that does not exist");
		break;
	case 1:
		r = xioctl(fd, FZ_IOMMU_IOAS_UNMAP, &u, &err);
		fz_expect(t, r, err, ENOENT, "IOMMU_IOAS_UNMAP of an IOAS that does not exist");
		break;
	case 2:
		m.ioas_id = fz.inst.ioas_id;
		m.size = 8 + op->a[1] % 24;	/* shorter than the structure */
		r = xioctl(fd, FZ_IOMMU_IOAS_MAP, &m, &err);
		fz_expect(t, r, err, EINVAL, "IOMMU_IOAS_MAP with a short size");
		break;
	case 3:
		r = xioctl(fd, _IO(';', 0xa0 + op->a[1] % 0x5f), scratch_page, &err);
		fz_expect(t, r, err, ENOTTY, "an unknown iommufd command");
		break;
	default:
		r = xioctl(fd, op->a[1] & 1 ? FZ_IOMMU_IOAS_MAP : FZ_IOMMU_IOAS_UNMAP,
			   user_ptr(5 + op->a[1] % 3, NULL), &err);
		fz_expect(t, r, err, EFAULT, "an iommufd command with a bad pointer");
		break;
	}
}

static void exec_container(struct fz_task *t, const struct fz_op *op)
{
	int fd = fz.inst.container_fd, err;
	char what[64];
	long r;

	if (iommufd()) {
		exec_iommufd(t, op);
		return;
	}

	switch (op->a[0] % 6) {
	case 0:
		r = xioctl(fd, VFIO_GET_API_VERSION, NULL, &err);
		fz_checked();
		if (r != VFIO_API_VERSION)
			fz_fail(t, "GET_API_VERSION returned %ld", r);
		break;
	case 1: {
		unsigned long ext = op->a[1] % 3 ? op->a[1] % 12 : op->a[1];

		r = ioctl(fd, VFIO_CHECK_EXTENSION, ext);
		err = errno;
		snprintf(what, sizeof(what), "CHECK_EXTENSION %lu", ext);
		fz_checked();
		if (r < 0 && ext < 12)
			fz_fail(t, "%s failed: %s", what, strerror(err));
		if (ext == VFIO_TYPE1v2_IOMMU && r != 1)
			fz_fail(t, "%s returned %ld for the type1v2 container", what, r);
		break;
	}
	case 2:
		r = ioctl(fd, VFIO_SET_IOMMU, (unsigned long)(op->a[1] % 10));
		err = errno;
		/* the container has its IOMMU driver already */
		fz_expect(t, r, err, EINVAL, "a second SET_IOMMU");
		break;
	case 3: {
		struct { struct vfio_iommu_type1_info i; uint8_t pad[256]; } b;

		memset(&b, 0, sizeof(b));
		b.i.argsz = op->a[1] % 4 == 0 ? 15 : op->a[1] % 4 == 1 ? 16 : sizeof(b);
		r = xioctl(fd, VFIO_IOMMU_GET_INFO, &b, &err);
		fz_expect(t, r, err, b.i.argsz < 16 ? EINVAL : 0, "IOMMU_GET_INFO");
		if (r >= 0 && b.i.argsz >= 16 && (!(b.i.flags & VFIO_IOMMU_INFO_PGSIZES) ||
						  !(b.i.iova_pgsizes & 4096)))
			fz_fail(t, "IOMMU_GET_INFO: flags 0x%x pgsizes 0x%llx", b.i.flags,
				(unsigned long long)b.i.iova_pgsizes);
		break;
	}
	case 4: {
		struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d) };
		uint32_t f = op->a[1] % 5 == 0 ? 3 : op->a[1] % 5 == 1 ? 8 : 2;

		if (op->a[1] % 7 == 0)
			d.argsz = 4;
		d.flags = f;
		r = xioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &d, &err);
		fz_expect(t, r, err, d.argsz < 8 || f != 2 ? EINVAL : 0, "IOMMU_DIRTY_PAGES");
		break;
	}
	default: {
		/* MAP/UNMAP with a pointer that faults */
		r = xioctl(fd, op->a[1] & 1 ? VFIO_IOMMU_MAP_DMA : VFIO_IOMMU_UNMAP_DMA,
			   user_ptr(5 + op->a[1] % 3, NULL), &err);
		fz_expect(t, r, err, EFAULT, "MAP/UNMAP_DMA with a bad pointer");
		break;
	}
	}
}

/* ---- group ioctls and a second open ---- */

static void exec_group(struct fz_task *t, const struct fz_op *op)
{
	int fd = fz.inst.group_fd, err;
	char path[64], name[64];
	long r;

	if (iommufd())
		return;	/* the device cdev: no group fd */

	switch (op->a[0] % 7) {
	case 0: {
		struct vfio_group_status gs = { .argsz = op->a[1] & 1 ? 4 : sizeof(gs) };

		r = xioctl(fd, VFIO_GROUP_GET_STATUS, &gs, &err);
		fz_expect(t, r, err, gs.argsz < 8 ? EINVAL : 0, "GROUP_GET_STATUS");
		if (r >= 0 && gs.argsz >= 8 &&
		    (gs.flags & (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET)) !=
		    (VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET))
			fz_fail(t, "GROUP_GET_STATUS flags 0x%x", gs.flags);
		break;
	}
	case 1: {
		int c = op->a[1] & 1 ? fz.inst.container_fd : 1000 + (int)(op->a[1] % 50);

		r = xioctl(fd, VFIO_GROUP_SET_CONTAINER, &c, &err);
		fz_expect(t, r, err, c >= 1000 ? EBADF : EINVAL, "GROUP_SET_CONTAINER when set");
		break;
	}
	case 2:
		r = xioctl(fd, VFIO_GROUP_UNSET_CONTAINER, NULL, &err);
		fz_expect(t, r, err, EBUSY, "GROUP_UNSET_CONTAINER with the device open");
		break;
	case 3:
		snprintf(name, sizeof(name), "%s%.36s%s", op->a[1] & 4 ? " " : "", fz.inst.uuid,
			 op->a[1] & 1 ? "x" : "");
		if (!(op->a[1] & 5))
			name[op->a[1] % 36] ^= 1;	/* one character off */
		r = xioctl(fd, VFIO_GROUP_GET_DEVICE_FD, name, &err);
		fz_expect(t, r, err, -1, "GROUP_GET_DEVICE_FD with a wrong name");
		if (r >= 0)
			close(r);
		break;
	case 4:
		r = xioctl(fd, VFIO_GROUP_GET_DEVICE_FD, user_ptr(5 + op->a[1] % 3, NULL), &err);
		fz_expect(t, r, err, EFAULT, "GROUP_GET_DEVICE_FD with a bad pointer");
		if (r >= 0)
			close(r);
		break;
	case 5: {
		/* a second device fd: use it a little, close it */
		uint32_t v;

		r = xioctl(fd, VFIO_GROUP_GET_DEVICE_FD, fz.inst.uuid, &err);
		if (t->strict)
			fz_expect(t, r, err, 0, "a second GROUP_GET_DEVICE_FD");
		if (r >= 0) {
			if (!fz.generic &&
			    pread(r, &v, 4, region_base(VFIO_PCI_BAR0_REGION_INDEX)) == 4) {
				fz_checked();
				if (v != TESSERA_MAGIC)
					fz_fail(t, "second device fd reads VF_MAGIC 0x%x", v);
			}
			if (op->a[1] & 1) {
				ioctl(r, VFIO_DEVICE_RESET);
				if (t->strict)
					fz_bind_forget_all();	/* as any device reset */
				else
					fz.dirty = true;
			}
			close(r);
		}
		break;
	}
	default:
		snprintf(path, sizeof(path), "/dev/vfio/%d", fz.inst.group_id);
		r = open(path, O_RDWR | O_CLOEXEC);
		err = errno;
		fz_expect(t, r, err, EBUSY, "a second open of the group");
		if (r >= 0)
			close(r);
		break;
	}
}

/* ---- VFIO_IOMMU_MAP_DMA / UNMAP_DMA ---- */

static uint64_t map_size_class(uint64_t c)
{
	static const uint64_t sizes[] = {
		4096, 8192, 65536, 1 << 20, 2 << 20, 1ull << 30, 1ull << 40, 0, 0x1001,
		1ull << 63, 0xfffffffffffff000ull, 4096, 16384,
	};

	return sizes[c % (sizeof(sizes) / sizeof(sizes[0]))];
}

static uint64_t map_iova_class(uint64_t c, int slot, uint64_t size, uint64_t r)
{
	switch (c % 11) {
	case 0: case 1:
		return FZ_RAND_IOVA + (uint64_t)(slot & 3) * 0x8000000ull + (r % 0x4000) * 4096;
	case 2:
		return 0;
	case 3:
		return (TESSERA_VF_DVA_GUEST_LIMIT - size) & ~0xfffull;
	case 4:
		return TESSERA_VF_DVA_GUEST_LIMIT;
	case 5:
		return (TESSERA_DVA_PAGED_LIMIT - size) & ~0xfffull;
	case 6:
		return TESSERA_DVA_VRAM_BASE;
	case 7:
		/*
		 * Near the top, but not ending at 2^64: 6.12's type1 computes
		 * iova + size there, which is 0, and a mapping ending at the top
		 * is then never found again: UNMAP_DMA of it, even with
		 * VFIO_DMA_UNMAP_FLAG_ALL, unmaps nothing and succeeds (an
		 * upstream bug, fixed by "vfio/type1: handle DMA map/unmap up to
		 * the addressable limit"; not Tessera's).
		 */
		return (0 - size - 4096) & ~0xfffull;
	case 8:
		return FZ_RAND_IOVA + 0x800;
	case 9:
		return FZ_DATA_IOVA;	/* overlaps a standard slot */
	default:
		return r & ~0xfffull;
	}
}

static void exec_map_dma(struct fz_task *t, const struct fz_op *op)
{
	uint32_t argsz;
	int slot = FZ_STD_SLOTS + (t->strict ? op->a[0] % 4 : (t->tid & 3));
	struct fz_slot *s = &fz.slot[slot];
	uint64_t size = map_size_class(op->a[2]);
	uint64_t iova = map_iova_class(op->a[1], slot, size, op->a[5]);
	static const uint32_t flagv[] = { 3, 3, 1, 2, 0, 4, 5, 8, 3 };
	uint32_t flags = flagv[op->a[3] % 9];
	unsigned int vk = op->a[4] % 8;
	uint64_t vaddr = 0, dummy;
	void *own = NULL;
	size_t own_len = 0;
	int err, want = 0, uerr;
	long r;

	/* the slot's previous mapping goes first */
	if (s->mapped) {
		if (!fz_unmap_range(s->iova, s->size, &dummy, &uerr) && t->strict) {
			fz_checked();
			if (s->iova + s->size == 0)
				fz.dirty = true;	/* the top-of-space quirk, see UNMAP_DMA */
			else if (dummy != s->size)
				fz_fail(t, "UNMAP_DMA of slot %d unmapped 0x%" PRIx64 " of 0x%" PRIx64,
					slot, dummy, s->size);
			fz_bind_unmapped(t, s->iova, s->size);
			fz_bind_check(t, "UNMAP_DMA of a random slot");
		}
		s->mapped = false;
	}
	slot_release_backing(s);

	if (size && size <= (2 << 20) && vk != 5 && vk != 6) {
		own_len = (size + 4095) & ~4095ull;
		own = mmap(NULL, own_len, vk == 2 ? PROT_READ : PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (own == MAP_FAILED) {
			own = NULL;
			own_len = 0;
		}
	}
	switch (vk) {
	case 3:
		vaddr = fz.inst.bar2 && size <= fz.inst.bar2_size ? (uintptr_t)fz.inst.bar2 : 0;
		break;
	case 4:
		vaddr = (own ? (uintptr_t)own : 0x100000000000ull) + 0x10;
		break;
	case 5:
		vaddr = 0;
		break;
	case 6:
		vaddr = 0xffff888000000000ull;
		break;
	default:
		vaddr = own ? (uintptr_t)own : 0x100000000000ull;
		break;
	}
	argsz = op->a[5] % 9 == 0 ? 31 : op->a[5] % 9 == 1 ? 0 : 32;
	r = dma_map_raw(argsz, flags, vaddr, iova, size, &err);

	if (argsz < 32 || (flags & ~7u))
		want = EINVAL;
	else if ((flags & 3) && (flags & 4))
		want = EINVAL;
	else if (!(flags & 3) && !(flags & 4))
		want = EINVAL;
	else if (!size || ((size | iova | vaddr) & 0xfff))
		want = EINVAL;
	else if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		want = EINVAL;
	else if (flags & 4)
		want = -1;	/* VADDR: nothing to update */
	else if (!t->strict)
		want = -2;
	else if (model_overlaps(iova, size))
		want = EEXIST;
	if (iommufd() && want > 0)
		want = -1;	/* iommufd's own errnos (EOPNOTSUPP, EOVERFLOW, EEXIST...) */
	if (iommufd() && !want && (op->a[1] % 11 > 1 || vk >= 3))
		want = -2;	/* its IOVA and user-address rules are not type1's */
	if (want != -2)
		fz_expect(t, r, err, want, iommufd() ? "IOMMU_IOAS_MAP" : "MAP_DMA");
	if (r < 0) {
		if (own)
			munmap(own, own_len);
		return;
	}
	s->iova = iova;
	s->size = size;
	s->mapped = true;
	s->writable = flags & VFIO_DMA_MAP_FLAG_WRITE;
	s->va = own;
	s->va_len = own_len;
	if (vk == 1 && own) {
		/* the guest memory goes away behind the mapping's back */
		munmap(own, own_len);
		s->va = NULL;
		s->va_len = 0;
	}
}

static void exec_unmap_dma(struct fz_task *t, const struct fz_op *op)
{
	const struct fz_slot *s = &fz.slot[op->a[1] % FZ_NSLOTS];
	uint32_t uflags = 0;
	uint64_t iova, size, pinned, done;
	bool all = false;
	int err, want = 0;
	long r;

	if (op->a[4] & 1 && t->strict && !fz.vfpga && s->mapped && s->writable &&
	    op->a[1] % FZ_NSLOTS < FZ_STD_SLOTS)
		fz_submit(t, op->a[5], 2, FZ_SUBMIT_UNMAP);	/* queue work that uses it */

	switch (op->a[0] % 10) {
	case 0: case 1:
		iova = s->iova;
		size = s->size;
		break;
	case 2:
		iova = s->iova + 4096;
		size = s->size > 8192 ? s->size - 8192 : 4096;
		break;
	case 3:
		iova = s->iova - 4096;
		size = s->size + 8192;
		break;
	case 4:
		iova = op->a[2] & ~0xfffull;
		size = map_size_class(op->a[3]);
		break;
	case 5:
		iova = 0;
		size = 0;
		uflags = VFIO_DMA_UNMAP_FLAG_ALL;
		all = true;
		break;
	case 6:
		iova = op->a[2] & 1 ? 4096 : 0;
		size = op->a[2] & 1 ? 0 : 4096;
		uflags = VFIO_DMA_UNMAP_FLAG_ALL;
		want = EINVAL;
		break;
	case 7:
		/* misaligned, empty, or wrapping past the top */
		iova = s->iova >= 0x10000 ? s->iova : 0x10000;
		iova += op->a[2] % 3 == 0 ? 1 : 0;
		size = op->a[2] % 3 == 1 ? 0 : op->a[2] % 3 == 2 ? (0 - iova) + 4096 : 0x1001;
		want = EINVAL;
		break;
	case 8:
		iova = s->iova;
		size = s->size;
		uflags = VFIO_DMA_UNMAP_FLAG_VADDR;
		want = EBUSY;	/* never while an mdev is in the container */
		break;
	default:
		iova = s->iova;
		size = s->size;
		uflags = op->a[2] & 1 ? 0x8 : VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
		want = EINVAL;
		break;
	}
	if (op->a[0] % 10 < 5 && (!size || (iova & 0xfff) || (size & 0xfff) || iova + size - 1 < iova))
		want = EINVAL;
	if (op->a[0] % 10 < 5 && !want && t->strict && model_bisects(iova, size))
		want = EINVAL;
	r = dma_unmap_raw(uflags, iova, size, &done, &err);
	if (iommufd()) {
		/* iommufd: what type1 refuses with EINVAL it refuses its own way */
		if (want > 0)
			want = -1;
		/* and an unmap that finds nothing is an error (ENOENT) */
		if (!want && t->strict && !all && !model_holds(iova, size))
			want = -1;
	}
	if (!want && !t->strict) {
		if (r >= 0)
			fz.dirty = true;
		return;
	}
	fz_expect(t, r, err, want, iommufd() ? "IOMMU_IOAS_UNMAP" : "UNMAP_DMA");
	/*
	 * iommufd removes every whole area it meets before the one it refuses
	 * (iopt_unmap_iova_range() returns -ENOENT with those already gone)
	 * and does not say how much: the model starts over.
	 */
	if (r < 0 && iommufd() && t->strict && !all)
		fz.dirty = true;
	if (r < 0 || !t->strict)
		return;
	if (!all && iova + size == 0 && !iommufd()) {
		/*
		 * type1 compares against iova + size, which is 0 for a range that
		 * ends at the top of the IOVA space: it unmaps nothing and says
		 * so. An upstream quirk, not Tessera's: the model starts over.
		 */
		fz.dirty = true;
		return;
	}
	{
		uint64_t expect = model_unmapped(iova, size, all);

		fz_checked();
		if (done != expect)
			fz_fail(t, "UNMAP_DMA [0x%" PRIx64 ", +0x%" PRIx64 ") unmapped 0x%" PRIx64 ", the "
				"mappings in it hold 0x%" PRIx64, iova, size, done, expect);
	}
	fz_bind_check(t, "UNMAP_DMA");
	if (all) {
		fz_checked();
		if (!fz_sysfs_u64("pinned_pages", &pinned) && pinned)
			fz_fail(t, "every DMA mapping is gone but %" PRIu64 " pages stay pinned",
				pinned);
	}
}

/* ---- region read/write: offset, size and alignment classes ---- */

static uint64_t rw_offset(uint64_t c, uint64_t size, uint64_t len, uint64_t r)
{
	switch (c % 16) {
	case 0: return 0;
	case 1: return size ? (r % size) & ~3ull : 0;
	case 2: return size ? r % size : r;
	case 3: return size ? size - 1 : 1;
	case 4: return size;
	case 5: return size + 1;
	case 6: return size >= 4 ? size - 4 : 0;
	case 7: return size >= 8 ? size - 8 : 0;
	case 8: return 1ull << 39;
	case 9: return size > len ? size - len + 1 : 0;		/* crosses the end */
	case 10: return ((r % 0x60) & ~3ull) + 2;		/* straddles two registers */
	case 11: return (r % 0x60) & ~3ull;
	case 12: return fz.vram_size ? fz.vram_size - (len > 1 ? len / 2 : 1) : 0;
	case 13: return TESSERA_VF_RGN_USER_BASE + (r % 0x60);
	case 14: return 0xffffffffffull;
	default: return r % 0x100;
	}
}

static uint64_t rw_len(uint64_t c, uint64_t size, uint64_t r)
{
	static const uint64_t lens[] = {
		1, 2, 3, 4, 4, 4, 5, 7, 8, 8, 12, 16, 64, 256, 257, 4096, 65536, 0,
	};

	switch (c % 24) {
	case 20: return size;
	case 21: return size + 1;
	case 22: return 1ull << 31;
	case 23: return 1 + r % 64;
	default: return lens[c % (sizeof(lens) / sizeof(lens[0]))];
	}
}

/* What a read or write of @len bytes at @off of region @index must do. */
static int rw_want(unsigned int index, uint64_t off, uint64_t len)
{
	uint64_t size = index < VFIO_PCI_NUM_REGIONS ? fz.region_size[index] : 0;

	if (!size || !len || off >= size || len > size - off)
		return fz.generic ? -1 : EINVAL;	/* past the region: must fail */
	if (fz.generic)
		return -2;	/* inside it: whatever the driver answers */
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
	case VFIO_PCI_BAR4_REGION_INDEX:
		/* the register files: 32- and 64-bit, naturally aligned */
		return (len == 4 || len == 8) && !(off % len) ? 0 : EINVAL;
	default:
		return 0;
	}
}

static void exec_rw(struct fz_task *t, const struct fz_op *op)
{
	static const uint64_t idx[] = { 0, 0, 0, 0, 2, 2, 2, 4, 4, 7, 7, 1, 3, 5, 6, 8, 9, 12 };
	unsigned int index = idx[op->a[0] % (sizeof(idx) / sizeof(idx[0]))];
	uint64_t size = index < VFIO_PCI_NUM_REGIONS ? fz.region_size[index] : 0;
	uint64_t len = rw_len(op->a[2], size, op->a[5]);
	uint64_t off = rw_offset(op->a[1], size, len, op->a[5] >> 8);
	bool write = op->a[3] & 1;
	uint8_t local[256] __attribute__((aligned(8)));
	void *buf;
	int err, want;
	ssize_t n;
	char what[96];

	want = rw_want(index, off, len);
	/* Config writes that reset or disable the function are CFG_WRITE's. */
	if (index == VFIO_PCI_CONFIG_REGION_INDEX && write && (op->a[4] & 3))
		write = false;
	if (want == -2 && write && index == VFIO_PCI_CONFIG_REGION_INDEX)
		return;	/* another driver's config space: no writes we cannot undo */
	if (len <= sizeof(local)) {
		buf = local;
	} else if (len <= BIG_BUF_BYTES && t->strict) {
		buf = big_buf;
	} else if (want) {
		/*
		 * Refused, by the VFS (access_ok: EFAULT) or the driver (EINVAL).
		 * The buffer is a PROT_NONE page, not our stack: a driver that
		 * copies anyway (mtty.ko does past a region's end) faults in the
		 * kernel (EFAULT) instead of overrunning the fuzzer's own memory.
		 */
		buf = none_page;
		want = -1;
	} else {
		return;		/* too big for us: not a useful case */
	}
	if (write) {
		uint64_t v = op->a[4];
		size_t i;

		for (i = 0; buf != none_page && i < len && i < sizeof(local); i++)
			((uint8_t *)buf)[i] = v >> (8 * (i % 8));
		/* nor an FLR (Initiate Function-Level Reset): CFG_WRITE's, with its model */
		if (buf != none_page && index == VFIO_PCI_CONFIG_REGION_INDEX && off <= FZ_CFG_DEVCTL_HI &&
		    off + len > FZ_CFG_DEVCTL_HI && FZ_CFG_DEVCTL_HI - off < sizeof(local))
			((uint8_t *)buf)[FZ_CFG_DEVCTL_HI - off] &= ~FZ_CFG_FLR_BIT;
		/* valid BAR0 writes of random values stay off the ring registers */
		if (!want && index == VFIO_PCI_BAR0_REGION_INDEX && off <= TESSERA_VF_RESET + 4 &&
		    !fz.vfpga && off + len > TESSERA_VF_RING_BASE_LO)
			return;
		/* nor on the bind operation: BIND's, with its model */
		if (!want && index == VFIO_PCI_BAR0_REGION_INDEX && !fz.vfpga &&
		    off < TESSERA_VF_BIND_OP + 4 && off + len > TESSERA_VF_BIND_OP)
			return;
	}
	if (!want && (op->a[3] & 14) == 2)
		buf = user_ptr(5 + (op->a[3] >> 2) % 3, buf), want = EFAULT;
	n = fz_region_rw(index, write, off, buf, len, &err);
	if (want == -2)
		return;
	snprintf(what, sizeof(what), "%s of %" PRIu64 " bytes at 0x%" PRIx64 " of region %u",
		 write ? "write" : "read", len, off, index);
	fz_expect(t, n, err, want, what);
	if (n >= 0 && !want) {
		fz_checked();
		if ((uint64_t)n != len)
			fz_fail(t, "%s returned %zd", what, n);
	}
}

/* ---- mmap at every offset ---- */

static bool mmap_allowed(unsigned int index, uint64_t off, uint64_t len, bool shared)
{
	uint64_t end;

	len = (len + 4095) & ~4095ull;
	if (!shared || !len || (off & 4095))
		return false;
	if (fz.generic)
		/* VFIO: only a region that says it is mmap-able, within its size */
		return index < VFIO_PCI_NUM_REGIONS &&
		       (fz.region_flags[index] & VFIO_REGION_INFO_FLAG_MMAP) &&
		       off < fz.region_size[index] && len <= fz.region_size[index] - off;
	if (index == VFIO_PCI_BAR2_REGION_INDEX)
		return off < fz.vram_size && len <= fz.vram_size - off;
	if (index == VFIO_PCI_BAR0_REGION_INDEX && fz.vfpga && !fz.share) {
		end = TESSERA_VF_RGN_USER_BASE + (uint64_t)fz.regions * TESSERA_VF_RGN_USER_STRIDE;
		return off >= TESSERA_VF_RGN_USER_BASE && off < end && len <= end - off;
	}
	return false;
}

/* Reads the first and last byte of a mapping (and writes one): 0 or the signal. */
static __attribute__((noinline)) int touch(struct fz_task *t, volatile uint8_t *p, uint64_t len,
					   bool write, uint64_t where)
{
	int sig;

	t->touching = 1;
	sig = sigsetjmp(t->touch_jb, 1);
	if (!sig) {
		uint8_t v = p[0];

		v ^= p[((len + 4095) & ~4095ull) - 1];
		if (write)
			p[where % (len ? len : 1)] = v;
	}
	t->touching = 0;
	return sig;
}

static void exec_mmap(struct fz_task *t, const struct fz_op *op)
{
	static const uint64_t idx[] = { 2, 2, 2, 2, 0, 0, 0, 4, 7, 1, 5, 8, 9 };
	unsigned int index = idx[op->a[0] % (sizeof(idx) / sizeof(idx[0]))];
	uint64_t size = index < VFIO_PCI_NUM_REGIONS ? fz.region_size[index] : 0;
	uint64_t off, len;
	bool shared = op->a[3] % 5 != 0;
	int prot = op->a[3] & 2 ? PROT_READ : PROT_READ | PROT_WRITE, err, want, sig;
	volatile uint8_t *p;
	char what[96];

	switch (op->a[1] % 10) {
	case 0: off = 0; break;
	case 1: off = fz.vram_size & ~4095ull; break;			/* the padding */
	case 2: off = fz.vram_size ? (fz.vram_size - 4096) & ~4095ull : 0; break;
	case 3: off = size & ~4095ull; break;				/* the end */
	case 4: off = TESSERA_VF_RGN_USER_BASE; break;
	case 5: off = TESSERA_VF_RGN_USER_BASE * (1 + op->a[5] % 9); break;
	case 6: off = size ? (op->a[5] % size) & ~4095ull : 0; break;
	case 7: off = 0x800; break;					/* unaligned */
	case 8: off = 1ull << 39; break;
	default: off = (op->a[5] & 0xffffff) << 12; break;
	}
	switch (op->a[2] % 9) {
	case 0: len = 4096; break;
	case 1: len = 8192; break;
	case 2: len = fz.vram_size; break;
	case 3: len = fz.vram_size + 4096; break;
	case 4: len = size; break;
	case 5: len = 100; break;
	case 6: len = 1ull << 40; break;
	case 7: len = 0; break;
	default: len = 4096 * (1 + op->a[5] % 16); break;
	}
	want = mmap_allowed(index, off, len, shared) ? 0 : -1;
	p = mmap(NULL, len, prot, shared ? MAP_SHARED : MAP_PRIVATE, fz.inst.device_fd,
		 region_base(index) + off);
	err = errno;
	snprintf(what, sizeof(what), "mmap of %" PRIu64 " bytes at 0x%" PRIx64 " of region %u%s",
		 len, off, index, shared ? "" : " (private)");
	fz_expect(t, p == MAP_FAILED ? -1 : 0, err, want, what);
	if (p == MAP_FAILED)
		return;
	/* What the kernel handed out must be usable. */
	sig = touch(t, p, len, index == VFIO_PCI_BAR2_REGION_INDEX && (prot & PROT_WRITE) &&
		    (op->a[4] & 1), op->a[4]);
	if (sig)
		fz_fail(t, "%s succeeded but touching it raised signal %d", what, sig);
	munmap((void *)p, len);
}

/* ---- configuration space ---- */

static void check_identity(struct fz_task *t, const char *after)
{
	uint8_t cfg[0x40];

	if (fz.generic)
		return;
	if (cfg_rd(0, cfg, sizeof(cfg)))
		return;
	fz_checked();
	if (cfg[0] != 0x34 || cfg[1] != 0x12 || cfg[2] != (fz.vfpga ? 0x52 : 0x51) ||
	    cfg[3] != 0x7e || cfg[0x0b] != 0x12 || cfg[0x0a] || cfg[0x09] || cfg[0x0e] ||
	    !(cfg[0x06] & 0x10) || cfg[0x34] != 0x40)
		fz_fail(t, "after %s the read-only identity changed: id %02x%02x:%02x%02x class "
			"%02x%02x%02x header %02x status %02x cap %02x", after, cfg[1], cfg[0], cfg[3],
			cfg[2], cfg[0x0b], cfg[0x0a], cfg[0x09], cfg[0x0e], cfg[0x06], cfg[0x34]);
}

static void exec_cfg_write(struct fz_task *t, const struct fz_op *op)
{
	static const uint64_t offs[] = {
		0x00, 0x02, 0x04, 0x04, 0x05, 0x06, 0x08, 0x0c, 0x0e, 0x10, 0x10, 0x14, 0x18,
		0x1c, 0x20, 0x24, 0x2c, 0x30, 0x34, 0x3c, 0x3d, 0x40, 0x42, 0x44, 0x48, 0x4c,
		0x50, 0x52, 0x54, 0x58, 0x60, 0x64, 0x68, 0x69, 0x6c, 0x70, 0xfc, 0xfe, 0xff,
	};
	uint32_t off = op->a[0] & 1 ? offs[(op->a[0] >> 1) % (sizeof(offs) / sizeof(offs[0]))] :
		       (op->a[0] >> 1) % 260;
	static const uint64_t lens[] = { 1, 2, 4, 4, 4, 2, 3, 8, 16, 256 };
	uint64_t len = lens[op->a[1] % 10];
	uint8_t buf[256];
	uint64_t v = op->a[2], pinned;
	bool flr;
	int err, want;
	ssize_t n;
	size_t i;

	if (op->a[1] % 10 == 9)
		off = 0;
	for (i = 0; i < len; i++)
		buf[i] = (op->a[3] & 1) ? 0xff : v >> (8 * (i % 8));
	flr = off <= FZ_CFG_DEVCTL_HI && off + len > FZ_CFG_DEVCTL_HI &&
	      (buf[FZ_CFG_DEVCTL_HI - off] & FZ_CFG_FLR_BIT);
	n = fz_region_rw(VFIO_PCI_CONFIG_REGION_INDEX, true, off, buf, len, &err);
	want = off + len <= 256 ? 0 : EINVAL;
	fz_expect(t, n, err, want, "config-space write");
	if (n > 0 && flr) {
		fz.ring_std = false;
		fz.ring_entries = 0;
		if (t->strict) {
			fz_bind_forget_all();
			fz_bind_check(t, "a function-level reset");
			fz_checked();
			if (!fz_sysfs_u64("pinned_pages", &pinned) && pinned)
				fz_fail(t, "function-level reset left %" PRIu64 " pages pinned", pinned);
		}
	}
	if (t->strict)
		check_identity(t, "a config-space write");
	if (op->a[3] & 2)
		enable_device();
}

/* ---- the register file, with values chosen to mean something ---- */

static const uint64_t vgpu_regs[] = {
	TESSERA_VF_MAGIC, TESSERA_VF_VERSION, TESSERA_VF_VRAM_SIZE_LO, TESSERA_VF_VRAM_SIZE_HI,
	TESSERA_VF_RING_BASE_LO, TESSERA_VF_RING_BASE_HI, TESSERA_VF_RING_SIZE,
	TESSERA_VF_RING_HEAD, TESSERA_VF_STATUS, TESSERA_VF_FAULT_CODE, TESSERA_VF_FAULT_INDEX,
	TESSERA_VF_FAULT_ADDR_LO, TESSERA_VF_FAULT_ADDR_HI, TESSERA_VF_INT_STATUS,
	TESSERA_VF_INT_ENABLE, TESSERA_VF_FENCE_LO, TESSERA_VF_FENCE_HI, TESSERA_VF_BUSY_NS_LO,
	TESSERA_VF_BUSY_NS_HI, TESSERA_VF_RESET, TESSERA_VF_CMDS_DONE, TESSERA_VF_WEIGHT,
	TESSERA_VF_CAPS, TESSERA_VF_NUM_REGIONS, TESSERA_VF_FUNCTIONS, TESSERA_VF_REGION_CAPACITY,
	0x70, 0xffc, TESSERA_VF_RGN_REG(0, TESSERA_VF_RGN_IMAGE_ADDR_LO),
	TESSERA_VF_RGN_REG(0, TESSERA_VF_RGN_IMAGE_SIZE), TESSERA_VF_RGN_REG(1, TESSERA_VF_RGN_RESET),
	TESSERA_VF_RGN_REG(3, TESSERA_VF_RGN_FUNCTION), TESSERA_VF_RGN_REG(7, TESSERA_VF_RGN_CONFIG_STATUS),
	TESSERA_VF_RGN_REG(8, 0),
};

static uint32_t reg_value(struct fz_task *t, uint64_t c, uint64_t r)
{
	static const uint64_t sizes[] = { 16, 32, 64, 128, 4096, 8192, 0, 15, 17, 65536 };

	switch (c % 6) {
	case 0: return sizes[r % 10];
	case 1: return (uint32_t)FZ_RING_IOVA;
	case 2: return 1;
	default: return (uint32_t)(r ^ rand_interesting(t));
	}
}

static void exec_reg(struct fz_task *t, const struct fz_op *op)
{
	uint32_t off = op->a[0] & 1 ? vgpu_regs[(op->a[0] >> 1) % (sizeof(vgpu_regs) / 8)] :
		       ((op->a[0] >> 1) % 0x400) * 4;
	uint32_t val = reg_value(t, op->a[1], op->a[2]), back = 0, st;
	bool vf = fz.vfpga, known = true;
	int ret;

	/* the doorbell is DOORBELL's, the bind operation BIND's */
	if (!vf && (off == TESSERA_VF_RING_TAIL || off == TESSERA_VF_BIND_OP))
		return;
	ret = fz_reg_wr(off, val);
	fz_expect(t, ret, -ret, 0, "BAR0 register write");
	if (!vf && off == TESSERA_VF_RING_SIZE) {
		fz.ring_std = false;
		fz.ring_entries = 0;
	}
	if (!t->strict)
		return;
	if (fz_reg_rd(off, &back))
		return;
	fz_checked();
	switch (off) {
	case TESSERA_VF_MAGIC:
		known = back == TESSERA_MAGIC;
		break;
	case TESSERA_VF_VERSION:
		known = back == TESSERA_VERSION;
		break;
	case TESSERA_VF_VRAM_SIZE_LO:
		known = back == (uint32_t)fz.vram_size;
		break;
	case TESSERA_VF_VRAM_SIZE_HI:
		known = back == (uint32_t)(fz.vram_size >> 32);
		break;
	case TESSERA_VF_CAPS:
		known = back == (vf ? TESSERA_VF_CAP_REGIONS :
				 TESSERA_VF_CAP_ENGINES | TESSERA_VF_CAP_BIND);
		break;
	case TESSERA_VF_WEIGHT:
		known = back == weight0;
		break;
	case TESSERA_VF_RESET:
		known = back == 0;
		break;
	case TESSERA_VF_RING_BASE_LO:
	case TESSERA_VF_RING_BASE_HI:
		known = vf ? back == 0 : back == val;
		break;
	case TESSERA_VF_RING_SIZE:
		known = vf ? back == 0 : back == val;
		if (!vf) {
			uint64_t base = fz_reg64(TESSERA_VF_RING_BASE_LO);
			bool valid = val >= TESSERA_RING_MIN_ENTRIES && val <= fz.max_entries &&
				     !(val & (val - 1)) && !(base % 64) &&
				     base < TESSERA_VF_DVA_BIND_BASE &&
				     (uint64_t)val * 64 <= TESSERA_VF_DVA_BIND_BASE - base;

			st = fz_reg(TESSERA_VF_STATUS);
			if (!!(st & TESSERA_VF_STATUS_ENABLED) != valid)
				fz_fail(t, "VF_RING_SIZE %u at base 0x%" PRIx64 ": VF_STATUS 0x%x, ring "
					"%s valid", val, base, st, valid ? "is" : "is not");
		}
		break;
	case TESSERA_VF_INT_ENABLE:
		known = vf ? back == val : back == (val & 7);
		break;
	case TESSERA_VF_NUM_REGIONS:
		known = back == (vf ? fz.regions : 0);
		break;
	case TESSERA_VF_FUNCTIONS:
		known = back == (vf ? fz.functions : 0);
		break;
	case TESSERA_VF_REGION_CAPACITY:
		known = back == (vf ? (uint32_t)fz.capacity : 0);
		break;
	default:
		if (!vf && fz_bind_reg(off))
			known = fz_bind_reg_ok(off, val, back);
		else if (!vf && off >= 0x60)
			known = back == 0;	/* no register there */
		else if (vf && off >= TESSERA_VF_RGN_REG(fz.regions, 0))
			known = back == 0;
		else if (vf && off >= 0x6c && off < TESSERA_VF_RGN_BASE)
			known = back == 0;
		else if (vf && off >= TESSERA_VF_RGN_BASE) {
			uint32_t r = (off - TESSERA_VF_RGN_BASE) % TESSERA_VF_RGN_STRIDE;

			if (r == TESSERA_VF_RGN_IMAGE_ADDR_LO || r == TESSERA_VF_RGN_IMAGE_ADDR_HI ||
			    r == TESSERA_VF_RGN_IMAGE_SIZE)
				known = back == val;
			else if (r == TESSERA_VF_RGN_FUNCTION)
				known = !back || (back < 32 && (fz.functions & (1u << back)));
			else if (r >= 0x40)
				known = back == 0;
		}
		break;
	}
	if (!known)
		fz_fail(t, "BAR0 0x%x: wrote 0x%x, reads back 0x%x", off, val, back);
}

static void exec_ring_config(struct fz_task *t, const struct fz_op *op)
{
	static const uint64_t entries[] = {
		16, 32, 64, 256, 1024, 4096, 4096, 0, 1, 15, 17, 48, 8192, 65536, 0x80000000, 0xffffffff,
	};
	uint32_t e = entries[op->a[1] % 16];
	uint64_t base;

	switch (op->a[0] % 11) {
	case 0: case 1: base = FZ_RING_IOVA; break;
	case 2: base = FZ_RO_IOVA; break;
	case 3: base = FZ_RING_IOVA + 8; break;
	case 4: base = FZ_HOLE_IOVA; break;
	case 5: base = TESSERA_VF_DVA_GUEST_LIMIT - 64ull * (e ? e : 1) + 64; break;
	case 6: base = TESSERA_VF_DVA_GUEST_LIMIT; break;
	case 7: base = TESSERA_DVA_VRAM_BASE; break;
	case 8: base = TESSERA_VF_DVA_BIND_BASE - 64ull * (e ? e : 1) + 64; break;
	case 9: base = TESSERA_VF_DVA_BIND_BASE; break;
	default: base = op->a[2] & ~63ull; break;
	}
	if (fz.vfpga) {
		fz_reg_wr(TESSERA_VF_RING_BASE_LO, base);
		fz_reg_wr(TESSERA_VF_RING_SIZE, e);
		return;
	}
	fz_ring_configure(t, base, e);
}

static void exec_doorbell(struct fz_task *t, const struct fz_op *op)
{
	uint32_t st0 = 0, st, code, size = 0, tail = 0, v;
	bool check;

	if (t->strict && !fz.vfpga) {
		st0 = fz_reg(TESSERA_VF_STATUS);
		size = fz_reg(TESSERA_VF_RING_SIZE);
		tail = fz_reg(TESSERA_VF_RING_TAIL);
	}
	switch (op->a[0] % 6) {
	case 0: v = size; break;
	case 1: v = size + op->a[1] % 64; break;
	case 2: v = 0xffffffff; break;
	case 3: v = tail; break;				/* nothing new */
	case 4: v = (tail + size - 1) % (size ? size : 1); break;	/* a full ring */
	default: v = op->a[1]; break;
	}
	fz_reg_wr(TESSERA_VF_RING_TAIL, v);
	if (!t->strict || fz.vfpga || (st0 & TESSERA_VF_STATUS_FAULTED))
		return;
	st = fz_reg(TESSERA_VF_STATUS);
	code = fz_reg(TESSERA_VF_FAULT_CODE);
	check = !(st0 & TESSERA_VF_STATUS_ENABLED) || v >= size;
	fz_checked();
	if ((st & TESSERA_VF_STATUS_FAULTED) && code < TESSERA_VF_REJECT_BASE) {
		/* an earlier command's fault arrived first */
		fz_check_card_fault(t, code, "before a doorbell");
		return;
	}
	if (check && (!(st & TESSERA_VF_STATUS_FAULTED) || code != TESSERA_VF_REJECT_RING))
		fz_fail(t, "doorbell %u (ring of %u, status 0x%x) must fault REJECT_RING: status 0x%x "
			"code 0x%x", v, size, st0, st, code);
	if (!check && op->a[0] % 6 == 3 && (st & TESSERA_VF_STATUS_FAULTED))
		fz_fail(t, "a doorbell with nothing new faulted (code 0x%x)", code);
}

static void exec_vf_reset(struct fz_task *t, const struct fz_op *op)
{
	static const uint64_t vals[] = { 1, 1, 1, 0, 2, 3, 0xffffffff, 0x100 };
	uint32_t v = vals[op->a[0] % 8];
	int ret = fz_reg_wr(TESSERA_VF_RESET, v);

	fz_expect(t, ret, -ret, 0, "VF_RESET write");
	if (t->strict) {
		fz_checked();
		if (fz_reg(TESSERA_VF_RESET))
			fz_fail(t, "VF_RESET (write-only) reads non-zero");
		fz_bind_check(t, "VF_RESET (bindings survive it)");
	}
}

/* ---- eventfds, also closed while registered ---- */

static void exec_eventfd(struct fz_task *t, const struct fz_op *op)
{
	unsigned int slot = op->a[1] % FZ_NEFD;
	static const uint32_t idx[] = { VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
					VFIO_PCI_REQ_IRQ_INDEX };
	struct { struct vfio_irq_set s; int32_t fd; } b;
	uint64_t cnt = 1;
	int fd, err;
	long r;

	switch (op->a[0] % 6) {
	case 0:
		fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		fd = __atomic_exchange_n(&fz.efd[slot], fd, __ATOMIC_SEQ_CST);
		if (fd >= 0)
			close(fd);
		break;
	case 1:
		fd = __atomic_exchange_n(&fz.efd[slot], -1, __ATOMIC_SEQ_CST);
		if (fd >= 0)
			close(fd);
		break;
	case 2:
	case 5:
		memset(&b, 0, sizeof(b));
		b.s.argsz = sizeof(b);
		b.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		b.s.index = idx[op->a[2] % 3];
		b.s.count = 1;
		b.fd = fz.efd[slot];
		r = xioctl(fz.inst.device_fd, VFIO_DEVICE_SET_IRQS, &b, &err);
		if (t->strict)
			fz_expect(t, r, err, b.fd >= 0 || b.fd == -1 ? 0 : EINVAL,
				  "SET_IRQS with an eventfd");
		if (op->a[0] % 6 == 5) {
			/* closed while in use, then interrupts on it */
			fd = __atomic_exchange_n(&fz.efd[slot], -1, __ATOMIC_SEQ_CST);
			if (fd >= 0)
				close(fd);
			if (!fz.generic)
				fz_reg_wr(TESSERA_VF_INT_ENABLE, 7);
			b.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
			b.s.argsz = sizeof(b.s);
			ioctl(fz.inst.device_fd, VFIO_DEVICE_SET_IRQS, &b);
		}
		break;
	case 3:
		fd = fz.efd[slot];
		if (fd >= 0 && read(fd, &cnt, sizeof(cnt)) < 0)
			(void)0;
		break;
	default:
		fd = fz.efd[slot];
		if (fd >= 0 && write(fd, &cnt, sizeof(cnt)) < 0)
			(void)0;
		break;
	}
}

/* ---- vFPGA regions: images and jobs ---- */

enum {
	IMG_GOOD, IMG_MAGIC, IMG_VERSION, IMG_HDRSIZE, IMG_FLAGS, IMG_RESERVED, IMG_FN0,
	IMG_FNBIG, IMG_FORBIDDEN, IMG_SIZEMISMATCH, IMG_CHECKSUM, IMG_SHORT, IMG_TOOBIG,
	IMG_UNREADABLE, IMG_VRAM, IMG_BEYOND, IMG_STRADDLE, IMG_RO, IMG_GOOD2, IMG_NKINDS,
};

static uint32_t rgn_reg(unsigned int r, uint32_t reg)
{
	return fz_reg(TESSERA_VF_RGN_REG(r, reg));
}

static bool function_allowed(uint32_t f)
{
	return !f || (f < 32 && (fz.functions & (1u << f)));
}

static void exec_fpga_load(struct fz_task *t, const struct fz_op *op)
{
	unsigned int r = fz.regions ? op->a[0] % (fz.regions + (op->a[0] % 16 == 0)) : op->a[0] % 2;
	unsigned int kind = op->a[1] % IMG_NKINDS;
	uint32_t fn = 1 + op->a[2] % 3, status, before, after, expect, alt = ~0u;
	static const uint64_t payloads[] = { 64, 4096 - 32, 4096, 65536, 200000, (1 << 20) - 32 };
	uint64_t payload = payloads[op->a[3] % 6], addr = FZ_BATCH_IOVA + FZ_IMAGE_OFF;
	uint8_t *img = fz.slot[2].va ? (uint8_t *)fz.slot[2].va + FZ_IMAGE_OFF : NULL;
	uint64_t size, x = op->a[5] | 1, deadline;
	uint32_t *w;
	size_t i;

	if (kind == IMG_FORBIDDEN) {
		for (fn = 1; fn < TESSERA_NUM_FUNCTIONS && function_allowed(fn); fn++)
			;
		if (fn == TESSERA_NUM_FUNCTIONS) {
			kind = IMG_GOOD;	/* the type may load everything */
			fn = 1 + op->a[2] % 3;
		}
	} else if (!function_allowed(fn)) {
		fn = fz.functions & 2 ? 1 : 2;
	}
	if (fz.capacity && payload > fz.capacity)
		payload = fz.capacity;
	if (kind == IMG_RO) {
		img = fz.slot[3].va;
		addr = FZ_RO_IOVA;
		if (payload > FZ_RO_BYTES - 32)
			payload = FZ_RO_BYTES - 32;
	}
	if (!img || !t->strict)
		img = NULL;	/* threads do not write the shared image buffer */
	if (t->strict && (!fz.slot[2].mapped || !fz.slot[3].mapped)) {
		fz.dirty = true;	/* the main loop maps the image slots again first */
		return;
	}
	size = 32 + payload;
	if (img) {
		w = (uint32_t *)(img + 32);
		for (i = 0; i < payload / 4; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[i] = x;
		}
		memset(img, 0, 32);
		((uint32_t *)img)[0] = kind == IMG_MAGIC ? 0x0badf00d : TESSERA_BITSTREAM_MAGIC;
		((uint16_t *)img)[2] = kind == IMG_VERSION ? 2 : TESSERA_BITSTREAM_VERSION;
		((uint16_t *)img)[3] = kind == IMG_HDRSIZE ? 64 : TESSERA_BITSTREAM_HEADER_SIZE;
		((uint32_t *)img)[2] = kind == IMG_FN0 ? 0 : kind == IMG_FNBIG ? 4 + op->a[4] % 100 : fn;
		((uint32_t *)img)[3] = kind == IMG_FLAGS ? 1 : 0;
		*(uint64_t *)(img + 16) = kind == IMG_SIZEMISMATCH ? payload + 4 : payload;
		((uint32_t *)img)[6] = vf_crc32(img + 32, payload) ^ (kind == IMG_CHECKSUM);
		((uint32_t *)img)[7] = kind == IMG_RESERVED ? 1 : 0;
	}
	switch (kind) {
	case IMG_SHORT: size = op->a[4] % 32; break;
	case IMG_TOOBIG: size = 32 + fz.capacity + 1 + op->a[4] % 4096; break;
	case IMG_UNREADABLE: addr = FZ_HOLE_IOVA; break;
	case IMG_VRAM: addr = TESSERA_DVA_VRAM_BASE; break;
	case IMG_BEYOND: addr = TESSERA_VF_DVA_GUEST_LIMIT + 4096; break;
	case IMG_STRADDLE: addr = FZ_BATCH_IOVA + FZ_BATCH_BYTES - 64; break;
	default: break;
	}
	before = fz.vfpga && r < fz.regions ? rgn_reg(r, TESSERA_VF_RGN_FUNCTION) : 0;
	fz_reg_wr(TESSERA_VF_RGN_REG(r, TESSERA_VF_RGN_IMAGE_ADDR_LO), (uint32_t)addr);
	fz_reg_wr(TESSERA_VF_RGN_REG(r, TESSERA_VF_RGN_IMAGE_ADDR_HI), addr >> 32);
	fz_reg_wr(TESSERA_VF_RGN_REG(r, TESSERA_VF_RGN_IMAGE_SIZE), (uint32_t)size);
	fz_reg_wr(TESSERA_VF_RGN_REG(r, TESSERA_VF_RGN_CONFIG), op->a[4] % 11 ? 1 : 2);
	if (!t->strict || !fz.vfpga || r >= fz.regions || !img || op->a[4] % 11 == 0) {
		if (fz.vfpga && r < fz.regions) {
			after = rgn_reg(r, TESSERA_VF_RGN_FUNCTION);
			fz_checked();
			if (!function_allowed(after))
				fz_fail(t, "region %u shows function %u, not one this type may load",
					r, after);
		}
		return;
	}
	deadline = fz_now_ms() + 40000;
	do {
		status = rgn_reg(r, TESSERA_VF_RGN_CONFIG_STATUS);
		if (status != TESSERA_RGN_CFG_LOADING)
			break;
		usleep(200);
	} while (fz_now_ms() < deadline);
	after = rgn_reg(r, TESSERA_VF_RGN_FUNCTION);
	switch (kind) {
	case IMG_GOOD: case IMG_GOOD2: case IMG_RO:
		expect = TESSERA_RGN_CFG_LOADED;
		alt = TESSERA_RGN_CFG_ERR_BUSY;	/* a job may still run */
		break;
	case IMG_MAGIC: case IMG_VERSION: case IMG_HDRSIZE: case IMG_FLAGS: case IMG_RESERVED:
		expect = TESSERA_RGN_CFG_ERR_MAGIC;
		break;
	case IMG_FN0: case IMG_FNBIG:
		expect = TESSERA_RGN_CFG_ERR_FUNCTION;
		break;
	case IMG_FORBIDDEN:
		expect = TESSERA_VF_RGN_CFG_FORBIDDEN;
		break;
	case IMG_CHECKSUM:
		expect = TESSERA_RGN_CFG_ERR_CHECKSUM;
		break;
	case IMG_SIZEMISMATCH: case IMG_SHORT: case IMG_TOOBIG:
		expect = TESSERA_RGN_CFG_ERR_SIZE;
		break;
	default:
		expect = TESSERA_VF_RGN_CFG_UNREADABLE;
		break;
	}
	fz_cov(FZ_COV_LOAD, 1);
	/* "unreadable" only holds while nothing is mapped where the image is said to be */
	if (expect == TESSERA_VF_RGN_CFG_UNREADABLE &&
	    model_overlaps(kind == IMG_STRADDLE ? FZ_BATCH_IOVA + FZ_BATCH_BYTES : addr,
			   size ? size : 1))
		expect = alt = status;
	fz_checked();
	if (status != expect && status != alt)
		fz_fail(t, "region %u: image kind %u (function %u, %" PRIu64 " bytes at 0x%" PRIx64
			"): VF_RGN_CONFIG_STATUS 0x%x, expected 0x%x", r, kind, fn, size, addr, status,
			expect);
	if (!function_allowed(after))
		fz_fail(t, "region %u shows function %u, not one this type may load", r, after);
	if (status == TESSERA_RGN_CFG_LOADED && after != fn)
		fz_fail(t, "region %u loaded function %u but VF_RGN_FUNCTION reads %u", r, fn, after);
	if (expect != TESSERA_RGN_CFG_LOADED && status == expect && after != before)
		fz_fail(t, "region %u: a refused image changed the function from %u to %u", r,
			before, after);
}

static void job_wr(unsigned int r, uint32_t reg, uint32_t v, volatile uint32_t *up)
{
	if (up)
		up[reg / 4] = v;
	else
		fz_reg_wr(TESSERA_VF_RGN_USER_BASE + r * TESSERA_VF_RGN_USER_STRIDE + reg, v);
}

static uint32_t job_rd(unsigned int r, uint32_t reg, volatile uint32_t *up)
{
	return up ? up[reg / 4] :
	       fz_reg(TESSERA_VF_RGN_USER_BASE + r * TESSERA_VF_RGN_USER_STRIDE + reg);
}

static void exec_fpga_job(struct fz_task *t, const struct fz_op *op)
{
	unsigned int r = fz.regions ? op->a[0] % fz.regions : 0, cls = op->a[1] % 8, i;
	uint64_t args[6] = { 0 }, x = op->a[5], win = TESSERA_DVA_VRAM_BASE, deadline;
	uint64_t slice = fz.vram_size > (1 << 20) ? 1 << 20 : fz.vram_size;
	uint32_t fn = 0, status = 0, crc_want = 0, job;
	volatile uint32_t *up = NULL;
	bool hostile = cls == 5 || cls == 6, good = cls < 4, strict = t->strict && fz.vfpga;
	bool loading = false;
	uint8_t *vr = NULL;
	void *map = MAP_FAILED;

	if (!fz.vfpga) {
		/* no user pages on a vGPU: BAR0 ends at 4 KiB */
		job_wr(0, TESSERA_RGN_USER_START, 1, NULL);
		return;
	}
	if (op->a[2] & 1 && !fz.share) {
		map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fz.inst.device_fd,
			   region_base(0) + TESSERA_VF_RGN_USER_BASE + r * 4096ull);
		if (map != MAP_FAILED)
			up = map;
	}
	if (strict) {
		fn = rgn_reg(r, TESSERA_VF_RGN_FUNCTION);
		/* a (re)load under way: the card region has no function meanwhile */
		loading = rgn_reg(r, TESSERA_VF_RGN_CONFIG_STATUS) == TESSERA_RGN_CFG_LOADING;
	} else
		fn = 1 + op->a[3] % 3;
	switch (fn) {
	case TESSERA_FN_VADD:
		args[3] = 1 + x % 1024;
		args[0] = win + ((x >> 12) % 64) * 4096;
		args[1] = win + 0x40000 + ((x >> 20) % 64) * 4096;
		args[2] = win + 0x80000 + ((x >> 28) % 64) * 4096;
		break;
	case TESSERA_FN_GEMM_TILE: {
		uint64_t m = 1 + x % 16, n = 1 + (x >> 8) % 16, k = 1 + (x >> 16) % 16;

		args[3] = m | n << 16 | k << 32;
		args[0] = win;
		args[1] = win + 0x40000;
		args[2] = win + 0x80000;
		break;
	}
	default:
		args[1] = win + ((x >> 12) % 128) * 512;
		args[3] = 1 + x % 65536;
		break;
	}
	if (slice < 0xc0000 + 0x50000) {
		for (i = 0; i < 3; i++)
			if (args[i])
				args[i] = win + (args[i] - win) % (slice / 2);
		if (fn == TESSERA_FN_CRC32 && args[3] > slice / 2)
			args[3] = slice / 2;
	}
	switch (cls) {
	case 4:
		args[1] = op->a[4];	/* anything */
		break;
	case 5: {
		/* nothing the instance may reach: the host's part, past the window, the top */
		static const uint64_t far[] = {
			TESSERA_VF_DVA_GUEST_LIMIT, TESSERA_VF_DVA_GUEST_LIMIT + 0x1000,
			TESSERA_DVA_PAGED_LIMIT - 4096, TESSERA_DVA_PAGED_LIMIT,
			TESSERA_DVA_VRAM_BASE - 4096, 0xfffffffffffff000ull,
		};
		uint64_t a = far[op->a[4] % 6];

		for (i = 0; i < 3; i++)
			if (args[i])
				args[i] = a;
		if (fn == TESSERA_FN_CRC32)
			args[1] = a;
		break;
	}
	case 6:
		for (i = 0; i < 3; i++)
			if (args[i])
				args[i] = win + fz.vram_size + (op->a[4] % 4) * 4096;
		if (fn == TESSERA_FN_CRC32)
			args[1] = win + fz.vram_size;
		break;
	case 7:
		args[1] = FZ_DATA_IOVA;	/* guest memory: the host may or may not map it */
		break;
	default:
		break;
	}
	if (strict && good && fn == TESSERA_FN_CRC32) {
		vr = big_buf;
		if (args[3] <= BIG_BUF_BYTES &&
		    pread(fz.inst.device_fd, vr, args[3],
			  region_base(VFIO_PCI_BAR2_REGION_INDEX) + args[1] - win) == (ssize_t)args[3])
			crc_want = vf_crc32(vr, args[3]);
		else
			vr = NULL;
	}
	for (i = 0; i < 6; i++) {
		job_wr(r, TESSERA_RGN_USER_ARG(i), (uint32_t)args[i], up);
		job_wr(r, TESSERA_RGN_USER_ARG(i) + 4, args[i] >> 32, up);
	}
	job_wr(r, TESSERA_RGN_USER_START, (uint32_t)x, up);
	if (!strict)
		goto out;
	deadline = fz_now_ms() + 20000;
	do {
		job = job_rd(r, TESSERA_RGN_USER_JOB_STATUS, up);
		if (job != TESSERA_RGN_JOB_RUNNING)
			break;
		usleep(100);
	} while (fz_now_ms() < deadline);
	status = job;
	fz_checked();
	fz_cov(FZ_COV_JOB, 1);
	if (status == TESSERA_RGN_JOB_RUNNING) {
		fz_fail(t, "region %u: a job still runs after 20 s", r);
	} else if (loading) {
		if (hostile && args[3] && status == TESSERA_RGN_JOB_DONE)
			fz_fail(t, "region %u: a job on 0x%" PRIx64 "/0x%" PRIx64 " (outside everything "
				"the instance may reach) ended DONE during a load", r, args[0], args[1]);
	} else if (!fn) {
		if (status != TESSERA_RGN_JOB_NO_FUNCTION)
			fz_fail(t, "region %u: VF_RGN_FUNCTION reads 0 (this instance loaded "
				"nothing) but a job ended %u, not NO_FUNCTION: it ran someone's "
				"function", r, status);
	} else if (status == TESSERA_RGN_JOB_NO_FUNCTION) {
		fz_fail(t, "region %u: VF_RGN_FUNCTION reads %u but a job ended NO_FUNCTION: the "
			"function the guest is shown is not the one the card region has", r, fn);
	} else if (hostile && args[3]) {
		if (status != TESSERA_RGN_JOB_FAULT)
			fz_fail(t, "region %u: function %u job on 0x%" PRIx64 "/0x%" PRIx64 " (outside "
				"everything the instance may reach) ended %u, not FAULT", r, fn,
				args[0], args[1], status);
	} else if (good) {
		if (status != TESSERA_RGN_JOB_DONE)
			fz_fail(t, "region %u: a valid function %u job ended %u (fault 0x%x), not DONE",
				r, fn, status, rgn_reg(r, TESSERA_VF_RGN_FAULT_CODE));
		else if (vr && (uint32_t)job_rd(r, TESSERA_RGN_USER_RESULT_LO, up) != crc_want)
			fz_fail(t, "region %u: CRC32 of %" PRIu64 " bytes is 0x%x, the CPU says 0x%x", r,
				args[3], job_rd(r, TESSERA_RGN_USER_RESULT_LO, up), crc_want);
	}
out:
	if (map != MAP_FAILED)
		munmap(map, 4096);
}

/* ---- episodes: threads, a second process, removal, reopening ---- */

struct storm_arg {
	int tid;
	uint64_t seed;
	unsigned int ops;
};

static bool helper_kind(int kind)
{
	switch (kind) {
	case OP_RESYNC: case OP_STORM: case OP_FORK: case OP_REMOVE: case OP_REMOVE_END:
	case OP_REOPEN: case OP_CHECK:
		return false;
	default:
		return true;
	}
}

static void helper_loop(struct fz_task *t, unsigned int ops)
{
	unsigned int i;

	for (i = 0; i < ops && !fz_time_up(); i++) {
		struct fz_op op;

		do {
			fz_gen(t, &op);
		} while (!helper_kind(op.kind));
		fz_exec(t, &op);
	}
}

static void *storm_thread(void *arg)
{
	struct storm_arg a = *(struct storm_arg *)arg;
	struct fz_task t;

	free(arg);
	fz_seed_task(&t, a.seed, a.tid);
	fz_register_task(&t);
	t.strict = false;
	helper_loop(&t, a.ops);
	__atomic_sub_fetch(&fz.storm_live, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void exec_storm(struct fz_task *t, const struct fz_op *op)
{
	unsigned int n = 1 + op->a[0] % (fz_opt.threads ? fz_opt.threads : 1), i;

	if (replaying || !fz_opt.threads || fz.storm_live || fz.child || removing || t->tid)
		return;
	for (i = 0; i < n; i++) {
		struct storm_arg *a = malloc(sizeof(*a));
		pthread_attr_t attr;
		pthread_t th;

		if (!a)
			return;
		a->tid = 1 + i;
		a->seed = op->a[2] ^ (i * 0x9e3779b97f4a7c15ull);
		a->ops = 20 + op->a[1] % 400;
		__atomic_add_fetch(&fz.storm_live, 1, __ATOMIC_SEQ_CST);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, storm_thread, a)) {
			__atomic_sub_fetch(&fz.storm_live, 1, __ATOMIC_SEQ_CST);
			free(a);
		}
		pthread_attr_destroy(&attr);
	}
	fz.dirty = true;
}

static void exec_fork(struct fz_task *t, const struct fz_op *op)
{
	pid_t pid;

	if (replaying || !fz_opt.fork || fz.child || fz.storm_live || removing || t->tid)
		return;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		struct fz_task c;

		fz_seed_task(&c, op->a[2], FZ_TID_CHILD);
		fz_register_task(&c);
		fz_arm_watchdog();
		c.strict = false;
		/* the group is the parent's: a second open must be refused */
		{
			struct fz_op g = { .kind = OP_GROUP, .tid = FZ_TID_CHILD, .a = { 6 } };

			fz_exec(&c, &g);
		}
		helper_loop(&c, 10 + op->a[0] % 300);
		_exit(0);
	}
	fz.child = pid;
	child_kill_ms = op->a[1] % 3 ? 0 : fz_now_ms() + op->a[1] % 2000;
	fz.dirty = true;
}

static void *remover_thread(void *arg)
{
	char path[PATH_MAX];

	(void)arg;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", fz.inst.uuid);
	remover_ret = tsr_sysfs_write(path, "1");
	return NULL;
}

static void exec_remove(struct fz_task *t, const struct fz_op *op)
{
	if (!fz_opt.remove || removing || t->tid || fz.storm_live || fz.child)
		return;
	remover_ret = 1;
	if (pthread_create(&remover, NULL, remover_thread, NULL))
		return;
	removing = 1;
	remove_countdown = op->a[0] % 24;
	fz.dirty = true;
}

/* The mediator's own counters of the instance, into the run's summary. */
static void add_instance_stats(void)
{
	static const char *const files[] = { "doorbells", "commands", "rejects", "card_faults" };
	unsigned int i;
	uint64_t v;

	for (i = 0; i < 4; i++)
		if (!fz_sysfs_u64(files[i], &v))
			fz_cov(FZ_COV_DOORBELLS + i, v);
}

static void close_instance(void)
{
	add_instance_stats();
	if (fz.inst.bar2) {
		munmap(fz.inst.bar2, fz.inst.bar2_size);
		fz.inst.bar2 = NULL;
	}
	tsr_instance_close(&fz.inst);
	fz.open = false;
	fz.ring_std = false;
	fz.ring_entries = 0;
	fz_bind_forget_all();	/* the close drops every binding */
	for (int i = 0; i < FZ_NSLOTS; i++) {
		fz.slot[i].mapped = false;
		if (i >= FZ_STD_SLOTS)
			slot_release_backing(&fz.slot[i]);
	}
}

static int read_model(struct fz_task *t)
{
	char path[PATH_MAX], buf[32];
	unsigned int i;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		fz.region_size[i] = fz.inst.region[i].size;
		fz.region_flags[i] = fz.inst.region[i].flags;
	}
	for (i = 0; i < VFIO_PCI_NUM_IRQS; i++) {
		struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = i };

		if (ioctl(fz.inst.device_fd, VFIO_DEVICE_GET_IRQ_INFO, &irq))
			irq.count = irq.flags = 0;
		fz.irq_count[i] = irq.count;
		fz.irq_flags[i] = irq.flags;
	}
	/*
	 * Another mdev driver (the kernel's mtty sample, say): only VFIO's own
	 * rules hold, and none of the card's registers exist.
	 */
	fz.generic = fz_opt.generic || fz.region_size[VFIO_PCI_BAR0_REGION_INDEX] < 0x100 ||
		     fz_reg(TESSERA_VF_MAGIC) != TESSERA_MAGIC;
	if (fz.generic) {
		fz.vram_size = 0;
		fz.vfpga = false;
		fz.regions = 0;
		fz.inst.bar2 = NULL;
		return 0;
	}
	fz.vram_size = fz.inst.vram_size;
	fz.vfpga = fz_reg(TESSERA_VF_CAPS) & TESSERA_VF_CAP_REGIONS;
	fz.regions = fz.vfpga ? fz_reg(TESSERA_VF_NUM_REGIONS) : 0;
	fz.functions = fz.vfpga ? fz_reg(TESSERA_VF_FUNCTIONS) : 0;
	fz.capacity = fz.vfpga ? fz_reg(TESSERA_VF_REGION_CAPACITY) : 0;
	fz.share = fz.vfpga &&
		   !(fz.inst.region[VFIO_PCI_BAR0_REGION_INDEX].flags & VFIO_REGION_INFO_FLAG_MMAP);
	weight0 = fz_reg(TESSERA_VF_WEIGHT);
	fz.max_entries = 4096;
	if (!tsr_sysfs_read("/sys/module/tessera_mdev/parameters/max_ring_entries", buf, sizeof(buf))) {
		uint32_t m = strtoul(buf, NULL, 0);

		if (m < TESSERA_RING_MIN_ENTRIES)
			m = TESSERA_RING_MIN_ENTRIES;
		if (m > TESSERA_RING_MAX_ENTRIES)
			m = TESSERA_RING_MAX_ENTRIES;
		while (m & (m - 1))
			m &= m - 1;
		fz.max_entries = m;
	}
	fz.max_trap_cmds = 16384;
	if (!tsr_sysfs_read("/sys/module/tessera_mdev/parameters/max_trap_cmds", buf, sizeof(buf)))
		fz.max_trap_cmds = strtoull(buf, NULL, 0);
	fz.max_shadow_bytes = 4096 << 10;
	if (!tsr_sysfs_read("/sys/module/tessera_mdev/parameters/max_shadow_kib", buf, sizeof(buf)))
		fz.max_shadow_bytes = strtoull(buf, NULL, 0) << 10;
	if (tsr_bar2_map(&fz.inst))
		fz.inst.bar2 = NULL;
	fz_bind_setup();
	(void)path;
	(void)t;
	return 0;
}

/*
 * Device memory reads zero at its start, middle and end: what a new
 * instance, a reopened one and one after VFIO_DEVICE_RESET must show.
 */
static void bar2_reads_zero(struct fz_task *t, const char *who)
{
	uint64_t offs[3] = { 0, fz.vram_size / 2, fz.vram_size - 4096 }, nz;
	unsigned int i;
	int err;

	for (i = 0; i < 3 && fz.vram_size >= 4096; i++) {
		if (fz_region_rw(VFIO_PCI_BAR2_REGION_INDEX, false, offs[i] & ~4095ull, scratch_page,
				 4096, &err) != 4096)
			continue;
		fz_checked();
		nz = tsr_count_not_byte(scratch_page, 4096, 0);
		if (nz)
			fz_fail(t, "%s: device memory at 0x%" PRIx64 " holds %" PRIu64 " non-zero "
				"bytes of an earlier user", who, (uint64_t)(offs[i] & ~4095ull), nz);
	}
}

/* A fresh instance shows nothing of whoever had its context, slice or regions. */
static void fresh_checks(struct fz_task *t)
{
	uint64_t fence = fz_reg64(TESSERA_VF_FENCE_LO), busy = fz_reg64(TESSERA_VF_BUSY_NS_LO);
	uint32_t cmds = fz_reg(TESSERA_VF_CMDS_DONE), st = fz_reg(TESSERA_VF_STATUS), i;

	fz_checked();
	if (!fz.vfpga && (fence || cmds || busy || st))
		fz_fail(t, "a new instance reads VF_FENCE 0x%" PRIx64 " VF_CMDS_DONE %u VF_BUSY_NS %"
			PRIu64 " VF_STATUS 0x%x: all must be 0", fence, cmds, busy, st);
	for (i = 0; i < fz.regions; i++) {
		uint32_t f = rgn_reg(i, TESSERA_VF_RGN_FUNCTION);
		uint32_t cs = rgn_reg(i, TESSERA_VF_RGN_CONFIG_STATUS);

		if (f || cs != TESSERA_RGN_CFG_EMPTY)
			fz_fail(t, "a new instance's region %u reads function %u config status %u", i,
				f, cs);
	}
	bar2_reads_zero(t, "a new instance");
	fz_bind_fresh(t, "a new instance");
	fz.fresh = false;
}

/* Another tenant uses the card before our instance comes back. */
static void predecessor(struct fz_task *t, uint64_t sel)
{
	struct tsr_instance p;
	char type[64];
	unsigned int i;

	if (!ntypes)
		return;
	snprintf(type, sizeof(type), "%s", types[sel % ntypes]);
	if (tsr_instance_setup(&p, type))
		return;
	if (tsr_reg(&p, TESSERA_VF_CAPS) & TESSERA_VF_CAP_REGIONS) {
		struct tsr_dma_buf img;
		uint32_t fns = tsr_reg(&p, TESSERA_VF_FUNCTIONS), n = tsr_reg(&p, TESSERA_VF_NUM_REGIONS);

		if (!tsr_dma_alloc(&p, &img, FZ_BATCH_IOVA, 1 << 16)) {
			for (i = 0; i < n && i < 8; i++) {
				uint32_t fn = fns & (1u << TESSERA_FN_GEMM_TILE) && (sel >> 8) & 1 ?
					      TESSERA_FN_GEMM_TILE : TESSERA_FN_CRC32;
				uint8_t *b = img.va;
				uint32_t st = 0;

				memset(b, 0x5a, 4096 + 32);
				memset(b, 0, 32);
				((uint32_t *)b)[0] = TESSERA_BITSTREAM_MAGIC;
				((uint16_t *)b)[2] = TESSERA_BITSTREAM_VERSION;
				((uint16_t *)b)[3] = TESSERA_BITSTREAM_HEADER_SIZE;
				((uint32_t *)b)[2] = fn;
				*(uint64_t *)(b + 16) = 4096;
				((uint32_t *)b)[6] = vf_crc32(b + 32, 4096);
				tsr_reg_write(&p, TESSERA_VF_RGN_REG(i, TESSERA_VF_RGN_IMAGE_ADDR_LO),
					      (uint32_t)img.iova);
				tsr_reg_write(&p, TESSERA_VF_RGN_REG(i, TESSERA_VF_RGN_IMAGE_ADDR_HI), 0);
				tsr_reg_write(&p, TESSERA_VF_RGN_REG(i, TESSERA_VF_RGN_IMAGE_SIZE), 4128);
				tsr_reg_write(&p, TESSERA_VF_RGN_REG(i, TESSERA_VF_RGN_CONFIG), 1);
				for (int k = 0; k < 2000; k++) {
					st = tsr_reg(&p, TESSERA_VF_RGN_REG(i, TESSERA_VF_RGN_CONFIG_STATUS));
					if (st != TESSERA_RGN_CFG_LOADING)
						break;
					usleep(1000);
				}
			}
			tsr_dma_free(&p, &img);
		}
	} else if (p.bar2) {
		struct tsr_ring ring;

		memset(p.bar2, 0xa5, p.bar2_size < (1 << 20) ? p.bar2_size : 1 << 20);
		if (!tsr_ring_setup(&p, &ring, FZ_RING_IOVA, 16)) {
			uint64_t v = tsr_ring_fence_kick(&ring, false);

			tsr_wait_fence(&p, v, 5000, NULL);
			tsr_ring_free(&ring);
		}
	}
	tsr_instance_teardown(&p);
	(void)t;
}

static int open_instance(struct fz_task *t)
{
	if (tsr_instance_open(&fz.inst) || tsr_enable_device(&fz.inst)) {
		fz_fail(t, "cannot open instance %s", fz.inst.uuid);
		tsr_instance_close(&fz.inst);
		return -1;
	}
	fz.open = true;
	return read_model(t);
}

static void exec_remove_end(struct fz_task *t, const struct fz_op *op)
{
	uint64_t old_regions[VFIO_PCI_NUM_REGIONS];

	if (!removing)
		return;
	memcpy(old_regions, fz.region_size, sizeof(old_regions));
	close_instance();
	pthread_join(remover, NULL);
	removing = 0;
	fz_checked();
	if (remover_ret) {
		fz_fail(t, "removing the instance (written while it was open) failed: %d",
			remover_ret);
		return;
	}
	if (op->a[0] & 1 && !fz.generic)
		predecessor(t, op->a[1]);
	if (tsr_instance_create(&fz.inst, fz.type)) {
		fz_fail(t, "cannot create a %s instance after the removal", fz.type);
		return;
	}
	if (open_instance(t))
		return;
	if (memcmp(old_regions, fz.region_size, sizeof(old_regions)))
		fz_fail(t, "the new instance's regions differ from the old one's");
	if (!fz.generic)
		fresh_checks(t);
	fz.dirty = true;
}

static void exec_reopen(struct fz_task *t, const struct fz_op *op)
{
	uint32_t st;

	if (t->tid || fz.storm_live || fz.child || removing)
		return;
	if (op->a[0] & 1 && !iommufd()) {
		/* only the device fd: the container and its mappings stay */
		int err;
		long fd;

		if (fz.inst.bar2) {
			munmap(fz.inst.bar2, fz.inst.bar2_size);
			fz.inst.bar2 = NULL;
		}
		close(fz.inst.device_fd);
		fz_bind_forget_all();	/* the last close of the device drops every binding */
		fd = xioctl(fz.inst.group_fd, VFIO_GROUP_GET_DEVICE_FD, fz.inst.uuid, &err);
		fz_expect(t, fd, err, 0, "GROUP_GET_DEVICE_FD after closing the device");
		fz.inst.device_fd = fd;
		if (fd < 0) {
			fz.open = false;
			fz_fail(t, "the instance cannot be reopened");
			return;
		}
		enable_device();
		if (tsr_bar2_map(&fz.inst))
			fz.inst.bar2 = NULL;
	} else {
		close_instance();
		if (open_instance(t))
			return;
	}
	fz.ring_std = false;
	fz.ring_entries = 0;
	if (!fz.vfpga && !fz.generic && t->strict) {
		st = fz_reg(TESSERA_VF_STATUS);
		fz_checked();
		if (st)
			fz_fail(t, "a reopened instance reads VF_STATUS 0x%x, not its reset state", st);
		fz_bind_check(t, "reopening the instance");
	}
	if (!fz.generic && t->strict)
		bar2_reads_zero(t, "a reopened instance");
	fz.dirty = true;
}

static void exec_check(struct fz_task *t, const struct fz_op *op)
{
	uint32_t v;

	(void)op;
	if (!t->strict || fz.generic)
		return;
	check_identity(t, "the operations so far");
	fz_checked();
	if (fz_reg(TESSERA_VF_MAGIC) != TESSERA_MAGIC || fz_reg(TESSERA_VF_VERSION) != TESSERA_VERSION ||
	    fz_reg64(TESSERA_VF_VRAM_SIZE_LO) != fz.vram_size)
		fz_fail(t, "identity registers changed: magic 0x%x version 0x%x vram 0x%" PRIx64,
			fz_reg(TESSERA_VF_MAGIC), fz_reg(TESSERA_VF_VERSION),
			fz_reg64(TESSERA_VF_VRAM_SIZE_LO));
	{
		uint32_t off = fz.vfpga ? 0x80 : 0x60 + 4 * (op->a[0] % 0x3e8);

		if (!fz.vfpga && fz_bind_reg(off))
			off += TESSERA_VF_BIND_MAX + 4 - TESSERA_VF_BIND_ADDR_LO;
		v = fz_reg(off);
		if (v)
			fz_fail(t, "offset 0x%x, no register, reads 0x%x", off, v);
	}
	fz_bind_check(t, "the operations so far");
	if (!fz.vfpga && (fz_reg(TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED))
		fz_check_card_fault(t, fz_reg(TESSERA_VF_FAULT_CODE), "seen by CHECK");
	if (fz.fresh)
		fresh_checks(t);
}

bool fz_quiet(void)
{
	return !fz.storm_live && !fz.child && !removing;
}

void fz_finish_episodes(struct fz_task *t)
{
	int status;

	if (fz.child) {
		pid_t r;

		if (child_kill_ms && fz_now_ms() >= child_kill_ms) {
			kill(fz.child, SIGKILL);
			child_kill_ms = 0;
		}
		r = waitpid(fz.child, &status, WNOHANG);
		if (r == fz.child) {
			fz.child = 0;
			fz.dirty = true;
			if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
				fz_fail(t, "the second process died of signal %d", WTERMSIG(status));
			if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
				fz_fail(t, "the second process hung (its watchdog fired)");
		}
	}
	if (!fz.storm_live && !fz.child && !replaying && removing && fz_time_up()) {
		struct fz_op op = { .kind = OP_REMOVE_END };

		fz_exec(t, &op);
	}
}

/* ---- resynchronisation: one known state of instance and model ---- */

static void exec_resync(struct fz_task *t, const struct fz_op *op)
{
	uint64_t done;
	int err, i;
	long r;

	(void)op;
	if (!fz.open)
		return;
	enable_device();
	r = dma_unmap_raw(VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &done, &err);
	fz_expect(t, r, err, 0, "UNMAP_DMA of everything");
	for (i = 0; i < FZ_NSLOTS; i++) {
		fz.slot[i].mapped = false;
		if (i >= FZ_STD_SLOTS)
			slot_release_backing(&fz.slot[i]);
	}
	/*
	 * Every binding holds pinned guest pages, and every mapping went: no
	 * binding is left, whoever made it (threads, a second process, an
	 * iommufd unmap that failed halfway). The model starts empty.
	 */
	fz_bind_forget_all();
	if (r >= 0)
		fz_bind_check(t, "UNMAP_DMA of everything");
	ensure_std_slots(t);
	fz.ring_std = false;
	fz.ring_entries = 0;
	if (fz.generic) {
		fz.dirty = false;
		return;
	}
	fz_reg_wr(TESSERA_VF_RESET, 1);
	if (!fz.vfpga) {
		if (!fz_ring_configure(t, FZ_RING_IOVA, FZ_STD_RING))
			fz.ring_std = true;
		fz_wait_idle(t, 20000);
	} else {
		uint64_t deadline = fz_now_ms() + 40000;
		unsigned int r;

		for (r = 0; r < fz.regions; r++)
			while ((rgn_reg(r, TESSERA_VF_RGN_CONFIG_STATUS) == TESSERA_RGN_CFG_LOADING ||
				job_rd(r, TESSERA_RGN_USER_JOB_STATUS, NULL) == TESSERA_RGN_JOB_RUNNING) &&
			       fz_now_ms() < deadline)
				usleep(200);
	}
	fz.dirty = false;
}

void fz_resync(struct fz_task *t)
{
	struct fz_op op = { .kind = OP_RESYNC };

	fz_exec(t, &op);
}

/* ---- setup, final checks, teardown ---- */

static void list_types(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/mdev_bus/%s/mdev_supported_types", fz.inst.parent);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && ntypes < 16)
		if (!strncmp(de->d_name, "tessera-", 8))
			snprintf(types[ntypes++], sizeof(types[0]), "%.63s", de->d_name);
	closedir(d);
}

int fz_setup(struct fz_task *t)
{
	int i;

	for (i = 0; i < FZ_NEFD; i++)
		fz.efd[i] = -1;
	snprintf(fz.type, sizeof(fz.type), "%s", fz_opt.type);
	none_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	big_buf = mmap(NULL, BIG_BUF_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (none_page == MAP_FAILED || big_buf == MAP_FAILED)
		return -1;
	replaying = fz_opt.replay != NULL;
	if (tsr_instance_create(&fz.inst, fz.type)) {
		fprintf(stderr, "# vfio_fuzz: cannot create a %s instance\n", fz.type);
		return -1;
	}
	list_types();
	if (tsr_instance_open(&fz.inst) || tsr_enable_device(&fz.inst)) {
		fprintf(stderr, "# vfio_fuzz: cannot open the %s instance\n", fz.type);
		tsr_instance_teardown(&fz.inst);
		return -1;
	}
	fz.open = true;
	read_model(t);
	if (fz.generic) {
		printf("# vfio_fuzz: instance %s (%s): not a Tessera instance: VFIO's rules only; "
		       "regions of %" PRIu64 "/%" PRIu64 "/%" PRIu64 " bytes (config/BAR0/BAR1)\n",
		       fz.inst.uuid, fz.type, fz.region_size[VFIO_PCI_CONFIG_REGION_INDEX],
		       fz.region_size[0], fz.region_size[1]);
	} else {
		printf("# vfio_fuzz: instance %s (%s): %s, device memory %" PRIu64 " MiB (BAR2 %" PRIu64
		       " MiB), %u regions, functions 0x%x, ring up to %u entries\n", fz.inst.uuid, fz.type,
		       fz.vfpga ? "vFPGA" : "vGPU", fz.vram_size >> 20,
		       fz.region_size[VFIO_PCI_BAR2_REGION_INDEX] >> 20, fz.regions, fz.functions,
		       fz.max_entries);
	}
	fz.fresh = true;
	fz.dirty = true;
	{
		struct fz_op op = { .kind = OP_CHECK };

		t->strict = true;
		fz_exec(t, &op);
	}
	return 0;
}

void fz_final_checks(struct fz_task *t)
{
	struct fz_op op = { .kind = OP_RESET };
	uint64_t pinned;

	if (removing) {
		struct fz_op e = { .kind = OP_REMOVE_END };

		fz_exec(t, &e);
	}
	if (!fz.open)
		return;
	t->strict = true;
	fz_resync(t);
	fz_exec(t, &op);
	op.kind = OP_UNMAP_DMA;
	op.a[0] = 5;	/* everything */
	fz_exec(t, &op);
	fz_checked();
	if (!fz_sysfs_u64("pinned_pages", &pinned) && pinned)
		fz_fail(t, "at the end %" PRIu64 " pages are still pinned", pinned);
}

void fz_teardown(struct fz_task *t)
{
	int i;

	(void)t;
	for (i = 0; i < FZ_NEFD; i++)
		if (fz.efd[i] >= 0)
			close(fz.efd[i]);
	if (fz.open)
		close_instance();
	if (tsr_instance_remove(&fz.inst))
		fprintf(stderr, "# vfio_fuzz: removing the instance failed\n");
}

/* ---- generation ---- */

struct weight {
	int kind;
	unsigned int vgpu, vfpga;	/* per mille */
};

static const struct weight weights[] = {
	{ OP_GET_INFO, 15, 15 },	{ OP_REGION_INFO, 40, 40 },
	{ OP_IRQ_INFO, 25, 25 },	{ OP_SET_IRQS, 80, 80 },
	{ OP_RESET, 12, 12 },		{ OP_BAD_IOCTL, 35, 35 },
	{ OP_FEATURE, 15, 15 },		{ OP_CONTAINER, 25, 25 },
	{ OP_GROUP, 20, 20 },		{ OP_MAP_DMA, 35, 35 },
	{ OP_UNMAP_DMA, 30, 30 },	{ OP_RW, 130, 120 },
	{ OP_MMAP, 40, 40 },		{ OP_CFG_WRITE, 45, 45 },
	{ OP_REG, 80, 80 },		{ OP_RING_CONFIG, 25, 8 },
	{ OP_SUBMIT, 160, 10 },		{ OP_DOORBELL, 25, 5 },
	{ OP_VF_RESET, 15, 15 },	{ OP_EVENTFD, 40, 40 },
	{ OP_FPGA_LOAD, 3, 90 },	{ OP_FPGA_JOB, 3, 110 },
	{ OP_STORM, 2, 2 },		{ OP_FORK, 1, 1 },
	{ OP_REMOVE, 1, 1 },		{ OP_REOPEN, 2, 2 },
	{ OP_CHECK, 20, 20 },		{ OP_BIND, 70, 5 },
	{ OP_SYSFS, 15, 15 },
};

/* An operation's weight for this instance: the card's own are not drawn for another mdev. */
static unsigned int op_weight(const struct weight *w)
{
	if (fz.generic) {
		switch (w->kind) {
		case OP_SUBMIT: case OP_REG: case OP_RING_CONFIG: case OP_DOORBELL:
		case OP_VF_RESET: case OP_FPGA_LOAD: case OP_FPGA_JOB: case OP_CHECK:
		case OP_BIND: case OP_SYSFS:
			return 0;
		default:
			return w->vgpu;
		}
	}
	return fz.vfpga ? w->vfpga : w->vgpu;
}

void fz_gen(struct fz_task *t, struct fz_op *op)
{
	unsigned int total = 0, pick, i;

	memset(op, 0, sizeof(*op));
	op->tid = t->tid;
	for (i = 0; i < 6; i++)
		op->a[i] = fz_rand(t);
	if (removing && !t->tid && !fz.storm_live && !fz.child && remove_countdown-- <= 0) {
		op->kind = OP_REMOVE_END;
		return;
	}
	for (i = 0; i < sizeof(weights) / sizeof(weights[0]); i++)
		total += op_weight(&weights[i]);
	pick = fz_below(t, total);
	for (i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		unsigned int w = op_weight(&weights[i]);

		if (pick < w)
			break;
		pick -= w;
	}
	op->kind = weights[i].kind;

	/* the argument classes each operation draws from */
	switch (op->kind) {
	case OP_GET_INFO:
		op->a[0] = FZ_PICK(t, argsz_info);
		op->a[1] = fz_chance(t, 15) ? 5 + fz_below(t, 3) : 0;
		break;
	case OP_REGION_INFO:
		op->a[0] = fz_chance(t, 80) ? fz_below(t, 9) : rand_interesting(t);
		op->a[1] = FZ_PICK(t, argsz_region);
		op->a[2] = fz_chance(t, 10) ? 5 + fz_below(t, 3) : 0;
		break;
	case OP_IRQ_INFO:
		op->a[0] = fz_chance(t, 80) ? fz_below(t, 6) : rand_interesting(t);
		op->a[1] = fz_chance(t, 80) ? 16 : FZ_PICK(t, argsz_info);
		op->a[2] = fz_chance(t, 10) ? 5 + fz_below(t, 3) : 0;
		break;
	case OP_SET_IRQS:
		op->a[0] = fz_chance(t, 90) ? FZ_PICK(t, set_irqs_flags) : rand_interesting(t);
		op->a[1] = FZ_PICK(t, irq_indices);
		op->a[2] = fz_chance(t, 85) ? 0 : FZ_PICK(t, irq_starts);
		op->a[3] = FZ_PICK(t, irq_counts);
		break;
	case OP_FEATURE:
		op->a[0] = fz_below(t, 4) == 0 ? rand_interesting(t) :
			   (fz_below(t, 12) | (fz_below(t, 8) << 16));
		op->a[1] = fz_chance(t, 80) ? 8 + fz_below(t, 64) : FZ_PICK(t, argsz_info);
		break;
	case OP_STORM:
		if (!fz_opt.threads)
			op->kind = OP_CHECK;
		break;
	default:
		break;
	}
}

void fz_exec(struct fz_task *t, const struct fz_op *op)
{
	if (!fz.open && op->kind != OP_REMOVE_END)
		return;
	fz_op_begin(t, op);
	switch (op->kind) {
	case OP_RESYNC: exec_resync(t, op); break;
	case OP_GET_INFO: exec_get_info(t, op); break;
	case OP_REGION_INFO: exec_region_info(t, op); break;
	case OP_IRQ_INFO: exec_irq_info(t, op); break;
	case OP_SET_IRQS: exec_set_irqs(t, op); break;
	case OP_RESET: exec_reset(t, op); break;
	case OP_BAD_IOCTL: exec_bad_ioctl(t, op); break;
	case OP_FEATURE: exec_feature(t, op); break;
	case OP_CONTAINER: exec_container(t, op); break;
	case OP_GROUP: exec_group(t, op); break;
	case OP_MAP_DMA: exec_map_dma(t, op); break;
	case OP_UNMAP_DMA: exec_unmap_dma(t, op); break;
	case OP_RW: exec_rw(t, op); break;
	case OP_MMAP: exec_mmap(t, op); break;
	case OP_CFG_WRITE: exec_cfg_write(t, op); break;
	case OP_REG: exec_reg(t, op); break;
	case OP_RING_CONFIG: exec_ring_config(t, op); break;
	case OP_SUBMIT:
		if (!fz.vfpga || !t->strict)
			fz_submit(t, op->a[0], 1 + op->a[1] % 12, op->a[2] % FZ_SUBMIT_NMODES);
		break;
	case OP_DOORBELL: exec_doorbell(t, op); break;
	case OP_VF_RESET: exec_vf_reset(t, op); break;
	case OP_EVENTFD: exec_eventfd(t, op); break;
	case OP_FPGA_LOAD: exec_fpga_load(t, op); break;
	case OP_FPGA_JOB: exec_fpga_job(t, op); break;
	case OP_STORM: exec_storm(t, op); break;
	case OP_FORK: exec_fork(t, op); break;
	case OP_REMOVE: exec_remove(t, op); break;
	case OP_REMOVE_END: exec_remove_end(t, op); break;
	case OP_REOPEN: exec_reopen(t, op); break;
	case OP_CHECK: exec_check(t, op); break;
	case OP_BIND: fz_bind_exec(t, op); break;
	case OP_SYSFS: fz_sysfs_exec(t, op); break;
	default: break;
	}
	fz_op_end(t);
}
