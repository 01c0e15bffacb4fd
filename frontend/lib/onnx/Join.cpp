//===- Join.cpp - Add, Sub, Mul, Div, Neg, PRelu and Concat ---------------===//
//
// Add appears in two roles. After a bias-free MatMul, Gemm or Conv with a
// per-feature (or per-channel) constant it is the layer's bias: it is folded
// into the producer, which is how MatMul + Add becomes one nn.linear. Between
// two activations of one shape it joins branches (a residual sum): nn.add.
// Any other constant operand is broadcast on the host to the activation's
// shape and added. Mul multiplies an activation by one of its shape (SiLU's
// x * sigmoid(x)) or by one broadcast to it (a squeeze-and-excitation
// block's [N, C, 1, 1] scales, a constant): nn.mul; Sub and Div likewise
// become nn.sub and nn.div (x - c after a bias-free layer is its bias -c;
// c - x is -(x - c); c / x broadcasts c on the host), Neg a product by -1.
// Concat joins branches along an axis: nn.concat. On constants all of them
// are evaluated now, as exporters' shape arithmetic needs.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

/// The shape of numpy-broadcasting `a` with `b`, or nullopt when they do not
/// broadcast.
static std::optional<llvm::SmallVector<int64_t, 4>>
broadcastShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  llvm::SmallVector<int64_t, 4> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    shape[i] = da == 1 ? db : da;
  }
  return shape;
}

/// The flat index into a tensor of `from` (right-aligned, broadcast or
/// tiled: each coordinate taken modulo `from`'s size) that element `index`
/// of a tensor of `to` reads.
static int64_t broadcastIndex(int64_t index, llvm::ArrayRef<int64_t> to,
                              llvm::ArrayRef<int64_t> from) {
  int64_t result = 0, stride = 1;
  for (int64_t d = to.size() - 1, f = from.size() - 1; d >= 0; --d, --f) {
    int64_t coord = index % to[d];
    index /= to[d];
    if (f >= 0) {
      result += coord % from[f] * stride;
      stride *= from[f];
    }
  }
  return result;
}

/// `tensor` broadcast (or tiled) to `shape`.
template <typename T>
static std::vector<T>
broadcastValues(llvm::ArrayRef<T> values, llvm::ArrayRef<int64_t> from,
                llvm::ArrayRef<int64_t> shape, int64_t count) {
  std::vector<T> result(count);
  for (int64_t i = 0; i < count; ++i)
    result[i] = values[broadcastIndex(i, shape, from)];
  return result;
}

