//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// Flags only: the work lives in the frontend, passes and codegen libraries.
// `--emit=` walks down the same ladder as Toy's toyc, extended to machine
// code, so every stage of a compile can be inspected:
//
//   nn -> nn-simplified -> linalg -> loops -> llvm -> llvm-ir -> asm -> obj
//   -> exe
//
//===----------------------------------------------------------------------===//
#include "kiln/Codegen/DataObject.h"
#include "kiln/Codegen/DotEmitter.h"
#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Codegen/Library.h"
#include "kiln/Codegen/Linker.h"
#include "kiln/Codegen/ObjectEmitter.h"
#include "kiln/Codegen/Pipelines.h"
#include "kiln/Codegen/SplitCodegen.h"
#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Frontend/Diagnostics.h"
#include "kiln/Frontend/MLIRGen.h"
#include "kiln/Frontend/ONNXImporter.h"
#include "kiln/Frontend/ONNXLocations.h"
#include "kiln/Frontend/Parser.h"
#include "kiln/Frontend/SpecPrinter.h"
#include "kiln/Frontend/Weights.h"
#include "kiln/Passes/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/BuryPointer.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Target/TargetMachine.h"

#include <csignal>
#include <cstdlib>
#include <unistd.h>

#ifndef KILN_DEFAULT_RUNTIME_DIR
#define KILN_DEFAULT_RUNTIME_DIR ""
#endif

using namespace llvm;
using namespace kiln;

