/*===- fake_cuda.c - A CUDA driver without a GPU, for testing cuda.c ------===*
 *
 * Built as libcuda.so.1 in its own directory; a GPU binary run with
 * LD_LIBRARY_PATH pointing there goes through the runtime's whole path
 * (runtime/lib/cuda.c): driver loading, device choice, PTX loading, buffer
 * allocation and uploads, launches, copies, profiling events, and its error
 * reports. Nothing is computed: device memory is host memory, a launch only
 * checks its arguments, so the output is the zero-filled output buffer.
 * Calls from several threads are served one at a time.
 *
 * What it checks, failing the call with CUDA_ERROR_INVALID_VALUE (1) and a
 * line on stderr when wrong:
 *   - the PTX is NUL-terminated and names every kernel asked for;
 *   - every copy stays inside one allocation;
 *   - the copies of a run, its launches and its graph launches go to a
 *     stream the runtime created (never the legacy stream, NULL), live and,
 *     for copies and graph launches, not capturing;
 *   - launches captured into a CUDA graph are checked when captured, and
 *     their buffers again when the graph is launched;
 *   - every launch has a kernel of this module, grid and block sizes within
 *     CUDA's limits, exactly the block size of the kernel's .maxntid,
 *     exactly as many parameters as its .entry declares, each pointing
 *     into a live allocation at a multiple of 256 bytes (cuMemAlloc's
 *     alignment, which the memory plan keeps for the buffers it places in
 *     its workspace), and no `extra`.
 *
 * Environment:
 *   FAKE_CUDA_DEVICES=N   devices to report (default 1)
 *   FAKE_CUDA_FAIL=NAME   make the driver function NAME fail (cuInit,
 *                         cuModuleLoadDataEx, cuLaunchKernel, cuMemAlloc_v2,
 *                         cuMemcpyDtoHAsync_v2, cuStreamCreate,
 *                         cuStreamBeginCapture_v2, cuGraphLaunch) with a
 *                         plausible error
 *   FAKE_CUDA_LOG=1       print a summary of the launches and allocations at
 *                         exit
 *
 *===----------------------------------------------------------------------===*/

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The driver API's types as cuda.c declares them (UBSan checks that calls
 * through function pointers match the callee's type). */
#include "../lib/cuda_abi.h"

enum {
  kSuccess = 0,
  kInvalidValue = 1,
  kOutOfMemory = 2,
  kNoDevice = 100,
  kInvalidPTX = 218,
  kNotFound = 500,
  kNotSupported = 801,
  kIllegalAddress = 700,
};

/* An allocation: the "device address" is the host pointer. */
struct allocation {
  char *base;
  size_t bytes;
};

/* A kernel of the loaded module, with what its .entry declares. */
struct CUfunc_st {
  char name[128];
  int params;
  unsigned maxntid[3];
};

static struct {
  const char *ptx;
  struct allocation allocations[4096];
  int num_allocations;
  size_t allocated_bytes;
  struct CUfunc_st functions[512];
  int num_functions;
  long launches, events, graph_launches;
  int logging;
  /* Allocations not freed, modules not unloaded, primary contexts not
   * released, streams not destroyed. */
  int live_allocations, live_modules, live_contexts, live_streams;
} fake;

/* Streams capture launches into graphs; launching a graph checks and counts
 * them again. */
struct recorded_launch {
  CUfunction function;
  CUdeviceptr args[16];
};
struct CUgraph_st {
  struct recorded_launch launches[1024];
  int count;
  int in_use;
};
struct CUstream_st {
  CUgraph capture; /* the graph being captured, or NULL */
  int in_use;
};
struct CUgraphExec_st {
  CUgraph graph;
};

/* Pools of the driver's objects; destroying one frees its slot. */
enum { kPool = 16 };
static struct CUstream_st streams[kPool];
static struct CUgraph_st graphs[kPool];
static struct CUgraphExec_st execs[kPool];

/* One call at a time, as the runtime's contexts may be driven by several
 * threads: each entry point holds the lock until it returns. */
static pthread_mutex_t driver_lock = PTHREAD_MUTEX_INITIALIZER;
static void release(pthread_mutex_t **lock) { pthread_mutex_unlock(*lock); }
#define ONE_CALL_AT_A_TIME                                                     \
  pthread_mutex_t *held __attribute__((cleanup(release))) = &driver_lock;      \
  pthread_mutex_lock(held)

