//===- spec_fuzzer.cpp - libFuzzer target: .nn specs to linalg
//-------------===//
//
// Feeds arbitrary bytes through everything a spec goes through before
// codegen: the lexer and parser (with the diagnostic printer, whose excerpts
// of long lines are arithmetic on columns), MLIRGen with its shape checks,
// the nn dialect's verifiers, kiln-simplify and convert-nn-to-linalg, and the
// GPU path's kernels (kiln-nn-to-gpu, as --target=nvptx --emit=gpu). Errors
// are expected and fine; a crash, a sanitizer report, a hang or an
// allocation beyond libFuzzer's limits is a bug.
//
//===----------------------------------------------------------------------===//
#include "CheckLowering.h"

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/Shapes.h"
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
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>

using namespace mlir;
using namespace kiln;

namespace {

/// Parameters past this size are refused: the compiler accepts tensors up to
/// 2^40 bytes (test/diagnostics covers what happens when they cannot be
/// allocated), but the fuzzer must stay within its memory limit.
constexpr int64_t kMaxFuzzWeightBytes = 16 << 20;

/// kiln's random weights for parameters up to kMaxFuzzWeightBytes in all.
class BoundedWeights : public frontend::WeightProvider {
public:
  std::optional<AsmResourceBlob> get(StringRef name, ArrayRef<int64_t> shape,
                                     const frontend::ParamInit &init,
                                     Location loc) override {
    std::optional<int64_t> count = nn::checkedElementCount(shape);
    if (!count || *count > (kMaxFuzzWeightBytes - used) / 4) {
      emitError(loc) << "fuzzer: parameter '" << name << "' is over budget";
      return std::nullopt;
    }
    used += *count * 4;
    return random->get(name, shape, init, loc);
  }

private:
  std::unique_ptr<frontend::WeightProvider> random =
      frontend::createRandomWeights(0);
  int64_t used = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sourceMgr;
  frontend::installDiagnosticPrinter(sourceMgr, llvm::nulls());
  unsigned bufferId = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "fuzz.nn"),
      llvm::SMLoc());
  std::optional<frontend::ModelAST> model =
      frontend::parseSpec(sourceMgr, bufferId);
  if (!model)
    return 0;

  DialectRegistry registry;
  registry.insert<nn::NNDialect, func::FuncDialect, arith::ArithDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context, llvm::nulls());
  BoundedWeights weights;
  OwningOpRef<ModuleOp> module =
      frontend::buildModule(context, sourceMgr, *model, weights);
  if (!module)
    return 0;
  // The GPU path's kernel plans see every shape the frontend accepts.
  fuzz::runGPULowering(*module);
  // MLIRGen's shape checks must agree with the ops' verifiers: a module it
  // built that does not verify is a bug.
  fuzz::checkModuleLowers(*module, /*toLinalg=*/true);
  return 0;
}
