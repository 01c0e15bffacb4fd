//===- Shape.cpp - nn.flatten to tensor reshapes --------------------------===//
//
// Flattening an NCHW tensor is a metadata change: tensor.collapse_shape
// merges every dimension after the first without moving data.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

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
    int64_t rank = inputType.getRank();
    if (rank == 2) {
      rewriter.replaceOp(op, input); // Already [N, features].
      return success();
    }
    if (rank == 1) {
      // [N] -> [N, 1] adds a unit dimension.
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          op, resultType, input, ArrayRef<ReassociationIndices>{{0, 1}});
      return success();
    }
    ReassociationIndices tail;
    for (int64_t d = 1; d < rank; ++d)
      tail.push_back(d);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, resultType, input, ArrayRef<ReassociationIndices>{{0}, tail});
    return success();
  }
};

} // namespace

void kiln::populateShapePatterns(RewritePatternSet &patterns) {
  patterns.add<FlattenLowering>(patterns.getContext());
}
