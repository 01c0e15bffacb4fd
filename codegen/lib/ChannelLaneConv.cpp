//===- ChannelLaneConv.cpp - Convolution with channels along the lanes ----===//
//
// The direct kernel puts output columns along the vector lanes. A row of 10
// columns (LeNet-5's conv2) then fills 10 of 16 lanes, and a strided row
// (AlexNet's conv1, stride 4) needs its input split into phases first, plus
// a narrow block for the columns past the last full one. This kernel puts
// V vectors of output channels along the lanes instead, on a filter packed
// at compile time as [OC / (V*width), IC, KH, KW, V*width]:
//
//   acc[p][v] += w[ocb, ic, kh, kw, v*width : +width]
//                * broadcast(in[n, ic, oh*s + kh*d, (ow+p)*s + kw*d])
//
// P output positions of one row x V channel vectors stay in registers
// across the whole (ic, kh, kw) reduction. Every lane does useful work
// whenever OC is a multiple of the vector width, at any stride. Results
// leave through one scatter per accumulator (16 channels one plane apart)
// or, with a fused pooling, through a scratch in [row][column][channel]
// order that the pooling reads in channel vectors.
//
// A model of each kernel's reduction step (loads and FMAs on two ports
// each, FMA latency) and of its results' way out (a vector store per
// vector of columns against a store per result) picks this kernel only
// where it should be faster.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilders.h"
#include "MicroKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;

namespace kiln::kernels {
namespace {

/// Cycles of one reduction step of a register block with `fmas` vector FMAs
/// and `loads` loads, on a core with two load ports and two FMA units whose
/// FMA latency is 4 cycles: whichever ports are busier, and never less than
/// the latency every accumulator's chain waits on.
double stepCycles(int64_t fmas, int64_t loads) {
  return std::max({fmas / 2.0, loads / 2.0, 4.0});
}

/// The direct kernel's cycles per reduction step, output row and output
/// channel: full blocks of `columnVectors` vectors, then a narrower block
/// for the rest of the row.
double directCycles(ArrayRef<int64_t> out, const KernelShape &shape) {
  DirectConvBlock block = directConvBlock(out, shape);
  int64_t columns = block.columnVectors * shape.vectorWidth;
  int64_t tailVectors = llvm::divideCeil(out[3] % columns, shape.vectorWidth);
  double cycles =
      (out[3] / columns) * stepCycles(block.rows * block.columnVectors,
                                      block.rows + block.columnVectors);
  if (tailVectors)
    cycles += stepCycles(block.rows * tailVectors, block.rows + tailVectors);
  return cycles / block.rows;
}

/// The channel-lane kernel's register block: `positions` output columns x
/// `vectors` vectors of output channels, and its cycles per reduction step,
/// output row and output channel.
struct ChannelLaneBlock {
  int64_t positions = 0;
  int64_t vectors = 0;
  double cycles = std::numeric_limits<double>::infinity();
};

/// The cheapest block by the step model: up to 4 channel vectors (dividing
/// OC's), positions filling the accumulator budget, full blocks along the
/// row then one for the rest.
ChannelLaneBlock chooseBlock(ArrayRef<int64_t> out, const KernelShape &shape) {
  ChannelLaneBlock best;
  int64_t channelVectors = out[1] / shape.vectorWidth;
  for (int64_t vectors = 1; vectors <= std::min<int64_t>(4, channelVectors);
       ++vectors) {
    if (channelVectors % vectors)
      continue;
    int64_t maxPositions =
        std::min(out[3], std::max<int64_t>(1, shape.convRows / vectors));
    for (int64_t positions = 1; positions <= maxPositions; ++positions) {
      int64_t rest = out[3] % positions;
      double cycles = (out[3] / positions) *
                      stepCycles(positions * vectors, positions + vectors);
      if (rest)
        cycles += stepCycles(rest * vectors, rest + vectors);
      cycles /= vectors * shape.vectorWidth;
      // Ties go to the fewer, larger blocks found later only when strictly
      // cheaper, so the smallest block count wins among equals.
      if (cycles < best.cycles * (1 - 1e-9))
        best = {positions, vectors, cycles};
    }
  }
  return best;
}

/// Pools one image's convolution output, held in scratch[ocb][oh][ow][c]
/// (c: the channel within block ocb), into the group's NCHW result a vector
/// of channels at a time, each pooled vector scattered to its channels'
/// planes. Pooled rows of every channel block run on the thread pool.
void emitChannelLanePooling(ImplicitLocOpBuilder &b, Value n,
                            int64_t channelBlocks, int64_t vectors,
                            int64_t width, const FusionGroup &group,
                            Value scratch) {
  ArrayRef<int64_t> pooled =
      cast<MemRefType>(group.result.getType()).getShape();
  auto vectorType = VectorType::get({width}, b.getF32Type());
  VectorPool pool(group, vectorType);
  int64_t kh = pool.kh, kw = pool.kw;
  Value flatResult = flattenBuffer(b, group.result);
  Value planeLanes = laneMultiples(b, width, pooled[2] * pooled[3]);
  Value everyLane = allLanes(b, width);
  // In multiply-adds: a pooled value costs its window, and its share of a
  // scatter about one per lane.
  int64_t work = pooled[1] * pooled[2] * pooled[3] * (kh * kw + width);
  buildBlockLoop(b, channelBlocks * pooled[2], work, [&](auto &b, Value task) {
    Value ocb = arith::DivUIOp::create(b, task, indexConstant(b, pooled[2]));
    Value ph = arith::RemUIOp::create(b, task, indexConstant(b, pooled[2]));
    Value rowStart = affineIndex(b, {}, ph, pool.sh);
    buildLoop(b, pooled[3], 1, {}, [&](auto &b, Value pw, ValueRange) {
      Value columnStart = affineIndex(b, {}, pw, pool.sw);
      for (int64_t v = 0; v < vectors; ++v) {
        Value acc = pool.identity(b);
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            Value x = vector::LoadOp::create(
                b, vectorType, scratch,
                ValueRange{ocb,
                           affineIndex(b, rowStart, indexConstant(b, i), 1),
                           affineIndex(b, columnStart, indexConstant(b, j), 1),
                           indexConstant(b, v * width)});
            acc = pool.combine(b, acc, x);
          }
        acc = pool.finish(b, acc);
        Value channel =
            affineIndex(b, indexConstant(b, v * width), ocb, vectors * width);
        vector::ScatterOp::create(
            b, Type(), flatResult,
            ValueRange{flatOffset(b, pooled, n, channel, ph, pw)}, planeLanes,
            everyLane, acc);
      }
      return SmallVector<Value>();
    });
  });
}

} // namespace

