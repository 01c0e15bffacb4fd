//===- SharedConvPlan.h - Mapping the shared-memory convolution -*- C++ -*-===//
//-*-===//
//
// The shared-memory convolution kernel (SharedConvKernel.cpp) covers a
// layer's output with blocks of threads; planSharedConv chooses how: the
// block's shape, each thread's pixels and channels, the input channels per
// shared-memory round, how the input tile is laid out in shared memory, and
// whether the layer splits its input channels over blocks to fill the GPU.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_GPU_SHAREDCONVPLAN_H
#define KILN_CODEGEN_GPU_SHAREDCONVPLAN_H

#include "KernelBuilder.h"

#include <optional>

namespace kiln::kernels {

/// How the kernel covers a convolution's output.
struct SharedConvPlan {
  int64_t outH, outW, windows; // (pooled) output, conv outputs per pixel
  int64_t channels;            // output channels per block
  int64_t pixelsY, pixelsX;    // (pooled) pixels per thread
  int64_t threadsY, threadsX;  // the block's threads, rows x columns
  int64_t tileRows, tileColumns, rowTiles, columnTiles;
  int64_t inRows, inColumns; // input window per channel of a tile
  // The window in shared memory: rows and columns split by their phase
  // modulo the step between neighbouring threads' windows (stride x pool),
  // so that neighbouring threads read neighbouring words (see phaseSplit).
  int64_t rowPhases, columnPhases, rowsPerPhase, columnsPerPhase;
  int64_t tileRowsStored; // rowPhases x rowsPerPhase
  int64_t pitch;          // a stored row's length: >= columnPhases x
                          // columnsPerPhase, threadsX modulo 32
  int64_t chunk;          // input channels per shared-memory round
  int64_t splits;         // input-channel ranges with a block each
};

/// The plan for `p` on a GPU of `smCount` streaming multiprocessors, or
/// nothing for a layer the kernel does not take (grouped, or a window too
/// large for shared memory).
std::optional<SharedConvPlan> planSharedConv(const ConvParams &p,
                                             int64_t smCount);

} // namespace kiln::kernels

#endif // KILN_CODEGEN_GPU_SHAREDCONVPLAN_H
