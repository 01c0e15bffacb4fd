#!/usr/bin/env python3
"""Checks models.py's cbam model, compiled for the CPU and as emulated GPU
kernels, against the same computed in float64 with numpy: the channels' mean and maximum, a 7x7 convolution
(padding 3) of the two, a sigmoid gate, the row sums and the sum of their
squares over channels and columns.

    check_cbam.py MODEL.onnx X.npy OUT.npy...
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

from compare import check_outputs


def conv2d(x, w, pad):
    n, c, h, width = x.shape
    o, _, kh, kw = w.shape
    p = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    y = np.zeros((n, o, h, width))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("oc,nchw->nohw", w[:, :, i, j], p[:, :, i:i + h, j:j + width])
    return y


def main():
    model = onnx.load(sys.argv[1])
    w = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}["w"]
    x = np.load(sys.argv[2]).astype(np.float64)
    both = np.concatenate([x.mean(axis=1, keepdims=True), x.max(axis=1, keepdims=True)], axis=1)
    gate = 1 / (1 + np.exp(-conv2d(both, w.astype(np.float64), 3)))
    r = (x * gate).sum(axis=3, keepdims=True)
    want = (r * r).sum(axis=(1, 3))
    check_outputs(want, sys.argv[3:])


if __name__ == "__main__":
    main()
