//===- kiln-translate.cpp - Codegen's test driver -------------------------===//
//
// Runs the back half of Kiln's CPU path on an MLIR file, for codegen's tests
// and measurements (kilnc is the user-facing driver):
//
//   kiln-translate model.mlir --from=llvm  --emit=obj -o model.o
//   kiln-translate model.mlir --from=linalg --emit=exe -o model   (links)
//
// --from says what the input is: `llvm` (LLVM dialect, e.g. the output of
// `kiln-opt --kiln-cpu-pipeline`), `linalg` (linalg on tensors: runs
// kiln-linalg-to-loops and kiln-loops-to-llvm in process) or `nn`.
// --fill-missing-resources gives dense_resource constants whose data the
// file does not carry deterministic pseudo-random contents, so that models
// with hundreds of MB of weights can be measured without writing them out as
// hex text.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/DataObject.h"
#include "kiln/Codegen/Linker.h"
#include "kiln/Codegen/ObjectEmitter.h"
#include "kiln/Codegen/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

namespace {
enum class Stage { NN, Linalg, LLVM };
enum class Emit { Obj, Asm, LLVMIR, Exe };
} // namespace

static cl::opt<std::string>
    inputFilename(cl::Positional, cl::desc("<input .mlir>"), cl::init("-"));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("path"),
                                           cl::init("-"));
static cl::opt<Stage>
    from("from", cl::desc("What the input is"), cl::init(Stage::LLVM),
         cl::values(clEnumValN(Stage::NN, "nn", "nn dialect on tensors"),
                    clEnumValN(Stage::Linalg, "linalg", "linalg on tensors"),
                    clEnumValN(Stage::LLVM, "llvm", "the LLVM dialect")));
static cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::Obj),
    cl::values(clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::Asm, "asm", "assembly"),
               clEnumValN(Emit::LLVMIR, "llvm", "LLVM IR after optimisation"),
               clEnumValN(Emit::Exe, "exe", "an executable (links)")));
static cl::opt<std::string> triple("target", cl::desc("Target triple"),
                                   cl::init(""));
static cl::opt<std::string> cpu("mcpu", cl::desc("Target CPU"),
                                cl::init("native"));
static cl::opt<std::string> features("mattr", cl::desc("Target features"),
                                     cl::init(""));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimisation level 0-3"),
                                  cl::init(3), cl::Prefix);
static cl::opt<std::string> runtimeDir("runtime-dir",
                                       cl::desc("Where kiln_main.o and "
                                                "libkiln_runtime.a are"),
                                       cl::init(KILN_DEFAULT_RUNTIME_DIR));
static cl::opt<bool> fillMissingResources(
    "fill-missing-resources",
    cl::desc("Give dense_resource constants without data pseudo-random "
             "contents (for measurements)"),
    cl::init(false));
static cl::opt<std::string> dataObjectFilename(
    "data-object",
    cl::desc("Move the constant data of at least 4 KiB (the weights) out of "
             "the module into this relocatable object, as kilnc does for an "
             "executable (the executable of --emit=exe links it)"),
    cl::value_desc("path"), cl::init(""));
static cl::opt<bool> reassociateReductions(
    "reassociate-reductions",
    cl::desc("Let LLVM vectorize reduction loops (reorders additions)"),
    cl::init(false));
static cl::opt<bool> noInterchange("no-interchange",
                                   cl::desc("Keep the naive linalg loop order"),
                                   cl::init(false));

/// Fills every dense_resource blob that `module` references but the file did
/// not define with floats in [-0.05, 0.05) from a fixed-seed generator.
static void fillResources(mlir::ModuleOp module) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto fill = [&](mlir::DenseResourceElementsAttr attr) {
    mlir::DenseResourceElementsHandle handle = attr.getRawHandle();
    if (handle.getBlob())
      return;
    mlir::ShapedType type = attr.getType();
    size_t bytes = type.getNumElements() *
                   (type.getElementType().getIntOrFloatBitWidth() / 8);
    mlir::AsmResourceBlob blob =
        mlir::HeapAsmResourceBlob::allocate(bytes, /*align=*/64);
    MutableArrayRef<char> data = blob.getMutableData();
    if (type.getElementType().isF32()) {
      MutableArrayRef<float> values(reinterpret_cast<float *>(data.data()),
                                    bytes / 4);
      for (float &value : values) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        value = float((state >> 40) & 0xFFFFFF) / float(1 << 24) * 0.1f - 0.05f;
      }
    } else {
      std::fill(data.begin(), data.end(), 0);
    }
    handle.getResource()->setBlob(std::move(blob));
  };
  module->walk([&](mlir::Operation *op) {
    for (mlir::NamedAttribute attr : op->getAttrs())
      if (auto resource =
              dyn_cast<mlir::DenseResourceElementsAttr>(attr.getValue()))
        fill(resource);
  });
}

