//===- MLIRGen.cpp - Build nn dialect IR from a ModelAST ------------------===//
//
// Walks the layers in order, carrying the current activation shape. Each
// layer's shape rule is checked here first, so that a shape that cannot flow
// is reported at the spec token responsible (the op verifiers would only be
// able to point at the line).
//
//===----------------------------------------------------------------------===//
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::frontend;
using nn::formatShape;

namespace {

class MLIRGen {
public:
  MLIRGen(MLIRContext &context, const llvm::SourceMgr &sourceMgr,
          WeightProvider &weights)
      : context(context), builder(&context), sourceMgr(sourceMgr),
        weights(weights) {}

  OwningOpRef<ModuleOp> build(const ModelAST &model);

private:
  Location loc(llvm::SMLoc smLoc) {
    unsigned bufferId = sourceMgr.FindBufferContainingLoc(smLoc);
    if (!bufferId)
      return builder.getUnknownLoc();
    auto [line, column] = sourceMgr.getLineAndColumn(smLoc, bufferId);
    StringRef file = sourceMgr.getMemoryBuffer(bufferId)->getBufferIdentifier();
    return FileLineColLoc::get(&context, file, line, column);
  }

  /// Checks that an activation or parameter tensor fits the size limits.
  bool checkSize(ArrayRef<int64_t> shape, const Twine &what, llvm::SMLoc at) {
    if (nn::checkedElementCount(shape))
      return true;
    InFlightDiagnostic diag = emitError(loc(at));
    diag << what << " of shape " << formatShape(shape) << " is too large: ";
    std::optional<int64_t> bytes = sizeof(float);
    for (int64_t dim : shape)
      bytes = bytes ? llvm::checkedMul(*bytes, dim) : std::nullopt;
    if (bytes)
      diag << *bytes << " bytes";
    else
      diag << "its size overflows 64-bit arithmetic";
    diag << "; tensors are limited to 2^40 bytes";
    return false;
  }

  /// The token to blame for a layer's oversized output or weight: the
  /// channel or feature count when the spec gave one, else the op.
  static llvm::SMLoc sizeLoc(const LayerAST &layer) {
    return layer.outFeaturesLoc.isValid() ? layer.outFeaturesLoc : layer.loc;
  }

  RankedTensorType tensorType(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }

  /// Materialises parameter `prefix.suffix` as a dense_resource constant,
  /// of type `irShape` when given (the same elements, reshaped: a PReLU's
  /// [C] weight as the [1, C, 1, 1] slope nn.prelu reads).
  Value param(const LayerAST &layer, StringRef suffix, ArrayRef<int64_t> shape,
              ParamInit init, ArrayRef<int64_t> irShape = {});

  /// The weight and optional bias of a conv or linear layer, initialised
  /// (without a weights file) in PyTorch's 1/sqrt(fan_in) range.
  std::optional<std::pair<Value, Value>>
  weightAndBias(const LayerAST &layer, ArrayRef<int64_t> weightShape,
                int64_t fanIn);

  /// Returns the output of `layer` applied to `input`, or null on error.
  Value emitLayer(const LayerAST &layer, Value input);
  Value emitConv(const LayerAST &layer, Value input);
  Value emitLinear(const LayerAST &layer, Value input);
  Value emitPool(const LayerAST &layer, Value input);
  Value emitAdaptivePool(const LayerAST &layer, Value input);
  Value emitBatchNorm(const LayerAST &layer, Value input);

  /// Reports that `layer` needs an input of `rank` and returns false when the
  /// current activation has another rank.
  bool expectRank(const LayerAST &layer, Value input, int64_t rank,
                  StringRef hint = "") {
    ArrayRef<int64_t> shape = shapeOf(input);
    if ((int64_t)shape.size() == rank)
      return true;
    emitError(loc(layer.loc))
        << layerKindName(layer.kind) << " needs a " << rank << "-D "
        << (rank == 4 ? "NCHW " : "") << "input but gets a "
        << formatShape(shape) << " tensor" << hint;
    return false;
  }

  static ArrayRef<int64_t> shapeOf(Value value) {
    return cast<RankedTensorType>(value.getType()).getShape();
  }

