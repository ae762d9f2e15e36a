// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera card core: the PCI driver for the physical card (1234:7e50).
 *
 * Probe is a ladder: PCI and BARs, identity and capabilities, MSI-X, then
 * device memory, contexts, scheduler, regions, engine/region interrupts,
 * debugfs and last the clients' auxiliary devices (the mediator binds to
 * "tessera.mdev" and registers the mdev parent; the host node, in
 * tessera_accel_host.ko, to "tessera.accel"). Remove walks the same
 * ladder down: deleting a client's auxiliary device returns once its
 * driver has let go of everything it held, so nothing above the core is
 * left when the core goes.
 */
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "tessera_drv.h"

static irqreturn_t tessera_engines_irq(int irq, void *arg)
{
	struct tessera_device *tdev = arg;
	irqreturn_t ret = IRQ_NONE;
	unsigned int i;

	for (i = 0; i < tdev->info.num_engines; i++) {
		u32 status = tessera_rd(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_STATUS));

		if (!status || status == ~0u)
			continue;
		tessera_wr(tdev, TESSERA_ENGINE_REG(i, TESSERA_ENG_INT_STATUS), status);
		tessera_sched_engine_irq(&tdev->sched, i, status);
		ret = IRQ_HANDLED;
	}
	return ret;
}

/* Regions belong to their holders: acknowledge, then tell the holder. */
static irqreturn_t tessera_regions_irq(int irq, void *arg)
{
	struct tessera_device *tdev = arg;
	irqreturn_t ret = IRQ_NONE;
	unsigned int i;

	for (i = 0; i < tdev->info.num_regions; i++) {
		u32 status = tessera_rd(tdev, TESSERA_REGION_REG(i, TESSERA_RGN_INT_STATUS));

		if (!status || status == ~0u)
			continue;
		tessera_wr(tdev, TESSERA_REGION_REG(i, TESSERA_RGN_INT_STATUS), status);
		tessera_regions_dispatch(tdev, i, status);
		ret = IRQ_HANDLED;
	}
	return ret;
}

const struct tessera_card_info *tessera_card_info(struct tessera_device *tdev)
{
	return &tdev->info;
}
EXPORT_SYMBOL_NS_GPL(tessera_card_info, TESSERA);

struct device *tessera_card_dev(struct tessera_device *tdev)
{
	return &tdev->pdev->dev;
}
EXPORT_SYMBOL_NS_GPL(tessera_card_dev, TESSERA);

static int tessera_read_caps(struct tessera_device *tdev)
{
	struct device *dev = &tdev->pdev->dev;
	u32 magic = tessera_rd(tdev, TESSERA_REG_MAGIC);
	u32 version = tessera_rd(tdev, TESSERA_REG_VERSION);

	if (magic != TESSERA_MAGIC) {
		dev_err(dev, "bad magic 0x%08x, expected 0x%08x\n", magic, TESSERA_MAGIC);
		return -ENODEV;
	}
	if (version >> 16 != TESSERA_VERSION >> 16) {
		dev_err(dev, "card version 0x%08x, driver speaks major %u\n", version,
			TESSERA_VERSION >> 16);
		return -ENODEV;
	}

	tdev->info.num_contexts = tessera_rd(tdev, TESSERA_REG_NUM_CONTEXTS);
	tdev->info.num_engines = tessera_rd(tdev, TESSERA_REG_NUM_ENGINES);
	tdev->info.num_regions = tessera_rd(tdev, TESSERA_REG_NUM_REGIONS);
	tdev->info.vram_size = tessera_rd64(tdev, TESSERA_REG_VRAM_SIZE_LO);

	if (!tdev->info.num_contexts || tdev->info.num_contexts > TESSERA_MAX_CONTEXTS ||
	    !tdev->info.num_engines || tdev->info.num_engines > TESSERA_MAX_ENGINES ||
	    tdev->info.num_regions > TESSERA_MAX_REGIONS) {
		dev_err(dev, "card reports %u contexts, %u engines, %u regions: out of range\n",
			tdev->info.num_contexts, tdev->info.num_engines, tdev->info.num_regions);
		return -ENODEV;
	}
	if (!tdev->info.vram_size ||
	    tdev->info.vram_size > pci_resource_len(tdev->pdev, TESSERA_BAR_VRAM)) {
		dev_err(dev, "device memory %llu bytes does not fit BAR2 (%llu bytes)\n",
			tdev->info.vram_size, (u64)pci_resource_len(tdev->pdev, TESSERA_BAR_VRAM));
		return -ENODEV;
	}
	return 0;
}

static void tessera_client_release(struct device *dev)
{
	kfree(to_tessera_client_dev(to_auxiliary_dev(dev)));
}

/* The card's clients: one auxiliary device per kind, named tessera.<name>.<id>. */
static struct tessera_client_dev *
tessera_client_add(struct tessera_device *tdev, const char *name)
{
	struct tessera_client_dev *cdev;
	int ret;

	cdev = kzalloc(sizeof(*cdev), GFP_KERNEL);
	if (!cdev)
		return ERR_PTR(-ENOMEM);
	cdev->tdev = tdev;
	cdev->adev.name = name;
	cdev->adev.id = pci_dev_id(tdev->pdev) | pci_domain_nr(tdev->pdev->bus) << 16;
	cdev->adev.dev.parent = &tdev->pdev->dev;
	cdev->adev.dev.release = tessera_client_release;
	ret = auxiliary_device_init(&cdev->adev);
	if (ret) {
		kfree(cdev);
		return ERR_PTR(ret);
	}
	ret = auxiliary_device_add(&cdev->adev);
	if (ret) {
		auxiliary_device_uninit(&cdev->adev);
		return ERR_PTR(ret);
	}
	return cdev;
}

