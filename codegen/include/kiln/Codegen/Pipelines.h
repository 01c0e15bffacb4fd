//===- Pipelines.h - Kiln's CPU compilation pipeline ------------*- C++ -*-===//
//
// The pass pipeline from the nn dialect to the LLVM dialect, as library
// functions (one per stage) taking an options struct, in the manner of
// CIRCT's Firtool.h. kilnc calls these functions; kiln-opt registers the same
// functions as named pipelines, so `kiln-opt --kiln-cpu-pipeline` replays
// exactly what the compiler runs:
//
//   nn on tensors    --kiln-nn-to-linalg-->    linalg on tensors
//   linalg (tensors) --kiln-linalg-to-loops--> scf loops on memrefs,
//                                              @forward(memref in, memref out)
//   loops            --kiln-loops-to-llvm-->   LLVM dialect, bare-pointer
//                                              @forward(ptr in, ptr out)
//
// Build pipelines with these functions, not with pass-pipeline strings: a
// string wrapped in `builtin.module(...)` handed to parsePassPipeline nests it
// and silently runs nothing on the top-level module.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_PIPELINES_H
#define KILN_CODEGEN_PIPELINES_H

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace kiln {

/// Knobs of the CPU pipeline. The defaults are what kilnc compiles with.
struct PipelineOptions {
  /// Run the nn-level simplifications (dropout and identity removal,
  /// batch-norm folding) before lowering nn to linalg.
  bool simplify = true;

  /// Merge conv+ReLU+pool and linear+ReLU chains into fused ops (kiln-fuse)
  /// before lowering nn to linalg.
  bool fuse = true;

  /// Generalize named linalg ops and interchange loops so that the innermost
  /// loop of convolutions and matmuls runs along the output's contiguous
  /// dimension, which LLVM vectorizes. Results are unchanged (each output
  /// element accumulates in the same order); turning this off gives the
  /// naive loop order of convert-linalg-to-loops.
  bool interchangeForVectorization = true;

  /// Let LLVM vectorize innermost reduction loops too (e.g. the dot products
  /// of a linear layer whose weights are [out, in]), which reorders their
  /// floating-point additions: results change in the last bits. Only has an
  /// effect with interchangeForVectorization.
  bool reassociateReductions = false;

  /// Lower convolutions and linear layers to register-blocked vector
  /// kernels (kiln-lower-to-microkernels); 0 disables them.
  int64_t vectorWidth = 16;

  /// Compute 3x3 stride-1 convolutions by Winograd's F(m x m, 3 x 3)
  /// (kiln-winograd). Needs the micro-kernels (vectorWidth > 0).
  bool winograd = true;
  /// Its output tile m: 2, 3 or 4, or 0 to pick one per layer.
  int64_t winogradTile = 0;
  /// What other convolutions keep along the vector lanes: "columns",
  /// "channels" or "auto" (kiln-lower-to-microkernels' conv-lanes).
  std::string convLanes = "auto";

  /// Vector accumulators of the convolution and linear kernels: about three
  /// quarters of the target's vector registers (getVectorRegisters), so the
  /// inputs and broadcast weights fit beside them without spilling.
  int64_t convAccumulators = 24;
  int64_t matmulAccumulators = 16;

  /// Per-core data cache sizes the kernels' tiles are sized for
  /// (getCacheSizes): a third of L1 holds the filter slice of the direct
  /// convolution's reduction chunk (the input rows and accumulators share
  /// the rest), half of L2 one Winograd chunk's transformed inputs and
  /// products.
  int64_t l1CacheBytes = 48 << 10;
  int64_t l2CacheBytes = 2 << 20;

  /// Place all intermediate buffers in one workspace argument of the entry
  /// function (kiln-plan-memory) instead of allocating each on the heap.
  bool planMemory = true;

  /// Give each layer of the planned entry function a function of its own
  /// (kiln-outline-layers), which keeps LLVM's compile time linear in the
  /// number of layers.
  bool outlineLayers = true;

  /// Print the memory plan to stderr (kilnc --print-memory-plan).
  bool reportMemoryPlan = false;

  /// Name of the model's entry function.
  std::string entryName = "forward";
};

/// nn on tensors -> linalg on tensors: nn simplifications, the nn -> linalg
/// lowering and cleanups. Available only when Kiln is built with its passes
/// library (KilnPasses); otherwise it adds a pass that fails with a message.
void buildNNToLinalgPipeline(mlir::OpPassManager &pm,
                             const PipelineOptions &options);

/// linalg on tensors -> loops on memrefs. Records the model's signature,
/// reorders loops for vectorization, bufferizes (identity layouts, copies as
/// linalg.copy), turns the returned buffer into an out-parameter so that
/// @forward becomes `(memref in, memref out)`, frees intermediate buffers,
/// lowers linalg to scf loops and marks the innermost loops for LLVM's
/// vectorizer.
void buildLinalgToLoopsPipeline(mlir::OpPassManager &pm,
                                const PipelineOptions &options);

/// loops on memrefs -> LLVM dialect. @forward uses the bare-pointer calling
/// convention (`void forward(ptr, ptr)`); math functions without an LLVM
/// intrinsic become libm calls; constant weights become flat byte arrays.
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options);

/// The three stages above, in order: nn on tensors -> LLVM dialect.
void buildCPUPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers the pipelines above as `kiln-nn-to-linalg`,
/// `kiln-linalg-to-loops`, `kiln-loops-to-llvm` and `kiln-cpu-pipeline`, and
/// codegen's own passes (kiln-bufferize, ...), for kiln-opt. The pipelines
/// take the options of PipelineOptions, e.g.
/// `--kiln-cpu-pipeline="simplify=false interchange-for-vectorization=false"`.
void registerKilnPipelines();

/// Adds to `registry` every dialect, interface implementation and LLVM IR
/// translation that the pipelines and translateToLLVMIR need.
void registerCodegenDialects(mlir::DialectRegistry &registry);

} // namespace kiln

#endif // KILN_CODEGEN_PIPELINES_H
