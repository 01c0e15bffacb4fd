#!/usr/bin/env python3
"""Classifies the saved held-out digits with a LeNet-5 binary compiled by kilnc.

    /usr/bin/python3 examples/lenet5/classify.py BINARY

runs `BINARY digits.npy -o OUT.npy` (OUT.npy: Nx10 float32 scores), prints one row per
digit (index, label, predicted), the accuracy, and whether the predictions are identical
to PyTorch's (torch_predictions.npy, written by train.py). Exits non-zero when the
accuracy is below 95% or any prediction differs from PyTorch's.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MIN_ACCURACY = 0.95


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary", help="the compiled LeNet-5 executable")
    p.add_argument("--data-dir", default=HERE,
                   help="where digits.npy, labels.npy and torch_predictions.npy are")
    args = p.parse_args()

    digits = os.path.join(args.data_dir, "digits.npy")
    labels = np.load(os.path.join(args.data_dir, "labels.npy")).astype(np.int64)
    torch_pred = np.load(os.path.join(args.data_dir, "torch_predictions.npy")).astype(np.int64)

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "scores.npy")
        cmd = [os.path.abspath(args.binary), digits, "-o", out]
        result = subprocess.run(cmd)
        if result.returncode != 0:
            print(f"error: {' '.join(cmd)} exited with status {result.returncode}")
            return 1
        scores = np.load(out)

    if scores.shape != (len(labels), 10):
        print(f"error: expected scores of shape {len(labels)}x10, got "
              f"{'x'.join(map(str, scores.shape))}")
        return 1
    pred = scores.argmax(axis=1)

    print(f"{'index':>5}  {'label':>5}  {'predicted':>9}")
    for i, (label, guess) in enumerate(zip(labels, pred)):
        notes = []
        if guess != label:
            notes.append("wrong")
        if guess != torch_pred[i]:
            notes.append(f"torch says {torch_pred[i]}")
        print(f"{i:5d}  {label:5d}  {guess:9d}  {', '.join(notes)}".rstrip())

    acc = float((pred == labels).mean())
    differ = np.flatnonzero(pred != torch_pred)
    print(f"accuracy: {acc:.4f} ({int((pred == labels).sum())}/{len(labels)})")
    if len(differ) == 0:
        print("predictions identical to PyTorch's: yes")
    else:
        print(f"predictions identical to PyTorch's: no ({len(differ)} differ, "
              f"at indices {', '.join(map(str, differ))})")
    if acc < MIN_ACCURACY:
        print(f"FAIL: accuracy below {MIN_ACCURACY:.0%}")
    return 0 if acc >= MIN_ACCURACY and len(differ) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
