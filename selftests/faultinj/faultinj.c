// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep of tessera.ko's error paths (debug kernel: FAILSLAB,
 * FAIL_PAGE_ALLOC, FAULT_INJECTION_STACKTRACE_FILTER).
 *
 * For each path (one syscall that runs Tessera's code) and N = 1, 2, ...:
 * write N to /proc/self/task/<tid>/fail-nth right before the syscall, run
 * it, read fail-nth back. 0: the Nth allocation the syscall made (through
 * the filter) failed; positive: the path finished without reaching an Nth
 * allocation, and the sweep of the path ends there (that run must have
 * succeeded). After every injected failure the path must have failed
 * through its documented channel (an errno, VF_STATUS/VF_FAULT_CODE, a
 * region's VF_RGN_CONFIG_STATUS), or have succeeded in full (the failure
 * was absorbed, e.g. by kmemleak's own pool), and a clean run of the same
 * operation must succeed next; no taint bit may appear, and the instance's
 * pinned and shadow pages must be back at their level.
 *
 * Pass 1 ("module") fails only allocations with one of the --ko module's
 * text addresses on the stack (require-start/require-end = its text; the
 * suite names the mediator, tessera_mdev.ko, whose calls reach the core's);
 * pass 2 ("unfiltered") every allocation of the syscall, for the ioctl and
 * region paths (not create: that is the driver core's and sysfs's).
 *
 *   faultinj --ko PATH [--type TYPE]... [--pass module|unfiltered|both]
 *            [--path NAME]... [--max N]
 *
 * One TAP line per (type, path, pass) with the faults injected; a total;
 * the debugfs counters of both modules back at zero once every instance is
 * gone.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vfio_util.h"
#include "vfpga_util.h"

#define RING_IOVA	0x100000ull
#define DATA_IOVA	0x200000ull
#define BATCH_IOVA	0x300000ull
#define IMG_IOVA	0x400000ull
#define RING_ENTRIES	64
#define DATA_BYTES	8192
#define IMG_BYTES	65536
#define IMG_PAYLOAD	4096
#define JOB_BYTES	4096
#define DEADLINE_MS	TSR_DEADLINE_MS

enum pass { PASS_MODULE, PASS_UNFILTERED };
static const char *const pass_name[] = { "module call sites", "unfiltered" };

/* What one run of a path gave. */
enum outcome {
	OP_OK,		/* succeeded and did what it should */
	OP_FAILED,	/* failed through its documented channel */
	OP_BROKEN,	/* anything else: the test fails */
};

struct ctx {
	const char *type;
	bool vfpga;
	struct tsr_instance inst;
	bool open;
	struct tsr_ring ring;
	struct tsr_dma_buf data, batch, img;
	size_t img_size;
	uint32_t pattern;
	void *user_map;
	size_t user_len;
	uint32_t job_crc;
	long avail;			/* available_instances with no instance */
	long shadow_base;		/* shadow pages with the ring alone */
	char why[256];			/* what OP_BROKEN or a failed recovery saw */
};

struct path {
	const char *name;
	bool vgpu, vfpga;		/* for which kinds */
	bool unfiltered;		/* also in the unfiltered pass */
	bool needs_open;		/* run with the device open */
	int (*prepare)(struct ctx *c);
	enum outcome (*step)(struct ctx *c, unsigned int n, bool *injected);
	int (*cleanup)(struct ctx *c, enum outcome o);
	const char *channel;		/* how a failure is reported */
};

static int fail_fd = -1;
static unsigned long text_start, text_end;
static unsigned int max_n = 3000;
static unsigned long taint_start;
static unsigned int tap_n, tap_failed;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

static int why(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- fail-nth and the fault attributes ---- */

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static unsigned long read_ul(const char *path)
{
	char buf[64];

	if (tsr_sysfs_read(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

/* Arms the Nth fault of this task (0 disarms). Nothing may allocate after it. */
static void fail_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(fail_fd, buf, len, 0) != len) {
		perror("# write fail-nth");
		exit(2);
	}
}

/* Reads back and disarms: true when the armed fault was injected. */
static bool fail_injected(void)
{
	char buf[16] = "";
	ssize_t len = pread(fail_fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0) {
		perror("# read fail-nth");
		exit(2);
	}
	buf[len] = '\0';
	fail_arm(0);
	return strtoul(buf, NULL, 10) == 0;
}

static int set_attr(const char *attr, const char *file, const char *val)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", attr, file);
	ret = write_str(path, val);
	if (ret)
		fprintf(stderr, "# cannot write %s to %s: %s\n", val, path, strerror(-ret));
	return ret;
}

/*
 * What the filter's reject range keeps out (one range at a time):
 *
 * - for create, an upstream bug: in 6.12, vfio_create_group()'s error path
 *   (dev_set_name() or cdev_device_add() failing) puts the group device
 *   with iommu_group still set, and vfio_group_release() WARNs
 *   (drivers/vfio/group.c:538; the iommu_group reference leaks too).
 *   Reached from tessera_mdev_probe() through
 *   vfio_register_emulated_iommu_dev(); nothing tessera.ko can change;
 * - for every other path, DMA-API debugging's own allocations
 *   (kernel/dma/debug.c, from dma_debug_create_entries() to
 *   debug_dma_map_resource()): when one fails, dma-debug turns itself off
 *   for the rest of the boot ("cacheline tracking ENOMEM, dma-debug
 *   disabled"), and the sweep would run unchecked after it.
 */
struct reject {
	const char *first, *last;	/* functions: the range is first..end of last */
	unsigned long start, end;
};

static struct reject reject_create = { .first = "vfio_create_group", .last = "vfio_create_group" };
static struct reject reject_dma_debug = {
	.first = "dma_debug_create_entries", .last = "debug_dma_map_resource",
};

/* [start, end) of a kernel function: from its address to the next symbol's. */
static int symbol_range(const char *name, unsigned long *start, unsigned long *end)
{
	char line[512], sym[256];
	unsigned long addr;
	FILE *f;
	int pass;
	char t;

	*start = 0;
	*end = ULONG_MAX;
	for (pass = 0; pass < 2; pass++) {
		f = fopen("/proc/kallsyms", "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%lx %c %255s", &addr, &t, sym) != 3)
				continue;
			if (!pass && (t == 't' || t == 'T') && !strcmp(sym, name))
				*start = addr;
			else if (pass && addr > *start && addr < *end)
				*end = addr;
		}
		fclose(f);
		if (!*start)
			return -1;
	}
	return *end == ULONG_MAX ? -1 : 0;
}

static int reject_resolve(struct reject *r)
{
	unsigned long start, end;

	if (symbol_range(r->first, &r->start, &end) || symbol_range(r->last, &start, &r->end) ||
	    r->start >= r->end) {
		fprintf(stderr, "# %s..%s not found in /proc/kallsyms\n", r->first, r->last);
		return -1;
	}
	return 0;
}

static int set_filter(enum pass pass, const struct reject *r)
{
	char rstart[32], rend[32];
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	char start[32], end[32];
	unsigned int i;
	int ret = 0;

	if (pass == PASS_MODULE) {
		snprintf(start, sizeof(start), "0x%lx", text_start);
		snprintf(end, sizeof(end), "0x%lx", text_end);
	} else {
		snprintf(start, sizeof(start), "0");
		snprintf(end, sizeof(end), "0x%lx", ULONG_MAX);
	}
	snprintf(rstart, sizeof(rstart), "0x%lx", r ? r->start : 0);
	snprintf(rend, sizeof(rend), "0x%lx", r ? r->end : 0);
	for (i = 0; i < 2; i++) {
		ret |= set_attr(attrs[i], "ignore-gfp-wait", "N");
		ret |= set_attr(attrs[i], "stacktrace-depth", "32");
		ret |= set_attr(attrs[i], "reject-start", rstart);
		ret |= set_attr(attrs[i], "reject-end", rend);
		ret |= set_attr(attrs[i], "require-start", start);
		ret |= set_attr(attrs[i], "require-end", end);
		ret |= set_attr(attrs[i], "verbose", "1");
	}
	ret |= set_attr("fail_page_alloc", "min-order", "0");
	return ret;
}

/*
 * The module's text (the mediator's, tessera_mdev.ko, whose call sites a
 * guest's and a VMM's requests reach first): from
 * /sys/module/<name>/sections/ (where each section was loaded) and the
 * .ko's section headers (how long each is); every executable section but
 * .init.text and .exit.text, which live elsewhere.
 */
static int module_text_range(const char *ko)
{
	const char *base = strrchr(ko, '/') ? strrchr(ko, '/') + 1 : ko;
	unsigned long lo = ULONG_MAX, hi = 0;
	char modname[64];
	const Elf64_Shdr *sh;
	const Elf64_Ehdr *eh;
	const char *names;
	struct stat st;
	void *map;
	int fd, i;

	snprintf(modname, sizeof(modname), "%.*s", (int)strcspn(base, "."), base);
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "# cannot open %s: %s\n", ko, strerror(errno));
		return -1;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	eh = map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "# %s is not a 64-bit ELF file\n", ko);
		munmap(map, st.st_size);
		return -1;
	}
	sh = (const Elf64_Shdr *)((const char *)map + eh->e_shoff);
	names = (const char *)map + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		const char *name = names + sh[i].sh_name;
		char path[PATH_MAX];
		unsigned long addr;

		if (!(sh[i].sh_flags & SHF_EXECINSTR) || !sh[i].sh_size ||
		    !strcmp(name, ".init.text") || !strcmp(name, ".exit.text"))
			continue;
		snprintf(path, sizeof(path), "/sys/module/%s/sections/%s", modname, name);
		addr = read_ul(path);
		if (addr == ULONG_MAX || !addr)
			continue;
		if (addr < lo)
			lo = addr;
		if (addr + sh[i].sh_size > hi)
			hi = addr + sh[i].sh_size;
		fprintf(stderr, "# %s %s at 0x%lx, 0x%lx bytes\n", base, name, addr,
			(unsigned long)sh[i].sh_size);
	}
	munmap(map, st.st_size);
	if (lo >= hi) {
		fprintf(stderr, "# no text section of %s is loaded\n", base);
		return -1;
	}
	text_start = lo;
	text_end = hi;
	return 0;
}

