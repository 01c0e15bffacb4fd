//===- FusionAttrs.h - How fused nn ops reach the kernels -------*- C++ -*-===//
//
// convert-nn-to-linalg lowers nn.fused_conv2d / nn.fused_linear to the same
// linalg ops as the layers they fuse (so any later stage can run them as
// they are) and marks those ops with the discardable attributes below; the
// CPU micro-kernels then compute the whole group in one loop nest.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECT_NN_FUSIONATTRS_H
#define KILN_DIALECT_NN_FUSIONATTRS_H

#include "llvm/ADT/StringRef.h"

namespace kiln::nn {

/// i64 on every linalg op lowered from one fused op: the group's number,
/// unique in the module.
inline constexpr llvm::StringLiteral kFusionGroupAttrName = "kiln.fusion_group";

/// Dictionary on the group's convolution or matmul saying what follows it:
/// `relu` (unit), `clamp` (array<f32: lo, hi>), `hardswish` (unit) or `silu`
/// (unit), `pool` ("max" or "avg"), `pool_kernel` and `pool_stride`
/// (array<i64: h, w>). Hard swish and SiLU are not monotonic, so they never
/// come with a pool (which the kernels may apply before the activation).
inline constexpr llvm::StringLiteral kEpilogueAttrName = "kiln.epilogue";

/// Unit attribute on a linalg.pooling_nchw_max whose input holds only values
/// in [+0, +inf] and NaNs (a ReLU's or a clamp from 0 up's, or a max pool or
/// concatenation of those): the kernels may then take the max of the bits as
/// unsigned integers, padding with +0.
inline constexpr llvm::StringLiteral kNonNegativeInputAttrName =
    "kiln.nonnegative_input";

/// The activation a fused op applies to its convolution (after the bias,
/// before any pooling): a clamp, min(max(x, lo), hi) (ReLU is [0, +inf),
/// ReLU6 [0, 6]; an infinite bound clamps nothing), hard swish,
/// x * min(max(x + 3, 0), 6) / 6 (MobileNetV3's), or SiLU,
/// x * (1 / (1 + exp(-x))) (EfficientNet's).
struct Activation {
  enum class Kind { Clamp, HardSwish, SiLU };
  Kind kind = Kind::Clamp;
  double lo = 0, hi = 0; // The clamp's bounds.

  static Activation clamp(double lo, double hi) {
    return {Kind::Clamp, lo, hi};
  }
  static Activation hardSwish() { return {Kind::HardSwish, 0, 0}; }
  static Activation silu() { return {Kind::SiLU, 0, 0}; }
  bool isClamp() const { return kind == Kind::Clamp; }
  /// Whether every value it gives is in [+0, +inf] or NaN: a clamp to
  /// bounds of 0 or more (ReLU, ReLU6), which max pools exploit
  /// (kNonNegativeInputAttrName).
  bool givesNonNegative() const { return isClamp() && lo >= 0 && hi >= 0; }
};

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_FUSIONATTRS_H
