// SPDX-License-Identifier: GPL-2.0
/*
 * tessera-smi: what every Tessera card holds, and the verbs to change it.
 *
 * Cards are found with libpci (vendor 1234, device 7e50, the physical
 * function); everything else is the driver's sysfs, documented in
 * Documentation/ABI/testing/sysfs-bus-mdev-tessera. Utilisation is the
 * change of an instance's busy_ns over the change of its card's clock_ns
 * between two samples: the card's own counters, not the host's clock.
 * tessera-smi(8) is the manual; Documentation/tessera-smi.rst has the JSON
 * schema.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pci/pci.h>

#define SMI_VERSION		"0.1.0"
#define SMI_SCHEMA		"tessera-smi/1"
#define TESSERA_VENDOR		0x1234
#define TESSERA_CARD_DEVICE	0x7e50
#define SYSFS_PCI		"/sys/bus/pci/devices"
#define SYSFS_MDEV		"/sys/bus/mdev/devices"
#define PAGE_BYTES		4096ULL

/* Exit statuses, one per kind of failure (tessera-smi(8), EXIT STATUS). */
enum smi_exit {
	EXIT_OK = 0,
	EXIT_SYSTEM = 1,	/* an unexpected system error */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NO_CARD = 3,	/* no Tessera card, or not the one named */
	EXIT_NOT_FOUND = 4,	/* no such type or instance */
	EXIT_PERMISSION = 5,	/* needs root */
	EXIT_REFUSED = 6,	/* the driver refused the value */
	EXIT_NO_ROOM = 7,	/* the card has no room for the instance */
	EXIT_BUSY = 8,		/* the instance is held by a process */
	EXIT_NO_DRIVER = 9,	/* the card is there, tessera.ko is not bound */
};

#define MAX_CARDS	16
#define MAX_TYPES	16
#define MAX_INSTANCES	64
#define NAME_LEN	64
#define TEXT_LEN	512

/* A counter that could not be read (root only, or an older module). */
#define NO_VALUE	UINT64_MAX

struct smi_type {
	char id[NAME_LEN];		/* directory name, what mdevctl -t takes */
	char name[TEXT_LEN];
	char description[TEXT_LEN];
	char device_api[NAME_LEN];
	char functions[TEXT_LEN];	/* "VADD,CRC32"; empty for vGPU types */
	uint64_t available, max_instances, vram_bytes, weight, regions;
};

struct smi_instance {
	char uuid[40];
	char type[NAME_LEN];
	pid_t holder;			/* 0: no process has it open */
	char holder_comm[NAME_LEN];
	uint64_t weight, busy_ns, pinned_pages, faults, rejects, preemptions;
	uint64_t interrupts, context;
	char engine[16];
	double utilization;		/* percent; < 0 when not measured */
};

struct smi_card {
	char address[16];
	char sysfs[PATH_MAX];		/* the device's real sysfs directory */
	unsigned int vendor, device;
	char driver[NAME_LEN];		/* empty: no driver bound */
	int numa_node;
	char link[NAME_LEN];
	bool bound;			/* tessera.ko's tessera/ folder is there */
	uint64_t engines, regions, contexts, contexts_free, vram_bytes, clock_ns;
	uint64_t slice_us, watchdog_ms, preempt;
	char policy[NAME_LEN];
	struct smi_type types[MAX_TYPES];
	int num_types;
	struct smi_instance inst[MAX_INSTANCES];
	int num_inst;
	bool stats_hidden;		/* instance figures were root only */
};

static const char *prog = "tessera-smi";

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- sysfs ---- */

/* Read a sysfs file into buf, trailing newline dropped; -errno on failure. */
static int read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

static int read_textf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int read_textf(char *buf, size_t size, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return read_text(path, buf, size);
}

