//===- Activation.cpp - Activations, Dropout, LRN, BatchNorm, Softmax -----===//
//
// Element-wise activations map one to one; Clip (nn.clamp) takes its bounds
// as attributes before opset 11 and as constant inputs from it. The others
// carry versioned semantics that decide whether an nn op expresses them:
//  - Dropout and BatchNormalization have training modes (is_test before
//    opset 7, training_mode later) that inference cannot run.
//  - Softmax and LogSoftmax before opset 13 flatten their input to 2-D at
//    `axis` and normalise the whole tail together; from opset 13 they
//    normalise one axis. nn.softmax's `dims` expresses both.
//  - LRN's window is centred like PyTorch's only for odd sizes; even ones
//    set nn.lrn's `before`.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <array>
#include <cmath>
#include <limits>
#include <tuple>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

template <typename OpTy> static LogicalResult importUnary(NodeContext &ctx) {
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  ctx.setOutput(0, OpTy::create(ctx.getBuilder(), ctx.getLoc(), input));
  return success();
}

LogicalResult onnximport::importRelu(NodeContext &ctx) {
  return importUnary<nn::ReluOp>(ctx);
}
LogicalResult onnximport::importSigmoid(NodeContext &ctx) {
  return importUnary<nn::SigmoidOp>(ctx);
}
LogicalResult onnximport::importTanh(NodeContext &ctx) {
  return importUnary<nn::TanhOp>(ctx);
}
LogicalResult onnximport::importSoftplus(NodeContext &ctx) {
  return importUnary<nn::SoftplusOp>(ctx);
}
LogicalResult onnximport::importSoftsign(NodeContext &ctx) {
  return importUnary<nn::SoftsignOp>(ctx);
}
LogicalResult onnximport::importAbs(NodeContext &ctx) {
  return importUnary<nn::AbsOp>(ctx);
}
LogicalResult onnximport::importExp(NodeContext &ctx) {
  return importUnary<nn::ExpOp>(ctx);
}

LogicalResult onnximport::importErf(NodeContext &ctx) {
  return importUnary<nn::ErfOp>(ctx);
}
LogicalResult onnximport::importLog(NodeContext &ctx) {
  return importUnary<nn::LogOp>(ctx);
}
LogicalResult onnximport::importSqrt(NodeContext &ctx) {
  return importUnary<nn::SqrtOp>(ctx);
}
LogicalResult onnximport::importReciprocal(NodeContext &ctx) {
  return importUnary<nn::ReciprocalOp>(ctx);
}

/// Reads the scalar of constant input `i`, or `defaultValue` when absent.
static FailureOr<double> scalarInput(NodeContext &ctx, unsigned i,
                                     llvm::StringRef what,
                                     double defaultValue) {
  if (!ctx.hasInput(i))
    return defaultValue;
  const ImportedValue &value = ctx.getInput(i);
  if (!value.isConstant())
    return ctx.unsupported(what + " is computed at run time");
  if (value.constant->getNumElements() != 1)
    return ctx.emitError() << what << " must be a scalar, found "
                           << formatShape(value.constant->getShape());
  return value.constant->isFloat() ? value.constant->getFloats()[0]
                                   : (double)value.constant->getInts()[0];
}

LogicalResult onnximport::importClip(NodeContext &ctx) {
  double min, max;
  if (ctx.getOpset() < 11) {
    // Attributes, defaulting to float's lowest and highest values: even
    // without a max, Clip-6 turns +inf into FLT_MAX.
    FailureOr<float> minAttr =
        ctx.getFloat("min", std::numeric_limits<float>::lowest());
    FailureOr<float> maxAttr =
        ctx.getFloat("max", std::numeric_limits<float>::max());
    if (failed(minAttr) || failed(maxAttr))
      return failure();
    min = *minAttr;
    max = *maxAttr;
  } else {
    // Optional scalar inputs; a missing one does not clip.
    double inf = std::numeric_limits<double>::infinity();
    FailureOr<double> minInput = scalarInput(ctx, 1, "the min", -inf);
    FailureOr<double> maxInput = scalarInput(ctx, 2, "the max", inf);
    if (failed(minInput) || failed(maxInput))
      return failure();
    min = *minInput;
    max = *maxInput;
  }
  if (std::isnan(min) || std::isnan(max))
    return ctx.emitError() << "its " << (std::isnan(min) ? "min" : "max")
                           << " is NaN; a bound must be a number";
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  ctx.setOutput(0, nn::ClampOp::create(b, ctx.getLoc(), input,
                                       b.getF32FloatAttr(min),
                                       b.getF32FloatAttr(max)));
  return success();
}

