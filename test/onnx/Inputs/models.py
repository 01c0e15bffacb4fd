#!/usr/bin/env python3
"""Writes the small ONNX models the import tests check, by name.

  models.py NAME OUT.onnx

Each model is built with onnx.helper so that a test controls every attribute
(ONNX exporters only produce some forms). Weights are seeded random values;
the tests check the imported IR, not numbers.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(0)


def weight(name, *shape, dtype=np.float32):
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(dtype), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def floats(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.float32), name)


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, initializers=(), opset=13, value_info=()):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers),
                              value_info=list(value_info))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def node(op, inputs, outputs, name, **attrs):
    return helper.make_node(op, inputs, outputs, name=name, **attrs)


# --- Models ----------------------------------------------------------------------

def conv():
    """Every way Conv pads, with strides, dilations and groups."""
    return model([
        node("Conv", ["x", "w1", "b1"], ["c1"], "conv_asym", pads=[0, 1, 2, 3],
             strides=[2, 1]),
        node("Conv", ["c1", "w2"], ["c2"], "conv_same_upper", auto_pad="SAME_UPPER",
             strides=[2, 2], kernel_shape=[2, 2]),
        node("Conv", ["c2", "w3"], ["c3"], "conv_same_lower", auto_pad="SAME_LOWER",
             strides=[2, 2]),
        node("Conv", ["c3", "w4"], ["c4"], "conv_grouped", auto_pad="VALID", group=2,
             dilations=[2, 1]),
    ], [value("x", [1, 4, 17, 15])], [value("c4", None)],
        [weight("w1", 8, 4, 3, 3), weight("b1", 8), weight("w2", 8, 8, 2, 2),
         weight("w3", 6, 8, 2, 2), weight("w4", 4, 3, 2, 2)])


def conv_transpose():
    """ConvTranspose with asymmetric pads, output_padding, groups and an
    output_shape (a seed for the ONNX fuzzer)."""
    return model([
        node("ConvTranspose", ["x", "w1", "b1"], ["y1"], "deconv_pads",
             strides=[2, 2], pads=[1, 0, 1, 1], output_padding=[1, 0]),
        node("ConvTranspose", ["y1", "w2"], ["y2"], "deconv_shape", group=2,
             strides=[2, 2], output_shape=[20, 17]),
    ], [value("x", [1, 4, 5, 4])], [value("y2", None)],
        [weight("w1", 4, 4, 3, 3), weight("b1", 4), weight("w2", 4, 1, 2, 2)])


def windows_1d():
    """1-D Conv, MaxPool, BatchNormalization and ConvTranspose over [N, C, L]."""
    return model([
        node("Conv", ["x", "w1", "b1"], ["c1"], "conv1d", pads=[1, 2], strides=[2],
             dilations=[1], kernel_shape=[3]),
        node("Relu", ["c1"], ["r1"], "relu"),
        node("MaxPool", ["r1"], ["p1"], "pool1d", kernel_shape=[2], strides=[2]),
        node("BatchNormalization", ["p1", "g", "beta", "mean", "var"], ["n1"], "bn1d"),
        node("ConvTranspose", ["n1", "w2"], ["y"], "deconv1d", strides=[2],
             output_padding=[1]),
    ], [value("x", [2, 3, 16])], [value("y", None)],
        [weight("w1", 4, 3, 3), weight("b1", 4), weight("g", 4), weight("beta", 4),
         weight("mean", 4), numpy_helper.from_array(np.full(4, 2.0, np.float32), "var"),
         weight("w2", 4, 5, 2)])


def batch_norm_3d():
    """BatchNormalization of [N, C, D, H, W]."""
    return model([
        node("BatchNormalization", ["x", "g", "beta", "mean", "var"], ["y"], "bn3d"),
    ], [value("x", [2, 3, 2, 4, 5])], [value("y", None)],
        [weight("g", 3), weight("beta", 3), weight("mean", 3),
         numpy_helper.from_array(np.full(3, 2.0, np.float32), "var")])


def conv1d_bad_pads():
    return model([node("Conv", ["x", "w"], ["y"], "conv1d", pads=[1, 1, 1])],
                 [value("x", [1, 2, 9])], [value("y", None)], [weight("w", 4, 2, 3)])


def upsampling():
    """Resize (nearest and linear), DepthToSpace, SpaceToDepth and
    InstanceNormalization (a seed for the ONNX fuzzer)."""
    return model([
        node("InstanceNormalization", ["x", "s", "b"], ["n"], "norm"),
        node("Resize", ["n", "", "two"], ["a"], "nearest", mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        node("Resize", ["a", "", "two"], ["l"], "linear", mode="linear"),
        node("SpaceToDepth", ["l"], ["d"], "unshuffle", blocksize=2),
        node("DepthToSpace", ["d"], ["y"], "shuffle", blocksize=2, mode="CRD"),
    ], [value("x", [1, 4, 3, 3])], [value("y", None)],
        [weight("s", 4), weight("b", 4),
         numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "two")])


def pool():
    """Pool attributes: ceil_mode, count_include_pad, asymmetric pads, global."""
    return model([
        node("MaxPool", ["x"], ["p1"], "max_ceil", kernel_shape=[3, 3], strides=[2, 2],
             ceil_mode=1),
        node("AveragePool", ["p1"], ["p2"], "avg_pads", kernel_shape=[3, 2],
             pads=[1, 0, 0, 1], count_include_pad=1),
        node("AveragePool", ["p2"], ["p3"], "avg_exclude", kernel_shape=[2, 2],
             auto_pad="SAME_UPPER"),
        node("GlobalMaxPool", ["p3"], ["p4"], "global_max"),
        node("GlobalAveragePool", ["p3"], ["p5"], "global_avg"),
        node("Add", ["p4", "p5"], ["y"], "join"),
    ], [value("x", [2, 3, 12, 11])], [value("y", None)])


def gemm():
    """Gemm's forms and MatMul + Add: all become nn.linear."""
    return model([
        node("Gemm", ["x", "b1", "c1"], ["g1"], "gemm_plain"),
        node("Gemm", ["g1", "b2", "c2"], ["g2"], "gemm_scaled", alpha=0.5, beta=2.0,
             transB=1),
        node("Gemm", ["g2", "b3", "c3"], ["g3"], "gemm_matrix_bias", transB=1),
        node("MatMul", ["g3", "b4"], ["m4"], "matmul"),
        node("Add", ["m4", "c4"], ["a4"], "bias_add"),
        node("MatMul", ["a4", "b5"], ["y"], "matmul_no_bias"),
    ], [value("x", [2, 6])], [value("y", None)],
        [weight("b1", 6, 5), weight("c1", 5), weight("b2", 4, 5), weight("c2", 1, 4),
         weight("b3", 3, 4), weight("c3", 2, 3), weight("b4", 3, 7), weight("c4", 7),
         weight("b5", 7, 2)])


def gemm_transa():
    """Gemm reading its computed input A transposed."""
    return model([node("Gemm", ["x", "b"], ["y"], "gemm_ta", transA=1)],
                 [value("x", [6, 3])], [value("y", None)], [weight("b", 6, 4)])


def transpose():
    """A Transpose of an activation (NCHW to NHWC) and of a constant."""
    return model([node("Transpose", ["x"], ["t"], "to_nhwc", perm=[0, 2, 3, 1]),
                  node("Transpose", ["k"], ["kt"], "const_t"),
                  node("Add", ["t", "kt"], ["y"], "add")],
                 [value("x", [1, 2, 3, 4])], [value("y", None)],
                 [weight("k", 2, 4, 3, 1)])


