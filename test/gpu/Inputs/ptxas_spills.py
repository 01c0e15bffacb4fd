#!/usr/bin/env python3
"""Reads `ptxas -v` logs and checks each kernel's register spills.

    ptxas_spills.py --max-spill-bytes N LOG...

Prints one line per kernel that spills, then a summary; exits 1 when a
kernel spills more than N bytes (stores or loads) or a log lists no kernel.
"""
import argparse
import re
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-spill-bytes", type=int, required=True)
    parser.add_argument("logs", nargs="+")
    args = parser.parse_args()
    kernels, spilling, worst, bad = 0, 0, 0, []
    for path in args.logs:
        name, count = None, 0
        with open(path) as log:
            for line in log:
                entry = re.search(r"Compiling entry function '([^']+)'", line)
                if entry:
                    name, count = entry.group(1), count + 1
                    continue
                spill = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
                if spill and name:
                    stores, loads = int(spill.group(1)), int(spill.group(2))
                    kernels += 1
                    if stores or loads:
                        spilling += 1
                        print(f"{path}: {name}: {stores} bytes spill stores, {loads} loads")
                    worst = max(worst, stores, loads)
                    if max(stores, loads) > args.max_spill_bytes:
                        bad.append(f"{path}: {name}")
                    name = None
        if count == 0:
            bad.append(f"{path}: no kernel")
    print(f"{kernels} kernels, {spilling} spill, at most {worst} bytes")
    if bad:
        print("over the limit:\n  " + "\n  ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
