"""PyTorch models of VGG's relatives that no .nn spec can describe (residual
sums, concatenations), layer for layer as torchvision defines them, for the
ONNX end-to-end tests (test/onnx/check_export.py) and the benchmark
(bench/, whose models name them as zoo:NAME).

    model, shape = zoo.build("mobilenet_v2", seed=0, image=224)
"""
import torch
from torch import nn


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3x3 conv-bn, a projected shortcut when the
    shape changes (1x1 conv, stride 2), the sum, ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                                  nn.BatchNorm2d(cout), nn.ReLU(),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(cout))
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNet18(nn.Module):
    """torchvision's resnet18, layer for layer (here on 64x64 images)."""

    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                  nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))

    def forward(self, x):
        return self.head(self.features(x))


class Fire(nn.Module):
    """SqueezeNet's fire module: a 1x1 squeeze, then 1x1 and 3x3 expands
    concatenated along the channels."""

    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU())
        self.expand1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1), nn.ReLU())
        self.expand3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1), nn.ReLU())

    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.expand1(x), self.expand3(x)], dim=1)


class SqueezeNet11(nn.Module):
    """torchvision's squeezenet1_1, layer for layer (here on 64x64 images):
    ceil-mode max pools, fire modules, a 1x1 conv classifier."""

    def __init__(self):
        super().__init__()
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 3, 2), nn.ReLU(), pool(), Fire(64, 16, 64), Fire(128, 16, 64),
            pool(), Fire(128, 32, 128), Fire(256, 32, 128), pool(), Fire(256, 48, 192),
            Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, 1000, 1), nn.ReLU(),
                                        nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x):
        return self.classifier(self.features(x))


def conv_bn_relu6(cin, cout, kernel, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups,
                      bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]