  MLIRContext &context;
  OpBuilder builder;
  const llvm::SourceMgr &sourceMgr;
  WeightProvider &weights;
  /// Set when the weights lacked a tensor or had it in the wrong shape. The
  /// build goes on with a placeholder so that one run names every such
  /// tensor, as a user loading a state_dict wants to see them all.
  bool weightsFailed = false;
};

} // namespace

Value MLIRGen::param(const LayerAST &layer, StringRef suffix,
                     ArrayRef<int64_t> shape, ParamInit init,
                     ArrayRef<int64_t> irShape) {
  std::string name = layer.paramPrefix + "." + suffix.str();
  if (!checkSize(shape, "parameter '" + name + "'", sizeLoc(layer)))
    return {};
  Location at = loc(layer.loc);
  RankedTensorType type = tensorType(irShape.empty() ? shape : irShape);
  std::optional<AsmResourceBlob> blob = weights.get(name, shape, init, at);
  if (!blob) {
    weightsFailed = true;
    // A splat costs nothing, whatever the shape.
    return arith::ConstantOp::create(
        builder, at, type,
        DenseElementsAttr::get(type, builder.getF32FloatAttr(0)));
  }
  auto value = DenseResourceElementsAttr::get(type, name, std::move(*blob));
  return arith::ConstantOp::create(builder, at, type, value);
}

/// PyTorch's default bound for conv/linear weights and biases:
/// kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in) for both.
static ParamInit fanInBound(int64_t fanIn) {
  return {ParamInit::Kind::Uniform, 1.0 / std::sqrt((double)fanIn)};
}

std::optional<std::pair<Value, Value>>
MLIRGen::weightAndBias(const LayerAST &layer, ArrayRef<int64_t> weightShape,
                       int64_t fanIn) {
  ParamInit init = fanInBound(fanIn);
  Value weight = param(layer, "weight", weightShape, init);
  if (!weight)
    return std::nullopt;
  Value bias; // Null when the layer has none (bias=false).
  if (layer.bias && !(bias = param(layer, "bias", {layer.outFeatures}, init)))
    return std::nullopt;
  return std::make_pair(weight, bias);
}

Value MLIRGen::emitConv(const LayerAST &layer, Value input) {
  if (!expectRank(layer, input, 4))
    return {};
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t groups = layer.groups;
  llvm::SMLoc groupsLoc =
      layer.groupsLoc.isValid() ? layer.groupsLoc : layer.loc;
  if (in[1] % groups != 0) {
    emitError(loc(groupsLoc))
        << "groups=" << groups << " must divide the " << in[1]
        << " input channels of the " << formatShape(in) << " input";
    return {};
  }
  if (layer.outFeatures % groups != 0) {
    emitError(loc(groupsLoc)) << "groups=" << groups << " must divide the "
                              << layer.outFeatures << " output channels";
    return {};
  }
  int64_t out[2];
  int64_t kernel[2] = {layer.kernel.h, layer.kernel.w};
  int64_t stride[2] = {layer.stride.h, layer.stride.w};
  int64_t pad[2] = {layer.padding.h, layer.padding.w};
  int64_t dilation[2] = {layer.dilation.h, layer.dilation.w};
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> size = nn::windowOutputSize(
        {in[2 + i], kernel[i], stride[i], pad[i], pad[i], dilation[i], false});
    if (!size) {
      emitError(loc(layer.paddingLoc.isValid() ? layer.paddingLoc : layer.loc))
          << "conv2d window sizes overflow 64-bit arithmetic (kernel "
          << kernel[0] << "x" << kernel[1] << ", padding " << pad[0] << "x"
          << pad[1] << ", dilation " << dilation[0] << "x" << dilation[1]
          << ")";
      return {};
    }
    if (*size <= 0) {
      emitError(loc(layer.kernelLoc.isValid() ? layer.kernelLoc : layer.loc))
          << "conv2d kernel " << kernel[0] << "x" << kernel[1]
          << (dilation[0] != 1 || dilation[1] != 1
                  ? llvm::formatv(" (dilation {0}x{1})", dilation[0],
                                  dilation[1])
                        .str()
                  : "")
          << " on a " << formatShape(in) << " tensor with padding " << pad[0]
          << "x" << pad[1] << " gives an empty output";
      return {};
    }
    out[i] = *size;
  }
  SmallVector<int64_t> weightShape = {layer.outFeatures, in[1] / groups,
                                      kernel[0], kernel[1]};
  SmallVector<int64_t> resultShape = {in[0], layer.outFeatures, out[0], out[1]};
  if (!checkSize(resultShape, "conv2d output", sizeLoc(layer)))
    return {};
  // fan_in = in/groups * kh * kw; the weight's size check bounds it.
  if (!checkSize(weightShape, "parameter '" + layer.paramPrefix + ".weight'",
                 sizeLoc(layer)))
    return {};
  auto params =
      weightAndBias(layer, weightShape, weightShape[1] * kernel[0] * kernel[1]);
  if (!params)
    return {};
  return nn::Conv2DOp::create(
      builder, loc(layer.loc), tensorType(resultShape), input, params->first,
      params->second, builder.getDenseI64ArrayAttr({stride[0], stride[1]}),
      builder.getDenseI64ArrayAttr({pad[0], pad[1], pad[0], pad[1]}),
      builder.getDenseI64ArrayAttr({dilation[0], dilation[1]}),
      builder.getI64IntegerAttr(groups));
}

