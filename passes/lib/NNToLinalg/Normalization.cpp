//===- Normalization.cpp - LRN and softmax to linalg.generic --------------===//
//
// LRN sums squares over a window of channels: the input is zero-padded along
// the channels (size/2 before, (size-1)/2 after, as PyTorch's avg_pool3d
// formulation does; or as many before as `before` says) so that a windowed
// reduction needs no bounds checks. Softmax over dimension 1 (or the dimensions
// it names) is the numerically stable three-step form: the maximum, the sum of
// exp(x - max), and exp(x - max) / sum (log-softmax: x - max - log(sum)).
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/SmallBitVector.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

struct LRNLowering : OpConversionPattern<nn::LRNOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::LRNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t size = op.getSize();

    // sums[n, c, h, w] = sum_j padded[n, c + j, h, w]^2, j in [0, size).
    int64_t before = op.getChannelsBefore();
    Value padded = createPadded(rewriter, loc, input, {0, before, 0, 0},
                                {0, size - 1 - before, 0, 0}, 0.0);
    AffineExpr n, c, h, w, j;
    bindDims(ctx, n, c, h, w, j);
    AffineMap paddedMap = AffineMap::get(5, 0, {n, c + j, h, w}, ctx);
    AffineMap windowMap = AffineMap::get(5, 0, {j}, ctx);
    AffineMap outputMap = AffineMap::get(5, 0, {n, c, h, w}, ctx);
    auto sums = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{padded, createEmpty(rewriter, loc, {size})},
        ValueRange{createFilled(rewriter, loc, type.getShape(), 0.0)},
        ArrayRef<AffineMap>{paddedMap, windowMap, outputMap}, iterators(4, 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value square = arith::MulFOp::create(b, l, args[0], args[0]);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[2], square).getResult());
        });

    // y = x / (sum / size * alpha + k)^beta, in PyTorch's order.
    Value sizeF = createF32(rewriter, loc, double(size));
    Value alpha = createF32(rewriter, loc, op.getAlpha().convertToDouble());
    Value k = createF32(rewriter, loc, op.getK().convertToDouble());
    Value beta = createF32(rewriter, loc, op.getBeta().convertToDouble());
    Value result = createElementwise(
        rewriter, loc, ValueRange{input, sums.getResult(0)},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value mean = arith::DivFOp::create(b, l, args[1], sizeF);
          Value base = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, mean, alpha), k);
          Value div = math::PowFOp::create(b, l, base, beta);
          return arith::DivFOp::create(b, l, args[0], div);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SoftmaxLowering : OpConversionPattern<nn::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();

    // Loops over every dimension, the normalised ones being the reduction.
    SmallVector<int64_t> dims = op.getNormalizedDims();
    AffineMap full = rewriter.getMultiDimIdentityMap(rank);
    llvm::SmallBitVector dropped(rank);
    for (int64_t dim : dims)
      dropped.set(dim);
    AffineMap reduced = full.dropResults(dropped);
    SmallVector<int64_t> reducedShape;
    SmallVector<utils::IteratorType> reduction = iterators(rank);
    for (unsigned d = 0; d < rank; ++d) {
      if (dropped.test(d))
        reduction[d] = utils::IteratorType::reduction;
      else
        reducedShape.push_back(type.getDimSize(d));
    }

    // max over the normalised dimensions.
    double ninf = -std::numeric_limits<double>::infinity();
    auto max = linalg::GenericOp::create(
        rewriter, loc,
        TypeRange{RankedTensorType::get(reducedShape, type.getElementType())},
        ValueRange{input},
        ValueRange{createFilled(rewriter, loc, reducedShape, ninf)},
        ArrayRef<AffineMap>{full, reduced}, reduction,
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l,
              arith::MaximumFOp::create(b, l, args[0], args[1]).getResult());
        });

    // sum of exp(x - max) over them.
    auto sum = linalg::GenericOp::create(
        rewriter, loc, TypeRange{max.getResult(0).getType()},
        ValueRange{input, max.getResult(0)},
        ValueRange{createFilled(rewriter, loc, reducedShape, 0.0)},
        ArrayRef<AffineMap>{full, reduced, reduced}, reduction,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value e = math::ExpOp::create(
              b, l, arith::SubFOp::create(b, l, args[0], args[1]));
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[2], e).getResult());
        });

    // exp(x - max) / sum, recomputing exp rather than storing it; or, for
    // log, (x - max) - log(sum), which never takes the log of an underflow.
    bool log = op.getLog();
    auto result = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{input, max.getResult(0), sum.getResult(0)},
        ValueRange{createEmpty(rewriter, loc, type.getShape())},
        ArrayRef<AffineMap>{full, reduced, reduced, full}, iterators(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          Value y = log ? arith::SubFOp::create(
                              b, l, shifted, math::LogOp::create(b, l, args[2]))
                              .getResult()
                        : arith::DivFOp::create(
                              b, l, math::ExpOp::create(b, l, shifted), args[2])
                              .getResult();
          linalg::YieldOp::create(b, l, y);
        });
    rewriter.replaceOp(op, result.getResult(0));
    return success();
  }
};

} // namespace

void kiln::populateNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<LRNLowering, SoftmaxLowering>(patterns.getContext());
}
