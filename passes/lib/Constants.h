//===- Constants.h - Reading and making f32 weight constants ----*- C++ -*-===//
//
// Parameters reach the passes as `arith.constant` ops whose value is either an
// inline DenseElementsAttr (tests, small tensors) or a
// DenseResourceElementsAttr blob (real weights, never copied into the context).
// These helpers hide the difference.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_LIB_CONSTANTS_H
#define KILN_PASSES_LIB_CONSTANTS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

namespace kiln {

/// Returns the f32 values of `attr`, a DenseElementsAttr or a
/// DenseResourceElementsAttr, without copying when the data is stored
/// contiguously; a splat is expanded into `storage`, which must then outlive
/// the result. Fails for other attributes, other element types, and resource
/// blobs whose data is absent (`dense_resource<__elided__>`).
mlir::FailureOr<mlir::ArrayRef<float>>
getF32Values(mlir::Attribute attr, mlir::SmallVectorImpl<float> &storage);

/// The f32 values of a constant operand and the attribute holding them,
/// filled in place by readConstant: `values` may point into `storage`, so
/// the struct is never copied.
struct ConstantTensor {
  ConstantTensor() = default;
  ConstantTensor(const ConstantTensor &) = delete;
  ConstantTensor &operator=(const ConstantTensor &) = delete;

  mlir::Attribute attr;
  mlir::ArrayRef<float> values;
  mlir::SmallVector<float> storage; // Backs `values` for splats.
  mlir::SmallVector<int64_t, 4> shape;
};

/// Reads `value` when it is an f32 constant (getF32Values' attributes).
mlir::LogicalResult readConstant(mlir::Value value, ConstantTensor &result);

/// Returns the blob name of a DenseResourceElementsAttr, or "" for any other
/// attribute.
mlir::StringRef getResourceName(mlir::Attribute attr);

/// Makes an f32 elements attribute holding `values`: a new resource blob whose
/// name is based on `name` (made unique by the context) when `asResource`,
/// an inline DenseElementsAttr otherwise.
mlir::ElementsAttr makeF32Attr(mlir::RankedTensorType type,
                               mlir::ArrayRef<float> values, bool asResource,
                               mlir::StringRef name);

} // namespace kiln

#endif // KILN_PASSES_LIB_CONSTANTS_H