static int fails(const char *name) {
  const char *fail = getenv("FAKE_CUDA_FAIL");
  return fail && !strcmp(fail, name);
}

static CUresult invalid(const char *fmt, const char *detail) {
  fprintf(stderr, "fake cuda: ");
  fprintf(stderr, fmt, detail);
  fputc('\n', stderr);
  return kInvalidValue;
}

static void summary(void) {
  fprintf(stderr,
          "fake cuda: %ld launches checked, %d buffers (%zu bytes), %ld "
          "events, %ld graph launches; %d buffers, %d modules, %d contexts, "
          "%d streams left\n",
          fake.launches, fake.num_allocations, fake.allocated_bytes,
          fake.events, fake.graph_launches, fake.live_allocations,
          fake.live_modules, fake.live_contexts, fake.live_streams);
}

CUresult cuInit(unsigned flags) {
  ONE_CALL_AT_A_TIME;
  (void)flags;
  if (fails("cuInit"))
    return kNoDevice;
  const char *log = getenv("FAKE_CUDA_LOG");
  if (log && *log && strcmp(log, "0") && !fake.logging) {
    fake.logging = 1;
    atexit(summary);
  }
  return kSuccess;
}

CUresult cuDeviceGetCount(int *count) {
  ONE_CALL_AT_A_TIME;
  const char *env = getenv("FAKE_CUDA_DEVICES");
  *count = env ? atoi(env) : 1;
  return kSuccess;
}

CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  ONE_CALL_AT_A_TIME;
  *device = ordinal;
  return kSuccess;
}

/* The runtime asks for no attribute; test/gpu/gpu_peak.py (device-check's
 * peak measurement) asks for the SM count, which a fake GPU puts at 4. */
CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
  ONE_CALL_AT_A_TIME;
  (void)device;
  if (attribute != 16 /* CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT */)
    return invalid("cuDeviceGetAttribute: unexpected attribute%s", "");
  *value = 4;
  return kSuccess;
}

CUresult cuDeviceGetName(char *name, int length, CUdevice device) {
  ONE_CALL_AT_A_TIME;
  snprintf(name, (size_t)length, "Fake GPU %d", device);
  return kSuccess;
}

/* Handles point into these; the driver's structs are opaque to the caller. */
struct CUctx_st {
  int device;
};
struct CUmod_st {
  int loaded;
};
struct CUevent_st {
  int recorded;
};

CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device) {
  ONE_CALL_AT_A_TIME;
  static struct CUctx_st contexts[64];
  contexts[device & 63].device = device;
  *context = &contexts[device & 63];
  ++fake.live_contexts;
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  ONE_CALL_AT_A_TIME;
  (void)device;
  if (fake.live_contexts == 0)
    return invalid("cuDevicePrimaryCtxRelease without a retain%s", "");
  --fake.live_contexts;
  return kSuccess;
}

CUresult cuCtxSetCurrent(CUcontext context) {
  ONE_CALL_AT_A_TIME;
  (void)context;
  return kSuccess;
}

CUresult cuCtxSynchronize(void) {
  ONE_CALL_AT_A_TIME;
  return kSuccess;
}

/* Reads the .entry NAME( declaration: its parameter count and .maxntid. */
static int describe(const char *name, CUfunction f) {
  char pattern[160];
  snprintf(pattern, sizeof pattern, ".entry %s(", name);
  const char *entry = strstr(fake.ptx, pattern);
  if (!entry)
    return 0;
  const char *close = strchr(entry, ')');
  if (!close)
    return 0;
  f->params = 0;
  for (const char *p = entry; (p = strstr(p, ".param")) && p < close; ++p)
    ++f->params;
  f->maxntid[0] = f->maxntid[1] = f->maxntid[2] = 0;
  const char *body = strchr(close, '{');
  const char *max = strstr(close, ".maxntid");
  if (max && (!body || max < body))
    sscanf(max, ".maxntid %u, %u, %u", &f->maxntid[0], &f->maxntid[1],
           &f->maxntid[2]);
  snprintf(f->name, sizeof f->name, "%s", name);
  return 1;
}

static struct CUmod_st module;

