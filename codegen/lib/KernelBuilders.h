//===- KernelBuilders.h - Shared pieces of the CPU kernels ------*- C++ -*-===//
//
// The loop, vector and constant helpers that the CPU kernel passes
// (kiln-lower-to-microkernels, kiln-winograd) build their loop nests from,
// and the fused pooling both of them finish a pooled group with.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_LIB_KERNELBUILDERS_H
#define KILN_CODEGEN_LIB_KERNELBUILDERS_H

#include "FusionGroups.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

#include <array>
#include <optional>

namespace kiln::kernels {

/// The largest divisor of `n` that is at most `limit`: a block of that size
/// never needs a remainder loop.
int64_t blockFor(int64_t n, int64_t limit);

/// Whether `value` is a statically shaped f32 memref with the identity
/// layout.
bool isDenseStatic(mlir::Value value);

/// Emits `for (iv = 0; iv < upper; iv += step)` carrying `values`.
llvm::SmallVector<mlir::Value>
buildLoop(mlir::ImplicitLocOpBuilder &b, int64_t upper, int64_t step,
          mlir::ValueRange values,
          llvm::function_ref<llvm::SmallVector<mlir::Value>(
              mlir::ImplicitLocOpBuilder &, mlir::Value, mlir::ValueRange)>
              body);

/// Emits a convolution's reduction loops carrying `accs`: `channels` input
/// channels from `firstChannel` (from 0 when null), then the filter's
/// kh x kw taps; `step` emits one tap (input channel, kh, kw).
llvm::SmallVector<mlir::Value>
buildFilterLoops(mlir::ImplicitLocOpBuilder &b, int64_t channels,
                 mlir::Value firstChannel, int64_t kh, int64_t kw,
                 mlir::ValueRange accs,
                 llvm::function_ref<llvm::SmallVector<mlir::Value>(
                     mlir::ImplicitLocOpBuilder &, mlir::Value, mlir::Value,
                     mlir::Value, mlir::ValueRange)>
                     step);

/// What one element streamed through memory (a copy, a sum) costs, in the
/// multiply-adds of a register-blocked kernel (buildBlockLoop's unit of
/// work): a kernel runs about 30 of those in the time a loop reads and
/// writes one element.
inline constexpr int64_t kStreamedElementWork = 32;

/// Whether a loop of `work` multiply-adds is worth forking the thread pool
/// for, which costs a few microseconds.
bool worthForking(int64_t work);

/// Emits a loop over [0, upper) whose iterations are independent: an
/// scf.parallel (which becomes an OpenMP worksharing loop on the runtime's
/// thread pool) when the loop has `work` multiply-adds worth a fork, and a
/// plain scf.for otherwise.
void buildBlockLoop(
    mlir::ImplicitLocOpBuilder &b, int64_t upper, int64_t work,
    llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value)> body);

/// buildBlockLoop over every item of a batch: `batch` items of `upper`
/// tasks each, of `workPerItem` multiply-adds an item, as one loop of
/// batch * upper tasks taken item by item, so that a batch forks once
/// instead of once per item and threads share the items' tasks as one.
/// `body` gets the item and its task. Only for bodies whose tasks share no
/// scratch: tasks of different items run at once.
void buildBatchBlockLoop(mlir::ImplicitLocOpBuilder &b, int64_t batch,
                         int64_t upper, int64_t workPerItem,
                         llvm::function_ref<void(mlir::ImplicitLocOpBuilder &,
                                                 mlir::Value, mlir::Value)>
                             body);

/// Loads a vector at `indices`, masked when `mask` is set (lanes off read 0).
mlir::Value loadVector(mlir::ImplicitLocOpBuilder &b, mlir::VectorType type,
                       mlir::Value memref, mlir::ValueRange indices,
                       mlir::Value mask);

/// Stores a vector at `indices`, masked when `mask` is set.
void storeVector(mlir::ImplicitLocOpBuilder &b, mlir::Value value,
                 mlir::Value memref, mlir::ValueRange indices,
                 mlir::Value mask);

/// An index constant.
mlir::Value indexConstant(mlir::ImplicitLocOpBuilder &b, int64_t value);

