//===- Simplify.cpp - kiln-simplify: inference no-ops, batchnorm folding --===//
//
// Removes layers that are identities at inference through the nn ops' folders,
// folds nn.batch_norm into the nn.conv2d before it at compile time, and moves
// element-wise ops before reshapes and average pools before pointwise
// convolutions.
//
//===----------------------------------------------------------------------===//
#include "Constants.h"
#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_SIMPLIFYPASS
#include "kiln/Passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The blob name of the folded bias when the convolution had none: the
/// PyTorch-style sibling of the weight ("conv1.weight" -> "conv1.bias").
static std::string biasNameFor(StringRef weightName) {
  StringRef stem = weightName;
  if (stem.consume_back(".weight"))
    return (stem + ".bias").str();
  return (weightName + ".bias").str();
}

/// The output channel that element `i` of a convolution's flat weight
/// feeds: nn.conv2d's weight is [out, in/groups, kh, kw], one slice per
/// output channel.
static int64_t outputChannelOf(nn::Conv2DOp conv, int64_t i) {
  auto type = cast<RankedTensorType>(conv.getWeight().getType());
  return i / (type.getNumElements() / type.getDimSize(0));
}

/// nn.conv_transpose2d's weight is [in, out/groups, kh, kw]: element
/// [c, m, ...] feeds output channel (c / (in/groups)) * out/groups + m.
static int64_t outputChannelOf(nn::ConvTranspose2DOp conv, int64_t i) {
  ArrayRef<int64_t> w =
      cast<RankedTensorType>(conv.getWeight().getType()).getShape();
  int64_t taps = w[2] * w[3];
  int64_t inPerGroup = w[0] / conv.getGroups();
  int64_t c = i / (w[1] * taps), m = (i / taps) % w[1];
  return c / inPerGroup * w[1] + m;
}

/// `conv` with another weight and bias (and input, when given).
static Value rebuild(PatternRewriter &rewriter, Location loc, Type type,
                     nn::Conv2DOp conv, Value weight, Value bias,
                     Value input = nullptr) {
  return nn::Conv2DOp::create(rewriter, loc, type,
                              input ? input : conv.getInput(), weight, bias,
                              conv.getStrideAttr(), conv.getPaddingAttr(),
                              conv.getDilationAttr(), conv.getGroupsAttr());
}

static Value rebuild(PatternRewriter &rewriter, Location loc, Type type,
                     nn::ConvTranspose2DOp conv, Value weight, Value bias) {
  return nn::ConvTranspose2DOp::create(
      rewriter, loc, type, conv.getInput(), weight, bias, conv.getStrideAttr(),
      conv.getPaddingAttr(), conv.getOutputPaddingAttr(),
      conv.getDilationAttr(), conv.getGroupsAttr());
}

