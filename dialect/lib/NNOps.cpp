//===- NNOps.cpp - Verifiers and folders of nn ops ------------------------===//
//
// Verifiers check the complete shape arithmetic of each layer and name the
// offending dimension, the expected and the found value.
//
//===----------------------------------------------------------------------===//
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::nn;

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

static LogicalResult verifyRank(Operation *op, Value value, StringRef what,
                                int64_t rank) {
  int64_t found = cast<RankedTensorType>(value.getType()).getRank();
  if (found != rank)
    return op->emitOpError()
           << "expects " << what << " of rank " << rank << ", found rank "
           << found << " (" << formatShape(shapeOf(value)) << ")";
  return success();
}

/// Checks one dimension of an operand against the value the layer implies.
static LogicalResult verifyDim(Operation *op, Value value, StringRef what,
                               unsigned dim, int64_t expected) {
  int64_t found = shapeOf(value)[dim];
  if (found != expected)
    return op->emitOpError() << what << " dimension " << dim << " is " << found
                             << ", expected " << expected;
  return success();
}

static LogicalResult verifyResultShape(Operation *op,
                                       ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> found = shapeOf(op->getResult(0));
  if (found.size() != expected.size())
    return op->emitOpError() << "result has rank " << found.size()
                             << ", expected rank " << expected.size();
  for (auto [dim, pair] : llvm::enumerate(llvm::zip(found, expected)))
    if (std::get<0>(pair) != std::get<1>(pair))
      return op->emitOpError()
             << "result dimension " << dim << " is " << std::get<0>(pair)
             << ", expected " << std::get<1>(pair) << " (result "
             << formatShape(found) << ", expected " << formatShape(expected)
             << ")";
  return success();
}

static LogicalResult verifyPositivePair(Operation *op, StringRef name,
                                        ArrayRef<int64_t> values) {
  if (values.size() != 2)
    return op->emitOpError()
           << name << " needs 2 values [h, w], found " << values.size();
  for (int64_t v : values)
    if (v <= 0)
      return op->emitOpError() << name << " must be positive, found " << v;
  return success();
}

static LogicalResult verifyPadding(Operation *op, ArrayRef<int64_t> padding) {
  if (padding.size() != 4)
    return op->emitOpError()
           << "padding needs 4 values [top, left, bottom, right], found "
           << padding.size();
  for (int64_t v : padding)
    if (v < 0)
      return op->emitOpError() << "padding must be non-negative, found " << v;
  return success();
}

/// Computes the spatial output size of a window op; fails when a dimension
/// would be empty.
static FailureOr<std::pair<int64_t, int64_t>>
windowOutput(Operation *op, ArrayRef<int64_t> inputShape,
             ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
             ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
             bool ceilMode) {
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    WindowDim d{inputShape[2 + i], kernel[i],   stride[i], padding[i],
                padding[2 + i],    dilation[i], ceilMode};
    std::optional<int64_t> size = windowOutputSize(d);
    if (!size)
      return op->emitOpError()
             << "window arithmetic overflows on dimension " << 2 + i;
    if (*size <= 0)
      return op->emitOpError()
             << "window of " << kernel[i] << " (dilation " << dilation[i]
             << ") on input dimension " << 2 + i << " of size "
             << inputShape[2 + i] << " with padding " << padding[i] << "+"
             << padding[2 + i] << " gives an empty output";
    out[i] = *size;
  }
  return std::make_pair(out[0], out[1]);
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

/// Checks a convolution's operands and attributes; returns its result shape.
static FailureOr<SmallVector<int64_t, 4>>
verifyConvolution(Operation *op, Value input, Value weight, Value bias,
                  ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                  ArrayRef<int64_t> dilation, int64_t groups) {
  if (failed(verifyRank(op, input, "input", 4)) ||
      failed(verifyRank(op, weight, "weight", 4)) ||
      failed(verifyPositivePair(op, "stride", stride)) ||
      failed(verifyPositivePair(op, "dilation", dilation)) ||
      failed(verifyPadding(op, padding)))
    return failure();
  if (groups <= 0)
    return op->emitOpError() << "groups must be positive, found " << groups;
  ArrayRef<int64_t> in = shapeOf(input), w = shapeOf(weight);
  if (in[1] % groups != 0)
    return op->emitOpError()
           << "groups (" << groups << ") must divide the input channels ("
           << in[1] << ")";
  if (w[0] % groups != 0)
    return op->emitOpError()
           << "groups (" << groups << ") must divide the output channels ("
           << w[0] << ")";
  if (failed(verifyDim(op, weight, "weight", 1, in[1] / groups)))
    return failure();
  if (bias && (failed(verifyRank(op, bias, "bias", 1)) ||
               failed(verifyDim(op, bias, "bias", 0, w[0]))))
    return failure();
  FailureOr<std::pair<int64_t, int64_t>> hw =
      windowOutput(op, in, w.drop_front(2), stride, padding, dilation,
                   /*ceilMode=*/false);
  if (failed(hw))
    return failure();
  return SmallVector<int64_t, 4>{in[0], w[0], hw->first, hw->second};
}

