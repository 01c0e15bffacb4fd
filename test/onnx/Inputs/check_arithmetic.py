#!/usr/bin/env python3
"""Checks models.py's arithmetic model, compiled for the CPU and as emulated
GPU kernels, against the same Sub, Div, Abs and Neg computed in float64 from
the model's own initializers.

    check_arithmetic.py MODEL.onnx X.npy OUT.npy...
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

from compare import check_outputs


def main():
    model = onnx.load(sys.argv[1])
    init = {t.name: numpy_helper.to_array(t).astype(np.float64)
            for t in model.graph.initializer}
    x = np.load(sys.argv[2]).astype(np.float64)
    c = np.einsum("oi,nihw->nohw", init["w"][:, :, 0, 0], x)
    a = c - init["mean"]
    b = a / init["std"]
    d = np.abs(b) + init["one"]
    e = b / d
    f = init["two"] / d
    g = e - f
    p = d.mean(axis=(2, 3), keepdims=True)
    h = g / p
    i = p - h
    j = init["half"] - i
    want = -j
    check_outputs(want, sys.argv[3:])


if __name__ == "__main__":
    main()
