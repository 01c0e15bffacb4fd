#!/usr/bin/env python3
"""End-to-end check of one spec: Kiln's executable against PyTorch.

Draws fresh weights (He's initialisation, batch norms given random scales
and shifts and their input's statistics: nnref.init_model's "he" scheme) and
a fresh random normal input, compiles the spec with kilnc at the batch size
asked for, runs the executable and the PyTorch reference on the same weights
and input, and fails if the relative L2 error exceeds the tolerance. It also
fails if another input moves the reference's output by less than 100 times
the tolerance: such a check could not see a wrong layer. The seeds are
printed so that a failure can be replayed with --seed.
"""
import argparse
import os
import random
import shlex
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "nnref"))
import nnref  # noqa: E402


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--workdir", required=True, help="scratch folder (lit's %%t)")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=None, help="replay a failure")
    parser.add_argument("--kilnc", default="kilnc")
    parser.add_argument("--target", help="cross-compile for this triple")
    parser.add_argument("--kilnc-arg", action="append", default=[],
                        help="one more kilnc flag (repeatable), e.g. --no-winograd")
    parser.add_argument("--emulator", default="",
                        help="command that runs a target executable, e.g. "
                             "'qemu-aarch64 -L /usr/aarch64-linux-gnu'")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"seed: {seed}")
    os.makedirs(args.workdir, exist_ok=True)
    path = lambda name: os.path.join(args.workdir, name)  # noqa: E731

    spec = nnref.load_spec(args.spec)
    # He's initialisation: PyTorch's default would leave deep models' outputs
    # nearly independent of the input (see the sensitivity check below).
    model = nnref.init_model(spec, seed, scheme="he")
    nnref.write_safetensors(path("weights.safetensors"), nnref.model_weights(model))

    shape = list(spec.input_shape)
    shape[0] = args.batch
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    np.save(path("input.npy"), x)

    target = ["--target", args.target] if args.target else []
    run([args.kilnc, args.spec, "--weights", path("weights.safetensors"),
         "--batch", str(args.batch), "-o", path("model")] + target + args.kilnc_arg)
    run(shlex.split(args.emulator) +
        [path("model"), path("input.npy"), "-o", path("kiln.npy")])
    got = np.load(path("kiln.npy"))
    want = nnref.run_model(model, x)

    if got.shape != want.shape:
        sys.exit(f"shapes differ: kiln {got.shape}, torch {want.shape}")
    error = np.linalg.norm((got - want).ravel()) / max(np.linalg.norm(want.ravel()), 1e-30)
    print(f"relative L2 error: {error:.3e} (batch {args.batch}, output {list(got.shape)})")
    if not error <= args.tol:
        sys.exit(f"FAIL: relative L2 error {error:.3e} exceeds {args.tol}")
    sensitivity = nnref.output_sensitivity(model, x, want, seed + 1)
    print(f"another input moves the output by {sensitivity:.3e}")
    if not sensitivity >= 100 * args.tol:
        sys.exit(f"FAIL: the output hardly depends on the input ({sensitivity:.3e}); "
                 f"a wrong layer could pass within {args.tol}")
    # A passing run keeps only the small files: VGG's weights and executable
    # are half a gigabyte each, and a full suite would otherwise leave ~10 GB.
    # A failing run keeps everything for replaying.
    for name in ("weights.safetensors", "model"):
        os.remove(path(name))
    print("OK")


if __name__ == "__main__":
    main()
