#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The command audit's cost and a long fuzz run, for `make bench`:
#  - instructions per command by opcode (callgrind, userspace build of the
#    same tessera_audit.c the module uses, with the x86-64 kernel's
#    code-generation flags: tools/fuzz/Makefile KERNEL_CODEGEN; goal: under
#    100 for every class, the shadow copy included),
#  - throughput of shadow copy + audit against shadow copy alone, one run,
#  - a 20,000,000-execution libFuzzer run with the oracle.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/.cache/fuzz"
make -s -C "$top/tools/fuzz" OUT="$out" >&2
n=20000

echo "## Command audit: instructions per command (callgrind, $n commands each, the audit built with the kernel's code-generation flags)"
echo
echo "| opcode | instructions per command (copy into shadow + audit), buffers in guest DMA memory | the same, buffers in the bind space |"
echo "| --- | --- | --- |"
count() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
		--toggle-collect=audit_batch "$out/bench_audit" count "$@" 2>&1 |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for op in NOP:0 FENCE:1 FILL:2 COPY:3 GEMM:4 ELEMWISE:5 BUSY:6 BATCH:7; do
	name=${op%%:*}
	code=${op##*:}
	ir=$(count "$code" "$n")
	bound=$(count "$code" "$n" bound)
	echo "| $name | $(( ir / n )) | $(( bound / n )) |"
done
base=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
	--toggle-collect=copy_batch "$out/bench_audit" count 2 "$n" 2>&1 |
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
echo "| (copy alone, no audit) | $(( base / n )) | |"
echo
echo "## Audited vs. unaudited submission throughput (same build, same run)"
echo
"$out/bench_audit" ratio 4096 2000 | sed 's/^/    /'
echo
runs=20000000
echo "## Long fuzz run"
echo
mkdir -p "$out/corpus" "$out/crashes"
if "$out/fuzz_audit" -runs=$runs -seed=2 -artifact_prefix="$out/crashes/" "$out/corpus" \
	>"$out/fuzz-long.log" 2>&1; then
	echo "    $(grep '^Done' "$out/fuzz-long.log"): no crash, no oracle violation"
else
	echo "    FAILED: $(grep -E 'oracle:|SUMMARY' "$out/fuzz-long.log" | head -n 2)"
	exit 1
fi
