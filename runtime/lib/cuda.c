/*===- cuda.c - Run a kiln_gpu_plan through the CUDA driver API -----------===*
 *
 * The driver is opened with dlopen("libcuda.so.1") on the first call, so
 * that only binaries compiled for NVPTX ever touch it, and a machine
 * without it gets a message instead of a loader error. The driver API's
 * types come from cuda_abi.h, so the runtime builds without the CUDA
 * toolkit.
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* program_invocation_short_name */
#endif

#include "kiln/gpu.h"

#include "cuda_abi.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The driver entry points Kiln uses, by their exported (versioned) names. */
#define KILN_CUDA_FUNCTIONS(X)                                                 \
  X(cuInit, "cuInit", CUresult, (unsigned))                                    \
  X(cuDeviceGetCount, "cuDeviceGetCount", CUresult, (int *))                   \
  X(cuDeviceGet, "cuDeviceGet", CUresult, (CUdevice *, int))                   \
  X(cuDeviceGetName, "cuDeviceGetName", CUresult, (char *, int, CUdevice))     \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult,            \
    (CUcontext *, CUdevice))                                                   \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", CUresult, (CUcontext))                 \
  X(cuCtxSynchronize, "cuCtxSynchronize", CUresult, (void))                    \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx", CUresult,                        \
    (CUmodule *, const void *, unsigned, int *, void **))                      \
  X(cuModuleGetFunction, "cuModuleGetFunction", CUresult,                      \
    (CUfunction *, CUmodule, const char *))                                    \
  X(cuMemAlloc, "cuMemAlloc_v2", CUresult, (CUdeviceptr *, size_t))            \
  X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", CUresult,                                 \
    (CUdeviceptr, const void *, size_t))                                       \
  X(cuMemcpyDtoH, "cuMemcpyDtoH_v2", CUresult, (void *, CUdeviceptr, size_t))  \
  X(cuLaunchKernel, "cuLaunchKernel", CUresult,                                \
    (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,   \
     unsigned, CUstream, void **, void **))                                    \
  X(cuEventCreate, "cuEventCreate", CUresult, (CUevent *, unsigned))           \
  X(cuEventRecord, "cuEventRecord", CUresult, (CUevent, CUstream))             \
  X(cuEventSynchronize, "cuEventSynchronize", CUresult, (CUevent))             \
  X(cuEventElapsedTime, "cuEventElapsedTime", CUresult,                        \
    (float *, CUevent, CUevent))                                               \
  X(cuGetErrorName, "cuGetErrorName", CUresult, (CUresult, const char **))     \
  X(cuGetErrorString, "cuGetErrorString", CUresult, (CUresult, const char **))

/* CUDA graphs (driver 11.4 and newer): optional; without them, or if
 * capturing the launches fails, every run launches its kernels one by one. */
#define KILN_CUDA_GRAPH_FUNCTIONS(X)                                           \
  X(cuStreamCreate, "cuStreamCreate", CUresult, (CUstream *, unsigned))        \
  X(cuStreamBeginCapture, "cuStreamBeginCapture_v2", CUresult,                 \
    (CUstream, int))                                                           \
  X(cuStreamEndCapture, "cuStreamEndCapture", CUresult, (CUstream, CUgraph *)) \
  X(cuGraphInstantiate, "cuGraphInstantiateWithFlags", CUresult,               \
    (CUgraphExec *, CUgraph, unsigned long long))                              \
  X(cuGraphLaunch, "cuGraphLaunch", CUresult, (CUgraphExec, CUstream))

#define KILN_DECLARE(name, symbol, ret, params) ret(*name) params;
static struct {
  KILN_CUDA_FUNCTIONS(KILN_DECLARE)
  KILN_CUDA_GRAPH_FUNCTIONS(KILN_DECLARE)
} cu;
#undef KILN_DECLARE

/* What the first kiln_gpu_run set up for its plan. */
static struct {
  const kiln_gpu_plan *plan;
  CUdeviceptr *buffers;
  CUfunction *functions;
  /* The launches captured as one CUDA graph, when the driver has graphs
   * and the run is not profiled (KILN_GPU_GRAPH=0 turns them off). */
  CUgraphExec graph;
  /* KILN_GPU_PROFILE: per-launch events and accumulated milliseconds. */
  CUevent *events;
  double *launch_ms;
  long runs;
} state;

