// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the isolation findings of issue 10: each test names
 * the finding it pins down and fails on the driver before its fix.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

FIXTURE(any_type) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(any_type) {
	const char *type;
};

FIXTURE_VARIANT_ADD(any_type, vgpu_1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(any_type, vgpu_8) { .type = "tessera-vgpu-8" };
FIXTURE_VARIANT_ADD(any_type, vfpga_1) { .type = "tessera-vfpga-1" };
FIXTURE_VARIANT_ADD(any_type, vfpga_4) { .type = "tessera-vfpga-4" };

FIXTURE_SETUP(any_type)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

FIXTURE_TEARDOWN_PARENT(any_type)
{
	tsr_instance_remove(&self->inst);
}

/*
 * The oops a hostile client found first: SET_IRQS with count 0 and BOOL or
 * EVENTFD data made the driver read a data buffer it never allocated. Every
 * index, both data kinds, with and without trailing bytes: the call must
 * return (0: no vector named, nothing to do) and the device must still
 * answer.
 */
TEST_F(any_type, set_irqs_count0_with_data)
{
	static const unsigned int indices[] = {
		VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX,
	};
	static const uint32_t kinds[] = { VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD };
	struct {
		struct vfio_irq_set hdr;
		int32_t data[2];
	} set;
	unsigned int i, k, extra;
	int ret;

	for (i = 0; i < sizeof(indices) / sizeof(indices[0]); i++) {
		int vectors = tsr_irq_count(&self->inst, indices[i]);

		for (k = 0; k < 2; k++) {
			for (extra = 0; extra <= sizeof(set.data); extra += sizeof(set.data)) {
				memset(&set, 0xff, sizeof(set));
				set.hdr.argsz = sizeof(set.hdr) + extra;
				set.hdr.flags = kinds[k] | VFIO_IRQ_SET_ACTION_TRIGGER;
				set.hdr.index = indices[i];
				set.hdr.start = 0;
				set.hdr.count = 0;
				ret = ioctl(self->inst.device_fd, VFIO_DEVICE_SET_IRQS, &set);
				if (vectors > 0) {
					EXPECT_EQ(0, ret) {
						TH_LOG("index %u kind 0x%x: %s", indices[i],
						       kinds[k], strerror(errno));
					}
				} else {
					EXPECT_EQ(-1, ret);
				}
			}
		}
	}
	/* The instance's lock was not left held: it still answers. */
	EXPECT_EQ(0, tsr_irq_disable(&self->inst, VFIO_PCI_MSIX_IRQ_INDEX));
	EXPECT_NE(0xdeadbeef, tsr_reg(&self->inst, TESSERA_VF_STATUS));
}

/*
 * Finding 6: BAR2 was zeroed only when the instance was created, so a
 * persistent instance (mdevctl define --auto; Nova reuses mdevs) handed
 * one VM's device memory to the next. It must read zero after a close and
 * reopen, and after VFIO_DEVICE_RESET.
 */
TEST_F(any_type, bar2_zero_after_reopen_and_reset)
{
	ASSERT_EQ(0, tsr_bar2_map(&self->inst));
	memset(self->inst.bar2, 0xa5, self->inst.bar2_size);
	tsr_instance_close(&self->inst);
	ASSERT_EQ(0, tsr_instance_open(&self->inst));
	ASSERT_EQ(0, tsr_enable_device(&self->inst));
	ASSERT_EQ(0, tsr_bar2_map(&self->inst));
	EXPECT_EQ(0, tsr_count_not_byte(self->inst.bar2, self->inst.bar2_size, 0)) {
		tsr_log_first_diff("BAR2 after reopen", self->inst.bar2,
				   self->inst.bar2_size, 0);
	}
	memset(self->inst.bar2, 0x5a, self->inst.bar2_size);
	ASSERT_EQ(0, ioctl(self->inst.device_fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, tsr_count_not_byte(self->inst.bar2, self->inst.bar2_size, 0)) {
		tsr_log_first_diff("BAR2 after VFIO_DEVICE_RESET", self->inst.bar2,
				   self->inst.bar2_size, 0);
	}
}

/*
 * Finding 8: per-instance figures in sysfs (busy time, commands, rejects)
 * were readable by every user. Root only, unless the host asks otherwise.
 */
TEST_F(any_type, tenant_figures_are_root_only)
{
	static const char *const files[] = {
		"busy_ns", "commands", "rejects", "stats", "pinned_pages", "sched_stats",
	};
	char path[PATH_MAX];
	struct stat st;
	unsigned int i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/%s",
			 self->inst.uuid, files[i]);
		ASSERT_EQ(0, stat(path, &st)) {
			TH_LOG("%s: %s", path, strerror(errno));
		}
		EXPECT_EQ(0, st.st_mode & 0077) {
			TH_LOG("%s has mode 0%o", path, st.st_mode & 0777);
		}
	}
}

