//===- KernelBuilder.h - Writing GPU kernels from C++ -----------*- C++ -*-===//
//
// kiln-nn-to-gpu writes each kernel as a gpu.func with explicit block and
// thread ids. KernelBuilder keeps those bodies short: index and f32
// constants, arithmetic, loads and stores, loops carrying accumulators and
// guards. ModelBuilder creates the gpu.func for a body and the host's
// gpu.launch_func with the grid and block sizes that go with it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_GPU_KERNELBUILDER_H
#define KILN_CODEGEN_GPU_KERNELBUILDER_H

#include "kiln/Dialect/NN/FusionAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include <array>
#include <optional>

namespace kiln::kernels {

/// Arithmetic on index and f32 values at one location.
class KernelBuilder {
public:
  KernelBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::OpBuilder &b;
  mlir::Location loc;
  /// gpu.block_id and gpu.thread_id along x, y, z (set by ModelBuilder).
  std::array<mlir::Value, 3> blockId, threadId;
  /// The kernel being written (set by ModelBuilder).
  mlir::gpu::GPUFuncOp func;

  /// A new f32 buffer in workgroup (shared) memory, one per block, aligned
  /// to 16 bytes so that 128-bit loads may read it.
  mlir::Value workgroupBuffer(llvm::ArrayRef<int64_t> shape);
  /// gpu.barrier: every thread of the block waits for all the others.
  void barrier();

  mlir::Value idx(int64_t value);
  mlir::Value f32(double value);
  mlir::Value add(mlir::Value a, mlir::Value b);
  mlir::Value sub(mlir::Value a, mlir::Value b);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  /// Unsigned division and remainder: kernels divide non-negative indices.
  mlir::Value div(mlir::Value a, mlir::Value b);
  mlir::Value rem(mlir::Value a, mlir::Value b);
  mlir::Value add(mlir::Value a, int64_t b) { return add(a, idx(b)); }
  mlir::Value mul(mlir::Value a, int64_t b) { return mul(a, idx(b)); }
  mlir::Value div(mlir::Value a, int64_t b) { return div(a, idx(b)); }
  mlir::Value rem(mlir::Value a, int64_t b) { return rem(a, idx(b)); }
  mlir::Value minS(mlir::Value a, mlir::Value b);
  mlir::Value maxS(mlir::Value a, mlir::Value b);
  /// Signed comparisons (window positions may be negative).
  mlir::Value lt(mlir::Value a, mlir::Value b);
  mlir::Value lt(mlir::Value a, int64_t b) { return lt(a, idx(b)); }
  mlir::Value ge(mlir::Value a, int64_t b);
  mlir::Value andI(mlir::Value a, mlir::Value b);
  mlir::Value select(mlir::Value c, mlir::Value t, mlir::Value f);
  /// True when 0 <= a < size.
  mlir::Value inRange(mlir::Value a, int64_t size);

  mlir::Value addF(mlir::Value a, mlir::Value b);
  mlir::Value subF(mlir::Value a, mlir::Value b);
  mlir::Value mulF(mlir::Value a, mlir::Value b);
  mlir::Value divF(mlir::Value a, mlir::Value b);
  mlir::Value maxF(mlir::Value a, mlir::Value b);
  mlir::Value minF(mlir::Value a, mlir::Value b);
  /// a * b + c, fused.
  mlir::Value fma(mlir::Value a, mlir::Value b, mlir::Value c);
  mlir::Value relu(mlir::Value a) { return maxF(a, f32(0.0)); }
  mlir::Value indexToF32(mlir::Value a);

  mlir::Value load(mlir::Value memref, mlir::ValueRange indices);
  /// `width` consecutive elements along the last dimension from `indices`
  /// in one load of 4 x width bytes (PTX ld.v2/ld.v4 for 2 or 4). The
  /// address must be aligned to that many bytes.
  llvm::SmallVector<mlir::Value>
  loadContiguous(mlir::Value memref, mlir::ValueRange indices, int64_t width);
  void store(mlir::Value value, mlir::Value memref, mlir::ValueRange indices);

  /// The row-major indices of `linear` in `shape`.
  llvm::SmallVector<mlir::Value> delinearize(mlir::Value linear,
                                             llvm::ArrayRef<int64_t> shape);

  /// scf.for from lb to ub by step carrying `inits`; `body` returns the
  /// values to yield. Returns the loop's results.
  using LoopBody = llvm::function_ref<llvm::SmallVector<mlir::Value>(
      mlir::Value iv, mlir::ValueRange iters)>;
  llvm::SmallVector<mlir::Value> loop(mlir::Value lb, mlir::Value ub,
                                      int64_t step, mlir::ValueRange inits,
                                      LoopBody body);
  llvm::SmallVector<mlir::Value> loop(int64_t lb, int64_t ub, int64_t step,
                                      mlir::ValueRange inits, LoopBody body) {
    return loop(idx(lb), idx(ub), step, inits, body);
  }

