//===- NNToGPU.cpp - nn ops to GPU kernels and launches -------------------===//
//
// Walks @forward in order and replaces it by a host function that only
// allocates buffers and launches kernels (see GPUPasses.td). kiln-fuse's
// nn.fused_conv2d / nn.fused_linear become one kernel each, plus the
// reduction of a layer that splits its input channels. A pool whose
// windows overlap is taken by that reduction; without one it is a kernel
// of its own. Unfused chains (--no-fuse, kiln-opt) are fused here the same
// way: a convolution takes the ReLU (or clamp) and the pool that follow it
// when they are its only users; a linear layer takes its ReLU.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"
#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Reshape.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

namespace kiln {
#define GEN_PASS_DEF_NNTOGPUPASS
#include "kiln/Codegen/GPUPasses.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln::kernels;

namespace kiln {
namespace {

/// The GPU kernels index with 32-bit integers (convert-gpu-to-nvvm
/// index-bitwidth=32): every buffer must have fewer elements than this.
constexpr int64_t kMaxElements = int64_t(1) << 31;
/// More streaming multiprocessors than any GPU has (an H200 has 132).
constexpr int64_t kMaxSMs = 4096;

/// The one user of `value`, if it has exactly one use.
Operation *soleUser(Value value) {
  return value.hasOneUse() ? *value.getUsers().begin() : nullptr;
}

/// The convolution kernels a lowering may use (`conv-kernel`): each takes
/// the layers it can and leaves the others to the next.
enum class ConvKernels { Winograd, Shared, Direct };

class Lowering {
public:
  Lowering(ModuleOp module, func::FuncOp func, gpu::GPUModuleOp kernels,
           OpBuilder &host, ConvKernels convKernels, int64_t winogradTile,
           int64_t smCount)
      : module(module), func(func), symbols(module), builder(host, kernels),
        host(host), convKernels(convKernels), winogradTile(winogradTile),
        smCount(smCount) {}

  LogicalResult run(Value input, Value output);

private:
  LogicalResult lower(Operation *op);
  LogicalResult lowerConv(nn::Conv2DOp op);
  LogicalResult lowerFusedConv(nn::FusedConv2DOp op);
  FailureOr<SmallVector<Value>> convArgs(Operation *op, const ConvParams &p,
                                         Value bias, Value result);
  LogicalResult lowerConvKernel(Operation *op, ConvParams p, Value bias,
                                Value result);
  /// Whether the kernel that takes `p` splits its input channels.
  bool splits(const ConvParams &p) const;
  /// A convolution that splits and `pool`, together into `pooledResult`.
  LogicalResult lowerSplitConvWithPool(Operation *op, const ConvParams &p,
                                       Value bias, const OverlappingPool &pool,
                                       Value pooledResult);
  LogicalResult lowerLinear(nn::LinearOp op);
  LogicalResult lowerLinear(Operation *op, Value bias, bool relu, Value last);
  Value weight(Value tensor);
  Value bufferFor(Value result);
  Value alloc(ArrayRef<int64_t> shape, Location loc);