static int fail(const Twine &message) {
  errs() << "kiln-translate: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "Kiln codegen test driver\n");

  mlir::DefaultTimingManager timing;
  mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope root = timing.getRootScope();

  mlir::DialectRegistry registry;
  kiln::registerCodegenDialects(registry);
  // Owned by a pointer so that it (and the weights its resource blobs hold)
  // can be freed as soon as LLVM IR holds its own copy.
  auto context = std::make_unique<mlir::MLIRContext>(registry);

  // Parse.
  mlir::TimingScope parseTimer = root.nest("parse");
  std::string error;
  std::unique_ptr<MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &error);
  if (!input)
    return fail(error);
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), SMLoc());
  auto diagnostics = std::make_unique<mlir::SourceMgrDiagnosticHandler>(
      sourceMgr, context.get());
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, context.get());
  if (!module)
    return 1;
  if (fillMissingResources)
    fillResources(*module);
  parseTimer.stop();

  // MLIR pipeline down to the LLVM dialect.
  if (from != Stage::LLVM) {
    mlir::PassManager pm(context.get());
    if (failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    pm.enableVerifier(true);
    mlir::TimingScope pipelineTimer = root.nest("MLIR pipeline");
    pm.enableTiming(pipelineTimer);
    kiln::PipelineOptions options;
    options.interchangeForVectorization = !noInterchange;
    options.reassociateReductions = reassociateReductions;
    if (from == Stage::NN)
      kiln::buildNNToLinalgPipeline(pm, options);
    kiln::buildLinalgToLoopsPipeline(pm, options);
    kiln::buildLoopsToLLVMPipeline(pm, options);
    if (failed(pm.run(*module)))
      return 1;
  }

  kiln::TargetOptions target;
  target.triple = triple;
  target.cpu = cpu;
  target.features = features;
  if (optLevel > 3)
    return fail("-O must be 0 to 3");
  auto level = static_cast<kiln::OptLevel>(optLevel.getValue());
  Expected<std::unique_ptr<TargetMachine>> machine =
      kiln::createTargetMachine(target, level);
  if (!machine)
    return fail(toString(machine.takeError()));

  // As kilnc does: the dense_resource weights leave the module before its
  // translation, the other constant data after its optimisation.
  const Triple &triple = (*machine)->getTargetTriple();
  std::vector<kiln::DetachedData> data;
  if (!dataObjectFilename.empty()) {
    if (!kiln::canWriteDataObject(triple))
      return fail("--data-object: no data objects for '" + triple.str() + "'");
    data = kiln::detachConstantData(*module, kiln::kMinDetachedDataBytes);
  }

  mlir::TimingScope translateTimer = root.nest("translate to LLVM IR");
  LLVMContext llvmContext;
  std::unique_ptr<Module> llvmModule =
      kiln::translateToLLVMIR(*module, llvmContext, **machine);
  if (!llvmModule)
    return 1;
  // The MLIR module and the weights in its context are no longer needed,
  // unless the data object will be written from the latter.
  module = nullptr;
  diagnostics.reset();
  if (data.empty())
    context.reset();
  translateTimer.stop();

  mlir::TimingScope optimizeTimer = root.nest("LLVM optimisation");
  if (Error error = kiln::optimizeModule(*llvmModule, **machine, level))
    return fail(toString(std::move(error)));
  optimizeTimer.stop();

  if (!dataObjectFilename.empty()) {
    llvm::append_range(data, kiln::detachConstantData(
                                 *llvmModule, kiln::kMinDetachedDataBytes));
    std::unique_ptr<ToolOutputFile> dataOutput =
        mlir::openOutputFile(dataObjectFilename, &error);
    if (!dataOutput)
      return fail(error);
    if (Error error = kiln::writeDataObject(data, triple, dataOutput->os()))
      return fail(toString(std::move(error)));
    dataOutput->keep();
  }

  mlir::TimingScope emitTimer = root.nest("emit");
  std::string objectPath = outputFilename;
  std::unique_ptr<FileRemover> removeObject;
  if (emit == Emit::Exe) {
    if (outputFilename == "-")
      return fail("--emit=exe needs -o");
    SmallString<128> path;
    if (std::error_code ec =
            sys::fs::createTemporaryFile("kiln-model", "o", path))
      return fail("cannot create a temporary file: " + ec.message());
    objectPath = path.str().str();
    removeObject = std::make_unique<FileRemover>(objectPath);
  }
  std::unique_ptr<ToolOutputFile> output =
      mlir::openOutputFile(objectPath, &error);
  if (!output)
    return fail(error);
  switch (emit) {
  case Emit::LLVMIR:
    llvmModule->print(output->os(), nullptr);
    break;
  case Emit::Asm:
    if (Error error = kiln::emitAssembly(*llvmModule, **machine, output->os()))
      return fail(toString(std::move(error)));
    break;
  case Emit::Obj:
  case Emit::Exe:
    if (Error error = kiln::emitObject(*llvmModule, **machine, output->os()))
      return fail(toString(std::move(error)));
    break;
  }
  output->keep();
  output->os().close();
  emitTimer.stop();

  if (emit == Emit::Exe) {
    mlir::TimingScope linkTimer = root.nest("link");
    SmallVector<std::string> objects = {objectPath};
    if (!dataObjectFilename.empty())
      objects.push_back(dataObjectFilename);
    if (Error error =
            kiln::linkExecutable(objects, outputFilename, runtimeDir, target))
      return fail(toString(std::move(error)));
  }
  return 0;
}
