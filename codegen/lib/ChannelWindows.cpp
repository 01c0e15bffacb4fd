//===- ChannelWindows.cpp - Per-channel sliding-window kernel -------------===//
//
// Each output plane slides a window over its own input plane, so the direct
// convolution kernel's outer product (several output channels sharing one
// input vector) has nothing to share. This kernel keeps R output rows x C
// vectors of output columns of one channel in registers instead and, for
// each tap of the window, folds in the input vectors under those outputs:
//
//   acc[r][c] = fold(acc[r][c], in[n, g, (oh+r)*s + kh*d, (ow + c*V)*s + kw*d :
//   +V])
//
// The taps are unrolled. Rows of neighbouring outputs overlap (row oh+r at
// tap kh is row oh+r+1 at tap kh-1 when s == 1), and each input vector is
// loaded once per block: a 3x3 window over 4 rows needs 6 input rows per
// column vector instead of 12 loads. A horizontal stride first splits the
// input rows into phases, as the direct kernel does, so that the columns one
// vector needs are contiguous; that split, and the padding of a padded
// input, happen one channel's plane at a time just before the channel is
// computed, so the plane is read from cache.
//
//===----------------------------------------------------------------------===//
#include "ChannelWindows.h"
#include "KernelBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

#include <map>

using namespace mlir;

