"""Builds a torch.nn.Module equivalent to a parsed `.nn` spec.

Every container is an nn.Sequential whose children are named the way the contract
names parameters (see `child_name`), so `state_dict()` keys come out as `fc1.weight`,
`features.3.weight`, `0.weight`, `a.1.0.weight` ...

Shapes are tracked by plain arithmetic (no dummy forward pass, which would be slow
for VGG); the arithmetic follows PyTorch's own output-size formulas.
"""

from collections import OrderedDict
from typing import List, Tuple, Union

import torch
from torch import nn

from nnspec import Block, Layer, Spec, SpecError

MAX_TENSOR_BYTES = 2 ** 40     # contract: larger tensors are errors
Shape = Tuple[int, ...]


def _fmt(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


class SpecModel(nn.Sequential):
    """The top-level nn.Sequential of a spec, remembering the spec's shapes."""

    def __init__(self, children: "OrderedDict[str, nn.Module]", model_name: str,
                 input_shape: Shape, output_shape: Shape):
        super().__init__(children)
        self.model_name = model_name
        self.input_shape = tuple(input_shape)    # N, C, H, W as written in the spec
        self.output_shape = tuple(output_shape)  # for the spec's N


def child_name(node: Union[Layer, Block], index: int, top_level: bool) -> str:
    """The state_dict prefix of a statement, following the contract literally.

    At top level a labelled layer is named by its label and a block by its name; an
    unlabelled layer by its index among the top-level statements. Inside a block the
    i-th statement (every layer and nested block counts) is named by its index i, so a
    nested block gives `a.i.j`; labels there only serve as (unique) identifiers.
    """
    if top_level:
        name = node.name if isinstance(node, Block) else node.label
        if name:
            return name
    return str(index)


class _Builder:
    def __init__(self, spec: Spec):
        self.spec = spec

    def error(self, node, message: str):
        return SpecError(self.spec.path, node.line, node.col, message)

    def check_size(self, node, shape: Shape, what: str):
        n = 4
        for d in shape:
            n *= d
        if n > MAX_TENSOR_BYTES:
            raise self.error(node, f"{what} of shape {_fmt(shape)} is larger than 2^40 bytes")

    def sequential(self, nodes: List[Union[Layer, Block]], shape: Shape, top_level: bool):
        """Returns (OrderedDict of named children, output shape)."""
        children = OrderedDict()
        for index, node in enumerate(nodes):
            if isinstance(node, Block):
                sub, shape = self.sequential(node.children, shape, top_level=False)
                module = nn.Sequential(sub)
            else:
                module, shape = self.layer(node, shape)
                self.check_size(node, shape, f"the output of {node.op}")
            children[child_name(node, index, top_level)] = module
        return children, shape

    # Output size of a conv / pool along one dimension: PyTorch's pooling_output_shape
    # (floor division rounds towards -inf, as its div_rtn does). May be <= 0.
    @staticmethod
    def _out(size, kernel, stride, pad, dilation=1, ceil_mode=False):
        num = size + 2 * pad - dilation * (kernel - 1) - 1
        out = (num + (stride - 1 if ceil_mode else 0)) // stride + 1
        # With ceil_mode the last window must start inside the (left-padded) input.
        if ceil_mode and (out - 1) * stride >= size + pad:
            out -= 1
        return out

    def layer(self, node: Layer, shape: Shape):
        op, a = node.op, node.args

        def need_4d():
            if len(shape) != 4:
                raise self.error(node, f"{op} needs a 4-D NxCxHxW tensor, got {_fmt(shape)}")

        def positive(name, value):
            vals = value if isinstance(value, tuple) else (value,)
            if any(v <= 0 for v in vals):
                raise self.error(node, f"{op} {name} must be positive")

        if op == "conv2d":
            need_4d()
            n, c, h, w = shape
            out, groups = a["out_channels"], a["groups"]
            for key in ("out_channels", "kernel", "stride", "dilation", "groups"):
                positive(key, a[key])
            if c % groups or out % groups:
                raise self.error(node, f"groups={groups} must divide the input channels ({c}) "
                                       f"and the output channels ({out})")
            kh, kw = a["kernel"]
            self.check_size(node, (out, c // groups, kh, kw), "conv2d weight")
            oh = self._out(h, kh, a["stride"][0], a["padding"][0], a["dilation"][0])
            ow = self._out(w, kw, a["stride"][1], a["padding"][1], a["dilation"][1])
            if oh <= 0 or ow <= 0:
                raise self.error(node, f"conv2d on a {_fmt(shape)} tensor gives an empty output")
            module = nn.Conv2d(c, out, a["kernel"], stride=a["stride"], padding=a["padding"],
                               dilation=a["dilation"], groups=groups, bias=a["bias"])
            return module, (n, out, oh, ow)

        if op == "linear":
            if len(shape) != 2:
                raise self.error(node, f"linear needs a 2-D NxF tensor, got {_fmt(shape)} "
                                       f"(add 'flatten' before it)")
            positive("out_features", a["out_features"])
            self.check_size(node, (a["out_features"], shape[1]), "linear weight")
            return nn.Linear(shape[1], a["out_features"], bias=a["bias"]), (shape[0], a["out_features"])

        if op in ("relu", "sigmoid", "tanh", "relu6", "hardswish", "hardsigmoid",
                  "silu", "softplus", "softsign", "selu"):
            return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                    "relu6": nn.ReLU6, "hardswish": nn.Hardswish,
                    "hardsigmoid": nn.Hardsigmoid, "silu": nn.SiLU,
                    "softplus": nn.Softplus, "softsign": nn.Softsign,
                    "selu": nn.SELU}[op](), shape
        if op == "celu":
            if a["alpha"] == 0:
                raise self.error(node, "celu alpha must be non-zero")
            return nn.CELU(a["alpha"]), shape
        if op == "hardtanh":
            if not a["max_val"] > a["min_val"]:
                raise self.error(node, "hardtanh max_val must be greater than min_val")
            return nn.Hardtanh(a["min_val"], a["max_val"]), shape
        if op == "leaky_relu":
            return nn.LeakyReLU(a["negative_slope"]), shape
        if op == "elu":
            return nn.ELU(a["alpha"]), shape
        if op == "prelu":
            return nn.PReLU(a["num_parameters"], a["init"]), shape

        if op in ("maxpool", "avgpool"):
            need_4d()
            n, c, h, w = shape
            for key in ("kernel", "stride"):
                positive(key, a[key])
            for k, p in zip(a["kernel"], a["padding"]):
                if 2 * p > k:
                    raise self.error(node, f"{op} padding must be at most half the kernel")
            oh = self._out(h, a["kernel"][0], a["stride"][0], a["padding"][0], ceil_mode=a["ceil_mode"])
            ow = self._out(w, a["kernel"][1], a["stride"][1], a["padding"][1], ceil_mode=a["ceil_mode"])
            if oh <= 0 or ow <= 0:
                k = a["kernel"]
                ks = str(k[0]) if k[0] == k[1] else _fmt(k)
                raise self.error(node, f"{op} {ks} on a {_fmt(shape)} tensor gives an empty output")
            if op == "maxpool":
                module = nn.MaxPool2d(a["kernel"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"])
            else:
                module = nn.AvgPool2d(a["kernel"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"],
                                      count_include_pad=a["count_include_pad"])
            return module, (n, c, oh, ow)

        if op == "adaptive_avgpool":
            need_4d()
            positive("size", a["size"])
            return nn.AdaptiveAvgPool2d(a["size"]), shape[:2] + a["size"]

        if op == "lrn":
            need_4d()
            positive("size", a["size"])
            return nn.LocalResponseNorm(a["size"], alpha=a["alpha"], beta=a["beta"], k=a["k"]), shape

        if op == "batchnorm":
            need_4d()
            if a["eps"] <= 0:
                raise self.error(node, "batchnorm eps must be positive")
            return nn.BatchNorm2d(shape[1], eps=a["eps"]), shape

        if op == "dropout":
            if not 0.0 <= a["p"] <= 1.0:
                raise self.error(node, f"dropout p must be in [0, 1], got {a['p']}")
            return nn.Dropout(a["p"]), shape

        if op == "flatten":
            flat = 1
            for d in shape[1:]:
                flat *= d
            return nn.Flatten(1), (shape[0], flat)

        if op == "softmax":
            return nn.Softmax(dim=1), shape

        raise AssertionError(f"unhandled op {op}")


def build_model(spec: Spec) -> SpecModel:
    """Builds the torch module of a spec (PyTorch default init) in eval() mode."""
    builder = _Builder(spec)
    children, out_shape = builder.sequential(spec.body, tuple(spec.input_shape), top_level=True)
    model = SpecModel(children, spec.name, spec.input_shape, out_shape)
    return model.eval()


def parameter_tensors(model: nn.Module) -> "OrderedDict[str, torch.Tensor]":
    """The tensors a weights file holds: state_dict minus BatchNorm's step counter."""
    return OrderedDict((k, v) for k, v in model.state_dict().items()
                       if not k.endswith("num_batches_tracked"))
