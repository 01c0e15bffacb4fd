//===- Join.cpp - nn.add, mul, sub, div, pow, prelu and concat to linalg --===//
//
// A residual sum is one element-wise generic, which later fusion can merge
// with the producer of either branch; so is a product, difference, quotient,
// maximum, minimum or power, its right operand broadcast along its
// dimensions of size 1, and
// a PReLU, its slope read the same way. A concatenation writes each input
// into its slice of one destination with tensor.insert_slice; bufferization
// turns the slices into subviews, so a producer can later write its slice in
// place.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace kiln;

namespace {

struct AddLowering : OpConversionPattern<nn::AddOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result = createElementwise(
        rewriter, op.getLoc(), ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange args) {
          return arith::AddFOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One generic of `lhs` and `rhs`, rhs read again along its dimensions of
/// size 1 (a map with a constant 0 there), `body` computing an element.
Value createBroadcastBinary(
    ConversionPatternRewriter &rewriter, Location loc, Value lhs, Value rhs,
    function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  auto type = cast<RankedTensorType>(lhs.getType());
  ArrayRef<int64_t> rhsShape = cast<RankedTensorType>(rhs.getType()).getShape();
  unsigned rank = type.getRank();
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<AffineExpr> rhsIndices;
  for (unsigned d = 0; d < rank; ++d)
    rhsIndices.push_back(rhsShape[d] == type.getDimSize(d)
                             ? getAffineDimExpr(d, ctx)
                             : getAffineConstantExpr(0, ctx));
  AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
  AffineMap broadcast = AffineMap::get(rank, 0, rhsIndices, ctx);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{type}, ValueRange{lhs, rhs},
      ValueRange{createEmpty(rewriter, loc, type.getShape())},
      ArrayRef<AffineMap>{identity, broadcast, identity}, iterators(rank),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, body(b, loc, args[0], args[1]));
      });
  return generic.getResult(0);
}

/// lhs (op) rhs, rhs broadcast: nn.mul, nn.sub and nn.div as arith's
/// `ArithOp`.
template <typename NNOp, typename ArithOp>
struct RightBroadcastLowering : OpConversionPattern<NNOp> {
  using OpConversionPattern<NNOp>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NNOp op, typename NNOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, createBroadcastBinary(
                rewriter, op.getLoc(), adaptor.getLhs(), adaptor.getRhs(),
                [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
                  return ArithOp::create(b, loc, x, y);
                }));
    return success();
  }
};

/// x where x > 0, slope * x elsewhere (PyTorch's PReLU), the slope
/// broadcast.
struct PReluLowering : OpConversionPattern<nn::PReluOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::PReluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op,
        createBroadcastBinary(
            rewriter, op.getLoc(), adaptor.getInput(), adaptor.getSlope(),
            [](OpBuilder &b, Location loc, Value x, Value slope) -> Value {
              Value zero =
                  arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
              Value positive = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OGT, x, zero);
              return arith::SelectOp::create(
                  b, loc, positive, x, arith::MulFOp::create(b, loc, slope, x));
            }));
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<nn::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank(), dim = op.getDim();
    Value result = createEmpty(rewriter, loc, type.getShape());
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(input.getType()).getShape();
      SmallVector<OpFoldResult> sizes;
      for (int64_t size : shape)
        sizes.push_back(rewriter.getIndexAttr(size));
      offsets[dim] = rewriter.getIndexAttr(offset);
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset += shape[dim];
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void kiln::populateJoinPatterns(RewritePatternSet &patterns) {
  patterns.add<AddLowering, RightBroadcastLowering<nn::MulOp, arith::MulFOp>,
               RightBroadcastLowering<nn::SubOp, arith::SubFOp>,
               RightBroadcastLowering<nn::DivOp, arith::DivFOp>,
               RightBroadcastLowering<nn::MaximumOp, arith::MaximumFOp>,
               RightBroadcastLowering<nn::MinimumOp, arith::MinimumFOp>,
               RightBroadcastLowering<nn::PowOp, math::PowFOp>, PReluLowering,
               ConcatLowering>(patterns.getContext());
}