/*
 * Finding 8: a freed context kept its last owner's MMU root and device-
 * memory window. After the instance is removed, the card's context points
 * at nothing (debugfs state shows free contexts' registers).
 */
TEST_F(any_type, freed_context_points_at_nothing)
{
	char path[PATH_MAX], buf[64], prefix[32], want[96], line[512];
	unsigned int ctx;
	bool seen = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/context", self->inst.uuid);
	ASSERT_EQ(0, tsr_sysfs_read(path, buf, sizeof(buf)));
	ctx = strtoul(buf, NULL, 0);
	tsr_instance_close(&self->inst);
	ASSERT_EQ(0, tsr_instance_remove(&self->inst));
	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/state", self->inst.parent);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	snprintf(prefix, sizeof(prefix), "context %u:", ctx);
	snprintf(want, sizeof(want), "context %u: free, mmu 0x0 window 0x0/0x0 ring 0x0\n", ctx);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)))
			continue;
		seen = true;
		EXPECT_STREQ(want, line);
	}
	fclose(f);
	EXPECT_TRUE(seen) {
		TH_LOG("no free-context line for context %u in %s", ctx, path);
	}
}

#define RING_IOVA	0x00100000ull
#define DATA_IOVA	0x01000000ull
#define DATA_BYTES	(1ull << 20)

FIXTURE(vgpu) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf data;
};

FIXTURE_SETUP(vgpu)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA, DATA_BYTES));
}

FIXTURE_TEARDOWN_PARENT(vgpu)
{
	tsr_instance_remove(&self->inst);
}

/*
 * Finding 1: a mediator reject made dma_unmap take the instance for
 * "runs nothing more" and unpin at once, while the commands accepted before
 * the rejected one still ran. Here a FILL waits behind a BUSY, a privileged
 * command after them is rejected, and the guest unmaps the FILL's buffer:
 * the unmap must wait for the FILL, which then completes whole (before, it
 * faulted on the unpinned pages half-way or wrote after the unmap).
 */
TEST_F(vgpu, unmap_after_reject_waits_for_accepted_work)
{
	struct tessera_cmd busy = tsr_cmd_busy(200000);
	struct tessera_cmd fill = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, 0x5a5a5a5a);
	struct tessera_cmd priv = { .opcode = TESSERA_OP_REG_WRITE };
	uint32_t code = 0, index = 0, status = 0;
	size_t left;

	memset(self->data.va, 0, DATA_BYTES);
	tsr_ring_push(&self->ring, &busy);
	tsr_ring_push(&self->ring, &fill);
	tsr_ring_push(&self->ring, &priv);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring));
	ASSERT_EQ(0, tsr_wait_fault(&self->inst, TSR_DEADLINE_MS, &code, &index));
	EXPECT_EQ(TESSERA_VF_REJECT_OPCODE, code);
	EXPECT_EQ(2, index);
	/* Still running the BUSY: the unmap comes while the FILL is queued. */
	EXPECT_TRUE(tsr_reg(&self->inst, TESSERA_VF_STATUS) & TESSERA_VF_STATUS_BUSY);
	ASSERT_EQ(0, tsr_dma_unmap(&self->inst, &self->data));
	/* The unmap returned only once the card was done with the pages. */
	left = tsr_count_not_byte(self->data.va, DATA_BYTES, 0x5a);
	EXPECT_EQ(0, left) {
		tsr_log_first_diff("the FILL accepted before the reject", self->data.va,
				   DATA_BYTES, 0x5a);
	}
	ASSERT_EQ(0, tsr_wait_status(&self->inst, TESSERA_VF_STATUS_BUSY, 0, TSR_DEADLINE_MS,
				     &status));
	/* Nothing was written after the unmap either. */
	EXPECT_EQ(left, tsr_count_not_byte(self->data.va, DATA_BYTES, 0x5a));
	/* The first fault stays the guest's own reject, not a card MMU fault. */
	EXPECT_EQ(TESSERA_VF_REJECT_OPCODE, tsr_reg(&self->inst, TESSERA_VF_FAULT_CODE));
}

/*
 * Finding 8: RING_BASE written after the ring was configured moved where
 * the next doorbell copied commands from, past the bounds checked at
 * configure time. The ring stays where it was configured.
 */