/// Folds `nn.batch_norm(conv(x, w, b))` into `conv(x, w', b')`, for an
/// nn.conv2d or an nn.conv_transpose2d, where per output channel o, with
/// s = gamma / sqrt(var + eps):
///   w'[...] = w[...] * s[o] for the weights that feed o,
///   b'[o] = (b[o] - mean[o]) * s[o] + beta[o].
template <typename ConvOp>
struct FoldBatchNormIntoConv : OpRewritePattern<nn::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<ConvOp>();
    if (!conv)
      return rewriter.notifyMatchFailure(bn, "input is not the convolution");
    // Another user still needs the unnormalised convolution.
    if (!conv->hasOneUse())
      return rewriter.notifyMatchFailure(bn, "the convolution has other users");

    ConstantTensor weight, bias, gamma, beta, mean, var;
    if (failed(readConstant(conv.getWeight(), weight)) ||
        (conv.getBias() && failed(readConstant(conv.getBias(), bias))) ||
        failed(readConstant(bn.getWeight(), gamma)) ||
        failed(readConstant(bn.getBias(), beta)) ||
        failed(readConstant(bn.getRunningMean(), mean)) ||
        failed(readConstant(bn.getRunningVar(), var)))
      return rewriter.notifyMatchFailure(
          bn, "a convolution or batchnorm parameter is not a readable f32 "
              "constant");

    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
    int64_t outChannels = cast<RankedTensorType>(conv.getType()).getDimSize(1);
    double eps = bn.getEps().convertToDouble();

    // Double precision so that the only rounding is the final store to f32.
    SmallVector<double> scale(outChannels);
    SmallVector<float> newBias(outChannels);
    for (int64_t o = 0; o < outChannels; ++o) {
      scale[o] =
          double(gamma.values[o]) / std::sqrt(double(var.values[o]) + eps);
      double b = conv.getBias() ? double(bias.values[o]) : 0.0;
      newBias[o] = float((b - double(mean.values[o])) * scale[o] +
                         double(beta.values[o]));
    }
    SmallVector<float> newWeight(weight.values.size());
    for (auto [i, w] : llvm::enumerate(weight.values))
      newWeight[i] = float(double(w) * scale[outputChannelOf(conv, i)]);

    // Keep each parameter in the storage it came in: blobs stay blobs.
    StringRef weightName = getResourceName(weight.attr);
    ElementsAttr weightAttr =
        makeF32Attr(weightType, newWeight, !weightName.empty(),
                    (weightName + ".bnfolded").str());
    std::string biasName;
    bool biasAsResource;
    if (conv.getBias()) {
      biasName = getResourceName(bias.attr).str();
      biasAsResource = !biasName.empty();
    } else {
      biasName = biasNameFor(weightName);
      biasAsResource = !weightName.empty();
    }
    auto biasType = RankedTensorType::get({outChannels}, rewriter.getF32Type());
    ElementsAttr biasAttr =
        makeF32Attr(biasType, newBias, biasAsResource, biasName + ".bnfolded");

    rewriter.setInsertionPoint(conv);
    Value newWeightValue = arith::ConstantOp::create(
        rewriter, conv.getWeight().getLoc(), weightAttr);
    Location biasLoc = conv.getBias() ? conv.getBias().getLoc() : conv.getLoc();
    Value newBiasValue = arith::ConstantOp::create(rewriter, biasLoc, biasAttr);
    // The folded layer stands for both spec lines; the conv's comes first so
    // that diagnostics point at it.
    Location loc = rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()});
    rewriter.replaceOp(bn, rebuild(rewriter, loc, bn.getType(), conv,
                                   newWeightValue, newBiasValue));
    rewriter.eraseOp(conv);
    return success();
  }
};

/// Applies an element-wise op before the nn.reshape that feeds it:
/// f(reshape(x)) -> reshape(f(x)). The ONNX importer runs a 1-D layer as
/// its 2-D form between reshapes (Lift1D.cpp), so a 1-D convolution's ReLU
/// sits between two reshapes; moved before them, it meets the convolution,
/// the reshapes meet and fold away, and kiln-fuse can fuse the two.
struct HoistElementwiseOverReshape : RewritePattern {
  HoistElementwiseOverReshape(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<nn::NNDialect>(op->getDialect()) ||
        !op->hasTrait<OpTrait::Elementwise>() || op->getNumOperands() != 1 ||
        op->getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "not a unary element-wise nn op");
    auto reshape = op->getOperand(0).getDefiningOp<nn::ReshapeOp>();
    if (!reshape || !reshape->hasOneUse())
      return rewriter.notifyMatchFailure(op, "input is not a lone nn.reshape");
    Operation *moved = rewriter.clone(*op);
    moved->setOperand(0, reshape.getInput());
    moved->getResult(0).setType(reshape.getInput().getType());
    rewriter.replaceOpWithNewOp<nn::ReshapeOp>(op, op->getResult(0).getType(),
                                               moved->getResult(0));
    return success();
  }
};

