#!/usr/bin/python3
"""Prepares one model for the benchmark, with Debian's torch (run by /usr/bin/python3).

    prepare.py SPEC OUTDIR --batches 1,8 [--seed 0]

SPEC is a .nn file, or zoo:NAME for a network of tools/nnref/zoo.py (224x224
images, weights from zoo.build: no spec describes it, so Kiln compiles the
ONNX export).

Writes into OUTDIR, skipping what is already there and up to date (a stamp of the
spec text and the seed):
    weights.safetensors    nnref init SPEC --seed S (the weights every system runs)
    input_bB.npy           nnref randinput --batch B --seed S (the same input for all)
    ref_bB.npy             PyTorch eager's output on it (the numerics check)
    bB.onnx                torch.onnx.export of that model at batch B (static shapes)
    meta.json              input/output shapes, MACs of conv and linear layers per image

FLOPs count 2 * MACs of the conv2d and linear layers only (pools, ReLU, bias adds are
left out, as usual), taken from the shapes nnref's model produces.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "nnref"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import nnref  # noqa: E402
import zoo  # noqa: E402
from stamps import spec_stamp  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("spec")
    p.add_argument("outdir")
    p.add_argument("--batches", default="1,8")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--opset", type=int, default=17)
    a = p.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)

    stamp = spec_stamp(a.spec, a.seed, a.opset)
    meta_path = os.path.join(a.outdir, "meta.json")
    meta = {}
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("stamp") != stamp:
            meta = {}
    wpath = os.path.join(a.outdir, "weights.safetensors")
    if a.spec.startswith("zoo:"):
        name = a.spec[len("zoo:"):]
        model, shape = zoo.build(name, a.seed)
        model.model_name, model.input_shape = name, tuple(shape)
        with torch.no_grad():
            model.output_shape = tuple(model(torch.zeros(shape)).shape)
        spec_path = a.spec
    else:
        model = nnref.init_model(nnref.load_spec(a.spec), a.seed)
        spec_path = os.path.abspath(a.spec)
    if not meta or not os.path.exists(wpath):
        nnref.write_safetensors(wpath, nnref.model_weights(model),
                                metadata={"model": model.model_name, "seed": str(a.seed)})
        layers = nnref.layer_macs(model, model.input_shape)
        meta = {"stamp": stamp, "model": model.model_name, "spec": spec_path,
                "seed": a.seed, "input_shape": list(model.input_shape),
                "output_shape": list(model.output_shape),
                "params": int(sum(t.numel() for t in nnref.parameter_tensors(model).values())),
                "macs_per_image": int(sum(l["macs"] for l in layers)),
                "layers": layers, "batches": {}}
    for b in [int(x) for x in a.batches.split(",") if x]:
        key = str(b)
        files = {k: os.path.join(a.outdir, f"{k}_b{b}.npy") for k in ("input", "ref")}
        files["onnx"] = os.path.join(a.outdir, f"b{b}.onnx")
        if key in meta["batches"] and all(os.path.exists(f) for f in files.values()):
            continue
        _, c, h, w = model.input_shape
        rng = np.random.default_rng(a.seed)           # as nnref randinput
        x = rng.standard_normal((b, c, h, w)).astype(np.float32)
        x[x == 0] = 1.0
        np.save(files["input"], x)
        with torch.no_grad():
            np.save(files["ref"], model(torch.from_numpy(x)).numpy())
        with torch.no_grad():
            torch.onnx.export(model, torch.from_numpy(x), files["onnx"], opset_version=a.opset,
                              input_names=["input"], output_names=["output"],
                              do_constant_folding=True)
        meta["batches"][key] = {k: os.path.basename(v) for k, v in files.items()}
        with open(meta_path, "w") as f:
            json.dump(meta, f, indent=1)
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
