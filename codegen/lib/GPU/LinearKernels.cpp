//===- LinearKernels.cpp - GEMV/GEMM for linear layers --------------------===//
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
// a batch of 32 streams them from DRAM once and from L2 three times.
//
// A warp's lanes then leave their partial sums in shared memory and, after
// a barrier, lane j of the warp adds the 32 partials of the warp's j-th
// (row, feature) in a fixed order, the bias and the ReLU: one kernel per
// layer, no scratch buffer. (No shuffles: kiln-gpu-emulate runs barriers
// but not warp shuffles.)
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
/// Words per row of the partial sums in shared memory: one more than the
/// lanes, so that the 32 lanes summing 32 rows read 32 different banks.
constexpr int64_t kPitch = kLanes + 1;
} // namespace

void emitLinear(ModelBuilder &builder, Location loc, int64_t m, int64_t kDim,
                int64_t n, bool relu, Value x, Value w, Value bias, Value y) {
  int64_t features = m >= kRows ? kFeatures : 1;
  int64_t rows = std::min(m, kRows);
  // A warp's (row, feature) pairs, at most one per lane.
  int64_t pairs = rows * features;
  static_assert(kRows * kFeatures <= kLanes, "a lane sums one pair");
  LaunchShape shape;
  shape.grid = {ceilDiv(m, rows), ceilDiv(n, kWarps * features), 1};
  shape.block = {kLanes * kWarps, 1, 1};
  shape.flops = 2 * m * kDim * n;
  SmallVector<Value> args = {x, w};
  if (bias)
    args.push_back(bias);
  args.push_back(y);
  builder.launch(
      "linear", loc, args, shape, [&](KernelBuilder &k, ValueRange kargs) {
        Value lane = k.rem(k.threadId[0], kLanes);
        Value warp = k.div(k.threadId[0], kLanes);
        Value feature0 =
            k.mul(k.add(k.mul(k.blockId[1], kWarps), warp), features);
        Value row0 = k.mul(k.blockId[0], rows);
        // Rows past m (when rows does not divide m) read row m - 1 and
        // features past n feature n - 1; neither is stored. Every thread
        // reaches the barrier.
        SmallVector<Value> rowIds, featureIds;
        for (int64_t r = 0; r < rows; ++r)
          rowIds.push_back(k.minS(k.add(row0, r), k.idx(m - 1)));
        for (int64_t f = 0; f < features; ++f)
          featureIds.push_back(n % features == 0
                                   ? k.add(feature0, f)
                                   : k.minS(k.add(feature0, f), k.idx(n - 1)));
        // Accumulator r * features + f: row row0 + r, feature feature0 + f.
        // A warp past the last feature skips the loop (its sums stay 0).
        SmallVector<Value> zeros(pairs, k.f32(0.0));
        Value end = n % (kWarps * features) == 0
                        ? k.idx(kDim)
                        : k.select(k.lt(feature0, n), k.idx(kDim), k.idx(0));
        SmallVector<Value> acc =
            k.loop(lane, end, kLanes, zeros, [&](Value i, ValueRange acc) {
              SmallVector<Value> ws, next(acc);
              for (int64_t f = 0; f < features; ++f)
                ws.push_back(k.load(kargs[1], {featureIds[f], i}));
              for (int64_t r = 0; r < rows; ++r) {
                Value xv = k.load(kargs[0], {rowIds[r], i});
                for (int64_t f = 0; f < features; ++f)
                  next[r * features + f] =
                      k.fma(xv, ws[f], acc[r * features + f]);
              }
              return next;
            });

        Value partials = k.workgroupBuffer({kWarps, pairs, kPitch});
        for (int64_t j = 0; j < pairs; ++j)
          k.store(acc[j], partials, {warp, k.idx(j), lane});
        k.barrier();
        // Lane j sums the warp's pair j: row row0 + j / features, feature
        // feature0 + j % features.
        Value row = k.add(row0, k.div(lane, features));
        Value feature = k.add(feature0, k.rem(lane, features));
        Value inside =
            k.andI(k.lt(lane, pairs), k.andI(k.lt(row, m), k.lt(feature, n)));
        k.ifThen(inside, [&] {
          Value sum = bias ? k.load(kargs[2], {feature}) : k.f32(0.0);
          // Pairwise over the lanes: a fixed order, and shorter rounding
          // chains.
          SmallVector<Value> terms;
          for (int64_t l = 0; l < kLanes; ++l)
            terms.push_back(k.load(partials, {warp, lane, k.idx(l)}));
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