  /// Runs `body` only when `cond` holds.
  void ifThen(mlir::Value cond, llvm::function_ref<void()> body);
};

/// Grid and block sizes of one launch.
struct LaunchShape {
  std::array<int64_t, 3> grid = {1, 1, 1};
  std::array<int64_t, 3> block = {1, 1, 1};
  /// Floating-point operations of the whole launch, for the runtime's
  /// profile (0: not counted).
  int64_t flops = 0;
};

/// Creates kernels in the gpu.module and launches them from the host
/// function, at the builders' insertion points. A kernel writes only its
/// last argument (its arguments are marked noalias, the others readonly).
class ModelBuilder {
public:
  ModelBuilder(mlir::OpBuilder &host, mlir::gpu::GPUModuleOp kernels)
      : host(host), kernels(kernels) {}

  /// Adds `gpu.func @NAME_<n>(args...) kernel` whose body `body` writes with
  /// a KernelBuilder (block/thread ids set, `args` the kernel's arguments),
  /// and launches it on `hostArgs` with `shape`.
  void launch(llvm::StringRef name, mlir::Location loc,
              mlir::ValueRange hostArgs, const LaunchShape &shape,
              llvm::function_ref<void(KernelBuilder &, mlir::ValueRange)> body);

  /// A new f32 device buffer (activations or scratch) allocated by the host.
  mlir::Value alloc(llvm::ArrayRef<int64_t> shape, mlir::Location loc);

