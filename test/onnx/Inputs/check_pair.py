#!/usr/bin/env python3
"""Exports a two-image network with a conditioning vector (three graph
inputs, two outputs) from PyTorch, compiles it with kilnc at each --batch
and compares each output with PyTorch on fresh random inputs (relative L2).

  check_pair.py --kilnc KILNC --workdir DIR [--batch N]... [--gpu-emulate]

The network compares two images through one shared convolutional tower,
weighs the features' difference by a gate computed from the conditioning
vector, and returns the scores and the first image's features."""
import argparse
import os
import random
import subprocess
import sys

import numpy as np
import torch
from torch import nn


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.gate = nn.Linear(4, 16)
        self.head = nn.Linear(16, 5)
        # So that every input moves the scores well past the tolerance: a
        # steeper gate, and no bias to dwarf the features' difference.
        with torch.no_grad():
            self.gate.weight.mul_(4)
            self.head.bias.zero_()

    def forward(self, a, b, cond):
        fa, fb = self.tower(a), self.tower(b)
        return self.head((fa - fb).abs() * torch.sigmoid(self.gate(cond))), fa


SHAPES = {"a": (3, 12, 10), "b": (3, 12, 10), "cond": (4,)}


def draw(batch, rng):
    return {name: rng.standard_normal((batch,) + shape).astype(np.float32)
            for name, shape in SHAPES.items()}


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}")


def relative_l2(got, want):
    return np.linalg.norm((got - want).ravel()) / max(np.linalg.norm(want.ravel()), 1e-30)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kilnc", default="kilnc")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--batch", type=int, action="append")
    parser.add_argument("--gpu-emulate", action="store_true")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=None, help="replay a failure")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"seed: {seed}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Pair().eval()
    path = lambda name: os.path.join(args.workdir, name)  # noqa: E731
    os.makedirs(args.workdir, exist_ok=True)

    example = tuple(torch.from_numpy(v) for v in draw(1, rng).values())
    names = list(SHAPES)
    torch.onnx.export(model, example, path("pair.onnx"), opset_version=13,
                      input_names=names, output_names=["scores", "features"],
                      dynamic_axes={n: {0: "batch"} for n in names + ["scores", "features"]})
    for batch in args.batch or [1]:
        inputs = draw(batch, rng)
        with torch.no_grad():
            wants = [w.numpy() for w in model(*(torch.from_numpy(v) for v in inputs.values()))]
            # Each input must move the scores, or a dropped one could pass.
            for name in names:
                moved = dict(inputs, **{name: draw(batch, rng)[name]})
                other = model(*(torch.from_numpy(v) for v in moved.values()))[0].numpy()
                print(f"input '{name}' moves the scores by "
                      f"{relative_l2(other, wants[0]):.3e}")
                if relative_l2(other, wants[0]) < 100 * args.tol:
                    sys.exit(f"FAIL: input '{name}' hardly moves the scores")
        exe = path(f"pair.b{batch}")
        cmd = [args.kilnc, path("pair.onnx"), "--batch", str(batch), "-o", exe]
        run(cmd + (["--target=nvptx", "--gpu-emulate"] if args.gpu_emulate else []))
        files = []
        for name, value in inputs.items():
            files.append(path(f"{name}.npy"))
            np.save(files[-1], value)
        outs = [path("scores.npy"), path("features.npy")]
        run([exe] + files + ["-o", outs[0], "-o", outs[1]])
        for out, want in zip(outs, wants):
            got = np.load(out)
            if got.shape != want.shape:
                sys.exit(f"FAIL: {out}: shape {got.shape}, PyTorch {want.shape}")
            error = relative_l2(got, want)
            print(f"{os.path.basename(out)}: relative L2 error {error:.3e} (batch {batch})")
            if not error <= args.tol:
                sys.exit(f"FAIL: relative L2 error {error:.3e} exceeds {args.tol}")
        os.remove(exe)
    print("OK")


if __name__ == "__main__":
    main()