class InvertedResidual(nn.Module):
    """MobileNetV2's block: a 1x1 expansion (unless the ratio is 1), a 3x3
    depthwise convolution, a linear 1x1 projection; the input is added back
    when the shape stays."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = conv_bn_relu6(cin, hidden, 1) if expand != 1 else []
        layers += conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden)
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision's mobilenet_v2 (width 1.0), layer for layer (here on 64x64
    images): ReLU6 (ONNX Clip), depthwise convolutions, residual sums."""

    def __init__(self):
        super().__init__()
        layers = conv_bn_relu6(3, 32, 3, 2)
        cin = 32
        for expand, cout, repeats, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                              (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                              (6, 320, 1, 1)]:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers += conv_bn_relu6(cin, 1280, 1)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def make_divisible(value, divisor=8):
    """torchvision's _make_divisible: the nearest multiple of `divisor`, at
    least `divisor`, not below 90% of `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn_act(cin, cout, kernel, stride=1, groups=1, act=nn.Hardswish):
    layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(cout)]
    return layers + ([act()] if act else [])


class SqueezeExcitation(nn.Module):
    """torchvision's SqueezeExcitation: the plane's average, a 1x1 squeeze
    with an activation (MobileNetV3: ReLU, EfficientNet: SiLU), a 1x1
    excitation with a gate (Hardsigmoid, Sigmoid), scaling the input's
    channels (ONNX Mul of [N, C, 1, 1] by [N, C, H, W])."""

    def __init__(self, channels, squeeze, act=nn.ReLU, gate=nn.Hardsigmoid):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.act, self.gate = act(), gate()

    def forward(self, x):
        scale = nn.functional.adaptive_avg_pool2d(x, 1)
        scale = self.gate(self.fc2(self.act(self.fc1(scale))))
        return scale * x


class SEInvertedResidual(nn.Module):
    """The block of MobileNetV3 and EfficientNet: a 1x1 expansion to `hidden`
    (unless the width stays), a depthwise k x k convolution, an optional
    squeeze-and-excitation `se` = (squeeze width, its activation, its gate),
    a linear 1x1 projection, convolutions followed by `act`; the input added
    back when the shape stays (EfficientNet's stochastic depth is the
    identity at inference)."""

    def __init__(self, cin, kernel, hidden, cout, stride, act, se=None):
        super().__init__()
        layers = conv_bn_act(cin, hidden, 1, act=act) if hidden != cin else []
        layers += conv_bn_act(hidden, hidden, kernel, stride, groups=hidden, act=act)
        if se:
            layers.append(SqueezeExcitation(hidden, *se))
        layers += conv_bn_act(hidden, cout, 1, act=None)
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV3Small(nn.Module):
    """torchvision's mobilenet_v3_small, layer for layer (here on 64x64
    images): Hardswish (ONNX HardSwish from opset 14), squeeze-and-excitation
    (Hardsigmoid, a broadcast Mul), 5x5 depthwise convolutions."""

    # kernel, expanded width, output width, SE, activation, stride.
    CONFIG = [(3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2),
              (3, 88, 24, False, "RE", 1), (5, 96, 40, True, "HS", 2),
              (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
              (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1),
              (5, 288, 96, True, "HS", 2), (5, 576, 96, True, "HS", 1),
              (5, 576, 96, True, "HS", 1)]

    def __init__(self):
        super().__init__()
        layers = conv_bn_act(3, 16, 3, 2)
        cin = 16
        for kernel, hidden, cout, se, act, stride in self.CONFIG:
            squeeze = (make_divisible(hidden // 4), nn.ReLU, nn.Hardsigmoid) if se else None
            act = nn.Hardswish if act == "HS" else nn.ReLU
            layers.append(SEInvertedResidual(cin, kernel, hidden, cout, stride, act, squeeze))
            cin = cout
        layers += conv_bn_act(cin, 576, 1)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(576, 1024), nn.Hardswish(),
                                        nn.Dropout(0.2), nn.Linear(1024, 1000))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


class EfficientNetB0(nn.Module):
    """torchvision's efficientnet_b0, layer for layer (here on 64x64
    images): SiLU (ONNX Sigmoid and Mul of one shape), squeeze-and-excitation
    with Sigmoid gates, 3x3 and 5x5 depthwise convolutions."""

    # expansion, kernel, stride, output width, repeats.
    CONFIG = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
              (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]

    def __init__(self):
        super().__init__()
        layers = conv_bn_act(3, 32, 3, 2, act=nn.SiLU)
        cin = 32
        for expand, kernel, stride, cout, repeats in self.CONFIG:
            for i in range(repeats):
                # Squeeze-and-excitation from a quarter of the block's input.
                se = (max(1, cin // 4), nn.SiLU, nn.Sigmoid)
                layers.append(SEInvertedResidual(cin, kernel, cin * expand, cout,
                                                 stride if i == 0 else 1, nn.SiLU, se))
                cin = cout
        layers += conv_bn_act(cin, 1280, 1, act=nn.SiLU)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def channel_shuffle(x, groups):
    """ShuffleNet's interleaving of channel groups: a view to 5-D, a
    transpose and a view back (ONNX Reshape, Transpose, Reshape)."""
    n, c, h, w = x.shape
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, h, w)


def depthwise_bn(channels, stride):
    return [nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False),
            nn.BatchNorm2d(channels)]


def pointwise_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class ShuffleUnit(nn.Module):
    """ShuffleNetV2's block: at stride 1 half the channels pass through
    (x.chunk(2, 1): two ONNX Slice nodes from torch 1.13's exporter) and the
    other half is transformed; at stride 2 both halves come from the whole
    input; the halves are concatenated and shuffled."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        half = cout // 2
        self.stride = stride
        if stride > 1:
            self.branch1 = nn.Sequential(*depthwise_bn(cin, stride), *pointwise_bn_relu(cin, half))
        self.branch2 = nn.Sequential(*pointwise_bn_relu(cin if stride > 1 else half, half),
                                     *depthwise_bn(half, stride), *pointwise_bn_relu(half, half))

    def forward(self, x):
        if self.stride == 1:
            kept, changed = x.chunk(2, dim=1)
            out = torch.cat((kept, self.branch2(changed)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """torchvision's shufflenet_v2_x0_5, layer for layer: channel splits,
    concatenations and channel shuffles (general reshapes to 5-D and a 5-D
    transpose in ONNX), depthwise convolutions without ReLU."""

    REPEATS = (4, 8, 4)
    WIDTHS = (24, 48, 96, 192, 1024)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24),
                                   nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        units, cin = [], self.WIDTHS[0]
        for repeats, cout in zip(self.REPEATS, self.WIDTHS[1:4]):
            units.append(ShuffleUnit(cin, cout, 2))
            units += [ShuffleUnit(cout, cout, 1) for _ in range(repeats - 1)]
            cin = cout
        self.stages = nn.Sequential(*units)
        self.conv5 = nn.Sequential(*pointwise_bn_relu(cin, self.WIDTHS[4]))
        self.fc = nn.Linear(self.WIDTHS[4], 1000)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


class DCGANGenerator(nn.Module):
    """DCGAN's generator (Radford et al., as PyTorch's examples/dcgan builds
    it): a 100-value latent vector, as 100x1x1, up to a 3x64x64 image through
    4x4 transposed convolutions (stride 2 after the first), batch norms and
    ReLUs, then tanh. 3.6M parameters."""

    def __init__(self, latent=100, width=64):
        super().__init__()
        layers = []
        channels = [latent, width * 8, width * 4, width * 2, width]
        for i, (cin, cout) in enumerate(zip(channels, channels[1:])):
            layers += [nn.ConvTranspose2d(cin, cout, 4, 1 if i == 0 else 2,
                                          0 if i == 0 else 1, bias=False),
                       nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        layers += [nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


def conv_bn_relu(cin, cout, kernel, stride=1, padding=0, eps=1e-5):
    """Inception's BasicConv2d (eps 0.001) and DenseNet's convolutions."""
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(cout, eps=eps), nn.ReLU())


class InceptionBlock(nn.Module):
    """GoogLeNet's inception module: 1x1; 1x1 then 3x3; 1x1 then 3x3 (the
    '5x5' branch, 3x3 in torchvision's as in its pretrained weights); a 3x3
    max pool then 1x1; concatenated."""

    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool):
        super().__init__()
        basic = lambda cin, cout, k: conv_bn_relu(cin, cout, k, padding=k // 2, eps=1e-3)  # noqa: E731
        self.branches = nn.ModuleList([
            basic(cin, c1, 1),
            nn.Sequential(basic(cin, c3r, 1), basic(c3r, c3, 3)),
            nn.Sequential(basic(cin, c5r, 1), basic(c5r, c5, 3)),
            nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), basic(cin, pool, 1))])

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], 1)


