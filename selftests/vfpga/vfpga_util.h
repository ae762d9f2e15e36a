/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the vFPGA selftests and benchmark: build bitstream images
 * (good and deliberately bad), reconfigure a region through the trapped
 * register page, and run jobs through the region user pages mapped straight
 * through, as a guest driver for a vFPGA instance would.
 */
#ifndef TESSERA_VFPGA_UTIL_H
#define TESSERA_VFPGA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera_hw.h"
#include "vfio_util.h"

/* CRC32 (IEEE, as zlib), the checksum of bitstream payloads and FN_CRC32. */
uint32_t vf_crc32(const void *buf, size_t len);

/* What a test image gets wrong, each refused with its own status. */
enum vf_image_flaw {
	VF_IMAGE_GOOD,
	VF_IMAGE_BAD_MAGIC,
	VF_IMAGE_BAD_SIZE,	/* payload_size disagrees with the image size */
	VF_IMAGE_BAD_CHECKSUM,
};

/*
 * Fills @img (header + @payload bytes of pseudo-random data from @seed) for
 * function @fn; returns the image size.
 */
size_t vf_image_build(void *img, uint32_t fn, uint64_t payload, uint32_t seed,
		      enum vf_image_flaw flaw);

/*
 * The instance's region user pages: mapped through BAR0's sparse area when
 * the host passes them through, else reached by read()/write() on BAR0
 * (trapped: the host time-shares the card regions, vfpga_share > 1).
 */
struct vf_user_pages {
	struct tsr_instance *inst;
	volatile uint8_t *base;		/* NULL when trapped */
	size_t len;
	unsigned int regions;
};

/*
 * Maps the user pages if BAR0 offers them (sparse-mmap capability naming
 * exactly them); with @allow_trapped, settles for trapped access when BAR0
 * is not mmap-able at all.
 */
int vf_map_user_pages(struct tsr_instance *inst, struct vf_user_pages *up, bool allow_trapped);
void vf_unmap_user_pages(struct vf_user_pages *up);
void vf_user_wr32(struct vf_user_pages *up, unsigned int region, uint32_t off, uint32_t v);
uint32_t vf_user_rd32(struct vf_user_pages *up, unsigned int region, uint32_t off);

/*
 * Reconfigures @region from the image at @iova (@size bytes, already in
 * guest memory) and waits for VF_INT_RGN_CONFIG(region). Returns 0 and the
 * VF_RGN_CONFIG_STATUS in *status, or a negative errno.
 */
int vf_configure(struct tsr_instance *inst, unsigned int region, uint64_t iova,
		 uint32_t size, int timeout_ms, uint32_t *status);

/* Starts a job on a region's user page (six arguments); does not wait. */
void vf_job_start(struct vf_user_pages *up, unsigned int region,
		  const uint64_t args[TESSERA_RGN_USER_NUM_ARGS]);
/* Polls JOB_STATUS until it leaves RUNNING; returns it, or -ETIMEDOUT. */
int vf_job_wait(struct vf_user_pages *up, unsigned int region, int timeout_ms);
uint64_t vf_job_result(struct vf_user_pages *up, unsigned int region);

/* Reads the 64-bit register pair at @lo of region @region's block. */
uint64_t vf_rgn_reg64(struct tsr_instance *inst, unsigned int region, uint32_t lo);
uint32_t vf_rgn_reg(struct tsr_instance *inst, unsigned int region, uint32_t off);
int vf_rgn_write(struct tsr_instance *inst, unsigned int region, uint32_t off, uint32_t val);

/* CPU references. */
void vf_gemm_ref(float *c, const float *a, const float *b, unsigned int m, unsigned int n,
		 unsigned int k);

#endif /* TESSERA_VFPGA_UTIL_H */
