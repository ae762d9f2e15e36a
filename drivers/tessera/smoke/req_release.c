// SPDX-License-Identifier: GPL-2.0
/*
 * Removing an instance that user space holds open: the driver must ask user
 * space to let go through the VFIO request eventfd (as QEMU expects), and
 * the removal must complete once the device is closed.
 *
 * usage: req_release <mdev-uuid>   (run as root in the test host)
 * Exit 0 on success; prints what failed otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vfio.h>

static int fail(const char *what)
{
	fprintf(stderr, "req_release: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_REQ_IRQ_INDEX };
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int container, group, device, efd, n, wstatus;
	struct pollfd pfd;
	const char *grp;
	pid_t child;

	if (argc != 2)
		return fprintf(stderr, "usage: req_release <uuid>\n"), 2;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", argv[1]);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return fail("iommu_group link");
	link[n] = 0;
	grp = strrchr(link, '/') + 1;

	container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/dev/vfio/%s", grp);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0)
		return fail("open container/group");
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("set container / type1v2");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (device < 0)
		return fail("GET_DEVICE_FD");

	if (ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, &info) || info.count != 1 ||
	    !(info.flags & VFIO_IRQ_INFO_EVENTFD)) {
		fprintf(stderr, "req_release: REQ index count %u flags 0x%x\n",
			info.count, info.flags);
		return 1;
	}
	efd = eventfd(0, 0);
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_REQ_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, set))
		return fail("SET_IRQS REQ");

	/* Another process removes the instance; it blocks until we let go. */
	child = fork();
	if (!child) {
		/* A copy of the device fd here would keep the device open. */
		close(device);
		close(group);
		close(container);
		close(efd);
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", argv[1]);
		n = open(path, O_WRONLY);
		_exit(n < 0 || write(n, "1", 1) != 1 ? 1 : 0);
	}

	pfd.fd = efd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 20000) != 1) {
		fprintf(stderr, "req_release: no request within 20 s\n");
		return 1;
	}
	printf("# request eventfd signalled: closing the device\n");
	close(device);
	close(group);
	close(container);
	if (waitpid(child, &wstatus, 0) != child || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus))
		return fprintf(stderr, "req_release: remove failed\n"), 1;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s", argv[1]);
	if (!access(path, F_OK))
		return fprintf(stderr, "req_release: instance still exists\n"), 1;
	printf("ok - removal of an open instance asked user space and completed\n");
	return 0;
}