/// Whether one image of a convolution's [N, C, H, W] input is larger than
/// L2, so that a kernel sweeping it streams it from L3 or memory. A step
/// of the convolution kernels reads a row segment of every input plane in
/// turn: hundreds of streams, more than the hardware prefetchers follow,
/// and they miss on every line (SqueezeNet's 128 -> 16 layer on 55x55
/// planes ran at a fifth of its FMA rate). An input that fits stays in L2
/// between sweeps, where prefetching it into L1 only evicts lines still in
/// use (SqueezeNet's 512 -> 1000 layer on 13x13 ran 10% slower).
bool streamsInput(mlir::Value input, int64_t l2CacheBytes);

/// Prefetches the element kInputRowPrefetch columns past `indices` (whose
/// last index is a column) for a kernel that streamsInput(); past the
/// row's end the prefetch runs into the next row, which the kernel reads
/// next.
void prefetchRowAhead(mlir::ImplicitLocOpBuilder &b, mlir::Value buffer,
                      mlir::ValueRange indices);

/// `base + offset * scale` on indices (`offset * scale` when base is null).
mlir::Value affineIndex(mlir::ImplicitLocOpBuilder &b, mlir::Value base,
                        mlir::Value offset, int64_t scale);

/// The `count` indices base, base + step, ..., base + (count - 1) * step
/// (the rows or columns of a register block).
llvm::SmallVector<mlir::Value> indexSequence(mlir::ImplicitLocOpBuilder &b,
                                             mlir::Value base, int64_t count,
                                             int64_t step = 1);

/// A dense 4-D buffer as 1-D (memref.collapse_shape), for gathers and
/// scatters whose lanes lie in different rows or planes.
mlir::Value flattenBuffer(mlir::ImplicitLocOpBuilder &b, mlir::Value buffer);

/// The flat element offset of [i0, i1, i2, i3] in a dense buffer of `shape`.
mlir::Value flatOffset(mlir::ImplicitLocOpBuilder &b,
                       llvm::ArrayRef<int64_t> shape, mlir::Value i0,
                       mlir::Value i1, mlir::Value i2, mlir::Value i3);

/// A constant vector of `width` lane * `stride` element offsets: i32, or
/// i64 when `wide`; offsets past the type's range saturate (for lanes that
/// a mask turns off).
mlir::Value laneMultiples(mlir::ImplicitLocOpBuilder &b, int64_t width,
                          int64_t stride, bool wide = false);

/// The vectors covering columns [first, first + valid), `width` lanes each:
/// their first columns, and their masks (null when every lane is in).
struct ColumnVectors {
  llvm::SmallVector<mlir::Value> starts;
  llvm::SmallVector<mlir::Value> masks;
};
ColumnVectors coverColumns(mlir::ImplicitLocOpBuilder &b, mlir::Value first,
                           int64_t valid, int64_t width);

/// A constant all-true vector<width x i1> mask.
mlir::Value allLanes(mlir::ImplicitLocOpBuilder &b, int64_t width);

/// One step of a register-blocked kernel: accs[r * C + c] += broadcast(
/// scalars[r]) * vectors[c] for R scalars and C vectors; returns the new
/// accumulators.
llvm::SmallVector<mlir::Value> accumulateOuterProduct(
    mlir::ImplicitLocOpBuilder &b, mlir::VectorType vectorType,
    llvm::ArrayRef<mlir::Value> scalars, llvm::ArrayRef<mlir::Value> vectors,
    mlir::ValueRange accs);

/// Returns the data of a constant buffer defined by memref.get_global, or
/// std::nullopt when it is not a constant whose values are at hand: a view
/// of its dense_resource blob (which the context keeps), or of `storage`,
/// where the values of another attribute are copied.
std::optional<llvm::ArrayRef<float>>
constantData(mlir::Value value, llvm::SmallVectorImpl<float> &storage);

/// Adds a private constant global named after `nameHint` (renamed when
/// taken) holding `data` with `shape`, 64-byte aligned, and returns a
/// memref.get_global of it at the rewriter's insertion point. The global's
/// blob takes `data` over instead of copying it (a VGG's repacked weights
/// are hundreds of megabytes).
mlir::Value createConstantGlobal(mlir::PatternRewriter &rewriter,
                                 mlir::Location loc, mlir::ModuleOp module,
                                 llvm::StringRef nameHint,
                                 llvm::ArrayRef<int64_t> shape,
                                 llvm::SmallVector<float> &&data);