static void fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: error: GPU: ", program_invocation_short_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(KILN_EXIT_GPU);
}

/* Exits with the driver's name and description of `rc` unless it is 0. */
static void check(CUresult rc, const char *what) {
  if (rc == CUDA_SUCCESS)
    return;
  const char *name = NULL, *text = NULL;
  if (cu.cuGetErrorName)
    cu.cuGetErrorName(rc, &name);
  if (cu.cuGetErrorString)
    cu.cuGetErrorString(rc, &text);
  if (rc == 34 && !name) /* CUDA_ERROR_STUB_LIBRARY */
    name = "CUDA_ERROR_STUB_LIBRARY";
  fatal("%s failed: %s (%d)%s%s%s", what, name ? name : "unknown error", rc,
        text ? ": " : "", text ? text : "",
        rc == 34 || rc == 100 ? "; this machine has no usable NVIDIA GPU" : "");
}

static void load_driver(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    fatal("cannot load the CUDA driver (libcuda.so.1): %s; this binary was "
          "compiled with --target=nvptx and needs an NVIDIA GPU and driver",
          dlerror());
#define KILN_LOAD(name, symbol, ret, params)                                   \
  *(void **)(&cu.name) = dlsym(lib, symbol);                                   \
  if (!cu.name)                                                                \
    fatal("the CUDA driver has no '%s'", symbol);
  KILN_CUDA_FUNCTIONS(KILN_LOAD)
#undef KILN_LOAD
#define KILN_LOAD_OPTIONAL(name, symbol, ret, params)                          \
  *(void **)(&cu.name) = dlsym(lib, symbol);
  KILN_CUDA_GRAPH_FUNCTIONS(KILN_LOAD_OPTIONAL)
#undef KILN_LOAD_OPTIONAL
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p)
    fatal("out of memory");
  return p;
}

static void print_profile(void) {
  const kiln_gpu_plan *plan = state.plan;
  if (!plan || !state.runs)
    return;
  double total = 0;
  for (int32_t i = 0; i < plan->num_launches; ++i)
    total += state.launch_ms[i];
  fprintf(stderr, "kiln gpu profile: %ld runs, %.3f ms of kernels per run\n",
          state.runs, total / state.runs);
  fprintf(stderr, "  %-24s %-36s %-14s %5s %9s %6s %9s %9s\n", "kernel",
          "layer", "grid", "block", "ms", "share", "GFLOP/s", "GB/s");
  for (int32_t i = 0; i < plan->num_launches; ++i) {
    const kiln_gpu_launch *l = &plan->launches[i];
    double ms = state.launch_ms[i] / state.runs;
    char grid[32];
    snprintf(grid, sizeof grid, "%ux%ux%u", l->grid[0], l->grid[1], l->grid[2]);
    /* bytes / (ms * 1e6) is GB/s; flops / (ms * 1e6) GFLOP/s. */
    double rate = ms > 0 ? 1.0 / (ms * 1e6) : 0.0;
    fprintf(stderr, "  %-24s %-36s %-14s %5u %9.4f %5.1f%% ",
            plan->kernel_names[l->kernel], l->layer ? l->layer : "-", grid,
            l->block[0], ms,
            total > 0 ? 100 * state.launch_ms[i] / total : 0.0);
    if (l->flops > 0)
      fprintf(stderr, "%9.0f", (double)l->flops * rate);
    else
      fprintf(stderr, "%9s", "-");
    fprintf(stderr, " %9.1f\n", (double)l->bytes * rate);
  }
  /* What the model holds on the device: views take no memory of their own. */
  int64_t weights = 0, activations = 0, io = 0;
  for (int32_t i = 0; i < plan->num_buffers; ++i) {
    const kiln_gpu_buffer *b = &plan->buffers[i];
    if (b->view_of >= 0)
      continue;
    if (b->data)
      weights += b->bytes;
    else if (i == plan->input || i == plan->output)
      io += b->bytes;
    else
      activations += b->bytes;
  }
  fprintf(stderr,
          "  device memory: %.3f MB of weights, %.3f MB of activations and "
          "scratch, %.3f MB of input and output\n",
          weights / 1e6, activations / 1e6, io / 1e6);
}

