#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into OUT/TARGET/.

    seeds.py SOURCE_ROOT OUT

spec: the examples' and tests' .nn files; nn-mlir: the dialect's and
passes' tests, one case per split; safetensors: valid weights for the
safetensors fuzzer's fixed model in F32, F16 and BF16 (unaligned too) and a
few broken ones, written by test/diagnostics/Inputs/safetensors.py; npy:
numpy's own files (every version, dtype and order the reader must accept or
refuse) and the examples' small .npy files; onnx: every model of
test/onnx/Inputs/models.py. Targets whose generator needs a missing Python
package (numpy, onnx) get only what needs none.
"""
import glob
import inspect
import os
import shutil
import subprocess
import sys


def copy_all(patterns, out):
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            rel = os.path.relpath(path, ROOT).replace(os.sep, "_")
            shutil.copyfile(path, os.path.join(out, rel))


def spec_seeds(out):
    copy_all([os.path.join(ROOT, "examples", "*.nn"),
              os.path.join(ROOT, "test", "*", "*.nn"),
              os.path.join(ROOT, "test", "*", "Inputs", "*.nn")], out)


def nn_mlir_seeds(out):
    for pattern in ("dialect", "passes"):
        for path in sorted(glob.glob(os.path.join(ROOT, "test", pattern, "*.mlir"))):
            with open(path) as f:
                cases = f.read().split("// -----")
            stem = os.path.basename(path)
            for i, case in enumerate(cases):
                with open(os.path.join(out, f"{pattern}_{stem}_{i}"), "w") as f:
                    f.write(case)


# The parameters of safetensors_fuzzer.cpp's kSpec.
MODEL_TENSORS = ["conv.weight={}:3x2x1x1", "conv.bias={}:3", "bn.weight={}:3",
                 "bn.bias={}:3", "bn.running_mean={}:3", "bn.running_var={}:3",
                 "fc.weight={}:2x48", "fc.bias={}:2"]


def safetensors_seeds(out):
    script = os.path.join(ROOT, "test", "diagnostics", "Inputs", "safetensors.py")

    def write(name, *args):
        subprocess.run([sys.executable, script, os.path.join(out, name), *args],
                       check=True)

    for dtype in ("F32", "F16", "BF16"):
        write(dtype.lower(), *[t.format(dtype) for t in MODEL_TENSORS])
    write("f32-metadata", *[t.format("F32") for t in MODEL_TENSORS], "--metadata")
    # A 2-byte tensor first leaves the F32 ones unaligned: they are copied.
    write("f32-unaligned", "odd=F16:1", *[t.format("F32") for t in MODEL_TENSORS])
    write("mixed", *[t.format(d) for t, d in
                     zip(MODEL_TENSORS, ["F32", "F16", "BF16", "F32", "F16",
                                         "BF16", "I64", "F32"])])
    write("truncated", *[t.format("F32") for t in MODEL_TENSORS], "--truncate", "100")
    write("nested", "--nested", "20")
    write("bad-offsets", "--header",
          '{"conv.bias":{"dtype":"F32","shape":[3],"data_offsets":[8,4]}}',
          "--data-bytes", "12")


def npy_seeds(out):
    import numpy as np
    from numpy.lib import format as npformat

    def save(name, array, version=None):
        with open(os.path.join(out, name), "wb") as f:
            npformat.write_array(f, array, version=version)

    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    save("scalar", np.float32(1.5))
    save("vector", np.arange(3, dtype=np.float32))
    save("matrix", a)
    save("rank8", np.ones((1, 2, 1, 2, 1, 2, 1, 2), dtype=np.float32))
    save("empty", np.zeros((0, 4), dtype=np.float32))
    save("v2", a, version=(2, 0))
    save("v3", a, version=(3, 0))
    save("fortran", np.asfortranarray(a))
    save("float64", a.astype(np.float64))
    save("big-endian", a.astype(">f4"))
    save("structured", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
    copy_all([os.path.join(ROOT, "examples", "lenet5", "labels.npy")], out)


def onnx_seeds(out):
    script = os.path.join(ROOT, "test", "onnx", "Inputs", "models.py")
    sys.path.insert(0, os.path.dirname(script))
    import models  # noqa: E402  (test/onnx/Inputs/models.py)
    # Every model builder: the functions of models.py that take no argument.
    names = [name for name, value in vars(models).items()
             if inspect.isfunction(value) and value.__module__ == "models"
             and not inspect.signature(value).parameters and name != "main"]
    for name in names:
        if name in ("external_data", "external_escape"):
            continue  # External files: the fuzzer's folder holds none.
        subprocess.run([sys.executable, script, name,
                        os.path.join(out, name + ".onnx")], check=True)


def main():
    global ROOT
    ROOT, out = sys.argv[1], sys.argv[2]
    for target, generate in (("spec", spec_seeds), ("nn-mlir", nn_mlir_seeds),
                             ("safetensors", safetensors_seeds),
                             ("npy", npy_seeds), ("onnx", onnx_seeds)):
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        try:
            generate(folder)
        except ImportError as error:
            print(f"seeds.py: no {target} seeds generated: {error}", file=sys.stderr)


if __name__ == "__main__":
    main()
