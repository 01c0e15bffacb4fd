//===- Library.cpp - A model's C API and its static archive ---------------===//

#include "kiln/Codegen/Library.h"
#include "kiln/Codegen/ObjectEmitter.h"
#include "kiln/Codegen/Passes.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/ReplaceConstant.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using llvm::Error;
using llvm::StringRef;

namespace kiln {

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string sanitizeLibraryPrefix(StringRef name) {
  std::string prefix;
  for (char c : name)
    prefix += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (prefix.empty() || llvm::isDigit(prefix.front()))
    prefix.insert(prefix.begin(), 'm');
  return prefix;
}

namespace {

/// The kiln_model_desc fields the library reads (runtime/include/kiln/
/// runtime.h): name, input rank and shape, output rank and shape, workspace
/// size, the output and input tables.
enum DescriptorField : unsigned {
  kName = 0,
  kInputRank = 1,
  kInputShape = 2,
  kOutputRank = 3,
  kOutputShape = 4,
  kWorkspaceBytes = 5,
  kNumOutputs = 9,
  kOutputs = 10,
  kNumInputs = 11,
  kInputs = 12,
};

/// The kiln_io_desc fields: name, rank, shape, offset.
enum IOField : unsigned {
  kIOName = 0,
  kIORank = 1,
  kIOShape = 2,
  kIOOffset = 3,
};

/// The OpenMP entry points the runtime implements, by their suffix after
/// "__kmpc_"; the library calls them as "kiln_omp_" + suffix.
constexpr StringRef kOpenMPEntryPoints[] = {"fork_call", "global_thread_num",
                                            "for_static_init_8u",
                                            "for_static_fini", "barrier"};

int64_t getInt(llvm::Constant *constant) {
  auto *value = llvm::dyn_cast_or_null<llvm::ConstantInt>(constant);
  return value ? value->getSExtValue() : -1;
}

/// Reads `rank` dimensions of the shape array at `field`.
llvm::SmallVector<int64_t> getShape(llvm::ConstantStruct *desc,
                                    unsigned rankField, unsigned shapeField) {
  llvm::SmallVector<int64_t> shape;
  int64_t rank = getInt(desc->getAggregateElement(rankField));
  llvm::Constant *dims = desc->getAggregateElement(shapeField);
  for (int64_t i = 0; dims && i < rank; ++i)
    shape.push_back(getInt(dims->getAggregateElement(unsigned(i))));
  return shape;
}

/// The C string a descriptor field points to, or "".
std::string getString(llvm::Constant *field) {
  auto *global = llvm::dyn_cast_or_null<llvm::GlobalVariable>(
      field ? field->stripPointerCasts() : nullptr);
  auto *data = global ? llvm::dyn_cast_or_null<llvm::ConstantDataSequential>(
                            global->getInitializer())
                      : nullptr;
  return data && data->isCString() ? data->getAsCString().str() : "";
}

/// The global a descriptor's pointer field points to, or null.
llvm::GlobalVariable *getPointee(llvm::ConstantStruct *desc,
                                 DescriptorField field) {
  llvm::Constant *pointer = desc->getAggregateElement(unsigned(field));
  return llvm::dyn_cast_or_null<llvm::GlobalVariable>(
      pointer ? pointer->stripPointerCasts() : nullptr);
}

/// The descriptor's input or output table (its count and pointer fields),
/// when it lists several tensors.
llvm::SmallVector<LibraryIO> getIOTable(llvm::ConstantStruct *desc,
                                        DescriptorField countField,
                                        DescriptorField tableField) {
  llvm::SmallVector<LibraryIO> tensors;
  if (getInt(desc->getAggregateElement(unsigned(countField))) < 2)
    return tensors;
  llvm::GlobalVariable *table = getPointee(desc, tableField);
  auto *entries =
      table && table->hasInitializer()
          ? llvm::dyn_cast<llvm::ConstantArray>(table->getInitializer())
          : nullptr;
  for (unsigned i = 0; entries && i < entries->getNumOperands(); ++i) {
    auto *entry = llvm::cast<llvm::ConstantStruct>(entries->getOperand(i));
    tensors.push_back(
        {getString(entry->getAggregateElement(unsigned(kIOName))),
         getShape(entry, kIORank, kIOShape),
         getInt(entry->getAggregateElement(unsigned(kIOOffset)))});
  }
  return tensors;
}

/// Builds the exported API around the (now internal) descriptor.
class InterfaceBuilder {
public:
  InterfaceBuilder(llvm::Module &module, StringRef prefix,
                   llvm::GlobalVariable *desc)
      : module(module), context(module.getContext()), prefix(prefix),
        desc(desc) {}

