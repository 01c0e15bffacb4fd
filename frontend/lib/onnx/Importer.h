//===- Importer.h - The ONNX importer's shared pieces ------------*- C++
//-*-===//
//
// The graph walk (Importer.cpp) hands each node to the handler of its op
// type through a NodeContext, which knows the node's inputs, attributes,
// location and opset, and how to report an error or an unsupported case.
// Handlers live in one file per op family (Conv.cpp, Linear.cpp, ...).
//
// Two outcomes of a node are kept apart: an error (the file is wrong: a
// shape contradicts another, an attribute is malformed) stops the import at
// once; "unsupported" (a valid graph that Kiln cannot express) is recorded,
// and the walk goes on so that one message can list every such node.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_LIB_ONNX_IMPORTER_H
#define KILN_FRONTEND_LIB_ONNX_IMPORTER_H

#include "HostTensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringRef.h"

#include "onnx/onnx_pb.h"

#include <memory>
#include <optional>
#include <string>

namespace kiln::onnximport {

class GraphImporter;

/// The zero padding of a Pad node, not yet applied: nn has no pad op, so
/// the Conv or AveragePool reading it takes it into its own padding.
struct PendingPad {
  mlir::Value input;                   // The unpadded activation.
  int64_t pads[4];                     // [top, left, bottom, right].
  llvm::SmallVector<int64_t, 4> shape; // The padded shape.
  std::string node;                    // "Pad node 'p'", for messages.
};

/// One value of the graph as imported so far: an activation computed at run
/// time, a tensor known now, or a padding waiting for its reader.
struct ImportedValue {
  mlir::Value tensor;
  std::shared_ptr<const HostTensor> constant;
  std::shared_ptr<const PendingPad> pad;

  bool isConstant() const { return constant != nullptr; }
  llvm::ArrayRef<int64_t> getShape() const;
};

/// What a handler sees of the node it imports.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              mlir::Location loc, std::string description)
      : importer(importer), node(node), loc(loc),
        description(std::move(description)) {}

  const onnx::NodeProto &getNode() const { return node; }
  mlir::Location getLoc() const { return loc; }
  /// The opset version of the default domain the model imports.
  int64_t getOpset() const;
  mlir::OpBuilder &getBuilder();

  //===--- Attributes -----------------------------------------------------===//
  // Each getter reports an error (and returns failure) when the attribute
  // exists with another type.
  const onnx::AttributeProto *getAttr(llvm::StringRef name) const;
  mlir::FailureOr<int64_t> getInt(llvm::StringRef name,
                                  int64_t defaultValue) const;
  mlir::FailureOr<float> getFloat(llvm::StringRef name,
                                  float defaultValue) const;
  /// Empty when the attribute is absent.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  getInts(llvm::StringRef name) const;
  mlir::FailureOr<std::string> getString(llvm::StringRef name,
                                         llvm::StringRef defaultValue) const;

  //===--- Inputs and outputs ---------------------------------------------===//
  /// True when input `i` is given (ONNX leaves optional inputs out or empty).
  bool hasInput(unsigned i) const;
  const ImportedValue &getInput(unsigned i) const;
  /// Input `i` as an activation; a constant is materialised as a weight.
  mlir::Value getTensor(unsigned i);
  /// Input `i` as a constant of the given kind; reports an unsupported case
  /// ("... computed at run time") or an error (wrong element type) and
  /// returns null otherwise. `what` names the input in messages.
  std::shared_ptr<const HostTensor>
  getConstant(unsigned i, HostTensor::Kind kind, llvm::StringRef what);
  /// True when some node or the graph output reads output `i`.
  bool isOutputUsed(unsigned i) const;
  void setOutput(unsigned i, mlir::Value value);
  void setOutput(unsigned i, std::shared_ptr<const HostTensor> value);
  void setOutput(unsigned i, std::shared_ptr<const PendingPad> value);

  /// Decodes a tensor held in an attribute (Constant's `value`), named after
  /// the node's output.
  std::shared_ptr<HostTensor>
  decodeAttributeTensor(const onnx::TensorProto &proto);

  /// A float constant as an `arith.constant dense_resource` weight, created
  /// once per tensor.
  mlir::Value materialize(const std::shared_ptr<const HostTensor> &tensor);

  /// The number of nodes (and graph outputs) reading `value`; used to fuse a
  /// producer into its only reader. UINT_MAX when unknown or when the value
  /// goes by several names (Identity).
  unsigned getUseCount(mlir::Value value) const;

