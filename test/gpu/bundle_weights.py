"""Weights of the device bundle, shared by build-device-bundle (which compiles
them into the binaries) and device-check (which regenerates them for
PyTorch).

A VGG's weights (500+ MB per binary) cannot travel in a 64 MB bundle, and
random weights do not compress. So each tensor repeats one stored random
vector of a prime length (4099 floats, 16 KB: within gzip's 32 KB window),
rotated by a per-tensor offset: the binaries then compress about a
thousandfold, the device side rebuilds bit-identical tensors from the stored
vector, and no tensor dimension of the example networks is a multiple of the
period, so mixed-up indices still change the result.

Weights use He's bound sqrt(6/fan_in) and biases a small 0.01: with
PyTorch's default (1/sqrt(fan_in) for both) the signal fades through VGG's
ReLU layers and VGG-19's 32 outputs on different images differ by 2e-6 (relative
L2), so a comparison at 1e-4 could not tell whether the input was read at
all; with these they differ by far more than the tolerance.
"""
from collections import OrderedDict

import numpy as np

PERIOD = 4099


def make_base(seed=1234):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, PERIOD).astype(np.float32)


def periodic_weights(shapes, base):
    """shapes: ordered name -> shape (the spec's parameters, as nnref names
    them); returns name -> float32 array."""
    out = OrderedDict()
    fan_in = 1
    for index, (name, shape) in enumerate(shapes.items()):
        count = int(np.prod(shape)) if len(shape) else 1
        tensor = np.resize(np.roll(base, -((index * 977) % PERIOD)), count)
        if len(shape) >= 2:
            fan_in = int(np.prod(shape[1:]))
        bound = np.float32(np.sqrt(6.0 / max(fan_in, 1)))
        if name.endswith("running_var"):
            values = np.float32(1.0) + np.float32(0.5) * np.abs(tensor)
        elif name.endswith("running_mean"):
            values = np.float32(0.1) * tensor
        elif len(shape) == 1 and not name.endswith("bias"):
            values = np.float32(1.0) + np.float32(0.25) * tensor  # batchnorm scale
        elif len(shape) == 1:
            values = np.float32(0.01) * tensor
        else:
            values = tensor * bound
        out[name] = values.astype(np.float32).reshape(shape)
    return out