static uint64_t read_u64f(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static uint64_t read_u64f(const char *fmt, ...)
{
	char path[PATH_MAX], buf[64], *end;
	unsigned long long v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (read_text(path, buf, sizeof(buf)))
		return NO_VALUE;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return NO_VALUE;
	return v;
}

/* Write val to a sysfs file; 0 or -errno (what the driver's store returned). */
static int write_text(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	if (close(fd))
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* ---- discovery ---- */

/* "vgpu-10" after "vgpu-9": compare the digit runs as numbers. */
static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			unsigned long x = strtoul(a, (char **)&a, 10);
			unsigned long y = strtoul(b, (char **)&b, 10);

			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int type_cmp(const void *a, const void *b)
{
	return natural_cmp(((const struct smi_type *)a)->id, ((const struct smi_type *)b)->id);
}

static int inst_cmp(const void *a, const void *b)
{
	const struct smi_instance *x = a, *y = b;
	int c = natural_cmp(x->type, y->type);

	return c ? c : strcmp(x->uuid, y->uuid);
}

static const char *const pcie_speeds[] = {
	[1] = "2.5 GT/s", [2] = "5 GT/s", [3] = "8 GT/s", [4] = "16 GT/s",
	[5] = "32 GT/s", [6] = "64 GT/s",
};

static void card_link(struct pci_dev *dev, struct smi_card *card)
{
	struct pci_cap *cap = pci_find_cap(dev, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	char speed[NAME_LEN], width[16];

	if (cap) {
		unsigned int sta = pci_read_word(dev, cap->addr + PCI_EXP_LNKSTA);
		unsigned int s = sta & PCI_EXP_LNKSTA_SPEED;

		snprintf(card->link, sizeof(card->link), "PCIe %s x%u",
			 s < sizeof(pcie_speeds) / sizeof(pcie_speeds[0]) && pcie_speeds[s] ?
			 pcie_speeds[s] : "unknown speed",
			 (sta & PCI_EXP_LNKSTA_WIDTH) >> 4);
		return;
	}
	/* Without root libpci sees 64 bytes of config space: sysfs has the link. */
	if (!read_textf(speed, sizeof(speed), "%s/current_link_speed", card->sysfs) &&
	    !read_textf(width, sizeof(width), "%s/current_link_width", card->sysfs)) {
		snprintf(card->link, sizeof(card->link), "PCIe %.24s x%.8s", speed, width);
		return;
	}
	snprintf(card->link, sizeof(card->link), "PCI");
}

static void card_read_types(struct smi_card *card)
{
	char dir[PATH_MAX + 32];
	struct dirent *de;
	DIR *d;

	card->num_types = 0;
	snprintf(dir, sizeof(dir), "%s/mdev_supported_types", card->sysfs);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && card->num_types < MAX_TYPES) {
		struct smi_type *t = &card->types[card->num_types];

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(t->id))
			continue;
		memset(t, 0, sizeof(*t));
		snprintf(t->id, sizeof(t->id), "%s", de->d_name);
		read_textf(t->name, sizeof(t->name), "%s/%s/name", dir, t->id);
		read_textf(t->description, sizeof(t->description), "%s/%s/description", dir, t->id);
		read_textf(t->device_api, sizeof(t->device_api), "%s/%s/device_api", dir, t->id);
		read_textf(t->functions, sizeof(t->functions), "%s/tessera_types/%s/functions", card->sysfs, t->id);
		t->available = read_u64f("%s/%s/available_instances", dir, t->id);
		t->max_instances = read_u64f("%s/tessera_types/%s/max_instances", card->sysfs, t->id);
		t->vram_bytes = read_u64f("%s/tessera_types/%s/vram_bytes", card->sysfs, t->id);
		t->weight = read_u64f("%s/tessera_types/%s/weight", card->sysfs, t->id);
		t->regions = read_u64f("%s/tessera_types/%s/regions", card->sysfs, t->id);
		card->num_types++;
	}
	closedir(d);
	qsort(card->types, card->num_types, sizeof(card->types[0]), type_cmp);
}

/* The /dev node a process holds while it uses the instance: group or cdev. */
static int inst_dev_nodes(const char *mdev, char nodes[2][PATH_MAX])
{
	char link[PATH_MAX], path[PATH_MAX + 32];
	struct dirent *de;
	int n = 0;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/iommu_group", mdev);
	len = readlink(path, link, sizeof(link) - 1);
	if (len > 0) {
		link[len] = '\0';
		snprintf(nodes[n++], PATH_MAX, "/dev/vfio/%s", basename(link));
	}
	snprintf(path, sizeof(path), "%s/vfio-dev", mdev);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "vfio", 4)) {
				snprintf(nodes[n++], PATH_MAX, "/dev/vfio/devices/%s", de->d_name);
				break;
			}
		closedir(d);
	}
	return n;
}

/*
 * The process holding each instance open (QEMU, for an assigned one): one
 * pass over every process's open files for all of the card's instances,
 * the first holder found for each.
 */
static void find_holders(struct smi_card *card, char (*nodes)[2][PATH_MAX], const int *num_nodes)
{
	struct dirent *pe;
	DIR *proc = opendir("/proc");

	if (!proc)
		return;
	while ((pe = readdir(proc))) {
		char fddir[300], fdpath[600], target[PATH_MAX];
		struct dirent *fe;
		DIR *fds;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%s/fd", pe->d_name);
		fds = opendir(fddir);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			ssize_t len;
			int i, k;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", fddir, fe->d_name);
			len = readlink(fdpath, target, sizeof(target) - 1);
			if (len <= 0 || strncmp(target, "/dev/vfio/", 10))
				continue;
			target[len] = '\0';
			for (i = 0; i < card->num_inst; i++) {
				struct smi_instance *in = &card->inst[i];

				for (k = 0; k < num_nodes[i] && !in->holder; k++)
					if (!strcmp(target, nodes[i][k]))
						in->holder = atoi(pe->d_name);
			}
		}
		closedir(fds);
	}
	closedir(proc);
	for (int i = 0; i < card->num_inst; i++) {
		struct smi_instance *in = &card->inst[i];

		if (in->holder && read_textf(in->holder_comm, sizeof(in->holder_comm),
					     "/proc/%d/comm", (int)in->holder))
			snprintf(in->holder_comm, sizeof(in->holder_comm), "?");
	}
}

static void inst_read_counters(const char *mdev, struct smi_instance *in)
{
	uint64_t card_faults = read_u64f("%s/tessera/card_faults", mdev);
	uint64_t cmd_faults = read_u64f("%s/tessera/commands_faulted", mdev);

	in->weight = read_u64f("%s/tessera/weight", mdev);
	in->busy_ns = read_u64f("%s/tessera/busy_ns", mdev);
	in->pinned_pages = read_u64f("%s/tessera/pinned_pages", mdev);
	in->rejects = read_u64f("%s/tessera/rejects", mdev);
	in->preemptions = read_u64f("%s/tessera/preemptions", mdev);
	in->interrupts = read_u64f("%s/tessera/interrupts", mdev);
	in->context = read_u64f("%s/tessera/context", mdev);
	/* What the card reported and what its scheduler counted as faulted. */
	in->faults = card_faults == NO_VALUE || cmd_faults == NO_VALUE ?
		     NO_VALUE : card_faults + cmd_faults;
	if (read_textf(in->engine, sizeof(in->engine), "%s/tessera/engine", mdev))
		in->engine[0] = '\0';
}

