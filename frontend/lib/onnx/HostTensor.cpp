//===- HostTensor.cpp - Tensors the ONNX importer knows the value of ------===//
#include "HostTensor.h"

#include <cassert>

using namespace kiln::onnximport;

static int64_t product(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim; // Callers validated the shape against the data they hold.
  return count;
}

HostTensor::HostTensor(std::string name, Kind kind,
                       llvm::ArrayRef<int64_t> shape, const void *data,
                       std::shared_ptr<const void> owner)
    : name(std::move(name)), kind(kind), shape(shape),
      numElements(product(shape)), data(data), owner(std::move(owner)) {}

std::shared_ptr<HostTensor>
HostTensor::fromFloats(std::string name, llvm::ArrayRef<int64_t> shape,
                       std::vector<float> values) {
  assert((int64_t)values.size() == product(shape) && "shape and data differ");
  auto storage = std::make_shared<std::vector<float>>(std::move(values));
  const void *data = storage->data();
  return std::make_shared<HostTensor>(std::move(name), Kind::Float, shape, data,
                                      std::move(storage));
}

std::shared_ptr<HostTensor> HostTensor::fromInts(std::string name,
                                                 llvm::ArrayRef<int64_t> shape,
                                                 std::vector<int64_t> values) {
  assert((int64_t)values.size() == product(shape) && "shape and data differ");
  auto storage = std::make_shared<std::vector<int64_t>>(std::move(values));
  const void *data = storage->data();
  return std::make_shared<HostTensor>(std::move(name), Kind::Int, shape, data,
                                      std::move(storage));
}

llvm::ArrayRef<float> HostTensor::getFloats() const {
  assert(kind == Kind::Float && "not a float tensor");
  return {static_cast<const float *>(data), (size_t)numElements};
}

llvm::ArrayRef<int64_t> HostTensor::getInts() const {
  assert(kind == Kind::Int && "not an integer tensor");
  return {static_cast<const int64_t *>(data), (size_t)numElements};
}

std::shared_ptr<HostTensor>
HostTensor::reshaped(llvm::ArrayRef<int64_t> newShape) const {
  assert(product(newShape) == numElements && "reshape changes the size");
  return std::make_shared<HostTensor>(name, kind, newShape, data, owner);
}

llvm::SmallVector<int64_t, 4> HostTensor::getStrides() const {
  llvm::SmallVector<int64_t, 4> strides(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

std::shared_ptr<HostTensor>
HostTensor::strided(std::string newName, llvm::ArrayRef<int64_t> newShape,
                    int64_t base, llvm::ArrayRef<int64_t> strides) const {
  assert(strides.size() == newShape.size() && "a stride per dimension");
  int64_t rank = newShape.size(), count = product(newShape);
  auto gather = [&](auto values) {
    using T = typename decltype(values)::value_type;
    std::vector<T> result;
    result.reserve(count);
    llvm::SmallVector<int64_t> index(rank, 0);
    int64_t at = base;
    for (int64_t i = 0; i < count; ++i) {
      assert(at >= 0 && at < numElements && "outside the tensor");
      result.push_back(values[at]);
      // The next index in row-major order, moving `at` along.
      for (int64_t d = rank - 1; d >= 0; --d) {
        at += strides[d];
        if (++index[d] < newShape[d])
          break;
        at -= strides[d] * newShape[d];
        index[d] = 0;
      }
    }
    return result;
  };
  if (isFloat())
    return fromFloats(std::move(newName), newShape, gather(getFloats()));
  return fromInts(std::move(newName), newShape, gather(getInts()));
}

std::shared_ptr<HostTensor> HostTensor::renamed(std::string newName) const {
  return std::make_shared<HostTensor>(std::move(newName), kind, shape, data,
                                      owner);
}

mlir::AsmResourceBlob HostTensor::toBlob() const {
  assert(kind == Kind::Float && "weights are float tensors");
  llvm::ArrayRef<float> values = getFloats();
  // The deleter owns a reference to the storage: the blob outlives the
  // importer, which drops its own references when it is done.
  return mlir::UnmanagedAsmResourceBlob::allocateInferAlign(
      values, [keepAlive = owner](void *, size_t, size_t) {});
}
