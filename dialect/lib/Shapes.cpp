//===- Shapes.cpp - Shape arithmetic for nn ops ---------------------------===//
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"

using namespace kiln;

std::optional<int64_t> nn::checkedElementCount(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return std::nullopt;
    std::optional<int64_t> next = llvm::checkedMul(count, dim);
    if (!next)
      return std::nullopt;
    count = *next;
  }
  std::optional<int64_t> bytes = llvm::checkedMul<int64_t>(count, 4);
  if (!bytes || *bytes > kMaxTensorBytes)
    return std::nullopt;
  return count;
}

std::optional<int64_t> nn::windowOutputSize(const WindowDim &d) {
  // Callers check these, but verifiers see arbitrary IR: without the guard,
  // `kernel - 1` alone could overflow.
  if (d.input < 0 || d.kernel <= 0 || d.stride <= 0 || d.dilation <= 0 ||
      d.padBefore < 0 || d.padAfter < 0)
    return std::nullopt;
  // PyTorch: out = floor_or_ceil(
  //   (in + pads - dilation * (kernel - 1) - 1) / stride) + 1.
  std::optional<int64_t> leading = llvm::checkedAdd(d.input, d.padBefore);
  std::optional<int64_t> padded =
      leading ? llvm::checkedAdd(*leading, d.padAfter) : std::nullopt;
  std::optional<int64_t> span = llvm::checkedMul(d.dilation, d.kernel - 1);
  if (!padded || !span)
    return std::nullopt;
  int64_t numerator = *padded - *span - 1; // Both terms are non-negative.
  if (numerator < 0)
    return numerator / d.stride; // Empty output: report it as <= 0.
  int64_t out = numerator / d.stride + 1;
  if (d.ceilMode && numerator % d.stride != 0) {
    ++out;
    // The last window must start inside the input or its leading padding;
    // a start that overflows is certainly past it.
    std::optional<int64_t> lastStart = llvm::checkedMul(out - 1, d.stride);
    if (!lastStart || *lastStart >= *leading)
      --out;
  }
  return out;
}

bool nn::windowsReachInput(const WindowDim &d, int64_t output) {
  if (output <= 0)
    return true;
  // Window o covers cells o * stride - padBefore + j * dilation, j < kernel.
  // One that starts inside the input holds its first cell, so only windows
  // starting in the leading padding, and the last one, need a look.
  auto reaches = [&](int64_t start) {
    if (start >= 0)
      return start < d.input;
    int64_t j = (-start + d.dilation - 1) / d.dilation; // First cell >= 0.
    return j < d.kernel && start + j * d.dilation < d.input;
  };
  std::optional<int64_t> lastStart = llvm::checkedMul(output - 1, d.stride);
  if (!lastStart || !reaches(*lastStart - d.padBefore))
    return false;
  for (int64_t o = 0; o < output && o * d.stride < d.padBefore; ++o)
    if (!reaches(o * d.stride - d.padBefore))
      return false;
  return true;
}

std::string nn::formatShape(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += 'x';
    text += std::to_string(dim);
  }
  return text;
}
