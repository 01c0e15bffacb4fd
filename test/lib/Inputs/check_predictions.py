#!/usr/bin/env python3
"""Compares `digit I: CLASS (score S)` lines with PyTorch's predictions.

    check_predictions.py OUTPUT.txt torch_predictions.npy

Prints how many lines were read and whether every class equals PyTorch's;
exits non-zero when one differs or a digit is missing.
"""
import re
import sys

import numpy as np


def main():
    output, reference = sys.argv[1], sys.argv[2]
    want = np.load(reference).astype(np.int64)
    got = {}
    for line in open(output):
        match = re.fullmatch(r"digit (\d+): (\d+) \(score -?[0-9.]+\)\n?", line)
        if not match:
            sys.exit(f"unexpected line: {line!r}")
        got[int(match.group(1))] = int(match.group(2))
    if sorted(got) != list(range(len(want))):
        sys.exit(f"expected digits 0..{len(want) - 1}, got {len(got)} lines")
    wrong = [i for i in got if got[i] != want[i]]
    print(f"{len(got)} digits classified")
    print(f"identical to PyTorch's: {'no ' + str(wrong) if wrong else 'yes'}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
