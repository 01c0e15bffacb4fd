//===- GPUPipeline.cpp - The passes of kilnc --target=nvptx ---------------===//
//
// One line of comment per pass saying why it is there, as in Pipelines.cpp.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Codegen/Passes.h"
#ifdef KILN_HAVE_NN_PASSES
#include "kiln/Passes/Passes.h"
#endif

#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln {

void buildNNToGPUPipeline(OpPassManager &pm,
                          const GPUPipelineOptions &options) {
  // Several inputs or outputs -> one flat buffer each, as the runtime passes.
  pm.addPass(createPackModelIOPass());
  // Check @forward's signature and record its shapes for the descriptor.
  pm.addPass(createRecordModelSignaturePass());
#ifdef KILN_HAVE_NN_PASSES
  // List the layers: each launch is named after its layer in the profile.
  pm.addPass(createRecordLayersPass());
#endif
  // nn ops -> host @forward launching Kiln's kernels.
  pm.addPass(createNNToGPUPass(
      NNToGPUPassOptions{options.convKernel, options.winogradTile,
                         options.smCount, options.maxRegisters}));
  // Fold the kernels' index arithmetic (constant shapes) and share it.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.planMemory) {
    // Activations and split-K scratch -> views of one device workspace,
    // shared by buffers never live at the same time (launches on one
    // stream run in order). 256 bytes: cuMemAlloc's alignment, so each
    // view starts as a buffer of its own would.
    PlanMemoryPassOptions plan;
    plan.report = options.reportMemoryPlan;
    plan.alignment = 256;
    pm.addPass(createPlanMemoryPass(plan));
  }
}

void buildGPUToPTXPipeline(OpPassManager &pm,
                           const GPUPipelineOptions &options) {
  // #nvvm.target on the gpu.module: chip, PTX version, LLVM's -O level.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  // exp/log/tanh/powf -> arithmetic, fma/sqrt/floor/... -> LLVM intrinsic
  // calls: no libdevice to link.
  GPUApproximateMathPassOptions math;
  math.intrinsics = true;
  kernels.addPass(createGPUApproximateMathPass(math));
  // scf.for / scf.if -> cf branches (convert-gpu-to-nvvm lowers cf).
  kernels.addPass(createSCFToControlFlowPass());
  // gpu, arith, memref, math, cf -> NVVM/LLVM. Bare pointers (static shapes:
  // one kernel parameter per buffer) and 32-bit index arithmetic (every
  // buffer has < 2^31 elements; kiln-nn-to-gpu checks).
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.indexBitwidth = 32;
  nvvm.useBarePtrCallConv = true;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  // LLVM's NVPTX backend: gpu.module -> gpu.binary holding PTX text.
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void buildGPUEmulationPipeline(OpPassManager &pm) {
  // The GPU's arithmetic for exp/log/tanh/powf, so that emulation checks it.
  pm.nest<gpu::GPUModuleOp>().addPass(createGPUApproximateMathPass());
  // Launches -> parallel loops over blocks around the kernel bodies.
  pm.addPass(createGPUEmulatePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

FailureOr<std::string> getPTX(ModuleOp module) {
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (object && object.getFormat() == gpu::CompilationTarget::Assembly)
        return object.getObject().getValue().str();
    }
  }
  return emitError(module.getLoc(), "the module holds no PTX (gpu.binary)");
}

void registerGPUCodegenDialects(DialectRegistry &registry) {
  // gpu-module-to-binary serialises through #nvvm.target's interface.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}

namespace {
struct GPUCLOptions : public PassPipelineOptions<GPUCLOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("GPU architecture"),
                           llvm::cl::init("sm_90")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("PTX features"),
                               llvm::cl::init("+ptx80")};
  Option<std::string> convKernel{
      *this, "conv-kernel",
      llvm::cl::desc("Convolution kernels: winograd, shared or direct"),
      llvm::cl::init("winograd")};
  Option<int64_t> winogradTile{
      *this, "winograd-tile",
      llvm::cl::desc("Winograd's output tile: 2, 3 or 4 (0: 2)"),
      llvm::cl::init(0)};
  Option<int64_t> smCount{
      *this, "sm-count",
      llvm::cl::desc("Streaming multiprocessors of the target GPU"),
      llvm::cl::init(132)};
  Option<int64_t> maxRegisters{
      *this, "max-registers",
      llvm::cl::desc("Registers per thread of every kernel (0: no cap)"),
      llvm::cl::init(0)};
  Option<bool> planMemory{
      *this, "plan-memory",
      llvm::cl::desc("Place activations in one workspace by live interval"),
      llvm::cl::init(true)};
  GPUPipelineOptions get() const {
    GPUPipelineOptions options;
    options.planMemory = planMemory;
    options.chip = chip;
    options.features = features;
    options.convKernel = convKernel;
    options.winogradTile = winogradTile;
    options.smCount = smCount;
    options.maxRegisters = maxRegisters;
    return options;
  }
};
} // namespace

void registerGPUPipelines() {
  registerKilnGPUPasses();
  PassPipelineRegistration<GPUCLOptions>(
      "kiln-nn-to-gpu-pipeline",
      "nn -> host @forward launching Kiln's GPU kernels (--emit=gpu)",
      [](OpPassManager &pm, const GPUCLOptions &options) {
        buildNNToGPUPipeline(pm, options.get());
      });
  PassPipelineRegistration<GPUCLOptions>(
      "kiln-gpu-to-ptx", "Kiln's gpu.module -> gpu.binary with PTX",
      [](OpPassManager &pm, const GPUCLOptions &options) {
        buildGPUToPTXPipeline(pm, options.get());
      });
  PassPipelineRegistration<>("kiln-gpu-emulation",
                             "Kernel launches -> host loops (test aid)",
                             buildGPUEmulationPipeline);
}

} // namespace kiln
