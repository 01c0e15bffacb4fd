//===- Shape.cpp - Flatten, Reshape, (Un)Squeeze, Identity and constants --===//
//
// An ONNX reshape of an activation is judged by its result: the same shape
// is the identity, two runs of dimensions collapsed is nn.flatten (which a
// spec can say), anything else is nn.reshape (ShuffleNet's view to 5-D).
// Reshapes of constants are done now.
//
// Exporters compute Reshape targets with shape arithmetic (Shape, Size,
// Gather, Unsqueeze, Concat, Cast, ConstantOfShape): on static shapes all of it
// is known at import time and is evaluated here on HostTensors, so that
// `x.view(x.size(0), -1)` becomes a flatten. Old exporters also transpose
// weights with a Transpose node, which is done here on the constant; a
// Transpose of an activation is nn.transpose.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

static int64_t product(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

LogicalResult onnximport::reshapeTo(NodeContext &ctx,
                                    llvm::ArrayRef<int64_t> shape) {
  const ImportedValue &input = ctx.getInput(0);
  if (input.isConstant()) {
    ctx.setOutput(0, input.constant->reshaped(shape));
    return success();
  }
  ctx.setOutput(0, reshapeTensor(ctx, input.tensor, shape));
  return success();
}

Value onnximport::reshapeTensor(NodeContext &ctx, Value tensor,
                                llvm::ArrayRef<int64_t> shape) {
  llvm::ArrayRef<int64_t> in =
      cast<RankedTensorType>(tensor.getType()).getShape();
  if (in == shape)
    return tensor;
  // A 2-D result that splits the dimensions in two runs is nn.flatten, at
  // axis 1 (PyTorch's, printed as a spec) when that fits.
  std::optional<int64_t> axis;
  if (shape.size() == 2 && !in.empty()) {
    for (int64_t k = 0; k <= (int64_t)in.size(); ++k)
      if (product(in.take_front(k)) == shape[0] && (!axis || k == 1))
        axis = k;
  }
  if (axis) {
    OpBuilder &b = ctx.getBuilder();
    auto type = RankedTensorType::get(shape, b.getF32Type());
    return nn::FlattenOp::create(b, ctx.getLoc(), type, tensor,
                                 *axis == 1 ? IntegerAttr()
                                            : b.getI64IntegerAttr(*axis))
        .getResult();
  }
  OpBuilder &b = ctx.getBuilder();
  return nn::ReshapeOp::create(b, ctx.getLoc(),
                               RankedTensorType::get(shape, b.getF32Type()),
                               tensor)
      .getResult();
}

FailureOr<int64_t> onnximport::normalizeAxis(NodeContext &ctx, int64_t axis,
                                             int64_t rank) {
  if (axis < -rank || axis >= rank)
    return ctx.emitError() << "axis " << axis << " is out of range for rank "
                           << rank;
  return axis < 0 ? axis + rank : axis;
}

LogicalResult onnximport::importFlatten(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  int64_t rank = in.size();
  FailureOr<int64_t> axis = ctx.getInt("axis", 1);
  if (failed(axis))
    return failure();
  // Flatten's axis may equal the rank (everything goes to the first dim).
  if (*axis < -rank || *axis > rank)
    return ctx.emitError() << "axis " << *axis << " is out of range for the "
                           << formatShape(in) << " input";
  int64_t split = *axis < 0 ? *axis + rank : *axis;
  return reshapeTo(
      ctx, {product(in.take_front(split)), product(in.drop_front(split))});
}

LogicalResult onnximport::importReshape(NodeContext &ctx) {
  // Before opset 5 the target shape is an attribute.
  std::shared_ptr<const HostTensor> target;
  if (ctx.getOpset() < 5) {
    FailureOr<llvm::SmallVector<int64_t>> attr = ctx.getInts("shape");
    if (failed(attr))
      return failure();
    int64_t rank = attr->size();
    target = HostTensor::fromInts(
        "shape", {rank}, std::vector<int64_t>(attr->begin(), attr->end()));
  } else {
    if (!ctx.hasInput(1))
      return ctx.emitError() << "needs the target shape (input 1)";
    target = ctx.getConstant(1, HostTensor::Kind::Int, "the target shape");
  }
  if (!target)
    return failure();
  FailureOr<int64_t> allowZero = ctx.getInt("allowzero", 0);
  if (failed(allowZero))
    return failure();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  if (target->getShape().size() != 1)
    return ctx.emitError() << "the target shape must be 1-D, found "
                           << formatShape(target->getShape());
  // 0 copies the input's dimension (unless allowzero), -1 takes the rest.
  int64_t count = product(in);
  llvm::SmallVector<int64_t, 4> shape;
  std::optional<size_t> inferred;
  std::optional<int64_t> known = 1;
  for (auto [i, targetDim] : llvm::enumerate(target->getInts())) {
    int64_t dim = targetDim;
    if (dim == 0 && !*allowZero) {
      if (i >= in.size())
        return ctx.emitError()
               << "target dimension " << i << " is 0 (copy) but the input "
               << formatShape(in) << " has no dimension " << i;
      dim = in[i];
    }
    if (dim < -1)
      return ctx.emitError() << "target dimension " << i << " is " << dim;
    if (dim == -1) {
      if (inferred)
        return ctx.emitError() << "the target shape has more than one -1";
      inferred = i;
      dim = 1;
    } else if (known) {
      known = llvm::checkedMul(*known, dim);
    }
    shape.push_back(dim);
  }
  bool fits =
      known && (inferred ? *known > 0 && count % *known == 0 : *known == count);
  if (!fits)
    return ctx.emitError() << "cannot reshape the " << formatShape(in)
                           << " input (" << count << " elements) to ["
                           << llvm::join(
                                  llvm::map_range(target->getInts(),
                                                  [](int64_t d) {
                                                    return std::to_string(d);
                                                  }),
                                  ", ")
                           << "]";
  if (inferred)
    shape[*inferred] = count / *known;
  return reshapeTo(ctx, shape);
}

FailureOr<llvm::SmallVector<int64_t>>
onnximport::readAxes(NodeContext &ctx, bool &present, int64_t inputFromOpset) {
  if (ctx.getOpset() < inputFromOpset) {
    present = ctx.getAttr("axes") != nullptr;
    return ctx.getInts("axes");
  }
  present = ctx.hasInput(1);
  if (!present)
    return llvm::SmallVector<int64_t>();
  std::shared_ptr<const HostTensor> axes =
      ctx.getConstant(1, HostTensor::Kind::Int, "the axes");
  if (!axes)
    return failure();
  return llvm::SmallVector<int64_t>(axes->getInts());
}

LogicalResult onnximport::importSqueeze(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  bool present = false;
  FailureOr<llvm::SmallVector<int64_t>> axes =
      readAxes(ctx, present, /*inputFromOpset=*/13);
  if (failed(axes))
    return failure();
  llvm::SmallVector<bool> drop(in.size(), false);
  if (!present) {
    for (auto [i, dim] : llvm::enumerate(in))
      drop[i] = dim == 1;
  }
  for (int64_t axis : *axes) {
    FailureOr<int64_t> d = normalizeAxis(ctx, axis, in.size());
    if (failed(d))
      return failure();
    if (in[*d] != 1)
      return ctx.emitError() << "cannot squeeze dimension " << *d << " of the "
                             << formatShape(in) << " input: it is not 1";
    drop[*d] = true;
  }
  llvm::SmallVector<int64_t, 4> shape;
  for (auto [i, dim] : llvm::enumerate(in))
    if (!drop[i])
      shape.push_back(dim);
  return reshapeTo(ctx, shape);
}

LogicalResult onnximport::importUnsqueeze(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  bool present = false;
  FailureOr<llvm::SmallVector<int64_t>> axes =
      readAxes(ctx, present, /*inputFromOpset=*/13);
  if (failed(axes))
    return failure();
  if (!present)
    return ctx.emitError() << "needs the axes to insert";
  int64_t rank = in.size() + axes->size();
  llvm::SmallVector<bool> inserted(rank, false);
  for (int64_t axis : *axes) {
    FailureOr<int64_t> d = normalizeAxis(ctx, axis, rank);
    if (failed(d))
      return failure();
    if (inserted[*d])
      return ctx.emitError() << "axis " << axis << " is given twice";
    inserted[*d] = true;
  }
  llvm::SmallVector<int64_t, 4> shape;
  const int64_t *next = in.begin();
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : *next++);
  return reshapeTo(ctx, shape);
}

