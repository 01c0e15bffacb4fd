/*===- kiln/gpu.h - Launch plans of models compiled for NVPTX -------------===*
 *
 * kilnc --target=nvptx emits, next to the kiln_model descriptor, one
 * constant kiln_gpu_plan: the PTX of every kernel, the device buffers
 * (weights with their contents, activations and scratch without), and the
 * ordered kernel launches with their buffer arguments. Its kiln_forward
 * calls kiln_gpu_run (runtime/lib/cuda.c), which loads the CUDA driver with
 * dlopen on first use, so binaries for the CPU never depend on CUDA.
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

/* Exit status of a binary whose GPU cannot run it (no driver, no device, a
 * CUDA error); the message on stderr says which. */
#define KILN_EXIT_GPU 4

/* Runs `plan` on the input (host memory, buffers[input].bytes long) and
 * writes the output to host memory. The first call initialises CUDA, loads
 * the PTX, uploads the weights and captures the launches into a CUDA graph
 * (KILN_GPU_GRAPH=0: launch them one by one); activations stay on the
 * device. On any failure prints "PROG: error: GPU: ..." and exits with
 * KILN_EXIT_GPU. With KILN_GPU_PROFILE=1 in the environment, every launch
 * is timed and a per-kernel table (time, share, GFLOP/s and GB/s of
 * argument buffers), then the device memory of weights, activations and
 * input/output, is printed to stderr at exit. */
void kiln_gpu_run(const kiln_gpu_plan *plan, const float *input, float *output);

#ifdef __cplusplus
}
#endif

#endif /* KILN_GPU_H */