def shapes():
    """Flattening in its ONNX spellings, with Identity, Dropout and constants."""
    return model([
        node("Identity", ["x"], ["i"], "identity"),
        node("Dropout", ["i", "ratio"], ["d"], "dropout"),
        node("Conv", ["d", "w"], ["c"], "conv"),
        # x.view(x.size(0), -1) as PyTorch exports it with a dynamic batch.
        node("Shape", ["c"], ["s"], "shape"),
        node("Gather", ["s", "zero"], ["n"], "batch_dim", axis=0),
        node("Unsqueeze", ["n", "axes"], ["n1"], "unsqueeze"),
        node("Constant", [], ["minus_one"], "minus_one",
             value=numpy_helper.from_array(np.array([-1], dtype=np.int64))),
        node("Concat", ["n1", "minus_one"], ["target"], "target", axis=0),
        node("Reshape", ["c", "target"], ["r"], "view"),
        node("Flatten", ["r"], ["f"], "flatten_2d", axis=-1),
        # A pooled [N, C, 1, 1] squeezed to [N, C].
        node("MaxPool", ["c"], ["p"], "pool", kernel_shape=[2, 2]),
        node("Squeeze", ["p", "axes23"], ["q"], "squeeze"),
        node("Gemm", ["q", "g"], ["e"], "expand"),
        node("Add", ["f", "e"], ["y"], "join"),
    ], [value("x", [3, 2, 4, 4])], [value("y", None)],
        [numpy_helper.from_array(np.array(0.25, dtype=np.float32), "ratio"),
         weight("w", 5, 2, 3, 3), ints("zero", 0), ints("axes", [0]),
         ints("axes23", [2, 3]), weight("g", 5, 20)])


def gather_rows():
    """Gathers from an activation x [2, 4, 3, 5] by constant indices: a
    scalar (channel 0, dropping the axis), runs ([3, 1, 2, 2, 0] along
    channels: a strided run back, a repeat), a 2-D index tensor along W
    ([[4, 0, -1, 2, 2]]), joined into one output by Concat after views."""
    return model([
        node("Gather", ["x", "zero"], ["c0"], "channel0", axis=1),
        node("Unsqueeze", ["c0", "axes1"], ["c0u"], "unsqueeze"),
        node("Gather", ["x", "runs"], ["r"], "runs", axis=1),
        node("Gather", ["x", "grid"], ["g"], "grid", axis=3),
        node("Reshape", ["g", "gshape"], ["gv"], "view"),
        node("Concat", ["c0u", "r", "gv"], ["y"], "join", axis=1),
    ], [value("x", [2, 4, 3, 5])], [value("y", None)],
        [ints("zero", 0), ints("axes1", [1]), ints("runs", [3, 1, 2, 2, 0]),
         ints("grid", [[4, 0, -1, 2, 2]]), ints("gshape", [2, 4, 3, 5])])


def expand_tile():
    """Expand of an activation [2, 1, 3] to [4, 3] (broadcast: [2, 4, 3]),
    Tile of that by [1, 1, 2], and an Expand of a constant [6] added to it;
    then the refusals: repeats of the wrong length, a shape that does not
    broadcast, 300 copies."""
    return model([
        node("Relu", ["x"], ["r"], "relu"),
        node("Expand", ["r", "shape"], ["e"], "expand"),
        node("Tile", ["e", "repeats"], ["t"], "tile"),
        node("Expand", ["c", "full"], ["ce"], "expand_constant"),
        node("Add", ["t", "ce"], ["y"], "add"),
    ], [value("x", [2, 1, 3])], [value("y", None)],
        [ints("shape", [4, 3]), ints("repeats", [1, 1, 2]), weight("c", 6),
         ints("full", [2, 4, 6])])


def repeat_bad(op, name, values):
    return model([node(op, ["x", "arg"], ["y"], name)], [value("x", [2, 3])],
                 [value("y", None)], [ints("arg", values)])


def repeat_bad_rank():
    return repeat_bad("Tile", "tile_rank", [2])


def repeat_bad_broadcast():
    return repeat_bad("Expand", "expand_wrong", [4, 2])


def repeat_bad_many():
    return repeat_bad("Tile", "tile_many", [300, 1])


def shape_constants():
    """A Reshape target built with Size and ConstantOfShape, as ONNX's
    expansion of LayerNormalization builds its statistics' shape: x [2, 3, 4]
    viewed as [2, 1, 12] (the batch, ConstantOfShape([1]) of int64 ones, and
    Size / 2); then two float ConstantOfShape tensors (0 by default, and
    0.5) added to it."""
    half = numpy_helper.from_array(np.array([0.5], dtype=np.float32))
    one = numpy_helper.from_array(np.array([1], dtype=np.int64))
    return model([
        node("Shape", ["x"], ["s"], "shape"),
        node("Slice", ["s", "zero1", "one1"], ["batch"], "batch"),
        node("ConstantOfShape", ["one1"], ["ones"], "ones", value=one),
        node("Size", ["x"], ["n"], "size"),
        node("Div", ["n", "two"], ["rest"], "rest"),
        node("Unsqueeze", ["rest", "axes"], ["rest1"], "rest1"),
        node("Concat", ["batch", "ones", "rest1"], ["target"], "target", axis=0),
        node("Reshape", ["x", "target"], ["r"], "view"),
        node("ConstantOfShape", ["bias_shape"], ["zeros"], "zeros"),
        node("ConstantOfShape", ["bias_shape"], ["halves"], "halves", value=half),
        node("Add", ["r", "zeros"], ["z"], "add_zeros"),
        node("Add", ["z", "halves"], ["y"], "add_halves"),
    ], [value("x", [2, 3, 4])], [value("y", None)],
        [ints("zero1", [0]), ints("one1", [1]), ints("two", 2), ints("axes", [0]),
         ints("bias_shape", [1, 1, 12])])


def constant_of_shape_bad(kind):
    shape, attrs = {"negative": ([2, -1], {}),
                    "matrix": ([[1, 2]], {}),
                    "huge": ([1 << 20, 1 << 20], {}),
                    "empty": ([0, 3], {}),
                    "two_values": ([2], {"value": numpy_helper.from_array(
                        np.array([1, 2], dtype=np.float32))})}[kind]
    return model([node("ConstantOfShape", ["shape"], ["c"], "fill", **attrs),
                  node("Add", ["x", "c"], ["y"], "add")],
                 [value("x", [2, 2])], [value("y", None)], [ints("shape", shape)])


def constant_of_shape_negative():
    return constant_of_shape_bad("negative")


def constant_of_shape_matrix():
    return constant_of_shape_bad("matrix")


def constant_of_shape_huge():
    return constant_of_shape_bad("huge")


def constant_of_shape_empty():
    return constant_of_shape_bad("empty")


def constant_of_shape_two_values():
    return constant_of_shape_bad("two_values")


def join():
    """Branches joined by Add and Concat; a bias Add folded into Conv."""
    return model([
        node("Conv", ["x", "w1"], ["c1"], "branch_a"),
        node("Add", ["c1", "bias"], ["a1"], "conv_bias"),
        node("Conv", ["x", "w2", "b2"], ["c2"], "branch_b"),
        node("Add", ["a1", "c2"], ["sum"], "residual"),
        node("Concat", ["sum", "c2", "x"], ["y"], "channels", axis=1),
    ], [value("x", [1, 2, 5, 5])], [value("y", None)],
        [weight("w1", 2, 2, 1, 1), weight("bias", 2, 1, 1), weight("w2", 2, 2, 1, 1),
         weight("b2", 2)])


