//===- LinearKernels.cpp - Split-K GEMV/GEMM for linear layers ------------===//
//
// y[m, n] = sum_k x[m, k] * w[n, k] + b[n] (then ReLU), w row-major [n, k].
//
// Linear layers are bound by reading w (VGG's first one is 411 MB), so the
// kernel streams each weight once per tile of batch rows with coalesced
// loads: a warp's 32 lanes share its output features and read consecutive
// k, each accumulating its own partial sums for a tile of batch rows in
// registers. At batch 1 a warp takes one feature (the most warps to keep
// loads in flight). From 8 rows on it takes 4 features, so that each input
// load feeds 4 FMAs, with tiles of 8 rows: 32 accumulators, 64 registers,
// 4 blocks of 256 threads per SM. The row tiles are the grid's x
// dimension: blocks that read the same weights run one after another, so
// a batch of 32 streams them from DRAM once and from L2 three times. The
// partials[m, n, lane] go to a small scratch buffer and a second kernel,
// one thread per output, adds the 32 partials in a fixed order, the bias
// and the ReLU. (No shuffles: kiln-gpu-emulate runs barriers but not warp
// shuffles.)
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;

namespace kiln::kernels {

namespace {
constexpr int64_t kLanes = 32;
constexpr int64_t kWarps = 8;
/// Batch rows per tile.
constexpr int64_t kRows = 8;
/// Features per warp from kRows batch rows on.
constexpr int64_t kFeatures = 4;
} // namespace

SmallVector<int64_t> linearPartialsShape(int64_t m, int64_t n) {
  return {m, n, kLanes};
}

void emitLinear(ModelBuilder &builder, Location loc, int64_t m, int64_t kDim,
                int64_t n, bool relu, Value x, Value w, Value bias,
                Value partials, Value y) {
  int64_t features = m >= kRows ? kFeatures : 1;
  int64_t rows = std::min(m, kRows);
  LaunchShape partialShape;
  partialShape.grid = {ceilDiv(m, rows), ceilDiv(n, kWarps * features), 1};
  partialShape.block = {kLanes * kWarps, 1, 1};
  partialShape.flops = 2 * m * kDim * n;
  builder.launch(
      "linear_partial", loc, {x, w, partials}, partialShape,
      [&](KernelBuilder &k, ValueRange args) {
        Value lane = k.rem(k.threadId[0], kLanes);
        Value feature0 = k.mul(
            k.add(k.mul(k.blockId[1], kWarps), k.div(k.threadId[0], kLanes)),
            features);
        Value row0 = k.mul(k.blockId[0], rows);
        k.ifThen(k.lt(feature0, n), [&] {
          // Rows past m (when rows does not divide m) read row m - 1 and
          // features past n read feature n - 1; neither is stored.
          SmallVector<Value> rowIds, featureIds;
          for (int64_t r = 0; r < rows; ++r)
            rowIds.push_back(k.minS(k.add(row0, r), k.idx(m - 1)));
          for (int64_t f = 0; f < features; ++f)
            featureIds.push_back(
                n % features == 0 ? k.add(feature0, f)
                                  : k.minS(k.add(feature0, f), k.idx(n - 1)));
          // Accumulator r * features + f: row row0 + r, feature feature0 + f.
          SmallVector<Value> zeros(rows * features, k.f32(0.0));
          SmallVector<Value> acc = k.loop(
              lane, k.idx(kDim), kLanes, zeros, [&](Value i, ValueRange acc) {
                SmallVector<Value> ws, next(acc);
                for (int64_t f = 0; f < features; ++f)
                  ws.push_back(k.load(args[1], {featureIds[f], i}));
                for (int64_t r = 0; r < rows; ++r) {
                  Value xv = k.load(args[0], {rowIds[r], i});
                  for (int64_t f = 0; f < features; ++f)
                    next[r * features + f] =
                        k.fma(xv, ws[f], acc[r * features + f]);
                }
                return next;
              });
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t f = 0; f < features; ++f) {
              Value row = k.add(row0, r), feature = k.add(feature0, f);
              k.ifThen(k.andI(k.lt(row, m), k.lt(feature, n)), [&] {
                k.store(acc[r * features + f], args[2], {row, feature, lane});
              });
            }
        });
      });

  constexpr int64_t threads = 256;
  LaunchShape reduceShape;
  reduceShape.grid = {ceilDiv(m * n, threads), 1, 1};
  reduceShape.block = {threads, 1, 1};
  SmallVector<Value> args = {partials};
  if (bias)
    args.push_back(bias);
  args.push_back(y);
  builder.launch(
      "linear_reduce", loc, args, reduceShape,
      [&](KernelBuilder &k, ValueRange kargs) {
        Value id = k.add(k.mul(k.blockId[0], threads), k.threadId[0]);
        k.ifThen(k.lt(id, m * n), [&] {
          Value row = k.div(id, n), feature = k.rem(id, n);
          Value sum = bias ? k.load(kargs[1], {feature}) : k.f32(0.0);
          // Pairwise over the lanes: a fixed order, and shorter rounding
          // chains.
          SmallVector<Value> terms;
          for (int64_t l = 0; l < kLanes; ++l)
            terms.push_back(k.load(kargs[0], {row, feature, k.idx(l)}));
          while (terms.size() > 1) {
            SmallVector<Value> next;
            for (size_t i = 0; i + 1 < terms.size(); i += 2)
              next.push_back(k.addF(terms[i], terms[i + 1]));
            if (terms.size() % 2)
              next.push_back(terms.back());
            terms = std::move(next);
          }
          sum = k.addF(sum, terms[0]);
          if (relu)
            sum = k.relu(sum);
          k.store(sum, kargs.back(), {row, feature});
        });
      });
}

} // namespace kiln::kernels
