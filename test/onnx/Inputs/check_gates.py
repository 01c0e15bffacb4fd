"""Checks the outputs of the `gates` model (models.py) against ONNX's
definitions, computed in float64: check_gates.py X.npy Y.npy [Y2.npy ...]."""
import sys

import numpy as np

x = np.load(sys.argv[1]).astype(np.float64)
a = x * np.clip(x + 3, 0, 6) / 6  # HardSwish
g = np.clip(0.2 * x + 0.5, 0, 1)  # HardSigmoid, ONNX's defaults
assert (g == 0).any() and (g == 1).any() and (x < -3).any() and (x > 3).any()
b = a * g
c = b / (1 + np.exp(-b))  # SiLU
e = np.clip(c.mean(axis=(2, 3), keepdims=True) / 6 + 0.5, 0, 1)
want = c * e * 0.5 * np.array([-1.5, 0.5, 2.0]).reshape(3, 1, 1)
for path in sys.argv[2:]:
    np.testing.assert_allclose(np.load(path), want, rtol=1e-5, atol=1e-6,
                               err_msg=path)
