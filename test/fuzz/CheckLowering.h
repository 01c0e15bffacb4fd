//===- CheckLowering.h - What fuzz targets demand of a built module -*- C++
//-*-===//
//
// A reader may reject any input, but a module it builds must verify (its
// checks must agree with the ops' verifiers) and lower as kilnc lowers it;
// the fuzz targets of the readers trap otherwise, so libFuzzer reports the
// input. The GPU path's kernels are built too; that may fail, not crash.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_FUZZ_CHECKLOWERING_H
#define KILN_TEST_FUZZ_CHECKLOWERING_H

#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Codegen/Passes.h"
#include "kiln/Passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::fuzz {

/// Verifies `module`, then runs the nn-level simplifications and fusion on
/// it and, with `toLinalg`, the packing of several outputs and the lowering
/// to linalg, as kilnc does; traps on any failure.
inline void checkModuleLowers(mlir::ModuleOp module, bool toLinalg) {
  if (mlir::failed(mlir::verify(module))) {
    llvm::errs() << "a reader built a module that does not verify\n";
    __builtin_trap();
  }
  mlir::PassManager pm(module.getContext());
  pm.addPass(createSimplifyPass());
  pm.addPass(createFusePass());
  if (toLinalg) {
    pm.addPass(createPackModelIOPass());
    pm.addPass(createConvertNNToLinalgPass());
  }
  if (mlir::failed(pm.run(module))) {
    llvm::errs() << "lowering a verified module failed\n";
    __builtin_trap();
  }
}

/// Runs the GPU path's kernel pipeline (kiln-simplify, kiln-fuse,
/// kiln-nn-to-gpu and its memory plan: all of `kilnc --target=nvptx
/// --emit=gpu`) on a copy of `module`. The GPU path may refuse a model with
/// a diagnostic (a layer beyond CUDA's grid or its 32-bit indexing); only
/// crashes and sanitizer reports count.
inline void runGPULowering(mlir::ModuleOp module) {
  mlir::OwningOpRef<mlir::ModuleOp> copy = module.clone();
  mlir::PassManager pm(module.getContext());
  pm.addPass(createSimplifyPass());
  pm.addPass(createFusePass());
  buildNNToGPUPipeline(pm, GPUPipelineOptions());
  (void)pm.run(*copy);
}

} // namespace kiln::fuzz

#endif // KILN_TEST_FUZZ_CHECKLOWERING_H
