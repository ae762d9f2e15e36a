// SPDX-License-Identifier: GPL-2.0
/*
 * bar2-poke: runs as init's helper inside the nested guest, where the vGPU
 * instance is an ordinary PCI device that QEMU's vfio-pci put there. No
 * driver: it uses the PCI core's sysfs files as a guest user would.
 *
 *   bar2-poke SEED BYTES
 *
 * 1. finds 1234:7e51, enables it, maps resource0 (the trapped register
 *    file) and checks VF_MAGIC and VF_VRAM_SIZE;
 * 2. maps resource2 (the device-memory slice, passed straight through) and
 *    writes BYTES of the pattern word i = SEED ^ (i * 0x9e3779b9), then
 *    reads it back;
 * 3. runs a FILL and a FENCE from a ring in its own RAM (physical addresses
 *    from /proc/self/pagemap: the guest-physical address is the IOVA QEMU
 *    mapped), the whole mediated DMA path from a real guest.
 *
 * Each step prints one "TESSERA-NESTED <step> ok|FAIL ..." line.
 * Static, so that the initramfs needs no libraries for it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tessera_hw.h"

#define MARK "TESSERA-NESTED"

static char devdir[512];

static int read_hex(const char *path, unsigned long *val)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*val = strtoul(buf, NULL, 16);
	return 0;
}

static int find_device(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	char path[600];
	unsigned long vendor, device;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		if (read_hex(path, &vendor) || vendor != TESSERA_PCI_VENDOR_ID)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", de->d_name);
		if (read_hex(path, &device) || device != TESSERA_PCI_DEVICE_VGPU)
			continue;
		snprintf(devdir, sizeof(devdir), "/sys/bus/pci/devices/%s", de->d_name);
		closedir(d);
		return 0;
	}
	closedir(d);
	return -1;
}

static void *map_resource(int n, size_t len)
{
	char path[600];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/resource%d", devdir, n);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static volatile uint32_t *regs;

static uint32_t rd(uint32_t off)
{
	return regs[off / 4];
}

static void wr(uint32_t off, uint32_t val)
{
	regs[off / 4] = val;
}

/* Guest-physical address of the page holding @va (root only). */
static uint64_t phys_of(void *va)
{
	uint64_t entry = 0;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, 8, ((uintptr_t)va / page) * 8) != 8)
		entry = 0;
	close(fd);
	if (!(entry & (1ull << 63)))
		return 0;
	return (entry & ((1ull << 55) - 1)) * page + (uintptr_t)va % page;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static int ring_test(uint64_t vram_size)
{
	const uint32_t pattern = 0x5ca1ab1e;
	struct tessera_cmd *ring;
	uint32_t *data;
	uint64_t ring_pa, data_pa, deadline, fence;
	unsigned int i;
	void *mem;

	mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		printf(MARK " ring FAIL cannot allocate locked memory: %s\n", strerror(errno));
		return 1;
	}
	ring = mem;
	data = (uint32_t *)((char *)mem + 4096);
	memset(mem, 0, 2 * 4096);
	ring_pa = phys_of(ring);
	data_pa = phys_of(data);
	if (!ring_pa || !data_pa) {
		printf(MARK " ring FAIL no physical address from /proc/self/pagemap\n");
		return 1;
	}

	ring[0].opcode = TESSERA_OP_FILL;
	ring[0].param = pattern;
	ring[0].arg[0] = data_pa;
	ring[0].arg[1] = 4096;
	ring[1].opcode = TESSERA_OP_COPY;
	ring[1].arg[0] = TESSERA_DVA_VRAM_BASE + vram_size - 4096;
	ring[1].arg[1] = data_pa;
	ring[1].arg[2] = 4096;
	ring[2].opcode = TESSERA_OP_FENCE;
	ring[2].arg[1] = 0x600dcafe;
	__sync_synchronize();

	wr(TESSERA_VF_RING_BASE_LO, (uint32_t)ring_pa);
	wr(TESSERA_VF_RING_BASE_HI, ring_pa >> 32);
	wr(TESSERA_VF_RING_SIZE, 64);
	if (!(rd(TESSERA_VF_STATUS) & TESSERA_VF_STATUS_ENABLED)) {
		printf(MARK " ring FAIL ring at 0x%llx not enabled (status 0x%x)\n",
		       (unsigned long long)ring_pa, rd(TESSERA_VF_STATUS));
		return 1;
	}
	wr(TESSERA_VF_RING_TAIL, 3);
	deadline = now_ms() + 60000;
	do {
		fence = rd(TESSERA_VF_FENCE_LO) | (uint64_t)rd(TESSERA_VF_FENCE_HI) << 32;
		if (rd(TESSERA_VF_STATUS) & TESSERA_VF_STATUS_FAULTED) {
			printf(MARK " ring FAIL faulted: code 0x%x index %u addr 0x%x%08x\n",
			       rd(TESSERA_VF_FAULT_CODE), rd(TESSERA_VF_FAULT_INDEX),
			       rd(TESSERA_VF_FAULT_ADDR_HI), rd(TESSERA_VF_FAULT_ADDR_LO));
			return 1;
		}
		if (fence == 0x600dcafe)
			break;
		usleep(1000);
	} while (now_ms() < deadline);
	if (fence != 0x600dcafe) {
		printf(MARK " ring FAIL fence not seen in 60 s (status 0x%x head %u)\n",
		       rd(TESSERA_VF_STATUS), rd(TESSERA_VF_RING_HEAD));
		return 1;
	}
	for (i = 0; i < 1024; i++) {
		if (data[i] != pattern) {
			printf(MARK " ring FAIL guest RAM word %u = 0x%08x after FILL\n", i, data[i]);
			return 1;
		}
	}
	printf(MARK " ring ok FILL into guest RAM at 0x%llx, COPY to VRAM, FENCE (ring at 0x%llx)\n",
	       (unsigned long long)data_pa, (unsigned long long)ring_pa);
	return 0;
}

