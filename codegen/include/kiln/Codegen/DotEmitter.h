//===- DotEmitter.h - The layer graph as a Graphviz picture -----*- C++ -*-===//
//
// `kilnc --emit=dot` draws the nn-level graph of a model: one box per nn op
// (its name, its attributes, its parameters and result shape, and the spec
// line it came from), edges labelled with the tensor shapes that flow along
// them, and every fused op (nn.fused_*) as a cluster listing the layers it
// fuses, read from its attributes. Nothing here knows particular ops, so new
// ones are drawn without changes.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_DOTEMITTER_H
#define KILN_CODEGEN_DOTEMITTER_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {

/// Writes the graph of `module`'s function `entryName` as dot text. Fails
/// (after reporting through the context's diagnostics) when the function
/// does not exist.
mlir::LogicalResult emitLayerGraph(mlir::ModuleOp module, llvm::raw_ostream &os,
                                   llvm::StringRef entryName = "forward");

/// The Graphviz output format that `path` asks for by its extension ("svg",
/// "png" or "pdf"), or "" for dot text.
llvm::StringRef getDotRenderFormat(llvm::StringRef path);

/// Renders `dotText` with Graphviz's `dot` (found on PATH) into `outputPath`
/// in `format`, atomically. Fails when dot is missing or reports an error.
llvm::Error renderDot(llvm::StringRef dotText, llvm::StringRef format,
                      llvm::StringRef outputPath);

} // namespace kiln

#endif // KILN_CODEGEN_DOTEMITTER_H
