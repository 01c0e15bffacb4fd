//===- PackConstantGlobals.cpp - kiln-pack-constant-globals ---------------===//
//
// Retypes constant LLVM globals holding dense_resource weights as flat byte
// arrays that share the resource blob, so that the LLVM IR translation builds
// one ConstantDataArray per weight instead of one per innermost row, and the
// object emitter writes the bytes in one piece instead of float by float.
//
// Semantics are unchanged: with opaque pointers every access (load, store,
// GEP) carries its own type, and the byte image of an [A x [B x float]]
// array is that of [4AB x i8].
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace kiln {
#define GEN_PASS_DEF_PACKCONSTANTGLOBALSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Size in bytes of one element of `type` if its arrays have no padding
/// (f16, bf16, f32, f64, i8 ... i64), or 0.
int64_t getPackedElementBytes(Type type) {
  if (!type.isIntOrFloat())
    return 0;
  unsigned bits = type.getIntOrFloatBitWidth();
  if (bits % 8 != 0 || !llvm::isPowerOf2_32(bits))
    return 0;
  return bits / 8;
}

struct PackConstantGlobalsPass
    : public impl::PackConstantGlobalsPassBase<PackConstantGlobalsPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto global : getOperation().getOps<LLVM::GlobalOp>()) {
      if (!global.getConstant())
        continue;
      auto value =
          dyn_cast_or_null<DenseResourceElementsAttr>(global.getValueAttr());
      if (!value)
        continue;
      ShapedType type = value.getType();
      int64_t elementBytes = getPackedElementBytes(type.getElementType());
      if (elementBytes == 0 || !type.hasStaticShape())
        continue;
      // An element type of i8 in one dimension is already what we want.
      if (type.getRank() == 1 && elementBytes == 1)
        continue;

      AsmResourceBlob *blob = value.getRawHandle().getBlob();
      if (!blob) {
        global.emitError() << "the data of resource '"
                           << value.getRawHandle().getKey() << "' is missing";
        return signalPassFailure();
      }
      int64_t bytes = blob->getData().size();
      if (bytes != type.getNumElements() * elementBytes) {
        global.emitError() << "resource '" << value.getRawHandle().getKey()
                           << "' holds " << bytes << " bytes, but " << type
                           << " needs " << type.getNumElements() * elementBytes;
        return signalPassFailure();
      }
      if (bytes < minBytes)
        continue;

      MLIRContext *context = &getContext();
      auto byteType = IntegerType::get(context, 8);
      global.setGlobalType(LLVM::LLVMArrayType::get(byteType, bytes));
      global.setValueAttr(DenseResourceElementsAttr::get(
          RankedTensorType::get({bytes}, byteType), value.getRawHandle()));
      // Loads keep assuming the element type's alignment.
      if (global.getAlignment().value_or(0) < uint64_t(elementBytes))
        global.setAlignment(elementBytes);
    }
  }
};

} // namespace
} // namespace kiln
