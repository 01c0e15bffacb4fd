//===- AnnotateInnerLoops.cpp - kiln-annotate-inner-loops -----------------===//
//
// Marks innermost scf.for loops so that LLVM vectorizes them before any
// unrolling (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {
#define GEN_PASS_DEF_ANNOTATEINNERLOOPSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// A loop annotation with only `unroll` and `vectorize` (either may be null).
LLVM::LoopAnnotationAttr getLoopAnnotation(MLIRContext *context,
                                           LLVM::LoopUnrollAttr unroll,
                                           LLVM::LoopVectorizeAttr vectorize) {
  return LLVM::LoopAnnotationAttr::get(
      context, /*disableNonforced=*/{}, vectorize, /*interleave=*/{}, unroll,
      /*unrollAndJam=*/{}, /*licm=*/{}, /*distribute=*/{}, /*pipeline=*/{},
      /*peeled=*/{}, /*unswitch=*/{}, /*mustProgress=*/{},
      /*isVectorized=*/{}, /*startLoc=*/{}, /*endLoc=*/{},
      /*parallelAccesses=*/{});
}

LLVM::LoopUnrollAttr getUnroll(MLIRContext *context, bool enable) {
  return LLVM::LoopUnrollAttr::get(
      context, /*disable=*/BoolAttr::get(context, !enable), /*count=*/{},
      /*runtimeDisable=*/{}, /*full=*/{}, /*followupUnrolled=*/{},
      /*followupRemainder=*/{}, /*followupAll=*/{});
}

/// Whether `value` is computed from `loop`'s induction variable inside the
/// loop.
bool dependsOnInductionVar(scf::ForOp loop, Value value) {
  if (value == loop.getInductionVar())
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || !loop->isProperAncestor(def))
    return false;
  return llvm::any_of(def->getOperands(), [&](Value operand) {
    return dependsOnInductionVar(loop, operand);
  });
}

/// Whether `loop` accumulates into one location (a reduction carried in
/// memory or in iter_args), rather than writing a new element each step.
bool isReductionLoop(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 0)
    return true;
  WalkResult result = loop.getBody()->walk([&](memref::StoreOp store) {
    if (!llvm::any_of(store.getIndices(), [&](Value index) {
          return dependsOnInductionVar(loop, index);
        }))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Whether every load and store in `loop` walks memory along its innermost
/// dimension (or not at all) as the loop advances; otherwise vectorizing it
/// needs gathers or scatters, which only LLVM's cost model should choose.
bool hasInnermostAccesses(scf::ForOp loop) {
  auto outerIndicesVary = [&](ValueRange indices) {
    return !indices.empty() &&
           llvm::any_of(indices.drop_back(), [&](Value index) {
             return dependsOnInductionVar(loop, index);
           });
  };
  WalkResult result = loop.getBody()->walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      if (outerIndicesVary(load.getIndices()))
        return WalkResult::interrupt();
    if (auto store = dyn_cast<memref::StoreOp>(op))
      if (outerIndicesVary(store.getIndices()))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// Whether `loop` already works on vectors (a micro-kernel built with the
/// vector dialect): LLVM cannot vectorize it again, and forcing it to try
/// only earns a "loop not vectorized" warning.
bool usesVectors(scf::ForOp loop) {
  auto isVector = [](Type type) { return isa<VectorType>(type); };
  return loop.getBody()
      ->walk([&](Operation *op) {
        if (llvm::any_of(op->getOperandTypes(), isVector) ||
            llvm::any_of(op->getResultTypes(), isVector))
          return WalkResult::interrupt();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

struct AnnotateInnerLoopsPass
    : public impl::AnnotateInnerLoopsPassBase<AnnotateInnerLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // Once vectorized, the vector loop may be unrolled again: fully, for a
    // short row, which keeps the row in registers across the outer loops.
    LLVM::LoopAnnotationAttr vectorized = getLoopAnnotation(
        context, getUnroll(context, /*enable=*/true), /*vectorize=*/{});
    auto vectorize = LLVM::LoopVectorizeAttr::get(
        context, /*disable=*/BoolAttr::get(context, false),
        /*predicateEnable=*/{}, /*scalableEnable=*/{}, /*width=*/{},
        /*followupVectorized=*/vectorized, /*followupEpilogue=*/{},
        /*followupAll=*/{});
    // Before that: vectorize, and do not unroll.
    LLVM::LoopAnnotationAttr annotation = getLoopAnnotation(
        context, getUnroll(context, /*enable=*/false), vectorize);

    getOperation()->walk([&](scf::ForOp loop) {
      bool innermost =
          !loop.getBody()
               ->walk([](scf::ForOp) { return WalkResult::interrupt(); })
               .wasInterrupted();
      if (!innermost || loop->hasAttr(kLoopAnnotationAttrName))
        return;
      // Forced vectorization lets LLVM reassociate a reduction's
      // floating-point additions; only do that when asked to.
      if (!reductions && isReductionLoop(loop))
        return;
      if (!hasInnermostAccesses(loop) || usesVectors(loop))
        return;
      loop->setAttr(kLoopAnnotationAttrName, annotation);
    });
  }
};

} // namespace
} // namespace kiln
