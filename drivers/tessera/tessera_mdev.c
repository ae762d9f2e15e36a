// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera mediator: the card as an mdev parent.
 *
 * Types "vgpu-1", "vgpu-2", "vgpu-4", "vgpu-8" (directories
 * tessera-vgpu-N): an instance of vgpu-N gets 1/N of the device memory left
 * after the host reserve, one hardware context and scheduling weight 8/N.
 * available_instances is computed from what is really free right now.
 */
#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/vfio.h>

#include "tessera_drv.h"
#include "tessera_vfpga.h"
#include "tessera_vgpu.h"

static const unsigned int tessera_vgpu_fractions[TESSERA_NUM_VGPU_TYPES] = { 1, 2, 4, 8 };

static struct tessera_vgpu_type *to_tessera_vgpu_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct tessera_vgpu_type, type);
}

static struct tessera_device *tessera_mdev_tdev(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct tessera_device, med.parent);
}

static unsigned int tessera_mdev_get_available(struct mdev_type *mtype)
{
	struct tessera_vgpu_type *type = to_tessera_vgpu_type(mtype);
	struct tessera_device *tdev = tessera_mdev_tdev(mtype);
	unsigned int contexts = tessera_ctx_free_count(tdev);

	if (tessera_vfpga_is_type(mtype))
		return tessera_vfpga_get_available(mtype);
	if (!contexts)
		return 0;
	return tessera_vram_count_fit(tdev, type->vram_size, min(contexts, type->per_card));
}

static ssize_t tessera_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct tessera_vgpu_type *type = to_tessera_vgpu_type(mtype);

	if (tessera_vfpga_is_type(mtype))
		return tessera_vfpga_show_description(mtype, buf);
	return sysfs_emit(buf,
			  "vGPU, 1/%u of the card: %llu MiB device memory (BAR2 %llu MiB), engine time weight %u of 8, 1 hardware context, command ring up to %u entries\n",
			  type->per_card, type->vram_size >> 20, type->bar2_size >> 20,
			  type->weight, tessera_submit_max_entries());
}

/**
 * tessera_mdev_register() - register a new instance's VFIO device
 * @mdev: the instance's mdev
 * @vg: its state, from vfio_alloc_device()
 *
 * The device set is assigned here, not left to the registration: 6.12's
 * __vfio_register_dev() ignores vfio_assign_device_set() failing to
 * allocate, and the device then registers with no set, which the first
 * VFIO_DEVICE_BIND_IOMMUFD dereferences. On failure @vg is put.
 *
 * Return: 0 or a negative errno.
 */
int tessera_mdev_register(struct mdev_device *mdev, struct tessera_vgpu *vg)
{
	int ret;

	ret = vfio_assign_device_set(&vg->vdev, &vg->vdev);
	if (!ret)
		ret = vfio_register_emulated_iommu_dev(&vg->vdev);
	if (ret) {
		vfio_put_device(&vg->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, vg);
	return 0;
}

static int tessera_mdev_probe(struct mdev_device *mdev)
{
	struct tessera_vgpu *vg;

	if (tessera_vfpga_is_type(mdev->type))
		return tessera_vfpga_probe(mdev);
	vg = vfio_alloc_device(tessera_vgpu, vdev, &mdev->dev, &tessera_vgpu_ops);
	if (IS_ERR(vg))
		return PTR_ERR(vg);
	return tessera_mdev_register(mdev, vg);
}

static void tessera_mdev_remove(struct mdev_device *mdev)
{
	struct tessera_vgpu *vg = dev_get_drvdata(&mdev->dev);

	/* Waits until user space has closed the device. */
	vfio_unregister_group_dev(&vg->vdev);
	vfio_put_device(&vg->vdev);
}

/* ---- Per-instance statistics: /sys/bus/mdev/devices/<uuid>/tessera/ ---- */

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
TESSERA_STAT_ATTR(audit_ns);
TESSERA_STAT_ATTR(pin_ns);
TESSERA_STAT_ATTR(map_ns);
TESSERA_STAT_ATTR(copy_ns);

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

	return sysfs_emit(buf, "%u\n", vg->ctx->id);
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
			  "doorbells %lld\ncommands %lld\nrejects %lld\ncard_faults %lld\naudit_ns %lld\npin_ns %lld\nmap_ns %lld\ncopy_ns %lld\nbusy_ns %llu\n",
			  atomic64_read(&s->doorbells), atomic64_read(&s->commands),
			  atomic64_read(&s->rejects), atomic64_read(&s->card_faults),
			  atomic64_read(&s->audit_ns), atomic64_read(&s->pin_ns),
			  atomic64_read(&s->map_ns), atomic64_read(&s->copy_ns),
			  tessera_vgpu_busy_ns(vg));
}
static DEVICE_ATTR_RO(stats);

