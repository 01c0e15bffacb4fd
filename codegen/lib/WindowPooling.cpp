//===- WindowPooling.cpp - Max and sum pooling kernel ---------------------===//
//
// A pooling that no convolution kernel computes in its epilogue (ResNet's
// padded 3x3 stride-2 max pool after its first convolution, a pooling
// behind a concatenation or a residual sum) went through the generic
// lowering: the padded input copied whole into a buffer filled with the
// padding value, then a scalar loop per window tap with stride-2 loads that
// do not vectorize, on one thread (1.5 ms for ResNet-18's 64x112x112 stem
// pool). It now runs on the per-channel window kernel (ChannelWindows.cpp):
// a padded plane is padded and split into phases in a scratch that stays in
// cache (an unpadded stride-2 one read by two loads and a shuffle per
// vector), and each tap folds vectors of input into register blocks of
// outputs with arith.maximumf (max) or arith.addf (sum), in the generic
// loop's order of taps, so that the results are bit-identical (0.65 ms).
//
//===----------------------------------------------------------------------===//
#include "ChannelWindows.h"
#include "KernelBuilders.h"
#include "MicroKernels.h"

#include "kiln/Dialect/NN/FusionAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace kiln::kernels {
namespace {

/// The linalg.fill of `output` that `op` accumulates onto: the last fill of
/// it before `op` in the same block, with nothing else touching `output` in
/// between. Returns null when there is none.
linalg::FillOp matchOutputFill(Value output, Operation *op) {
  linalg::FillOp fill;
  for (Operation *user : output.getUsers()) {
    auto candidate = dyn_cast<linalg::FillOp>(user);
    if (!candidate || candidate.getOutputs()[0] != output ||
        candidate->getBlock() != op->getBlock() ||
        !candidate->isBeforeInBlock(op))
      continue;
    if (!fill || fill->isBeforeInBlock(candidate))
      fill = candidate;
  }
  if (!fill)
    return {};
  for (Operation *user : output.getUsers()) {
    if (user == fill || user == op)
      continue;
    if (user->getBlock() != op->getBlock())
      return {};
    if (fill->isBeforeInBlock(user) && user->isBeforeInBlock(op))
      return {};
  }
  return fill;
}

template <typename PoolingOp>
LogicalResult lowerWindowPooling(PoolingOp op, PatternRewriter &rewriter,
                                 const KernelShape &shape) {
  constexpr bool isMax = std::is_same_v<PoolingOp, linalg::PoolingNchwMaxOp>;
  // A fused group's pooling is its convolution kernel's to compute.
  if (op->hasAttr(nn::kFusionGroupAttrName))
    return rewriter.notifyMatchFailure(op, "pooling of a fused group");
  FailureOr<std::array<Value, 3>> operands = denseOperands(op, rewriter);
  if (failed(operands))
    return failure();
  Value input = (*operands)[0], kernel = (*operands)[1],
        output = (*operands)[2];
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
  ArrayRef<int64_t> sizes = cast<MemRefType>(kernel.getType()).getShape();
  ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
  if (in.size() != 4 || sizes.size() != 2)
    return rewriter.notifyMatchFailure(op, "not a 2-D pooling");
  // A global average pool's whole-plane sum is PlaneSum.cpp's.
  if (!isMax && sizes[0] == in[2] && sizes[1] == in[3])
    return rewriter.notifyMatchFailure(op, "a sum over whole planes");
  WindowGeometry window;
  window.kh = sizes[0];
  window.kw = sizes[1];
  for (int d = 0; d < 2; ++d) {
    window.strides[d] = op.getStrides().template getValues<int64_t>()[d];
    window.dilations[d] = op.getDilations().template getValues<int64_t>()[d];
  }
  // The taps are unrolled.
  if (window.kh * window.kw > 49)
    return rewriter.notifyMatchFailure(op, "window too large to unroll");

  // Over values in [+0, +inf] and NaNs (kNonNegativeInputAttrName), the
  // max of the bits as unsigned integers is the NaN-propagating max, in one
  // instruction instead of three (VectorPool's, KernelBuilders.h); such a
  // pooling pads and starts with +0 (Pooling.cpp), which has the smallest
  // bits.
  bool unsignedMax = isMax && op->hasAttr(nn::kNonNegativeInputAttrName);
  // Padding a max pooling pads with -inf, a sum pooling with 0.
  float padValue =
      isMax && !unsignedMax ? -std::numeric_limits<float>::infinity() : 0.0f;
  std::optional<PaddedSource> padded =
      matchPaddedSource(input, op, [&](const APFloat &v) {
        return v.bitwiseIsEqual(APFloat(padValue));
      });
  linalg::FillOp fill = matchOutputFill(output, op);
  Value initial = fill ? fill.getInputs()[0] : Value();
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  auto vectorType = VectorType::get({shape.vectorWidth}, b.getF32Type());

  WindowTaps taps;
  taps.fold = [&](ImplicitLocOpBuilder &b, Value acc, Value x, Value) -> Value {
    if constexpr (isMax) {
      if (!unsignedMax)
        return arith::MaximumFOp::create(b, acc, x);
      return unsignedMaxOfBits(b, acc, x);
    } else {
      return arith::AddFOp::create(b, acc, x);
    }
  };
  // A pooling reads each input about once or twice: splitting the planes
  // would cost as much as the pooling and a plane-sized scratch.
  taps.splitStridedPlanes = false;
  // The output's fill (the fold's identity) becomes the registers' start
  // instead of a pass over memory.
  if (initial)
    taps.start = [&](ImplicitLocOpBuilder &b, Value) -> Value {
      return vector::BroadcastOp::create(b, vectorType, initial);
    };
  // One load and one max or add per tap, as a depthwise convolution's FMA:
  // the same 4 dense multiply-adds (DepthwiseConv.cpp).
  constexpr int64_t kDenseMultiplyAddsPerTap = 4;
  int64_t work = out[1] * out[2] * out[3] * window.kh * window.kw *
                 kDenseMultiplyAddsPerTap;
  buildChannelWindows(b, rewriter, input, output, window, padded, padValue,
                      taps, work, shape);
  rewriter.eraseOp(op);
  if (fill)
    rewriter.eraseOp(fill);
  return success();
}

} // namespace

LogicalResult lowerMaxPooling(linalg::PoolingNchwMaxOp op,
                              PatternRewriter &rewriter,
                              const KernelShape &shape) {
  return lowerWindowPooling(op, rewriter, shape);
}

LogicalResult lowerSumPooling(linalg::PoolingNchwSumOp op,
                              PatternRewriter &rewriter,
                              const KernelShape &shape) {
  return lowerWindowPooling(op, rewriter, shape);
}

} // namespace kiln::kernels
