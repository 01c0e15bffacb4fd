//===- VectorizableMath.cpp - kiln-vectorizable-math ----------------------===//
//
// Replaces math.exp, math.tanh, math.log1p and math.log (softplus) by
// polynomial approximations, which LLVM's loop vectorizer handles like any
// arithmetic (see Passes.td): MLIR's, except for f32 exp, whose own takes 17
// operations to MLIR's 21 (a SiLU is mostly its exp), and x * (1 / y) becomes
// x / y (a SiLU's sigmoid and product).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_VECTORIZABLEMATHPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// exp(x) for f32 and vectors of f32, to about 1 ulp: 2^k * e^r with
/// k = round(x * log2(e)) and r = x - k * ln(2) in [-0.35, 0.35], e^r by the
/// degree-7 polynomial of Cephes' expf in Horner's form. Where MLIR's clamps
/// k twice and converts it to an integer for the power of two, this rounds
/// by adding 1.5 * 2^23 (round to nearest: k is then the low bits of the
/// sum, already an integer) and clamps only the sum's top. x is clamped to
/// [-87.8, 88.8] first, which keeps k in [-127, 128]:
///  - k = -127 gives the power 2^-127 as +0.0: exp is 0 where it would be
///    below about 2^-126 (x < -87.3), as MLIR's is;
///  - k = 128 is clamped to 127, and p(r) * 2^127 overflows to inf above
///    88.72, as exp does;
///  - NaN stays NaN through every step.
struct ExpApproximation : public OpRewritePattern<math::ExpOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::ExpOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    auto vector = dyn_cast<VectorType>(type);
    if (getElementTypeOrSelf(type) != rewriter.getF32Type() ||
        (vector && vector.isScalable()))
      return rewriter.notifyMatchFailure(op, "not f32");
    Type intType = vector ? Type(vector.clone(rewriter.getI32Type()))
                          : Type(rewriter.getI32Type());
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto constant = [&](float value) -> Value {
      auto attr = rewriter.getF32FloatAttr(value);
      if (vector)
        return arith::ConstantOp::create(b, vector,
                                         SplatElementsAttr::get(vector, attr));
      return arith::ConstantOp::create(b, attr);
    };
    auto intConstant = [&](int32_t value) -> Value {
      auto attr = rewriter.getI32IntegerAttr(value);
      if (vector)
        return arith::ConstantOp::create(
            b, intType,
            SplatElementsAttr::get(cast<ShapedType>(intType), attr));
      return arith::ConstantOp::create(b, attr);
    };
    // max(v, bound) and min(v, bound) that keep a NaN v (unordered compares
    // select v), one instruction each on x86.
    auto atLeast = [&](Value v, float bound) -> Value {
      Value c = constant(bound);
      return arith::SelectOp::create(
          b, arith::CmpFOp::create(b, arith::CmpFPredicate::UGE, v, c), v, c);
    };
    auto atMost = [&](Value v, float bound) -> Value {
      Value c = constant(bound);
      return arith::SelectOp::create(
          b, arith::CmpFOp::create(b, arith::CmpFPredicate::ULE, v, c), v, c);
    };
    auto fma = [&](Value x, Value y, float z) -> Value {
      return math::FmaOp::create(b, x, y, constant(z));
    };

    Value x = atMost(atLeast(op.getOperand(), -87.8f), 88.8f);
    // 1.5 * 2^23: sums in [2^23, 2^24) round to integers.
    constexpr float kRound = 12582912.0f;
    Value sum = atMost(fma(x, constant(1.44269504f), kRound), kRound + 127.0f);
    Value k = arith::SubFOp::create(b, sum, constant(kRound));
    // ln(2) in two parts: k * 0.693359375 is exact.
    Value r = math::FmaOp::create(b, k, constant(-0.693359375f), x);
    r = math::FmaOp::create(b, k, constant(2.12194440e-4f), r);
    Value p = constant(1.9875691500e-4f);
    for (float coefficient :
         {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
          1.6666665459e-1f, 5.0000001201e-1f, 1.0f, 1.0f})
      p = fma(p, r, coefficient);
    // The sum's bits are 0x4B400000 + k: shifted by 23, k's own (the rest
    // shifts out), plus the bias: the f32 bits of 2^k.
    Value bits = arith::AddIOp::create(
        b,
        arith::ShLIOp::create(b, arith::BitcastOp::create(b, intType, sum),
                              intConstant(23)),
        intConstant(127 << 23));
    rewriter.replaceOp(
        op, arith::MulFOp::create(b, p, arith::BitcastOp::create(b, type, bits))
                .getResult());
    return success();
  }
};

/// x * (1 / y) -> x / y, when nothing else reads 1 / y: one rounding and one
/// operation less (a SiLU's x * sigmoid(x), as ONNX exports it).
struct MultiplyByReciprocal : public OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp op,
                                PatternRewriter &rewriter) const override {
    for (int side = 0; side < 2; ++side) {
      Value factor = op->getOperand(side), other = op->getOperand(1 - side);
      auto reciprocal = factor.getDefiningOp<arith::DivFOp>();
      if (!reciprocal || !reciprocal->hasOneUse() ||
          !matchPattern(reciprocal.getLhs(), m_OneFloat()))
        continue;
      rewriter.replaceOpWithNewOp<arith::DivFOp>(op, other,
                                                 reciprocal.getRhs());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no reciprocal factor");
  }
};

struct VectorizableMathPass
    : public impl::VectorizableMathPassBase<VectorizableMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // The predicate sees operation names.
    // Before MLIR's: exp of f32, which is all Kiln computes.
    patterns.add<ExpApproximation, MultiplyByReciprocal>(&getContext(),
                                                         /*benefit=*/2);
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return name == math::ExpOp::getOperationName() ||
             name == math::TanhOp::getOperationName() ||
             name == math::Log1pOp::getOperationName() ||
             name == math::LogOp::getOperationName() ||
             name == math::ErfOp::getOperationName();
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace kiln
