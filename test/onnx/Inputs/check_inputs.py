#!/usr/bin/env python3
"""Checks the outputs of models.py's several_inputs against numpy:
check_inputs.py X.npy Z.npy S.npy Y.npy C.npy. An input that holds one
batch fewer than X serves every batch, as the executables use it."""
import sys

import numpy as np

x, z, s, y, c = (np.load(p) for p in sys.argv[1:6])
if z.shape[0] != x.shape[0]:
    z = np.tile(z, (x.shape[0] // z.shape[0], 1))
want_y = (np.maximum(x, 0).mean(axis=(2, 3)) + z) * s
want_c = x.sum(axis=(2, 3))
for name, got, want in (("y", y, want_y), ("c", c, want_c)):
    assert got.shape == want.shape, (name, got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
print("ok")
