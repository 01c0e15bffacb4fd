//===- MicroKernels.cpp - Register-blocked vector kernels -----------------===//
//
// Replaces the two ops that carry almost all of a CNN's arithmetic with loop
// nests whose innermost body is a register-blocked vector kernel:
//
// * linalg.conv_2d_nchw_fchw with a unit horizontal stride: R output
//   channels x one vector of V output columns stay in R vector registers
//   across the whole (ic, kh, kw) reduction. Each step loads one input row
//   segment and multiplies it by R broadcast weights:
//
//     acc[r] += broadcast(w[oc+r, ic, kh, kw])
//               * in[n, ic, oh*s+kh*d, ow+kw*d : +V]
//
// * linalg.matmul with a transposed B (nn.linear: y = x W^T). With constant
//   weights, W is packed so that outputs lie along the vector lanes: mBlock
//   rows of x x V output vectors accumulate in registers, each weight vector
//   loaded once per block of rows and multiplied by broadcast elements of x;
//   each block of W is then one sequential stream, which is what bounds the
//   classifier. Weights known only at run time take a GEMV-style kernel: a
//   block of rows of W vectorised along the reduction K, horizontal sums at
//   the end.
//
// The last vector of a row is masked, so no size needs to be a multiple of V.
// Both kernels accumulate into the op's output buffer, which holds the bias.
//
//===----------------------------------------------------------------------===//
#include "MicroKernels.h"
#include "KernelBuilders.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Threading.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"

#include <optional>

