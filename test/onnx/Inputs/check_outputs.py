#!/usr/bin/env python3
"""Checks the four outputs of models.py's several_outputs against numpy:
check_outputs.py X.npy S.npy M.npy A.npy SAME.npy."""
import sys

import numpy as np

x, s, m, a, same = (np.load(p) for p in sys.argv[1:6])
r = np.maximum(x, 0)
want = {"s": 1 / (1 + np.exp(-r[:, 1:])), "m": x.mean(axis=(2, 3), keepdims=True),
        "a": r[:, :1], "x": x}
for name, got in zip("smax", (s, m, a, same)):
    assert got.shape == want[name].shape, (name, got.shape, want[name].shape)
    np.testing.assert_allclose(got, want[name], rtol=1e-5, atol=1e-6, err_msg=name)
print("ok")