/// Imports an activation whose float attributes (`constants`: each one's
/// name and its default when absent) must be finite, as
/// OpTy(input, constants...).
template <typename OpTy, size_t N>
static LogicalResult importConstantActivation(
    NodeContext &ctx,
    const std::array<std::pair<llvm::StringRef, float>, N> &constants) {
  std::array<float, N> values;
  for (auto [value, constant] : llvm::zip(values, constants)) {
    FailureOr<float> read = ctx.getFloat(constant.first, constant.second);
    if (failed(read))
      return failure();
    value = *read;
  }
  if (!llvm::all_of(values, [](float v) { return std::isfinite(v); })) {
    // "alpha must be finite, found inf", "alpha and beta must be finite,
    // found alpha nan and beta 0.5".
    std::string message;
    llvm::raw_string_ostream os(message);
    llvm::interleave(
        constants, os, [&](const auto &c) { os << c.first; }, " and ");
    os << " must be finite, found ";
    for (size_t i = 0; i < N; ++i) {
      if (i)
        os << " and ";
      if (N > 1)
        os << constants[i].first << " ";
      os << llvm::format("%g", values[i]);
    }
    return ctx.emitError() << message;
  }
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  Value result = std::apply(
      [&](auto... value) {
        return OpTy::create(b, ctx.getLoc(), input,
                            b.getF32FloatAttr(value)...);
      },
      values);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult onnximport::importLeakyRelu(NodeContext &ctx) {
  return importConstantActivation<nn::LeakyReluOp, 1>(ctx,
                                                      {{{"alpha", 0.01f}}});
}

LogicalResult onnximport::importElu(NodeContext &ctx) {
  return importConstantActivation<nn::EluOp, 1>(ctx, {{{"alpha", 1.0f}}});
}

LogicalResult onnximport::importCelu(NodeContext &ctx) {
  // alpha divides x: 0 has no meaning (ONNX's reference gives NaN).
  FailureOr<float> alpha = ctx.getFloat("alpha", 1.0f);
  if (failed(alpha))
    return failure();
  if (*alpha == 0.0f)
    return ctx.emitError() << "alpha must not be 0 (it divides x)";
  return importConstantActivation<nn::CeluOp, 1>(ctx, {{{"alpha", 1.0f}}});
}

LogicalResult onnximport::importThresholdedRelu(NodeContext &ctx) {
  return importConstantActivation<nn::ThresholdedReluOp, 1>(
      ctx, {{{"alpha", 1.0f}}});
}

LogicalResult onnximport::importSelu(NodeContext &ctx) {
  // nn.SELU's constants, which ONNX's defaults are (as float32).
  return importConstantActivation<nn::SeluOp, 2>(
      ctx, {{{"alpha", 1.67326319217681884765625f},
             {"gamma", 1.05070102214813232421875f}}});
}

LogicalResult onnximport::importHardSigmoid(NodeContext &ctx) {
  return importConstantActivation<nn::HardSigmoidOp, 2>(
      ctx, {{{"alpha", 0.2f}, {"beta", 0.5f}}});
}

LogicalResult onnximport::importHardSwish(NodeContext &ctx) {
  return importUnary<nn::HardSwishOp>(ctx);
}

LogicalResult onnximport::importDropout(NodeContext &ctx) {
  if (ctx.isOutputUsed(1))
    return ctx.unsupported("its mask output is used");
  double ratio = 0.5;
  bool training = false;
  if (ctx.getOpset() < 7) {
    FailureOr<int64_t> isTest = ctx.getInt("is_test", 0);
    if (failed(isTest))
      return failure();
    training = *isTest == 0;
  }
  if (ctx.getOpset() < 12) {
    FailureOr<float> attr = ctx.getFloat("ratio", 0.5f);
    if (failed(attr))
      return failure();
    ratio = *attr;
  } else {
    FailureOr<double> input = scalarInput(ctx, 1, "the ratio", 0.5);
    FailureOr<double> mode = scalarInput(ctx, 2, "training_mode", 0.0);
    if (failed(input) || failed(mode))
      return failure();
    ratio = *input;
    training = *mode != 0.0;
  }
  if (!(ratio >= 0.0 && ratio <= 1.0))
    return ctx.emitError() << "ratio must be in [0, 1], found " << ratio;
  // Training-mode dropout with ratio 0 keeps everything.
  if (training && ratio != 0.0)
    return ctx.unsupported("training-mode dropout is random; Kiln compiles "
                           "inference");
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  ctx.setOutput(0, nn::DropoutOp::create(b, ctx.getLoc(), input,
                                         b.getF64FloatAttr(ratio)));
  return success();
}

LogicalResult onnximport::importLRN(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  FailureOr<int64_t> size = ctx.getInt("size", 0);
  FailureOr<float> alpha = ctx.getFloat("alpha", 1e-4f);
  FailureOr<float> beta = ctx.getFloat("beta", 0.75f);
  FailureOr<float> bias = ctx.getFloat("bias", 1.0f);
  if (failed(size) || failed(alpha) || failed(beta) || failed(bias))
    return failure();
  if (*size <= 0)
    return ctx.emitError() << "needs a positive 'size', found " << *size;
  if (in.size() != 4)
    return ctx.unsupported("input " + formatShape(in) +
                           "; Kiln's LRN takes NCHW tensors");
  // The lowering pads the channels by size - 1: that tensor must fit too.
  std::optional<int64_t> padded = llvm::checkedAdd(in[1], *size - 1);
  if (!padded || !nn::checkedElementCount({in[0], *padded, in[2], in[3]}))
    return ctx.emitError() << "size " << *size << " is too large for the "
                           << formatShape(in) << " input";
  // ONNX sums channels [c - floor((size-1)/2), c + ceil((size-1)/2)],
  // PyTorch (and nn.lrn by default) [c - size/2, c + (size-1)/2]: the same
  // window for odd sizes, one channel later in ONNX for even ones.
  int64_t before = (*size - 1) / 2;
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  ctx.setOutput(
      0, nn::LRNOp::create(b, ctx.getLoc(), input, b.getI64IntegerAttr(*size),
                           b.getF64FloatAttr(*alpha), b.getF64FloatAttr(*beta),
                           b.getF64FloatAttr(*bias),
                           before == *size / 2 ? IntegerAttr()
                                               : b.getI64IntegerAttr(before)));
  return success();
}

LogicalResult onnximport::importBatchNormalization(NodeContext &ctx) {
  for (unsigned i = 1; i < 5; ++i)
    if (ctx.isOutputUsed(i))
      return ctx.unsupported("its training statistics output " +
                             std::to_string(i) + " is used");
  int64_t opset = ctx.getOpset();
  FailureOr<int64_t> isTest = ctx.getInt("is_test", 0);
  FailureOr<int64_t> spatial = ctx.getInt("spatial", 1);
  FailureOr<int64_t> trainingMode = ctx.getInt("training_mode", 0);
  FailureOr<float> epsilon = ctx.getFloat("epsilon", 1e-5f);
  if (failed(isTest) || failed(spatial) || failed(trainingMode) ||
      failed(epsilon))
    return failure();
  if ((opset < 7 && *isTest == 0) || *trainingMode != 0)
    return ctx.unsupported("training mode normalises with the batch's own "
                           "statistics; Kiln compiles inference");
  if (opset < 9 && *spatial == 0)
    return ctx.unsupported("spatial=0 (statistics per element rather than "
                           "per channel)");
  if (!(*epsilon > 0.0f))
    return ctx.emitError() << "epsilon must be positive, found " << *epsilon;
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  if (in.size() != 4)
    return ctx.unsupported("input " + formatShape(in) +
                           "; Kiln's batch normalisation takes NCHW tensors");
  const char *names[] = {"", "the scale", "the bias", "the mean",
                         "the variance"};
  Value params[5];
  for (unsigned i = 1; i < 5; ++i) {
    if (!ctx.hasInput(i))
      return ctx.emitError() << "needs 5 inputs (X, scale, B, mean, var)";
    std::shared_ptr<const HostTensor> param =
        ctx.getConstant(i, HostTensor::Kind::Float, names[i]);
    if (!param)
      return failure();
    if (param->getShape() != llvm::ArrayRef<int64_t>{in[1]})
      return ctx.emitError()
             << names[i] << " '" << param->getName() << "' is "
             << formatShape(param->getShape()) << ", expected " << in[1]
             << " (one per channel of the " << formatShape(in) << " input)";
    params[i] = ctx.materialize(param);
  }
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  ctx.setOutput(0, nn::BatchNormOp::create(b, ctx.getLoc(), input.getType(),
                                           input, params[1], params[2],
                                           params[3], params[4],
                                           b.getF64FloatAttr(*epsilon)));
  return success();
}

/// Softmax and LogSoftmax: nn.softmax over the dimensions ONNX normalises.
static LogicalResult importSoftmaxLike(NodeContext &ctx, bool log) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  int64_t rank = in.size();
  bool coerced = ctx.getOpset() < 13;
  FailureOr<int64_t> axisAttr = ctx.getInt("axis", coerced ? 1 : -1);
  if (failed(axisAttr))
    return failure();
  if (rank == 0)
    return ctx.unsupported("its input is a scalar");
  if (*axisAttr < -rank || *axisAttr >= rank)
    return ctx.emitError() << "axis " << *axisAttr
                           << " is out of range for the " << formatShape(in)
                           << " input";
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  // Before opset 13 the input is read as 2-D split at `axis`: dimensions
  // [axis, rank) are normalised together. Trailing ones change nothing.
  int64_t end = coerced ? rank : axis + 1;
  while (end > axis + 1 && in[end - 1] == 1)
    --end;
  llvm::SmallVector<int64_t> dims;
  for (int64_t d = axis; d < end; ++d)
    dims.push_back(d);
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  bool plain = dims.size() == 1 && dims[0] == 1;
  ctx.setOutput(0, nn::SoftmaxOp::create(b, ctx.getLoc(), input,
                                         plain ? DenseI64ArrayAttr()
                                               : b.getDenseI64ArrayAttr(dims),
                                         log));
  return success();
}

LogicalResult onnximport::importSoftmax(NodeContext &ctx) {
  return importSoftmaxLike(ctx, /*log=*/false);
}

LogicalResult onnximport::importLogSoftmax(NodeContext &ctx) {
  return importSoftmaxLike(ctx, /*log=*/true);
}
