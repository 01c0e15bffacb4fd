//===- DepthwiseConv.cpp - Depthwise convolution kernel -------------------===//
//
// A depthwise convolution (groups == channels, one output channel per
// group: MobileNet's 3x3 layers) reaches here as linalg.conv_2d_ngchw_gfchw
// with one channel per group. Each output channel reads only its own input
// plane, so the direct kernel's outer product (broadcast weights of several
// output channels times one input vector) has nothing to share. This kernel
// keeps R output rows x C vectors of output columns of one channel in
// registers instead and, for each filter tap, multiplies its one broadcast
// weight by the input vectors under those outputs:
//
//   acc[r][c] += broadcast(w[g, kh, kw])
//                * in[n, g, (oh+r)*s + kh*d, (ow + c*V)*s + kw*d : +V]
//
// The taps are unrolled. Rows of neighbouring outputs overlap (row oh+r at
// tap kh is row oh+r+1 at tap kh-1 when s == 1), and each input vector is
// loaded once per block: a 3x3 filter over 4 rows needs 6 input rows per
// column vector instead of 12 loads. A horizontal stride first splits the
// input rows into phases, as the direct kernel does, so that the columns one
// vector needs are contiguous (one channel's plane at a time, in a stack
// scratch that stays in cache). A fused bias and ReLU or clamp are applied
// in registers; a fused pooling leaves the group to the generic path.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilders.h"
#include "MicroKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <map>

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
  SmallVector<int64_t> strides(op.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dilations(op.getDilations().getValues<int64_t>());
  int64_t kh = weights[3], kw = weights[4];
  // Unrolled taps: a filter this size is not a depthwise layer's.
  if (kh * kw > 49)
    return rewriter.notifyMatchFailure(op, "filter too large to unroll");

  int64_t width = shape.vectorWidth;
  // Half the accumulator budget: the input vectors of a tap need the rest.
  int64_t budget = std::max<int64_t>(1, shape.convRows / 2);
  int64_t columnVectors = std::min<int64_t>(std::min<int64_t>(3, budget),
                                            llvm::divideCeil(out[4], width));
  int64_t rows = blockFor(
      out[3],
      std::max<int64_t>(1, std::min<int64_t>(4, budget / columnVectors)));
  int64_t columns = columnVectors * width;
  auto vectorType = VectorType::get({width}, rewriter.getF32Type());
  auto maskType = VectorType::get({width}, rewriter.getI1Type());

  if (fused)
    rewriter.setInsertionPointAfter(group->ops.back());
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  // As 4-D [N, G, H, W] for the phase split and simpler indexing.
  SmallVector<ReassociationIndices> planes = {{0}, {1, 2}, {3}, {4}};
  Value input4 = memref::CollapseShapeOp::create(b, input, planes);
  // Fused, the sums start from the bias and go to the group's result.
  Value output4 =
      fused ? group->result
            : memref::CollapseShapeOp::create(b, output, planes).getResult();
  Value filter3 = memref::CollapseShapeOp::create(
      b, filter, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}, {4}});
  int64_t stride = strides[1];
  // A strided layer splits each channel's plane into phases just before
  // using it, into a stack scratch that stays in cache: splitting the whole
  // input first makes one more pass over memory, which at batch 8 took as
  // long as the convolution. Planes too large for the stack (past what any
  // depthwise layer of MobileNet needs) are split up front.
  constexpr int64_t kMaxPlaneScratchBytes = 128 << 10;
  int64_t phaseWidth = llvm::divideCeil(in[4], stride);
  bool planeScratch =
      stride > 1 && in[3] * stride * phaseWidth * 4 <= kMaxPlaneScratchBytes;
  Value phased =
      stride == 1 || planeScratch ? input4 : splitPhases(b, input4, stride);

  // Output columns [ow, ow + valid) of rows [oh, oh + rows) of channel g.
  // `plane`: the channel's phase-split plane [H, s, W/s] when the layer
  // splits planes one by one.
  auto emitBlock = [&](ImplicitLocOpBuilder &b, Value n, Value g, Value oh,
                       Value ow, int64_t valid, Value plane) {
    SmallVector<Value> cols =
        indexSequence(b, ow, llvm::divideCeil(valid, width), width);
    SmallVector<Value> masks;
    for (int64_t c = 0; c * width < valid; ++c) {
      int64_t lanes = std::min(width, valid - c * width);
      masks.push_back(
          lanes == width
              ? Value()
              : vector::CreateMaskOp::create(
                    b, maskType, ValueRange{indexConstant(b, lanes)}));
    }
    int64_t vectors = cols.size();
    SmallVector<Value> ohs = indexSequence(b, oh, rows);
    // Unfused, the output holds the bias: the sums start from it.
    SmallVector<Value> accs;
    Value start;
    if (fused)
      start = group->bias
                  ? vector::BroadcastOp::create(
                        b, vectorType,
                        memref::LoadOp::create(b, group->bias, ValueRange{g}))
                        .getResult()
                  : arith::ConstantOp::create(b, vectorType,
                                              b.getZeroAttr(vectorType))
                        .getResult();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < vectors; ++c)
        accs.push_back(start ? start
                             : loadVector(b, vectorType, output4,
                                          {n, g, ohs[r], cols[c]}, masks[c]));
    Value ihBase = affineIndex(b, {}, oh, strides[0]);
    // Input vectors by (row offset from ihBase, tap column, vector): each is
    // loaded once per block.
    std::map<std::tuple<int64_t, int64_t, int64_t>, Value> loaded;
    auto inputVector = [&](int64_t rowOffset, int64_t j, int64_t c) {
      Value &x = loaded[{rowOffset, j, c}];
      if (x)
        return x;
      Value ih = affineIndex(b, ihBase, indexConstant(b, rowOffset), 1);
      int64_t offset = j * dilations[1];
      if (stride == 1) {
        x = loadVector(
            b, vectorType, input4,
            {n, g, ih, affineIndex(b, cols[c], indexConstant(b, offset), 1)},
            masks[c]);
        return x;
      }
      SmallVector<Value> at = {
          ih, indexConstant(b, offset % stride),
          affineIndex(b, cols[c], indexConstant(b, offset / stride), 1)};
      if (!plane)
        at.insert(at.begin(), {n, g});
      x = loadVector(b, vectorType, plane ? plane : phased, at, masks[c]);
      return x;
    };
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        Value w = vector::BroadcastOp::create(
            b, vectorType,
            memref::LoadOp::create(
                b, filter3,
                ValueRange{g, indexConstant(b, i), indexConstant(b, j)}));
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < vectors; ++c) {
            Value x = inputVector(r * strides[0] + i * dilations[0], j, c);
            Value &acc = accs[r * vectors + c];
            acc = vector::FMAOp::create(b, w, x, acc);
          }
      }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < vectors; ++c) {
        Value sum = accs[r * vectors + c];
        if (fused)
          sum = applyActivation(b, sum, *group);
        storeVector(b, sum, output4, {n, g, ohs[r], cols[c]}, masks[c]);
      }
  };

  int64_t fullBlocks = out[4] / columns, tail = out[4] % columns;
  // Multiply-adds per batch item, to decide whether threads pay off.
  int64_t work = out[1] * out[3] * out[4] * kh * kw;
  buildLoop(b, out[0], 1, {}, [&](auto &b, Value n, ValueRange) {
    // Channels are independent: they run on the thread pool.
    buildBlockLoop(b, out[1], work, [&](ImplicitLocOpBuilder &b, Value g) {
      auto emitChannel = [&](ImplicitLocOpBuilder &b, Value plane) {
        buildLoop(b, out[3], rows, {}, [&](auto &b, Value oh, ValueRange) {
          if (fullBlocks)
            buildLoop(b, fullBlocks * columns, columns, {},
                      [&](auto &b, Value ow, ValueRange) {
                        emitBlock(b, n, g, oh, ow, columns, plane);
                        return SmallVector<Value>();
                      });
          if (tail)
            emitBlock(b, n, g, oh, indexConstant(b, fullBlocks * columns), tail,
                      plane);
          return SmallVector<Value>();
        });
      };
      if (!planeScratch) {
        emitChannel(b, {});
        return;
      }
      // The scope frees the plane at the end of each channel.
      auto scope = memref::AllocaScopeOp::create(b, TypeRange{});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&scope.getBodyRegion().emplaceBlock());
      Value plane = memref::AllocaOp::create(
          b, MemRefType::get({in[3], stride, phaseWidth}, b.getF32Type()),
          b.getI64IntegerAttr(64));
      buildLoop(b, in[3], 1, {}, [&](auto &b, Value h, ValueRange) {
        splitRowPhases(b, input4, {n, g, h}, plane, {h}, stride);
        return SmallVector<Value>();
      });
      emitChannel(b, plane);
      memref::AllocaScopeReturnOp::create(b, ValueRange{});
    });
    return SmallVector<Value>();
  });
  if (phased != input4)
    memref::DeallocOp::create(b, phased);
  eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
  return success();
}

} // namespace kiln::kernels
