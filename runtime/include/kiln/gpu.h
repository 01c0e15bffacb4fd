/*===- kiln/gpu.h - Launch plans of models compiled for NVPTX -------------===*
 *
 * kilnc --target=nvptx emits, next to the kiln_model descriptor, one
 * constant kiln_gpu_plan: the PTX of every kernel, the device buffers
 * (weights with their contents, activations and scratch without), and the
 * ordered kernel launches with their buffer arguments. An executable's
 * kiln_forward calls kiln_gpu_run, a library's API the kiln_gpu_context
 * functions (runtime/lib/cuda.c), which load the CUDA driver with dlopen on
 * first use, so binaries for the CPU never depend on CUDA.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_GPU_H
#define KILN_GPU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A device buffer. `data` (bytes long) is uploaded once when the plan is
 * loaded; NULL for activations and scratch buffers. An activation placed in
 * the workspace by the memory plan is a view: `view_of` is the index of the
 * (earlier) buffer it lies in, at byte `offset`; -1 for a buffer of its
 * own. */
typedef struct kiln_gpu_buffer {
  int64_t bytes;
  const void *data;
  int32_t view_of;
  int64_t offset;
} kiln_gpu_buffer;

/* One kernel launch: kernel_names[kernel] on grid x block threads with the
 * device addresses of buffers args[first_arg .. first_arg + num_args).
 * `flops` (0 when the kernel does no arithmetic worth counting) and `bytes`
 * (the sizes of its argument buffers: what it must at least read or write)
 * turn KILN_GPU_PROFILE's times into rates. */
typedef struct kiln_gpu_launch {
  int32_t kernel;
  uint32_t grid[3];
  uint32_t block[3];
  int32_t num_args;
  int32_t first_arg;
  int64_t flops;
  int64_t bytes;
  const char *layer; /* e.g. "vgg16.nn:12 conv2d+relu", or NULL */
} kiln_gpu_launch;

typedef struct kiln_gpu_plan {
  const char *ptx; /* NUL-terminated PTX module */
  int32_t num_kernels;
  const char *const *kernel_names;
  int32_t num_buffers;
  const kiln_gpu_buffer *buffers;
  int32_t input, output; /* buffer indices of the model's input and output */
  int32_t num_launches;
  const kiln_gpu_launch *launches;
  const int32_t *args;
} kiln_gpu_plan;

/*===-- Contexts: how GPU libraries run a plan ----------------------------===*
 *
 * `kilnc --target=nvptx --emit=lib` wraps a model in the same C API as a
 * CPU library (kiln/context.h), its functions forwarding to these with the
 * model's plan. A context holds everything a run of the plan needs on the
 * device: its activation buffers, stream and CUDA graph of the launches,
 * and a share of the loaded PTX and the weights, which the contexts of
 * one plan on one device have in common (uploaded by the first, freed
 * with the last). Runs copy the input to the
 * device and the output back; they use the device's primary CUDA context
 * and a stream of the context's own, so runs of contexts driven by
 * different threads may overlap on the GPU, and no run waits for other
 * CUDA work of the process. Failures return KILN_ERR_GPU, never exit, and
 * describe themselves in kiln_gpu_status_message. */

typedef struct kiln_gpu_context kiln_gpu_context;

/* Loads the CUDA driver (once per process), picks the device
 * (KILN_GPU_DEVICE, default 0), loads the PTX and uploads the weights
 * unless another context of the plan did, and allocates the activation
 * buffers. `threads` is accepted for the API's sake: the host
 * side runs on the caller's thread. Returns KILN_OK, KILN_ERR_INVALID,
 * KILN_ERR_NOMEM or KILN_ERR_GPU; *out is NULL on error. */
int kiln_gpu_context_create(const kiln_gpu_plan *plan, int threads,
                            kiln_gpu_context **out);

/* Frees the context's device memory, module and graph. NULL is a no-op. */
void kiln_gpu_context_destroy(kiln_gpu_context *context);

/* Runs `plan` (the context's) on `input` (host memory), writing `output`
 * (host memory). `workspace` is ignored: activations stay on the device.
 * Returns KILN_OK, KILN_ERR_INVALID, KILN_ERR_BUSY or KILN_ERR_GPU. */
int kiln_gpu_context_run(kiln_gpu_context *context, const kiln_gpu_plan *plan,
                         const float *input, float *output, void *workspace);

/* 1 (the calling thread drives the GPU), or 0 for NULL. */
int kiln_gpu_context_num_threads(const kiln_gpu_context *context);

/* kiln_status_message, except that KILN_ERR_GPU gets the description of
 * the calling thread's last GPU failure: the driver call, CUDA's error name
 * and text (and the JIT log when the PTX did not load). */
const char *kiln_gpu_status_message(int status);

/*===-- Executables -------------------------------------------------------===*/

/* Exit status of a binary whose GPU cannot run it (no driver, no device, a
 * CUDA error); the message on stderr says which. */
#define KILN_EXIT_GPU 4

/* Runs `plan` on the input (host memory, buffers[input].bytes long) and
 * writes the output to host memory, through one context for the process,
 * which the first call creates; activations stay on the device. On any
 * failure prints "PROG: error: GPU: ..." and exits with KILN_EXIT_GPU. The
 * launches are captured into a CUDA graph (KILN_GPU_GRAPH=0: launched one
 * by one). With KILN_GPU_PROFILE=1 in the environment, every launch is
 * timed and a per-kernel table (time, share, GFLOP/s and GB/s of argument
 * buffers), then the device memory of weights, activations and
 * input/output, is printed to stderr at exit. */
void kiln_gpu_run(const kiln_gpu_plan *plan, const float *input, float *output);

#ifdef __cplusplus
}
#endif

#endif /* KILN_GPU_H */
