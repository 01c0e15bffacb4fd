//===- HeaderEmitter.cpp - The C header of a model library ----------------===//
//
// Writes NAME.h for `kilnc --emit=lib/so`: the API that addLibraryInterface
// defines, documented well enough to be used from the header alone, with the
// model's shapes and sizes as constants.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Library.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using llvm::StringRef;

namespace kiln {
namespace {

std::string join(llvm::ArrayRef<int64_t> shape, StringRef separator) {
  return llvm::join(
      llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }),
      separator);
}

int64_t numel(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// "NCHW" for rank 4, "NC" for rank 2 (the layouts the spec language uses).
StringRef layoutName(size_t rank) {
  switch (rank) {
  case 4:
    return " (N, C, H, W)";
  case 2:
    return " (N, features)";
  default:
    return "";
  }
}

void emitTensorConstants(llvm::raw_ostream &os, StringRef macro, StringRef what,
                         llvm::ArrayRef<int64_t> shape) {
  std::string upper = llvm::StringRef(what).upper();
  os << llvm::formatv(
      "/* The {0}: float32, dense, C order (row-major), shape {1}{2}. */\n"
      "#define {3}_{4}_RANK {5}\n"
      "#define {3}_{4}_SHAPE {{{6}}\n"
      "#define {3}_{4}_SIZE {7} /* elements */\n"
      "#define {3}_{4}_BYTES ({3}_{4}_SIZE * sizeof(float))\n\n",
      what, join(shape, "x"), layoutName(shape.size()), macro, upper,
      shape.size(), join(shape, ", "), numel(shape));
}

} // namespace

void emitLibraryHeader(const LibraryInterface &interface,
                       StringRef libraryFileName, llvm::raw_ostream &os) {
  std::string p = interface.prefix;
  std::string P = StringRef(p).upper();
  std::string guard = P + "_KILN_H";
  // How to link: a static archive needs libpthread and libm besides the C
  // library; a shared library carries those dependencies itself.
  std::string linking =
      libraryFileName.ends_with(".so")
          ? llvm::formatv("link with it as\n"
                          " *     cc app.c {0} -Wl,-rpath,DIR\n"
                          " * where DIR is the folder holding {0} at run time.",
                          libraryFileName)
                .str()
          : llvm::formatv("link with it as\n"
                          " *     cc app.c {0} -lpthread -lm",
                          libraryFileName)
                .str();

  os << llvm::formatv(
      R"(/* {0}.h: the C API of the model '{1}', compiled by kilnc.
 *
 * Generated from {2} for {3} (CPU {4}); do not edit.
 * The code lives in {5}; {6}
 *
 * The model is one function from an input tensor to an output tensor, both
 * float32 arrays you allocate; the sizes are the constants below. Runs go
 * through a context, which holds the threads that compute the model in
 * parallel (there is no hidden global state):
 *
 *     #include "{0}.h"
 *
 *     {0}_context *ctx;
 *     int rc = {0}_create(0, &ctx);          // 0: one thread per CPU
 *     if (rc != {7}_OK) {{
 *       fprintf(stderr, "%s\n", {0}_status_message(rc));
 *       return 1;
 *     }
 *     static float in[{7}_INPUT_SIZE], out[{7}_OUTPUT_SIZE];
 *     // ... fill `in` ...
 *     rc = {0}_run(ctx, in, out, NULL);      // NULL: the context's workspace
 *     // ... read `out` ...
 *     {0}_destroy(ctx);
 *
 * Threads: every function may be called from any thread. A context runs
 * one inference at a time; to run several at once, create one context per
 * calling thread (a run that overlaps another on the same context returns
 * {7}_ERR_BUSY). Contexts of different models (each library has its own
 * prefix) can live in one program.
 *
 * Results are deterministic: they do not depend on the thread count.
 */

#ifndef {8}
#define {8}

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

)",
      p, interface.modelName, interface.source, interface.triple, interface.cpu,
      libraryFileName, linking, P, guard);

  os << "/*===-- Shapes and sizes "
        "-------------------------------------------------===*/\n\n";
  emitTensorConstants(os, P, "input", interface.inputShape);
  emitTensorConstants(os, P, "output", interface.outputShape);
  os << llvm::formatv(
      R"(/* Scratch memory for the intermediate tensors of one run, in bytes, and its
 * required alignment. Pass NULL as the workspace to use one that the
 * context allocated when it was created, or your own buffer of this size
 * (e.g. to share one buffer between contexts that never run at once). */
#define {0}_WORKSPACE_BYTES {1}
#define {0}_WORKSPACE_ALIGNMENT 64

)",
      P, interface.workspaceBytes);

  std::string api = llvm::formatv(
      R"(/*===-- Status codes -------------------------------------------------===*/

/* Every function that can fail returns one of these; {1}_status_message
 * turns one into a sentence. */
#define {0}_OK 0
/* A NULL pointer, a context of another model, a negative thread count or
 * a workspace that is not {0}_WORKSPACE_ALIGNMENT-aligned. */
#define {0}_ERR_INVALID 3
/* Memory for the context, its workspace or its threads ran out. */
#define {0}_ERR_NOMEM 4
/* The context is already running on another thread. */
#define {0}_ERR_BUSY 5

/* A static, NUL-terminated English description of `status`. */
const char *{1}_status_message(int status);

/*===-- Running the model --------------------------------------------===*/

/* An opaque context: a team of threads and a workspace. */
typedef struct {1}_context {1}_context;

/* Creates a context whose runs use `threads` threads, the calling one
 * included (0: one per online CPU; 1: no extra threads at all), and stores
 * it in *ctx. The threads start here and wait, without spinning, between
 * runs. Returns {0}_OK, {0}_ERR_INVALID or {0}_ERR_NOMEM; *ctx is NULL
 * on error. If the system refuses to start some threads, the context runs
 * with fewer ({1}_num_threads). */
int {1}_create(int threads, {1}_context **ctx);

/* Stops the context's threads and frees it. NULL is a no-op. Do not call it
 * while a run on the context is in progress. */
void {1}_destroy({1}_context *ctx);

/* Runs the model: reads {0}_INPUT_SIZE floats from `input` and writes
 * {0}_OUTPUT_SIZE floats to `output`. The two buffers must not overlap
 * and need no particular alignment. `workspace` is NULL or a buffer of
 * {0}_WORKSPACE_BYTES bytes aligned to {0}_WORKSPACE_ALIGNMENT, which the
 * run overwrites. The calling thread takes part in the computation and the
 * call returns when the output is complete. Returns {0}_OK,
 * {0}_ERR_INVALID (nothing was computed) or {0}_ERR_BUSY. */
int {1}_run({1}_context *ctx, const float *input, float *output,
            void *workspace);

/* The number of threads the context's runs use. */
int {1}_num_threads(const {1}_context *ctx);

/*===-- The same facts as functions ----------------------------------===*/

/* For programs that load the library at run time (dlopen/dlsym) and cannot
 * use the macros above. The shape arrays hold rank entries. */
const char *{1}_name(void); /* "{2}" */
int {1}_input_rank(void);
const int64_t *{1}_input_shape(void);
int64_t {1}_input_size(void);   /* elements */
int {1}_output_rank(void);
const int64_t *{1}_output_shape(void);
int64_t {1}_output_size(void);  /* elements */
int64_t {1}_workspace_size(void); /* bytes */

#ifdef __cplusplus
}
#endif