namespace kiln {
#define GEN_PASS_DEF_LOWERTOMICROKERNELSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln::kernels;

namespace kiln::kernels {

DirectConvBlock directConvBlock(ArrayRef<int64_t> out,
                                const KernelShape &shape) {
  // Up to three vectors of columns when the rows are long enough: each
  // broadcast weight then feeds several FMAs, so a step needs fewer loads
  // than FMAs and the FMA units, not the load ports, set the pace.
  int64_t columnVectors =
      std::min<int64_t>(3, llvm::divideCeil(out[3], shape.vectorWidth));
  return {blockFor(out[1], shape.convRows / columnVectors), columnVectors};
}

Value packRowBlocks(PatternRewriter &rewriter, Location loc, Value constant,
                    int64_t block) {
  SmallVector<float> storage;
  std::optional<ArrayRef<float>> data = constantData(constant, storage);
  auto type = cast<MemRefType>(constant.getType());
  if (!data || (int64_t)data->size() != type.getNumElements())
    return {};
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rows = shape[0], inner = type.getNumElements() / rows;
  int64_t blocks = llvm::divideCeil(rows, block);
  SmallVector<float> packed(blocks * inner * block, 0.0f);
  // Rows are independent, and a VGG's first linear layer has 400 MB.
  parallelFor(rewriter.getContext(), 0, rows, [&](size_t index) {
    int64_t row = index;
    for (int64_t i = 0; i < inner; ++i)
      packed[((row / block) * inner + i) * block + row % block] =
          (*data)[row * inner + i];
  });
  SmallVector<int64_t> packedShape = {blocks};
  llvm::append_range(packedShape, shape.drop_front());
  packedShape.push_back(block);
  auto getGlobal = constant.getDefiningOp<memref::GetGlobalOp>();
  return createConstantGlobal(
      rewriter, loc, getGlobal->getParentOfType<ModuleOp>(),
      (getGlobal.getName() + "_packed").str(), packedShape, std::move(packed));
}

/// The unit-stride case of splitRowPhases: a padded copy of the row in
/// vectors of `lanes` (the last one masked), the borders in scalars. The
/// scalar copy it replaces took 4 of a 14x14 depthwise layer's 5 stores.
static void padRowInVectors(ImplicitLocOpBuilder &b, Value input,
                            ValueRange row, Value phased, ValueRange phasedRow,
                            int64_t left, Value pad, int64_t lanes) {
  int64_t width = cast<MemRefType>(input.getType()).getShape().back();
  int64_t paddedWidth = cast<MemRefType>(phased.getType()).getShape().back();
  auto at = [&](ValueRange prefix, ArrayRef<Value> rest) {
    SmallVector<Value> indices(prefix);
    indices.append(rest.begin(), rest.end());
    return indices;
  };
  Value phase = indexConstant(b, 0);
  for (int64_t j = 0; j < paddedWidth; ++j)
    if (j < left || j >= left + width)
      memref::StoreOp::create(b, pad, phased,
                              at(phasedRow, {phase, indexConstant(b, j)}));
  auto type = VectorType::get({lanes}, b.getF32Type());
  ColumnVectors columns = coverColumns(
      b, indexConstant(b, 0), std::min(width, paddedWidth - left), lanes);
  for (auto [start, mask] : llvm::zip(columns.starts, columns.masks)) {
    Value x = loadVector(b, type, input, at(row, {start}), mask);
    storeVector(b, x, phased,
                at(phasedRow,
                   {phase, affineIndex(b, start, indexConstant(b, left), 1)}),
                mask);
  }
}

void splitRowPhases(ImplicitLocOpBuilder &b, Value input, ValueRange row,
                    Value phased, ValueRange phasedRow, int64_t stride,
                    int64_t left, float padValue, int64_t vectorWidth) {
  int64_t width = cast<MemRefType>(input.getType()).getShape().back();
  int64_t phaseWidth = cast<MemRefType>(phased.getType()).getShape().back();
  if (stride == 1 && vectorWidth > 1 && left >= 0 && left < phaseWidth) {
    padRowInVectors(b, input, row, phased, phasedRow, left,
                    arith::ConstantOp::create(b, b.getF32FloatAttr(padValue)),
                    vectorWidth);
    return;
  }
  // Positions [first, last] have all their s columns j*s + p - left inside
  // the row; the others, at the borders, go one column at a time.
  int64_t first = llvm::divideCeil(left, stride);
  int64_t last = llvm::divideFloorSigned(width + left - stride, stride);
  Value pad = arith::ConstantOp::create(b, b.getF32FloatAttr(padValue));
  auto store = [&](ImplicitLocOpBuilder &b, Value value, int64_t p, Value j) {
    SmallVector<Value> to(phasedRow);
    to.append({indexConstant(b, p), j});
    memref::StoreOp::create(b, value, phased, to);
  };
  auto load = [&](ImplicitLocOpBuilder &b, Value column) -> Value {
    SmallVector<Value> from(row);
    from.push_back(column);
    return memref::LoadOp::create(b, input, from);
  };
  auto copyBorder = [&](int64_t j) {
    for (int64_t p = 0; p < stride; ++p) {
      int64_t column = j * stride + p - left;
      store(b,
            column >= 0 && column < width ? load(b, indexConstant(b, column))
                                          : pad,
            p, indexConstant(b, j));
    }
  };
  for (int64_t j = 0; j < std::min(first, phaseWidth); ++j)
    copyBorder(j);
  // Position j takes s consecutive columns, one per phase: LLVM vectorizes
  // the loop over j as one interleaved load group and s contiguous stores.
  if (first <= last)
    buildLoop(b, last + 1 - first, 1, {}, [&](auto &b, Value k, ValueRange) {
      Value j = arith::AddIOp::create(b, k, indexConstant(b, first));
      for (int64_t p = 0; p < stride; ++p)
        store(b, load(b, affineIndex(b, indexConstant(b, p - left), j, stride)),
              p, j);
      return SmallVector<Value>();
    });
  for (int64_t j = std::max(first, last + 1); j < phaseWidth; ++j)
    copyBorder(j);
}

Value splitPhases(ImplicitLocOpBuilder &b, Value input, int64_t stride) {
  ArrayRef<int64_t> shape = cast<MemRefType>(input.getType()).getShape();
  int64_t phaseWidth = llvm::divideCeil(shape[3], stride);
  auto type = MemRefType::get(
      {shape[0], shape[1], shape[2], stride, phaseWidth}, b.getF32Type());
  Value phased = memref::AllocOp::create(b, type, b.getI64IntegerAttr(64));
  // Rows are independent. (MobileNetV2's stem split its 3x226x226 padded
  // input on one thread, weighed as 4 multiply-adds an element.)
  int64_t rows = shape[0] * shape[1] * shape[2];
  buildBlockLoop(
      b, rows, rows * stride * phaseWidth * kStreamedElementWork,
      [&](auto &b, Value row) {
        // One input row at a time: row = (n * C + c) * H + h.
        Value h = arith::RemUIOp::create(b, row, indexConstant(b, shape[2]));
        Value nc = arith::DivUIOp::create(b, row, indexConstant(b, shape[2]));
        Value c = arith::RemUIOp::create(b, nc, indexConstant(b, shape[1]));
        Value n = arith::DivUIOp::create(b, nc, indexConstant(b, shape[1]));
        splitRowPhases(b, input, {n, c, h}, phased, {n, c, h}, stride);
      });
  return phased;
}

} // namespace kiln::kernels

namespace {

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// Whether `op` is a 1x1, stride-1, unpadded convolution over more than one
/// row. Over [N, C, 1, H*W] views of the same buffers the sums are the same,
/// and one long row per plane leaves only the plane's last vector part
/// empty instead of every row's (a 55-column row is 6 full vectors and one
/// of 7 lanes; MobileNet's 7x7 layers fill 7 lanes of 8), and lets panels
/// of columns span rows.
bool isFlattenablePointwise(linalg::Conv2DNchwFchwOp op, Value input,
                            Value filter, Value output) {
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
  ArrayRef<int64_t> w = cast<MemRefType>(filter.getType()).getShape();
  ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
  return w[2] == 1 && w[3] == 1 && in[2] == out[2] && in[3] == out[3] &&
         out[2] > 1 &&
         llvm::all_of(op.getStrides().getValues<int64_t>(),
                      [](int64_t s) { return s == 1; });
}

/// A dense [N, C, H, W] buffer as [N, C, 1, H*W].
Value flattenPlanes(PatternRewriter &rewriter, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  ArrayRef<int64_t> shape = type.getShape();
  Value collapsed = memref::CollapseShapeOp::create(
      rewriter, loc, buffer,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  return memref::ExpandShapeOp::create(
      rewriter, loc,
      MemRefType::get({shape[0], shape[1], 1, shape[2] * shape[3]},
                      type.getElementType()),
      collapsed, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
}

/// Copies image n of a flattened [N, C, 1, W] input into column blocks,
/// blocks[b][c][j] = input[n, c, 0, b * columns + j]: a kernel step's
/// vectors then lie next to the previous step's instead of a plane apart.
/// The last block's columns past W are left unset (the kernel masks them).
void packColumnBlocks(ImplicitLocOpBuilder &b, Value input, Value n,
                      Value blocks, int64_t columns, int64_t width) {
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
  auto vectorType = VectorType::get({width}, b.getF32Type());
  int64_t fullBlocks = in[3] / columns, tail = in[3] % columns;
  auto copyBlock = [&](ImplicitLocOpBuilder &b, Value c, Value block,
                       Value first, int64_t valid) {
    ColumnVectors covered = coverColumns(b, first, valid, width);
    for (auto [v, start] : llvm::enumerate(covered.starts)) {
      Value column = indexConstant(b, v * width);
      storeVector(b,
                  loadVector(b, vectorType, input,
                             {n, c, indexConstant(b, 0), start},
                             covered.masks[v]),
                  blocks, {block, c, column}, covered.masks[v]);
    }
  };
  // Channel by channel, each plane row is read in order.
  buildLoop(b, in[1], 1, {}, [&](auto &b, Value c, ValueRange) {
    buildLoop(b, fullBlocks, 1, {}, [&](auto &b, Value block, ValueRange) {
      copyBlock(b, c, block, affineIndex(b, {}, block, columns), columns);
      return SmallVector<Value>();
    });
    if (tail)
      copyBlock(b, c, indexConstant(b, fullBlocks),
                indexConstant(b, fullBlocks * columns), tail);
    return SmallVector<Value>();
  });
}

struct ConvKernel : public OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  ConvKernel(MLIRContext *context, KernelShape shape)
      : OpRewritePattern(context), shape(shape) {}

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<std::array<Value, 3>> operands = denseOperands(op, rewriter);
    if (failed(operands))
      return failure();
    // Plain values, not structured bindings: the kernel lambdas capture them.
    Value input = (*operands)[0], filter = (*operands)[1],
          output = (*operands)[2];
    SmallVector<int64_t> strides(op.getStrides().getValues<int64_t>());
    SmallVector<int64_t> dilations(op.getDilations().getValues<int64_t>());
    // A fused group (bias, ReLU or clamp, pooling) is computed as a whole,
    // after its last op, where every buffer it writes exists.
    FailureOr<kiln::FusionGroup> group = kiln::matchFusionGroup(op);
    bool fused = succeeded(group);
    bool pooled = fused && !group->pool.empty();
    // (A fused pooling needs the rows as they are.)
    bool flatten = !pooled && isFlattenablePointwise(op, input, filter, output);
    // Rows shorter than two vectors flatten into long ones, on which the
    // direct kernel fills its lanes; the channel-lane kernel would read the
    // whole weight matrix once per row. Longer rows let the cost model
    // weigh the channel-lane kernel against the direct kernel as it will
    // run: flattened when it can be.
    SmallVector<int64_t> directOut(
        cast<MemRefType>(output.getType()).getShape());
    bool shortRows = directOut[3] < 2 * shape.vectorWidth;
    if (flatten) {
      directOut[3] *= directOut[2];
      directOut[2] = 1;
    }
    if (!(flatten && shortRows) &&
        succeeded(lowerConvWithChannelLanes(op, input, filter, output,
                                            directOut, rewriter, shape)))
      return success();
    if (fused)
      rewriter.setInsertionPointAfter(group->ops.back());
    if (flatten) {
      // Every plane as one row of H*W columns: the same sums.
      input = flattenPlanes(rewriter, op.getLoc(), input);
      output = flattenPlanes(rewriter, op.getLoc(), output);
      if (fused)
        group->result = flattenPlanes(rewriter, op.getLoc(), group->result);
    }

    ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
    ArrayRef<int64_t> weights = cast<MemRefType>(filter.getType()).getShape();
    int64_t width = shape.vectorWidth;
    DirectConvBlock block = directConvBlock(out, shape);
    int64_t rows = block.rows, columnVectors = block.columnVectors;
    int64_t columns = columnVectors * width;
    auto vectorType = VectorType::get({width}, rewriter.getF32Type());

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value packed = packRowBlocks(rewriter, op.getLoc(), filter, rows);
    // With a horizontal stride s, the columns one vector needs are s apart.
    // Splitting each input row into its s phases (columns p, p+s, p+2s, ...)
    // makes them contiguous again: column (ow+i)*s + off is phase off % s,
    // position ow + i + off / s.
    int64_t stride = strides[1];
    Value phased = stride == 1 ? input : splitPhases(b, input, stride);
    bool prefetchInput = streamsInput(input, shape.l2CacheBytes);
    // A 1x1 layer's block reads its weights once, input channel after input
    // channel, and the next block's follow them in the packed filter: a
    // stream from L3 or memory that arrives late at one step's 8-12 floats.
    // Prefetching kWeightLeadBytes ahead (the GEP past a block's end lands
    // in the next block; past the filter's end it is never dereferenced)
    // took MobileNetV2's 1x1 layers on 14x14 and 7x7 (160 to 960 channels,
    // 0.1-2.5 MB of weights each) from 1.59-1.73 to 1.13-1.18 ms at 1
    // thread; 1 KB of lead gave 1.28-1.29 ms, 2 KB 1.17-1.18.
    constexpr int64_t kWeightLeadBytes = 4096;
    int64_t weightLead = packed && weights[2] == 1 && weights[3] == 1
                             ? kWeightLeadBytes / (rows * 4)
                             : 0;
    // Set when the kernel reads a flattened 1x1 input from column blocks
    // (packColumnBlocks).
    Value columnBlocks;

    // The reduction runs in chunks of input channels whose filter slice
    // (chunk x KH x KW x rows floats) stays in L1 while the kernel sweeps
    // every output row; partial sums go through the destination.
    int64_t perChannel = weights[2] * weights[3] * rows * 4;
    int64_t icChunk =
        shape.chunkBytes > 0
            ? blockFor(weights[1],
                       std::max<int64_t>(1, shape.chunkBytes / perChannel))
            : weights[1];

    // A fused pooling reads the convolution rows it needs from a scratch
    // buffer: the whole output of each channel block when the reduction is
    // chunked and that output is small (scratch[ocb][oh][r][ow]), else a ring
    // of poolKernel[0] rows per block (scratch[ocb][oh % ring][r][ow]), which
    // cannot hold partial sums but keeps the convolution output from ever
    // being written in full.
    bool useRing =
        pooled && (icChunk == weights[1] ||
                   out[1] * out[2] * out[3] * 4 > shape.poolScratchBytes);
    if (useRing)
      icChunk = weights[1];
    int64_t chunks = weights[1] / icChunk;
    int64_t ring = useRing ? group->poolKernel[0] : 0;
    Value scratch;
    if (pooled)
      scratch = memref::AllocOp::create(
          b,
          MemRefType::get(
              {out[1] / rows, useRing ? ring : out[2], rows, out[3]},
              b.getF32Type()),
          b.getI64IntegerAttr(64));

    // Where the kernel's (partial) result for channel r of block ocb goes.
    auto destination = [&](ImplicitLocOpBuilder &b, Value n, Value ocb,
                           int64_t r, Value oc, Value oh,
                           Value col) -> std::pair<Value, SmallVector<Value>> {
      if (!fused)
        return {output, {n, oc, oh, col}};
      if (!pooled)
        return {group->result, {n, oc, oh, col}};
      Value row =
          useRing ? arith::RemUIOp::create(b, oh, indexConstant(b, ring)) : oh;
      return {scratch, {ocb, row, indexConstant(b, r), col}};
    };

    auto storeResult = [&](ImplicitLocOpBuilder &b, Value value, Value isLast,
                           Value n, Value ocb, int64_t r, Value oc, Value oh,
                           Value col, Value mask) {
      if (fused && group->activation) {
        Value activated = applyActivation(b, value, *group);
        // Only the last chunk's sums are final.
        value = isLast ? arith::SelectOp::create(b, isLast, activated, value)
                             .getResult()
                       : activated;
      }
      auto [buffer, indices] = destination(b, n, ocb, r, oc, oh, col);
      storeVector(b, value, buffer, indices, mask);
    };

    // Emits the kernel for the output columns [ow, ow + valid) of row oh and
    // the `rows` output channels from ocb * rows.
    // icBase: the chunk's first input channel; isFirst / isLast: whether
    // it is the first / last chunk (null when there is only one).
    auto emitBlock = [&](ImplicitLocOpBuilder &b, Value n, Value ocb, Value oh,
                         Value ow, int64_t valid, Value icBase, Value isFirst,
                         Value isLast) {
      SmallVector<Value> ocs =
          indexSequence(b, affineIndex(b, {}, ocb, rows), rows);
      ColumnVectors covered = coverColumns(b, ow, valid, width);
      SmallVector<Value> &cols = covered.starts, &masks = covered.masks;
      int64_t vectors = cols.size();
      // Unfused, the output already holds the bias; fused, the first chunk
      // starts from it directly. Later chunks continue the partial sums.
      SmallVector<Value> accs;
      for (int64_t r = 0; r < rows; ++r) {
        Value start =
            fused ? fusedStart(b, *group, ocs[r], vectorType) : Value();
        for (int64_t c = 0; c < vectors; ++c) {
          Value partial;
          if (!start || isFirst) {
            auto [buffer, indices] =
                destination(b, n, ocb, r, ocs[r], oh, cols[c]);
            partial = loadVector(b, vectorType, buffer, indices, masks[c]);
          }
          accs.push_back(
              !start    ? partial
              : isFirst ? arith::SelectOp::create(b, isFirst, start, partial)
                              .getResult()
                        : start);
        }
      }
      Value ihBase = affineIndex(b, {}, oh, strides[0]);
      // Blocks start at multiples of `columns` when columnBlocks is set.
      Value block =
          columnBlocks
              ? arith::DivUIOp::create(b, ow, indexConstant(b, columns))
                    .getResult()
              : Value();
      auto step = [&](ImplicitLocOpBuilder &b, Value ic, Value kh, Value kw,
                      ValueRange accs) {
        Value ih = affineIndex(b, ihBase, kh, dilations[0]);
        Value phase, shift;
        if (stride != 1) {
          Value offset = affineIndex(b, {}, kw, dilations[1]);
          phase = arith::RemUIOp::create(b, offset, indexConstant(b, stride));
          shift = arith::DivUIOp::create(b, offset, indexConstant(b, stride));
        }
        if (prefetchInput && stride == 1 && !columnBlocks)
          prefetchRowAhead(
              b, input,
              {n, ic, ih, affineIndex(b, cols.front(), kw, dilations[1])});
        if (prefetchInput && stride != 1)
          prefetchRowAhead(
              b, phased,
              {n, ic, ih, phase, affineIndex(b, cols.front(), shift, 1)});
        SmallVector<Value> xs;
        for (int64_t c = 0; c < vectors; ++c)
          xs.push_back(
              columnBlocks
                  ? loadVector(b, vectorType, columnBlocks,
                               {block, ic, indexConstant(b, c * width)},
                               masks[c])
              : stride == 1
                  ? loadVector(
                        b, vectorType, input,
                        {n, ic, ih, affineIndex(b, cols[c], kw, dilations[1])},
                        masks[c])
                  : loadVector(
                        b, vectorType, phased,
                        {n, ic, ih, phase, affineIndex(b, cols[c], shift, 1)},
                        masks[c]));
        if (weightLead)
          memref::PrefetchOp::create(
              b, packed,
              ValueRange{ocb,
                         affineIndex(b, ic, indexConstant(b, weightLead), 1),
                         kh, kw, indexConstant(b, 0)},
              /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
        SmallVector<Value> ws;
        for (int64_t r = 0; r < rows; ++r)
          ws.push_back(
              packed ? memref::LoadOp::create(
                           b, packed,
                           ValueRange{ocb, ic, kh, kw, indexConstant(b, r)})
                     : memref::LoadOp::create(b, filter,
                                              ValueRange{ocs[r], ic, kh, kw}));
        return accumulateOuterProduct(b, vectorType, ws, xs, accs);
      };
      accs = buildFilterLoops(b, icChunk, chunks == 1 ? Value() : icBase,
                              weights[2], weights[3], accs, step);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < vectors; ++c)
          storeResult(b, accs[r * vectors + c], isLast, n, ocb, r, ocs[r], oh,
                      cols[c], masks[c]);
    };

    // Output columns [ow0, ow0 + count) of row oh and `rows` channels, for
    // one chunk of the reduction.
    auto emitColumns = [&](ImplicitLocOpBuilder &b, Value n, Value ocb,
                           Value oh, Value ow0, int64_t count, Value icBase,
                           Value isFirst, Value isLast) {
      int64_t fullBlocks = count / columns, tail = count % columns;
      if (fullBlocks)
        buildLoop(b, fullBlocks * columns, columns, {},
                  [&](auto &b, Value ow, ValueRange) {
                    emitBlock(b, n, ocb, oh, arith::AddIOp::create(b, ow0, ow),
                              columns, icBase, isFirst, isLast);
                    return SmallVector<Value>();
                  });
      if (tail)
        emitBlock(
            b, n, ocb, oh,
            affineIndex(b, indexConstant(b, fullBlocks * columns), ow0, 1),
            tail, icBase, isFirst, isLast);
    };
    // One whole output row.
    auto emitRow = [&](ImplicitLocOpBuilder &b, Value n, Value ocb, Value oh,
                       Value icBase, Value isFirst, Value isLast) {
      emitColumns(b, n, ocb, oh, indexConstant(b, 0), out[3], icBase, isFirst,
                  isLast);
    };
    // Every output row of a channel block, chunk after chunk.
    auto emitRows = [&](ImplicitLocOpBuilder &b, Value n, Value ocb) {
      if (chunks == 1) {
        buildLoop(b, out[2], 1, {}, [&](auto &b, Value oh, ValueRange) {
          emitRow(b, n, ocb, oh, {}, {}, {});
          return SmallVector<Value>();
        });
        return;
      }
      buildLoop(b, chunks, 1, {}, [&](auto &b, Value chunk, ValueRange) {
        Value icBase = affineIndex(b, {}, chunk, icChunk);
        Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                              chunk, indexConstant(b, 0));
        Value isLast = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, chunk,
                                             indexConstant(b, chunks - 1));
        buildLoop(b, out[2], 1, {}, [&](auto &b, Value oh, ValueRange) {
          emitRow(b, n, ocb, oh, icBase, isFirst, isLast);
          return SmallVector<Value>();
        });
        return SmallVector<Value>();
      });
    };
    // Multiply-adds per batch item, to decide whether threads pay off.
    int64_t work =
        out[1] * out[2] * out[3] * weights[1] * weights[2] * weights[3];
    // A 1x1 convolution reads each input column once per block of output
    // channels. With the blocks outermost, the whole input streams from the
    // outer caches once per block (MobileNetV2's 16 -> 96 expansion at
    // 112x112: 24 passes over 800 KB); with panels of columns outermost, the
    // panel's columns of every input channel stay in L1 across all the
    // blocks, while the weights, small enough to stay in L2, stream from
    // there. A panel is a row or, when a row of every channel is too much
    // for L1, as many blocks of columns as fit (flattened, a panel spans
    // rows: SqueezeNet's 16 -> 64 expansion on 55x55 at batch 8 took 1.8 ms
    // by rows, 0.76 ms by panels of 504 columns).
    bool panelsOuter = weights[2] == 1 && weights[3] == 1 && !pooled &&
                       chunks == 1 &&
                       weights[0] * weights[1] * 4 <= shape.l2CacheBytes / 2;
    int64_t panelColumns = std::min(
        out[3], columns * std::max<int64_t>(1, 3 * shape.chunkBytes /
                                                   (weights[1] * 4 * columns)));
    // At least kMinPanels tasks, so that threads share uneven panels
    // evenly (EfficientNet's 40 -> 240 layer on 28x28 flattened: 5 panels
    // of up to 192 columns took 0.176 ms on 2 threads, 0.214 on one).
    constexpr int64_t kMinPanels = 8;
    if (out[2] * llvm::divideCeil(out[3], panelColumns) < kMinPanels)
      panelColumns = std::min(
          panelColumns,
          columns * std::max<int64_t>(
                        1, llvm::divideCeil(out[3], kMinPanels * columns)));
    int64_t fullPanels = out[3] / panelColumns,
            lastPanel = out[3] % panelColumns;
    int64_t panels = fullPanels + (lastPanel ? 1 : 0);
    // Fewer panels than that still leave threads idle, or unevenly loaded
    // when the last panel is short (a 14x14 plane flattened: 3 panels of 64
    // columns and one of 4, split 128:68 between 2 threads; a 7x7 one: a
    // single panel). The output channel blocks then split into groups,
    // tasks taken group by group, so that threads share out whole groups:
    // every panel, for a share of the channels. (MobileNetV2's 1x1 layers
    // on 14x14 ran 1.44x faster on 2 threads than on one, its 960 -> 160
    // layer on 7x7 no faster.)
    int64_t ocBlocks = out[1] / rows;
    int64_t groups =
        out[2] * panels < kMinPanels
            ? blockFor(ocBlocks, llvm::divideCeil(kMinPanels, out[2] * panels))
            : 1;
    int64_t groupBlocks = ocBlocks / groups;
    auto emitPanel = [&](ImplicitLocOpBuilder &b, Value n, Value group,
                         Value oh, Value ow0, int64_t count) {
      Value firstBlock = affineIndex(b, {}, group, groupBlocks);
      buildLoop(b, groupBlocks, 1, {}, [&](auto &b, Value i, ValueRange) {
        Value ocb = arith::AddIOp::create(b, firstBlock, i);
        emitColumns(b, n, ocb, oh, ow0, count, {}, {}, {});
        return SmallVector<Value>();
      });
    };
    // With the channel blocks outermost, each block sweeps the input's
    // columns: a step's vectors lie a plane apart, and each sweep streams
    // the input from L2 at the pace of its latency (SqueezeNet's 512 ->
    // 1000 layer on 13x13 ran at 65% of the FMA peak, the same layer on a
    // 1x24 plane at 100%). A flattened 1x1 input copied once into column
    // blocks is read in order instead.
    if (!panelsOuter && flatten && chunks == 1 && out[1] / rows > 1) {
      int64_t blocks = llvm::divideCeil(out[3], columns);
      columnBlocks = memref::AllocOp::create(
          b, MemRefType::get({blocks, weights[1], columns}, b.getF32Type()),
          b.getI64IntegerAttr(64));
    }
    // Task (channel block, output row) of image n.
    auto emitRowTask = [&](ImplicitLocOpBuilder &b, Value n, Value task) {
      Value rowCount = indexConstant(b, out[2]);
      Value ocb = arith::DivUIOp::create(b, task, rowCount);
      Value oh = arith::RemUIOp::create(b, task, rowCount);
      emitRow(b, n, ocb, oh, {}, {}, {});
    };
    // The tasks of every image of the batch make one loop (one fork) unless
    // each image's input is first copied into column blocks.
    if (panelsOuter) {
      // Panels (of a group) are independent: they run on the thread pool.
      int64_t groupTasks = out[2] * panels;
      buildBatchBlockLoop(
          b, out[0], groups * groupTasks, work,
          [&](ImplicitLocOpBuilder &b, Value n, Value task) {
            Value group =
                arith::DivUIOp::create(b, task, indexConstant(b, groupTasks));
            Value inGroup =
                arith::RemUIOp::create(b, task, indexConstant(b, groupTasks));
            Value oh =
                arith::DivUIOp::create(b, inGroup, indexConstant(b, panels));
            Value panel =
                arith::RemUIOp::create(b, inGroup, indexConstant(b, panels));
            Value ow0 = affineIndex(b, {}, panel, panelColumns);
            if (!lastPanel) {
              emitPanel(b, n, group, oh, ow0, panelColumns);
              return;
            }
            Value isFull =
                arith::CmpIOp::create(b, arith::CmpIPredicate::ult, panel,
                                      indexConstant(b, fullPanels));
            scf::IfOp::create(
                b, isFull,
                [&](OpBuilder &nested, Location loc) {
                  ImplicitLocOpBuilder inner(loc, nested);
                  emitPanel(inner, n, group, oh, ow0, panelColumns);
                  scf::YieldOp::create(inner);
                },
                [&](OpBuilder &nested, Location loc) {
                  ImplicitLocOpBuilder inner(loc, nested);
                  emitPanel(inner, n, group, oh, ow0, lastPanel);
                  scf::YieldOp::create(inner);
                });
          });
    } else if (chunks == 1 && !pooled && !columnBlocks) {
      // Without a reduction in chunks or a fused pooling, each (channel
      // block, output row) pair is a task of its own, taken in the same
      // order as the nested loops. Threads then split the rows of a block
      // between them, so a layer with few blocks shares its work evenly
      // (ShuffleNetV2's 3 -> 24 stem at 224x224 has 3 blocks: 2 threads
      // split them 2:1 and ran slower than one).
      buildBatchBlockLoop(b, out[0], out[1] / rows * out[2], work, emitRowTask);
    } else {
      buildLoop(b, out[0], 1, {}, [&](auto &b, Value n, ValueRange) {
        if (columnBlocks)
          packColumnBlocks(b, input, n, columnBlocks, columns, width);
        if (chunks == 1 && !pooled) {
          // As above, after the copy.
          buildBlockLoop(b, out[1] / rows * out[2], work,
                         [&](ImplicitLocOpBuilder &b, Value task) {
                           emitRowTask(b, n, task);
                         });
          return SmallVector<Value>();
        }
        // Output channel blocks are independent: they run on the thread
        // pool.
        buildBlockLoop(b, out[1] / rows, work, [&](auto &b, Value ocb) {
          if (useRing) {
            emitPooledRows(
                b, n, ocb, rows, width, *group, scratch, ring,
                [&](ImplicitLocOpBuilder &b, Value n, Value ocb, Value oh) {
                  emitRow(b, n, ocb, oh, {}, {}, {});
                });
            return;
          }
          emitRows(b, n, ocb);
          if (pooled)
            emitPooledRows(b, n, ocb, rows, width, *group, scratch,
                           /*ring=*/0, {});
        });
        return SmallVector<Value>();
      });
    }
    if (phased != input)
      memref::DeallocOp::create(b, phased);
    if (columnBlocks)
      memref::DeallocOp::create(b, columnBlocks);
    if (scratch)
      memref::DeallocOp::create(b, scratch);
    eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
    return success();
  }