  void build(const LibraryInterface &interface, const ExternalWeights *weights,
             llvm::GlobalVariable *gpuPlan) {
    auto *i64 = builder().getInt64Ty();
    if (gpuPlan)
      forwardToGPUContexts(gpuPlan);
    else
      forwardToContexts(weights);

    // Constant queries, for programs that load the library by name.
    constant("input_rank", builder().getInt32(interface.inputShape.size()));
    constant("output_rank", builder().getInt32(interface.outputShape.size()));
    constant("input_size",
             llvm::ConstantInt::get(i64, numel(interface.inputShape)));
    constant("output_size",
             llvm::ConstantInt::get(i64, numel(interface.outputShape)));
    constant("workspace_size",
             llvm::ConstantInt::get(i64, interface.workspaceBytes));
    llvm::Constant *zero = builder().getInt32(0);
    auto fieldAddress = [&](unsigned field) {
      return llvm::ConstantExpr::getInBoundsGetElementPtr(
          desc->getValueType(), desc,
          llvm::ArrayRef<llvm::Constant *>{zero, builder().getInt32(field)});
    };
    constant("input_shape", fieldAddress(kInputShape));
    constant("output_shape", fieldAddress(kOutputShape));
    constant("name", llvm::cast<llvm::ConstantStruct>(desc->getInitializer())
                         ->getAggregateElement(unsigned(kName)));
    tensorQueries("input", kNumInputs, kInputs);
    tensorQueries("output", kNumOutputs, kOutputs);
  }

private:
  llvm::IRBuilder<> &builder() { return irBuilder; }

  /// P_create, _destroy, _run, _num_threads and _status_message as calls
  /// into the runtime's CPU contexts, with the descriptor added (and, for
  /// external weights, P_load_weights and the weights' slot).
  void forwardToContexts(const ExternalWeights *weights) {
    auto *i32 = builder().getInt32Ty();
    auto *i64 = builder().getInt64Ty();
    auto *ptr = builder().getPtrTy();
    if (!weights) {
      forward("create", i32, {i32, ptr}, "kiln_context_create",
              [&](Args &args) { args.insert(args.begin(), desc); });
    } else {
      // Contexts need the weights file loaded first.
      llvm::GlobalVariable *slot =
          module.getGlobalVariable(kWeightsSlotSymbol, true);
      forward("create", i32, {i32, ptr}, "kiln_context_create_with_weights",
              [&](Args &args) { args.insert(args.begin(), {desc, slot}); });
      forward("load_weights", i32, {ptr}, "kiln_weights_load", [&](Args &args) {
        args.insert(args.begin(), slot);
        args.push_back(llvm::ConstantInt::get(i64, weights->bytes));
        args.push_back(llvm::ConstantInt::get(i64, weights->fingerprint));
      });
    }
    forward("destroy", builder().getVoidTy(), {ptr}, "kiln_context_destroy");
    forward("run", i32, {ptr, ptr, ptr, ptr}, "kiln_context_run",
            [&](Args &args) { args.insert(args.begin() + 1, desc); });
    forward("num_threads", i32, {ptr}, "kiln_context_num_threads");
    forward("status_message", ptr, {i32}, "kiln_status_message");
  }

  /// The same functions as calls into the GPU contexts of
  /// runtime/lib/cuda.c, with the model's launch plan added.
  void forwardToGPUContexts(llvm::GlobalVariable *plan) {
    auto *i32 = builder().getInt32Ty();
    auto *ptr = builder().getPtrTy();
    forward("create", i32, {i32, ptr}, "kiln_gpu_context_create",
            [&](Args &args) { args.insert(args.begin(), plan); });
    forward("destroy", builder().getVoidTy(), {ptr},
            "kiln_gpu_context_destroy");
    forward("run", i32, {ptr, ptr, ptr, ptr}, "kiln_gpu_context_run",
            [&](Args &args) { args.insert(args.begin() + 1, plan); });
    forward("num_threads", i32, {ptr}, "kiln_gpu_context_num_threads");
    forward("status_message", ptr, {i32}, "kiln_gpu_status_message");
  }

  static int64_t numel(llvm::ArrayRef<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }

