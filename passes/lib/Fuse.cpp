//===- Fuse.cpp - kiln-fuse: conv/linear chains into fused ops ------------===//
//
// Rewrites conv2d -> relu (or clamp: ReLU6) -> pool chains into
// nn.fused_conv2d and linear -> relu into nn.fused_linear, one pattern per
// link of the chain, so that the greedy driver grows a fused op one layer at
// a time. A pool of a channel concatenation of convolutions becomes a
// concatenation of pools, which then fuse.
//
//===----------------------------------------------------------------------===//
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_FUSEPASS
#include "kiln/Passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The attributes of a fused convolution, gathered from the ops it replaces.
struct FusedConvParts {
  Value input, weight, bias;
  DenseI64ArrayAttr stride, padding, dilation;
  IntegerAttr groups;
  bool relu = false;
  DenseF32ArrayAttr clamp;
  bool hardswish = false;
  bool silu = false;
  StringAttr pool;
  DenseI64ArrayAttr poolKernel, poolStride;
};

/// The convolution behind `value` if it is an nn.conv2d or an
/// nn.fused_conv2d, whatever else reads it.
std::optional<FusedConvParts> getSharedConvParts(Value value) {
  FusedConvParts parts;
  if (auto conv = value.getDefiningOp<nn::Conv2DOp>()) {
    parts = {conv.getInput(),       conv.getWeight(),
             conv.getBias(),        conv.getStrideAttr(),
             conv.getPaddingAttr(), conv.getDilationAttr(),
             conv.getGroupsAttr()};
    return parts;
  }
  if (auto fused = value.getDefiningOp<nn::FusedConv2DOp>()) {
    parts = {fused.getInput(),          fused.getWeight(),
             fused.getBias(),           fused.getStrideAttr(),
             fused.getPaddingAttr(),    fused.getDilationAttr(),
             fused.getGroupsAttr(),     fused.getRelu(),
             fused.getClampAttr(),      fused.getHardswish(),
             fused.getSilu(),           fused.getPoolAttr(),
             fused.getPoolKernelAttr(), fused.getPoolStrideAttr()};
    return parts;
  }
  return std::nullopt;
}

/// The convolution behind `value` if `value` is its only use's operand and
/// it is an nn.conv2d or an nn.fused_conv2d.
std::optional<FusedConvParts> getConvParts(Value value) {
  if (!value.hasOneUse())
    return std::nullopt;
  return getSharedConvParts(value);
}

/// Whether the parts already apply an activation.
bool hasActivation(const FusedConvParts &parts) {
  return parts.relu || parts.clamp || parts.hardswish || parts.silu;
}

/// Replaces `root` (the last op of the chain) by a fused convolution;
/// `between` (ops between the producer and the root, read only by the
/// root) go too.
void replaceWithFusedConv(PatternRewriter &rewriter, Operation *root,
                          Operation *producer, const FusedConvParts &parts,
                          ArrayRef<Operation *> between = {}) {
  Location loc = rewriter.getFusedLoc({producer->getLoc(), root->getLoc()});
  auto fused = nn::FusedConv2DOp::create(
      rewriter, loc, root->getResult(0).getType(), parts.input, parts.weight,
      parts.bias, parts.stride, parts.padding, parts.dilation, parts.groups,
      parts.relu ? rewriter.getUnitAttr() : UnitAttr(), parts.clamp,
      parts.hardswish ? rewriter.getUnitAttr() : UnitAttr(),
      parts.silu ? rewriter.getUnitAttr() : UnitAttr(), parts.pool,
      parts.poolKernel, parts.poolStride);
  rewriter.replaceOp(root, fused.getResult());
  for (Operation *op : between)
    rewriter.eraseOp(op);
  rewriter.eraseOp(producer);
}

/// Records `relu` on the fused op's parts.
LogicalResult setActivation(nn::ReluOp, FusedConvParts &parts,
                            PatternRewriter &) {
  parts.relu = true;
  return success();
}

/// Records `clamp`'s bounds on the fused op's parts; infinite ones (an ONNX
/// Clip with one bound) stay an nn.clamp.
LogicalResult setActivation(nn::ClampOp clamp, FusedConvParts &parts,
                            PatternRewriter &rewriter) {
  float lo = clamp.getMinAttr().getValue().convertToFloat();
  float hi = clamp.getMaxAttr().getValue().convertToFloat();
  if (!std::isfinite(lo) || !std::isfinite(hi))
    return rewriter.notifyMatchFailure(clamp,
                                       "fused clamps have finite bounds");
  parts.clamp = rewriter.getDenseF32ArrayAttr({lo, hi});
  return success();
}