  KernelShape shape;
};

//===----------------------------------------------------------------------===//
// Matmul with a transposed right-hand side (nn.linear)
//===----------------------------------------------------------------------===//

bool isTransposedBMatmul(linalg::MatmulOp op) {
  MLIRContext *context = op.getContext();
  AffineExpr m, n, k;
  bindDims(context, m, n, k);
  SmallVector<AffineMap> maps = AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {n, k}, {m, n}}, context);
  return op.getIndexingMapsArray() == maps;
}

/// y = x W^T for a batch of rows, on W packed by packRowBlocks in blocks of
/// V*width rows ([ceil(N / (V*width)), K, V*width]): mBlock
/// rows of x times V output vectors stay in registers across all of K; each
/// step loads V weight vectors once and multiplies them by mBlock broadcast
/// elements of x. W streams from memory once per mBlock rows, with no
/// horizontal sums; x's rows are reread from cache.
void buildBatchedLinear(ImplicitLocOpBuilder &b, Value lhs, Value packed,
                        Value output, const kiln::FusionGroup *group, int64_t n,
                        int64_t mBlock, int64_t vectors, int64_t width,
                        bool prefetch) {
  ArrayRef<int64_t> x = cast<MemRefType>(lhs.getType()).getShape();
  ArrayRef<int64_t> p = cast<MemRefType>(packed.getType()).getShape();
  int64_t blockWidth = vectors * width;
  auto f32 = b.getF32Type();
  auto vectorType = VectorType::get({width}, f32);
  Value zero =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  // Weights too large for L2 come from the executable's 4 KB file-backed
  // pages, where the hardware prefetcher stops at every page boundary:
  // prefetch each block's stream kPrefetchBytes ahead. A block is one
  // stream (the GEMV kernel reads nBlock rows at once), so it needs a longer
  // lead: AlexNet's fc1 at batch 8 took 13.6 ms with 2 KB, 12.9 with 8 KB,
  // 13.5 with 16 KB. Weights that fit stay in cache between runs, where the
  // prefetches would only take load slots (LeNet-5's fc1, 400 steps of 8
  // loads, needs all of them).
  constexpr int64_t kPrefetchBytes = 8192;
  int64_t prefetchSteps = llvm::divideCeil(kPrefetchBytes, blockWidth * 4);
  buildLoop(b, x[0], mBlock, {}, [&](auto &b, Value m0, ValueRange) {
    buildBlockLoop(
        b, p[0], mBlock * p[0] * p[1] * blockWidth, [&](auto &b, Value nb) {
          SmallVector<Value> ms = indexSequence(b, m0, mBlock);
          SmallVector<Value> accs(mBlock * vectors, zero);
          accs = buildLoop(
              b, p[1], 1, accs, [&](auto &b, Value k, ValueRange accs) {
                SmallVector<Value> ws, xs;
                Value ahead = arith::AddIOp::create(
                    b, k, indexConstant(b, prefetchSteps));
                for (int64_t j = 0; j < vectors; ++j) {
                  if (prefetch)
                    memref::PrefetchOp::create(
                        b, packed,
                        ValueRange{nb, ahead, indexConstant(b, j * width)},
                        /*isWrite=*/false, /*localityHint=*/3,
                        /*isDataCache=*/true);
                  ws.push_back(vector::LoadOp::create(
                      b, vectorType, packed,
                      ValueRange{nb, k, indexConstant(b, j * width)}));
                }
                for (Value m : ms)
                  xs.push_back(
                      memref::LoadOp::create(b, lhs, ValueRange{m, k}));
                return accumulateOuterProduct(b, vectorType, xs, ws, accs);
              });
          // Only the last vector of the last block can reach past N.
          Value blockStart = affineIndex(b, {}, nb, blockWidth);
          for (int64_t j = 0; j < vectors; ++j) {
            Value column =
                affineIndex(b, blockStart, indexConstant(b, j), width);
            Value mask;
            if (n % width)
              mask = vector::CreateMaskOp::create(
                  b, VectorType::get({width}, b.getI1Type()),
                  ValueRange{
                      arith::SubIOp::create(b, indexConstant(b, n), column)});
            Value bias;
            if (group && group->bias)
              bias = loadVector(b, vectorType, group->bias, {column}, mask);
            for (int64_t i = 0; i < mBlock; ++i) {
              Value sum = accs[i * vectors + j];
              if (!group)
                sum = arith::AddFOp::create(
                    b, sum,
                    loadVector(b, vectorType, output, {ms[i], column}, mask));
              else if (bias)
                sum = arith::AddFOp::create(b, sum, bias);
              if (group)
                sum = applyActivation(b, sum, *group);
              storeVector(b, sum, group ? group->result : output,
                          {ms[i], column}, mask);
            }
          }
        });
    return SmallVector<Value>();
  });
}