namespace {

/// Exit statuses, documented in --help.
enum ExitCode {
  kSuccess = 0,
  kBadInput = 1,
  kBadUsage = 2,
  kInternalError = 3,
};

enum class Stage {
  Spec,
  NN,
  Simplified,
  Fused,
  Dot,
  Linalg,
  Loops,
  LLVMDialect,
  LLVMIR,
  Asm,
  Obj,
  Lib,
  So,
  Exe,
  GPU,
  PTX
};

cl::OptionCategory kilnCategory("Kiln options");
cl::OptionCategory mlirCategory("MLIR options (inspect the passes kilnc runs)");

/// Shows Kiln's own flags and MLIR's inspection flags in --help and hides the
/// hundreds of backend flags that libLLVM registers; they still work.
void organizeHelp() {
  for (auto &entry : cl::getRegisteredOptions()) {
    cl::Option *option = entry.second;
    StringRef name = entry.first;
    bool ours = llvm::is_contained(option->Categories, &kilnCategory);
    bool mlirFlag = name.starts_with("mlir-print-ir") ||
                    name == "mlir-timing" || name == "mlir-print-debuginfo" ||
                    name == "mlir-elide-elementsattrs-if-larger" ||
                    name == "mlir-disable-threading" ||
                    name == "mlir-pass-statistics" ||
                    name == "mlir-print-op-generic";
    if (mlirFlag)
      option->Categories.assign({&mlirCategory});
    else if (!ours && name != "help" && name != "version")
      option->setHiddenFlag(cl::ReallyHidden);
  }
}

cl::opt<std::string> inputFile(cl::Positional,
                               cl::desc("<model.nn | model.onnx>"),
                               cl::Required, cl::cat(kilnCategory));

cl::opt<std::string>
    outputFile("o",
               cl::desc("Output file (default: the model's name for "
                        "executables, NAME.o for objects, stdout for "
                        "text stages)"),
               cl::value_desc("file"), cl::cat(kilnCategory));

cl::opt<std::string> weightsFile(
    "weights",
    cl::desc("Parameters as a safetensors file (F32, F16 or BF16) named like "
             "PyTorch's state_dict; without it, seeded random weights"),
    cl::value_desc("file.safetensors"), cl::cat(kilnCategory));

cl::opt<int64_t>
    batch("batch",
          cl::desc("Compile for this batch size instead of the spec's input "
                   "N (an ONNX model's: dimension 0 of its inputs)"),
          cl::value_desc("N"), cl::init(0), cl::cat(kilnCategory));

cl::opt<uint64_t> seed("seed",
                       cl::desc("Seed of the random weights (default 0)"),
                       cl::init(0), cl::cat(kilnCategory));

cl::opt<Stage> emit(
    "emit", cl::desc("What to produce (default: exe)"), cl::init(Stage::Exe),
    cl::values(
        clEnumValN(Stage::Spec, "spec",
                   "the equivalent .nn spec (of a spec or an ONNX model)"),
        clEnumValN(Stage::NN, "nn", "nn dialect as parsed from the spec"),
        clEnumValN(Stage::Simplified, "nn-simplified",
                   "nn dialect after kiln-simplify (dropout removed, "
                   "batchnorm folded)"),
        clEnumValN(Stage::Fused, "nn-fused",
                   "nn dialect after kiln-fuse (conv+ReLU+pool and "
                   "linear+ReLU chains as single ops)"),
        clEnumValN(Stage::Dot, "dot",
                   "the layer graph after kiln-fuse, for Graphviz (rendered "
                   "when -o names a .svg, .png or .pdf file)"),
        clEnumValN(Stage::Linalg, "linalg", "linalg on tensors"),
        clEnumValN(Stage::Loops, "loops", "scf loops on memrefs"),
        clEnumValN(Stage::LLVMDialect, "llvm", "MLIR's LLVM dialect"),
        clEnumValN(Stage::LLVMIR, "llvm-ir",
                   "LLVM IR after LLVM's optimisation (-O)"),
        clEnumValN(Stage::Asm, "asm", "target assembly"),
        clEnumValN(Stage::Obj, "obj", "an object file defining kiln_model"),
        clEnumValN(Stage::Lib, "lib",
                   "a static library NAME.a with a C API, and its header "
                   "NAME.h"),
        clEnumValN(Stage::So, "so",
                   "a shared library libNAME.so with a C API, and its header "
                   "NAME.h"),
        clEnumValN(Stage::Exe, "exe",
                   "an executable: BIN INPUT.npy... [-o OUT.npy]... [--top K] "
                   "[--bench N]"),
        clEnumValN(Stage::GPU, "gpu",
                   "--target=nvptx: host @forward launching gpu.func kernels"),
        clEnumValN(Stage::PTX, "ptx", "--target=nvptx: the kernels' PTX")),
    cl::cat(kilnCategory));

cl::opt<std::string>
    targetTriple("target",
                 cl::desc("Target triple (default: the host), e.g. "
                          "x86_64-linux-gnu"),
                 cl::value_desc("triple"), cl::cat(kilnCategory));

cl::opt<std::string> gpuArch(
    "gpu-arch",
    cl::desc("With --target=nvptx: the GPU architecture (default sm_90)"),
    cl::value_desc("sm_NN"), cl::init("sm_90"), cl::cat(kilnCategory));

cl::opt<std::string> gpuConv(
    "gpu-conv",
    cl::desc("With --target=nvptx: the convolution kernels: winograd "
             "(Winograd's F(2x2, 3x3) for the 3x3 stride-1 layers it takes, "
             "shared for the others; default), shared (the input window and "
             "weights go through shared-memory tiles where they fit) or "
             "direct (every thread reads global memory)"),
    cl::value_desc("winograd|shared|direct"), cl::init("winograd"),
    cl::cat(kilnCategory));

cl::opt<int64_t> gpuSMs(
    "gpu-sms",
    cl::desc("With --target=nvptx: the streaming multiprocessors of the "
             "target GPU (default 132, an H100 or H200); convolutions too "
             "small to keep them busy split their input channels or give "
             "each thread less work"),
    cl::value_desc("N"), cl::init(132), cl::cat(kilnCategory));

cl::opt<int64_t> gpuMaxRegisters(
    "gpu-max-registers",
    cl::desc("With --target=nvptx: cap every kernel at N registers a thread "
             "(PTX .maxnreg, like nvcc's -maxrregcount; 16 to 255): ptxas "
             "spills the rest, and more blocks fit on an SM (default: no "
             "cap)"),
    cl::value_desc("N"), cl::init(0), cl::cat(kilnCategory));

cl::opt<bool> gpuEmulate(
    "gpu-emulate",
    cl::desc("With --target=nvptx: run the GPU kernels as loops on the host "
             "CPU (a test aid for machines without a GPU)"),
    cl::cat(kilnCategory));

// clang's and llc's spelling: -O0 to -O3, one token.
cl::opt<std::string> optLevelFlag(
    "O",
    cl::desc("LLVM's optimisation level of the generated code, as clang's "
             "-O0 to -O3 (default -O3; lower levels compile faster and run "
             "slower)"),
    cl::Prefix, cl::init("3"), cl::value_desc("0-3"), cl::cat(kilnCategory));

/// The level -O asked for (main checked it is one of 0 to 3).
OptLevel getOptLevel() {
  return StringSwitch<OptLevel>(optLevelFlag)
      .Case("0", OptLevel::O0)
      .Case("1", OptLevel::O1)
      .Case("2", OptLevel::O2)
      .Default(OptLevel::O3);
}

cl::opt<std::string>
    targetCPU("mcpu", cl::desc("Target CPU (default: native, the host's own)"),
              cl::value_desc("cpu"), cl::init("native"), cl::cat(kilnCategory));

cl::opt<std::string>
    targetFeatures("mattr", cl::desc("Extra target features, e.g. -avx512f"),
                   cl::value_desc("features"), cl::cat(kilnCategory));

cl::opt<std::string> runtimeDir(
    "runtime-dir",
    cl::desc("Folder holding kiln_main.o, libkiln_runtime.a and "
             "libkiln_embed.a, with cross runtimes in <arch>-<os>-<env>/ "
             "(default: $KILN_RUNTIME_DIR, an installed tree's lib/kiln, "
             "or the build's)"),
    cl::value_desc("dir"), cl::cat(kilnCategory));

cl::opt<std::string> headerFile(
    "header",
    cl::desc("Where --emit=lib/so write the C header (default: PREFIX.h "
             "next to the library)"),
    cl::value_desc("file.h"), cl::cat(kilnCategory));

cl::opt<std::string> libraryPrefix(
    "prefix",
    cl::desc("C identifier that prefixes a library's symbols (default: the "
             "model's name, sanitised)"),
    cl::value_desc("name"), cl::cat(kilnCategory));

cl::opt<bool> externalWeights(
    "external-weights",
    cl::desc("With --emit=lib/so: write the weights to a file named like "
             "the library with the extension .weights, which the library "
             "maps at run time, instead of embedding them"),
    cl::cat(kilnCategory));

cl::opt<bool> printWeights(
    "print-weights",
    cl::desc("Print the weight blobs in textual MLIR output, so that "
             "kiln-opt can replay it (they are elided by default)"),
    cl::cat(kilnCategory));

/// Exercises the internal-error path (test/driver/exit-codes.test): crashes
/// once the output's temporary file exists.
enum class DebugCrash { None, Signal, Fatal };
cl::opt<DebugCrash> debugCrash(
    "debug-crash", cl::ReallyHidden, cl::init(DebugCrash::None),
    cl::values(clEnumValN(DebugCrash::Signal, "signal", "raise SIGSEGV"),
               clEnumValN(DebugCrash::Fatal, "fatal", "report_fatal_error")));

cl::opt<bool> noSimplify("no-simplify",
                         cl::desc("Skip the nn-level simplifications"),
                         cl::cat(kilnCategory));

cl::opt<bool>
    noFuse("no-fuse",
           cl::desc("Keep every layer a separate op (skip kiln-fuse)"),
           cl::cat(kilnCategory));

cl::opt<bool>
    noWinograd("no-winograd",
               cl::desc("Compute 3x3 and 5x5 convolutions directly (skip "
                        "kiln-winograd; with --target=nvptx, the default "
                        "--gpu-conv becomes shared)"),
               cl::cat(kilnCategory));

cl::opt<unsigned> winogradTile(
    "winograd-tile",
    cl::desc("Output tile m of Winograd's F(m x m, 3 x 3) for every 3x3 "
             "layer: 2, 3 or 4 (default: per layer, whichever is faster by a "
             "model of its multiply-adds and its filter stream; with "
             "--target=nvptx, 2)"),
    cl::init(0), cl::cat(kilnCategory));

cl::opt<std::string> convLanes(
    "conv-lanes",
    cl::desc("What the convolutions that are not Winograd's keep along the "
             "vector lanes: output columns, output channels (layers with a "
             "multiple of the vector width of them), or auto (default: per "
             "layer, whichever a model of the kernels' steps finds faster)"),
    cl::value_desc("auto|columns|channels"), cl::init("auto"),
    cl::cat(kilnCategory));

cl::opt<std::string> cacheSizes(
    "cache-sizes",
    cl::desc("Per-core L1 data and L2 cache sizes the kernels' tiles are "
             "sized for, in bytes with an optional K or M suffix (default: "
             "the host's for the host CPU, else typical ones for the "
             "target)"),
    cl::value_desc("L1,L2"), cl::cat(kilnCategory));

cl::opt<bool> printMemoryPlan(
    "print-memory-plan",
    cl::desc("Print the static memory plan (each intermediate buffer's "
             "offset in the workspace) and the peak activation memory to "
             "stderr; needs --emit=loops or later (--emit=gpu or later "
             "with --target=nvptx: the device workspace)"),
    cl::cat(kilnCategory));

cl::opt<bool> noMemoryPlan(
    "no-memory-plan",
    cl::desc("Allocate each intermediate buffer on the heap at run time "
             "(on the device: each its own allocation) instead of planning "
             "one workspace"),
    cl::cat(kilnCategory));

cl::opt<bool> noOutlineLayers(
    "no-outline-layers",
    cl::desc("Keep every layer's loops in the entry function instead of "
             "giving each layer a function of its own"),
    cl::cat(kilnCategory));

cl::opt<bool> noSplitCodegen(
    "no-split-codegen",
    cl::desc("Generate an executable's or shared library's machine code as "
             "one object on one thread instead of splitting the weights and "
             "the functions into objects compiled side by side"),
    cl::cat(kilnCategory));

cl::opt<bool> noDataObject(
    "no-data-object",
    cl::desc("Compile an executable's or shared library's weights through "
             "LLVM's object emitter with the code instead of writing them "
             "into an object of their own"),
    cl::cat(kilnCategory));

const char *kOverview =
    "kilnc: compile a convolutional network spec (.nn) or an ONNX model\n"
    "(.onnx, its weights from its initializers) to native code\n\n"
    "  kilnc model.nn [--weights W.safetensors] [-o OUT]\n"
    "  kilnc model.onnx [--batch N] [-o OUT]\n"
    "  kilnc model.nn --emit=linalg            # inspect a stage\n\n"
    "The executable runs as `OUT INPUT.npy... [-o OUT.npy]... [--top K] "
    "[--bench N]`\n(one INPUT.npy per model input, one -o per output).\n\n"
    "Exit status: 0 success, 1 bad input (spec, weights, or an output that "
    "cannot be\nwritten), 2 bad usage (flags), 3 internal error (a bug in "
    "Kiln: the message asks\nfor a report; KILN_BACKTRACE=1 adds a stack "
    "trace).\n";

bool isTextStage(Stage stage) {
  return stage < Stage::Obj || stage == Stage::GPU || stage == Stage::PTX;
}

/// `--target=nvptx`: layers run on an NVIDIA GPU (see docs/gpu.md).
bool isGPUTarget() { return StringRef(targetTriple).starts_with("nvptx"); }

/// --mlir-timing's report: kilnc's own phases (reading the model, LLVM's
/// optimisation and code generation, linking) beside the passes, so that
/// the whole compile's time is accounted for.
mlir::TimingScope *compileTiming = nullptr;

/// Times the phase `name` until the returned scope ends or is stopped.
mlir::TimingScope timePhase(StringRef name) {
  return compileTiming->nest(name);
}

int fail(int code, const Twine &message) {
  WithColor::error(errs(), "kilnc") << message << "\n";
  return code;
}

constexpr const char kBugReport[] =
    "This is a bug in Kiln; please report it with the model that triggered "
    "it.";

int internalError(const Twine &message) {
  return fail(kInternalError, message + "\n" + kBugReport);
}

/// A crash or an LLVM fatal error is an internal error too: status 3 and a
/// request for a bug report, not a stack trace (KILN_BACKTRACE=1 adds LLVM's
/// for whoever debugs it). Partial outputs are temporary files, which LLVM's
/// signal handler removes before these handlers run.
void installInternalErrorHandlers(const char *argv0) {
  if (const char *backtrace = std::getenv("KILN_BACKTRACE");
      backtrace && *backtrace && StringRef(backtrace) != "0")
    sys::PrintStackTraceOnErrorSignal(argv0);
  sys::AddSignalHandler(
      [](void *) {
        // Only async-signal-safe calls from here on.
        static const char message[] =
            "kilnc: error: internal error: kilnc crashed\n";
        (void)!::write(STDERR_FILENO, message, sizeof(message) - 1);
        (void)!::write(STDERR_FILENO, kBugReport, sizeof(kBugReport) - 1);
        (void)!::write(STDERR_FILENO, "\n", 1);
        ::_exit(kInternalError);
      },
      nullptr);
  install_fatal_error_handler([](void *, const char *reason, bool) {
    errs() << "kilnc: error: internal error: " << reason << "\n"
           << kBugReport << "\n";
    errs().flush();
    sys::RunInterruptHandlers(); // Removes temporary output files.
    ::_exit(kInternalError);
  });
  install_bad_alloc_error_handler([](void *, const char *, bool) {
    static const char message[] = "kilnc: error: out of memory\n";
    (void)!::write(STDERR_FILENO, message, sizeof(message) - 1);
    sys::RunInterruptHandlers();
    ::_exit(kBadInput);
  });
}

std::string defaultOutputPath(Stage stage) {
  if (isTextStage(stage))
    return "-";
  StringRef stem = sys::path::stem(inputFile);
  if (stage == Stage::Lib)
    return (stem + ".a").str();
  if (stage == Stage::So)
    return ("lib" + stem + ".so").str();
  return (stem + (stage == Stage::Obj ? ".o" : "")).str();
}

/// --debug-crash: crashes once a temporary output file exists, which must
/// not survive.
void crashIfAsked() {
  if (debugCrash == DebugCrash::Signal)
    std::raise(SIGSEGV);
  if (debugCrash == DebugCrash::Fatal)
    report_fatal_error("--debug-crash=fatal");
}

/// Writes through `write` into a temporary file next to `path` and renames
/// it over `path` only when everything succeeded, so that a failed compile
/// never leaves a partial file behind.
Error writeAtomically(StringRef path,
                      function_ref<Error(raw_pwrite_stream &)> write) {
  if (path == "-") {
    if (Error error = write(outs()))
      return error;
    outs().flush();
    return Error::success();
  }
  auto cannotWrite = [&](Error error) {
    return createStringError(inconvertibleErrorCode(),
                             "cannot write '" + path +
                                 "': " + toString(std::move(error)));
  };
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(path + "-%%%%%%.tmp");
  if (!temp)
    return cannotWrite(temp.takeError());
  crashIfAsked();
  raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
  Error error = write(os);
  os.flush();
  if (!error && os.has_error())
    error = createStringError(os.error(), "cannot write '" + path + "'");
  if (error) {
    consumeError(temp->discard());
    return error;
  }
  if (Error error = temp->keep(path)) {
    consumeError(temp->discard());
    return cannotWrite(std::move(error));
  }
  return Error::success();
}

/// Writes `module` to `path` (atomically) as LLVM IR text, assembly or an
/// object file, as `stage` asks.
Error writeLLVMModule(StringRef path, Stage stage, llvm::Module &module,
                      TargetMachine &machine) {
  mlir::TimingScope timing =
      timePhase(stage == Stage::LLVMIR
                    ? "Print LLVM IR"
                    : (stage == Stage::Asm ? "Emit assembly" : "Emit object"));
  return writeAtomically(path, [&](raw_pwrite_stream &os) -> Error {
    if (stage == Stage::LLVMIR) {
      module.print(os, nullptr);
      return Error::success();
    }
    if (stage == Stage::Asm)
      return emitAssembly(module, machine, os);
    return emitObject(module, machine, os);
  });
}

/// Checks, before compiling, that `output` names a file in an existing
/// folder, so that a long compile does not end in an error it could have
/// reported at once.
std::optional<std::string> checkOutputPath(StringRef output) {
  if (output == "-")
    return std::nullopt;
  if (sys::fs::is_directory(output))
    return "cannot write '" + output.str() + "': it is a directory";
  StringRef parent = sys::path::parent_path(output);
  if (!parent.empty() && !sys::fs::is_directory(parent))
    return "cannot write '" + output.str() + "': no directory '" +
           parent.str() + "'";
  return std::nullopt;
}

/// The paths kilnc reads; -o must name none of them.
bool isInputFile(StringRef output) {
  if (output == "-")
    return false;
  for (StringRef input : {StringRef(inputFile), StringRef(weightsFile)})
    if (!input.empty() && sys::fs::equivalent(input, output))
      return true;
  return false;
}

/// The runtime for the host: --runtime-dir, $KILN_RUNTIME_DIR, an installed
/// tree's PREFIX/lib/kiln (kilnc being PREFIX/bin/kilnc), or the build's.
std::string resolveRuntimeDir(const char *argv0) {
  if (!runtimeDir.empty())
    return runtimeDir;
  if (const char *env = std::getenv("KILN_RUNTIME_DIR"))
    return env;
  std::string exe = sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&resolveRuntimeDir));
  SmallString<256> installed(
      sys::path::parent_path(sys::path::parent_path(exe)));
  sys::path::append(installed, "lib", "kiln");
  SmallString<256> probe(installed);
  sys::path::append(probe, "libkiln_runtime.a");
  if (!exe.empty() && sys::fs::exists(probe))
    return std::string(installed);
  return KILN_DEFAULT_RUNTIME_DIR;
}

