/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the Tessera VFIO selftests: they drive one mdev instance
 * the way QEMU does (legacy container/group interface, type1 IOMMU, region
 * read/write/mmap, eventfd interrupts) so that each test reads as the guest
 * behaviour it checks.
 *
 * Functions return 0 (or a count) on success and a negative errno on failure;
 * they print a "# " diagnostic line to stderr naming the step that failed, so
 * a failing test's TAP output says why.
 */
#ifndef TESSERA_VFIO_UTIL_H
#define TESSERA_VFIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "tessera_hw.h"

/*
 * kselftest_harness.h's SKIP() sets the verdict to "skip" whatever came
 * before: a SKIP after a failed EXPECT would lose that failure. With the
 * harness included first (as every test does), SKIP keeps a failure.
 */
#if defined(SKIP) && defined(TH_LOG) && defined(KSFT_FAIL)
#undef SKIP
#define SKIP(statement, fmt, ...) do { \
	if (_metadata->exit_code == KSFT_FAIL) { \
		TH_LOG("not skipped, the test has failed already: " fmt, ##__VA_ARGS__); \
		statement; \
	} else { \
		snprintf(_metadata->results->reason, \
			 sizeof(_metadata->results->reason), fmt, ##__VA_ARGS__); \
		if (TH_LOG_ENABLED) \
			fprintf(TH_LOG_STREAM, "#      SKIP      %s\n", \
				_metadata->results->reason); \
		_metadata->exit_code = KSFT_SKIP; \
		_metadata->trigger = 0; \
		statement; \
	} \
} while (0)
#endif

/* Deadlines: the test host runs under TCG, where everything is slow. */
#define TSR_DEADLINE_MS		30000
#define TSR_TEST_TIMEOUT_S	300

struct tsr_instance {
	char parent[256];		/* the card's device name (PCI address) */
	char type[64];			/* e.g. "tessera-vgpu-2" */
	char uuid[40];
	bool created;			/* we wrote it to .../create */
	int container_fd;		/* the type1 container, or the iommufd */
	int group_fd;			/* -1 with iommufd */
	bool iommufd;			/* TSR_IOMMUFD=1: cdev + iommufd, as QEMU's -object iommufd */
	uint32_t ioas_id;
	int device_fd;
	int group_id;
	struct vfio_device_info info;
	struct vfio_region_info region[VFIO_PCI_NUM_REGIONS];
	uint64_t vram_size;		/* VF_VRAM_SIZE: the slice, <= BAR2's size */
	void *bar2;			/* mmap of the slice at BAR2 offset 0, or NULL */
	size_t bar2_size;		/* bytes mapped: vram_size */
};

/* A buffer of anonymous memory the guest mapped for DMA at @iova. */
struct tsr_dma_buf {
	void *va;
	uint64_t iova;
	size_t size;
	bool mapped;
};

/* A command ring in guest memory, programmed into the instance's BAR0. */
struct tsr_ring {
	struct tsr_instance *inst;
	struct tsr_dma_buf mem;
	struct tessera_cmd *cmds;
	uint32_t entries;
	uint32_t tail;			/* next entry we write; wraps at entries */
	uint64_t next_fence;		/* fence values we hand out, from 1 */
};

/* --- discovery and lifetime --- */
int tsr_find_parent(char *out, size_t len);
int tsr_type_available(const char *parent, const char *type, long *avail);
int tsr_instance_create(struct tsr_instance *inst, const char *type);
int tsr_instance_open(struct tsr_instance *inst);
/*
 * If set, called right before (@after false) and right after (@after true)
 * the one syscall of tsr_instance_open() that runs the driver's
 * open_device: VFIO_DEVICE_BIND_IOMMUFD, or VFIO_GROUP_GET_DEVICE_FD with
 * type1. The fault-injection sweep (selftests/faultinj/) arms fail-nth there.
 */
extern void (*tsr_open_hook)(bool after);
void tsr_instance_close(struct tsr_instance *inst);
int tsr_instance_remove(struct tsr_instance *inst);
/* sets memory and bus-master enable, as guest firmware does */
int tsr_enable_device(struct tsr_instance *inst);
/* create + open + enable; on failure everything taken is released */
int tsr_instance_setup(struct tsr_instance *inst, const char *type);
void tsr_instance_teardown(struct tsr_instance *inst);

/* --- regions --- */
uint64_t tsr_region_offset(const struct tsr_instance *inst, unsigned int index);
int tsr_cfg_read(struct tsr_instance *inst, uint32_t off, void *buf, size_t len);
int tsr_cfg_write(struct tsr_instance *inst, uint32_t off, const void *buf, size_t len);
uint32_t tsr_cfg_read32(struct tsr_instance *inst, uint32_t off);
uint16_t tsr_cfg_read16(struct tsr_instance *inst, uint32_t off);
uint8_t tsr_cfg_read8(struct tsr_instance *inst, uint32_t off);
int tsr_cfg_find_cap(struct tsr_instance *inst, uint8_t cap_id);

int tsr_reg_read(struct tsr_instance *inst, uint32_t off, uint32_t *val);
int tsr_reg_write(struct tsr_instance *inst, uint32_t off, uint32_t val);
/* reads a register; 0xdeadbeef (and a diagnostic) when the read fails */
uint32_t tsr_reg(struct tsr_instance *inst, uint32_t off);
uint64_t tsr_reg64(struct tsr_instance *inst, uint32_t lo_off);

int tsr_bar2_map(struct tsr_instance *inst);
int tsr_bar2_pread(struct tsr_instance *inst, uint64_t off, void *buf, size_t len);
int tsr_bar2_pwrite(struct tsr_instance *inst, uint64_t off, const void *buf, size_t len);

/* --- DMA --- */
int tsr_dma_alloc(struct tsr_instance *inst, struct tsr_dma_buf *buf,
		  uint64_t iova, size_t size);
int tsr_dma_unmap(struct tsr_instance *inst, struct tsr_dma_buf *buf);
void tsr_dma_free(struct tsr_instance *inst, struct tsr_dma_buf *buf);

/* --- interrupts --- */
int tsr_irq_count(struct tsr_instance *inst, unsigned int index);
int tsr_irq_enable_eventfd(struct tsr_instance *inst, unsigned int index, int efd);
int tsr_irq_disable(struct tsr_instance *inst, unsigned int index);
/* 1 = signalled (counter consumed into *count), 0 = deadline, <0 error */
int tsr_eventfd_wait(int efd, int timeout_ms, uint64_t *count);

/* --- command ring --- */
int tsr_ring_setup(struct tsr_instance *inst, struct tsr_ring *ring,
		   uint64_t iova, uint32_t entries);
void tsr_ring_free(struct tsr_ring *ring);
/* writes @cmd at the ring tail (guest memory only); returns its index */
uint32_t tsr_ring_push(struct tsr_ring *ring, const struct tessera_cmd *cmd);
/* the doorbell: publishes everything pushed so far */
int tsr_ring_kick(struct tsr_ring *ring);
/* pushes a FENCE with a fresh value, kicks, returns the value */
uint64_t tsr_ring_fence_kick(struct tsr_ring *ring, bool irq);
/*
 * Waits until VF_FENCE reads @value or the instance faults.
 * 0 = fence seen, -EIO = faulted (status in *status), -ETIMEDOUT.
 */
int tsr_wait_fence(struct tsr_instance *inst, uint64_t value, int timeout_ms,
		   uint32_t *status);
/* Waits until the instance is neither BUSY nor short of its tail, or faults. */
int tsr_wait_idle(struct tsr_instance *inst, int timeout_ms, uint32_t *status);
/* Waits for FAULTED; reports VF_FAULT_CODE and VF_FAULT_INDEX. */
int tsr_wait_fault(struct tsr_instance *inst, int timeout_ms, uint32_t *code,
		   uint32_t *index);
/*
 * Waits until VF_INT_STATUS has all of @bits: the host has processed the
 * card's interrupt (VF_FENCE can show a fence before that).
 */
int tsr_wait_int_status(struct tsr_instance *inst, uint32_t bits, int timeout_ms);
/* Waits for STATUS & @mask == @want. */
int tsr_wait_status(struct tsr_instance *inst, uint32_t mask, uint32_t want,
		    int timeout_ms, uint32_t *status);

/* --- command builders (every unused field zero, as the card requires) --- */
struct tessera_cmd tsr_cmd_nop(void);
struct tessera_cmd tsr_cmd_fence(uint64_t addr, uint64_t value, bool irq);
struct tessera_cmd tsr_cmd_fill(uint64_t dst, uint64_t bytes, uint32_t pattern);
struct tessera_cmd tsr_cmd_copy(uint64_t dst, uint64_t src, uint64_t bytes);
struct tessera_cmd tsr_cmd_gemm(uint64_t a, uint64_t b, uint64_t c, uint32_t m,
				uint32_t n, uint32_t k, bool accumulate);
struct tessera_cmd tsr_cmd_elemwise(uint32_t op, uint64_t dst, uint64_t a,
				    uint64_t b, uint64_t count);
struct tessera_cmd tsr_cmd_busy(uint64_t usec);
struct tessera_cmd tsr_cmd_batch(uint64_t addr, uint64_t count);

/* Device address of byte @off of the instance's device-memory slice. */
static inline uint64_t tsr_vram_dva(uint64_t off)
{
	return TESSERA_DVA_VRAM_BASE + off;
}

/* --- memory checks (word-wise: the test host runs under TCG) --- */
/* 64-bit words in [p, p + len) that differ from @want (len a multiple of 8) */
size_t tsr_count_not_u64(const volatile void *p, size_t len, uint64_t want);
/* the same for a byte value repeated */
size_t tsr_count_not_byte(const volatile void *p, size_t len, uint8_t want);

/* logs (as a TAP comment) where [p, p + len) first differs from @want */
void tsr_log_first_diff(const char *what, const volatile void *p, size_t len, uint8_t want);

/* --- misc --- */
uint64_t tsr_now_ms(void);
/* a fresh random UUID string from the kernel */
int tsr_uuid(char *out, size_t len);
/* write/read a whole small sysfs file */
int tsr_sysfs_write(const char *path, const char *val);
int tsr_sysfs_read(const char *path, char *buf, size_t len);
/* the instance's counter /sys/bus/mdev/devices/<uuid>/tessera/@name; -1 when unreadable */
long long tsr_inst_stat(struct tsr_instance *inst, const char *name);

#endif /* TESSERA_VFIO_UTIL_H */
