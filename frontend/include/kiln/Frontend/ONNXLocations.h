//===- ONNXLocations.h - ONNX node locations and their printing -*- C++ -*-===//
//
// An ONNX file has no lines: what locates an op is the graph node it came
// from. Each imported op is located at
//
//   fused<{onnx_op = "Conv"}>["conv1"("model.onnx":0:0)]
//
// (an unnamed node is named "#INDEX"), and a value that no node defines (an
// initializer, the graph input) at NameLoc("name", "model.onnx":0:0). Passes
// keep these locations, fusing them when they merge ops, so a diagnostic
// raised anywhere in the pipeline still knows its nodes.
//
// MLIR's SourceMgrDiagnosticHandler would print them as `model.onnx:0:0`
// (and read the binary model as a source file to find line 0). The handler
// here prints them as
//
//   model.onnx: node 'conv1' (Conv): error: MESSAGE
//   model.onnx: nodes 'conv1' (Conv), 'bn1' (BatchNormalization): error: ...
//   model.onnx: value 'fc.weight': error: ...
//   model.onnx: error: MESSAGE                       (the whole model)
//
// It needs no protobuf, so it exists in builds without ONNX import too.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_ONNXLOCATIONS_H
#define KILN_FRONTEND_ONNXLOCATIONS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln::frontend {

/// The location of the ONNX node `name` (or "#INDEX" when unnamed) of type
/// `opType` in the model file `path`.
mlir::Location getONNXNodeLoc(mlir::MLIRContext *context, llvm::StringRef path,
                              llvm::StringRef name, llvm::StringRef opType);

/// The location of the value `name` of the model file `path` (an initializer,
/// a graph input or output).
mlir::Location getONNXValueLoc(mlir::MLIRContext *context, llvm::StringRef path,
                               llvm::StringRef name);

/// How a diagnostic at `loc` is located: "model.onnx: node 'conv1' (Conv)",
/// "model.onnx", or, for a location that is not from an ONNX model, what
/// MLIR prints for it.
std::string describeONNXLoc(mlir::Location loc);

/// While alive, prints every diagnostic of `context` (and its notes) to `os`
/// as `describeONNXLoc(loc): SEVERITY: MESSAGE`.
class ONNXDiagnosticHandler : public mlir::ScopedDiagnosticHandler {
public:
  ONNXDiagnosticHandler(mlir::MLIRContext *context,
                        llvm::raw_ostream &os = llvm::errs());
};

} // namespace kiln::frontend

#endif // KILN_FRONTEND_ONNXLOCATIONS_H