/// Records a hard swish on the fused op's parts. It is not monotonic, so
/// unlike the others it does not commute with a max pool fused before it.
LogicalResult setActivation(nn::HardSwishOp hardSwish, FusedConvParts &parts,
                            PatternRewriter &rewriter) {
  if (parts.pool)
    return rewriter.notifyMatchFailure(
        hardSwish, "hard swish does not commute with pooling");
  parts.hardswish = true;
  return success();
}

/// relu(conv), clamp(conv) or hard_swish(conv) -> fused_conv2d relu / clamp
/// / hardswish; ReLU and clamp also after a fused max pool without an
/// activation (they are monotonic, so they commute with a max:
/// max(relu(x)) == relu(max(x))).
template <typename ActivationOp>
struct FuseActivationIntoConv : OpRewritePattern<ActivationOp> {
  using OpRewritePattern<ActivationOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivationOp activation,
                                PatternRewriter &rewriter) const override {
    std::optional<FusedConvParts> parts = getConvParts(activation.getInput());
    if (!parts || hasActivation(*parts))
      return rewriter.notifyMatchFailure(activation,
                                         "no single-use convolution");
    if (parts->pool && parts->pool.getValue() != "max")
      return rewriter.notifyMatchFailure(
          activation, "the activation does not commute with average pooling");
    if (failed(setActivation(activation, *parts, rewriter)))
      return failure();
    replaceWithFusedConv(rewriter, activation,
                         activation.getInput().getDefiningOp(), *parts);
    return success();
  }
};

/// mul(conv, sigmoid(conv)) (or mul(sigmoid(conv), conv)) -> fused_conv2d
/// silu, when the sigmoid and the product are the convolution's only
/// readers and the product the sigmoid's. Not after a pool: SiLU is not
/// monotonic.
struct FuseSiLUIntoConv : OpRewritePattern<nn::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::MulOp mul,
                                PatternRewriter &rewriter) const override {
    Value x = mul.getLhs();
    auto sigmoid = mul.getRhs().getDefiningOp<nn::SigmoidOp>();
    if (!sigmoid || sigmoid.getInput() != x) {
      x = mul.getRhs();
      sigmoid = mul.getLhs().getDefiningOp<nn::SigmoidOp>();
    }
    if (!sigmoid || sigmoid.getInput() != x || !sigmoid->hasOneUse())
      return rewriter.notifyMatchFailure(mul, "not x * sigmoid(x)");
    if (llvm::range_size(x.getUses()) != 2)
      return rewriter.notifyMatchFailure(
          mul, "the convolution has readers besides the SiLU");
    std::optional<FusedConvParts> parts = getSharedConvParts(x);
    if (!parts || hasActivation(*parts) || parts->pool)
      return rewriter.notifyMatchFailure(mul, "no plain convolution");
    parts->silu = true;
    replaceWithFusedConv(rewriter, mul, x.getDefiningOp(), *parts, {sigmoid});
    return success();
  }
};

/// Why the convolution `parts` describes cannot compute `pool` in its
/// epilogue; null when it can: a pool without padding whose windows all lie
/// inside the convolution's output.
template <typename PoolOp>
const char *whyPoolNotFused(PoolOp pool, const FusedConvParts &parts) {
  if (parts.pool)
    return "the convolution already pools";
  if (parts.hardswish || parts.silu)
    return "hard swish and SiLU do not commute with pooling";
  if (llvm::any_of(pool.getPadding(), [](int64_t p) { return p != 0; }))
    return "padded pools are not fused";
  // No kernel computes a grouped convolution with a pooling: the group
  // would run as its ops, in another order of operations than the
  // depthwise kernel's FMAs, and slower than the depthwise and pooling
  // kernels apart.
  if (parts.groups.getInt() != 1)
    return "pools after grouped convolutions are not fused";
  if constexpr (std::is_same_v<PoolOp, nn::MaxPool2DOp>)
    if (pool.getDilation())
      return "dilated pools are not fused";
  ArrayRef<int64_t> in =
      cast<RankedTensorType>(pool.getInput().getType()).getShape();
  ArrayRef<int64_t> out = cast<RankedTensorType>(pool.getType()).getShape();
  ArrayRef<int64_t> kernel = pool.getKernel(), stride = pool.getStride();
  for (int i = 0; i < 2; ++i)
    if ((out[2 + i] - 1) * stride[i] + kernel[i] > in[2 + i])
      return "a ceil_mode window runs past the convolution's output";
  return nullptr;
}

