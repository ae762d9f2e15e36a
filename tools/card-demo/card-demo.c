// SPDX-License-Identifier: GPL-2.0
/*
 * card-demo: drive a Tessera card directly from userspace, with no kernel
 * driver bound, to show the card works end to end: find it in sysfs by its
 * PCI ids, enable it, map its registers (BAR0) and device memory (BAR2),
 * put a command ring and the matrices in device memory (context 0 uses
 * only its VRAM window, MMU root 0), run an fp32 GEMM on engine 0, and
 * check the product against a CPU reference.
 *
 * Run as root in the test host: ./card-demo [-d 0000:00:04.0] [-n 256]
 * [-t timeout-seconds]. Exit status 0 when the relative error is < 1e-4.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tessera_hw.h"

#define SYSFS_PCI	"/sys/bus/pci/devices"
#define RING_ENTRIES	64
#define DEMO_CTX	0
#define DEMO_ENGINE	0
#define FENCE_VALUE	0x7e50c0deull

/* Device-memory layout of the demo, offsets in BAR2 (window base 0). */
#define VRAM_RING	0x0
#define VRAM_FENCE	0x8000
#define VRAM_A		0x100000ull

struct card {
	char bdf[256];
	volatile uint32_t *regs;
	size_t regs_len;
	uint8_t *vram;
	size_t vram_len;
};

static int read_hex(const char *dir, const char *name, unsigned long *val)
{
	char path[512], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", SYSFS_PCI, dir, name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*val = strtoul(buf, NULL, 16);
	return 0;
}