  llvm::Function *define(StringRef name, llvm::FunctionType *type) {
    auto *function = llvm::Function::Create(
        type, llvm::GlobalValue::ExternalLinkage, prefix + "_" + name, module);
    function->setDoesNotThrow();
    function->setUWTableKind(llvm::UWTableKind::Async);
    irBuilder.SetInsertPoint(llvm::BasicBlock::Create(context, "", function));
    return function;
  }

  using Args = llvm::SmallVector<llvm::Value *>;

  /// Defines `P_name(params...)` as a tail call of `callee` with the same
  /// arguments, to which `adjust` may add constants (the descriptor...).
  void forward(StringRef name, llvm::Type *result,
               llvm::ArrayRef<llvm::Type *> params, StringRef callee,
               llvm::function_ref<void(Args &)> adjust = nullptr) {
    llvm::Function *function =
        define(name, llvm::FunctionType::get(result, params, false));
    Args args;
    for (llvm::Argument &arg : function->args())
      args.push_back(&arg);
    if (adjust)
      adjust(args);
    llvm::SmallVector<llvm::Type *> calleeParams;
    for (llvm::Value *arg : args)
      calleeParams.push_back(arg->getType());
    llvm::FunctionCallee target = module.getOrInsertFunction(
        callee, llvm::FunctionType::get(result, calleeParams, false));
    llvm::CallInst *call = irBuilder.CreateCall(target, args);
    call->setTailCall();
    if (result->isVoidTy())
      irBuilder.CreateRetVoid();
    else
      irBuilder.CreateRet(call);
  }

  void constant(StringRef name, llvm::Constant *value) {
    define(name, llvm::FunctionType::get(value->getType(), false));
    irBuilder.CreateRet(value);
  }

  /// P_num_`what`s() and P_`what`_info(int i), the address of the
  /// descriptor's table entry i (a kiln_io_desc, which the header declares
  /// as P_tensor_info) or NULL out of range.
  void tensorQueries(StringRef what, DescriptorField countField,
                     DescriptorField tableField) {
    auto *init = llvm::cast<llvm::ConstantStruct>(desc->getInitializer());
    int64_t count = getInt(init->getAggregateElement(unsigned(countField)));
    llvm::GlobalVariable *global = getPointee(init, tableField);
    if (!global || count < 1)
      count = 0;
    constant(("num_" + what + "s").str(), builder().getInt32(count));
    auto *i32 = builder().getInt32Ty();
    auto *ptr = builder().getPtrTy();
    llvm::Function *function = define(
        (what + "_info").str(), llvm::FunctionType::get(ptr, {i32}, false));
    llvm::Value *index = function->getArg(0);
    llvm::Value *entry = llvm::ConstantPointerNull::get(ptr);
    if (count > 0)
      entry = builder().CreateSelect(
          builder().CreateICmpULT(index, builder().getInt32(count)),
          builder().CreateInBoundsGEP(
              global->getValueType(), global,
              {builder().getInt32(0),
               builder().CreateZExt(index, builder().getInt64Ty())}),
          entry);
    builder().CreateRet(entry);
  }