def padded():
    """Zero Pad nodes folded into the Conv and AveragePool reading them."""
    return model([
        node("Pad", ["x", "pads1"], ["p1"], "pad_conv"),
        node("Conv", ["p1", "w"], ["c"], "conv", pads=[1, 1, 1, 1]),
        node("Pad", ["c", "pads2", "zero"], ["p2"], "pad_pool"),
        node("AveragePool", ["p2"], ["a"], "pool", kernel_shape=[3, 3], strides=[2, 2]),
        node("Pad", ["a", "nopads"], ["y"], "no_pad"),
    ], [value("x", [1, 2, 6, 6])], [value("y", None)],
        [ints("pads1", [0, 0, 1, 2, 0, 0, 1, 0]), weight("w", 3, 2, 3, 3),
         ints("pads2", [0, 0, 1, 1, 0, 0, 1, 1]), ints("nopads", [0] * 8),
         numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero")])


def pad_relu():
    """A Pad read by a layer that cannot take it into its own padding."""
    return model([node("Pad", ["x", "pads"], ["p"], "pad"),
                  node("Relu", ["p"], ["y"], "relu")],
                 [value("x", [1, 2, 6, 6])], [value("y", None)],
                 [ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])])


def norms():
    """LRN, BatchNormalization and Softmax at the opset given by the name."""
    return model([
        node("LRN", ["x"], ["l"], "lrn", size=3, alpha=2e-4, beta=0.5, bias=2.0),
        node("BatchNormalization", ["l", "s", "b", "m", "v"], ["n"], "bn", epsilon=1e-3),
        node("Sigmoid", ["n"], ["g"], "sigmoid"),
        node("Tanh", ["g"], ["t"], "tanh"),
        node("Softmax", ["t"], ["y"], "softmax", axis=1),
    ], [value("x", [1, 4, 3, 3])], [value("y", None)],
        [weight("s", 4), weight("b", 4), weight("m", 4),
         numpy_helper.from_array(np.full(4, 1.5, np.float32), "v")])


def layer_norm():
    """LayerNormalization (opset 17) over the last two axes, its scale [4, 5]
    and its bias [5] broadcast, then over the last axis without a bias."""
    return model([
        node("LayerNormalization", ["x", "scale", "bias"], ["a"], "ln_hw", axis=-2,
             epsilon=1e-3),
        node("LayerNormalization", ["a", "scale_w"], ["y"], "ln_w"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)],
        [weight("scale", 4, 5), weight("bias", 5), weight("scale_w", 5)], opset=17)


def layer_norm_statistics():
    """A LayerNormalization over the last two dimensions whose three outputs
    (Y, Mean, InvStdDev) are the graph's, Mean's first."""
    return model([node("LayerNormalization", ["x", "scale"], ["y", "mean", "inv_std"], "ln",
                       axis=-2)],
                 [value("x", [2, 3, 4])],
                 [value("mean", None), value("y", None), value("inv_std", None)],
                 [weight("scale", 3, 4)], opset=17)


def norms_opset11():
    m = norms()
    m.opset_import[0].version = 11
    return m


def scalar(name, number):
    return numpy_helper.from_array(np.array(number, dtype=np.float32), name)


def clips():
    """LeakyRelu with and without alpha; Clip with only a min, with only a max
    given after an empty min, and with both bounds (ReLU6) on a branch of its
    own, the two summed."""
    return model([
        node("LeakyRelu", ["x"], ["a"], "leaky", alpha=0.25),
        node("Clip", ["a", "low"], ["b"], "clip_min"),
        node("Clip", ["b", "", "high"], ["c"], "clip_max"),
        node("LeakyRelu", ["c"], ["d"], "leaky_default"),
        node("Clip", ["x", "zero", "six"], ["r"], "relu6"),
        node("Add", ["d", "r"], ["y"], "sum"),
    ], [value("x", [2, 3, 4, 4])], [value("y", None)],
        [scalar("zero", 0.0), scalar("six", 6.0), scalar("low", -0.5),
         scalar("high", 2.5)])


def clips_opset6():
    """Clip-6: bounds as attributes, the missing max defaulting to FLT_MAX."""
    return model([node("Clip", ["x"], ["a"], "clip_attrs", min=-1.5, max=0.5),
                  node("Clip", ["a"], ["y"], "clip_min_attr", min=-1.0)],
                 [value("x", [1, 4])], [value("y", None)], opset=6)


def activation_chain():
    """ReLU6, LeakyReLU, Hardtanh and ELU as PyTorch exports them, in a
    chain."""
    return model([
        node("Clip", ["x", "zero", "six"], ["a"], "relu6"),
        node("LeakyRelu", ["a"], ["b"], "leaky", alpha=0.25),
        node("Clip", ["b", "low", "high"], ["c"], "hardtanh"),
        node("Elu", ["c"], ["y"], "elu", alpha=0.5),
    ], [value("x", [1, 2, 3, 3])], [value("y", None)],
        [scalar("zero", 0.0), scalar("six", 6.0), scalar("low", -1.5),
         scalar("high", 0.5)])


def more_activations():
    """Selu (its defaults, then given constants), ThresholdedRelu (its default
    alpha, then a negative one) and Softsign in a chain, plus Softplus and
    Celu (alpha 1.5 and -0.5)."""
    return model([
        node("Selu", ["x"], ["a"], "selu_default"),
        node("Selu", ["a"], ["b"], "selu", alpha=2.0, gamma=0.5),
        node("ThresholdedRelu", ["b"], ["c"], "thresholded_default"),
        node("ThresholdedRelu", ["x"], ["d"], "thresholded", alpha=-0.5),
        node("Softsign", ["d"], ["e"], "softsign"),
        node("Add", ["c", "e"], ["s"], "sum"),
        node("Softplus", ["x"], ["f"], "softplus"),
        node("Add", ["s", "f"], ["t"], "sum_softplus"),
        node("Celu", ["x"], ["g"], "celu", alpha=1.5),
        node("Celu", ["g"], ["h"], "celu_negative", alpha=-0.5),
        node("Add", ["t", "h"], ["y"], "sum_celu"),
    ], [value("x", [2, 3, 4, 4])], [value("y", None)])


def clip_open():
    """A Clip with only a min."""
    return model([node("Clip", ["x", "low"], ["y"], "clip_min")],
                 [value("x", [1, 4])], [value("y", None)], [scalar("low", -0.5)])


def clip_computed_bound():
    """A Clip whose max is computed from the input: not a constant."""
    return model([node("ReduceMax", ["x"], ["m"], "max", keepdims=0),
                  node("Clip", ["x", "zero", "m"], ["y"], "clip_dynamic")],
                 [value("x", [1, 4])], [value("y", None)], [scalar("zero", 0.0)],
                 value_info=[value("m", [])])


def clip_nan_bound():
    """A Clip whose min is NaN."""
    return model([node("Clip", ["x", "nan"], ["y"], "clip_nan")],
                 [value("x", [1, 4])], [value("y", None)],
                 [scalar("nan", float("nan"))])


