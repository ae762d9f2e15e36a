#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test host's chroot (started by the job script that run.sh
# writes): loads the VFIO/mdev modules and any the caller asked for, then
# runs the command in the requested directory. Exit status: the command's,
# or 125 when a module would not load (the command never ran).
#
#   in-guest.sh [--modprobe NAME]... [--insmod 'PATH.ko [PARAM=VALUE...]']...
#               [--env NAME=VALUE]... --cwd DIR -- COMMAND [ARG...]
set -uo pipefail

modprobes=(vfio vfio_iommu_type1 mdev)
insmods=()
cwd=/
while [ $# -gt 0 ]; do
	case "$1" in
	--modprobe) modprobes+=("$2"); shift 2 ;;
	--insmod) insmods+=("$2"); shift 2 ;;
	--env) export "${2?}"; shift 2 ;;
	--cwd) cwd=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "in-guest: unknown option $1" >&2; exit 125 ;;
	esac
done

for m in "${modprobes[@]}"; do
	if ! out=$(modprobe "$m" 2>&1); then
		echo "testhost: modprobe $m failed: $out"
		exit 125
	fi
done
for spec in "${insmods[@]}"; do
	read -r -a words <<< "$spec"
	ko=${words[0]}
	# insmod does not resolve dependencies: modprobe what the module
	# names in its .modinfo first (vfio, mdev, ...).
	if ! deps=$(modinfo -F depends "$ko" 2>&1); then
		echo "testhost: cannot read module $ko: $deps"
		exit 125
	fi
	for dep in ${deps//,/ }; do
		# One of ours loaded before it (tessera for tessera_mdev).
		[ -d "/sys/module/$dep" ] && continue
		if ! out=$(modprobe "$dep" 2>&1); then
			echo "testhost: modprobe $dep (needed by $ko) failed: $out"
			exit 125
		fi
	done
	if ! out=$(insmod "${words[@]}" 2>&1); then
		echo "testhost: insmod ${words[*]} failed: $out"
		exit 125
	fi
done

# The taint once the modules are in (loading an out-of-tree or unsigned
# module sets O or E): init reports it, so that a debug run holds the
# command to "no new taint bit" from here on.
cat /proc/sys/kernel/tainted > /run/testhost-loaded 2>/dev/null

cd "$cwd" || exit 125
exec "$@"
