//===- FlatWindows.cpp - Window kernel for planes narrower than a vector --===//
//
// The channel window kernel (ChannelWindows.cpp) puts a row's columns along
// the vector lanes, so a plane narrower than a vector leaves lanes idle: a
// 7-column row (MobileNet's and EfficientNet's last stage) fills 7 of 16.
// When a stride-1 layer keeps its plane's size (padded to "same"), this
// kernel lays the whole plane along the lanes instead, 16 consecutive
// outputs q = oh * W + ow per vector, rows run together:
//
//   acc[v] = fold(acc[v], plane[q + i * W + j], tap(i, j)),  q = 16v + lane
//
// `plane` is one channel's input, copied whole into a scratch that holds
// `top` rows of padding above it and `left` padding values before it, so
// that input (oh + i - top, ow + j - left) sits at index q + i * W + j. A
// lane whose column ow + j - left falls off its row (into the row before
// or after) is masked off and reads the padding value instead; the masks
// are constants, as the plane's few vectors are unrolled. A 7x7 plane takes
// 4 vectors where its rows took 7, and so 4 loads and folds per tap.
//
//===----------------------------------------------------------------------===//
#include "ChannelWindows.h"
#include "KernelBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace kiln::kernels {

LogicalResult buildFlatChannelWindows(ImplicitLocOpBuilder &b,
                                      PatternRewriter &rewriter, Value input,
                                      Value output,
                                      const WindowGeometry &window,
                                      std::optional<PaddedSource> padded,
                                      float padValue, const WindowTaps &taps,
                                      int64_t work, const KernelShape &shape) {
  auto outType = cast<MemRefType>(output.getType());
  Value source = padded ? padded->source : input;
  auto sourceType = cast<MemRefType>(source.getType());
  // [N, C, H, W] for both: the layer keeps the plane's size.
  ArrayRef<int64_t> out = outType.getShape();
  ArrayRef<int64_t> src = sourceType.getShape();
  int64_t width = shape.vectorWidth;
  int64_t h = out[2], w = out[3], planeSize = h * w;
  int64_t vectors = llvm::divideCeil(planeSize, width);
  int64_t kh = window.kh, kw = window.kw;
  int64_t top = padded ? padded->top : 0, left = padded ? padded->left : 0;
  // Planes narrower than a vector, of at most 16 vectors (the unrolled
  // accumulators stay in registers).
  constexpr int64_t kMaxVectors = 16;
  if (window.strides[0] != 1 || window.strides[1] != 1 ||
      window.dilations[0] != 1 || window.dilations[1] != 1 || src.size() != 4 ||
      src[2] != h || src[3] != w || w >= width || vectors > kMaxVectors ||
      top >= kh || left >= kw || !outType.getLayout().isIdentity() ||
      !sourceType.getLayout().isIdentity())
    return failure();

  auto vectorType = VectorType::get({width}, b.getF32Type());
  auto maskType = VectorType::get({width}, b.getI1Type());
  // Every index q + i * W + j of a lane (masked or not) is inside the plane.
  int64_t scratchSize = vectors * width + (kh - 1) * w + (kw - 1);
  int64_t dataStart = left + top * w;
  SmallVector<ReassociationIndices> flat = {{0}, {1}, {2, 3}};
  Value flatOutput = memref::CollapseShapeOp::create(b, output, flat);
  Value flatSource = memref::CollapseShapeOp::create(b, source, flat);
  Value padVector = arith::ConstantOp::create(
      b, vectorType,
      SplatElementsAttr::get(vectorType, b.getF32FloatAttr(padValue)));

  // The lanes of vector v that are outputs of the plane (null: all).
  auto planeMask = [&](ImplicitLocOpBuilder &b, int64_t v) -> Value {
    int64_t valid = std::min(width, planeSize - v * width);
    if (valid == width)
      return {};
    return vector::CreateMaskOp::create(b, maskType,
                                        ValueRange{indexConstant(b, valid)});
  };
  // The lanes of vector v whose input column for tap column j is on their
  // own row; nothing when none is, null when all are.
  auto tapMask = [&](int64_t v, int64_t j) -> std::optional<SmallVector<bool>> {
    SmallVector<bool> lanes;
    for (int64_t lane = 0; lane < width; ++lane) {
      int64_t q = v * width + lane, column = q % w + j - left;
      lanes.push_back(q < planeSize && column >= 0 && column < w);
    }
    if (llvm::none_of(lanes, [](bool on) { return on; }))
      return std::nullopt;
    return lanes;
  };

  // One scratch plane per group of channels, as ChannelWindows.cpp's.
  int64_t groups = blockFor(out[1], kScratchPlaneGroups);
  int64_t channelsPerGroup = out[1] / groups;
  Value planes = memref::AllocOp::create(
      b, MemRefType::get({groups, scratchSize}, b.getF32Type()),
      b.getI64IntegerAttr(64));
  buildLoop(b, out[0], 1, {}, [&](auto &b, Value n, ValueRange) {
    buildBlockLoop(b, groups, work, [&](ImplicitLocOpBuilder &b, Value group) {
      // The padding, written once for the group's channels.
      for (int64_t at = 0; at < scratchSize; at += width) {
        Value mask = at + width <= scratchSize
                         ? Value()
                         : vector::CreateMaskOp::create(
                               b, maskType,
                               ValueRange{indexConstant(b, scratchSize - at)});
        storeVector(b, padVector, planes, {group, indexConstant(b, at)}, mask);
      }
      buildLoop(b, channelsPerGroup, 1, {}, [&](auto &b, Value i, ValueRange) {
        Value g = affineIndex(b, i, group, channelsPerGroup);
        for (int64_t v = 0; v < vectors; ++v) {
          Value mask = planeMask(b, v);
          Value x = loadVector(b, vectorType, flatSource,
                               {n, g, indexConstant(b, v * width)}, mask);
          storeVector(b, x, planes,
                      {group, indexConstant(b, dataStart + v * width)}, mask);
        }
        Value start = taps.start ? taps.start(b, g) : Value();
        SmallVector<Value> accs;
        for (int64_t v = 0; v < vectors; ++v)
          accs.push_back(start ? start
                               : loadVector(b, vectorType, flatOutput,
                                            {n, g, indexConstant(b, v * width)},
                                            planeMask(b, v)));
        for (int64_t ti = 0; ti < kh; ++ti)
          for (int64_t tj = 0; tj < kw; ++tj) {
            Value tap = taps.tapValue ? taps.tapValue(b, g, ti, tj) : Value();
            for (int64_t v = 0; v < vectors; ++v) {
              // A lane off its row reads the padding, which folds to
              // nothing: a vector with no lane on it is skipped.
              std::optional<SmallVector<bool>> lanes = tapMask(v, tj);
              if (!lanes)
                continue;
              Value at = indexConstant(b, v * width + ti * w + tj);
              Value x;
              if (llvm::all_of(*lanes, [](bool on) { return on; }))
                x = vector::LoadOp::create(b, vectorType, planes,
                                           ValueRange{group, at});
              else
                x = vector::MaskedLoadOp::create(
                    b, vectorType, planes, ValueRange{group, at},
                    arith::ConstantOp::create(
                        b, maskType, DenseElementsAttr::get(maskType, *lanes)),
                    padVector);
              accs[v] = taps.fold(b, accs[v], x, tap);
            }
          }
        // A long finish (a SiLU) runs on the stored vectors one at a time,
        // as ChannelWindows.cpp's does past 8 accumulators; these vectors
        // are stored whole, so the loads take the stores' values directly.
        bool finishStored = taps.finish && taps.finishOverRows && vectors > 8;
        for (int64_t v = 0; v < vectors; ++v) {
          Value result = accs[v];
          if (taps.finish && !finishStored)
            result = taps.finish(b, result);
          storeVector(b, result, flatOutput,
                      {n, g, indexConstant(b, v * width)}, planeMask(b, v));
        }
        if (finishStored)
          finishStoredSpan(b, flatOutput, n, g, indexConstant(b, 0), planeSize,
                           width, taps.finish);
        return SmallVector<Value>();
      });
    });
    return SmallVector<Value>();
  });
  memref::DeallocOp::create(b, planes);
  if (padded)
    for (Operation *padding : padded->ops)
      rewriter.eraseOp(padding);
  return success();
}

} // namespace kiln::kernels
