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

/// `text` as a C string literal: octal escapes for quotes, backslashes and
/// anything not printable ASCII.
std::string quoteC(StringRef text) {
  std::string quoted = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e)
      quoted += llvm::formatv("\\{0:o3}", unsigned(c)).str();
    else
      quoted += char(c);
  }
  return quoted + "\"";
}

/// The macros of a model with several inputs or outputs (`what`): where
/// each lies in the one input or output buffer, which `p`_run reads or
/// writes (`verb`). `P` prefixes the macros.
void emitIOTable(llvm::raw_ostream &os, StringRef p, StringRef P,
                 StringRef what, StringRef verb,
                 llvm::ArrayRef<LibraryIO> tensors) {
  std::string W = what.upper();
  os << llvm::formatv(
      "/* The model has {1} {2}s, which {6}_run {3} one after another\n"
      " * {4} `{2}`, each dense and row-major: {2} i is the\n"
      " * {0}_{5}i_SIZE floats from {2} + {0}_{5}i_OFFSET, of shape\n"
      " * {0}_{5}i_SHAPE. {0}_{5}i_NAME is its name in the model. */\n"
      "#define {0}_NUM_{5}S {1}\n\n",
      P, tensors.size(), what, verb, verb == "reads" ? "from" : "into", W, p);
  for (auto [i, tensor] : llvm::enumerate(tensors))
    os << llvm::formatv("#define {0}_{7}{1}_NAME {2}\n"
                        "#define {0}_{7}{1}_RANK {3}\n"
                        "#define {0}_{7}{1}_SHAPE {{{4}}\n"
                        "#define {0}_{7}{1}_SIZE {5} /* elements */\n"
                        "#define {0}_{7}{1}_OFFSET {6} /* elements */\n\n",
                        P, i, quoteC(tensor.name), tensor.shape.size(),
                        join(llvm::ArrayRef<int64_t>(tensor.shape), ", "),
                        numel(tensor.shape), tensor.offset, W);
}

/// The parts of the header that differ between a model whose layers run on
/// the CPU's threads and one whose layers run on a GPU.
struct TargetText {
  std::string target;     // "Generated from X for <target>"
  std::string contexts;   // what a context holds, after the first paragraph
  std::string createNote; // the example's comments on create and run
  std::string runNote;
  std::string threads;   // the paragraph on threads and determinism
  std::string workspace; // the comment on the workspace macros
  // Status codes and the API's comments.
  std::string invalid, noMemory, extraStatus, statusMessage, context, create,
      destroy, run, numThreads;
};

TargetText describeCPU(const LibraryInterface &interface, StringRef P,
                       StringRef p) {
  TargetText t;
  t.target = llvm::formatv("{0} (CPU {1})", interface.triple, interface.cpu);
  t.contexts = R"( Runs go
 * through a context, which holds the threads that compute the model in
 * parallel (there is no hidden global state):)";
  t.createNote = "// 0: one thread per CPU";
  t.runNote = "// NULL: the context's workspace";
  t.threads = llvm::formatv(
      R"(Threads: every function may be called from any thread. A context runs
 * one inference at a time; to run several at once, create one context per
 * calling thread (a run that overlaps another on the same context returns
 * {0}_ERR_BUSY). Contexts of different models (each library has its own
 * prefix) can live in one program. While a run lasts, the context's other
 * threads wait for the next parallel kernel by spinning (a sleeping thread
 * takes tens of microseconds to wake); after it, they spin for up to 0.1 ms,
 * then sleep.
 *
 * Results are deterministic: they do not depend on the thread count.)",
      P);
  t.workspace =
      R"(/* Scratch memory for the intermediate tensors of one run, in bytes, and its
 * required alignment. Pass NULL as the workspace to use one that the
 * context allocated when it was created, or your own buffer of this size
 * (e.g. to share one buffer between contexts that never run at once). */)";
  t.invalid = llvm::formatv(
      R"(/* A NULL pointer, a context of another model, a negative thread count or
 * a workspace that is not {0}_WORKSPACE_ALIGNMENT-aligned. */)",
      P);
  t.noMemory =
      "/* Memory for the context, its workspace or its threads ran out. */";
  t.statusMessage =
      "/* A static, NUL-terminated English description of `status`. */";
  t.context = "/* An opaque context: a team of threads and a workspace. */";
  t.create = llvm::formatv(
      R"(/* Creates a context whose runs use `threads` threads, the calling one
 * included (0: one per online CPU; 1: no extra threads at all), and stores
 * it in *ctx. The threads start here and wait, without spinning, between
 * runs. Returns {0}_OK, {0}_ERR_INVALID or {0}_ERR_NOMEM; *ctx is NULL
 * on error. If the system refuses to start some threads, the context runs
 * with fewer ({1}_num_threads). */)",
      P, p);
  t.destroy =
      R"(/* Stops the context's threads and frees it. NULL is a no-op. Do not call it
 * while a run on the context is in progress. */)";
  t.run = llvm::formatv(
      R"(/* Runs the model: reads {0}_INPUT_SIZE floats from `input` and writes
 * {0}_OUTPUT_SIZE floats to `output`. The two buffers must not overlap
 * and need no particular alignment. `workspace` is NULL or a buffer of
 * {0}_WORKSPACE_BYTES bytes aligned to {0}_WORKSPACE_ALIGNMENT, which the
 * run overwrites. The calling thread takes part in the computation and the
 * call returns when the output is complete. Returns {0}_OK,
 * {0}_ERR_INVALID (nothing was computed) or {0}_ERR_BUSY. */)",
      P);
  t.numThreads = "/* The number of threads the context's runs use. */";
  return t;
}

