// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera scheduler settings and accounting in sysfs.
 *
 * Per card, /sys/bus/pci/devices/<bdf>/tessera/:
 *   policy       best-effort | equal-share | fixed-share (rw)
 *   slice_us     slice in microseconds, 50..100000 (rw)
 *   preempt      1: switch at the card's next checkpoint, 0: only at
 *                command boundaries (rw)
 *   watchdog_ms  one command's engine-time bound, 0 = off (rw)
 *   clock_ns     the card's clock (ro)
 * Per instance, /sys/bus/mdev/devices/<uuid>/tessera/ (beside the
 * mediator's counters): weight (rw), commands_completed, commands_faulted,
 * preemptions, resets, watchdog_faults, engine, busy_at_switch, sched_stats.
 * Every setting applies at once; nothing restarts. A bad value is refused
 * with -EINVAL and a line in the kernel log saying what is accepted.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "tessera_drv.h"
#include "tessera_vgpu.h"

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

static struct attribute *tessera_card_attrs[] = {
	&dev_attr_clock_ns.attr,
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

/* ---- Per instance ---- */

static struct tessera_sched_entity *tessera_inst_se(struct device *dev,
						    struct tessera_sched **sched)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	*sched = &vg->tdev->sched;
	return &vg->ctx->se;
}

static ssize_t weight_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);

	return sysfs_emit(buf, "%u\n", tessera_sched_get_weight(sched, se));
}

static ssize_t weight_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);
	u32 weight;

	if (kstrtou32(buf, 0, &weight) || tessera_sched_set_weight(sched, se, weight)) {
		dev_info_ratelimited(dev, "tessera/weight: want 1..%u\n", TESSERA_WEIGHT_MAX);
		return -EINVAL;
	}
	return count;
}

struct device_attribute tessera_sched_attr_weight = __ATTR_RW(weight);

static ssize_t commands_completed_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);

	return sysfs_emit(buf, "%u\n", tessera_ctx_cmds_done(se->ctx) - se->cmds_base);
}

struct device_attribute tessera_sched_attr_commands_completed = __ATTR_RO(commands_completed);

static ssize_t preemptions_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);
	u32 now = tessera_rd(sched->tdev, TESSERA_CTX_REG(se->ctx->id, TESSERA_CTX_PREEMPTIONS));

	return sysfs_emit(buf, "%u\n", now - se->preempt_base);
}

struct device_attribute tessera_sched_attr_preemptions = __ATTR_RO(preemptions);

static ssize_t engine_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);
	struct tessera_engine *home;
	unsigned long flags;

	spin_lock_irqsave(&sched->lock, flags);
	home = se->home;
	spin_unlock_irqrestore(&sched->lock, flags);
	if (!home)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u\n", home->id);
}

struct device_attribute tessera_sched_attr_engine = __ATTR_RO(engine);

/*
 * "<switches> <busy ns>": the instance's busy time when its engine last
 * finished a switch, and that switch's number. Instances of one engine
 * with the same number were read at the same instant, between slices.
 */
static ssize_t busy_at_switch_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);
	unsigned long flags;
	u64 seq, busy;

	spin_lock_irqsave(&sched->lock, flags);
	seq = se->snap_seq;
	busy = se->snap_busy_ns;
	spin_unlock_irqrestore(&sched->lock, flags);
	return sysfs_emit(buf, "%llu %llu\n", seq, busy);
}

struct device_attribute tessera_sched_attr_busy_at_switch = __ATTR_RO(busy_at_switch);

/* A counter of struct tessera_sched_stats, read consistently. */
#define TESSERA_SCHED_STAT_ATTR(file, field)					\
static ssize_t file##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct tessera_sched_stats stats;					\
	struct tessera_sched *sched;						\
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);	\
										\
	tessera_sched_read_stats(sched, se, &stats);				\
	return sysfs_emit(buf, "%llu\n", stats.field);				\
}										\
struct device_attribute tessera_sched_attr_##file = __ATTR_RO(file)

TESSERA_SCHED_STAT_ATTR(commands_faulted, faults);
TESSERA_SCHED_STAT_ATTR(resets, resets);
TESSERA_SCHED_STAT_ATTR(watchdog_faults, watchdog_faults);

static ssize_t sched_stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_sched_stats stats;
	struct tessera_sched *sched;
	struct tessera_sched_entity *se = tessera_inst_se(dev, &sched);

	tessera_sched_read_stats(sched, se, &stats);
	return sysfs_emit(buf,
			  "weight %u\nbusy_ns %llu\nsubmits %llu\nsched_in %llu\nslices %llu\ncharged_ns %llu\ncommands_completed %u\ncommands_faulted %llu\nwatchdog_faults %llu\nresets %llu\n",
			  tessera_sched_get_weight(sched, se),
			  tessera_ctx_busy_ns(se->ctx) - se->busy_base, stats.submits,
			  stats.sched_in, stats.slices, stats.charged_ns,
			  tessera_ctx_cmds_done(se->ctx) - se->cmds_base, stats.faults,
			  stats.watchdog_faults, stats.resets);
}

struct device_attribute tessera_sched_attr_sched_stats = __ATTR_RO(sched_stats);
