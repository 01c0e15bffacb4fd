"""Checks Kiln's nn lowerings numerically against PyTorch.

Usage: check_numerics.py [--no-simplify] [--resources] [--seed N] CASE...

CASE describes an nn.Sequential the way a .nn spec does, layers separated by `|`:

    "input 1x4x11x9 | conv2d 6 kernel=3x5 stride=2 padding=1x2 dilation=2 groups=2 | relu"

The script builds the torch module (random parameters, eval mode), writes the same
network as nn-dialect IR with a `main` that runs it on a random input and prints the
result, lowers it with `kiln-opt --kiln-simplify --convert-nn-to-linalg` and MLIR's
naive CPU pipeline, runs it with `mlir-runner` and compares with torch. It exits
non-zero (printing the IR) when the results differ. kiln-opt and mlir-runner are
taken from PATH, as lit sets it.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn


def size2(text):
    """'3' -> (3, 3), '3x5' -> (3, 5)."""
    parts = [int(p) for p in text.split("x")]
    return (parts[0], parts[0]) if len(parts) == 1 else tuple(parts)


def build_layer(op, positional, keys):
    if op == "conv2d":
        return nn.Conv2d(int(keys["in_channels"]), int(positional), size2(keys["kernel"]),
                         stride=size2(keys.get("stride", "1")),
                         padding=size2(keys.get("padding", "0")),
                         dilation=size2(keys.get("dilation", "1")),
                         groups=int(keys.get("groups", "1")),
                         bias=keys.get("bias", "true") == "true")
    if op == "linear":
        return nn.Linear(int(keys["in_channels"]), int(positional),
                         bias=keys.get("bias", "true") == "true")
    if op == "maxpool":
        kernel = size2(positional)
        return nn.MaxPool2d(kernel, stride=size2(keys.get("stride", positional)),
                            padding=size2(keys.get("padding", "0")),
                            ceil_mode=keys.get("ceil_mode", "false") == "true")
    if op == "avgpool":
        kernel = size2(positional)
        return nn.AvgPool2d(kernel, stride=size2(keys.get("stride", positional)),
                            padding=size2(keys.get("padding", "0")),
                            ceil_mode=keys.get("ceil_mode", "false") == "true",
                            count_include_pad=keys.get("count_include_pad", "true") == "true")
    if op == "adaptive_avgpool":
        return nn.AdaptiveAvgPool2d(size2(positional))
    if op == "lrn":
        return nn.LocalResponseNorm(int(positional), alpha=float(keys.get("alpha", "1e-4")),
                                    beta=float(keys.get("beta", "0.75")),
                                    k=float(keys.get("k", "1.0")))
    if op == "batchnorm":
        bn = nn.BatchNorm2d(int(keys["in_channels"]), eps=float(keys.get("eps", "1e-5")))
        channels = bn.num_features
        # Non-trivial statistics, so that a wrong fold cannot pass.
        bn.weight.data = torch.rand(channels) + 0.5
        bn.bias.data = torch.randn(channels)
        bn.running_mean = torch.randn(channels)
        bn.running_var = torch.rand(channels) + 0.1
        return bn
    simple = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
              "flatten": nn.Flatten}
    if op in simple:
        return simple[op]()
    if op == "relu6":
        return nn.ReLU6()
    if op == "hardtanh":
        return nn.Hardtanh(float(keys.get("min_val", "-1")),
                           float(keys.get("max_val", "1")))
    if op == "hardswish":
        return nn.Hardswish()
    if op == "hardsigmoid":
        return nn.Hardsigmoid()
    if op == "leaky_relu":
        return nn.LeakyReLU(float(keys.get("negative_slope", "0.01")))
    if op == "elu":
        return nn.ELU(float(keys.get("alpha", "1.0")))
    if op == "dropout":
        return nn.Dropout(float(positional or 0.5))
    if op == "softmax":
        return nn.Softmax(dim=1)
    raise SystemExit(f"unknown layer '{op}'")


def parse_case(text):
    """Returns (input shape, [torch layers])."""
    statements = [s.split() for s in text.split("|")]
    if statements[0][0] != "input":
        raise SystemExit("a case starts with 'input NxCxHxW'")
    shape = [int(d) for d in statements[0][1].split("x")]
    layers = []
    x = torch.zeros(shape)
    for words in statements[1:]:
        op, rest = words[0], words[1:]
        positional = rest[0] if rest and "=" not in rest[0] else None
        keys = dict(w.split("=", 1) for w in rest if "=" in w)
        keys["in_channels"] = str(x.shape[1])
        layer = build_layer(op, positional, keys).eval()
        layers.append(layer)
        x = layer(x)
    return shape, layers


class Emitter:
    """Writes nn-dialect IR for a list of torch layers."""

    def __init__(self, resources):
        self.resources = resources
        self.lines = []
        self.blobs = {}
        self.count = 0

    def fresh(self):
        self.count += 1
        return f"%v{self.count}"

    @staticmethod
    def ttype(shape):
        return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"

    def constant(self, name, tensor):
        """A parameter as arith.constant: a resource blob or inline hex data."""
        data = tensor.detach().numpy().astype("<f4")
        value = self.fresh()
        if self.resources:
            # A resource blob is its alignment (4, little-endian) then the data.
            self.blobs[name] = "0x04000000" + data.tobytes().hex().upper()
            attr = f"dense_resource<{name}>"
        else:
            attr = f'dense<"0x{data.tobytes().hex().upper()}">'
        self.lines.append(f"    {value} = arith.constant {attr} : {self.ttype(data.shape)}")
        return value

    def layer(self, index, layer, x, in_shape, out_shape):
        it, ot = self.ttype(in_shape), self.ttype(out_shape)
        y = self.fresh()
        pair = lambda v: v if isinstance(v, tuple) else (v, v)
        if isinstance(layer, nn.Conv2d):
            w = self.constant(f"l{index}.weight", layer.weight)
            operands, types = [x, w], [it, self.ttype(layer.weight.shape)]
            if layer.bias is not None:
                operands.append(self.constant(f"l{index}.bias", layer.bias))
                types.append(self.ttype(layer.bias.shape))
            ph, pw = layer.padding
            self.lines.append(
                f"    {y} = nn.conv2d {', '.join(operands)} stride [{layer.stride[0]}, "
                f"{layer.stride[1]}] padding [{ph}, {pw}, {ph}, {pw}] dilation "
                f"[{layer.dilation[0]}, {layer.dilation[1]}] groups {layer.groups} : "
                f"({', '.join(types)}) -> {ot}")
        elif isinstance(layer, nn.Linear):
            w = self.constant(f"l{index}.weight", layer.weight)
            operands, types = [x, w], [it, self.ttype(layer.weight.shape)]
            if layer.bias is not None:
                operands.append(self.constant(f"l{index}.bias", layer.bias))
                types.append(self.ttype(layer.bias.shape))
            self.lines.append(f"    {y} = nn.linear {', '.join(operands)} : "
                              f"({', '.join(types)}) -> {ot}")
        elif isinstance(layer, nn.BatchNorm2d):
            params = [self.constant(f"l{index}.{n}", t) for n, t in
                      [("weight", layer.weight), ("bias", layer.bias),
                       ("running_mean", layer.running_mean),
                       ("running_var", layer.running_var)]]
            vt = self.ttype([layer.num_features])
            self.lines.append(
                f"    {y} = nn.batch_norm {x}, {', '.join(params)} eps {layer.eps:.9e} : "
                f"({it}, {vt}, {vt}, {vt}, {vt}) -> {ot}")
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            (kh, kw), (sh, sw) = pair(layer.kernel_size), pair(layer.stride)
            ph, pw = pair(layer.padding)
            op = "max_pool2d" if isinstance(layer, nn.MaxPool2d) else "avg_pool2d"
            flags = " ceil_mode" if layer.ceil_mode else ""
            if isinstance(layer, nn.AvgPool2d) and layer.count_include_pad:
                flags += " count_include_pad"
            self.lines.append(
                f"    {y} = nn.{op} {x} kernel [{kh}, {kw}] stride [{sh}, {sw}] "
                f"padding [{ph}, {pw}, {ph}, {pw}]{flags} : ({it}) -> {ot}")
        elif isinstance(layer, nn.AdaptiveAvgPool2d):
            self.lines.append(f"    {y} = nn.adaptive_avg_pool2d {x} : ({it}) -> {ot}")
        elif isinstance(layer, nn.LocalResponseNorm):
            self.lines.append(
                f"    {y} = nn.lrn {x} size {layer.size} alpha {layer.alpha:.9e} "
                f"beta {layer.beta:.9e} k {layer.k:.9e} : {ot}")
        elif isinstance(layer, nn.Hardtanh):  # nn.ReLU6 too.
            self.lines.append(
                f"    {y} = nn.clamp {x} min {layer.min_val:.9e} "
                f"max {layer.max_val:.9e} : {ot}")
        elif isinstance(layer, nn.LeakyReLU):
            self.lines.append(
                f"    {y} = nn.leaky_relu {x} slope {layer.negative_slope:.9e} : {ot}")
        elif isinstance(layer, nn.ELU):
            self.lines.append(f"    {y} = nn.elu {x} alpha {layer.alpha:.9e} : {ot}")
        elif isinstance(layer, nn.Hardsigmoid):
            self.lines.append(
                f"    {y} = nn.hard_sigmoid {x} alpha {1 / 6:.9e} beta 5.0e-01 : {ot}")
        elif isinstance(layer, nn.Hardswish):
            self.lines.append(f"    {y} = nn.hard_swish {x} : {ot}")
        elif isinstance(layer, nn.Dropout):
            self.lines.append(f"    {y} = nn.dropout {x} p {layer.p:.9e} : {ot}")
        elif isinstance(layer, nn.Flatten):
            self.lines.append(f"    {y} = nn.flatten {x} : ({it}) -> {ot}")
        else:
            op = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh",
                  nn.Softmax: "softmax"}[type(layer)]
            self.lines.append(f"    {y} = nn.{op} {x} : {ot}")
        return y

    def module(self, x, layers):
        shapes = [list(x.shape)]
        for layer in layers:
            shapes.append(list(layer(torch.zeros(shapes[-1])).shape))
        value = "%input"
        for index, layer in enumerate(layers):
            value = self.layer(index, layer, value, shapes[index], shapes[index + 1])
        it, ot = self.ttype(shapes[0]), self.ttype(shapes[-1])
        data = x.numpy().astype("<f4").tobytes().hex().upper()
        text = [f"func.func @forward(%input: {it}) -> {ot} {{"]
        text += self.lines
        text += [f"    return {value} : {ot}", "}",
                 "func.func @main() {",
                 f'  %x = arith.constant dense<"0x{data}"> : {it}',
                 f"  %y = call @forward(%x) : ({it}) -> {ot}",
                 # Printed as bit patterns: exact, where printMemrefF32 rounds.
                 f"  %b = arith.bitcast %y : {ot} to {ot[:-4]}i32>",
                 f"  %u = tensor.cast %b : {ot[:-4]}i32> to tensor<*xi32>",
                 "  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()",
                 "  return", "}",
                 "func.func private @printMemrefI32(tensor<*xi32>)"]
        if self.blobs:
            text.append("{-#\n  dialect_resources: {\n    builtin: {")
            text.append(",\n".join(f'      "{k}": "{v}"' for k, v in self.blobs.items()))
            text.append("    }\n  }\n#-}")
        return "\n".join(text) + "\n"


LOWERING = ["--convert-elementwise-to-linalg", "--one-shot-bufferize=bufferize-function-boundaries",
            "--buffer-deallocation-pipeline", "--convert-bufferization-to-memref",
            "--convert-linalg-to-loops",
            "--expand-strided-metadata", "--lower-affine", "--convert-scf-to-cf",
            "--convert-to-llvm", "--reconcile-unrealized-casts"]


def run(cmd, stdin):
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(f"command failed: {' '.join(cmd)}\n{result.stderr}")
        raise SystemExit(1)
    return result.stdout


def check(case, args, kiln_opt, runner, libs):
    """Runs one case; returns True when Kiln agrees with torch."""
    torch.manual_seed(args.seed)
    shape, layers = parse_case(case)
    x = torch.randn(shape) * args.input_scale
    with torch.no_grad():
        expected = x
        for layer in layers:
            expected = layer(expected)
        source = Emitter(args.resources).module(x, layers)

    passes = [] if args.no_simplify else ["--kiln-simplify"]
    simplified = run([kiln_opt, "--verify-each"] + passes, source)
    for op in args.expect_no:
        if op in simplified:
            sys.stderr.write(f"{op} survived kiln-simplify in {case}:\n{simplified}")
            return False
    linalg = run([kiln_opt, "--verify-each", "--convert-nn-to-linalg"], simplified)
    llvm = run([kiln_opt] + LOWERING, linalg)
    output = run([runner, "-e", "main", "-entry-point-result=void",
                  f"-shared-libs={libs}"], llvm)

    data = output.split("data =", 1)[1]
    bits = np.array([int(v) for v in re.findall(r"-?\d+", data)], dtype=np.int64)
    got = bits.astype(np.int32).view(np.float32).astype(np.float64)
    want = expected.numpy().astype(np.float64).ravel()
    if got.shape != want.shape or not np.allclose(got, want, rtol=args.rtol,
                                                   atol=args.atol, equal_nan=True):
        sys.stderr.write(f"MISMATCH for {case}\n--- IR after kiln-simplify:\n"
                         f"{simplified}\n--- got {got.shape}: {got}\n"
                         f"--- want {want.shape}: {want}\n")
        return False
    error = np.max(np.abs(got - want)) if got.size else 0.0
    print(f"PASS {case} ({got.size} values, max abs error {error:.3g})")
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cases", nargs="+", metavar="CASE")
    p.add_argument("--no-simplify", action="store_true", help="skip kiln-simplify")
    p.add_argument("--resources", action="store_true",
                   help="parameters as dense_resource blobs instead of inline dense")
    p.add_argument("--expect-no", action="append", default=[], metavar="OP",
                   help="fail if OP (e.g. nn.batch_norm) survives kiln-simplify")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--input-scale", type=float, default=1.0,
                   help="multiply the N(0, 1) input by this")
    p.add_argument("--rtol", type=float, default=1e-5)
    p.add_argument("--atol", type=float, default=1e-6)
    args = p.parse_args()

    runner = shutil.which("mlir-runner")
    kiln_opt = shutil.which("kiln-opt")
    if not runner or not kiln_opt:
        raise SystemExit("kiln-opt and mlir-runner must be on PATH")
    libdir = os.path.join(os.path.dirname(os.path.realpath(runner)), "..", "lib")
    libs = ",".join(os.path.join(libdir, f"lib{n}.so")
                    for n in ("mlir_c_runner_utils", "mlir_runner_utils"))
    results = [check(case, args, kiln_opt, runner, libs) for case in args.cases]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
