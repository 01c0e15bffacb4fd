//===- ChannelWindows.h - Per-channel sliding-window kernel -----*- C++ -*-===//
//
// Depthwise convolutions and poolings share one shape of computation: each
// output plane slides a kh x kw window over its own input plane and folds
// the taps under it into one value. ChannelWindows.cpp builds that loop
// nest once: register blocks of R output rows x C vectors of output
// columns, every input vector loaded once per block, a strided layer's
// planes split into phases (and a padded input padded) one plane at a time
// in a scratch that stays in cache. The callers say what a tap does: a
// depthwise convolution multiplies by the tap's weight and adds
// (DepthwiseConv.cpp), a max pooling takes the maximum, a sum pooling adds
// (WindowPooling.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_LIB_CHANNELWINDOWS_H
#define KILN_CODEGEN_LIB_CHANNELWINDOWS_H

#include "MicroKernels.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <optional>

namespace kiln::kernels {

/// An input that padding made: a buffer filled with the padding value whose
/// interior a copy of `source` ([N, C, H, W]) wrote at rows/columns from
/// (top, left).
struct PaddedSource {
  mlir::Value source;
  int64_t top, left;
  llvm::SmallVector<mlir::Operation *> ops; // The fill and the copy.
};

/// Matches the bufferized tensor.pad behind `input` (the buffer itself, or a
/// memref.expand_shape of it whose only user is `consumer`): alloc, a
/// linalg.map yielding a constant `isPadValue` accepts over it, a linalg.copy
/// of the source into a unit-stride subview of it, and no reader besides
/// `consumer`.
std::optional<PaddedSource>
matchPaddedSource(mlir::Value input, mlir::Operation *consumer,
                  llvm::function_ref<bool(const llvm::APFloat &)> isPadValue);

/// What one window tap does to a register block.
struct WindowTaps {
  /// A value for tap (i, j) of channel `channel`, computed once per block
  /// and passed to every fold of that tap (a depthwise convolution's
  /// broadcast weight); may return null.
  std::function<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value channel,
                            int64_t i, int64_t j)>
      tapValue;
  /// Folds input vector `x` under tap (i, j) into `acc`.
  std::function<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value acc,
                            mlir::Value x, mlir::Value tapValue)>
      fold;
  /// Where the fold of output vector (n, channel, row, column) starts;
  /// null: from the output's current value.
  std::function<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value channel)>
      start;
  /// Applied to each finished vector before it is stored; null: none.
  std::function<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value)> finish;
  /// Whether `finish` runs in a second pass over each block of rows once it
  /// is stored (from L1, one vector at a time, rows run together), rather
  /// than on the block's accumulators in registers: for a long finish (a
  /// SiLU's exponential), which on a dozen accumulators at once spills and
  /// runs at about half the speed of a plain loop. Blocks of 8 accumulators
  /// or fewer keep the finish in registers.
  bool finishOverRows = false;
  /// Whether an unpadded stride-2 layer splits its planes into phases (each
  /// input vector then one contiguous load) rather than reading each vector
  /// of even columns as two loads and a shuffle (no scratch, no copy: for
  /// windows that read each input once or twice).
  bool splitStridedPlanes = true;
};

/// The window geometry of one layer.
struct WindowGeometry {
  int64_t kh, kw;
  int64_t strides[2];
  int64_t dilations[2];
};

/// Builds, at `b`'s insertion point, output[n, c, oh, ow] = finish(fold of
/// every tap over input[n, c, oh * sh + i * dh, ow * sw + j * dw]), for a
/// dense [N, C, H, W] `input` and `output`. With `padded`, `input` is the
/// padded buffer that `padded` describes, filled with `padValue`: when the
/// layer pads plane by plane, it reads from the source instead and erases
/// the fill and the copy. `work` is the layer's cost per batch item in the
/// dense kernels' multiply-adds (whether the channels go to the thread
/// pool).
void buildChannelWindows(mlir::ImplicitLocOpBuilder &b,
                         mlir::PatternRewriter &rewriter, mlir::Value input,
                         mlir::Value output, const WindowGeometry &window,
                         std::optional<PaddedSource> padded, float padValue,
                         const WindowTaps &taps, int64_t work,
                         const KernelShape &shape);

/// How many groups of channels at most share out a window layer's channels,
/// each group reusing one scratch plane for its channels in turn.
inline constexpr int64_t kScratchPlaneGroups = 16;

/// Applies `finish` to elements [first, first + span) of plane g of image n
/// of `flatOutput` ([N, C, H*W]) in place, a vector of `width` at a time
/// (the last one masked).
void finishStoredSpan(
    mlir::ImplicitLocOpBuilder &b, mlir::Value flatOutput, mlir::Value n,
    mlir::Value g, mlir::Value first, int64_t span, int64_t width,
    const std::function<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value)>
        &finish);

/// The same computation for a stride-1 layer that keeps its plane's size,
/// when the plane is narrower than a vector: the whole plane along the lanes
/// (FlatWindows.cpp). Fails, building nothing, for any other layer.
mlir::LogicalResult buildFlatChannelWindows(
    mlir::ImplicitLocOpBuilder &b, mlir::PatternRewriter &rewriter,
    mlir::Value input, mlir::Value output, const WindowGeometry &window,
    std::optional<PaddedSource> padded, float padValue, const WindowTaps &taps,
    int64_t work, const KernelShape &shape);

} // namespace kiln::kernels

#endif // KILN_CODEGEN_LIB_CHANNELWINDOWS_H
