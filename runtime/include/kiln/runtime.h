/*===- kiln/runtime.h - Kiln runtime public interface ---------------------===*
 *
 * The one public header of Kiln's runtime: the model descriptor every
 * compiled model object defines, float32 .npy I/O, tensor helpers and timing.
 * Plain C11 so that generated code and the tiny `main` can use it without
 * pulling in C++ or LLVM.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest tensor rank the runtime handles (inputs, outputs, .npy files). */
#define KILN_MAX_RANK 8

/* Alignment, in bytes, of every buffer the runtime allocates. */
#define KILN_ALIGNMENT 64

/*===-- Model descriptor --------------------------------------------------===*/

/* One layer of a compiled model, as the profiler reports it: where it comes
 * from and what it is ("vgg16.nn:12 conv2d+relu+max_pool2d"), and its
 * floating-point operations per inference (a multiply-add counts two). */
typedef struct kiln_layer_desc {
  const char *name;
  int64_t flops;
} kiln_layer_desc;

/* One of a model's inputs or outputs. A model with several outputs (an ONNX
 * graph's outputs) writes them one after another, each dense and row-major,
 * into its one output buffer; the descriptor's output_shape is then their
 * total number of floats, as a rank-1 shape. A model with several inputs
 * reads them the same way from its one input buffer. */
typedef struct kiln_io_desc {
  const char *name; /* the ONNX graph input's or output's name */
  int64_t rank;
  int64_t shape[KILN_MAX_RANK];
  int64_t offset; /* in floats, from the start of the buffer */
} kiln_io_desc;

typedef struct kiln_model_desc {
  const char *name; /* model name from the spec */
  int64_t input_rank;
  int64_t input_shape[KILN_MAX_RANK];
  int64_t output_rank;
  int64_t output_shape[KILN_MAX_RANK];
  /* Bytes of scratch memory one inference needs for its intermediate
   * tensors (the compiler's static memory plan; also the model's peak
   * activation memory). */
  int64_t workspace_bytes;
  /* Runs inference: input and output are dense float32 C-order buffers of
   * the shapes above (several inputs or outputs packed one after another,
   * as `inputs` and `outputs` place them); workspace is workspace_bytes
   * bytes aligned to KILN_ALIGNMENT (NULL when workspace_bytes is 0), owned
   * by the caller and reusable across calls but not shared by concurrent
   * ones. forward never allocates memory. */
  void (*forward)(const float *input, float *output, void *workspace);
  /* The model's layers in execution order (after fusion). */
  int64_t num_layers;
  const kiln_layer_desc *layers;
  /* Where each output lies in the output buffer. A descriptor with
   * num_outputs 0 has one output: output_shape, at offset 0. */
  int64_t num_outputs;
  const kiln_io_desc *outputs;
  /* Where each input lies in the input buffer. A descriptor with
   * num_inputs 0 has one input: input_shape, at offset 0. */
  int64_t num_inputs;
  const kiln_io_desc *inputs;
} kiln_model_desc;

/* Defined by the compiled model object, not by this library. */
extern const kiln_model_desc kiln_model;

/*===-- Status codes ------------------------------------------------------===*/

/* Every fallible function returns one of these; 0 is success. */
enum kiln_status {
  KILN_OK = 0,
  KILN_ERR_IO = 1,      /* the OS refused: open, read, write, rename... */
  KILN_ERR_FORMAT = 2,  /* the file is not a float32 C-order .npy we accept */
  KILN_ERR_INVALID = 3, /* bad arguments from the caller */
  KILN_ERR_NOMEM = 4,   /* allocation failed */
};

/*===-- Tensors -----------------------------------------------------------===*/

/* A dense float32 C-order tensor. `data` is KILN_ALIGNMENT-aligned and owned
 * by the tensor; release it with kiln_tensor_free. Rank 0 is a scalar (one
 * element). */
typedef struct kiln_tensor {
  int64_t rank;
  int64_t shape[KILN_MAX_RANK];
  float *data;
} kiln_tensor;

/* Frees t->data and resets *t to an empty rank-0 tensor. Safe on a tensor
 * that a failed kiln_npy_read left behind, and on NULL. */
void kiln_tensor_free(kiln_tensor *t);

/* Stores the element count of `shape` in *numel. Returns 0, or -1 if rank is
 * outside [0, KILN_MAX_RANK], a dimension is negative, or the count overflows
 * int64_t. A shape with a zero dimension has 0 elements. */
int kiln_shape_numel(const int64_t *shape, int64_t rank, int64_t *numel);

/* Formats a shape as "1x3x32x32" ("()" for rank 0) into buf, truncating to
 * buflen; returns buf. */
char *kiln_shape_format(const int64_t *shape, int64_t rank, char *buf,
                        size_t buflen);

/* Allocates `bytes` (at least 1) with KILN_ALIGNMENT alignment; the size is
 * rounded up to a multiple of the alignment. Release with free(). Returns NULL
 * on failure. */
void *kiln_alloc_aligned(size_t bytes);

/*===-- .npy files --------------------------------------------------------===*/

/* Reads a '<f4' (float32 little-endian), C-order .npy file of format version
 * 1.0, 2.0 or 3.0 and rank 0..KILN_MAX_RANK into *out.
 *
 * Returns KILN_OK, or an error code with a one-line message starting with
 * "PATH: " written to err (if err is non-NULL; truncated to errlen). On error,
 * *out is an empty tensor (data NULL). Bytes after the array data are ignored,
 * as numpy.load does. */
int kiln_npy_read(const char *path, kiln_tensor *out, char *err, size_t errlen);

/* Writes `data` (numel(shape) floats, C order) to `path` as a version 1.0
 * '<f4' .npy file. The write is atomic: the bytes go to a temporary file in
 * the same directory that is then rename()d over `path`, so readers see
 * either the old file or the complete new one; the temporary file is removed
 * on failure. Errors are reported like kiln_npy_read. */
int kiln_npy_write(const char *path, const int64_t *shape, int64_t rank,
                   const float *data, char *err, size_t errlen);

/*===-- Threads ----------------------------------------------------------===*/

/* Sets how many threads (the caller included) run a model's parallel
 * kernels; 0 means one per online CPU, the default. Must be called before
 * the first inference: returns 0, or -1 once the pool has started. */
int kiln_set_num_threads(int threads);

/* The number of threads parallel kernels use (starts the pool). */
int kiln_num_threads(void);

/* Keeps the pool's threads spinning between parallel kernels (hold != 0)
 * until the matching kiln_hold_threads(0): wrap each forward() call in the
 * pair so that no kernel waits for a sleeping thread to wake up (see
 * kiln_team_hold). A no-op before the pool has started; pairs do not
 * nest. */
void kiln_hold_threads(int hold);

/*===-- Per-layer profile ------------------------------------------------===*/

/* Compiled models call kiln_profile_layer(i) as their layer i starts and
 * kiln_profile_layer(-1) as forward returns. Between kiln_profile_begin and
 * kiln_profile_end, the calling thread's wall time is added, per layer, to
 * seconds[0..num_layers); outside, the calls return at once. Not for use
 * by several threads at a time. */
void kiln_profile_layer(int64_t layer);
void kiln_profile_begin(double *seconds, int64_t num_layers);
void kiln_profile_end(void);

/*===-- Timing ------------------------------------------------------------===*/

/* Seconds from an arbitrary fixed point on CLOCK_MONOTONIC; use differences. */
double kiln_now_seconds(void);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_H */