LogicalResult onnximport::importIdentity(NodeContext &ctx) {
  const ImportedValue &input = ctx.getInput(0);
  if (input.isConstant())
    ctx.setOutput(0, input.constant);
  else
    ctx.setOutput(0, input.tensor);
  return success();
}

LogicalResult onnximport::importConstant(NodeContext &ctx) {
  std::string name = ctx.getNode().output(0);
  for (const onnx::AttributeProto &attr : ctx.getNode().attribute()) {
    llvm::StringRef key = attr.name();
    if (key == "value") {
      std::shared_ptr<HostTensor> tensor = ctx.decodeAttributeTensor(attr.t());
      if (!tensor)
        return failure();
      ctx.setOutput(0, tensor);
      return success();
    }
    if (key == "value_float") {
      ctx.setOutput(0, HostTensor::fromFloats(name, {}, {attr.f()}));
      return success();
    }
    if (key == "value_floats") {
      std::vector<float> values(attr.floats().begin(), attr.floats().end());
      int64_t size = values.size();
      ctx.setOutput(0, HostTensor::fromFloats(name, {size}, std::move(values)));
      return success();
    }
    if (key == "value_int") {
      ctx.setOutput(0, HostTensor::fromInts(name, {}, {attr.i()}));
      return success();
    }
    if (key == "value_ints") {
      std::vector<int64_t> values(attr.ints().begin(), attr.ints().end());
      int64_t size = values.size();
      ctx.setOutput(0, HostTensor::fromInts(name, {size}, std::move(values)));
      return success();
    }
    if (key == "sparse_value" || key == "value_string" ||
        key == "value_strings")
      return ctx.unsupported("a constant given as '" + key.str() + "'");
  }
  return ctx.emitError() << "has no value attribute";
}