TEST_F(vgpu, ring_base_is_fixed_at_configure)
{
	struct tessera_cmd fill = tsr_cmd_fill(DATA_IOVA, 4096, 0x77777777);
	uint64_t v;

	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_BASE_LO, (uint32_t)DATA_IOVA));
	ASSERT_EQ(0, tsr_reg_write(&self->inst, TESSERA_VF_RING_BASE_HI, 0));
	/* DATA_IOVA holds zeroes: NOPs, if the mediator read the ring there. */
	memset(self->data.va, 0, DATA_BYTES);
	tsr_ring_push(&self->ring, &fill);
	v = tsr_ring_fence_kick(&self->ring, false);
	ASSERT_EQ(0, tsr_wait_fence(&self->inst, v, TSR_DEADLINE_MS, NULL));
	EXPECT_EQ(0, tsr_count_not_byte(self->data.va, 4096, 0x77));
}

FIXTURE(vgpu_big) {
	struct tsr_instance inst;
	struct tsr_ring ring;
	struct tsr_dma_buf data;
};

FIXTURE_SETUP(vgpu_big)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, "tessera-vgpu-4"));
	ASSERT_EQ(0, tsr_ring_setup(&self->inst, &self->ring, RING_IOVA, 64));
	ASSERT_EQ(0, tsr_dma_alloc(&self->inst, &self->data, DATA_IOVA,
				   2 * 4096 * TESSERA_CMD_SIZE));
}

FIXTURE_TEARDOWN_PARENT(vgpu_big)
{
	tsr_instance_remove(&self->inst);
}

/*
 * Finding 5: nested BATCH(4096) entries made the mediator shadow ~1 GiB
 * and audit ~16M commands in one trap. A doorbell carrying more than one
 * trap's budget is refused with its own code, before anything runs.
 */
TEST_F(vgpu_big, nested_batches_hit_the_trap_limit)
{
	struct tessera_cmd *outer = self->data.va, *leaf = outer + 4096;
	struct tessera_cmd batch = tsr_cmd_batch(DATA_IOVA, 4096);
	uint32_t code = 0, index = 0;
	unsigned int i;

	/* One ring entry: 4096 BATCHes of 4096 NOPs each, 16M commands. */
	for (i = 0; i < 4096; i++) {
		outer[i] = tsr_cmd_batch(DATA_IOVA + 4096 * TESSERA_CMD_SIZE, 4096);
		leaf[i] = tsr_cmd_nop();
	}
	tsr_ring_push(&self->ring, &batch);
	ASSERT_EQ(0, tsr_ring_kick(&self->ring));
	ASSERT_EQ(0, tsr_wait_fault(&self->inst, TSR_DEADLINE_MS, &code, &index));
	EXPECT_EQ(TESSERA_VF_REJECT_TRAP_LIMIT, code) {
		TH_LOG("fault code 0x%x", code);
	}
	EXPECT_EQ(0, index);
	EXPECT_EQ(0, tsr_reg(&self->inst, TESSERA_VF_CMDS_DONE));
}

/*
 * Issue 10, item 3 and 7: what a tenant that is not root costs the host.
 * QEMU under libvirt runs as its own user, without CAP_IPC_LOCK, with a
 * small RLIMIT_MEMLOCK and in a memory cgroup. Each test creates the
 * instance as root and forks a client process that opens it and works as
 * the tenant would; the test watches from outside the client's limits,
 * reading the host's figures at hand-over points (client_step(): two pipes,
 * no sleeps), and checks what the client reported in shared memory.
 */
#define NOBODY		65534
#define CAP_IPC_LOCK_BIT	14
#define MEMLOCK_LIMIT	(64 * 1024)
#define LIMIT_PAGES	(MEMLOCK_LIMIT / 4096)
#define FIT_BYTES	(32 * 1024)
#define SMALL_IOVA	0x02000000ull

struct client_report {
	char failed[200];		/* the client's first failed step, "" if none */
	int iommufd;
	int euid;
	unsigned long long cap_eff;
	int map_err;
	long vmlck_map, vmlck_reject, vmlck_unmap, vmlck_small;	/* KiB */
	uint32_t code, index, status;
	uint64_t addr;
	size_t refill_left, small_left;
};

struct client {
	pid_t pid;
	int to_client, from_client;
	struct client_report *rep;
};

static void client_failed(struct client_report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->failed[0])
		return;
	va_start(ap, fmt);
	vsnprintf(rep->failed, sizeof(rep->failed), fmt, ap);
	va_end(ap);
}

/* In a client step function: report the failed step and stop. */
#define CLIENT_FAIL(rep, ...) do {			\
	client_failed(rep, __VA_ARGS__);		\
	return;						\
} while (0)

/* In the client: tell the test a step is done, wait until it has looked. */
static bool client_step(int to_test, int from_test)
{
	char c = 's';

	return write(to_test, &c, 1) == 1 && read(from_test, &c, 1) == 1;
}

/* In the test: wait for the client's next step; false once it has exited. */
static bool test_wait_client(struct client *cl)
{
	char c;

	return read(cl->from_client, &c, 1) == 1;
}

