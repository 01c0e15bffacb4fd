//===- Constants.cpp - Reading and making f32 weight constants ------------===//
#include "Constants.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

LogicalResult kiln::readConstant(Value value, ConstantTensor &result) {
  if (!matchPattern(value, m_Constant(&result.attr)))
    return failure();
  FailureOr<ArrayRef<float>> values = getF32Values(result.attr, result.storage);
  if (failed(values))
    return failure();
  result.values = *values;
  result.shape.assign(cast<ShapedType>(value.getType()).getShape());
  return success();
}

FailureOr<ArrayRef<float>> kiln::getF32Values(Attribute attr,
                                              SmallVectorImpl<float> &storage) {
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> values = resource.tryGetAsArrayRef();
    if (!values)
      return failure();
    return *values;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.getElementType().isF32())
    return failure();
  if (dense.isSplat()) {
    storage.assign(dense.getNumElements(), dense.getSplatValue<float>());
    return ArrayRef<float>(storage);
  }
  // Non-splat f32 data is stored as contiguous native floats.
  ArrayRef<char> raw = dense.getRawData();
  return ArrayRef<float>(reinterpret_cast<const float *>(raw.data()),
                         dense.getNumElements());
}

StringRef kiln::getResourceName(Attribute attr) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return resource.getRawHandle().getKey();
  return "";
}

ElementsAttr kiln::makeF32Attr(RankedTensorType type, ArrayRef<float> values,
                               bool asResource, StringRef name) {
  if (!asResource)
    return DenseElementsAttr::get(type, values);
  return cast<ElementsAttr>(DenseF32ResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(values)));
}
