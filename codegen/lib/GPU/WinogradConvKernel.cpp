//===- WinogradConvKernel.cpp - 3x3 convolutions by Winograd's F(2x2, 3x3) ===//
//
// A 3x3, stride-1 convolution computed as Lavin and Gray's F(2x2, 3x3):
// each 2x2 output tile of a channel is A^T [sum over input channels of
// U .* V] A, where U = G g G^T is the 4x4 transform of a 3x3 filter and
// V = B^T d B that of the tile's 4x4 input patch. The sum over input
// channels is 16 independent matrix products, one per element xi of the
// 4x4 transforms: M[xi][k][t] = sum_c U[xi][k][c] V[xi][c][t]. They take
// 16 multiply-adds per tile, channel pair and input channel where the
// direct convolution takes 36 (4 outputs x 9 taps): 2.25x fewer.
//
// One kernel (the CPU's Winograd pass runs three phases; here the block
// keeps the products in registers):
//
//   block = 32 tiles (numbered across the batch) x 32 output channels,
//           256 threads; per chunk of 8 input channels
//     1. each thread transforms one filter g(k, c) into U (from the
//        weights as they are: no transformed copy in the binary) and one
//        input patch d(c, t) into V, into shared memory; barrier
//     2. thread (xi, kg, tg) multiplies 8 channels x 8 tiles of product xi:
//        per input channel two 128-bit loads of U, two of V, 64 FMAs;
//        barrier
//   then, in two halves of the block's output channels, the threads leave
//   M in shared memory (reusing the tiles' space), a barrier, and each
//   thread finishes two (channel, tile) pairs: A^T M A, bias, ReLU and a
//   2x2 pool when one follows (the tile is the pool's window).
//
// Like the shared-memory kernel, a layer that makes too few blocks to fill
// the GPU splits its input channels; each split writes its raw output
// tiles (A^T M A is linear, so the splits' tiles add up) and the shared
// kernel's reduction adds them and applies the bias, ReLU and any pool.
//
//===----------------------------------------------------------------------===//

#include "../WinogradMatrices.h"
#include "KernelBuilder.h"

using namespace mlir;

