#!/usr/bin/env python3
"""ONNX's LRN, written from the operator's definition, for the lrn-even model.

  lrn_reference.py X.npy Y.npy

square_sum[n, c] sums x[n, i]^2 for i in [c - floor((size-1)/2),
c + ceil((size-1)/2)] inside the channels; y = x / (bias + alpha / size *
square_sum)^beta. Attributes as models.py's lrn_even writes them.
"""
import math
import sys

import numpy as np

SIZE, ALPHA, BETA, BIAS = 4, 0.5, 0.75, 1.5

x = np.load(sys.argv[1]).astype(np.float64)
channels = x.shape[1]
square_sum = np.zeros_like(x)
for c in range(channels):
    lo = max(0, c - (SIZE - 1) // 2)
    hi = min(channels - 1, c + math.ceil((SIZE - 1) / 2))
    square_sum[:, c] = (x[:, lo:hi + 1] ** 2).sum(axis=1)
np.save(sys.argv[2], (x / (BIAS + ALPHA / SIZE * square_sum) ** BETA).astype(np.float32))
