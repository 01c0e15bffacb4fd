//===- Passes.h - Kiln codegen passes ---------------------------*- C++ -*-===//
//
// Passes that codegen adds to the upstream ones between linalg on tensors and
// the LLVM dialect (declared in Passes.td). Pipelines.h strings them together.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_PASSES_H
#define KILN_CODEGEN_PASSES_H

#include "kiln/Dialect/NN/NNDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace kiln {

#define GEN_PASS_DECL
#include "kiln/Codegen/Passes.h.inc"

/// Module attributes recorded by kiln-record-model-signature and read by the
/// object emitter: the static shapes of the entry function's input and
/// output, as `array<i64: ...>`.
inline constexpr llvm::StringLiteral kInputShapeAttrName = "kiln.input_shape";
inline constexpr llvm::StringLiteral kOutputShapeAttrName = "kiln.output_shape";
/// Module attributes set by kiln-pack-model-io on a model with several
/// inputs or outputs, packed into one buffer each: for each, {name, shape,
/// offset}, the offset in floats.
inline constexpr llvm::StringLiteral kInputsAttrName = "kiln.inputs";
inline constexpr llvm::StringLiteral kOutputsAttrName = "kiln.outputs";
/// Argument and result attribute of the entry function: the input's or
/// output's name in the model (an ONNX graph input's or output's name).
inline constexpr llvm::StringLiteral kIONameAttrName = "kiln.name";
/// Attribute of scf.for that convert-scf-to-cf moves to the loop's latch
/// branch, where it becomes LLVM loop metadata.
inline constexpr llvm::StringLiteral kLoopAnnotationAttrName =
    "loop_annotation";
/// Module attribute set by kiln-plan-memory: the entry function's workspace
/// size in bytes (i64).
inline constexpr llvm::StringLiteral kWorkspaceBytesAttrName =
    "kiln.workspace_bytes";
/// Module attribute set by kiln-record-layers: the model's layers as an
/// array of {name, loc, flops} dictionaries.
inline constexpr llvm::StringLiteral kLayersAttrName = "kiln.layers";
/// A `kiln.layers` entry's name in profiles: "FILE:LINE kind" (the file
/// without folders, a fused layer's first spec line), e.g. "lenet5.nn:6
/// conv2d+relu+max_pool2d".
std::string layerLabel(mlir::DictionaryAttr layer);
/// The runtime function compiled models call as each layer starts.
inline constexpr llvm::StringLiteral kProfileLayerFunction =
    "kiln_profile_layer";
/// Module attribute naming the model (set by the frontend).
inline constexpr llvm::StringLiteral kModelNameAttrName = "kiln.model_name";

/// Adds the pattern of kiln-interchange-for-vectorization to `patterns`.
void populateInterchangeForVectorizationPatterns(
    mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "kiln/Codegen/Passes.h.inc"

/// The module's entry function, or null after an error at the module when
/// it has none (or only a declaration).
mlir::func::FuncOp getEntryFunction(mlir::ModuleOp module,
                                    llvm::StringRef name);

/// The shape of `type` if it is a statically shaped f32 tensor of a rank
/// the runtime holds (at most 8); otherwise reports why not at `func`, as
/// "the model's `what` ...".
mlir::FailureOr<llvm::SmallVector<int64_t>>
getModelShape(mlir::func::FuncOp func, mlir::Type type, llvm::StringRef what);

} // namespace kiln

#endif // KILN_CODEGEN_PASSES_H
