//===- Bufferize.cpp - kiln-bufferize and kiln-results-to-out-params ------===//
//
// Thin wrappers around upstream bufferization that fix the options Kiln's
// CPU code needs and that the upstream passes do not expose: copies as
// linalg.copy, a read-only model input, out-parameters on public functions.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace kiln {
#define GEN_PASS_DEF_BUFFERIZEPASS
#define GEN_PASS_DEF_RESULTSTOOUTPARAMSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Copies `from` into `to` with linalg.copy, which convert-linalg-to-loops
/// turns into a loop nest. memref.copy would become a call to `memrefCopy`,
/// which lives in MLIR's host-only runner utils.
LogicalResult createLinalgCopy(OpBuilder &builder, Location loc, Value from,
                               Value to) {
  linalg::CopyOp::create(builder, loc, from, to);
  return success();
}

struct BufferizePass : public impl::BufferizePassBase<BufferizePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();

    // The caller owns the buffers passed to public functions (the model's
    // input is a `const float *`): never bufferize writes into them.
    StringRef writable = bufferization::BufferizationDialect::kWritableAttrName;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (isa<TensorType>(func.getArgument(i).getType()) &&
            !func.getArgAttr(i, writable))
          func.setArgAttr(i, writable, BoolAttr::get(context, false));
    }

    bufferization::OneShotBufferizationOptions options;
    options.bufferizeFunctionBoundaries = true;
    options.setFunctionBoundaryTypeConversion(
        bufferization::LayoutMapOption::IdentityLayoutMap);
    options.bufferAlignment = 64;
    options.memCpyFn = createLinalgCopy;

    bufferization::BufferizationState state;
    if (failed(
            bufferization::runOneShotModuleBufferize(module, options, state)))
      return signalPassFailure();
  }
};

struct ResultsToOutParamsPass
    : public impl::ResultsToOutParamsPassBase<ResultsToOutParamsPass> {
  void runOnOperation() override {
    bufferization::BufferResultsToOutParamsOpts options;
    // A returned static allocation becomes the out-parameter itself.
    options.hoistStaticAllocs = true;
    // @forward is public: the runtime calls it.
    options.modifyPublicFunctions = true;
    options.memCpyFn = createLinalgCopy;
    if (failed(bufferization::promoteBufferResultsToOutParams(getOperation(),
                                                              options)))
      return signalPassFailure();
  }
};

} // namespace
} // namespace kiln
