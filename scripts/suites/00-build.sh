#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build everything the other suites use, one TAP line per piece, so that a
# piece that does not build is a counted failure with its log's end shown,
# and the suites after it still run.
# shellcheck source=scripts/suites/lib.sh
. "$(dirname "$0")/lib.sh"

steps=(
	"kernel:Debian's 6.12 kernel, modules and headers are unpacked"
	"testhost:the test host initramfs and modules tree are built"
	"qemu:QEMU with the Tessera card builds"
	"modules:the tessera kernel module builds"
	"selftests:the VFIO selftests build"
)
logs="$suite_top/.cache/suites/build"
mkdir -p "$logs"
echo "1..${#steps[@]}"
n=0 failed=0
for step in "${steps[@]}"; do
	target=${step%%:*}
	what=${step#*:}
	n=$((n + 1))
	start=$SECONDS
	if make -s -C "$suite_top" "$target" >"$logs/$target.log" 2>&1; then
		echo "ok $n - $what ($((SECONDS - start)) s)"
	else
		echo "not ok $n - $what: make $target failed"
		tap_comment_file "$logs/$target.log" 30
		failed=1
	fi
done
exit $failed
