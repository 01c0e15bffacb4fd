//===- Join.cpp - nn.add, nn.mul and nn.concat to linalg and tensor ops ---===//
//
// A residual sum is one element-wise generic, which later fusion can merge
// with the producer of either branch; so is a product, its right operand
// broadcast along its dimensions of size 1. A concatenation writes each input
// into its slice of one destination with tensor.insert_slice; bufferization
// turns the slices into subviews, so a producer can later write its slice in
// place.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// lhs * rhs, rhs read again along its dimensions of size 1: one generic
/// whose map for rhs has a constant 0 there.
struct MulLowering : OpConversionPattern<nn::MulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::MulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> rhs =
        cast<RankedTensorType>(op.getRhs().getType()).getShape();
    unsigned rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineExpr> rhsIndices;
    for (unsigned d = 0; d < rank; ++d)
      rhsIndices.push_back(rhs[d] == type.getDimSize(d)
                               ? getAffineDimExpr(d, ctx)
                               : getAffineConstantExpr(0, ctx));
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap broadcast = AffineMap::get(rank, 0, rhsIndices, ctx);
    auto mul = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{type},
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        ValueRange{createEmpty(rewriter, op.getLoc(), type.getShape())},
        ArrayRef<AffineMap>{identity, broadcast, identity}, iterators(rank),
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(
              b, loc,
              arith::MulFOp::create(b, loc, args[0], args[1]).getResult());
        });
    rewriter.replaceOp(op, mul.getResult(0));
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
  patterns.add<AddLowering, MulLowering, ConcatLowering>(patterns.getContext());
}