  ModuleOp module;
  func::FuncOp func;
  SymbolTable symbols;
  ModelBuilder builder;
  OpBuilder &host;
  ConvKernels convKernels;
  /// Winograd's output tile, 0: chosen per layer.
  int64_t winogradTile;
  /// Streaming multiprocessors the convolutions are sized for.
  int64_t smCount;
  IRMapping buffers;
  DenseSet<Operation *> fused;
  Value returned, output;
};

Value Lowering::alloc(ArrayRef<int64_t> shape, Location loc) {
  return builder.alloc(shape, loc);
}

/// The buffer a layer writes its result to: the model's output for the
/// returned value, a fresh device buffer otherwise.
Value Lowering::bufferFor(Value result) {
  if (result == returned)
    return output;
  return alloc(cast<RankedTensorType>(result.getType()).getShape(),
               result.getLoc());
}

/// The buffer of `tensor`: the one computed for it, or for a constant (a
/// weight, or an operand an importer froze) a memref.global the runtime
/// uploads once.
Value Lowering::weight(Value tensor) {
  if (Value mapped = buffers.lookupOrNull(tensor))
    return mapped;
  auto constant = tensor.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return Value();
  auto type = cast<RankedTensorType>(tensor.getType());
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  std::string name = "weight";
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = resource.getRawHandle().getKey().str();
  for (char &c : name)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_')
      c = '_';
  OpBuilder moduleBuilder(module.getContext());
  moduleBuilder.setInsertionPoint(func);
  auto global = memref::GlobalOp::create(
      moduleBuilder, constant.getLoc(), "__kiln_w_" + name,
      moduleBuilder.getStringAttr("private"), memrefType, constant.getValue(),
      /*constant=*/true, moduleBuilder.getI64IntegerAttr(64));
  symbols.insert(global); // Renames on a clash.
  Value value = memref::GetGlobalOp::create(host, constant.getLoc(), memrefType,
                                            global.getSymName());
  buffers.map(tensor, value);
  return value;
}

/// The convolution attributes shared by nn.conv2d and nn.fused_conv2d;
/// `out` is the convolution's own result shape (before any pooling).
template <typename ConvOp>
ConvParams getConvParams(ConvOp op, ArrayRef<int64_t> out) {
  auto in = cast<RankedTensorType>(op.getInput().getType()).getShape();
  auto w = cast<RankedTensorType>(op.getWeight().getType()).getShape();
  ConvParams p;
  p.n = in[0], p.c = in[1], p.h = in[2], p.w = in[3];
  p.oc = w[0], p.groups = op.getGroups(), p.kh = w[2], p.kw = w[3];
  p.strideH = op.getStride()[0], p.strideW = op.getStride()[1];
  p.padTop = op.getPadding()[0], p.padLeft = op.getPadding()[1];
  p.dilationH = op.getDilation()[0], p.dilationW = op.getDilation()[1];
  p.oh = out[2], p.ow = out[3];
  p.bias = static_cast<bool>(op.getBias());
  return p;
}

/// Whether a pool of `kernel`/`stride` without padding, giving `pooled`,
/// tiles the conv output of `p` exactly, so the conv kernel can compute it.
bool tilesOutput(const ConvParams &p, ArrayRef<int64_t> kernel,
                 ArrayRef<int64_t> stride, ArrayRef<int64_t> pooled) {
  return kernel == stride && pooled[2] == p.oh / kernel[0] &&
         pooled[3] == p.ow / kernel[1];
}

/// Pool windows the split reduction takes at most: it unrolls a window's
/// positions, each adding every split's raw sum.
constexpr int64_t kMaxReducedWindow = 16;

/// The pool of `kind`, `kernel` and `stride` without padding that gives
/// `pooled` from the conv output of `p`, as the split reduction takes it;
/// nothing when the output is not the windows that fit (ceil mode) or the
/// window has more than kMaxReducedWindow positions.
std::optional<OverlappingPool>
overlappingPool(const ConvParams &p, PoolKind kind, ArrayRef<int64_t> kernel,
                ArrayRef<int64_t> stride, ArrayRef<int64_t> pooled) {
  // Each side first, so that their product cannot overflow.
  if (kernel[0] > kMaxReducedWindow || kernel[1] > kMaxReducedWindow ||
      kernel[0] * kernel[1] > kMaxReducedWindow || p.oh < kernel[0] ||
      p.ow < kernel[1] || pooled[2] != (p.oh - kernel[0]) / stride[0] + 1 ||
      pooled[3] != (p.ow - kernel[1]) / stride[1] + 1)
    return std::nullopt;
  return OverlappingPool{kind,      kernel[0], kernel[1], stride[0],
                         stride[1], pooled[2], pooled[3]};
}

FailureOr<SmallVector<Value>> Lowering::convArgs(Operation *op,
                                                 const ConvParams &p,
                                                 Value bias, Value result) {
  Value input = weight(op->getOperand(0));
  SmallVector<Value> args = {input, weight(op->getOperand(1))};
  if (p.bias)
    args.push_back(weight(bias));
  if (llvm::is_contained(args, Value()))
    return op->emitError("the GPU path needs constant weights");
  args.push_back(result);
  return args;
}

LogicalResult Lowering::lowerConvKernel(Operation *op, ConvParams p, Value bias,
                                        Value result) {
  FailureOr<SmallVector<Value>> args = convArgs(op, p, bias, result);
  if (failed(args))
    return failure();
  Location loc = op->getLoc();
  if (convKernels == ConvKernels::Winograd &&
      emitWinogradConv2D(builder, loc, p, *args, smCount, winogradTile))
    return success();
  if (convKernels != ConvKernels::Direct &&
      emitSharedConv2D(builder, loc, p, *args, smCount))
    return success();
  emitConv2D(builder, loc, p, *args, smCount);
  return success();
}

bool Lowering::splits(const ConvParams &p) const {
  if (convKernels == ConvKernels::Winograd &&
      takesWinogradConv(p, smCount, winogradTile))
    return splitsWinogradConv(p, smCount, winogradTile);
  return convKernels != ConvKernels::Direct && splitsSharedConv(p, smCount);
}

LogicalResult Lowering::lowerSplitConvWithPool(Operation *op,
                                               const ConvParams &p, Value bias,
                                               const OverlappingPool &pool,
                                               Value pooledResult) {
  FailureOr<SmallVector<Value>> args = convArgs(op, p, bias, pooledResult);
  if (failed(args))
    return failure();
  Location loc = op->getLoc();
  bool winograd = convKernels == ConvKernels::Winograd &&
                  takesWinogradConv(p, smCount, winogradTile);
  if (!(winograd ? emitSplitWinogradConv2DWithPool(builder, loc, p, pool, *args,
                                                   smCount, winogradTile)
                 : emitSplitSharedConv2DWithPool(builder, loc, p, pool, *args,
                                                 smCount)))
    return op->emitError("kiln-nn-to-gpu: the layer does not split");
  return success();
}

LogicalResult Lowering::lowerFusedConv(nn::FusedConv2DOp op) {
  ConvParams p = getConvParams(op, op.getConvolutionShape());
  p.activation = op.getActivation();
  std::optional<StringRef> pool = op.getPool();
  auto pooled = cast<RankedTensorType>(op.getType()).getShape();
  Value result = bufferFor(op.getResult());
  buffers.map(op.getResult(), result);
  if (!pool)
    return lowerConvKernel(op, p, op.getBias(), result);
  ArrayRef<int64_t> kernel = *op.getPoolKernel(), stride = *op.getPoolStride();
  PoolKind kind = *pool == "max" ? PoolKind::Max : PoolKind::Avg;
  if (tilesOutput(p, kernel, stride, pooled)) {
    p.pool = kind;
    p.poolH = kernel[0], p.poolW = kernel[1];
    return lowerConvKernel(op, p, op.getBias(), result);
  }
  // Overlapping windows (AlexNet's 3x3, stride 2) would recompute most
  // convolution outputs: a split layer's reduction pools them, any other
  // layer writes the convolution and a second kernel pools it.
  std::optional<OverlappingPool> overlapping =
      overlappingPool(p, kind, kernel, stride, pooled);
  if (overlapping && splits(p))
    return lowerSplitConvWithPool(op, p, op.getBias(), *overlapping, result);
  Value conv = alloc(op.getConvolutionShape(), op.getLoc());
  if (failed(lowerConvKernel(op, p, op.getBias(), conv)))
    return failure();
  PoolParams params{kind};
  for (int i = 0; i < 2; ++i) {
    params.kernel[i] = kernel[i], params.stride[i] = stride[i];
    params.padBefore[i] = params.padAfter[i] = 0;
  }
  params.countIncludePad = true;
  emitPool(builder, op.getLoc(), params, conv, result);
  return success();
}

LogicalResult Lowering::lowerConv(nn::Conv2DOp op) {
  ConvParams p =
      getConvParams(op, cast<RankedTensorType>(op.getType()).getShape());

  // Fuse the ReLU and a pool whose windows tile the conv output exactly.
  Value last = op.getResult();
  if (auto relu = dyn_cast_or_null<nn::ReluOp>(soleUser(last))) {
    p.activation =
        nn::Activation::clamp(0.0, std::numeric_limits<double>::infinity());
    fused.insert(relu);
    last = relu.getResult();
  } else if (auto clamp = dyn_cast_or_null<nn::ClampOp>(soleUser(last))) {
    p.activation = nn::Activation::clamp(clamp.getMinAttr().getValueAsDouble(),
                                         clamp.getMaxAttr().getValueAsDouble());
    fused.insert(clamp);
    last = clamp.getResult();
  } else if (auto hardSwish =
                 dyn_cast_or_null<nn::HardSwishOp>(soleUser(last))) {
    p.activation = nn::Activation::hardSwish();
    fused.insert(hardSwish);
    last = hardSwish.getResult();
  }
  auto fusablePool = [&](auto pool) {
    return llvm::all_of(pool.getPadding(), [](int64_t v) { return v == 0; }) &&
           tilesOutput(p, pool.getKernel(), pool.getStride(),
                       cast<RankedTensorType>(pool.getType()).getShape());
  };
  // Hard swish (and SiLU) are not monotonic: a pool after them stays a
  // kernel of its own, as kiln-fuse leaves it.
  Operation *next =
      p.activation && !p.activation->isClamp() ? nullptr : soleUser(last);
  if (auto pool = dyn_cast_or_null<nn::MaxPool2DOp>(next);
      pool && fusablePool(pool)) {
    p.pool = PoolKind::Max;
    p.poolH = pool.getKernel()[0], p.poolW = pool.getKernel()[1];
  } else if (auto pool = dyn_cast_or_null<nn::AvgPool2DOp>(next);
             pool && fusablePool(pool)) {
    p.pool = PoolKind::Avg;
    p.poolH = pool.getKernel()[0], p.poolW = pool.getKernel()[1];
  }
  if (p.pool != PoolKind::None) {
    fused.insert(next);
    last = next->getResult(0);
  } else if (splits(p) &&
             isa_and_nonnull<nn::MaxPool2DOp, nn::AvgPool2DOp>(next)) {
    // A pool whose windows overlap, taken by a split layer's reduction.
    std::optional<OverlappingPool> overlapping;
    auto match = [&](auto pool, PoolKind kind) {
      if (llvm::all_of(pool.getPadding(), [](int64_t v) { return v == 0; }))
        overlapping =
            overlappingPool(p, kind, pool.getKernel(), pool.getStride(),
                            cast<RankedTensorType>(pool.getType()).getShape());
    };
    if (auto pool = dyn_cast<nn::MaxPool2DOp>(next))
      match(pool, PoolKind::Max);
    else
      match(cast<nn::AvgPool2DOp>(next), PoolKind::Avg);
    if (overlapping) {
      fused.insert(next);
      Value pooled = bufferFor(next->getResult(0));
      buffers.map(next->getResult(0), pooled);
      return lowerSplitConvWithPool(op, p, op.getBias(), *overlapping, pooled);
    }
  }
  Value result = bufferFor(last);
  buffers.map(last, result);
  return lowerConvKernel(op, p, op.getBias(), result);
}

LogicalResult Lowering::lowerLinear(Operation *op, Value bias, bool relu,
                                    Value last) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
  auto w = cast<RankedTensorType>(op->getOperand(1).getType()).getShape();
  Value weightBuffer = weight(op->getOperand(1));
  Value biasBuffer = bias ? weight(bias) : Value();
  if (!weightBuffer || (bias && !biasBuffer))
    return op->emitError("the GPU path needs constant weights");
  Value result = bufferFor(last);
  emitLinear(builder, op->getLoc(), in[0], in[1], w[0], relu,
             weight(op->getOperand(0)), weightBuffer, biasBuffer, result);
  buffers.map(last, result);
  return success();
}

LogicalResult Lowering::lowerLinear(nn::LinearOp op) {
  // Fuse the ReLU that follows.
  Value last = op.getResult();
  bool relu = false;
  if (auto reluOp = dyn_cast_or_null<nn::ReluOp>(soleUser(last))) {
    relu = true;
    fused.insert(reluOp);
    last = reluOp.getResult();
  }
  return lowerLinear(op, op.getBias(), relu, last);
}

LogicalResult Lowering::lower(Operation *op) {
  Location loc = op->getLoc();
  auto simple = [&](auto emit) {
    Value result = bufferFor(op->getResult(0));
    emit(weight(op->getOperand(0)), result);
    buffers.map(op->getResult(0), result);
    return success();
  };
  auto elementwise = [&](ElementwiseKind kind, ElementwiseParams params = {}) {
    return simple([&](Value in, Value out) {
      emitElementwise(builder, loc, kind, {in}, out, params);
    });
  };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](arith::ConstantOp) { return success(); }) // Used lazily.
      .Case([&](nn::Conv2DOp conv) { return lowerConv(conv); })
      .Case([&](nn::LinearOp linear) { return lowerLinear(linear); })
      .Case([&](nn::FusedConv2DOp conv) { return lowerFusedConv(conv); })
      .Case([&](nn::FusedLinearOp linear) {
        return lowerLinear(linear, linear.getBias(), linear.getRelu(),
                           linear.getResult());
      })
      .Case([&](nn::ReluOp) { return elementwise(ElementwiseKind::Relu); })
      .Case(
          [&](nn::SigmoidOp) { return elementwise(ElementwiseKind::Sigmoid); })
      .Case([&](nn::TanhOp) { return elementwise(ElementwiseKind::Tanh); })
      .Case([&](nn::ClampOp clamp) {
        ElementwiseParams params;
        params.lo = clamp.getMinAttr().getValueAsDouble();
        params.hi = clamp.getMaxAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::Clamp, params);
      })
      .Case([&](nn::LeakyReluOp leaky) {
        ElementwiseParams params;
        params.slope = leaky.getSlopeAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::LeakyRelu, params);
      })
      .Case([&](nn::EluOp elu) {
        ElementwiseParams params;
        params.alpha = elu.getAlphaAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::Elu, params);
      })
      .Case([&](nn::CeluOp celu) {
        ElementwiseParams params;
        params.alpha = celu.getAlphaAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::Celu, params);
      })
      .Case([&](nn::SeluOp selu) {
        ElementwiseParams params;
        params.alpha = selu.getAlphaAttr().getValueAsDouble();
        params.gamma = selu.getGammaAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::Selu, params);
      })
      .Case([&](nn::ThresholdedReluOp thresholded) {
        ElementwiseParams params;
        params.alpha = thresholded.getAlphaAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::ThresholdedRelu, params);
      })
      .Case([&](nn::SoftplusOp) {
        return elementwise(ElementwiseKind::Softplus);
      })
      .Case([&](nn::AbsOp) { return elementwise(ElementwiseKind::Abs); })
      .Case([&](nn::ExpOp) { return elementwise(ElementwiseKind::Exp); })
      .Case([&](nn::ErfOp) { return elementwise(ElementwiseKind::Erf); })
      .Case([&](nn::LogOp) { return elementwise(ElementwiseKind::Log); })
      .Case([&](nn::SqrtOp) { return elementwise(ElementwiseKind::Sqrt); })
      .Case([&](nn::ReciprocalOp) {
        return elementwise(ElementwiseKind::Reciprocal);
      })
      .Case([&](nn::SoftsignOp) {
        return elementwise(ElementwiseKind::Softsign);
      })
      .Case([&](nn::HardSigmoidOp hard) {
        ElementwiseParams params;
        params.alpha = hard.getAlphaAttr().getValueAsDouble();
        params.beta = hard.getBetaAttr().getValueAsDouble();
        return elementwise(ElementwiseKind::HardSigmoid, params);
      })
      .Case([&](nn::HardSwishOp) {
        return elementwise(ElementwiseKind::HardSwish);
      })
      .Case<nn::AddOp, nn::MulOp, nn::SubOp, nn::DivOp, nn::MaximumOp,
            nn::MinimumOp, nn::PowOp, nn::PReluOp>([&](Operation *join) {
        Value result = bufferFor(join->getResult(0));
        ElementwiseKind kind =
            TypeSwitch<Operation *, ElementwiseKind>(join)
                .Case([](nn::AddOp) { return ElementwiseKind::Add; })
                .Case([](nn::MulOp) { return ElementwiseKind::Mul; })
                .Case([](nn::SubOp) { return ElementwiseKind::Sub; })
                .Case([](nn::DivOp) { return ElementwiseKind::Div; })
                .Case([](nn::MaximumOp) { return ElementwiseKind::Max; })
                .Case([](nn::MinimumOp) { return ElementwiseKind::Min; })
                .Case([](nn::PowOp) { return ElementwiseKind::Pow; })
                .Default([](Operation *) { return ElementwiseKind::PRelu; });
        emitElementwise(
            builder, loc, kind,
            // Either may be a constant (an ONNX node's, a slope).
            {weight(join->getOperand(0)), weight(join->getOperand(1))}, result);
        buffers.map(join->getResult(0), result);
        return success();
      })
      .Case([&](nn::DropoutOp dropout) {
        buffers.map(dropout.getResult(), weight(dropout.getInput()));
        return success();
      })
      .Case<nn::FlattenOp, nn::ReshapeOp>([&](Operation *reshape) {
        // A view of the input's buffer: the elements keep their order.
        auto type = cast<RankedTensorType>(reshape->getResult(0).getType());
        buffers.map(
            reshape->getResult(0),
            nn::createReshape<memref::CollapseShapeOp, memref::ExpandShapeOp>(
                host, loc, weight(reshape->getOperand(0)),
                MemRefType::get(type.getShape(), type.getElementType())));
        return success();
      })
      .Case([&](nn::SliceOp slice) {
        SmallVector<int64_t> strides = slice.getStridesOrOnes();
        return simple([&](Value in, Value out) {
          emitSlice(builder, loc, slice.getOffsets(), strides, in, out);
        });
      })
      .Case([&](nn::MaxPool2DOp pool) {
        return simple([&](Value in, Value out) {
          PoolParams p{PoolKind::Max};
          for (int i = 0; i < 2; ++i) {
            p.kernel[i] = pool.getKernel()[i],
            p.stride[i] = pool.getStride()[i];
            p.padBefore[i] = pool.getPadding()[i];
            p.padAfter[i] = pool.getPadding()[2 + i];
            if (std::optional<ArrayRef<int64_t>> dilation = pool.getDilation())
              p.dilation[i] = (*dilation)[i];
          }
          emitPool(builder, loc, p, in, out);
        });
      })
      .Case([&](nn::AvgPool2DOp pool) {
        return simple([&](Value in, Value out) {
          PoolParams p{PoolKind::Avg};
          for (int i = 0; i < 2; ++i) {
            p.kernel[i] = pool.getKernel()[i],
            p.stride[i] = pool.getStride()[i];
            p.padBefore[i] = pool.getPadding()[i];
            p.padAfter[i] = pool.getPadding()[2 + i];
          }
          p.countIncludePad = pool.getCountIncludePad();
          emitPool(builder, loc, p, in, out);
        });
      })
      .Case([&](nn::ConvTranspose2DOp conv) -> LogicalResult {
        ConvTransposeParams p;
        for (int i = 0; i < 2; ++i) {
          p.stride[i] = conv.getStride()[i];
          p.padBefore[i] = conv.getPadding()[i];
          p.dilation[i] = conv.getDilation()[i];
        }
        p.groups = conv.getGroups();
        p.bias = bool(conv.getBias());
        SmallVector<Value> args = {weight(conv.getInput()),
                                   weight(conv.getWeight())};
        if (p.bias)
          args.push_back(weight(conv.getBias()));
        if (llvm::is_contained(args, Value()))
          return conv.emitError("the GPU path needs a constant weight and "
                                "bias");
        Value result = bufferFor(conv.getResult());
        args.push_back(result);
        emitConvTranspose2D(builder, loc, p, args);
        buffers.map(conv.getResult(), result);
        return success();
      })
      .Case([&](nn::AdaptiveAvgPool2DOp) {
        return simple([&](Value in, Value out) {
          emitAdaptiveAvgPool(builder, loc, in, out);
        });
      })
      .Case([&](nn::LRNOp lrn) {
        return simple([&](Value in, Value out) {
          emitLRN(builder, loc, lrn.getSize(), lrn.getAlpha().convertToDouble(),
                  lrn.getBeta().convertToDouble(), lrn.getK().convertToDouble(),
                  in, out);
        });
      })
      .Case([&](nn::SoftmaxOp softmax) {
        SmallVector<int64_t> dims = softmax.getNormalizedDims();
        return simple([&](Value in, Value out) {
          emitSoftmax(builder, loc, dims, softmax.getLog(), in, out);
        });
      })
      .Case<nn::ReduceSumOp, nn::ReduceMeanOp, nn::ReduceMaxOp,
            nn::ReduceProdOp>([&](Operation *reduction) {
        ReduceKind kind = isa<nn::ReduceSumOp>(reduction)    ? ReduceKind::Sum
                          : isa<nn::ReduceMeanOp>(reduction) ? ReduceKind::Mean
                          : isa<nn::ReduceProdOp>(reduction) ? ReduceKind::Prod
                                                             : ReduceKind::Max;
        auto dims = cast<DenseI64ArrayAttr>(reduction->getAttr("dims"));
        return simple([&](Value in, Value out) {
          emitReduce(builder, loc, kind, dims.asArrayRef(), in, out);
        });
      })
      .Case([&](nn::BatchNormOp bn) -> LogicalResult {
        SmallVector<Value> params;
        for (Value v : {bn.getWeight(), bn.getBias(), bn.getRunningMean(),
                        bn.getRunningVar()})
          params.push_back(weight(v));
        if (llvm::is_contained(params, Value()))
          return bn.emitError("the GPU path needs constant batch-norm "
                              "parameters");
        return simple([&](Value in, Value out) {
          emitBatchNorm(builder, loc, bn.getEps().convertToDouble(), in, params,
                        out);
        });
      })
      .Case([&](nn::TransposeOp transpose) {
        return simple([&](Value in, Value out) {
          emitTranspose(builder, loc, transpose.getPerm(), in, out);
        });
      })
      .Case([&](nn::ConcatOp concat) {
        Value result = bufferFor(concat.getResult());
        int64_t dim = concat.getDim(), offset = 0;
        for (Value in : concat.getInputs()) {
          emitConcatPart(builder, loc, dim, offset, weight(in), result);
          offset += cast<RankedTensorType>(in.getType()).getDimSize(dim);
        }
        buffers.map(concat.getResult(), result);
        return success();
      })
      .Case([&](func::ReturnOp) { return success(); })
      .Default([&](Operation *op) {
        return op->emitError()
               << "'" << op->getName() << "' is not supported by the GPU path";
      });
}