/* Launches plan->launches[i] on `stream`. */
static CUresult launch(const kiln_gpu_plan *plan, int32_t i, CUstream stream) {
  const kiln_gpu_launch *l = &plan->launches[i];
  enum { kMaxArgs = 16 };
  void *params[kMaxArgs];
  if (l->num_args > kMaxArgs)
    fatal("kernel '%s' has too many arguments", plan->kernel_names[l->kernel]);
  for (int32_t a = 0; a < l->num_args; ++a)
    params[a] = &state.buffers[plan->args[l->first_arg + a]];
  return cu.cuLaunchKernel(state.functions[l->kernel], l->grid[0], l->grid[1],
                           l->grid[2], l->block[0], l->block[1], l->block[2], 0,
                           stream, params, NULL);
}

/* Captures every launch into one CUDA graph, launched with one call per run
 * (the driver then sets up the kernels back to back instead of one call
 * each). Any failure leaves state.graph NULL: the runs launch the kernels
 * one by one and report errors there. */
static void capture_graph(const kiln_gpu_plan *plan) {
  const char *env = getenv("KILN_GPU_GRAPH");
  if ((env && !strcmp(env, "0")) || !cu.cuStreamCreate ||
      !cu.cuStreamBeginCapture || !cu.cuStreamEndCapture ||
      !cu.cuGraphInstantiate || !cu.cuGraphLaunch)
    return;
  CUstream stream;
  /* A non-blocking stream: captured work must not wait on the legacy
   * stream. The graph itself runs on the legacy stream, after the input's
   * copy and before the output's. */
  if (cu.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING) != CUDA_SUCCESS ||
      cu.cuStreamBeginCapture(stream, CU_STREAM_CAPTURE_MODE_RELAXED) !=
          CUDA_SUCCESS)
    return;
  CUresult rc = CUDA_SUCCESS;
  for (int32_t i = 0; i < plan->num_launches && rc == CUDA_SUCCESS; ++i)
    rc = launch(plan, i, stream);
  CUgraph graph = NULL;
  CUresult ended = cu.cuStreamEndCapture(stream, &graph);
  CUgraphExec exec = NULL;
  if (rc == CUDA_SUCCESS && ended == CUDA_SUCCESS && graph &&
      cu.cuGraphInstantiate(&exec, graph, 0) == CUDA_SUCCESS)
    state.graph = exec;
}

