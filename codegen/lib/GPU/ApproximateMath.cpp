//===- ApproximateMath.cpp - Math functions as arithmetic in kernels ------===//
//
// See GPUPasses.td: keeps libdevice out of the PTX.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/GPUPasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_GPUAPPROXIMATEMATHPASS
#include "kiln/Codegen/GPUPasses.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// A math op on f32 as a call of the LLVM intrinsic `name`, which the
/// NVPTX backend maps to one instruction (fma.rn, sqrt.rn, abs, cvt.rmi).
/// convert-gpu-to-nvvm would instead call libdevice (__nv_fmaf, ...): it
/// refuses the llvm.intr.* ops, but not llvm.call_intrinsic.
template <typename MathOp>
struct MathToIntrinsicCall : OpRewritePattern<MathOp> {
  MathToIntrinsicCall(MLIRContext *context, StringRef name)
      : OpRewritePattern<MathOp>(context), name(name) {}

  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32())
      return failure();
    auto call = LLVM::CallIntrinsicOp::create(
        rewriter, op.getLoc(), op.getType(), rewriter.getStringAttr(name),
        op->getOperands());
    rewriter.replaceOp(op, call.getResults());
    return success();
  }

  std::string name;
};

struct GPUApproximateMathPass
    : public impl::GPUApproximateMathPassBase<GPUApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // powf -> exp/log, tanh -> exp, ... then exp/log/... -> polynomials.
    // (Only these: the "fma" expansion would split fused multiply-adds.)
    math::populateExpansionPatterns(patterns, {"powf", "tanh", "fpowi"});
    populateMathPolynomialApproximationPatterns(patterns,
                                                [](StringRef) { return true; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!intrinsics)
      return;
    // After the approximations, which create fma, floor, fabs, ...
    RewritePatternSet calls(&getContext());
    MLIRContext *ctx = &getContext();
    calls.add<MathToIntrinsicCall<math::FmaOp>>(ctx, "llvm.fma.f32");
    calls.add<MathToIntrinsicCall<math::SqrtOp>>(ctx, "llvm.sqrt.f32");
    calls.add<MathToIntrinsicCall<math::AbsFOp>>(ctx, "llvm.fabs.f32");
    calls.add<MathToIntrinsicCall<math::FloorOp>>(ctx, "llvm.floor.f32");
    calls.add<MathToIntrinsicCall<math::CeilOp>>(ctx, "llvm.ceil.f32");
    calls.add<MathToIntrinsicCall<math::CopySignOp>>(ctx, "llvm.copysign.f32");
    calls.add<MathToIntrinsicCall<math::RoundEvenOp>>(ctx,
                                                      "llvm.roundeven.f32");
    if (failed(applyPatternsGreedily(getOperation(), std::move(calls))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace kiln
