//===- ONNXUnavailable.cpp - The ONNX importer in a build without ONNX ----===//
//
// Configured without libonnx-dev and libprotobuf-dev (or with
// KILN_ENABLE_ONNX=OFF), Kiln still recognises .onnx inputs, so that it can
// say how to get the support rather than try to parse them as specs.
//
//===----------------------------------------------------------------------===//
#include "kiln/Frontend/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/Path.h"

using namespace mlir;

bool kiln::frontend::isONNXModelPath(llvm::StringRef path) {
  return llvm::sys::path::extension(path).equals_insensitive(".onnx");
}

bool kiln::frontend::isONNXImportAvailable() { return false; }

OwningOpRef<ModuleOp>
kiln::frontend::importONNXModel(MLIRContext &context, llvm::StringRef path,
                                const ONNXImportOptions &) {
  emitError(FileLineColLoc::get(&context, path, 0, 0))
      << "this Kiln was built without ONNX support; install libonnx-dev, "
         "libprotobuf-dev and protobuf-compiler (tools/setup.sh does) and "
         "configure again";
  return nullptr;
}
