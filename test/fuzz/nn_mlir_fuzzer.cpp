//===- nn_mlir_fuzzer.cpp - libFuzzer target: nn dialect IR
//----------------===//
//
// The spec and ONNX frontends only build nn ops that they checked, so the
// ops' verifiers rarely see a bad attribute from them. This target feeds
// arbitrary MLIR text (as kiln-opt reads it) to the nn dialect's parsers and
// verifiers, and runs kiln-simplify, kiln-fuse and convert-nn-to-linalg on what
// verifies, then (on a copy) the GPU path's kernel pipeline. A pass may
// fail on IR it does not handle; only crashes and
// sanitizer reports count. Seeds: test/dialect and test/passes, one case per
// `// -----` split.
//
//===----------------------------------------------------------------------===//
#include "CheckLowering.h"

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace kiln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registry.insert<nn::NNDialect, func::FuncDialect, arith::ArithDialect,
                  tensor::TensorDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Unregistered dialects stay errors: they would only test MLIR's parser.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  // MLIR's lexer relies on the NUL after the buffer that files read with
  // MemoryBuffer (as kiln-opt reads them) have; a fuzz input has none, and
  // parseSourceString would read past it.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "fuzz.mlir"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 0; // Parsing verifies.
  fuzz::runGPULowering(*module);
  PassManager pm(&context);
  pm.addPass(createSimplifyPass());
  pm.addPass(createFusePass());
  pm.addPass(createConvertNNToLinalgPass());
  (void)pm.run(*module);
  return 0;
}