/* ---- small helpers ---- */

/* A counter of the mediator's (mdev_counters) or the core's (counters). */
static long counter(const char *name)
{
	static const char *const files[] = {
		"/sys/kernel/debug/tessera/mdev_counters",
		"/sys/kernel/debug/tessera/counters",
	};
	size_t len = strlen(name);
	char line[128];
	long val = -1;
	unsigned int i;

	for (i = 0; i < 2 && val < 0; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, name, len) && line[len] == ' ')
				val = strtol(line + len + 1, NULL, 10);
		fclose(f);
	}
	return val;
}

static bool device_exists(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", uuid);
	return access(path, F_OK) == 0;
}

static int reg_write(struct ctx *c, uint32_t off, uint32_t val)
{
	int ret = tsr_reg_write(&c->inst, off, val);

	if (ret)
		return why(c, "BAR0 write at 0x%x: %s", off, strerror(-ret));
	return 0;
}

/* A FENCE through the ring: the ring and the instance work. */
static int ring_works(struct ctx *c)
{
	uint32_t st = 0;
	uint64_t v = tsr_ring_fence_kick(&c->ring, false);
	int ret = tsr_wait_fence(&c->inst, v, DEADLINE_MS, &st);

	if (ret)
		return why(c, "a FENCE through the ring: %s (status 0x%x, fault 0x%x)",
			   strerror(-ret), st, tsr_reg(&c->inst, TESSERA_VF_FAULT_CODE));
	return 0;
}

