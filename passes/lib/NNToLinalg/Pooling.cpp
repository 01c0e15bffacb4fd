//===- Pooling.cpp - nn pools to linalg pooling ops -----------------------===//
//
// Max and average pools become linalg.pooling_nchw_max / _sum over an input
// padded with -inf or zero (max pools may be dilated: linalg's dilations).
// ceil_mode lets the last window run past the padded input; extra bottom/right
// padding covers it, and the padding value
// (-inf for max) or the divisor (for average) keeps those cells from
// counting. Averages divide by PyTorch's per-window divisor, computed from
// the output position with linalg.index arithmetic where it varies.
//
// Adaptive average pools whose windows are all alike are plain average pools;
// others get a linalg.generic over the largest window, masking the cells
// outside each output cell's own window.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/FusionAttrs.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

/// One spatial dimension of a fixed pooling window, with PyTorch's semantics.
struct PoolDim {
  int64_t input, kernel, stride, padBefore, padAfter, output;
  /// Only max pools are dilated; the divisors below assume 1.
  int64_t dilation = 1;

  /// Cells to pad after `padAfter` so that the last window, which ceil_mode
  /// may let run past the padded input, lies inside the padded tensor.
  int64_t extraPad() const {
    return std::max<int64_t>(0, (output - 1) * stride +
                                    (kernel - 1) * dilation + 1 -
                                    (input + padBefore + padAfter));
  }

  /// PyTorch's divisor for output position `o`: the window clipped to
  /// [-padBefore, input + padAfter) when padding counts, else to the input.
  int64_t divisor(int64_t o, bool countIncludePad) const {
    int64_t start = o * stride - padBefore;
    int64_t end = std::min(start + kernel, input + padAfter);
    if (countIncludePad)
      return end - start;
    return std::min(end, input) - std::max<int64_t>(start, 0);
  }

  /// The divisor when it is the same at every output position.
  std::optional<int64_t> uniformDivisor(bool countIncludePad) const {
    // The check visits every output position: past kMaxCheckedPositions
    // (no real image is that wide) the divisor is computed per position
    // instead, which is always correct. A fuzzed 2^31-wide output took
    // minutes here.
    constexpr int64_t kMaxCheckedPositions = int64_t(1) << 16;
    if (output > kMaxCheckedPositions)
      return std::nullopt;
    int64_t first = divisor(0, countIncludePad);
    for (int64_t o = 1; o < output; ++o)
      if (divisor(o, countIncludePad) != first)
        return std::nullopt;
    return first;
  }

  /// `divisor` as index arithmetic on the output position `o`.
  Value emitDivisor(OpBuilder &b, Location loc, Value o,
                    bool countIncludePad) const {
    Value start = arith::SubIOp::create(
        b, loc, arith::MulIOp::create(b, loc, o, createIndex(b, loc, stride)),
        createIndex(b, loc, padBefore));
    Value end = arith::MinSIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, start, createIndex(b, loc, kernel)),
        createIndex(b, loc, input + padAfter));
    if (!countIncludePad) {
      start = arith::MaxSIOp::create(b, loc, start, createIndex(b, loc, 0));
      end = arith::MinSIOp::create(b, loc, end, createIndex(b, loc, input));
    }
    return arith::SubIOp::create(b, loc, end, start);
  }
};

static Value indexToF32(OpBuilder &b, Location loc, Value index) {
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i64);
}

/// Computes the number of cells averaged into output cell (oh, ow), as an
/// index value, inside a linalg.generic body.
using CountFn = function_ref<Value(OpBuilder &, Location, Value, Value)>;

/// Divides every cell of the NCHW `sums` by its window's cell count.
static Value divideByCount(OpBuilder &b, Location loc, Value sums,
                           CountFn count) {
  auto type = cast<RankedTensorType>(sums.getType());
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(4));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{sums},
      ValueRange{createEmpty(b, loc, type.getShape())}, maps, iterators(4),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value oh = linalg::IndexOp::create(nb, nloc, 2);
        Value ow = linalg::IndexOp::create(nb, nloc, 3);
        Value divisor = indexToF32(nb, nloc, count(nb, nloc, oh, ow));
        Value result = arith::DivFOp::create(nb, nloc, args[0], divisor);
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