namespace kiln::kernels {

std::optional<PaddedSource>
matchPaddedSource(Value input, Operation *consumer,
                  function_ref<bool(const APFloat &)> isPadValue) {
  Value buffer = input;
  Operation *expand = nullptr;
  if (auto expandShape = input.getDefiningOp<memref::ExpandShapeOp>()) {
    if (!expandShape.getResult().hasOneUse())
      return std::nullopt;
    buffer = expandShape.getSrc();
    expand = expandShape;
  }
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  PaddedSource padded;
  Operation *fill = nullptr, *copy = nullptr;
  for (Operation *user : buffer.getUsers()) {
    if (user == expand || user == consumer || isa<memref::DeallocOp>(user))
      continue;
    if (auto map = dyn_cast<linalg::MapOp>(user)) {
      auto yield =
          cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
      APFloat value(0.0f);
      if (fill || map.getInit() != buffer || !map.getInputs().empty() ||
          !matchPattern(yield.getOperand(0), m_ConstantFloat(&value)) ||
          !isPadValue(value))
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

void buildChannelWindows(ImplicitLocOpBuilder &b, PatternRewriter &rewriter,
                         Value input, Value output,
                         const WindowGeometry &window,
                         std::optional<PaddedSource> padded, float padValue,
                         const WindowTaps &taps, int64_t work,
                         const KernelShape &shape) {
  // [N, C, H, W] and [N, C, OH, OW].
  // Planes narrower than a vector run together along the lanes instead.
  if (succeeded(buildFlatChannelWindows(b, rewriter, input, output, window,
                                        padded, padValue, taps, work, shape)))
    return;
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
  ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
  int64_t kh = window.kh, kw = window.kw;
  const int64_t *strides = window.strides, *dilations = window.dilations;

  int64_t width = shape.vectorWidth;
  // Half the accumulator budget: the input vectors of a tap need the rest.
  int64_t budget = std::max<int64_t>(1, shape.convRows / 2);
  int64_t columnVectors = std::min<int64_t>(std::min<int64_t>(3, budget),
                                            llvm::divideCeil(out[3], width));
  // Rows need not divide the plane: a last, shorter block takes the rest.
  // (A 7-row plane in blocks of one row left each output vector one chain of
  // kh * kw dependent FMAs, latency-bound.)
  int64_t rows = std::min<int64_t>(
      out[2],
      std::max<int64_t>(1, std::min<int64_t>(4, budget / columnVectors)));
  int64_t columns = columnVectors * width;
  auto vectorType = VectorType::get({width}, b.getF32Type());
  // A finish over rows reads the stored rows as one span of the plane. Only
  // for blocks of more than 8 accumulators: the span's vectors straddle the
  // masked ends of narrow rows, whose stores they cannot forward from, and
  // a 14x14 depthwise layer with a SiLU took 0.15 ms in registers against
  // 0.18 ms over its rows (56x56: 0.29 ms against 0.245 ms).
  bool finishOverRows =
      taps.finish && taps.finishOverRows && rows * columnVectors > 8 &&
      cast<MemRefType>(output.getType()).getLayout().isIdentity();

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
  int64_t phaseWidth = llvm::divideCeil(in[3], stride);
  bool planeFits = in[2] * stride * phaseWidth * 4 <= kMaxPlaneScratchBytes;
  if (!planeFits)
    padded.reset();
  // Unpadded stride-2 windows can read their columns straight from the
  // input instead: two loads and a shuffle of the even lanes per vector.
  bool shuffled = !padded && stride == 2 && !taps.splitStridedPlanes;
  bool planeScratch = planeFits && (stride > 1 || padded) && !shuffled;
  Value phased = stride == 1 || planeScratch || shuffled
                     ? input
                     : splitPhases(b, input, stride);
  SmallVector<int64_t> evenLanes;
  for (int64_t lane = 0; lane < width; ++lane)
    evenLanes.push_back(2 * lane);

  // Output columns [ow, ow + valid) of rows [oh, oh + rows) of channel g.
  // `plane`: the channel's phase-split plane [H, s, W/s] when the layer
  // splits planes one by one.
  auto emitBlock = [&](ImplicitLocOpBuilder &b, Value n, Value g, Value oh,
                       int64_t rows, Value ow, int64_t valid, Value plane) {
    ColumnVectors covered = coverColumns(b, ow, valid, width);
    SmallVector<Value> &cols = covered.starts, &masks = covered.masks;
    int64_t vectors = cols.size();
    SmallVector<Value> ohs = indexSequence(b, oh, rows);
    SmallVector<Value> accs;
    Value start = taps.start ? taps.start(b, g) : Value();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < vectors; ++c)
        accs.push_back(start ? start
                             : loadVector(b, vectorType, output,
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
            b, vectorType, input,
            {n, g, ih, affineIndex(b, cols[c], indexConstant(b, offset), 1)},
            masks[c]);
        return x;
      }
      if (shuffled) {
        // Columns 2 * (col + l) + offset: the even lanes of the two vectors
        // from 2 * col + offset, each masked at the row's end (where a
        // start past it is clamped: its mask is empty).
        auto rowVector = [&](Value column) {
          Value clamped =
              arith::MinUIOp::create(b, column, indexConstant(b, in[3]));
          Value mask = vector::CreateMaskOp::create(
              b, VectorType::get({width}, b.getI1Type()),
              ValueRange{
                  arith::SubIOp::create(b, indexConstant(b, in[3]), clamped)});
          return loadVector(b, vectorType, input, {n, g, ih, clamped}, mask);
        };
        Value low = affineIndex(b, indexConstant(b, offset), cols[c], 2);
        Value high = affineIndex(b, low, indexConstant(b, width), 1);
        x = vector::ShuffleOp::create(b, rowVector(low), rowVector(high),
                                      evenLanes);
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
        Value tap = taps.tapValue ? taps.tapValue(b, g, i, j) : Value();
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < vectors; ++c) {
            Value x = inputVector(r * strides[0] + i * dilations[0], j, c);
            Value &acc = accs[r * vectors + c];
            acc = taps.fold(b, acc, x, tap);
          }
      }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < vectors; ++c) {
        Value result = accs[r * vectors + c];
        if (taps.finish && !finishOverRows)
          result = taps.finish(b, result);
        storeVector(b, result, output, {n, g, ohs[r], cols[c]}, masks[c]);
      }
  };

  // Fills plane [H, s, W/s] (padded sizes) with channel g of image n of the
  // padded source: rows of padding above and below, each source row padded
  // and split in between.
  auto padPlane = [&](ImplicitLocOpBuilder &b, const PaddedSource &padded,
                      Value n, Value g, Value plane) {
    ArrayRef<int64_t> src =
        cast<MemRefType>(padded.source.getType()).getShape();
    Value pad = arith::ConstantOp::create(b, b.getF32FloatAttr(padValue));
    auto padRows = [&](int64_t from, int64_t to) {
      if (from >= to)
        return;
      buildLoop(b, to - from, 1, {}, [&](auto &b, Value k, ValueRange) {
        Value h = arith::AddIOp::create(b, k, indexConstant(b, from));
        buildLoop(b, phaseWidth, 1, {}, [&](auto &b, Value j, ValueRange) {
          for (int64_t p = 0; p < stride; ++p)
            memref::StoreOp::create(b, pad, plane,
                                    ValueRange{h, indexConstant(b, p), j});
          return SmallVector<Value>();
        });
        return SmallVector<Value>();
      });
    };
    padRows(0, padded.top);
    buildLoop(b, src[2], 1, {}, [&](auto &b, Value row, ValueRange) {
      Value h = arith::AddIOp::create(b, row, indexConstant(b, padded.top));
      splitRowPhases(b, padded.source, {n, g, row}, plane, {h}, stride,
                     padded.left, padValue, width);
      return SmallVector<Value>();
    });
    padRows(padded.top + src[2], in[2]);
  };

  Value flatOutput;
  if (finishOverRows)
    flatOutput = memref::CollapseShapeOp::create(
        b, output, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  // Applies the finish to rows [oh, oh + blockRows) of channel g, stored.
  auto finishRows = [&](ImplicitLocOpBuilder &b, Value n, Value g, Value oh,
                        int64_t blockRows) {
    finishStoredSpan(b, flatOutput, n, g, affineIndex(b, {}, oh, out[3]),
                     blockRows * out[3], width, taps.finish);
  };

  int64_t fullBlocks = out[3] / columns, tail = out[3] % columns;
  // The channels' planes are split or padded one at a time into a scratch,
  // just before the channel reads them. Channels go to the thread pool in
  // up to kScratchPlaneGroups groups, each with one plane that its channels
  // reuse one after the other, so a plane is rewritten while still in cache:
  // one plane per channel (a scratch the size of the input) cost the stride-2
  // 96-channel 112x112 layer three quarters of its time in the copy, whose
  // stores went to lines each fetched afresh. (Planes on the threads' stacks
  // would be smaller still, but an alloca inside a loop on the thread pool
  // ends up in a memref.alloca_scope, which cannot hold the loops once they
  // become branches.)
  int64_t groups =
      planeScratch ? blockFor(out[1], kScratchPlaneGroups) : out[1];
  int64_t channelsPerGroup = out[1] / groups;
  Value planes;
  if (planeScratch)
    planes = memref::AllocOp::create(
        b, MemRefType::get({groups, in[2], stride, phaseWidth}, b.getF32Type()),
        b.getI64IntegerAttr(64));
  auto emitChannel = [&](ImplicitLocOpBuilder &b, Value n, Value g,
                         Value plane) {
    // Rows [oh, oh + blockRows), every column.
    auto emitRows = [&](ImplicitLocOpBuilder &b, Value oh, int64_t blockRows) {
      if (fullBlocks)
        buildLoop(b, fullBlocks * columns, columns, {},
                  [&](auto &b, Value ow, ValueRange) {
                    emitBlock(b, n, g, oh, blockRows, ow, columns, plane);
                    return SmallVector<Value>();
                  });
      if (tail)
        emitBlock(b, n, g, oh, blockRows,
                  indexConstant(b, fullBlocks * columns), tail, plane);
      if (finishOverRows)
        finishRows(b, n, g, oh, blockRows);
    };
    int64_t fullRows = out[2] - out[2] % rows;
    buildLoop(b, fullRows, rows, {}, [&](auto &b, Value oh, ValueRange) {
      emitRows(b, oh, rows);
      return SmallVector<Value>();
    });
    if (fullRows < out[2])
      emitRows(b, indexConstant(b, fullRows), out[2] - fullRows);
  };
  if (!planeScratch) {
    // Channels are independent, the tasks of every image one loop.
    buildBatchBlockLoop(b, out[0], groups, work,
                        [&](ImplicitLocOpBuilder &b, Value n, Value g) {
                          emitChannel(b, n, g, {});
                        });
  } else {
    // Each group of channels goes through its scratch plane, image by
    // image.
    buildLoop(b, out[0], 1, {}, [&](auto &b, Value n, ValueRange) {
      // Groups of channels are independent: they run on the pool.
      buildBlockLoop(
          b, groups, work, [&](ImplicitLocOpBuilder &b, Value group) {
            SmallVector<OpFoldResult> offsets = {
                group, b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)};
            SmallVector<OpFoldResult> sizes = {
                b.getIndexAttr(1), b.getIndexAttr(in[2]),
                b.getIndexAttr(stride), b.getIndexAttr(phaseWidth)};
            SmallVector<OpFoldResult> unit(4, b.getIndexAttr(1));
            auto planeType = memref::SubViewOp::inferRankReducedResultType(
                {in[2], stride, phaseWidth}, cast<MemRefType>(planes.getType()),
                offsets, sizes, unit);
            Value plane = memref::SubViewOp::create(
                b, cast<MemRefType>(planeType), planes, offsets, sizes, unit);
            buildLoop(b, channelsPerGroup, 1, {},
                      [&](auto &b, Value i, ValueRange) {
                        Value g = affineIndex(b, i, group, channelsPerGroup);
                        if (padded)
                          padPlane(b, *padded, n, g, plane);
                        else
                          buildLoop(b, in[2], 1, {},
                                    [&](auto &b, Value h, ValueRange) {
                                      splitRowPhases(b, input, {n, g, h}, plane,
                                                     {h}, stride);
                                      return SmallVector<Value>();
                                    });
                        emitChannel(b, n, g, plane);
                        return SmallVector<Value>();
                      });
          });
      return SmallVector<Value>();
    });
  }
  if (phased != input)
    memref::DeallocOp::create(b, phased);
  if (planes)
    memref::DeallocOp::create(b, planes);
  if (planeScratch && padded)
    for (Operation *padding : padded->ops)
      rewriter.eraseOp(padding);
}

void finishStoredSpan(
    ImplicitLocOpBuilder &b, Value flatOutput, Value n, Value g, Value first,
    int64_t span, int64_t width,
    const std::function<Value(ImplicitLocOpBuilder &, Value)> &finish) {
  auto vectorType = VectorType::get({width}, b.getF32Type());
  auto finishVector = [&](ImplicitLocOpBuilder &b, Value at, Value mask) {
    Value value = loadVector(b, vectorType, flatOutput, {n, g, at}, mask);
    storeVector(b, finish(b, value), flatOutput, {n, g, at}, mask);
  };
  int64_t full = span - span % width;
  buildLoop(b, full, width, {}, [&](auto &b, Value i, ValueRange) {
    finishVector(b, arith::AddIOp::create(b, first, i), Value());
    return SmallVector<Value>();
  });
  if (full < span)
    finishVector(b, affineIndex(b, first, indexConstant(b, full), 1),
                 vector::CreateMaskOp::create(
                     b, VectorType::get({width}, b.getI1Type()),
                     ValueRange{indexConstant(b, span - full)}));
}

} // namespace kiln::kernels
