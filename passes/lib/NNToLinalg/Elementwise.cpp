//===- Elementwise.cpp - Activations, dropout and batchnorm to linalg -----===//
//
// Activations are element-wise linalg.generic ops, so that later fusion can
// pull them into the producer's loops. Inference batchnorm is per-channel
// affine: a tiny generic over the channels computes PyTorch's
// scale = weight / sqrt(var + eps) and shift = bias - mean * scale, then one
// element-wise generic applies x * scale + shift.
//
//===----------------------------------------------------------------------===//
#include "../Constants.h"
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace kiln;

namespace {

/// Lowers a unary nn op to an element-wise generic computing `Body`.
template <typename OpTy, Value (*Body)(OpBuilder &, Location, Value)>
struct UnaryLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result =
        createElementwise(rewriter, op.getLoc(), adaptor.getInput(),
                          [](OpBuilder &b, Location loc, ValueRange args) {
                            return Body(b, loc, args[0]);
                          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// |x|.
static Value abs(OpBuilder &b, Location loc, Value x) {
  return math::AbsFOp::create(b, loc, x);
}

static Value exp(OpBuilder &b, Location loc, Value x) {
  return math::ExpOp::create(b, loc, x);
}

static Value log(OpBuilder &b, Location loc, Value x) {
  return math::LogOp::create(b, loc, x);
}

static Value erf(OpBuilder &b, Location loc, Value x) {
  return math::ErfOp::create(b, loc, x);
}

static Value sqrt(OpBuilder &b, Location loc, Value x) {
  return math::SqrtOp::create(b, loc, x);
}

/// 1 / x, divided (not an approximate reciprocal).
static Value reciprocal(OpBuilder &b, Location loc, Value x) {
  return arith::DivFOp::create(b, loc, createF32(b, loc, 1.0), x);
}

/// x / (1 + |x|), PyTorch's Softsign.
static Value softsign(OpBuilder &b, Location loc, Value x) {
  Value denominator = arith::AddFOp::create(b, loc, createF32(b, loc, 1.0),
                                            math::AbsFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, x, denominator);
}

/// max(x, 0) + log1p(exp(-|x|)): log(1 + exp(x)) without overflow.
static Value softplus(OpBuilder &b, Location loc, Value x) {
  Value exp = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x)));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x, createF32(b, loc, 0.0)),
      math::Log1pOp::create(b, loc, exp));
}

/// max(x, 0); arith.maximumf propagates NaN as torch.relu does.
static Value relu(OpBuilder &b, Location loc, Value x) {
  return arith::MaximumFOp::create(b, loc, x, createF32(b, loc, 0.0));
}

/// 1 / (1 + exp(-x)).
static Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = createF32(b, loc, 1.0);
  Value exp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, exp));
}

static Value tanh(OpBuilder &b, Location loc, Value x) {
  return math::TanhOp::create(b, loc, x);
}

/// min(max(x, lo), hi), torch.clamp's order: a lo above hi gives hi. Both
/// propagate NaN. An infinite bound (an ONNX Clip without it) clamps
/// nothing and is left out.
static Value clamp(OpBuilder &b, Location loc, Value x, double lo, double hi) {
  if (!std::isinf(lo))
    x = arith::MaximumFOp::create(b, loc, x, createF32(b, loc, lo));
  if (!std::isinf(hi))
    x = arith::MinimumFOp::create(b, loc, x, createF32(b, loc, hi));
  return x;
}

struct ClampLowering : OpConversionPattern<nn::ClampOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ClampOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       createClamp(rewriter, op.getLoc(), adaptor.getInput(),
                                   op.getMinAttr().getValueAsDouble(),
                                   op.getMaxAttr().getValueAsDouble()));
    return success();
  }
};

/// Lowers an element-wise nn op whose computation depends on its
/// attributes to a generic computing `Body(b, loc, x, op)`.
template <typename OpTy, Value (*Body)(OpBuilder &, Location, Value, OpTy)>
struct ActivationLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value result =
        createElementwise(rewriter, op.getLoc(), adaptor.getInput(),
                          [&](OpBuilder &b, Location loc, ValueRange args) {
                            return Body(b, loc, args[0], op);
                          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// x > 0 ? x : slope * x, as torch's leaky_relu computes it (NaN * slope
/// keeps the NaN).
static Value leakyRelu(OpBuilder &b, Location loc, Value x,
                       nn::LeakyReluOp op) {
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                         createF32(b, loc, 0.0));
  Value scaled = arith::MulFOp::create(
      b, loc, x, createF32(b, loc, op.getSlopeAttr().getValueAsDouble()));
  return arith::SelectOp::create(b, loc, positive, x, scaled);
}

/// exp(x) - 1, as PyTorch's ELU and SELU compute it.
static Value expMinusOne(OpBuilder &b, Location loc, Value x) {
  return arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x),
                               createF32(b, loc, 1.0));
}