const char *programPath = "kilnc";

int emitModule(mlir::OwningOpRef<mlir::ModuleOp> module,
               const std::string &output);
int emitGPUModule(mlir::OwningOpRef<mlir::ModuleOp> module,
                  const std::string &output);

/// --emit=dot: the layer graph as dot text, or rendered by Graphviz when the
/// output's extension asks for a picture.
int emitDot(mlir::ModuleOp module, const std::string &output) {
  std::string dot;
  llvm::raw_string_ostream dotStream(dot);
  if (failed(emitLayerGraph(module, dotStream)))
    return internalError("drawing '" + inputFile + "' failed");
  StringRef format = getDotRenderFormat(output);
  if (format.empty()) {
    if (Error error = writeAtomically(output, [&](raw_pwrite_stream &os) {
          os << dot;
          return Error::success();
        }))
      return fail(kBadInput, toString(std::move(error)));
    return kSuccess;
  }
  if (Error error = renderDot(dot, format, output))
    return fail(kBadInput, toString(std::move(error)));
  return kSuccess;
}

/// A model's objects in temporary files, removed when this goes away (and by
/// LLVM's signal handler on a crash or an interrupt).
struct TemporaryObjects {
  std::vector<std::string> paths;
  ~TemporaryObjects() {
    for (const std::string &path : paths) {
      sys::fs::remove(path);
      sys::DontRemoveFileOnSignal(path);
    }
  }
};