static void setup(const kiln_gpu_plan *plan) {
  load_driver();
  check(cu.cuInit(0), "cuInit");
  int count = 0;
  check(cu.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count < 1)
    fatal("no CUDA device found");
  int ordinal = 0;
  const char *env = getenv("KILN_GPU_DEVICE");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end || v < 0 || v >= count)
      fatal("KILN_GPU_DEVICE=%s is not a device number below %d", env, count);
    ordinal = (int)v;
  }
  CUdevice device;
  check(cu.cuDeviceGet(&device, ordinal), "cuDeviceGet");
  CUcontext context;
  check(cu.cuDevicePrimaryCtxRetain(&context, device),
        "cuDevicePrimaryCtxRetain");
  check(cu.cuCtxSetCurrent(context), "cuCtxSetCurrent");

  /* The driver JIT-compiles the PTX for this device; keep its log. */
  static char log[8192];
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(size_t)sizeof log};
  CUmodule module;
  CUresult rc = cu.cuModuleLoadDataEx(&module, plan->ptx, 2, options, values);
  if (rc != CUDA_SUCCESS) {
    fprintf(stderr, "%s: PTX JIT log: %s\n", program_invocation_short_name,
            log);
    check(rc, "loading the PTX (cuModuleLoadDataEx)");
  }
  state.functions = xcalloc((size_t)plan->num_kernels, sizeof(CUfunction));
  for (int32_t i = 0; i < plan->num_kernels; ++i) {
    rc = cu.cuModuleGetFunction(&state.functions[i], module,
                                plan->kernel_names[i]);
    if (rc != CUDA_SUCCESS) {
      fprintf(stderr, "%s: kernel '%s'\n", program_invocation_short_name,
              plan->kernel_names[i]);
      check(rc, "cuModuleGetFunction");
    }
  }

  /* Every buffer once; the weights uploaded now and never again. A view
   * (an activation placed in the workspace) is an address inside the
   * buffer it views, which comes before it. */
  state.buffers = xcalloc((size_t)plan->num_buffers, sizeof(CUdeviceptr));
  for (int32_t i = 0; i < plan->num_buffers; ++i) {
    const kiln_gpu_buffer *b = &plan->buffers[i];
    if (b->view_of >= 0) {
      const kiln_gpu_buffer *base =
          b->view_of < i ? &plan->buffers[b->view_of] : NULL;
      if (!base || base->view_of >= 0 || b->offset < 0 ||
          b->bytes > base->bytes || b->offset > base->bytes - b->bytes)
        fatal("the plan's buffer %d is not inside the buffer it views", i);
      state.buffers[i] = state.buffers[b->view_of] + (CUdeviceptr)b->offset;
      continue;
    }
    check(cu.cuMemAlloc(&state.buffers[i], (size_t)(b->bytes ? b->bytes : 4)),
          "cuMemAlloc");
    if (b->data)
      check(cu.cuMemcpyHtoD(state.buffers[i], b->data, (size_t)b->bytes),
            "uploading weights (cuMemcpyHtoD)");
  }

  env = getenv("KILN_GPU_PROFILE");
  if (env && *env && strcmp(env, "0")) {
    state.events = xcalloc((size_t)plan->num_launches + 1, sizeof(CUevent));
    state.launch_ms = xcalloc((size_t)plan->num_launches, sizeof(double));
    for (int32_t i = 0; i <= plan->num_launches; ++i)
      check(cu.cuEventCreate(&state.events[i], 0), "cuEventCreate");
    atexit(print_profile);
  } else {
    capture_graph(plan);
  }
  state.plan = plan;
}

void kiln_gpu_run(const kiln_gpu_plan *plan, const float *input,
                  float *output) {
  if (state.plan != plan) {
    if (state.plan)
      fatal("one process runs one GPU model");
    setup(plan);
  }
  check(cu.cuMemcpyHtoD(state.buffers[plan->input], input,
                        (size_t)plan->buffers[plan->input].bytes),
        "copying the input to the device (cuMemcpyHtoD)");
  if (state.graph) {
    check(cu.cuGraphLaunch(state.graph, NULL), "cuGraphLaunch");
  } else {
    if (state.events)
      check(cu.cuEventRecord(state.events[0], NULL), "cuEventRecord");
    for (int32_t i = 0; i < plan->num_launches; ++i) {
      CUresult rc = launch(plan, i, NULL);
      if (rc != CUDA_SUCCESS) {
        fprintf(stderr, "%s: launching kernel '%s'\n",
                program_invocation_short_name,
                plan->kernel_names[plan->launches[i].kernel]);
        check(rc, "cuLaunchKernel");
      }
      if (state.events)
        check(cu.cuEventRecord(state.events[i + 1], NULL), "cuEventRecord");
    }
  }
  /* Synchronous copy: also reports errors of the kernels themselves. */
  check(cu.cuMemcpyDtoH(output, state.buffers[plan->output],
                        (size_t)plan->buffers[plan->output].bytes),
        "running the kernels and copying the output back (cuMemcpyDtoH)");
  if (state.events) {
    check(cu.cuEventSynchronize(state.events[plan->num_launches]),
          "cuEventSynchronize");
    for (int32_t i = 0; i < plan->num_launches; ++i) {
      float ms = 0;
      check(cu.cuEventElapsedTime(&ms, state.events[i], state.events[i + 1]),
            "cuEventElapsedTime");
      state.launch_ms[i] += ms;
    }
    ++state.runs;
  }
}
