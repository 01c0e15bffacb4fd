//===- Bufferize.cpp - kiln-bufferize and kiln-results-to-out-params ------===//
//
// Thin wrappers around upstream bufferization that fix the options Kiln's
// CPU code needs and that the upstream passes do not expose: copies as
// linalg.copy, a read-only model input, out-parameters on public functions.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

    // An element-wise op that writes a fresh tensor of its input's type can
    // write over that input instead when nothing else reads it (a ReLU after
    // a convolution): one buffer fewer. The analysis found this by itself
    // through the shared tensor.empty below; splitting that hides it.
    module.walk([](linalg::GenericOp generic) {
      if (generic.getNumDpsInits() != 1 ||
          generic.getNumParallelLoops() != generic.getNumLoops())
        return;
      OpOperand *init = generic.getDpsInitOperand(0);
      if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
          !generic.getMatchingIndexingMap(init).isIdentity())
        return;
      for (OpOperand *input : generic.getDpsInputOperands()) {
        if (input->get().getType() == init->get().getType() &&
            input->get().hasOneUse() &&
            generic.getMatchingIndexingMap(input).isIdentity()) {
          init->set(input->get());
          return;
        }
      }
    });

    // CSE leaves one tensor.empty per shape, shared by every layer that
    // starts from an uninitialised tensor of that shape; the one-shot
    // analysis then weighs each of its uses against all the others, which
    // took 63 s for 1000 layers (cubic). Empty tensors have no contents, so
    // one per use is the same program, and analysed in linear time.
    module.walk([](tensor::EmptyOp empty) {
      if (empty->use_empty()) {
        empty->erase(); // Replaced by an input above.
        return;
      }
      OpBuilder builder(empty);
      for (OpOperand &use :
           llvm::make_early_inc_range(llvm::drop_begin(empty->getUses())))
        use.set(builder.clone(*empty)->getResult(0));
    });

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
