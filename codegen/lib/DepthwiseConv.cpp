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
// vector needs are contiguous; that split, and the padding of a padded
// input, happen one channel's plane at a time just before the channel is
// computed, so the plane is read from cache. A fused bias and ReLU or clamp
// are applied in registers; a fused pooling leaves the group to the generic
// path.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilders.h"
#include "MicroKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

#include <map>

using namespace mlir;

namespace kiln::kernels {
namespace {

/// An input that padding made: a zero-filled buffer whose interior a copy
/// of `source` ([N, C, H, W]) wrote at rows/columns from (top, left).
struct PaddedSource {
  Value source;
  int64_t top, left;
  SmallVector<Operation *> ops; // The fill and the copy.
};

/// Matches the bufferized tensor.pad behind a depthwise convolution's input
/// view: alloc, a linalg.map yielding zero over it, a linalg.copy of the
/// source into a unit-stride subview of it, and nothing else reading it.
std::optional<PaddedSource> matchPaddedSource(Value input) {
  auto expand = input.getDefiningOp<memref::ExpandShapeOp>();
  if (!expand || !expand.getResult().hasOneUse())
    return std::nullopt;
  Value buffer = expand.getSrc();
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  PaddedSource padded;
  Operation *fill = nullptr, *copy = nullptr;
  for (Operation *user : buffer.getUsers()) {
    if (user == expand || isa<memref::DeallocOp>(user))
      continue;
    if (auto map = dyn_cast<linalg::MapOp>(user)) {
      auto yield =
          cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
      if (fill || map.getInit() != buffer || !map.getInputs().empty() ||
          !matchPattern(yield.getOperand(0), m_AnyZeroFloat()))
        return std::nullopt;
      fill = map;
      continue;
    }
    auto subview = dyn_cast<memref::SubViewOp>(user);
    if (!subview || copy || !subview.getResult().hasOneUse() ||
        !subview.hasUnitStride())
      return std::nullopt;
    auto linalgCopy = dyn_cast<linalg::CopyOp>(*subview->getUsers().begin());
    ArrayRef<int64_t> offsets = subview.getStaticOffsets();
    if (!linalgCopy || linalgCopy.getOutputs()[0] != subview.getResult() ||
        offsets.size() != 4 || offsets[0] != 0 || offsets[1] != 0 ||
        ShapedType::isDynamic(offsets[2]) || ShapedType::isDynamic(offsets[3]))
      return std::nullopt;
    padded.source = linalgCopy.getInputs()[0];
    padded.top = offsets[2];
    padded.left = offsets[3];
    copy = linalgCopy;
  }
  // The fill must come first, the copy after it.
  if (!fill || !copy || !fill->isBeforeInBlock(copy))
    return std::nullopt;
  padded.ops = {fill, copy};
  return padded;
}

} // namespace

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