LogicalResult Conv2DOp::verify() {
  FailureOr<SmallVector<int64_t, 4>> shape =
      verifyConvolution(getOperation(), getInput(), getWeight(), getBias(),
                        getStride(), getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  return verifyResultShape(getOperation(), *shape);
}

//===----------------------------------------------------------------------===//
// ConvTranspose2DOp
//===----------------------------------------------------------------------===//

LogicalResult ConvTranspose2DOp::verify() {
  Operation *op = getOperation();
  Value input = getInput(), weight = getWeight(), bias = getBias();
  if (failed(verifyRank(op, input, "input", 4)) ||
      failed(verifyRank(op, weight, "weight", 4)) ||
      failed(verifyPositivePair(op, "stride", getStride())) ||
      failed(verifyPositivePair(op, "dilation", getDilation())) ||
      failed(verifyPadding(op, getPadding())))
    return failure();
  ArrayRef<int64_t> outputPadding = getOutputPadding();
  if (outputPadding.size() != 2)
    return emitOpError() << "output_padding needs 2 values [h, w], found "
                         << outputPadding.size();
  for (int64_t v : outputPadding)
    if (v < 0)
      return emitOpError() << "output_padding must be non-negative, found "
                           << v;
  int64_t groups = getGroups();
  if (groups <= 0)
    return emitOpError() << "groups must be positive, found " << groups;
  ArrayRef<int64_t> in = shapeOf(input), w = shapeOf(weight);
  // The weight is [in, out/groups, kh, kw]: one slice per input channel.
  if (failed(verifyDim(op, weight, "weight", 0, in[1])))
    return failure();
  if (in[1] % groups != 0)
    return emitOpError() << "groups (" << groups
                         << ") must divide the input channels (" << in[1]
                         << ")";
  std::optional<int64_t> outChannels = llvm::checkedMul(w[1], groups);
  if (!outChannels)
    return emitOpError() << "output channel count overflows";
  if (bias && (failed(verifyRank(op, bias, "bias", 1)) ||
               failed(verifyDim(op, bias, "bias", 0, *outChannels))))
    return failure();
  SmallVector<int64_t, 4> shape = {in[0], *outChannels, 0, 0};
  SmallVector<int64_t, 4> spread = {in[0], in[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    // (in - 1) * stride + dilation * (kernel - 1) + 1 + output_padding
    // - pad_begin - pad_end, checked: every term comes from the IR.
    std::optional<int64_t> size =
        llvm::checkedMul(in[2 + i] - 1, getStride()[i]);
    std::optional<int64_t> span =
        llvm::checkedMul(getDilation()[i], w[2 + i] - 1);
    for (std::optional<int64_t> term :
         {span, std::optional<int64_t>(1),
          std::optional<int64_t>(outputPadding[i])})
      size = size && term ? llvm::checkedAdd(*size, *term) : std::nullopt;
    for (int64_t pad : {getPadding()[i], getPadding()[2 + i]})
      size = size ? llvm::checkedSub(*size, pad) : std::nullopt;
    if (!size)
      return emitOpError() << "window arithmetic overflows on dimension "
                           << 2 + i;
    if (*size <= 0)
      return emitOpError() << "padding " << getPadding()[i] << "+"
                           << getPadding()[2 + i]
                           << " crops all of output dimension " << 2 + i;
    shape[2 + i] = *size;
    // The lowering convolves the input spread apart by the stride and
    // surrounded by up to `span` (+ output_padding) zeros: that tensor must
    // fit where the result does, even when padding crops most of it.
    std::optional<int64_t> spreadSize =
        llvm::checkedMul(in[2 + i] - 1, getStride()[i]);
    for (int64_t cells : {int64_t(1), *span - getPadding()[i],
                          *span - getPadding()[2 + i] + outputPadding[i]})
      spreadSize = spreadSize ? llvm::checkedAdd(*spreadSize,
                                                 std::max<int64_t>(cells, 0))
                              : std::nullopt;
    spread[2 + i] = spreadSize.value_or(-1);
  }
  if (!checkedElementCount(spread))
    return emitOpError() << "the input spread apart by the stride ("
                         << formatShape(spread)
                         << ") is too large: tensors are limited to 2^40 bytes";
  return verifyResultShape(op, shape);
}

//===----------------------------------------------------------------------===//
// FusedConv2DOp
//===----------------------------------------------------------------------===//

SmallVector<int64_t, 4> FusedConv2DOp::getConvolutionShape() {
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight());
  SmallVector<int64_t, 4> shape = {in[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t span = getDilation()[i] * (w[2 + i] - 1) + 1;
    shape[2 + i] = (in[2 + i] + getPadding()[i] + getPadding()[2 + i] - span) /
                       getStride()[i] +
                   1;
  }
  return shape;
}

LogicalResult FusedConv2DOp::verify() {
  Operation *op = getOperation();
  FailureOr<SmallVector<int64_t, 4>> shape =
      verifyConvolution(op, getInput(), getWeight(), getBias(), getStride(),
                        getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  if (int(getRelu()) + int(getClamp().has_value()) + int(getHardswish()) +
          int(getSilu()) >
      1)
    return emitOpError()
           << "has more than one of relu, clamp, hardswish and silu";
  if (std::optional<ArrayRef<float>> clamp = getClamp()) {
    // Finite: MLIR prints an infinite array element as INF, which it cannot
    // read back (kiln-fuse leaves clamps with an infinite bound unfused).
    if (clamp->size() != 2 || !std::isfinite((*clamp)[0]) ||
        !std::isfinite((*clamp)[1]))
      return emitOpError() << "clamp must be two finite numbers [lo, hi]";
  }
  std::optional<StringRef> pool = getPool();
  if (!pool) {
    if (getPoolKernel() || getPoolStride())
      return emitOpError() << "has a pool kernel or stride but no pool kind";
    return verifyResultShape(op, *shape);
  }
  if (getHardswish() || getSilu())
    return emitOpError() << "has a pool after "
                         << (getSilu() ? "silu" : "hardswish")
                         << ", which does not commute with it";
  if (*pool != "max" && *pool != "avg")
    return emitOpError() << "pool must be \"max\" or \"avg\", found \"" << *pool
                         << "\"";
  if (!getPoolKernel() || !getPoolStride())
    return emitOpError() << "needs a pool kernel and a pool stride";
  ArrayRef<int64_t> kernel = *getPoolKernel(), stride = *getPoolStride();
  if (failed(verifyPositivePair(op, "pool kernel", kernel)) ||
      failed(verifyPositivePair(op, "pool stride", stride)))
    return failure();
  SmallVector<int64_t, 4> pooled = *shape;
  for (int i = 0; i < 2; ++i) {
    if (kernel[i] > (*shape)[2 + i])
      return emitOpError() << "pool kernel " << kernel[i]
                           << " is larger than the convolution's output ("
                           << (*shape)[2 + i] << ")";
    pooled[2 + i] = ((*shape)[2 + i] - kernel[i]) / stride[i] + 1;
  }
  return verifyResultShape(op, pooled);
}

std::optional<Activation> FusedConv2DOp::getActivation() {
  if (getRelu())
    return Activation::clamp(0.0, std::numeric_limits<double>::infinity());
  if (std::optional<ArrayRef<float>> clamp = getClamp())
    return Activation::clamp((*clamp)[0], (*clamp)[1]);
  if (getHardswish())
    return Activation::hardSwish();
  if (getSilu())
    return Activation::silu();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

/// Checks a linear layer's operands; returns its result shape.
static FailureOr<SmallVector<int64_t, 2>>
verifyLinear(Operation *op, Value input, Value weight, Value bias) {
  if (failed(verifyRank(op, input, "input", 2)) ||
      failed(verifyRank(op, weight, "weight", 2)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(input), w = shapeOf(weight);
  if (failed(verifyDim(op, weight, "weight", 1, in[1])))
    return failure();
  if (bias && (failed(verifyRank(op, bias, "bias", 1)) ||
               failed(verifyDim(op, bias, "bias", 0, w[0]))))
    return failure();
  return SmallVector<int64_t, 2>{in[0], w[0]};
}

LogicalResult LinearOp::verify() {
  FailureOr<SmallVector<int64_t, 2>> shape =
      verifyLinear(getOperation(), getInput(), getWeight(), getBias());
  return failed(shape) ? failure() : verifyResultShape(getOperation(), *shape);
}

LogicalResult FusedLinearOp::verify() {
  FailureOr<SmallVector<int64_t, 2>> shape =
      verifyLinear(getOperation(), getInput(), getWeight(), getBias());
  return failed(shape) ? failure() : verifyResultShape(getOperation(), *shape);
}

//===----------------------------------------------------------------------===//
// ClampOp, LeakyReluOp, EluOp, SeluOp, ThresholdedReluOp and HardSigmoidOp
//===----------------------------------------------------------------------===//

/// %g: "6", "0.25", "inf", "nan".
static std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

LogicalResult ClampOp::verify() {
  double min = getMinAttr().getValueAsDouble();
  double max = getMaxAttr().getValueAsDouble();
  if (std::isnan(min) || std::isnan(max))
    return emitOpError() << "bounds must be numbers, found min "
                         << formatNumber(min) << " and max "
                         << formatNumber(max);
  return success();
}

/// Checks that an activation's constants (name, attribute) are finite:
/// "slope must be finite, found inf", "alpha and beta must be finite, found
/// alpha nan and beta 0.5".
static LogicalResult
verifyFinite(Operation *op,
             ArrayRef<std::pair<StringRef, FloatAttr>> constants) {
  if (llvm::all_of(constants, [](const auto &c) {
        return std::isfinite(c.second.getValueAsDouble());
      }))
    return success();
  InFlightDiagnostic diag = op->emitOpError();
  llvm::interleave(
      constants, [&](const auto &c) { diag << c.first; },
      [&] { diag << " and "; });
  diag << " must be finite, found ";
  llvm::interleave(
      constants,
      [&](const auto &c) {
        if (constants.size() > 1)
          diag << c.first << " ";
        diag << formatNumber(c.second.getValueAsDouble());
      },
      [&] { diag << " and "; });
  return diag;
}

LogicalResult LeakyReluOp::verify() {
  return verifyFinite(*this, {{"slope", getSlopeAttr()}});
}

LogicalResult EluOp::verify() {
  return verifyFinite(*this, {{"alpha", getAlphaAttr()}});
}

LogicalResult CeluOp::verify() {
  if (failed(verifyFinite(*this, {{"alpha", getAlphaAttr()}})))
    return failure();
  if (getAlphaAttr().getValue().isZero())
    return emitOpError() << "alpha must not be 0 (it divides x)";
  return success();
}

LogicalResult SeluOp::verify() {
  return verifyFinite(*this,
                      {{"alpha", getAlphaAttr()}, {"gamma", getGammaAttr()}});
}

LogicalResult ThresholdedReluOp::verify() {
  return verifyFinite(*this, {{"alpha", getAlphaAttr()}});
}

LogicalResult HardSigmoidOp::verify() {
  return verifyFinite(*this,
                      {{"alpha", getAlphaAttr()}, {"beta", getBetaAttr()}});
}

//===----------------------------------------------------------------------===//
// DropoutOp
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0.0 && p <= 1.0))
    return emitOpError() << "probability must be in [0, 1], found " << p;
  return success();
}

OpFoldResult DropoutOp::fold(FoldAdaptor) { return getInput(); }

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

static LogicalResult verifyPool(Operation *op, Value input,
                                ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> stride,
                                ArrayRef<int64_t> padding, bool ceilMode,
                                ArrayRef<int64_t> dilation = {1, 1}) {
  if (failed(verifyRank(op, input, "input", 4)) ||
      failed(verifyPositivePair(op, "kernel", kernel)) ||
      failed(verifyPositivePair(op, "stride", stride)) ||
      failed(verifyPositivePair(op, "dilation", dilation)) ||
      failed(verifyPadding(op, padding)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(input);
  FailureOr<std::pair<int64_t, int64_t>> hw =
      windowOutput(op, in, kernel, stride, padding, dilation, ceilMode);
  if (failed(hw))
    return failure();
  // Every window must reach the input: one of nothing but padding has no
  // maximum or average. (The spec language is stricter, as PyTorch is:
  // padding at most half the kernel.)
  int64_t out[2] = {hw->first, hw->second};
  for (int i = 0; i < 2; ++i)
    if (!windowsReachInput({in[2 + i], kernel[i], stride[i], padding[i],
                            padding[2 + i], dilation[i], ceilMode},
                           out[i]))
      return op->emitOpError()
             << "padding " << padding[i] << "+" << padding[2 + i]
             << " on input dimension " << 2 + i
             << " gives windows of nothing but padding";
  return verifyResultShape(op, {in[0], in[1], hw->first, hw->second});
}

LogicalResult MaxPool2DOp::verify() {
  return verifyPool(getOperation(), getInput(), getKernel(), getStride(),
                    getPadding(), getCeilMode(),
                    getDilation().value_or(ArrayRef<int64_t>{1, 1}));
}

LogicalResult AvgPool2DOp::verify() {
  return verifyPool(getOperation(), getInput(), getKernel(), getStride(),
                    getPadding(), getCeilMode());
}

LogicalResult AdaptiveAvgPool2DOp::verify() {
  Operation *op = getOperation();
  if (failed(verifyRank(op, getInput(), "input", 4)) ||
      failed(verifyRank(op, getResult(), "result", 4)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  for (int dim = 2; dim < 4; ++dim)
    if (out[dim] <= 0)
      return emitOpError() << "output size must be positive, found " << out[dim]
                           << " in dimension " << dim;
  return verifyResultShape(op, {in[0], in[1], out[2], out[3]});
}

OpFoldResult AdaptiveAvgPool2DOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

LogicalResult LRNOp::verify() {
  if (failed(verifyRank(getOperation(), getInput(), "input", 4)))
    return failure();
  // I64Attr accessors return uint64_t; the attributes hold signed values.
  int64_t size = getSizeAttr().getInt();
  if (size <= 0)
    return emitOpError() << "size must be positive, found " << size;
  if (IntegerAttr beforeAttr = getBeforeAttr()) {
    int64_t before = beforeAttr.getInt();
    if (before < 0 || before >= size)
      return emitOpError() << "before must be in [0, size - 1], found "
                           << before;
  }
  // The window runs over the channels zero-padded by size - 1: that padded
  // tensor must be representable too.
  SmallVector<int64_t> padded(shapeOf(getInput()));
  std::optional<int64_t> channels =
      llvm::checkedAdd<int64_t>(padded[1], size - 1);
  if (channels)
    padded[1] = *channels;
  if (!channels || !checkedElementCount(padded))
    return emitOpError() << "size " << size
                         << " is too large: the channels padded for its "
                            "window exceed the tensor size limit";
  return success();
}

LogicalResult BatchNormOp::verify() {
  Operation *op = getOperation();
  if (failed(verifyRank(op, getInput(), "input", 4)))
    return failure();
  int64_t channels = shapeOf(getInput())[1];
  std::pair<Value, StringRef> params[] = {{getWeight(), "weight"},
                                          {getBias(), "bias"},
                                          {getRunningMean(), "running_mean"},
                                          {getRunningVar(), "running_var"}};
  for (auto [value, name] : params)
    if (failed(verifyRank(op, value, name, 1)) ||
        failed(verifyDim(op, value, name, 0, channels)))
      return failure();
  if (!(getEps().convertToDouble() > 0.0))
    return emitOpError() << "eps must be positive";
  return verifyResultShape(op, shapeOf(getInput()));
}

SmallVector<int64_t> SoftmaxOp::getNormalizedDims() {
  if (std::optional<ArrayRef<int64_t>> dims = getDims())
    return SmallVector<int64_t>(*dims);
  return {1};
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = cast<RankedTensorType>(getType()).getRank();
  if (!getDims()) {
    if (rank < 2)
      return emitOpError() << "needs a tensor of rank >= 2 (softmax runs over "
                              "dimension 1)";
    return success();
  }
  ArrayRef<int64_t> dims = *getDims();
  if (dims.empty())
    return emitOpError() << "dims must name at least one dimension";
  for (auto [i, dim] : llvm::enumerate(dims)) {
    if (dim < 0 || dim >= rank)
      return emitOpError() << "dim " << dim << " is out of range for rank "
                           << rank;
    if (i > 0 && dim != dims[i - 1] + 1)
      return emitOpError() << "dims must be consecutive and ascending";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceProdOp
//===----------------------------------------------------------------------===//

/// Checks that `dims` are ascending dimensions of the input and that the
/// result is the input with those dimensions of size 1.
static LogicalResult verifyReduction(Operation *op, ArrayRef<int64_t> dims) {
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  int64_t rank = in.size();
  if (dims.empty())
    return op->emitOpError() << "dims must name at least one dimension";
  for (auto [i, dim] : llvm::enumerate(dims)) {
    if (dim < 0 || dim >= rank)
      return op->emitOpError()
             << "dim " << dim << " is out of range for rank " << rank;
    if (i > 0 && dim <= dims[i - 1])
      return op->emitOpError() << "dims must be ascending and distinct";
  }
  SmallVector<int64_t> expected(in);
  for (int64_t dim : dims)
    expected[dim] = 1;
  return verifyResultShape(op, expected);
}

LogicalResult ReduceSumOp::verify() {
  return verifyReduction(getOperation(), getDims());
}

LogicalResult ReduceMeanOp::verify() {
  return verifyReduction(getOperation(), getDims());
}

LogicalResult ReduceMaxOp::verify() {
  return verifyReduction(getOperation(), getDims());
}

LogicalResult ReduceProdOp::verify() {
  return verifyReduction(getOperation(), getDims());
}

//===----------------------------------------------------------------------===//
// FlattenOp
//===----------------------------------------------------------------------===//

LogicalResult FlattenOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.empty())
    return emitOpError() << "cannot flatten a scalar";
  int64_t axis = getAxis().value_or(1);
  if (axis < 0 || axis > (int64_t)in.size())
    return emitOpError() << "axis " << axis << " is out of range [0, "
                         << in.size() << "]";
  // Static shapes are bounded by checkedElementCount: no overflow.
  int64_t outer = 1, inner = 1;
  for (auto [d, dim] : llvm::enumerate(in))
    ((int64_t)d < axis ? outer : inner) *= dim;
  return verifyResultShape(getOperation(), {outer, inner});
}

OpFoldResult FlattenOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  // Static shapes are bounded by checkedElementCount: no overflow.
  int64_t in = getInput().getType().getNumElements();
  int64_t out = getType().getNumElements();
  if (in != out)
    return emitOpError() << "cannot reshape " << in << " elements into " << out;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A reshape of a reshape is one reshape of the first input (or that input
  // itself, when the two undo each other).
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    if (producer.getInput().getType() == getType())
      return producer.getInput();
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

SmallVector<int64_t> SliceOp::getStridesOrOnes() {
  if (std::optional<ArrayRef<int64_t>> strides = getStrides())
    return SmallVector<int64_t>(*strides);
  return SmallVector<int64_t>(getOffsets().size(), 1);
}

LogicalResult SliceOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  ArrayRef<int64_t> offsets = getOffsets();
  SmallVector<int64_t> strides = getStridesOrOnes();
  if (out.size() != in.size())
    return emitOpError() << "result has rank " << out.size()
                         << ", expected the input's " << in.size();
  if (offsets.size() != in.size() || strides.size() != in.size())
    return emitOpError() << "needs one offset and one stride per dimension ("
                         << in.size() << "), found " << offsets.size()
                         << " and " << strides.size();
  for (auto [d, dim] : llvm::enumerate(in)) {
    if (strides[d] == 0)
      return emitOpError() << "stride of dimension " << d << " is 0";
    if (out[d] == 0)
      return emitOpError() << "dimension " << d << " of the result is empty";
    // The last element read (attributes may hold any 64-bit value); a
    // negative stride reads backwards from the offset.
    std::optional<int64_t> last = llvm::checkedMul(out[d] - 1, strides[d]);
    if (last)
      last = llvm::checkedAdd(*last, offsets[d]);
    if (offsets[d] < 0 || offsets[d] >= dim || !last || *last < 0 ||
        *last >= dim)
      return emitOpError() << "dimension " << d << " reads " << out[d]
                           << " elements from " << offsets[d] << " by "
                           << strides[d] << ", past the input's " << dim;
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  // The whole input in order: offsets 0 (verified) and, but for
  // dimensions of size 1, strides 1.
  if (getInput().getType() != getType())
    return {};
  for (auto [stride, size] :
       llvm::zip(getStridesOrOnes(), getType().getShape()))
    if (stride < 0 && size > 1)
      return {}; // Reversed.
  return getInput();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), perm = getPerm();
  if (perm.size() != in.size())
    return emitOpError() << "perm has " << perm.size()
                         << " values for an input of rank " << in.size();
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)in.size() || seen[p])
      return emitOpError() << "perm must be a permutation of [0, " << in.size()
                           << "), found " << p;
    seen[p] = true;
    expected.push_back(in[p]);
  }
  return verifyResultShape(getOperation(), expected);
}

//===----------------------------------------------------------------------===//
// MulOp, SubOp, DivOp, MaximumOp, MinimumOp, PowOp
//===----------------------------------------------------------------------===//

/// Checks that `rhs` (called `rhsName`) broadcasts to `lhs` along its
/// dimensions of size 1, as nn.mul's right operand and nn.prelu's slope do.
static LogicalResult verifyRightBroadcast(Operation *op, Value lhsValue,
                                          Value rhsValue, StringRef lhsName,
                                          StringRef rhsName) {
  ArrayRef<int64_t> lhs = shapeOf(lhsValue), rhs = shapeOf(rhsValue);
  if (lhs.size() != rhs.size())
    return op->emitOpError() << "operands have ranks " << lhs.size() << " and "
                             << rhs.size() << ", expected one rank";
  for (auto [d, sizes] : llvm::enumerate(llvm::zip(lhs, rhs))) {
    auto [l, r] = sizes;
    if (r != l && r != 1)
      return op->emitOpError()
             << rhsName << " dimension " << d << " is " << r << ", expected "
             << (l == 1 ? "1, the " + lhsName.str() + "'s size"
                        : std::to_string(l) + " or 1")
             << " (only the " << rhsName << " broadcasts)";
  }
  return success();
}

LogicalResult MulOp::verify() {
  return verifyRightBroadcast(getOperation(), getLhs(), getRhs(), "lhs", "rhs");
}

LogicalResult SubOp::verify() {
  return verifyRightBroadcast(getOperation(), getLhs(), getRhs(), "lhs", "rhs");
}

LogicalResult DivOp::verify() {
  return verifyRightBroadcast(getOperation(), getLhs(), getRhs(), "lhs", "rhs");
}

LogicalResult MaximumOp::verify() {
  return verifyRightBroadcast(getOperation(), getLhs(), getRhs(), "lhs", "rhs");
}

LogicalResult MinimumOp::verify() {
  return verifyRightBroadcast(getOperation(), getLhs(), getRhs(), "lhs", "rhs");
}

LogicalResult PowOp::verify() {
  return verifyRightBroadcast(getOperation(), getLhs(), getRhs(), "lhs", "rhs");
}

//===----------------------------------------------------------------------===//
// PReluOp
//===----------------------------------------------------------------------===//

LogicalResult PReluOp::verify() {
  return verifyRightBroadcast(getOperation(), getInput(), getSlope(), "input",
                              "slope");
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  OperandRange inputs = getInputs();
  if (inputs.empty())
    return emitOpError() << "needs at least one input";
  ArrayRef<int64_t> first = shapeOf(inputs[0]);
  int64_t rank = first.size(), dim = getDim();
  if (dim < 0 || dim >= rank)
    return emitOpError() << "dim " << dim << " is out of range for rank "
                         << rank;
  SmallVector<int64_t> expected(first);
  expected[dim] = 0;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    ArrayRef<int64_t> shape = shapeOf(input);
    if ((int64_t)shape.size() != rank)
      return emitOpError() << "input " << i << " has rank " << shape.size()
                           << ", expected rank " << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != dim && shape[d] != first[d])
        return emitOpError() << "input " << i << " dimension " << d << " is "
                             << shape[d] << ", expected " << first[d]
                             << " (only dimension " << dim << " may differ)";
    std::optional<int64_t> joined =
        llvm::checkedAdd<int64_t>(expected[dim], shape[dim]);
    if (!joined)
      return emitOpError() << "joined dimension " << dim << " overflows";
    expected[dim] = *joined;
  }
  return verifyResultShape(getOperation(), expected);
}

#define GET_OP_CLASSES
#include "kiln/Dialect/NN/NNOps.cpp.inc"