static void test_release_client(struct client *cl)
{
	char c = 'g';

	if (write(cl->to_client, &c, 1) != 1)
		perror("# release the client");
}

/* Forks a client running @fn; in the test, returns with cl->pid set. */
static int client_start(struct client *cl,
			void (*fn)(void *arg, struct client_report *rep, int to_test, int from_test),
			void *arg)
{
	int down[2], up[2];

	cl->rep = mmap(NULL, sizeof(*cl->rep), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cl->rep == MAP_FAILED || pipe(down) || pipe(up))
		return -errno;
	cl->pid = fork();
	if (cl->pid < 0)
		return -errno;
	if (!cl->pid) {
		/* Never outlives the test, even one the harness timed out. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(down[1]);
		close(up[0]);
		fn(arg, cl->rep, up[1], down[0]);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	cl->to_client = down[1];
	cl->from_client = up[0];
	return 0;
}

/* Waits for the client to exit; its wait status. */
static int client_finish(struct client *cl)
{
	int status = -1;

	close(cl->to_client);
	close(cl->from_client);
	if (waitpid(cl->pid, &status, 0) != cl->pid)
		return -1;
	return status;
}

/* A "Name:   value" line of a /proc or cgroup key-value file; -1 if absent. */
static long long read_key(const char *path, const char *key)
{
	size_t len = strlen(key);
	long long v = -1;
	char line[256];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && (line[len] == ' ' || line[len] == ':' ||
						  line[len] == '\t')) {
			v = strtoll(line + len + 1 + strspn(line + len + 1, " \t"), NULL, 0);
			break;
		}
	}
	fclose(f);
	return v;
}

static long vmlck_kib(void)
{
	return read_key("/proc/self/status", "VmLck");
}

static unsigned long long cap_eff(void)
{
	char line[256];
	unsigned long long v = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			v = strtoull(line + 7, NULL, 16);
	fclose(f);
	return v;
}

/* The instance's VF_RESET, and the ring taken up where the card stands. */
static int client_reset(struct tsr_instance *inst, struct tsr_ring *ring)
{
	int ret = tsr_reg_write(inst, TESSERA_VF_RESET, 1);

	if (!ret)
		ret = tsr_wait_status(inst, TESSERA_VF_STATUS_FAULTED, 0, TSR_DEADLINE_MS, NULL);
	ring->tail = tsr_reg(inst, TESSERA_VF_RING_HEAD);
	return ret;
}

/*
 * The doorbell for what was pushed, which the mediator must refuse: it
 * audits, pins and shadows in the doorbell's trap, so the verdict is in the
 * registers when the write returns. Records it in @rep.
 */
static bool client_kick_refused(struct tsr_instance *inst, struct tsr_ring *ring,
				struct client_report *rep, const char *what)
{
	if (tsr_ring_kick(ring)) {
		client_failed(rep, "doorbell for %s", what);
		return false;
	}
	if (tsr_wait_fault(inst, 0, &rep->code, &rep->index)) {
		client_failed(rep, "%s was accepted", what);
		return false;
	}
	rep->addr = tsr_reg64(inst, TESSERA_VF_FAULT_ADDR_LO);
	return true;
}

/* FILLs the first FIT_BYTES of @buf with @byte; *@left: bytes that differ. */
static bool client_fill(struct tsr_instance *inst, struct tsr_ring *ring,
			struct client_report *rep, struct tsr_dma_buf *buf, uint8_t byte,
			size_t *left)
{
	struct tessera_cmd c = tsr_cmd_fill(buf->iova, FIT_BYTES, byte * 0x01010101u);

	memset(buf->va, 0, FIT_BYTES);
	tsr_ring_push(ring, &c);
	if (tsr_wait_fence(inst, tsr_ring_fence_kick(ring, false), TSR_DEADLINE_MS,
			   &rep->status))
		return false;
	*left = tsr_count_not_byte(buf->va, FIT_BYTES, byte);
	return true;
}

FIXTURE(unpriv) {
	struct tsr_instance inst;
	char node[2][PATH_MAX];		/* the device nodes handed to NOBODY */
	struct stat was[2];
};

/*
 * The nodes a client needs beyond /dev/vfio/vfio (0666): the group's
 * /dev/vfio/N with type1; /dev/iommu and the device cdev with iommufd.
 */
static int unpriv_nodes(FIXTURE_DATA(unpriv) *self)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *mode = getenv("TSR_IOMMUFD");
	struct dirent *de;
	ssize_t n;
	DIR *dir;

	if (mode && !strcmp(mode, "1")) {
		snprintf(self->node[0], PATH_MAX, "/dev/iommu");
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/vfio-dev",
			 self->inst.uuid);
		dir = opendir(path);
		if (!dir)
			return -errno;
		while ((de = readdir(dir)))
			if (!strncmp(de->d_name, "vfio", 4))
				snprintf(self->node[1], PATH_MAX, "/dev/vfio/devices/%s",
					 de->d_name);
		closedir(dir);
		return self->node[1][0] ? 0 : -ENOENT;
	}
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", self->inst.uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	snprintf(self->node[0], PATH_MAX, "/dev/vfio/%s", strrchr(link, '/') + 1);
	return 0;
}