  llvm::Module &module;
  llvm::LLVMContext &context;
  std::string prefix;
  llvm::GlobalVariable *desc;
  llvm::IRBuilder<> irBuilder{context};
};

} // namespace

Error addLibraryInterface(llvm::Module &module, StringRef prefix,
                          LibraryInterface &interface,
                          const ExternalWeights *weights) {
  llvm::GlobalVariable *desc =
      module.getGlobalVariable(kDescriptorSymbol, /*AllowInternal=*/true);
  llvm::Function *entry = module.getFunction(kEntrySymbol);
  auto *init =
      desc && desc->hasInitializer()
          ? llvm::dyn_cast<llvm::ConstantStruct>(desc->getInitializer())
          : nullptr;
  if (!init || !entry || entry->isDeclaration())
    return makeError("the module has no '" + StringRef(kDescriptorSymbol) +
                     "' descriptor and '" + kEntrySymbol +
                     "' entry to build a library around");

  // The descriptor says everything the header documents.
  interface.modelName = getString(init->getAggregateElement(unsigned(kName)));
  interface.inputShape = getShape(init, kInputRank, kInputShape);
  interface.outputShape = getShape(init, kOutputRank, kOutputShape);
  interface.inputs = getIOTable(init, kNumInputs, kInputs);
  interface.outputs = getIOTable(init, kNumOutputs, kOutputs);
  interface.workspaceBytes =
      getInt(init->getAggregateElement(unsigned(kWorkspaceBytes)));
  interface.triple = module.getTargetTriple().str();
  interface.prefix = prefix.empty() ? sanitizeLibraryPrefix(interface.modelName)
                                    : prefix.str();
  prefix = interface.prefix;

  static constexpr StringRef kApiNames[] = {
      "create",         "destroy",        "run",         "num_threads",
      "status_message", "input_rank",     "output_rank", "input_size",
      "output_size",    "workspace_size", "input_shape", "output_shape",
      "name",           "load_weights",   "num_inputs",  "input_info",
      "num_outputs",    "output_info"};
  for (StringRef name : kApiNames)
    if (module.getNamedValue((prefix + "_" + name).str()))
      return makeError("the prefix '" + prefix + "' gives '" + prefix + "_" +
                       name + "', which the model already defines");

  // Only the prefixed API is visible; the descriptor and entry keep their
  // names (each library's are internal, so they never clash).
  desc->setLinkage(llvm::GlobalValue::InternalLinkage);
  entry->setLinkage(llvm::GlobalValue::InternalLinkage);

  for (llvm::Function &function : llvm::make_early_inc_range(module)) {
    StringRef name = function.getName();
    if (!function.isDeclaration() || !name.consume_front("__kmpc_"))
      continue;
    if (!llvm::is_contained(kOpenMPEntryPoints, name))
      return makeError("the model calls the OpenMP entry point '" +
                       function.getName() +
                       "', which Kiln's runtime does not implement");
    function.setName("kiln_omp_" + name);
  }

  // A library has no profiler (BIN --profile is the executables'): the
  // layer marks of kiln-instrument-layers call an empty internal function,
  // which the optimiser removes.
  if (llvm::Function *profile = module.getFunction(kProfileLayerFunction);
      profile && profile->isDeclaration()) {
    profile->setLinkage(llvm::GlobalValue::InternalLinkage);
    llvm::IRBuilder<> builder(
        llvm::BasicBlock::Create(module.getContext(), "entry", profile));
    builder.CreateRetVoid();
  }

  llvm::GlobalVariable *slot =
      module.getGlobalVariable(kWeightsSlotSymbol, true);
  if (weights && !slot)
    return makeError("the module's weights were not externalized");
  if (slot)
    slot->setLinkage(llvm::GlobalValue::InternalLinkage);
  if (weights)
    interface.weightsBytes = weights->bytes;
  llvm::GlobalVariable *gpuPlan =
      module.getGlobalVariable(kGPUPlanSymbol, /*AllowInternal=*/true);
  if (gpuPlan && weights)
    return makeError("a GPU model's weights cannot be external");
  InterfaceBuilder(module, prefix, desc).build(interface, weights, gpuPlan);

  std::string message;
  llvm::raw_string_ostream os(message);
  if (llvm::verifyModule(module, &os))
    return makeError("invalid LLVM IR after adding the library API: " +
                     message);
  return Error::success();
}

/// FNV-1a, 64 bits: cheap, and enough to tell one model's weights from
/// another's.
static uint64_t fingerprint(llvm::ArrayRef<char> bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : bytes)
    hash = (hash ^ uint8_t(c)) * 0x100000001b3ull;
  return hash;
}

static void appendU64(llvm::SmallVectorImpl<char> &out, uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out.push_back(char(value >> (8 * i)));
}

