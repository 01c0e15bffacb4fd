//===- SplitCodegen.cpp - Parallel code generation of one model -----------===//

#include "kiln/Codegen/SplitCodegen.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBufferRef.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace llvm;

namespace kiln {

/// Below this many instructions code generation takes under a second or
/// so (it runs at about 5 instructions a millisecond on these vector-heavy
/// kernels: SqueezeNet's 30000 take 6 s), less than a split would save;
/// LeNet-5 has about 2000.
static constexpr uint64_t kMinSplitInstructions = 4000;

/// Above this many bytes of global data (weights) compiling the data apart,
/// beside the code, pays even for little code: AlexNet's 240 MB take 1 s.
static constexpr uint64_t kMinSplitDataBytes = uint64_t(64) << 20;

/// An alias or ifunc must live in the object of what it names, and a comdat
/// groups sections of one object: a module with any stays whole.
static bool canSplit(const Module &module) {
  return module.alias_empty() && module.ifunc_empty() &&
         module.getComdatSymbolTable().empty();
}

unsigned getSplitObjectCount(const Module &module) {
  if (!canSplit(module))
    return 1;
  uint64_t functions = 0, instructions = 0, dataBytes = 0;
  for (const Function &function : module) {
    if (function.isDeclaration())
      continue;
    ++functions;
    instructions += function.getInstructionCount();
  }
  const DataLayout &layout = module.getDataLayout();
  for (const GlobalVariable &global : module.globals())
    if (global.hasInitializer())
      dataBytes += layout.getTypeAllocSize(global.getValueType());
  uint64_t codeParts = std::min<uint64_t>(functions, kMaxCodeParts);
  if (instructions < kMinSplitInstructions)
    codeParts = 1; // Only the data may be worth compiling apart.
  if (functions == 0 || (codeParts == 1 && dataBytes < kMinSplitDataBytes))
    return 1;
  return 1 + codeParts;
}

/// Gives every defined symbol a name and makes the local ones hidden, so
/// that the objects can refer to each other's and the executable or library
/// still exports nothing more.
static void exposeLocalSymbols(Module &module) {
  unsigned anonymous = 0;
  for (GlobalValue &value : module.global_values()) {
    if (value.isDeclaration())
      continue;
    if (!value.hasName())
      value.setName("__kiln_anonymous." + Twine(anonymous++));
    if (value.hasLocalLinkage()) {
      value.setLinkage(GlobalValue::ExternalLinkage);
      value.setVisibility(GlobalValue::HiddenVisibility);
    }
  }
}

/// The code part of each defined function: the largest first, each to the
/// part with the fewest instructions so far (the lowest on ties), so that
/// the parts take about as long and the split depends on the module only.
static DenseMap<const GlobalValue *, unsigned> assignCodeParts(Module &module,
                                                               unsigned parts) {
  struct Entry {
    uint64_t instructions;
    unsigned order; // In the module, which breaks ties.
    Function *function;
  };
  SmallVector<Entry> functions;
  for (Function &function : module)
    if (!function.isDeclaration())
      functions.push_back({function.getInstructionCount(),
                           unsigned(functions.size()), &function});
  llvm::sort(functions, [](const Entry &a, const Entry &b) {
    return a.instructions != b.instructions ? a.instructions > b.instructions
                                            : a.order < b.order;
  });
  SmallVector<uint64_t> load(parts, 0);
  DenseMap<const GlobalValue *, unsigned> partOf;
  for (const Entry &entry : functions) {
    unsigned part = llvm::min_element(load) - load.begin();
    partOf[entry.function] = part;
    load[part] += entry.instructions + 1;
  }
  return partOf;
}

Error emitSplitObjects(Module &module, TargetMachine &targetMachine,
                       const TargetOptions &target, OptLevel level,
                       ArrayRef<raw_pwrite_stream *> outputs) {
  if (outputs.size() <= 1)
    return emitObject(module, targetMachine, *outputs.front());
  unsigned codeParts = outputs.size() - 1;

  exposeLocalSymbols(module);
  DenseMap<const GlobalValue *, unsigned> partOf =
      assignCodeParts(module, codeParts);

  // Each code part leaves this context as bitcode: an LLVMContext serves one
  // thread at a time. The weights stay here (a part declares the globals).
  std::vector<SmallVector<char, 0>> bitcode(codeParts);
  for (unsigned part = 0; part < codeParts; ++part) {
    ValueToValueMapTy map;
    std::unique_ptr<Module> clone =
        CloneModule(module, map, [&](const GlobalValue *value) {
          auto found = partOf.find(value);
          return found != partOf.end() && found->second == part;
        });
    raw_svector_ostream os(bitcode[part]);
    WriteBitcodeToFile(*clone, os);
  }
  for (Function &function : module)
    if (!function.isDeclaration())
      function.deleteBody();

  // Target machines are made here, before any thread starts.
  std::vector<std::unique_ptr<TargetMachine>> machines;
  for (unsigned part = 0; part < codeParts; ++part) {
    Expected<std::unique_ptr<TargetMachine>> machine =
        createTargetMachine(target, level);
    if (!machine)
      return machine.takeError();
    machines.push_back(std::move(*machine));
  }

  std::vector<std::optional<std::string>> failures(codeParts);
  {
    DefaultThreadPool pool(heavyweight_hardware_concurrency());
    for (unsigned part = 0; part < codeParts; ++part)
      pool.async([&, part] {
        LLVMContext context;
        Expected<std::unique_ptr<Module>> parsed =
            parseBitcodeFile(MemoryBufferRef(StringRef(bitcode[part].data(),
                                                       bitcode[part].size()),
                                             module.getModuleIdentifier()),
                             context);
        if (!parsed) {
          failures[part] = toString(parsed.takeError());
          return;
        }
        if (Error error =
                emitObject(**parsed, *machines[part], *outputs[part + 1]))
          failures[part] = toString(std::move(error));
      });
    // The data compiles on this thread meanwhile.
    if (Error error = emitObject(module, targetMachine, *outputs.front()))
      return error;
    pool.wait();
  }
  for (const std::optional<std::string> &failure : failures)
    if (failure)
      return createStringError(inconvertibleErrorCode(), *failure);
  return Error::success();
}

} // namespace kiln
