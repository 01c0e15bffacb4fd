#!/usr/bin/env python3
"""Checks models.py's slices or slices-opset9 model (named by the first
argument), compiled for the CPU and as emulated GPU kernels, against the
same windows taken with numpy.

    check_slices.py slices|slices-opset9 X.npy OUT.npy...
"""
import sys

import numpy as np

from compare import check_outputs


def slices(x):
    a, b = x[:, :4], x[:, 4:]
    bs = b[:, 1::2, :, 1::3]
    shuffled = a[:, [0, 2, 1, 3]]
    assert (shuffled == a.reshape(2, 2, 2, 8, 8).transpose(0, 2, 1, 3, 4).reshape(2, 4, 8, 8)).all()
    c = np.concatenate([shuffled[:, :, :, :3], bs], axis=1)
    return (c[:, :, :4] + c[:, :, 4:]).reshape(2, -1)


def slices_opset9(x):
    a, b = x[:, :1], x[:, 1:]
    return np.concatenate([a[:, :, 2:6, 2:6], b[:, 1:4, 2:6, 2:6]], axis=1)


def main():
    reference = {"slices": slices, "slices-opset9": slices_opset9}[sys.argv[1]]
    want = reference(np.load(sys.argv[2]).astype(np.float64))
    check_outputs(want, sys.argv[3:])


if __name__ == "__main__":
    main()
