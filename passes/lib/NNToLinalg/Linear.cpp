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
    rewriter.replaceOp(op,
                       createLinear(rewriter, op.getLoc(), adaptor.getInput(),
                                    adaptor.getWeight(), adaptor.getBias(),
                                    cast<RankedTensorType>(op.getType())));
    return success();
  }
};

} // namespace

Value kiln::createLinear(OpBuilder &b, Location loc, Value input, Value weight,
                         Value bias, RankedTensorType resultType) {
  Value init = bias ? createBroadcast(b, loc, bias, resultType.getShape(),
                                      /*dim=*/1)
                    : createFilled(b, loc, resultType.getShape(), 0.0);
  // indexing_maps (m, n, k) -> (m, k), (n, k), (m, n).
  return linalg::MatmulTransposeBOp::create(b, loc, TypeRange{resultType},
                                            ValueRange{input, weight},
                                            ValueRange{init})
      .getResult(0);
}

void kiln::populateLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering>(patterns.getContext());
}
