// SPDX-License-Identifier: GPL-2.0
/*
 * OP_SYSFS: the instance's and its card's sysfs files, driven the way an
 * operator's tool (tessera-smi, libvirt) drives them while the guest works:
 * read-only files read, from helper threads and during removal too, and
 * the writable ones written with boundary and malformed values.
 *
 * Only a lone strict task writes (under concurrency the files are read and
 * only the kernel's health counts). Oracle: a write succeeds exactly when its value is in the range
 * Documentation/ABI/testing/sysfs-bus-mdev-tessera gives, parsed as the
 * kernel's kstrtou32/kstrtou64 with base 0 do; a refused write fails with
 * EINVAL and changes nothing; an accepted one reads back. What was there
 * before is written back: the register oracle knows the instance's first
 * weight (VF_WEIGHT), and the card's slice and policy are the run's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static const char *const inst_files[] = {
	"doorbells", "commands", "rejects", "card_faults", "pin_calls", "audit_ns", "pin_ns",
	"map_ns", "copy_ns", "interrupts", "pinned_pages", "busy_ns", "context", "vram_offset",
	"stats", "weight", "sched_stats", "commands_completed", "commands_faulted",
	"preemptions", "resets", "watchdog_faults", "engine", "busy_at_switch",
};

static const char *const card_files[] = {
	"clock_ns", "engines", "regions", "contexts", "contexts_free", "vram_bytes", "policy",
	"slice_us", "preempt", "watchdog_ms",
};

static const char *const type_files[] = {
	"max_instances", "vram_bytes", "weight", "regions", "functions",
};

static const char *const type_names[] = {
	"tessera-vgpu-1", "tessera-vgpu-4", "tessera-vgpu-32", "tessera-vfpga-1", "tessera-vfpga-4",
};

/* Numbers as the kernel's kstrto*() with base 0 take them, and some they refuse. */
static const char *const numbers[] = {
	"0", "1", "2", "49", "50", "64", "65", "100000", "100001", "4294967295", "4294967296",
	"18446744073709551615", "18446744073709551616", "-1", "+7", "0x10", "0X40", "010", "08",
	"0x", "7\n", "7\n\n", " 7", "7 ", "abc", "1e3", "12abc",
};

static const char *const policies[] = {
	"best-effort", "equal-share", "fixed-share", "best-effort\n", "fixed-share\n\n",
	"round-robin", "BEST-EFFORT", "best-effort2", "equal", "-",
};

/*
 * Whether kstrtoull(s, 0) accepts @s, and its value: an optional '+', then
 * 0x/0X hex, 0 octal or decimal digits, then at most one newline.
 */
static bool kstrto_base0(const char *s, uint64_t max, uint64_t *out)
{
	unsigned int base = 10;
	size_t len = strlen(s);
	unsigned __int128 v = 0;
	const char *p = s, *end;

	if (len && s[len - 1] == '\n')
		len--;
	end = s + len;
	if (p < end && *p == '+')
		p++;
	if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p < end && p[0] == '0') {
		base = 8;
	}
	if (p == end)
		return false;
	for (; p < end; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		v = v * base + d;
		if (v > max)
			return false;
	}
	*out = (uint64_t)v;
	return true;
}

static int sysfs_read_path(const char *path, char *buf, size_t size, int *err)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	n = read(fd, buf, size - 1);
	*err = n < 0 ? errno : 0;
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int sysfs_write_path(const char *path, const char *val, int *err)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	n = write(fd, val, strlen(val));
	*err = n < 0 ? errno : 0;
	close(fd);
	return n < 0 ? -1 : 0;
}

static void read_one(struct fz_task *t, const char *path)
{
	char buf[4096];
	int err;

	/* A file gone with a removal is fine; anything else a read returns is data. */
	if (sysfs_read_path(path, buf, sizeof(buf), &err) && t->strict && fz_quiet() &&
	    err != EACCES)
		fz_fail(t, "reading %s failed: %s", path, strerror(err));
}

/*
 * Write @val to @path; @valid says whether the driver must take it. Puts
 * back what @path held, compares what it reads after an accepted write with
 * @want_back.
 */
