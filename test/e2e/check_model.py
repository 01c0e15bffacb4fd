#!/usr/bin/env python3
"""End-to-end check of one spec: Kiln's executable against PyTorch.

Draws fresh weights (He's initialisation, batch norms given random scales
and shifts and their input's statistics: nnref.init_model's "he" scheme) and
a fresh random normal input, compiles the spec with kilnc at the batch size
asked for, runs the executable and the PyTorch reference on the same weights
and input, and fails if the relative L2 error exceeds the tolerance. It also
requires another input to move the reference's output by at least 100
times the tolerance, since a check of an output that hardly depends on the
input could not see a wrong layer: a draw of weights that falls short (a few
in a thousand for the deepest specs) is replaced by a fresh one before
anything is compiled. The seeds are printed so that a failure can be
replayed with --seed.
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


# Draws of weights tried before giving up on a spec whose output hardly
# depends on its input.
MAX_DRAWS = 5


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
    os.makedirs(args.workdir, exist_ok=True)
    path = lambda name: os.path.join(args.workdir, name)  # noqa: E731

    spec = nnref.load_spec(args.spec)
    shape = list(spec.input_shape)
    shape[0] = args.batch
    for draw in range(MAX_DRAWS):
        print(f"seed: {seed}")
        # He's initialisation: PyTorch's default would leave deep models'
        # outputs nearly independent of the input.
        model = nnref.init_model(spec, seed, scheme="he")
        x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
        want = nnref.run_model(model, x)
        sensitivity = nnref.output_sensitivity(model, x, want, seed + 1)
        print(f"another input moves the output by {sensitivity:.3e}")
        if sensitivity >= 100 * args.tol:
            break
        seed = (seed + 7919) % (1 << 31)
    else:
        sys.exit(f"FAIL: in {MAX_DRAWS} draws of weights the output hardly depends on the "
                 f"input; a wrong layer could pass within {args.tol}")
    nnref.write_safetensors(path("weights.safetensors"), nnref.model_weights(model))
    np.save(path("input.npy"), x)

    target = ["--target", args.target] if args.target else []
    run([args.kilnc, args.spec, "--weights", path("weights.safetensors"),
         "--batch", str(args.batch), "-o", path("model")] + target + args.kilnc_arg)
    run(shlex.split(args.emulator) +
        [path("model"), path("input.npy"), "-o", path("kiln.npy")])
    got = np.load(path("kiln.npy"))

    if got.shape != want.shape:
        sys.exit(f"shapes differ: kiln {got.shape}, torch {want.shape}")
    error = np.linalg.norm((got - want).ravel()) / max(np.linalg.norm(want.ravel()), 1e-30)
    print(f"relative L2 error: {error:.3e} (batch {args.batch}, output {list(got.shape)})")
    if not error <= args.tol:
        sys.exit(f"FAIL: relative L2 error {error:.3e} exceeds {args.tol}")
    # A passing run keeps only the small files: VGG's weights and executable
    # are half a gigabyte each, and a full suite would otherwise leave ~10 GB.
    # A failing run keeps everything for replaying.
    for name in ("weights.safetensors", "model"):
        os.remove(path(name))
    print("OK")


if __name__ == "__main__":
    main()
