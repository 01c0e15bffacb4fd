#!/usr/bin/env python3
"""End-to-end check of the ONNX frontend against PyTorch.

Builds a model (a .nn spec through tools/nnref, or one of the networks below
that no spec can describe), draws seeded weights and input, exports it with
torch.onnx.export, compiles the .onnx file with kilnc, runs the executable
and fails if its output differs from PyTorch's by more than the tolerance
(relative L2). Weights keep the signal alive through depth: He's
initialisation for specs, a data-dependent one for the networks (nnref's
zoo.initialise). Another input must move PyTorch's output by at least 100
times the tolerance, since a check of an output that hardly depends on the
input could not see a wrong layer: a draw of weights that falls short is
replaced by a fresh one before anything is exported. The seeds are printed
so that a failure can be replayed with --seed.

  check_export.py examples/lenet5.nn --workdir /tmp/w --kilnc build/bin/kilnc
  check_export.py --builtin residual --workdir /tmp/w --external-data
  check_export.py examples/vgg11.nn --workdir /tmp/w --dynamic-batch --batch 1 --batch 2

--float64-reference compares with PyTorch's float64 evaluation of the same
model instead of its float32 one, and prints how far the latter is from it.

A passing run deletes the large files it made (the executables and, unless
--keep-onnx, the exported model and its external data).
"""
import argparse
import copy
import os
import random
import subprocess
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "nnref"))
import nnref  # noqa: E402
import zoo  # noqa: E402


class Residual(nn.Module):
    """A ResNet basic block pair: conv-bn-relu, conv-bn, + shortcut, relu."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(8))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))

    def forward(self, x):
        x = self.stem(x)
        return self.head(torch.relu(x + self.body(x)))


class Inception(nn.Module):
    """Three branches concatenated along the channels, as GoogLeNet does."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1))
        self.c = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(3, 2, 1))
        self.head = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12 * 6 * 6, 4),
                                  nn.Softmax(dim=1))

    def forward(self, x):
        return self.head(torch.cat([self.a(x), self.b(x), self.c(x)], dim=1))


class MatMulAdd(nn.Module):
    """A linear layer written as x @ W + b (MatMul then Add in ONNX)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(48, 10) * 0.1)
        self.b = nn.Parameter(torch.randn(10))
        self.conv = nn.Conv2d(3, 3, 3)

    def forward(self, x):
        x = torch.tanh(self.conv(x))
        return torch.sigmoid(x.view(x.size(0), -1) @ self.w + self.b)


class SiLUBlock(nn.Module):
    """EfficientNet's SiLU (exported as Sigmoid then Mul) after a convolution,
    a depthwise and a pointwise one, and after a convolution whose output a
    residual sum reads too."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pointwise = nn.Conv2d(8, 16, 1)
        self.shared = nn.Conv2d(16, 16, 1)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))

    def forward(self, x):
        x = nn.functional.silu(self.conv(x))
        x = nn.functional.silu(self.depthwise(x))
        x = nn.functional.silu(self.pointwise(x))
        y = self.shared(x)
        return self.head(y + nn.functional.silu(y))