namespace kiln::kernels {

namespace {

constexpr int64_t kThreads = 256;
/// Input channels per shared-memory round.
constexpr int64_t kChunk = 8;
/// Output channels and tiles per block, and per thread of each product.
constexpr int64_t kBlockChannels = 32, kBlockTiles = 32, kPerThread = 8;
/// Elements of a transformed filter or patch (4 x 4).
constexpr int64_t kElements = 16;
/// U's rows in shared memory, [xi][c][k]: 4 words longer than the block's
/// channels, so that the filter transform's stores (8 lanes per channel k,
/// one per input channel) fall on 32 different banks, and still a multiple
/// of 4 words for the products' 128-bit loads.
constexpr int64_t kFilterPitch = kBlockChannels + 4;
/// The shared tile: U at 0, V ([xi][c][t]) after it; after the products,
/// half the block's M ([xi][k][t] for 16 channels) over both.
constexpr int64_t kFilterWords = kElements * kChunk * kFilterPitch;
constexpr int64_t kPatchWords = kElements * kChunk * kBlockTiles;
constexpr int64_t kProductWords =
    kElements * (kBlockChannels / 2) * kBlockTiles;
constexpr int64_t kSharedWords =
    std::max(kFilterWords + kPatchWords, kProductWords);
/// The split reduction takes 32-bit indices, as every kernel.
constexpr int64_t kMaxScratchElements = int64_t(1) << 31;
/// CUDA's limit on the grid's y dimension (channel blocks x splits).
constexpr int64_t kMaxGridY = 65535;

static_assert(kBlockChannels * kChunk == kThreads &&
                  kChunk * kBlockTiles == kThreads,
              "one filter and one patch per thread and round");
static_assert(kElements * (kBlockChannels / kPerThread) *
                      (kBlockTiles / kPerThread) ==
                  kThreads,
              "one 8x8 block of one product per thread");

/// How the kernel covers a layer.
struct WinogradPlan {
  /// Output tiles per image, rows x columns, and in the whole batch. With
  /// a fused 2x2 pool a tile is a pooled pixel, so only whole windows
  /// count.
  int64_t tilesH, tilesW, tiles;
  int64_t tileBlocks, channelBlocks;
  /// Input-channel ranges with a block each (see splitsSharedConv).
  int64_t splits;
};

/// The plan for `p`, or nothing for a layer the kernel does not take: not a
/// dense 3x3 stride-1 convolution, channels that do not fill its tiles,
/// a pool it cannot finish, or too few blocks to fill `smCount` SMs even
/// split (the shared-memory kernel's smaller blocks fill them better).
std::optional<WinogradPlan> planWinogradConv(const ConvParams &p,
                                             int64_t smCount) {
  if (p.groups != 1 || p.kh != 3 || p.kw != 3 || p.strideH != 1 ||
      p.strideW != 1 || p.dilationH != 1 || p.dilationW != 1 ||
      p.c % kChunk != 0 || p.oc % kBlockChannels != 0)
    return std::nullopt;
  int64_t chunks = p.c / kChunk;
  int64_t channelBlocks = p.oc / kBlockChannels;
  if (channelBlocks > kMaxGridY)
    return std::nullopt;
  auto plan = [&](int64_t tilesH, int64_t tilesW) {
    WinogradPlan plan{tilesH, tilesW, p.n * tilesH * tilesW};
    plan.tileBlocks = ceilDiv(plan.tiles, kBlockTiles);
    plan.channelBlocks = channelBlocks;
    plan.splits = 1;
    return plan;
  };
  WinogradPlan whole = plan(ceilDiv(p.oh, 2), ceilDiv(p.ow, 2));
  int64_t blocks = whole.tileBlocks * channelBlocks;
  // Split while the blocks make fewer than about two waves of two blocks
  // per SM, each split keeps at least 2 rounds, and the raw tiles fit.
  int64_t splits = 1;
  while (blocks * splits < 4 * smCount && chunks % (2 * splits) == 0 &&
         chunks / (2 * splits) >= 2 &&
         2 * splits * p.n * p.oc * p.oh * p.ow < kMaxScratchElements &&
         2 * splits * channelBlocks <= kMaxGridY)
    splits *= 2;
  if (blocks * splits < smCount)
    return std::nullopt;
  if (splits > 1) {
    whole.splits = splits;
    return whole;
  }
  if (p.pool == PoolKind::None)
    return whole;
  if (p.poolH == 2 && p.poolW == 2)
    return plan(p.oh / 2, p.ow / 2);
  return std::nullopt;
}

/// L X L^T for a cols x cols matrix X and a rows x cols matrix L (both
/// row-major), skipping L's zeros and adding or subtracting for its ones.
SmallVector<Value> sandwich(KernelBuilder &k, ArrayRef<double> l, int64_t rows,
                            int64_t cols, ArrayRef<Value> x) {
  auto combine = [&](function_ref<double(int64_t)> coeff,
                     function_ref<Value(int64_t)> value) {
    Value sum;
    for (int64_t i = 0; i < cols; ++i) {
      double c = coeff(i);
      if (c == 0)
        continue;
      Value v = value(i);
      if (!sum)
        sum = c == 1 ? v : k.mulF(k.f32(c), v);
      else if (c == 1)
        sum = k.addF(sum, v);
      else if (c == -1)
        sum = k.subF(sum, v);
      else
        sum = k.fma(k.f32(c), v, sum);
    }
    return sum ? sum : k.f32(0.0);
  };
  SmallVector<Value> lx(rows * cols), result(rows * rows);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      lx[i * cols + j] = combine([&](int64_t q) { return l[i * cols + q]; },
                                 [&](int64_t q) { return x[q * cols + j]; });
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < rows; ++j)
      result[i * rows + j] =
          combine([&](int64_t q) { return l[j * cols + q]; },
                  [&](int64_t q) { return lx[i * cols + q]; });
  return result;
}

/// The kernel; with splits it writes raw output tiles to a new scratch
/// buffer [split, n, oc, oh, ow], which it returns.
Value emitKernel(ModelBuilder &builder, Location loc, const ConvParams &p,
                 const WinogradPlan &plan, ValueRange args) {
  const WinogradMatrices &w = getWinogradMatrices(2, 3);
  int64_t splits = plan.splits;
  Value partials;
  if (splits > 1)
    partials = builder.alloc({splits, p.n, p.oc, p.oh, p.ow}, loc);
  LaunchShape shape;
  shape.grid = {plan.tileBlocks, plan.channelBlocks * splits, 1};
  shape.block = {kThreads, 1, 1};
  shape.flops = convFlops(p);
  SmallVector<Value> kernelArgs(args);
  if (partials)
    kernelArgs.assign({args[0], args[1], partials});
  builder.launch(
      "conv2d_winograd", loc, kernelArgs, shape,
      [&](KernelBuilder &k, ValueRange kargs) {
        Value input = kargs[0], weight = kargs[1];
        Value shared = k.workgroupBuffer({kSharedWords});
        Value thread = k.threadId[0];
        Value tileBlock = k.blockId[0];
        Value split = k.rem(k.blockId[1], splits);
        Value k0 = k.mul(k.div(k.blockId[1], splits), kBlockChannels);
        int64_t channelsPerSplit = p.c / splits;
        Value cBase = k.mul(split, channelsPerSplit);
        // The image, tile row and tile column of tile `t` of the batch.
        auto tileAt = [&](Value t) {
          return k.delinearize(t, {p.n, plan.tilesH, plan.tilesW});
        };

        // Filter transform: thread (fk, fc) takes filter (k0 + fk, c0 + fc);
        // 8 neighbouring threads read 8 neighbouring filters.
        Value fk = k.div(thread, kChunk), fc = k.rem(thread, kChunk);
        // Input transform: thread (ic, it) takes channel c0 + ic of tile
        // it of the block (the last tile for threads past the batch's).
        Value ic = k.div(thread, kBlockTiles), it = k.rem(thread, kBlockTiles);
        SmallVector<Value> patchTile = tileAt(k.minS(
            k.add(k.mul(tileBlock, kBlockTiles), it), k.idx(plan.tiles - 1)));
        Value inY = k.sub(k.mul(patchTile[1], 2), k.idx(p.padTop));
        Value inX = k.sub(k.mul(patchTile[2], 2), k.idx(p.padLeft));
        // Products: thread (xi, kg, tg) takes channels kg * 8 .. + 8 and
        // tiles tg * 8 .. + 8 of product xi.
        Value xi = k.div(thread, kThreads / kElements);
        Value within = k.rem(thread, kThreads / kElements);
        int64_t tileGroups = kBlockTiles / kPerThread;
        Value kg = k.div(within, tileGroups), tg = k.rem(within, tileGroups);

        SmallVector<Value> zeros(kPerThread * kPerThread, k.f32(0.0));
        SmallVector<Value> products = k.loop(
            0, channelsPerSplit, kChunk, zeros, [&](Value c, ValueRange acc) {
              Value c0 = k.add(cBase, c);
              SmallVector<Value> g;
              for (int64_t r = 0; r < 3; ++r)
                for (int64_t s = 0; s < 3; ++s)
                  g.push_back(k.load(weight, {k.add(k0, fk), k.add(c0, fc),
                                              k.idx(r), k.idx(s)}));
              SmallVector<Value> u = sandwich(k, w.g, 4, 3, g);
              for (int64_t e = 0; e < kElements; ++e)
                k.store(
                    u[e], shared,
                    {k.add(k.mul(k.add(fc, e * kChunk), kFilterPitch), fk)});
              SmallVector<Value> d;
              for (int64_t y = 0; y < 4; ++y)
                for (int64_t x = 0; x < 4; ++x)
                  d.push_back(loadPadded(k, p, input, patchTile[0],
                                         k.add(c0, ic), k.add(inY, y),
                                         k.add(inX, x)));
              SmallVector<Value> v = sandwich(k, w.bt, 4, 4, d);
              for (int64_t e = 0; e < kElements; ++e)
                k.store(v[e], shared,
                        {k.add(k.add(k.mul(ic, kBlockTiles), it),
                               kFilterWords + e * kChunk * kBlockTiles)});
              k.barrier();
              Value uBase = k.add(k.mul(xi, kChunk * kFilterPitch),
                                  k.mul(kg, kPerThread));
              Value vBase =
                  k.add(k.add(k.mul(xi, kChunk * kBlockTiles), kFilterWords),
                        k.mul(tg, kPerThread));
              SmallVector<Value> next =
                  k.loop(0, kChunk, 1, acc, [&](Value cc, ValueRange acc) {
                    Value uRow = k.add(uBase, k.mul(cc, kFilterPitch));
                    Value vRow = k.add(vBase, k.mul(cc, kBlockTiles));
                    SmallVector<Value> us, vs, next(acc);
                    for (int64_t i = 0; i < kPerThread; ++i) {
                      us.push_back(k.load(shared, {k.add(uRow, i)}));
                      vs.push_back(k.load(shared, {k.add(vRow, i)}));
                    }
                    for (int64_t i = 0; i < kPerThread; ++i)
                      for (int64_t j = 0; j < kPerThread; ++j)
                        next[i * kPerThread + j] =
                            k.fma(us[i], vs[j], acc[i * kPerThread + j]);
                    return next;
                  });
              k.barrier();
              return next;
            });

        // Output transform, half the block's channels at a time.
        constexpr int64_t half = kBlockChannels / 2;
        int64_t groupsPerHalf = half / kPerThread;
        for (int64_t h = 0; h < 2; ++h) {
          if (h > 0)
            k.barrier(); // The first half's M has been read.
          Value inHalf = k.andI(k.ge(kg, h * groupsPerHalf),
                                k.lt(kg, (h + 1) * groupsPerHalf));
          k.ifThen(inHalf, [&] {
            Value base =
                k.add(k.mul(k.add(k.mul(xi, half),
                                  k.mul(k.sub(kg, k.idx(h * groupsPerHalf)),
                                        kPerThread)),
                            kBlockTiles),
                      k.mul(tg, kPerThread));
            for (int64_t i = 0; i < kPerThread; ++i)
              for (int64_t j = 0; j < kPerThread; ++j)
                k.store(products[i * kPerThread + j], shared,
                        {k.add(base, i * kBlockTiles + j)});
          });
          k.barrier();
          for (int64_t q = 0; q < half * kBlockTiles / kThreads; ++q) {
            Value pair = k.add(thread, q * kThreads);
            Value local = k.div(pair, kBlockTiles),
                  t = k.rem(pair, kBlockTiles);
            SmallVector<Value> m;
            for (int64_t e = 0; e < kElements; ++e)
              m.push_back(k.load(
                  shared,
                  {k.add(k.mul(k.add(local, e * half), kBlockTiles), t)}));
            SmallVector<Value> y = sandwich(k, w.at, 2, 4, m);
            Value oc = k.add(k0, k.add(local, h * half));
            Value tile = k.add(k.mul(tileBlock, kBlockTiles), t);
            k.ifThen(k.lt(tile, plan.tiles), [&] {
              SmallVector<Value> at = tileAt(tile);
              Value n = at[0];
              if (splits == 1 && p.pool != PoolKind::None) {
                // The tile is the 2x2 pool's window.
                Value b = p.bias ? k.load(kargs[2], {oc}) : k.f32(0.0);
                Value pooled =
                    pooledEpilogue(k, p, b, [&](int64_t wy, int64_t wx) {
                      return y[wy * 2 + wx];
                    });
                k.store(pooled, kargs.back(), {n, oc, at[1], at[2]});
                return;
              }
              Value b;
              if (splits == 1)
                b = p.bias ? k.load(kargs[2], {oc}) : k.f32(0.0);
              for (int64_t a = 0; a < 2; ++a)
                for (int64_t c = 0; c < 2; ++c) {
                  Value oy = k.add(k.mul(at[1], 2), a);
                  Value ox = k.add(k.mul(at[2], 2), c);
                  Value inside = k.andI(k.lt(oy, p.oh), k.lt(ox, p.ow));
                  k.ifThen(inside, [&] {
                    if (splits > 1)
                      k.store(y[a * 2 + c], kargs.back(),
                              {split, n, oc, oy, ox});
                    else
                      k.store(convEpilogue(k, p, y[a * 2 + c], b), kargs.back(),
                              {n, oc, oy, ox});
                  });
                }
            });
          }
        }
      });
  return partials;
}

} // namespace