static struct attribute *tessera_mdev_attrs[] = {
	&dev_attr_doorbells.attr.attr,
	&dev_attr_commands.attr.attr,
	&dev_attr_rejects.attr.attr,
	&dev_attr_card_faults.attr.attr,
	&dev_attr_audit_ns.attr.attr,
	&dev_attr_pin_ns.attr.attr,
	&dev_attr_map_ns.attr.attr,
	&dev_attr_copy_ns.attr.attr,
	&dev_attr_pinned_pages.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_context.attr,
	&dev_attr_vram_offset.attr,
	&dev_attr_stats.attr,
	&tessera_sched_attr_weight.attr,
	&tessera_sched_attr_sched_stats.attr,
	&tessera_sched_attr_commands_completed.attr,
	&tessera_sched_attr_commands_faulted.attr,
	&tessera_sched_attr_preemptions.attr,
	&tessera_sched_attr_resets.attr,
	&tessera_sched_attr_watchdog_faults.attr,
	&tessera_sched_attr_engine.attr,
	&tessera_sched_attr_busy_at_switch.attr,
	NULL,
};

static bool tenant_stats_public;
module_param(tenant_stats_public, bool, 0444);
MODULE_PARM_DESC(tenant_stats_public,
		 "Per-instance figures in sysfs readable by every user, not only root (default off: they tell one tenant's activity)");

/* Root only unless tenant_stats_public: a tenant's activity is its own. */
static umode_t tessera_mdev_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	umode_t mode = attr->mode;

	if (!tenant_stats_public)
		mode &= 0600;
	return mode;
}

static const struct attribute_group tessera_mdev_group = {
	.name = "tessera",
	.attrs = tessera_mdev_attrs,
	.is_visible = tessera_mdev_attr_visible,
};

static const struct attribute_group *tessera_mdev_groups[] = {
	&tessera_mdev_group,
	NULL,
};

static struct mdev_driver tessera_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "tessera-vgpu",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = tessera_mdev_groups,
	},
	.probe = tessera_mdev_probe,
	.remove = tessera_mdev_remove,
	.get_available = tessera_mdev_get_available,
	.show_description = tessera_mdev_show_description,
};

static int tessera_mdev_aux_probe(struct auxiliary_device *adev,
				  const struct auxiliary_device_id *id)
{
	return tessera_mdev_init(to_tessera_client_dev(adev)->tdev);
}

static void tessera_mdev_aux_remove(struct auxiliary_device *adev)
{
	tessera_mdev_fini(to_tessera_client_dev(adev)->tdev);
}

static const struct auxiliary_device_id tessera_mdev_aux_ids[] = {
	{ .name = "tessera.mdev" },
	{ }
};
MODULE_DEVICE_TABLE(auxiliary, tessera_mdev_aux_ids);

/* The mediator serves each card that offers it an auxiliary device. */
static struct auxiliary_driver tessera_mdev_aux_driver = {
	.name = "mdev",
	.id_table = tessera_mdev_aux_ids,
	.probe = tessera_mdev_aux_probe,
	.remove = tessera_mdev_aux_remove,
};

int tessera_mdev_register_driver(void)
{
	int ret;

	ret = mdev_register_driver(&tessera_mdev_driver);
	if (ret)
		return ret;
	ret = auxiliary_driver_register(&tessera_mdev_aux_driver);
	if (ret)
		mdev_unregister_driver(&tessera_mdev_driver);
	return ret;
}

void tessera_mdev_unregister_driver(void)
{
	auxiliary_driver_unregister(&tessera_mdev_aux_driver);
	mdev_unregister_driver(&tessera_mdev_driver);
}

