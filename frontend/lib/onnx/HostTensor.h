//===- HostTensor.h - Tensors the ONNX importer knows the value of -*- C++
//-*-===//
//
// Initializers, Constant nodes and the shape arithmetic some exporters emit
// (Reshape targets, Squeeze axes) have values at import time. A HostTensor
// holds such a value without copying it where it can: float data stays in the
// parsed model or in a mapped external-data file, kept alive by `owner`, until
// it becomes a weight blob that keeps the same owner alive in turn.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_LIB_ONNX_HOSTTENSOR_H
#define KILN_FRONTEND_LIB_ONNX_HOSTTENSOR_H

#include "mlir/IR/AsmState.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::onnximport {

class HostTensor {
public:
  /// Floats are weights and activations; integers (int64, and int32 or bool
  /// widened to int64) are shapes, axes and flags.
  enum class Kind { Float, Int };

  /// A tensor viewing `count` elements at `data`, kept alive by `owner`.
  HostTensor(std::string name, Kind kind, llvm::ArrayRef<int64_t> shape,
             const void *data, std::shared_ptr<const void> owner);

  static std::shared_ptr<HostTensor> fromFloats(std::string name,
                                                llvm::ArrayRef<int64_t> shape,
                                                std::vector<float> values);
  static std::shared_ptr<HostTensor> fromInts(std::string name,
                                              llvm::ArrayRef<int64_t> shape,
                                              std::vector<int64_t> values);

  const std::string &getName() const { return name; }
  Kind getKind() const { return kind; }
  bool isFloat() const { return kind == Kind::Float; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getNumElements() const { return numElements; }

  llvm::ArrayRef<float> getFloats() const;
  llvm::ArrayRef<int64_t> getInts() const;

  /// The same data under another shape (Reshape, Flatten, Squeeze of a
  /// constant); the element count must agree.
  std::shared_ptr<HostTensor> reshaped(llvm::ArrayRef<int64_t> newShape) const;

  /// The distance in elements between neighbours along each dimension
  /// (row-major), as strided() takes them.
  llvm::SmallVector<int64_t, 4> getStrides() const;

  /// A copy of the elements at `base + sum(index[d] * strides[d])` for each
  /// index of `newShape`, in row-major order: a transpose or a strided slice
  /// (strides may be negative) of a constant. Every such position must lie
  /// in the tensor.
  std::shared_ptr<HostTensor> strided(std::string newName,
                                      llvm::ArrayRef<int64_t> newShape,
                                      int64_t base,
                                      llvm::ArrayRef<int64_t> strides) const;

  /// The same tensor under another name.
  std::shared_ptr<HostTensor> renamed(std::string newName) const;

  /// A resource blob over the float data that keeps its owner alive.
  mlir::AsmResourceBlob toBlob() const;

private:
  std::string name;
  Kind kind;
  llvm::SmallVector<int64_t, 4> shape;
  int64_t numElements;
  const void *data;
  std::shared_ptr<const void> owner;
};

} // namespace kiln::onnximport

#endif // KILN_FRONTEND_LIB_ONNX_HOSTTENSOR_H