static void write_checked(struct fz_task *t, const char *path, const char *val, bool valid,
			  const char *want_back)
{
	char before[256], after[256], shown[64];
	int err, rerr, ret;
	bool check = t->strict && fz_quiet();

	/*
	 * Two writers would put back each other's values, and the register
	 * oracle of a helper thread reads VF_WEIGHT: only a lone task writes.
	 */
	if (!check) {
		read_one(t, path);
		return;
	}
	if (sysfs_read_path(path, before, sizeof(before), &rerr))
		return;
	ret = sysfs_write_path(path, val, &err);
	snprintf(shown, sizeof(shown), "%s", val);
	for (char *c = shown; *c; c++)
		if (*c == '\n')
			*c = '|';
	fz_checked();
	fz_expect(t, ret, err, valid ? 0 : EINVAL, path);
	if (!sysfs_read_path(path, after, sizeof(after), &rerr)) {
		if (!valid && strcmp(before, after))
			fz_fail(t, "%s: the refused write '%s' changed it from '%s' to '%s'", path,
				shown, before, after);
		if (valid && want_back && strcmp(after, want_back))
			fz_fail(t, "%s: wrote '%s', reads '%s', want '%s'", path, shown, after,
				want_back);
	}
	if (!ret)
		sysfs_write_path(path, before, &err);
}

void fz_sysfs_exec(struct fz_task *t, const struct fz_op *op)
{
	char path[PATH_MAX], back[64];
	const char *val;
	uint64_t v;
	bool valid;

	switch (op->a[0] % 6) {
	case 0:
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/%s", fz.inst.uuid,
			 inst_files[op->a[1] % (sizeof(inst_files) / sizeof(inst_files[0]))]);
		read_one(t, path);
		break;
	case 1:
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/tessera/%s", fz.inst.parent,
			 card_files[op->a[1] % (sizeof(card_files) / sizeof(card_files[0]))]);
		read_one(t, path);
		break;
	case 2:
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/tessera_types/%s/%s",
			 fz.inst.parent,
			 type_names[op->a[1] % (sizeof(type_names) / sizeof(type_names[0]))],
			 type_files[op->a[2] % (sizeof(type_files) / sizeof(type_files[0]))]);
		/* Not every type is offered, and regions/functions are vFPGA ones only. */
		if (access(path, F_OK) == 0)
			read_one(t, path);
		break;
	case 3:
		val = numbers[op->a[1] % (sizeof(numbers) / sizeof(numbers[0]))];
		valid = kstrto_base0(val, UINT32_MAX, &v) && v >= 1 && v <= 64;
		snprintf(back, sizeof(back), "%" PRIu64 "\n", valid ? v : 0);
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/tessera/weight", fz.inst.uuid);
		write_checked(t, path, val, valid, back);
		break;
	case 4:
		val = numbers[op->a[1] % (sizeof(numbers) / sizeof(numbers[0]))];
		valid = kstrto_base0(val, UINT64_MAX, &v) && v >= 50 && v <= 100000;
		snprintf(back, sizeof(back), "%" PRIu64 "\n", valid ? v : 0);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/tessera/slice_us",
			 fz.inst.parent);
		write_checked(t, path, val, valid, back);
		break;
	default: {
		static const char *const bracketed[] = {
			"[best-effort] equal-share fixed-share\n",
			"best-effort [equal-share] fixed-share\n",
			"best-effort equal-share [fixed-share]\n",
		};
		unsigned int i = op->a[1] % (sizeof(policies) / sizeof(policies[0]));
		int which = -1;

		val = policies[i];
		for (int k = 0; k < 3; k++) {
			size_t n = strlen(policies[k]);

			/* sysfs_streq: the name, then at most one newline. */
			if (!strncmp(val, policies[k], n) && (!val[n] || !strcmp(val + n, "\n")))
				which = k;
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/tessera/policy",
			 fz.inst.parent);
		write_checked(t, path, val, which >= 0, which >= 0 ? bracketed[which] : NULL);
		break;
	}
	}
}
