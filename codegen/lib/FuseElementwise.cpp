//===- FuseElementwise.cpp - kiln-fuse-elementwise ------------------------===//
//
// Merges chains of element-wise linalg.generic ops on tensors into one op
// with MLIR's producer-consumer fusion, under the conditions of Passes.td:
// one pass over memory where the chain made one per op (a SiLU's sigmoid
// and product, a residual sum and its ReLU).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"
#include "kiln/Dialect/NN/FusionAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Whether the producer of `fused` may merge into its consumer.
bool worthFusing(OpOperand *fused) {
  Operation *consumer = fused->getOwner();
  Operation *producer = fused->get().getDefiningOp();
  // A fused convolution's epilogue ops are a group that the kernels match
  // as they are.
  if (!producer || producer->hasAttr(nn::kFusionGroupAttrName) ||
      consumer->hasAttr(nn::kFusionGroupAttrName))
    return false;
  // Another reader would keep the producer, computed twice.
  if (!fused->get().hasOneUse())
    return false;
  // A broadcast read (an [N, C, 1, 1] gate scaling a whole plane) would
  // recompute the producer at every element of the plane.
  auto linalgConsumer = dyn_cast<linalg::LinalgOp>(consumer);
  return linalgConsumer &&
         linalgConsumer.getMatchingIndexingMap(fused).isIdentity();
}

struct FuseElementwisePass
    : public impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, worthFusing);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace kiln