static void card_read_instances(struct smi_card *card)
{
	static char nodes[MAX_INSTANCES][2][PATH_MAX];
	static int num_nodes[MAX_INSTANCES];
	struct dirent *de;
	DIR *d = opendir(SYSFS_MDEV);

	card->num_inst = 0;
	card->stats_hidden = false;
	if (!d)
		return;
	while ((de = readdir(d)) && card->num_inst < MAX_INSTANCES) {
		struct smi_instance *in = &card->inst[card->num_inst];
		char path[PATH_MAX], real[PATH_MAX + 16], link[PATH_MAX];
		char *slash;
		ssize_t len;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(in->uuid))
			continue;
		snprintf(path, sizeof(path), SYSFS_MDEV "/%s", de->d_name);
		if (!realpath(path, real))
			continue;
		slash = strrchr(real, '/');
		if (!slash)
			continue;
		*slash = '\0';
		if (strcmp(real, card->sysfs))
			continue;
		memset(in, 0, sizeof(*in));
		snprintf(in->uuid, sizeof(in->uuid), "%s", de->d_name);
		snprintf(real, sizeof(real), "%s/mdev_type", path);
		len = readlink(real, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		snprintf(in->type, sizeof(in->type), "%s", basename(link));
		num_nodes[card->num_inst] = inst_dev_nodes(path, nodes[card->num_inst]);
		inst_read_counters(path, in);
		if (in->busy_ns == NO_VALUE)
			card->stats_hidden = true;
		in->utilization = -1;
		card->num_inst++;
	}
	closedir(d);
	find_holders(card, nodes, num_nodes);
	qsort(card->inst, card->num_inst, sizeof(card->inst[0]), inst_cmp);
}

static void card_read_state(struct smi_card *card)
{
	char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/tessera", card->sysfs);
	card->bound = is_dir(dir);
	card->engines = read_u64f("%s/engines", dir);
	card->regions = read_u64f("%s/regions", dir);
	card->contexts = read_u64f("%s/contexts", dir);
	card->contexts_free = read_u64f("%s/contexts_free", dir);
	card->vram_bytes = read_u64f("%s/vram_bytes", dir);
	card->clock_ns = read_u64f("%s/clock_ns", dir);
	card->slice_us = read_u64f("%s/slice_us", dir);
	card->watchdog_ms = read_u64f("%s/watchdog_ms", dir);
	card->preempt = read_u64f("%s/preempt", dir);
	card->policy[0] = '\0';
	if (!read_textf(card->policy, sizeof(card->policy), "%s/policy", dir)) {
		/* "best-effort [equal-share] fixed-share": the bracketed one. */
		char *open = strchr(card->policy, '['), *close = open ? strchr(open, ']') : NULL;

		if (open && close) {
			*close = '\0';
			memmove(card->policy, open + 1, strlen(open + 1) + 1);
		}
	}
	card_read_types(card);
	card_read_instances(card);
}

static int find_cards(struct smi_card *cards, int max)
{
	struct pci_access *pacc = pci_alloc();
	struct pci_dev *dev;
	int n = 0;

	pci_init(pacc);
	pci_scan_bus(pacc);
	for (dev = pacc->devices; dev && n < max; dev = dev->next) {
		struct smi_card *card = &cards[n];
		char path[PATH_MAX];
		const char *drv;

		pci_fill_info(dev, PCI_FILL_IDENT | PCI_FILL_NUMA_NODE | PCI_FILL_DRIVER |
			      PCI_FILL_CAPS);
		if (dev->vendor_id != TESSERA_VENDOR || dev->device_id != TESSERA_CARD_DEVICE)
			continue;
		memset(card, 0, sizeof(*card));
		snprintf(card->address, sizeof(card->address), "%04x:%02x:%02x.%d",
			 dev->domain, dev->bus, dev->dev, dev->func);
		snprintf(path, sizeof(path), SYSFS_PCI "/%s", card->address);
		if (!realpath(path, card->sysfs))
			snprintf(card->sysfs, sizeof(card->sysfs), "%s", path);
		card->vendor = dev->vendor_id;
		card->device = dev->device_id;
		card->numa_node = dev->numa_node;
		drv = pci_get_string_property(dev, PCI_FILL_DRIVER);
		snprintf(card->driver, sizeof(card->driver), "%s", drv ? drv : "");
		card_link(dev, card);
		n++;
	}
	pci_cleanup(pacc);
	return n;
}

/* ---- utilisation ---- */

static struct smi_instance *find_inst(struct smi_card *card, const char *uuid)
{
	int i;

	for (i = 0; i < card->num_inst; i++)
		if (!strcmp(card->inst[i].uuid, uuid))
			return &card->inst[i];
	return NULL;
}

/* Busy time over the card's clock since @before: a share of one engine. */
static void set_utilization(struct smi_card *now, const struct smi_card *before)
{
	int i;

	if (now->clock_ns == NO_VALUE || before->clock_ns == NO_VALUE ||
	    now->clock_ns <= before->clock_ns)
		return;
	for (i = 0; i < before->num_inst; i++) {
		const struct smi_instance *b = &before->inst[i];
		struct smi_instance *n = find_inst(now, b->uuid);

		if (!n || n->busy_ns == NO_VALUE || b->busy_ns == NO_VALUE ||
		    n->busy_ns < b->busy_ns)
			continue;
		n->utilization = 100.0 * (double)(n->busy_ns - b->busy_ns) /
				 (double)(now->clock_ns - before->clock_ns);
	}
}

/* ---- output ---- */

enum smi_format { FMT_TABLE, FMT_JSON, FMT_CSV };
enum smi_view { VIEW_ALL, VIEW_CARDS, VIEW_TYPES, VIEW_INSTANCES };

