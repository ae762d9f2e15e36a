#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Remove an instance that a VFIO user holds open (see req_release.c).
#   scripts/testhost/run.sh --device tessera-card \
#     --insmod drivers/tessera/tessera.ko -- drivers/tessera/smoke/req-smoke.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${REQ_RELEASE:-/tmp/req_release}
[ -x "$bin" ] || gcc -O2 -Wall -o "$bin" "$here/req_release.c"
card=$(grep -l 0x7e50 /sys/bus/pci/devices/*/device | head -1)
types=${card%/device}/mdev_supported_types
uuid=$(cat /proc/sys/kernel/random/uuid)
echo "$uuid" > "$types/tessera-vgpu-4/create"
timeout 60 "$bin" "$uuid"
