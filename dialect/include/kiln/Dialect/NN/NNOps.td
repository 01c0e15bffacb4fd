//===- NNOps.td - nn dialect operations --------------------*- tablegen -*-===//
//
// One op per layer kind of the spec language. Window attributes are spelled
// out completely (no defaults hidden in the IR): `stride [h, w]`,
// `padding [top, left, bottom, right]`, `dilation [h, w]`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_NNOPS_TD
#define KILN_DIALECT_NN_NNOPS_TD

include "kiln/Dialect/NN/NNDialect.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Convolution and linear layers
//===----------------------------------------------------------------------===//

def NN_Conv2DOp : NN_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution with optional bias (nn.Conv2d)";
  let description = [{
    Cross-correlates an NCHW input with an `[out, in/groups, kh, kw]` weight,
    then adds the optional `[out]` bias.

    ```mlir
    %y = nn.conv2d %x, %w, %b stride [1, 1] padding [2, 2, 2, 2]
           dilation [1, 1] groups 1
           : (tensor<1x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
           -> tensor<1x6x28x28xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $stride `padding` $padding
    `dilation` $dilation `groups` $groups attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_LinearOp : NN_Op<"linear", [Pure]> {
  let summary = "Fully connected layer y = x W^T + b (nn.Linear)";
  let description = [{
    ```mlir
    %y = nn.linear %x, %w, %b
           : (tensor<1x400xf32>, tensor<120x400xf32>, tensor<120xf32>)
           -> tensor<1x120xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_ConvTranspose2DOp : NN_Op<"conv_transpose2d", [Pure]> {
  let summary = "2-D transposed convolution with optional bias "
                "(nn.ConvTranspose2d)";
  let description = [{
    The gradient of nn.conv2d with respect to its input, used to upsample:
    each input cell scatters its value times the `[in, out/groups, kh, kw]`
    weight into the output window that starts at `stride` times its
    position, minus `padding` [top, left, bottom, right], which crops the
    full result. `output_padding` [h, w] adds cells at the bottom and right
    that only the bias reaches. Per spatial dimension the result has

        (in - 1) * stride - pad_begin - pad_end
          + dilation * (kernel - 1) + 1 + output_padding

    cells. It is a convolution with the weight flipped in both spatial
    dimensions, over the input with `stride - 1` zeros between its cells,
    and that is how it is lowered.

    ```mlir
    %y = nn.conv_transpose2d %x, %w, %b stride [2, 2] padding [1, 1, 1, 1]
           output_padding [1, 1] dilation [1, 1] groups 1
           : (tensor<1x8x7x7xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>)
           -> tensor<1x4x14x14xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$output_padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $stride `padding` $padding
    `output_padding` $output_padding `dilation` $dilation `groups` $groups
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused layers (built by kiln-fuse, never by the frontends)
//===----------------------------------------------------------------------===//

def NN_FusedConv2DOp : NN_Op<"fused_conv2d", [Pure]> {
  let summary = "Convolution + bias, then optionally an activation and a pooling";
  let description = [{
    One op for a conv2d whose result feeds only a ReLU (or an nn.clamp)
    and/or a max or average pooling without padding: the kernels compute the
    pooling from tiles of the convolution instead of writing the full
    convolution out and reading it back. The convolution attributes are
    nn.conv2d's; `relu` applies max(x, 0) to the convolution, `clamp [lo,
    hi]` min(max(x, lo), hi) (ReLU6: [0, 6]), `hardswish` nn.hard_swish's
    x * min(max(x + 3, 0), 6) / 6, `silu` x * nn.sigmoid(x), the nn.mul of
    a convolution by its own nn.sigmoid (at most one of the four); `pool`
    ("max" or "avg"), `pool_kernel` and `pool_stride` describe the pooling
    that follows (no padding; windows that run past the convolution's output
    are not allowed, as with ceil_mode off; not after hardswish or silu,
    which do not commute with a max).

    ```mlir
    %y = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [2, 2, 2, 2]
           dilation [1, 1] groups 1 relu pool "max" kernel [2, 2] stride [2, 2]
           : (tensor<1x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
           -> tensor<1x6x14x14xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       UnitAttr:$relu,
                       OptionalAttr<DenseF32ArrayAttr>:$clamp,
                       UnitAttr:$hardswish,
                       UnitAttr:$silu,
                       OptionalAttr<StrAttr>:$pool,
                       OptionalAttr<DenseI64ArrayAttr>:$pool_kernel,
                       OptionalAttr<DenseI64ArrayAttr>:$pool_stride);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $stride `padding` $padding
    `dilation` $dilation `groups` $groups (`relu` $relu^)?
    (`clamp` $clamp^)? (`hardswish` $hardswish^)? (`silu` $silu^)?
    (`pool` $pool^ `kernel` $pool_kernel `stride` $pool_stride)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// The shape of the convolution's result, before any pooling.
    ::llvm::SmallVector<int64_t, 4> getConvolutionShape();
    /// The ReLU, clamp, hard swish or SiLU applied to the convolution, if
    /// any.
    std::optional<::kiln::nn::Activation> getActivation();
  }];
  let hasVerifier = 1;
}

def NN_FusedLinearOp : NN_Op<"fused_linear", [Pure]> {
  let summary = "Fully connected layer followed by ReLU";
  let description = [{
    nn.linear whose result feeds only a ReLU: the kernel applies max(x, 0)
    before it stores each output.

    ```mlir
    %y = nn.fused_linear %x, %w, %b relu
           : (tensor<1x400xf32>, tensor<120x400xf32>, tensor<120xf32>)
           -> tensor<1x120xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias, UnitAttr:$relu);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`relu` $relu^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Element-wise activations
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, string torchName>
    : NN_Op<mnemonic, [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise " # mnemonic # " (" # torchName # ")";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_ReluOp : NN_UnaryOp<"relu", "nn.ReLU"> {
  let description = [{ `max(x, 0)`: `%y = nn.relu %x : tensor<1x6x28x28xf32>` }];
}
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "nn.Sigmoid"> {
  let description = [{ `1 / (1 + exp(-x))`: `%y = nn.sigmoid %x : tensor<1x10xf32>` }];
}
def NN_TanhOp : NN_UnaryOp<"tanh", "nn.Tanh"> {
  let description = [{ `%y = nn.tanh %x : tensor<1x10xf32>` }];
}

def NN_ClampOp : NN_Op<"clamp", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise min(max(x, min), max) (nn.ReLU6, nn.Hardtanh)";
  let description = [{
    Clamps every element to [min, max]: `min(max(x, min), max)`, which is
    PyTorch's torch.clamp and ONNX's Clip (a min above the max gives the max
    everywhere). nn.ReLU6 is `min 0.0 max 6.0`, nn.Hardtanh its own bounds;
    an ONNX Clip without one of its bounds has an infinite one. NaN stays
    NaN.

    ```mlir
    %y = nn.clamp %x min 0.000000e+00 max 6.000000e+00 : tensor<1x32x112x112xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$min, F32Attr:$max);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `min` $min `max` $max attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def NN_LeakyReluOp : NN_Op<"leaky_relu", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise leaky ReLU (nn.LeakyReLU)";
  let description = [{
    `x` where x > 0, `slope * x` elsewhere (ONNX's LeakyRelu, whose slope
    is called alpha).

    ```mlir
    %y = nn.leaky_relu %x slope 1.000000e-02 : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$slope);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input `slope` $slope attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_EluOp : NN_Op<"elu", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise exponential linear unit (nn.ELU)";
  let description = [{
    `x` where x > 0, `alpha * (exp(x) - 1)` elsewhere (ONNX's Elu; alpha
    1.0 unless given).

    ```mlir
    %y = nn.elu %x alpha 1.000000e+00 : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input `alpha` $alpha attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_CeluOp : NN_Op<"celu", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise continuously differentiable ELU (nn.CELU)";
  let description = [{
    `x` where x > 0, `alpha * (exp(x / alpha) - 1)` elsewhere: ONNX's Celu,
    max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), for any nonzero alpha
    (1.0 unless given).

    ```mlir
    %y = nn.celu %x alpha 1.000000e+00 : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input `alpha` $alpha attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_SeluOp : NN_Op<"selu", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise scaled exponential linear unit (nn.SELU)";
  let description = [{
    `gamma * x` where x > 0, `gamma * alpha * (exp(x) - 1)` elsewhere
    (ONNX's Selu; nn.SELU's constants unless given).

    ```mlir
    %y = nn.selu %x alpha 1.67326319 gamma 1.05070102 : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha, F32Attr:$gamma);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat =
      "$input `alpha` $alpha `gamma` $gamma attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_ThresholdedReluOp : NN_Op<"thresholded_relu",
                                 [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise x where x > alpha, else 0";
  let description = [{
    ONNX's ThresholdedRelu (alpha 1.0 unless given); PyTorch's
    nn.Threshold(alpha, 0).

    ```mlir
    %y = nn.thresholded_relu %x alpha 1.000000e+00 : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input `alpha` $alpha attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_HardSigmoidOp : NN_Op<"hard_sigmoid",
                              [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Element-wise max(0, min(1, alpha * x + beta)) (nn.Hardsigmoid)";
  let description = [{
    ONNX's HardSigmoid (alpha 0.2 and beta 0.5 unless given); PyTorch's
    nn.Hardsigmoid is `alpha 1/6 beta 0.5`. NaN stays NaN.

    ```mlir
    %y = nn.hard_sigmoid %x alpha 0.166666672 beta 5.000000e-01 : tensor<1x16x1x1xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, F32Attr:$alpha, F32Attr:$beta);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `alpha` $alpha `beta` $beta attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def NN_SoftplusOp : NN_UnaryOp<"softplus", "nn.Softplus"> {
  let description = [{
    `log(1 + exp(x))` (ONNX's Softplus; PyTorch's with beta 1), computed as
    `max(x, 0) + log1p(exp(-|x|))`, which neither overflows for large x nor
    loses the small values of large negative ones:
    `%y = nn.softplus %x : tensor<1x10xf32>`
  }];
}
def NN_SoftsignOp : NN_UnaryOp<"softsign", "nn.Softsign"> {
  let description = [{ `x / (1 + |x|)`: `%y = nn.softsign %x : tensor<1x10xf32>` }];
}
def NN_AbsOp : NN_UnaryOp<"abs", "torch.abs"> {
  let description = [{ `|x|`: `%y = nn.abs %x : tensor<1x10xf32>` }];
}
def NN_ExpOp : NN_UnaryOp<"exp", "torch.exp"> {
  let description = [{ `e^x`: `%y = nn.exp %x : tensor<1x10xf32>` }];
}
def NN_ErfOp : NN_UnaryOp<"erf", "torch.erf"> {
  let description = [{
    The error function, `2 / sqrt(pi) * integral of e^(-t^2) from 0 to x`
    (the exact GELU is `x * (1 + erf(x / sqrt(2))) / 2`):
    `%y = nn.erf %x : tensor<1x10xf32>`
  }];
}
def NN_LogOp : NN_UnaryOp<"log", "torch.log"> {
  let description = [{
    The natural logarithm (NaN below 0, -inf at 0):
    `%y = nn.log %x : tensor<1x10xf32>`
  }];
}
def NN_SqrtOp : NN_UnaryOp<"sqrt", "torch.sqrt"> {
  let description = [{
    The square root, IEEE's (NaN below 0): `%y = nn.sqrt %x : tensor<1x10xf32>`
  }];
}
def NN_ReciprocalOp : NN_UnaryOp<"reciprocal", "torch.reciprocal"> {
  let description = [{
    `1 / x`, an IEEE division: `%y = nn.reciprocal %x : tensor<1x10xf32>`
  }];
}
def NN_HardSwishOp : NN_UnaryOp<"hard_swish", "nn.Hardswish"> {
  let description = [{
    `x * min(max(x + 3, 0), 6) / 6`, PyTorch's formula (ONNX's HardSwish is
    the same function: `x * hard_sigmoid(x) alpha 1/6 beta 0.5`), the
    activation of MobileNetV3:
    `%y = nn.hard_swish %x : tensor<1x16x112x112xf32>`
  }];
}

def NN_DropoutOp : NN_Op<"dropout", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Dropout (nn.Dropout): the identity at inference";
  let description = [{
    Kept in the parsed IR so that it mirrors the spec; folds away.
    `%y = nn.dropout %x p 5.000000e-01 : tensor<1x4096xf32>`
  }];
  let arguments = (ins NN_Tensor:$input, F64Attr:$p);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input `p` $p attr-dict `:` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def NN_MaxPool2DOp : NN_Op<"max_pool2d", [Pure]> {
  let summary = "2-D max pooling (nn.MaxPool2d)";
  let description = [{
    Padding reads as negative infinity. With `ceil_mode` the last window may
    run past the padded input, as in PyTorch. An optional `dilation` [h, w]
    (default [1, 1]) spaces the window's cells, as MaxPool2d's does.

    ```mlir
    %y = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
           : (tensor<1x6x28x28xf32>) -> tensor<1x6x14x14xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       UnitAttr:$ceil_mode,
                       OptionalAttr<DenseI64ArrayAttr>:$dilation);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $stride `padding` $padding
    (`ceil_mode` $ceil_mode^)? (`dilation` $dilation^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_AvgPool2DOp : NN_Op<"avg_pool2d", [Pure]> {
  let summary = "2-D average pooling (nn.AvgPool2d)";
  let description = [{
    Padding reads as zero. With `count_include_pad` (PyTorch's default) the
    divisor counts the padded cells inside the window; otherwise only the
    input cells.

    ```mlir
    %y = nn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1]
           count_include_pad : (tensor<1x8x9x9xf32>) -> tensor<1x8x5x5xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       UnitAttr:$ceil_mode, UnitAttr:$count_include_pad);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $stride `padding` $padding
    (`ceil_mode` $ceil_mode^)? (`count_include_pad` $count_include_pad^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_AdaptiveAvgPool2DOp : NN_Op<"adaptive_avg_pool2d", [Pure]> {
  let summary = "Adaptive average pooling to the result's size (nn.AdaptiveAvgPool2d)";
  let description = [{
    Output cell `i` averages input rows `floor(i*H/OH)` to
    `ceil((i+1)*H/OH) - 1` (and likewise for columns). Folds to its input
    when the sizes already agree.

    ```mlir
    %y = nn.adaptive_avg_pool2d %x
           : (tensor<1x256x13x13xf32>) -> tensor<1x256x6x6xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

def NN_LRNOp : NN_Op<"lrn", [Pure, SameOperandsAndResultType]> {
  let summary = "Local response normalisation across channels (nn.LocalResponseNorm)";
  let description = [{
    `y = x / (k + alpha/size * sum(x^2 over the size neighbouring channels))^beta`,
    the window running from `c - size/2` to `c + (size-1)/2`, zero outside.
    An optional `before` moves the window to start `before` channels before
    `c` (ONNX centres an even window one channel later: `(size-1)/2`).

    ```mlir
    %y = nn.lrn %x size 5 alpha 1.000000e-04 beta 7.500000e-01 k 1.000000e+00
           : tensor<1x64x55x55xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$size, F64Attr:$alpha,
                       F64Attr:$beta, F64Attr:$k,
                       OptionalAttr<I64Attr>:$before);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `size` $size `alpha` $alpha `beta` $beta `k` $k
    (`before` $before^)? attr-dict `:` type($result)
  }];
  let extraClassDeclaration = [{
    /// Channels of the window before the centre (size/2 unless `before`).
    int64_t getChannelsBefore() { return getBefore().value_or(getSize() / 2); }
  }];
  let hasVerifier = 1;
}

def NN_BatchNormOp : NN_Op<"batch_norm", [Pure]> {
  let summary = "Inference batch normalisation over channels (nn.BatchNorm2d, eval)";
  let description = [{
    `y = (x - mean) / sqrt(var + eps) * weight + bias` per channel (dim 1).
    `kiln-simplify` folds it into a preceding convolution.

    ```mlir
    %y = nn.batch_norm %x, %w, %b, %mean, %var eps 1.000000e-05
           : (tensor<1x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>,
              tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight, NN_Tensor:$bias,
                       NN_Tensor:$running_mean, NN_Tensor:$running_var,
                       F64Attr:$eps);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var
    `eps` $eps attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_SoftmaxOp : NN_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax over dimension 1 (nn.Softmax(dim=1))";
  let description = [{
    Normalises over dimension 1 by default. `dims` names other dimensions,
    consecutive and ascending, normalised together (ONNX's Softmax before
    opset 13 normalises everything from its axis on as one vector); `log`
    gives the logarithm of the result (nn.LogSoftmax), computed stably.

    ```mlir
    %y = nn.softmax %x : tensor<1x10xf32>
    %z = nn.softmax %x dims [2, 3] log : tensor<2x3x4x5xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input,
                       OptionalAttr<DenseI64ArrayAttr>:$dims, UnitAttr:$log);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input (`dims` $dims^)? (`log` $log^)? attr-dict `:` type($result)
  }];
  let extraClassDeclaration = [{
    /// The dimensions normalised together ([1] unless `dims` says).
    llvm::SmallVector<int64_t> getNormalizedDims();
  }];
  let hasVerifier = 1;
}

/// A reduction over `dims` (ascending, distinct), which the result keeps
/// with size 1 (ONNX's keepdims).
class NN_ReduceOp<string mnemonic, string what>
    : NN_Op<mnemonic, [Pure]> {
  let summary = "The " # what # " over dimensions, kept with size 1";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `dims` $dims attr-dict `:` functional-type($input, $result)
  }];
  let hasVerifier = 1;
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "sum"> {
  let description = [{
    ```mlir
    %s = nn.reduce_sum %x dims [1] : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
    ```
  }];
}
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "mean"> {
  let description = [{
    The sum divided by the number of elements summed (CBAM's channel
    average; a mean over dimensions 2 and 3 of an NCHW tensor is better
    written `nn.adaptive_avg_pool2d`, which the importers do):

    ```mlir
    %m = nn.reduce_mean %x dims [1] : (tensor<1x64x7x7xf32>) -> tensor<1x1x7x7xf32>
    ```
  }];
}
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max", "maximum"> {
  let description = [{
    NaN where any element reduced is NaN, as torch.amax:

    ```mlir
    %m = nn.reduce_max %x dims [1] : (tensor<1x64x7x7xf32>) -> tensor<1x1x7x7xf32>
    ```
  }];
}
def NN_ReduceProdOp : NN_ReduceOp<"reduce_prod", "product"> {
  let description = [{
    ONNX's ReduceProd (the product of an empty set is 1):

    ```mlir
    %p = nn.reduce_prod %x dims [2, 3] : (tensor<1x3x4x4xf32>) -> tensor<1x3x1x1xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

def NN_FlattenOp : NN_Op<"flatten", [Pure]> {
  let summary = "Collapse all dimensions after the first (nn.Flatten)";
  let description = [{
    An optional `axis` (default 1) splits the dimensions elsewhere, as ONNX's
    Flatten does: the result is [product of the dimensions before `axis`,
    product of the others]; axis 0 gives [1, all].

    ```mlir
    %y = nn.flatten %x : (tensor<1x16x5x5xf32>) -> tensor<1x400xf32>
    %z = nn.flatten %x axis 2 : (tensor<2x3x4x5xf32>) -> tensor<6x20xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, OptionalAttr<I64Attr>:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input (`axis` $axis^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_TransposeOp : NN_Op<"transpose", [Pure]> {
  let summary = "Permute the dimensions of a tensor (ONNX's Transpose)";
  let description = [{
    Result dimension `i` is input dimension `perm[i]`. Imported graphs need
    it where a matrix product reads its input transposed (Gemm's transA).

    ```mlir
    %y = nn.transpose %x perm [1, 0] : (tensor<6x3xf32>) -> tensor<3x6xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `perm` $perm attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_ReshapeOp : NN_Op<"reshape", [Pure]> {
  let summary = "Give a tensor another shape of as many elements";
  let description = [{
    The elements keep their row-major order, as ONNX's Reshape and
    PyTorch's `view` define it: only the shape changes. Imported graphs
    need it where nn.flatten's two runs of dimensions do not say it:
    ShuffleNet's channel shuffle views [N, C, H, W] as [N, g, C/g, H, W]
    before transposing the groups.

    ```mlir
    %y = nn.reshape %x : (tensor<1x48x8x8xf32>) -> tensor<1x2x24x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def NN_SliceOp : NN_Op<"slice", [Pure]> {
  let summary = "A strided window of a tensor (ONNX's Slice and Split)";
  let description = [{
    Result element `i` is input element `offsets + i * strides` (strides
    default to 1; a negative one reads backwards, as torch.flip does); the
    result type gives the window's size, which must lie inside the input.
    ShuffleNet splits its channels in two halves this way (`x.chunk(2, 1)`);
    a stride of 2 takes every other row or column (YOLOv5's
    space-to-depth).

    ```mlir
    %y = nn.slice %x offsets [0, 24, 0, 0]
        : (tensor<1x48x8x8xf32>) -> tensor<1x24x8x8xf32>
    %z = nn.slice %x offsets [0, 0, 1, 0] strides [1, 1, 2, 2]
        : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `offsets` $offsets (`strides` $strides^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The strides, 1 along every dimension when not given.
    llvm::SmallVector<int64_t> getStridesOrOnes();
  }];
}

//===----------------------------------------------------------------------===//
// Joins (residual sums and channel concatenation, as imported graphs have)
//===----------------------------------------------------------------------===//

def NN_AddOp : NN_Op<"add", [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "Element-wise sum of two tensors of one shape (x + f(x))";
  let description = [{
    Joins two branches, as a residual connection does. There is no
    broadcasting: both operands and the result have one type, so that an
    importer must say when a graph's broadcast has no equivalent here.

    ```mlir
    %y = nn.add %a, %b : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

/// An element-wise arithmetic op whose right operand broadcasts: of the
/// left operand's shape, or of size 1 along some dimensions, read again
/// along them. The result has the left operand's type.
class NN_RightBroadcastOp<string mnemonic>
    : NN_Op<mnemonic, [Pure, AllTypesMatch<["lhs", "result"]>]> {
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)
  }];
  let hasVerifier = 1;
}

def NN_MulOp : NN_RightBroadcastOp<"mul"> {
  let summary = "Element-wise product, the right operand broadcast (x * s)";
  let description = [{
    Multiplies two activations: of one shape (SiLU's x * sigmoid(x)), or
    with `rhs` of size 1 along some dimensions, read again along them (a
    squeeze-and-excitation block scaling [N, C, H, W] channels by its
    [N, C, 1, 1] weights). Only the right operand broadcasts; the result
    has the left operand's type.

    ```mlir
    %y = nn.mul %x, %s : tensor<1x16x56x56xf32>, tensor<1x16x1x1xf32>
    ```
  }];
}

def NN_SubOp : NN_RightBroadcastOp<"sub"> {
  let summary = "Element-wise difference, the right operand broadcast (x - m)";
  let description = [{
    `lhs - rhs`, `rhs` broadcast as `nn.mul`'s (an exported model's
    normalisation subtracting per-channel means, or a softmax written out
    subtracting each row's maximum).

    ```mlir
    %y = nn.sub %x, %mean : tensor<1x3x224x224xf32>, tensor<1x3x1x1xf32>
    ```
  }];
}

def NN_DivOp : NN_RightBroadcastOp<"div"> {
  let summary = "Element-wise quotient, the right operand broadcast (x / s)";
  let description = [{
    `lhs / rhs` in IEEE division (not a product by the reciprocal), `rhs`
    broadcast as `nn.mul`'s (an exported model's normalisation dividing by
    per-channel deviations, or a softmax written out dividing by each row's
    sum).

    ```mlir
    %y = nn.div %x, %std : tensor<1x3x224x224xf32>, tensor<1x3x1x1xf32>
    ```
  }];
}

def NN_MaximumOp : NN_RightBroadcastOp<"maximum"> {
  let summary = "Element-wise maximum, the right operand broadcast";
  let description = [{
    The larger of `lhs` and `rhs`, `rhs` broadcast as `nn.mul`'s (ONNX's
    Max of two activations, as a maxout unit or an exported clamp by a
    tensor takes it). A NaN in either operand gives NaN, as numpy's
    `maximum` and PyTorch's `torch.maximum`.

    ```mlir
    %y = nn.maximum %a, %b : tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>
    ```
  }];
}

def NN_MinimumOp : NN_RightBroadcastOp<"minimum"> {
  let summary = "Element-wise minimum, the right operand broadcast";
  let description = [{
    The smaller of `lhs` and `rhs`, broadcast and NaN as `nn.maximum`'s.

    ```mlir
    %y = nn.minimum %a, %b : tensor<1x16x8x8xf32>, tensor<1x1x8x8xf32>
    ```
  }];
}

def NN_PowOp : NN_RightBroadcastOp<"pow"> {
  let summary = "Element-wise power, the right operand broadcast (x ^ y)";
  let description = [{
    `lhs` raised to `rhs`, `rhs` broadcast as `nn.mul`'s (ONNX's Pow by a
    tensor of exponents, or by one an importer has no exact product for).
    Follows C's `powf`, as numpy's `power` does for float32: a negative base
    gives a real power only for an integer exponent (NaN otherwise), and
    x^0 is 1 for every x.

    ```mlir
    %y = nn.pow %x, %e : tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>
    ```
  }];
}

def NN_PReluOp : NN_Op<"prelu",
                        [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Element-wise ReLU with learned slopes (nn.PReLU)";
  let description = [{
    `x` where x > 0, `slope * x` elsewhere, the slope read as `nn.mul`
    reads its right operand: of the input's rank, each dimension the
    input's size or 1 (ONNX's PRelu; PyTorch's per-channel slopes are
    [1, C, 1, 1]).

    ```mlir
    %y = nn.prelu %x, %slope : tensor<1x16x56x56xf32>, tensor<1x16x1x1xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$slope);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $slope attr-dict `:` type($input) `,` type($slope)
  }];
  let hasVerifier = 1;
}

def NN_ConcatOp : NN_Op<"concat", [Pure]> {
  let summary = "Concatenation along one dimension (torch.cat)";
  let description = [{
    Stacks the inputs along `dim` (usually 1, the channels, as an Inception
    block or a DenseNet joins its branches); every other dimension agrees.

    ```mlir
    %y = nn.concat %a, %b dim 1
           : (tensor<1x64x28x28xf32>, tensor<1x32x28x28xf32>)
           -> tensor<1x96x28x28xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $inputs `dim` $dim attr-dict `:` functional-type($inputs, $result)
  }];
  let hasVerifier = 1;
}

#endif // KILN_DIALECT_NN_NNOPS_TD