LogicalResult Lowering::run(Value input, Value out) {
  output = out;
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  returned = ret.getOperand(0);
  buffers.map(func.getArgument(0), input);
  auto checkSize = [](Type type, auto emitError) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || shaped.getNumElements() < kMaxElements)
      return success();
    return emitError() << "a tensor of " << shaped.getNumElements()
                       << " elements is too large for the GPU path (32-bit "
                          "indexing)";
  };
  if (failed(checkSize(func.getArgumentTypes()[0],
                       [&] { return func.emitError(); })))
    return failure();
  for (Operation &op : body) {
    for (Type type : op.getResultTypes())
      if (failed(checkSize(type, [&] { return op.emitError(); })))
        return failure();
    if (fused.contains(&op))
      continue;
    if (failed(lower(&op)))
      return failure();
  }
  // The returned value may live in another buffer (the model's input, or a
  // flattened view of a layer's result): copy it into the output.
  Value last = buffers.lookup(returned);
  if (last != output)
    emitElementwise(builder, ret.getLoc(), ElementwiseKind::Copy, {last},
                    output);
  return success();
}

/// CUDA's grid limits: 2^31 - 1 blocks along x, 65535 along y and z.
LogicalResult checkGridLimits(func::FuncOp host) {
  WalkResult result = host.walk([](gpu::LaunchFuncOp launch) {
    Value sizes[] = {launch.getGridSizeX(), launch.getGridSizeY(),
                     launch.getGridSizeZ()};
    const int64_t limits[] = {INT32_MAX, 65535, 65535};
    for (int i = 0; i < 3; ++i) {
      std::optional<int64_t> size = getConstantIntValue(sizes[i]);
      if (size && *size > limits[i]) {
        launch.emitError() << "this layer needs " << *size << " GPU blocks "
                           << "along grid dimension "
                           << "xyz"[i] << ", more than CUDA's " << limits[i]
                           << " (compile for a smaller batch)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct NNToGPUPass : public impl::NNToGPUPassBase<NNToGPUPass> {
  using NNToGPUPassBase::NNToGPUPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<ConvKernels> convKernels =
        llvm::StringSwitch<std::optional<ConvKernels>>(convKernel)
            .Case("winograd", ConvKernels::Winograd)
            .Case("shared", ConvKernels::Shared)
            .Case("direct", ConvKernels::Direct)
            .Default(std::nullopt);
    if (!convKernels) {
      module.emitError() << "kiln-nn-to-gpu: conv-kernel must be winograd, "
                            "shared or direct, not '"
                         << convKernel << "'";
      return signalPassFailure();
    }
    if (int64_t(smCount) < 1 || int64_t(smCount) > kMaxSMs) {
      module.emitError() << "kiln-nn-to-gpu: sm-count must be between 1 and "
                         << kMaxSMs << ", not " << int64_t(smCount);
      return signalPassFailure();
    }
    auto func = module.lookupSymbol<func::FuncOp>("forward");
    if (!func || func.isExternal() || !func.getBody().hasOneBlock() ||
        func.getNumArguments() != 1 || func.getNumResults() != 1) {
      module.emitError("the GPU path needs @forward(tensor) -> tensor");
      return signalPassFailure();
    }
    MLIRContext *ctx = module.getContext();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    auto kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "kiln_kernels");

    auto toMemRef = [](Type type) {
      auto tensor = cast<RankedTensorType>(type);
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    };
    auto type = FunctionType::get(ctx,
                                  {toMemRef(func.getArgumentTypes()[0]),
                                   toMemRef(func.getResultTypes()[0])},
                                  {});
    b.setInsertionPoint(func);
    auto host = func::FuncOp::create(b, func.getLoc(), "forward", type);
    Block *entry = host.addEntryBlock();
    b.setInsertionPointToStart(entry);
    if (winogradTile != 0 && winogradTile != 2 && winogradTile != 3 &&
        winogradTile != 4) {
      module.emitError() << "kiln-nn-to-gpu: winograd-tile must be 0 (2), "
                            "2, 3 or 4, not "
                         << int64_t(winogradTile);
      return signalPassFailure();
    }
    if (maxRegisters != 0 && (maxRegisters < 16 || maxRegisters > 255)) {
      module.emitError() << "kiln-nn-to-gpu: max-registers must be 0 or "
                            "between 16 and 255, not "
                         << int64_t(maxRegisters);
      return signalPassFailure();
    }
    Lowering lowering(module, func, kernels, b, *convKernels, winogradTile,
                      smCount);
    if (failed(lowering.run(entry->getArgument(0), entry->getArgument(1))))
      return signalPassFailure();
    // A register cap (PTX .maxnreg, which the NVVM lowering carries over):
    // ptxas spills what does not fit, for more blocks per SM.
    if (maxRegisters != 0)
      kernels.walk([&](gpu::GPUFuncOp kernel) {
        kernel->setAttr("nvvm.maxnreg", b.getI32IntegerAttr(maxRegisters));
      });
    func::ReturnOp::create(b, func.getLoc());
    func.erase();
    if (failed(checkGridLimits(host)))
      return signalPassFailure();
  }
};

} // namespace
} // namespace kiln
