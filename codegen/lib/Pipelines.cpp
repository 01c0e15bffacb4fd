//===- Pipelines.cpp - Kiln's CPU compilation pipeline --------------------===//
//
// Each stage is a list of passes, one line of comment per pass saying why it
// is there. Keep the order notes: several of them were learnt the hard way
// (see shared/toolchain-notes.md).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Pipelines.h"
#include "kiln/Codegen/Passes.h"
#include "kiln/Dialect/NN/NNDialect.h"

#ifdef KILN_HAVE_NN_PASSES
#include "kiln/Passes/Passes.h"
#endif

#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln {

#ifndef KILN_HAVE_NN_PASSES
namespace {
/// Stands in for the nn -> linalg passes when Kiln is built without them.
struct MissingNNPassesPass
    : public PassWrapper<MissingNNPassesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MissingNNPassesPass)
  StringRef getArgument() const override { return "kiln-missing-nn-passes"; }
  void runOnOperation() override {
    getOperation().emitError()
        << "kiln-nn-to-linalg is unavailable: Kiln was built without its "
           "passes library (KilnPasses)";
    signalPassFailure();
  }
};
} // namespace
#endif

void buildNNToLinalgPipeline(OpPassManager &pm,
                             const PipelineOptions &options) {
  // Several inputs or outputs -> one flat buffer each, as the runtime passes.
  PackModelIOPassOptions pack;
  pack.entryName = options.entryName;
  pm.addPass(createPackModelIOPass(pack));
#ifdef KILN_HAVE_NN_PASSES
  // Drop dropout and identities, fold batch norms into convolutions.
  if (options.simplify)
    pm.addPass(createSimplifyPass());
  // conv + ReLU + pool and linear + ReLU chains -> one fused op each.
  if (options.fuse)
    pm.addPass(createFusePass());
  // List the layers (name, location, FLOPs) for the profiler while they are
  // still layers.
  RecordLayersPassOptions layers;
  layers.entryName = options.entryName;
  pm.addPass(createRecordLayersPass(layers));
  // nn ops -> linalg named ops / generics, tensor.pad/reshapes, weights as
  // dense_resource constants.
  pm.addPass(createConvertNNToLinalgPass());
  // Fold the reshapes and constants the lowering leaves behind.
  pm.addPass(createCanonicalizerPass());
  // Share identical index computations and constants.
  pm.addPass(createCSEPass());
#else
  (void)options;
  // Fail loudly rather than hand nn ops to bufferization.
  pm.addPass(std::make_unique<MissingNNPassesPass>());
#endif
}

