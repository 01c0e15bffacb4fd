//===- GPUPasses.h - Kiln's NVPTX passes ------------------------*- C++ -*-===//
//
// The passes of the GPU path (declared in GPUPasses.td) and the functions
// that string them together with MLIR's gpu/NVVM passes (GPUPipeline.cpp):
//
//   nn (after kiln-simplify) --kiln-nn-to-gpu--> host @forward launching
//     gpu.func kernels in gpu.module @kiln_kernels          (--emit=gpu)
//   --buildGPUToPTXPipeline--> gpu.binary holding PTX       (--emit=ptx)
//   --translateGPUHostToLLVMIR--> LLVM IR: the embedded PTX, weights, a
//     launch plan and kiln_forward calling runtime/lib/cuda.c
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_GPUPASSES_H
#define KILN_CODEGEN_GPUPASSES_H

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace kiln {

/// The floating-point operations of a gpu.launch_func's kernel (an i64
/// attribute set by kiln-nn-to-gpu where they are worth counting), carried
/// into the launch plan for KILN_GPU_PROFILE's GFLOP/s.
inline constexpr llvm::StringLiteral kLaunchFlopsAttr = "kiln.flops";

#define GEN_PASS_DECL
#include "kiln/Codegen/GPUPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Codegen/GPUPasses.h.inc"

/// Knobs of the GPU path.
struct GPUPipelineOptions {
  /// The GPU architecture (`--gpu-arch`), e.g. sm_90.
  std::string chip = "sm_90";
  /// PTX ISA features; sm_90 needs PTX 8.0 (MLIR's default PTX 6.0 aborts).
  std::string features = "+ptx80";
  /// The convolution kernels (`--gpu-conv`): winograd, shared or direct.
  std::string convKernel = "winograd";
  /// Its F(m x m, 3 x 3) tile (`--winograd-tile`): 2, 3 or 4 (0: 2).
  int64_t winogradTile = 0;
  /// Streaming multiprocessors the kernels are sized for (`--gpu-sms`).
  int64_t smCount = 132;
  /// Registers per thread every kernel is capped at
  /// (`--gpu-max-registers`); 0: no cap.
  int64_t maxRegisters = 0;
  /// LLVM's optimisation level of the kernels' PTX (`-O`), 0 to 3.
  int optLevel = 3;
  /// Activations and scratch buffers share one device workspace, placed by
  /// live interval (kiln-plan-memory; `--no-memory-plan` turns it off).
  bool planMemory = true;
  /// Print that plan to stderr (`--print-memory-plan`).
  bool reportMemoryPlan = false;
};

/// nn (simplified) -> host @forward with gpu.launch_func + gpu.module:
/// records the model's signature, then kiln-nn-to-gpu, cleanups and the
/// memory plan (@forward(in, out, workspace)).
void buildNNToGPUPipeline(mlir::OpPassManager &pm,
                          const GPUPipelineOptions &options);

/// gpu.module -> gpu.binary with the PTX of every kernel (the host function
/// is left alone): NVVM target, math expansion, SCF to CF,
/// convert-gpu-to-nvvm (bare pointers, 32-bit indices), gpu-module-to-binary
/// format=isa. Needs no CUDA toolkit.
void buildGPUToPTXPipeline(mlir::OpPassManager &pm,
                           const GPUPipelineOptions &options);

/// The output of buildNNToGPUPipeline -> loops on memrefs that the CPU's
/// buildLoopsToLLVMPipeline compiles (kiln-gpu-emulate): a test aid.
void buildGPUEmulationPipeline(mlir::OpPassManager &pm);

/// The PTX text held by the module's gpu.binary (after buildGPUToPTX).
mlir::FailureOr<std::string> getPTX(mlir::ModuleOp module);

/// Translates the host side of a module after buildGPUToPTXPipeline into
/// LLVM IR for `targetMachine` (the host): the PTX, the weights, the launch
/// plan (buffers, kernels, launches) and `kiln_forward` + `kiln_model`,
/// which run the plan through the runtime's kiln_gpu_run. Returns null after
/// reporting an error through the context's diagnostics.
std::unique_ptr<llvm::Module>
translateGPUHostToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                         llvm::TargetMachine &targetMachine);

/// Adds the NVVM target and the gpu/NVVM -> LLVM IR translations that
/// buildGPUToPTXPipeline needs (on top of registerCodegenDialects).
void registerGPUCodegenDialects(mlir::DialectRegistry &registry);

/// Registers the GPU passes and the pipelines `kiln-nn-to-gpu-pipeline`,
/// `kiln-gpu-to-ptx` and `kiln-gpu-emulation` for kiln-opt.
void registerGPUPipelines();

} // namespace kiln

#endif // KILN_CODEGEN_GPUPASSES_H