FIXTURE_SETUP(unpriv)
{
	unsigned int i;

	ASSERT_EQ(0, tsr_instance_create(&self->inst, "tessera-vgpu-4"));
	ASSERT_EQ(0, unpriv_nodes(self));
	for (i = 0; i < 2 && self->node[i][0]; i++) {
		ASSERT_EQ(0, stat(self->node[i], &self->was[i])) {
			TH_LOG("%s: %s", self->node[i], strerror(errno));
		}
		ASSERT_EQ(0, chown(self->node[i], NOBODY, NOBODY));
	}
}

FIXTURE_TEARDOWN_PARENT(unpriv)
{
	unsigned int i;

	for (i = 0; i < 2 && self->node[i][0]; i++)
		if (self->was[i].st_mode && chown(self->node[i], self->was[i].st_uid,
						  self->was[i].st_gid))
			perror("# restore a device node's owner");
	tsr_instance_remove(&self->inst);
}

static void memlock_client(void *arg, struct client_report *rep, int to_test, int from_test)
{
	struct rlimit rl = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };
	struct tsr_instance *inst = arg;
	struct tsr_dma_buf data, small;
	struct tessera_cmd c;
	struct tsr_ring ring;

	/* As libvirt starts QEMU: its own uid and gid, no groups, no capability. */
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) || setgid(NOBODY) ||
	    setuid(NOBODY))
		CLIENT_FAIL(rep, "drop privileges: %s", strerror(errno));
	/* A change of credentials cleared it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rep->euid = geteuid();
	rep->cap_eff = cap_eff();
	if (tsr_instance_open(inst) || tsr_enable_device(inst))
		CLIENT_FAIL(rep, "open the instance as uid %d", NOBODY);
	rep->iommufd = inst->iommufd;
	if (tsr_ring_setup(inst, &ring, RING_IOVA, 64))
		CLIENT_FAIL(rep, "set up the ring");
	/* Mapping pins nothing for an mdev: 1 MiB maps under a 64 KiB limit. */
	rep->map_err = tsr_dma_alloc(inst, &data, DATA_IOVA, DATA_BYTES);
	if (rep->map_err)
		CLIENT_FAIL(rep, "map 1 MiB for DMA: %s", strerror(-rep->map_err));
	memset(data.va, 0, DATA_BYTES);
	rep->vmlck_map = vmlck_kib();

	c = tsr_cmd_fill(DATA_IOVA, DATA_BYTES, 0x5a5a5a5a);
	tsr_ring_push(&ring, &c);
	if (!client_kick_refused(inst, &ring, rep, "a FILL of 1 MiB over the limit"))
		return;
	rep->vmlck_reject = vmlck_kib();
	if (!client_step(to_test, from_test))
		CLIENT_FAIL(rep, "hand-over after the reject");

	/* Nothing raised: the pages already pinned still serve a command. */
	if (client_reset(inst, &ring))
		CLIENT_FAIL(rep, "VF_RESET after the reject");
	if (!client_fill(inst, &ring, rep, &data, 0x33, &rep->refill_left))
		CLIENT_FAIL(rep, "a FILL of 8 pinned pages after the reject");

	/* Unmapping gives the pins back to the limit: fresh pages fit again. */
	if (tsr_dma_unmap(inst, &data))
		CLIENT_FAIL(rep, "unmap the 1 MiB");
	rep->vmlck_unmap = vmlck_kib();
	if (tsr_dma_alloc(inst, &small, SMALL_IOVA, FIT_BYTES))
		CLIENT_FAIL(rep, "map 32 KiB");
	if (!client_fill(inst, &ring, rep, &small, 0x44, &rep->small_left))
		CLIENT_FAIL(rep, "a FILL of 8 fresh pages within the limit");
	rep->vmlck_small = vmlck_kib();
	if (!client_step(to_test, from_test))
		client_failed(rep, "hand-over after the small FILL");
}

/*
 * Items 3 and 7: a client without CAP_IPC_LOCK whose RLIMIT_MEMLOCK (64 KiB)
 * is smaller than what its command touches (1 MiB). VFIO pins lazily for an
 * mdev, so the map succeeds and nothing is locked until the mediator pins;
 * the pin that would pass the limit is refused, the command rejected with
 * exactly TESSERA_VF_REJECT_MEMLOCK at that page (not RANGE or PIN_LIMIT,
 * the card never sees it), with every page the limit allows pinned. Then,
 * nothing raised, the same instance still runs commands whose pages fit.
 */
