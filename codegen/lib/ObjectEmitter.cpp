//===- ObjectEmitter.cpp - LLVM dialect -> optimised object code ----------===//

#include "kiln/Codegen/ObjectEmitter.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/DiagnosticHandler.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <algorithm>
#include <unistd.h>

using llvm::Error;
using llvm::StringRef;

namespace kiln {

/// Rank of the shape arrays in kiln_model_desc (KILN_MAX_RANK).
static constexpr unsigned kMaxRank = 8;

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

void initializeLLVMTargets() {
  static llvm::once_flag flag;
  llvm::call_once(flag, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

static llvm::CodeGenOptLevel getCodeGenOptLevel(OptLevel level) {
  switch (level) {
  case OptLevel::O0:
    return llvm::CodeGenOptLevel::None;
  case OptLevel::O1:
    return llvm::CodeGenOptLevel::Less;
  case OptLevel::O2:
    return llvm::CodeGenOptLevel::Default;
  case OptLevel::O3:
    return llvm::CodeGenOptLevel::Aggressive;
  }
  llvm_unreachable("unknown OptLevel");
}

/// The host's features as "+a,-b,...", sorted so output is reproducible.
static std::string getHostFeatures() {
  std::vector<std::string> names;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    names.push_back((feature.getValue() ? "+" : "-") + feature.getKey().str());
  llvm::sort(names);
  return llvm::join(names, ",");
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options, OptLevel level) {
  initializeLLVMTargets();
  std::string tripleName = options.triple.empty()
                               ? llvm::sys::getDefaultTargetTriple()
                               : options.triple;
  llvm::Triple triple(llvm::Triple::normalize(tripleName));
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("unsupported target '" + tripleName + "': " + error);

  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    if (llvm::Triple(llvm::sys::getProcessTriple()).getArch() ==
        triple.getArch()) {
      cpu = llvm::sys::getHostCPUName().str();
      features = getHostFeatures();
    } else {
      cpu = "generic";
    }
  } else if (cpu.empty()) {
    cpu = "generic";
  }
  if (!options.features.empty())
    features =
        features.empty() ? options.features : features + "," + options.features;

  // Check the CPU first: the target machine would only print a warning.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, "generic", ""));
  if (cpu != "generic" && subtarget && !subtarget->isCPUStringValid(cpu))
    return makeError("unknown CPU '" + cpu + "' for target '" + triple.str() +
                     "'");

  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_,
      /*CM=*/std::nullopt, getCodeGenOptLevel(level)));
  if (!machine)
    return makeError("cannot create a target machine for '" + tripleName + "'");
  return std::move(machine);
}

CacheSizes getCacheSizes(const TargetOptions &options) {
  llvm::Triple triple(llvm::Triple::normalize(
      options.triple.empty() ? llvm::sys::getDefaultTargetTriple()
                             : options.triple));
  CacheSizes sizes;
  if (triple.isAArch64())
    sizes = {int64_t(64) << 10, int64_t(1) << 20};
  else
    sizes = {int64_t(32) << 10, int64_t(1) << 20};
  bool host =
      options.cpu == "native" &&
      llvm::Triple(llvm::sys::getProcessTriple()).getArch() == triple.getArch();
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
  // glibc reads these from CPUID (x86) or sysfs; 0 or -1 when unknown.
  if (host) {
    long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l1 > 0)
      sizes.l1 = l1;
    if (l2 > 0)
      sizes.l2 = l2;
  }
#else
  (void)host;
#endif
  return sizes;
}

/// Reads one of the shapes kiln-record-model-signature stored on `module`.
static mlir::DenseI64ArrayAttr getShapeAttr(mlir::ModuleOp module,
                                            StringRef name) {
  auto shape = module->getAttrOfType<mlir::DenseI64ArrayAttr>(name);
  if (!shape) {
    mlir::emitError(module.getLoc())
        << "the module has no '" << name
        << "' attribute: lower it with kiln-linalg-to-loops, which records "
           "the model's signature";
    return nullptr;
  }
  if (shape.size() > kMaxRank) {
    mlir::emitError(module.getLoc())
        << "'" << name << "' has rank " << shape.size()
        << "; the runtime supports at most " << kMaxRank;
    return nullptr;
  }
  return shape;
}

