// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera VFIO selftest helpers: the sequence of VFIO calls QEMU's vfio-pci
 * makes for an mdev (open container, check the type1 extension, attach the
 * group, set the IOMMU model, get the device fd, read region infos, map guest
 * memory, wire eventfds), wrapped so that each failure names its step.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

static int diag(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("# tsr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	return err ? -err : -EIO;
}

size_t tsr_count_not_u64(const volatile void *p, size_t len, uint64_t want)
{
	const volatile uint64_t *w = p;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		bad += w[i] != want;
	return bad;
}

size_t tsr_count_not_byte(const volatile void *p, size_t len, uint8_t want)
{
	const volatile uint8_t *b = p;
	size_t head = (8 - ((uintptr_t)p & 7)) & 7, i, bad = 0;

	if (head > len)
		head = len;
	for (i = 0; i < head; i++)
		bad += b[i] != want;
	bad += tsr_count_not_u64(b + head, (len - head) & ~7ul, want * 0x0101010101010101ull);
	for (i = head + ((len - head) & ~7ul); i < len; i++)
		bad += b[i] != want;
	return bad;
}

void tsr_log_first_diff(const char *what, const volatile void *p, size_t len, uint8_t want)
{
	const volatile uint8_t *b = p;
	size_t i, first = len, last = 0, bad = 0;

	for (i = 0; i < len; i++) {
		if (b[i] == want)
			continue;
		if (first == len)
			first = i;
		last = i;
		bad++;
	}
	if (!bad)
		return;
	fprintf(stderr, "# tsr: %s: %zu of %zu bytes differ from 0x%02x, first at +0x%zx (0x%02x), last at +0x%zx (0x%02x)\n",
		what, bad, len, want, first, b[first], last, b[last]);
}

uint64_t tsr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tsr_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return diag(errno, "open %s", path);
	n = write(fd, val, len);
	if (n != (ssize_t)len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return diag(err, "write '%s' to %s", val, path);
	}
	close(fd);
	return 0;
}

int tsr_sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

long long tsr_inst_stat(struct tsr_instance *inst, const char *name)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/%s", inst->uuid, name);
	if (tsr_sysfs_read(path, buf, sizeof(buf))) {
		fprintf(stderr, "# cannot read %s\n", path);
		return -1;
	}
	return strtoll(buf, NULL, 0);
}

int tsr_uuid(char *out, size_t len)
{
	return tsr_sysfs_read("/proc/sys/kernel/random/uuid", out, len);
}

/*
 * The card is the mdev parent that offers the tessera-vgpu-1 type;
 * TESSERA_PARENT names it explicitly when a host has several.
 */
int tsr_find_parent(char *out, size_t len)
{
	const char *env = getenv("TESSERA_PARENT");
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return 0;
	}
	dir = opendir("/sys/class/mdev_bus");
	if (!dir)
		return diag(errno, "no /sys/class/mdev_bus (is tessera.ko loaded?)");
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path),
			 "/sys/class/mdev_bus/%s/mdev_supported_types/tessera-vgpu-1",
			 de->d_name);
		if (stat(path, &st) == 0) {
			snprintf(out, len, "%s", de->d_name);
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return diag(ENODEV, "no mdev parent offers tessera-vgpu-1");
}

int tsr_type_available(const char *parent, const char *type, long *avail)
{
	char path[PATH_MAX], buf[64];
	int ret;

	snprintf(path, sizeof(path),
		 "/sys/class/mdev_bus/%s/mdev_supported_types/%s/available_instances",
		 parent, type);
	ret = tsr_sysfs_read(path, buf, sizeof(buf));
	if (ret)
		return diag(-ret, "read %s", path);
	*avail = strtol(buf, NULL, 10);
	return 0;
}

int tsr_instance_create(struct tsr_instance *inst, const char *type)
{
	char path[PATH_MAX];
	int ret;

	memset(inst, 0, sizeof(*inst));
	inst->container_fd = -1;
	inst->group_fd = -1;
	inst->device_fd = -1;
	snprintf(inst->type, sizeof(inst->type), "%s", type);
	ret = tsr_find_parent(inst->parent, sizeof(inst->parent));
	if (ret)
		return ret;
	ret = tsr_uuid(inst->uuid, sizeof(inst->uuid));
	if (ret)
		return diag(-ret, "uuid");
	snprintf(path, sizeof(path),
		 "/sys/class/mdev_bus/%s/mdev_supported_types/%s/create",
		 inst->parent, type);
	ret = tsr_sysfs_write(path, inst->uuid);
	if (ret)
		return ret;
	inst->created = true;
	return 0;
}

