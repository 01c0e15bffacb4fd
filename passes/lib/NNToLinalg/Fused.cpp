//===- Fused.cpp - nn.fused_conv2d / nn.fused_linear to linalg ------------===//
//
// A fused op becomes exactly the linalg ops of the layers it fuses, marked as
// one group (kiln/Dialect/NN/FusionAttrs.h): the convolution or matmul
// carries the epilogue's description, and every op of the group its number.
// The CPU micro-kernels compute a marked group in one loop nest; anything
// else runs the ops as they are, which gives the same numbers.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/FusionAttrs.h"
#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace kiln;

namespace {

/// Marks with `group` every linalg op between `result` and `anchor` (the
/// ops that compute `result` from the anchor's output), and the ops that
/// initialise the anchor's output (its bias or zero fill).
void markGroup(Value result, linalg::LinalgOp anchor, IntegerAttr group) {
  SmallVector<Operation *> worklist = {result.getDefiningOp()};
  for (OpOperand &init : anchor.getDpsInitsMutable())
    worklist.push_back(init.get().getDefiningOp());
  anchor->setAttr(nn::kFusionGroupAttrName, group);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    // A grouped convolution's input, output and init are reshaped views.
    if (isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      worklist.push_back(op->getOperand(0).getDefiningOp());
      continue;
    }
    if (!op || !isa<linalg::LinalgOp>(op) ||
        op->hasAttr(nn::kFusionGroupAttrName))
      continue;
    op->setAttr(nn::kFusionGroupAttrName, group);
    for (Value operand : op->getOperands())
      worklist.push_back(operand.getDefiningOp());
  }
}

/// Numbers the groups of one conversion run.
struct GroupCounter {
  int64_t next = 0;
};

struct FusedConv2DLowering : OpConversionPattern<nn::FusedConv2DOp> {
  FusedConv2DLowering(MLIRContext *context,
                      std::shared_ptr<GroupCounter> counter)
      : OpConversionPattern(context), counter(std::move(counter)) {}

  LogicalResult
  matchAndRewrite(nn::FusedConv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    auto convType =
        RankedTensorType::get(op.getConvolutionShape(), rewriter.getF32Type());
    Value result = createConvolution(
        rewriter, loc, adaptor.getInput(), adaptor.getWeight(),
        adaptor.getBias(), op.getStride(), op.getPadding(), op.getDilation(),
        op.getGroups(), convType);
    // A grouped convolution's result is collapsed back to [N, C, H, W].
    Value convResult = result;
    if (auto collapse = result.getDefiningOp<tensor::CollapseShapeOp>())
      convResult = collapse.getSrc();
    auto conv = convResult.getDefiningOp<linalg::LinalgOp>();

    SmallVector<NamedAttribute> epilogue;
    if (op.getRelu()) {
      result = createRelu(rewriter, loc, result);
      epilogue.push_back(rewriter.getNamedAttr("relu", rewriter.getUnitAttr()));
    }
    if (std::optional<ArrayRef<float>> clamp = op.getClamp()) {
      result = createClamp(rewriter, loc, result, (*clamp)[0], (*clamp)[1]);
      epilogue.push_back(rewriter.getNamedAttr("clamp", op.getClampAttr()));
    }
    if (op.getHardswish()) {
      result = createHardSwish(rewriter, loc, result);
      epilogue.push_back(
          rewriter.getNamedAttr("hardswish", rewriter.getUnitAttr()));
    }
    if (op.getSilu()) {
      result = createSiLU(rewriter, loc, result);
      epilogue.push_back(rewriter.getNamedAttr("silu", rewriter.getUnitAttr()));
    }
    if (std::optional<StringRef> pool = op.getPool()) {
      ArrayRef<int64_t> kernel = *op.getPoolKernel(),
                        stride = *op.getPoolStride();
      int64_t padding[4] = {0, 0, 0, 0};
      result =
          *pool == "max"
              ? createMaxPool2D(rewriter, loc, result, kernel, stride, padding,
                                resultType)
              : createAvgPool2D(rewriter, loc, result, kernel, stride, padding,
                                /*countIncludePad=*/true, resultType);
      epilogue.push_back(rewriter.getNamedAttr("pool", op.getPoolAttr()));
      epilogue.push_back(
          rewriter.getNamedAttr("pool_kernel", op.getPoolKernelAttr()));
      epilogue.push_back(
          rewriter.getNamedAttr("pool_stride", op.getPoolStrideAttr()));
    }
    if (conv) {
      conv->setAttr(nn::kEpilogueAttrName,
                    rewriter.getDictionaryAttr(epilogue));
      markGroup(result, conv, rewriter.getI64IntegerAttr(counter->next++));
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  std::shared_ptr<GroupCounter> counter;
};

struct FusedLinearLowering : OpConversionPattern<nn::FusedLinearOp> {
  FusedLinearLowering(MLIRContext *context,
                      std::shared_ptr<GroupCounter> counter)
      : OpConversionPattern(context), counter(std::move(counter)) {}

  LogicalResult
  matchAndRewrite(nn::FusedLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value result =
        createLinear(rewriter, loc, adaptor.getInput(), adaptor.getWeight(),
                     adaptor.getBias(), cast<RankedTensorType>(op.getType()));
    auto matmul = result.getDefiningOp<linalg::LinalgOp>();
    SmallVector<NamedAttribute> epilogue;
    if (op.getRelu()) {
      result = createRelu(rewriter, loc, result);
      epilogue.push_back(rewriter.getNamedAttr("relu", rewriter.getUnitAttr()));
    }
    matmul->setAttr(nn::kEpilogueAttrName,
                    rewriter.getDictionaryAttr(epilogue));
    markGroup(result, matmul, rewriter.getI64IntegerAttr(counter->next++));
    rewriter.replaceOp(op, result);
    return success();
  }

  std::shared_ptr<GroupCounter> counter;
};

} // namespace

void kiln::populateFusedPatterns(RewritePatternSet &patterns) {
  auto counter = std::make_shared<GroupCounter>();
  patterns.add<FusedConv2DLowering, FusedLinearLowering>(patterns.getContext(),
                                                         counter);
}
