// SPDX-License-Identifier: GPL-2.0
/*
 * vFPGA selftest helpers: images, reconfiguration, jobs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vfpga_util.h"

uint32_t vf_crc32(const void *buf, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = buf;
	uint32_t crc = ~0u;
	size_t i;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			uint32_t c = i;
			int k;

			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	for (i = 0; i < len; i++)
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, v);
	put_le32(p + 4, v >> 32);
}

size_t vf_image_build(void *img, uint32_t fn, uint64_t payload, uint32_t seed,
		      enum vf_image_flaw flaw)
{
	uint8_t *p = img, *data = p + TESSERA_BITSTREAM_HEADER_SIZE;
	uint32_t x = seed * 2654435761u + 1;
	uint64_t i;

	for (i = 0; i < payload; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = x >> 24;
	}
	memset(p, 0, TESSERA_BITSTREAM_HEADER_SIZE);
	put_le32(p + offsetof(struct tessera_bitstream_header, magic),
		 flaw == VF_IMAGE_BAD_MAGIC ? 0x0badf00d : TESSERA_BITSTREAM_MAGIC);
	put_le16(p + offsetof(struct tessera_bitstream_header, version), TESSERA_BITSTREAM_VERSION);
	put_le16(p + offsetof(struct tessera_bitstream_header, header_size),
		 TESSERA_BITSTREAM_HEADER_SIZE);
	put_le32(p + offsetof(struct tessera_bitstream_header, function_id), fn);
	put_le64(p + offsetof(struct tessera_bitstream_header, payload_size),
		 flaw == VF_IMAGE_BAD_SIZE ? payload + 4096 : payload);
	put_le32(p + offsetof(struct tessera_bitstream_header, payload_crc32),
		 vf_crc32(data, payload) ^ (flaw == VF_IMAGE_BAD_CHECKSUM ? 1 : 0));
	return TESSERA_BITSTREAM_HEADER_SIZE + payload;
}

int vf_map_user_pages(struct tsr_instance *inst, struct vf_user_pages *up, bool allow_trapped)
{
	const struct vfio_region_info *ri = &inst->region[VFIO_PCI_BAR0_REGION_INDEX];
	struct vfio_region_info *info;
	struct vfio_region_info_cap_sparse_mmap *sparse = NULL;
	struct vfio_info_cap_header *hdr;
	size_t argsz = 4096;
	void *p;
	int ret = -ENOENT;

	memset(up, 0, sizeof(*up));
	up->inst = inst;
	up->regions = tsr_reg(inst, TESSERA_VF_NUM_REGIONS);
	info = calloc(1, argsz);
	if (!info)
		return -ENOMEM;
	info->argsz = argsz;
	info->index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(inst->device_fd, VFIO_DEVICE_GET_REGION_INFO, info)) {
		ret = -errno;
		goto out;
	}
	if (allow_trapped && !(info->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		ret = 0;
		goto out;
	}
	if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP) ||
	    !(info->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
		fprintf(stderr, "# BAR0 flags 0x%x: no mmap or no capabilities\n", info->flags);
		goto out;
	}
	for (hdr = (void *)((uint8_t *)info + info->cap_offset);;
	     hdr = (void *)((uint8_t *)info + hdr->next)) {
		if (hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			sparse = (void *)hdr;
			break;
		}
		if (!hdr->next)
			break;
	}
	if (!sparse || sparse->nr_areas != 1 ||
	    sparse->areas[0].offset != TESSERA_VF_RGN_USER_BASE ||
	    sparse->areas[0].size != (uint64_t)up->regions * TESSERA_VF_RGN_USER_STRIDE) {
		fprintf(stderr, "# BAR0 sparse-mmap area is not the %u user pages\n", up->regions);
		goto out;
	}
	p = mmap(NULL, sparse->areas[0].size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 inst->device_fd, ri->offset + sparse->areas[0].offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		fprintf(stderr, "# mmap of the user pages: %s\n", strerror(errno));
		goto out;
	}
	up->base = p;
	up->len = sparse->areas[0].size;
	ret = 0;
out:
	free(info);
	return ret;
}

void vf_unmap_user_pages(struct vf_user_pages *up)
{
	if (up->base)
		munmap((void *)up->base, up->len);
	up->base = NULL;
}

uint32_t vf_rgn_reg(struct tsr_instance *inst, unsigned int region, uint32_t off)
{
	return tsr_reg(inst, TESSERA_VF_RGN_REG(region, off));
}

uint64_t vf_rgn_reg64(struct tsr_instance *inst, unsigned int region, uint32_t lo)
{
	return tsr_reg64(inst, TESSERA_VF_RGN_REG(region, lo));
}

int vf_rgn_write(struct tsr_instance *inst, unsigned int region, uint32_t off, uint32_t val)
{
	return tsr_reg_write(inst, TESSERA_VF_RGN_REG(region, off), val);
}

int vf_configure(struct tsr_instance *inst, unsigned int region, uint64_t iova,
		 uint32_t size, int timeout_ms, uint32_t *status)
{
	uint32_t bit = TESSERA_VF_INT_RGN_CONFIG(region);
	int ret;

	ret = tsr_reg_write(inst, TESSERA_VF_INT_STATUS, bit);
	ret = ret ?: vf_rgn_write(inst, region, TESSERA_VF_RGN_IMAGE_ADDR_LO, (uint32_t)iova);
	ret = ret ?: vf_rgn_write(inst, region, TESSERA_VF_RGN_IMAGE_ADDR_HI, iova >> 32);
	ret = ret ?: vf_rgn_write(inst, region, TESSERA_VF_RGN_IMAGE_SIZE, size);
	ret = ret ?: vf_rgn_write(inst, region, TESSERA_VF_RGN_CONFIG, 1);
	ret = ret ?: tsr_wait_int_status(inst, bit, timeout_ms);
	if (ret)
		return ret;
	*status = vf_rgn_reg(inst, region, TESSERA_VF_RGN_CONFIG_STATUS);
	return tsr_reg_write(inst, TESSERA_VF_INT_STATUS, bit);
}

static uint32_t user_off(unsigned int region, uint32_t off)
{
	return TESSERA_VF_RGN_USER_BASE + region * TESSERA_VF_RGN_USER_STRIDE + off;
}

void vf_user_wr32(struct vf_user_pages *up, unsigned int region, uint32_t off, uint32_t v)
{
	if (up->base)
		*(volatile uint32_t *)(up->base + region * TESSERA_VF_RGN_USER_STRIDE + off) = v;
	else
		tsr_reg_write(up->inst, user_off(region, off), v);
}

uint32_t vf_user_rd32(struct vf_user_pages *up, unsigned int region, uint32_t off)
{
	if (up->base)
		return *(volatile uint32_t *)(up->base + region * TESSERA_VF_RGN_USER_STRIDE + off);
	return tsr_reg(up->inst, user_off(region, off));
}

void vf_job_start(struct vf_user_pages *up, unsigned int region,
		  const uint64_t args[TESSERA_RGN_USER_NUM_ARGS])
{
	unsigned int i;

	for (i = 0; i < TESSERA_RGN_USER_NUM_ARGS; i++) {
		vf_user_wr32(up, region, TESSERA_RGN_USER_ARG(i), (uint32_t)args[i]);
		vf_user_wr32(up, region, TESSERA_RGN_USER_ARG(i) + 4, args[i] >> 32);
	}
	__sync_synchronize();
	vf_user_wr32(up, region, TESSERA_RGN_USER_START, 1);
}

int vf_job_wait(struct vf_user_pages *up, unsigned int region, int timeout_ms)
{
	uint64_t deadline = tsr_now_ms() + timeout_ms;
	struct timespec poll = { .tv_nsec = 100000 };
	uint32_t st;

	while ((st = vf_user_rd32(up, region, TESSERA_RGN_USER_JOB_STATUS)) ==
	       TESSERA_RGN_JOB_RUNNING) {
		if (tsr_now_ms() > deadline)
			return -ETIMEDOUT;
		nanosleep(&poll, NULL);
	}
	return st;
}

uint64_t vf_job_result(struct vf_user_pages *up, unsigned int region)
{
	uint64_t lo = vf_user_rd32(up, region, TESSERA_RGN_USER_RESULT_LO);

	return lo | (uint64_t)vf_user_rd32(up, region, TESSERA_RGN_USER_RESULT_HI) << 32;
}

void vf_gemm_ref(float *c, const float *a, const float *b, unsigned int m, unsigned int n,
		 unsigned int k)
{
	unsigned int i, j, l;

	for (i = 0; i < m; i++)
		for (j = 0; j < n; j++) {
			float s = 0;

			for (l = 0; l < k; l++)
				s += a[i * k + l] * b[l * n + j];
			c[i * n + j] = s;
		}
}
