//===- Shapes.h - Shape arithmetic of verifiers, frontends ---- -*- C++ -*-===//
//
// The frontend needs the same shape rules as the op verifiers, but must report
// a violation at the spec token that caused it. Both call these functions so
// that the rules live in one place.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECT_NN_SHAPES_H
#define KILN_DIALECT_NN_SHAPES_H

#include "llvm/ADT/ArrayRef.h"
#include <cstdint>
#include <optional>
#include <string>

namespace kiln::nn {

/// The largest tensor Kiln accepts, in bytes (2^40), as the spec contract says.
constexpr int64_t kMaxTensorBytes = int64_t(1) << 40;

/// Returns the element count of an f32 tensor of `shape`, or std::nullopt when
/// a dimension is negative, the count or byte size overflows 64-bit
/// arithmetic, or the tensor exceeds kMaxTensorBytes.
std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape);

/// One spatial dimension of a sliding window (convolution or pooling).
struct WindowDim {
  int64_t input;
  int64_t kernel;
  int64_t stride;
  int64_t padBefore;
  int64_t padAfter;
  int64_t dilation = 1;
  bool ceilMode = false;
};

/// Output extent of a window along one dimension by PyTorch's formula. The
/// result is <= 0 when the output would be empty; std::nullopt means the
/// arithmetic overflowed (absurd sizes) or a parameter is out of its domain
/// (a non-positive kernel, stride or dilation, a negative input or padding),
/// which callers report as an error.
std::optional<int64_t> windowOutputSize(const WindowDim &dim);

/// True when each of the `output` windows along `dim` (whose size
/// windowOutputSize gave) holds at least one input cell. A window of nothing
/// but padding has no maximum and no average; ONNX exports ceil_mode before
/// opset 10 as extra trailing padding, which may be wider than the kernel
/// without any window being empty.
bool windowsReachInput(const WindowDim &dim, int64_t output);

/// Formats a shape as the spec writes it: "1x16x5x5" ("scalar" for rank 0).
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_SHAPES_H
