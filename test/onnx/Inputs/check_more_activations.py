#!/usr/bin/env python3
"""Checks models.py's more-activations model, compiled for the CPU and as
emulated GPU kernels, against ONNX's definitions in float64: Selu, Selu with
alpha 2 and gamma 0.5, ThresholdedRelu (alpha 1), ThresholdedRelu (alpha
-0.5) then Softsign, Softplus, and Celu (alpha 1.5) then Celu (alpha -0.5),
the four branches summed.

    check_more_activations.py X.npy CPU_OUT.npy GPU_OUT.npy
"""
import sys

import numpy as np

from compare import check_outputs


def selu(x, alpha=1.67326319217681884765625, gamma=1.05070102214813232421875):
    return np.where(x > 0, gamma * x, gamma * alpha * (np.exp(x) - 1))


def celu(x, alpha):
    return np.maximum(0, x) + np.minimum(0, alpha * (np.exp(x / alpha) - 1))


def thresholded_relu(x, alpha=1.0):
    return np.where(x > alpha, x, 0.0)


def main():
    x = np.load(sys.argv[1]).astype(np.float64)
    want = (thresholded_relu(selu(selu(x), alpha=2.0, gamma=0.5))
            + thresholded_relu(x, alpha=-0.5) / (1 + np.abs(thresholded_relu(x, alpha=-0.5)))
            + np.log(np.exp(x) + 1) + celu(celu(x, 1.5), -0.5))
    # Both sides of each op are reached: the input spans [-4, 4] and more.
    assert (x < -1).any() and (x > 2).any()
    check_outputs(want, sys.argv[2:])


if __name__ == "__main__":
    main()
