// SPDX-License-Identifier: GPL-2.0
/*
 * vgpu-demo UUID: run a GEMM workload on an existing vGPU instance through
 * VFIO, as a guest driver would: map guest memory, build a command ring in
 * it, ring the doorbell, wait for the fence interrupt, check the product
 * against the CPU and print the instance's busy time from the card.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vfio_util.h"

#define N		128	/* the matrices are N x N fp32 */
#define ROUNDS		8	/* GEMMs per instance, one batch */
#define RING_IOVA	0x100000ull
#define DATA_IOVA	0x400000ull

int main(int argc, char **argv)
{
	size_t mat = (size_t)N * N * sizeof(float);
	struct tsr_instance inst = { .container_fd = -1, .group_fd = -1, .device_fd = -1 };
	struct tsr_dma_buf data;
	struct tsr_ring ring;
	float *a, *b, *c, max_err = 0;
	uint64_t fence, events;
	uint32_t status;
	int efd, i, j, k, ret = 1;

	if (argc != 2 || strlen(argv[1]) >= sizeof(inst.uuid)) {
		fprintf(stderr, "usage: %s UUID (an existing tessera-vgpu instance)\n", argv[0]);
		return 2;
	}
	snprintf(inst.uuid, sizeof(inst.uuid), "%s", argv[1]);
	if (tsr_instance_open(&inst) || tsr_enable_device(&inst)) {
		fprintf(stderr, "vgpu-demo: cannot open instance %s through VFIO\n", inst.uuid);
		goto out;
	}
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || tsr_irq_enable_eventfd(&inst, VFIO_PCI_MSIX_IRQ_INDEX, efd) ||
	    tsr_reg_write(&inst, TESSERA_VF_INT_ENABLE, TESSERA_CTX_INT_FENCE | TESSERA_CTX_INT_FAULT) ||
	    tsr_ring_setup(&inst, &ring, RING_IOVA, 64) ||
	    tsr_dma_alloc(&inst, &data, DATA_IOVA, 3 * mat)) {
		fprintf(stderr, "vgpu-demo: interrupt, ring or memory setup failed\n");
		goto out;
	}
	a = data.va;
	b = a + N * N;
	c = b + N * N;
	for (i = 0; i < N * N; i++) {
		a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
		b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
	}
	for (i = 0; i < ROUNDS; i++) {
		struct tessera_cmd cmd = tsr_cmd_gemm(DATA_IOVA, DATA_IOVA + mat,
						      DATA_IOVA + 2 * mat, N, N, N, false);

		tsr_ring_push(&ring, &cmd);
	}
	fence = tsr_ring_fence_kick(&ring, true);
	if (tsr_eventfd_wait(efd, TSR_DEADLINE_MS, &events) != 1 ||
	    tsr_wait_fence(&inst, fence, TSR_DEADLINE_MS, &status)) {
		fprintf(stderr, "vgpu-demo: no fence interrupt (status 0x%x, fault 0x%x)\n",
			tsr_reg(&inst, TESSERA_VF_STATUS), tsr_reg(&inst, TESSERA_VF_FAULT_CODE));
		goto out;
	}
	for (i = 0; i < N; i++) {
		for (j = 0; j < N; j++) {
			double want = 0;

			for (k = 0; k < N; k++)
				want += (double)a[i * N + k] * b[k * N + j];
			if (fabs(want) > 1e-3)
				max_err = fmaxf(max_err, fabs((c[i * N + j] - want) / want));
		}
	}
	printf("instance %s: %d GEMMs %dx%d fp32 through VFIO, fence interrupt received, max relative error %.2e vs CPU, card busy %llu ns\n",
	       inst.uuid, ROUNDS, N, N, max_err,
	       (unsigned long long)tsr_reg64(&inst, TESSERA_VF_BUSY_NS_LO));
	ret = max_err < 1e-4 ? 0 : 1;
out:
	tsr_instance_close(&inst);
	return ret;
}
