//===- RecordModelSignature.cpp - kiln-record-model-signature -------------===//
//
// Checks the entry function against what the runtime supports and records
// its tensor shapes as module attributes for the kiln_model descriptor.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace kiln {
#define GEN_PASS_DEF_RECORDMODELSIGNATUREPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {

/// Largest rank the runtime's descriptor holds (KILN_MAX_RANK).
constexpr int64_t kMaxRank = 8;

FailureOr<SmallVector<int64_t>> getModelShape(func::FuncOp func, Type type,
                                              StringRef what) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType || !tensorType.getElementType().isF32() ||
      !tensorType.hasStaticShape())
    return func.emitError() << "the model's " << what
                            << " must be a statically shaped tensor of f32, "
                               "but it is "
                            << type;
  if (tensorType.getRank() > kMaxRank)
    return func.emitError()
           << "the model's " << what << " has rank " << tensorType.getRank()
           << "; the runtime supports at most " << kMaxRank;
  return SmallVector<int64_t>(tensorType.getShape());
}

func::FuncOp getEntryFunction(ModuleOp module, StringRef name) {
  auto func = module.lookupSymbol<func::FuncOp>(name);
  if (func && !func.isExternal())
    return func;
  module.emitError() << "the model has no entry function @" << name;
  return nullptr;
}

namespace {

struct RecordModelSignaturePass
    : public impl::RecordModelSignaturePassBase<RecordModelSignaturePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = getEntryFunction(module, entryName);
    if (!func)
      return signalPassFailure();
    FunctionType type = func.getFunctionType();
    if (type.getNumInputs() != 1 || type.getNumResults() != 1) {
      func.emitError() << "the model's entry function must take one tensor "
                          "and return one, but it has type "
                       << type;
      return signalPassFailure();
    }
    FailureOr<SmallVector<int64_t>> input =
        getModelShape(func, type.getInput(0), "input");
    FailureOr<SmallVector<int64_t>> output =
        getModelShape(func, type.getResult(0), "output");
    if (failed(input) || failed(output))
      return signalPassFailure();
    module->setAttr(kInputShapeAttrName,
                    DenseI64ArrayAttr::get(&getContext(), *input));
    module->setAttr(kOutputShapeAttrName,
                    DenseI64ArrayAttr::get(&getContext(), *output));
  }
};

} // namespace
} // namespace kiln