/// One of the model's inputs or outputs, as a kiln_io_desc describes it.
struct ModelIO {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  int64_t offset;
};

/// The inputs or outputs kiln-pack-model-io recorded as `attrName`, or the
/// one tensor of `shape`, named `what`, when it found one.
static mlir::FailureOr<llvm::SmallVector<ModelIO>>
getModelIO(mlir::ModuleOp module, StringRef attrName, StringRef what,
           llvm::ArrayRef<int64_t> shape) {
  auto list = module->getAttrOfType<mlir::ArrayAttr>(attrName);
  if (!list)
    return llvm::SmallVector<ModelIO>{
        {what.str(), llvm::SmallVector<int64_t>(shape), 0}};
  llvm::SmallVector<ModelIO> tensors;
  for (mlir::Attribute entry : list) {
    auto dict = llvm::dyn_cast<mlir::DictionaryAttr>(entry);
    auto name = dict ? dict.getAs<mlir::StringAttr>("name") : nullptr;
    auto shape = dict ? dict.getAs<mlir::DenseI64ArrayAttr>("shape") : nullptr;
    auto offset = dict ? dict.getAs<mlir::IntegerAttr>("offset") : nullptr;
    if (!name || !shape || !offset) {
      mlir::emitError(module.getLoc())
          << "'" << attrName
          << "' must list {name, shape, offset} dictionaries, but has "
          << entry;
      return mlir::failure();
    }
    if (shape.size() > kMaxRank) {
      mlir::emitError(module.getLoc())
          << what << " '" << name.getValue() << "' has rank " << shape.size()
          << "; the runtime supports at most " << kMaxRank;
      return mlir::failure();
    }
    tensors.push_back({name.str(),
                       llvm::SmallVector<int64_t>(shape.asArrayRef()),
                       offset.getInt()});
  }
  return tensors;
}

/// Adds a private NUL-terminated string constant named `symbol`.
static llvm::GlobalVariable *addString(llvm::Module &module, StringRef text,
                                       const llvm::Twine &symbol) {
  auto *init = llvm::ConstantDataArray::getString(module.getContext(), text);
  auto *global =
      new llvm::GlobalVariable(module, init->getType(), /*isConstant=*/true,
                               llvm::GlobalValue::PrivateLinkage, init, symbol);
  global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  global->setAlignment(llvm::Align(1));
  return global;
}