/// Compiles `llvmModule` into temporary objects: the weights' data object
/// (DataObject.h) where the target has one, with `detached`, the data taken
/// out of the module before its translation, then one object of code, or
/// the parts that emitSplitObjects compiles side by side. Returns kSuccess,
/// or the exit status of the failure it reported.
int emitTemporaryObjects(llvm::Module &llvmModule, TargetMachine &machine,
                         const kiln::TargetOptions &target,
                         TemporaryObjects &objects,
                         ArrayRef<DetachedData> detached) {
  std::vector<std::unique_ptr<raw_fd_ostream>> streams;
  auto createObject = [&]() -> raw_fd_ostream * {
    SmallString<128> path;
    int fd;
    if (std::error_code ec =
            sys::fs::createTemporaryFile("kiln-model", "o", fd, path)) {
      fail(kBadInput, "cannot create a temporary file: " + ec.message());
      return nullptr;
    }
    objects.paths.push_back(std::string(path));
    sys::RemoveFileOnSignal(path);
    streams.push_back(
        std::make_unique<raw_fd_ostream>(fd, /*shouldClose=*/true));
    return streams.back().get();
  };

  const Triple &triple = llvmModule.getTargetTriple();
  if (!noDataObject && canWriteDataObject(triple)) {
    mlir::TimingScope timing = timePhase("Write data object");
    std::vector<DetachedData> data(detached.begin(), detached.end());
    llvm::append_range(data,
                       detachConstantData(llvmModule, kMinDetachedDataBytes));
    if (!data.empty()) {
      raw_fd_ostream *os = createObject();
      if (!os)
        return kBadInput;
      if (Error error = writeDataObject(data, triple, *os))
        return internalError(toString(std::move(error)));
    }
  }

  mlir::TimingScope timing = timePhase("Emit object");
  SmallVector<raw_pwrite_stream *> outputs;
  unsigned count = noSplitCodegen ? 1 : getSplitObjectCount(llvmModule);
  for (unsigned i = 0; i < count; ++i) {
    raw_fd_ostream *os = createObject();
    if (!os)
      return kBadInput;
    outputs.push_back(os);
  }
  crashIfAsked();
  Error error =
      emitSplitObjects(llvmModule, machine, target, getOptLevel(), outputs);
  // Every stream's error is taken (an unchecked one aborts), the first kept.
  std::optional<std::string> writeFailure;
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i]->close();
    if (streams[i]->has_error() && !writeFailure)
      writeFailure = "cannot write '" + objects.paths[i] +
                     "': " + streams[i]->error().message();
    streams[i]->clear_error();
  }
  if (error)
    return internalError(toString(std::move(error)));
  if (writeFailure)
    return fail(kBadInput, *writeFailure);
  return kSuccess;
}

