//===- HostEmitter.cpp - The host side of an NVPTX model ------------------===//
//
// After buildGPUToPTXPipeline, @forward holds only buffer allocations (or,
// after kiln-plan-memory, views of its workspace argument), weight globals,
// reshapes and gpu.launch_func ops. They become a constant launch plan
// (runtime/include/kiln/gpu.h) that runtime/lib/cuda.c runs:
//
//   kiln_gpu_plan = {ptx, kernels[], buffers[], input, output,
//                    launches[], args[]}
//   void forward(const float *in, float *out, void *workspace) {
//     kiln_gpu_run(&plan, in, out);
//   }
//
// forward is built in the LLVM dialect and translated by the CPU path's
// translateToLLVMIR, so the kiln_model descriptor and the entry's ABI come
// from one place; the plan is then filled in as LLVM constants (the weights
// as byte arrays over the blobs, which is cheap for VGG's 500 MB).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Codegen/ObjectEmitter.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace mlir;

namespace kiln {
namespace {

constexpr llvm::StringLiteral kRunSymbol = "kiln_gpu_run";

struct Buffer {
  int64_t bytes;
  /// For weights: the initial contents.
  ArrayRef<char> data;
  ElementsAttr splat;
  /// For views of the workspace: the buffer viewed and the byte offset.
  int32_t viewOf = -1;
  int64_t offset = 0;
};

struct Launch {
  int32_t kernel;
  std::array<uint32_t, 3> grid, block;
  SmallVector<int32_t> args;
  int64_t flops = 0, bytes = 0;
  /// The layer the launch computes, as the CPU profile names it.
  std::string layer;
};

/// The plan read off the host function.
struct Plan {
  SmallVector<Buffer> buffers;
  SmallVector<std::string> kernels;
  SmallVector<Launch> launches;
  int32_t input = 0, output = 1;
};

int64_t byteSize(MemRefType type) {
  return type.getNumElements() * (type.getElementTypeBitWidth() / 8);
}

LogicalResult readPlan(ModuleOp module, func::FuncOp func, Plan &plan) {
  // kiln-record-layers' list: launches carry their layer's location.
  DenseMap<Attribute, std::string> layerOfLoc;
  if (auto layers = module->getAttrOfType<ArrayAttr>(kLayersAttrName))
    for (Attribute layer : layers)
      if (auto dict = dyn_cast<DictionaryAttr>(layer))
        if (Attribute loc = dict.get("loc"))
          layerOfLoc.try_emplace(loc, layerLabel(dict));
  DenseMap<Value, int32_t> ids;
  llvm::StringMap<int32_t> globals, kernels;
  for (BlockArgument arg : func.getArguments()) {
    ids[arg] = plan.buffers.size();
    plan.buffers.push_back({byteSize(cast<MemRefType>(arg.getType())), {}, {}});
  }
  for (Operation &op : func.getBody().front()) {
    LogicalResult result =
        TypeSwitch<Operation *, LogicalResult>(&op)
            .Case([&](memref::AllocOp alloc) {
              ids[alloc] = plan.buffers.size();
              plan.buffers.push_back({byteSize(alloc.getType()), {}, {}});
              return success();
            })
            .Case([&](memref::GetGlobalOp get) -> LogicalResult {
              auto [it, inserted] =
                  globals.try_emplace(get.getName(), plan.buffers.size());
              ids[get] = it->second;
              if (!inserted)
                return success();
              auto global =
                  module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
              auto value = global ? dyn_cast_or_null<ElementsAttr>(
                                        global.getInitialValueAttr())
                                  : ElementsAttr();
              if (!value || !global.getConstant())
                return get.emitError("a weight must be a constant global");
              Buffer buffer{byteSize(get.getType()), {}, {}};
              if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
                AsmResourceBlob *blob = resource.getRawHandle().getBlob();
                if (!blob)
                  return get.emitError("the weights of '")
                         << get.getName() << "' are missing";
                buffer.data = blob->getData();
              } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
                if (dense.isSplat())
                  buffer.splat = dense;
                else
                  buffer.data = dense.getRawData();
              } else {
                return get.emitError("unsupported weight attribute");
              }
              if (buffer.splat == nullptr &&
                  int64_t(buffer.data.size()) != buffer.bytes)
                return get.emitError("the weights of '")
                       << get.getName() << "' have the wrong size";
              plan.buffers.push_back(buffer);
              return success();
            })
            .Case([&](memref::ViewOp view) -> LogicalResult {
              auto source = ids.find(view.getSource());
              std::optional<int64_t> offset =
                  getConstantIntValue(view.getByteShift());
              if (source == ids.end() || !offset || !view.getSizes().empty())
                return view.emitError("a view must be of a buffer, at a "
                                      "constant offset, of static shape");
              ids[view] = plan.buffers.size();
              Buffer buffer{byteSize(view.getType()), {}, {}};
              buffer.viewOf = source->second;
              buffer.offset = *offset;
              plan.buffers.push_back(buffer);
              return success();
            })
            .Case<memref::CollapseShapeOp, memref::ExpandShapeOp>(
                [&](Operation *view) {
                  ids[view->getResult(0)] = ids.lookup(view->getOperand(0));
                  return success();
                })
            .Case([&](gpu::LaunchFuncOp launch) -> LogicalResult {
              Launch entry;
              StringRef name = launch.getKernelName().getValue();
              auto [it, inserted] =
                  kernels.try_emplace(name, plan.kernels.size());
              if (inserted)
                plan.kernels.push_back(name.str());
              entry.kernel = it->second;
              Value sizes[] = {launch.getGridSizeX(),  launch.getGridSizeY(),
                               launch.getGridSizeZ(),  launch.getBlockSizeX(),
                               launch.getBlockSizeY(), launch.getBlockSizeZ()};
              for (int i = 0; i < 6; ++i) {
                std::optional<int64_t> size = getConstantIntValue(sizes[i]);
                if (!size || *size < 1 || *size > INT32_MAX)
                  return launch.emitError("launch sizes must be constants");
                (i < 3 ? entry.grid[i] : entry.block[i - 3]) = *size;
              }
              for (Value arg : launch.getKernelOperands()) {
                auto found = ids.find(arg);
                if (found == ids.end())
                  return launch.emitError("a kernel argument is not a buffer");
                entry.args.push_back(found->second);
                entry.bytes += byteSize(cast<MemRefType>(arg.getType()));
              }
              if (auto flops =
                      launch->getAttrOfType<IntegerAttr>(kLaunchFlopsAttr))
                entry.flops = flops.getInt();
              entry.layer = layerOfLoc.lookup(launch.getLoc());
              plan.launches.push_back(std::move(entry));
              return success();
            })
            .Case<arith::ConstantOp, func::ReturnOp>(
                [](Operation *) { return success(); })
            .Default([](Operation *op) {
              return op->emitError("unexpected op in the GPU host function");
            });
    if (failed(result))
      return failure();
  }
  return success();
}

