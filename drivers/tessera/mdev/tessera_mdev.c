// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera mediator: the card as an mdev parent.
 *
 * Types "vgpu-1", "vgpu-2", ... "vgpu-32" (directories tessera-vgpu-N): an
 * instance of vgpu-N gets 1/N of the device memory left after the host
 * reserve, one hardware context and scheduling weight TESSERA_CARD_WEIGHT/N
 * (32/N). A type is offered if the card has the memory and the instance
 * contexts to fill with it.
 * available_instances is computed from what is really free right now.
 * The vFPGA types are tessera_vfpga_types.c's.
 *
 * tessera_mdev.ko is an auxiliary driver of tessera.ko: it binds to each
 * card's "tessera.mdev" device and reaches the card only through
 * tessera_core.h.
 */
#include <linux/auxiliary_bus.h>
#include <linux/debugfs.h>
#include <linux/kobject.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_submit.h"
#include "tessera_vfpga.h"
#include "tessera_vgpu.h"

static const unsigned int tessera_vgpu_fractions[TESSERA_NUM_VGPU_TYPES] = { 1, 2, 4, 8, 16, 32 };

static struct tessera_mdev_type *to_tessera_mdev_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct tessera_mdev_type, type);
}

static unsigned int tessera_mdev_get_available(struct mdev_type *mtype)
{
	struct tessera_mdev_type *type = to_tessera_mdev_type(mtype);
	struct tessera_device *tdev = tessera_mdev_of_type(mtype)->tdev;
	unsigned int contexts = tessera_ctx_free_count(tdev);

	if (type->kind == TESSERA_INST_VFPGA)
		return tessera_vfpga_get_available(mtype);
	if (!contexts)
		return 0;
	return tessera_vram_count_fit(tdev, type->vram_size, min(contexts, type->per_card));
}

static ssize_t tessera_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	struct tessera_mdev_type *type = to_tessera_mdev_type(mtype);

	if (type->kind == TESSERA_INST_VFPGA)
		return tessera_vfpga_show_description(mtype, buf);
	return sysfs_emit(buf,
			  "vGPU, 1/%u of the card: %llu MiB device memory (BAR2 %llu MiB), engine time weight %u of %u, 1 hardware context, command ring up to %u entries\n",
			  type->per_card, type->vram_size >> 20, type->bar2_size >> 20,
			  type->weight, TESSERA_CARD_WEIGHT, tessera_submit_max_entries());
}

/*
 * What a type's description says, one value a file, for tools:
 * <card>/tessera_types/<type directory>/ (max_instances, vram_bytes, weight;
 * regions and functions for vFPGA types). The mdev core owns the type's own
 * directory and its attribute type, so these live beside it.
 */
struct tessera_type_info {
	struct kobject kobj;
	struct mdev_type *mtype;
};

static struct mdev_type *tessera_type_of_kobj(struct kobject *kobj)
{
	return container_of(kobj, struct tessera_type_info, kobj)->mtype;
}

#define TESSERA_TYPE_ATTR(file, expr)						\
static ssize_t type_##file##_show(struct kobject *kobj,			\
				  struct kobj_attribute *attr, char *buf)	\
{										\
	struct mdev_type *mtype = tessera_type_of_kobj(kobj);			\
	struct tessera_mdev_type *type = to_tessera_mdev_type(mtype);		\
										\
	return sysfs_emit(buf, "%llu\n", (u64)(expr));				\
}										\
static struct kobj_attribute type_attr_##file = __ATTR(file, 0444, type_##file##_show, NULL)

TESSERA_TYPE_ATTR(max_instances, type->per_card);
TESSERA_TYPE_ATTR(vram_bytes, type->vram_size);
TESSERA_TYPE_ATTR(weight, type->weight);
TESSERA_TYPE_ATTR(regions, type->kind == TESSERA_INST_VFPGA ?
		  tessera_vfpga_type_regions(mtype) : 0);

static ssize_t type_functions_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return tessera_vfpga_show_functions(tessera_type_of_kobj(kobj), buf);
}

static struct kobj_attribute type_attr_functions = __ATTR(functions, 0444, type_functions_show,
							  NULL);

static struct attribute *tessera_type_attrs[] = {
	&type_attr_max_instances.attr,
	&type_attr_vram_bytes.attr,
	&type_attr_weight.attr,
	&type_attr_regions.attr,
	&type_attr_functions.attr,
	NULL,
};

