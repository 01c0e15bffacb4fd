//===- ONNXImporter.h - ONNX models to nn dialect IR ------------*- C++ -*-===//
//
// The ONNX frontend builds the same module as a .nn spec does: a
// `func.func @forward(%input) -> tensor` of nn ops whose parameters are
// `dense_resource` blobs taken from the model's initializers (external-data
// files are read from beside the model). Every op is located at the ONNX node
// it came from (ONNXLocations.h).
//
// It lives in its own library (KilnONNXImport) so that the core frontend does
// not need protobuf. When Kiln is configured without ONNX, the same functions
// exist and report that the support is missing.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_ONNXIMPORTER_H
#define KILN_FRONTEND_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::frontend {

struct ONNXImportOptions {
  /// Batch size (dimension 0 of the model's input) to compile for; 0 keeps
  /// the model's own, or 1 where the model leaves it symbolic.
  int64_t batch = 0;
  /// When set, receives the path of every external data file the import
  /// read, so that a driver can refuse to write its output over one.
  std::vector<std::string> *externalDataFiles = nullptr;
};

/// True when `path` names an ONNX model, judged by its extension (.onnx).
bool isONNXModelPath(llvm::StringRef path);

/// True when this build of Kiln can import ONNX models.
bool isONNXImportAvailable();

/// Reads the ONNX model at `path` and imports it into `context`. Errors (a
/// file that does not parse, a missing initializer, contradicting shapes)
/// and the list of every unsupported node are reported through the context's
/// diagnostics, and null is returned.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(mlir::MLIRContext &context, llvm::StringRef path,
                const ONNXImportOptions &options = {});

} // namespace kiln::frontend

#endif // KILN_FRONTEND_ONNXIMPORTER_H