/// Builds the plan's LLVM constants (layouts: runtime/include/kiln/gpu.h).
llvm::Constant *buildPlan(llvm::Module &m, const Plan &plan, StringRef ptx) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto global = [&](llvm::Constant *init, const Twine &name,
                    uint64_t align = 8) {
    auto *g =
        new llvm::GlobalVariable(m, init->getType(), /*isConstant=*/true,
                                 llvm::GlobalValue::PrivateLinkage, init, name);
    g->setAlignment(llvm::Align(align));
    return g;
  };
  auto string = [&](StringRef s, const Twine &name) {
    return global(llvm::ConstantDataArray::getString(ctx, s), name, 1);
  };
  auto array = [&](llvm::Type *type, ArrayRef<llvm::Constant *> items,
                   const Twine &name) -> llvm::Constant * {
    if (items.empty())
      return llvm::ConstantPointerNull::get(ptr);
    return global(llvm::ConstantArray::get(
                      llvm::ArrayType::get(type, items.size()), items),
                  name);
  };

  SmallVector<llvm::Constant *> kernelNames;
  for (auto [i, name] : llvm::enumerate(plan.kernels))
    kernelNames.push_back(string(name, "kiln_gpu.kernel." + Twine(i)));

  auto *bufferType = llvm::StructType::get(ctx, {i64, ptr, i32, i64});
  SmallVector<llvm::Constant *> buffers;
  for (auto [i, buffer] : llvm::enumerate(plan.buffers)) {
    llvm::Constant *data = llvm::ConstantPointerNull::get(ptr);
    if (buffer.splat) {
      auto dense = cast<DenseElementsAttr>(buffer.splat);
      float value = dense.getSplatValue<APFloat>().convertToFloat();
      SmallVector<float> values(buffer.bytes / 4, value);
      data = global(llvm::ConstantDataArray::get(ctx, ArrayRef<float>(values)),
                    "kiln_gpu.weight." + Twine(i), 64);
    } else if (!buffer.data.empty()) {
      data = global(llvm::ConstantDataArray::getRaw(
                        StringRef(buffer.data.data(), buffer.data.size()),
                        buffer.data.size(), llvm::Type::getInt8Ty(ctx)),
                    "kiln_gpu.weight." + Twine(i), 64);
    }
    buffers.push_back(llvm::ConstantStruct::get(
        bufferType, {llvm::ConstantInt::get(i64, buffer.bytes), data,
                     llvm::ConstantInt::get(i32, buffer.viewOf),
                     llvm::ConstantInt::get(i64, buffer.offset)}));
  }

  auto *dims = llvm::ArrayType::get(i32, 3);
  auto *launchType =
      llvm::StructType::get(ctx, {i32, dims, dims, i32, i32, i64, i64, ptr});
  SmallVector<llvm::Constant *> launches, args;
  auto dim3 = [&](const std::array<uint32_t, 3> &d) {
    return llvm::ConstantArray::get(dims, {llvm::ConstantInt::get(i32, d[0]),
                                           llvm::ConstantInt::get(i32, d[1]),
                                           llvm::ConstantInt::get(i32, d[2])});
  };
  for (const Launch &launch : plan.launches) {
    launches.push_back(llvm::ConstantStruct::get(
        launchType,
        {llvm::ConstantInt::get(i32, launch.kernel), dim3(launch.grid),
         dim3(launch.block), llvm::ConstantInt::get(i32, launch.args.size()),
         llvm::ConstantInt::get(i32, args.size()),
         llvm::ConstantInt::get(i64, launch.flops),
         llvm::ConstantInt::get(i64, launch.bytes),
         launch.layer.empty() ? static_cast<llvm::Constant *>(
                                    llvm::ConstantPointerNull::get(ptr))
                              : string(launch.layer, "kiln_gpu.layer")}));
    for (int32_t arg : launch.args)
      args.push_back(llvm::ConstantInt::get(i32, arg));
  }

  auto *planType = llvm::StructType::get(
      ctx, {ptr, i32, ptr, i32, ptr, i32, i32, i32, ptr, ptr});
  return llvm::ConstantStruct::get(
      planType, {string(ptx, "kiln_gpu.ptx"),
                 llvm::ConstantInt::get(i32, kernelNames.size()),
                 array(ptr, kernelNames, "kiln_gpu.kernels"),
                 llvm::ConstantInt::get(i32, buffers.size()),
                 array(bufferType, buffers, "kiln_gpu.buffers"),
                 llvm::ConstantInt::get(i32, plan.input),
                 llvm::ConstantInt::get(i32, plan.output),
                 llvm::ConstantInt::get(i32, launches.size()),
                 array(launchType, launches, "kiln_gpu.launches"),
                 array(i32, args, "kiln_gpu.args")});
}

} // namespace

