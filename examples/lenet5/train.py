#!/usr/bin/env python3
"""Trains LeNet-5 (examples/lenet5.nn) on scikit-learn's bundled digits, offline.

The 8x8 digits (pixel values 0..16) are scaled to [0, 1], upscaled to 28x28 with
bilinear interpolation and normalised with the training set's mean and std. The model
is built from the spec through nnref, so its parameter names (conv1, conv2, fc1, fc2,
fc3) are the ones kilnc expects.

Writes, next to this script (or --out-dir):
  lenet5.safetensors     the trained weights (F32)
  digits.npy             the first --samples held-out digits, Nx1x28x28 float32, already
                         normalised: feed them to the compiled binary as they are
  labels.npy             their true labels, int64 [N]
  torch_predictions.npy  PyTorch's argmax on digits.npy with the saved weights, int64 [N]

Run with Debian's Python: /usr/bin/python3 examples/lenet5/train.py
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "nnref"))
import nnref  # noqa: E402


def load_data(seed: int):
    """Returns (x_train, y_train, x_test, y_test) as tensors, x normalised Nx1x28x28."""
    digits = load_digits()
    x = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)   # Nx1x8x8
    x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
    y = torch.from_numpy(digits.target.astype(np.int64))
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2,
                                           random_state=seed, stratify=digits.target)
    mean, std = x[idx_train].mean(), x[idx_train].std()
    x = (x - mean) / std
    return x[idx_train], y[idx_train], x[idx_test], y[idx_test]


def accuracy(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--samples", type=int, default=100, help="held-out digits to save")
    p.add_argument("--out-dir", default=HERE)
    args = p.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    start = time.time()

    x_train, y_train, x_test, y_test = load_data(args.seed)
    spec = nnref.load_spec(os.path.join(ROOT, "examples", "lenet5.nn"))
    model = nnref.build_model(spec)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    gen = torch.Generator().manual_seed(args.seed)

    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(y_train), generator=gen)
        total = 0.0
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        sched.step()
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            print(f"epoch {epoch + 1:3d}  loss {total / len(y_train):.4f}  "
                  f"held-out accuracy {accuracy(model, x_test, y_test):.4f}")

    train_time = time.time() - start
    acc = accuracy(model, x_test, y_test)
    print(f"held-out accuracy: {acc:.4f} ({len(y_test)} digits), "
          f"train accuracy: {accuracy(model, x_train, y_train):.4f}, time {train_time:.1f} s")

    # Save the weights, then reload them into a fresh model so the predictions come
    # from exactly what is on disk.
    os.makedirs(args.out_dir, exist_ok=True)
    weights_path = os.path.join(args.out_dir, "lenet5.safetensors")
    nnref.write_safetensors(weights_path, nnref.model_weights(model),
                            metadata={"model": "lenet5", "dataset": "sklearn digits 8x8->28x28",
                                      "heldout_accuracy": f"{acc:.4f}"})
    fresh = nnref.build_model(spec)
    nnref.load_weights(fresh, nnref.read_safetensors(weights_path))

    digits = x_test[:args.samples].numpy().astype(np.float32)
    labels = y_test[:args.samples].numpy().astype(np.int64)
    predictions = nnref.run_model(fresh, digits).argmax(1).astype(np.int64)
    np.save(os.path.join(args.out_dir, "digits.npy"), digits)
    np.save(os.path.join(args.out_dir, "labels.npy"), labels)
    np.save(os.path.join(args.out_dir, "torch_predictions.npy"), predictions)
    print(f"saved {len(labels)} held-out digits; accuracy on them: "
          f"{(predictions == labels).mean():.4f}")
    return 0 if acc >= 0.97 else 1


if __name__ == "__main__":
    sys.exit(main())
