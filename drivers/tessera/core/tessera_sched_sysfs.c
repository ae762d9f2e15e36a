// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera scheduler settings, accounting and the card's size in sysfs.
 *
 * Per card, /sys/bus/pci/devices/<bdf>/tessera/:
 *   policy       best-effort | equal-share | fixed-share (rw)
 *   slice_us     slice in microseconds, 50..100000 (rw)
 *   preempt      1: switch at the card's next checkpoint, 0: only at
 *                command boundaries (rw)
 *   watchdog_ms  one command's engine-time bound, 0 = off (rw)
 *   clock_ns     the card's clock (ro)
 *   engines regions contexts vram_bytes
 *                what the card has, fixed at probe (ro)
 *   contexts_free hardware contexts no client holds (ro)
 * A client shows its own contexts' figures (tessera_ctx_sched_info()):
 * the mediator's are in the mdev devices' tessera/ folders. Every setting
 * applies at once; nothing restarts. A bad value is refused
 * with -EINVAL and a line in the kernel log saying what is accepted.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "tessera_drv.h"

static struct tessera_sched *tessera_card_sched(struct device *dev)
{
	struct tessera_device *tdev = dev_get_drvdata(dev);

	return &tdev->sched;
}

static ssize_t policy_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_sched *sched = tessera_card_sched(dev);
	enum tessera_policy_kind cur = READ_ONCE(sched->policy);
	ssize_t len = 0;
	int i;

	/* All policies, the current one in brackets, as the block layer does. */
	for (i = 0; i < TESSERA_NUM_POLICIES; i++)
		len += sysfs_emit_at(buf, len, i == cur ? "[%s] " : "%s ",
				     tessera_policy_name(i));
	buf[len - 1] = '\n';
	return len;
}

static ssize_t policy_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	enum tessera_policy_kind kind;

	if (tessera_policy_parse(buf, &kind)) {
		dev_info_ratelimited(dev,
				     "tessera/policy: '%.*s' is not best-effort, equal-share or fixed-share\n",
				     (int)min_t(size_t, count, 32), buf);
		return -EINVAL;
	}
	tessera_sched_set_policy(tessera_card_sched(dev), kind);
	return count;
}
static DEVICE_ATTR_RW(policy);

static ssize_t slice_us_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	u64 ns = READ_ONCE(tessera_card_sched(dev)->slice_ns);

	return sysfs_emit(buf, "%llu\n", div_u64(ns, NSEC_PER_USEC));
}

static ssize_t slice_us_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	u64 us;

	if (kstrtou64(buf, 0, &us) || us > TESSERA_SLICE_MAX_NS / NSEC_PER_USEC ||
	    tessera_sched_set_slice(tessera_card_sched(dev), us * NSEC_PER_USEC)) {
		dev_info_ratelimited(dev, "tessera/slice_us: want %llu..%llu microseconds\n",
				     TESSERA_SLICE_MIN_NS / NSEC_PER_USEC,
				     TESSERA_SLICE_MAX_NS / NSEC_PER_USEC);
		return -EINVAL;
	}
	return count;
}
static DEVICE_ATTR_RW(slice_us);

static ssize_t preempt_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(tessera_card_sched(dev)->preempt));
}

static ssize_t preempt_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int ret;

	if (kstrtobool(buf, &on)) {
		dev_info_ratelimited(dev, "tessera/preempt: want 1 (mid-command) or 0 (command boundaries)\n");
		return -EINVAL;
	}
	ret = tessera_sched_set_preempt(tessera_card_sched(dev), on);
	if (ret) {
		dev_info_ratelimited(dev, "tessera/preempt: this card cannot hold switches to command boundaries\n");
		return ret;
	}
	return count;
}
static DEVICE_ATTR_RW(preempt);

static ssize_t watchdog_ms_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	u64 ns = READ_ONCE(tessera_card_sched(dev)->watchdog_ns);

	return sysfs_emit(buf, "%llu\n", div_u64(ns, NSEC_PER_MSEC));
}

static ssize_t watchdog_ms_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t count)
{
	u32 ms;

	/* Beyond an hour is a typo, not a bound. */
	if (kstrtou32(buf, 0, &ms) || ms > 3600 * MSEC_PER_SEC) {
		dev_info_ratelimited(dev, "tessera/watchdog_ms: want 0 (off) or 1..3600000 milliseconds\n");
		return -EINVAL;
	}
	tessera_sched_set_watchdog(tessera_card_sched(dev), (u64)ms * NSEC_PER_MSEC);
	return count;
}
static DEVICE_ATTR_RW(watchdog_ms);

/* The card's own clock, the time base of every busy counter. */
static ssize_t clock_ns_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_device *tdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", tessera_rd64(tdev, TESSERA_REG_CLOCK_NS_LO));
}
static DEVICE_ATTR_RO(clock_ns);

/* What the card is made of, as probed: operators size types by it. */
#define TESSERA_CARD_INFO_ATTR(file, expr)					\
static ssize_t file##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct tessera_device *tdev = dev_get_drvdata(dev);			\
										\
	return sysfs_emit(buf, "%llu\n", (u64)(expr));				\
}										\
static DEVICE_ATTR_RO(file)

TESSERA_CARD_INFO_ATTR(engines, tdev->info.num_engines);
TESSERA_CARD_INFO_ATTR(regions, tdev->info.num_regions);
TESSERA_CARD_INFO_ATTR(contexts, tdev->info.num_contexts);
TESSERA_CARD_INFO_ATTR(vram_bytes, tdev->info.vram_size);
TESSERA_CARD_INFO_ATTR(contexts_free, tessera_ctx_free_count(tdev));

static struct attribute *tessera_card_attrs[] = {
	&dev_attr_clock_ns.attr,
	&dev_attr_engines.attr,
	&dev_attr_regions.attr,
	&dev_attr_contexts.attr,
	&dev_attr_contexts_free.attr,
	&dev_attr_vram_bytes.attr,
	&dev_attr_policy.attr,
	&dev_attr_slice_us.attr,
	&dev_attr_preempt.attr,
	&dev_attr_watchdog_ms.attr,
	NULL,
};

static const struct attribute_group tessera_card_group = {
	.name = "tessera",
	.attrs = tessera_card_attrs,
};

int tessera_sched_sysfs_init(struct tessera_device *tdev)
{
	int ret = sysfs_create_group(&tdev->pdev->dev.kobj, &tessera_card_group);

	tdev->sched.sysfs_group = !ret;
	return ret;
}

void tessera_sched_sysfs_fini(struct tessera_device *tdev)
{
	if (tdev->sched.sysfs_group)
		sysfs_remove_group(&tdev->pdev->dev.kobj, &tessera_card_group);
	tdev->sched.sysfs_group = false;
}
