//===- onnx_fuzzer.cpp - libFuzzer target: ONNX importer ------------------===//
//
// Each input is an ONNX model file (protobuf bytes): the importer parses it,
// checks the graph, imports every node it supports with their shape and
// constant arithmetic, and the result goes through the nn verifiers,
// kiln-simplify, kiln-fuse and convert-nn-to-linalg. External data may only
// name files beside the model; the fuzzer's directory holds nothing else. The
// seeds are test/onnx/Inputs/models.py's models (test/fuzz/seeds.py).
//
//===----------------------------------------------------------------------===//
#include "CheckLowering.h"
#include "FuzzFile.h"

#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Frontend/ONNXImporter.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace kiln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = fuzz::writeFuzzFile("model.onnx", data, size);
  DialectRegistry registry;
  registry.insert<nn::NNDialect, func::FuncDialect, arith::ArithDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Errors are expected; only crashes count.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = frontend::importONNXModel(context, path);
  if (!module)
    return 0;
  // The importer's checks must agree with the ops' verifiers, and a verified
  // module must lower (kilnc reports a lowering failure as a Kiln bug).
  fuzz::checkModuleLowers(*module, /*toLinalg=*/true);
  return 0;
}