LogicalResult onnximport::importShape(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  int64_t rank = in.size();
  FailureOr<int64_t> start = ctx.getInt("start", 0);
  FailureOr<int64_t> end = ctx.getInt("end", rank);
  if (failed(start) || failed(end))
    return failure();
  // Opset 15's slice of the shape, clamped as ONNX specifies.
  auto clamp = [&](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
  };
  int64_t first = clamp(*start), last = std::max(first, clamp(*end));
  std::vector<int64_t> dims(in.begin() + first, in.begin() + last);
  int64_t size = dims.size();
  ctx.setOutput(0, HostTensor::fromInts(ctx.getNode().output(0), {size},
                                        std::move(dims)));
  return success();
}

LogicalResult onnximport::importSize(NodeContext &ctx) {
  // Shapes are verified to fit kMaxTensorBytes: the product cannot overflow.
  int64_t size = 1;
  for (int64_t d : ctx.getInput(0).getShape())
    size *= d;
  ctx.setOutput(0, HostTensor::fromInts(ctx.getNode().output(0), {}, {size}));
  return success();
}

/// The most elements a ConstantOfShape may build on the host (256 MiB of
/// floats); a larger one would be an activation-sized constant.
constexpr int64_t kMaxConstantOfShape = int64_t(1) << 26;

std::shared_ptr<const HostTensor> onnximport::getShapeInput(NodeContext &ctx,
                                                            unsigned i) {
  std::shared_ptr<const HostTensor> shape =
      ctx.getConstant(i, HostTensor::Kind::Int, "the shape");
  if (shape && shape->getShape().size() != 1) {
    (void)(ctx.emitError() << "the shape '" << shape->getName() << "' is "
                           << formatShape(shape->getShape())
                           << "; expected a 1-D tensor");
    return nullptr;
  }
  return shape;
}

