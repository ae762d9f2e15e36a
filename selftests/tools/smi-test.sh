#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tessera-smi against a known set of instances, inside the test host with
# a one-engine card and both modules loaded (scripts/suites/65-tools.sh):
#
#   - the table, CSV and JSON of a fresh card and of three instances made
#     by tessera-smi itself are the golden files of selftests/tools/golden/
#     (the card's clock masked); the JSON is valid against its schema;
#   - every bad argument and every refusal gives its own exit status and
#     leaves the card as it was;
#   - without root the per-instance figures are hidden, and said to be;
#   - two vgpu-4 instances at weights 1 and 3 kept busy by sched-bench
#     show 25 % and 75 % (within 3 points) in each of `-l 2`'s refreshes,
#     held by sched-bench, and cannot be removed while held.
#
#   selftests/tools/smi-test.sh SMI SCHED_BENCH OUT
#
# SMI_REGOLD=1 prints the outputs as "golden:NAME:LINE" instead of
# comparing (selftests/tools/regold.sh LOG writes them into the golden
# folder; review the diff). Prints TAP.
set -u

smi=${1:?usage: smi-test.sh SMI SCHED_BENCH OUT}
bench=${2:?}
out=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
golden=$here/golden
schema=$(cd "$here/../.." && pwd)/tools/tessera-smi/tessera-smi.schema.json
mkdir -p "$out"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - smi: $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - smi: $*"; failed=1; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

U1=5a1c0000-0000-4000-8000-000000000001
U2=5a1c0000-0000-4000-8000-000000000002
U3=5a1c0000-0000-4000-8000-000000000003
U9=5a1c0000-0000-4000-8000-000000000009

# The clock moves; everything else of an idle card is fixed.
mask() { sed -E 's/"clock_ns": [0-9]+/"clock_ns": "MASKED"/'; }

# golden NAME: compare $out/NAME with the golden file
golden()
{
	local name=$1 what=$2

	if [ "${SMI_REGOLD:-0}" = 1 ]; then
		# The test host's root is read-only: the console carries the file.
		sed "s|^|golden:$name:|" "$out/$name"
		ok "$what (golden file printed)"
	elif diff -u "$golden/$name" "$out/$name" >"$out/$name.diff"; then
		ok "$what"
	else
		not_ok "$what"
		sed 's/^/# /' "$out/$name.diff" | head -40
	fi
}

# expect STATUS WHAT CMD...: the exit status and a message on stderr
expect()
{
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$out/expect.out" 2>"$out/expect.err"
	rc=$?
	if [ "$rc" = "$want" ] && [ -s "$out/expect.err" ]; then
		ok "$what: exit $want, '$(head -c 150 "$out/expect.err")'"
	else
		not_ok "$what: exit $rc (want $want), stderr '$(head -c 150 "$out/expect.err")'"
	fi
}