def gates():
    """MobileNetV3's and EfficientNet's gates: HardSigmoid with its default
    and with PyTorch's constants, HardSwish, SiLU (x * sigmoid(x)), a
    squeeze-and-excitation product (the [N, C, 1, 1] scales on the left, as
    exporters may put them), and products by a scalar and by a per-channel
    constant of lower rank."""
    return model([
        node("HardSwish", ["x"], ["a"], "hswish"),
        node("HardSigmoid", ["x"], ["g"], "hsig_default"),
        node("Mul", ["a", "g"], ["b"], "gate"),
        node("Sigmoid", ["b"], ["s"], "sig"),
        node("Mul", ["b", "s"], ["c"], "silu"),
        node("GlobalAveragePool", ["c"], ["p"], "squeeze"),
        node("HardSigmoid", ["p"], ["e"], "excite", alpha=1.0 / 6, beta=0.5),
        node("Mul", ["e", "c"], ["d"], "scale"),
        node("Mul", ["d", "half"], ["f"], "by_scalar"),
        node("Mul", ["per_channel", "f"], ["y"], "by_channel"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)],
        [scalar("half", 0.5),
         numpy_helper.from_array(np.array([-1.5, 0.5, 2.0], np.float32)
                                 .reshape(3, 1, 1), "per_channel")],
        opset=14)


def hard_chain():
    """HardSwish, then HardSigmoid as PyTorch exports nn.Hardsigmoid (alpha
    1/6)."""
    return model([node("HardSwish", ["x"], ["a"], "hswish"),
                  node("HardSigmoid", ["a"], ["y"], "hsig", alpha=1.0 / 6, beta=0.5)],
                 [value("x", [1, 2, 3, 3])], [value("y", None)], opset=14)


def hard_sigmoid_default():
    """HardSigmoid with ONNX's default alpha 0.2 (nn.Hardsigmoid's is 1/6)."""
    return model([node("HardSigmoid", ["x"], ["y"], "hsig_default")],
                 [value("x", [1, 2, 3, 3])], [value("y", None)])


def celu_zero():
    """A Celu whose alpha is 0: it divides x."""
    return model([node("Celu", ["x"], ["y"], "celu_zero", alpha=0.0)],
                 [value("x", [1, 4])], [value("y", None)])


def hard_sigmoid_nan():
    """HardSigmoid whose alpha is NaN."""
    return model([node("HardSigmoid", ["x"], ["y"], "hsig_nan", alpha=float("nan"))],
                 [value("x", [1, 2, 3, 3])], [value("y", None)])


def mul_int_constant():
    """A float32 activation times an int64 constant."""
    return model([node("Mul", ["x", "three"], ["y"], "by_int")],
                 [value("x", [1, 2, 3, 3])], [value("y", None)], [ints("three", [3])])


def mul_constant_left():
    """A constant of the activation's shape on the left of a Mul."""
    return model([node("Mul", ["c", "x"], ["y"], "scaled")],
                 [value("x", [1, 2, 3, 3])], [value("y", None)], [weight("c", 1, 2, 3, 3)])


def prelu():
    """PRelu with one slope per channel ([C, 1, 1], as PyTorch exports
    nn.PReLU(C)), then with one slope for all ([1])."""
    return model([
        node("PRelu", ["x", "per_channel"], ["a"], "prelu_channels"),
        node("PRelu", ["a", "shared"], ["y"], "prelu_shared"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)],
        [numpy_helper.from_array(np.array([0.25, -0.5, 2.0], np.float32)
                                 .reshape(3, 1, 1), "per_channel"),
         numpy_helper.from_array(np.array([0.125], np.float32), "shared")])


def prelu_legacy():
    """PRelu-6, whose 1-D slope holds one value per channel."""
    return model([node("PRelu", ["x", "slope"], ["y"], "prelu_legacy")],
                 [value("x", [1, 3, 2, 2])], [value("y", None)],
                 [numpy_helper.from_array(np.array([0.5, 1.5, -1.0], np.float32),
                                          "slope")], opset=6)


def prelu_bad_slope():
    """A slope that does not broadcast to the input (4 against 5 columns)."""
    return model([node("PRelu", ["x", "slope"], ["y"], "prelu_bad")],
                 [value("x", [1, 3, 4, 5])], [value("y", None)],
                 [numpy_helper.from_array(np.ones(4, np.float32), "slope")])


def mul_both_broadcast():
    """A product whose operands both broadcast: [1, 3, 1, 1] x [1, 1, 3, 1]."""
    return model([node("GlobalAveragePool", ["x"], ["p"], "pool"),
                  node("Transpose", ["p"], ["t"], "swap", perm=[0, 2, 1, 3]),
                  node("Mul", ["p", "t"], ["y"], "outer")],
                 [value("x", [1, 3, 4, 5])], [value("y", None)])


def arithmetic():
    """Sub, Div, Abs and Neg in every placement (Inputs/check_arithmetic.py
    computes the same in float64): a per-channel mean subtracted after a
    bias-free Conv (its bias), a per-channel Div, computed / computed of one
    shape, a scalar divided by a computed tensor, computed - computed, a
    division by a broadcast [N, C, 1, 1] average, a broadcast minuend, a
    scalar minuend, and a negation."""
    def channels(name, values):
        return numpy_helper.from_array(
            np.array(values, np.float32).reshape(3, 1, 1), name)
    return model([
        node("Conv", ["x", "w"], ["c"], "conv"),
        node("Sub", ["c", "mean"], ["a"], "centre"),
        node("Div", ["a", "std"], ["b"], "scale"),
        node("Abs", ["b"], ["m"], "magnitude"),
        node("Add", ["m", "one"], ["d"], "plus_one"),
        node("Div", ["b", "d"], ["e"], "soft"),
        node("Div", ["two", "d"], ["f"], "reciprocal"),
        node("Sub", ["e", "f"], ["g"], "difference"),
        node("GlobalAveragePool", ["d"], ["p"], "average"),
        node("Div", ["g", "p"], ["h"], "by_average"),
        node("Sub", ["p", "h"], ["i"], "from_average"),
        node("Sub", ["half", "i"], ["j"], "from_half"),
        node("Neg", ["j"], ["y"], "negate"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)],
        [weight("w", 3, 3, 1, 1), channels("mean", [0.5, -1.0, 2.0]),
         channels("std", [2.0, 0.25, -1.5]), scalar("one", 1.0),
         scalar("two", 2.0), scalar("half", 0.5)])


def math():
    """Exp, Log, Sqrt and Reciprocal over Abs(x) + 1 (positive, so that every
    one is finite)."""
    return model([
        node("Abs", ["x"], ["a"], "magnitude"),
        node("Add", ["a", "one"], ["b"], "plus_one"),
        node("Log", ["b"], ["c"], "log"),
        node("Exp", ["c"], ["d"], "exp"),
        node("Sqrt", ["d"], ["e"], "sqrt"),
        node("Reciprocal", ["e"], ["f"], "reciprocal"),
        node("Add", ["f", "c"], ["y"], "sum"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)], [scalar("one", 1.0)])


def powers():
    """Pow by each exponent Kiln computes (an int64 one among them), and Erf:
    the powers below 1 and the negative ones of Exp(x) > 0, the others of x;
    the sum of all."""
    exponents = [("p2", 2.0, "x"), ("p3", 3, "x"), ("p4", 4.0, "x"), ("p1", 1.0, "x"),
                 ("h", 0.5, "e"), ("rh", -0.5, "e"), ("r1", -1.0, "e"), ("r2", -2.0, "e")]
    nodes = [node("Exp", ["x"], ["e"], "exp")]
    inits = []
    for name, power, base in exponents:
        nodes.append(node("Pow", [base, name + "_c"], [name], "pow_" + name))
        inits.append(ints(name + "_c", power) if isinstance(power, int)
                     else scalar(name + "_c", power))
    nodes.append(node("Erf", ["x"], ["erf"], "erf"))
    total = "erf"
    for name, _, _ in exponents:
        nodes.append(node("Add", [total, name], [total + "+" + name], "add_" + name))
        total += "+" + name
    return model(nodes, [value("x", [2, 3, 4, 5])], [value(total, None)], inits)


