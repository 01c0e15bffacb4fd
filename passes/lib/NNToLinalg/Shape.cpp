//===- Shape.cpp - nn.flatten, reshape, slice, transpose ------------------===//
//
// Flattening an NCHW tensor is a metadata change: tensor.collapse_shape
// merges every dimension after the first (or from `axis` on, and those before
// it) without moving data; nn.reshape is collapse and expand ops in general.
// A slice is a tensor.extract_slice (a view, once bufferized). A transpose
// moves data: linalg.transpose.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Reshape.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace kiln;

namespace {

struct FlattenLowering : OpConversionPattern<nn::FlattenOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::FlattenOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (inputType == resultType) {
      rewriter.replaceOp(op, input); // Already [N, features].
      return success();
    }
    int64_t rank = inputType.getRank();
    int64_t axis = op.getAxis().value_or(1);
    if (axis == 0 || axis == rank) {
      // [all] with a unit dimension before (axis 0) or after (axis = rank):
      // collapse to one dimension, then expand by the unit one.
      Value flat = input;
      if (rank > 1) {
        ReassociationIndices all;
        for (int64_t d = 0; d < rank; ++d)
          all.push_back(d);
        flat = tensor::CollapseShapeOp::create(
            rewriter, op.getLoc(), input, ArrayRef<ReassociationIndices>{all});
      }
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          op, resultType, flat, ArrayRef<ReassociationIndices>{{0, 1}});
      return success();
    }
    ReassociationIndices head, tail;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? head : tail).push_back(d);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, resultType, input, ArrayRef<ReassociationIndices>{head, tail});
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<nn::ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, nn::createReshape<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
                rewriter, op.getLoc(), adaptor.getInput(), op.getType()));
    return success();
  }
};

struct SliceLowering : OpConversionPattern<nn::SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = op.getContext();
    SmallVector<int64_t> strides = op.getStridesOrOnes();
    if (llvm::all_of(strides, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
          op, op.getType(), adaptor.getInput(),
          getAsIndexOpFoldResult(ctx, op.getOffsets()),
          getAsIndexOpFoldResult(ctx, op.getType().getShape()),
          getAsIndexOpFoldResult(ctx, strides));
      return success();
    }
    // A reversal (negative stride) moves data: a copy that reads input
    // element offsets + i * strides, which an affine map expresses with
    // either sign (a view with negative strides would not).
    int64_t rank = strides.size();
    SmallVector<AffineExpr> read;
    for (int64_t d = 0; d < rank; ++d)
      read.push_back(getAffineDimExpr(d, ctx) * strides[d] +
                     op.getOffsets()[d]);
    ArrayRef<int64_t> shape = op.getType().getShape();
    auto copy = linalg::GenericOp::create(
        rewriter, op.getLoc(), TypeRange{op.getType()},
        ValueRange{adaptor.getInput()},
        ValueRange{createEmpty(rewriter, op.getLoc(), shape)},
        ArrayRef<AffineMap>{AffineMap::get(rank, 0, read, ctx),
                            AffineMap::getMultiDimIdentityMap(rank, ctx)},
        iterators(rank), [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });
    rewriter.replaceOp(op, copy.getResult(0));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<nn::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = createEmpty(rewriter, op.getLoc(), resultType.getShape());
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, op.getLoc(),
                                                       adaptor.getInput(), init,
                                                       op.getPerm())
                               .getResult());
    return success();
  }
};

} // namespace

void kiln::populateShapePatterns(RewritePatternSet &patterns) {
  patterns
      .add<FlattenLowering, ReshapeLowering, SliceLowering, TransposeLowering>(
          patterns.getContext());
}
