//===- LinearKernels.cpp - Split-K GEMV/GEMM for linear layers ------------===//
//
// y[m, n] = sum_k x[m, k] * w[n, k] + b[n] (then ReLU), w row-major [n, k].
//
// Linear layers are bound by reading w (VGG's first one is 411 MB), so the
// kernel streams each weight once per tile of batch rows with coalesced
// loads: 32 lanes share one output feature and read consecutive k, each
// accumulating its own partial sums for up to kRows batch rows in
// registers. The partials[m, n, lane] go to a small scratch buffer and a
// second kernel, one thread per output, adds the 32 partials in a fixed
// order, the bias and the ReLU. (No shuffles: kiln-gpu-emulate runs
// barriers but not warp shuffles.)
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;

namespace kiln::kernels {

namespace {
constexpr int64_t kLanes = 32;
constexpr int64_t kFeaturesPerBlock = 8;
constexpr int64_t kRows = 8;
} // namespace

SmallVector<int64_t> linearPartialsShape(int64_t m, int64_t n) {
  return {m, n, kLanes};
}

void emitLinear(ModelBuilder &builder, Location loc, int64_t m, int64_t kDim,
                int64_t n, bool relu, Value x, Value w, Value bias,
                Value partials, Value y) {
  int64_t rows = std::min(m, kRows);
  LaunchShape partialShape;
  partialShape.grid = {ceilDiv(n, kFeaturesPerBlock), ceilDiv(m, rows), 1};
  partialShape.block = {kLanes * kFeaturesPerBlock, 1, 1};
  builder.launch(
      "linear_partial", loc, {x, w, partials}, partialShape,
      [&](KernelBuilder &k, ValueRange args) {
        Value lane = k.rem(k.threadId[0], kLanes);
        Value feature = k.add(k.mul(k.blockId[0], kFeaturesPerBlock),
                              k.div(k.threadId[0], kLanes));
        Value row0 = k.mul(k.blockId[1], rows);
        k.ifThen(k.lt(feature, n), [&] {
          // Rows past m (when rows does not divide m) read row m - 1 and are
          // not stored.
          SmallVector<Value> rowIds;
          for (int64_t r = 0; r < rows; ++r)
            rowIds.push_back(k.minS(k.add(row0, r), k.idx(m - 1)));
          SmallVector<Value> zeros(rows, k.f32(0.0));
          SmallVector<Value> acc = k.loop(
              lane, k.idx(kDim), kLanes, zeros, [&](Value i, ValueRange acc) {
                Value wv = k.load(args[1], {feature, i});
                SmallVector<Value> next;
                for (int64_t r = 0; r < rows; ++r)
                  next.push_back(
                      k.fma(k.load(args[0], {rowIds[r], i}), wv, acc[r]));
                return next;
              });
          for (int64_t r = 0; r < rows; ++r) {
            Value row = k.add(row0, r);
            k.ifThen(k.lt(row, m), [&] {
              k.store(acc[r], args[2], {row, feature, lane});
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