void buildLinalgToLoopsPipeline(OpPassManager &pm,
                                const PipelineOptions &options) {
  // Check @forward's signature; record its shapes for the kiln_model
  // descriptor before bufferization turns them into pointers.
  RecordModelSignaturePassOptions signatureOptions;
  signatureOptions.entryName = options.entryName;
  pm.addPass(createRecordModelSignaturePass(signatureOptions));
  // Element-wise chains (a SiLU's sigmoid and product, a residual sum and
  // its ReLU) -> one generic each: one pass over memory.
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  // Tensors -> memrefs over function boundaries; identity layouts, 64-byte
  // aligned buffers, copies as linalg.copy; the input is never written.
  pm.addPass(createBufferizePass());
  // The returned buffer becomes the caller's out-parameter:
  // @forward(memref in, memref out).
  pm.addPass(createResultsToOutParamsPass());
  // Free intermediate buffers (ownership-based deallocation, simplified and
  // lowered to memref.dealloc).
  bufferization::buildBufferDeallocationPipeline(pm);
  if (options.vectorWidth > 0) {
    // Convolutions and linear layers -> loops around register-blocked
    // vector kernels (after deallocation: they
    // free the scratch buffers they allocate themselves).
    if (options.winograd) {
      // 3x3 stride-1 convolutions -> Winograd transforms around batched
      // register-blocked products; the others stay for the direct kernel.
      WinogradPassOptions winograd;
      winograd.tile = options.winogradTile;
      winograd.vectorWidth = options.vectorWidth;
      winograd.accumulators = options.convAccumulators;
      winograd.chunkBytes = options.l2CacheBytes / 2;
      pm.addNestedPass<func::FuncOp>(createWinogradPass(winograd));
    }
    LowerToMicroKernelsPassOptions kernels;
    kernels.vectorWidth = options.vectorWidth;
    kernels.convRows = options.convAccumulators;
    kernels.matmulRegisters = options.matmulAccumulators;
    kernels.convChunkBytes = options.l1CacheBytes / 3;
    kernels.l2CacheBytes = options.l2CacheBytes;
    kernels.convLanes = options.convLanes;
    pm.addNestedPass<func::FuncOp>(createLowerToMicroKernelsPass(kernels));
    // Drop the weight globals that the kernels repacked.
    pm.addPass(createSymbolDCEPass());
  }
  if (options.planMemory) {
    // Every intermediate buffer (the kernels' scratch buffers included) ->
    // a view of one workspace argument, shared by buffers never live at
    // the same time: @forward(in, out, workspace), no malloc per inference.
    PlanMemoryPassOptions plan;
    plan.entryName = options.entryName;
    plan.report = options.reportMemoryPlan;
    pm.addPass(createPlanMemoryPass(plan));
  }
  // A call into the runtime's profiler where each layer starts, found by
  // the locations kiln-record-layers listed (BIN --profile).
  InstrumentLayersPassOptions instrument;
  instrument.entryName = options.entryName;
  pm.addPass(createInstrumentLayersPass(instrument));
  if (options.planMemory && options.outlineLayers) {
    // Each layer's loops -> a function of its own, called from the entry.
    OutlineLayersPassOptions outline;
    outline.entryName = options.entryName;
    pm.addPass(createOutlineLayersPass(outline));
  }
  if (options.interchangeForVectorization) {
    // The remaining named ops (pooling, fill, ...) -> linalg.generic, whose
    // loop order can be changed.
    LinalgMorphOpsPassOptions morph;
    morph.namedToGeneric = true;
    morph.categoryToGeneric = true;
    pm.addNestedPass<func::FuncOp>(createLinalgMorphOpsPass(morph));
    // Make the output's contiguous loop innermost, reductions just outside.
    pm.addNestedPass<func::FuncOp>(createInterchangeForVectorizationPass());
  }
  // Element-wise ops walk whole planes in their innermost loop.
  if (options.interchangeForVectorization)
    pm.addNestedPass<func::FuncOp>(createCollapseElementwisePass());
  // Large element-wise ops (the copies and fills that pad a convolution's
  // input) -> scf.parallel over a leading dimension, on the thread pool.
  pm.addNestedPass<func::FuncOp>(createParallelizeElementwisePass());
  // exp and tanh as arithmetic, so that their loops vectorize.
  pm.addNestedPass<func::FuncOp>(createVectorizableMathPass());
  // linalg ops -> scf.for loop nests with memref.load/store.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Ask LLVM to vectorize innermost loops before unrolling them: otherwise
  // short rows (e.g. 28 output columns) are fully unrolled into scalar code
  // before its loop vectorizer runs.
  if (options.interchangeForVectorization) {
    AnnotateInnerLoopsPassOptions annotateOptions;
    annotateOptions.reductions = options.reassociateReductions;
    pm.addNestedPass<func::FuncOp>(
        createAnnotateInnerLoopsPass(annotateOptions));
  }
  // Fold the loop bounds and index arithmetic the lowering creates.
  pm.addPass(createCanonicalizerPass());
  // Share the index computations of neighbouring loop nests.
  pm.addPass(createCSEPass());
}

