/*===- cuda_abi.h - The CUDA driver API types the runtime uses ------------===*
 *
 * The driver API's ABI (cuda.h), declared here so that the runtime builds
 * without the CUDA toolkit. Private to runtime/lib/cuda.c and the fake
 * driver that tests it (runtime/test/fake_cuda.c), which must declare its
 * functions with exactly these types.
 *
 *===----------------------------------------------------------------------===*/

#ifndef KILN_RUNTIME_CUDA_ABI_H
#define KILN_RUNTIME_CUDA_ABI_H

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;
typedef unsigned long long CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CU_JIT_INFO_LOG_BUFFER = 3,
  CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_STREAM_NON_BLOCKING = 1,
  CU_STREAM_CAPTURE_MODE_RELAXED = 2,
};

#endif /* KILN_RUNTIME_CUDA_ABI_H */
