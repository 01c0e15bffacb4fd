#!/usr/bin/env python3
"""nnref: the PyTorch reference for Kiln's `.nn` specs (the test oracle).

Library use (add this directory to sys.path, then `import nnref`):
    spec  = nnref.load_spec("examples/lenet5.nn")     # parse (raises SpecError)
    model = nnref.build_model(spec)                    # torch module, eval() mode
    nnref.load_weights(model, nnref.read_safetensors("w.safetensors"))
    nnref.write_safetensors(path, {name: float32 array})
    nnref.layer_macs(model, model.input_shape)        # MACs per conv/linear layer

Command line (use /usr/bin/python3, the Python with torch):
    nnref.py init SPEC --out W.safetensors [--seed S]
    nnref.py run SPEC --weights W.safetensors --input X.npy --out Y.npy
    nnref.py randinput SPEC --batch B --out X.npy [--seed S]
    nnref.py compare A.npy B.npy [--tol 1e-4]
    nnref.py info SPEC            # input/output shapes and parameter names/shapes
"""

import argparse
import contextlib
import os
import sys
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from nnspec import Spec, SpecError, load_spec, parse_spec  # noqa: E402,F401
from nnmodel import SpecModel, build_model, parameter_tensors  # noqa: E402,F401
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402,F401

# The library API (re-exported so users need only `import nnref`).
__all__ = ["Spec", "SpecError", "load_spec", "parse_spec", "SpecModel", "build_model",
           "parameter_tensors", "read_safetensors", "write_safetensors", "init_model",
           "output_sensitivity",
           "model_weights", "load_weights", "run_model", "layer_macs"]


def _fmt(shape) -> str:
    return "x".join(str(d) for d in shape)


def _feeds_rectifier(after: torch.nn.Module, leaves: list) -> bool:
    """Whether the leaf `after` (the one following a layer), or the first
    leaf after it that is not a batch norm or dropout, is a ReLU kind."""
    rest = leaves[leaves.index(after):]
    for m in rest:
        if isinstance(m, (torch.nn.BatchNorm2d, torch.nn.Dropout)):
            continue
        return isinstance(m, (torch.nn.ReLU, torch.nn.ReLU6, torch.nn.LeakyReLU,
                              torch.nn.ELU, torch.nn.PReLU, torch.nn.Hardswish))
    return False


@contextlib.contextmanager
def _without_default_init(classes):
    """Builds modules of `classes` with their parameters as torch.empty left
    them, skipping PyTorch's default initialisation, for a scheme that then
    draws every one of them (VGG-16's 138 M took 1.5 s to draw twice)."""
    saved = {cls: cls.__dict__.get("reset_parameters") for cls in classes}
    for cls in classes:
        cls.reset_parameters = lambda self: None
    try:
        yield
    finally:
        for cls, method in saved.items():
            if method is None:
                del cls.reset_parameters
            else:
                cls.reset_parameters = method


def init_model(spec: Spec, seed: int = 0, scheme: str = "pytorch") -> SpecModel:
    """Builds the model with PyTorch's default init under `seed`.

    BatchNorm layers would otherwise be the identity (mean 0, var 1, weight 1, bias 0),
    which hides bugs, so their statistics and affine parameters are randomised
    (running_var stays positive).

    scheme="he" draws convolution and linear weights as He et al. do
    (normal, deviation sqrt(2 / fan_in); sqrt(1 / fan_in) for layers that
    no ReLU follows, so that logits stay moderate) and biases N(0, 0.1)
    instead. PyTorch's default shrinks
    the signal at every layer, so that VGG-16's output hardly depends on its
    input (another input moves it by 3e-5, relative): a check of such
    outputs would not see a wrong layer. He's keeps it (0.1 for VGG-16).
    Batch norms then take their input's statistics on a random batch.
    """
    if scheme not in ("pytorch", "he"):
        raise ValueError(f"unknown init scheme '{scheme}'")
    torch.manual_seed(seed)
    redrawn = (torch.nn.Conv2d, torch.nn.Linear)
    with _without_default_init(redrawn) if scheme == "he" else contextlib.nullcontext():
        model = build_model(spec)
    gen = torch.Generator().manual_seed(seed + 1)
    leaves = [m for m in model.modules() if not list(m.children())]
    rectified = {id(m) for m, after in zip(leaves, leaves[1:]) if _feeds_rectifier(after, leaves)}
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)   # [0.5, 2)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)              # [0.5, 1.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
            elif scheme == "he" and isinstance(m, redrawn):
                gain = 2.0 if id(m) in rectified else 1.0
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen)
                               * (gain / fan_in) ** 0.5)
                if m.bias is not None:  # Small, as trained biases are.
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
        if scheme == "he":
            _calibrate_batchnorms(model, spec.input_shape, gen)
    return model