/// Gives each convolution, pooling or matmul under `root` whose first input
/// is a strided view (a channel slice of a larger buffer, as ShuffleNet's
/// channel split makes) and whose other operands are dense a dense copy of
/// that input, freed at the end of its block, so that the kernels, which
/// read dense buffers, take the op: ShuffleNet's 1x1 convolutions of half
/// the channels ran the generic loops at 5-40 GFLOP/s.
void copyStridedInputs(mlir::Operation *root);

/// The two inputs and the output of a linalg op on dense, statically shaped
/// f32 buffers, which is what the kernels need.
mlir::FailureOr<std::array<mlir::Value, 3>>
denseOperands(mlir::linalg::LinalgOp op, mlir::PatternRewriter &rewriter);

/// Where a fused group's sums for output channel `channel` start: its bias
/// broadcast to `type`, or zeros without one.
mlir::Value fusedStart(mlir::ImplicitLocOpBuilder &b, const FusionGroup &group,
                       mlir::Value channel, mlir::VectorType type);

/// `value` (an f32 or a vector of them) through the group's activation,
/// as the unfused generic computes it; `value` itself without one.
mlir::Value applyActivation(mlir::ImplicitLocOpBuilder &b, mlir::Value value,
                            const FusionGroup &group);

/// Erases what a kernel now computes: `op`, or every op of its fused group.
void eraseComputedOps(mlir::PatternRewriter &rewriter, mlir::Operation *op,
                      const FusionGroup *group);

/// max(a, b) over vectors of floats in [+0, +inf] and NaNs: the unsigned
/// integer max of their bits (see VectorPool::unsignedMax).
mlir::Value unsignedMaxOfBits(mlir::ImplicitLocOpBuilder &b, mlir::Value a,
                              mlir::Value x);

/// A fused group's pooling applied to vectors: start from identity(), fold
/// every window element in with combine() in row order, then finish() (the
/// average's division). That is the unfused ops' order, so results stay
/// bit-identical.
struct VectorPool {
  VectorPool(const FusionGroup &group, mlir::VectorType type);
  int64_t kh, kw, sh, sw;
  bool isMax;
  /// Whether the pooled values are the group's activation's, clamped to
  /// bounds of 0 or more (a ReLU): the bits of floats in [+0, +inf] order as
  /// unsigned integers do, and every NaN's bits are larger, so an unsigned
  /// integer max (one instruction) takes the place of the NaN-propagating
  /// float max (three on x86), from +0 instead of -inf.
  bool unsignedMax;
  mlir::VectorType type;

  mlir::Value identity(mlir::ImplicitLocOpBuilder &b) const;
  mlir::Value combine(mlir::ImplicitLocOpBuilder &b, mlir::Value acc,
                      mlir::Value x) const;
  mlir::Value finish(mlir::ImplicitLocOpBuilder &b, mlir::Value acc) const;
};

/// Pools the convolution rows in `scratch` into the group's result for the
/// `rows` channels of block ocb, `width` pooled columns per vector.
/// scratch[ocb][slot][r][ow] holds row oh of channel ocb * rows + r in slot
/// oh (ring == 0) or oh % ring (a ring of `ring` rows). With a ring, for every
/// pooled row ph it first computes the rows its windows need that the ring does
/// not hold yet (all pool_kernel rows for the first, the last min(stride,
/// kernel) ones after that) with `emitRow`; without, scratch holds every row
/// already. `scratchBlock`, when set, replaces ocb as the scratch's first index
/// (a scratch holding several images).
void emitPooledRows(
    mlir::ImplicitLocOpBuilder &b, mlir::Value n, mlir::Value ocb, int64_t rows,
    int64_t width, const FusionGroup &group, mlir::Value scratch, int64_t ring,
    llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value,
                            mlir::Value, mlir::Value)>
        emitRow,
    mlir::Value scratchBlock = {});

} // namespace kiln::kernels

#endif // KILN_CODEGEN_LIB_KERNELBUILDERS_H
