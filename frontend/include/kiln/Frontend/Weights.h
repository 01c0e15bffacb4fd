//===- Weights.h - Where a model's parameters come from ---------*- C++ -*-===//
//
// Parameters become `dense_resource` blobs: the builtin dialect's resource
// mechanism holds them outside the uniqued attribute storage, so a 528 MB
// VGG-16 is neither hashed nor copied by MLIR. A safetensors file is mapped
// and its float32 tensors are referenced in place.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_WEIGHTS_H
#define KILN_FRONTEND_WEIGHTS_H

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>

namespace kiln::frontend {

/// How PyTorch initialises a parameter, used when no weights file is given.
struct ParamInit {
  enum class Kind { Uniform, Constant } kind = Kind::Uniform;
  /// Uniform: values in [-value, value]; Constant: every element is value.
  double value = 0;
};

class WeightProvider {
public:
  virtual ~WeightProvider();

  /// Returns the float32 data of parameter `name`, which must have `shape`.
  /// Reports an error at `loc` (naming the tensor, the expected and the found
  /// shape) and returns std::nullopt when it cannot.
  virtual std::optional<mlir::AsmResourceBlob>
  get(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
      const ParamInit &init, mlir::Location loc) = 0;

  /// Called once every parameter was requested: reports tensors of the
  /// source that no layer asked for.
  virtual mlir::LogicalResult finish(mlir::Location loc) {
    return mlir::success();
  }
};

/// Seeded random weights with PyTorch's default initialisation ranges.
std::unique_ptr<WeightProvider> createRandomWeights(uint64_t seed);

/// Maps a safetensors file (F32, or F16/BF16 converted on load). The header
/// is validated here; problems are returned as an error naming the file.
llvm::Expected<std::unique_ptr<WeightProvider>>
openSafetensors(llvm::StringRef path);

} // namespace kiln::frontend

#endif // KILN_FRONTEND_WEIGHTS_H