/// Average-pools before a pointwise convolution instead of after it:
/// avg_pool(conv1x1(x)) -> conv1x1(avg_pool(x)). Both are linear maps
/// acting on different dimensions (the pool on H and W, the convolution on
/// channels), and an average of a bias is the bias, so they commute, as long
/// as the pool reads no padding (a padded cell is 0 after the convolution,
/// not its bias). DenseNet's transitions (1x1 convolution, 2x2 average
/// pool) so run their convolution on a quarter of the cells. Only where it
/// pays: the convolution's multiply-adds saved must exceed the pool's extra
/// additions over the (wider or narrower) input.
struct PoolBeforePointwiseConv : OpRewritePattern<nn::AvgPool2DOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::AvgPool2DOp pool,
                                PatternRewriter &rewriter) const override {
    auto conv = pool.getInput().getDefiningOp<nn::Conv2DOp>();
    if (!conv || !conv->hasOneUse())
      return rewriter.notifyMatchFailure(pool, "input is not a lone conv2d");
    auto isOnes = [](ArrayRef<int64_t> values) {
      return llvm::all_of(values, [](int64_t v) { return v == 1; });
    };
    auto isZeros = [](ArrayRef<int64_t> values) {
      return llvm::all_of(values, [](int64_t v) { return v == 0; });
    };
    ArrayRef<int64_t> w =
        cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    if (w[2] != 1 || w[3] != 1 || !isOnes(conv.getStride()) ||
        !isOnes(conv.getDilation()) || !isZeros(conv.getPadding()))
      return rewriter.notifyMatchFailure(pool, "not a pointwise convolution");
    if (!isZeros(pool.getPadding()))
      return rewriter.notifyMatchFailure(pool, "the pool reads padding");
    auto inType = cast<RankedTensorType>(conv.getInput().getType());
    auto outType = cast<RankedTensorType>(pool.getType());
    ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape();
    double cin = double(in[1]), cout = double(out[1]);
    double cells = double(in[2]) * double(in[3]);
    double pooled = double(out[2]) * double(out[3]);
    double window = double(pool.getKernel()[0]) * double(pool.getKernel()[1]);
    double saved = cin / conv.getGroups() * cout * (cells - pooled);
    double added = (cin - cout) * pooled * window;
    if (!(saved > added))
      return rewriter.notifyMatchFailure(pool, "pooling first does not pay");
    auto pooledType = RankedTensorType::get({in[0], in[1], out[2], out[3]},
                                            inType.getElementType());
    Value pooledInput = nn::AvgPool2DOp::create(
        rewriter, pool.getLoc(), pooledType, conv.getInput(),
        pool.getKernelAttr(), pool.getStrideAttr(), pool.getPaddingAttr(),
        pool.getCeilModeAttr(), pool.getCountIncludePadAttr());
    // Each op keeps its own location: profiles still name the layers.
    rewriter.replaceOp(pool,
                       rebuild(rewriter, conv.getLoc(), outType, conv,
                               conv.getWeight(), conv.getBias(), pooledInput));
    return success();
  }
};

struct SimplifyPass : kiln::impl::SimplifyPassBase<SimplifyPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    if (foldBatchNorm)
      populateSimplifyPatterns(patterns);
    patterns.add<HoistElementwiseOverReshape, PoolBeforePointwiseConv>(context);
    // The greedy driver applies the nn folders (dropout, identity adaptive
    // pools and flattens) by itself; canonicalisation patterns join them.
    for (RegisteredOperationName name :
         context->getRegisteredOperationsByDialect("nn"))
      name.getCanonicalizationPatterns(patterns, context);
    // Like the canonicalizer, a result that has not fully converged is still
    // correct IR; it is not an error.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace

void kiln::populateSimplifyPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldBatchNormIntoConv<nn::Conv2DOp>,
               FoldBatchNormIntoConv<nn::ConvTranspose2DOp>>(
      patterns.getContext());
}
