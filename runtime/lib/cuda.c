/*===- cuda.c - Run a kiln_gpu_plan through the CUDA driver API -----------===*
 *
 * The driver is opened with dlopen("libcuda.so.1") on first use, so that
 * only models compiled for NVPTX ever touch it, and a machine without it
 * gets a message instead of a loader error. The driver API's types come
 * from cuda_abi.h, so the runtime builds without the CUDA toolkit.
 *
 * Everything a plan needs on the device (its module, buffers and CUDA
 * graph) belongs to a kiln_gpu_context. Libraries (kilnc --emit=lib with
 * --target=nvptx) create contexts and get status codes back; executables
 * call kiln_gpu_run, which keeps one context for the process and exits
 * with a message on any failure. Failures describe themselves in a
 * per-thread message (kiln_gpu_status_message).
 *
 *===----------------------------------------------------------------------===*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* program_invocation_short_name */
#endif

#include "kiln/gpu.h"

#include "kiln/context.h"

#include "cuda_abi.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
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
  X(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", CUresult,       \
    (CUdevice))                                                                \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", CUresult, (CUcontext))                 \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx", CUresult,                        \
    (CUmodule *, const void *, unsigned, int *, void **))                      \
  X(cuModuleUnload, "cuModuleUnload", CUresult, (CUmodule))                    \
  X(cuModuleGetFunction, "cuModuleGetFunction", CUresult,                      \
    (CUfunction *, CUmodule, const char *))                                    \
  X(cuMemAlloc, "cuMemAlloc_v2", CUresult, (CUdeviceptr *, size_t))            \
  X(cuMemFree, "cuMemFree_v2", CUresult, (CUdeviceptr))                        \
  X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", CUresult,                                 \
    (CUdeviceptr, const void *, size_t))                                       \
  X(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", CUresult,                       \
    (CUdeviceptr, const void *, size_t, CUstream))                             \
  X(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", CUresult,                       \
    (void *, CUdeviceptr, size_t, CUstream))                                   \
  X(cuStreamCreate, "cuStreamCreate", CUresult, (CUstream *, unsigned))        \
  X(cuStreamDestroy, "cuStreamDestroy_v2", CUresult, (CUstream))               \
  X(cuStreamSynchronize, "cuStreamSynchronize", CUresult, (CUstream))          \
  X(cuLaunchKernel, "cuLaunchKernel", CUresult,                                \
    (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,   \
     unsigned, CUstream, void **, void **))                                    \
  X(cuEventCreate, "cuEventCreate", CUresult, (CUevent *, unsigned))           \
  X(cuEventDestroy, "cuEventDestroy_v2", CUresult, (CUevent))                  \
  X(cuEventRecord, "cuEventRecord", CUresult, (CUevent, CUstream))             \
  X(cuEventSynchronize, "cuEventSynchronize", CUresult, (CUevent))             \
  X(cuEventElapsedTime, "cuEventElapsedTime", CUresult,                        \
    (float *, CUevent, CUevent))                                               \
  X(cuGetErrorName, "cuGetErrorName", CUresult, (CUresult, const char **))     \
  X(cuGetErrorString, "cuGetErrorString", CUresult, (CUresult, const char **))

/* CUDA graphs (driver 11.4 and newer): optional; without them, or if
 * capturing the launches fails, every run launches its kernels one by one. */
#define KILN_CUDA_GRAPH_FUNCTIONS(X)                                           \
  X(cuStreamBeginCapture, "cuStreamBeginCapture_v2", CUresult,                 \
    (CUstream, int))                                                           \
  X(cuStreamEndCapture, "cuStreamEndCapture", CUresult, (CUstream, CUgraph *)) \
  X(cuGraphInstantiate, "cuGraphInstantiateWithFlags", CUresult,               \
    (CUgraphExec *, CUgraph, unsigned long long))                              \
  X(cuGraphLaunch, "cuGraphLaunch", CUresult, (CUgraphExec, CUstream))         \
  X(cuGraphExecDestroy, "cuGraphExecDestroy", CUresult, (CUgraphExec))         \
  X(cuGraphDestroy, "cuGraphDestroy", CUresult, (CUgraph))

