// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the scheduler selftests and benchmark (see sched_lib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched_lib.h"

int sl_card_path(char *out, size_t len, const char *file)
{
	char parent[256];
	int ret = tsr_find_parent(parent, sizeof(parent));

	if (ret)
		return ret;
	snprintf(out, len, "/sys/bus/pci/devices/%s/tessera/%s", parent, file);
	return 0;
}

static int write_errno(const char *path, const char *val)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = errno;
	close(fd);
	return err;
}

int sl_card_write_errno(const char *file, const char *val)
{
	char path[PATH_MAX];

	if (sl_card_path(path, sizeof(path), file))
		return ENODEV;
	return write_errno(path, val);
}

int sl_card_write(const char *file, const char *val)
{
	int err = sl_card_write_errno(file, val);

	if (err)
		fprintf(stderr, "# writing '%s' to card's tessera/%s: %s\n", val, file,
			strerror(err));
	return -err;
}

long long sl_card_read(const char *file)
{
	char path[PATH_MAX], buf[128];

	if (sl_card_path(path, sizeof(path), file) || tsr_sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

int sl_setup(struct sl_inst *s, const char *type)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = tsr_instance_setup(&s->inst, type);
	if (ret)
		return ret;
	snprintf(s->sysdir, sizeof(s->sysdir), "/sys/bus/mdev/devices/%s/tessera", s->inst.uuid);
	s->ctx = (int)sl_inst_read(s, "context");
	ret = tsr_ring_setup(&s->inst, &s->ring, SL_RING_IOVA, SL_RING_ENTRIES);
	if (ret) {
		tsr_instance_teardown(&s->inst);
		return ret;
	}
	s->ring_ready = true;
	return 0;
}

void sl_teardown(struct sl_inst *s)
{
	if (s->inst.created)
		tsr_instance_teardown(&s->inst);
}

int sl_inst_write_errno(struct sl_inst *s, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->sysdir, file);
	return write_errno(path, val);
}

int sl_inst_write(struct sl_inst *s, const char *file, const char *val)
{
	int err = sl_inst_write_errno(s, file, val);

	if (err)
		fprintf(stderr, "# writing '%s' to %s/%s: %s\n", val, s->sysdir, file,
			strerror(err));
	return -err;
}