  //===--- Diagnostics ----------------------------------------------------===//
  /// "node 'conv1' (Conv)" (or "node #3 (Conv)" for an unnamed node).
  llvm::StringRef describe() const { return description; }
  /// An error at the node, whose location names it (see ONNXLocations.h).
  mlir::InFlightDiagnostic emitError() const;
  /// Records that Kiln cannot express this node (and why); returns failure.
  mlir::LogicalResult unsupported(const llvm::Twine &reason);

private:
  GraphImporter &importer;
  const onnx::NodeProto &node;
  mlir::Location loc;
  std::string description;
};

/// Imports one node; returns failure after an error or an unsupported case.
using OpHandler = mlir::LogicalResult (*)(NodeContext &);

/// Normalises `axis` into [0, rank); reports an error when out of range.
mlir::FailureOr<int64_t> normalizeAxis(NodeContext &ctx, int64_t axis,
                                       int64_t rank);

/// The node's input 0 pooled over its whole plane into [N, C, 1, 1] (its
/// average or its maximum), or null after reporting.
enum class GlobalPool { Average, Max };
mlir::Value createGlobalPool(NodeContext &ctx, GlobalPool kind);

/// Sets the node's output to its input 0 reshaped to `shape` (as many
/// elements).
mlir::LogicalResult reshapeTo(NodeContext &ctx, llvm::ArrayRef<int64_t> shape);
/// `tensor` (computed) reshaped to `shape`: itself, an nn.flatten where the
/// result is two runs of its dimensions, else an nn.reshape.
mlir::Value reshapeTensor(NodeContext &ctx, mlir::Value tensor,
                          llvm::ArrayRef<int64_t> shape);

/// `values` of `shape` as a float constant of `rank` dimensions (leading
/// ones: a right operand that broadcasts), negated when `negate`, named
/// `name`.
mlir::Value materializeAligned(NodeContext &ctx, llvm::StringRef name,
                               llvm::ArrayRef<int64_t> shape, size_t rank,
                               llvm::ArrayRef<float> values, bool negate);

/// -x, as x times a -1 of x's rank (exact: IEEE negation only flips the
/// sign).
mlir::Value negate(NodeContext &ctx, mlir::Value x);

/// Reads a node's `axes`: an attribute before `inputFromOpset` (13 for
/// Squeeze and Unsqueeze, 18 for the reductions), a constant input 1 from
/// it. `present` tells whether any were given.
mlir::FailureOr<llvm::SmallVector<int64_t>>
readAxes(NodeContext &ctx, bool &present, int64_t inputFromOpset);

/// The handler for `opType` in the default domain, or null.
OpHandler lookupHandler(llvm::StringRef opType);

