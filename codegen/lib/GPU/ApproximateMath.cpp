//===- ApproximateMath.cpp - Math functions as arithmetic in kernels ------===//
//
// See GPUPasses.td: keeps libdevice out of the PTX.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/GPUPasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_GPUAPPROXIMATEMATHPASS
#include "kiln/Codegen/GPUPasses.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct GPUApproximateMathPass
    : public impl::GPUApproximateMathPassBase<GPUApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // powf -> exp/log, tanh -> exp, ... then exp/log/... -> polynomials.
    math::populateExpansionPatterns(patterns);
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef) { return true; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace kiln
