//===- ObjectEmitter.h - LLVM dialect -> optimised object code --*- C++ -*-===//
//
// The back half of the CPU path: translate the LLVM-dialect module that
// buildLoopsToLLVMPipeline produced into LLVM IR with the `kiln_model`
// descriptor the runtime expects, run LLVM's O3 pipeline, and emit a
// position-independent object file or assembly for the host or a cross
// target (x86_64-linux-gnu, aarch64-linux-gnu).
//
//   mlir::ModuleOp (LLVM dialect)
//     -> translateToLLVMIR  (triple + data layout set, descriptor added)
//     -> optimizeModule     (PassBuilder O3)
//     -> emitObject / emitAssembly
//
// The generated object defines (see runtime/include/kiln/runtime.h):
//   const kiln_model_desc kiln_model;                    // name, shapes, entry
//   void kiln_forward(const float *input, float *output); // the entry
// Every other function is internal. `input` and `output` must not overlap.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_OBJECTEMITTER_H
#define KILN_CODEGEN_OBJECTEMITTER_H

#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {

/// Which machine to generate code for.
struct TargetOptions {
  /// LLVM target triple, e.g. "x86_64-linux-gnu" or "aarch64-linux-gnu".
  /// Empty means the host (llvm::sys::getDefaultTargetTriple()).
  std::string triple;
  /// CPU name, e.g. "skylake-avx512", "neoverse-n1", "generic". "native"
  /// means the host CPU and its features when the triple's architecture is
  /// the host's, and "generic" otherwise.
  std::string cpu = "native";
  /// Extra subtarget features, e.g. "+avx2,-avx512f"; appended to the host
  /// features for "native".
  std::string features;
};

/// LLVM optimisation level of optimizeModule and of code generation.
enum class OptLevel { O0, O1, O2, O3 };

/// Name of the exported entry function in the generated object.
inline constexpr const char *kEntrySymbol = "kiln_forward";
/// Name of the exported model descriptor.
inline constexpr const char *kDescriptorSymbol = "kiln_model";
/// Name of the internal launch plan (runtime/include/kiln/gpu.h) of a model
/// compiled for NVPTX.
inline constexpr const char *kGPUPlanSymbol = "__kiln_gpu_plan";

/// Registers LLVM's targets (all that libLLVM was built with). Safe to call
/// more than once; the functions below call it themselves.
void initializeLLVMTargets();

/// Resolves `options` (host triple, "native" CPU) and creates a target
/// machine emitting position-independent code at `level`.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options,
                    OptLevel level = OptLevel::O3);

/// The number of f32 lanes in one vector register of `targetMachine`'s
/// subtarget (16 with AVX-512, 8 with AVX, 4 for SSE and NEON): the width
/// the micro-kernels should use.
int64_t getVectorWidth(const llvm::TargetMachine &targetMachine);

/// The number of vector registers of `targetMachine`'s subtarget: 32 with
/// AVX-512 and on aarch64, 16 with AVX2 or SSE. The micro-kernels keep about
/// three quarters of them as accumulators; more would spill.
int64_t getVectorRegisters(const llvm::TargetMachine &targetMachine);

/// Data cache sizes in bytes, per core, that the kernels' tiles are sized
/// for (PipelineOptions::l1CacheBytes, l2CacheBytes).
struct CacheSizes {
  int64_t l1 = 0;
  int64_t l2 = 0;
};

/// The data cache sizes of `options`' target: the host's own (from the C
/// library) when the target is the host CPU ("native" on the host's
/// architecture), else typical ones for the architecture (x86-64: 32 KB L1,
/// 1 MB L2, as on Skylake-SP and Ice Lake servers; aarch64: 64 KB and 1 MB,
/// as on Neoverse N1 and V1).
CacheSizes getCacheSizes(const TargetOptions &options);

/// Translates `module` (LLVM dialect, as left by buildLoopsToLLVMPipeline) to
/// LLVM IR for `targetMachine`: sets the triple and data layout, renames the
/// entry function (`entryName`, normally "forward") to kiln_forward, makes
/// every other function internal, and adds the kiln_model descriptor, with
/// the name from the module attribute `kiln.model_name` (or "model") and the
/// shapes recorded by kiln-record-model-signature. Returns null after
/// reporting an error through the MLIR context's diagnostics.
///
/// The LLVM module holds its own copy of the weights: a driver that frees the
/// MLIRContext (which owns the dense_resource blobs) right after this call
/// keeps peak memory near twice the weights instead of three times (VGG-16:
/// 1.6 GB instead of 2.2 GB; see kiln-translate).
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                  llvm::TargetMachine &targetMachine,
                  llvm::StringRef entryName = "forward");

/// As above, creating the target machine from `options`.
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                  const TargetOptions &options,
                  llvm::StringRef entryName = "forward");

/// Runs LLVM's default optimisation pipeline at `level` (PassBuilder; O3
/// vectorizes and unrolls the loops, which llc -O3 alone does not).
llvm::Error optimizeModule(llvm::Module &module,
                           llvm::TargetMachine &targetMachine,
                           OptLevel level = OptLevel::O3);

/// Emits `module` as an object file into `os`.
llvm::Error emitObject(llvm::Module &module, llvm::TargetMachine &targetMachine,
                       llvm::raw_pwrite_stream &os);

/// Emits `module` as textual assembly into `os`.
llvm::Error emitAssembly(llvm::Module &module,
                         llvm::TargetMachine &targetMachine,
                         llvm::raw_pwrite_stream &os);

} // namespace kiln

#endif // KILN_CODEGEN_OBJECTEMITTER_H