class Signal1D(nn.Module):
    """A 1-D CNN over a 2-channel signal: Conv1d, BatchNorm1d, max and average
    pools, a strided and a dilated grouped Conv1d, a ConvTranspose1d, global
    average pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(2, 8, 5, padding=2), nn.BatchNorm1d(8), nn.ReLU(),
            nn.MaxPool1d(3, stride=2, padding=1),
            nn.Conv1d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv1d(16, 16, 3, padding=2, dilation=2, groups=4), nn.ReLU(),
            nn.AvgPool1d(2),
            nn.ConvTranspose1d(16, 8, 4, stride=2, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 6))

    def forward(self, x):
        return self.head(self.features(x))


class EncoderDecoder(nn.Module):
    """A segmentation-style encoder-decoder: a strided convolution down,
    transposed convolutions back up (one with output_padding, one grouped,
    each doubling the size), a skip connection and a batch norm after a
    transposed convolution."""

    def __init__(self):
        super().__init__()
        self.down1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.down2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1),
                                   nn.BatchNorm2d(16), nn.ReLU())
        self.up1 = nn.Sequential(
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
            nn.BatchNorm2d(8), nn.ReLU())
        self.up2 = nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1, groups=4)

    def forward(self, x):
        a = self.down1(x)
        return self.up2(self.up1(self.down2(a)) + a)


class ConvNeXtBlock(nn.Module):
    """A ConvNeXt-style network: a 4x4, stride-4 stem, layer norms over the
    channels (exported as ReduceMean, Sub, Pow, Sqrt and Div, over the last
    axis after a permute, as ConvNeXt's LayerNorm2d), a 7x7 depthwise
    convolution, pointwise convolutions around an exact GELU (exported with
    Erf), a per-channel layer scale and a residual sum."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 4, stride=4)
        self.stem_norm = nn.LayerNorm(16, eps=1e-6)
        self.depthwise = nn.Conv2d(16, 16, 7, padding=3, groups=16)
        self.norm = nn.LayerNorm(16, eps=1e-6)
        self.expand = nn.Conv2d(16, 64, 1)
        self.project = nn.Conv2d(64, 16, 1)
        self.scale = nn.Parameter(torch.rand(16, 1, 1) + 0.5)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))

    @staticmethod
    def channel_norm(norm, x):
        return norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    def forward(self, x):
        x = self.channel_norm(self.stem_norm, self.stem(x))
        y = self.channel_norm(self.norm, self.depthwise(x))
        y = self.project(nn.functional.gelu(self.expand(y)))
        return self.head(x + self.scale * y)


class Upsamplers(nn.Module):
    """The decoders' other ops: nearest upsampling by 2 and by 3 (a feature
    pyramid's, a U-Net's), concatenated with a skip connection; instance
    norms (a style-transfer network's); a sub-pixel convolution's pixel
    shuffle (DepthToSpace) and its inverse (SpaceToDepth); bilinear
    upsampling by 4 (a segmentation head's)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.InstanceNorm2d(8, affine=True)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.merge = nn.Conv2d(24, 8, 3, padding=1)
        self.merge_norm = nn.InstanceNorm2d(8, affine=True)
        self.subpixel = nn.Conv2d(8, 12, 3, padding=1)
        self.head = nn.Conv2d(12, 4, 3, stride=3)

    def forward(self, x):
        a = torch.relu(self.norm(self.conv(x)))
        b = torch.relu(self.down(a))
        up = nn.functional.interpolate(b, scale_factor=2, mode="nearest")
        c = torch.relu(self.merge_norm(self.merge(torch.cat([a, up], 1))))
        d = nn.functional.pixel_shuffle(self.subpixel(c), 2)
        e = nn.functional.pixel_unshuffle(d, 2)
        y = self.head(nn.functional.interpolate(e, scale_factor=3, mode="nearest"))
        # A segmentation head's bilinear upsampling (FCN's, by 4 here).
        return nn.functional.interpolate(y, scale_factor=4, mode="bilinear",
                                         align_corners=False)


class Resamplers(nn.Module):
    """The resizes the whole-factor paths do not take, each followed by a
    convolution: a U-Net's bilinear x2 with align_corners=True, bicubic x2,
    a bilinear resize to an odd size, a bilinear halving, and nearest by
    1.5 (interpolation matrices, ResizeMatrix.cpp)."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(4 if i else 3, 4, 3, padding=1)
                                   for i in range(5))

    def forward(self, x):
        f = nn.functional
        x = self.convs[0](f.interpolate(x, scale_factor=2, mode="bilinear",
                                        align_corners=True))
        x = self.convs[1](torch.relu(f.interpolate(x, scale_factor=2, mode="bicubic",
                                                   align_corners=False)))
        x = self.convs[2](f.interpolate(x, size=(21, 27), mode="bilinear",
                                        align_corners=False))
        x = self.convs[3](f.interpolate(x, scale_factor=0.5, mode="bilinear",
                                        align_corners=False))
        return self.convs[4](f.interpolate(x, scale_factor=1.5, mode="nearest"))