void buildLoopsToLLVMPipeline(OpPassManager &pm,
                              const PipelineOptions &options) {
  (void)options;
  // Subviews and reshapes -> memref.reinterpret_cast + affine.apply. Must run
  // before lower-affine, which lowers the applies it creates.
  pm.addPass(memref::createExpandStridedMetadataPass());
  // affine.apply / affine.for -> arith and scf.
  pm.addPass(createLowerAffinePass());
  // The kernels' scf.parallel loops -> OpenMP worksharing loops.
  pm.addPass(createConvertSCFToOpenMPPass());
  // ... which wraps each parallel body in an alloca_scope that would not
  // survive convert-scf-to-cf; the kernels allocate nothing, so inline it.
  pm.addPass(createInlineAllocaScopesPass());
  // scf.for / scf.if -> cf branches.
  pm.addPass(createSCFToControlFlowPass());
  // Math ops with an LLVM intrinsic (exp, tanh, pow, sqrt, log, ...) ->
  // llvm.intr.*; LLVM expands them to libm calls where the target has no
  // instruction.
  pm.addPass(createConvertMathToLLVMPass());
  // The micro-kernels' vector ops (loads, masked loads and stores,
  // broadcasts, FMAs, reductions) -> LLVM vector IR.
  pm.addPass(createConvertVectorToLLVMPass());
  // The remaining math ops (erf, atan, ...) -> calls to libm (-lm).
  pm.addPass(createConvertMathToLibmPass());
  // arith -> llvm.
  pm.addPass(createArithToLLVMConversionPass());
  // index dialect ops (from canonicalization of index math) -> llvm.
  pm.addPass(createConvertIndexToLLVMPass());
  // memref -> llvm: descriptors, malloc/free for intermediate buffers,
  // memref.global -> llvm.mlir.global.
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // func -> llvm with bare pointers for static memrefs:
  // `void forward(ptr in, ptr out, ptr workspace)`, callable from C.
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  // OpenMP regions: their region arguments and terminators -> LLVM types.
  pm.addPass(createConvertOpenMPToLLVMPass());
  // cf branches -> llvm.br / llvm.cond_br.
  pm.addPass(createConvertControlFlowToLLVMPass());
  // ub.poison (from canonicalization) -> llvm.mlir.poison.
  pm.addPass(createUBToLLVMConversionPass());
  // Remove the casts between memref descriptors and LLVM values.
  pm.addPass(createReconcileUnrealizedCastsPass());
  // dense_resource weights -> flat [N x i8] globals sharing the blob: cheap
  // to translate and to emit.
  pm.addPass(createPackConstantGlobalsPass());
}

void buildCPUPipeline(OpPassManager &pm, const PipelineOptions &options) {
  buildNNToLinalgPipeline(pm, options);
  buildLinalgToLoopsPipeline(pm, options);
  buildLoopsToLLVMPipeline(pm, options);
}