/// Compiles `llvmModule` into temporary objects and `link`s them into a
/// temporary file next to `output`, renamed into place only when linking
/// succeeded.
int linkThroughTemporaries(
    llvm::Module &llvmModule, TargetMachine &machine,
    const kiln::TargetOptions &target, const std::string &output,
    function_ref<Error(ArrayRef<std::string> objects, StringRef linkedPath)>
        link,
    ArrayRef<DetachedData> detached) {
  TemporaryObjects objects;
  if (int status =
          emitTemporaryObjects(llvmModule, machine, target, objects, detached))
    return status;
  mlir::TimingScope linkTiming = timePhase("Link");
  SmallString<128> linkedPath(output);
  linkedPath += "-%%%%%%.tmp";
  sys::fs::createUniquePath(linkedPath, linkedPath, /*MakeAbsolute=*/false);
  FileRemover removeLinked(linkedPath);
  // A crash or an interrupt removes it too (FileRemover only on return).
  sys::RemoveFileOnSignal(linkedPath);
  if (Error error = link(objects.paths, linkedPath))
    return fail(kBadInput, toString(std::move(error)));
  if (std::error_code ec = sys::fs::rename(linkedPath, output))
    return fail(kBadInput, "cannot write '" + output + "': " + ec.message());
  return kSuccess;
}

/// --emit=lib/so: adds the C API to the optimised module, writes the static
/// archive or links the shared library, then writes the header. `gpuArch`
/// is set for a model whose layers run on the GPU.
int emitLibrary(llvm::Module &llvmModule, TargetMachine &machine,
                const kiln::TargetOptions &target, const std::string &output,
                const ExternalWeights *weights, StringRef gpuArch = "",
                ArrayRef<DetachedData> detached = {}) {
  if (!libraryPrefix.empty() &&
      sanitizeLibraryPrefix(libraryPrefix) != libraryPrefix)
    return fail(kBadUsage,
                "--prefix '" + libraryPrefix + "' is not a C identifier");
  LibraryInterface interface;
  if (Error error =
          addLibraryInterface(llvmModule, libraryPrefix, interface, weights))
    return internalError(toString(std::move(error)));
  const std::string &prefix = interface.prefix;
  interface.source = sys::path::filename(inputFile).str();
  interface.cpu = machine.getTargetCPU().str();
  interface.gpuArch = gpuArch.str();

  std::string headerPath = headerFile;
  if (headerPath.empty()) {
    SmallString<256> path(sys::path::parent_path(output));
    sys::path::append(path, prefix + ".h");
    headerPath = std::string(path);
  }
  if (isInputFile(headerPath) || headerPath == output)
    return fail(kBadUsage,
                "refusing to write the header over '" + headerPath + "'");
  std::string weightsPath;
  if (weights) {
    // Named after the library, so that build systems know it in advance.
    SmallString<256> path(output);
    sys::path::replace_extension(path, "weights");
    weightsPath = std::string(path);
    interface.weightsFile = sys::path::filename(weightsPath).str();
    if (isInputFile(weightsPath) || weightsPath == output ||
        weightsPath == headerPath)
      return fail(kBadUsage,
                  "refusing to write the weights over '" + weightsPath + "'");
  }

  std::string runtime =
      getTargetRuntimeDir(resolveRuntimeDir(programPath), target);
  if (emit == Stage::Lib) {
    // One object: the archive's objects could meet another model's in one
    // program, where the split's hidden symbols would clash.
    mlir::TimingScope objectTiming = timePhase("Emit object");
    SmallString<0> object;
    raw_svector_ostream objectStream(object);
    if (Error error = emitObject(llvmModule, machine, objectStream))
      return internalError(toString(std::move(error)));
    objectTiming.stop();
    mlir::TimingScope linkTiming = timePhase("Link");
    if (Error error = writeAtomically(output, [&](raw_pwrite_stream &os) {
          return writeStaticLibrary(object, prefix + ".o", runtime, os);
        }))
      return fail(kBadInput, toString(std::move(error)));
  } else if (int status = linkThroughTemporaries(
                 llvmModule, machine, target, output,
                 [&](ArrayRef<std::string> objects, StringRef linkedPath) {
                   return linkSharedLibrary(objects, linkedPath,
                                            sys::path::filename(output), prefix,
                                            runtime, target);
                 },
                 detached)) {
    return status;
  }

  if (weights)
    if (Error error = writeAtomically(weightsPath, [&](raw_pwrite_stream &os) {
          os << StringRef(weights->file.data(), weights->file.size());
          return Error::success();
        }))
      return fail(kBadInput, toString(std::move(error)));
  if (Error error = writeAtomically(headerPath, [&](raw_pwrite_stream &os) {
        emitLibraryHeader(interface, sys::path::filename(output), os);
        return Error::success();
      }))
    return fail(kBadInput, toString(std::move(error)));
  return kSuccess;
}

/// kilnc exits once its output is written, so the contexts that hold a
/// model's weights (hundreds of megabytes of constants) are left for the
/// exit to reclaim rather than freed piece by piece, as clang does by
/// default (-disable-free): freeing them took VGG-16's compile about 1 s.
/// BuryPointer keeps them reachable, so leak checkers stay quiet.
template <typename T> auto buryOnReturn(std::unique_ptr<T> &owner) {
  return scope_exit([&owner] { BuryPointer(std::move(owner)); });
}

