#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flatten kunit.py's --json results into TAP lines, one per test case."""
import json
import sys


def cases(group, prefix=""):
    name = group.get("name", "")
    path = f"{prefix}{name}." if name else prefix
    for case in group.get("test_cases", []):
        yield f"{path}{case['name']}", case.get("status", "FAIL")
    for sub in group.get("sub_groups", []):
        yield from cases(sub, path)


def main():
    with open(sys.argv[1]) as f:
        results = json.load(f)
    # The root group is kunit.py's own wrapper; name cases from the suites down.
    rows = [row for sub in results.get("sub_groups", []) for row in cases(sub)]
    print(f"1..{len(rows)}")
    for n, (name, status) in enumerate(rows, 1):
        if status == "PASS":
            print(f"ok {n} - {name}")
        elif status == "SKIP":
            print(f"ok {n} - {name} # SKIP")
        else:
            print(f"not ok {n} - {name} ({status})")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
