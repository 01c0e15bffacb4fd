//===- Passes.h - Kiln's nn-level passes ------------------------*- C++ -*-===//
//
// The passes declared in Passes.td, and the pattern sets behind them so that
// pipelines can reuse the patterns without the passes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace kiln {

#define GEN_PASS_DECL
#include "kiln/Passes/Passes.h.inc"

/// Adds the patterns of kiln-simplify that are not op folders: the fold of
/// nn.batch_norm into a preceding nn.conv2d with constant parameters.
void populateSimplifyPatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of kiln-fuse.
void populateFusionPatterns(mlir::RewritePatternSet &patterns);

/// Adds the dialect-conversion patterns that lower every nn op to linalg,
/// tensor, arith and math on tensors.
void populateNNToLinalgConversionPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "kiln/Passes/Passes.h.inc"

} // namespace kiln

#endif // KILN_PASSES_PASSES_H