LogicalResult lowerConvWithChannelLanes(linalg::Conv2DNchwFchwOp op,
                                        Value input, Value filter, Value output,
                                        ArrayRef<int64_t> directOut,
                                        PatternRewriter &rewriter,
                                        const KernelShape &shape) {
  ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
  ArrayRef<int64_t> weights = cast<MemRefType>(filter.getType()).getShape();
  int64_t width = shape.vectorWidth;
  // Scatter offsets are i32: a vector's channels must lie within 2^31
  // elements of its first.
  if (shape.convLanes == ConvLanes::Columns || out[1] % width ||
      width * out[2] * out[3] > std::numeric_limits<int32_t>::max())
    return failure();
  ChannelLaneBlock block = chooseBlock(out, shape);
  // Per output row and channel: the reduction, then the results' way out.
  // The direct kernel stores (and, unfused, first loads) one vector per
  // `width` columns; this kernel scatters every result on its own (AVX2 has
  // no scatter instruction: a store per lane). Short reductions make that
  // count: a 1x1 layer with 24 input channels (MobileNetV2's 56x56
  // expansions) ran 2.3x slower here than in the direct kernel.
  int64_t steps = weights[1] * weights[2] * weights[3];
  // Per output row of `out`: directOut's rows may be longer (flattened).
  double directRows = double(directOut[2]) / out[2];
  double directTotal =
      directRows * (steps * directCycles(directOut, shape) +
                    2.0 * llvm::divideCeil(directOut[3], width));
  double laneTotal = steps * block.cycles + out[3];
  // Only a clear gain is worth leaving the direct kernel for.
  if (shape.convLanes == ConvLanes::Auto && !(laneTotal < 0.95 * directTotal))
    return failure();

  FailureOr<kiln::FusionGroup> group = kiln::matchFusionGroup(op);
  bool fused = succeeded(group);
  bool pooled = fused && !group->pool.empty();
  int64_t blockChannels = block.vectors * width;
  OpBuilder::InsertionGuard guard(rewriter);
  if (fused)
    rewriter.setInsertionPointAfter(group->ops.back());
  Value packed = packRowBlocks(rewriter, op.getLoc(), filter, blockChannels);
  if (!packed)
    return failure();

  SmallVector<int64_t> strides(op.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dilations(op.getDilations().getValues<int64_t>());
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  auto vectorType = VectorType::get({width}, b.getF32Type());
  Value zero =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  int64_t channelBlocks = out[1] / blockChannels;
  bool prefetchInput = streamsInput(input, shape.l2CacheBytes);

  // Where the convolution's rows go: the group's result or the op's output
  // (NCHW, by scatter), or with a pooling a scratch[ocb][oh][ow][channel]
  // holding one image's convolution output for the pooling to read.
  Value flatDestination, planeLanes, everyLane, scratch;
  if (pooled) {
    scratch = memref::AllocOp::create(
        b,
        MemRefType::get({channelBlocks, out[2], out[3], blockChannels},
                        b.getF32Type()),
        b.getI64IntegerAttr(64));
  } else {
    flatDestination = flattenBuffer(b, fused ? group->result : output);
    planeLanes = laneMultiples(b, width, out[2] * out[3]);
    everyLane = allLanes(b, width);
  }

  // One register block: `count` output positions from ow0 of row oh, the
  // blockChannels channels of block ocb.
  auto emitBlock = [&](ImplicitLocOpBuilder &b, Value n, Value ocb, Value oh,
                       Value ow0, int64_t count) {
    Value oc0 = affineIndex(b, {}, ocb, blockChannels);
    SmallVector<Value> columns = indexSequence(b, ow0, count);
    SmallVector<Value> channels = indexSequence(b, oc0, block.vectors, width);
    // Sums start from the bias (fused) or from the output, which holds it
    // (unfused).
    SmallVector<Value> accs;
    for (int64_t p = 0; p < count; ++p)
      for (int64_t v = 0; v < block.vectors; ++v) {
        if (!fused)
          accs.push_back(vector::GatherOp::create(
              b, vectorType, flatDestination,
              ValueRange{flatOffset(b, out, n, channels[v], oh, columns[p])},
              planeLanes, everyLane, zero));
        else if (group->bias)
          accs.push_back(vector::LoadOp::create(b, vectorType, group->bias,
                                                ValueRange{channels[v]}));
        else
          accs.push_back(zero);
      }
    Value ihBase = affineIndex(b, {}, oh, strides[0]);
    SmallVector<Value> iwBases;
    for (Value column : columns)
      iwBases.push_back(affineIndex(b, {}, column, strides[1]));
    auto step = [&](ImplicitLocOpBuilder &b, Value ic, Value kh, Value kw,
                    ValueRange accs) {
      Value ih = affineIndex(b, ihBase, kh, dilations[0]);
      Value shift = affineIndex(b, {}, kw, dilations[1]);
      SmallVector<Value> xs, ws;
      if (prefetchInput)
        prefetchRowAhead(
            b, input,
            {n, ic, ih, arith::AddIOp::create(b, iwBases.front(), shift)});
      for (Value iwBase : iwBases)
        xs.push_back(memref::LoadOp::create(
            b, input,
            ValueRange{n, ic, ih, arith::AddIOp::create(b, iwBase, shift)}));
      for (int64_t v = 0; v < block.vectors; ++v)
        ws.push_back(vector::LoadOp::create(
            b, vectorType, packed,
            ValueRange{ocb, ic, kh, kw, indexConstant(b, v * width)}));
      return accumulateOuterProduct(b, vectorType, xs, ws, accs);
    };
    accs = buildFilterLoops(b, weights[1], /*firstChannel=*/{}, weights[2],
                            weights[3], accs, step);
    for (int64_t p = 0; p < count; ++p)
      for (int64_t v = 0; v < block.vectors; ++v) {
        Value sum = accs[p * block.vectors + v];
        if (fused)
          sum = applyActivation(b, sum, *group);
        if (pooled)
          vector::StoreOp::create(
              b, sum, scratch,
              ValueRange{ocb, oh, columns[p], indexConstant(b, v * width)});
        else
          vector::ScatterOp::create(
              b, Type(), flatDestination,
              ValueRange{flatOffset(b, out, n, channels[v], oh, columns[p])},
              planeLanes, everyLane, sum);
      }
  };

  int64_t positions = block.positions;
  int64_t fullBlocks = out[3] / positions, rest = out[3] % positions;
  // Multiply-adds per batch item, to decide whether threads pay off.
  int64_t work =
      out[1] * out[2] * out[3] * weights[1] * weights[2] * weights[3];
  // Each (channel block, output row) is independent: enough tasks for the
  // thread pool even when one channel block covers every channel.
  auto emitTask = [&](ImplicitLocOpBuilder &b, Value n, Value task) {
    Value ocb = arith::DivUIOp::create(b, task, indexConstant(b, out[2]));
    Value oh = arith::RemUIOp::create(b, task, indexConstant(b, out[2]));
    if (fullBlocks)
      buildLoop(b, fullBlocks * positions, positions, {},
                [&](auto &b, Value ow0, ValueRange) {
                  emitBlock(b, n, ocb, oh, ow0, positions);
                  return SmallVector<Value>();
                });
    if (rest)
      emitBlock(b, n, ocb, oh, indexConstant(b, fullBlocks * positions), rest);
  };
  if (!pooled) {
    // The tasks of every image make one loop.
    buildBatchBlockLoop(b, out[0], channelBlocks * out[2], work, emitTask);
  } else {
    // Each image's convolution goes through the one scratch buffer.
    buildLoop(b, out[0], 1, {}, [&](auto &b, Value n, ValueRange) {
      buildBlockLoop(
          b, channelBlocks * out[2], work,
          [&](ImplicitLocOpBuilder &b, Value task) { emitTask(b, n, task); });
      emitChannelLanePooling(b, n, channelBlocks, block.vectors, width, *group,
                             scratch);
      return SmallVector<Value>();
    });
  }
  if (scratch)
    memref::DeallocOp::create(b, scratch);
  eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
  return success();
}

} // namespace kiln::kernels
