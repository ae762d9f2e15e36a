#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test host for scripts/suites/30-testhost.sh: checks that
# the environment the other suites rely on is there. One line per check,
# "pass NAME" or "fail NAME: why"; exit status 1 if any failed.
set -u

failed=0
check()
{
	local name=$1 out

	shift
	if out=$("$@" 2>&1); then
		echo "pass $name"
	else
		echo "fail $name: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
		failed=1
	fi
}

repo=$(cd "$(dirname "$0")/../.." && pwd)
check "the guest runs Debian's 6.12 kernel" sh -c 'uname -r | grep -q "^6\.12\."'
check "the command starts in the repository" test "$(pwd)" = "$repo"
check "the root filesystem is writable (tmpfs overlay)" sh -c 'echo x > /var/tmp/testhost-probe'
check "lspci lists PCI devices" sh -c 'lspci | grep -q .'
check "modprobe vfio_iommu_type1 works in the chroot" modprobe vfio_iommu_type1
check "vfio and mdev are loaded" sh -c 'grep -q "^vfio " /proc/modules && grep -q "^mdev " /proc/modules'
check "/dev/vfio/vfio exists" test -c /dev/vfio/vfio
check "mdevctl types runs" mdevctl types
check "python3 runs" python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))'
check "debugfs is mounted" test -d /sys/kernel/debug/dynamic_debug
exit $failed