/// Pads `input` with `padValue` and applies the pooling op `PoolOp`
/// (linalg.pooling_nchw_max or _sum) starting from `initValue`.
template <typename PoolOp>
static Value createPool(OpBuilder &b, Location loc, Value input,
                        RankedTensorType resultType, const PoolDim (&dims)[2],
                        double padValue, double initValue) {
  Value padded =
      createPadded(b, loc, input, {0, 0, dims[0].padBefore, dims[1].padBefore},
                   {0, 0, dims[0].padAfter + dims[0].extraPad(),
                    dims[1].padAfter + dims[1].extraPad()},
                   padValue);
  // The window operand only carries the kernel's shape.
  Value window = createEmpty(b, loc, {dims[0].kernel, dims[1].kernel});
  Value init = createFilled(b, loc, resultType.getShape(), initValue);
  NamedAttribute attrs[] = {
      b.getNamedAttr("strides",
                     b.getI64TensorAttr({dims[0].stride, dims[1].stride})),
      b.getNamedAttr("dilations",
                     b.getI64TensorAttr({dims[0].dilation, dims[1].dilation}))};
  return PoolOp::create(b, loc, TypeRange{resultType},
                        ValueRange{padded, window}, ValueRange{init}, attrs)
      .getResult(0);
}

/// Sum pooling over a zero-padded input divided by PyTorch's divisor.
static Value createAvgPool(OpBuilder &b, Location loc, Value input,
                           RankedTensorType resultType,
                           const PoolDim (&dims)[2], bool countIncludePad) {
  Value sums = createPool<linalg::PoolingNchwSumOp>(b, loc, input, resultType,
                                                    dims, 0.0, 0.0);
  std::optional<int64_t> uniform[2] = {dims[0].uniformDivisor(countIncludePad),
                                       dims[1].uniformDivisor(countIncludePad)};
  if (uniform[0] && uniform[1]) {
    Value divisor = createF32(b, loc, double(*uniform[0] * *uniform[1]));
    return createElementwise(
        b, loc, sums, [&](OpBuilder &nb, Location nloc, ValueRange args) {
          return arith::DivFOp::create(nb, nloc, args[0], divisor);
        });
  }
  return divideByCount(
      b, loc, sums, [&](OpBuilder &nb, Location nloc, Value oh, Value ow) {
        Value counts[2];
        Value positions[2] = {oh, ow};
        for (int i = 0; i < 2; ++i)
          counts[i] = uniform[i] ? createIndex(nb, nloc, *uniform[i])
                                 : dims[i].emitDivisor(nb, nloc, positions[i],
                                                       countIncludePad);
        return arith::MulIOp::create(nb, nloc, counts[0], counts[1]);
      });
}

static void getPoolDims(RankedTensorType inputType, RankedTensorType resultType,
                        ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                        ArrayRef<int64_t> pad, PoolDim (&dims)[2]) {
  for (int i = 0; i < 2; ++i)
    dims[i] = {
        inputType.getDimSize(2 + i), kernel[i], stride[i], pad[i], pad[2 + i],
        resultType.getDimSize(2 + i)};
}

} // namespace

Value kiln::createMaxPool2D(OpBuilder &b, Location loc, Value input,
                            ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                            ArrayRef<int64_t> padding,
                            RankedTensorType resultType,
                            ArrayRef<int64_t> dilation, bool nonNegativeInput) {
  PoolDim dims[2];
  getPoolDims(cast<RankedTensorType>(input.getType()), resultType, kernel,
              stride, padding, dims);
  for (int i = 0; i < 2; ++i)
    dims[i].dilation = dilation[i];
  // Every window holds at least one input cell (the verifier checks), so
  // -inf padding never wins; nor does +0 over an input of values >= +0.
  double start =
      nonNegativeInput ? 0.0 : -std::numeric_limits<double>::infinity();
  Value pooled = createPool<linalg::PoolingNchwMaxOp>(b, loc, input, resultType,
                                                      dims, start, start);
  if (nonNegativeInput)
    pooled.getDefiningOp()->setAttr(nn::kNonNegativeInputAttrName,
                                    b.getUnitAttr());
  return pooled;
}