TargetText describeGPU(const LibraryInterface &interface, StringRef P) {
  TargetText t;
  t.target = llvm::formatv("NVIDIA GPUs ({0} and newer), driven\n"
                           " * from {1}",
                           interface.gpuArch, interface.triple);
  t.contexts = R"(
 * The model runs on an NVIDIA GPU, yet builds without CUDA: a context
 * loads the CUDA driver (libcuda.so.1) with dlopen when it is created.
 * Runs go through a context, which holds the model on the GPU: its
 * kernels, weights and intermediate tensors (there is no hidden global
 * state):)";
  t.createNote = "// 0: threads (unused on a GPU)";
  t.runNote = "// NULL: no workspace on the GPU";
  t.threads = llvm::formatv(
      R"(Threads: every function may be called from any thread. A context runs
 * one inference at a time (a run that overlaps another on the same context
 * returns {0}_ERR_BUSY). Each context has its own CUDA stream: runs of
 * several contexts, driven by different threads, may overlap on the GPU
 * (the contexts of one model share its weights on the device, uploaded by
 * the first). Contexts of different
 * models (each library has its own prefix) can live in one program.
 *
 * Results are deterministic: the same input gives the same output.)",
      P);
  t.workspace =
      R"(/* Host scratch memory for one run, in bytes, and its alignment: none, as
 * the intermediate tensors stay in the GPU memory of the context. The
 * run's workspace argument is ignored; pass NULL. */)";
  t.invalid = "/* A NULL pointer, a context of another model or a negative "
              "thread count. */";
  t.noMemory = "/* Host memory for the context ran out. */";
  t.extraStatus = llvm::formatv(
      R"(/* The GPU failed: no CUDA driver or device, the kernels did not load,
 * the device ran out of memory, or a CUDA call failed. */
#define {0}_ERR_GPU 7
)",
      P);
  t.statusMessage = llvm::formatv(
      R"(/* A NUL-terminated English description of `status`. For {0}_ERR_GPU it
 * describes the calling thread's last GPU failure (the CUDA call, CUDA's
 * error name and text), until its next one. */)",
      P);
  t.context = "/* An opaque context: the model loaded on a GPU. */";
  t.create = llvm::formatv(
      R"(/* Loads the model on the GPU and stores the context in *ctx: loads the
 * CUDA driver (once per process), picks the device (the environment
 * variable KILN_GPU_DEVICE, default 0), compiles the kernels for it, and
 * allocates and uploads the weights and the intermediate tensors.
 * `threads` must not be negative and is otherwise unused: the calling
 * thread drives the GPU. Returns {0}_OK, {0}_ERR_INVALID, {0}_ERR_NOMEM
 * or {0}_ERR_GPU; *ctx is NULL on error. */)",
      P);
  t.destroy =
      R"(/* Frees the context's GPU memory and kernels, and the context. NULL is a
 * no-op. Do not call it while a run on the context is in progress. */)";
  t.run = llvm::formatv(
      R"(/* Runs the model: copies {0}_INPUT_SIZE floats from `input` to the GPU,
 * runs its kernels and copies {0}_OUTPUT_SIZE floats back to `output`.
 * The two buffers must not overlap and need no particular alignment;
 * `workspace` is ignored. The call returns when the output is complete.
 * Returns {0}_OK, {0}_ERR_INVALID (nothing was computed), {0}_ERR_BUSY
 * or {0}_ERR_GPU (e.g. a kernel fault; destroy the context then). */)",
      P);
  t.numThreads = "/* 1: the calling thread drives the GPU. */";
  return t;
}

} // namespace