/// x where x > 0, alpha * (exp(x) - 1) elsewhere: PyTorch's ELU, in its
/// order of operations (NaN stays NaN).
static Value elu(OpBuilder &b, Location loc, Value x, nn::EluOp op) {
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                         createF32(b, loc, 0.0));
  Value scaled = arith::MulFOp::create(
      b, loc, expMinusOne(b, loc, x),
      createF32(b, loc, op.getAlphaAttr().getValueAsDouble()));
  return arith::SelectOp::create(b, loc, positive, x, scaled);
}

/// x where x > 0, alpha * (exp(x / alpha) - 1) elsewhere: ONNX's Celu,
/// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), whose min and max
/// pick the same side for either sign of alpha (NaN stays NaN).
static Value celu(OpBuilder &b, Location loc, Value x, nn::CeluOp op) {
  Value alpha = createF32(b, loc, op.getAlphaAttr().getValueAsDouble());
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                         createF32(b, loc, 0.0));
  Value scaled = arith::MulFOp::create(
      b, loc, alpha,
      expMinusOne(b, loc, arith::DivFOp::create(b, loc, x, alpha)));
  return arith::SelectOp::create(b, loc, positive, x, scaled);
}

/// gamma * x where x > 0, (exp(x) - 1) * (gamma * alpha) elsewhere:
/// PyTorch's SELU, in its order of operations (NaN stays NaN).
static Value selu(OpBuilder &b, Location loc, Value x, nn::SeluOp op) {
  float gamma = op.getGammaAttr().getValueAsDouble();
  float negative = gamma * (float)op.getAlphaAttr().getValueAsDouble();
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                         createF32(b, loc, 0.0));
  Value expm1 = expMinusOne(b, loc, x);
  Value scaled = arith::MulFOp::create(b, loc, x, createF32(b, loc, gamma));
  Value negativeSide =
      arith::MulFOp::create(b, loc, expm1, createF32(b, loc, negative));
  return arith::SelectOp::create(b, loc, positive, scaled, negativeSide);
}

/// x where x > alpha, 0 elsewhere (NaN gives 0, as ONNX's reference does).
static Value thresholdedRelu(OpBuilder &b, Location loc, Value x,
                             nn::ThresholdedReluOp op) {
  Value above = arith::CmpFOp::create(
      b, loc, arith::CmpFPredicate::OGT, x,
      createF32(b, loc, op.getAlphaAttr().getValueAsDouble()));
  return arith::SelectOp::create(b, loc, above, x, createF32(b, loc, 0.0));
}

/// max(0, min(1, alpha * x + beta)), ONNX's HardSigmoid (NaN stays NaN).
static Value hardSigmoid(OpBuilder &b, Location loc, Value x,
                         nn::HardSigmoidOp op) {
  Value scaled = arith::MulFOp::create(
      b, loc, x, createF32(b, loc, op.getAlphaAttr().getValueAsDouble()));
  Value affine = arith::AddFOp::create(
      b, loc, scaled, createF32(b, loc, op.getBetaAttr().getValueAsDouble()));
  return clamp(b, loc, affine, 0.0, 1.0);
}

/// x * min(max(x + 3, 0), 6) / 6, PyTorch's hardswish in its order of
/// operations.
static Value hardSwish(OpBuilder &b, Location loc, Value x) {
  Value shifted = arith::AddFOp::create(b, loc, x, createF32(b, loc, 3.0));
  Value gate = clamp(b, loc, shifted, 0.0, 6.0);
  return arith::DivFOp::create(b, loc, arith::MulFOp::create(b, loc, x, gate),
                               createF32(b, loc, 6.0));
}