TEST_F_TIMEOUT(unpriv, memlock_limit_rejects_the_pin_not_the_host, TSR_TEST_TIMEOUT_S)
{
	long long rejects0 = tsr_inst_stat(&self->inst, "rejects");
	long long card_faults0 = tsr_inst_stat(&self->inst, "card_faults");
	long long pinned = -1, rejects = -1, card_faults = -1, pinned_small = -1;
	struct client_report *rep;
	struct client cl;
	int status;

	ASSERT_EQ(0, client_start(&cl, memlock_client, &self->inst));
	rep = cl.rep;
	if (test_wait_client(&cl)) {
		pinned = tsr_inst_stat(&self->inst, "pinned_pages");
		rejects = tsr_inst_stat(&self->inst, "rejects");
		card_faults = tsr_inst_stat(&self->inst, "card_faults");
		test_release_client(&cl);
	}
	if (test_wait_client(&cl)) {
		pinned_small = tsr_inst_stat(&self->inst, "pinned_pages");
		test_release_client(&cl);
	}
	status = client_finish(&cl);
	TH_LOG("%s: reject 0x%x at 0x%llx, %lld pages pinned; VmLck %ld KiB mapped, %ld rejected, %ld unmapped, %ld small",
	       rep->iommufd ? "iommufd" : "type1", rep->code, (unsigned long long)rep->addr,
	       pinned, rep->vmlck_map, rep->vmlck_reject, rep->vmlck_unmap, rep->vmlck_small);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("client wait status 0x%x", status);
	}
	EXPECT_STREQ("", rep->failed);
	EXPECT_EQ(NOBODY, rep->euid);
	EXPECT_EQ(0, rep->cap_eff & (1ull << CAP_IPC_LOCK_BIT));
	EXPECT_EQ(0, rep->map_err);
	EXPECT_EQ(TESSERA_VF_REJECT_MEMLOCK, rep->code) {
		TH_LOG("fault code 0x%x at 0x%llx (%s)", rep->code,
		       (unsigned long long)rep->addr, rep->iommufd ? "iommufd" : "type1");
	}
	EXPECT_EQ(0, rep->index);
	/* Every page the limit allows, and the first one past it refused. */
	EXPECT_EQ(LIMIT_PAGES, pinned);
	EXPECT_EQ(DATA_IOVA + LIMIT_PAGES * 4096ull, rep->addr);
	EXPECT_EQ(rejects0 + 1, rejects);
	EXPECT_EQ(card_faults0, card_faults);
	if (!rep->iommufd) {
		/* type1 charges the mm's locked_vm when it pins: VmLck shows it. */
		EXPECT_EQ(0, rep->vmlck_map);
		EXPECT_EQ(MEMLOCK_LIMIT / 1024, rep->vmlck_reject);
		EXPECT_EQ(0, rep->vmlck_unmap);
		EXPECT_EQ(FIT_BYTES / 1024, rep->vmlck_small);
	}
	EXPECT_EQ(0, rep->refill_left);
	EXPECT_EQ(0, rep->small_left);
	EXPECT_EQ(FIT_BYTES / 4096, pinned_small);
	EXPECT_EQ(rejects0 + 1, tsr_inst_stat(&self->inst, "rejects"));
	/* The client is gone: the instance holds nothing. */
	EXPECT_EQ(0, tsr_inst_stat(&self->inst, "pinned_pages"));
}

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define BATCH_IOVA	0x03000000ull
#define BATCH_CMDS	4096
#define BATCH_BYTES	(BATCH_CMDS * TESSERA_CMD_SIZE)
#define BATCH_PAGES	(BATCH_BYTES / 4096)
#define HELD_BATCHES	4		/* one doorbell's max_trap_cmds (16384) */
#define MEMCG_ROOM	(512 * 1024)	/* memory.max above the usage with them held */

FIXTURE(memcg) {
	struct tsr_instance inst;
	char cg[PATH_MAX];
	bool mounted, made;
};

FIXTURE_SETUP(memcg)
{
	char buf[256];

	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK)) {
		ASSERT_EQ(0, mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL)) {
			TH_LOG("mount cgroup2 on %s: %s", CGROUP_ROOT, strerror(errno));
		}
		self->mounted = true;
	}
	ASSERT_EQ(0, tsr_sysfs_read(CGROUP_ROOT "/cgroup.controllers", buf, sizeof(buf)));
	ASSERT_NE(NULL, strstr(buf, "memory")) {
		TH_LOG("no memory controller: %s", buf);
	}
	ASSERT_EQ(0, tsr_sysfs_write(CGROUP_ROOT "/cgroup.subtree_control", "+memory"));
	snprintf(self->cg, sizeof(self->cg), CGROUP_ROOT "/tessera-regress-%d", getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	self->made = true;
	ASSERT_EQ(0, tsr_instance_create(&self->inst, "tessera-vgpu-4"));
}