static int64_t product(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

/// Folds `c` into the bias of the bias-free nn.linear or nn.conv2d producing
/// `activation` when that is its only reader and `c` holds one value per
/// feature or channel (dimension 1). Returns the new result, or null.
static Value foldIntoBias(NodeContext &ctx, Value activation,
                          const HostTensor &c) {
  Operation *producer = activation.getDefiningOp();
  if (!producer || !isa<nn::LinearOp, nn::Conv2DOp>(producer) ||
      producer->getNumOperands() != 2 || ctx.getUseCount(activation) != 1)
    return {};
  llvm::ArrayRef<int64_t> shape =
      cast<RankedTensorType>(activation.getType()).getShape();
  llvm::ArrayRef<int64_t> cShape = c.getShape();
  // Aligned to the activation, c must be 1 everywhere but dimension 1.
  size_t offset = shape.size() - cShape.size();
  for (size_t i = 0; i < cShape.size(); ++i)
    if (i + offset != 1 && cShape[i] != 1)
      return {};
  int64_t features = shape[1];
  llvm::SmallVector<int64_t> vectorShape(shape.size(), 1);
  vectorShape[1] = features;
  auto bias = HostTensor::fromFloats(
      c.getName(), {features},
      broadcastValues(c.getFloats(), cShape, vectorShape, features));

  OpBuilder &builder = ctx.getBuilder();
  Value biasValue = ctx.materialize(bias);
  // The layer now does both nodes' work: its diagnostics name both.
  Location loc = builder.getFusedLoc({producer->getLoc(), ctx.getLoc()});
  Operation *replacement;
  if (auto linear = dyn_cast<nn::LinearOp>(producer)) {
    replacement =
        nn::LinearOp::create(builder, loc, linear.getType(), linear.getInput(),
                             linear.getWeight(), biasValue);
  } else {
    auto conv = cast<nn::Conv2DOp>(producer);
    replacement = nn::Conv2DOp::create(
        builder, loc, conv.getType(), conv.getInput(), conv.getWeight(),
        biasValue, conv.getStrideAttr(), conv.getPaddingAttr(),
        conv.getDilationAttr(), conv.getGroupsAttr());
  }
  producer->replaceAllUsesWith(replacement);
  producer->erase();
  return replacement->getResult(0);
}

namespace {
/// The element-wise arithmetic of ONNX's Add, Sub, Mul and Div.
enum class Arithmetic { Add, Sub, Mul, Div };
} // namespace

/// Combines two constants of one kind (shape arithmetic, folded weights).
/// Integers wrap around, as two's complement hardware does, and divide
/// truncating toward zero, as ONNX's integer Div does.
static LogicalResult combineConstants(NodeContext &ctx, const HostTensor &a,
                                      const HostTensor &b,
                                      llvm::ArrayRef<int64_t> shape,
                                      Arithmetic op) {
  int64_t count = product(shape);
  std::string name = ctx.getNode().output(0);
  if (a.getKind() != b.getKind())
    return ctx.emitError() << "combines tensors of different element types";
  if (a.isFloat()) {
    std::vector<float> x =
        broadcastValues(a.getFloats(), a.getShape(), shape, count);
    std::vector<float> y =
        broadcastValues(b.getFloats(), b.getShape(), shape, count);
    for (int64_t i = 0; i < count; ++i) {
      switch (op) {
      case Arithmetic::Add:
        x[i] += y[i];
        break;
      case Arithmetic::Sub:
        x[i] -= y[i];
        break;
      case Arithmetic::Mul:
        x[i] *= y[i];
        break;
      case Arithmetic::Div:
        x[i] /= y[i];
        break;
      }
    }
    ctx.setOutput(0, HostTensor::fromFloats(name, shape, std::move(x)));
    return success();
  }
  std::vector<int64_t> x =
      broadcastValues(a.getInts(), a.getShape(), shape, count);
  std::vector<int64_t> y =
      broadcastValues(b.getInts(), b.getShape(), shape, count);
  for (int64_t i = 0; i < count; ++i) {
    uint64_t l = x[i], r = y[i];
    switch (op) {
    case Arithmetic::Add:
      x[i] = int64_t(l + r);
      break;
    case Arithmetic::Sub:
      x[i] = int64_t(l - r);
      break;
    case Arithmetic::Mul:
      x[i] = int64_t(l * r);
      break;
    case Arithmetic::Div:
      if (y[i] == 0)
        return ctx.emitError() << "divides an integer constant by zero";
      // The one quotient that overflows wraps around too.
      x[i] = y[i] == -1 ? int64_t(0 - l) : x[i] / y[i];
      break;
    }
  }
  ctx.setOutput(0, HostTensor::fromInts(name, shape, std::move(x)));
  return success();
}

/// The shape an element-wise Add or Mul of the node's two inputs broadcasts
/// to; fails (reported) when they do not broadcast, or broadcast the legacy
/// way.
static FailureOr<llvm::SmallVector<int64_t, 4>>
binaryResultShape(NodeContext &ctx) {
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  // Before opset 7, `axis` aligned the second operand at a chosen dimension
  // instead of at the end.
  if (ctx.getOpset() < 7 && ctx.getAttr("axis") && a.getShape() != b.getShape())
    return ctx.unsupported("legacy broadcasting with 'axis' (opset < 7)");
  std::optional<llvm::SmallVector<int64_t, 4>> shape =
      broadcastShape(a.getShape(), b.getShape());
  if (!shape)
    return ctx.emitError() << "operands " << formatShape(a.getShape())
                           << " and " << formatShape(b.getShape())
                           << " do not broadcast";
  return *shape;
}

/// Float constant `c`'s elements in `shape` (a broadcast operand given
/// leading dimensions of size 1).
static std::shared_ptr<HostTensor>
reshapedFloats(const HostTensor &c, llvm::ArrayRef<int64_t> shape) {
  return HostTensor::fromFloats(
      c.getName(), shape,
      std::vector<float>(c.getFloats().begin(), c.getFloats().end()));
}

Value onnximport::materializeAligned(NodeContext &ctx, llvm::StringRef name,
                                     llvm::ArrayRef<int64_t> shape, size_t rank,
                                     llvm::ArrayRef<float> values,
                                     bool negate) {
  llvm::SmallVector<int64_t, 4> aligned(rank - shape.size(), 1);
  llvm::append_range(aligned, shape);
  std::vector<float> data(values.begin(), values.end());
  if (negate)
    for (float &v : data)
      v = -v;
  return ctx.materialize(
      HostTensor::fromFloats(name.str(), aligned, std::move(data)));
}

/// The float constant `c` negated, named `name`.
static std::shared_ptr<HostTensor> negatedConstant(const HostTensor &c,
                                                   std::string name) {
  std::vector<float> values(c.getFloats().begin(), c.getFloats().end());
  for (float &v : values)
    v = -v;
  return HostTensor::fromFloats(std::move(name), c.getShape(),
                                std::move(values));
}

/// The right operand `rhs` of an nn.mul, sub or div whose left operand has
/// `shape`: a float constant aligned to the shape's rank, or a computed
/// tensor viewed at that rank. Null after reporting (`integerError` for an
/// integer constant).
static Value rightOperand(NodeContext &ctx, const ImportedValue &rhs,
                          llvm::ArrayRef<int64_t> shape,
                          llvm::StringRef integerError) {
  // ONNX aligns the shapes at their last dimension: a lower-rank right
  // operand gains leading dimensions of size 1.
  llvm::SmallVector<int64_t, 4> rhsShape(shape.size() - rhs.getShape().size(),
                                         1);
  llvm::append_range(rhsShape, rhs.getShape());
  if (rhs.isConstant()) {
    const HostTensor &c = *rhs.constant;
    if (!c.isFloat()) {
      (void)(ctx.emitError() << integerError);
      return {};
    }
    return ctx.materialize(reshapedFloats(c, rhsShape));
  }
  // A view with the leading dimensions of size 1.
  return reshapeTensor(ctx, rhs.tensor, rhsShape);
}

/// Whether the node's operands go to an nn.mul or nn.sub swapped: the left
/// one must be computed and of the result's `shape` (the right one
/// broadcasts). Reports `limit` (what Kiln does instead) when neither is.
static FailureOr<bool> swapOperands(NodeContext &ctx,
                                    llvm::ArrayRef<int64_t> shape,
                                    llvm::StringRef limit) {
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  auto fitsLeft = [&](const ImportedValue &value) {
    return !value.isConstant() && value.getShape() == shape;
  };
  if (fitsLeft(a))
    return false;
  if (fitsLeft(b))
    return true;
  return ctx.unsupported(llvm::formatv("it broadcasts {0} with {1} to {2}; "
                                       "Kiln {3}",
                                       formatShape(a.getShape()),
                                       formatShape(b.getShape()),
                                       formatShape(shape), limit)
                             .str());
}

/// The node's operands as an nn.mul, sub or div's: the left one computed
/// and of the result's `shape`, the right one (rightOperand) broadcast to
/// it, and whether they were swapped. Fails after reporting `limit` when
/// neither fits the left, or `integerError` for an integer constant.
struct OrderedOperands {
  Value lhs, rhs;
  bool swapped;
};
static FailureOr<OrderedOperands> orderOperands(NodeContext &ctx,
                                                llvm::ArrayRef<int64_t> shape,
                                                llvm::StringRef limit,
                                                llvm::StringRef integerError) {
  FailureOr<bool> swapped = swapOperands(ctx, shape, limit);
  if (failed(swapped))
    return failure();
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  const ImportedValue &lhs = *swapped ? b : a, &rhs = *swapped ? a : b;
  Value right = rightOperand(ctx, rhs, shape, integerError);
  if (!right)
    return failure();
  return OrderedOperands{lhs.tensor, right, *swapped};
}

LogicalResult onnximport::importAdd(NodeContext &ctx) {
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  FailureOr<llvm::SmallVector<int64_t, 4>> shape = binaryResultShape(ctx);
  if (failed(shape))
    return failure();
  if (a.isConstant() && b.isConstant())
    return combineConstants(ctx, *a.constant, *b.constant, *shape,
                            Arithmetic::Add);

  OpBuilder &builder = ctx.getBuilder();
  if (!a.isConstant() && !b.isConstant()) {
    if (a.getShape() == b.getShape()) {
      ctx.setOutput(
          0, nn::AddOp::create(builder, ctx.getLoc(), a.tensor, b.tensor));
      return success();
    }
    // One broadcasts to the other (a FiLM shift [N, C, 1, 1] computed from
    // a second input, say): the larger minus the negated smaller, exactly
    // as for a constant below; nn.sub broadcasts its right operand.
    FailureOr<OrderedOperands> operands = orderOperands(
        ctx, *shape,
        "adds to a computed tensor one of its shape or one broadcast to it",
        "adds an integer constant to a float32 tensor");
    if (failed(operands))
      return failure();
    ctx.setOutput(0, nn::SubOp::create(builder, ctx.getLoc(), operands->lhs,
                                       negate(ctx, operands->rhs)));
    return success();
  }

  const ImportedValue &activation = a.isConstant() ? b : a;
  const HostTensor &c = *(a.isConstant() ? a : b).constant;
  if (!c.isFloat())
    return ctx.emitError() << "adds an integer constant to a float32 tensor";
  llvm::ArrayRef<int64_t> activationShape = activation.getShape();
  if (llvm::ArrayRef<int64_t>(*shape) != activationShape)
    return ctx.unsupported(llvm::formatv("the constant {0} broadcasts the "
                                         "computed {1} to {2}",
                                         formatShape(c.getShape()),
                                         formatShape(activationShape),
                                         formatShape(*shape))
                               .str());
  if (Value folded = foldIntoBias(ctx, activation.tensor, c)) {
    ctx.setOutput(0, folded);
    return success();
  }
  if (c.getShape() != activationShape) {
    // A constant that broadcasts: x + c is x - (-c) exactly (IEEE
    // subtraction adds the negated operand), and nn.sub broadcasts its right
    // operand, so the constant stays its own size. (A layer norm's shift
    // would otherwise be a weight as large as the activation.)
    ctx.setOutput(0, nn::SubOp::create(builder, ctx.getLoc(), activation.tensor,
                                       materializeAligned(
                                           ctx, c.getName() + ".negated",
                                           c.getShape(), activationShape.size(),
                                           c.getFloats(), /*negate=*/true)));
    return success();
  }
  int64_t count = product(activationShape);
  // The constant becomes a weight as large as the activation; refuse what
  // would not fit in memory rather than fail to allocate.
  if (count > (int64_t(1) << 28))
    return ctx.unsupported(llvm::formatv("broadcasting the constant {0} to "
                                         "the computed {1} would make a {2} "
                                         "MB weight",
                                         formatShape(c.getShape()),
                                         formatShape(activationShape),
                                         count * 4 / (1 << 20))
                               .str());
  auto full = HostTensor::fromFloats(
      c.getName(), activationShape,
      broadcastValues(c.getFloats(), c.getShape(), activationShape, count));
  ctx.setOutput(0, nn::AddOp::create(builder, ctx.getLoc(), activation.tensor,
                                     ctx.materialize(full)));
  return success();
}

/// A constant of `rank` dimensions of size 1 holding `value`, as the right
/// operand of an nn.mul, sub or div.
static Value scalarConstant(NodeContext &ctx, size_t rank, float value) {
  return ctx.materialize(HostTensor::fromFloats(
      ctx.getNode().output(0) + (value == -1.0f ? ".minus_one" : ".scalar"),
      llvm::SmallVector<int64_t, 4>(rank, 1), std::vector<float>{value}));
}

Value onnximport::negate(NodeContext &ctx, Value x) {
  size_t rank = cast<RankedTensorType>(x.getType()).getRank();
  return nn::MulOp::create(ctx.getBuilder(), ctx.getLoc(), x,
                           scalarConstant(ctx, rank, -1.0f));
}

LogicalResult onnximport::importMul(NodeContext &ctx) {
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  FailureOr<llvm::SmallVector<int64_t, 4>> shape = binaryResultShape(ctx);
  if (failed(shape))
    return failure();
  if (a.isConstant() && b.isConstant())
    return combineConstants(ctx, *a.constant, *b.constant, *shape,
                            Arithmetic::Mul);

  // nn.mul broadcasts its right operand only: the computed operand of the
  // result's shape goes on the left (the product commutes).
  FailureOr<OrderedOperands> operands =
      orderOperands(ctx, *shape,
                    "multiplies a computed tensor by one of its shape or by "
                    "one broadcast to it",
                    "multiplies a float32 tensor by an integer constant");
  if (failed(operands))
    return failure();
  ctx.setOutput(0, nn::MulOp::create(ctx.getBuilder(), ctx.getLoc(),
                                     operands->lhs, operands->rhs));
  return success();
}

LogicalResult onnximport::importSub(NodeContext &ctx) {
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  FailureOr<llvm::SmallVector<int64_t, 4>> shape = binaryResultShape(ctx);
  if (failed(shape))
    return failure();
  if (a.isConstant() && b.isConstant())
    return combineConstants(ctx, *a.constant, *b.constant, *shape,
                            Arithmetic::Sub);
  // x - c after a bias-free layer is its bias, -c.
  if (b.isConstant() && b.constant->isFloat() &&
      a.getShape() == llvm::ArrayRef(*shape)) {
    const HostTensor &c = *b.constant;
    auto bias = negatedConstant(c, c.getName() + ".negated");
    if (Value folded = foldIntoBias(ctx, a.tensor, *bias)) {
      ctx.setOutput(0, folded);
      return success();
    }
  }
  // a - b where b broadcasts to a; b - a negated where a broadcasts to b
  // (a constant minuend among them: c - x is -(x - c), exactly).
  FailureOr<OrderedOperands> operands =
      orderOperands(ctx, *shape,
                    "subtracts from a computed tensor one of its shape or one "
                    "broadcast to it",
                    "subtracts an integer constant from a float32 tensor");
  if (failed(operands))
    return failure();
  Value difference = nn::SubOp::create(ctx.getBuilder(), ctx.getLoc(),
                                       operands->lhs, operands->rhs);
  ctx.setOutput(0, operands->swapped ? negate(ctx, difference) : difference);
  return success();
}

/// Reports a Div or Pow whose left operand (`left`: "the dividend") is not of
/// the `result` shape: the right operand (`right`, "" or "the exponent ")
/// broadcasts, the left one may not (Kiln `verb`s a tensor of that shape).
static LogicalResult reportLeftBroadcast(NodeContext &ctx, llvm::StringRef left,
                                         llvm::StringRef right,
                                         llvm::ArrayRef<int64_t> result,
                                         llvm::StringRef verb) {
  return ctx.unsupported(
      llvm::formatv("it broadcasts {0} {1} with {2}{3} to {4}; Kiln {5} a "
                    "tensor of the result's shape",
                    left, formatShape(ctx.getInput(0).getShape()), right,
                    formatShape(ctx.getInput(1).getShape()),
                    formatShape(result), verb)
          .str());
}

LogicalResult onnximport::importDiv(NodeContext &ctx) {
  const ImportedValue &a = ctx.getInput(0), &b = ctx.getInput(1);
  FailureOr<llvm::SmallVector<int64_t, 4>> shape = binaryResultShape(ctx);
  if (failed(shape))
    return failure();
  if (a.isConstant() && b.isConstant())
    return combineConstants(ctx, *a.constant, *b.constant, *shape,
                            Arithmetic::Div);
  llvm::ArrayRef<int64_t> resultShape = *shape;
  Value dividend;
  if (!a.isConstant() && a.getShape() == resultShape) {
    dividend = a.tensor;
  } else if (a.isConstant() && b.getShape() == resultShape) {
    // c / x: the dividend is read once per element, so the constant is
    // broadcast to the result on the host (as Add's are).
    const HostTensor &c = *a.constant;
    if (!c.isFloat())
      return ctx.emitError() << "divides an integer constant by a float32 "
                                "tensor";
    int64_t count = product(resultShape);
    if (count > (int64_t(1) << 28))
      return ctx.unsupported(llvm::formatv("broadcasting the constant {0} to "
                                           "{1} would make a {2} MB weight",
                                           formatShape(c.getShape()),
                                           formatShape(resultShape),
                                           count * 4 / (1 << 20))
                                 .str());
    dividend = ctx.materialize(HostTensor::fromFloats(
        c.getName(), resultShape,
        broadcastValues(c.getFloats(), c.getShape(), resultShape, count)));
  } else {
    return reportLeftBroadcast(ctx, "the dividend", "", resultShape, "divides");
  }
  Value divisor = rightOperand(
      ctx, b, resultShape, "divides a float32 tensor by an integer constant");
  if (!divisor)
    return failure();
  ctx.setOutput(
      0, nn::DivOp::create(ctx.getBuilder(), ctx.getLoc(), dividend, divisor));
  return success();
}

namespace {
/// ONNX's variadic element-wise operators.
enum class Variadic { Sum, Mean, Max, Min };
} // namespace

/// `a` combined with `b` as `kind` does (NaN propagating for Max and Min,
/// as nn.maximum and nn.minimum do).
static float combine(Variadic kind, float a, float b) {
  if (kind == Variadic::Sum || kind == Variadic::Mean)
    return a + b;
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<float>::quiet_NaN();
  return kind == Variadic::Max ? std::max(a, b) : std::min(a, b);
}

/// Sum, Mean (the sum divided by the count), Max and Min of any number of
/// inputs broadcast together: the computed inputs, each of the result's
/// shape, chained with nn.add (nn.maximum, nn.minimum); the constants
/// combined at import into one, the right operand of one more such op (a
/// broadcast constant added as its negation subtracted, as Add does).
static LogicalResult importVariadic(NodeContext &ctx, Variadic kind) {
  unsigned count = ctx.getNode().input_size();
  llvm::SmallVector<int64_t, 4> shape(ctx.getInput(0).getShape());
  llvm::SmallVector<int64_t, 4> constantShape;
  for (unsigned i = 0; i < count; ++i) {
    const ImportedValue &v = ctx.getInput(i);
    std::optional<llvm::SmallVector<int64_t, 4>> joined =
        broadcastShape(shape, v.getShape());
    if (!joined)
      return ctx.emitError()
             << "input " << i << " " << formatShape(v.getShape())
             << " does not broadcast with " << formatShape(shape);
    shape = *joined;
    if (v.isConstant()) {
      if (!v.constant->isFloat())
        return ctx.emitError() << "input " << i << " is an integer constant";
      joined = broadcastShape(constantShape, v.getShape());
      if (!joined)
        return ctx.emitError() << "its constants do not broadcast together";
      constantShape = *joined;
    }
  }
  // The constants, combined in the order they come.
  int64_t constantCount = product(constantShape);
  std::vector<float> combined;
  for (unsigned i = 0; i < count; ++i) {
    const ImportedValue &v = ctx.getInput(i);
    if (!v.isConstant())
      continue;
    std::vector<float> values = broadcastValues(
        v.constant->getFloats(), v.getShape(), constantShape, constantCount);
    if (combined.empty()) {
      combined = std::move(values);
      continue;
    }
    for (int64_t k = 0; k < constantCount; ++k)
      combined[k] = combine(kind, combined[k], values[k]);
  }
  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  std::string name = ctx.getNode().output(0);
  auto chain = [&](Value lhs, Value rhs) -> Value {
    if (kind == Variadic::Max)
      return nn::MaximumOp::create(b, loc, lhs, rhs);
    if (kind == Variadic::Min)
      return nn::MinimumOp::create(b, loc, lhs, rhs);
    return nn::AddOp::create(b, loc, lhs, rhs);
  };
  Value acc;
  for (unsigned i = 0; i < count; ++i) {
    const ImportedValue &v = ctx.getInput(i);
    if (v.isConstant())
      continue;
    if (v.getShape() != llvm::ArrayRef<int64_t>(shape))
      return ctx.unsupported(llvm::formatv("it broadcasts the computed {0} to "
                                           "{1}; Kiln combines computed "
                                           "tensors of one shape",
                                           formatShape(v.getShape()),
                                           formatShape(shape))
                                 .str());
    acc = acc ? chain(acc, v.tensor) : v.tensor;
  }
  if (!acc) {
    // Constants only: the result is one.
    for (float &v : combined)
      v = kind == Variadic::Mean ? v / float(count) : v;
    ctx.setOutput(
        0, HostTensor::fromFloats(name, constantShape, std::move(combined)));
    return success();
  }
  if (!combined.empty()) {
    bool add = kind == Variadic::Sum || kind == Variadic::Mean;
    if (add && llvm::ArrayRef<int64_t>(constantShape) == llvm::ArrayRef(shape))
      acc =
          nn::AddOp::create(b, loc, acc,
                            ctx.materialize(HostTensor::fromFloats(
                                name + ".constants", constantShape, combined)));
    else if (add)
      acc = nn::SubOp::create(
          b, loc, acc,
          materializeAligned(ctx, name + ".constants.negated", constantShape,
                             shape.size(), combined, /*negate=*/true));
    else
      acc = chain(acc,
                  materializeAligned(ctx, name + ".constants", constantShape,
                                     shape.size(), combined, /*negate=*/false));
  }
  if (kind == Variadic::Mean)
    acc = nn::DivOp::create(b, loc, acc,
                            scalarConstant(ctx, shape.size(), float(count)));
  ctx.setOutput(0, acc);
  return success();
}

LogicalResult onnximport::importSum(NodeContext &ctx) {
  return importVariadic(ctx, Variadic::Sum);
}

LogicalResult onnximport::importMean(NodeContext &ctx) {
  return importVariadic(ctx, Variadic::Mean);
}

LogicalResult onnximport::importMax(NodeContext &ctx) {
  return importVariadic(ctx, Variadic::Max);
}

LogicalResult onnximport::importMin(NodeContext &ctx) {
  return importVariadic(ctx, Variadic::Min);
}

LogicalResult onnximport::importNeg(NodeContext &ctx) {
  const ImportedValue &x = ctx.getInput(0);
  if (x.isConstant()) {
    const HostTensor &c = *x.constant;
    std::string name = ctx.getNode().output(0);
    if (c.isFloat()) {
      ctx.setOutput(0, negatedConstant(c, name));
    } else {
      std::vector<int64_t> values(c.getInts().begin(), c.getInts().end());
      for (int64_t &v : values)
        v = int64_t(0 - uint64_t(v));
      ctx.setOutput(
          0, HostTensor::fromInts(name, c.getShape(), std::move(values)));
    }
    return success();
  }
  ctx.setOutput(0, negate(ctx, x.tensor));
  return success();
}

LogicalResult onnximport::importPow(NodeContext &ctx) {
  const ImportedValue &base = ctx.getInput(0), &exponent = ctx.getInput(1);
  if (base.isConstant())
    return ctx.unsupported(
        "its base is a constant; Kiln computes powers of activations");
  FailureOr<llvm::SmallVector<int64_t, 4>> shape = binaryResultShape(ctx);
  if (failed(shape))
    return failure();
  llvm::ArrayRef<int64_t> resultShape = *shape;
  if (base.getShape() != resultShape)
    return reportLeftBroadcast(ctx, "the base", "the exponent ", resultShape,
                               "raises");
  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  Value x = base.tensor;
  if (exponent.isConstant() && exponent.constant->getNumElements() == 1) {
    const HostTensor &c = *exponent.constant;
    double power =
        c.isFloat() ? double(c.getFloats()[0]) : double(c.getInts()[0]);
    // The powers that are an op (or product) of their own: x * x is pow(x,
    // 2) correctly rounded, 1 / x pow(x, -1); x^3 and x^4 round twice.
    // sqrt(x) differs from pow(x, 0.5) only at -0 and -inf.
    auto square = [&] { return nn::MulOp::create(b, loc, x, x).getResult(); };
    Value result;
    if (power == 1)
      result = x;
    else if (power == 2)
      result = square();
    else if (power == 3)
      result = nn::MulOp::create(b, loc, square(), x);
    else if (power == 4) {
      Value squared = square();
      result = nn::MulOp::create(b, loc, squared, squared);
    } else if (power == 0.5)
      result = nn::SqrtOp::create(b, loc, x);
    else if (power == -0.5)
      result = nn::ReciprocalOp::create(b, loc, nn::SqrtOp::create(b, loc, x));
    else if (power == -1)
      result = nn::ReciprocalOp::create(b, loc, x);
    else if (power == -2)
      result = nn::ReciprocalOp::create(b, loc, square());
    if (result) {
      ctx.setOutput(0, result);
      return success();
    }
  }
  // Any other exponent, constant or computed: nn.pow (powf). Integer
  // exponents are read as floats, exactly up to 2^24.
  Value power;
  if (exponent.isConstant() && !exponent.constant->isFloat()) {
    const HostTensor &c = *exponent.constant;
    std::vector<float> values;
    for (int64_t v : c.getInts()) {
      if (v > (int64_t(1) << 24) || v < -(int64_t(1) << 24))
        return ctx.unsupported(llvm::formatv("its integer exponent {0} has "
                                             "no exact float32 value",
                                             v)
                                   .str());
      values.push_back(float(v));
    }
    power = materializeAligned(ctx, c.getName() + ".float", c.getShape(),
                               resultShape.size(), values, /*negate=*/false);
  } else {
    power = rightOperand(ctx, exponent, resultShape, "");
    if (!power)
      return failure();
  }
  ctx.setOutput(0, nn::PowOp::create(b, loc, x, power));
  return success();
}

LogicalResult onnximport::importPRelu(NodeContext &ctx) {
  const ImportedValue &x = ctx.getInput(0), &slope = ctx.getInput(1);
  if (x.isConstant())
    return ctx.unsupported("its input is a constant; Kiln computes PRelu on "
                           "activations");
  llvm::ArrayRef<int64_t> in = x.getShape();
  llvm::SmallVector<int64_t, 4> slopeShape;
  if (ctx.getOpset() < 7 && slope.getShape().size() == 1 && in.size() >= 2 &&
      slope.getShape()[0] == in[1] && in[1] != 1) {
    // Before opset 7, a 1-D slope held one value per channel (dimension 1).
    slopeShape.assign(in.size(), 1);
    slopeShape[1] = in[1];
  } else {
    FailureOr<llvm::SmallVector<int64_t, 4>> shape = binaryResultShape(ctx);
    if (failed(shape))
      return failure();
    // The slope broadcasts to the input (unidirectionally, as ONNX says).
    if (in != llvm::ArrayRef(*shape))
      return ctx.emitError()
             << "slope " << formatShape(slope.getShape())
             << " does not broadcast to the input " << formatShape(in);
    // Aligned at the last dimension: a lower-rank slope gains leading
    // dimensions of size 1.
    slopeShape.assign(in.size() - slope.getShape().size(), 1);
    llvm::append_range(slopeShape, slope.getShape());
  }
  Value slopeValue;
  if (slope.isConstant()) {
    const HostTensor &c = *slope.constant;
    if (!c.isFloat())
      return ctx.emitError() << "slope is an integer constant; the input is "
                                "float32";
    slopeValue = ctx.materialize(reshapedFloats(c, slopeShape));
  } else {
    // A view of as many elements, in the same order.
    slopeValue = reshapeTensor(ctx, slope.tensor, slopeShape);
  }
  ctx.setOutput(0, nn::PReluOp::create(ctx.getBuilder(), ctx.getLoc(), x.tensor,
                                       slopeValue));
  return success();
}

/// Concatenates constants along `axis` (shape arithmetic, mostly).
template <typename T>
static std::vector<T>
concatValues(llvm::ArrayRef<std::shared_ptr<const HostTensor>> inputs,
             int64_t axis, llvm::ArrayRef<int64_t> shape,
             llvm::function_ref<llvm::ArrayRef<T>(const HostTensor &)> get) {
  int64_t outer = product(shape.take_front(axis));
  int64_t inner = product(shape.drop_front(axis + 1));
  std::vector<T> result;
  result.reserve(product(shape));
  for (int64_t o = 0; o < outer; ++o)
    for (const auto &input : inputs) {
      int64_t chunk = input->getShape()[axis] * inner;
      llvm::ArrayRef<T> values = get(*input).slice(o * chunk, chunk);
      result.insert(result.end(), values.begin(), values.end());
    }
  return result;
}

LogicalResult onnximport::importConcat(NodeContext &ctx) {
  // Opset 4 made the axis required; before, it defaulted to 1.
  if (ctx.getOpset() >= 4 && !ctx.getAttr("axis"))
    return ctx.emitError() << "needs an 'axis' attribute";
  FailureOr<int64_t> axis = ctx.getInt("axis", 1);
  if (failed(axis))
    return failure();
  int numInputs = ctx.getNode().input_size();
  if (numInputs == 0 || !ctx.hasInput(0))
    return ctx.emitError() << "has no inputs";
  llvm::ArrayRef<int64_t> first = ctx.getInput(0).getShape();
  int64_t rank = first.size();
  if (*axis < -rank || *axis >= rank)
    return ctx.emitError() << "axis " << *axis << " is out of range for the "
                           << formatShape(first) << " input";
  int64_t dim = *axis < 0 ? *axis + rank : *axis;

  llvm::SmallVector<int64_t, 4> shape(first);
  shape[dim] = 0;
  bool allConstant = true;
  for (int i = 0; i < numInputs; ++i) {
    if (!ctx.hasInput(i))
      return ctx.emitError() << "input " << i << " is empty";
    llvm::ArrayRef<int64_t> inputShape = ctx.getInput(i).getShape();
    bool agrees = (int64_t)inputShape.size() == rank;
    for (int64_t d = 0; agrees && d < rank; ++d)
      agrees = d == dim || inputShape[d] == first[d];
    if (!agrees)
      return ctx.emitError()
             << "input " << i << " is " << formatShape(inputShape)
             << " but input 0 is " << formatShape(first) << "; only dimension "
             << dim << " may differ";
    shape[dim] += inputShape[dim];
    allConstant &= ctx.getInput(i).isConstant();
  }

  if (allConstant) {
    llvm::SmallVector<std::shared_ptr<const HostTensor>> inputs;
    for (int i = 0; i < numInputs; ++i)
      inputs.push_back(ctx.getInput(i).constant);
    std::string name = ctx.getNode().output(0);
    if (llvm::any_of(inputs, [&](const auto &t) {
          return t->getKind() != inputs[0]->getKind();
        }))
      return ctx.emitError() << "concatenates tensors of different element "
                                "types";
    if (inputs[0]->isFloat())
      ctx.setOutput(0, HostTensor::fromFloats(
                           name, shape,
                           concatValues<float>(inputs, dim, shape,
                                               [](const HostTensor &t) {
                                                 return t.getFloats();
                                               })));
    else
      ctx.setOutput(0, HostTensor::fromInts(
                           name, shape,
                           concatValues<int64_t>(inputs, dim, shape,
                                                 [](const HostTensor &t) {
                                                   return t.getInts();
                                                 })));
    return success();
  }

  llvm::SmallVector<Value> operands;
  for (int i = 0; i < numInputs; ++i) {
    Value operand = ctx.getTensor(i);
    if (!operand)
      return failure();
    operands.push_back(operand);
  }
  OpBuilder &builder = ctx.getBuilder();
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  ctx.setOutput(0, nn::ConcatOp::create(builder, ctx.getLoc(), type, operands,
                                        builder.getI64IntegerAttr(dim)));
  return success();
}

/// Input 0 repeated to `shape` (its rank, each dimension a whole multiple
/// of the input's): Tile's copies, or Expand's broadcast of dimensions of
/// size 1. A constant is computed now; an activation is concatenated with
/// itself along each repeated dimension, at most kMaxCopies copies each.
static LogicalResult repeatTo(NodeContext &ctx, llvm::ArrayRef<int64_t> shape) {
  const ImportedValue &x = ctx.getInput(0);
  llvm::ArrayRef<int64_t> in = x.getShape();
  std::optional<int64_t> count = nn::checkedElementCount(shape);
  if (!count)
    return ctx.emitError() << "its result " << formatShape(shape)
                           << " is too large: tensors are limited to 2^40 "
                              "bytes";
  if (*count == 0)
    return ctx.unsupported("its result " + formatShape(shape) +
                           " is empty; Kiln needs non-empty tensors");
  std::string name = ctx.getNode().output(0);
  if (x.isConstant()) {
    if (*count > (int64_t(1) << 28))
      return ctx.unsupported("it repeats a constant to " + formatShape(shape) +
                             ", too large to compute at import");
    const HostTensor &c = *x.constant;
    if (c.isFloat())
      ctx.setOutput(0, HostTensor::fromFloats(
                           name, shape,
                           broadcastValues(c.getFloats(), in, shape, *count)));
    else
      ctx.setOutput(
          0, HostTensor::fromInts(
                 name, shape, broadcastValues(c.getInts(), in, shape, *count)));
    return success();
  }
  // Each copy is an operand of one nn.concat.
  constexpr int64_t kMaxCopies = 256;
  llvm::SmallVector<int64_t, 4> current(shape.size() - in.size(), 1);
  llvm::append_range(current, in);
  Value v = reshapeTensor(ctx, x.tensor, current);
  OpBuilder &b = ctx.getBuilder();
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t copies = shape[d] / current[d];
    if (copies == 1)
      continue;
    if (copies > kMaxCopies)
      return ctx.unsupported(llvm::formatv("it repeats dimension {0} {1} "
                                           "times; Kiln repeats an "
                                           "activation at most {2} times",
                                           d, copies, kMaxCopies)
                                 .str());
    current[d] = shape[d];
    llvm::SmallVector<Value> parts(copies, v);
    v = nn::ConcatOp::create(b, ctx.getLoc(),
                             RankedTensorType::get(current, b.getF32Type()),
                             parts, b.getI64IntegerAttr(d));
  }
  ctx.setOutput(0, v);
  return success();
}

