// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera mediator: each instance's figures in sysfs,
 * /sys/bus/mdev/devices/<uuid>/tessera/ (root only unless
 * tenant_stats_public):
 *   doorbells commands rejects card_faults audit_ns pin_ns map_ns copy_ns
 *   interrupts
 *                 the mediator's counters (struct tessera_vgpu_stats)
 *   pinned_pages busy_ns context vram_offset stats
 *   weight        scheduling weight, 1..TESSERA_WEIGHT_MAX (rw)
 *   commands_completed commands_faulted preemptions resets watchdog_faults
 *   engine busy_at_switch sched_stats
 *                 the card scheduler's view of its context
 * Counts run from the instance's creation, not from the context's last
 * owner.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_policy.h"
#include "tessera_vgpu.h"

static ssize_t tessera_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct dev_ext_attribute *ext = container_of(attr, struct dev_ext_attribute, attr);
	struct tessera_vgpu *vg = dev_get_drvdata(dev);
	atomic64_t *stat = (atomic64_t *)((u8 *)&vg->stats + (uintptr_t)ext->var);

	return sysfs_emit(buf, "%lld\n", atomic64_read(stat));
}

/* A read-only counter file named after its struct tessera_vgpu_stats field. */
#define TESSERA_STAT_ATTR(field)						\
static struct dev_ext_attribute dev_attr_##field = {				\
	.attr = { .attr = { .name = #field, .mode = 0444 }, .show = tessera_stat_show },	\
	.var = (void *)offsetof(struct tessera_vgpu_stats, field),		\
}

TESSERA_STAT_ATTR(doorbells);
TESSERA_STAT_ATTR(commands);
TESSERA_STAT_ATTR(rejects);
TESSERA_STAT_ATTR(card_faults);
TESSERA_STAT_ATTR(pin_calls);
TESSERA_STAT_ATTR(audit_ns);
TESSERA_STAT_ATTR(pin_ns);
TESSERA_STAT_ATTR(map_ns);
TESSERA_STAT_ATTR(copy_ns);
TESSERA_STAT_ATTR(interrupts);

static ssize_t pinned_pages_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);
	u64 pages;

	mutex_lock(&vg->lock);
	pages = vg->sub.pinned_pages;
	mutex_unlock(&vg->lock);
	return sysfs_emit(buf, "%llu\n", pages);
}
static DEVICE_ATTR_RO(pinned_pages);

static ssize_t busy_ns_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", tessera_vgpu_busy_ns(vg));
}
static DEVICE_ATTR_RO(busy_ns);

static ssize_t context_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", tessera_ctx_id(vg->ctx));
}
static DEVICE_ATTR_RO(context);

static ssize_t vram_offset_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	return sysfs_emit(buf, "0x%llx\n", vg->vram_offset);
}
static DEVICE_ATTR_RO(vram_offset);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);
	struct tessera_vgpu_stats *s = &vg->stats;

	return sysfs_emit(buf,
			  "doorbells %lld\ncommands %lld\nrejects %lld\ncard_faults %lld\npin_calls %lld\naudit_ns %lld\npin_ns %lld\nmap_ns %lld\ncopy_ns %lld\ninterrupts %lld\nbusy_ns %llu\n",
			  atomic64_read(&s->doorbells), atomic64_read(&s->commands),
			  atomic64_read(&s->rejects), atomic64_read(&s->card_faults),
			  atomic64_read(&s->pin_calls), atomic64_read(&s->audit_ns),
			  atomic64_read(&s->pin_ns), atomic64_read(&s->map_ns),
			  atomic64_read(&s->copy_ns), atomic64_read(&s->interrupts),
			  tessera_vgpu_busy_ns(vg));
}
static DEVICE_ATTR_RO(stats);

/* ---- The scheduler's view of the instance's context ---- */

static void tessera_inst_sched_info(struct device *dev, struct tessera_ctx_sched_info *info)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	tessera_ctx_sched_info(vg->ctx, info);
}

static ssize_t weight_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", tessera_ctx_get_weight(vg->ctx));
}

static ssize_t weight_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);
	u32 weight;

	if (kstrtou32(buf, 0, &weight) || tessera_ctx_set_weight(vg->ctx, weight)) {
		dev_info_ratelimited(dev, "tessera/weight: want 1..%u\n", TESSERA_WEIGHT_MAX);
		return -EINVAL;
	}
	return count;
}
static DEVICE_ATTR_RW(weight);