CUresult cuModuleLoadDataEx(CUmodule *loaded, const void *image, unsigned count,
                            int *options, void **values) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuModuleLoadDataEx")) {
    for (unsigned i = 0; i < count; ++i)
      if (options[i] == 5 /* CU_JIT_ERROR_LOG_BUFFER */)
        snprintf((char *)values[i], 64, "ptxas fatal: fake JIT failure");
    return kInvalidPTX;
  }
  fake.ptx = (const char *)image;
  if (strncmp(fake.ptx, "//", 2) || !strstr(fake.ptx, ".version"))
    return invalid("the image is not PTX text%s", "");
  module.loaded = 1;
  ++fake.live_modules;
  *loaded = &module;
  return kSuccess;
}

CUresult cuModuleUnload(CUmodule loaded) {
  ONE_CALL_AT_A_TIME;
  if (loaded != &module || fake.live_modules == 0)
    return invalid("cuModuleUnload of a module not loaded%s", "");
  --fake.live_modules;
  return kSuccess;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule from,
                             const char *name) {
  ONE_CALL_AT_A_TIME;
  if (from != &module || !fake.ptx)
    return invalid("no module loaded for '%s'", name);
  if (fake.num_functions == 512)
    return kOutOfMemory;
  CUfunction f = &fake.functions[fake.num_functions];
  if (!describe(name, f))
    return kNotFound;
  ++fake.num_functions;
  *function = f;
  return kSuccess;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuMemAlloc_v2") || fake.num_allocations == 4096)
    return kOutOfMemory;
  /* cuMemAlloc's addresses are aligned to at least 256 bytes. */
  size_t rounded = (bytes + 255) / 256 * 256;
  char *base = rounded >= bytes ? aligned_alloc(256, rounded) : NULL;
  if (!base)
    return kOutOfMemory;
  memset(base, 0, rounded);
  fake.allocations[fake.num_allocations++] = (struct allocation){base, bytes};
  fake.allocated_bytes += bytes;
  ++fake.live_allocations;
  *pointer = (CUdeviceptr)(size_t)base;
  return kSuccess;
}

/* The allocation holding [pointer, pointer + bytes), or NULL. */
static struct allocation *find(CUdeviceptr pointer, size_t bytes) {
  char *p = (char *)(size_t)pointer;
  for (int i = 0; i < fake.num_allocations; ++i) {
    struct allocation *a = &fake.allocations[i];
    if (a->base && p >= a->base && p + bytes <= a->base + a->bytes)
      return a;
  }
  return NULL;
}

/* The allocation's slot stays (allocations are counted), emptied. */
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  ONE_CALL_AT_A_TIME;
  char *p = (char *)(size_t)pointer;
  for (int i = 0; i < fake.num_allocations; ++i) {
    struct allocation *a = &fake.allocations[i];
    if (a->base && p == a->base) {
      free(a->base);
      a->base = NULL;
      a->bytes = 0;
      --fake.live_allocations;
      return kSuccess;
    }
  }
  return invalid("cuMemFree of an address cuMemAlloc did not return%s", "");
}

static CUresult copy_to_device(CUdeviceptr destination, const void *source,
                               size_t bytes) {
  if (!find(destination, bytes))
    return invalid("cuMemcpyHtoD outside every allocation%s", "");
  memcpy((void *)(size_t)destination, source, bytes);
  return kSuccess;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source,
                         size_t bytes) {
  ONE_CALL_AT_A_TIME;
  return copy_to_device(destination, source, bytes);
}

static CUresult copy_to_host(void *destination, CUdeviceptr source,
                             size_t bytes) {
  if (!find(source, bytes))
    return invalid("cuMemcpyDtoH outside every allocation%s", "");
  memcpy(destination, (const void *)(size_t)source, bytes);
  return kSuccess;
}

CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuMemcpyDtoH_v2"))
    return kIllegalAddress;
  return copy_to_host(destination, source, bytes);
}

/* CUDA_SUCCESS for a stream the runtime created and has not destroyed, not
 * capturing unless `capturing_ok` (captures hold kernel launches only);
 * otherwise an error naming `call`. */
static CUresult check_stream(CUstream stream, int capturing_ok,
                             const char *call) {
  if (stream < streams || stream >= streams + kPool || !stream->in_use ||
      (!capturing_ok && stream->capture))
    return invalid("%s on the legacy, a destroyed or a capturing stream", call);
  return kSuccess;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination, const void *source,
                              size_t bytes, CUstream stream) {
  ONE_CALL_AT_A_TIME;
  if (check_stream(stream, 0, "cuMemcpyHtoDAsync"))
    return kInvalidValue;
  return copy_to_device(destination, source, bytes);
}

