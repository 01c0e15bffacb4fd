//===- safetensors_fuzzer.cpp - libFuzzer target: safetensors -------------===//
//
// Each input is a weights file for one fixed small model (below) that has a
// conv, a batchnorm and a linear layer: the reader validates the header
// (lengths, JSON, offsets, shapes, dtypes), MLIRGen asks for every parameter
// (F32 in place or copied when unaligned, F16/BF16 converted), the unused
// ones are reported, and kiln-simplify folds the batchnorm with whatever
// values the file holds. The seeds (test/fuzz/seeds.py) are valid files for
// this model in every dtype, so mutations reach past the header checks.
//
//===----------------------------------------------------------------------===//
#include "CheckLowering.h"
#include "FuzzFile.h"

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Frontend/Parser.h"
#include "kiln/Frontend/Weights.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace kiln;

/// Keep in sync with seeds.py, which writes weights for this model.
static const char kSpec[] = R"(model fuzz
input 1x2x4x4
conv: conv2d 3 kernel=1
bn: batchnorm
relu
flatten
fc: linear 2
)";

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = fuzz::writeFuzzFile("weights.safetensors", data, size);
  llvm::Expected<std::unique_ptr<frontend::WeightProvider>> weights =
      frontend::openSafetensors(path);
  if (!weights) {
    llvm::consumeError(weights.takeError());
    return 0;
  }

  llvm::SourceMgr sourceMgr;
  frontend::installDiagnosticPrinter(sourceMgr, llvm::nulls());
  unsigned bufferId = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(kSpec, "fuzz.nn"), llvm::SMLoc());
  std::optional<frontend::ModelAST> model =
      frontend::parseSpec(sourceMgr, bufferId);
  if (!model) {
    llvm::errs() << "fuzzer: the fixed spec does not parse\n";
    __builtin_trap();
  }

  DialectRegistry registry;
  registry.insert<nn::NNDialect, func::FuncDialect, arith::ArithDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context, llvm::nulls());
  OwningOpRef<ModuleOp> module =
      frontend::buildModule(context, sourceMgr, *model, **weights);
  weights->reset(); // As kilnc does: the blobs keep the mapping alive.
  if (!module)
    return 0;
  fuzz::checkModuleLowers(*module, /*toLinalg=*/false);
  return 0;
}