def sum_mean():
    """Sum of two computed tensors and two constants (one broadcast per
    channel, one of the result's shape), then the Mean of it, x and a
    constant."""
    return model([
        node("Relu", ["x"], ["r"], "relu"),
        node("Sum", ["x", "c1", "r", "c2"], ["s"], "sum"),
        node("Mean", ["s", "x", "c3"], ["y"], "mean"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)],
        [weight("c1", 3, 1, 1), weight("c2", 2, 3, 4, 5), weight("c3", 5)])


def max_min():
    """Max of three computed tensors and a constant broadcast per channel;
    Min of that, x and two constants (one of the result's shape, one a
    scalar), so that NaN-free extremes of every kind of operand meet."""
    return model([
        node("Relu", ["x"], ["r"], "relu"),
        node("Sigmoid", ["x"], ["g"], "sigmoid"),
        node("Max", ["r", "c1", "g", "x"], ["m"], "max"),
        node("Min", ["c2", "m", "x", "c3"], ["y"], "min"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)],
        [weight("c1", 3, 1, 1), weight("c2", 2, 3, 4, 5), scalar("c3", 0.25)])


def lower_rank_operands():
    """Computed right operands of a lower rank than the left: a Mul of
    x [2, 3, 4] by its mean over the first two dimensions ([4]), and a PRelu
    whose slope is that mean."""
    return model([
        node("ReduceMean", ["x"], ["m"], "mean", axes=[0, 1], keepdims=0),
        node("Mul", ["x", "m"], ["a"], "scale"),
        node("PRelu", ["x", "m"], ["b"], "prelu"),
        node("Add", ["a", "b"], ["y"], "sum"),
    ], [value("x", [2, 3, 4])], [value("y", None)])


def pow_general():
    """Pow by 2.5, by a float exponent per column, by an int64 one per row and
    by a computed exponent (outputs a, b, c, d)."""
    return model([node("Pow", ["x", "p"], ["a"], "pow_2_5"),
                  node("Pow", ["x", "v"], ["b"], "pow_columns"),
                  node("Pow", ["x", "n"], ["c"], "pow_rows"),
                  node("Abs", ["x"], ["m"], "abs"),
                  node("Sigmoid", ["x"], ["s"], "sigmoid"),
                  node("Pow", ["m", "s"], ["d"], "pow_computed")],
                 [value("x", [2, 3, 4])],
                 [value("a", None), value("b", None), value("c", None), value("d", None)],
                 [scalar("p", 2.5), floats("v", [3, -1, 0.5, 0]),
                  numpy_helper.from_array(np.array([[3], [-2], [5]], np.int64), "n")])


def pow_unsupported():
    """Pow of a base that broadcasts, by an int64 exponent past 2^24, and of
    a constant base."""
    return model([node("Pow", ["x", "e"], ["a"], "pow_spread"),
                  node("Pow", ["x", "big"], ["b"], "pow_big"),
                  node("Pow", ["two", "x"], ["c"], "pow_of_two"),
                  node("Sum", ["a", "b", "c"], ["y"], "sum")],
                 [value("x", [1, 3])], [value("y", None)],
                 [weight("e", 2, 3), ints("big", [16777217]), scalar("two", 2.0)])


def div_int_constant():
    """A float32 activation divided by an int64 constant."""
    return model([node("Div", ["x", "three"], ["y"], "by_int")],
                 [value("x", [1, 2, 3, 3])], [value("y", None)], [ints("three", [3])])


def div_int_by_zero():
    """Shape arithmetic that divides by zero: an int64 constant's Div."""
    return model([node("Div", ["six", "zero"], ["q"], "by_zero"),
                  node("Reshape", ["x", "q"], ["y"], "reshape")],
                 [value("x", [1, 6])], [value("y", None)],
                 [ints("six", [1, 6]), ints("zero", [1, 0])])


def div_dividend_broadcast():
    """A computed [1, 3, 1, 1] dividend broadcast over a [1, 3, 4, 5]
    divisor."""
    return model([node("GlobalAveragePool", ["x"], ["p"], "pool"),
                  node("Div", ["p", "x"], ["y"], "spread")],
                 [value("x", [1, 3, 4, 5])], [value("y", None)])


def sub_both_broadcast():
    """A difference whose operands both broadcast: [1, 3, 1, 1] - [1, 1, 3,
    1]."""
    return model([node("GlobalAveragePool", ["x"], ["p"], "pool"),
                  node("Transpose", ["p"], ["t"], "swap", perm=[0, 2, 1, 3]),
                  node("Sub", ["p", "t"], ["y"], "outer")],
                 [value("x", [1, 3, 4, 5])], [value("y", None)])


def reductions():
    """A squeeze-and-excitation block written with ReduceMean over the
    spatial axes (keepdims), its scales multiplying the input, then ReduceMax
    over them (negative axes, without keepdims): the global pools, the
    last flattened to [N, C]."""
    return model([
        node("ReduceMean", ["x"], ["m"], "squeeze", axes=[2, 3]),
        node("Sigmoid", ["m"], ["g"], "gate"),
        node("Mul", ["x", "g"], ["s"], "excite"),
        node("ReduceMax", ["s"], ["y"], "peak", axes=[-1, -2], keepdims=0),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)])


def reduce_prod():
    """ReduceProd of a sigmoid (values in (0, 1), so that the products stay
    normal) over the channels (keepdims) and over the last axis (without)."""
    return model([
        node("Sigmoid", ["x"], ["s"], "gate"),
        node("ReduceProd", ["s"], ["p"], "channels", axes=[1]),
        node("Mul", ["s", "p"], ["t"], "scale"),
        node("ReduceProd", ["t"], ["y"], "rows", axes=[-1], keepdims=0),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)], opset=13)


def cbam():
    """CBAM's spatial attention: the channels' mean and maximum (ReduceMean
    and ReduceMax over axis 1, keepdims), concatenated, a 7x7 convolution, a
    Sigmoid gate scaling the input; then ReduceSum over the last axis and
    ReduceSumSquare over axes 1 and 2 (without keepdims: [N, C, H, 1] ->
    [N, H])."""
    return model([
        node("ReduceMean", ["x"], ["avg"], "channel_mean", axes=[1]),
        node("ReduceMax", ["x"], ["peak"], "channel_max", axes=[1]),
        node("Concat", ["avg", "peak"], ["both"], "both", axis=1),
        node("Conv", ["both", "w"], ["a"], "attention", pads=[3, 3, 3, 3]),
        node("Sigmoid", ["a"], ["g"], "gate"),
        node("Mul", ["x", "g"], ["s"], "scale"),
        node("ReduceSum", ["s", "last"], ["r"], "row_sums"),
        node("ReduceSumSquare", ["r"], ["y"], "energy", axes=[1, 3], keepdims=0),
    ], [value("x", [2, 3, 6, 5])], [value("y", None)],
        [weight("w", 1, 2, 7, 7), ints("last", [-1])])


