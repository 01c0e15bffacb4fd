//===- MLIRGen.h - Build nn dialect IR from a ModelAST ----------*- C++ -*-===//
#ifndef KILN_FRONTEND_MLIRGEN_H
#define KILN_FRONTEND_MLIRGEN_H

#include "kiln/Frontend/AST.h"
#include "kiln/Frontend/Weights.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace kiln::frontend {

/// Builds a module holding `func.func @forward(%input) -> result` made of nn
/// ops, every op located at its spec line (FileLineColLoc of the op token).
/// Shapes flow from the input through every layer; a shape that cannot flow
/// is reported at the token responsible. Parameters come from `weights`.
/// Returns null after reporting errors through the context's diagnostics.
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &context,
                                              const llvm::SourceMgr &sourceMgr,
                                              const ModelAST &model,
                                              WeightProvider &weights);

/// Name of the module attribute that carries the model's name.
inline constexpr llvm::StringLiteral kModelNameAttr = "kiln.model_name";
/// Argument and result attribute of @forward naming an input or output, on
/// a model that has several.
inline constexpr llvm::StringLiteral kIONameAttr = "kiln.name";

} // namespace kiln::frontend

#endif // KILN_FRONTEND_MLIRGEN_H
