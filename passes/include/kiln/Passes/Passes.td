//===- Passes.td - Kiln's nn-level passes ------------------*- tablegen -*-===//
//
// Passes that run on the `nn` dialect: simplification at the layer level and
// the lowering of layers to linalg on tensors, where tiling and code
// generation take over.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_PASSES_TD
#define KILN_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def SimplifyPass : Pass<"kiln-simplify", "mlir::ModuleOp"> {
  let summary = "Remove inference no-ops and fold batchnorm into convolutions";
  let description = [{
    A spec mirrors the PyTorch module it came from, so its IR carries layers
    that do nothing at inference: `nn.dropout`, adaptive pools to the size
    they already have, flattens of matrices. Their folders remove them here,
    before any lowering has to care.

    An `nn.batch_norm` that directly follows an `nn.conv2d` (or an
    `nn.conv_transpose2d`, whose weight slices `[c, m]` feed output channel
    `m` of their group) is an affine map per output channel, so it can be
    folded into the convolution's weights at compile time: with
    `s = gamma / sqrt(var + eps)`,

        w'[o] = w[o] * s[o]
        b'[o] = (b[o] - mean[o]) * s[o] + beta[o]      (b = 0 without bias)

    which removes a full pass over the activation per batchnorm. The fold
    runs only when the convolution's sole user is the batchnorm (otherwise the
    unnormalised result is still needed) and every parameter is a constant.
    The arithmetic is done in double and stored as f32. Weights held in
    `dense_resource` blobs produce new blobs named after the original weight
    plus `.bnfolded`, so no weight is ever uniqued into the context.

    A batchnorm without a convolution before it stays and is lowered by
    `convert-nn-to-linalg`.

    An element-wise op (an op with the `Elementwise` trait: the activations,
    `nn.exp`, `nn.dropout`, ...) whose input is an `nn.reshape` nothing else
    reads moves before it: `f(reshape(x))` becomes `reshape(f(x))`. The ONNX
    importer runs 1-D layers as 2-D ones between reshapes; so moved, a 1-D
    convolution's ReLU follows the convolution directly (kiln-fuse then fuses
    them), and the reshapes between layers meet and fold away.

    An `nn.avg_pool2d` without padding after a pointwise `nn.conv2d` (1x1,
    stride 1, no padding) that nothing else reads moves before it:
    `avg_pool(conv(x))` becomes `conv(avg_pool(x))`, the same map (the pool
    acts on H and W, the convolution on channels, and the average of a bias
    is the bias), with the convolution on the pooled cells: a quarter of
    them in DenseNet's transitions (2x2 pools). It is done where the
    multiply-adds saved exceed the additions the pool gains on a wider
    input.

    Example:

    ```mlir
    %c = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1]
           dilation [1, 1] groups 1 : (...) -> tensor<1x16x8x8xf32>
    %y = nn.batch_norm %c, %g, %beta, %mean, %var eps 1.000000e-05 : (...)
    ```

    becomes a single `nn.conv2d %x, %w2, %b2` whose operands are new
    constants.
  }];
  let options = [
    Option<"foldBatchNorm", "fold-batch-norm", "bool", /*default=*/"true",
           "Fold nn.batch_norm into a preceding nn.conv2d">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def FusePass : Pass<"kiln-fuse", "mlir::ModuleOp"> {
  let summary = "Fuse conv + ReLU + pooling chains and linear + ReLU into one op";
  let description = [{
    Every layer of a CNN that is lowered on its own writes its whole output
    to memory and the next one reads it back: after a convolution, the ReLU
    and the pooling are two such passes over the largest tensors of the
    network. This pass merges the chains so that the kernels can apply them
    to tiles of the convolution while they are still in registers and cache:

    * `nn.relu(nn.conv2d)` -> `nn.fused_conv2d ... relu`
    * `nn.max_pool2d` / `nn.avg_pool2d` of a convolution (fused or not, with
      no pooling yet) -> `nn.fused_conv2d ... pool "max"|"avg" ...`, when the
      pooling has no padding and every window lies inside the convolution's
      output (so ceil_mode changes nothing);
    * `nn.relu(nn.fused_conv2d ... pool "max")` without a ReLU yet: the ReLU
      moves before the pooling (max and ReLU commute);
    * `nn.relu(nn.linear)` -> `nn.fused_linear ... relu`.

    A producer with more than one user is never fused (its unfused result is
    still needed), and neither is a pooling with padding (tile alignment).
    The fused op's location fuses those of the layers it replaces, so
    diagnostics still name every spec line.
  }];
}

def RecordLayersPass : Pass<"kiln-record-layers", "mlir::ModuleOp"> {
  let summary = "Record the model's layers (name, location, FLOPs) for profiling";
  let description = [{
    Once lowered, a layer is a loop nest that no longer says what it was.
    This pass lists every nn op of the entry function, in order, as the module
    attribute `kiln.layers`: for each, its location (the spec lines it comes
    from, several for a fused op), a name such as `conv2d+relu+max_pool2d`
    and its floating-point operations at the model's batch size (a
    multiply-add counts two). `kiln-instrument-layers` later finds each
    layer's loops by that location, and compiled models report per-layer
    times and GFLOP/s with `--profile`.

    ```mlir
    module attributes {kiln.layers = [{flops = 235200 : i64,
        loc = loc("lenet5.nn":6:1), name = "conv2d+relu+max_pool2d"}, ...]}
    ```
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"forward\"",
           "Name of the model's entry function">,
  ];
}

def ConvertNNToLinalgPass : Pass<"convert-nn-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower nn layers to linalg, tensor, arith and math on tensors";
  let description = [{
    Lowers every `nn` op by dialect conversion (the nn dialect is illegal
    afterwards, so a layer without a lowering is an error, not a silent
    leftover). Convolutions, matmuls and pools become linalg named ops where
    one exists, so that tiling and vectorisation later see the structure:

    - `nn.conv2d`: zero `tensor.pad`, then `linalg.conv_2d_nchw_fchw` (or
      `linalg.conv_2d_ngchw_gfchw` on reshaped operands when grouped)
      accumulating into the broadcast bias;
    - `nn.conv_transpose2d` with a constant weight and no dilation: one
      stride-1 convolution per output phase (stride_h x stride_w of them),
      each over the input with the phase's taps of the weight (reversed,
      channels swapped, computed at compile time), written into every
      stride-th cell of the result by a strided `tensor.insert_slice`
      (over a 1x1 input, a matrix product `[N, C] x [C, M*kh*kw]` as
      `nn.linear`'s, cropped); otherwise one convolution over the input spread by the stride into
      zeros, with the whole weight flipped and channel-swapped (by a
      `linalg.generic` when it is computed), cropped where the padding
      exceeds the kernel's reach;
    - `nn.linear`: `linalg.matmul` with a transposed weight map,
      accumulating into the broadcast bias;
    - pools: `linalg.pooling_nchw_max` / `_sum` over inputs padded with -inf
      or zero (extra bottom/right padding covers `ceil_mode`), the average
      divided by PyTorch's per-window divisor; adaptive pools with uneven
      windows become a `linalg.generic` over the largest window, masked;
    - activations, batchnorm, LRN, softmax: `linalg.generic`;
    - `nn.flatten`: `tensor.collapse_shape`; `nn.dropout`: its input.

    Every created op carries the location of the nn op it came from, which
    is the spec line; later diagnostics rely on it.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // KILN_PASSES_PASSES_TD