static umode_t tessera_type_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct tessera_mdev_type *type = to_tessera_mdev_type(tessera_type_of_kobj(kobj));

	if (type->kind != TESSERA_INST_VFPGA &&
	    (attr == &type_attr_regions.attr || attr == &type_attr_functions.attr))
		return 0;
	return attr->mode;
}

static const struct attribute_group tessera_type_group = {
	.attrs = tessera_type_attrs,
	.is_visible = tessera_type_attr_visible,
};
__ATTRIBUTE_GROUPS(tessera_type);

static void tessera_type_info_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct tessera_type_info, kobj));
}

static const struct kobj_type tessera_type_info_ktype = {
	.release = tessera_type_info_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = tessera_type_groups,
};

static void tessera_mdev_type_files_remove(struct tessera_mediator *med)
{
	unsigned int i;

	if (!med->types_kobj)
		return;
	for (i = 0; i < med->num_types; i++)
		kobject_put(med->type_info[i]);
	kobject_put(med->types_kobj);
	med->types_kobj = NULL;
	med->num_types = 0;
}

/* After mdev_register_parent(), which names the types' directories. */
static int tessera_mdev_type_files_add(struct tessera_mediator *med, struct device *card,
				       unsigned int count)
{
	unsigned int i;
	int ret;

	med->types_kobj = kobject_create_and_add("tessera_types", &card->kobj);
	if (!med->types_kobj)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		struct mdev_type *mtype = med->type_list[i];
		struct tessera_type_info *info = kzalloc(sizeof(*info), GFP_KERNEL);

		if (!info) {
			ret = -ENOMEM;
			goto err;
		}
		info->mtype = mtype;
		ret = kobject_init_and_add(&info->kobj, &tessera_type_info_ktype, med->types_kobj,
					   "%s", kobject_name(&mtype->kobj));
		if (ret) {
			kobject_put(&info->kobj);
			goto err;
		}
		med->type_info[med->num_types++] = &info->kobj;
	}
	return 0;
err:
	tessera_mdev_type_files_remove(med);
	return ret;
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
	if (to_tessera_mdev_type(mdev->type)->kind == TESSERA_INST_VFPGA)
		return tessera_vfpga_probe(mdev);
	return tessera_vgpu_probe(mdev);
}

static void tessera_mdev_remove(struct mdev_device *mdev)
{
	struct tessera_vgpu *vg = dev_get_drvdata(&mdev->dev);

	/* Waits until user space has closed the device. */
	vfio_unregister_group_dev(&vg->vdev);
	vfio_put_device(&vg->vdev);
}

static struct mdev_driver tessera_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "tessera-vgpu",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = tessera_inst_groups,
	},
	.probe = tessera_mdev_probe,
	.remove = tessera_mdev_remove,
	.get_available = tessera_mdev_get_available,
	.show_description = tessera_mdev_show_description,
};