#define KILN_DECLARE(name, symbol, ret, params) ret(*name) params;
static struct {
  KILN_CUDA_FUNCTIONS(KILN_DECLARE)
  KILN_CUDA_GRAPH_FUNCTIONS(KILN_DECLARE)
} cu;
#undef KILN_DECLARE

/* What the contexts of one plan on one device share: the loaded PTX and the
 * uploaded weights. Runs only read them, so contexts of one model driven by
 * several threads need one copy on the device (VGG-16's weights are 553 MB).
 * Created with the first such context, freed with the last. */
typedef struct model {
  const kiln_gpu_plan *plan;
  CUdevice device;
  int users;
  CUmodule module;
  CUfunction *functions; /* per kernel of the plan */
  CUdeviceptr *weights;  /* per buffer of the plan; 0 but for weights */
  struct model *next;
} model;

static pthread_mutex_t models_lock = PTHREAD_MUTEX_INITIALIZER;
static model *models; /* guarded by models_lock */

struct kiln_gpu_context {
  const kiln_gpu_plan *plan;
  CUdevice device;
  CUcontext cuda; /* the device's primary context, retained */
  model *model;
  /* Per buffer: the model's weights, the context's own activations. */
  CUdeviceptr *buffers;
  /* The context's own stream: its runs wait for nothing but their own work
   * (not for other contexts' runs, nor for other CUDA work of the process
   * on the legacy stream), so contexts used by different threads overlap. */
  CUstream stream;
  /* The launches captured as one CUDA graph, when the driver has graphs
   * and the context is not profiled (KILN_GPU_GRAPH=0 turns them off). */
  CUgraph graph;
  CUgraphExec graph_exec;
  /* Profiled contexts (KILN_GPU_PROFILE, executables only): per-launch
   * events and accumulated milliseconds. */
  CUevent *events;
  double *launch_ms;
  long runs;
  atomic_flag busy;
};

/*===-- Errors ------------------------------------------------------------===*/

/* The description of this thread's last KILN_ERR_GPU. */
static _Thread_local char last_error[1024];

/* Sets this thread's message and returns KILN_ERR_GPU. */
static int gpu_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return KILN_ERR_GPU;
}

/* KILN_OK for CUDA_SUCCESS; otherwise KILN_ERR_GPU with a message naming
 * `what`, the driver's name and description of `rc`, and `detail`. */
static int checked(CUresult rc, const char *what, const char *detail) {
  if (rc == CUDA_SUCCESS)
    return KILN_OK;
  const char *name = NULL, *text = NULL;
  if (cu.cuGetErrorName)
    cu.cuGetErrorName(rc, &name);
  if (cu.cuGetErrorString)
    cu.cuGetErrorString(rc, &text);
  if (rc == 34 && !name) /* CUDA_ERROR_STUB_LIBRARY */
    name = "CUDA_ERROR_STUB_LIBRARY";
  return gpu_error(
      "%s failed: %s (%d)%s%s%s%s", what, name ? name : "unknown error", rc,
      text ? ": " : "", text ? text : "",
      rc == 34 || rc == 100 ? "; this machine has no usable NVIDIA GPU" : "",
      detail ? detail : "");
}

/* Returns from the enclosing function with the status unless it is OK. */
#define KILN_TRY(expr)                                                         \
  do {                                                                         \
    int kiln_status_ = (expr);                                                 \
    if (kiln_status_ != KILN_OK)                                               \
      return kiln_status_;                                                     \
  } while (0)

const char *kiln_gpu_status_message(int status) {
  if (status == KILN_ERR_GPU && last_error[0])
    return last_error;
  return kiln_status_message(status);
}

/*===-- The driver --------------------------------------------------------===*/