FIXTURE_TEARDOWN_PARENT(memcg)
{
	tsr_instance_remove(&self->inst);
	if (self->made && rmdir(self->cg))
		perror("# rmdir the test's cgroup");
	if (self->mounted && umount(CGROUP_ROOT))
		perror("# umount " CGROUP_ROOT);
}

struct memcg_arg {
	struct tsr_instance *inst;
	const char *cg;
};

static void memcg_client(void *arg, struct client_report *rep, int to_test, int from_test)
{
	struct memcg_arg *a = arg;
	struct tsr_instance *inst = a->inst;
	struct tessera_cmd busy = tsr_cmd_busy(TESSERA_MAX_BUSY_US);
	struct tessera_cmd batch = tsr_cmd_batch(BATCH_IOVA, BATCH_CMDS);
	char path[PATH_MAX];
	struct tsr_dma_buf cmds;
	struct tsr_ring ring;
	unsigned int i;
	uint64_t v;

	snprintf(path, sizeof(path), "%s/cgroup.procs", a->cg);
	if (tsr_sysfs_write(path, "0"))
		CLIENT_FAIL(rep, "join %s", a->cg);
	if (tsr_instance_open(inst) || tsr_enable_device(inst))
		CLIENT_FAIL(rep, "open the instance");
	rep->iommufd = inst->iommufd;
	if (tsr_ring_setup(inst, &ring, RING_IOVA, 64))
		CLIENT_FAIL(rep, "set up the ring");
	if (tsr_dma_alloc(inst, &cmds, BATCH_IOVA, BATCH_BYTES))
		CLIENT_FAIL(rep, "map the batch");
	/* 4096 NOPs (all zero), written before the test's first reading. */
	memset(cmds.va, 0, BATCH_BYTES);
	if (!client_step(to_test, from_test))
		CLIENT_FAIL(rep, "hand-over before the batches");

	/* The BUSY keeps the card from finishing the batches. */
	tsr_ring_push(&ring, &busy);
	for (i = 0; i < HELD_BATCHES; i++)
		tsr_ring_push(&ring, &batch);
	if (tsr_ring_kick(&ring))
		CLIENT_FAIL(rep, "doorbell");
	rep->status = tsr_reg(inst, TESSERA_VF_STATUS);
	if (rep->status & TESSERA_VF_STATUS_FAULTED)
		CLIENT_FAIL(rep, "the held batches were refused: 0x%x",
				     tsr_reg(inst, TESSERA_VF_FAULT_CODE));
	/* Shadows are reclaimed only at the next doorbell: held until then. */
	if (!client_step(to_test, from_test))
		CLIENT_FAIL(rep, "hand-over with the batches held");

	/* The test has set memory.max: 4 more batches do not fit under it. */
	for (i = 0; i < HELD_BATCHES; i++)
		tsr_ring_push(&ring, &batch);
	if (!client_kick_refused(inst, &ring, rep, "4 batches past memory.max"))
		return;
	if (!client_step(to_test, from_test))
		CLIENT_FAIL(rep, "hand-over after the reject");

	/* The client is not killed and its instance runs on, memory.max still set. */
	if (client_reset(inst, &ring))
		CLIENT_FAIL(rep, "VF_RESET after the reject");
	v = tsr_ring_fence_kick(&ring, false);
	if (tsr_wait_fence(inst, v, TSR_DEADLINE_MS, &rep->status))
		CLIENT_FAIL(rep, "a FENCE after the reject");
}

struct memcg_reading {
	long long current, kernel, slab, shadow_pages;
};

static void memcg_read(const char *cg, struct memcg_reading *r)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	r->current = tsr_sysfs_read(path, buf, sizeof(buf)) ? -1 : strtoll(buf, NULL, 10);
	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	r->kernel = read_key(path, "kernel");
	r->slab = read_key(path, "slab");
	r->shadow_pages = read_key("/sys/kernel/debug/tessera/mdev_counters", "shadow_pages");
}

/*
 * Item 7: the shadow copies are charged to the memory cgroup of the process
 * that drives the instance, and that cgroup's memory.max stops a tenant
 * with a reject code of its own, TESSERA_VF_REJECT_NOMEM, not the OOM
 * killer: no process is killed, the client included, and its instance runs
 * on after VF_RESET. One doorbell holds 4 BATCHes of 4096 commands (1 MiB
 * of shadow) behind a BUSY; the cgroup's memory.current and its "kernel"
 * counter (memory.stat: dma_alloc_coherent() with __GFP_ACCOUNT charges
 * whole pages there) must grow by at least that much. memory.max is then
 * set 512 KiB above the usage and 4 more batches are submitted.
 */
