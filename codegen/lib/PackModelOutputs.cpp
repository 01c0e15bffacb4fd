//===- PackModelOutputs.cpp - kiln-pack-model-outputs ---------------------===//
//
// Packs the entry function's several results into one flat tensor, the one
// output buffer the runtime passes, and records where each output lies.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/Support/MathExtras.h"

namespace kiln {
#define GEN_PASS_DEF_PACKMODELOUTPUTSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct PackModelOutputsPass
    : public impl::PackModelOutputsPassBase<PackModelOutputsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = getEntryFunction(module, entryName);
    if (!func)
      return signalPassFailure();
    if (func.getNumResults() < 2 || !func.getBody().hasOneBlock())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    MLIRContext *ctx = &getContext();
    OpBuilder b(ret);
    Location loc = ret.getLoc();
    Type f32 = b.getF32Type();
    SmallVector<Value> flat;
    SmallVector<Attribute> outputs;
    int64_t total = 0;
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      FailureOr<SmallVector<int64_t>> shape =
          getModelShape(func, value.getType(), ("output " + Twine(i)).str());
      if (failed(shape))
        return signalPassFailure();
      // Each output is verified to fit kMaxTensorBytes; their sum could
      // still overflow in principle.
      int64_t size = cast<RankedTensorType>(value.getType()).getNumElements();
      int64_t offset = total;
      if (llvm::AddOverflow(total, size, total) ||
          total > nn::kMaxTensorBytes / 4) {
        func.emitError() << "the model's outputs hold more than "
                         << nn::kMaxTensorBytes / 4 << " floats together";
        return signalPassFailure();
      }
      auto name = func.getResultAttrOfType<StringAttr>(i, kOutputNameAttrName);
      if (!name)
        name = b.getStringAttr("output" + Twine(i));
      NamedAttribute fields[] = {
          b.getNamedAttr("name", name),
          b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
          b.getNamedAttr("shape", b.getDenseI64ArrayAttr(*shape))};
      outputs.push_back(DictionaryAttr::get(ctx, fields));
      flat.push_back(nn::ReshapeOp::create(
          b, loc, RankedTensorType::get({size}, f32), value));
    }
    auto packedType = RankedTensorType::get({total}, f32);
    Value packed = nn::ConcatOp::create(b, loc, packedType, flat, 0);
    ret.getOperandsMutable().assign(packed);
    func.setFunctionType(
        FunctionType::get(ctx, func.getArgumentTypes(), {packedType}));
    func.removeResAttrsAttr();
    module->setAttr(kOutputsAttrName, ArrayAttr::get(ctx, outputs));
  }
};

} // namespace
} // namespace kiln
