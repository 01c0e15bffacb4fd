"""The check the Inputs/check_*.py scripts share: each output file against a
float64 reference, by relative L2 error."""
import sys

import numpy as np


def check_outputs(want, paths, tolerance=1e-6):
    """Exits with a message naming the first file whose shape differs from
    `want`'s or whose relative L2 error exceeds `tolerance`; prints each
    file's error."""
    for path in paths:
        got = np.load(path).astype(np.float64)
        if got.shape != want.shape:
            sys.exit(f"{path}: shape {got.shape}, expected {want.shape}")
        error = np.linalg.norm(got - want) / np.linalg.norm(want)
        if not error <= tolerance:
            sys.exit(f"{path}: relative L2 error {error:.3e} > {tolerance:g}")
        print(f"{path}: relative L2 error {error:.3e}")