Value MLIRGen::emitLinear(const LayerAST &layer, Value input) {
  if (!expectRank(layer, input, 2, "; add 'flatten' before it"))
    return {};
  ArrayRef<int64_t> in = shapeOf(input);
  SmallVector<int64_t> weightShape = {layer.outFeatures, in[1]};
  SmallVector<int64_t> resultShape = {in[0], layer.outFeatures};
  if (!checkSize(resultShape, "linear output", sizeLoc(layer)) ||
      !checkSize(weightShape, "parameter '" + layer.paramPrefix + ".weight'",
                 sizeLoc(layer)))
    return {};
  auto params = weightAndBias(layer, weightShape, in[1]);
  if (!params)
    return {};
  return nn::LinearOp::create(builder, loc(layer.loc), tensorType(resultShape),
                              input, params->first, params->second);
}

Value MLIRGen::emitPool(const LayerAST &layer, Value input) {
  if (!expectRank(layer, input, 4))
    return {};
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t kernel[2] = {layer.kernel.h, layer.kernel.w};
  int64_t stride[2] = {layer.stride.h, layer.stride.w};
  int64_t pad[2] = {layer.padding.h, layer.padding.w};
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> size = nn::windowOutputSize(
        {in[2 + i], kernel[i], stride[i], pad[i], pad[i], 1, layer.ceilMode});
    if (!size) {
      emitError(loc(layer.paddingLoc.isValid() ? layer.paddingLoc : layer.loc))
          << layerKindName(layer.kind) << " window sizes overflow 64-bit "
          << "arithmetic (kernel " << kernel[0] << "x" << kernel[1]
          << ", stride " << stride[0] << "x" << stride[1] << ", padding "
          << pad[0] << "x" << pad[1] << ")";
      return {};
    }
    if (*size <= 0) {
      emitError(loc(layer.loc))
          << layerKindName(layer.kind) << " " << kernel[0]
          << (kernel[0] == kernel[1] ? "" : "x" + std::to_string(kernel[1]))
          << " on a " << formatShape(in) << " tensor gives an empty output";
      return {};
    }
    out[i] = *size;
  }
  // Padding and ceil_mode can make the output a little larger than the input.
  SmallVector<int64_t> resultShape = {in[0], in[1], out[0], out[1]};
  if (!checkSize(resultShape, layerKindName(layer.kind) + " output", layer.loc))
    return {};
  auto type = tensorType(resultShape);
  auto kernelAttr = builder.getDenseI64ArrayAttr({kernel[0], kernel[1]});
  auto strideAttr = builder.getDenseI64ArrayAttr({stride[0], stride[1]});
  auto padAttr = builder.getDenseI64ArrayAttr({pad[0], pad[1], pad[0], pad[1]});
  if (layer.kind == LayerKind::MaxPool)
    return nn::MaxPool2DOp::create(builder, loc(layer.loc), type, input,
                                   kernelAttr, strideAttr, padAttr,
                                   layer.ceilMode, /*dilation=*/nullptr);
  return nn::AvgPool2DOp::create(builder, loc(layer.loc), type, input,
                                 kernelAttr, strideAttr, padAttr,
                                 layer.ceilMode, layer.countIncludePad);
}