static int find_card(struct card *c, const char *want)
{
	struct dirent *de;
	DIR *d = opendir(SYSFS_PCI);

	if (!d) {
		perror(SYSFS_PCI);
		return -1;
	}
	while ((de = readdir(d))) {
		unsigned long vendor, device;

		if (de->d_name[0] == '.')
			continue;
		if (want && strcmp(want, de->d_name))
			continue;
		if (read_hex(de->d_name, "vendor", &vendor) ||
		    read_hex(de->d_name, "device", &device))
			continue;
		if (vendor == TESSERA_PCI_VENDOR_ID &&
		    device == TESSERA_PCI_DEVICE_CARD) {
			snprintf(c->bdf, sizeof(c->bdf), "%s", de->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	fprintf(stderr, "card-demo: no Tessera card (%04x:%04x) found%s%s\n",
		TESSERA_PCI_VENDOR_ID, TESSERA_PCI_DEVICE_CARD,
		want ? " at " : "", want ? want : "");
	return -1;
}

static int write_sysfs(const char *bdf, const char *name, const char *val)
{
	char path[512];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", SYSFS_PCI, bdf, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void *map_bar(const char *bdf, int bar, size_t *len)
{
	char path[512];
	struct stat st;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/resource%d", SYSFS_PCI, bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		return NULL;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	*len = st.st_size;
	return p;
}

static uint32_t rd(struct card *c, uint32_t off)
{
	return c->regs[off / 4];
}

static void wr(struct card *c, uint32_t off, uint32_t val)
{
	c->regs[off / 4] = val;
}

static void wr64(struct card *c, uint32_t lo, uint64_t val)
{
	wr(c, lo, (uint32_t)val);
	wr(c, lo + 4, val >> 32);
}

static uint64_t rd64(struct card *c, uint32_t lo)
{
	uint64_t l = rd(c, lo);

	return l | (uint64_t)rd(c, lo + 4) << 32;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put_cmd(struct card *c, unsigned idx, const struct tessera_cmd *cmd)
{
	memcpy(c->vram + VRAM_RING + idx * TESSERA_CMD_SIZE, cmd, sizeof(*cmd));
}

int main(int argc, char **argv)
{
	const char *want = NULL;
	unsigned n = 256, i, j, l;
	double timeout = 120, deadline, max_err = 0, max_ref = 0;
	uint64_t off_b, off_c, bytes, busy, fence;
	float *a, *b, *out;
	struct card c = { 0 };
	uint32_t status;
	int opt;

	while ((opt = getopt(argc, argv, "d:n:t:h")) != -1) {
		switch (opt) {
		case 'd':
			want = optarg;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 't':
			timeout = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: %s [-d bdf] [-n size] [-t seconds]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 1 || n > 1024) {
		fprintf(stderr, "card-demo: -n must be 1..1024\n");
		return 2;
	}
	if (find_card(&c, want))
		return 1;
	if (write_sysfs(c.bdf, "enable", "1"))
		fprintf(stderr, "card-demo: could not enable %s (continuing)\n",
			c.bdf);
	c.regs = map_bar(c.bdf, TESSERA_BAR_REGS, &c.regs_len);
	c.vram = map_bar(c.bdf, TESSERA_BAR_VRAM, &c.vram_len);
	if (!c.regs || !c.vram)
		return 1;
	if (rd(&c, TESSERA_REG_MAGIC) != TESSERA_MAGIC) {
		fprintf(stderr, "card-demo: bad magic 0x%08x at %s\n",
			rd(&c, TESSERA_REG_MAGIC), c.bdf);
		return 1;
	}
	bytes = (uint64_t)n * n * 4;
	off_b = VRAM_A + ((bytes + 0xfff) & ~0xfffull);
	off_c = off_b + ((bytes + 0xfff) & ~0xfffull);
	if (off_c + bytes > c.vram_len) {
		fprintf(stderr, "card-demo: %zu bytes of VRAM are too few\n",
			c.vram_len);
		return 1;
	}
	printf("card %s: %u contexts, %u engines, %u regions, %zu MiB VRAM\n",
	       c.bdf, rd(&c, TESSERA_REG_NUM_CONTEXTS),
	       rd(&c, TESSERA_REG_NUM_ENGINES), rd(&c, TESSERA_REG_NUM_REGIONS),
	       c.vram_len >> 20);

	a = malloc(bytes);
	b = malloc(bytes);
	out = malloc(bytes);
	if (!a || !b || !out)
		return 1;
	srand(1);
	for (i = 0; i < n * n; i++) {
		a[i] = (float)rand() / RAND_MAX * 2 - 1;
		b[i] = (float)rand() / RAND_MAX * 2 - 1;
	}
	memcpy(c.vram + VRAM_A, a, bytes);
	memcpy(c.vram + off_b, b, bytes);
	memset(c.vram + off_c, 0, bytes);
	memset(c.vram + VRAM_FENCE, 0, 8);

	/* Context 0: fresh, window over all of BAR2, no page tables. */
	wr(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_RESET), 1);
	wr(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_CONFIG), 0);
	wr64(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_MMU_ROOT_LO), 0);
	wr64(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_VRAM_BASE_LO), 0);
	wr64(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_VRAM_SIZE_LO), c.vram_len);
	wr64(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_RING_BASE_LO),
	     TESSERA_DVA_VRAM_BASE + VRAM_RING);
	wr(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_RING_SIZE), RING_ENTRIES);
	wr(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_CONFIG),
	   TESSERA_CTX_CFG_ENABLE);

	put_cmd(&c, 0, &(struct tessera_cmd) {
		.opcode = TESSERA_OP_GEMM,
		.arg = { TESSERA_DVA_VRAM_BASE + VRAM_A,
			 TESSERA_DVA_VRAM_BASE + off_b,
			 TESSERA_DVA_VRAM_BASE + off_c, n, n, n },
	});
	put_cmd(&c, 1, &(struct tessera_cmd) {
		.opcode = TESSERA_OP_FENCE,
		.arg = { TESSERA_DVA_VRAM_BASE + VRAM_FENCE, FENCE_VALUE },
	});
	__sync_synchronize();
	wr(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_RING_TAIL), 2);
	wr(&c, TESSERA_ENGINE_REG(DEMO_ENGINE, TESSERA_ENG_SUBMIT), DEMO_CTX);

	deadline = now_s() + timeout;
	for (;;) {
		status = rd(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_STATUS));
		if (status & TESSERA_CTX_STATUS_FAULTED) {
			fprintf(stderr,
				"card-demo: context faulted: code %u addr 0x%llx index %u\n",
				rd(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_FAULT_CODE)),
				(unsigned long long)rd64(&c, TESSERA_CTX_REG(DEMO_CTX,
							TESSERA_CTX_FAULT_ADDR_LO)),
				rd(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_FAULT_INDEX)));
			return 1;
		}
		if (rd64(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_FENCE_LO)) ==
		    FENCE_VALUE)
			break;
		if (now_s() > deadline) {
			fprintf(stderr, "card-demo: no fence after %.0f s (status 0x%x)\n",
				timeout, status);
			return 1;
		}
		usleep(1000);
	}

	memcpy(out, c.vram + off_c, bytes);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			double ref = 0;

			for (l = 0; l < n; l++)
				ref += (double)a[i * n + l] * b[l * n + j];
			if (fabs(ref - out[i * n + j]) > max_err)
				max_err = fabs(ref - out[i * n + j]);
			if (fabs(ref) > max_ref)
				max_ref = fabs(ref);
		}
	}
	max_err = max_ref ? max_err / max_ref : max_err;
	busy = rd64(&c, TESSERA_CTX_REG(DEMO_CTX, TESSERA_CTX_BUSY_NS_LO));
	memcpy(&fence, c.vram + VRAM_FENCE, sizeof(fence));
	printf("GEMM %ux%u fp32 on engine %d: max relative error %.3g, "
	       "context busy %llu ns, fence 0x%llx in VRAM\n", n, n, DEMO_ENGINE,
	       max_err, (unsigned long long)busy, (unsigned long long)fence);
	wr(&c, TESSERA_ENGINE_REG(DEMO_ENGINE, TESSERA_ENG_SUBMIT),
	   TESSERA_CTX_NONE);
	return max_err < 1e-4 ? 0 : 1;
}
