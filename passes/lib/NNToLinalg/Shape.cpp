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
    ArrayRef<int64_t> shape = op.getType().getShape();
    // A negative stride reads backwards: take the same elements forwards
    // (from the last one read, by the stride's magnitude; a view), then
    // reverse those dimensions with a copy, which a view cannot do.
    SmallVector<int64_t> offsets(op.getOffsets()), forward(strides);
    SmallVector<AffineExpr> reversed;
    bool reverses = false;
    for (auto [d, stride] : llvm::enumerate(strides)) {
      AffineExpr dim = getAffineDimExpr(d, ctx);
      if (stride > 0) {
        reversed.push_back(dim);
        continue;
      }
      offsets[d] += (shape[d] - 1) * stride;
      forward[d] = -stride;
      reversed.push_back(shape[d] - 1 - dim);
      reverses |= shape[d] > 1;
    }
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), op.getType(), adaptor.getInput(),
        getAsIndexOpFoldResult(ctx, offsets),
        getAsIndexOpFoldResult(ctx, shape),
        getAsIndexOpFoldResult(ctx, forward));
    if (!reverses) {
      rewriter.replaceOp(op, slice);
      return success();
    }
    rewriter.replaceOp(
        op, createMappedCopy(rewriter, op.getLoc(), slice,
                             AffineMap::get(shape.size(), 0, reversed, ctx),
                             shape));
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