/// Dropout is the identity at inference.
struct DropoutLowering : OpConversionPattern<nn::DropoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct BatchNormLowering : OpConversionPattern<nn::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    MLIRContext *ctx = rewriter.getContext();

    Value scale, shift;
    if (failed(foldScaleAndShift(rewriter, op, scale, shift)))
      std::tie(scale, shift) = computeScaleAndShift(rewriter, op, adaptor);

    // y = x * scale[c] + shift[c].
    unsigned rank = type.getRank();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx));
    auto apply = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{adaptor.getInput(), scale, shift},
        ValueRange{createEmpty(rewriter, loc, type.getShape())},
        ArrayRef<AffineMap>{identity, channel, channel, identity},
        iterators(rank), [&](OpBuilder &b, Location l, ValueRange args) {
          Value scaled = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, scaled, args[2]).getResult());
        });
    rewriter.replaceOp(op, apply.getResult(0));
    return success();
  }

  /// With constant parameters, the scale and shift as constants, computed
  /// in double and rounded once: no work at run time, and element-wise
  /// loops that read constants rather than the workspace they write, which
  /// LLVM vectorizes without proving that the two do not overlap.
  static LogicalResult foldScaleAndShift(ConversionPatternRewriter &rewriter,
                                         nn::BatchNormOp op, Value &scale,
                                         Value &shift) {
    ConstantTensor weight, bias, mean, var;
    if (failed(readConstant(op.getWeight(), weight)) ||
        failed(readConstant(op.getBias(), bias)) ||
        failed(readConstant(op.getRunningMean(), mean)) ||
        failed(readConstant(op.getRunningVar(), var)))
      return failure();
    double eps = op.getEps().convertToDouble();
    size_t channels = weight.values.size();
    SmallVector<float> scales(channels), shifts(channels);
    for (size_t c = 0; c < channels; ++c) {
      double s =
          double(weight.values[c]) / std::sqrt(double(var.values[c]) + eps);
      scales[c] = float(s);
      shifts[c] = float(double(bias.values[c]) - double(mean.values[c]) * s);
    }
    auto type =
        RankedTensorType::get({int64_t(channels)}, rewriter.getF32Type());
    scale = arith::ConstantOp::create(rewriter, op.getLoc(),
                                      makeF32Attr(type, scales, false, ""));
    shift = arith::ConstantOp::create(rewriter, op.getLoc(),
                                      makeF32Attr(type, shifts, false, ""));
    return success();
  }

  /// Per channel: scale = weight * (1 / sqrt(var + eps)),
  /// shift = bias - mean * scale, in PyTorch's order of operations, at run
  /// time (computed parameters).
  static std::pair<Value, Value>
  computeScaleAndShift(ConversionPatternRewriter &rewriter, nn::BatchNormOp op,
                       OpAdaptor adaptor) {
    Location loc = op.getLoc();
    int64_t channels = cast<RankedTensorType>(op.getType()).getDimSize(1);
    Value eps = createF32(rewriter, loc, op.getEps().convertToDouble());
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);
    Value scaleInit = createEmpty(rewriter, loc, {channels});
    Value shiftInit = createEmpty(rewriter, loc, {channels});
    auto affine = linalg::GenericOp::create(
        rewriter, loc, TypeRange{scaleInit.getType(), shiftInit.getType()},
        ValueRange{adaptor.getWeight(), adaptor.getBias(),
                   adaptor.getRunningMean(), adaptor.getRunningVar()},
        ValueRange{scaleInit, shiftInit}, SmallVector<AffineMap>(6, id1),
        iterators(1), [&](OpBuilder &b, Location l, ValueRange args) {
          Value weight = args[0], bias = args[1], mean = args[2], var = args[3];
          Value std =
              math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, var, eps));
          Value invStd = arith::DivFOp::create(b, l, createF32(b, l, 1.0), std);
          Value scale = arith::MulFOp::create(b, l, invStd, weight);
          Value shift = arith::SubFOp::create(
              b, l, bias, arith::MulFOp::create(b, l, mean, scale));
          linalg::YieldOp::create(b, l, ValueRange{scale, shift});
        });
    return {affine.getResult(0), affine.getResult(1)};
  }
};

} // namespace

Value kiln::createRelu(OpBuilder &b, Location loc, Value x) {
  return createElementwise(b, loc, x,
                           [](OpBuilder &b, Location loc, ValueRange args) {
                             return relu(b, loc, args[0]);
                           });
}

Value kiln::createHardSwish(OpBuilder &b, Location loc, Value x) {
  return createElementwise(b, loc, x,
                           [](OpBuilder &b, Location loc, ValueRange args) {
                             return hardSwish(b, loc, args[0]);
                           });
}

Value kiln::createSiLU(OpBuilder &b, Location loc, Value x) {
  return createElementwise(
      b, loc, x, [](OpBuilder &b, Location loc, ValueRange args) {
        return arith::MulFOp::create(b, loc, args[0], sigmoid(b, loc, args[0]));
      });
}

Value kiln::createClamp(OpBuilder &b, Location loc, Value x, double lo,
                        double hi) {
  return createElementwise(b, loc, x,
                           [&](OpBuilder &b, Location loc, ValueRange args) {
                             return clamp(b, loc, args[0], lo, hi);
                           });
}

void kiln::populateElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<
      UnaryLowering<nn::ReluOp, relu>, UnaryLowering<nn::SigmoidOp, sigmoid>,
      UnaryLowering<nn::TanhOp, tanh>, ClampLowering,
      ActivationLowering<nn::LeakyReluOp, leakyRelu>,
      ActivationLowering<nn::EluOp, elu>, ActivationLowering<nn::CeluOp, celu>,
      ActivationLowering<nn::SeluOp, selu>,
      ActivationLowering<nn::ThresholdedReluOp, thresholdedRelu>,
      UnaryLowering<nn::AbsOp, abs>, UnaryLowering<nn::ExpOp, exp>,
      UnaryLowering<nn::ErfOp, erf>, UnaryLowering<nn::LogOp, log>,
      UnaryLowering<nn::SqrtOp, sqrt>,
      UnaryLowering<nn::ReciprocalOp, reciprocal>,
      UnaryLowering<nn::SoftsignOp, softsign>,
      UnaryLowering<nn::SoftplusOp, softplus>,
      ActivationLowering<nn::HardSigmoidOp, hardSigmoid>,
      UnaryLowering<nn::HardSwishOp, hardSwish>, DropoutLowering,
      BatchNormLowering>(patterns.getContext());
}