/* VF_RESET: queued work and batch copies dropped, the ring restarts at 0. */
static int engine_reset(struct ctx *c)
{
	if (reg_write(c, TESSERA_VF_RESET, 1))
		return -1;
	c->ring.tail = 0;
	return 0;
}

static int open_instance(struct ctx *c)
{
	int ret = tsr_instance_open(&c->inst);

	if (!ret)
		ret = tsr_enable_device(&c->inst);
	if (ret) {
		tsr_instance_close(&c->inst);
		return why(c, "open %s: %s", c->inst.uuid, strerror(-ret));
	}
	c->open = true;
	return 0;
}

static void close_instance(struct ctx *c)
{
	if (!c->open)
		return;
	if (c->user_map)
		munmap(c->user_map, c->user_len);
	c->user_map = NULL;
	tsr_ring_free(&c->ring);
	tsr_dma_free(&c->inst, &c->data);
	tsr_dma_free(&c->inst, &c->batch);
	tsr_dma_free(&c->inst, &c->img);
	tsr_instance_close(&c->inst);
	c->open = false;
}

/* Guest memory, touched now so that no page fault allocates while armed. */
static int map_buf(struct ctx *c, struct tsr_dma_buf *buf, uint64_t iova, size_t size)
{
	int ret = tsr_dma_alloc(&c->inst, buf, iova, size);

	if (ret)
		return why(c, "map %zu bytes at IOVA 0x%llx: %s", size,
			   (unsigned long long)iova, strerror(-ret));
	memset(buf->va, 0, size);
	return 0;
}

/* The device open, with what every path after it needs. */
static enum outcome image_load_step(struct ctx *c, unsigned int n, bool *injected);

static int setup_open(struct ctx *c)
{
	bool injected;
	uint8_t *img;

	if (open_instance(c))
		return -1;
	if (c->vfpga) {
		if (map_buf(c, &c->img, IMG_IOVA, IMG_BYTES))
			return -1;
		img = c->img.va;
		c->img_size = vf_image_build(img, TESSERA_FN_CRC32, IMG_PAYLOAD, 7, VF_IMAGE_GOOD);
		/* Region 0 holds CRC32 for the job and reset paths. */
		return image_load_step(c, 0, &injected) == OP_OK ? 0 : -1;
	}
	if (tsr_ring_setup(&c->inst, &c->ring, RING_IOVA, RING_ENTRIES))
		return why(c, "ring setup");
	memset(c->ring.cmds, 0, RING_ENTRIES * TESSERA_CMD_SIZE);
	if (map_buf(c, &c->batch, BATCH_IOVA, 4096))
		return -1;
	if (ring_works(c))
		return -1;
	c->shadow_base = counter("shadow_pages");
	return 0;
}

/* ---- create: the sysfs create write (probe runs in it) ---- */

static char create_path[PATH_MAX];
static char create_uuid[40];

static int create_prepare(struct ctx *c)
{
	if (tsr_uuid(create_uuid, sizeof(create_uuid)))
		return why(c, "uuid");
	return 0;
}

/*
 * The instance's /dev/vfio/devices/vfioN, made as udev would when
 * devtmpfs could not (device_add() ignores devtmpfs_create_node() failing,
 * so a fault there is absorbed by the driver core: the device is there,
 * its node is not). Returns the path made, "" when it was there.
 */
static void make_cdev_node(const char *uuid, char *made, size_t len)
{
	char dir[128], path[512], buf[32];
	unsigned int maj, min;
	struct dirent *de;
	DIR *d;

	made[0] = '\0';
	snprintf(dir, sizeof(dir), "/sys/bus/mdev/devices/%s/vfio-dev", uuid);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", dir, de->d_name);
		if (tsr_sysfs_read(path, buf, sizeof(buf)) || sscanf(buf, "%u:%u", &maj, &min) != 2)
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
		mkdir("/dev/vfio", 0755);
		mkdir("/dev/vfio/devices", 0755);
		if (access(path, F_OK) && !mknod(path, S_IFCHR | 0600, makedev(maj, min))) {
			fprintf(stderr, "# devtmpfs made no %s: made it\n", path);
			snprintf(made, len, "%s", path);
		}
	}
	closedir(d);
}

/* A create that absorbed its fault: the instance opens and answers. */
static enum outcome absorbed_create_works(struct ctx *c)
{
	struct tsr_instance inst = { .container_fd = -1, .group_fd = -1, .device_fd = -1 };
	enum outcome o = OP_OK;
	char made[PATH_MAX];