static ssize_t commands_completed_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", tessera_vgpu_cmds_done(vg));
}
static DEVICE_ATTR_RO(commands_completed);

static ssize_t preemptions_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_ctx_sched_info info;

	tessera_inst_sched_info(dev, &info);
	return sysfs_emit(buf, "%u\n", info.preemptions);
}
static DEVICE_ATTR_RO(preemptions);

static ssize_t engine_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_ctx_sched_info info;

	tessera_inst_sched_info(dev, &info);
	if (info.engine < 0)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%d\n", info.engine);
}
static DEVICE_ATTR_RO(engine);

/*
 * "<switches> <busy ns>": the instance's busy time when its engine last
 * finished a switch, and that switch's number. Instances of one engine
 * with the same number were read at the same instant, between slices.
 */
static ssize_t busy_at_switch_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	struct tessera_ctx_sched_info info;

	tessera_inst_sched_info(dev, &info);
	return sysfs_emit(buf, "%llu %llu\n", info.switch_seq, info.busy_at_switch_ns);
}
static DEVICE_ATTR_RO(busy_at_switch);

/* A counter of struct tessera_sched_stats. */
#define TESSERA_SCHED_STAT_ATTR(file, field)					\
static ssize_t file##_show(struct device *dev, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	struct tessera_ctx_sched_info info;					\
										\
	tessera_inst_sched_info(dev, &info);					\
	return sysfs_emit(buf, "%llu\n", info.stats.field);			\
}										\
static DEVICE_ATTR_RO(file)

TESSERA_SCHED_STAT_ATTR(commands_faulted, faults);
TESSERA_SCHED_STAT_ATTR(resets, resets);
TESSERA_SCHED_STAT_ATTR(watchdog_faults, watchdog_faults);

static ssize_t sched_stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct tessera_vgpu *vg = dev_get_drvdata(dev);
	struct tessera_ctx_sched_info info;

	tessera_ctx_sched_info(vg->ctx, &info);
	return sysfs_emit(buf,
			  "weight %u\nbusy_ns %llu\nsubmits %llu\nsched_in %llu\nslices %llu\ncharged_ns %llu\ncommands_completed %u\ncommands_faulted %llu\nwatchdog_faults %llu\nresets %llu\n",
			  info.weight, tessera_vgpu_busy_ns(vg), info.stats.submits,
			  info.stats.sched_in, info.stats.slices, info.stats.charged_ns,
			  tessera_vgpu_cmds_done(vg), info.stats.faults,
			  info.stats.watchdog_faults, info.stats.resets);
}
static DEVICE_ATTR_RO(sched_stats);

static struct attribute *tessera_inst_attrs[] = {
	&dev_attr_doorbells.attr.attr,
	&dev_attr_commands.attr.attr,
	&dev_attr_rejects.attr.attr,
	&dev_attr_card_faults.attr.attr,
	&dev_attr_pin_calls.attr.attr,
	&dev_attr_audit_ns.attr.attr,
	&dev_attr_pin_ns.attr.attr,
	&dev_attr_map_ns.attr.attr,
	&dev_attr_copy_ns.attr.attr,
	&dev_attr_interrupts.attr.attr,
	&dev_attr_pinned_pages.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_context.attr,
	&dev_attr_vram_offset.attr,
	&dev_attr_stats.attr,
	&dev_attr_weight.attr,
	&dev_attr_sched_stats.attr,
	&dev_attr_commands_completed.attr,
	&dev_attr_commands_faulted.attr,
	&dev_attr_preemptions.attr,
	&dev_attr_resets.attr,
	&dev_attr_watchdog_faults.attr,
	&dev_attr_engine.attr,
	&dev_attr_busy_at_switch.attr,
	NULL,
};

static bool tenant_stats_public;
module_param(tenant_stats_public, bool, 0444);
MODULE_PARM_DESC(tenant_stats_public,
		 "Per-instance figures in sysfs readable by every user, not only root (default off: they tell one tenant's activity)");

/* Root only unless tenant_stats_public: a tenant's activity is its own. */
static umode_t tessera_inst_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	umode_t mode = attr->mode;

	if (!tenant_stats_public)
		mode &= 0600;
	return mode;
}

static const struct attribute_group tessera_inst_group = {
	.name = "tessera",
	.attrs = tessera_inst_attrs,
	.is_visible = tessera_inst_attr_visible,
};

const struct attribute_group *tessera_inst_groups[] = {
	&tessera_inst_group,
	NULL,
};