Value kiln::createAvgPool2D(OpBuilder &b, Location loc, Value input,
                            ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                            ArrayRef<int64_t> padding, bool countIncludePad,
                            RankedTensorType resultType) {
  PoolDim dims[2];
  getPoolDims(cast<RankedTensorType>(input.getType()), resultType, kernel,
              stride, padding, dims);
  return createAvgPool(b, loc, input, resultType, dims, countIncludePad);
}

namespace {

/// Whether every value of the nn tensor `value` is in [+0, +inf] or NaN:
/// a ReLU's, a clamp's to bounds of 0 or more, a fused convolution's with
/// such an activation (pooled or not), and a max pool or concatenation of
/// those.
bool isNonNegative(Value value, int depth = 0) {
  if (depth > 8)
    return false;
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (isa<nn::ReluOp>(def))
    return true;
  if (auto clamp = dyn_cast<nn::ClampOp>(def))
    return nn::Activation::clamp(clamp.getMinAttr().getValueAsDouble(),
                                 clamp.getMaxAttr().getValueAsDouble())
        .givesNonNegative();
  if (auto fused = dyn_cast<nn::FusedConv2DOp>(def)) {
    std::optional<nn::Activation> activation = fused.getActivation();
    return activation && activation->givesNonNegative();
  }
  if (auto pool = dyn_cast<nn::MaxPool2DOp>(def))
    return isNonNegative(pool.getInput(), depth + 1);
  if (auto concat = dyn_cast<nn::ConcatOp>(def))
    return llvm::all_of(concat.getInputs(), [&](Value input) {
      return isNonNegative(input, depth + 1);
    });
  return false;
}

struct MaxPool2DLowering : OpConversionPattern<nn::MaxPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MaxPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    std::optional<ArrayRef<int64_t>> dilation = op.getDilation();
    Value pooled = createMaxPool2D(
        rewriter, op.getLoc(), adaptor.getInput(), op.getKernel(),
        op.getStride(), op.getPadding(), cast<RankedTensorType>(op.getType()),
        dilation.value_or(ArrayRef<int64_t>{1, 1}),
        isNonNegative(op.getInput()));
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

struct AvgPool2DLowering : OpConversionPattern<nn::AvgPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::AvgPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, createAvgPool2D(rewriter, op.getLoc(), adaptor.getInput(),
                            op.getKernel(), op.getStride(), op.getPadding(),
                            op.getCountIncludePad(),
                            cast<RankedTensorType>(op.getType())));
    return success();
  }
};

struct AdaptiveDim {
  int64_t input, output;

  int64_t start(int64_t o) const { return o * input / output; }
  int64_t end(int64_t o) const {
    return ((o + 1) * input + output - 1) / output;
  }
  int64_t maxWindow() const {
    // Past 2^16 positions, a bound instead of a scan: every window spans
    // less than input / output + 2 cells, and cells past a window are
    // masked anyway.
    if (output > (int64_t(1) << 16))
      return std::min<int64_t>(input, llvm::divideCeil(input, output) + 1);
    int64_t size = 0;
    for (int64_t o = 0; o < output; ++o)
      size = std::max(size, end(o) - start(o));
    return size;
  }
  std::pair<Value, Value> emitWindow(OpBuilder &b, Location loc,
                                     Value o) const {
    Value in = createIndex(b, loc, input), out = createIndex(b, loc, output);
    Value start = arith::DivUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, o, in), out);
    Value next = arith::AddIOp::create(b, loc, o, createIndex(b, loc, 1));
    Value end = arith::DivUIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, next, in),
                              createIndex(b, loc, output - 1)),
        out);
    return {start, end};
  }
};