/// Adds `const kiln_model_desc kiln_model = {name, in rank, in shape, out
/// rank, out shape, workspace bytes, entry, layers, outputs, inputs}`
/// (runtime/include/kiln/runtime.h).
static void
addDescriptor(llvm::Module &module, StringRef modelName,
              llvm::ArrayRef<int64_t> inputShape,
              llvm::ArrayRef<int64_t> outputShape, int64_t workspaceBytes,
              llvm::Function *entry,
              llvm::ArrayRef<std::pair<std::string, int64_t>> layers,
              llvm::ArrayRef<ModelIO> outputs, llvm::ArrayRef<ModelIO> inputs) {
  llvm::LLVMContext &context = module.getContext();
  auto *i64 = llvm::Type::getInt64Ty(context);
  auto *ptr = llvm::PointerType::getUnqual(context);
  auto *shapeType = llvm::ArrayType::get(i64, kMaxRank);
  auto *descType =
      llvm::StructType::create(context,
                               {ptr, i64, shapeType, i64, shapeType, i64, ptr,
                                i64, ptr, i64, ptr, i64, ptr},
                               "struct.kiln_model_desc");

  llvm::GlobalVariable *name = addString(module, modelName, "kiln_model.name");

  auto makeShape = [&](llvm::ArrayRef<int64_t> shape) {
    llvm::SmallVector<llvm::Constant *> dims;
    for (unsigned i = 0; i < kMaxRank; ++i)
      dims.push_back(
          llvm::ConstantInt::get(i64, i < shape.size() ? shape[i] : 0));
    return llvm::ConstantArray::get(shapeType, dims);
  };
  // The layer table: {name, flops} per layer, for BIN --profile.
  auto *layerType =
      llvm::StructType::create(context, {ptr, i64}, "struct.kiln_layer_desc");
  llvm::SmallVector<llvm::Constant *> layerInits;
  for (auto [index, layer] : llvm::enumerate(layers)) {
    llvm::GlobalVariable *layerName = addString(
        module, layer.first, "kiln_model.layer" + llvm::Twine(index) + ".name");
    layerInits.push_back(llvm::ConstantStruct::get(
        layerType, {layerName, llvm::ConstantInt::get(i64, layer.second)}));
  }
  llvm::Constant *layerTable = llvm::ConstantPointerNull::get(ptr);
  if (!layerInits.empty()) {
    auto *tableType = llvm::ArrayType::get(layerType, layerInits.size());
    auto *table = new llvm::GlobalVariable(
        module, tableType, /*isConstant=*/true,
        llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(tableType, layerInits), "kiln_model.layers");
    table->setAlignment(llvm::Align(8));
    layerTable = table;
  }
  // The input and output tables: {name, rank, shape, offset} per tensor.
  auto *ioType = llvm::StructType::create(context, {ptr, i64, shapeType, i64},
                                          "struct.kiln_io_desc");
  auto makeTable = [&](llvm::ArrayRef<ModelIO> tensors, StringRef what) {
    llvm::SmallVector<llvm::Constant *> inits;
    for (auto [index, tensor] : llvm::enumerate(tensors))
      inits.push_back(llvm::ConstantStruct::get(
          ioType,
          {addString(module, tensor.name,
                     "kiln_model." + what + llvm::Twine(index) + ".name"),
           llvm::ConstantInt::get(i64, tensor.shape.size()),
           makeShape(tensor.shape),
           llvm::ConstantInt::get(i64, tensor.offset)}));
    auto *tableType = llvm::ArrayType::get(ioType, inits.size());
    auto *table = new llvm::GlobalVariable(
        module, tableType, /*isConstant=*/true,
        llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(tableType, inits), "kiln_model." + what + "s");
    table->setAlignment(llvm::Align(8));
    return table;
  };
  llvm::GlobalVariable *outputTable = makeTable(outputs, "output");
  llvm::GlobalVariable *inputTable = makeTable(inputs, "input");

  llvm::Constant *init = llvm::ConstantStruct::get(
      descType,
      {name, llvm::ConstantInt::get(i64, inputShape.size()),
       makeShape(inputShape), llvm::ConstantInt::get(i64, outputShape.size()),
       makeShape(outputShape), llvm::ConstantInt::get(i64, workspaceBytes),
       entry, llvm::ConstantInt::get(i64, layers.size()), layerTable,
       llvm::ConstantInt::get(i64, outputs.size()), outputTable,
       llvm::ConstantInt::get(i64, inputs.size()), inputTable});
  auto *desc = new llvm::GlobalVariable(module, descType, /*isConstant=*/true,
                                        llvm::GlobalValue::ExternalLinkage,
                                        init, kDescriptorSymbol);
  desc->setAlignment(llvm::Align(8));
}