def more_reductions():
    """ReduceMin, ReduceL1, ReduceL2, ReduceLogSumExp (of 40 x: past float's
    exp) and ReduceLogSum over assorted axes, broadcast back over x by Sub
    and Mul."""
    return model([
        node("ReduceMin", ["x"], ["a"], "min", axes=[1]),
        node("ReduceL1", ["x"], ["b"], "l1", axes=[3]),
        node("ReduceL2", ["x"], ["c"], "l2", axes=[2]),
        node("Mul", ["x", "forty"], ["x40"], "scale"),
        node("ReduceLogSumExp", ["x40"], ["d"], "lse", axes=[1]),
        node("ReduceLogSum", ["b"], ["e"], "log_sum", axes=[2]),
        node("Sub", ["x", "a"], ["y1"], "less_min"),
        node("Mul", ["y1", "c"], ["y2"], "times_l2"),
        node("Sub", ["y2", "b"], ["y3"], "less_l1"),
        node("Sub", ["y3", "d"], ["y4"], "less_lse"),
        node("Sub", ["y4", "e"], ["y"], "less_log_sum"),
    ], [value("x", [2, 3, 4, 5])], [value("y", None)], [scalar("forty", 40.0)])


def reduce_channels_dropped():
    """ReduceMean over the channels without keepdims: [2, 3, 4, 5] ->
    [2, 4, 5], a general reshape of the kept [2, 1, 4, 5]."""
    return model([node("ReduceMean", ["x"], ["y"], "channel_mean", axes=[1],
                       keepdims=0)],
                 [value("x", [2, 3, 4, 5])], [value("y", None)])


def slices():
    """Split, Slice and Reshape of activations as ShuffleNet and YOLO use
    them, and a Slice of a constant (the input's shape): x [2, 6, 8, 8] is
    split into 4 and 2 channels; the 2 sliced every other channel from 1 and
    every third column from -7 (to an end past the last); the 4 shuffled in
    2 groups (Reshape to 5-D, Transpose, Reshape back), then sliced to 3
    columns;
    both concatenated, split into equal halves of rows (no sizes given),
    summed, then flattened with a Reshape whose target starts with a Slice
    of Shape(x). See check_slices.py."""
    return model([
        node("Split", ["x", "parts"], ["a", "b"], "split_channels", axis=1),
        node("Slice", ["b", "b_starts", "b_ends", "b_axes", "b_steps"], ["bs"], "slice_b"),
        node("Reshape", ["a", "to5d"], ["a5"], "view_groups"),
        node("Transpose", ["a5"], ["t5"], "swap_groups", perm=[0, 2, 1, 3, 4]),
        node("Reshape", ["t5", "to4d"], ["shuffled"], "view_back"),
        node("Slice", ["shuffled", "a_starts", "a_ends", "a_axes"], ["as"], "slice_a"),
        node("Concat", ["as", "bs"], ["c"], "join", axis=1),
        node("Split", ["c"], ["top", "bottom"], "split_rows", axis=2),
        node("Add", ["top", "bottom"], ["s"], "sum_halves"),
        node("Shape", ["x"], ["shape"], "shape"),
        node("Slice", ["shape", "zero", "one"], ["batch"], "batch_of_shape"),
        node("Concat", ["batch", "minus_one"], ["target"], "target", axis=0),
        node("Reshape", ["s", "target"], ["y"], "flatten"),
    ], [value("x", [2, 6, 8, 8])], [value("y", None)],
        [ints("parts", [4, 2]), ints("b_starts", [1, -7]), ints("b_ends", [100, 2 ** 62]),
         ints("b_axes", [1, -1]), ints("b_steps", [2, 3]), ints("to5d", [2, 2, 2, 8, 8]),
         ints("to4d", [0, 4, 8, 8]), ints("a_starts", [0]), ints("a_ends", [3]),
         ints("a_axes", [3]), ints("zero", [0]), ints("one", [1]), ints("minus_one", [-1])])


def slices_opset9():
    """Slice and Split with their attributes (before opsets 10 and 13):
    x [2, 6, 8, 8] split into channels 1 and 5; the 5 sliced to channels 1-3
    and rows and columns 2-5, the 1 likewise with no axes given (all four
    dimensions, the column's end counted from the last), then
    concatenated."""
    return model([
        node("Split", ["x"], ["a", "b"], "split", axis=1, split=[1, 5]),
        node("Slice", ["b"], ["bs"], "slice_b", starts=[1, 2, 2], ends=[4, 6, 6],
             axes=[1, 2, 3]),
        node("Slice", ["a"], ["as"], "slice_a", starts=[0, 0, 2, 2], ends=[2, 1, 6, -2]),
        node("Concat", ["as", "bs"], ["y"], "join", axis=1),
    ], [value("x", [2, 6, 8, 8])], [value("y", None)], opset=9)


def slice_reverse():
    """A Slice that reads an activation backwards: x[:, ::-1, 6:0:-2, 1:4]
    (torch.flip exports the same way), a forward window in W beside it."""
    return model([node("Slice", ["x", "s", "e", "a", "st"], ["y"], "flip")],
                 [value("x", [2, 4, 8, 6])], [value("y", None)],
                 [ints("s", [-1, 6, 1]), ints("e", [-(2 ** 63), 0, 4]),
                  ints("a", [1, 2, 3]), ints("st", [-1, -2, 1])])


def slice_zero_step():
    """A Slice whose step is 0."""
    return model([node("Slice", ["x", "s", "e", "a", "st"], ["y"], "stuck")],
                 [value("x", [1, 4, 2, 2])], [value("y", None)],
                 [ints("s", [0]), ints("e", [2]), ints("a", [1]), ints("st", [0])])


def slice_empty():
    """A Slice of an activation whose start is past its end."""
    return model([node("Slice", ["x", "s", "e", "a"], ["y"], "nothing")],
                 [value("x", [1, 4, 2, 2])], [value("y", None)],
                 [ints("s", [3]), ints("e", [1]), ints("a", [1])])


def split_bad_sizes():
    """A Split whose sizes add up to less than the dimension."""
    return model([node("Split", ["x", "parts"], ["a", "b"], "split", axis=1),
                  node("Add", ["a", "b"], ["y"], "sum")],
                 [value("x", [1, 4, 2, 2])], [value("y", None)], [ints("parts", [1, 2])])


def split_uneven():
    """A Split into 3 equal parts of 4 channels (no sizes given)."""
    return model([node("Split", ["x"], ["a", "b", "c"], "split", axis=1),
                  node("Add", ["a", "b"], ["y"], "sum")],
                 [value("x", [1, 4, 2, 2])], [value("y", None)])


def chain():
    """A chain of layers named like a PyTorch state_dict, for --emit=spec."""
    def named(prefix, *shapes_and_suffixes):
        return [weight(f"{prefix}.{suffix}", *shape) for suffix, shape in shapes_and_suffixes]
    bn = [numpy_helper.from_array((RNG.random(4) + 0.5).astype(np.float32), f"bn.{s}")
          for s in ("weight", "bias", "running_mean", "running_var")]
    return model([
        node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c"], "conv1", pads=[1, 1, 1, 1],
             strides=[2, 2], kernel_shape=[3, 3]),
        node("Relu", ["c"], ["r"], "relu"),
        node("MaxPool", ["r"], ["p"], "pool", kernel_shape=[2, 2], strides=[2, 2]),
        node("BatchNormalization", ["p", "bn.weight", "bn.bias", "bn.running_mean",
                                    "bn.running_var"], ["n"], "bn", epsilon=1e-3),
        node("AveragePool", ["n"], ["a"], "avg", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
             ceil_mode=1),
        node("Flatten", ["a"], ["f"], "flatten"),
        node("Gemm", ["f", "classifier.1.weight", "classifier.1.bias"], ["g"], "fc",
             transB=1),
        node("Softmax", ["g"], ["y"], "softmax", axis=1),
    ], [value("x", [1, 3, 8, 8])], [value("y", None)],
        named("conv1", ("weight", (4, 3, 3, 3)), ("bias", (4,))) + bn +
        named("classifier.1", ("weight", (5, 16)), ("bias", (5,))))