// Op families, one file each.
mlir::LogicalResult importConv(NodeContext &ctx);
mlir::LogicalResult importConvTranspose(NodeContext &ctx);
mlir::LogicalResult importMaxPool(NodeContext &ctx);
mlir::LogicalResult importAveragePool(NodeContext &ctx);
mlir::LogicalResult importGlobalAveragePool(NodeContext &ctx);
mlir::LogicalResult importGlobalMaxPool(NodeContext &ctx);
/// ONNX's reductions, each Reduce<Kind> node.
enum class Reduce {
  Sum,
  SumSquare,
  Mean,
  Max,
  Min,
  Prod,
  L1,
  L2,
  LogSum,
  LogSumExp
};
mlir::LogicalResult importReduction(NodeContext &ctx, Reduce kind);
template <Reduce kind> mlir::LogicalResult importReduction(NodeContext &ctx) {
  return importReduction(ctx, kind);
}
mlir::LogicalResult importGemm(NodeContext &ctx);
mlir::LogicalResult importMatMul(NodeContext &ctx);
mlir::LogicalResult importAdd(NodeContext &ctx);
mlir::LogicalResult importMul(NodeContext &ctx);
mlir::LogicalResult importSub(NodeContext &ctx);
mlir::LogicalResult importDiv(NodeContext &ctx);
mlir::LogicalResult importNeg(NodeContext &ctx);
mlir::LogicalResult importSum(NodeContext &ctx);
mlir::LogicalResult importMean(NodeContext &ctx);
mlir::LogicalResult importMax(NodeContext &ctx);
mlir::LogicalResult importExpand(NodeContext &ctx);
mlir::LogicalResult importTile(NodeContext &ctx);
mlir::LogicalResult importMin(NodeContext &ctx);
mlir::LogicalResult importPow(NodeContext &ctx);
mlir::LogicalResult importConcat(NodeContext &ctx);
mlir::LogicalResult importRelu(NodeContext &ctx);
mlir::LogicalResult importSigmoid(NodeContext &ctx);
mlir::LogicalResult importTanh(NodeContext &ctx);
mlir::LogicalResult importClip(NodeContext &ctx);
mlir::LogicalResult importLeakyRelu(NodeContext &ctx);
mlir::LogicalResult importElu(NodeContext &ctx);
mlir::LogicalResult importCelu(NodeContext &ctx);
mlir::LogicalResult importPRelu(NodeContext &ctx);
mlir::LogicalResult importSelu(NodeContext &ctx);
mlir::LogicalResult importThresholdedRelu(NodeContext &ctx);
mlir::LogicalResult importSoftplus(NodeContext &ctx);
mlir::LogicalResult importSoftsign(NodeContext &ctx);
mlir::LogicalResult importAbs(NodeContext &ctx);
mlir::LogicalResult importExp(NodeContext &ctx);
mlir::LogicalResult importErf(NodeContext &ctx);
mlir::LogicalResult importLog(NodeContext &ctx);
mlir::LogicalResult importSqrt(NodeContext &ctx);
mlir::LogicalResult importReciprocal(NodeContext &ctx);
mlir::LogicalResult importHardSigmoid(NodeContext &ctx);
mlir::LogicalResult importHardSwish(NodeContext &ctx);
mlir::LogicalResult importDropout(NodeContext &ctx);
mlir::LogicalResult importLRN(NodeContext &ctx);
mlir::LogicalResult importBatchNormalization(NodeContext &ctx);
mlir::LogicalResult importLayerNormalization(NodeContext &ctx);
mlir::LogicalResult importDepthToSpace(NodeContext &ctx);
mlir::LogicalResult importResize(NodeContext &ctx);
mlir::LogicalResult importUpsample(NodeContext &ctx);
mlir::LogicalResult importSpaceToDepth(NodeContext &ctx);
mlir::LogicalResult importInstanceNormalization(NodeContext &ctx);
mlir::LogicalResult importSoftmax(NodeContext &ctx);
mlir::LogicalResult importLogSoftmax(NodeContext &ctx);
mlir::LogicalResult importFlatten(NodeContext &ctx);
mlir::LogicalResult importReshape(NodeContext &ctx);
mlir::LogicalResult importSqueeze(NodeContext &ctx);
mlir::LogicalResult importUnsqueeze(NodeContext &ctx);
mlir::LogicalResult importIdentity(NodeContext &ctx);
mlir::LogicalResult importConstant(NodeContext &ctx);
mlir::LogicalResult importShape(NodeContext &ctx);
/// Rows `rows` (in range, at least one) of activation `x` along `axis`, in
/// that order: each maximal run of rows in arithmetic progression one
/// nn.slice, the runs joined by nn.concat.
mlir::Value gatherAlong(NodeContext &ctx, mlir::Value x, int64_t axis,
                        llvm::ArrayRef<int64_t> rows);
mlir::LogicalResult importSize(NodeContext &ctx);
/// Input `i` as a shape: a 1-D integer constant; null after reporting.
std::shared_ptr<const HostTensor> getShapeInput(NodeContext &ctx, unsigned i);
mlir::LogicalResult importConstantOfShape(NodeContext &ctx);
mlir::LogicalResult importGather(NodeContext &ctx);
mlir::LogicalResult importCast(NodeContext &ctx);
mlir::LogicalResult importTranspose(NodeContext &ctx);
mlir::LogicalResult importSlice(NodeContext &ctx);
mlir::LogicalResult importSplit(NodeContext &ctx);
mlir::LogicalResult importPad(NodeContext &ctx);

/// True for the op types that take a pending Pad into their own padding.
bool absorbsPadding(llvm::StringRef opType);

/// Decodes a TensorProto (inline, raw or external data) into a HostTensor.
/// External data is read relative to `modelDir`; `owner` keeps the parsed
/// model alive for tensors that view its raw data. Errors are reported at
/// `loc` (the reading node), their message starting with `what`
/// ("initializer 'w'").
std::shared_ptr<HostTensor>
decodeTensor(const onnx::TensorProto &proto, llvm::StringRef what,
             llvm::StringRef modelDir, const std::shared_ptr<const void> &owner,
             mlir::Location loc);

/// "node 'conv1' (Conv)", or "node #3 (Conv)" for the unnamed node `index`.
std::string describeNode(const onnx::NodeProto &node, int index);

/// "float32", "int64", ... for messages.
llvm::StringRef elementTypeName(int32_t dataType);

/// Formats a shape as the spec does ("1x3x224x224", "scalar").
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace kiln::onnximport

#endif // KILN_FRONTEND_LIB_ONNX_IMPORTER_H