namespace {
/// PipelineOptions as textual pipeline options, for kiln-opt.
struct PipelineCLOptions : public PassPipelineOptions<PipelineCLOptions> {
  Option<bool> simplify{*this, "simplify",
                        llvm::cl::desc("Run nn-level simplifications"),
                        llvm::cl::init(true)};
  Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Fuse conv+ReLU+pool and linear+ReLU chains"),
      llvm::cl::init(true)};
  Option<bool> interchange{
      *this, "interchange-for-vectorization",
      llvm::cl::desc("Generalize named linalg ops and interchange loops so "
                     "the innermost loop is vectorizable"),
      llvm::cl::init(true)};
  Option<bool> reassociate{
      *this, "reassociate-reductions",
      llvm::cl::desc("Let LLVM vectorize reduction loops, reordering their "
                     "floating-point additions"),
      llvm::cl::init(false)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of the conv/linear micro-kernels (0: none)"),
      llvm::cl::init(16)};
  Option<bool> winograd{
      *this, "winograd",
      llvm::cl::desc("Compute 3x3 stride-1 convolutions by Winograd's "
                     "F(m x m, 3 x 3)"),
      llvm::cl::init(true)};
  Option<int64_t> winogradTile{
      *this, "winograd-tile",
      llvm::cl::desc("Winograd's output tile m: 2 or 4 (0: per layer)"),
      llvm::cl::init(0)};
  Option<std::string> convLanes{
      *this, "conv-lanes",
      llvm::cl::desc("What direct convolutions keep along the vector lanes: "
                     "auto, columns or channels"),
      llvm::cl::init("auto")};
  Option<int64_t> convAccumulators{
      *this, "conv-accumulators",
      llvm::cl::desc("Vector accumulators of the convolution kernel"),
      llvm::cl::init(24)};
  Option<int64_t> matmulAccumulators{
      *this, "matmul-accumulators",
      llvm::cl::desc("Vector accumulators of the linear kernel"),
      llvm::cl::init(16)};
  Option<int64_t> l1CacheBytes{
      *this, "l1-cache-bytes",
      llvm::cl::desc("Per-core L1 data cache size the kernels' tiles are "
                     "sized for"),
      llvm::cl::init(48 << 10)};
  Option<int64_t> l2CacheBytes{
      *this, "l2-cache-bytes",
      llvm::cl::desc("Per-core L2 cache size the kernels' tiles are sized "
                     "for"),
      llvm::cl::init(2 << 20)};
  Option<bool> planMemory{
      *this, "plan-memory",
      llvm::cl::desc("Place intermediate buffers in one workspace argument"),
      llvm::cl::init(true)};
  Option<bool> outlineLayers{
      *this, "outline-layers",
      llvm::cl::desc("Give each layer of the entry a function of its own"),
      llvm::cl::init(true)};
  Option<std::string> entry{*this, "entry",
                            llvm::cl::desc("The model's entry function"),
                            llvm::cl::init("forward")};

  PipelineOptions get() const {
    PipelineOptions options;
    options.simplify = simplify;
    options.fuse = fuse;
    options.interchangeForVectorization = interchange;
    options.reassociateReductions = reassociate;
    options.vectorWidth = vectorWidth;
    options.winograd = winograd;
    options.winogradTile = winogradTile;
    options.convLanes = convLanes;
    options.convAccumulators = convAccumulators;
    options.matmulAccumulators = matmulAccumulators;
    options.l1CacheBytes = l1CacheBytes;
    options.l2CacheBytes = l2CacheBytes;
    options.planMemory = planMemory;
    options.outlineLayers = outlineLayers;
    options.entryName = entry;
    return options;
  }
};

template <void (*Build)(OpPassManager &, const PipelineOptions &)>
void buildFromCL(OpPassManager &pm, const PipelineCLOptions &options) {
  Build(pm, options.get());
}
} // namespace

void registerKilnPipelines() {
  registerKilnCodegenPasses();
  PassPipelineRegistration<PipelineCLOptions>(
      "kiln-nn-to-linalg", "Lower Kiln's nn dialect to linalg on tensors",
      buildFromCL<buildNNToLinalgPipeline>);
  PassPipelineRegistration<PipelineCLOptions>(
      "kiln-linalg-to-loops",
      "Bufferize linalg on tensors and lower it to loops; @forward takes its "
      "output as an out-parameter",
      buildFromCL<buildLinalgToLoopsPipeline>);
  PassPipelineRegistration<PipelineCLOptions>(
      "kiln-loops-to-llvm",
      "Lower loops on memrefs to the LLVM dialect with a bare-pointer "
      "@forward",
      buildFromCL<buildLoopsToLLVMPipeline>);
  PassPipelineRegistration<PipelineCLOptions>(
      "kiln-cpu-pipeline",
      "Kiln's whole CPU pipeline: nn on tensors to the LLVM dialect",
      buildFromCL<buildCPUPipeline>);
}

void registerCodegenDialects(DialectRegistry &registry) {
  // Bufferization and the LLVM lowering rely on interface implementations
  // that live in dialect extensions; register them all rather than chase the
  // exact list each upstream release needs.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // Parallel kernels are OpenMP regions in LLVM IR; runtime/lib/parallel.c
  // provides the few __kmpc_* entry points they call.
  registerOpenMPDialectTranslation(registry);
  registry.insert<nn::NNDialect>();
}

} // namespace kiln