def unsupported():
    """Several nodes Kiln cannot express, in several ways."""
    return model([
        node("Relu", ["x"], ["r"], "relu"),
        node("Pad", ["r", "pads"], ["p"], "pad", mode="reflect"),
        node("Sin", ["p"], ["l"], ""),
        node("MaxPool", ["x"], ["m"], "wide_pad_pool", kernel_shape=[2, 2],
             pads=[0, 0, 3, 3]),
        node("Conv", ["m", "w"], ["c"], "conv"),
        helper.make_node("MyOp", ["c"], ["o"], name="custom", domain="com.example"),
        node("Add", ["l", "o"], ["s"], "join"),
        node("Dropout", ["s", "ratio", "training"], ["y"], "train_dropout"),
    ], [value("x", [1, 2, 8, 8])], [value("y", [1, 2, 10, 10])],
        [ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), weight("w", 2, 2, 1, 1),
         numpy_helper.from_array(np.array(0.5, dtype=np.float32), "ratio"),
         numpy_helper.from_array(np.array(True), "training")],
        # Declared shapes let the import check past unsupported nodes.
        value_info=[value("l", [1, 2, 10, 10]), value("m", [1, 2, 10, 10]),
                    value("o", [1, 2, 10, 10])])


def axes():
    """ONNX forms beyond PyTorch's layers: a dilated MaxPool, (Log)Softmax on
    other axes, Flatten at another axis."""
    return model([
        node("MaxPool", ["x"], ["p"], "dilated", kernel_shape=[2, 2],
             dilations=[2, 3], strides=[1, 1]),
        node("LogSoftmax", ["p"], ["l"], "log_softmax", axis=2),
        node("Softmax", ["l"], ["s"], "softmax_batch", axis=0),
        node("Flatten", ["s"], ["y"], "flatten_at_2", axis=2),
    ], [value("x", [2, 3, 8, 8])], [value("y", None)])


def axes_opset11():
    """Softmax before opset 13: dimensions 1 to 3 normalised together."""
    return model([node("Softmax", ["x"], ["y"], "softmax", axis=1)],
                 [value("x", [2, 3, 4, 1])], [value("y", None)], opset=11)


def lrn_even():
    """LRN with an even size, whose window ONNX centres one channel later than
    PyTorch."""
    return model([node("LRN", ["x"], ["y"], "lrn", size=4, alpha=0.5, beta=0.75,
                       bias=1.5)],
                 [value("x", [2, 7, 3, 3])], [value("y", None)])


def missing_initializer():
    return model([node("Conv", ["x", "w"], ["y"], "conv")],
                 [value("x", [1, 1, 4, 4])], [value("y", None)])


def int64_input():
    return model([node("Relu", ["x"], ["y"], "relu")],
                 [value("x", [1, 4], TensorProto.INT64)], [value("y", None)])


def double_weight():
    return model([node("Conv", ["x", "w"], ["y"], "conv")],
                 [value("x", [1, 1, 4, 4])], [value("y", None)],
                 [weight("w", 1, 1, 3, 3, dtype=np.float64)])


def short_weight():
    """An initializer whose data is shorter than its dims say."""
    w = weight("w", 1, 1, 3, 3)
    w.raw_data = w.raw_data[:20]
    return model([node("Conv", ["x", "w"], ["y"], "conv")],
                 [value("x", [1, 1, 4, 4])], [value("y", None)], [w])


def wrong_channels():
    """A weight whose input channels contradict the activation's."""
    return model([node("Conv", ["x", "w"], ["y"], "conv")],
                 [value("x", [1, 3, 4, 4])], [value("y", None)],
                 [weight("w", 2, 2, 3, 3)])


def wrong_declared_shape():
    """value_info contradicting the shape the graph computes."""
    return model([node("Relu", ["x"], ["r"], "relu"),
                  node("MaxPool", ["r"], ["y"], "pool", kernel_shape=[2, 2],
                       strides=[2, 2])],
                 [value("x", [1, 1, 4, 4])], [value("y", [1, 1, 3, 3])])


def two_inputs():
    return model([node("Add", ["x", "z"], ["y"], "add")],
                 [value("x", [1, 4]), value("z", [1, 4])], [value("y", None)])


def no_inputs():
    """Every graph input is an initializer."""
    return model([node("Relu", ["w"], ["y"], "relu")], [value("w", [1, 4])],
                 [value("y", None)], [weight("w", 1, 4)])


def symbolic_dim():
    return model([node("Relu", ["x"], ["y"], "relu")],
                 [value("x", ["batch", 3, "height", 4])], [value("y", None)])


def dynamic_batch():
    return model([node("Flatten", ["x"], ["f"], "flatten"),
                  node("Gemm", ["f", "w"], ["y"], "fc", transB=1)],
                 [value("x", ["batch", 2, 2, 2])], [value("y", ["batch", 3])],
                 [weight("w", 3, 8)])


def dynamic_batch_unsupported():
    """A symbolic batch and a node Kiln cannot express."""
    return model([node("Sin", ["x"], ["y"], "sin")],
                 [value("x", ["batch", 2, 2, 2])], [value("y", ["batch", 2, 2, 2])])


def fixed_batch():
    """A Reshape whose target hard-codes the batch size it was exported at."""
    return model([node("Reshape", ["x", "target"], ["f"], "view"),
                  node("Gemm", ["f", "w"], ["y"], "fc", transB=1)],
                 [value("x", [1, 2, 2, 2])], [value("y", [1, 3])],
                 [ints("target", [1, 8]), weight("w", 3, 8)])


def opset_too_new():
    return model([node("Relu", ["x"], ["y"], "relu")],
                 [value("x", [1, 4])], [value("y", None)], opset=99)


def external_data():
    """Weights in a file beside the model (written next to OUT)."""
    return model([node("Gemm", ["x", "w", "b"], ["y"], "fc", transB=1)],
                 [value("x", [1, 4])], [value("y", None)],
                 [weight("w", 3, 4), weight("b", 3)])


def external_escape():
    """External data that would be read from outside the model's folder."""
    m = external_data()
    w = m.graph.initializer[0]
    w.data_location = TensorProto.EXTERNAL
    w.ClearField("raw_data")
    entry = w.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    return m


def external_entries(**entries):
    """The Gemm model with its weight 'w' external, described by `entries`."""
    m = external_data()
    w = m.graph.initializer[0]
    w.data_location = TensorProto.EXTERNAL
    w.ClearField("raw_data")
    w.ClearField("float_data")
    for key, value in entries.items():
        entry = w.external_data.add()
        entry.key, entry.value = key, str(value)
    return m


def external_past_end():
    """External data whose offset + length runs past the end of the file
    (the test writes a 40-byte 'data.bin' beside the model)."""
    return external_entries(location="data.bin", offset=16, length=48)


def external_offset_past_end():
    return external_entries(location="data.bin", offset=4096)


def external_absolute():
    return external_entries(location="/tmp/data.bin")