bool takesWinogradConv(const ConvParams &p, int64_t smCount) {
  return planWinogradConv(p, smCount).has_value();
}

bool splitsWinogradConv(const ConvParams &p, int64_t smCount) {
  std::optional<WinogradPlan> plan = planWinogradConv(p, smCount);
  return plan && plan->splits > 1;
}

bool emitWinogradConv2D(ModelBuilder &builder, Location loc,
                        const ConvParams &p, ValueRange args, int64_t smCount) {
  std::optional<WinogradPlan> plan = planWinogradConv(p, smCount);
  if (!plan)
    return false;
  Value partials = emitKernel(builder, loc, p, *plan, args);
  if (plan->splits == 1)
    return true;
  OverlappingPool window{p.pool,  p.poolH,        p.poolW,       p.poolH,
                         p.poolW, p.oh / p.poolH, p.ow / p.poolW};
  emitSplitReduce(builder, loc, p, plan->splits, window, partials, args);
  return true;
}

bool emitSplitWinogradConv2DWithPool(ModelBuilder &builder, Location loc,
                                     const ConvParams &p,
                                     const OverlappingPool &pool,
                                     ValueRange args, int64_t smCount) {
  assert(p.pool == PoolKind::None && "the conv has a pool of its own");
  std::optional<WinogradPlan> plan = planWinogradConv(p, smCount);
  if (!plan || plan->splits == 1)
    return false;
  Value partials = emitKernel(builder, loc, p, *plan, args);
  emitSplitReduce(builder, loc, p, plan->splits, pool, partials, args);
  return true;
}

} // namespace kiln::kernels