#endif /* {3} */
)",
      P, p, interface.modelName, guard);
  if (!interface.weightsFile.empty()) {
    // Models compiled with --external-weights: one more status and the call
    // that maps the weights, before the section on contexts.
    std::string weights = llvm::formatv(
        R"(/* The weights file is not loaded yet ({1}_load_weights). */
#define {0}_ERR_NO_WEIGHTS 6
/* The weights file cannot be read (missing, unreadable). */
#define {0}_ERR_IO 1
/* The file is not {2} as compiled with this library. */
#define {0}_ERR_FORMAT 2

)",
        P, p, interface.weightsFile);
    std::string load = llvm::formatv(
        R"(/*===-- The weights ---------------------------------------------------===*/

/* The model's weights ({3} bytes) are not in the library but in the file
 * {2} that kilnc wrote beside it; ship the two together. Map it once,
 * before the first {1}_create, from any thread:
 *
 *     if ({1}_load_weights("path/to/{2}") != {0}_OK) ...
 *
 * The file is mapped read-only and paged in on demand, so processes running
 * the model share its memory; it stays mapped until the process exits.
 * Later calls return {0}_OK without reading a file again. Returns {0}_OK,
 * {0}_ERR_IO, {0}_ERR_FORMAT (another model's weights) or
 * {0}_ERR_INVALID (NULL path). {1}_create returns {0}_ERR_NO_WEIGHTS
 * before this succeeded. */
int {1}_load_weights(const char *path);

)",
        P, p, interface.weightsFile, interface.weightsBytes);
    size_t statusEnd = api.find("/* A static, NUL-terminated");
    api.insert(statusEnd, weights);
    api.insert(api.find("/*===-- Running the model"), load);
  }
  os << api;
}

} // namespace kiln
