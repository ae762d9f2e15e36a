// SPDX-License-Identifier: GPL-2.0
/*
 * Tessera vGPU instance as a VFIO device: what a guest (through QEMU) or a
 * VFIO program sees.
 *
 * Virtual PCI function 1234:7e51, class processing accelerator:
 *   BAR0  4 KiB, 32-bit MMIO: the trapped register file (tessera_vregs.c)
 *   BAR2, BAR4, configuration space, interrupts: the virtual function
 *     every instance shares (tessera_vfunc.c)
 * The vGPU's own part is BAR0: each 32-bit or 64-bit access becomes
 * aligned 32-bit register accesses, which tessera_vregs.c checks.
 */
#include <linux/mdev.h>
#include <linux/vfio.h>

#include "tessera_core.h"
#include "tessera_mdev.h"
#include "tessera_vgpu.h"

static int tessera_vgpu_bar0_access(struct tessera_vgpu *vg, u64 off, u8 *data, size_t count,
				    bool write)
{
	unsigned int i;
	u32 val;
	int ret;

	if ((count != 4 && count != 8) || !IS_ALIGNED(off, count))
		return -EINVAL;
	for (i = 0; i < count; i += 4) {
		if (write) {
			memcpy(&val, data + i, 4);
			ret = tessera_vregs_write(vg, off + i, val);
		} else {
			ret = tessera_vregs_read(vg, off + i, &val);
			memcpy(data + i, &val, 4);
		}
		if (ret)
			return ret;
	}
	return 0;
}

static ssize_t tessera_vgpu_read(struct vfio_device *vdev, char __user *buf, size_t count,
				 loff_t *ppos)
{
	return tessera_vfunc_rw(to_tessera_vgpu(vdev), buf, count, ppos, false,
				tessera_vgpu_bar0_access);
}

static ssize_t tessera_vgpu_write(struct vfio_device *vdev, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	return tessera_vfunc_rw(to_tessera_vgpu(vdev), (char __user *)buf, count, ppos, true,
				tessera_vgpu_bar0_access);
}

static const struct vfio_device_ops tessera_vgpu_ops = {
	.name = "tessera-vgpu",
	.init = tessera_vfunc_init,
	.release = tessera_vfunc_release,
	.open_device = tessera_vfunc_open,
	.close_device = tessera_vfunc_close,
	.read = tessera_vgpu_read,
	.write = tessera_vgpu_write,
	.mmap = tessera_vfunc_mmap,
	.ioctl = tessera_vfunc_ioctl,
	.dma_unmap = tessera_vfunc_dma_unmap,
	.request = tessera_vfunc_request,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

/* A new instance of a vGPU type: its VFIO device. */
int tessera_vgpu_probe(struct mdev_device *mdev)
{
	struct tessera_vgpu *vg;

	vg = vfio_alloc_device(tessera_vgpu, vdev, &mdev->dev, &tessera_vgpu_ops);
	if (IS_ERR(vg))
		return PTR_ERR(vg);
	return tessera_mdev_register(mdev, vg);
}