static pthread_once_t driver_once = PTHREAD_ONCE_INIT;
/* Why the driver could not be loaded (empty when it was). */
static char driver_error[512];

static void load_driver(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(driver_error, sizeof driver_error,
             "cannot load the CUDA driver (libcuda.so.1): %s; this model was "
             "compiled with --target=nvptx and needs an NVIDIA GPU and driver",
             dlerror());
    return;
  }
#define KILN_LOAD(name, symbol, ret, params)                                   \
  *(void **)(&cu.name) = dlsym(lib, symbol);                                   \
  if (!cu.name && !driver_error[0])                                            \
    snprintf(driver_error, sizeof driver_error, "the CUDA driver has no '%s'", \
             symbol);
  KILN_CUDA_FUNCTIONS(KILN_LOAD)
#undef KILN_LOAD
#define KILN_LOAD_OPTIONAL(name, symbol, ret, params)                          \
  *(void **)(&cu.name) = dlsym(lib, symbol);
  KILN_CUDA_GRAPH_FUNCTIONS(KILN_LOAD_OPTIONAL)
#undef KILN_LOAD_OPTIONAL
}

/* Loads the driver once per process and initialises it. */
static int open_driver(void) {
  pthread_once(&driver_once, load_driver);
  if (driver_error[0])
    return gpu_error("%s", driver_error);
  return checked(cu.cuInit(0), "cuInit", NULL);
}

/*===-- Contexts ----------------------------------------------------------===*/

/* The device KILN_GPU_DEVICE names (default 0). */
static int choose_device(CUdevice *device) {
  int count = 0;
  KILN_TRY(checked(cu.cuDeviceGetCount(&count), "cuDeviceGetCount", NULL));
  if (count < 1)
    return gpu_error("no CUDA device found");
  int ordinal = 0;
  const char *env = getenv("KILN_GPU_DEVICE");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end || v < 0 || v >= count)
      return gpu_error("KILN_GPU_DEVICE=%s is not a device number below %d",
                       env, count);
    ordinal = (int)v;
  }
  return checked(cu.cuDeviceGet(device, ordinal), "cuDeviceGet", NULL);
}

/* The driver JIT-compiles the PTX for the device; its log goes into the
 * message when that fails. */
static int load_module(model *m) {
  char log[4096] = "";
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(size_t)sizeof log};
  CUresult rc =
      cu.cuModuleLoadDataEx(&m->module, m->plan->ptx, 2, options, values);
  if (rc != CUDA_SUCCESS) {
    m->module = NULL;
    char detail[sizeof log + 16];
    snprintf(detail, sizeof detail, "; JIT log: %s", log[0] ? log : "(empty)");
    return checked(rc, "loading the PTX (cuModuleLoadDataEx)", detail);
  }
  const kiln_gpu_plan *plan = m->plan;
  for (int32_t i = 0; i < plan->num_kernels; ++i) {
    rc = cu.cuModuleGetFunction(&m->functions[i], m->module,
                                plan->kernel_names[i]);
    if (rc != CUDA_SUCCESS) {
      char what[160];
      snprintf(what, sizeof what, "cuModuleGetFunction of kernel '%s'",
               plan->kernel_names[i]);
      return checked(rc, what, NULL);
    }
  }
  return KILN_OK;
}

/* The weights, uploaded once for every context of the model. */
static int upload_weights(model *m) {
  const kiln_gpu_plan *plan = m->plan;
  for (int32_t i = 0; i < plan->num_buffers; ++i) {
    const kiln_gpu_buffer *b = &plan->buffers[i];
    if (!b->data || b->view_of >= 0)
      continue;
    KILN_TRY(checked(
        cu.cuMemAlloc(&m->weights[i], (size_t)(b->bytes ? b->bytes : 4)),
        "cuMemAlloc", NULL));
    KILN_TRY(checked(cu.cuMemcpyHtoD(m->weights[i], b->data, (size_t)b->bytes),
                     "uploading weights (cuMemcpyHtoD)", NULL));
  }
  return KILN_OK;
}

