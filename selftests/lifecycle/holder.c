// SPDX-License-Identifier: GPL-2.0
/*
 * A VFIO user of one existing Tessera instance, for the lifecycle tests
 * (lifecycle.sh): it opens the instance as QEMU does and holds it open
 * while the host removes it, unloads the module or removes the card.
 *
 *   lifecycle-holder UUID req    set the REQ eventfd (vGPU: start a 2 s
 *                                BUSY), print "ready"; on the host's
 *                                request print "request", read VF_MAGIC,
 *                                close, print "closed"; exit 0, or 3 when
 *                                no request came within 60 s
 *   lifecycle-holder UUID hold   print "ready"; on SIGUSR1 check that the
 *                                instance still works (vGPU: a FENCE
 *                                round trip; vFPGA: VF_MAGIC), print
 *                                "alive", close, exit 0 (1 if it did not
 *                                work); on SIGUSR2 close at once, exit 0;
 *                                exit 3 after 120 s without a signal
 *
 * Every line goes to stdout at once; diagnostics start with "# ".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"

#define RING_IOVA	0x00100000ull

static void say(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

static int open_instance(struct tsr_instance *inst, const char *uuid)
{
	memset(inst, 0, sizeof(*inst));
	inst->container_fd = inst->group_fd = inst->device_fd = -1;
	snprintf(inst->uuid, sizeof(inst->uuid), "%s", uuid);
	if (tsr_find_parent(inst->parent, sizeof(inst->parent)) || tsr_instance_open(inst) ||
	    tsr_enable_device(inst))
		return -1;
	return 0;
}

static bool is_vgpu(struct tsr_instance *inst)
{
	return tsr_reg(inst, TESSERA_VF_CAPS) & TESSERA_VF_CAP_ENGINES;
}

static int do_req(struct tsr_instance *inst)
{
	struct tsr_ring ring;
	struct pollfd pfd;
	char line[64];
	int efd;

	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || tsr_irq_enable_eventfd(inst, VFIO_PCI_REQ_IRQ_INDEX, efd)) {
		say("# cannot set the REQ eventfd");
		return 1;
	}
	if (is_vgpu(inst)) {
		struct tessera_cmd c = tsr_cmd_busy(2000000);

		if (tsr_ring_setup(inst, &ring, RING_IOVA, 64)) {
			say("# cannot set up a ring");
			return 1;
		}
		tsr_ring_push(&ring, &c);
		tsr_ring_fence_kick(&ring, false);
	}
	say("ready");
	pfd.fd = efd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 60000) != 1) {
		say("# no request from the host within 60 s");
		return 3;
	}
	say("request");
	/* Still ours until we close it: a read must not crash anything. */
	snprintf(line, sizeof(line), "magic 0x%08x", tsr_reg(inst, TESSERA_VF_MAGIC));
	say(line);
	tsr_instance_close(inst);
	close(efd);
	say("closed");
	return 0;
}

static int alive(struct tsr_instance *inst)
{
	struct tsr_ring ring;
	uint32_t st = 0;
	uint64_t v;

	if (tsr_reg(inst, TESSERA_VF_MAGIC) != TESSERA_MAGIC) {
		say("# VF_MAGIC does not read back");
		return 1;
	}
	if (!is_vgpu(inst))
		return 0;
	if (tsr_ring_setup(inst, &ring, RING_IOVA, 64)) {
		say("# cannot set up a ring");
		return 1;
	}
	v = tsr_ring_fence_kick(&ring, false);
	if (tsr_wait_fence(inst, v, TSR_DEADLINE_MS, &st)) {
		say("# the fence did not come back");
		return 1;
	}
	return 0;
}

static int do_hold(struct tsr_instance *inst)
{
	struct timespec limit = { .tv_sec = 120 };
	sigset_t set;
	int sig, ret = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	/* Blocked before "ready": the caller signals only after reading it. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	say("ready");
	sig = sigtimedwait(&set, NULL, &limit);
	if (sig < 0) {
		say("# no signal within 120 s");
		return 3;
	}
	if (sig == SIGUSR1) {
		ret = alive(inst);
		if (!ret)
			say("alive");
	}
	tsr_instance_close(inst);
	say("closed");
	return ret;
}

int main(int argc, char **argv)
{
	struct tsr_instance inst;

	if (argc != 3 || (strcmp(argv[2], "req") && strcmp(argv[2], "hold"))) {
		fprintf(stderr, "usage: %s UUID req|hold\n", argv[0]);
		return 2;
	}
	if (open_instance(&inst, argv[1])) {
		say("# cannot open the instance");
		return 1;
	}
	return strcmp(argv[2], "req") ? do_hold(&inst) : do_req(&inst);
}