  if (fused)
    rewriter.setInsertionPointAfter(group->ops.back());
  // Before any view of the input is made here.
  std::optional<PaddedSource> padded = matchPaddedSource(input);
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  // As 4-D [N, G, H, W] for the phase split and simpler indexing.
  SmallVector<ReassociationIndices> channelPlanes = {{0}, {1, 2}, {3}, {4}};
  Value input4 = memref::CollapseShapeOp::create(b, input, channelPlanes);
  // Fused, the sums start from the bias and go to the group's result.
  Value output4 =
      fused ? group->result
            : memref::CollapseShapeOp::create(b, output, channelPlanes)
                  .getResult();
  Value filter3 = memref::CollapseShapeOp::create(
      b, filter, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}, {4}});
  int64_t stride = strides[1];
  // A strided layer splits each channel's plane into phases just before
  // using it, into a scratch that stays in cache: splitting the whole input
  // first makes one more pass over memory, which at batch 8 took as long as
  // the convolution. A padded input is read from before the padding: the
  // plane is padded in the scratch, and the padded copy of the whole input
  // (a fill and a copy, two more passes over memory) goes away. Planes past
  // 128 KB (larger than any of MobileNet's, and no longer sure to stay in
  // L2 while the channel is computed) are split up front instead.
  constexpr int64_t kMaxPlaneScratchBytes = 128 << 10;
  int64_t phaseWidth = llvm::divideCeil(in[4], stride);
  bool planeFits = in[3] * stride * phaseWidth * 4 <= kMaxPlaneScratchBytes;
  if (!planeFits)
    padded.reset();
  bool planeScratch = planeFits && (stride > 1 || padded);
  Value phased =
      stride == 1 || planeScratch ? input4 : splitPhases(b, input4, stride);

  // Output columns [ow, ow + valid) of rows [oh, oh + rows) of channel g.
  // `plane`: the channel's phase-split plane [H, s, W/s] when the layer
  // splits planes one by one.
  auto emitBlock = [&](ImplicitLocOpBuilder &b, Value n, Value g, Value oh,
                       Value ow, int64_t valid, Value plane) {
    ColumnVectors covered = coverColumns(b, ow, valid, width);
    SmallVector<Value> &cols = covered.starts, &masks = covered.masks;
    int64_t vectors = cols.size();
    SmallVector<Value> ohs = indexSequence(b, oh, rows);
    // Unfused, the output holds the bias: the sums start from it.
    SmallVector<Value> accs;
    Value start = fused ? fusedStart(b, *group, g, vectorType) : Value();
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
      if (!plane && stride == 1) {
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

  // Fills plane [H, s, W/s] (padded sizes) with channel g of image n of the
  // padded source: zero rows above and below, each source row padded and
  // split in between.
  auto padPlane = [&](ImplicitLocOpBuilder &b, const PaddedSource &padded,
                      Value n, Value g, Value plane) {
    ArrayRef<int64_t> src =
        cast<MemRefType>(padded.source.getType()).getShape();
    Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
    auto zeroRows = [&](int64_t from, int64_t to) {
      if (from >= to)
        return;
      buildLoop(b, to - from, 1, {}, [&](auto &b, Value k, ValueRange) {
        Value h = arith::AddIOp::create(b, k, indexConstant(b, from));
        buildLoop(b, phaseWidth, 1, {}, [&](auto &b, Value j, ValueRange) {
          for (int64_t p = 0; p < stride; ++p)
            memref::StoreOp::create(b, zero, plane,
                                    ValueRange{h, indexConstant(b, p), j});
          return SmallVector<Value>();
        });
        return SmallVector<Value>();
      });
    };
    zeroRows(0, padded.top);
    buildLoop(b, src[2], 1, {}, [&](auto &b, Value row, ValueRange) {
      Value h = arith::AddIOp::create(b, row, indexConstant(b, padded.top));
      splitRowPhases(b, padded.source, {n, g, row}, plane, {h}, stride,
                     padded.left);
      return SmallVector<Value>();
    });
    zeroRows(padded.top + src[2], in[3]);
  };

  int64_t fullBlocks = out[4] / columns, tail = out[4] % columns;
  // Work per batch item, to decide whether threads pay off, in the dense
  // kernels' multiply-adds (buildBlockLoop's unit): a depthwise one loads
  // about one input vector per FMA and runs at ~15-20 GFLOP/s where the
  // dense kernels reach 60-80, so it counts 4. Counted as dense, MobileNetV2's
  // 14x14 and 7x7 depthwise layers (0.25-1M multiply-adds, 0.06-0.1 ms) ran
  // on one thread.
  constexpr int64_t kDenseMultiplyAddsPerDepthwise = 4;
  int64_t work =
      out[1] * out[3] * out[4] * kh * kw * kDenseMultiplyAddsPerDepthwise;
  // One plane per channel, reused by every image: each is written just
  // before it is read, so it is read from cache; one image's planes are the
  // size of its input, which the last-level cache holds where the whole
  // batch's would not. (Planes on the threads' stacks would be smaller, but
  // an alloca inside a loop on the thread pool ends up in a
  // memref.alloca_scope, which cannot hold the loops once they become
  // branches.)
  Value planes;
  if (planeScratch)
    planes = memref::AllocOp::create(
        b, MemRefType::get({out[1], in[3], stride, phaseWidth}, b.getF32Type()),
        b.getI64IntegerAttr(64));
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
      SmallVector<OpFoldResult> offsets = {
          g, b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          b.getIndexAttr(1), b.getIndexAttr(in[3]), b.getIndexAttr(stride),
          b.getIndexAttr(phaseWidth)};
      SmallVector<OpFoldResult> unit(4, b.getIndexAttr(1));
      auto planeType = memref::SubViewOp::inferRankReducedResultType(
          {in[3], stride, phaseWidth}, cast<MemRefType>(planes.getType()),
          offsets, sizes, unit);
      Value plane = memref::SubViewOp::create(b, cast<MemRefType>(planeType),
                                              planes, offsets, sizes, unit);
      if (padded)
        padPlane(b, *padded, n, g, plane);
      else
        buildLoop(b, in[3], 1, {}, [&](auto &b, Value h, ValueRange) {
          splitRowPhases(b, input4, {n, g, h}, plane, {h}, stride);
          return SmallVector<Value>();
        });
      emitChannel(b, plane);
    });
    return SmallVector<Value>();
  });
  if (phased != input4)
    memref::DeallocOp::create(b, phased);
  if (planes)
    memref::DeallocOp::create(b, planes);
  eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
  if (planeScratch && padded)
    for (Operation *padding : padded->ops)
      rewriter.eraseOp(padding);
  return success();
}

} // namespace kiln::kernels
