//===- LinearKernels.cpp - GEMV/GEMM for linear layers --------------------===//
//
// y[m, n] = sum_k x[m, k] * w[n, k] + b[n] (then ReLU), w row-major [n, k].
//
// Linear layers are bound by reading w (VGG's first one is 411 MB), so the
// kernel streams each weight once per tile of batch rows with coalesced
// 128-bit loads: a warp's 32 lanes share its output features and read
// consecutive groups of 4 k (512 bytes a warp), each accumulating its own
// partial sums for a tile of batch rows in registers. Below 8 rows a warp
// takes one feature (the most warps) and each lane issues 4 such loads
// before its first multiply-add: by Little's law an H200 (4.8 TB/s, ~0.7 us
// from load to use, 132 SMs) needs ~25 KB in flight per SM, and ~31 warps
// of 2 KB give it (LLVM's unrolling of scalar loads gave 1 KB a warp). From
// 8 rows on a warp takes 4 features, so that each input load feeds 4
// multiply-adds, with tiles of 8 rows, and scalar loads. The row
// tiles are the grid's x dimension: blocks that read the same weights run
// one after another, so a batch of 32 streams them from DRAM once and from
// L2 three times. A row length that is not a multiple of 4 (w's rows not
// 16-byte aligned) takes scalar loads too.
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
/// Words per load (128 bits).
constexpr int64_t kWidth = 4;
/// Weight loads in flight per lane with one feature per warp.
constexpr int64_t kUnroll = 4;
} // namespace

void emitLinear(ModelBuilder &builder, Location loc, int64_t m, int64_t kDim,
                int64_t n, bool relu, Value x, Value w, Value bias, Value y) {
  int64_t features = m >= kRows ? kFeatures : 1;
  int64_t rows = std::min(m, kRows);
  // A warp's (row, feature) pairs, at most one per lane.
  int64_t pairs = rows * features;
  static_assert(kRows * kFeatures <= kLanes, "a lane sums one pair");
  // 128-bit loads where every row of x and w starts 16 bytes from the last
  // (the buffers themselves are 256-byte aligned), below 8 rows. With 4
  // features and 8 rows they would take the kernel from 64 registers to 80,
  // 4 blocks per SM to 3, for fewer load instructions but not fewer bytes
  // through L1 (which bounds that case: 1.5 bytes per multiply-add).
  int64_t width = features == 1 && kDim % kWidth == 0 ? kWidth : 1;
  // Loads of each weight row a lane issues before its first multiply-add:
  // with one feature per warp and up to 2 rows, 4 (2 KB a warp in flight
  // with 128-bit loads), so that the weights stream at the memory's
  // bandwidth. Each row adds a load of x per weight load, so 3 to 7 rows
  // take 2 (1 KB), which keeps every batch size at 64 registers or fewer,
  // 4 blocks per SM (7 rows unrolled 4 times took 100 registers).
  int64_t unroll = features > 1 ? 1 : rows <= 2 ? kUnroll : 2;
  // Words a warp covers per load, and per iteration of the main loop.
  int64_t warpStep = kLanes * width;
  int64_t step = warpStep * unroll;
  // The unrolled main loop covers the multiples of `step`, a loop of single
  // loads the rest (the whole row when nothing is unrolled): a lane's
  // vector there lies wholly inside the row or wholly past it.
  int64_t mainEnd = unroll > 1 ? kDim / step * step : 0;
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
        // A warp past the last feature skips the loops (its sums stay 0).
        Value warpHasFeature =
            n % (kWarps * features) == 0 ? Value() : k.lt(feature0, n);
        auto endFor = [&](int64_t end) {
          return warpHasFeature ? k.select(warpHasFeature, k.idx(end), k.idx(0))
                                : k.idx(end);
        };
        // Multiply-adds from `count` vectors starting at column i, warpStep
        // apart. Accumulator (u * rows + r) * features + f: row row0 + r,
        // feature feature0 + f, the u-th vector (in the main loop each has
        // its own sums, so that an iteration's multiply-adds do not wait on
        // each other).
        auto accumulate = [&](Value i, int64_t count, ValueRange acc) {
          SmallVector<Value> next(acc);
          SmallVector<SmallVector<Value>> ws;
          for (int64_t u = 0; u < count; ++u)
            for (int64_t f = 0; f < features; ++f)
              ws.push_back(k.loadContiguous(
                  kargs[1], {featureIds[f], k.add(i, u * warpStep)}, width));
          for (int64_t u = 0; u < count; ++u)
            for (int64_t r = 0; r < rows; ++r) {
              SmallVector<Value> xs = k.loadContiguous(
                  kargs[0], {rowIds[r], k.add(i, u * warpStep)}, width);
              for (int64_t f = 0; f < features; ++f) {
                Value &sum = next[(u * rows + r) * features + f];
                for (int64_t e = 0; e < width; ++e)
                  sum = k.fma(xs[e], ws[u * features + f][e], sum);
              }
            }
          return next;
        };
        Value first = k.mul(lane, width);
        SmallVector<Value> acc(pairs, k.f32(0.0));
        if (mainEnd > 0) {
          SmallVector<Value> sets =
              k.loop(first, endFor(mainEnd), step,
                     SmallVector<Value>(unroll * pairs, k.f32(0.0)),
                     [&](Value i, ValueRange acc) {
                       return accumulate(i, unroll, acc);
                     });
          // The unrolled sums, added in order.
          for (int64_t j = 0; j < pairs; ++j) {
            acc[j] = sets[j];
            for (int64_t u = 1; u < unroll; ++u)
              acc[j] = k.addF(acc[j], sets[u * pairs + j]);
          }
        }
        if (mainEnd < kDim)
          acc = k.loop(
              k.add(first, mainEnd), endFor(kDim), warpStep, acc,
              [&](Value i, ValueRange acc) { return accumulate(i, 1, acc); });

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
