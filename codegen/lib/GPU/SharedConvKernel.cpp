//===- SharedConvKernel.cpp - Convolution through shared-memory tiles -----===//
//
// One kernel per convolution (bias, ReLU and a following non-overlapping
// pool included), like ConvKernels.cpp, but the block first copies what its
// threads read into shared memory: the input window under its output tile
// and the weights of its output channels, a chunk of input channels at a
// time. Neighbouring outputs share most of their input window (a 3x3 conv
// reads each input 9 times), so global memory serves each input once per
// block instead of once per thread and tap.
//
// Mapping: grid (column tiles, row tiles, batch x channel tiles), 128
// threads per block as 8 rows of 16 columns; a thread computes `pixels`
// (pooled) output pixels of its row, 16 columns apart, for `channels` output
// channels, the pool window's conv outputs side by side. Each weight read
// from shared memory feeds pixels x window FMAs (4 when they allow), and
// neighbouring threads read neighbouring input columns (no bank
// conflicts). Per chunk of input channels the block's threads copy
// the chunk's input window (zero outside the image: that is the padding)
// and its weights with consecutive threads on consecutive addresses
// (coalesced), wait at a barrier, accumulate from shared memory, and wait
// again before the next chunk overwrites the tiles.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;

namespace kiln::kernels {

namespace {
constexpr int64_t kTileRows = 8, kTileColumns = 16;
constexpr int64_t kThreads = kTileRows * kTileColumns;
/// Conv outputs a thread computes per output channel (pixels x pool
/// window): each weight loaded from shared memory feeds that many FMAs,
/// and with 8 channels they make 32 accumulators.
constexpr int64_t kOutputsPerThread = 4;
/// The static shared memory every CUDA GPU since sm_20 gives a block.
constexpr int64_t kSharedFloats = 48 * 1024 / 4;

/// The first of `candidates` that divides `n`.
int64_t firstDivisor(int64_t n, ArrayRef<int64_t> candidates) {
  for (int64_t c : candidates)
    if (n % c == 0)
      return c;
  return 1;
}
} // namespace

bool emitSharedConv2D(ModelBuilder &builder, Location loc, const ConvParams &p,
                      ValueRange args) {
  if (p.groups != 1)
    return false;
  int64_t outH = p.pool == PoolKind::None ? p.oh : p.oh / p.poolH;
  int64_t outW = p.pool == PoolKind::None ? p.ow : p.ow / p.poolW;
  int64_t channels = firstDivisor(p.oc, {8, 4, 2, 1});
  int64_t windows = p.poolH * p.poolW; // conv outputs per pixel and channel
  // Pixels per thread: up to kOutputsPerThread conv outputs, no more
  // columns than the output has.
  int64_t pixels = std::max<int64_t>(
      1, std::min(kOutputsPerThread / windows, ceilDiv(outW, kTileColumns)));
  // The tile's input window and the input channels per chunk: the most
  // (of 8, 4, 2, 1 dividing them) whose tiles fit in shared memory, with as
  // many pixels per thread as allow one.
  int64_t chunk = 0, inRows = 0, inColumns = 0;
  for (; pixels >= 1; pixels /= 2) {
    int64_t convRows = kTileRows * p.poolH;
    int64_t convColumns = kTileColumns * pixels * p.poolW;
    inRows = (convRows - 1) * p.strideH + (p.kh - 1) * p.dilationH + 1;
    inColumns = (convColumns - 1) * p.strideW + (p.kw - 1) * p.dilationW + 1;
    for (int64_t c : {8, 4, 2, 1})
      if (p.c % c == 0 &&
          c * (inRows * inColumns + channels * p.kh * p.kw) <= kSharedFloats) {
        chunk = c;
        break;
      }
    if (chunk)
      break;
  }
  if (!chunk)
    return false;
  int64_t channelTiles = p.oc / channels;
  int64_t tileColumns = kTileColumns * pixels;

  LaunchShape shape;
  shape.grid = {ceilDiv(outW, tileColumns), ceilDiv(outH, kTileRows),
                p.n * channelTiles};
  shape.block = {kThreads, 1, 1};
  builder.launch(
      "conv2d_shared", loc, args, shape,
      [&](KernelBuilder &k, ValueRange kargs) {
        Value input = kargs[0], weight = kargs[1];
        Value bias = p.bias ? kargs[2] : Value();
        Value output = kargs.back();
        Value inputTile = k.workgroupBuffer({chunk, inRows, inColumns});
        Value weightTile = k.workgroupBuffer({channels, chunk, p.kh, p.kw});

        Value thread = k.threadId[0];
        Value row = k.div(thread, kTileColumns);
        Value column = k.rem(thread, kTileColumns);
        Value n = k.div(k.blockId[2], channelTiles);
        Value oc0 = k.mul(k.rem(k.blockId[2], channelTiles), channels);
        Value oy = k.add(k.mul(k.blockId[1], kTileRows), row);
        // Pixel j of the thread: the tile's column column + 16 j.
        SmallVector<Value> localColumns, ox;
        for (int64_t j = 0; j < pixels; ++j) {
          localColumns.push_back(k.add(column, j * kTileColumns));
          ox.push_back(
              k.add(k.mul(k.blockId[0], tileColumns), localColumns.back()));
        }
        // The input position of the tile's first window.
        Value inY0 = k.sub(k.mul(k.blockId[1], kTileRows * p.poolH * p.strideH),
                           k.idx(p.padTop));
        Value inX0 =
            k.sub(k.mul(k.blockId[0], tileColumns * p.poolW * p.strideW),
                  k.idx(p.padLeft));

        // Copies `count` elements into a tile, element i by thread
        // i % kThreads: `copy` stores element i.
        auto cooperate = [&](int64_t count, function_ref<void(Value)> copy) {
          k.loop(0, ceilDiv(count, kThreads), 1, {},
                 [&](Value round, ValueRange) {
                   Value i = k.add(k.mul(round, kThreads), thread);
                   k.ifThen(k.lt(i, count), [&] { copy(i); });
                   return SmallVector<Value>();
                 });
        };

        // Accumulator (j * windows + w) * channels + t: pixel j, position w
        // of its pool window, output channel oc0 + t.
        auto accumulator = [&](int64_t j, int64_t w, int64_t t) {
          return (j * windows + w) * channels + t;
        };
        SmallVector<Value> zeros(pixels * windows * channels, k.f32(0.0));
        // One step of the reduction: input channel cc of the chunk, filter
        // tap (r, s).
        auto step = [&](Value cc, Value r, Value s, ValueRange acc) {
          SmallVector<Value> next(acc), ws;
          for (int64_t t = 0; t < channels; ++t)
            ws.push_back(k.load(weightTile, {k.idx(t), cc, r, s}));
          for (int64_t j = 0; j < pixels; ++j)
            for (int64_t wy = 0; wy < p.poolH; ++wy)
              for (int64_t wx = 0; wx < p.poolW; ++wx) {
                Value y =
                    k.add(k.mul(k.add(k.mul(row, p.poolH), wy), p.strideH),
                          k.mul(r, p.dilationH));
                Value x =
                    k.add(k.mul(k.add(k.mul(localColumns[j], p.poolW), wx),
                                p.strideW),
                          k.mul(s, p.dilationW));
                Value v = k.load(inputTile, {cc, y, x});
                for (int64_t t = 0; t < channels; ++t) {
                  int64_t a = accumulator(j, wy * p.poolW + wx, t);
                  next[a] = k.fma(v, ws[t], acc[a]);
                }
              }
          return next;
        };
        SmallVector<Value> sums =
            k.loop(0, p.c, chunk, zeros, [&](Value c0, ValueRange acc) {
              cooperate(chunk * inRows * inColumns, [&](Value i) {
                SmallVector<Value> at =
                    k.delinearize(i, {chunk, inRows, inColumns});
                Value v = loadPadded(k, p, input, n, k.add(c0, at[0]),
                                     k.add(inY0, at[1]), k.add(inX0, at[2]));
                k.store(v, inputTile, at);
              });
              cooperate(channels * chunk * p.kh * p.kw, [&](Value i) {
                SmallVector<Value> at =
                    k.delinearize(i, {channels, chunk, p.kh, p.kw});
                Value v = k.load(weight, {k.add(oc0, at[0]), k.add(c0, at[1]),
                                          at[2], at[3]});
                k.store(v, weightTile, at);
              });
              k.barrier();
              SmallVector<Value> next =
                  k.loop(0, chunk, 1, acc, [&](Value cc, ValueRange acc) {
                    return k.loop(0, p.kh, 1, acc,
                                  [&](Value r, ValueRange acc) {
                                    return k.loop(0, p.kw, 1, acc,
                                                  [&](Value s, ValueRange acc) {
                                                    return step(cc, r, s, acc);
                                                  });
                                  });
                  });
              k.barrier();
              return next;
            });

        // Bias, ReLU and the pool, in the direct kernel's order.
        SmallVector<Value> biases;
        for (int64_t t = 0; t < channels; ++t)
          biases.push_back(bias ? k.load(bias, {k.add(oc0, t)}) : k.f32(0.0));
        for (int64_t j = 0; j < pixels; ++j) {
          SmallVector<Value> results;
          for (int64_t t = 0; t < channels; ++t) {
            Value pooled =
                p.pool == PoolKind::None ? Value() : poolIdentity(k, p.pool);
            for (int64_t w = 0; w < windows; ++w) {
              Value v =
                  convEpilogue(k, p, sums[accumulator(j, w, t)], biases[t]);
              pooled = pooled ? poolCombine(k, p.pool, pooled, v) : v;
            }
            if (p.pool != PoolKind::None)
              pooled = poolFinish(k, p.pool, pooled, k.f32(double(windows)));
            results.push_back(pooled);
          }
          k.ifThen(k.andI(k.lt(oy, outH), k.lt(ox[j], outW)), [&] {
            for (int64_t t = 0; t < channels; ++t)
              k.store(results[t], output, {n, k.add(oc0, t), oy, ox[j]});
          });
        }
      });
  return true;
}

} // namespace kiln::kernels
