//===- kiln-opt.cpp - mlir-opt with Kiln's dialect and passes -------------===//
#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Codegen/Pipelines.h"
#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  kiln::registerKilnPasses();
  kiln::registerKilnPipelines();
  kiln::registerGPUPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<kiln::nn::NNDialect>();
  kiln::registerGPUCodegenDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kiln optimizer driver\n", registry));
}