/// pool(conv) -> fused_conv2d with the pool (see whyPoolNotFused).
template <typename PoolOp> struct FusePoolIntoConv : OpRewritePattern<PoolOp> {
  FusePoolIntoConv(MLIRContext *context, StringRef kind)
      : OpRewritePattern<PoolOp>(context), kind(kind) {}

  LogicalResult matchAndRewrite(PoolOp pool,
                                PatternRewriter &rewriter) const override {
    std::optional<FusedConvParts> parts = getConvParts(pool.getInput());
    if (!parts)
      return rewriter.notifyMatchFailure(pool, "no single-use convolution");
    if (const char *reason = whyPoolNotFused(pool, *parts))
      return rewriter.notifyMatchFailure(pool, reason);
    parts->pool = rewriter.getStringAttr(kind);
    parts->poolKernel = pool.getKernelAttr();
    parts->poolStride = pool.getStrideAttr();
    replaceWithFusedConv(rewriter, pool, pool.getInput().getDefiningOp(),
                         *parts);
    return success();
  }

  std::string kind;
};

/// pool(concat(a, b, ...) along the channels) -> concat(pool(a), pool(b),
/// ...) when every piece is a convolution that the pool then fuses into (a
/// SqueezeNet fire module's two expand convolutions before a max pool):
/// each convolution pools its own output, and the unpooled concatenation,
/// four times the pooled one's bytes, is never written.
template <typename PoolOp>
struct DistributePoolOverConcat : OpRewritePattern<PoolOp> {
  using OpRewritePattern<PoolOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(PoolOp pool,
                                PatternRewriter &rewriter) const override {
    auto concat = pool.getInput().template getDefiningOp<nn::ConcatOp>();
    if (!concat || concat.getDim() != 1 || !concat->hasOneUse())
      return rewriter.notifyMatchFailure(pool,
                                         "no single-use channel concatenation");
    for (Value piece : concat.getInputs()) {
      std::optional<FusedConvParts> parts = getConvParts(piece);
      if (!parts || whyPoolNotFused(pool, *parts))
        return rewriter.notifyMatchFailure(
            pool, "a piece is no convolution the pool would fuse into");
    }
    ArrayRef<int64_t> out = cast<RankedTensorType>(pool.getType()).getShape();
    SmallVector<Value> pooled;
    for (Value piece : concat.getInputs()) {
      int64_t channels = cast<RankedTensorType>(piece.getType()).getDimSize(1);
      auto type = RankedTensorType::get({out[0], channels, out[2], out[3]},
                                        rewriter.getF32Type());
      OperationState state(pool.getLoc(), pool->getName().getStringRef(),
                           ValueRange{piece}, TypeRange{type},
                           pool->getAttrs());
      pooled.push_back(rewriter.create(state)->getResult(0));
    }
    rewriter.replaceOpWithNewOp<nn::ConcatOp>(pool, pool.getType(), pooled,
                                              concat.getDimAttr());
    rewriter.eraseOp(concat);
    return success();
  }
};

/// relu(linear) -> fused_linear relu.
struct FuseReluIntoLinear : OpRewritePattern<nn::ReluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::ReluOp relu,
                                PatternRewriter &rewriter) const override {
    auto linear = relu.getInput().getDefiningOp<nn::LinearOp>();
    if (!linear || !linear->hasOneUse())
      return rewriter.notifyMatchFailure(relu, "no single-use linear layer");
    Location loc = rewriter.getFusedLoc({linear.getLoc(), relu.getLoc()});
    auto fused = nn::FusedLinearOp::create(
        rewriter, loc, relu.getType(), linear.getInput(), linear.getWeight(),
        linear.getBias(), rewriter.getUnitAttr());
    rewriter.replaceOp(relu, fused.getResult());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct FusePass : kiln::impl::FusePassBase<FusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFusionPatterns(patterns);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace

void kiln::populateFusionPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<FuseActivationIntoConv<nn::ReluOp>,
               FuseActivationIntoConv<nn::ClampOp>,
               FuseActivationIntoConv<nn::HardSwishOp>, FuseSiLUIntoConv,
               FuseReluIntoLinear>(context);
  patterns.add<FusePoolIntoConv<nn::MaxPool2DOp>>(context, "max");
  patterns.add<FusePoolIntoConv<nn::AvgPool2DOp>>(context, "avg");
  patterns.add<DistributePoolOverConcat<nn::MaxPool2DOp>,
               DistributePoolOverConcat<nn::AvgPool2DOp>>(context);
}