struct LinearKernel : public OpRewritePattern<linalg::MatmulOp> {
  LinearKernel(MLIRContext *context, KernelShape shape)
      : OpRewritePattern(context), shape(shape) {}

  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<std::array<Value, 3>> operands = denseOperands(op, rewriter);
    if (failed(operands))
      return failure();
    Value lhs = (*operands)[0], rhs = (*operands)[1], output = (*operands)[2];
    if (!isTransposedBMatmul(op))
      return rewriter.notifyMatchFailure(op, "expects y = x W^T");
    // A fused ReLU is applied as each result is stored, after the group's
    // last op; the sums then start from the bias buffer itself.
    FailureOr<kiln::FusionGroup> group = kiln::matchFusionGroup(op);
    bool fused = succeeded(group) && group->pool.empty();
    if (fused)
      rewriter.setInsertionPointAfter(group->ops.back());

    ArrayRef<int64_t> x = cast<MemRefType>(lhs.getType()).getShape();
    ArrayRef<int64_t> w = cast<MemRefType>(rhs.getType()).getShape();
    int64_t width = shape.vectorWidth;
    // Constant weights: outputs along the vector lanes, on weights packed
    // for it (no horizontal sums; x's elements broadcast from cache). Even
    // at batch 1, where both kernels stream W once, the packed block is one
    // sequential stream instead of nBlock rows: AlexNet's fc1 took 9.3-10.0
    // ms instead of 10.5-11.0 on one thread.
    {
      int64_t mBlock = blockFor(x[0], 8);
      int64_t outputVectors = llvm::divideCeil(w[0], width);
      int64_t vectors = blockFor(
          outputVectors, std::max<int64_t>(1, shape.matmulRegisters / mBlock));
      // A layer that runs on threads needs enough blocks for even shares:
      // AlexNet's fc3 (63 vectors) took 7 blocks of 9, 4 + 3 on two
      // threads, and streamed its weights at 18 GB/s against fc2's 25.
      // Narrower blocks keep one weight load per mBlock multiply-adds.
      constexpr int64_t kMinThreadedBlocks = 16;
      if (worthForking(mBlock * w[0] * w[1]))
        while (vectors > 1 && outputVectors / vectors < kMinThreadedBlocks)
          vectors = blockFor(outputVectors, vectors - 1);
      if (Value packed =
              packRowBlocks(rewriter, op.getLoc(), rhs, vectors * width)) {
        ImplicitLocOpBuilder b(op.getLoc(), rewriter);
        int64_t packedBytes =
            cast<MemRefType>(packed.getType()).getNumElements() * 4;
        buildBatchedLinear(b, lhs, packed, output, fused ? &*group : nullptr,
                           w[0], mBlock, vectors, width,
                           /*prefetch=*/packedBytes > shape.l2CacheBytes);
        eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
        return success();
      }
    }
    // Accumulators: mBlock rows of x times nBlock rows of W. Up to 8 rows
    // of x share each load of W, so that a batch of 8 streams the weights
    // (the classifier's bottleneck) once, not twice.
    int64_t mBlock = blockFor(x[0], 8);
    int64_t nBlock =
        blockFor(w[0], std::max<int64_t>(1, shape.matmulRegisters / mBlock));
    auto vectorType = VectorType::get({width}, rewriter.getF32Type());
    auto maskType = VectorType::get({width}, rewriter.getI1Type());

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Value zero =
        arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
    // Prefetch distance in elements, when W's rows are long enough to
    // stream (kPrefetchBytes ahead, within the row).
    constexpr int64_t kPrefetchBytes = 2048;
    int64_t prefetchDistance =
        w[1] * 4 >= 4 * kPrefetchBytes ? kPrefetchBytes / 4 : 0;
    auto step = [&](ImplicitLocOpBuilder &b, ArrayRef<Value> ms,
                    ArrayRef<Value> ns, Value k, Value mask, ValueRange accs) {
      SmallVector<Value> xs, next(accs);
      for (Value m : ms)
        xs.push_back(loadVector(b, vectorType, lhs, {m, k}, mask));
      for (auto [j, nRow] : llvm::enumerate(ns)) {
        // W streams from memory once. Weights live in the executable's
        // file-backed pages (4 KB, no huge pages), where the hardware
        // prefetcher stops at every page boundary; prefetching each row
        // kPrefetchBytes ahead keeps the stream going.
        if (!mask && prefetchDistance > 0)
          memref::PrefetchOp::create(
              b, rhs,
              ValueRange{nRow, arith::AddIOp::create(
                                   b, k, indexConstant(b, prefetchDistance))},
              /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
        Value wv = loadVector(b, vectorType, rhs, {nRow, k}, mask);
        for (auto [i, xv] : llvm::enumerate(xs))
          next[i * ns.size() + j] =
              vector::FMAOp::create(b, xv, wv, next[i * ns.size() + j]);
      }
      return next;
    };
    int64_t fullK = w[1] / width * width, tail = w[1] % width;
    // Per block of x's rows W streams from memory once, each of its
    // elements costing what a streamed element does: more than the block's
    // multiply-adds on it at small batches (ResNet-18's 512 -> 1000
    // classifier at batch 1, 0.5M multiply-adds, ran on one thread).
    int64_t work = w[0] * w[1] * std::max(mBlock, kStreamedElementWork);
    buildLoop(b, x[0], mBlock, {}, [&](auto &b, Value m0, ValueRange) {
      // Blocks of W's rows are independent: they run on the thread pool.
      buildBlockLoop(b, w[0] / nBlock, work, [&](auto &b, Value nb) {
        Value n0 = affineIndex(b, {}, nb, nBlock);
        SmallVector<Value> ms, ns;
        ms = indexSequence(b, m0, mBlock);
        ns = indexSequence(b, n0, nBlock);
        SmallVector<Value> accs(mBlock * nBlock, zero);
        if (fullK)
          accs = buildLoop(b, fullK, width, accs,
                           [&](auto &b, Value k, ValueRange accs) {
                             return step(b, ms, ns, k, {}, accs);
                           });
        if (tail) {
          Value mask = vector::CreateMaskOp::create(
              b, maskType, ValueRange{indexConstant(b, tail)});
          accs = step(b, ms, ns, indexConstant(b, fullK), mask, accs);
        }
        for (int64_t i = 0; i < mBlock; ++i)
          for (int64_t j = 0; j < nBlock; ++j) {
            Value old;
            if (!fused)
              old = memref::LoadOp::create(b, output, ValueRange{ms[i], ns[j]});
            else if (group->bias)
              old = memref::LoadOp::create(b, group->bias, ValueRange{ns[j]});
            else
              old = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0));
            Value sum = vector::ReductionOp::create(
                b, vector::CombiningKind::ADD, accs[i * nBlock + j], old);
            if (fused)
              sum = applyActivation(b, sum, *group);
            memref::StoreOp::create(b, sum, fused ? group->result : output,
                                    ValueRange{ms[i], ns[j]});
          }
      });
      return SmallVector<Value>();
    });
    eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
    return success();
  }

  KernelShape shape;
};