Error externalizeWeights(llvm::Module &module, ExternalWeights &weights,
                         uint64_t minBytes) {
  if (module.getNamedValue(kWeightsSlotSymbol))
    return makeError("the module already defines '" +
                     StringRef(kWeightsSlotSymbol) + "'");
  const llvm::DataLayout &layout = module.getDataLayout();
  constexpr uint64_t kHeaderBytes = 64, kAlignment = 64;

  // Lay the weight globals out one after another, each 64-byte aligned.
  llvm::SmallVector<char, 0> data;
  llvm::SmallVector<std::pair<llvm::GlobalVariable *, uint64_t>> moved;
  for (llvm::GlobalVariable &global : module.globals()) {
    auto *init = global.hasInitializer()
                     ? llvm::dyn_cast<llvm::ConstantDataSequential>(
                           global.getInitializer())
                     : nullptr;
    if (!init || !global.isConstant() || !global.hasLocalLinkage() ||
        layout.getTypeAllocSize(init->getType()) < minBytes ||
        layout.getTypeAllocSize(init->getType()) !=
            init->getRawDataValues().size())
      continue;
    // Only instructions may use it: another global's initializer cannot
    // load a pointer.
    if (llvm::any_of(global.users(), [](llvm::User *user) {
          return llvm::isa<llvm::GlobalValue>(user);
        }))
      continue;
    data.resize(llvm::alignTo(data.size(), kAlignment), 0);
    moved.push_back({&global, data.size()});
    llvm::append_range(data, init->getRawDataValues());
  }

  llvm::LLVMContext &context = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(context);
  // External while LLVM optimises, so that it cannot conclude that the slot,
  // never stored to in this module, stays null; addLibraryInterface makes it
  // internal afterwards.
  auto *slot = new llvm::GlobalVariable(
      module, ptr, /*isConstant=*/false, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantPointerNull::get(ptr), kWeightsSlotSymbol);
  slot->setVisibility(llvm::GlobalValue::HiddenVisibility);
  slot->setAlignment(llvm::Align(8));

  // Each function loads the weights' address once, at its entry; the
  // weights never change while a model runs.
  llvm::DenseMap<llvm::Function *, llvm::Value *> bases;
  auto baseIn = [&](llvm::Function *function) {
    llvm::Value *&base = bases[function];
    if (!base) {
      llvm::IRBuilder<> b(&*function->getEntryBlock().getFirstInsertionPt());
      auto *load = b.CreateAlignedLoad(ptr, slot, llvm::Align(8), "weights");
      load->setMetadata(llvm::LLVMContext::MD_invariant_load,
                        llvm::MDNode::get(context, {}));
      load->setMetadata(llvm::LLVMContext::MD_nonnull,
                        llvm::MDNode::get(context, {}));
      base = load;
    }
    return base;
  };
  for (auto [global, offset] : moved) {
    llvm::convertUsersOfConstantsToInstructions({global});
    for (llvm::Use &use : llvm::make_early_inc_range(global->uses())) {
      auto *user = llvm::dyn_cast<llvm::Instruction>(use.getUser());
      if (!user)
        return makeError("cannot externalize '" + global->getName() +
                         "': it has a use outside a function");
      llvm::Value *base = baseIn(user->getFunction());
      llvm::IRBuilder<> b(llvm::cast<llvm::Instruction>(base)->getNextNode());
      use.set(b.CreateInBoundsGEP(b.getInt8Ty(), base, b.getInt64(offset),
                                  global->getName()));
    }
    global->eraseFromParent();
  }

  weights.bytes = data.size();
  weights.fingerprint = fingerprint(data);
  weights.file.clear();
  llvm::append_range(weights.file, StringRef("KILNWTS", 8));
  appendU64(weights.file, 1);
  appendU64(weights.file, weights.bytes);
  appendU64(weights.file, weights.fingerprint);
  weights.file.resize(kHeaderBytes, 0);
  llvm::append_range(weights.file, data);
  return Error::success();
}

Error writeStaticLibrary(StringRef object, StringRef objectName,
                         StringRef runtimeDir, llvm::raw_ostream &os) {
  llvm::SmallString<256> runtimePath(runtimeDir);
  llvm::sys::path::append(runtimePath, kEmbedRuntimeArchive);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> runtimeBuffer =
      llvm::MemoryBuffer::getFile(runtimePath);
  if (!runtimeBuffer)
    return makeError("cannot read the runtime '" + runtimePath +
                     "': " + runtimeBuffer.getError().message());
  llvm::Expected<std::unique_ptr<llvm::object::Archive>> runtime =
      llvm::object::Archive::create((*runtimeBuffer)->getMemBufferRef());
  if (!runtime)
    return makeError("'" + runtimePath + "' is not an archive: " +
                     llvm::toString(runtime.takeError()));

  std::vector<llvm::NewArchiveMember> members;
  members.emplace_back(llvm::MemoryBufferRef(object, objectName));
  Error childError = Error::success();
  for (const llvm::object::Archive::Child &child :
       (*runtime)->children(childError)) {
    llvm::Expected<llvm::NewArchiveMember> member =
        llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
    if (!member) {
      consumeError(std::move(childError));
      return member.takeError();
    }
    members.push_back(std::move(*member));
  }
  if (childError)
    return childError;

  // The members' kind (GNU on Linux) follows from the model object.
  llvm::object::Archive::Kind kind = members.front().detectKindFromObject();
  return llvm::writeArchiveToStream(os, members,
                                    llvm::SymtabWritingMode::NormalSymtab, kind,
                                    /*Deterministic=*/true,
                                    /*Thin=*/false);
}

} // namespace kiln