/* debugfs <pci-address>/mdev: the types with their availability, each instance. */
static int tessera_mdev_dump_show(struct seq_file *m, void *unused)
{
	struct tessera_mediator *med = m->private;
	struct tessera_vgpu *vg;
	unsigned int i;

	for (i = 0; i < TESSERA_NUM_MDEV_TYPES && med->type_list[i]; i++) {
		struct tessera_mdev_type *type = to_tessera_mdev_type(med->type_list[i]);

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
			   dev_name(&vg->mdev->dev), vg->type->sysfs_name, tessera_ctx_id(vg->ctx),
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

/*
 * A card offered us its auxiliary device: derive the types, then register
 * the mdev parent on the card's PCI device (what mdevctl, libvirt and
 * /sys/class/mdev_bus name it by).
 */
static int tessera_mdev_aux_probe(struct auxiliary_device *adev,
				  const struct auxiliary_device_id *id)
{
	struct tessera_device *tdev = to_tessera_client_dev(adev)->tdev;
	const struct tessera_card_info *info = tessera_card_info(tdev);
	struct tessera_mediator *med;
	unsigned int i, n = 0;
	int ret;

	med = kzalloc(sizeof(*med), GFP_KERNEL);
	if (!med)
		return -ENOMEM;
	med->tdev = tdev;
	mutex_init(&med->lock);
	INIT_LIST_HEAD(&med->instances);

	for (i = 0; i < TESSERA_NUM_VGPU_TYPES; i++) {
		unsigned int per_card = tessera_vgpu_fractions[i];
		struct tessera_mdev_type *type = &med->types[n];
		u64 slice = round_down(div_u64(info->vram_usable, per_card), TESSERA_VRAM_GRANULE);

		/* A type the card cannot fill with its own contexts is not offered. */
		if (!slice || per_card > min(info->num_contexts, TESSERA_INSTANCE_CONTEXTS))
			continue;
		type->per_card = per_card;
		type->vram_size = slice;
		type->bar2_size = roundup_pow_of_two(slice);
		type->kind = TESSERA_INST_VGPU;
		type->weight = TESSERA_CARD_WEIGHT / per_card;
		snprintf(type->sysfs_name, sizeof(type->sysfs_name), "vgpu-%u", per_card);
		snprintf(type->pretty_name, sizeof(type->pretty_name),
			 "Tessera vGPU 1/%u (%llu MiB)", per_card, slice >> 20);
		type->type.sysfs_name = type->sysfs_name;
		type->type.pretty_name = type->pretty_name;
		med->type_list[n++] = &type->type;
	}
	ret = tessera_fpga_init(med);
	if (ret)
		goto err_free;
	n += tessera_vfpga_add_types(med, med->type_list + n, TESSERA_NUM_MDEV_TYPES - n);
	if (!n) {
		ret = -ENOSPC;
		goto err_fpga;
	}

	ret = mdev_register_parent(&med->parent, tessera_card_dev(tdev), &tessera_mdev_driver,
				   med->type_list, n);
	if (ret)
		goto err_fpga;
	ret = tessera_mdev_type_files_add(med, tessera_card_dev(tdev), n);
	if (ret)
		goto err_parent;
	/* In the card's debugfs folder, beside its own state. */
	med->debugfs = debugfs_create_file("mdev", 0400, tessera_card_debugfs(tdev), med,
					   &tessera_mdev_dump_fops);
	auxiliary_set_drvdata(adev, med);
	return 0;

err_parent:
	mdev_unregister_parent(&med->parent);
err_fpga:
	tessera_fpga_fini(med);
err_free:
	mutex_destroy(&med->lock);
	kfree(med);
	return ret;
}

/*
 * The card is going (PCI unbind or remove, rmmod tessera) or we are
 * (rmmod tessera_mdev): remove every instance, which asks the user of an
 * open one for it through its REQ eventfd and waits until it is closed,
 * then give the card back everything.
 */
static void tessera_mdev_aux_remove(struct auxiliary_device *adev)
{
	struct tessera_mediator *med = auxiliary_get_drvdata(adev);

	debugfs_remove(med->debugfs);
	tessera_mdev_type_files_remove(med);
	mdev_unregister_parent(&med->parent);
	WARN_ON(!list_empty(&med->instances));
	tessera_fpga_fini(med);
	mutex_destroy(&med->lock);
	kfree(med);
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

/*
 * What every instance together holds: the debug suites read it before and
 * after a run and fail unless it returned to where it was.
 */
static int tessera_mdev_counters_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "pinned_pages %ld\nshadow_pages %ld\n",
		   atomic_long_read(&tessera_submit_pinned_pages),
		   atomic_long_read(&tessera_submit_shadow_pages));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tessera_mdev_counters);

static struct dentry *tessera_mdev_counters_file;

static int __init tessera_mdev_module_init(void)
{
	int ret;

	tessera_mdev_counters_file = debugfs_create_file("mdev_counters", 0400,
							 tessera_debugfs_root(), NULL,
							 &tessera_mdev_counters_fops);
	ret = mdev_register_driver(&tessera_mdev_driver);
	if (ret)
		goto err_debugfs;
	ret = auxiliary_driver_register(&tessera_mdev_aux_driver);
	if (ret)
		goto err_mdev;
	return 0;

err_mdev:
	mdev_unregister_driver(&tessera_mdev_driver);
err_debugfs:
	debugfs_remove(tessera_mdev_counters_file);
	return ret;
}

static void __exit tessera_mdev_module_exit(void)
{
	auxiliary_driver_unregister(&tessera_mdev_aux_driver);
	mdev_unregister_driver(&tessera_mdev_driver);
	debugfs_remove(tessera_mdev_counters_file);
}

module_init(tessera_mdev_module_init);
module_exit(tessera_mdev_module_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Tessera mediator: vGPU and vFPGA instances of a Tessera card as mdev/VFIO devices");
MODULE_IMPORT_NS(TESSERA);
MODULE_IMPORT_NS(IOMMUFD);