count_instances()
{
	local d c=0

	for d in /sys/bus/mdev/devices/*; do
		[ -e "$d" ] && c=$((c + 1))
	done
	echo $c
}

validate()
{
	/usr/bin/python3 - "$schema" "$1" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
dec, pos, docs = json.JSONDecoder(), 0, 0
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    docs += 1
if not docs:
    sys.exit("no document")
PY
}

# ---- a fresh card ----
"$smi" >"$out/empty.table"
check $? "a fresh card: tessera-smi exits 0"
golden empty.table "a fresh card: the table"
"$smi" cards --csv >"$out/cards.csv" && golden cards.csv "cards --csv"
"$smi" types --csv >"$out/types.csv" && golden types.csv "types --csv"

# ---- three instances made by tessera-smi ----
[ "$("$smi" create -t vgpu-4 -u $U1 -w 1)" = $U1 ]
check $? "create -t vgpu-4 -u U1 -w 1 prints the UUID"
[ "$("$smi" start -t tessera-vgpu-4 -u $U2 -w 3)" = $U2 ]
check $? "start (create's mdevctl name) -t tessera-vgpu-4 -w 3"
[ "$("$smi" create -t vfpga-1 -u $U3)" = $U3 ]
check $? "create -t vfpga-1"
read -r w1 </sys/bus/mdev/devices/$U1/tessera/weight
read -r w2 </sys/bus/mdev/devices/$U2/tessera/weight
[ "$w1" = 1 ] && [ "$w2" = 3 ]
check $? "the weights asked for are the instances' (sysfs: $w1, $w2)"

"$smi" >"$out/three.table" && golden three.table "three idle instances: the table"
"$smi" --csv >"$out/three.csv" && golden three.csv "three idle instances: --csv"
"$smi" --json >"$out/three.raw.json"
if validate "$out/three.raw.json" 2>"$out/validate.err"; then
	ok "three idle instances: --json is valid against tessera-smi.schema.json"
else
	not_ok "three idle instances: --json is not valid: $(tail -n 3 "$out/validate.err" | tr '\n' ' ')"
fi
mask <"$out/three.raw.json" >"$out/three.json" && golden three.json "three idle instances: --json"

# ---- bad arguments and refusals: each its exit status, nothing changed ----
before=$(count_instances)
read -r slice0 </sys/bus/pci/devices/0000:00:03.0/tessera/slice_us
expect 2 "an unknown command" "$smi" frobnicate
expect 2 "an unknown option" "$smi" --frobnicate
expect 2 "-l 0" "$smi" -l 0
expect 2 "-c without -l" "$smi" -c 3
expect 2 "--sample-ms 60001" "$smi" --sample-ms 60001
expect 2 "--json with a verb" "$smi" create -t vgpu-4 --json
expect 2 "create without a type" "$smi" create
expect 2 "create with a bad UUID" "$smi" create -t vgpu-4 -u not-a-uuid
expect 2 "create with weight 0" "$smi" create -t vgpu-4 -w 0
expect 4 "create of a type the card does not have" "$smi" create -t vgpu-99
expect 6 "create with weight 65 (the driver's bound is 64)" "$smi" create -t vgpu-4 -w 65
expect 6 "create with a UUID in use" "$smi" create -t vgpu-4 -u $U1
expect 7 "create of vgpu-1 with the card partly taken" "$smi" create -t vgpu-1
expect 3 "a card address that is not a card" "$smi" -p 0000:00:1f.7
expect 4 "remove of an instance that does not exist" "$smi" remove -u $U9
expect 2 "set-weight 0" "$smi" set-weight -u $U1 0
expect 6 "set-weight 65" "$smi" set-weight -u $U1 65
expect 2 "set-slice abc" "$smi" set-slice abc
expect 6 "set-slice 10 (below 50 us)" "$smi" set-slice 10
expect 2 "set-policy round-robin" "$smi" set-policy round-robin
read -r w1 </sys/bus/mdev/devices/$U1/tessera/weight
read -r slice1 </sys/bus/pci/devices/0000:00:03.0/tessera/slice_us
[ "$(count_instances)" = "$before" ] && [ "$w1" = 1 ] && [ "$slice1" = "$slice0" ]
check $? "after the refusals: $(count_instances) instances (was $before), weight $w1, slice $slice1 us (was $slice0)"

"$smi" set-slice 2000 && read -r s </sys/bus/pci/devices/0000:00:03.0/tessera/slice_us &&
	[ "$s" = 2000 ] && "$smi" set-slice "$slice0"
check $? "set-slice 2000 is the card's slice_us, and back to $slice0"
"$smi" set-policy equal-share && grep -q '\[equal-share\]' /sys/bus/pci/devices/0000:00:03.0/tessera/policy &&
	"$smi" set-policy best-effort
check $? "set-policy equal-share is the card's policy, and back to best-effort"

# ---- not root ----
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${nobody[@]}" "$smi" >"$out/nobody.table" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'root only' "$out/nobody.table" &&
	! grep -q "$U1 .* 0%" "$out/nobody.table"
check $? "without root: exit $rc, figures hidden and the table says why"
expect 5 "set-weight without root" "${nobody[@]}" "$smi" set-weight -u $U1 2

# ---- a known load: weights 1 and 3 on one engine ----
# 10 ms slices: the host's gap between two slices is engine time neither
# instance has, and under emulation it can be 80 us, 8 % of a 1 ms slice.
"$smi" set-slice 10000
check $? "set-slice 10000 for the load"
"$bench" hold 20 $U1 $U2 >"$out/hold.out" 2>&1 &
hold=$!
for _ in $(seq 100); do
	grep -q '^holding 2' "$out/hold.out" && break
	sleep 0.1
done
expect 8 "remove of an instance held open" "$smi" remove -u $U1
"$smi" -l 2 -c 4 --json >"$out/live.json"
rc=$?
"$smi" -l 1 -c 2 >"$out/live.table"
wait $hold
hold_rc=$?
[ $rc = 0 ] && validate "$out/live.json" 2>"$out/validate.err"
check $? "-l 2 -c 4 --json: four documents, each valid"
/usr/bin/python3 - "$out/live.json" $U1 $U2 >"$out/live.check" 2>&1 <<'PY'
import json, sys
text, u1, u2 = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
dec, pos, docs = json.JSONDecoder(), 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos == len(text):
        break
    d, pos = dec.raw_decode(text, pos)
    docs.append(d)
bad = 0
for i, d in enumerate(docs):
    inst = {x["uuid"]: x for x in d["cards"][0]["instances"]}
    a, b = inst[u1], inst[u2]
    held = all(x["state"] == "in-use" and x["process"]["command"] == "sched-bench"
               for x in (a, b))
    ua, ub = a["utilization_percent"], b["utilization_percent"]
    good = held and abs(ua - 25) <= 3 and abs(ub - 75) <= 3
    print("refresh %d: %.1f%% and %.1f%%, held by sched-bench: %s" % (i + 1, ua, ub, held))
    bad += not good
sys.exit(1 if bad or len(docs) != 4 else 0)
PY
check $? "weights 1:3 kept busy: $(tr '\n' ';' <"$out/live.check")"
[ $hold_rc = 0 ] && grep -q 'in-use' "$out/live.table"
check $? "the load ran (status $hold_rc) and -l 1's table showed the instances in use"
sed 's/^/# /' "$out/live.table"
"$smi" set-slice "$slice0"

# ---- remove, back to a fresh card ----
"$smi" remove -u $U1 && "$smi" stop $U2 && "$smi" remove -u $U3
check $? "remove -u, stop UUID: the three instances go"
"$smi" >"$out/empty-again.table"
if diff -u "$golden/empty.table" "$out/empty-again.table" >"$out/empty-again.diff"; then
	ok "after the removals the table is a fresh card's"
else
	not_ok "after the removals the table is not a fresh card's"
	sed 's/^/# /' "$out/empty-again.diff" | head -20
fi

echo "1..$n"
exit $failed
