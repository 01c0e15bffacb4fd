#!/usr/bin/env python3
"""Compiles one spec for the CPU and for NVPTX (same seeded random weights),
runs both on one random input and fails if the relative L2 distance of their
outputs exceeds the tolerance. Needs a GPU for the NVPTX binary."""
import argparse
import os
import subprocess
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--kilnc", default="kilnc")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    path = lambda name: os.path.join(args.workdir, name)  # noqa: E731

    outputs = {}
    for target in ("cpu", "nvptx"):
        flags = ["--target=nvptx"] if target == "nvptx" else []
        subprocess.run([args.kilnc, args.spec, "--batch", str(args.batch), "-o",
                        path(target)] + flags, check=True,
                       stderr=subprocess.DEVNULL)
        if target == "cpu":
            shape = subprocess.run([path(target), "--help"], check=True,
                                   capture_output=True, text=True).stdout
            dims = shape.split("(input ")[1].split(",")[0]
            x = np.random.default_rng(0).standard_normal(
                [int(d) for d in dims.split("x")]).astype(np.float32)
            np.save(path("input.npy"), x)
        subprocess.run([path(target), path("input.npy"), "-o",
                        path(target + ".npy")], check=True)
        outputs[target] = np.load(path(target + ".npy"))
    cpu, gpu = outputs["cpu"], outputs["nvptx"]
    error = np.linalg.norm((gpu - cpu).ravel()) / max(np.linalg.norm(cpu.ravel()), 1e-30)
    print(f"relative L2 distance GPU vs CPU: {error:.3e}")
    if not error <= args.tol:
        sys.exit(f"FAIL: {error:.3e} exceeds {args.tol}")
    print("OK")


if __name__ == "__main__":
    main()