/// The layers kiln-instrument-layers labelled: name and FLOPs of each.
static llvm::SmallVector<std::pair<std::string, int64_t>>
getLayers(mlir::ModuleOp module) {
  llvm::SmallVector<std::pair<std::string, int64_t>> layers;
  auto list = module->getAttrOfType<mlir::ArrayAttr>(kLayersAttrName);
  if (!list)
    return layers;
  for (mlir::Attribute entry : list) {
    auto dict = llvm::dyn_cast<mlir::DictionaryAttr>(entry);
    auto name = dict ? dict.getAs<mlir::StringAttr>("name") : nullptr;
    auto flops = dict ? dict.getAs<mlir::IntegerAttr>("flops") : nullptr;
    layers.push_back({name ? name.str() : "?", flops ? flops.getInt() : 0});
  }
  return layers;
}

std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                  llvm::TargetMachine &targetMachine, StringRef entryName) {
  mlir::Location loc = module.getLoc();
  mlir::DenseI64ArrayAttr inputShape =
      getShapeAttr(module, kInputShapeAttrName);
  mlir::DenseI64ArrayAttr outputShape =
      getShapeAttr(module, kOutputShapeAttrName);
  if (!inputShape || !outputShape)
    return nullptr;
  mlir::FailureOr<llvm::SmallVector<ModelIO>> outputs =
      getModelIO(module, kOutputsAttrName, "output", outputShape.asArrayRef());
  mlir::FailureOr<llvm::SmallVector<ModelIO>> inputs =
      getModelIO(module, kInputsAttrName, "input", inputShape.asArrayRef());
  if (failed(outputs) || failed(inputs))
    return nullptr;
  StringRef modelName = "model";
  if (auto name = module->getAttrOfType<mlir::StringAttr>(kModelNameAttrName))
    modelName = name.getValue();

  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, llvmContext, modelName);
  if (!llvmModule)
    return nullptr; // The translation reported why.

  // Triple and data layout first: the optimiser's cost models need them.
  llvmModule->setTargetTriple(targetMachine.getTargetTriple());
  llvmModule->setDataLayout(targetMachine.createDataLayout());
  if (llvmModule->getDataLayout().getPointerSize() != 8) {
    mlir::emitError(loc) << "target '" << targetMachine.getTargetTriple().str()
                         << "' is not 64-bit; Kiln lowers index to i64";
    return nullptr;
  }

  llvm::Function *entry = llvmModule->getFunction(entryName);
  if (!entry || entry->isDeclaration()) {
    mlir::emitError(loc) << "the module defines no entry function @"
                         << entryName;
    return nullptr;
  }
  auto *ptr = llvm::PointerType::getUnqual(llvmContext);
  auto *voidType = llvm::Type::getVoidTy(llvmContext);
  auto *entryType =
      llvm::FunctionType::get(voidType, {ptr, ptr, ptr}, /*isVarArg=*/false);
  auto *unplannedType =
      llvm::FunctionType::get(voidType, {ptr, ptr}, /*isVarArg=*/false);
  if (entry->getFunctionType() == unplannedType) {
    // Built without kiln-plan-memory: the entry allocates its own buffers.
    // Wrap it so that the exported ABI is the same either way.
    entry->setName(llvm::Twine(entryName) + ".unplanned");
    llvm::Function *wrapper = llvm::Function::Create(
        entryType, llvm::GlobalValue::ExternalLinkage, entryName, *llvmModule);
    llvm::IRBuilder<> builder(
        llvm::BasicBlock::Create(llvmContext, "entry", wrapper));
    builder.CreateCall(entry, {wrapper->getArg(0), wrapper->getArg(1)});
    builder.CreateRetVoid();
    entry = wrapper;
  }
  if (entry->getFunctionType() != entryType) {
    std::string type;
    llvm::raw_string_ostream os(type);
    entry->getFunctionType()->print(os);
    mlir::emitError(loc) << "the entry function @" << entryName
                         << " must be `void (ptr, ptr, ptr)` (bare-pointer "
                            "memrefs: input, output, workspace), but it is `"
                         << type << "`: lower it with kiln-loops-to-llvm";
    return nullptr;
  }
  int64_t workspaceBytes = 0;
  if (auto bytes =
          module->getAttrOfType<mlir::IntegerAttr>(kWorkspaceBytesAttrName))
    workspaceBytes = bytes.getInt();
  for (StringRef symbol :
       {StringRef(kEntrySymbol), StringRef(kDescriptorSymbol)}) {
    llvm::GlobalValue *existing = llvmModule->getNamedValue(symbol);
    if (existing && existing != entry) {
      mlir::emitError(loc) << "the module already defines '" << symbol
                           << "', which Kiln reserves";
      return nullptr;
    }
  }

  // Export only the descriptor and the entry, the latter under a prefixed
  // name that cannot clash with the embedding program's symbols.
  entry->setName(kEntrySymbol);
  entry->setLinkage(llvm::GlobalValue::ExternalLinkage);
  entry->setVisibility(llvm::GlobalValue::DefaultVisibility);
  // The caller's input is read-only, and input and output are distinct
  // buffers: this lets LLVM vectorize without runtime alias checks.
  entry->addParamAttr(0, llvm::Attribute::NoAlias);
  entry->addParamAttr(0, llvm::Attribute::ReadOnly);
  entry->addParamAttr(1, llvm::Attribute::NoAlias);
  entry->addParamAttr(2, llvm::Attribute::NoAlias);

  StringRef cpu = targetMachine.getTargetCPU();
  StringRef features = targetMachine.getTargetFeatureString();
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    if (&function != entry)
      function.setLinkage(llvm::GlobalValue::InternalLinkage);
    // Record the target on each function, as clang does, so that the IR
    // keeps meaning the same when dumped and fed to opt or llc.
    function.addFnAttr("target-cpu", cpu);
    if (!features.empty())
      function.addFnAttr("target-features", features);
    // Generated code never throws; keep unwind tables for profilers.
    function.setDoesNotThrow();
    function.setUWTableKind(llvm::UWTableKind::Async);
  }

  addDescriptor(*llvmModule, modelName, inputShape.asArrayRef(),
                outputShape.asArrayRef(), workspaceBytes, entry,
                getLayers(module), *outputs, *inputs);

  std::string message;
  llvm::raw_string_ostream os(message);
  if (llvm::verifyModule(*llvmModule, &os)) {
    mlir::emitError(loc) << "invalid LLVM IR: " << message;
    return nullptr;
  }
  return llvmModule;
}

