//===- NodeContext.cpp - What an op handler sees of its node --------------===//
//
// Attribute getters that check the attribute's type (old exporters leave it
// unset), inputs resolved by the walk, outputs recorded in it, and the two
// ways a node can fail: an error, or an unsupported case that is collected.
//
//===----------------------------------------------------------------------===//
#include "GraphImporter.h"

#include "llvm/Support/Path.h"

#include <climits>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

llvm::ArrayRef<int64_t> ImportedValue::getShape() const {
  if (constant)
    return constant->getShape();
  if (pad)
    return pad->shape;
  return cast<RankedTensorType>(tensor.getType()).getShape();
}

int64_t NodeContext::getOpset() const { return importer.opset; }

OpBuilder &NodeContext::getBuilder() { return importer.builder; }

const onnx::AttributeProto *NodeContext::getAttr(llvm::StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

/// Old exporters leave an attribute's `type` unset; judge it by its field.
static bool hasType(const onnx::AttributeProto &attr,
                    onnx::AttributeProto::AttributeType type) {
  if (attr.type() != onnx::AttributeProto::UNDEFINED)
    return attr.type() == type;
  switch (type) {
  case onnx::AttributeProto::INT:
    return attr.has_i();
  case onnx::AttributeProto::FLOAT:
    return attr.has_f();
  case onnx::AttributeProto::STRING:
    return attr.has_s();
  case onnx::AttributeProto::INTS:
    return true;
  default:
    return false;
  }
}

FailureOr<int64_t> NodeContext::getInt(llvm::StringRef name,
                                       int64_t defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  if (!attr)
    return defaultValue;
  if (!hasType(*attr, onnx::AttributeProto::INT))
    return emitError() << "attribute '" << name << "' must be an integer";
  return attr->i();
}

FailureOr<float> NodeContext::getFloat(llvm::StringRef name,
                                       float defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  if (!attr)
    return defaultValue;
  if (!hasType(*attr, onnx::AttributeProto::FLOAT))
    return emitError() << "attribute '" << name << "' must be a float";
  return attr->f();
}

FailureOr<llvm::SmallVector<int64_t>>
NodeContext::getInts(llvm::StringRef name) const {
  const onnx::AttributeProto *attr = getAttr(name);
  if (!attr)
    return llvm::SmallVector<int64_t>();
  if (!hasType(*attr, onnx::AttributeProto::INTS))
    return emitError() << "attribute '" << name
                       << "' must be a list of integers";
  return llvm::SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

FailureOr<std::string>
NodeContext::getString(llvm::StringRef name,
                       llvm::StringRef defaultValue) const {
  const onnx::AttributeProto *attr = getAttr(name);
  if (!attr)
    return defaultValue.str();
  if (!hasType(*attr, onnx::AttributeProto::STRING))
    return emitError() << "attribute '" << name << "' must be a string";
  return attr->s();
}

bool NodeContext::hasInput(unsigned i) const {
  return (int)i < node.input_size() && !node.input(i).empty();
}

const ImportedValue &NodeContext::getInput(unsigned i) const {
  assert(hasInput(i) && "absent input");
  // The walk resolved every input before calling the handler.
  return importer.values.find(node.input(i))->second;
}

Value NodeContext::getTensor(unsigned i) {
  const ImportedValue &value = getInput(i);
  if (!value.isConstant())
    return value.tensor;
  if (!value.constant->isFloat()) {
    emitError() << "input " << i << " ('" << node.input(i)
                << "') is an integer tensor where a float32 one is expected";
    return {};
  }
  return materialize(value.constant);
}

std::shared_ptr<const HostTensor>
NodeContext::getConstant(unsigned i, HostTensor::Kind kind,
                         llvm::StringRef what) {
  const ImportedValue &value = getInput(i);
  if (!value.isConstant()) {
    (void)unsupported(what + " '" + node.input(i) +
                      "' is computed at run time; Kiln needs it to be a "
                      "constant (an initializer)");
    return nullptr;
  }
  if (value.constant->getKind() != kind) {
    emitError() << what << " '" << node.input(i) << "' has element type "
                << (value.constant->isFloat() ? "float32" : "int64")
                << ", expected "
                << (kind == HostTensor::Kind::Float ? "float32" : "int64");
    return nullptr;
  }
  return value.constant;
}

bool NodeContext::isOutputUsed(unsigned i) const {
  if ((int)i >= node.output_size() || node.output(i).empty())
    return false;
  auto it = importer.useCounts.find(node.output(i));
  return it != importer.useCounts.end() && it->second > 0;
}

void NodeContext::setOutput(unsigned i, Value value) {
  if ((int)i < node.output_size() && !node.output(i).empty())
    importer.values[node.output(i)] = ImportedValue{value, nullptr};
}

void NodeContext::setOutput(unsigned i,
                            std::shared_ptr<const HostTensor> value) {
  if ((int)i < node.output_size() && !node.output(i).empty())
    importer.values[node.output(i)] = ImportedValue{{}, std::move(value)};
}

void NodeContext::setOutput(unsigned i,
                            std::shared_ptr<const PendingPad> value) {
  if ((int)i < node.output_size() && !node.output(i).empty())
    importer.values[node.output(i)] = ImportedValue{{}, {}, std::move(value)};
}

std::shared_ptr<HostTensor>
NodeContext::decodeAttributeTensor(const onnx::TensorProto &proto) {
  std::string dir = llvm::sys::path::parent_path(importer.path).str();
  std::shared_ptr<HostTensor> tensor =
      decodeTensor(proto, "attribute 'value'", dir, importer.model, loc);
  if (!tensor || !proto.name().empty() || node.output_size() == 0)
    return tensor;
  // Unnamed: take the output's name, for weight blobs and messages.
  return tensor->renamed(node.output(0));
}

Value NodeContext::materialize(const std::shared_ptr<const HostTensor> &t) {
  return importer.materialize(t);
}

unsigned NodeContext::getUseCount(Value value) const {
  auto name = importer.valueNames.find(value);
  if (name == importer.valueNames.end() || importer.aliased.count(value))
    return UINT_MAX;
  return importer.useCounts.lookup(name->second);
}

InFlightDiagnostic NodeContext::emitError() const {
  return mlir::emitError(loc);
}

LogicalResult NodeContext::unsupported(const llvm::Twine &reason) {
  importer.unsupportedNodes.push_back(description + ": " + reason.str());
  importer.nodeWasUnsupported = true;
  return failure();
}
