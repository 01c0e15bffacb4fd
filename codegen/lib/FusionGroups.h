//===- FusionGroups.h - Find the linalg ops of one fused nn op --*- C++ -*-===//
//
// convert-nn-to-linalg marks the linalg ops of an nn.fused_conv2d or
// nn.fused_linear as one group (kiln/Dialect/NN/FusionAttrs.h). After
// bufferization, the micro-kernels ask for the group of a convolution or
// matmul here and, when it is intact, compute all of it in one loop nest and
// erase its ops.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_LIB_FUSIONGROUPS_H
#define KILN_CODEGEN_LIB_FUSIONGROUPS_H

#include "kiln/Dialect/NN/FusionAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace kiln {

/// What follows a convolution or matmul in its group, on buffers.
struct FusionGroup {
  /// The bias the anchor starts from (a 1-D f32 buffer), or null for zero.
  mlir::Value bias;
  /// The ReLU or clamp applied to the anchor's result (after the bias).
  std::optional<nn::Activation> activation;
  /// The pooling after it: "" (none), "max" or "avg" (no padding, every
  /// window inside the convolution's output).
  llvm::StringRef pool;
  int64_t poolKernel[2] = {1, 1};
  int64_t poolStride[2] = {1, 1};
  /// The buffer the group's last op writes: what the fused kernel computes.
  mlir::Value result;
  /// Every op of the group, the anchor included, in block order.
  llvm::SmallVector<mlir::Operation *> ops;
};

/// Returns the group of `anchor` (a marked convolution or matmul) when every
/// op of it is present in `anchor`'s block in the expected roles (bias or
/// zero fill, ReLU or clamp, pooling fill and pooling, average division),
/// each computing what the anchor's epilogue says (the ReLU is max(x, 0), the
/// pooling has the epilogue's window and stride, the division is by the
/// window size), and none of its intermediate buffers is used outside the
/// group; failure otherwise,
/// in which case the ops must simply run as they are. An unmarked anchor
/// whose output a bias broadcast has just filled (nothing touching it in
/// between) makes a group of the two: no activation, no pooling.
mlir::FailureOr<FusionGroup> matchFusionGroup(mlir::linalg::LinalgOp anchor);

} // namespace kiln

#endif // KILN_CODEGEN_LIB_FUSIONGROUPS_H
