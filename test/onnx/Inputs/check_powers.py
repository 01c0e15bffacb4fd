"""Checks pow_general's four outputs (check_powers.py X A B C D RTOL) against
numpy's float64 powers: x^2.5, x^[3, -1, 0.5, 0] by column, x^[3, -2, 5] by
row, |x|^sigmoid(x). NaN (a negative base to a non-integer power) must be
where numpy's is; the other elements within RTOL (relative, 1e-30 absolute).
The input must hold negative elements, so that the NaNs are tested."""
import sys

import numpy as np

x = np.load(sys.argv[1]).astype(np.float64)
assert (x < 0).any() and (x > 0).any()
with np.errstate(invalid="ignore", divide="ignore"):
    wants = [np.power(x, 2.5),
             np.power(x, np.array([3, -1, 0.5, 0])),
             np.power(x, np.array([[3], [-2], [5]])),
             np.power(np.abs(x), 1 / (1 + np.exp(-x)))]
rtol = float(sys.argv[6])
for path, want in zip(sys.argv[2:6], wants):
    got = np.load(path)
    assert got.shape == want.shape, (path, got.shape, want.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=path)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-30, err_msg=path)
    finite = ~np.isnan(want)
    print(path, np.max(np.abs(got[finite] - want[finite]) / np.abs(want[finite])))