	snprintf(inst.parent, sizeof(inst.parent), "%s", c->inst.parent);
	snprintf(inst.type, sizeof(inst.type), "%s", c->type);
	snprintf(inst.uuid, sizeof(inst.uuid), "%s", create_uuid);
	make_cdev_node(create_uuid, made, sizeof(made));
	if (tsr_instance_open(&inst) || tsr_reg(&inst, TESSERA_VF_MAGIC) != TESSERA_MAGIC) {
		why(c, "create absorbed its fault, the instance does not open and answer");
		o = OP_BROKEN;
	}
	tsr_instance_close(&inst);
	if (made[0])
		unlink(made);
	return o;
}

static enum outcome create_step(struct ctx *c, unsigned int n, bool *injected)
{
	size_t len = strlen(create_uuid);
	int fd = open(create_path, O_WRONLY | O_CLOEXEC), err;
	ssize_t w;
	long avail;

	if (fd < 0) {
		why(c, "open %s: %s", create_path, strerror(errno));
		return OP_BROKEN;
	}
	fail_arm(n);
	w = write(fd, create_uuid, len);
	err = errno;
	*injected = n && fail_injected();
	close(fd);
	if (w == (ssize_t)len) {
		if (!device_exists(create_uuid)) {
			why(c, "create succeeded, no device %s", create_uuid);
			return OP_BROKEN;
		}
		return n ? absorbed_create_works(c) : OP_OK;
	}
	if (device_exists(create_uuid)) {
		why(c, "create failed (%s), device %s exists", strerror(err), create_uuid);
		return OP_BROKEN;
	}
	if (tsr_type_available(c->inst.parent, c->type, &avail) || avail != c->avail) {
		why(c, "create failed (%s), available_instances %ld, was %ld",
		    strerror(err), avail, c->avail);
		return OP_BROKEN;
	}
	return OP_FAILED;
}

static int create_cleanup(struct ctx *c, enum outcome o)
{
	char path[PATH_MAX];
	long avail;

	if (!device_exists(create_uuid))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", create_uuid);
	if (write_str(path, "1") || device_exists(create_uuid))
		return why(c, "removing %s failed", create_uuid);
	if (tsr_type_available(c->inst.parent, c->type, &avail) || avail != c->avail)
		return why(c, "after removal available_instances %ld, was %ld", avail, c->avail);
	return 0;
}

/* ---- open: VFIO_DEVICE_BIND_IOMMUFD (or GROUP_GET_DEVICE_FD), open_device ---- */

static unsigned int open_n;
static bool open_injected;

static void open_hook(bool after)
{
	if (!after)
		fail_arm(open_n);
	else
		open_injected = open_n && fail_injected();
}

static enum outcome open_step(struct ctx *c, unsigned int n, bool *injected)
{
	int ret;

	open_n = n;
	open_injected = false;
	tsr_open_hook = open_hook;
	ret = tsr_instance_open(&c->inst);
	tsr_open_hook = NULL;
	*injected = open_injected;
	if (ret) {
		tsr_instance_close(&c->inst);
		return OP_FAILED;
	}
	c->open = true;
	if (tsr_reg(&c->inst, TESSERA_VF_MAGIC) != TESSERA_MAGIC) {
		why(c, "opened, but VF_MAGIC reads 0x%x", tsr_reg(&c->inst, TESSERA_VF_MAGIC));
		return OP_BROKEN;
	}
	return OP_OK;
}

static int open_cleanup(struct ctx *c, enum outcome o)
{
	close_instance(c);
	return 0;
}

/* ---- ring: VF_RING_SIZE (configure: the shadow ring) ---- */

static enum outcome ring_step(struct ctx *c, unsigned int n, bool *injected)
{
	int ret;

	fail_arm(n);
	ret = tsr_reg_write(&c->inst, TESSERA_VF_RING_SIZE, RING_ENTRIES);
	*injected = n && fail_injected();
	c->ring.tail = 0;
	if (ret) {
		why(c, "VF_RING_SIZE write: %s", strerror(-ret));
		return OP_BROKEN;
	}
	/* The documented channel: an unconfigured ring, VF_STATUS_ENABLED clear. */
	if (!(tsr_reg(&c->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_ENABLED))
		return OP_FAILED;
	return ring_works(c) ? OP_BROKEN : OP_OK;
}

/* ---- dma-map and submit: the doorbell (pins on first use, batches) ---- */

static int doorbell_prepare(struct ctx *c)
{
	if (map_buf(c, &c->data, DATA_IOVA, DATA_BYTES))
		return -1;
	c->pattern = c->pattern * 1103515245u + 12345u;
	return 0;
}

static size_t words_not(const void *p, size_t len, uint32_t want)
{
	const volatile uint32_t *w = p;
	size_t i, bad = 0;

	for (i = 0; i < len / 4; i++)
		bad += w[i] != want;
	return bad;
}

/*
 * Kicks what is on the ring (armed) and waits for @fence or a fault. A
 * reject is the documented channel of a doorbell: VF_STATUS_FAULTED with a
 * TESSERA_VF_REJECT_* code at the index of the command refused.
 */
static enum outcome kick_and_wait(struct ctx *c, unsigned int n, bool *injected,
				  uint64_t fence, uint32_t first, uint32_t last)
{
	uint32_t st = 0, code, index;
	int ret;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fail_arm(n);
	ret = tsr_reg_write(&c->inst, TESSERA_VF_RING_TAIL, c->ring.tail);
	*injected = n && fail_injected();
	if (ret) {
		why(c, "doorbell write: %s", strerror(-ret));
		return OP_BROKEN;
	}
	ret = tsr_wait_fence(&c->inst, fence, DEADLINE_MS, &st);
	if (!ret)
		return OP_OK;
	if (ret != -EIO) {
		why(c, "no fence and no fault: %s, status 0x%x", strerror(-ret), st);
		return OP_BROKEN;
	}
	code = tsr_reg(&c->inst, TESSERA_VF_FAULT_CODE);
	index = tsr_reg(&c->inst, TESSERA_VF_FAULT_INDEX);
	switch (code) {
	case TESSERA_VF_REJECT_PIN_LIMIT:
	case TESSERA_VF_REJECT_MEMLOCK:
	case TESSERA_VF_REJECT_RANGE:
	case TESSERA_VF_REJECT_RING:
	case TESSERA_VF_REJECT_BATCH:
#ifdef TESSERA_VF_REJECT_NOMEM
	case TESSERA_VF_REJECT_NOMEM:
#endif
		if (index >= first && index <= last)
			return OP_FAILED;
		break;
	}
	why(c, "fault code 0x%x at index %u (commands at %u..%u)", code, index, first, last);
	return OP_BROKEN;
}

static enum outcome dma_map_step(struct ctx *c, unsigned int n, bool *injected)
{
	struct tessera_cmd fill = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, c->pattern);
	uint64_t fence = c->ring.next_fence++;
	struct tessera_cmd f = tsr_cmd_fence(0, fence, false);
	uint32_t first = tsr_ring_push(&c->ring, &fill);
	enum outcome o;