/* debugfs <pci-address>/mdev: the types with their availability, each instance. */
static int tessera_mdev_dump_show(struct seq_file *m, void *unused)
{
	struct tessera_device *tdev = m->private;
	struct tessera_mediator *med = &tdev->med;
	struct tessera_vgpu *vg;
	unsigned int i;

	for (i = 0; i < TESSERA_NUM_MDEV_TYPES && med->type_list[i]; i++) {
		struct tessera_vgpu_type *type = to_tessera_vgpu_type(med->type_list[i]);

		seq_printf(m, "type %s: slice %llu MiB, bar2 %llu MiB, weight %u, available %u\n",
			   type->sysfs_name, type->vram_size >> 20, type->bar2_size >> 20,
			   type->weight, tessera_mdev_get_available(&type->type));
	}

	mutex_lock(&med->lock);
	list_for_each_entry(vg, &med->instances, node) {
		unsigned long flags;
		u32 int_status, fault_code;
		bool faulted;

		spin_lock_irqsave(&vg->irq_lock, flags);
		int_status = vg->int_status;
		faulted = vg->faulted;
		fault_code = vg->fault_code;
		spin_unlock_irqrestore(&vg->irq_lock, flags);

		seq_printf(m,
			   "instance %s: type %s ctx %u vram 0x%llx+0x%llx open %d ring %s entries %u tail %u pinned %llu int_status 0x%x faulted %d code 0x%x doorbells %lld commands %lld rejects %lld\n",
			   dev_name(&vg->mdev->dev), vg->type->sysfs_name, vg->ctx->id,
			   vg->vram_offset, vg->type->vram_size, READ_ONCE(vg->open),
			   READ_ONCE(vg->ring_enabled) ? "on" : "off", READ_ONCE(vg->sub.entries),
			   READ_ONCE(vg->sub.tail), READ_ONCE(vg->sub.pinned_pages), int_status,
			   faulted, fault_code, atomic64_read(&vg->stats.doorbells),
			   atomic64_read(&vg->stats.commands), atomic64_read(&vg->stats.rejects));
	}
	mutex_unlock(&med->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_mdev_dump);

/**
 * tessera_mdev_init() - derive the vGPU types and register the mdev parent
 * @tdev: the card, with device memory, contexts and scheduler up
 *
 * Return: 0 or a negative errno.
 */
int tessera_mdev_init(struct tessera_device *tdev)
{
	struct tessera_mediator *med = &tdev->med;
	u64 usable = tdev->vram_alloc.usable;
	unsigned int i, n = 0;
	int ret;

	mutex_init(&med->lock);
	INIT_LIST_HEAD(&med->instances);

	for (i = 0; i < TESSERA_NUM_VGPU_TYPES; i++) {
		unsigned int per_card = tessera_vgpu_fractions[i];
		struct tessera_vgpu_type *type = &med->types[n];
		u64 slice = round_down(div_u64(usable, per_card), TESSERA_VRAM_GRANULE);

		/* A type the card cannot fill with its own contexts is not offered. */
		if (!slice || per_card > tdev->num_contexts)
			continue;
		type->per_card = per_card;
		type->vram_size = slice;
		type->bar2_size = roundup_pow_of_two(slice);
		type->weight = 8 / per_card;
		snprintf(type->sysfs_name, sizeof(type->sysfs_name), "vgpu-%u", per_card);
		snprintf(type->pretty_name, sizeof(type->pretty_name),
			 "Tessera vGPU 1/%u (%llu MiB)", per_card, slice >> 20);
		type->type.sysfs_name = type->sysfs_name;
		type->type.pretty_name = type->pretty_name;
		med->type_list[n++] = &type->type;
	}
	n += tessera_vfpga_add_types(tdev, med->type_list + n, TESSERA_NUM_MDEV_TYPES - n);
	if (!n) {
		ret = -ENOSPC;
		goto err_lock;
	}

	ret = mdev_register_parent(&med->parent, &tdev->pdev->dev, &tessera_mdev_driver,
				   med->type_list, n);
	if (ret)
		goto err_lock;
	med->registered = true;
	/* In the card's debugfs folder, beside its own state. */
	med->debugfs = debugfs_create_file("mdev", 0400, tdev->debugfs, tdev,
					   &tessera_mdev_dump_fops);
	return 0;

err_lock:
	mutex_destroy(&med->lock);
	return ret;
}

/* Removes every instance (waiting for user space to close them), then the parent. */
void tessera_mdev_fini(struct tessera_device *tdev)
{
	struct tessera_mediator *med = &tdev->med;

	if (!med->registered)
		return;
	debugfs_remove(med->debugfs);
	med->debugfs = NULL;
	mdev_unregister_parent(&med->parent);
	med->registered = false;
	WARN_ON(!list_empty(&med->instances));
	mutex_destroy(&med->lock);
}