std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &llvmContext,
                                                const TargetOptions &options,
                                                StringRef entryName) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(options);
  if (!machine) {
    mlir::emitError(module.getLoc()) << llvm::toString(machine.takeError());
    return nullptr;
  }
  return translateToLLVMIR(module, llvmContext, **machine, entryName);
}

static Error checkTarget(llvm::Module &module,
                         llvm::TargetMachine &targetMachine) {
  if (module.getTargetTriple() != targetMachine.getTargetTriple() ||
      module.getDataLayout() != targetMachine.createDataLayout())
    return makeError("the module's triple or data layout ('" +
                     module.getTargetTriple().str() +
                     "') is not the target machine's ('" +
                     targetMachine.getTargetTriple().str() + "')");
  return Error::success();
}

namespace {
/// Drops LLVM's "loop not vectorized: the optimizer was unable to perform the
/// requested transformation" warnings, and the analysis remarks saying why
/// ("value that could not be identified as reduction is used outside the
/// loop"), which LLVM prints for every loop whose vectorization was forced:
/// the requests are kiln-annotate-inner-loops' hints (vectorize this loop if
/// you can), not a user's pragmas, and some loops (gathers, libm calls)
/// cannot be vectorized. Everything else goes to the previous handler.
class DropMissedTransformations : public llvm::DiagnosticHandler {
public:
  explicit DropMissedTransformations(llvm::DiagnosticHandler *next)
      : next(next) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo &info) override {
    switch (info.getKind()) {
    case llvm::DK_OptimizationFailure:
    case llvm::DK_OptimizationRemarkAnalysis:
    case llvm::DK_OptimizationRemarkAnalysisFPCommute:
    case llvm::DK_OptimizationRemarkAnalysisAliasing:
      return true;
    default:
      break;
    }
    return next ? next->handleDiagnostics(info) : false;
  }

private:
  llvm::DiagnosticHandler *next;
};
} // namespace

