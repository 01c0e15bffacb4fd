//===- Library.h - A model as a C library: API, header, archive -*- C++ -*-===//
//
// `kilnc --emit=lib` and `--emit=so` turn the optimised LLVM module of a
// model into a library with a small C API, every symbol prefixed by the
// model's name so that several models link into one program:
//
//   int  P_create(int threads, P_context **ctx);
//   void P_destroy(P_context *ctx);
//   int  P_run(P_context *ctx, const float *in, float *out, void *workspace);
//   ... size and shape queries, P_status_message
//
// Each function is a one-line call into the runtime's contexts
// (runtime/include/kiln/context.h) with the model's descriptor, which
// becomes internal; for a model compiled for NVPTX, into the GPU contexts
// (runtime/include/kiln/gpu.h) with its launch plan. The OpenMP entry
// points the parallel loops call are renamed to the runtime's kiln_omp_*
// names, so a program may link an OpenMP runtime of its own. The C header
// (emitLibraryHeader) documents the API with the model's constants.
//
//   addLibraryInterface -> emitObject -> writeStaticLibrary (P.a)
//                                     -> linkSharedLibrary (P.so)
//   emitLibraryHeader (P.h)
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_LIBRARY_H
#define KILN_CODEGEN_LIBRARY_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace llvm {
class Module;
class raw_ostream;
} // namespace llvm

namespace kiln {

struct TargetOptions;

/// Name of the archive, in the runtime folder, whose members a model
/// library embeds: the thread teams, contexts and aligned allocation.
inline constexpr const char *kEmbedRuntimeArchive = "libkiln_embed.a";

/// One input or output of a model with several, which its input or output
/// buffer holds one after another (kiln_io_desc).
struct LibraryIO {
  std::string name;
  llvm::SmallVector<int64_t> shape;
  int64_t offset = 0;
};

/// What the generated header describes.
struct LibraryInterface {
  /// The model's name (from the spec) and the C identifier prefix derived
  /// from it.
  std::string modelName;
  std::string prefix;
  llvm::SmallVector<int64_t> inputShape;
  llvm::SmallVector<int64_t> outputShape;
  /// Where each input lies in the input buffer, and each output in the
  /// output buffer, when there are several.
  llvm::SmallVector<LibraryIO> inputs;
  llvm::SmallVector<LibraryIO> outputs;
  int64_t workspaceBytes = 0;
  /// The target triple and CPU the code was generated for.
  std::string triple;
  std::string cpu;
  /// For a model compiled for NVPTX: the GPU architecture (sm_NN) of its
  /// PTX; empty for the CPU.
  std::string gpuArch;
  /// The file the model came from, for the header's first line.
  std::string source;
  /// Set when the weights live in a separate file (externalizeWeights): its
  /// name, for the header, and its size.
  std::string weightsFile;
  uint64_t weightsBytes = 0;
};

/// Weights moved out of a module by externalizeWeights: the content of the
/// weights file (runtime/include/kiln/weights.h) and what the library
/// checks the file against.
struct ExternalWeights {
  llvm::SmallVector<char, 0> file;
  uint64_t bytes = 0;
  uint64_t fingerprint = 0;
};

/// Name of the internal global through which code reaches external weights.
inline constexpr const char *kWeightsSlotSymbol = "kiln_weights";

/// Moves the model's constant data (every internal constant global of at
/// least `minBytes` bytes with a plain byte initializer: the weights) out
/// of `module` into `weights`. Code reaches it through a pointer loaded
/// from the internal global kiln_weights, which the library's
/// PREFIX_load_weights sets by mapping the file. Run it before
/// optimizeModule so that the loads are hoisted out of loops.
llvm::Error externalizeWeights(llvm::Module &module, ExternalWeights &weights,
                               uint64_t minBytes = 1024);

/// A C identifier made from `name`: characters outside [A-Za-z0-9_] become
/// '_', and a leading digit (or an empty name) gets an 'm' in front. Lower
/// case is kept as written; macros use the upper-cased prefix.
std::string sanitizeLibraryPrefix(llvm::StringRef name);

/// Adds the `prefix`-named API (empty: the sanitised model name) to `module`
/// (translated by translateToLLVMIR and optimised): makes kiln_model and
/// kiln_forward internal, renames the OpenMP entry points, and fills
/// `interface` from the descriptor. Fails if the module lacks the descriptor or
/// calls an OpenMP entry point the runtime does not implement.
llvm::Error addLibraryInterface(llvm::Module &module, llvm::StringRef prefix,
                                LibraryInterface &interface,
                                const ExternalWeights *weights = nullptr);

/// Writes the C header documenting `interface`'s API.
void emitLibraryHeader(const LibraryInterface &interface,
                       llvm::StringRef libraryFileName, llvm::raw_ostream &os);

/// Writes a static archive holding `object` (the model, named
/// `objectName` in the archive) and the members of `runtimeDir`/
/// libkiln_embed.a.
llvm::Error writeStaticLibrary(llvm::StringRef object,
                               llvm::StringRef objectName,
                               llvm::StringRef runtimeDir,
                               llvm::raw_ostream &os);

} // namespace kiln

#endif // KILN_CODEGEN_LIBRARY_H