static void put_u64(char *buf, size_t size, uint64_t v)
{
	if (v == NO_VALUE)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static void put_mib(char *buf, size_t size, uint64_t bytes)
{
	if (bytes == NO_VALUE)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%" PRIu64 "MiB", bytes >> 20);
}

static const char *inst_state(const struct smi_instance *in)
{
	return in->holder ? "in-use" : "idle";
}

/* The instance's device memory: its type's. */
static uint64_t inst_vram_bytes(const struct smi_card *c, const struct smi_instance *in)
{
	int t;

	for (t = 0; t < c->num_types; t++)
		if (!strcmp(c->types[t].id, in->type))
			return c->types[t].vram_bytes;
	return NO_VALUE;
}

static uint64_t inst_pinned_bytes(const struct smi_instance *in)
{
	return in->pinned_pages == NO_VALUE ? NO_VALUE : in->pinned_pages * PAGE_BYTES;
}

static void table_card(const struct smi_card *c)
{
	char vram[32];

	printf("Tessera card %s  [%04x:%04x]  driver %s  NUMA node %d  link %s\n",
	       c->address, c->vendor, c->device, c->driver[0] ? c->driver : "(none)",
	       c->numa_node, c->link);
	if (!c->bound) {
		printf("  tessera.ko is not bound to this card: no figures\n");
		return;
	}
	put_mib(vram, sizeof(vram), c->vram_bytes);
	printf("  engines %" PRIu64 "  regions %" PRIu64 "  contexts %" PRIu64 " (%" PRIu64
	       " free)  device memory %s\n",
	       c->engines, c->regions, c->contexts, c->contexts_free, vram);
	printf("  scheduler %s  slice %" PRIu64 " us  preempt %s  watchdog %" PRIu64 " ms\n",
	       c->policy, c->slice_us, c->preempt == 1 ? "on" : "off", c->watchdog_ms);
}

static void table_types(const struct smi_card *c)
{
	int i;

	printf("  %-16s %-9s %-8s %-6s %-7s %s\n", "TYPE", "AVAIL/MAX", "MEMORY", "WEIGHT",
	       "REGIONS", "FUNCTIONS");
	for (i = 0; i < c->num_types; i++) {
		const struct smi_type *t = &c->types[i];
		char avail[32], mem[32], weight[32], regions[32];

		snprintf(avail, sizeof(avail), "%" PRIu64 "/%" PRIu64, t->available,
			 t->max_instances);
		put_mib(mem, sizeof(mem), t->vram_bytes);
		put_u64(weight, sizeof(weight), t->weight);
		put_u64(regions, sizeof(regions), t->regions);
		printf("  %-16s %-9s %-8s %-6s %-7s %s\n", t->id, avail, mem, weight, regions,
		       t->functions[0] ? t->functions : "-");
	}
}

static void table_instances(const struct smi_card *c)
{
	int i;

	if (!c->num_inst) {
		printf("  no instances\n");
		return;
	}
	printf("  %-36s %-16s %-6s %-22s %-6s %5s %-8s %-8s %6s %7s %7s %8s\n", "UUID", "TYPE",
	       "STATE", "PROCESS", "WEIGHT", "UTIL", "MEMORY", "PINNED", "FAULTS", "REJECTS",
	       "PREEMPT", "IRQS");
	for (i = 0; i < c->num_inst; i++) {
		const struct smi_instance *in = &c->inst[i];
		char proc[NAME_LEN + 16], weight[24], util[16], mem[24], pinned[24];
		char faults[24], rejects[24], preempt[24], irqs[24];
		if (in->holder)
			snprintf(proc, sizeof(proc), "%d/%.15s", (int)in->holder, in->holder_comm);
		else
			snprintf(proc, sizeof(proc), "-");
		put_u64(weight, sizeof(weight), in->weight);
		if (in->utilization < 0)
			snprintf(util, sizeof(util), "-");
		else
			snprintf(util, sizeof(util), "%.0f%%", in->utilization);
		put_mib(mem, sizeof(mem), inst_vram_bytes(c, in));
		put_mib(pinned, sizeof(pinned), inst_pinned_bytes(in));
		put_u64(faults, sizeof(faults), in->faults);
		put_u64(rejects, sizeof(rejects), in->rejects);
		put_u64(preempt, sizeof(preempt), in->preemptions);
		put_u64(irqs, sizeof(irqs), in->interrupts);
		printf("  %-36s %-16s %-6s %-22s %-6s %5s %-8s %-8s %6s %7s %7s %8s\n", in->uuid,
		       in->type, inst_state(in), proc, weight, util, mem, pinned, faults, rejects,
		       preempt, irqs);
	}
	if (c->stats_hidden)
		printf("  (per-instance figures are root only: run as root, or load tessera_mdev with tenant_stats_public=1)\n");
}

static void print_table(const struct smi_card *cards, int n, enum smi_view view)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct smi_card *c = &cards[i];

		if (i)
			printf("\n");
		table_card(c);
		if (!c->bound || view == VIEW_CARDS)
			continue;
		if (view == VIEW_ALL || view == VIEW_TYPES) {
			printf("\n");
			table_types(c);
		}
		if (view == VIEW_ALL || view == VIEW_INSTANCES) {
			printf("\n");
			table_instances(c);
		}
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void json_key_str(const char *ind, const char *key, const char *val, bool last)
{
	printf("%s\"%s\": ", ind, key);
	if (val)
		json_str(val);
	else
		printf("null");
	printf("%s\n", last ? "" : ",");
}

static void json_key_u64(const char *ind, const char *key, uint64_t v, bool last)
{
	if (v == NO_VALUE)
		printf("%s\"%s\": null%s\n", ind, key, last ? "" : ",");
	else
		printf("%s\"%s\": %" PRIu64 "%s\n", ind, key, v, last ? "" : ",");
}

static void json_functions(const char *ind, const char *list)
{
	char copy[TEXT_LEN], *save, *fn;
	bool first = true;

	if (!list[0]) {
		printf("%s\"functions\": null\n", ind);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", list);
	printf("%s\"functions\": [", ind);
	for (fn = strtok_r(copy, ",", &save); fn; fn = strtok_r(NULL, ",", &save)) {
		printf("%s", first ? "" : ", ");
		json_str(fn);
		first = false;
	}
	printf("]\n");
}

static void json_type(const struct smi_type *t, bool last)
{
	const char *ind = "          ";

	printf("        {\n");
	json_key_str(ind, "id", t->id, false);
	json_key_str(ind, "name", t->name, false);
	json_key_str(ind, "description", t->description, false);
	json_key_str(ind, "device_api", t->device_api, false);
	json_key_u64(ind, "available_instances", t->available, false);
	json_key_u64(ind, "max_instances", t->max_instances, false);
	json_key_u64(ind, "vram_bytes", t->vram_bytes, false);
	json_key_u64(ind, "weight", t->weight, false);
	json_key_u64(ind, "regions", t->regions, false);
	json_functions(ind, t->functions);
	printf("        }%s\n", last ? "" : ",");
}

static void json_instance(const struct smi_card *c, const struct smi_instance *in, bool last)
{
	const char *ind = "          ";
	char *end;
	long engine = strtol(in->engine, &end, 10);

	printf("        {\n");
	json_key_str(ind, "uuid", in->uuid, false);
	json_key_str(ind, "type", in->type, false);
	json_key_str(ind, "state", inst_state(in), false);
	if (in->holder) {
		printf("%s\"process\": {\"pid\": %d, \"command\": ", ind, (int)in->holder);
		json_str(in->holder_comm);
		printf("},\n");
	} else {
		printf("%s\"process\": null,\n", ind);
	}
	json_key_str(ind, "policy", c->policy, false);
	json_key_u64(ind, "weight", in->weight, false);
	if (in->utilization < 0)
		printf("%s\"utilization_percent\": null,\n", ind);
	else
		printf("%s\"utilization_percent\": %.1f,\n", ind, in->utilization);
	json_key_u64(ind, "busy_ns", in->busy_ns, false);
	json_key_u64(ind, "vram_bytes", inst_vram_bytes(c, in), false);
	json_key_u64(ind, "pinned_bytes", inst_pinned_bytes(in), false);
	json_key_u64(ind, "faults", in->faults, false);
	json_key_u64(ind, "audit_rejects", in->rejects, false);
	json_key_u64(ind, "preemptions", in->preemptions, false);
	json_key_u64(ind, "interrupts", in->interrupts, false);
	json_key_u64(ind, "context", in->context, false);
	json_key_u64(ind, "engine", in->engine[0] && !*end ? (uint64_t)engine : NO_VALUE, true);
	printf("        }%s\n", last ? "" : ",");
}

static void print_json(const struct smi_card *cards, int n, unsigned int interval_ms)
{
	const char *ind = "      ";
	int i, j;

	printf("{\n  \"schema\": \"%s\",\n  \"interval_ms\": %u,\n  \"cards\": [\n", SMI_SCHEMA,
	       interval_ms);
	for (i = 0; i < n; i++) {
		const struct smi_card *c = &cards[i];
		char id[8];

		printf("    {\n");
		json_key_str(ind, "address", c->address, false);
		snprintf(id, sizeof(id), "%04x", c->vendor);
		json_key_str(ind, "vendor_id", id, false);
		snprintf(id, sizeof(id), "%04x", c->device);
		json_key_str(ind, "device_id", id, false);
		json_key_str(ind, "driver", c->driver[0] ? c->driver : NULL, false);
		printf("%s\"numa_node\": %d,\n", ind, c->numa_node);
		json_key_str(ind, "link", c->link, false);
		printf("%s\"bound\": %s,\n", ind, c->bound ? "true" : "false");
		json_key_u64(ind, "engines", c->engines, false);
		json_key_u64(ind, "regions", c->regions, false);
		json_key_u64(ind, "contexts", c->contexts, false);
		json_key_u64(ind, "contexts_free", c->contexts_free, false);
		json_key_u64(ind, "vram_bytes", c->vram_bytes, false);
		json_key_u64(ind, "clock_ns", c->clock_ns, false);
		printf("%s\"scheduler\": ", ind);
		if (c->bound) {
			printf("{\"policy\": ");
			json_str(c->policy);
			printf(", \"slice_us\": %" PRIu64 ", \"preempt\": %s, \"watchdog_ms\": %" PRIu64
			       "},\n", c->slice_us, c->preempt == 1 ? "true" : "false", c->watchdog_ms);
		} else {
			printf("null,\n");
		}
		printf("%s\"types\": [\n", ind);
		for (j = 0; j < c->num_types; j++)
			json_type(&c->types[j], j == c->num_types - 1);
		printf("%s],\n%s\"instances\": [\n", ind, ind);
		for (j = 0; j < c->num_inst; j++)
			json_instance(c, &c->inst[j], j == c->num_inst - 1);
		printf("%s]\n    }%s\n", ind, i == n - 1 ? "" : ",");
	}
	printf("  ]\n}\n");
}

/* RFC 4180: quote a field that holds a comma, a quote or a line break. */
static void csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void csv_u64(uint64_t v, bool last)
{
	char buf[24];

	if (v == NO_VALUE)
		buf[0] = '\0';
	else
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
	csv_field(buf, last);
}

static void print_csv(const struct smi_card *cards, int n, enum smi_view view)
{
	int i, j;

	if (view == VIEW_CARDS) {
		printf("card,vendor_id,device_id,driver,numa_node,link,engines,regions,contexts,contexts_free,vram_bytes,policy,slice_us,preempt,watchdog_ms\n");
		for (i = 0; i < n; i++) {
			const struct smi_card *c = &cards[i];
			char buf[16];

			csv_field(c->address, false);
			snprintf(buf, sizeof(buf), "%04x", c->vendor);
			csv_field(buf, false);
			snprintf(buf, sizeof(buf), "%04x", c->device);
			csv_field(buf, false);
			csv_field(c->driver, false);
			snprintf(buf, sizeof(buf), "%d", c->numa_node);
			csv_field(buf, false);
			csv_field(c->link, false);
			csv_u64(c->engines, false);
			csv_u64(c->regions, false);
			csv_u64(c->contexts, false);
			csv_u64(c->contexts_free, false);
			csv_u64(c->vram_bytes, false);
			csv_field(c->policy, false);
			csv_u64(c->slice_us, false);
			csv_u64(c->preempt, false);
			csv_u64(c->watchdog_ms, true);
		}
		return;
	}
	if (view == VIEW_TYPES) {
		printf("card,type,name,available_instances,max_instances,vram_bytes,weight,regions,functions\n");
		for (i = 0; i < n; i++)
			for (j = 0; j < cards[i].num_types; j++) {
				const struct smi_type *t = &cards[i].types[j];

				csv_field(cards[i].address, false);
				csv_field(t->id, false);
				csv_field(t->name, false);
				csv_u64(t->available, false);
				csv_u64(t->max_instances, false);
				csv_u64(t->vram_bytes, false);
				csv_u64(t->weight, false);
				csv_u64(t->regions, false);
				csv_field(t->functions, true);
			}
		return;
	}
	printf("card,uuid,type,state,pid,command,policy,weight,utilization_percent,busy_ns,pinned_bytes,faults,audit_rejects,preemptions,interrupts\n");
	for (i = 0; i < n; i++)
		for (j = 0; j < cards[i].num_inst; j++) {
			const struct smi_instance *in = &cards[i].inst[j];
			char buf[32];

			csv_field(cards[i].address, false);
			csv_field(in->uuid, false);
			csv_field(in->type, false);
			csv_field(inst_state(in), false);
			if (in->holder)
				snprintf(buf, sizeof(buf), "%d", (int)in->holder);
			else
				buf[0] = '\0';
			csv_field(buf, false);
			csv_field(in->holder ? in->holder_comm : "", false);
			csv_field(cards[i].policy, false);
			csv_u64(in->weight, false);
			if (in->utilization < 0)
				buf[0] = '\0';
			else
				snprintf(buf, sizeof(buf), "%.1f", in->utilization);
			csv_field(buf, false);
			csv_u64(in->busy_ns, false);
			csv_u64(inst_pinned_bytes(in), false);
			csv_u64(in->faults, false);
			csv_u64(in->rejects, false);
			csv_u64(in->preemptions, false);
			csv_u64(in->interrupts, true);
		}
}

/* ---- command line ---- */

struct smi_opts {
	enum smi_format format;
	enum smi_view view;
	const char *card;		/* -p/--parent, a PCI address */
	const char *type;		/* -t/--type */
	const char *uuid;		/* -u/--uuid */
	const char *weight;		/* -w/--weight (create) */
	double loop_s;			/* -l/--loop */
	long count;			/* -c/--count: refreshes, 0 = until killed */
	unsigned int sample_ms;		/* --sample-ms: one-shot utilisation window */
	bool force;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [list|cards|types|instances] [--json|--csv] [-l SECONDS [-c COUNT]]\n"
		"       %s create -t TYPE [-p CARD] [-u UUID] [-w WEIGHT]   (also: start)\n"
		"       %s remove -u UUID [--force]                       (also: stop)\n"
		"       %s set-weight -u UUID WEIGHT\n"
		"       %s set-policy [-p CARD] best-effort|equal-share|fixed-share\n"
		"       %s set-slice [-p CARD] MICROSECONDS\n"
		"\n"
		"  -p, --parent CARD    a card's PCI address (0000:00:03.0); needed with two cards\n"
		"  -t, --type TYPE      an mdev type: tessera-vgpu-4, or vgpu-4\n"
		"  -u, --uuid UUID      an instance\n"
		"  -l, --loop SECONDS   refresh every SECONDS; utilisation over each interval\n"
		"  -c, --count N        stop after N refreshes (with -l)\n"
		"      --sample-ms MS   one-shot utilisation window (default 200, 0: none)\n"
		"      --json, --csv    machine-readable output (schema " SMI_SCHEMA ")\n"
		"  -h, --help, -V, --version\n"
		"See tessera-smi(8).\n",
		prog, prog, prog, prog, prog, prog);
}

static bool parse_positive(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool valid_uuid(const char *s)
{
	int i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static int errno_exit(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return EXIT_PERMISSION;
	case EINVAL:
	case ERANGE:
		return EXIT_REFUSED;
	case ENOSPC:
		return EXIT_NO_ROOM;
	case EBUSY:
		return EXIT_BUSY;
	case ENOENT:
		return EXIT_NOT_FOUND;
	default:
		return EXIT_SYSTEM;
	}
}

/* Every card, or the one named by -p; errors as messages and an exit status. */
static int load_cards(struct smi_card *cards, int *n, const char *only)
{
	int i, found = find_cards(cards, MAX_CARDS);

	if (!found) {
		err("no Tessera card (PCI %04x:%04x) on this host", TESSERA_VENDOR,
		    TESSERA_CARD_DEVICE);
		return EXIT_NO_CARD;
	}
	if (only) {
		for (i = 0; i < found; i++)
			if (!strcmp(cards[i].address, only) ||
			    !strcmp(cards[i].address + 5, only))
				break;
		if (i == found) {
			err("%s is not a Tessera card (tessera-smi cards lists them)", only);
			return EXIT_NO_CARD;
		}
		if (i)
			cards[0] = cards[i];
		found = 1;
	}
	for (i = 0; i < found; i++)
		card_read_state(&cards[i]);
	*n = found;
	return EXIT_OK;
}

/* The one card a verb acts on: -p, or the only card there is. */
static int pick_card(struct smi_card *cards, const char *only, struct smi_card **out)
{
	int n, ret = load_cards(cards, &n, only);

	if (ret)
		return ret;
	if (n > 1) {
		err("%d Tessera cards: name one with -p (tessera-smi cards lists them)", n);
		return EXIT_USAGE;
	}
	if (!cards[0].bound) {
		err("%s: tessera.ko is not bound to the card (driver: %s)", cards[0].address,
		    cards[0].driver[0] ? cards[0].driver : "none");
		return EXIT_NO_DRIVER;
	}
	*out = &cards[0];
	return EXIT_OK;
}

static int show(const struct smi_opts *o)
{
	static struct smi_card before[MAX_CARDS], now[MAX_CARDS];
	unsigned int interval_ms = o->loop_s > 0 ? (unsigned int)(o->loop_s * 1000) : o->sample_ms;
	long round = 0;
	int n = 0, m, i, ret;

	/* Without a window there is no utilisation to compute: one sample. */
	ret = interval_ms ? load_cards(before, &n, o->card) : 0;
	if (ret)
		return ret;
	for (;;) {
		struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };

		if (interval_ms)
			nanosleep(&ts, NULL);
		ret = load_cards(now, &m, o->card);
		if (ret)
			return ret;
		if (interval_ms)
			for (i = 0; i < m && i < n; i++)
				if (!strcmp(now[i].address, before[i].address))
					set_utilization(&now[i], &before[i]);
		if (o->loop_s > 0 && o->format == FMT_TABLE && isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		if (o->format == FMT_JSON)
			print_json(now, m, interval_ms);
		else if (o->format == FMT_CSV)
			print_csv(now, m, o->view == VIEW_ALL ? VIEW_INSTANCES : o->view);
		else
			print_table(now, m, o->view);
		fflush(stdout);
		if (!(o->loop_s > 0) || (o->count && ++round >= o->count))
			return EXIT_OK;
		if (o->format == FMT_TABLE)
			printf("\n");
		memcpy(before, now, sizeof(now));
		n = m;
	}
}

/* "vgpu-4" or "tessera-vgpu-4" or the type's name file. */
static const struct smi_type *find_type(const struct smi_card *c, const char *want)
{
	int i;

	for (i = 0; i < c->num_types; i++) {
		const struct smi_type *t = &c->types[i];
		const char *dash = strchr(t->id, '-');

		if (!strcmp(t->id, want) || !strcmp(t->name, want) ||
		    (dash && !strcmp(dash + 1, want)))
			return t;
	}
	return NULL;
}

static int write_checked(const char *path, const char *val, const char *what)
{
	int ret = write_text(path, val);

	if (!ret)
		return EXIT_OK;
	if (ret == -EACCES || ret == -EPERM)
		err("%s: permission denied (run as root)", what);
	else
		err("%s: the driver refused '%s': %s", what, val, strerror(-ret));
	return errno_exit(-ret);
}

static int do_create(const struct smi_opts *o)
{
	static struct smi_card cards[MAX_CARDS];
	const struct smi_type *t;
	struct smi_card *card;
	char uuid[40], path[PATH_MAX + 128];
	unsigned long weight = 0;
	int ret;

	if (!o->type) {
		err("create: which type? -t TYPE (tessera-smi types lists them)");
		return EXIT_USAGE;
	}
	if (o->uuid && !valid_uuid(o->uuid)) {
		err("create: '%s' is not a UUID (8-4-4-4-12 hex digits)", o->uuid);
		return EXIT_USAGE;
	}
	if (o->weight && (!parse_uint(o->weight, UINT32_MAX, &weight) || !weight)) {
		err("create: weight '%s' is not a positive integer", o->weight);
		return EXIT_USAGE;
	}
	ret = pick_card(cards, o->card, &card);
	if (ret)
		return ret;
	t = find_type(card, o->type);
	if (!t) {
		err("create: %s has no type '%s' (tessera-smi types lists them)", card->address,
		    o->type);
		return EXIT_NOT_FOUND;
	}
	if (t->available == 0) {
		err("create: %s has no room for another %s (0 available of %" PRIu64 ")",
		    card->address, t->id, t->max_instances);
		return EXIT_NO_ROOM;
	}
	if (o->uuid) {
		snprintf(uuid, sizeof(uuid), "%s", o->uuid);
	} else if (read_text("/proc/sys/kernel/random/uuid", uuid, sizeof(uuid))) {
		err("create: cannot make a UUID: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	snprintf(path, sizeof(path), "%s/mdev_supported_types/%s/create", card->sysfs, t->id);
	ret = write_text(path, uuid);
	if (ret) {
		if (ret == -EACCES || ret == -EPERM)
			err("create: permission denied (run as root)");
		else if (ret == -EEXIST)
			err("create: an instance %s exists already", uuid);
		else
			err("create: the driver refused a %s instance: %s", t->id, strerror(-ret));
		return ret == -EEXIST ? EXIT_REFUSED : errno_exit(-ret);
	}
	if (o->weight) {
		snprintf(path, sizeof(path), SYSFS_MDEV "/%s/tessera/weight", uuid);
		ret = write_checked(path, o->weight, "create: weight");
		if (ret) {
			/* An instance without the weight asked for is not what was asked. */
			snprintf(path, sizeof(path), SYSFS_MDEV "/%s/remove", uuid);
			write_text(path, "1");
			return ret;
		}
	}
	printf("%s\n", uuid);
	return EXIT_OK;
}

/* The instance named by -u on any card; its card's state loaded. */
static int find_instance(const char *verb, const char *uuid, struct smi_card *cards,
			 struct smi_instance **out)
{
	int n, i, ret;

	if (!uuid) {
		err("%s: which instance? -u UUID (tessera-smi instances lists them)", verb);
		return EXIT_USAGE;
	}
	if (!valid_uuid(uuid)) {
		err("%s: '%s' is not a UUID (8-4-4-4-12 hex digits)", verb, uuid);
		return EXIT_USAGE;
	}
	ret = load_cards(cards, &n, NULL);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		struct smi_instance *in = find_inst(&cards[i], uuid);

		if (in) {
			*out = in;
			return EXIT_OK;
		}
	}
	err("%s: no Tessera instance %s", verb, uuid);
	return EXIT_NOT_FOUND;
}

static int do_remove(const struct smi_opts *o)
{
	static struct smi_card cards[MAX_CARDS];
	struct smi_instance *in;
	char path[PATH_MAX];
	int ret = find_instance("remove", o->uuid, cards, &in);

	if (ret)
		return ret;
	/* The kernel would ask the holder to let go and wait: refuse instead. */
	if (in->holder && !o->force) {
		err("remove: %s is held by process %d (%s): stop it first, or --force to ask it to release the device",
		    in->uuid, (int)in->holder, in->holder_comm);
		return EXIT_BUSY;
	}
	snprintf(path, sizeof(path), SYSFS_MDEV "/%s/remove", in->uuid);
	return write_checked(path, "1", "remove");
}

static int do_set_weight(const struct smi_opts *o, const char *value)
{
	static struct smi_card cards[MAX_CARDS];
	struct smi_instance *in;
	char path[PATH_MAX];
	unsigned long w;
	int ret;

	if (!value || !parse_uint(value, UINT32_MAX, &w) || !w) {
		err("set-weight: want a positive integer weight, got '%s'", value ? value : "");
		return EXIT_USAGE;
	}
	ret = find_instance("set-weight", o->uuid, cards, &in);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), SYSFS_MDEV "/%s/tessera/weight", in->uuid);
	ret = write_checked(path, value, "set-weight");
	if (ret == EXIT_REFUSED)
		err("set-weight: weights are 1..64 (Documentation/scheduling.rst)");
	return ret;
}

static int do_set_card(const struct smi_opts *o, const char *verb, const char *file,
		       const char *value)
{
	static struct smi_card cards[MAX_CARDS];
	struct smi_card *card;
	char path[PATH_MAX + 32], what[64];
	unsigned long us;
	int ret;

	if (!value) {
		err("%s: which value? (tessera-smi --help)", verb);
		return EXIT_USAGE;
	}
	if (!strcmp(file, "slice_us") && !parse_uint(value, UINT32_MAX, &us)) {
		err("set-slice: '%s' is not a number of microseconds", value);
		return EXIT_USAGE;
	}
	if (!strcmp(file, "policy") && strcmp(value, "best-effort") &&
	    strcmp(value, "equal-share") && strcmp(value, "fixed-share")) {
		err("set-policy: '%s' is not best-effort, equal-share or fixed-share", value);
		return EXIT_USAGE;
	}
	ret = pick_card(cards, o->card, &card);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/tessera/%s", card->sysfs, file);
	snprintf(what, sizeof(what), "%s %s", verb, card->address);
	ret = write_checked(path, value, what);
	if (ret == EXIT_REFUSED && !strcmp(file, "slice_us"))
		err("set-slice: slices are 50..100000 microseconds");
	return ret;
}

int main(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_CSV, OPT_SAMPLE, OPT_FORCE };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "loop", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "sample-ms", required_argument, NULL, OPT_SAMPLE },
		{ "parent", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "uuid", required_argument, NULL, 'u' },
		{ "weight", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct smi_opts o = { .format = FMT_TABLE, .view = VIEW_ALL, .sample_ms = 200 };
	const char *positional[2], *verb, *value;
	unsigned long ul;
	int c, npos = 0;

	/* Options may come before or after the verb, as mdevctl takes them. */
	for (;;) {
		c = getopt_long(argc, argv, "+l:c:p:t:u:w:hV", longopts, NULL);
		if (c == -1) {
			if (optind >= argc)
				break;
			if (npos == 2) {
				err("unexpected argument '%s'", argv[optind]);
				return EXIT_USAGE;
			}
			positional[npos++] = argv[optind++];
			continue;
		}
		switch (c) {
		case OPT_JSON:
			o.format = FMT_JSON;
			break;
		case OPT_CSV:
			o.format = FMT_CSV;
			break;
		case 'l':
			if (!parse_positive(optarg, 86400, &o.loop_s)) {
				err("-l: want a number of seconds above 0 (up to 86400), got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			if (!parse_uint(optarg, LONG_MAX, &ul) || !ul) {
				err("-c: want a positive count, got '%s'", optarg);
				return EXIT_USAGE;
			}
			o.count = (long)ul;
			break;
		case OPT_SAMPLE:
			if (!parse_uint(optarg, 60000, &ul)) {
				err("--sample-ms: want 0..60000, got '%s'", optarg);
				return EXIT_USAGE;
			}
			o.sample_ms = (unsigned int)ul;
			break;
		case 'p':
			o.card = optarg;
			break;
		case 't':
			o.type = optarg;
			break;
		case 'u':
			o.uuid = optarg;
			break;
		case 'w':
			o.weight = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("tessera-smi %s (libpci %d.%d.%d, schema %s)\n", SMI_VERSION,
			       PCI_LIB_VERSION >> 16, (PCI_LIB_VERSION >> 8) & 0xff,
			       PCI_LIB_VERSION & 0xff, SMI_SCHEMA);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	verb = npos ? positional[0] : "list";
	value = npos > 1 ? positional[1] : NULL;
	if (o.count && !(o.loop_s > 0)) {
		err("-c counts refreshes of -l SECONDS: give -l too");
		return EXIT_USAGE;
	}
	if (!strcmp(verb, "list") || !strcmp(verb, "cards") || !strcmp(verb, "types") ||
	    !strcmp(verb, "instances")) {
		if (value) {
			err("%s takes no argument, got '%s'", verb, value);
			return EXIT_USAGE;
		}
		o.view = !strcmp(verb, "cards") ? VIEW_CARDS : !strcmp(verb, "types") ? VIEW_TYPES :
			 !strcmp(verb, "instances") ? VIEW_INSTANCES : VIEW_ALL;
		return show(&o);
	}
	if (o.loop_s > 0 || o.format != FMT_TABLE) {
		err("%s: -l, --json and --csv go with list, cards, types and instances", verb);
		return EXIT_USAGE;
	}
	if (!strcmp(verb, "create") || !strcmp(verb, "start")) {
		if (value) {
			err("%s: unexpected argument '%s' (the type goes with -t)", verb, value);
			return EXIT_USAGE;
		}
		return do_create(&o);
	}
	if (!strcmp(verb, "remove") || !strcmp(verb, "stop")) {
		if (value && !o.uuid)
			o.uuid = value;
		else if (value) {
			err("%s: unexpected argument '%s'", verb, value);
			return EXIT_USAGE;
		}
		return do_remove(&o);
	}
	if (!strcmp(verb, "set-weight"))
		return do_set_weight(&o, value);
	if (!strcmp(verb, "set-policy"))
		return do_set_card(&o, verb, "policy", value);
	if (!strcmp(verb, "set-slice"))
		return do_set_card(&o, verb, "slice_us", value);
	err("unknown command '%s' (tessera-smi --help)", verb);
	return EXIT_USAGE;
}