Value MLIRGen::emitAdaptivePool(const LayerAST &layer, Value input) {
  if (!expectRank(layer, input, 4))
    return {};
  ArrayRef<int64_t> in = shapeOf(input);
  SmallVector<int64_t> resultShape = {in[0], in[1], layer.outputSize.h,
                                      layer.outputSize.w};
  if (!checkSize(resultShape, "adaptive_avgpool output", sizeLoc(layer)))
    return {};
  return nn::AdaptiveAvgPool2DOp::create(builder, loc(layer.loc),
                                         tensorType(resultShape), input);
}

Value MLIRGen::emitBatchNorm(const LayerAST &layer, Value input) {
  if (!expectRank(layer, input, 4))
    return {};
  int64_t channels = shapeOf(input)[1];
  using Kind = ParamInit::Kind;
  // All four are requested even after one fails, so that every missing or
  // misshapen tensor is reported.
  Value weight = param(layer, "weight", {channels}, {Kind::Constant, 1.0});
  Value bias = param(layer, "bias", {channels}, {Kind::Constant, 0.0});
  Value mean = param(layer, "running_mean", {channels}, {Kind::Constant, 0.0});
  Value var = param(layer, "running_var", {channels}, {Kind::Constant, 1.0});
  if (!weight || !bias || !mean || !var)
    return {};
  return nn::BatchNormOp::create(builder, loc(layer.loc), input.getType(),
                                 input, weight, bias, mean, var,
                                 builder.getF64FloatAttr(layer.eps));
}