/* The client's driver is gone from the card when this returns. */
static void tessera_client_del(struct tessera_client_dev *cdev)
{
	auxiliary_device_delete(&cdev->adev);
	auxiliary_device_uninit(&cdev->adev);
}

static int tessera_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct tessera_device *tdev;
	int nvec, ret;

	tdev = devm_kzalloc(dev, sizeof(*tdev), GFP_KERNEL);
	if (!tdev)
		return -ENOMEM;
	tdev->pdev = pdev;
	pci_set_drvdata(pdev, tdev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	tdev->regs = pcim_iomap_region(pdev, TESSERA_BAR_REGS, TESSERA_DRV_NAME);
	if (IS_ERR(tdev->regs))
		return PTR_ERR(tdev->regs);
	if (pci_resource_len(pdev, TESSERA_BAR_REGS) < TESSERA_BAR0_SIZE)
		return -ENODEV;
	tdev->info.vram = pcim_iomap_region(pdev, TESSERA_BAR_VRAM, TESSERA_DRV_NAME);
	if (IS_ERR(tdev->info.vram))
		return PTR_ERR(tdev->info.vram);
	tdev->info.vram_phys = pci_resource_start(pdev, TESSERA_BAR_VRAM);
	tdev->info.regs_phys = pci_resource_start(pdev, TESSERA_BAR_REGS);

	ret = tessera_read_caps(tdev);
	if (ret)
		return ret;

	nvec = TESSERA_NUM_VECTORS(tdev->info.num_contexts);
	ret = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(dev, "cannot get %d MSI-X vectors: %d\n", nvec, ret);
		return ret;
	}

	ret = tessera_vram_init(tdev);
	if (ret)
		goto err_vectors;
	ret = tessera_ctx_mgr_init(tdev);
	if (ret)
		goto err_vram;
	ret = tessera_sched_init(tdev);
	if (ret)
		goto err_ctx;
	ret = tessera_regions_init(tdev);
	if (ret)
		goto err_sched;
	ret = request_irq(pci_irq_vector(pdev, TESSERA_VEC_ENGINES), tessera_engines_irq, 0,
			  "tessera-engines", tdev);
	if (ret)
		goto err_regions;
	ret = request_irq(pci_irq_vector(pdev, TESSERA_VEC_REGIONS), tessera_regions_irq, 0,
			  "tessera-regions", tdev);
	if (ret)
		goto err_engines_irq;
	tessera_debugfs_init(tdev);
	tdev->mdev_client = tessera_client_add(tdev, "mdev");
	if (IS_ERR(tdev->mdev_client)) {
		ret = PTR_ERR(tdev->mdev_client);
		goto err_debugfs;
	}
	tdev->accel_client = tessera_client_add(tdev, "accel");
	if (IS_ERR(tdev->accel_client)) {
		ret = PTR_ERR(tdev->accel_client);
		goto err_mdev_client;
	}

	dev_info(dev, "Tessera card: %u contexts, %u engines, %u regions, %llu MiB device memory (%llu MiB for instances)\n",
		 tdev->info.num_contexts, tdev->info.num_engines, tdev->info.num_regions,
		 tdev->info.vram_size >> 20, tdev->info.vram_usable >> 20);
	return 0;

err_mdev_client:
	tessera_client_del(tdev->mdev_client);
err_debugfs:
	tessera_debugfs_fini(tdev);
	free_irq(pci_irq_vector(pdev, TESSERA_VEC_REGIONS), tdev);
err_engines_irq:
	free_irq(pci_irq_vector(pdev, TESSERA_VEC_ENGINES), tdev);
err_regions:
	tessera_regions_fini(tdev);
err_sched:
	tessera_sched_fini(tdev);
err_ctx:
	tessera_ctx_mgr_fini(tdev);
err_vram:
	tessera_vram_fini(tdev);
err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void tessera_remove(struct pci_dev *pdev)
{
	struct tessera_device *tdev = pci_get_drvdata(pdev);

	tessera_client_del(tdev->accel_client);
	tessera_client_del(tdev->mdev_client);
	tessera_debugfs_fini(tdev);
	free_irq(pci_irq_vector(pdev, TESSERA_VEC_REGIONS), tdev);
	free_irq(pci_irq_vector(pdev, TESSERA_VEC_ENGINES), tdev);
	tessera_regions_fini(tdev);
	tessera_sched_fini(tdev);
	tessera_ctx_mgr_fini(tdev);
	tessera_vram_fini(tdev);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id tessera_pci_ids[] = {
	{ PCI_DEVICE(TESSERA_PCI_VENDOR_ID, TESSERA_PCI_DEVICE_CARD) },
	{ }
};
MODULE_DEVICE_TABLE(pci, tessera_pci_ids);

static struct pci_driver tessera_pci_driver = {
	.name = TESSERA_DRV_NAME,
	.id_table = tessera_pci_ids,
	.probe = tessera_probe,
	.remove = tessera_remove,
};

static int __init tessera_init(void)
{
	int ret;

	tessera_debugfs_register();
	ret = pci_register_driver(&tessera_pci_driver);
	if (ret)
		tessera_debugfs_unregister();
	return ret;
}

static void __exit tessera_exit(void)
{
	pci_unregister_driver(&tessera_pci_driver);
	tessera_debugfs_unregister();
}

module_init(tessera_init);
module_exit(tessera_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Tessera accelerator card: the card driver and its clients' core API");
