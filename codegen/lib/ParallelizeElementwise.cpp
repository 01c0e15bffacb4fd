//===- ParallelizeElementwise.cpp - kiln-parallelize-elementwise ----------===//
//
// Tiles large all-parallel linalg.generic ops on buffers into scf.parallel
// loops over one leading dimension (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_PARALLELIZEELEMENTWISEPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// The dimension to spread over the threads: the first of all but the
/// innermost with at least kEvenTasks iterations, else the largest of them
/// with at least two, or -1. Few tasks share out unevenly: the zero padding
/// of a 3-channel image as 3 tasks kept one of 2 threads idle a third of
/// the time.
int64_t parallelDimension(ArrayRef<int64_t> ranges) {
  constexpr int64_t kEvenTasks = 8;
  int64_t largest = -1;
  for (int64_t d = 0; d + 1 < (int64_t)ranges.size(); ++d) {
    if (ranges[d] >= kEvenTasks)
      return d;
    if (ranges[d] >= 2 && (largest < 0 || ranges[d] > ranges[largest]))
      largest = d;
  }
  return largest;
}

struct ParallelizeElementwisePass
    : public impl::ParallelizeElementwisePassBase<ParallelizeElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op.hasPureBufferSemantics() ||
          op.getNumParallelLoops() != op.getNumLoops() ||
          op->getParentOfType<scf::ParallelOp>())
        return;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic))
        return;
      int64_t iterations = 1;
      for (int64_t range : ranges)
        iterations *= range; // Static shapes: bounded by the verifiers.
      if (iterations >= minElements && parallelDimension(ranges) >= 0)
        candidates.push_back(op);
    });

    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      SmallVector<int64_t> tileSizes(ranges.size(), 0);
      tileSizes[parallelDimension(ranges)] = 1;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(
          rewriter, op,
          linalg::LinalgTilingOptions().setTileSizes(tileSizes).setLoopType(
              linalg::LinalgTilingLoopType::ParallelLoops));
      if (failed(tiled)) {
        op.emitError() << "could not tile an element-wise op for threads";
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
} // namespace kiln
