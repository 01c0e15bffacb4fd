#!/usr/bin/env python3
"""Writes ONNX models of chained ConvTranspose nodes, and checks their
outputs against PyTorch.

    check_conv_transpose.py write NAME OUT.onnx
    check_conv_transpose.py check MODEL.onnx X.npy OUT.npy...

The reference runs each node through torch.nn.functional.conv_transpose2d
without padding, then applies ONNX's pads, output_padding, output_shape and
auto_pad rules to that full result by indexing: pads crop it, and cells past
its end (output_padding or an output_shape beyond it) hold only the bias.
"""
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from compare import check_outputs

RNG = np.random.default_rng(11)


def weight(name, *shape):
    return numpy_helper.from_array(
        RNG.standard_normal(shape).astype(np.float32), name)


# Each model: its input shape and a list of (attributes, weight shape, bias).
# The weight is [C, M/group, kH, kW].
MODELS = {
    # Strides, asymmetric pads, output_padding, dilations and groups.
    "explicit": ([2, 4, 5, 6], [
        (dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
         (4, 6, 3, 3), True),
        (dict(strides=[1, 3], dilations=[2, 1], group=2, pads=[0, 2, 3, 1]),
         (6, 2, 3, 4), False),
        # One channel per group, and a 1x1 kernel with stride 3: cells no
        # input reaches hold the bias alone.
        (dict(group=4, strides=[3, 3], pads=[0, 0, 0, 0],
              output_padding=[2, 0]), (4, 2, 1, 1), True),
        # Pads wider than the kernel's reach crop real results.
        (dict(strides=[2, 2], pads=[4, 3, 5, 2]), (8, 3, 3, 3), True),
    ]),
    # Pads set by auto_pad or output_shape.
    "implied": ([2, 3, 4, 5], [
        (dict(auto_pad="SAME_UPPER", strides=[2, 2]), (3, 4, 3, 3), True),
        (dict(auto_pad="SAME_LOWER", strides=[2, 3]), (4, 2, 4, 2), False),
        # Odd excess: the extra cell is cropped at the start.
        (dict(output_shape=[30, 29], strides=[2, 2]), (2, 3, 3, 2), True),
        # Up to stride - 1 cells beyond the full result: output padding.
        (dict(output_shape=[61, 59], strides=[2, 2]), (3, 2, 2, 2), True),
    ]),
    # Models kilnc rejects.
    "far-output-shape": ([1, 2, 3, 3], [
        (dict(output_shape=[8, 7], strides=[2, 2]), (2, 2, 2, 2), False)]),
    "bad-weight": ([1, 2, 3, 3], [(dict(), (3, 2, 3, 3), False)]),
    "crop-all": ([1, 2, 1, 3], [(dict(pads=[2, 0, 1, 0]), (2, 2, 3, 3), False)]),
}


def write(name, path):
    shape, layers = MODELS[name]
    nodes, inits, previous = [], [], "x"
    for i, (attrs, wshape, bias) in enumerate(layers):
        inputs = [previous, f"w{i}"]
        inits.append(weight(f"w{i}", *wshape))
        if bias:
            group = attrs.get("group", 1)
            inputs.append(f"b{i}")
            inits.append(weight(f"b{i}", wshape[1] * group))
        nodes.append(helper.make_node("ConvTranspose", inputs, [f"y{i}"],
                                      name=f"deconv{i}", **attrs))
        previous = f"y{i}"
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)


def conv_transpose(x, w, b, attrs):
    """ONNX ConvTranspose of float64 tensors, through PyTorch."""
    strides = attrs.get("strides", [1, 1])
    dilations = attrs.get("dilations", [1, 1])
    group = attrs.get("group", 1)
    extra = list(attrs.get("output_padding", [0, 0]))
    full = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), None, stride=strides,
        dilation=dilations, groups=group).numpy()
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    auto_pad = attrs.get("auto_pad", "NOTSET")
    target = attrs.get("output_shape")
    if target is None and auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        target = [x.shape[2 + i] * strides[i] for i in range(2)]
    if target is not None:
        for i in range(2):
            excess = full.shape[2 + i] + extra[i] - target[i]
            if excess < 0:
                extra[i] -= excess
                excess = 0
            small, large = excess // 2, excess - excess // 2
            begin = small if auto_pad == "SAME_UPPER" else large
            pads[i], pads[2 + i] = begin, excess - begin
    # Output padding past the full result: zeros, then the crop.
    grown = np.pad(full, [(0, 0), (0, 0), (0, extra[0]), (0, extra[1])])
    out = grown[:, :, pads[0]:grown.shape[2] - pads[2],
                pads[1]:grown.shape[3] - pads[3]]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out


def reference(model_path, x):
    model = onnx.load(model_path)
    inits = {t.name: numpy_helper.to_array(t).astype(np.float64)
             for t in model.graph.initializer}
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if isinstance(attrs.get("auto_pad"), bytes):
            attrs["auto_pad"] = attrs["auto_pad"].decode()
        b = inits[node.input[2]] if len(node.input) > 2 else None
        x = conv_transpose(x, inits[node.input[1]], b, attrs)
    return x


def main():
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
        return
    want = reference(sys.argv[2], np.load(sys.argv[3]).astype(np.float64))
    print("output", want.shape)
    check_outputs(want, sys.argv[4:])


if __name__ == "__main__":
    main()