LogicalResult onnximport::importConstantOfShape(NodeContext &ctx) {
  std::shared_ptr<const HostTensor> shape = getShapeInput(ctx, 0);
  if (!shape)
    return failure();
  llvm::ArrayRef<int64_t> dims = shape->getInts();
  std::string text =
      "[" +
      llvm::join(
          llvm::map_range(dims, [](int64_t d) { return std::to_string(d); }),
          ", ") +
      "]";
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0)
      return ctx.emitError()
             << "the shape " << text << " has a negative dimension";
    if (d == 0)
      return ctx.unsupported("its shape " + text +
                             " is empty; Kiln needs non-empty tensors");
    std::optional<int64_t> product = llvm::checkedMul(count, d);
    if (!product || *product > kMaxConstantOfShape)
      return ctx.unsupported("its shape " + text +
                             " has more than 2^26 elements");
    count = *product;
  }
  // `value`: one element, float 0 when absent.
  std::shared_ptr<const HostTensor> value;
  if (const onnx::AttributeProto *attr = ctx.getAttr("value")) {
    if (attr->type() != onnx::AttributeProto::TENSOR)
      return ctx.emitError() << "attribute 'value' is not a tensor";
    value = ctx.decodeAttributeTensor(attr->t());
    if (!value)
      return failure();
    if (value->getNumElements() != 1)
      return ctx.emitError()
             << "attribute 'value' has " << value->getNumElements()
             << " elements; expected one";
  }
  const std::string &name = ctx.getNode().output(0);
  if (value && !value->isFloat())
    ctx.setOutput(
        0, HostTensor::fromInts(
               name, dims, std::vector<int64_t>(count, value->getInts()[0])));
  else
    ctx.setOutput(0, HostTensor::fromFloats(
                         name, dims,
                         std::vector<float>(count, value ? value->getFloats()[0]
                                                         : 0.0f)));
  return success();
}

LogicalResult onnximport::importGather(NodeContext &ctx) {
  const ImportedValue &data = ctx.getInput(0);
  std::shared_ptr<const HostTensor> indices =
      ctx.getConstant(1, HostTensor::Kind::Int, "the indices");
  if (!indices)
    return failure();
  llvm::ArrayRef<int64_t> shape = data.getShape();
  FailureOr<int64_t> axisAttr = ctx.getInt("axis", 0);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(ctx, *axisAttr, shape.size());
  if (failed(axis))
    return failure();
  // out = data[outer..., indices..., inner...] along `axis`.
  int64_t outer = product(shape.take_front(*axis));
  int64_t extent = shape[*axis];
  int64_t inner = product(shape.drop_front(*axis + 1));
  llvm::SmallVector<int64_t> outShape(shape.take_front(*axis));
  llvm::append_range(outShape, indices->getShape());
  llvm::append_range(outShape, shape.drop_front(*axis + 1));
  llvm::SmallVector<int64_t> rows;
  for (int64_t index : indices->getInts()) {
    if (index < -extent || index >= extent)
      return ctx.emitError()
             << "index " << index << " is out of range for dimension " << *axis
             << " of size " << extent;
    rows.push_back(index < 0 ? index + extent : index);
  }
  if (!data.isConstant()) {
    // An activation's rows (`x[:, 0]`, as torchvision's GoogLeNet and
    // Inception-v3 take each colour channel): windows of it, in a view of
    // the indices' shape.
    if (rows.empty())
      return ctx.unsupported("it gathers no index; Kiln's tensors have no "
                             "empty dimensions");
    if (!nn::checkedElementCount(outShape))
      return ctx.emitError() << "its result " << formatShape(outShape)
                             << " is too large: tensors are limited to 2^40 "
                                "bytes";
    ctx.setOutput(0,
                  reshapeTensor(ctx, gatherAlong(ctx, data.tensor, *axis, rows),
                                outShape));
    return success();
  }
  // Shape arithmetic is small; refuse what would not fit in memory.
  std::optional<int64_t> count = nn::checkedElementCount(outShape);
  if (!count || *count > (int64_t(1) << 28))
    return ctx.unsupported("it gathers a " + formatShape(outShape) +
                           " constant, too large to compute at import");
  auto gather = [&](auto values) {
    using T = typename decltype(values)::value_type;
    std::vector<T> result;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t row : rows) {
        auto slice = values.slice((o * extent + row) * inner, inner);
        result.insert(result.end(), slice.begin(), slice.end());
      }
    return result;
  };
  std::string name = ctx.getNode().output(0);
  if (data.constant->isFloat())
    ctx.setOutput(0, HostTensor::fromFloats(
                         name, outShape, gather(data.constant->getFloats())));
  else
    ctx.setOutput(0, HostTensor::fromInts(name, outShape,
                                          gather(data.constant->getInts())));
  return success();
}