def _calibrate_batchnorms(model: torch.nn.Module, input_shape, gen) -> None:
    """Gives each batch norm, in order, the running statistics of its input
    on a random batch (its random scale and shift stay), so that it centres
    its channels as a trained one does instead of adding a random offset."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    if not norms:
        return
    x = torch.randn((4,) + tuple(input_shape[1:]), generator=gen)
    model.eval()
    for norm in norms:
        captured = []
        hook = norm.register_forward_hook(lambda m, i, out: captured.append(i[0]))
        model(x)
        hook.remove()
        norm.running_mean.copy_(captured[0].mean((0, 2, 3)))
        norm.running_var.copy_(captured[0].var((0, 2, 3)) + 1e-3)


def model_weights(model: torch.nn.Module) -> "OrderedDict[str, np.ndarray]":
    """The model's parameters as float32 numpy arrays, named as in the contract."""
    return OrderedDict((k, v.detach().cpu().numpy().astype(np.float32, copy=False))
                       for k, v in parameter_tensors(model).items())


def load_weights(model: torch.nn.Module, tensors) -> None:
    """Loads name -> array into the model; missing/extra/misshaped tensors are errors.

    A `num_batches_tracked` entry (present in raw PyTorch checkpoints) is ignored.
    """
    expected = parameter_tensors(model)
    problems = []
    for name, ref in expected.items():
        if name not in tensors:
            problems.append(f"missing tensor '{name}' (expected shape {_fmt(ref.shape)})")
        elif tuple(tensors[name].shape) != tuple(ref.shape):
            problems.append(f"tensor '{name}': expected shape {_fmt(ref.shape)}, "
                            f"found {_fmt(tensors[name].shape)}")
    for name in tensors:
        if name not in expected and not name.endswith("num_batches_tracked"):
            problems.append(f"unexpected tensor '{name}' (shape {_fmt(tensors[name].shape)})")
    if problems:
        raise ValueError("; ".join(problems))
    state = {k: torch.from_numpy(np.asarray(tensors[k], dtype=np.float32)) for k in expected}
    model.load_state_dict(state, strict=False)


def run_model(model: SpecModel, x: np.ndarray) -> np.ndarray:
    """Runs the reference in fp32 on an NCHW input (any batch size)."""
    want = model.input_shape[1:]
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(want):
        raise ValueError(f"input has shape {_fmt(x.shape)}, expected Nx{_fmt(want)}")
    with torch.no_grad():
        y = model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
    return y.numpy().astype(np.float32)


def output_sensitivity(model: torch.nn.Module, x: np.ndarray, want: np.ndarray,
                       seed: int) -> float:
    """How far another N(0, 1) input of x's shape moves the output `want`
    (the model's output on x), relative to ||want||. A check within tolerance
    T sees a layer's error only if its share of the output exceeds T / this:
    outputs that hardly depend on the input make blind checks."""
    other = np.random.default_rng(seed).standard_normal(x.shape).astype(np.float32)
    with torch.no_grad():
        moved = model(torch.from_numpy(other)).numpy()
    norm = max(float(np.linalg.norm(want.ravel())), 1e-30)
    return float(np.linalg.norm((moved - want).ravel())) / norm


# --- Subcommands -----------------------------------------------------------------

