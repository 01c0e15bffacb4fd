//===- MicroKernels.h - What the convolution kernels share ------*- C++ -*-===//
//
// kiln-lower-to-microkernels has two convolution kernels. The direct kernel
// (MicroKernels.cpp) keeps output columns along the vector lanes; the
// channel-lane kernel (ChannelLaneConv.cpp) keeps output channels there,
// which fills every lane when rows are short or strided. Both take their
// register blocking from KernelShape, and a cost model of their reduction
// steps picks one per convolution. Depthwise convolutions take a third
// (DepthwiseConv.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_LIB_MICROKERNELS_H
#define KILN_CODEGEN_LIB_MICROKERNELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln::kernels {

/// What a convolution kernel keeps along the vector lanes: output columns
/// (the direct kernel), output channels (the channel-lane kernel), or
/// whichever the cost model prefers per layer.
enum class ConvLanes { Auto, Columns, Channels };

/// Register blocking of the kernels.
struct KernelShape {
  int64_t vectorWidth;
  int64_t convRows;
  int64_t matmulRegisters;
  /// Bytes of filter one reduction chunk of the convolution kernel may take
  /// (0: the whole reduction at once).
  int64_t chunkBytes = 16384;
  /// A fused pooling keeps the whole convolution output (of one batch item)
  /// in a scratch buffer when it takes at most this many bytes, so that the
  /// convolution can run in reduction chunks; larger ones go through a ring
  /// of pool-kernel rows per channel block.
  int64_t poolScratchBytes = int64_t(16) << 20;
  /// Packed linear weights larger than this stream from memory and are
  /// prefetched; smaller ones stay in cache between runs.
  int64_t l2CacheBytes = int64_t(1) << 20;
  /// What a convolution keeps along the vector lanes.
  ConvLanes convLanes = ConvLanes::Auto;
};

/// The direct kernel's register block for an output of shape `out`
/// ([N, OC, OH, OW]): `rows` output channels x `columnVectors` vectors of
/// output columns.
struct DirectConvBlock {
  int64_t rows;
  int64_t columnVectors;
};
DirectConvBlock directConvBlock(llvm::ArrayRef<int64_t> out,
                                const KernelShape &shape);

/// Repacks a constant [N, ...] buffer in blocks of `block` rows: element
/// (n, i...) goes to [n / block, i..., n % block], zero past the last row
/// (N is rounded up to a multiple of `block`). The `block` values a kernel
/// step uses together become adjacent: the conv kernel's broadcast weights
/// (one cache line for 16 channels) or the batched linear kernel's output
/// vectors. Returns null when the values are not known at compile time.
mlir::Value packRowBlocks(mlir::PatternRewriter &rewriter, mlir::Location loc,
                          mlir::Value constant, int64_t block);

/// Copies an [N, C, H, W] buffer into a new [N, C, H, s, ceil(W/s)] one
/// whose [n, c, h, p, j] element is column j*s + p (zero past the row end):
/// the columns a kernel with horizontal stride s reads for one vector of
/// outputs become contiguous. The caller frees it.
mlir::Value splitPhases(mlir::ImplicitLocOpBuilder &b, mlir::Value input,
                        int64_t stride);

/// The phase split of one row, padded by `left` columns of `padValue`:
/// input[row..., j*s + p - left] (`padValue` outside the row) to
/// phased[phasedRow..., p, j] for every position j of phased's last
/// dimension. With `vectorWidth` lanes (> 1), a unit-stride row is copied
/// in vectors instead of one element at a time.
void splitRowPhases(mlir::ImplicitLocOpBuilder &b, mlir::Value input,
                    mlir::ValueRange row, mlir::Value phased,
                    mlir::ValueRange phasedRow, int64_t stride,
                    int64_t left = 0, float padValue = 0.0f,
                    int64_t vectorWidth = 0);

/// Replaces a depthwise convolution (one channel per group) by the
/// per-channel window kernel (DepthwiseConv.cpp); fails, changing nothing,
/// for other grouped convolutions and for one in a fused group with a
/// pooling.
mlir::LogicalResult lowerDepthwiseConv(mlir::linalg::Conv2DNgchwGfchwOp op,
                                       mlir::PatternRewriter &rewriter,
                                       const KernelShape &shape);

/// Replaces a sum pooling whose window is the whole input plane (a global
/// average pool's) by vector sums over each contiguous plane (PlaneSum.cpp);
/// fails, changing nothing, for other poolings and for a fused group's.
mlir::LogicalResult lowerPlaneSum(mlir::linalg::PoolingNchwSumOp op,
                                  mlir::PatternRewriter &rewriter,
                                  const KernelShape &shape);

/// Replaces a max or sum pooling that no fused group computes by the
/// per-channel window kernel (WindowPooling.cpp); fails, changing nothing,
/// for a whole-plane sum (lowerPlaneSum's), windows of more than 49 taps and
/// buffers that are not dense.
mlir::LogicalResult lowerMaxPooling(mlir::linalg::PoolingNchwMaxOp op,
                                    mlir::PatternRewriter &rewriter,
                                    const KernelShape &shape);
mlir::LogicalResult lowerSumPooling(mlir::linalg::PoolingNchwSumOp op,
                                    mlir::PatternRewriter &rewriter,
                                    const KernelShape &shape);

/// Replaces `op` (with its fused group, if intact) by the channel-lane
/// kernel when its cost model expects it to be faster than the direct
/// kernel would be on an output of shape `directOut` (the output's, or its
/// flattened [N, C, 1, H*W] for a 1x1 convolution the direct kernel runs
/// flattened); fails, changing nothing, otherwise.
mlir::LogicalResult lowerConvWithChannelLanes(
    mlir::linalg::Conv2DNchwFchwOp op, mlir::Value input, mlir::Value filter,
    mlir::Value output, llvm::ArrayRef<int64_t> directOut,
    mlir::PatternRewriter &rewriter, const KernelShape &shape);

} // namespace kiln::kernels

#endif // KILN_CODEGEN_LIB_MICROKERNELS_H