/// The context of a compile, with every dialect kilnc's pipelines use.
std::unique_ptr<mlir::MLIRContext> createContext() {
  mlir::DialectRegistry registry;
  registry.insert<nn::NNDialect>();
  registerCodegenDialects(registry);
  registerGPUCodegenDialects(registry);
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

/// An ONNX model brings its weights (its initializers): --weights and --seed
/// do not apply, and --weights is refused rather than silently ignored.
int compileONNX(const std::string &output) {
  if (!weightsFile.empty())
    return fail(kBadUsage, "--weights does not apply to ONNX models: their "
                           "weights are their initializers");
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  auto buryContext = buryOnReturn(context);
  // Names the node of every diagnostic, from the import to the object.
  frontend::ONNXDiagnosticHandler diagnostics(context.get());
  frontend::ONNXImportOptions options;
  options.batch = batch;
  std::vector<std::string> dataFiles;
  options.externalDataFiles = &dataFiles;
  mlir::TimingScope importTiming = timePhase("Import ONNX model");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      frontend::importONNXModel(*context, inputFile, options);
  if (!module)
    return kBadInput;
  importTiming.stop();
  // The model's external data files are inputs too.
  for (const std::string &file : dataFiles)
    if (output != "-" && sys::fs::equivalent(file, output))
      return fail(kBadUsage, "refusing to overwrite input file '" + output +
                                 "' with the output");
  return emitModule(std::move(module), output);
}

/// Parses --cache-sizes ("48K,2M"): two sizes from 1 KB to 1 GB.
std::optional<CacheSizes> parseCacheSizes(StringRef text) {
  auto [first, second] = text.split(',');
  int64_t values[2];
  StringRef parts[2] = {first.trim(), second.trim()};
  for (int i = 0; i < 2; ++i) {
    StringRef part = parts[i];
    int64_t scale = 1;
    if (part.ends_with_insensitive("k"))
      scale = int64_t(1) << 10, part = part.drop_back();
    else if (part.ends_with_insensitive("m"))
      scale = int64_t(1) << 20, part = part.drop_back();
    uint64_t value;
    if (part.empty() || part.getAsInteger(10, value) ||
        value > (uint64_t(1) << 30) / scale || value * scale < 1024)
      return std::nullopt;
    values[i] = (int64_t)value * scale;
  }
  return CacheSizes{values[0], values[1]};
}

int compile() {
  std::string output =
      outputFile.empty() ? defaultOutputPath(emit) : outputFile.getValue();
  if (isInputFile(output))
    return fail(kBadUsage, "refusing to overwrite input file '" + output +
                               "' with the output");
  // A bad flag is a usage error (2) even when the spec has errors too.
  if (externalWeights && emit != Stage::Lib && emit != Stage::So)
    return fail(kBadUsage, "--external-weights needs --emit=lib or --emit=so");
  if (externalWeights && isGPUTarget())
    return fail(kBadUsage, "--external-weights does not apply to "
                           "--target=nvptx: a GPU model uploads the weights "
                           "it embeds");
  if (!llvm::is_contained({"0", "1", "2", "3"}, optLevelFlag.getValue()))
    return fail(kBadUsage,
                "-O must be -O0, -O1, -O2 or -O3, not -O" + optLevelFlag);
  if (winogradTile.getNumOccurrences() && winogradTile != 2 &&
      winogradTile != 3 && winogradTile != 4)
    return fail(kBadUsage, "--winograd-tile must be 2, 3 or 4, not " +
                               std::to_string(winogradTile));
  if (gpuConv != "winograd" && gpuConv != "shared" && gpuConv != "direct")
    return fail(kBadUsage, "--gpu-conv must be winograd, shared or direct, "
                           "not '" +
                               gpuConv + "'");
  if (noWinograd && gpuConv.getNumOccurrences() && gpuConv == "winograd")
    return fail(kBadUsage, "--no-winograd contradicts --gpu-conv=winograd");
  if (gpuMaxRegisters != 0 && (gpuMaxRegisters < 16 || gpuMaxRegisters > 255))
    return fail(kBadUsage, "--gpu-max-registers must be between 16 and 255, "
                           "not " +
                               std::to_string(gpuMaxRegisters));
  if (gpuSMs < 1 || gpuSMs > 4096)
    return fail(kBadUsage, "--gpu-sms must be between 1 and 4096, not " +
                               std::to_string(gpuSMs));
  if (convLanes != "auto" && convLanes != "columns" && convLanes != "channels")
    return fail(kBadUsage, "--conv-lanes must be auto, columns or channels, "
                           "not '" +
                               convLanes + "'");
  if (cacheSizes.getNumOccurrences() && !parseCacheSizes(cacheSizes))
    return fail(kBadUsage,
                "--cache-sizes must be two sizes from 1K to 1024M, L1 then "
                "L2, e.g. 48K,2M; found '" +
                    cacheSizes + "'");
  if (batch.getNumOccurrences() && batch <= 0)
    return fail(kBadUsage,
                "--batch must be positive, found " + Twine(batch.getValue()));
  if (std::optional<std::string> problem = checkOutputPath(output))
    return fail(kBadInput, *problem);

  if (frontend::isONNXModelPath(inputFile))
    return compileONNX(output);

  mlir::TimingScope parseTiming = timePhase("Parse spec");
  SourceMgr sourceMgr;
  frontend::installDiagnosticPrinter(sourceMgr);
  ErrorOr<std::unique_ptr<MemoryBuffer>> spec =
      MemoryBuffer::getFileOrSTDIN(inputFile, /*IsText=*/true);
  if (!spec)
    return fail(kBadInput, "cannot read '" + inputFile +
                               "': " + spec.getError().message());
  unsigned bufferId = sourceMgr.AddNewSourceBuffer(std::move(*spec), SMLoc());
  std::optional<frontend::ModelAST> model =
      frontend::parseSpec(sourceMgr, bufferId);
  if (!model)
    return kBadInput;
  if (batch.getNumOccurrences())
    model->inputShape[0] = batch;
  parseTiming.stop();

  mlir::TimingScope buildTiming = timePhase("Build nn module (weights)");
  std::unique_ptr<frontend::WeightProvider> weights;
  if (weightsFile.empty()) {
    WithColor::note(errs(), "kilnc")
        << "no --weights given: using random weights (PyTorch's default "
           "initialisation, seed "
        << seed << ")\n";
    weights = frontend::createRandomWeights(seed);
  } else {
    Expected<std::unique_ptr<frontend::WeightProvider>> file =
        frontend::openSafetensors(weightsFile);
    if (!file)
      return fail(kBadInput, toString(file.takeError()));
    weights = std::move(*file);
  }

  std::unique_ptr<mlir::MLIRContext> context = createContext();
  auto buryContext = buryOnReturn(context);
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, context.get());

  mlir::OwningOpRef<mlir::ModuleOp> module =
      frontend::buildModule(*context, sourceMgr, *model, *weights);
  if (!module)
    return kBadInput;
  weights.reset(); // The blobs keep what they reference alive.
  buildTiming.stop();
  return emitModule(std::move(module), output);
}

