//===- CheckLowering.h - What fuzz targets demand of a built module -*- C++ -*-===//
//
// A reader may reject any input, but a module it builds must verify (its
// checks must agree with the ops' verifiers) and lower as kilnc lowers it;
// the fuzz targets of the readers trap otherwise, so libFuzzer reports the
// input.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_FUZZ_CHECKLOWERING_H
#define KILN_TEST_FUZZ_CHECKLOWERING_H

#include "kiln/Passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::fuzz {

/// Verifies `module`, then runs the nn-level simplifications and fusion on
/// it and, with `toLinalg`, the lowering to linalg; traps on any failure.
inline void checkModuleLowers(mlir::ModuleOp module, bool toLinalg) {
  if (mlir::failed(mlir::verify(module))) {
    llvm::errs() << "a reader built a module that does not verify\n";
    __builtin_trap();
  }
  mlir::PassManager pm(module.getContext());
  pm.addPass(createSimplifyPass());
  pm.addPass(createFusePass());
  if (toLinalg)
    pm.addPass(createConvertNNToLinalgPass());
  if (mlir::failed(pm.run(module))) {
    llvm::errs() << "lowering a verified module failed\n";
    __builtin_trap();
  }
}

} // namespace kiln::fuzz

#endif // KILN_TEST_FUZZ_CHECKLOWERING_H