std::unique_ptr<llvm::Module>
translateGPUHostToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                         llvm::TargetMachine &targetMachine) {
  FailureOr<std::string> ptx = getPTX(module);
  if (failed(ptx))
    return nullptr;
  auto func = module.lookupSymbol<func::FuncOp>("forward");
  // The third argument, when kiln-plan-memory ran, is the workspace: a
  // device buffer of the plan like the others.
  if (!func || func.isExternal() || func.getNumArguments() < 2 ||
      func.getNumArguments() > 3) {
    module.emitError("the GPU module has no host @forward(memref, memref"
                     "[, workspace])");
    return nullptr;
  }
  Plan plan;
  if (failed(readPlan(module, func, plan)))
    return nullptr;

  // forward(in, out) { kiln_gpu_run(&plan, in, out); } in the LLVM dialect,
  // with the plan declared, so that translateToLLVMIR adds the descriptor.
  MLIRContext *ctx = module.getContext();
  ctx->getOrLoadDialect<LLVM::LLVMDialect>();
  OwningOpRef<ModuleOp> host = ModuleOp::create(module.getLoc());
  for (StringRef name : {kInputShapeAttrName, kOutputShapeAttrName,
                         kInputsAttrName, kOutputsAttrName, kModelNameAttrName})
    if (Attribute attr = module->getAttr(name))
      (*host)->setAttr(name, attr);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(host->getBody());
  Location loc = module.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  LLVM::GlobalOp::create(b, loc, b.getI8Type(), /*isConstant=*/true,
                         LLVM::Linkage::External, kGPUPlanSymbol, Attribute());
  auto run = LLVM::LLVMFuncOp::create(
      b, loc, kRunSymbol,
      LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType, ptrType}));
  // The workspace (third) argument stays unused: workspace_bytes is 0, as
  // activations live on the device (in the plan's own workspace).
  auto forward = LLVM::LLVMFuncOp::create(
      b, loc, "forward",
      LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType, ptrType}));
  Block *entry = forward.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value planAddress =
      LLVM::AddressOfOp::create(b, loc, ptrType, kGPUPlanSymbol);
  LLVM::CallOp::create(
      b, loc, run,
      ValueRange{planAddress, entry->getArgument(0), entry->getArgument(1)});
  LLVM::ReturnOp::create(b, loc, ValueRange());

  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*host, llvmContext, targetMachine);
  if (!llvmModule)
    return nullptr;
  llvm::GlobalVariable *declared =
      llvmModule->getGlobalVariable(kGPUPlanSymbol);
  llvm::Constant *init = buildPlan(*llvmModule, plan, *ptx);
  auto *planGlobal = new llvm::GlobalVariable(
      *llvmModule, init->getType(), /*isConstant=*/true,
      llvm::GlobalValue::InternalLinkage, init, "kiln_gpu.plan");
  planGlobal->setAlignment(llvm::Align(8));
  declared->replaceAllUsesWith(planGlobal);
  declared->eraseFromParent();
  planGlobal->setName(kGPUPlanSymbol);
  return llvmModule;
}

} // namespace kiln