/// Links `llvmModule` with the runtime into the executable `output`.
int linkModule(llvm::Module &llvmModule, TargetMachine &machine,
               const kiln::TargetOptions &target, const std::string &output,
               ArrayRef<DetachedData> detached = {}) {
  std::string runtime =
      getTargetRuntimeDir(resolveRuntimeDir(programPath), target);
  return linkThroughTemporaries(
      llvmModule, machine, target, output,
      [&](ArrayRef<std::string> objects, StringRef linkedPath) {
        return linkExecutable(objects, linkedPath, runtime, target);
      },
      detached);
}

/// Runs the pipeline down to --emit on a parsed or imported module and
/// writes the result.
int emitModule(mlir::OwningOpRef<mlir::ModuleOp> module,
               const std::string &output) {
  mlir::MLIRContext &context = *module->getContext();
  if (emit == Stage::Spec) {
    std::string spec;
    llvm::raw_string_ostream specStream(spec);
    if (failed(frontend::printSpec(*module, specStream)))
      return kBadInput;
    if (Error error = writeAtomically(output, [&](raw_pwrite_stream &os) {
          os << spec;
          return Error::success();
        }))
      return fail(kBadInput, toString(std::move(error)));
    return kSuccess;
  }

  if (isGPUTarget())
    return emitGPUModule(std::move(module), output);
  if (emit == Stage::GPU || emit == Stage::PTX)
    return fail(kBadUsage, "--emit=gpu and --emit=ptx need --target=nvptx");

  kiln::TargetOptions target;
  target.triple = targetTriple;
  target.cpu = targetCPU;
  target.features = targetFeatures;
  Expected<std::unique_ptr<TargetMachine>> machine =
      createTargetMachine(target, getOptLevel());
  if (!machine)
    return fail(kBadUsage, toString(machine.takeError()));

  if (emit != Stage::NN) {
    mlir::PassManager pm(&context);
    if (failed(mlir::applyPassManagerCLOptions(pm)))
      return fail(kBadUsage, "invalid pass manager options");
    pm.enableTiming(*compileTiming);
    PipelineOptions options;
    // Simplify and fuse run once, below, so that each is a stage of its own.
    options.simplify = false;
    options.fuse = false;
    options.vectorWidth = getVectorWidth(**machine);
    // Accumulators: three quarters of the vector registers (24 of AVX-512's
    // or NEON's 32, 12 of AVX2's 16); the rest hold inputs and weights.
    int64_t registers = getVectorRegisters(**machine);
    options.convAccumulators = registers * 3 / 4;
    options.matmulAccumulators = registers / 2;
    CacheSizes caches = cacheSizes.getNumOccurrences()
                            ? *parseCacheSizes(cacheSizes)
                            : getCacheSizes(target);
    options.l1CacheBytes = caches.l1;
    options.l2CacheBytes = caches.l2;
    options.winograd = !noWinograd;
    options.winogradTile = winogradTile;
    options.convLanes = convLanes;
    options.planMemory = !noMemoryPlan;
    options.outlineLayers = !noOutlineLayers;
    options.reportMemoryPlan = printMemoryPlan;
    if (!noSimplify)
      pm.addPass(createSimplifyPass());
    if (!noFuse && emit >= Stage::Fused)
      pm.addPass(createFusePass());
    if (emit >= Stage::Linalg)
      buildNNToLinalgPipeline(pm, options);
    if (emit >= Stage::Loops)
      buildLinalgToLoopsPipeline(pm, options);
    if (emit >= Stage::LLVMDialect)
      buildLoopsToLLVMPipeline(pm, options);
    if (failed(pm.run(*module)))
      return internalError("lowering '" + inputFile + "' failed");
  }

  if (emit == Stage::Dot)
    return emitDot(*module, output);

  if (emit <= Stage::LLVMDialect) {
    mlir::OpPrintingFlags flags;
    if (!printWeights)
      flags.elideLargeResourceString(64);
    if (Error error = writeAtomically(output, [&](raw_pwrite_stream &os) {
          module->print(os, flags);
          return Error::success();
        }))
      return fail(kBadInput, toString(std::move(error)));
    return kSuccess;
  }

  // The weights of an executable or a shared library go to their data
  // object before the translation would copy them (DataObject.h).
  std::vector<DetachedData> detached;
  if ((emit == Stage::Exe || emit == Stage::So) && !externalWeights &&
      !noDataObject && canWriteDataObject((*machine)->getTargetTriple()))
    detached = detachConstantData(*module, kMinDetachedDataBytes);

  mlir::TimingScope translateTiming = timePhase("Translate to LLVM IR");
  auto llvmContext = std::make_unique<LLVMContext>();
  auto buryLLVMContext = buryOnReturn(llvmContext);
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*module, *llvmContext, **machine);
  auto buryLLVMModule = buryOnReturn(llvmModule);
  if (!llvmModule)
    return internalError("translating '" + inputFile + "' to LLVM IR failed");
  module = nullptr; // Release the MLIR copy of everything before codegen.
  ExternalWeights weights;
  if (externalWeights)
    if (Error error = externalizeWeights(*llvmModule, weights))
      return internalError(toString(std::move(error)));
  translateTiming.stop();
  mlir::TimingScope optimizeTiming = timePhase("Optimize LLVM IR");
  if (Error error = optimizeModule(*llvmModule, **machine, getOptLevel()))
    return internalError(toString(std::move(error)));
  optimizeTiming.stop();

  auto emitTo = [&](StringRef path, Stage stage) {
    return writeLLVMModule(path, stage, *llvmModule, **machine);
  };
  if (emit == Stage::Lib || emit == Stage::So)
    return emitLibrary(*llvmModule, **machine, target, output,
                       externalWeights ? &weights : nullptr, "", detached);
  if (emit != Stage::Exe) {
    if (Error error = emitTo(output, emit))
      return fail(kBadInput, toString(std::move(error)));
    return kSuccess;
  }

  return linkModule(*llvmModule, **machine, target, output, detached);
}