  mlir::OpBuilder &host;

private:
  mlir::gpu::GPUModuleOp kernels;
  unsigned counter = 0;
};

/// Ceiling division of positive numbers.
inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

//===----------------------------------------------------------------------===//
// Kernel families (one file each).
//===----------------------------------------------------------------------===//

/// What runs after a convolution or linear layer inside the same kernel.
enum class PoolKind { None, Max, Avg };

struct ConvParams {
  int64_t n, c, h, w;         // input
  int64_t oc, groups, kh, kw; // weight [oc, c/groups, kh, kw]
  int64_t strideH, strideW, padTop, padLeft, dilationH, dilationW;
  int64_t oh, ow; // convolution output
  bool bias = false;
  /// The ReLU or clamp after the bias, if any.
  std::optional<kiln::nn::Activation> activation;
  PoolKind pool = PoolKind::None;
  int64_t poolH = 1, poolW = 1; // window = stride, no padding
};

/// A pooling reduced element by element: its identity (-inf for max, 0 for
/// the sum of an average), one more element, and the finish (an average's
/// division by `count`, an f32).
mlir::Value poolIdentity(KernelBuilder &k, PoolKind kind);
mlir::Value poolCombine(KernelBuilder &k, PoolKind kind, mlir::Value acc,
                        mlir::Value element);
mlir::Value poolFinish(KernelBuilder &k, PoolKind kind, mlir::Value acc,
                       mlir::Value count);

/// The multiply-adds of a convolution, as FLOPs (2 per multiply-add).
inline int64_t convFlops(const ConvParams &p) {
  return 2 * p.n * p.oc * p.oh * p.ow * (p.c / p.groups) * p.kh * p.kw;
}

/// A convolution output's fused epilogue: the bias, then the ReLU or clamp
/// when the layer has one.
mlir::Value convEpilogue(KernelBuilder &k, const ConvParams &p, mlir::Value sum,
                         mlir::Value bias);
/// One (pooled) output of a convolution: the epilogue of each conv output
/// (wy, wx) of the pool window, `sumAt` giving its sum, pooled (or the one
/// conv output without a pool).
mlir::Value
pooledEpilogue(KernelBuilder &k, const ConvParams &p, mlir::Value bias,
               llvm::function_ref<mlir::Value(int64_t wy, int64_t wx)> sumAt);

/// input[n, channel, y, x] of a convolution's [N, C, H, W] input, 0 where
/// (y, x) lies in the padding: the load reads a clamped position, then the
/// value is selected.
mlir::Value loadPadded(KernelBuilder &k, const ConvParams &p, mlir::Value input,
                       mlir::Value n, mlir::Value channel, mlir::Value y,
                       mlir::Value x);

/// conv2d (+bias)(+ReLU)(+pool): `args` are input, weight, [bias], output.
/// Each thread reads its inputs and weights from global memory.
/// `smCount`, the GPU's streaming multiprocessors, sizes the work per
/// thread: small layers get more, lighter threads.
void emitConv2D(ModelBuilder &builder, mlir::Location loc,
                const ConvParams &params, mlir::ValueRange args,
                int64_t smCount);

/// The same through shared-memory tiles of the input window and the
/// weights. Returns false, emitting nothing, for a layer it does not take:
/// grouped, or with a window too large for shared memory.
bool emitSharedConv2D(ModelBuilder &builder, mlir::Location loc,
                      const ConvParams &params, mlir::ValueRange args,
                      int64_t smCount);

/// A pool after a convolution, without padding, whose windows may overlap
/// (AlexNet's 3x3, stride 2): pooled[y, x] reduces conv[y sy + i, x sx + j]
/// for i < kh, j < kw. PoolKind::None: no pool (1x1 windows, stride 1).
struct OverlappingPool {
  PoolKind kind;
  int64_t kh, kw, strideH, strideW;
  int64_t outH, outW; // the pooled output
};

/// The convolution's own pool (kernel = stride; 1x1 windows without one)
/// as the split reduction takes it.
inline OverlappingPool ownPool(const ConvParams &p) {
  return {p.pool,  p.poolH,        p.poolW,       p.poolH,
          p.poolW, p.oh / p.poolH, p.ow / p.poolW};
}

/// Whether the shared-memory kernel splits the input channels of `params`
/// over blocks (a layer too small to fill `smCount` SMs otherwise).
bool splitsSharedConv(const ConvParams &params, int64_t smCount);

/// The shared-memory convolution (`params` without a pool of its own)
/// followed by `pool`, for a layer that splits (splitsSharedConv): the
/// reduction kernel that adds the splits' raw sums then pools them, writing
/// the pooled result to args.back(). Returns false, emitting nothing, for a
/// layer that does not split (a second kernel pooling the convolution's
/// output is then cheaper than recomputing the outputs that neighbouring
/// windows share).
bool emitSplitSharedConv2DWithPool(ModelBuilder &builder, mlir::Location loc,
                                   const ConvParams &params,
                                   const OverlappingPool &pool,
                                   mlir::ValueRange args, int64_t smCount);

/// The reduction of a layer that splits its input channels: adds the
/// splits' raw sums `partials` [split, n, oc, y, x] in order, then the bias,
/// ReLU and the pool `window` (the conv's own, kernel = stride, or one whose
/// windows overlap), one thread per output element. `args` are the
/// convolution's (input, weight, [bias], output).
void emitSplitReduce(ModelBuilder &builder, mlir::Location loc,
                     const ConvParams &params, int64_t splits,
                     const OverlappingPool &window, mlir::Value partials,
                     mlir::ValueRange args);

/// Winograd's F(m x m, 3 x 3) for a 3x3, stride-1 convolution (+bias)
/// (+ReLU)(+2x2 pool), `args` as emitConv2D's: m = `tile` (2, 3 or 4; 0
/// is 2). Returns false,
/// emitting nothing, for a layer it does not take (see
/// WinogradConvKernel.cpp): then the shared-memory kernel does.
bool emitWinogradConv2D(ModelBuilder &builder, mlir::Location loc,
                        const ConvParams &params, mlir::ValueRange args,
                        int64_t smCount, int64_t tile);
/// Whether emitWinogradConv2D takes `params`, and whether it then splits
/// the input channels over blocks.
bool takesWinogradConv(const ConvParams &params, int64_t smCount, int64_t tile);
bool splitsWinogradConv(const ConvParams &params, int64_t smCount,
                        int64_t tile);
/// emitSplitSharedConv2DWithPool's counterpart for the Winograd kernel.
bool emitSplitWinogradConv2DWithPool(ModelBuilder &builder, mlir::Location loc,
                                     const ConvParams &params,
                                     const OverlappingPool &pool,
                                     mlir::ValueRange args, int64_t smCount,
                                     int64_t tile);

/// linear (+bias)(+ReLU) of x[m, k] and w[n, k] into y[m, n]: one kernel.
void emitLinear(ModelBuilder &builder, mlir::Location loc, int64_t m, int64_t k,
                int64_t n, bool relu, mlir::Value x, mlir::Value w,
                mlir::Value bias, mlir::Value y);

/// Element-wise map of one buffer, or of two of one shape (Add) or whose
/// second has size 1 along some dimensions, read again along them (Mul,
/// Sub, Div, PRelu).
enum class ElementwiseKind {
  Relu,
  Sigmoid,
  Tanh,
  Clamp,           // min(max(x, lo), hi): nn.clamp.
  LeakyRelu,       // x > 0 ? x : slope * x: nn.leaky_relu.
  Elu,             // x > 0 ? x : alpha * (exp(x) - 1): nn.elu.
  Celu,            // x > 0 ? x : alpha * (exp(x / alpha) - 1): nn.celu.
  Selu,            // x > 0 ? gamma * x : gamma * alpha * (exp(x) - 1): nn.selu.
  ThresholdedRelu, // x > alpha ? x : 0: nn.thresholded_relu.
  Abs,             // |x|: nn.abs.
  Exp,             // e^x: nn.exp.
  Erf,             // The error function: nn.erf.
  Log,             // ln x: nn.log.
  Sqrt,            // sqrt(x): nn.sqrt.
  Reciprocal,      // 1 / x: nn.reciprocal.
  Softsign,        // x / (1 + |x|): nn.softsign.
  Softplus,        // max(x, 0) + log1p(exp(-|x|)): nn.softplus.
  HardSigmoid,     // min(max(alpha * x + beta, 0), 1): nn.hard_sigmoid.
  HardSwish,       // x * min(max(x + 3, 0), 6) / 6: nn.hard_swish.
  Add,
  Mul,
  Sub,
  Div,
  Max,   // The larger, NaN if either is: nn.maximum (broadcast as Mul's).
  Min,   // The smaller, NaN if either is: nn.minimum.
  Pow,   // powf(x, y), by exp and log: nn.pow.
  PRelu, // x > 0 ? x : slope * x, the slope broadcast as Mul's: nn.prelu.
  Copy
};
/// The constants of the kinds that have them.
struct ElementwiseParams {
  double lo = 0, hi = 0, slope = 0, alpha = 0, beta = 0, gamma = 0;
};
void emitElementwise(ModelBuilder &builder, mlir::Location loc,
                     ElementwiseKind kind, mlir::ValueRange inputs,
                     mlir::Value output, ElementwiseParams params = {});

struct PoolParams {
  PoolKind kind;
  int64_t kernel[2], stride[2], padBefore[2], padAfter[2];
  /// A max pool's (ONNX's dilations); average pools have none.
  int64_t dilation[2] = {1, 1};
  bool countIncludePad = false;
};
/// max/avg pool with PyTorch's padding, ceil_mode and divisor rules.
void emitPool(ModelBuilder &builder, mlir::Location loc,
              const PoolParams &params, mlir::Value input, mlir::Value output);
/// nn.conv_transpose2d (+bias): `args` are input, weight [C, M/groups, kh,
/// kw], [bias], output. One thread per output element gathers the input
/// cells that scatter into it (see ConvTranspose.cpp in passes/ for the
/// arithmetic).
struct ConvTransposeParams {
  int64_t stride[2], padBefore[2], dilation[2], groups;
  bool bias = false;
};
void emitConvTranspose2D(ModelBuilder &builder, mlir::Location loc,
                         const ConvTransposeParams &params,
                         mlir::ValueRange args);
void emitAdaptiveAvgPool(ModelBuilder &builder, mlir::Location loc,
                         mlir::Value input, mlir::Value output);
void emitLRN(ModelBuilder &builder, mlir::Location loc, int64_t size,
             double alpha, double beta, double k, mlir::Value input,
             mlir::Value output);
/// nn.softmax over `dims` (consecutive), or its logarithm: one thread per
/// vector normalised.
void emitSoftmax(ModelBuilder &builder, mlir::Location loc,
                 llvm::ArrayRef<int64_t> dims, bool log, mlir::Value input,
                 mlir::Value output);
enum class ReduceKind { Sum, Mean, Max, Prod };
/// nn.reduce_sum/mean/max over `dims`: one thread per output element (the
/// reduced dimensions kept with size 1) loops over the elements it reduces.
void emitReduce(ModelBuilder &builder, mlir::Location loc, ReduceKind kind,
                llvm::ArrayRef<int64_t> dims, mlir::Value input,
                mlir::Value output);
/// Inference batch norm over dimension 1.
void emitBatchNorm(ModelBuilder &builder, mlir::Location loc, double eps,
                   mlir::Value input, mlir::ValueRange params,
                   mlir::Value output);
/// nn.transpose: output dimension i is input dimension perm[i]; one thread
/// per output element.
void emitTranspose(ModelBuilder &builder, mlir::Location loc,
                   llvm::ArrayRef<int64_t> perm, mlir::Value input,
                   mlir::Value output);
/// Copies `input` into `output` at `offset` along `dim`.
/// output[i] = input[offsets + i * strides] (nn.slice), a thread per output
/// element.
void emitSlice(ModelBuilder &builder, mlir::Location loc,
               llvm::ArrayRef<int64_t> offsets, llvm::ArrayRef<int64_t> strides,
               mlir::Value input, mlir::Value output);
void emitConcatPart(ModelBuilder &builder, mlir::Location loc, int64_t dim,
                    int64_t offset, mlir::Value input, mlir::Value output);

} // namespace kiln::kernels

#endif // KILN_CODEGEN_GPU_KERNELBUILDER_H