class TransformInput(nn.Module):
    """torchvision's GoogLeNet and Inception-v3 stems with transform_input
    (their default with pretrained weights): each colour channel x[:, c]
    (a Gather from the input) rescaled from ImageNet's normalisation to
    [-1, 1] and the three concatenated again, then an Inception-v3
    BasicConv2d (eps 0.001) and a pooled classifier."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(8, eps=0.001)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x0 = torch.unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
        x1 = torch.unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
        x2 = torch.unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
        x = torch.relu(self.bn(self.conv(torch.cat((x0, x1, x2), 1))))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class GroupNormMish(nn.Module):
    """Group norms (exported as an InstanceNormalization of the tensor viewed
    as [N, groups, -1], then the per-channel affine) and Mish (Softplus, Tanh
    and Mul at opset 13), as YOLOv4's and many detection heads' blocks use."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1)
        self.norm = nn.GroupNorm(4, 16)
        self.project = nn.Conv2d(16, 8, 1)
        self.norm2 = nn.GroupNorm(2, 8)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, x):
        x = nn.functional.mish(self.norm(self.conv(x)))
        return self.head(nn.functional.mish(self.norm2(self.project(x))))


# The zoo's networks run on 64x64 images here: a few seconds each.
BUILTINS = {
    "residual": (Residual, (1, 3, 16, 16)),
    "inception": (Inception, (1, 3, 12, 12)),
    "matmul-add": (MatMulAdd, (1, 3, 6, 6)),
    "silu": (SiLUBlock, (1, 3, 20, 20)),
    "signal1d": (Signal1D, (1, 2, 64)),
    "encoder-decoder": (EncoderDecoder, (1, 3, 16, 18)),
    "convnext-block": (ConvNeXtBlock, (1, 3, 32, 28)),
    "upsamplers": (Upsamplers, (1, 3, 16, 12)),
    "groupnorm-mish": (GroupNormMish, (1, 3, 12, 10)),
    "resamplers": (Resamplers, (1, 3, 7, 9)),
    "transform-input": (TransformInput, (1, 3, 21, 19)),
    "resnet18": (zoo.ResNet18, (1, 3, 64, 64)),
    "squeezenet1_1": (zoo.SqueezeNet11, (1, 3, 64, 64)),
    "mobilenet_v2": (zoo.MobileNetV2, (1, 3, 64, 64)),
    "mobilenet_v3_small": (zoo.MobileNetV3Small, (1, 3, 64, 64)),
    # At 64x64 its last stages are 2x2 maps, whose batch norms the calibration
    # fits to 16 values per channel: float32 rounding then moves the output by
    # up to 4e-4 (PyTorch, ONNX Runtime and Kiln alike, against float64). At
    # 96x96 the error is 6e-6.
    "efficientnet_b0": (zoo.EfficientNetB0, (1, 3, 96, 96)),
    "shufflenet_v2_x0_5": (zoo.ShuffleNetV2, (1, 3, 64, 64)),
    "dcgan_generator": (zoo.DCGANGenerator, (1, 100, 1, 1)),
    "googlenet": (zoo.GoogLeNet, (1, 3, 64, 64)),
    "densenet121": (zoo.DenseNet121, (1, 3, 64, 64)),
}


# Draws of weights tried before giving up on a model whose output hardly
# depends on its input.
MAX_DRAWS = 5


def build(args, seed):
    if args.builtin:
        cls, shape = BUILTINS[args.builtin]
        return zoo.initialise(cls, shape, seed), list(shape)
    spec = nnref.load_spec(args.spec)
    return nnref.init_model(spec, seed, scheme="he").eval(), list(spec.input_shape)


def batch_input(shape, batch, seed):
    shape = list(shape)
    shape[0] = batch
    return np.random.default_rng(seed + batch).standard_normal(shape).astype(np.float32)