/// Sums the variable windows of an adaptive pool: a linalg.generic over
/// (n, c, oh, ow, kh, kw) with kh, kw spanning the largest window; each cell
/// reads the input at a clamped index and counts only inside its window.
static Value createAdaptiveSums(OpBuilder &b, Location loc, Value input,
                                RankedTensorType resultType,
                                const AdaptiveDim (&dims)[2]) {
  MLIRContext *ctx = b.getContext();
  AffineMap windowMap = AffineMap::get(
      6, 0, {getAffineDimExpr(4, ctx), getAffineDimExpr(5, ctx)}, ctx);
  AffineMap outputMap = AffineMap::getMultiDimIdentityMap(4, ctx);
  outputMap = AffineMap::get(6, 0, outputMap.getResults(), ctx);
  Value window =
      createEmpty(b, loc, {dims[0].maxWindow(), dims[1].maxWindow()});
  Value init = createFilled(b, loc, resultType.getShape(), 0.0);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{window}, ValueRange{init},
      ArrayRef<AffineMap>{windowMap, outputMap}, iterators(4, 2),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> indices = {linalg::IndexOp::create(nb, nloc, 0),
                                      linalg::IndexOp::create(nb, nloc, 1)};
        Value valid;
        for (int i = 0; i < 2; ++i) {
          Value o = linalg::IndexOp::create(nb, nloc, 2 + i);
          Value k = linalg::IndexOp::create(nb, nloc, 4 + i);
          auto [start, end] = dims[i].emitWindow(nb, nloc, o);
          Value at = arith::AddIOp::create(nb, nloc, start, k);
          Value inside = arith::CmpIOp::create(
              nb, nloc, arith::CmpIPredicate::ult, at, end);
          valid =
              valid ? arith::AndIOp::create(nb, nloc, valid, inside) : inside;
          // Cells past the window may lie past the input: clamp the read.
          indices.push_back(arith::MinUIOp::create(
              nb, nloc, at, createIndex(nb, nloc, dims[i].input - 1)));
        }
        Value cell = tensor::ExtractOp::create(nb, nloc, input, indices);
        Value term = arith::SelectOp::create(nb, nloc, valid, cell,
                                             createF32(nb, nloc, 0.0));
        Value sum = arith::AddFOp::create(nb, nloc, args[1], term);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
}

struct AdaptiveAvgPool2DLowering
    : OpConversionPattern<nn::AdaptiveAvgPool2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::AdaptiveAvgPool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (inputType == resultType) {
      rewriter.replaceOp(op, input);
      return success();
    }
    AdaptiveDim dims[2];
    for (int i = 0; i < 2; ++i)
      dims[i] = {inputType.getDimSize(2 + i), resultType.getDimSize(2 + i)};

    // Even windows (global pooling, 14x14 -> 7x7, ...) are an average pool
    // with kernel = stride = input / output, which later stages handle best.
    if (dims[0].input % dims[0].output == 0 &&
        dims[1].input % dims[1].output == 0) {
      PoolDim poolDims[2];
      for (int i = 0; i < 2; ++i) {
        int64_t k = dims[i].input / dims[i].output;
        poolDims[i] = {dims[i].input, k, k, 0, 0, dims[i].output};
      }
      rewriter.replaceOp(op, createAvgPool(rewriter, loc, input, resultType,
                                           poolDims,
                                           /*countIncludePad=*/true));
      return success();
    }

    Value sums = createAdaptiveSums(rewriter, loc, input, resultType, dims);
    rewriter.replaceOp(
        op,
        divideByCount(rewriter, loc, sums,
                      [&](OpBuilder &nb, Location nloc, Value oh, Value ow) {
                        auto [hs, he] = dims[0].emitWindow(nb, nloc, oh);
                        auto [ws, we] = dims[1].emitWindow(nb, nloc, ow);
                        return arith::MulIOp::create(
                            nb, nloc, arith::SubIOp::create(nb, nloc, he, hs),
                            arith::SubIOp::create(nb, nloc, we, ws));
                      }));
    return success();
  }
};

} // namespace

void kiln::populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2DLowering, AvgPool2DLowering, AdaptiveAvgPool2DLowering>(
      patterns.getContext());
}