Error optimizeModule(llvm::Module &module, llvm::TargetMachine &targetMachine,
                     OptLevel level) {
  if (Error error = checkTarget(module, targetMachine))
    return error;

  llvm::LLVMContext &context = module.getContext();
  std::unique_ptr<llvm::DiagnosticHandler> previousHandler =
      context.getDiagnosticHandler();
  context.setDiagnosticHandler(
      std::make_unique<DropMissedTransformations>(previousHandler.get()));
  llvm::scope_exit restoreHandler(
      [&] { context.setDiagnosticHandler(std::move(previousHandler)); });

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = level >= OptLevel::O2;
  tuning.SLPVectorization = level >= OptLevel::O2;
  tuning.LoopUnrolling = level >= OptLevel::O1;
  llvm::PassBuilder builder(&targetMachine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);

  llvm::ModulePassManager mpm;
  switch (level) {
  case OptLevel::O0:
    mpm = builder.buildO0DefaultPipeline(llvm::OptimizationLevel::O0);
    break;
  case OptLevel::O1:
    mpm = builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O1);
    break;
  case OptLevel::O2:
    mpm = builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    break;
  case OptLevel::O3:
    mpm = builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    break;
  }
  mpm.run(module, mam);
  return Error::success();
}

static Error emitFile(llvm::Module &module, llvm::TargetMachine &targetMachine,
                      llvm::raw_pwrite_stream &os,
                      llvm::CodeGenFileType fileType) {
  if (Error error = checkTarget(module, targetMachine))
    return error;
  llvm::legacy::PassManager passes;
  if (targetMachine.addPassesToEmitFile(passes, os, /*DwoOut=*/nullptr,
                                        fileType))
    return makeError("target '" + targetMachine.getTargetTriple().str() +
                     "' cannot emit this file type");
  passes.run(module);
  return Error::success();
}

Error emitObject(llvm::Module &module, llvm::TargetMachine &targetMachine,
                 llvm::raw_pwrite_stream &os) {
  return emitFile(module, targetMachine, os, llvm::CodeGenFileType::ObjectFile);
}

Error emitAssembly(llvm::Module &module, llvm::TargetMachine &targetMachine,
                   llvm::raw_pwrite_stream &os) {
  return emitFile(module, targetMachine, os,
                  llvm::CodeGenFileType::AssemblyFile);
}

} // namespace kiln

int64_t kiln::getVectorWidth(const llvm::TargetMachine &targetMachine) {
  // The subtarget knows the features the CPU implies, not only the ones
  // spelled out in the feature string.
  const llvm::MCSubtargetInfo *subtarget = targetMachine.getMCSubtargetInfo();
  if (targetMachine.getTargetTriple().isX86() && subtarget) {
    if (subtarget->checkFeatures("+avx512f"))
      return 16;
    if (subtarget->checkFeatures("+avx"))
      return 8;
  }
  return 4; // SSE, NEON and anything else with 128-bit vectors.
}

int64_t kiln::getVectorRegisters(const llvm::TargetMachine &targetMachine) {
  const llvm::Triple &triple = targetMachine.getTargetTriple();
  const llvm::MCSubtargetInfo *subtarget = targetMachine.getMCSubtargetInfo();
  if (triple.isX86())
    return subtarget && subtarget->checkFeatures("+avx512f") ? 32 : 16;
  if (triple.isAArch64())
    return 32; // v0-v31
  return 16;
}