class GoogLeNet(nn.Module):
    """GoogLeNet as torchvision builds it for its pretrained weights
    (transform_input: each colour channel x[:, c] rescaled from ImageNet's
    normalisation, then concatenated; no auxiliary classifiers in eval):
    a 7x7 stem, ceil-mode max pools, nine inception modules. 6.6M
    parameters."""

    def __init__(self):
        super().__init__()
        pool = lambda k: nn.MaxPool2d(k, 2, ceil_mode=True)  # noqa: E731
        self.stem = nn.Sequential(conv_bn_relu(3, 64, 7, 2, 3, 1e-3), pool(3),
                                  conv_bn_relu(64, 64, 1, eps=1e-3),
                                  conv_bn_relu(64, 192, 3, padding=1, eps=1e-3), pool(3))
        self.blocks = nn.Sequential(
            InceptionBlock(192, 64, 96, 128, 16, 32, 32),
            InceptionBlock(256, 128, 128, 192, 32, 96, 64), pool(3),
            InceptionBlock(480, 192, 96, 208, 16, 48, 64),
            InceptionBlock(512, 160, 112, 224, 24, 64, 64),
            InceptionBlock(512, 128, 128, 256, 24, 64, 64),
            InceptionBlock(512, 112, 144, 288, 32, 64, 64),
            InceptionBlock(528, 256, 160, 320, 32, 128, 128), pool(2),
            InceptionBlock(832, 256, 160, 320, 32, 128, 128),
            InceptionBlock(832, 384, 192, 384, 48, 128, 128))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x):
        scale, shift = [0.229, 0.224, 0.225], [0.485, 0.456, 0.406]
        x = torch.cat([torch.unsqueeze(x[:, c], 1) * (scale[c] / 0.5) + (shift[c] - 0.5) / 0.5
                       for c in range(3)], 1)
        x = self.blocks(self.stem(x))
        return self.fc(self.dropout(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)))


class DenseLayer(nn.Module):
    """DenseNet's layer: BN-ReLU-1x1 conv to 4 x growth channels, BN-ReLU-3x3
    conv to `growth`, on the concatenation of every earlier feature map of
    its block."""

    def __init__(self, cin, growth):
        super().__init__()
        self.body = nn.Sequential(nn.BatchNorm2d(cin), nn.ReLU(),
                                  nn.Conv2d(cin, 4 * growth, 1, bias=False),
                                  nn.BatchNorm2d(4 * growth), nn.ReLU(),
                                  nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False))

    def forward(self, features):
        return self.body(torch.cat(features, 1))