CUresult cuMemcpyDtoHAsync_v2(void *destination, CUdeviceptr source,
                              size_t bytes, CUstream stream) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuMemcpyDtoHAsync_v2"))
    return kIllegalAddress;
  if (check_stream(stream, 0, "cuMemcpyDtoHAsync"))
    return kInvalidValue;
  return copy_to_host(destination, source, bytes);
}

CUresult cuStreamSynchronize(CUstream stream) {
  ONE_CALL_AT_A_TIME;
  return check_stream(stream, 0, "cuStreamSynchronize");
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz,
                        unsigned sharedBytes, CUstream stream, void **params,
                        void **extra) {
  ONE_CALL_AT_A_TIME;
  if (check_stream(stream, 1, "launch"))
    return kInvalidValue;
  if (f < fake.functions || f >= fake.functions + fake.num_functions)
    return invalid("launch of an unknown function%s", "");
  if (fails("cuLaunchKernel"))
    return kIllegalAddress;
  if (!gx || !gy || !gz || gy > 65535 || gz > 65535)
    return invalid("'%s': grid out of CUDA's limits", f->name);
  if (!bx || !by || !bz || bz > 64 || (unsigned long)bx * by * bz > 1024)
    return invalid("'%s': block out of CUDA's limits", f->name);
  if (f->maxntid[0] &&
      (bx != f->maxntid[0] || by != f->maxntid[1] || bz != f->maxntid[2]))
    return invalid("'%s': block differs from its .maxntid", f->name);
  if (sharedBytes || extra)
    return invalid("'%s': unexpected dynamic shared memory or extra", f->name);
  if (!params)
    return invalid("'%s': no parameters", f->name);
  if (f->params > 16)
    return invalid("'%s': more parameters than the fake records", f->name);
  for (int i = 0; i < f->params; ++i) {
    CUdeviceptr pointer = *(CUdeviceptr *)params[i];
    if (!find(pointer, 1) || pointer % 256)
      return invalid("'%s': a parameter is not a 256-byte aligned address in "
                     "a device buffer",
                     f->name);
  }
  if (stream && stream->capture) {
    CUgraph graph = stream->capture;
    if (graph->count == 1024)
      return kOutOfMemory;
    struct recorded_launch *r = &graph->launches[graph->count++];
    r->function = f;
    for (int i = 0; i < f->params; ++i)
      r->args[i] = *(CUdeviceptr *)params[i];
    return kSuccess;
  }
  ++fake.launches;
  return kSuccess;
}

CUresult cuStreamCreate(CUstream *stream, unsigned flags) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuStreamCreate"))
    return kOutOfMemory;
  if (flags != 1 /* CU_STREAM_NON_BLOCKING */)
    return invalid("cuStreamCreate of a stream that waits on the legacy "
                   "stream%s",
                   "");
  for (int i = 0; i < kPool; ++i)
    if (!streams[i].in_use) {
      streams[i] = (struct CUstream_st){NULL, 1};
      *stream = &streams[i];
      ++fake.live_streams;
      return kSuccess;
    }
  return kOutOfMemory;
}

CUresult cuStreamDestroy_v2(CUstream stream) {
  ONE_CALL_AT_A_TIME;
  if (!stream || !stream->in_use || stream->capture)
    return invalid("cuStreamDestroy of a bad or capturing stream%s", "");
  stream->in_use = 0;
  --fake.live_streams;
  return kSuccess;
}

CUresult cuStreamBeginCapture_v2(CUstream stream, int mode) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuStreamBeginCapture_v2"))
    return kNotSupported;
  if (!stream || !stream->in_use || stream->capture || mode < 0 || mode > 2)
    return invalid("cuStreamBeginCapture on a bad stream or mode%s", "");
  for (int i = 0; i < kPool; ++i)
    if (!graphs[i].in_use) {
      graphs[i].count = 0;
      graphs[i].in_use = 1;
      stream->capture = &graphs[i];
      return kSuccess;
    }
  return kOutOfMemory;
}

