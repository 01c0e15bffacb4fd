//===- Linear.cpp - nn.linear to linalg.matmul ----------------------------===//
//
// y = x W^T + b. PyTorch stores W as [out, in]; a matmul whose weight map is
// transposed reads it in place instead of materialising W^T, and it
// accumulates into the broadcast bias.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace kiln;

namespace {

struct LinearLowering : OpConversionPattern<nn::LinearOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = adaptor.getBias()
                     ? createBroadcast(rewriter, loc, adaptor.getBias(),
                                       resultType.getShape(), /*dim=*/1)
                     : createFilled(rewriter, loc, resultType.getShape(), 0.0);
    // indexing_maps (m, n, k) -> (m, k), (n, k), (m, n).
    auto matmul = linalg::MatmulTransposeBOp::create(
        rewriter, loc, TypeRange{resultType},
        ValueRange{adaptor.getInput(), adaptor.getWeight()}, ValueRange{init});
    rewriter.replaceOp(op, matmul.getResult(0));
    return success();
  }
};

} // namespace

void kiln::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering>(patterns.getContext());
}