static void free_model(model *m) {
  for (int32_t i = 0; m->weights && i < m->plan->num_buffers; ++i)
    if (m->weights[i])
      cu.cuMemFree(m->weights[i]);
  if (m->module)
    cu.cuModuleUnload(m->module);
  free(m->weights);
  free(m->functions);
  free(m);
}

/* The model of `plan` on `device`, loaded by its first user. The device's
 * primary context must be current. */
static int acquire_model(const kiln_gpu_plan *plan, CUdevice device,
                         model **out) {
  pthread_mutex_lock(&models_lock);
  model *m = models;
  while (m && (m->plan != plan || m->device != device))
    m = m->next;
  int rc = KILN_OK;
  if (m) {
    ++m->users;
  } else if (!(m = calloc(1, sizeof *m))) {
    rc = KILN_ERR_NOMEM;
  } else {
    m->plan = plan;
    m->device = device;
    m->users = 1;
    m->functions = calloc((size_t)plan->num_kernels + 1, sizeof(CUfunction));
    m->weights = calloc((size_t)plan->num_buffers + 1, sizeof(CUdeviceptr));
    rc = !m->functions || !m->weights ? KILN_ERR_NOMEM : load_module(m);
    if (rc == KILN_OK)
      rc = upload_weights(m);
    if (rc == KILN_OK) {
      m->next = models;
      models = m;
    } else {
      free_model(m);
      m = NULL;
    }
  }
  pthread_mutex_unlock(&models_lock);
  *out = m;
  return rc;
}

/* Frees the model with its last user (its primary context current). */
static void release_model(model *m) {
  pthread_mutex_lock(&models_lock);
  if (--m->users == 0) {
    model **link = &models;
    while (*link != m)
      link = &(*link)->next;
    *link = m->next;
    free_model(m);
  }
  pthread_mutex_unlock(&models_lock);
}

/* The context's activation and scratch buffers (the weights are the
 * model's). A view (an activation placed in the workspace) is an address
 * inside the buffer it views, which comes before it. */
static int allocate_buffers(kiln_gpu_context *ctx) {
  const kiln_gpu_plan *plan = ctx->plan;
  for (int32_t i = 0; i < plan->num_buffers; ++i) {
    const kiln_gpu_buffer *b = &plan->buffers[i];
    if (b->view_of >= 0) {
      const kiln_gpu_buffer *base =
          b->view_of < i ? &plan->buffers[b->view_of] : NULL;
      if (!base || base->view_of >= 0 || b->offset < 0 ||
          b->bytes > base->bytes || b->offset > base->bytes - b->bytes)
        return gpu_error("the plan's buffer %d is not inside the buffer it "
                         "views",
                         i);
      ctx->buffers[i] = ctx->buffers[b->view_of] + (CUdeviceptr)b->offset;
    } else if (b->data) {
      ctx->buffers[i] = ctx->model->weights[i];
    } else {
      KILN_TRY(checked(
          cu.cuMemAlloc(&ctx->buffers[i], (size_t)(b->bytes ? b->bytes : 4)),
          "cuMemAlloc", NULL));
    }
  }
  return KILN_OK;
}

/* Launches plan->launches[i] on `stream`. */
static CUresult launch(kiln_gpu_context *ctx, int32_t i, CUstream stream) {
  const kiln_gpu_plan *plan = ctx->plan;
  const kiln_gpu_launch *l = &plan->launches[i];
  enum { kMaxArgs = 16 };
  void *params[kMaxArgs];
  if (l->num_args > kMaxArgs)
    return 1; /* CUDA_ERROR_INVALID_VALUE; kilnc never emits such a plan */
  for (int32_t a = 0; a < l->num_args; ++a)
    params[a] = &ctx->buffers[plan->args[l->first_arg + a]];
  return cu.cuLaunchKernel(ctx->model->functions[l->kernel], l->grid[0],
                           l->grid[1], l->grid[2], l->block[0], l->block[1],
                           l->block[2], 0, stream, params, NULL);
}