LogicalResult onnximport::importExpand(NodeContext &ctx) {
  std::shared_ptr<const HostTensor> target = getShapeInput(ctx, 1);
  if (!target)
    return failure();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  for (int64_t d : target->getInts())
    if (d < 0)
      return ctx.emitError() << "the shape has a negative dimension " << d;
  std::optional<llvm::SmallVector<int64_t, 4>> shape =
      broadcastShape(in, target->getInts());
  if (!shape)
    return ctx.emitError() << "the input " << formatShape(in)
                           << " does not broadcast to the shape "
                           << formatShape(target->getInts());
  return repeatTo(ctx, *shape);
}

LogicalResult onnximport::importTile(NodeContext &ctx) {
  std::shared_ptr<const HostTensor> repeats =
      ctx.getConstant(1, HostTensor::Kind::Int, "the repeats");
  if (!repeats)
    return failure();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  if (repeats->getShape() != llvm::ArrayRef<int64_t>{int64_t(in.size())})
    return ctx.emitError() << "has repeats of shape "
                           << formatShape(repeats->getShape())
                           << "; expected one per dimension of the "
                           << formatShape(in) << " input";
  llvm::SmallVector<int64_t, 4> shape;
  for (auto [d, r] : llvm::zip(in, repeats->getInts())) {
    std::optional<int64_t> size = llvm::checkedMul(d, r);
    if (r < 0 || !size)
      return ctx.emitError() << "repeats " << r << " is out of range";
    shape.push_back(*size);
  }
  return repeatTo(ctx, shape);
}