LogicalResult onnximport::importCast(NodeContext &ctx) {
  // Before opset 6 the target type is a name.
  FailureOr<int64_t> to = 0;
  if (const onnx::AttributeProto *attr = ctx.getAttr("to");
      attr && attr->has_s()) {
    to = llvm::StringSwitch<int64_t>(attr->s())
             .Case("FLOAT", onnx::TensorProto::FLOAT)
             .Case("INT64", onnx::TensorProto::INT64)
             .Case("INT32", onnx::TensorProto::INT32)
             .Case("BOOL", onnx::TensorProto::BOOL)
             .Default(onnx::TensorProto::UNDEFINED);
  } else {
    to = ctx.getInt("to", 0);
  }
  if (failed(to))
    return failure();
  bool toFloat = *to == onnx::TensorProto::FLOAT;
  bool toInt = *to == onnx::TensorProto::INT64 ||
               *to == onnx::TensorProto::INT32 ||
               *to == onnx::TensorProto::BOOL;
  const ImportedValue &input = ctx.getInput(0);
  if (!input.isConstant()) {
    if (!toFloat)
      return ctx.unsupported("it casts a computed float32 tensor to " +
                             elementTypeName(*to).str());
    ctx.setOutput(0, input.tensor);
    return success();
  }
  const HostTensor &value = *input.constant;
  std::string name = ctx.getNode().output(0);
  if (toFloat) {
    if (value.isFloat()) {
      ctx.setOutput(0, input.constant);
      return success();
    }
    std::vector<float> floats(value.getInts().begin(), value.getInts().end());
    ctx.setOutput(
        0, HostTensor::fromFloats(name, value.getShape(), std::move(floats)));
    return success();
  }
  if (!toInt)
    return ctx.unsupported("it casts to " + elementTypeName(*to).str());
  std::vector<int64_t> ints;
  for (int64_t i = 0, e = value.getNumElements(); i < e; ++i) {
    int64_t integer;
    if (value.isFloat()) {
      float f = value.getFloats()[i];
      // Out-of-range conversions are undefined in C++; refuse them.
      if (!(std::fabs(f) < 9.2e18f))
        return ctx.emitError() << "cannot cast " << f << " to an integer";
      integer = (int64_t)f;
    } else {
      integer = value.getInts()[i];
    }
    if (*to == onnx::TensorProto::BOOL)
      integer = integer != 0;
    else if (*to == onnx::TensorProto::INT32)
      integer = (int32_t)integer;
    ints.push_back(integer);
  }
  ctx.setOutput(0,
                HostTensor::fromInts(name, value.getShape(), std::move(ints)));
  return success();
}

LogicalResult onnximport::importTranspose(NodeContext &ctx) {
  const ImportedValue &input = ctx.getInput(0);
  llvm::ArrayRef<int64_t> in = input.getShape();
  int64_t rank = in.size();
  FailureOr<llvm::SmallVector<int64_t>> perm = ctx.getInts("perm");
  if (failed(perm))
    return failure();
  if (perm->empty()) // The default reverses the dimensions.
    for (int64_t d = rank - 1; d >= 0; --d)
      perm->push_back(d);
  llvm::SmallVector<bool> seen(rank, false);
  if ((int64_t)perm->size() != rank || llvm::any_of(*perm, [&](int64_t d) {
        return d < 0 || d >= rank || std::exchange(seen[d], true);
      }))
    return ctx.emitError() << "'perm' is not a permutation of the " << rank
                           << " dimensions";
  auto identity = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (*perm == identity) {
    if (input.isConstant())
      ctx.setOutput(0, input.constant);
    else
      ctx.setOutput(0, input.tensor);
    return success();
  }
  llvm::SmallVector<int64_t> outShape;
  for (int64_t d : *perm)
    outShape.push_back(in[d]);
  if (!input.isConstant()) {
    OpBuilder &b = ctx.getBuilder();
    ctx.setOutput(0, nn::TransposeOp::create(
                         b, ctx.getLoc(),
                         RankedTensorType::get(outShape, b.getF32Type()),
                         input.tensor, b.getDenseI64ArrayAttr(*perm)));
    return success();
  }
  // Old exporters transpose a weight before a MatMul: done now.
  const HostTensor &value = *input.constant;
  llvm::SmallVector<int64_t, 4> inStrides = value.getStrides();
  llvm::SmallVector<int64_t> strides;
  for (int64_t d : *perm)
    strides.push_back(inStrides[d]);
  ctx.setOutput(0, value.strided(value.getName(), outShape, 0, strides));
  return success();
}
