//===- GraphImporter.h - The state of one ONNX import -----------*- C++ -*-===//
//
// Private to the importer: NodeContext (NodeContext.cpp) reads and updates
// the walk's state (Importer.cpp) directly, as its friend.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_LIB_ONNX_GRAPHIMPORTER_H
#define KILN_FRONTEND_LIB_ONNX_GRAPHIMPORTER_H

#include "Importer.h"

#include "kiln/Frontend/ONNXImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <vector>

namespace kiln::onnximport {

/// Imports one model file: reads it, checks what the whole graph must
/// satisfy, walks its nodes and builds @forward.
class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &context, llvm::StringRef path,
                const frontend::ONNXImportOptions &options)
      : context(context), builder(&context), path(path.str()), options(options),
        fileLoc(mlir::FileLineColLoc::get(&context, path, 0, 0)) {}

  mlir::OwningOpRef<mlir::ModuleOp> import();

private:
  friend class NodeContext;

  mlir::LogicalResult load();
  mlir::LogicalResult readOpset();
  mlir::LogicalResult indexGraph();
  /// Gives `func` one argument per graph input (not an initializer).
  mlir::LogicalResult importInputs(mlir::func::FuncOp &func);
  mlir::LogicalResult importNodes();
  mlir::LogicalResult importNode(const onnx::NodeProto &node, int index);
  /// The graph's outputs, in order.
  mlir::FailureOr<llvm::SmallVector<mlir::Value>> importOutputs();
  mlir::FailureOr<mlir::Value> importOutput(const onnx::ValueInfoProto &output);
  /// Whether the node is a 1-D window op (or a batch normalisation of
  /// [N, C, L] or [N, C]) that importLifted imports as its 2-D form.
  bool liftsTo2D(const NodeContext &ctx) const;
  /// Imports the node with `handler` over its input reshaped to 4-D, its
  /// window attributes given a height of 1 (Lift1D.cpp), and reshapes the
  /// result back.
  mlir::LogicalResult importLifted(NodeContext &ctx, OpHandler handler);

  /// The value named `name`, decoding an initializer on first use; null
  /// when nothing defines it. Errors in its data are reported at `loc`, its
  /// reader's location.
  const ImportedValue *lookup(llvm::StringRef name, mlir::Location loc);
  void poison(llvm::StringRef name);
  /// Checks a computed shape against the one the model declares, if any.
  mlir::LogicalResult checkDeclaredShape(llvm::StringRef name,
                                         llvm::ArrayRef<int64_t> shape,
                                         const NodeContext &ctx);
  mlir::Value materialize(const std::shared_ptr<const HostTensor> &tensor);

  mlir::MLIRContext &context;
  mlir::OpBuilder builder;
  std::string path;
  frontend::ONNXImportOptions options;
  mlir::Location fileLoc;

  std::shared_ptr<onnx::ModelProto> model;
  int64_t opset = 0;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Shapes the model declares for values (value_info and the output); -1
  /// marks a symbolic dimension.
  llvm::StringMap<llvm::SmallVector<int64_t, 4>> declaredShapes;
  llvm::StringMap<unsigned> useCounts;
  llvm::StringMap<ImportedValue> values;
  llvm::StringSet<> poisoned;
  llvm::DenseMap<mlir::Value, std::string> valueNames;
  llvm::DenseSet<mlir::Value> aliased;
  llvm::DenseMap<const HostTensor *, mlir::Value> materialized;
  std::vector<std::shared_ptr<const HostTensor>> materializedTensors;
  /// True when --batch changed dimension 0 from the model's own, so that
  /// declared shapes can only be compared past it.
  bool batchChanged = false;
  int64_t modelBatch = 0;
  /// True when the model's dimension 0 is symbolic: --batch then replaces
  /// no batch size of the model's own.
  bool symbolicBatch = false;

  /// "Conv node 'conv1'" lines of the final unsupported-nodes error.
  std::vector<std::string> unsupportedNodes;
  bool nodeWasUnsupported = false;
};

} // namespace kiln::onnximport

#endif // KILN_FRONTEND_LIB_ONNX_GRAPHIMPORTER_H