def layer_macs(model: torch.nn.Module, input_shape) -> list:
    """Multiply-adds per image of every Conv2d, ConvTranspose2d and Linear of `model`, in
    order, from a batch-1 forward pass: [{"kind", "out", "macs"}, ...]. The
    FLOPs that benchmarks report are 2 x their sum x the batch."""
    layers = []

    def hook(mod, inp, out):
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
            layers.append({"kind": "conv2d", "out": list(out.shape), "macs": out.numel() * k})
        elif isinstance(mod, torch.nn.ConvTranspose2d):
            # Each input cell scatters into out/groups x kh x kw outputs.
            k = mod.out_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
            layers.append({"kind": "conv_transpose2d", "out": list(out.shape),
                           "macs": inp[0].numel() * k})
        elif isinstance(mod, torch.nn.Linear):
            layers.append({"kind": "linear", "out": list(out.shape),
                           "macs": out.numel() * mod.in_features})

    kinds = (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, kinds)]
    try:
        with torch.no_grad():
            model(torch.zeros((1,) + tuple(input_shape[1:])))
    finally:
        for h in handles:
            h.remove()
    return layers


def cmd_init(args) -> int:
    model = init_model(load_spec(args.spec), args.seed)
    write_safetensors(args.out, model_weights(model),
                      metadata={"model": model.model_name, "seed": str(args.seed)})
    return 0


def cmd_run(args) -> int:
    model = build_model(load_spec(args.spec))
    load_weights(model, read_safetensors(args.weights))
    np.save(args.out, run_model(model, np.load(args.input)))
    return 0


def cmd_randinput(args) -> int:
    if args.batch <= 0:
        raise ValueError(f"--batch must be positive, got {args.batch}")
    spec = load_spec(args.spec)
    _, c, h, w = spec.input_shape
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.batch, c, h, w)).astype(np.float32)
    x[x == 0] = 1.0          # "never zeros" (astronomically unlikely anyway)
    np.save(args.out, x)
    return 0


def cmd_compare(args) -> int:
    a = np.load(args.a).astype(np.float64)
    b = np.load(args.b).astype(np.float64)
    if a.shape != b.shape:
        print(f"shapes differ: {_fmt(a.shape)} vs {_fmt(b.shape)}")
        return 1
    diff = np.linalg.norm((a - b).ravel())
    ref = np.linalg.norm(b.ravel())
    rel = diff / ref if ref > 0 else (0.0 if diff == 0 else float("inf"))
    max_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        rel = float("nan")
    print(f"relative L2 error: {rel:.3e}")
    print(f"max abs diff: {max_abs:.3e}")
    if not rel <= args.tol:       # also catches NaN
        print(f"FAIL: relative error above tolerance {args.tol:g}")
        return 1
    return 0


def cmd_info(args) -> int:
    model = build_model(load_spec(args.spec))
    print(f"model {model.model_name}")
    print(f"input {_fmt(model.input_shape)}")
    print(f"output {_fmt(model.output_shape)}")
    total = 0
    for name, t in parameter_tensors(model).items():
        print(f"{name} {_fmt(t.shape)}")
        total += t.numel()
    print(f"total {total}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="nnref", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("init", help="write seeded default-init weights as safetensors")
    s.add_argument("spec", help="the .nn file")
    s.add_argument("--out", required=True, metavar="W.safetensors")
    s.add_argument("--seed", type=int, default=0, help="torch seed (default 0)")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("run", help="run the torch reference on an input .npy")
    s.add_argument("spec", help="the .nn file")
    s.add_argument("--weights", required=True, metavar="W.safetensors")
    s.add_argument("--input", required=True, metavar="X.npy", help="NxCxHxW float32")
    s.add_argument("--out", required=True, metavar="Y.npy", help="the output, float32")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("randinput", help="write a random normal input .npy")
    s.add_argument("spec", help="the .nn file")
    s.add_argument("--batch", type=int, default=1, help="replaces the spec's N (default 1)")
    s.add_argument("--out", required=True, metavar="X.npy")
    s.add_argument("--seed", type=int, default=0, help="numpy seed (default 0)")
    s.set_defaults(func=cmd_randinput)

    s = sub.add_parser("compare", help="relative L2 error of A against reference B")
    s.add_argument("a", metavar="A.npy", help="the result under test")
    s.add_argument("b", metavar="B.npy", help="the reference")
    s.add_argument("--tol", type=float, default=1e-4,
                   help="largest accepted ||a-b||/||b|| (default 1e-4)")
    s.set_defaults(func=cmd_compare)

    s = sub.add_parser("info", help="print shapes and parameter names")
    s.add_argument("spec", help="the .nn file")
    s.set_defaults(func=cmd_info)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as e:
        print(e, file=sys.stderr)
        return 1
    except (ValueError, OSError) as e:
        print(f"nnref {args.cmd}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