/* Captures every launch into one CUDA graph, launched with one call per run
 * (the driver then sets up the kernels back to back instead of one call
 * each). Any failure leaves no graph: the runs launch the kernels one by
 * one and report errors there. */
static void capture_graph(kiln_gpu_context *ctx) {
  const char *env = getenv("KILN_GPU_GRAPH");
  if ((env && !strcmp(env, "0")) || !cu.cuStreamBeginCapture ||
      !cu.cuStreamEndCapture || !cu.cuGraphInstantiate || !cu.cuGraphLaunch ||
      !cu.cuGraphExecDestroy || !cu.cuGraphDestroy)
    return;
  /* Captured on the context's stream, which the runs then launch it on. */
  if (cu.cuStreamBeginCapture(ctx->stream, CU_STREAM_CAPTURE_MODE_RELAXED) !=
      CUDA_SUCCESS)
    return;
  CUresult rc = CUDA_SUCCESS;
  for (int32_t i = 0; i < ctx->plan->num_launches && rc == CUDA_SUCCESS; ++i)
    rc = launch(ctx, i, ctx->stream);
  CUresult ended = cu.cuStreamEndCapture(ctx->stream, &ctx->graph);
  if (ended != CUDA_SUCCESS)
    ctx->graph = NULL;
  CUgraphExec exec = NULL;
  if (rc == CUDA_SUCCESS && ctx->graph &&
      cu.cuGraphInstantiate(&exec, ctx->graph, 0) == CUDA_SUCCESS)
    ctx->graph_exec = exec;
}

static int create_events(kiln_gpu_context *ctx) {
  int32_t n = ctx->plan->num_launches;
  ctx->events = calloc((size_t)n + 1, sizeof(CUevent));
  ctx->launch_ms = calloc((size_t)n + 1, sizeof(double));
  if (!ctx->events || !ctx->launch_ms)
    return KILN_ERR_NOMEM;
  for (int32_t i = 0; i <= n; ++i)
    KILN_TRY(
        checked(cu.cuEventCreate(&ctx->events[i], 0), "cuEventCreate", NULL));
  return KILN_OK;
}

/* Creates a context for `plan`; `profile` times each launch (no graph). */
static int create(const kiln_gpu_plan *plan, int profile,
                  kiln_gpu_context **out) {
  KILN_TRY(open_driver());
  kiln_gpu_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx)
    return KILN_ERR_NOMEM;
  ctx->plan = plan;
  atomic_flag_clear(&ctx->busy);
  *out = ctx;
  KILN_TRY(choose_device(&ctx->device));
  KILN_TRY(checked(cu.cuDevicePrimaryCtxRetain(&ctx->cuda, ctx->device),
                   "cuDevicePrimaryCtxRetain", NULL));
  KILN_TRY(checked(cu.cuCtxSetCurrent(ctx->cuda), "cuCtxSetCurrent", NULL));
  /* Non-blocking: the stream does not wait on the legacy stream either. */
  KILN_TRY(checked(cu.cuStreamCreate(&ctx->stream, CU_STREAM_NON_BLOCKING),
                   "cuStreamCreate", NULL));
  ctx->buffers = calloc((size_t)plan->num_buffers + 1, sizeof(CUdeviceptr));
  if (!ctx->buffers)
    return KILN_ERR_NOMEM;
  KILN_TRY(acquire_model(plan, ctx->device, &ctx->model));
  KILN_TRY(allocate_buffers(ctx));
  if (profile)
    return create_events(ctx);
  capture_graph(ctx);
  return KILN_OK;
}

int kiln_gpu_context_create(const kiln_gpu_plan *plan, int threads,
                            kiln_gpu_context **out) {
  if (!out)
    return KILN_ERR_INVALID;
  *out = NULL;
  if (!plan || threads < 0)
    return KILN_ERR_INVALID;
  kiln_gpu_context *ctx = NULL;
  int rc = create(plan, /*profile=*/0, &ctx);
  if (rc != KILN_OK) {
    kiln_gpu_context_destroy(ctx);
    return rc;
  }
  *out = ctx;
  return KILN_OK;
}