int tsr_instance_remove(struct tsr_instance *inst)
{
	char path[PATH_MAX];
	int ret;

	if (!inst->created)
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", inst->uuid);
	ret = tsr_sysfs_write(path, "1");
	if (!ret)
		inst->created = false;
	return ret;
}

static int read_region_infos(struct tsr_instance *inst)
{
	unsigned int i;

	for (i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_region_info *ri = &inst->region[i];

		memset(ri, 0, sizeof(*ri));
		ri->argsz = sizeof(*ri);
		ri->index = i;
		if (ioctl(inst->device_fd, VFIO_DEVICE_GET_REGION_INFO, ri)) {
			/* an absent region is legal: VGA, ROM, I/O BARs */
			if (errno != EINVAL)
				return diag(errno, "GET_REGION_INFO %u", i);
			memset(ri, 0, sizeof(*ri));
		}
	}
	return 0;
}

/*
 * iommufd and the VFIO device cdev (6.6+): the build machine's uAPI headers
 * predate them, so the few structures are spelled out from the kernel's
 * include/uapi/linux/iommufd.h and vfio.h.
 */
#define TSR_IOMMUFD_TYPE		';'
#define TSR_IOMMU_IOAS_ALLOC		_IO(TSR_IOMMUFD_TYPE, 0x81)
#define TSR_IOMMU_IOAS_MAP		_IO(TSR_IOMMUFD_TYPE, 0x85)
#define TSR_IOMMU_IOAS_UNMAP		_IO(TSR_IOMMUFD_TYPE, 0x86)
#define TSR_IOMMU_IOAS_MAP_FIXED_IOVA	(1 << 0)
#define TSR_IOMMU_IOAS_MAP_WRITEABLE	(1 << 1)
#define TSR_IOMMU_IOAS_MAP_READABLE	(1 << 2)
#define TSR_VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)
#define TSR_VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct tsr_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};

struct tsr_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t reserved;
	uint64_t user_va;
	uint64_t length;
	uint64_t iova;
};

struct tsr_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	uint64_t iova;
	uint64_t length;
};

struct tsr_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
};

struct tsr_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
};

void (*tsr_open_hook)(bool after);

/* An ioctl of tsr_instance_open() that runs the driver's open_device. */
static int open_hook_ioctl(int fd, unsigned long request, void *arg)
{
	int ret, err;

	if (tsr_open_hook)
		tsr_open_hook(false);
	ret = ioctl(fd, request, arg);
	err = errno;
	if (tsr_open_hook)
		tsr_open_hook(true);
	errno = err;
	return ret;
}

