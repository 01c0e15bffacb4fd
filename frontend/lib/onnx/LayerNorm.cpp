//===- LayerNorm.cpp - LayerNormalization and InstanceNormalization -------===//
//
// LayerNormalization (opset 17) normalises over the dimensions from `axis`
// on, InstanceNormalization over the spatial ones (per image and channel):
// Y = (X - mean) / sqrt(var + epsilon) * Scale + B. nn has no op of its own
// for them; they are written, as ONNX's function body writes a layer norm,
// with nn.reduce_mean, nn.sub, nn.mul, nn.sqrt and nn.div. The constants
// broadcast as right operands at their own sizes: epsilon is added as
// -epsilon subtracted, B as -B (both exact), Scale multiplies.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

namespace {
/// A normalisation's result and its statistics, whose reduced dimensions
/// stay as 1s.
struct Normalized {
  Value y, mean, deviation;
};
} // namespace

/// (x - mean) / sqrt(var + epsilon), the statistics over `dims`.
static Normalized normalize(NodeContext &ctx, Value x,
                            llvm::ArrayRef<int64_t> dims, float epsilon) {
  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  llvm::ArrayRef<int64_t> shape =
      cast<RankedTensorType>(x.getType()).getShape();
  llvm::SmallVector<int64_t> reducedShape(shape);
  for (int64_t d : dims)
    reducedShape[d] = 1;
  auto reducedType = RankedTensorType::get(reducedShape, b.getF32Type());
  auto mean = [&](Value v) {
    return nn::ReduceMeanOp::create(b, loc, reducedType, v,
                                    b.getDenseI64ArrayAttr(dims))
        .getResult();
  };
  Value average = mean(x);
  Value centered = nn::SubOp::create(b, loc, x, average);
  Value variance =
      mean(nn::MulOp::create(b, loc, centered, centered).getResult());
  Value minusEpsilon =
      materializeAligned(ctx, ctx.getNode().output(0) + ".minus_epsilon", {},
                         shape.size(), {epsilon}, /*negate=*/true);
  Value deviation = nn::SqrtOp::create(
      b, loc, nn::SubOp::create(b, loc, variance, minusEpsilon));
  return {nn::DivOp::create(b, loc, centered, deviation), average, deviation};
}

LogicalResult onnximport::importLayerNormalization(NodeContext &ctx) {
  const ImportedValue &x = ctx.getInput(0);
  if (x.isConstant())
    return ctx.unsupported("it normalises a constant");
  llvm::ArrayRef<int64_t> shape = x.getShape();
  int64_t rank = shape.size();
  FailureOr<int64_t> axisAttr = ctx.getInt("axis", -1);
  FailureOr<float> epsilon = ctx.getFloat("epsilon", 1e-5f);
  FailureOr<int64_t> stashType = ctx.getInt("stash_type", 1);
  if (failed(axisAttr) || failed(epsilon) || failed(stashType))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(ctx, *axisAttr, rank);
  if (failed(axis))
    return failure();
  if (*stashType != 1)
    return ctx.unsupported("stash_type " + std::to_string(*stashType) +
                           "; Kiln computes its statistics in float32");
  llvm::ArrayRef<int64_t> normalized = shape.drop_front(*axis);

  // Scale and B: float constants that broadcast to the normalised shape.
  auto readParameter =
      [&](unsigned i,
          llvm::StringRef what) -> std::shared_ptr<const HostTensor> {
    std::shared_ptr<const HostTensor> p =
        ctx.getConstant(i, HostTensor::Kind::Float, what);
    if (!p)
      return nullptr;
    llvm::ArrayRef<int64_t> s = p->getShape();
    bool broadcasts = s.size() <= normalized.size();
    for (size_t d = 0; broadcasts && d < s.size(); ++d) {
      int64_t target = normalized[normalized.size() - s.size() + d];
      broadcasts = s[d] == target || s[d] == 1;
    }
    if (!broadcasts) {
      (void)(ctx.emitError()
             << what << " '" << p->getName() << "' is " << formatShape(s)
             << ", which does not broadcast "
             << "to the normalised " << formatShape(normalized));
      return nullptr;
    }
    return p;
  };
  std::shared_ptr<const HostTensor> scale = readParameter(1, "the scale");
  if (!scale)
    return failure();
  std::shared_ptr<const HostTensor> shift;
  if (ctx.hasInput(2) && !(shift = readParameter(2, "the bias")))
    return failure();

  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  llvm::SmallVector<int64_t> dims;
  for (int64_t d = *axis; d < rank; ++d)
    dims.push_back(d);
  Normalized result = normalize(ctx, x.tensor, dims, *epsilon);
  Value y = nn::MulOp::create(b, loc, result.y,
                              materializeAligned(ctx, scale->getName(),
                                                 scale->getShape(), rank,
                                                 scale->getFloats(), false));
  if (shift)
    y = nn::SubOp::create(b, loc, y,
                          materializeAligned(ctx, shift->getName() + ".negated",
                                             shift->getShape(), rank,
                                             shift->getFloats(), true));
  ctx.setOutput(0, y);
  // The statistics, which training graphs (and ONNX's tests) also output.
  ctx.setOutput(1, result.mean);
  if (ctx.isOutputUsed(2))
    ctx.setOutput(
        2, nn::ReciprocalOp::create(b, loc, result.deviation).getResult());
  return success();
}

LogicalResult onnximport::importInstanceNormalization(NodeContext &ctx) {
  const ImportedValue &x = ctx.getInput(0);
  if (x.isConstant())
    return ctx.unsupported("it normalises a constant");
  llvm::ArrayRef<int64_t> shape = x.getShape();
  if (shape.size() < 3)
    return ctx.emitError() << "input is " << formatShape(shape)
                           << "; instance normalisation needs [N, C, ...] "
                              "with at least one spatial dimension";
  FailureOr<float> epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (failed(epsilon))
    return failure();
  // Scale and B: one value per channel, as [1, C, 1, ...].
  llvm::SmallVector<int64_t, 4> channelShape(shape.size(), 1);
  channelShape[1] = shape[1];
  Value parameters[2];
  for (unsigned i : {1u, 2u}) {
    std::shared_ptr<const HostTensor> p = ctx.getConstant(
        i, HostTensor::Kind::Float, i == 1 ? "the scale" : "the bias");
    if (!p)
      return failure();
    if (p->getShape() != llvm::ArrayRef<int64_t>{shape[1]})
      return ctx.emitError()
             << (i == 1 ? "scale '" : "bias '") << p->getName() << "' is "
             << formatShape(p->getShape()) << ", expected " << shape[1]
             << " (one per channel)";
    parameters[i - 1] = materializeAligned(
        ctx, i == 1 ? p->getName() : p->getName() + ".negated", channelShape,
        shape.size(), p->getFloats(), /*negate=*/i == 2);
  }
  llvm::SmallVector<int64_t> dims;
  for (int64_t d = 2, e = shape.size(); d < e; ++d)
    dims.push_back(d);
  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  Value y = nn::MulOp::create(
      b, loc, normalize(ctx, x.tensor, dims, *epsilon).y, parameters[0]);
  ctx.setOutput(0, nn::SubOp::create(b, loc, y, parameters[1]));
  return success();
}