void emitLibraryHeader(const LibraryInterface &interface,
                       StringRef libraryFileName, llvm::raw_ostream &os) {
  std::string p = interface.prefix;
  std::string P = StringRef(p).upper();
  std::string guard = P + "_KILN_H";
  bool gpu = !interface.gpuArch.empty();
  TargetText t = gpu ? describeGPU(interface, P) : describeCPU(interface, P, p);
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
 * Generated from {2} for {3}; do not edit.
 * The code lives in {4}; {5}
 *
 * The model is one function from an input tensor to an output tensor, both
 * float32 arrays you allocate; the sizes are the constants below.{6}
 *
 *     #include "{0}.h"
 *
 *     {0}_context *ctx;
 *     int rc = {0}_create(0, &ctx);          {7}
 *     if (rc != {8}_OK) {{
 *       fprintf(stderr, "%s\n", {0}_status_message(rc));
 *       return 1;
 *     }
 *     static float in[{8}_INPUT_SIZE], out[{8}_OUTPUT_SIZE];
 *     // ... fill `in` ...
 *     rc = {0}_run(ctx, in, out, NULL);      {9}
 *     // ... read `out` ...
 *     {0}_destroy(ctx);
 *
 * {10}
 */

#ifndef {11}
#define {11}

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

)",
      p, interface.modelName, interface.source, t.target, libraryFileName,
      linking, t.contexts, t.createNote, P, t.runNote, t.threads, guard);

  os << "/*===-- Shapes and sizes "
        "-------------------------------------------------===*/\n\n";
  emitTensorConstants(os, P, "input", interface.inputShape);
  emitTensorConstants(os, P, "output", interface.outputShape);
  if (!interface.inputs.empty())
    emitIOTable(os, p, P, "input", "reads", interface.inputs);
  if (!interface.outputs.empty())
    emitIOTable(os, p, P, "output", "writes", interface.outputs);
  os << llvm::formatv(R"({2}
#define {0}_WORKSPACE_BYTES {1}
#define {0}_WORKSPACE_ALIGNMENT 64

)",
                      P, interface.workspaceBytes, t.workspace);

  std::string api = llvm::formatv(
      R"(/*===-- Status codes -------------------------------------------------===*/

/* Every function that can fail returns one of these; {1}_status_message
 * turns one into a sentence. */
#define {0}_OK 0
{11}
#define {0}_ERR_INVALID 3
{12}
#define {0}_ERR_NOMEM 4
/* The context is already running on another thread. */
#define {0}_ERR_BUSY 5
{4}
{5}
const char *{1}_status_message(int status);

/*===-- Running the model --------------------------------------------===*/

{6}
typedef struct {1}_context {1}_context;

{7}
int {1}_create(int threads, {1}_context **ctx);

{8}
void {1}_destroy({1}_context *ctx);

{9}
int {1}_run({1}_context *ctx, const float *input, float *output,
            void *workspace);

{10}
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

/* The model's inputs and outputs one by one: their names in the model,
 * shapes, and offsets in the input or output buffer (0 for a model's only
 * input or output). {1}_input_info(i) is NULL unless 0 <= i <
 * {1}_num_inputs(); likewise for outputs. */
typedef struct {1}_tensor_info {{
  const char *name;
  int64_t rank;
  int64_t shape[8]; /* rank entries used */
  int64_t offset;   /* elements */
} {1}_tensor_info;
int {1}_num_inputs(void);
const {1}_tensor_info *{1}_input_info(int i);
int {1}_num_outputs(void);
const {1}_tensor_info *{1}_output_info(int i);

#ifdef __cplusplus
}
#endif

#endif /* {3} */
)",
      P, p, interface.modelName, guard, t.extraStatus, t.statusMessage,
      t.context, t.create, t.destroy, t.run, t.numThreads, t.invalid,
      t.noMemory);
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
    assert(!gpu && "GPU libraries keep their weights");
    size_t statusEnd = api.find(t.statusMessage);
    api.insert(statusEnd, weights);
    api.insert(api.find("/*===-- Running the model"), load);
  }
  os << api;
}

} // namespace kiln