TEST_F_TIMEOUT(memcg, shadow_is_charged_and_memory_max_rejects, TSR_TEST_TIMEOUT_S)
{
	struct memcg_arg arg = { .inst = &self->inst, .cg = self->cg };
	struct memcg_reading base = { -1, -1, -1, -1 }, held = base, after = base;
	long long oom_kills0 = read_key("/proc/vmstat", "oom_kill");
	long long max_events = -1, cg_oom_kills = -1, slack;
	struct client_report *rep;
	char path[PATH_MAX + 32], val[32];
	struct client cl;
	int status;

	ASSERT_LE(0, oom_kills0);
	ASSERT_EQ(0, client_start(&cl, memcg_client, &arg));
	rep = cl.rep;
	if (test_wait_client(&cl)) {
		memcg_read(self->cg, &base);
		test_release_client(&cl);
	}
	if (test_wait_client(&cl)) {
		uint64_t deadline = tsr_now_ms() + 10000;

		/*
		 * memory.stat is exact only after a flush, which memcg does
		 * when enough updates are pending or every 2 s: wait for the
		 * shadow to show there, for a bounded time.
		 */
		do {
			memcg_read(self->cg, &held);
			if ((held.shadow_pages - base.shadow_pages) * 4096 <= held.kernel - base.kernel)
				break;
			usleep(100 * 1000);
		} while (tsr_now_ms() < deadline);
		snprintf(path, sizeof(path), "%s/memory.max", self->cg);
		snprintf(val, sizeof(val), "%lld", held.current + MEMCG_ROOM);
		EXPECT_EQ(0, tsr_sysfs_write(path, val));
		test_release_client(&cl);
	}
	if (test_wait_client(&cl)) {
		memcg_read(self->cg, &after);
		snprintf(path, sizeof(path), "%s/memory.events", self->cg);
		max_events = read_key(path, "max");
		cg_oom_kills = read_key(path, "oom_kill");
		test_release_client(&cl);
	}
	status = client_finish(&cl);
	TH_LOG("memcg growth with %d batches held: memory.current +%lld, kernel +%lld, slab +%lld; shadow +%lld pages",
	       HELD_BATCHES, held.current - base.current, held.kernel - base.kernel,
	       held.slab - base.slab, held.shadow_pages - base.shadow_pages);
	TH_LOG("past memory.max: reject 0x%x at ring index %u; memory.events max %lld, oom_kill %lld",
	       rep->code, rep->index, max_events, cg_oom_kills);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("client wait status 0x%x", status);
	}
	EXPECT_STREQ("", rep->failed);
	ASSERT_LE(0, base.shadow_pages);
	EXPECT_EQ(HELD_BATCHES * BATCH_PAGES, held.shadow_pages - base.shadow_pages);
	/*
	 * memory.current is charged in batches of MEMCG_CHARGE_BATCH (64)
	 * pages per CPU: it may grow that much less than the shadow, which a
	 * per-CPU stock charged before absorbed. "kernel" in memory.stat,
	 * once flushed (above), counts the shadow's pages themselves.
	 */
	slack = 64ll * 4096 * sysconf(_SC_NPROCESSORS_ONLN);
	EXPECT_LE((held.shadow_pages - base.shadow_pages) * 4096,
		  held.kernel - base.kernel);
	EXPECT_LE((held.shadow_pages - base.shadow_pages) * 4096 - slack,
		  held.current - base.current);
	EXPECT_LT(slack, (held.shadow_pages - base.shadow_pages) * 4096) {
		TH_LOG("%ld CPUs: memcg's batching hides up to %lld bytes, as much as the shadow",
		       sysconf(_SC_NPROCESSORS_ONLN), slack);
	}

	EXPECT_EQ(TESSERA_VF_REJECT_NOMEM, rep->code) {
		TH_LOG("fault code 0x%x at ring index %u, address 0x%llx", rep->code,
		       rep->index, (unsigned long long)rep->addr);
	}
	/* One of the 4 new entries (ring 5..8); those before it keep their copy. */
	EXPECT_LE(1 + HELD_BATCHES, rep->index);
	EXPECT_GT(1 + 2 * HELD_BATCHES, rep->index);
	EXPECT_EQ(BATCH_IOVA, rep->addr);
	EXPECT_EQ(held.shadow_pages + (rep->index - 1 - HELD_BATCHES) * BATCH_PAGES,
		  after.shadow_pages);
	/* memory.max was hit, and nobody was killed for it. */
	EXPECT_LT(0, max_events);
	EXPECT_EQ(0, cg_oom_kills);
	EXPECT_EQ(oom_kills0, read_key("/proc/vmstat", "oom_kill"));
}

TEST_HARNESS_MAIN
