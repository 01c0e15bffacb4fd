#!/usr/bin/env python3
"""Checks models.py's crop_and_resize against ONNX's definition of
tf_crop_and_resize, written out here in float64: check_crop.py X A B."""
import sys

import numpy as np


def coordinates(start, end, n_in, n_out):
    # The roi is float32 in the model: 0.1 is 0.10000000149..., which
    # decides a nearest sample that falls on 0.5.
    start, end = float(np.float32(start)), float(np.float32(end))
    o = np.arange(n_out, dtype=np.float64)
    if n_out == 1:
        return np.full(1, 0.5 * (start + end) * (n_in - 1))
    return start * (n_in - 1) + o * (end - start) * (n_in - 1) / (n_out - 1)


def sample(plane, ys, xs, mode, extrapolation):
    h, w = plane.shape
    out = np.empty((len(ys), len(xs)))
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            if y < 0 or y > h - 1 or x < 0 or x > w - 1:
                out[i, j] = extrapolation
            elif mode == "nearest":  # round_prefer_floor: halves go down
                out[i, j] = plane[int(np.ceil(y - 0.5)), int(np.ceil(x - 0.5))]
            else:
                y0, x0 = int(np.floor(y)), int(np.floor(x))
                y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
                dy, dx = y - y0, x - x0
                out[i, j] = ((1 - dy) * ((1 - dx) * plane[y0, x0] + dx * plane[y0, x1]) +
                             dy * ((1 - dx) * plane[y1, x0] + dx * plane[y1, x1]))
    return out


x, a, b = (np.load(p).astype(np.float64) for p in sys.argv[1:4])
n, c, h, w = x.shape
# By scales: the output is floor(in * (end - start) * scale) long.
ha, wa = int(np.floor(h * 1.0 * 1.6)), int(np.floor(w * 1.0 * 2))
want_a = np.stack([np.stack([sample(x[i, k], coordinates(0.5, 1.5, h, ha),
                                    coordinates(0.25, 1.25, w, wa), "linear", 2.5)
                             for k in range(c)]) for i in range(n)])
want_b = np.stack([np.stack([sample(x[i, k], coordinates(0.2, 0.8, h, 3),
                                    coordinates(0.1, 0.7, w, 4), "nearest", 0.0)
                             for k in range(c)]) for i in range(n)])
assert (want_a == 2.5).any() and (want_a != 2.5).any()
for name, got, want in (("a", a, want_a), ("b", b, want_b)):
    assert got.shape == want.shape, (name, got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
print("ok")
