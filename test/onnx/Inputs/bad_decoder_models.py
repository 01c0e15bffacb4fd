#!/usr/bin/env python3
"""Writes malformed or unsupported ONNX models of the decoder and
normalisation operators (ConvTranspose, DepthToSpace, SpaceToDepth, Resize,
LayerNormalization, InstanceNormalization, 1-D windows), by name:

    bad_decoder_models.py NAME OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def ones(name, *shape):
    return numpy_helper.from_array(np.ones(shape, np.float32), name)


def floats(name, values):
    return numpy_helper.from_array(np.array(values, np.float32), name)


def one_node(op, inputs, shape, initializers, opset=13, **attrs):
    graph = helper.make_graph(
        [helper.make_node(op, inputs, ["y"], name="bad", **attrs)], "bad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


W = [ones("w", 2, 2, 3, 3)]
MODELS = {
    # (in - 1) * stride overflows.
    "convtranspose-overflow": lambda: one_node(
        "ConvTranspose", ["x", "w"], [1, 2, 4, 4], W, strides=[2 ** 62, 1]),
    "convtranspose-output-shape": lambda: one_node(
        "ConvTranspose", ["x", "w"], [1, 2, 4, 4], W, output_shape=[-5, 3]),
    "convtranspose-1d-weight": lambda: one_node(
        "ConvTranspose", ["x", "w"], [1, 2, 8], W),
    "depthtospace-block": lambda: one_node(
        "DepthToSpace", ["x"], [1, 4, 2, 2], [], blocksize=0),
    "depthtospace-mode": lambda: one_node(
        "DepthToSpace", ["x"], [1, 4, 2, 2], [], blocksize=2, mode="XYZ"),
    "spacetodepth-huge": lambda: one_node(
        "SpaceToDepth", ["x"], [1, 4, 2, 2], [], blocksize=2 ** 40),
    # A factor of 2^20 would be 2^20 ops.
    "resize-factor": lambda: one_node(
        "Resize", ["x", "", "s"], [1, 2, 3, 3], [floats("s", [1, 1, 2 ** 20, 2 ** 20])],
        mode="linear"),
    "resize-matrix": lambda: one_node(
        "Resize", ["x", "", "s"], [1, 1, 4096, 4], [floats("s", [1, 1, 8, 1])],
        mode="linear", coordinate_transformation_mode="align_corners"),
    "resize-crop": lambda: one_node(
        "Resize", ["x", "", "s"], [1, 1, 4, 4], [floats("s", [1, 1, 0.5, 0.5])],
        mode="linear", coordinate_transformation_mode="tf_crop_and_resize"),
    "resize-crop-nan": lambda: one_node(
        "Resize", ["x", "roi", "s"], [1, 2, 4, 4],
        [floats("roi", [0, 0, float("nan"), 0, 1, 1, 1, 1]), floats("s", [1, 1, 2, 2])],
        mode="linear", coordinate_transformation_mode="tf_crop_and_resize"),
    "resize-crop-channels": lambda: one_node(
        "Resize", ["x", "roi", "s"], [1, 2, 4, 4],
        [floats("roi", [0, 0.5, 0, 0, 1, 1, 1, 1]), floats("s", [1, 1, 2, 2])],
        mode="linear", coordinate_transformation_mode="tf_crop_and_resize"),
    "resize-empty": lambda: one_node(
        "Resize", ["x", "", "s"], [1, 1, 4, 4], [floats("s", [1, 1, 0.2, 1])],
        mode="nearest"),
    "resize-nan": lambda: one_node(
        "Resize", ["x", "", "s"], [1, 2, 3, 3],
        [floats("s", [1, 1, float("nan"), 2])], mode="nearest"),
    "layernorm-axis": lambda: one_node(
        "LayerNormalization", ["x", "s"], [2, 3], [ones("s", 3)], opset=17, axis=7),
    "instancenorm-scale": lambda: one_node(
        "InstanceNormalization", ["x", "s", "b"], [1, 3, 4, 4],
        [ones("s", 2), ones("b", 3)]),
}

if __name__ == "__main__":
    onnx.save(MODELS[sys.argv[1]](), sys.argv[2])