def draw_model(args, seed):
    """The model with the first draw of weights, from `seed` on, whose output
    another input moves by at least 100 times the tolerance at every batch
    to check; and that draw's seed."""
    for _ in range(MAX_DRAWS):
        print(f"seed: {seed}")
        model, shape = build(args, seed)
        least = float("inf")
        for batch in args.batch:
            x = batch_input(shape, batch, seed)
            with torch.no_grad():
                want = model(torch.from_numpy(x)).numpy()
            least = min(least, nnref.output_sensitivity(model, x, want, seed + batch + 1))
        print(f"another input moves the output by {least:.3e}")
        if least >= 100 * args.tol:
            return model, shape, seed
        seed = (seed + 7919) % (1 << 31)
    sys.exit(f"FAIL: in {MAX_DRAWS} draws of weights the output hardly depends on the "
             f"input; a wrong layer could pass within {args.tol}")


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("spec", nargs="?")
    parser.add_argument("--builtin", choices=sorted(BUILTINS))
    parser.add_argument("--workdir", required=True, help="scratch folder (lit's %%t)")
    parser.add_argument("--batch", type=int, action="append",
                        help="batch size to compile and check (repeatable; default 1); "
                             "more than one needs --dynamic-batch")
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--dynamic-batch", action="store_true",
                        help="export with a symbolic batch and compile with kilnc --batch")
    parser.add_argument("--external-data", action="store_true",
                        help="store the weights in a file beside the model")
    parser.add_argument("--keep-batchnorm", action="store_true",
                        help="export BatchNormalization nodes instead of folding them "
                             "into the convolutions")
    parser.add_argument("--keep-onnx", action="store_true",
                        help="keep the exported model (deleted after a passing run)")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--float64-reference", action="store_true",
                        help="compare with PyTorch's float64 evaluation of the model, for "
                             "a network whose float32 evaluation is itself more than "
                             "about tol/2 from it (printed)")
    parser.add_argument("--seed", type=int, default=None, help="replay a failure")
    parser.add_argument("--kilnc", default="kilnc")
    args = parser.parse_args()
    if bool(args.spec) == bool(args.builtin):
        parser.error("give a spec or --builtin")
    args.batch = args.batch or [1]
    if len(args.batch) > 1 and not args.dynamic_batch:
        parser.error("several --batch values need --dynamic-batch (one export for all)")

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    os.makedirs(args.workdir, exist_ok=True)
    path = lambda name: os.path.join(args.workdir, name)  # noqa: E731

    model, shape, seed = draw_model(args, seed)
    export_shape = list(shape)
    export_shape[0] = 1 if args.dynamic_batch else args.batch[0]
    example = torch.from_numpy(
        np.random.default_rng(seed + 2).standard_normal(export_shape).astype(np.float32))
    dynamic = {"input": {0: "batch"}, "output": {0: "batch"}} if args.dynamic_batch else None
    onnx_path = path("model.onnx")
    training = (torch.onnx.TrainingMode.PRESERVE if args.keep_batchnorm
                else torch.onnx.TrainingMode.EVAL)
    torch.onnx.export(model, example, onnx_path, opset_version=args.opset,
                      input_names=["input"], output_names=["output"], dynamic_axes=dynamic,
                      training=training)
    if args.external_data:
        import onnx
        exported = onnx.load(onnx_path)
        onnx_path = path("external.onnx")
        onnx.save_model(exported, onnx_path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location="external.weights",
                        size_threshold=0)
        del exported
        os.remove(path("model.onnx"))

    for batch in args.batch:
        check(args, model, shape, batch, onnx_path, path, seed)
    # A passing run keeps only the small files: VGG's exported model and
    # executables are half a gigabyte each. A failing run (sys.exit above)
    # keeps everything for replaying.
    if not args.keep_onnx:
        os.remove(onnx_path)
        if args.external_data:
            os.remove(path("external.weights"))
    print("OK")


def check(args, model, shape, batch, onnx_path, path, seed):
    """Compiles the model for `batch`, runs it and compares with PyTorch."""
    x = batch_input(shape, batch, seed)
    np.save(path("input.npy"), x)
    exe = path(f"model.b{batch}")
    cmd = [args.kilnc, onnx_path, "-o", exe]
    if args.dynamic_batch:
        cmd += ["--batch", str(batch)]
    run(cmd)
    run([exe, path("input.npy"), "-o", path("kiln.npy")])
    got = np.load(path("kiln.npy"))
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
        if args.float64_reference:
            exact = copy.deepcopy(model).double()(torch.from_numpy(x).double()).numpy()
            own = np.linalg.norm((want - exact).ravel()) / np.linalg.norm(exact.ravel())
            print(f"PyTorch float32 vs float64: relative L2 {own:.3e}")
            want = exact

    if got.shape != want.shape:
        sys.exit(f"shapes differ: kiln {got.shape}, torch {want.shape}")
    error = np.linalg.norm((got - want).ravel()) / max(np.linalg.norm(want.ravel()), 1e-30)
    print(f"relative L2 error: {error:.3e} (batch {batch}, opset {args.opset}, "
          f"output {list(got.shape)})")
    if not error <= args.tol:
        sys.exit(f"FAIL: relative L2 error {error:.3e} exceeds {args.tol}")
    os.remove(exe)


if __name__ == "__main__":
    main()