/* The instance's /dev/vfio/devices/vfioN, bound to a fresh iommufd IOAS. */
static int open_iommufd(struct tsr_instance *inst)
{
	struct tsr_iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct tsr_vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct tsr_vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vfio-dev", inst->uuid);
	dir = opendir(path);
	if (!dir)
		return diag(errno, "opendir %s (no VFIO device cdev)", path);
	path[0] = '\0';
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
	closedir(dir);
	if (!path[0])
		return diag(ENOENT, "no vfioN under /sys/bus/mdev/devices/%s/vfio-dev", inst->uuid);

	inst->container_fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (inst->container_fd < 0)
		return diag(errno, "open /dev/iommu");
	if (ioctl(inst->container_fd, TSR_IOMMU_IOAS_ALLOC, &alloc))
		return diag(errno, "IOMMU_IOAS_ALLOC");
	inst->ioas_id = alloc.out_ioas_id;
	inst->device_fd = open(path, O_RDWR | O_CLOEXEC);
	if (inst->device_fd < 0)
		return diag(errno, "open %s", path);
	bind.iommufd = inst->container_fd;
	if (open_hook_ioctl(inst->device_fd, TSR_VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return diag(errno, "VFIO_DEVICE_BIND_IOMMUFD");
	attach.pt_id = inst->ioas_id;
	if (ioctl(inst->device_fd, TSR_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return diag(errno, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	return 0;
}

int tsr_instance_open(struct tsr_instance *inst)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[PATH_MAX], link[PATH_MAX];
	int iommu_type, ret;
	const char *mode = getenv("TSR_IOMMUFD");
	ssize_t n;
	char *base;

	inst->iommufd = mode && !strcmp(mode, "1");
	if (inst->iommufd) {
		ret = open_iommufd(inst);
		if (ret)
			return ret;
		goto opened;
	}
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group",
		 inst->uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return diag(errno, "readlink %s", path);
	link[n] = '\0';
	base = strrchr(link, '/');
	inst->group_id = atoi(base ? base + 1 : link);

	inst->container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (inst->container_fd < 0)
		return diag(errno, "open /dev/vfio/vfio");
	if (ioctl(inst->container_fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return diag(EINVAL, "VFIO API version");
	/*
	 * QEMU prefers type1 v2 (unmap granularity, and the only model for
	 * which vfio_pin_pages() works: mdev drivers need it).
	 */
	if (ioctl(inst->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1)
		iommu_type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(inst->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) == 1)
		iommu_type = VFIO_TYPE1_IOMMU;
	else
		return diag(ENOTSUP, "type1 IOMMU extension");

	snprintf(path, sizeof(path), "/dev/vfio/%d", inst->group_id);
	inst->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (inst->group_fd < 0)
		return diag(errno, "open %s", path);
	if (ioctl(inst->group_fd, VFIO_GROUP_GET_STATUS, &gs))
		return diag(errno, "GROUP_GET_STATUS");
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return diag(EBUSY, "group %d not viable", inst->group_id);
	if (ioctl(inst->group_fd, VFIO_GROUP_SET_CONTAINER, &inst->container_fd))
		return diag(errno, "GROUP_SET_CONTAINER");
	if (ioctl(inst->container_fd, VFIO_SET_IOMMU, iommu_type))
		return diag(errno, "SET_IOMMU type1%s",
			    iommu_type == VFIO_TYPE1v2_IOMMU ? "v2" : "");

	inst->device_fd = open_hook_ioctl(inst->group_fd, VFIO_GROUP_GET_DEVICE_FD, inst->uuid);
	if (inst->device_fd < 0)
		return diag(errno, "GROUP_GET_DEVICE_FD %s", inst->uuid);
opened:
	inst->info.argsz = sizeof(inst->info);
	if (ioctl(inst->device_fd, VFIO_DEVICE_GET_INFO, &inst->info))
		return diag(errno, "DEVICE_GET_INFO");
	ret = read_region_infos(inst);
	if (ret)
		return ret;
	inst->vram_size = tsr_reg64(inst, TESSERA_VF_VRAM_SIZE_LO);
	return 0;
}

void tsr_instance_close(struct tsr_instance *inst)
{
	if (inst->bar2) {
		munmap(inst->bar2, inst->bar2_size);
		inst->bar2 = NULL;
	}
	if (inst->device_fd >= 0)
		close(inst->device_fd);
	if (inst->group_fd >= 0) {
		ioctl(inst->group_fd, VFIO_GROUP_UNSET_CONTAINER);
		close(inst->group_fd);
	}
	if (inst->container_fd >= 0)
		close(inst->container_fd);
	inst->device_fd = -1;
	inst->group_fd = -1;
	inst->container_fd = -1;
}

/*
 * What guest firmware does before a driver runs: enable memory decoding and
 * bus mastering in the command register.
 */
int tsr_enable_device(struct tsr_instance *inst)
{
	uint16_t cmd = 0;
	int ret;

	ret = tsr_cfg_read(inst, 0x04, &cmd, 2);
	if (ret)
		return diag(-ret, "read PCI_COMMAND");
	cmd |= 0x6;			/* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	ret = tsr_cfg_write(inst, 0x04, &cmd, 2);
	if (ret)
		return diag(-ret, "write PCI_COMMAND");
	return 0;
}

int tsr_instance_setup(struct tsr_instance *inst, const char *type)
{
	int ret;

	ret = tsr_instance_create(inst, type);
	if (ret)
		return ret;
	ret = tsr_instance_open(inst);
	if (!ret)
		ret = tsr_enable_device(inst);
	if (ret) {
		tsr_instance_close(inst);
		tsr_instance_remove(inst);
	}
	return ret;
}

void tsr_instance_teardown(struct tsr_instance *inst)
{
	tsr_instance_close(inst);
	tsr_instance_remove(inst);
}

uint64_t tsr_region_offset(const struct tsr_instance *inst, unsigned int index)
{
	return inst->region[index].offset;
}

static int region_rw(struct tsr_instance *inst, unsigned int index, bool write,
		     uint64_t off, void *buf, size_t len)
{
	const struct vfio_region_info *ri = &inst->region[index];
	ssize_t n;

	if (write)
		n = pwrite(inst->device_fd, buf, len, ri->offset + off);
	else
		n = pread(inst->device_fd, buf, len, ri->offset + off);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int tsr_cfg_read(struct tsr_instance *inst, uint32_t off, void *buf, size_t len)
{
	return region_rw(inst, VFIO_PCI_CONFIG_REGION_INDEX, false, off, buf, len);
}

int tsr_cfg_write(struct tsr_instance *inst, uint32_t off, const void *buf, size_t len)
{
	return region_rw(inst, VFIO_PCI_CONFIG_REGION_INDEX, true, off,
			 (void *)buf, len);
}

uint32_t tsr_cfg_read32(struct tsr_instance *inst, uint32_t off)
{
	uint32_t v = 0xffffffff;
	int ret = tsr_cfg_read(inst, off, &v, 4);

	if (ret)
		diag(-ret, "config read32 at 0x%x", off);
	return v;
}

uint16_t tsr_cfg_read16(struct tsr_instance *inst, uint32_t off)
{
	uint16_t v = 0xffff;
	int ret = tsr_cfg_read(inst, off, &v, 2);

	if (ret)
		diag(-ret, "config read16 at 0x%x", off);
	return v;
}

uint8_t tsr_cfg_read8(struct tsr_instance *inst, uint32_t off)
{
	uint8_t v = 0xff;
	int ret = tsr_cfg_read(inst, off, &v, 1);

	if (ret)
		diag(-ret, "config read8 at 0x%x", off);
	return v;
}

/* Walks the standard capability list; bounded so that a loop cannot hang. */
int tsr_cfg_find_cap(struct tsr_instance *inst, uint8_t cap_id)
{
	uint8_t pos;
	int hops;

	if (!(tsr_cfg_read16(inst, 0x06) & 0x10))	/* PCI_STATUS_CAP_LIST */
		return -ENOENT;
	pos = tsr_cfg_read8(inst, 0x34) & ~3;
	for (hops = 0; pos >= 0x40 && hops < 48; hops++) {
		if (tsr_cfg_read8(inst, pos) == cap_id)
			return pos;
		pos = tsr_cfg_read8(inst, pos + 1) & ~3;
	}
	return -ENOENT;
}

int tsr_reg_read(struct tsr_instance *inst, uint32_t off, uint32_t *val)
{
	return region_rw(inst, VFIO_PCI_BAR0_REGION_INDEX, false, off, val, 4);
}

int tsr_reg_write(struct tsr_instance *inst, uint32_t off, uint32_t val)
{
	return region_rw(inst, VFIO_PCI_BAR0_REGION_INDEX, true, off, &val, 4);
}

uint32_t tsr_reg(struct tsr_instance *inst, uint32_t off)
{
	uint32_t v;
	int ret = tsr_reg_read(inst, off, &v);

	if (ret) {
		diag(-ret, "BAR0 read at 0x%x", off);
		return 0xdeadbeef;
	}
	return v;
}

uint64_t tsr_reg64(struct tsr_instance *inst, uint32_t lo_off)
{
	uint64_t lo = tsr_reg(inst, lo_off);

	return lo | (uint64_t)tsr_reg(inst, lo_off + 4) << 32;
}

int tsr_bar2_map(struct tsr_instance *inst)
{
	const struct vfio_region_info *ri = &inst->region[VFIO_PCI_BAR2_REGION_INDEX];
	void *p;

	if (inst->bar2)
		return 0;
	if (!ri->size || !inst->vram_size || inst->vram_size > ri->size)
		return diag(ENODEV, "BAR2 region of %llu bytes for a %llu-byte slice",
			    (unsigned long long)ri->size,
			    (unsigned long long)inst->vram_size);
	if (!(ri->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return diag(ENOTSUP, "BAR2 region is not mmappable (flags 0x%x)",
			    ri->flags);
	/* the slice is mapped through; BAR2's power-of-two padding is not */
	p = mmap(NULL, inst->vram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 inst->device_fd, ri->offset);
	if (p == MAP_FAILED)
		return diag(errno, "mmap BAR2 (%llu bytes)",
			    (unsigned long long)inst->vram_size);
	inst->bar2 = p;
	inst->bar2_size = inst->vram_size;
	return 0;
}

int tsr_bar2_pread(struct tsr_instance *inst, uint64_t off, void *buf, size_t len)
{
	return region_rw(inst, VFIO_PCI_BAR2_REGION_INDEX, false, off, buf, len);
}

int tsr_bar2_pwrite(struct tsr_instance *inst, uint64_t off, const void *buf, size_t len)
{
	return region_rw(inst, VFIO_PCI_BAR2_REGION_INDEX, true, off, (void *)buf, len);
}

int tsr_dma_alloc(struct tsr_instance *inst, struct tsr_dma_buf *buf,
		  uint64_t iova, size_t size)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };

	memset(buf, 0, sizeof(*buf));
	buf->va = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf->va == MAP_FAILED) {
		buf->va = NULL;
		return diag(errno, "mmap %zu bytes of guest memory", size);
	}
	buf->iova = iova;
	buf->size = size;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)buf->va;
	map.iova = iova;
	map.size = size;
	if (inst->iommufd) {
		struct tsr_iommu_ioas_map im = {
			.size = sizeof(im), .ioas_id = inst->ioas_id,
			.flags = TSR_IOMMU_IOAS_MAP_FIXED_IOVA | TSR_IOMMU_IOAS_MAP_WRITEABLE |
				 TSR_IOMMU_IOAS_MAP_READABLE,
			.user_va = (uintptr_t)buf->va, .length = size, .iova = iova,
		};

		if (ioctl(inst->container_fd, TSR_IOMMU_IOAS_MAP, &im)) {
			int err = errno;

			munmap(buf->va, size);
			buf->va = NULL;
			return diag(err, "IOMMU_IOAS_MAP iova 0x%llx size 0x%zx",
				    (unsigned long long)iova, size);
		}
	} else if (ioctl(inst->container_fd, VFIO_IOMMU_MAP_DMA, &map)) {
		int err = errno;

		munmap(buf->va, size);
		buf->va = NULL;
		return diag(err, "MAP_DMA iova 0x%llx size 0x%zx",
			    (unsigned long long)iova, size);
	}
	buf->mapped = true;
	return 0;
}

int tsr_dma_unmap(struct tsr_instance *inst, struct tsr_dma_buf *buf)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };

	if (!buf->mapped)
		return 0;
	unmap.iova = buf->iova;
	unmap.size = buf->size;
	if (inst->iommufd) {
		struct tsr_iommu_ioas_unmap iu = {
			.size = sizeof(iu), .ioas_id = inst->ioas_id,
			.iova = buf->iova, .length = buf->size,
		};

		if (ioctl(inst->container_fd, TSR_IOMMU_IOAS_UNMAP, &iu))
			return diag(errno, "IOMMU_IOAS_UNMAP iova 0x%llx",
				    (unsigned long long)buf->iova);
		buf->mapped = false;
		return 0;
	}
	if (ioctl(inst->container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return diag(errno, "UNMAP_DMA iova 0x%llx",
			    (unsigned long long)buf->iova);
	if (unmap.size != buf->size)
		return diag(EIO, "UNMAP_DMA unmapped 0x%llx of 0x%zx bytes",
			    (unsigned long long)unmap.size, buf->size);
	buf->mapped = false;
	return 0;
}

void tsr_dma_free(struct tsr_instance *inst, struct tsr_dma_buf *buf)
{
	if (inst->container_fd >= 0)
		tsr_dma_unmap(inst, buf);
	if (buf->va)
		munmap(buf->va, buf->size);
	buf->va = NULL;
}

int tsr_irq_count(struct tsr_instance *inst, unsigned int index)
{
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = index };

	if (ioctl(inst->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &irq))
		return -errno;
	return irq.count;
}

int tsr_irq_enable_eventfd(struct tsr_instance *inst, unsigned int index, int efd)
{
	char storage[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)storage;
	int32_t fd = efd;

	memset(storage, 0, sizeof(storage));
	set->argsz = sizeof(storage);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(fd));
	if (ioctl(inst->device_fd, VFIO_DEVICE_SET_IRQS, set))
		return diag(errno, "SET_IRQS index %u eventfd", index);
	return 0;
}

int tsr_irq_disable(struct tsr_instance *inst, unsigned int index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
		.start = 0,
		.count = 0,
	};

	if (ioctl(inst->device_fd, VFIO_DEVICE_SET_IRQS, &set))
		return diag(errno, "SET_IRQS index %u disable", index);
	return 0;
}

int tsr_eventfd_wait(int efd, int timeout_ms, uint64_t *count)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	if (read(efd, count, sizeof(*count)) != sizeof(*count))
		return -errno;
	return 1;
}

int tsr_ring_setup(struct tsr_instance *inst, struct tsr_ring *ring,
		   uint64_t iova, uint32_t entries)
{
	size_t bytes = (size_t)entries * TESSERA_CMD_SIZE;
	int ret;

	memset(ring, 0, sizeof(*ring));
	ring->inst = inst;
	ring->entries = entries;
	ring->next_fence = 1;
	if (bytes < 4096)
		bytes = 4096;
	ret = tsr_dma_alloc(inst, &ring->mem, iova, bytes);
	if (ret)
		return ret;
	ring->cmds = ring->mem.va;
	ret = tsr_reg_write(inst, TESSERA_VF_RING_BASE_LO, (uint32_t)iova);
	if (!ret)
		ret = tsr_reg_write(inst, TESSERA_VF_RING_BASE_HI, iova >> 32);
	if (!ret)
		ret = tsr_reg_write(inst, TESSERA_VF_RING_SIZE, entries);
	if (ret)
		return diag(-ret, "program the ring registers");
	return 0;
}

void tsr_ring_free(struct tsr_ring *ring)
{
	if (ring->inst)
		tsr_dma_free(ring->inst, &ring->mem);
	ring->cmds = NULL;
}

uint32_t tsr_ring_push(struct tsr_ring *ring, const struct tessera_cmd *cmd)
{
	uint32_t index = ring->tail;

	ring->cmds[index] = *cmd;
	ring->tail = (index + 1) & (ring->entries - 1);
	return index;
}

int tsr_ring_kick(struct tsr_ring *ring)
{
	/* the entries must be in memory before the doorbell traps */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return tsr_reg_write(ring->inst, TESSERA_VF_RING_TAIL, ring->tail);
}

uint64_t tsr_ring_fence_kick(struct tsr_ring *ring, bool irq)
{
	uint64_t value = ring->next_fence++;
	struct tessera_cmd fence = tsr_cmd_fence(0, value, irq);
	int ret;

	tsr_ring_push(ring, &fence);
	ret = tsr_ring_kick(ring);
	if (ret)
		diag(-ret, "doorbell");
	return value;
}

int tsr_wait_status(struct tsr_instance *inst, uint32_t mask, uint32_t want,
		    int timeout_ms, uint32_t *status)
{
	uint64_t deadline = tsr_now_ms() + timeout_ms;
	uint32_t st;

	for (;;) {
		st = tsr_reg(inst, TESSERA_VF_STATUS);
		if (status)
			*status = st;
		if ((st & mask) == want)
			return 0;
		if (tsr_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(500);
	}
}

int tsr_wait_fence(struct tsr_instance *inst, uint64_t value, int timeout_ms,
		   uint32_t *status)
{
	uint64_t deadline = tsr_now_ms() + timeout_ms;
	uint32_t st;

	for (;;) {
		if (tsr_reg64(inst, TESSERA_VF_FENCE_LO) == value)
			return 0;
		st = tsr_reg(inst, TESSERA_VF_STATUS);
		if (status)
			*status = st;
		if (st & TESSERA_VF_STATUS_FAULTED)
			return -EIO;
		if (tsr_now_ms() > deadline) {
			diag(0, "fence %llu not seen: fence 0x%llx status 0x%x head %u cmds %u fault 0x%x",
			     (unsigned long long)value,
			     (unsigned long long)tsr_reg64(inst, TESSERA_VF_FENCE_LO),
			     st, tsr_reg(inst, TESSERA_VF_RING_HEAD),
			     tsr_reg(inst, TESSERA_VF_CMDS_DONE),
			     tsr_reg(inst, TESSERA_VF_FAULT_CODE));
			return -ETIMEDOUT;
		}
		usleep(500);
	}
}

int tsr_wait_idle(struct tsr_instance *inst, int timeout_ms, uint32_t *status)
{
	uint64_t deadline = tsr_now_ms() + timeout_ms;
	uint32_t st;

	for (;;) {
		st = tsr_reg(inst, TESSERA_VF_STATUS);
		if (status)
			*status = st;
		if (st & TESSERA_VF_STATUS_FAULTED)
			return -EIO;
		if (!(st & TESSERA_VF_STATUS_BUSY) &&
		    tsr_reg(inst, TESSERA_VF_RING_HEAD) ==
		    tsr_reg(inst, TESSERA_VF_RING_TAIL))
			return 0;
		if (tsr_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(500);
	}
}

int tsr_wait_int_status(struct tsr_instance *inst, uint32_t bits, int timeout_ms)
{
	uint64_t deadline = tsr_now_ms() + timeout_ms;

	while ((tsr_reg(inst, TESSERA_VF_INT_STATUS) & bits) != bits) {
		if (tsr_now_ms() > deadline) {
			diag(0, "VF_INT_STATUS 0x%x never showed 0x%x",
			     tsr_reg(inst, TESSERA_VF_INT_STATUS), bits);
			return -ETIMEDOUT;
		}
		usleep(500);
	}
	return 0;
}

int tsr_wait_fault(struct tsr_instance *inst, int timeout_ms, uint32_t *code,
		   uint32_t *index)
{
	uint32_t st;
	int ret;

	ret = tsr_wait_status(inst, TESSERA_VF_STATUS_FAULTED,
			      TESSERA_VF_STATUS_FAULTED, timeout_ms, &st);
	if (ret) {
		diag(0, "no fault within %d ms: status 0x%x head %u cmds %u",
		     timeout_ms, st, tsr_reg(inst, TESSERA_VF_RING_HEAD),
		     tsr_reg(inst, TESSERA_VF_CMDS_DONE));
		return ret;
	}
	*code = tsr_reg(inst, TESSERA_VF_FAULT_CODE);
	*index = tsr_reg(inst, TESSERA_VF_FAULT_INDEX);
	return 0;
}

struct tessera_cmd tsr_cmd_nop(void)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_NOP };

	return c;
}

struct tessera_cmd tsr_cmd_fence(uint64_t addr, uint64_t value, bool irq)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_FENCE };

	c.flags = irq ? TESSERA_FENCE_IRQ : 0;
	c.arg[0] = addr;
	c.arg[1] = value;
	return c;
}

