// SPDX-License-Identifier: GPL-2.0
/*
 * Regression tests for the isolation findings of issue 10: each test names
 * the finding it pins down and fails on the driver before its fix.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfio_util.h"

FIXTURE(any_type) {
	struct tsr_instance inst;
};

FIXTURE_VARIANT(any_type) {
	const char *type;
};

FIXTURE_VARIANT_ADD(any_type, vgpu_1) { .type = "tessera-vgpu-1" };
FIXTURE_VARIANT_ADD(any_type, vgpu_8) { .type = "tessera-vgpu-8" };
FIXTURE_VARIANT_ADD(any_type, vfpga_1) { .type = "tessera-vfpga-1" };
FIXTURE_VARIANT_ADD(any_type, vfpga_4) { .type = "tessera-vfpga-4" };

FIXTURE_SETUP(any_type)
{
	ASSERT_EQ(0, tsr_instance_setup(&self->inst, variant->type));
}

FIXTURE_TEARDOWN_PARENT(any_type)
{
	tsr_instance_remove(&self->inst);
}

/*
 * The oops a hostile client found first: SET_IRQS with count 0 and BOOL or
 * EVENTFD data made the driver read a data buffer it never allocated. Every
 * index, both data kinds, with and without trailing bytes: the call must
 * return (0: no vector named, nothing to do) and the device must still
 * answer.
 */
TEST_F(any_type, set_irqs_count0_with_data)
{
	static const unsigned int indices[] = {
		VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
		VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX,
	};
	static const uint32_t kinds[] = { VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD };
	struct {
		struct vfio_irq_set hdr;
		int32_t data[2];
	} set;
	unsigned int i, k, extra;
	int ret;

	for (i = 0; i < sizeof(indices) / sizeof(indices[0]); i++) {
		int vectors = tsr_irq_count(&self->inst, indices[i]);

		for (k = 0; k < 2; k++) {
			for (extra = 0; extra <= sizeof(set.data); extra += sizeof(set.data)) {
				memset(&set, 0xff, sizeof(set));
				set.hdr.argsz = sizeof(set.hdr) + extra;
				set.hdr.flags = kinds[k] | VFIO_IRQ_SET_ACTION_TRIGGER;
				set.hdr.index = indices[i];
				set.hdr.start = 0;
				set.hdr.count = 0;
				ret = ioctl(self->inst.device_fd, VFIO_DEVICE_SET_IRQS, &set);
				if (vectors > 0) {
					EXPECT_EQ(0, ret) {
						TH_LOG("index %u kind 0x%x: %s", indices[i],
						       kinds[k], strerror(errno));
					}
				} else {
					EXPECT_EQ(-1, ret);
				}
			}
		}
	}
	/* The instance's lock was not left held: it still answers. */
	EXPECT_EQ(0, tsr_irq_disable(&self->inst, VFIO_PCI_MSIX_IRQ_INDEX));
	EXPECT_NE(0xdeadbeef, tsr_reg(&self->inst, TESSERA_VF_STATUS));
}

TEST_HARNESS_MAIN