class DenseBlock(nn.Module):
    def __init__(self, layers, cin, growth):
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(cin + i * growth, growth) for i in range(layers))

    def forward(self, x):
        features = [x]
        for layer in self.layers:
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet121(nn.Module):
    """DenseNet-121 (growth 32, blocks of 6, 12, 24 and 16 layers): each
    layer reads the concatenation of all before it in its block; transitions
    halve the channels (BN-ReLU-1x1 conv) and the map (2x2 average pool).
    7.98M parameters."""

    def __init__(self, growth=32, blocks=(6, 12, 24, 16)):
        super().__init__()
        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                  nn.MaxPool2d(3, 2, 1)]
        channels = 64
        for i, count in enumerate(blocks):
            layers.append(DenseBlock(count, channels, growth))
            channels += count * growth
            if i + 1 < len(blocks):
                layers += [nn.BatchNorm2d(channels), nn.ReLU(),
                           nn.Conv2d(channels, channels // 2, 1, bias=False), nn.AvgPool2d(2, 2)]
                channels //= 2
        layers += [nn.BatchNorm2d(channels), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels, 1000)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


NETWORKS = {"resnet18": ResNet18, "squeezenet1_1": SqueezeNet11, "mobilenet_v2": MobileNetV2,
            "mobilenet_v3_small": MobileNetV3Small, "efficientnet_b0": EfficientNetB0,
            "shufflenet_v2_x0_5": ShuffleNetV2, "dcgan_generator": DCGANGenerator,
            "googlenet": GoogLeNet, "densenet121": DenseNet121}
# Networks whose input is not a 3-channel image (build's default).
INPUT_SHAPES = {"dcgan_generator": [1, 100, 1, 1]}


def calibrate(model, shape, gen):
    """Data-dependent initialisation, layer by layer in the order the layers
    run (LSUV): each convolution and linear layer is scaled to unit deviation
    on random inputs, and each batch norm's running statistics become those
    of its input there (its random scale and shift stay). PyTorch's default
    initialisation shrinks the signal at every layer, and random statistics
    add offsets that swamp it: through MobileNetV2's 53 layers the output
    would hardly depend on the input, and a comparison of outputs would
    check little beyond the last bias. One forward pass does it: each
    layer's hook calibrates the layer on the input it receives and passes on
    the calibrated output, so later layers see what they would after
    calibration (a forward pass per layer took 33 s for EfficientNet-B0 at
    96x96)."""
    x = torch.randn([4] + list(shape[1:]), generator=gen)
    model.eval()
    done = set()

    def calibrate_layer(layer, inputs, out):
        if layer in done:  # A layer that runs twice keeps its first fit.
            return out
        done.add(layer)
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            # Statistics per channel: over every dimension but 1.
            dims = [0] + list(range(2, inputs[0].dim()))
            layer.running_mean.copy_(inputs[0].mean(dims))
            layer.running_var.copy_(inputs[0].var(dims) + 1e-3)
            return nn.functional.batch_norm(inputs[0], layer.running_mean, layer.running_var,
                                            layer.weight, layer.bias, False, 0.0, layer.eps)
        scale = 1.0 / max(float(out.std()), 1e-12)
        layer.weight.mul_(scale)
        if layer.bias is not None:
            layer.bias.mul_(scale)
        return out * scale

    # Every convolution (1-D, 2-D, transposed), linear layer and batch norm.
    layers = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._BatchNorm)
    hooks = [m.register_forward_hook(calibrate_layer)
             for m in model.modules() if isinstance(m, layers)]
    try:
        model(x)
    finally:
        for hook in hooks:
            hook.remove()


def initialise(cls, shape, seed):
    """An eval-mode `cls()` with seeded weights: PyTorch's default, batch norms
    given random scales and shifts, then calibrate()d on random inputs."""
    torch.manual_seed(seed)
    model = cls()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
        calibrate(model, shape, gen)
    return model.eval()


def build(name, seed=0, image=224):
    """Network `name` of NETWORKS for 3 x image x image inputs (or its
    INPUT_SHAPES entry), initialised; returns (model, [1, 3, image, image])."""
    shape = INPUT_SHAPES.get(name, [1, 3, image, image])
    return initialise(NETWORKS[name], shape, seed), shape
