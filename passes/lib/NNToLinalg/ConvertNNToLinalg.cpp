//===- ConvertNNToLinalg.cpp - convert-nn-to-linalg -----------------------===//
//
// Gathers the per-family lowerings and runs them as a dialect conversion in
// which the whole nn dialect is illegal: a layer without a lowering fails
// the pass at its own location instead of slipping through.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {
#define GEN_PASS_DEF_CONVERTNNTOLINALGPASS
#include "kiln/Passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

void kiln::populateNNToLinalgConversionPatterns(RewritePatternSet &patterns) {
  populateConvolutionPatterns(patterns);
  populateConvTransposePatterns(patterns);
  populateLinearPatterns(patterns);
  populatePoolingPatterns(patterns);
  populateElementwisePatterns(patterns);
  populateNormalizationPatterns(patterns);
  populateShapePatterns(patterns);
  populateJoinPatterns(patterns);
  populateReductionPatterns(patterns);
  populateFusedPatterns(patterns);
}

namespace {

struct ConvertNNToLinalgPass
    : kiln::impl::ConvertNNToLinalgPassBase<ConvertNNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    target.addIllegalDialect<nn::NNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    RewritePatternSet patterns(context);
    populateNNToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