struct tessera_cmd tsr_cmd_fill(uint64_t dst, uint64_t bytes, uint32_t pattern)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_FILL };

	c.param = pattern;
	c.arg[0] = dst;
	c.arg[1] = bytes;
	return c;
}

struct tessera_cmd tsr_cmd_copy(uint64_t dst, uint64_t src, uint64_t bytes)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_COPY };

	c.arg[0] = dst;
	c.arg[1] = src;
	c.arg[2] = bytes;
	return c;
}

struct tessera_cmd tsr_cmd_gemm(uint64_t a, uint64_t b, uint64_t c_addr,
				uint32_t m, uint32_t n, uint32_t k, bool accumulate)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_GEMM };

	c.flags = accumulate ? TESSERA_GEMM_ACCUMULATE : 0;
	c.arg[0] = a;
	c.arg[1] = b;
	c.arg[2] = c_addr;
	c.arg[3] = m;
	c.arg[4] = n;
	c.arg[5] = k;
	return c;
}

struct tessera_cmd tsr_cmd_elemwise(uint32_t op, uint64_t dst, uint64_t a,
				    uint64_t b, uint64_t count)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_ELEMWISE };

	c.param = op;
	c.arg[0] = dst;
	c.arg[1] = a;
	c.arg[2] = b;
	c.arg[3] = count;
	return c;
}

struct tessera_cmd tsr_cmd_busy(uint64_t usec)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_BUSY };

	c.arg[0] = usec;
	return c;
}

struct tessera_cmd tsr_cmd_batch(uint64_t addr, uint64_t count)
{
	struct tessera_cmd c = { .opcode = TESSERA_OP_BATCH };

	c.arg[0] = addr;
	c.arg[1] = count;
	return c;
}
