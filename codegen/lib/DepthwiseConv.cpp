//===- DepthwiseConv.cpp - Depthwise convolution kernel -------------------===//
//
// A depthwise convolution (groups == channels, one output channel per
// group: MobileNet's 3x3 layers) reaches here as linalg.conv_2d_ngchw_gfchw
// with one channel per group. Each output channel reads only its own input
// plane: it runs on the per-channel window kernel (ChannelWindows.cpp),
// each tap multiplying its one broadcast weight by the input vectors under
// a register block of outputs:
//
//   acc[r][c] += broadcast(w[g, kh, kw])
//                * in[n, g, (oh+r)*s + kh*d, (ow + c*V)*s + kw*d : +V]
//
// A fused bias and ReLU, clamp or hard swish are applied in registers; a
// fused pooling leaves the group to the generic path.
//
//===----------------------------------------------------------------------===//
#include "ChannelWindows.h"
#include "KernelBuilders.h"
#include "MicroKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace kiln::kernels {

LogicalResult lowerDepthwiseConv(linalg::Conv2DNgchwGfchwOp op,
                                 PatternRewriter &rewriter,
                                 const KernelShape &shape) {
  // A fused group (bias, ReLU or clamp) is computed here as a whole, after
  // its last op; one with a pooling runs as its ops.
  FailureOr<FusionGroup> group = matchFusionGroup(op);
  bool fused = succeeded(group);
  if (fused && !group->pool.empty())
    return rewriter.notifyMatchFailure(op, "fused pooling");
  FailureOr<std::array<Value, 3>> operands = denseOperands(op, rewriter);
  if (failed(operands))
    return failure();
  Value input = (*operands)[0], filter = (*operands)[1],
        output = (*operands)[2];
  // [N, G, 1, H, W], [G, 1, 1, KH, KW], [N, G, 1, OH, OW].
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
  ArrayRef<int64_t> weights = cast<MemRefType>(filter.getType()).getShape();
  ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
  if (in[2] != 1 || weights[1] != 1 || weights[2] != 1)
    return rewriter.notifyMatchFailure(op, "not one channel per group");
  WindowGeometry window;
  window.kh = weights[3];
  window.kw = weights[4];
  for (int d = 0; d < 2; ++d) {
    window.strides[d] = op.getStrides().getValues<int64_t>()[d];
    window.dilations[d] = op.getDilations().getValues<int64_t>()[d];
  }
  // Unrolled taps: a filter this size is not a depthwise layer's.
  if (window.kh * window.kw > 49)
    return rewriter.notifyMatchFailure(op, "filter too large to unroll");

  if (fused)
    rewriter.setInsertionPointAfter(group->ops.back());
  // Before any view of the input is made here.
  std::optional<PaddedSource> padded =
      matchPaddedSource(input, op, [](const APFloat &v) { return v.isZero(); });
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  // As 4-D [N, G, H, W].
  SmallVector<ReassociationIndices> channelPlanes = {{0}, {1, 2}, {3}, {4}};
  Value input4 = memref::CollapseShapeOp::create(b, input, channelPlanes);
  // Fused, the sums start from the bias and go to the group's result.
  Value output4 =
      fused ? group->result
            : memref::CollapseShapeOp::create(b, output, channelPlanes)
                  .getResult();
  Value filter3 = memref::CollapseShapeOp::create(
      b, filter, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}, {4}});
  auto vectorType = VectorType::get({shape.vectorWidth}, b.getF32Type());

  WindowTaps taps;
  taps.tapValue = [&](ImplicitLocOpBuilder &b, Value g, int64_t i,
                      int64_t j) -> Value {
    return vector::BroadcastOp::create(
        b, vectorType,
        memref::LoadOp::create(
            b, filter3,
            ValueRange{g, indexConstant(b, i), indexConstant(b, j)}));
  };
  taps.fold = [](ImplicitLocOpBuilder &b, Value acc, Value x,
                 Value w) -> Value {
    return vector::FMAOp::create(b, w, x, acc);
  };
  // Unfused, the output holds the bias: the sums start from it.
  if (fused) {
    taps.start = [&](ImplicitLocOpBuilder &b, Value g) {
      return fusedStart(b, *group, g, vectorType);
    };
    taps.finish = [&](ImplicitLocOpBuilder &b, Value sum) {
      return applyActivation(b, sum, *group);
    };
    // A SiLU is ~25 vector ops, most of them one chain through its exp.
    taps.finishOverRows = group->activation &&
                          group->activation->kind == nn::Activation::Kind::SiLU;
  }
  // Work per batch item, to decide whether threads pay off, in the dense
  // kernels' multiply-adds (buildBlockLoop's unit): a depthwise one loads
  // about one input vector per FMA and runs at ~15-20 GFLOP/s where the
  // dense kernels reach 60-80, so it counts 4. Counted as dense, MobileNetV2's
  // 14x14 and 7x7 depthwise layers (0.25-1M multiply-adds, 0.06-0.1 ms) ran
  // on one thread.
  constexpr int64_t kDenseMultiplyAddsPerDepthwise = 4;
  int64_t work = out[1] * out[3] * out[4] * window.kh * window.kw *
                 kDenseMultiplyAddsPerDepthwise;
  buildChannelWindows(b, rewriter, input4, output4, window, padded,
                      /*padValue=*/0.0f, taps, work, shape);
  eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
  return success();
}

} // namespace kiln::kernels
