//===- InterchangeForVectorization.cpp - Vectorizable loop order ----------===//
//
// kiln-interchange-for-vectorization: reorders the iterators of reducing
// linalg.generic ops so that the innermost loop walks the output's
// contiguous dimension, e.g. conv (n, f, oh, ow, c, kh, kw) ->
// (n, f, oh, c, kh, kw, ow) and matmul (m, n, k) -> (m, k, n).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_INTERCHANGEFORVECTORIZATIONPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct InterchangeForVectorization
    : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    if (iterators.size() < 2 || !linalg::isReductionIterator(iterators.back()))
      return rewriter.notifyMatchFailure(op,
                                         "innermost loop is not a reduction");
    if (op.getNumDpsInits() != 1)
      return rewriter.notifyMatchFailure(op, "expected a single output");

    // The loop to move innermost: the one indexing the output's innermost
    // (contiguous) dimension.
    AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (outputMap.getNumResults() == 0)
      return rewriter.notifyMatchFailure(op, "output is a scalar");
    auto innerDim = dyn_cast<AffineDimExpr>(outputMap.getResults().back());
    if (!innerDim)
      return rewriter.notifyMatchFailure(
          op, "output's innermost index is not a plain loop");
    unsigned inner = innerDim.getPosition();
    if (!linalg::isParallelIterator(iterators[inner]))
      return rewriter.notifyMatchFailure(op, "expected a parallel loop");

    // Moving it innermost only helps if every operand is walked along its
    // innermost dimension (constant, small stride): e.g. not the B of a
    // matmul with transposed weights.
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      for (AffineExpr expr : map.getResults().drop_back())
        if (expr.isFunctionOfDim(inner))
          return rewriter.notifyMatchFailure(
              op, "the loop indexes an outer dimension of an operand");
    }

    // New order: the other parallel loops (outermost, in their order), the
    // reductions (in their order, so every output element accumulates in the
    // same order as before), then `inner`. interchangeVector[new] = old.
    SmallVector<unsigned> permutation;
    for (auto [i, iterator] : llvm::enumerate(iterators))
      if (linalg::isParallelIterator(iterator) && i != inner)
        permutation.push_back(i);
    for (auto [i, iterator] : llvm::enumerate(iterators))
      if (linalg::isReductionIterator(iterator))
        permutation.push_back(i);
    permutation.push_back(inner);

    if (failed(linalg::interchangeGenericOp(rewriter, op, permutation)))
      return rewriter.notifyMatchFailure(op, "interchange failed");
    return success();
  }
};

struct InterchangeForVectorizationPass
    : public impl::InterchangeForVectorizationPassBase<
          InterchangeForVectorizationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateInterchangeForVectorizationPatterns(patterns);
    // Each op is rewritten at most once (afterwards its innermost loop is
    // parallel); no folding, so the IR is otherwise left as it was.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace

void populateInterchangeForVectorizationPatterns(RewritePatternSet &patterns) {
  patterns.add<InterchangeForVectorization>(patterns.getContext());
}

} // namespace kiln