	tsr_ring_push(&c->ring, &f);
	o = kick_and_wait(c, n, injected, fence, first, first);
	if (o == OP_OK && words_not(c->data.va, DATA_BYTES, c->pattern)) {
		why(c, "FILL ran, %zu words of the buffer wrong",
		    words_not(c->data.va, DATA_BYTES, c->pattern));
		return OP_BROKEN;
	}
	return o;
}

/* FILL of page 0, BATCH of a FILL of page 1, FENCE. */
static enum outcome submit_step(struct ctx *c, unsigned int n, bool *injected)
{
	struct tessera_cmd fill0 = tsr_cmd_fill(DATA_IOVA, 4096, c->pattern);
	struct tessera_cmd batch = tsr_cmd_batch(BATCH_IOVA, 2);
	uint64_t fence = c->ring.next_fence++;
	struct tessera_cmd f = tsr_cmd_fence(0, fence, false);
	struct tessera_cmd *b = c->batch.va;
	uint8_t *d = c->data.va;
	uint32_t first;
	enum outcome o;

	b[0] = tsr_cmd_fill(DATA_IOVA + 4096, 4096, ~c->pattern);
	b[1] = tsr_cmd_nop();
	first = tsr_ring_push(&c->ring, &fill0);
	tsr_ring_push(&c->ring, &batch);
	tsr_ring_push(&c->ring, &f);
	o = kick_and_wait(c, n, injected, fence, first, first + 1);
	if (o == OP_OK && (words_not(d, 4096, c->pattern) || words_not(d + 4096, 4096, ~c->pattern))) {
		why(c, "FILL and BATCH ran, the buffer is wrong");
		return OP_BROKEN;
	}
	return o;
}

/* After each doorbell: reset, unmap (unpins); nothing of it may remain. */
static int doorbell_cleanup(struct ctx *c, enum outcome o)
{
	long pinned, shadow;

	if (engine_reset(c))
		return -1;
	tsr_dma_free(&c->inst, &c->data);
	pinned = tsr_inst_stat(&c->inst, "pinned_pages");
	shadow = counter("shadow_pages");
	if (pinned != 0)
		return why(c, "%ld pages still pinned after reset and unmap", pinned);
	if (shadow != c->shadow_base)
		return why(c, "%ld shadow pages after reset, %ld with the ring alone",
			   shadow, c->shadow_base);
	return 0;
}

/* ---- reset: VF_RESET with a batch copy held ---- */

static int reset_prepare(struct ctx *c)
{
	bool injected;

	if (doorbell_prepare(c))
		return -1;
	if (submit_step(c, 0, &injected) != OP_OK)
		return -1;
	return 0;
}

static enum outcome reset_step(struct ctx *c, unsigned int n, bool *injected)
{
	int ret;

	fail_arm(n);
	ret = tsr_reg_write(&c->inst, TESSERA_VF_RESET, 1);
	*injected = n && fail_injected();
	c->ring.tail = 0;
	if (ret) {
		why(c, "VF_RESET write: %s", strerror(-ret));
		return OP_BROKEN;
	}
	/* VF_RESET has no failure channel: it must always leave a working ring. */
	if (tsr_reg(&c->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED) {
		why(c, "faulted after VF_RESET");
		return OP_BROKEN;
	}
	return ring_works(c) ? OP_BROKEN : OP_OK;
}

/* ---- region-info: VFIO_DEVICE_GET_REGION_INFO with its sparse-mmap capability ---- */

static uint8_t info_buf[4096];

static enum outcome region_info_step(struct ctx *c, unsigned int n, bool *injected)
{
	struct vfio_region_info *info = (void *)info_buf;
	struct vfio_region_info_cap_sparse_mmap *sparse;
	unsigned int index = c->vfpga ? VFIO_PCI_BAR0_REGION_INDEX : VFIO_PCI_BAR2_REGION_INDEX;
	int ret;