void kiln_gpu_context_destroy(kiln_gpu_context *ctx) {
  if (!ctx)
    return;
  /* Release what was set up, in reverse; errors cannot be reported. */
  if (ctx->cuda) {
    cu.cuCtxSetCurrent(ctx->cuda);
    if (ctx->graph_exec)
      cu.cuGraphExecDestroy(ctx->graph_exec);
    if (ctx->graph)
      cu.cuGraphDestroy(ctx->graph);
    if (ctx->stream)
      cu.cuStreamDestroy(ctx->stream);
    for (int32_t i = 0; ctx->events && i <= ctx->plan->num_launches; ++i)
      if (ctx->events[i])
        cu.cuEventDestroy(ctx->events[i]);
    for (int32_t i = 0; ctx->buffers && i < ctx->plan->num_buffers; ++i) {
      const kiln_gpu_buffer *b = &ctx->plan->buffers[i];
      if (b->view_of < 0 && !b->data && ctx->buffers[i])
        cu.cuMemFree(ctx->buffers[i]);
    }
    if (ctx->model)
      release_model(ctx->model);
    cu.cuDevicePrimaryCtxRelease(ctx->device);
  }
  free(ctx->events);
  free(ctx->launch_ms);
  free(ctx->buffers);
  free(ctx);
}

/* One run: the input to the device, the kernels, the output back. */
static int run(kiln_gpu_context *ctx, const float *input, float *output) {
  const kiln_gpu_plan *plan = ctx->plan;
  /* The calling thread may not be the one that created the context. */
  KILN_TRY(checked(cu.cuCtxSetCurrent(ctx->cuda), "cuCtxSetCurrent", NULL));
  /* From pageable memory the copy returns once the input is staged: the
   * caller may reuse it. */
  KILN_TRY(
      checked(cu.cuMemcpyHtoDAsync(ctx->buffers[plan->input], input,
                                   (size_t)plan->buffers[plan->input].bytes,
                                   ctx->stream),
              "copying the input to the device (cuMemcpyHtoDAsync)", NULL));
  if (ctx->graph_exec) {
    KILN_TRY(checked(cu.cuGraphLaunch(ctx->graph_exec, ctx->stream),
                     "cuGraphLaunch", NULL));
  } else {
    if (ctx->events)
      KILN_TRY(checked(cu.cuEventRecord(ctx->events[0], ctx->stream),
                       "cuEventRecord", NULL));
    for (int32_t i = 0; i < plan->num_launches; ++i) {
      CUresult rc = launch(ctx, i, ctx->stream);
      if (rc != CUDA_SUCCESS) {
        char what[160];
        snprintf(what, sizeof what, "launching kernel '%s' (cuLaunchKernel)",
                 plan->kernel_names[plan->launches[i].kernel]);
        return checked(rc, what, NULL);
      }
      if (ctx->events)
        KILN_TRY(checked(cu.cuEventRecord(ctx->events[i + 1], ctx->stream),
                         "cuEventRecord", NULL));
    }
  }
  /* Into pageable memory the copy returns once done; the kernels' own
   * errors surface here or at the synchronization. */
  KILN_TRY(checked(
      cu.cuMemcpyDtoHAsync(output, ctx->buffers[plan->output],
                           (size_t)plan->buffers[plan->output].bytes,
                           ctx->stream),
      "running the kernels and copying the output back (cuMemcpyDtoHAsync)",
      NULL));
  KILN_TRY(checked(cu.cuStreamSynchronize(ctx->stream),
                   "waiting for the run to finish (cuStreamSynchronize)",
                   NULL));
  if (ctx->events) {
    KILN_TRY(checked(cu.cuEventSynchronize(ctx->events[plan->num_launches]),
                     "cuEventSynchronize", NULL));
    for (int32_t i = 0; i < plan->num_launches; ++i) {
      float ms = 0;
      KILN_TRY(checked(
          cu.cuEventElapsedTime(&ms, ctx->events[i], ctx->events[i + 1]),
          "cuEventElapsedTime", NULL));
      ctx->launch_ms[i] += ms;
    }
    ++ctx->runs;
  }
  return KILN_OK;
}