Value MLIRGen::emitLayer(const LayerAST &layer, Value input) {
  Location at = loc(layer.loc);
  switch (layer.kind) {
  case LayerKind::Conv2D:
    return emitConv(layer, input);
  case LayerKind::Linear:
    return emitLinear(layer, input);
  case LayerKind::MaxPool:
  case LayerKind::AvgPool:
    return emitPool(layer, input);
  case LayerKind::AdaptiveAvgPool:
    return emitAdaptivePool(layer, input);
  case LayerKind::BatchNorm:
    return emitBatchNorm(layer, input);
  case LayerKind::ReLU:
    return nn::ReluOp::create(builder, at, input);
  case LayerKind::Sigmoid:
    return nn::SigmoidOp::create(builder, at, input);
  case LayerKind::Tanh:
    return nn::TanhOp::create(builder, at, input);
  case LayerKind::ReLU6:
    return nn::ClampOp::create(builder, at, input, builder.getF32FloatAttr(0),
                               builder.getF32FloatAttr(6));
  case LayerKind::Hardtanh:
    return nn::ClampOp::create(builder, at, input,
                               builder.getF32FloatAttr(layer.minVal),
                               builder.getF32FloatAttr(layer.maxVal));
  case LayerKind::LeakyReLU:
    return nn::LeakyReluOp::create(
        builder, at, input, builder.getF32FloatAttr(layer.negativeSlope));
  case LayerKind::ELU:
    return nn::EluOp::create(builder, at, input,
                             builder.getF32FloatAttr(layer.eluAlpha));
  case LayerKind::PReLU: {
    // nn.PReLU's weight is [num_parameters]: one slope, or one per channel
    // (dimension 1), read by nn.prelu as [1, C, 1, 1] (of the input's rank).
    ArrayRef<int64_t> in = shapeOf(input);
    int64_t count = layer.numParameters;
    if (count != 1 && (in.size() < 2 || in[1] != count)) {
      emitError(loc(layer.numParametersLoc.isValid() ? layer.numParametersLoc
                                                     : layer.loc))
          << "num_parameters=" << count
          << " must be 1 or the input's channel count ("
          << (in.size() < 2 ? std::string("it has none: ") + formatShape(in)
                            : std::to_string(in[1]) + " in " + formatShape(in))
          << ")";
      return {};
    }
    SmallVector<int64_t> slopeShape(in.size(), 1);
    if (count != 1)
      slopeShape[1] = count;
    Value slope =
        param(layer, "weight", {count},
              {ParamInit::Kind::Constant, layer.preluInit}, slopeShape);
    if (!slope)
      return {};
    return nn::PReluOp::create(builder, at, input, slope);
  }
  case LayerKind::Hardswish:
    return nn::HardSwishOp::create(builder, at, input);
  case LayerKind::Hardsigmoid:
    return nn::HardSigmoidOp::create(builder, at, input,
                                     builder.getF32FloatAttr(1.0 / 6.0),
                                     builder.getF32FloatAttr(0.5));
  case LayerKind::SiLU:
    // x * sigmoid(x), as exporters write it; kiln-fuse folds it into the
    // convolution before it.
    return nn::MulOp::create(builder, at, input,
                             nn::SigmoidOp::create(builder, at, input));
  case LayerKind::Softplus:
    return nn::SoftplusOp::create(builder, at, input);
  case LayerKind::Softsign:
    return nn::SoftsignOp::create(builder, at, input);
  case LayerKind::SELU:
    // nn.SELU's constants, as float32.
    return nn::SeluOp::create(
        builder, at, input, builder.getF32FloatAttr(1.67326319217681884765625),
        builder.getF32FloatAttr(1.05070102214813232421875));
  case LayerKind::CELU:
    return nn::CeluOp::create(builder, at, input,
                              builder.getF32FloatAttr(layer.eluAlpha));
  case LayerKind::Dropout:
    return nn::DropoutOp::create(builder, at, input,
                                 builder.getF64FloatAttr(layer.p));
  case LayerKind::Softmax:
    if (shapeOf(input).size() < 2) {
      emitError(at) << "softmax needs a tensor of rank >= 2";
      return {};
    }
    return nn::SoftmaxOp::create(builder, at, input);
  case LayerKind::LRN:
    if (!expectRank(layer, input, 4))
      return {};
    return nn::LRNOp::create(
        builder, at, input, builder.getI64IntegerAttr(layer.lrnSize),
        builder.getF64FloatAttr(layer.alpha),
        builder.getF64FloatAttr(layer.beta), builder.getF64FloatAttr(layer.k),
        /*before=*/nullptr);
  case LayerKind::Flatten: {
    ArrayRef<int64_t> in = shapeOf(input);
    int64_t features = 1;
    for (int64_t dim : in.drop_front())
      features *= dim; // Bounded: the input passed checkedElementCount.
    return nn::FlattenOp::create(builder, at, tensorType({in[0], features}),
                                 input);
  }
  }
  llvm_unreachable("unknown layer kind");
}

OwningOpRef<ModuleOp> MLIRGen::build(const ModelAST &model) {
  Location modelLoc = loc(model.nameLoc);
  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  (*module)->setAttr(kModelNameAttr, builder.getStringAttr(model.name));
  if (!checkSize(model.inputShape, "input", model.inputLoc))
    return nullptr;

  builder.setInsertionPointToEnd(module->getBody());
  auto inputType = tensorType(model.inputShape);
  auto func = func::FuncOp::create(builder, modelLoc, "forward",
                                   builder.getFunctionType({inputType}, {}));
  Block *body = func.addEntryBlock();
  // The input tensor is declared by the `input` statement, not the model's.
  body->getArgument(0).setLoc(loc(model.inputLoc));
  builder.setInsertionPointToEnd(body);

  Value current = body->getArgument(0);
  for (const LayerAST &layer : model.layers) {
    current = emitLayer(layer, current);
    if (!current)
      return nullptr;
  }
  func::ReturnOp::create(builder, loc(model.layers.back().loc), current);
  func.setFunctionType(
      builder.getFunctionType({inputType}, {current.getType()}));
  if (failed(weights.finish(modelLoc)) || weightsFailed ||
      failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp>
kiln::frontend::buildModule(MLIRContext &context,
                            const llvm::SourceMgr &sourceMgr,
                            const ModelAST &model, WeightProvider &weights) {
  context.loadDialect<nn::NNDialect, arith::ArithDialect, func::FuncDialect>();
  return MLIRGen(context, sourceMgr, weights).build(model);
}