CUresult cuStreamEndCapture(CUstream stream, CUgraph *graph) {
  ONE_CALL_AT_A_TIME;
  if (!stream || !stream->capture)
    return invalid("cuStreamEndCapture without a capture%s", "");
  *graph = stream->capture;
  stream->capture = NULL;
  return kSuccess;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec *exec, CUgraph graph,
                                     unsigned long long flags) {
  ONE_CALL_AT_A_TIME;
  if (flags || !graph || !graph->in_use)
    return invalid("cuGraphInstantiateWithFlags: unexpected flags or "
                   "graph%s",
                   "");
  for (int i = 0; i < kPool; ++i)
    if (!execs[i].graph) {
      execs[i].graph = graph;
      *exec = &execs[i];
      return kSuccess;
    }
  return kOutOfMemory;
}

CUresult cuGraphExecDestroy(CUgraphExec exec) {
  ONE_CALL_AT_A_TIME;
  if (!exec || !exec->graph)
    return invalid("cuGraphExecDestroy of a bad graph%s", "");
  exec->graph = NULL;
  return kSuccess;
}

/* The graph's executable must be destroyed first (the fake's launches
 * read the graph). */
CUresult cuGraphDestroy(CUgraph graph) {
  ONE_CALL_AT_A_TIME;
  if (!graph || !graph->in_use)
    return invalid("cuGraphDestroy of a bad graph%s", "");
  for (int i = 0; i < kPool; ++i)
    if (execs[i].graph == graph)
      return invalid("cuGraphDestroy of a graph still instantiated%s", "");
  graph->in_use = 0;
  return kSuccess;
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
  ONE_CALL_AT_A_TIME;
  if (fails("cuGraphLaunch"))
    return kIllegalAddress;
  if (check_stream(stream, 0, "cuGraphLaunch"))
    return kInvalidValue;
  for (int i = 0; i < exec->graph->count; ++i) {
    struct recorded_launch *r = &exec->graph->launches[i];
    for (int a = 0; a < r->function->params; ++a)
      if (!find(r->args[a], 1))
        return invalid("'%s': a graph launch's buffer is gone",
                       r->function->name);
    ++fake.launches;
  }
  ++fake.graph_launches;
  return kSuccess;
}

CUresult cuEventCreate(CUevent *event, unsigned flags) {
  ONE_CALL_AT_A_TIME;
  (void)flags;
  static struct CUevent_st events[4096];
  if (fake.events == 4096)
    return kOutOfMemory;
  *event = &events[fake.events++];
  return kSuccess;
}

CUresult cuEventDestroy_v2(CUevent event) {
  ONE_CALL_AT_A_TIME;
  (void)event;
  return kSuccess;
}

CUresult cuEventRecord(CUevent event, CUstream stream) {
  ONE_CALL_AT_A_TIME;
  if (check_stream(stream, 0, "cuEventRecord"))
    return kInvalidValue;
  event->recorded = 1;
  return kSuccess;
}

CUresult cuEventSynchronize(CUevent event) {
  ONE_CALL_AT_A_TIME;
  (void)event;
  return kSuccess;
}

/* Every launch "takes" 10 microseconds. */
CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end) {
  ONE_CALL_AT_A_TIME;
  (void)start, (void)end;
  *ms = 0.01f;
  return kSuccess;
}

CUresult cuGetErrorName(CUresult rc, const char **name) {
  ONE_CALL_AT_A_TIME;
  switch (rc) {
  case kInvalidValue:
    *name = "CUDA_ERROR_INVALID_VALUE";
    return kSuccess;
  case kOutOfMemory:
    *name = "CUDA_ERROR_OUT_OF_MEMORY";
    return kSuccess;
  case kNoDevice:
    *name = "CUDA_ERROR_NO_DEVICE";
    return kSuccess;
  case kInvalidPTX:
    *name = "CUDA_ERROR_INVALID_PTX";
    return kSuccess;
  case kNotFound:
    *name = "CUDA_ERROR_NOT_FOUND";
    return kSuccess;
  case kIllegalAddress:
    *name = "CUDA_ERROR_ILLEGAL_ADDRESS";
    return kSuccess;
  case kNotSupported:
    *name = "CUDA_ERROR_NOT_SUPPORTED";
    return kSuccess;
  }
  *name = NULL;
  return kInvalidValue;
}

CUresult cuGetErrorString(CUresult rc, const char **text) {
  ONE_CALL_AT_A_TIME;
  *text = rc == kIllegalAddress ? "an illegal memory access was encountered"
                                : "fake driver error";
  return kSuccess;
}