	memset(info_buf, 0, sizeof(info_buf));
	info->argsz = sizeof(info_buf);
	info->index = index;
	fail_arm(n);
	ret = ioctl(c->inst.device_fd, VFIO_DEVICE_GET_REGION_INFO, info);
	*injected = n && fail_injected();
	if (ret)
		return errno == ENOMEM ? OP_FAILED : (why(c, "GET_REGION_INFO: %s", strerror(errno)),
						      OP_BROKEN);
	sparse = (void *)(info_buf + info->cap_offset);
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS) || info->cap_offset < sizeof(*info) ||
	    info->cap_offset >= sizeof(info_buf) - sizeof(*sparse) ||
	    sparse->header.id != VFIO_REGION_INFO_CAP_SPARSE_MMAP || sparse->nr_areas != 1) {
		why(c, "GET_REGION_INFO %u: flags 0x%x, no sparse-mmap capability", index,
		    info->flags);
		return OP_BROKEN;
	}
	return OP_OK;
}

/* ---- vFPGA image-load: VF_RGN_CONFIG = 1 (copy, check, map the image) ---- */

static enum outcome image_load_step(struct ctx *c, unsigned int n, bool *injected)
{
	uint32_t bit = TESSERA_VF_INT_RGN_CONFIG(0), status;
	int ret;

	if (reg_write(c, TESSERA_VF_INT_STATUS, bit) ||
	    vf_rgn_write(&c->inst, 0, TESSERA_VF_RGN_IMAGE_ADDR_LO, (uint32_t)IMG_IOVA) ||
	    vf_rgn_write(&c->inst, 0, TESSERA_VF_RGN_IMAGE_ADDR_HI, IMG_IOVA >> 32) ||
	    vf_rgn_write(&c->inst, 0, TESSERA_VF_RGN_IMAGE_SIZE, c->img_size)) {
		why(c, "programming region 0's image registers");
		return OP_BROKEN;
	}
	fail_arm(n);
	ret = tsr_reg_write(&c->inst, TESSERA_VF_RGN_REG(0, TESSERA_VF_RGN_CONFIG), 1);
	*injected = n && fail_injected();
	if (ret) {
		why(c, "VF_RGN_CONFIG write: %s", strerror(-ret));
		return OP_BROKEN;
	}
	if (tsr_wait_int_status(&c->inst, bit, DEADLINE_MS)) {
		why(c, "no VF_INT_RGN_CONFIG(0)");
		return OP_BROKEN;
	}
	status = vf_rgn_reg(&c->inst, 0, TESSERA_VF_RGN_CONFIG_STATUS);
	switch (status) {
	case TESSERA_RGN_CFG_LOADED:
		if (vf_rgn_reg(&c->inst, 0, TESSERA_VF_RGN_FUNCTION) != TESSERA_FN_CRC32) {
			why(c, "loaded, but VF_RGN_FUNCTION is %u",
			    vf_rgn_reg(&c->inst, 0, TESSERA_VF_RGN_FUNCTION));
			return OP_BROKEN;
		}
		return OP_OK;
	/* No memory for the copy reads as ERR_BUSY; unmappable as ERR_MMU. */
	case TESSERA_RGN_CFG_ERR_BUSY:
	case TESSERA_RGN_CFG_ERR_MMU:
	case TESSERA_VF_RGN_CFG_UNREADABLE:
		return OP_FAILED;
	}
	why(c, "VF_RGN_CONFIG_STATUS %u", status);
	return OP_BROKEN;
}

/* ---- vFPGA region-job: mmap of the region user pages, a CRC32 job through them ---- */

static int job_prepare(struct ctx *c)
{
	static uint32_t data[JOB_BYTES / 4];
	uint32_t x = c->pattern | 1;
	size_t i;

	c->pattern = c->pattern * 1103515245u + 12345u;
	for (i = 0; i < JOB_BYTES / 4; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = x;
	}
	if (tsr_bar2_pwrite(&c->inst, 0, data, JOB_BYTES))
		return why(c, "BAR2 write");
	c->job_crc = vf_crc32(data, JOB_BYTES);
	return 0;
}

static enum outcome region_job_step(struct ctx *c, unsigned int n, bool *injected)
{
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(0), 0, JOB_BYTES };
	uint64_t off = tsr_region_offset(&c->inst, VFIO_PCI_BAR0_REGION_INDEX) +
		       TESSERA_VF_RGN_USER_BASE;
	struct vf_user_pages up = { .inst = &c->inst, .regions = 1 };
	void *p;
	int st;

	c->user_len = 4096;
	fail_arm(n);
	p = mmap(NULL, c->user_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->inst.device_fd, off);
	*injected = n && fail_injected();
	if (p == MAP_FAILED)
		return OP_FAILED;
	c->user_map = p;
	up.base = p;
	up.len = c->user_len;
	vf_job_start(&up, 0, args);
	st = vf_job_wait(&up, 0, DEADLINE_MS);
	if (st != TESSERA_RGN_JOB_DONE) {
		why(c, "job status %d", st);
		return OP_BROKEN;
	}
	if ((uint32_t)vf_job_result(&up, 0) != c->job_crc) {
		why(c, "CRC32 0x%x, expected 0x%x", (uint32_t)vf_job_result(&up, 0), c->job_crc);
		return OP_BROKEN;
	}
	return OP_OK;
}

static int job_cleanup(struct ctx *c, enum outcome o)
{
	if (c->user_map)
		munmap(c->user_map, c->user_len);
	c->user_map = NULL;
	return 0;
}

/* ---- vFPGA reset: VF_RESET (every region's job aborted) ---- */