/// A kernel that lives in a file of its own: `lower` replaces the op or
/// fails, changing nothing.
template <typename OpTy,
          LogicalResult (*lower)(OpTy, PatternRewriter &, const KernelShape &)>
struct KernelFor : public OpRewritePattern<OpTy> {
  KernelFor(MLIRContext *context, KernelShape shape)
      : OpRewritePattern<OpTy>(context), shape(shape) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    return lower(op, rewriter, shape);
  }

  KernelShape shape;
};

using DepthwiseConvKernel =
    KernelFor<linalg::Conv2DNgchwGfchwOp, lowerDepthwiseConv>;
using PlaneSumKernel = KernelFor<linalg::PoolingNchwSumOp, lowerPlaneSum>;
using MaxPoolingKernel = KernelFor<linalg::PoolingNchwMaxOp, lowerMaxPooling>;
using SumPoolingKernel = KernelFor<linalg::PoolingNchwSumOp, lowerSumPooling>;

struct LowerToMicroKernelsPass
    : public kiln::impl::LowerToMicroKernelsPassBase<LowerToMicroKernelsPass> {
  using LowerToMicroKernelsPassBase::LowerToMicroKernelsPassBase;

  void runOnOperation() override {
    std::optional<ConvLanes> lanes =
        llvm::StringSwitch<std::optional<ConvLanes>>(convLanes)
            .Case("auto", ConvLanes::Auto)
            .Case("columns", ConvLanes::Columns)
            .Case("channels", ConvLanes::Channels)
            .Default(std::nullopt);
    if (!lanes) {
      getOperation()->emitError()
          << "conv-lanes must be auto, columns or channels, not '" << convLanes
          << "'";
      return signalPassFailure();
    }
    KernelShape shape{vectorWidth,    convRows,         matmulRegisters,
                      convChunkBytes, poolScratchBytes, l2CacheBytes,
                      *lanes};
    if (shape.vectorWidth < 1 || shape.convRows < 1 ||
        shape.matmulRegisters < 1 || shape.chunkBytes < 0 ||
        shape.poolScratchBytes < 0 || shape.l2CacheBytes < 0) {
      getOperation()->emitError() << "kernel sizes must be positive";
      return signalPassFailure();
    }
    copyStridedInputs(getOperation());
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvKernel, DepthwiseConvKernel, LinearKernel, PlaneSumKernel,
                 MaxPoolingKernel, SumPoolingKernel>(&getContext(), shape);
    // Every match replaces its op by loops that no pattern matches again.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