/// --target=nvptx: nn -> GPU kernels + host plan (GPUPasses.h), or with
/// --gpu-emulate the same kernels as host loops through the CPU back end.
int emitGPUModule(mlir::OwningOpRef<mlir::ModuleOp> module,
                  const std::string &output) {
  mlir::MLIRContext &context = *module->getContext();
  if (emit >= Stage::Dot && emit <= Stage::LLVMDialect)
    return fail(kBadUsage, "--emit=dot, linalg, loops and llvm are CPU "
                           "stages; with --target=nvptx use --emit=gpu or "
                           "ptx");
  StringRef arch = gpuArch;
  unsigned archNumber;
  if (!arch.consume_front("sm_") || arch.getAsInteger(10, archNumber) ||
      archNumber < 50)
    return fail(kBadUsage, "--gpu-arch must be sm_NN (sm_50 or newer), "
                           "found '" +
                               gpuArch + "'");
  if (gpuEmulate && (emit == Stage::PTX))
    return fail(kBadUsage, "--gpu-emulate produces no PTX");
  kiln::TargetOptions target; // The host runs the launches.
  target.cpu = targetCPU;
  target.features = targetFeatures;
  Expected<std::unique_ptr<TargetMachine>> machine =
      createTargetMachine(target, getOptLevel());
  if (!machine)
    return fail(kBadUsage, toString(machine.takeError()));

  GPUPipelineOptions options;
  options.chip = gpuArch;
  options.convKernel =
      noWinograd && gpuConv == "winograd" ? std::string("shared") : gpuConv;
  options.winogradTile = winogradTile;
  options.smCount = gpuSMs;
  options.maxRegisters = gpuMaxRegisters;
  options.optLevel = static_cast<int>(getOptLevel());
  options.planMemory = !noMemoryPlan;
  options.reportMemoryPlan = printMemoryPlan;
  // PTX 8.0 is the first ISA with sm_90; older chips take the same.
  options.features = "+ptx80";
  // Two pass managers: the model's kernels and launches (kiln-nn-to-gpu
  // refuses models beyond the GPU path's limits: a user error), then the
  // kernels' compilation (a failure there is Kiln's).
  mlir::PassManager kernels(&context), compile(&context);
  for (mlir::PassManager *pm : {&kernels, &compile}) {
    if (failed(mlir::applyPassManagerCLOptions(*pm)))
      return fail(kBadUsage, "invalid pass manager options");
    pm->enableTiming(*compileTiming);
  }
  bool nnStage = emit <= Stage::Fused;
  if (emit != Stage::NN) {
    if (!noSimplify)
      kernels.addPass(createSimplifyPass());
    // kiln-nn-to-gpu takes nn.fused_conv2d / nn.fused_linear as they come.
    if (!noFuse && emit != Stage::Simplified)
      kernels.addPass(createFusePass());
    if (!nnStage)
      buildNNToGPUPipeline(kernels, options);
    if (!nnStage && emit != Stage::GPU) {
      if (gpuEmulate) {
        PipelineOptions cpu;
        buildGPUEmulationPipeline(compile);
        buildLoopsToLLVMPipeline(compile, cpu);
      } else {
        buildGPUToPTXPipeline(compile, options);
      }
    }
  }
  // The diagnostics name the layer and the limit; the IR would be noise.
  context.printOpOnDiagnostic(false);
  if (failed(kernels.run(*module)))
    return fail(kBadInput,
                "'" + inputFile + "' cannot be compiled for the GPU");
  context.printOpOnDiagnostic(true);
  if (failed(compile.run(*module)))
    return internalError("lowering '" + inputFile + "' for the GPU failed");

  auto writeText = [&](function_ref<void(raw_ostream &)> print) {
    if (Error error = writeAtomically(output, [&](raw_pwrite_stream &os) {
          print(os);
          return Error::success();
        }))
      return fail(kBadInput, toString(std::move(error)));
    return int(kSuccess);
  };
  if (nnStage || emit == Stage::GPU) {
    mlir::OpPrintingFlags flags;
    if (!printWeights)
      flags.elideLargeResourceString(64);
    return writeText([&](raw_ostream &os) { module->print(os, flags); });
  }
  if (emit == Stage::PTX) {
    FailureOr<std::string> ptx = getPTX(*module);
    if (failed(ptx))
      return internalError("no PTX for '" + inputFile + "'");
    return writeText([&](raw_ostream &os) { os << *ptx; });
  }

  mlir::TimingScope translateTiming = timePhase("Translate to LLVM IR");
  auto llvmContext = std::make_unique<LLVMContext>();
  auto buryLLVMContext = buryOnReturn(llvmContext);
  std::unique_ptr<llvm::Module> llvmModule =
      gpuEmulate ? translateToLLVMIR(*module, *llvmContext, **machine)
                 : translateGPUHostToLLVMIR(*module, *llvmContext, **machine);
  auto buryLLVMModule = buryOnReturn(llvmModule);
  if (!llvmModule)
    return internalError("translating '" + inputFile + "' to LLVM IR failed");
  module = nullptr;
  translateTiming.stop();
  mlir::TimingScope optimizeTiming = timePhase("Optimize LLVM IR");
  if (Error error = optimizeModule(*llvmModule, **machine, getOptLevel()))
    return internalError(toString(std::move(error)));
  optimizeTiming.stop();
  if (emit == Stage::Exe)
    return linkModule(*llvmModule, **machine, target, output);
  // An emulated model is a CPU library like any other.
  if (emit == Stage::Lib || emit == Stage::So)
    return emitLibrary(*llvmModule, **machine, target, output,
                       /*weights=*/nullptr,
                       gpuEmulate ? StringRef() : StringRef(gpuArch));
  if (Error error = writeLLVMModule(output, emit, *llvmModule, **machine))
    return fail(kBadInput, toString(std::move(error)));
  return kSuccess;
}

} // namespace

int main(int argc, char **argv) {
  // Not InitLLVM: it would print a stack trace on a crash.
  llvm_shutdown_obj shutdown;
  sys::SetOneShotPipeSignalFunction(sys::DefaultOneShotPipeSignalHandler);
  installInternalErrorHandlers(argv[0]);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  organizeHelp();
  programPath = argv[0];
  if (!cl::ParseCommandLineOptions(argc, argv, kOverview, &errs()))
    return kBadUsage;
  mlir::DefaultTimingManager timingManager;
  mlir::applyDefaultTimingManagerCLOptions(timingManager);
  mlir::TimingScope timing = timingManager.getRootScope();
  compileTiming = &timing;
  return compile();
}