static enum outcome vfpga_reset_step(struct ctx *c, unsigned int n, bool *injected)
{
	struct vf_user_pages up = { .inst = &c->inst, .regions = 1 };
	uint64_t args[TESSERA_RGN_USER_NUM_ARGS] = { 0, tsr_vram_dva(0), 0, JOB_BYTES };
	int ret, st;

	fail_arm(n);
	ret = tsr_reg_write(&c->inst, TESSERA_VF_RESET, 1);
	*injected = n && fail_injected();
	if (ret) {
		why(c, "VF_RESET write: %s", strerror(-ret));
		return OP_BROKEN;
	}
	/* No failure channel: the loaded function still runs a job (trapped access). */
	vf_job_start(&up, 0, args);
	st = vf_job_wait(&up, 0, DEADLINE_MS);
	if (st != TESSERA_RGN_JOB_DONE || (uint32_t)vf_job_result(&up, 0) != c->job_crc) {
		why(c, "after VF_RESET: job status %d, CRC32 0x%x", st,
		    (uint32_t)vf_job_result(&up, 0));
		return OP_BROKEN;
	}
	return OP_OK;
}

static const struct path paths[] = {
	{ "create", true, true, false, false, create_prepare, create_step, create_cleanup,
	  "write(create) fails, no device, available_instances unchanged" },
	{ "open", true, true, true, false, NULL, open_step, open_cleanup,
	  "VFIO_DEVICE_BIND_IOMMUFD fails" },
	{ "ring", true, false, true, true, NULL, ring_step, NULL,
	  "VF_STATUS_ENABLED clear" },
	{ "dma-map", true, false, true, true, doorbell_prepare, dma_map_step, doorbell_cleanup,
	  "VF_STATUS_FAULTED, VF_FAULT_CODE a reject" },
	{ "submit", true, false, true, true, doorbell_prepare, submit_step, doorbell_cleanup,
	  "VF_STATUS_FAULTED, VF_FAULT_CODE a reject" },
	{ "reset", true, false, true, true, reset_prepare, reset_step, doorbell_cleanup,
	  "none: VF_RESET cannot fail" },
	{ "region-info", true, true, true, true, NULL, region_info_step, NULL,
	  "GET_REGION_INFO fails with ENOMEM" },
	{ "image-load", false, true, true, true, NULL, image_load_step, NULL,
	  "VF_RGN_CONFIG_STATUS ERR_BUSY/ERR_MMU/UNREADABLE" },
	{ "region-job", false, true, true, true, job_prepare, region_job_step, job_cleanup,
	  "mmap fails" },
	{ "reset", false, true, true, true, job_prepare, vfpga_reset_step, NULL,
	  "none: VF_RESET cannot fail" },
};

/* ---- the sweep ---- */

struct tally {
	unsigned long injected, failed, absorbed;
};

static struct tally total;
static bool dma_debug_off;

/* No new taint bit, and DMA-API debugging still on. */
static bool taint_clean(struct ctx *c)
{
	unsigned long t = read_ul("/proc/sys/kernel/tainted");
	char buf[8] = "";

	if (t != taint_start) {
		why(c, "the kernel's taint went 0x%lx -> 0x%lx", taint_start, t);
		taint_start = t;
		return false;
	}
	if (!tsr_sysfs_read("/sys/kernel/debug/dma-api/disabled", buf, sizeof(buf)) &&
	    buf[0] == 'Y' && !dma_debug_off) {
		dma_debug_off = true;
		why(c, "DMA-API debugging turned itself off");
		return false;
	}
	return true;
}

static int run_once(struct ctx *c, const struct path *p, unsigned int n, bool *injected,
		    enum outcome *o)
{
	*injected = false;
	if (p->prepare && p->prepare(c))
		return -1;
	*o = p->step(c, n, injected);
	if (p->cleanup && p->cleanup(c, *o))
		return -1;
	return 0;
}

static void sweep(struct ctx *c, const struct path *p, enum pass pass)
{
	struct tally t = { 0 };
	const char *bad = NULL;
	unsigned int n, bad_n = 0;
	enum outcome o = OP_OK;
	bool injected;

	c->why[0] = '\0';
	if (p->needs_open != c->open) {
		if (p->needs_open ? setup_open(c) : (close_instance(c), 0)) {
			tap(false, "%s %s (%s): setup: %s", c->type, p->name, pass_name[pass], c->why);
			return;
		}
	}
	for (n = 1; n <= max_n; n++) {
		/* Where a crash happened, if one does. */
		fprintf(stderr, "# sweep: %s %s (%s) N=%u\n", c->type, p->name, pass_name[pass], n);
		if (run_once(c, p, n, &injected, &o)) {
			bad = "cleanup after the run";
			break;
		}
		if (!taint_clean(c)) {
			bad = "kernel report";
			break;
		}
		if (!injected) {
			if (o != OP_OK)
				bad = "the run that reached no fault";
			break;
		}
		t.injected++;
		if (o == OP_BROKEN) {
			bad = "the faulted run";
			break;
		}
		if (o == OP_FAILED)
			t.failed++;
		else
			t.absorbed++;
		/* The same operation, clean, must work now. */
		if (run_once(c, p, 0, &injected, &o) || o != OP_OK) {
			bad = "the clean run after it";
			break;
		}
		if (!taint_clean(c)) {
			bad = "kernel report";
			break;
		}
	}
	if (n > max_n && !bad) {
		bad = "the sweep's end";
		snprintf(c->why, sizeof(c->why), "more than %u fault points", max_n);
	}
	bad_n = n;
	total.injected += t.injected;
	total.failed += t.failed;
	total.absorbed += t.absorbed;
	if (bad) {
		tap(false, "%s %s (%s): at N=%u, %s: %s", c->type, p->name, pass_name[pass], bad_n,
		    bad, c->why[0] ? c->why : "(no detail)");
		/* The instance may be in any state: start the next path afresh. */
		close_instance(c);
		return;
	}
	tap(true, "%s %s (%s): %lu faults injected, %lu failed (%s), %lu absorbed; each recovered",
	    c->type, p->name, pass_name[pass], t.injected, t.failed, p->channel, t.absorbed);
}