long long sl_inst_read(struct sl_inst *s, const char *file)
{
	char path[PATH_MAX], buf[128];

	snprintf(path, sizeof(path), "%s/%s", s->sysdir, file);
	if (tsr_sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/*
 * The mediator computes VF_BUSY_NS_LO and _HI from two reads of the card's
 * counter: across a 2^32 ns boundary a LO-then-HI read tears. Read HI, LO,
 * HI and retry until both HI agree.
 */
uint64_t sl_busy(struct sl_inst *s)
{
	uint32_t hi, lo, hi2;
	int tries;

	for (tries = 0; tries < 10; tries++) {
		hi = tsr_reg(&s->inst, TESSERA_VF_BUSY_NS_HI);
		lo = tsr_reg(&s->inst, TESSERA_VF_BUSY_NS_LO);
		hi2 = tsr_reg(&s->inst, TESSERA_VF_BUSY_NS_HI);
		if (hi == hi2)
			break;
	}
	return (uint64_t)hi2 << 32 | lo;
}

uint32_t sl_queued(struct sl_inst *s)
{
	uint32_t head = tsr_reg(&s->inst, TESSERA_VF_RING_HEAD);

	return (s->ring.tail - head) & (s->ring.entries - 1);
}

int sl_top_up(struct sl_inst *s, uint64_t usec)
{
	uint32_t queued = sl_queued(s), free_entries, i;
	struct tessera_cmd c = s->own_cmd ? s->cmd : tsr_cmd_busy(usec);

	/* One entry stays empty: a full ring would read as an empty one. */
	free_entries = s->ring.entries - 1 - queued;
	/* Top up only below half: fewer doorbells, the same saturation. */
	if (queued >= s->ring.entries / 2)
		return 0;
	for (i = 0; i < free_entries; i++) {
		tsr_ring_push(&s->ring, &c);
		if (s->kick_every && (i + 1) % s->kick_every == 0 && tsr_ring_kick(&s->ring))
			return -EIO;
	}
	return tsr_ring_kick(&s->ring);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

/*
 * Reads every instance's busy counter close together: one engine runs one
 * of them at a time, so the counters move while we read, and a read spread
 * over a long time (the reader preempted) would credit the running one.
 * Retries until one pass takes at most SL_READ_SPREAD_US.
 */
#define SL_READ_SPREAD_US	200
static void read_all_busy(struct sl_inst **v, int n, uint64_t *busy)
{
	int i, tries;

	for (tries = 0; tries < 20; tries++) {
		uint64_t t0 = now_us();

		for (i = 0; i < n; i++)
			busy[i] = sl_busy(v[i]);
		if (now_us() - t0 <= SL_READ_SPREAD_US)
			return;
	}
}

/*
 * While a measurement runs: fail if an instance faulted, and keep every
 * active instance's ring topped up with BUSY work so it stays saturating.
 */
static int sl_keep_busy(struct sl_inst **v, const bool *active, int n, uint64_t busy_us)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		uint32_t st = tsr_reg(&v[i]->inst, TESSERA_VF_STATUS);

		if (st & TESSERA_VF_STATUS_FAULTED) {
			fprintf(stderr, "# instance %d faulted: code 0x%x\n", i,
				tsr_reg(&v[i]->inst, TESSERA_VF_FAULT_CODE));
			return -EIO;
		}
		if (active[i]) {
			ret = sl_top_up(v[i], busy_us);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int sl_window(struct sl_inst **v, const bool *active, int n, uint64_t busy_us,
	      uint64_t window_ns, uint64_t *delta, int timeout_ms)
{
	uint64_t start[32], now[32], deadline = tsr_now_ms() + timeout_ms, sum;
	int i, ret;

	if (n > 32)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (active[i]) {
			ret = sl_top_up(v[i], busy_us);
			if (ret)
				return ret;
		}
	}
	read_all_busy(v, n, start);
	for (;;) {
		read_all_busy(v, n, now);
		sum = 0;
		for (i = 0; i < n; i++) {
			delta[i] = now[i] - start[i];
			sum += delta[i];
		}
		if (sum >= window_ns)
			return 0;
		ret = sl_keep_busy(v, active, n, busy_us);
		if (ret)
			return ret;
		if (tsr_now_ms() > deadline) {
			fprintf(stderr, "# window of %llu ns not reached: %llu ns in %d ms\n",
				(unsigned long long)window_ns, (unsigned long long)sum, timeout_ms);
			return -ETIMEDOUT;
		}
		/* Poll interval: well under a slice, so a window overshoots little. */
		usleep(200);
	}
}

#define SL_MAX_GROUPS	8

/*
 * One engine's instances at one switch from the card's debugfs file, which
 * the driver writes under its lock: 1 if read, 0 if the file is not there,
 * -EAGAIN if an instance was attached after the engine's last switch.
 */
static int snapshot_group_debugfs(struct sl_inst **v, const int *group, int n, int g,
				  uint64_t *seq, uint64_t *busy)
{
	unsigned long long cs[64] = { 0 }, cb[64] = { 0 };
	char path[400], line[128];
	bool seen = false;
	unsigned int id;
	const char *parent = NULL;
	FILE *f;
	int i;

	for (i = 0; i < n && !parent; i++)
		if ((group ? group[i] : 0) == g)
			parent = v[i]->inst.parent;
	if (!parent)
		return 0;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/busy_at_switch", parent);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (sscanf(line, "ctx %u %llu %llu", &id, &a, &b) == 3 && id < 64) {
			cs[id] = a;
			cb[id] = b;
		}
	}
	fclose(f);
	for (i = 0; i < n; i++) {
		if ((group ? group[i] : 0) != g)
			continue;
		if (v[i]->ctx < 0 || v[i]->ctx >= 64 || strcmp(v[i]->inst.parent, parent))
			return 0;
		busy[i] = cb[v[i]->ctx];
		if (!seen) {
			seen = true;
			*seq = cs[v[i]->ctx];
		} else if (*seq != cs[v[i]->ctx]) {
			return -EAGAIN;
		}
	}
	return 1;
}

/* One engine's instances at one switch; retried while a switch cuts the reads. */
static int snapshot_group(struct sl_inst **v, const int *group, int n, int g, uint64_t *seq,
			  uint64_t *busy)
{
	int tries, i, ret;

	/* One card's engine: the debugfs file has them all at one instant. */
	for (tries = 0; tries < 100; tries++) {
		ret = snapshot_group_debugfs(v, group, n, g, seq, busy);
		if (ret == 1)
			return 0;
		if (!ret)
			break;
		usleep(100);
	}

	for (tries = 0; tries < 100; tries++) {
		bool seen = false, same = true;

		for (i = 0; i < n; i++) {
			char path[400], buf[64];
			unsigned long long s, b;

			if ((group ? group[i] : 0) != g)
				continue;
			snprintf(path, sizeof(path), "%s/busy_at_switch", v[i]->sysdir);
			if (tsr_sysfs_read(path, buf, sizeof(buf)) ||
			    sscanf(buf, "%llu %llu", &s, &b) != 2)
				return -EIO;
			busy[i] = b;
			if (!seen) {
				seen = true;
				*seq = s;
			} else if (*seq != s) {
				same = false;
			}
		}
		if (same)
			return 0;
	}
	fprintf(stderr, "# no consistent busy_at_switch snapshot of engine group %d in 100 tries\n",
		g);
	return -EAGAIN;
}

int sl_snapshot(struct sl_inst **v, const int *group, int n, uint64_t *seq, uint64_t *busy)
{
	int i, g, ngroups = 1, ret;

	for (i = 0; i < n; i++)
		if (group && group[i] + 1 > ngroups)
			ngroups = group[i] + 1;
	for (g = 0; g < ngroups; g++) {
		ret = snapshot_group(v, group, n, g, &seq[g], busy);
		if (ret)
			return ret;
	}
	return 0;
}

int sl_window_switches(struct sl_inst **v, const bool *active, const int *group, int n,
		       uint64_t busy_us, uint64_t switches, uint64_t *delta, int timeout_ms)
{
	uint64_t seq0[SL_MAX_GROUPS], seq[SL_MAX_GROUPS], start[32], now[32];
	uint64_t deadline = tsr_now_ms() + timeout_ms;
	int i, ret, ngroups = 1;

	if (n > 32)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (group && group[i] + 1 > ngroups)
			ngroups = group[i] + 1;
		if (active[i]) {
			ret = sl_top_up(v[i], busy_us);
			if (ret)
				return ret;
		}
	}
	if (ngroups > SL_MAX_GROUPS)
		return -EINVAL;
	ret = sl_snapshot(v, group, n, seq0, start);
	if (ret)
		return ret;
	for (;;) {
		bool done = true;
		int g;

		ret = sl_snapshot(v, group, n, seq, now);
		if (ret)
			return ret;
		for (g = 0; g < ngroups; g++)
			if (seq[g] < seq0[g] + switches)
				done = false;
		if (done) {
			for (i = 0; i < n; i++)
				delta[i] = now[i] - start[i];
			return 0;
		}
		ret = sl_keep_busy(v, active, n, busy_us);
		if (ret)
			return ret;
		if (tsr_now_ms() > deadline) {
			fprintf(stderr, "# %llu switches not seen in %d ms (group 0 at %llu, from %llu)\n",
				(unsigned long long)switches, timeout_ms,
				(unsigned long long)seq[0], (unsigned long long)seq0[0]);
			for (i = 0; i < n; i++)
				fprintf(stderr, "# instance %d: busy_at_switch %llu, busy %llu, queued %u, status 0x%x\n",
					i, (unsigned long long)now[i],
					(unsigned long long)sl_busy(v[i]), sl_queued(v[i]),
					tsr_reg(&v[i]->inst, TESSERA_VF_STATUS));
			for (i = 0; i < n; i++)
				if (!i || strcmp(v[i]->inst.parent, v[i - 1]->inst.parent))
					sl_dump_state(v[i]->inst.parent);
			return -ETIMEDOUT;
		}
		usleep(200);
	}
}

void sl_dump_state(const char *card)
{
	char parent[256], path[400], line[1024];
	FILE *f;

	if (!card) {
		if (tsr_find_parent(parent, sizeof(parent)))
			return;
		card = parent;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/tessera/%s/state", card);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "engine", 6) || !strncmp(line, "scheduler", 9) ||
		    !strncmp(line, "context", 7))
			fprintf(stderr, "# %s", line);
	fclose(f);
}

double sl_jain(const double *x, int n)
{
	double sum = 0, sq = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += x[i];
		sq += x[i] * x[i];
	}
	return sq > 0 ? sum * sum / (n * sq) : 0;
}