int main(int argc, char **argv)
{
	volatile uint32_t *vram;
	uint64_t vram_size, bytes, i;
	uint32_t seed, magic;
	int bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s SEED BYTES\n", argv[0]);
		return 2;
	}
	seed = strtoul(argv[1], NULL, 0);
	bytes = strtoull(argv[2], NULL, 0);

	if (find_device()) {
		printf(MARK " device FAIL no %04x:%04x on the guest's PCI bus\n",
		       TESSERA_PCI_VENDOR_ID, TESSERA_PCI_DEVICE_VGPU);
		return 1;
	}
	printf(MARK " device ok %s\n", devdir);
	{
		char path[600];
		int fd;

		snprintf(path, sizeof(path), "%s/enable", devdir);
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) != 1)
				printf(MARK " note: enabling the device failed: %s\n", strerror(errno));
			close(fd);
		}
	}

	regs = map_resource(0, TESSERA_VF_BAR0_SIZE);
	if (!regs) {
		printf(MARK " bar0 FAIL cannot map resource0: %s\n", strerror(errno));
		return 1;
	}
	magic = rd(TESSERA_VF_MAGIC);
	vram_size = rd(TESSERA_VF_VRAM_SIZE_LO) | (uint64_t)rd(TESSERA_VF_VRAM_SIZE_HI) << 32;
	if (magic != TESSERA_MAGIC || !vram_size) {
		printf(MARK " bar0 FAIL magic 0x%08x vram size %llu\n", magic,
		       (unsigned long long)vram_size);
		return 1;
	}
	printf(MARK " bar0 ok magic 0x%08x version 0x%08x vram %llu bytes weight %u\n", magic,
	       rd(TESSERA_VF_VERSION), (unsigned long long)vram_size, rd(TESSERA_VF_WEIGHT));

	if (bytes > vram_size - 4096)
		bytes = vram_size - 4096;
	vram = map_resource(2, vram_size);
	if (!vram) {
		printf(MARK " bar2 FAIL cannot map resource2 (%llu bytes): %s\n",
		       (unsigned long long)vram_size, strerror(errno));
		return 1;
	}
	for (i = 0; i < bytes / 4; i++)
		vram[i] = seed ^ (uint32_t)(i * 0x9e3779b9u);
	for (i = 0; i < bytes / 4; i++)
		bad += vram[i] != (seed ^ (uint32_t)(i * 0x9e3779b9u));
	if (bad) {
		printf(MARK " bar2 FAIL %d words read back wrong\n", bad);
		return 1;
	}
	printf(MARK " bar2 ok wrote and read back %llu bytes, seed 0x%08x\n",
	       (unsigned long long)bytes, seed);

	return ring_test(vram_size);
}
