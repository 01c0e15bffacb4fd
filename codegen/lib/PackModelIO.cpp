//===- PackModelIO.cpp - kiln-pack-model-io -------------------------------===//
//
// Gives the entry function the runtime's signature, one flat input buffer
// and one flat output buffer, when the model has several inputs or outputs,
// and records where each lies.
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
#define GEN_PASS_DEF_PACKMODELIOPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Where one input or output lies in its packed buffer, as `kiln.inputs`
/// and `kiln.outputs` record it.
struct PackedTensor {
  DictionaryAttr entry;
  int64_t size;
  int64_t offset;
};

/// Lays `types` out one after another in a flat buffer of floats: checks
/// each (it must suit the runtime's descriptor) and the buffer's size, and
/// names each by `names[i]`, or `what` and its index. Errors name `what`.
static FailureOr<SmallVector<PackedTensor>>
layOut(func::FuncOp func, TypeRange types, ArrayRef<StringAttr> names,
       StringRef what, int64_t &total) {
  Builder b(func.getContext());
  SmallVector<PackedTensor> packed;
  total = 0;
  for (auto [i, type] : llvm::enumerate(types)) {
    FailureOr<SmallVector<int64_t>> shape =
        getModelShape(func, type, (what + " " + Twine(i)).str());
    if (failed(shape))
      return failure();
    // Each tensor is verified to fit kMaxTensorBytes; their sum could still
    // overflow in principle.
    int64_t size = cast<RankedTensorType>(type).getNumElements();
    int64_t offset = total;
    if (llvm::AddOverflow(total, size, total) ||
        total > nn::kMaxTensorBytes / 4)
      return func.emitError() << "the model's " << what << "s hold more than "
                              << nn::kMaxTensorBytes / 4 << " floats together";
    StringAttr name = names[i] ? names[i] : b.getStringAttr(what + Twine(i));
    NamedAttribute fields[] = {
        b.getNamedAttr("name", name),
        b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
        b.getNamedAttr("shape", b.getDenseI64ArrayAttr(*shape))};
    packed.push_back({b.getDictionaryAttr(fields), size, offset});
  }
  return packed;
}

static ArrayAttr getEntries(Builder &b, ArrayRef<PackedTensor> packed) {
  SmallVector<Attribute> entries;
  for (const PackedTensor &tensor : packed)
    entries.push_back(tensor.entry);
  return b.getArrayAttr(entries);
}

struct PackModelIOPass : public impl::PackModelIOPassBase<PackModelIOPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = getEntryFunction(module, entryName);
    if (!func)
      return signalPassFailure();
    if (!func.getBody().hasOneBlock())
      return;
    if ((func.getNumArguments() > 1 && failed(packInputs(func))) ||
        (func.getNumResults() > 1 && failed(packOutputs(func))))
      return signalPassFailure();
  }

  /// Replaces the arguments by one flat tensor that the body slices into
  /// views of the old arguments' shapes.
  LogicalResult packInputs(func::FuncOp func) {
    SmallVector<StringAttr> names;
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      names.push_back(func.getArgAttrOfType<StringAttr>(i, kIONameAttrName));
    int64_t total;
    FailureOr<SmallVector<PackedTensor>> inputs =
        layOut(func, func.getArgumentTypes(), names, "input", total);
    if (failed(inputs))
      return failure();

    Block &entry = func.getBody().front();
    unsigned count = entry.getNumArguments();
    auto packedType =
        RankedTensorType::get({total}, Float32Type::get(&getContext()));
    BlockArgument packed =
        entry.addArgument(packedType, entry.getArgument(0).getLoc());
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    for (auto [arg, input] :
         llvm::zip(entry.getArguments().take_front(count), *inputs)) {
      Location loc = arg.getLoc();
      Value slice = nn::SliceOp::create(
          b, loc,
          RankedTensorType::get({input.size}, packedType.getElementType()),
          packed, b.getDenseI64ArrayAttr({input.offset}), nullptr);
      arg.replaceAllUsesWith(
          nn::ReshapeOp::create(b, loc, arg.getType(), slice));
    }
    entry.eraseArguments(0, count);
    func.setFunctionType(
        FunctionType::get(&getContext(), {packedType}, func.getResultTypes()));
    func.removeArgAttrsAttr();
    getOperation()->setAttr(kInputsAttrName, getEntries(b, *inputs));
    return success();
  }

  /// Replaces the results by the concatenation of their flattened views.
  LogicalResult packOutputs(func::FuncOp func) {
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<StringAttr> names;
    for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
      names.push_back(func.getResultAttrOfType<StringAttr>(i, kIONameAttrName));
    int64_t total;
    FailureOr<SmallVector<PackedTensor>> outputs =
        layOut(func, func.getResultTypes(), names, "output", total);
    if (failed(outputs))
      return failure();

    OpBuilder b(ret);
    Location loc = ret.getLoc();
    Type f32 = b.getF32Type();
    SmallVector<Value> flat;
    for (auto [value, output] : llvm::zip(ret.getOperands(), *outputs))
      flat.push_back(nn::ReshapeOp::create(
          b, loc, RankedTensorType::get({output.size}, f32), value));
    auto packedType = RankedTensorType::get({total}, f32);
    Value packed = nn::ConcatOp::create(b, loc, packedType, flat, 0);
    ret.getOperandsMutable().assign(packed);
    func.setFunctionType(FunctionType::get(
        &getContext(), func.getArgumentTypes(), {packedType}));
    func.removeResAttrsAttr();
    getOperation()->setAttr(kOutputsAttrName, getEntries(b, *outputs));
    return success();
  }
};

} // namespace
} // namespace kiln
