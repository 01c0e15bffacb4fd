//===- GPUEmulate.cpp - Run GPU kernels as host loops ---------------------===//
//
// See GPUPasses.td. The blocks of a grid are independent, so they become an
// scf.parallel (the CPU pipeline runs it on the thread pool); the threads of
// a block run one after the other, which is only right because the kernels
// never synchronise: the pass refuses kernels that do.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/GPUPasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace kiln {
#define GEN_PASS_DEF_GPUEMULATEPASS
#include "kiln/Codegen/GPUPasses.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

LogicalResult emulate(gpu::LaunchFuncOp launch) {
  auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
      launch, launch.getKernel());
  if (!kernel || !kernel.getBody().hasOneBlock())
    return launch.emitError("cannot emulate: the kernel is missing or has "
                            "more than one block");
  WalkResult sync = kernel.walk([](Operation *op) {
    if (isa<gpu::BarrierOp, gpu::ShuffleOp>(op) ||
        op->getName().getDialectNamespace() == "nvvm")
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (sync.wasInterrupted())
    return launch.emitError("cannot emulate a kernel whose threads "
                            "synchronise");
  SmallVector<int64_t> sizes;
  for (Value v : {launch.getGridSizeX(), launch.getGridSizeY(),
                  launch.getGridSizeZ(), launch.getBlockSizeX(),
                  launch.getBlockSizeY(), launch.getBlockSizeZ()}) {
    std::optional<int64_t> size = getConstantIntValue(v);
    if (!size)
      return launch.emitError("cannot emulate a launch of dynamic size");
    sizes.push_back(*size);
  }

  OpBuilder b(launch);
  Location loc = launch.getLoc();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zero = index(0), one = index(1);
  auto blocks = scf::ParallelOp::create(
      b, loc, ValueRange{zero, zero, zero},
      ValueRange{index(sizes[0]), index(sizes[1]), index(sizes[2])},
      ValueRange{one, one, one});
  b.setInsertionPointToStart(blocks.getBody());
  SmallVector<Value> threadIds;
  for (int i = 0; i < 3; ++i) {
    auto loop = scf::ForOp::create(b, loc, zero, index(sizes[3 + i]), one);
    threadIds.push_back(loop.getInductionVar());
    b.setInsertionPointToStart(loop.getBody());
  }

  IRMapping mapping;
  mapping.map(kernel.getArguments(), launch.getKernelOperands());
  for (Operation &op : kernel.getBody().front()) {
    if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      mapping.map(id.getResult(),
                  blocks.getInductionVars()[int(id.getDimension())]);
    } else if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      mapping.map(id.getResult(), threadIds[int(id.getDimension())]);
    } else if (auto dim = dyn_cast<gpu::BlockDimOp>(op)) {
      mapping.map(dim.getResult(), index(sizes[3 + int(dim.getDimension())]));
    } else if (auto dim = dyn_cast<gpu::GridDimOp>(op)) {
      mapping.map(dim.getResult(), index(sizes[int(dim.getDimension())]));
    } else if (!isa<gpu::ReturnOp>(op)) {
      Operation *copy = b.clone(op, mapping);
      if (copy->getDialect() && copy->getDialect()->getNamespace() == "gpu")
        return op.emitError("cannot emulate '") << op.getName() << "'";
    }
  }
  launch.erase();
  return success();
}

struct GPUEmulatePass : public impl::GPUEmulatePassBase<GPUEmulatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      SmallVector<gpu::LaunchFuncOp> launches;
      func.walk([&](gpu::LaunchFuncOp op) { launches.push_back(op); });
      for (gpu::LaunchFuncOp launch : launches)
        if (failed(emulate(launch)))
          return signalPassFailure();
      // Device buffers live as long as the call: free them before returning.
      SmallVector<memref::AllocOp> allocs;
      func.walk([&](memref::AllocOp op) { allocs.push_back(op); });
      func.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        for (memref::AllocOp alloc : allocs)
          memref::DeallocOp::create(b, ret.getLoc(), alloc);
      });
    }
    for (auto kernels :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
      kernels.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
} // namespace kiln