int kiln_gpu_context_run(kiln_gpu_context *ctx, const kiln_gpu_plan *plan,
                         const float *input, float *output, void *workspace) {
  (void)workspace; /* activations live in device memory the context owns */
  if (!ctx || ctx->plan != plan || !input || !output)
    return KILN_ERR_INVALID;
  if (atomic_flag_test_and_set_explicit(&ctx->busy, memory_order_acquire))
    return KILN_ERR_BUSY;
  int rc = run(ctx, input, output);
  atomic_flag_clear_explicit(&ctx->busy, memory_order_release);
  return rc;
}

int kiln_gpu_context_num_threads(const kiln_gpu_context *ctx) {
  return ctx ? 1 : 0;
}

/*===-- Executables -------------------------------------------------------===*/

/* The context of the process's model (an executable runs one). */
static kiln_gpu_context *process_context;

static void print_profile(void) {
  const kiln_gpu_context *ctx = process_context;
  if (!ctx || !ctx->runs)
    return;
  const kiln_gpu_plan *plan = ctx->plan;
  double total = 0;
  for (int32_t i = 0; i < plan->num_launches; ++i)
    total += ctx->launch_ms[i];
  fprintf(stderr, "kiln gpu profile: %ld runs, %.3f ms of kernels per run\n",
          ctx->runs, total / ctx->runs);
  fprintf(stderr, "  %-24s %-36s %-14s %5s %9s %6s %9s %9s\n", "kernel",
          "layer", "grid", "block", "ms", "share", "GFLOP/s", "GB/s");
  for (int32_t i = 0; i < plan->num_launches; ++i) {
    const kiln_gpu_launch *l = &plan->launches[i];
    double ms = ctx->launch_ms[i] / ctx->runs;
    char grid[32];
    snprintf(grid, sizeof grid, "%ux%ux%u", l->grid[0], l->grid[1], l->grid[2]);
    /* bytes / (ms * 1e6) is GB/s; flops / (ms * 1e6) GFLOP/s. */
    double rate = ms > 0 ? 1.0 / (ms * 1e6) : 0.0;
    fprintf(stderr, "  %-24s %-36s %-14s %5u %9.4f %5.1f%% ",
            plan->kernel_names[l->kernel], l->layer ? l->layer : "-", grid,
            l->block[0], ms, total > 0 ? 100 * ctx->launch_ms[i] / total : 0.0);
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

static void exit_on_error(int status) {
  if (status == KILN_OK)
    return;
  fprintf(stderr, "%s: error: GPU: %s\n", program_invocation_short_name,
          status == KILN_ERR_GPU ? kiln_gpu_status_message(status)
                                 : kiln_status_message(status));
  exit(KILN_EXIT_GPU);
}

void kiln_gpu_run(const kiln_gpu_plan *plan, const float *input,
                  float *output) {
  if (!process_context) {
    const char *env = getenv("KILN_GPU_PROFILE");
    int profile = env && *env && strcmp(env, "0");
    kiln_gpu_context *ctx = NULL;
    int rc = create(plan, profile, &ctx);
    if (rc != KILN_OK) {
      kiln_gpu_context_destroy(ctx);
      exit_on_error(rc);
    }
    process_context = ctx;
    if (profile)
      atexit(print_profile);
  } else if (process_context->plan != plan) {
    exit_on_error(gpu_error("one process runs one GPU model"));
  }
  exit_on_error(
      kiln_gpu_context_run(process_context, plan, input, output, NULL));
}
