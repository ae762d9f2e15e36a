/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tessera mediator: the mdev parent, its vGPU types and their instances.
 */
#ifndef TESSERA_MDEV_H
#define TESSERA_MDEV_H

#include <linux/list.h>
#include <linux/sysfs.h>
#include <linux/mdev.h>
#include <linux/mutex.h>

struct dentry;
struct tessera_device;
struct tessera_fpga;

#define TESSERA_NUM_VGPU_TYPES	6
/* vGPU types, then the vFPGA types (tessera_vfpga_types.c) */
#define TESSERA_NUM_MDEV_TYPES	(TESSERA_NUM_VGPU_TYPES + 3)

/* What an instance of a type is: its VFIO device and PCI function. */
enum tessera_inst_kind {
	TESSERA_INST_VGPU,	/* 1234:7e51, tessera_vgpu.c */
	TESSERA_INST_VFPGA,	/* 1234:7e52, tessera_vfpga.c */
};

/**
 * struct tessera_mdev_type - one mdev type of the card, what every
 *	instance of it gets
 * @type: the mdev type ("vgpu-N", "vfpga-N")
 * @kind: vGPU or vFPGA; a vFPGA type is a struct tessera_vfpga_type
 * @per_card: how many such instances fill the card
 * @vram_size: bytes of device memory an instance gets
 * @bar2_size: its BAR2 size, @vram_size rounded up to a power of two
 * @weight: its scheduling weight
 * @sysfs_name: storage for @type.sysfs_name
 * @pretty_name: storage for @type.pretty_name
 */
struct tessera_mdev_type {
	struct mdev_type type;
	enum tessera_inst_kind kind;
	unsigned int per_card;
	u64 vram_size;
	u64 bar2_size;
	u32 weight;
	char sysfs_name[16];
	char pretty_name[64];
};

/**
 * struct tessera_mediator - one card as an mdev parent (the auxiliary
 *	device's driver data)
 * @tdev: the card, reached through tessera_core.h only
 * @parent: the mdev parent, registered on the card's PCI device
 * @types: the vGPU types
 * @type_list: pointers to @types[i].type, as mdev wants them
 * @types_kobj: the card's tessera_types/ folder: a folder per type of what
 *	its description says, one value a file (tessera_mdev.c)
 * @type_info: the folders in it
 * @num_types: entries of @type_info
 * @fpga: the card's regions as vFPGA instances share them
 *	(tessera_vfpga_types.c), or NULL without regions
 * @lock: protects @instances
 * @instances: live instances (struct tessera_vgpu)
 * @debugfs: the "mdev" file in the card's debugfs folder
 */
struct tessera_mediator {
	struct tessera_device *tdev;
	struct mdev_parent parent;
	struct tessera_mdev_type types[TESSERA_NUM_VGPU_TYPES];
	struct mdev_type *type_list[TESSERA_NUM_MDEV_TYPES];
	struct kobject *types_kobj;
	struct kobject *type_info[TESSERA_NUM_MDEV_TYPES];
	unsigned int num_types;
	struct tessera_fpga *fpga;
	struct mutex lock;	/* protects instances */
	struct list_head instances;
	struct dentry *debugfs;
};

static inline struct tessera_mediator *tessera_mdev_of_type(struct mdev_type *mtype)
{
	return container_of(mtype->parent, struct tessera_mediator, parent);
}

struct tessera_vgpu;

/* tessera_mdev.c */
int tessera_mdev_register(struct mdev_device *mdev, struct tessera_vgpu *vg);

/* tessera_inst_sysfs.c: /sys/bus/mdev/devices/<uuid>/tessera/ */
extern const struct attribute_group *tessera_inst_groups[];

#endif /* TESSERA_MDEV_H */