static void run_type(const char *type, unsigned int pass_mask, char **only, int nonly)
{
	struct ctx c = { .type = type, .pattern = 0x5a5a1234 };
	unsigned int pass, i;
	int j;

	c.vfpga = !!strstr(type, "vfpga");
	if (tsr_find_parent(c.inst.parent, sizeof(c.inst.parent)) ||
	    tsr_type_available(c.inst.parent, type, &c.avail) || c.avail < 1) {
		tap(false, "%s: no instance of it can be created", type);
		return;
	}
	snprintf(create_path, sizeof(create_path),
		 "/sys/class/mdev_bus/%s/mdev_supported_types/%s/create", c.inst.parent, type);

	for (pass = PASS_MODULE; pass <= PASS_UNFILTERED; pass++) {
		if (!(pass_mask & (1u << pass)))
			continue;
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			const struct path *p = &paths[i];
			bool wanted = nonly == 0;

			if (!(c.vfpga ? p->vfpga : p->vgpu) ||
			    (pass == PASS_UNFILTERED && !p->unfiltered))
				continue;
			for (j = 0; j < nonly; j++)
				wanted |= !strcmp(only[j], p->name);
			if (!wanted)
				continue;
			/* Every path after create runs on an instance of its own. */
			if (strcmp(p->name, "create") && !c.inst.created) {
				int ret = tsr_instance_create(&c.inst, type);

				if (ret) {
					tap(false, "%s: create an instance: %s", type, strerror(-ret));
					return;
				}
			}
			if (set_filter(pass, strcmp(p->name, "create") ? &reject_dma_debug :
				       &reject_create)) {
				tap(false, "%s: cannot set the fault attributes", type);
				return;
			}
			sweep(&c, p, pass);
		}
	}
	close_instance(&c);
	if (c.inst.created && tsr_instance_remove(&c.inst))
		tap(false, "%s: the instance cannot be removed", type);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ko", required_argument, NULL, 'k' },
		{ "type", required_argument, NULL, 't' },
		{ "pass", required_argument, NULL, 'p' },
		{ "path", required_argument, NULL, 'P' },
		{ "max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ko = NULL, *types[8];
	char *only[16], path[64];
	unsigned int pass_mask = 3;
	int ntypes = 0, nonly = 0, opt, i;
	long pinned, shadow, tables;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			ko = optarg;
			break;
		case 't':
			if (ntypes < 8)
				types[ntypes++] = optarg;
			break;
		case 'p':
			pass_mask = !strcmp(optarg, "module") ? 1 : !strcmp(optarg, "unfiltered") ? 2 : 3;
			break;
		case 'P':
			if (nonly < 16)
				only[nonly++] = optarg;
			break;
		case 'm':
			max_n = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s --ko PATH [--type T]... [--pass module|unfiltered|both] [--path P]... [--max N]\n",
				argv[0]);
			return 2;
		}
	}
	if (!ntypes) {
		types[ntypes++] = "tessera-vgpu-2";
		types[ntypes++] = "tessera-vfpga-2";
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (!ko || module_text_range(ko)) {
		tap(false, "the module's text range (--ko PATH, /sys/module/<name>/sections)");
		printf("1..%u\n", tap_n);
		return 1;
	}
	if (reject_resolve(&reject_create) || reject_resolve(&reject_dma_debug)) {
		tap(false, "the reject ranges' functions in /proc/kallsyms");
		printf("1..%u\n", tap_n);
		return 1;
	}
	printf("# stack filter: tessera.ko text 0x%lx-0x%lx; rejected: %s 0x%lx-0x%lx (create), %s..%s 0x%lx-0x%lx (other paths)\n",
	       text_start, text_end, reject_create.first, reject_create.start, reject_create.end,
	       reject_dma_debug.first, reject_dma_debug.last, reject_dma_debug.start,
	       reject_dma_debug.end);
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", gettid());
	fail_fd = open(path, O_RDWR | O_CLOEXEC);
	if (fail_fd < 0) {
		tap(false, "open %s: %s (no CONFIG_FAULT_INJECTION?)", path, strerror(errno));
		printf("1..%u\n", tap_n);
		return 1;
	}
	taint_start = read_ul("/proc/sys/kernel/tainted");

	for (i = 0; i < ntypes; i++)
		run_type(types[i], pass_mask, only, nonly);

	/* Back to the defaults: nothing fails for anyone after us. */
	set_filter(PASS_UNFILTERED, NULL);
	pinned = counter("pinned_pages");
	shadow = counter("shadow_pages");
	tables = counter("page_table_pages");
	tap(pinned == 0 && shadow == 0 && tables == 0,
	    "tessera.ko's counters once every instance is gone: pinned_pages %ld, shadow_pages %ld, page_table_pages %ld",
	    pinned, shadow, tables);
	tap(tap_failed == 0, "total: %lu faults injected, %lu failed cleanly, %lu absorbed",
	    total.injected, total.failed, total.absorbed);
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}