def external_link():
    """External data through a symbolic link that the test points outside the
    model's folder."""
    return external_entries(location="link.bin")


def gemm_mismatch():
    """A Gemm whose weight's inner dimension contradicts its input."""
    return model([node("Gemm", ["x", "w"], ["y"], "fc", transB=1)],
                 [value("x", [1, 4])], [value("y", None)], [weight("w", 3, 5)])


def bias_mismatch():
    """A Conv bias with one value too many."""
    return model([node("Conv", ["x", "w", "b"], ["y"], "conv")],
                 [value("x", [1, 3, 4, 4])], [value("y", None)],
                 [weight("w", 2, 3, 3, 3), weight("b", 3)])


def bad_dims():
    """An initializer with a negative dimension."""
    m = gemm_mismatch()
    m.graph.initializer[0].dims[0] = -3
    return m


def unsorted():
    """Nodes out of topological order."""
    return model([node("Relu", ["r"], ["y"], "second"),
                  node("Relu", ["x"], ["r"], "first")],
                 [value("x", [1, 4])], [value("y", None)])


def rank9():
    """A 9-D tensor in and out: the importer takes it, the runtime cannot."""
    return model([node("Relu", ["x"], ["y"], "relu")],
                 [value("x", [1] * 9)], [value("y", None)])


def unnamed_bad_group():
    """An unnamed Conv (node #1) whose group does not divide its channels."""
    return model([helper.make_node("Relu", ["x"], ["r"]),
                  helper.make_node("Conv", ["r", "w"], ["y"], group=2)],
                 [value("x", [1, 3, 4, 4])], [value("y", None)],
                 [weight("w", 4, 1, 3, 3)])


def conv_one_input():
    """A Conv given only its data input: its weight is required."""
    return model([node("Conv", ["x"], ["y"], "conv")],
                 [value("x", [1, 1, 4, 4])], [value("y", None)])


def conv_empty_weight():
    """A Conv whose required weight input is named '' (absent)."""
    return model([node("Conv", ["x", ""], ["y"], "conv")],
                 [value("x", [1, 1, 4, 4])], [value("y", None)])


def constant_no_output():
    """A Constant node with no output (found by the ONNX fuzzer)."""
    m = model([node("Relu", ["x"], ["y"], "relu")],
              [value("x", [1, 4])], [value("y", None)])
    const = m.graph.node.add()
    const.CopyFrom(helper.make_node(
        "Constant", [], [], "c",
        value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])))
    return m


def pad_overflow():
    """A Pad whose two pads of one dimension overflow int64 together (found
    by the ONNX fuzzer)."""
    big = 2 ** 62
    return model([node("Pad", ["x", "pads"], ["p"], "pad"),
                  node("Conv", ["p", "w"], ["y"], "conv")],
                 [value("x", [1, 1, 4, 4])], [value("y", None)],
                 [ints("pads", [0, 0, big, 0, 0, 0, big, 0]), weight("w", 1, 1, 1, 1)])


def pad_conv_overflow():
    """A Pad folded into a Conv whose own pads overflow int64 with it."""
    return model([node("Pad", ["x", "pads"], ["p"], "pad"),
                  node("Conv", ["p", "w"], ["y"], "conv",
                       pads=[2 ** 63 - 1, 0, 0, 0])],
                 [value("x", [1, 1, 4, 4])], [value("y", None)],
                 [ints("pads", [0, 0, 1, 0, 0, 0, 0, 0]), weight("w", 1, 1, 1, 1)])


def several_outputs():
    """Four graph outputs: the halves of a Split (one through a Sigmoid), the
    per-channel means of the input and the input itself, in an order that
    is not the order the nodes compute them."""
    return model([node("Relu", ["x"], ["r"], "relu"),
                  node("Split", ["r"], ["a", "b"], "split", axis=1, split=[1, 2]),
                  node("ReduceMean", ["x"], ["m"], "mean", axes=[2, 3], keepdims=1),
                  node("Sigmoid", ["b"], ["s"], "sigmoid")],
                 [value("x", [2, 3, 4, 5])],
                 [value("s", None), value("m", None), value("a", None), value("x", None)],
                 opset=12)


def several_inputs():
    """Three graph inputs: an image and a per-channel offset that share the
    symbolic batch, and a scale without one: y = (mean(relu(x)) + z) * s,
    and the image's channel sums as a second output."""
    return model([node("Relu", ["x"], ["r"], "relu"),
                  node("ReduceMean", ["r"], ["m"], "mean", axes=[2, 3], keepdims=0),
                  node("Add", ["m", "z"], ["t"], "offset"),
                  node("Mul", ["t", "s"], ["y"], "scale"),
                  node("ReduceSum", ["x"], ["c"], "sum", axes=[2, 3], keepdims=0)],
                 [value("x", ["N", 3, 4, 5]), value("z", ["N", 3]), value("s", [3])],
                 [value("y", None), value("c", None)], opset=12)


def scalar_input():
    """An image and a scalar temperature: y = softmax(x / t)."""
    return model([node("Div", ["x", "t"], ["d"], "temperature"),
                  node("Softmax", ["d"], ["y"], "softmax", axis=1)],
                 [value("x", ["N", 4]), value("t", [])], [value("y", None)])


def broadcast_add():
    """Adds computed tensors that broadcast, from three inputs: a per-channel
    shift on the left of the image, then a per-column bias of lower rank on
    the right: y = (shift + x) + bias."""
    return model([node("Add", ["shift", "x"], ["s"], "shift"),
                  node("Add", ["s", "bias"], ["y"], "bias")],
                 [value("x", ["N", 3, 4, 5]), value("shift", ["N", 3, 1, 1]),
                  value("bias", [5])], [value("y", None)])


def crop_and_resize():
    """Resize's tf_crop_and_resize, twice: by scales over a crop that reaches
    past the input's bottom and right (cells there take extrapolation_value
    2.5), and by sizes with nearest sampling over an inner crop."""
    return model([
        node("Resize", ["x", "roi", "scales"], ["a"], "crop_linear", mode="linear",
             coordinate_transformation_mode="tf_crop_and_resize",
             extrapolation_value=2.5),
        node("Resize", ["x", "inner", "", "sizes"], ["b"], "crop_nearest",
             mode="nearest", coordinate_transformation_mode="tf_crop_and_resize"),
    ], [value("x", [1, 2, 5, 6])], [value("a", None), value("b", None)],
        [floats("roi", [0, 0, 0.5, 0.25, 1, 1, 1.5, 1.25]),
         floats("scales", [1, 1, 1.6, 2]), floats("inner", [0, 0, 0.2, 0.1, 1, 1, 0.8, 0.7]),
         ints("sizes", [1, 2, 3, 4])], opset=13)


def negate():
    """y = -x over [2, 8]: an output whose values the input sets exactly."""
    return model([node("Neg", ["x"], ["y"], "neg")], [value("x", [2, 8])],
                 [value("y", None)])


def output_integer():
    """A second graph output of int64 (Shape's)."""
    return model([node("Relu", ["x"], ["y"], "relu"), node("Shape", ["x"], ["shape"], "shape")],
                 [value("x", [2, 3])],
                 [value("y", None), value("shape", None, TensorProto.INT64)])


def main():
    name, out = sys.argv[1], sys.argv[2]
    build = globals()[name.replace("-", "_")]
    m = build()
    if name == "external-data":
        onnx.save_model(m, out, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(out) + ".data", size_threshold=0)
    else:
        onnx.save(m, out)


if __name__ == "__main__":
    main()
