//===- WinogradConvKernel.cpp - 3x3 convolutions by Winograd's F(m, 3) ----===//
//
// A 3x3, stride-1 convolution computed as Lavin and Gray's F(m x m, 3 x 3),
// by default F(2x2, 3x3): each 2x2 output tile of a channel is
// A^T [sum over input channels of U .* V] A, where U = G g G^T is the 4x4
// transform of a 3x3 filter and V = B^T d B that of the tile's 4x4 input
// patch. The sum over input channels is 16 independent matrix products, one
// per element xi of the 4x4 transforms: M[xi][k][t] = sum_c U[xi][k][c]
// V[xi][c][t]. They take 16 multiply-adds per tile, channel pair and input
// channel where the direct convolution takes 36 (4 outputs x 9 taps): 2.25x
// fewer.
//
// One kernel (the CPU's Winograd pass runs three phases; here the block
// keeps the products in registers). For F(2x2):
//
//   block = 32 tiles (numbered across the batch) x 32 output channels,
//           256 threads; per chunk of 8 input channels
//     1. each thread transforms one filter g(k, c) into U (from the
//        weights as they are: no transformed copy in the binary) and one
//        input patch d(c, t) into V, into shared memory; barrier
//     2. thread (xi, kg, tg) multiplies 8 channels x 8 tiles of product xi:
//        per input channel two 128-bit loads of U, two of V, 64 FMAs;
//        barrier
//   then, in two rounds of 16 of the block's output channels, the threads
//   leave M in shared memory (reusing the tiles' space), a barrier, and
//   each thread finishes two (channel, tile) pairs: A^T M A, bias, ReLU and
//   a 2x2 pool when one follows (the tile is the pool's window).
//
// F(3x3) and F(4x4) (`winograd-tile`) take the same steps with 25 and 36
// products, 16 tiles a block and, for F(4x4), chunks of 4 input channels,
// so that the shared tile stays within 48 KB and each thread keeps 64
// accumulators; there the transforms run on some of the threads only (see
// planWinogradConv for what that costs).
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

/// Output channels per block, and channels and tiles per thread of a
/// product (an 8x8 register block).
constexpr int64_t kBlockChannels = 32, kPerThread = 8;
/// Output channels per round of the output transform (M goes through
/// shared memory that many channels at a time).
constexpr int64_t kRoundChannels = 16;
/// Static shared memory a block may take.
constexpr int64_t kMaxSharedWords = 48 * 1024 / 4;
/// The split reduction takes 32-bit indices, as every kernel.
constexpr int64_t kMaxScratchElements = int64_t(1) << 31;
/// CUDA's limit on the grid's y dimension (channel blocks x splits).
constexpr int64_t kMaxGridY = 65535;

/// The kernel's shape for F(m x m, 3 x 3), m = 2, 3 or 4.
struct WinogradShape {
  int64_t m, a;       // output tile side, input patch side (m + 2)
  int64_t elements;   // a x a: the products
  int64_t chunk;      // input channels per shared-memory round
  int64_t blockTiles; // tiles per block
  int64_t threads;    // one 8x8 block of one product each
  /// U's rows in shared memory ([xi][c][k]): longer than the block's
  /// channels by 32 / chunk words, so that the filter transform's stores
  /// (`chunk` lanes per output channel, one per input channel) fall on 32
  /// different banks, and a multiple of 4 words for 128-bit loads.
  int64_t filterPitch;
  /// The shared tile: U at 0, V ([xi][c][t]) after it; after the products,
  /// M ([xi][k][t]) of kRoundChannels channels over both.
  int64_t filterWords, sharedWords;
  /// The first thread of the patch transforms. Where the filters and
  /// patches are fewer than the threads, they go to different warps, so
  /// that no warp does both while the others wait at the barrier; and away
  /// from warps 0, 4 and 8, which share one of the SM's 4 schedulers (warp
  /// w issues on scheduler w % 4) when a block has 9 warps.
  int64_t patchFirstThread;
};

WinogradShape getShape(int64_t m) {
  WinogradShape s;
  s.m = m, s.a = m + 2, s.elements = s.a * s.a;
  // F(4x4)'s 36 products fit 48 KB with chunks of 4 input channels; the
  // larger tiles take 16 tiles per block to keep 64 accumulators a thread.
  s.chunk = m == 4 ? 4 : 8;
  s.blockTiles = m == 2 ? 32 : 16;
  s.threads =
      s.elements * (kBlockChannels / kPerThread) * (s.blockTiles / kPerThread);
  s.filterPitch = kBlockChannels + 32 / s.chunk;
  // F(2x2): 256 filters and patches, one each per thread. F(3x3): the
  // filters' second round runs on threads 0-55, the 128 patches on warps
  // 2-5. F(4x4): 128 filters on warps 0-3, 64 patches on warps 5-6.
  s.patchFirstThread = m == 2 ? 0 : m == 3 ? 64 : 160;
  s.filterWords = s.elements * s.chunk * s.filterPitch;
  int64_t patchWords = s.elements * s.chunk * s.blockTiles;
  s.sharedWords = std::max(s.filterWords + patchWords,
                           s.elements * kRoundChannels * s.blockTiles);
  assert(s.sharedWords <= kMaxSharedWords && "a tile too large");
  return s;
}

/// How the kernel covers a layer.
struct WinogradPlan {
  WinogradShape shape;
  /// Tiles per image, rows x columns, and in the whole batch. With a fused
  /// 2x2 pool (m even, no split) only whole pool windows count.
  int64_t tilesH, tilesW, tiles;
  int64_t tileBlocks, channelBlocks;
  /// Input-channel ranges with a block each (see splitsSharedConv).
  int64_t splits;
};

/// The plan for `p` with F(m x m, 3 x 3), or nothing for a layer it does
/// not take: not a dense 3x3 stride-1 convolution, channels that do not
/// fill its rounds and blocks, a pool it cannot finish (a fused 2x2 pool
/// needs an even m, any other pool a split), or too few blocks to fill
/// `smCount` SMs even split (the shared-memory kernel's smaller blocks fill
/// them better).
std::optional<WinogradPlan> planWinogradTile(const ConvParams &p,
                                             int64_t smCount, int64_t m) {
  WinogradShape shape = getShape(m);
  if (p.groups != 1 || p.kh != 3 || p.kw != 3 || p.strideH != 1 ||
      p.strideW != 1 || p.dilationH != 1 || p.dilationW != 1 ||
      p.c % shape.chunk != 0 || p.oc % kBlockChannels != 0)
    return std::nullopt;
  int64_t chunks = p.c / shape.chunk;
  int64_t channelBlocks = p.oc / kBlockChannels;
  if (channelBlocks > kMaxGridY)
    return std::nullopt;
  auto plan = [&](int64_t tilesH, int64_t tilesW) {
    WinogradPlan plan{shape, tilesH, tilesW, p.n * tilesH * tilesW};
    plan.tileBlocks = ceilDiv(plan.tiles, shape.blockTiles);
    plan.channelBlocks = channelBlocks;
    plan.splits = 1;
    return plan;
  };
  WinogradPlan whole = plan(ceilDiv(p.oh, m), ceilDiv(p.ow, m));
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
  if (p.poolH == 2 && p.poolW == 2 && m % 2 == 0)
    return plan(ceilDiv(p.oh / 2, m / 2), ceilDiv(p.ow / 2, m / 2));
  return std::nullopt;
}

/// The plan for `p` with F(tile x tile, 3 x 3); tile 0 is F(2x2). The
/// larger tiles need fewer multiply-adds (2.78x and 4x fewer than direct
/// against 2.25x) but, within 48 KB of shared memory and 64 accumulators
/// a thread, not proportionally fewer instructions. Counted in their SASS
/// for VGG-16's 56x56 layers at batch 32 (ptxas 13, sm_90), a warp issues
/// per chunk 1.52 instructions per FFMA for F(2x2) (256 threads of 128
/// registers: 2 blocks, 16 warps an SM), 2.0 for F(3x3) (200 threads of
/// 166 registers: 1 block, 7 warps, the last a quarter full; the second
/// filter round and the patches run on 2 and 4 of them) and 1.8 for
/// F(4x4) (288 threads of 161 registers: 1 block, 9 warps; the filters on
/// 4, the patches on 2). Per output that is 6.1, 5.6 and 4.1 instructions
/// per input and output channel. Counting each scheduler's issue slots per
/// chunk (warp w issues on scheduler w % 4), the FMA pipes are busy about
/// 66% of the time for F(2x2), 49% for F(3x3) and F(4x4) (39% before the
/// patches moved off the filters' warps): per output F(4x4) would be 1.3x
/// faster, if its single block of 9 warps could hide the latency of the
/// global loads and barriers that F(2x2)'s 16 warps in two blocks
/// overlap. F(2x2) is the default (also the most accurate), the others a
/// choice (`winograd-tile`) to measure on a GPU.
std::optional<WinogradPlan> planWinogradConv(const ConvParams &p,
                                             int64_t smCount, int64_t tile) {
  return planWinogradTile(p, smCount, tile == 0 ? 2 : tile);
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
  const WinogradShape &s = plan.shape;
  const WinogradMatrices &w = getWinogradMatrices(s.m, 3);
  int64_t m = s.m, a = s.a, splits = plan.splits;
  // A fused 2x2 pool: each tile holds (m / 2)^2 pool windows.
  bool pooled = splits == 1 && p.pool != PoolKind::None;
  Value partials;
  if (splits > 1)
    partials = builder.alloc({splits, p.n, p.oc, p.oh, p.ow}, loc);
  LaunchShape launch;
  launch.grid = {plan.tileBlocks, plan.channelBlocks * splits, 1};
  launch.block = {s.threads, 1, 1};
  launch.flops = convFlops(p);
  SmallVector<Value> kernelArgs(args);
  if (partials)
    kernelArgs.assign({args[0], args[1], partials});
  builder.launch(
      "conv2d_winograd", loc, kernelArgs, launch,
      [&](KernelBuilder &k, ValueRange kargs) {
        Value input = kargs[0], weight = kargs[1];
        Value shared = k.workgroupBuffer({s.sharedWords});
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
        // Runs `work(i)` for i < count, item i on thread i % threads.
        // Runs `work(i)` for i < count, item i on thread first + i (items
        // past the threads wrap around to thread 0: first is 0 then).
        auto share = [&](int64_t count, function_ref<void(Value)> work,
                         int64_t first = 0) {
          assert((first == 0 || first + count <= s.threads) &&
                 "items from thread `first` on fit in one round");
          for (int64_t base = 0; base < count; base += s.threads) {
            Value i = k.sub(k.add(thread, base), k.idx(first));
            if (first == 0 && base + s.threads <= count)
              work(i);
            else if (first == 0)
              k.ifThen(k.lt(i, count), [&] { work(i); });
            else
              k.ifThen(k.andI(k.ge(thread, first), k.lt(thread, first + count)),
                       [&] { work(i); });
          }
        };
        // Products: thread (xi, kg, tg) takes channels kg * 8 .. + 8 and
        // tiles tg * 8 .. + 8 of product xi.
        int64_t tileGroups = s.blockTiles / kPerThread;
        int64_t perProduct = s.threads / s.elements;
        Value xi = k.div(thread, perProduct);
        Value within = k.rem(thread, perProduct);
        Value kg = k.div(within, tileGroups), tg = k.rem(within, tileGroups);

        SmallVector<Value> zeros(kPerThread * kPerThread, k.f32(0.0));
        SmallVector<Value> products = k.loop(
            0, channelsPerSplit, s.chunk, zeros, [&](Value c, ValueRange acc) {
              Value c0 = k.add(cBase, c);
              // Filter (k0 + fk, c0 + fc): `chunk` neighbouring threads
              // read neighbouring filters.
              share(kBlockChannels * s.chunk, [&](Value i) {
                Value fk = k.div(i, s.chunk), fc = k.rem(i, s.chunk);
                SmallVector<Value> g;
                for (int64_t r = 0; r < 3; ++r)
                  for (int64_t q = 0; q < 3; ++q)
                    g.push_back(k.load(weight, {k.add(k0, fk), k.add(c0, fc),
                                                k.idx(r), k.idx(q)}));
                SmallVector<Value> u = sandwich(k, w.g, a, 3, g);
                for (int64_t e = 0; e < s.elements; ++e)
                  k.store(u[e], shared,
                          {k.add(k.mul(k.add(fc, e * s.chunk), s.filterPitch),
                                 fk)});
              });
              // Channel c0 + ic of tile it of the block (the batch's last
              // tile for items past it).
              share(
                  s.chunk * s.blockTiles,
                  [&](Value i) {
                    Value ic = k.div(i, s.blockTiles),
                          it = k.rem(i, s.blockTiles);
                    SmallVector<Value> at =
                        tileAt(k.minS(k.add(k.mul(tileBlock, s.blockTiles), it),
                                      k.idx(plan.tiles - 1)));
                    Value inY = k.sub(k.mul(at[1], m), k.idx(p.padTop));
                    Value inX = k.sub(k.mul(at[2], m), k.idx(p.padLeft));
                    SmallVector<Value> d;
                    for (int64_t y = 0; y < a; ++y)
                      for (int64_t x = 0; x < a; ++x)
                        d.push_back(loadPadded(k, p, input, at[0],
                                               k.add(c0, ic), k.add(inY, y),
                                               k.add(inX, x)));
                    SmallVector<Value> v = sandwich(k, w.bt, a, a, d);
                    for (int64_t e = 0; e < s.elements; ++e)
                      k.store(
                          v[e], shared,
                          {k.add(k.add(k.mul(ic, s.blockTiles), it),
                                 s.filterWords + e * s.chunk * s.blockTiles)});
                  },
                  s.patchFirstThread);
              k.barrier();
              Value uBase = k.add(k.mul(xi, s.chunk * s.filterPitch),
                                  k.mul(kg, kPerThread));
              Value vBase =
                  k.add(k.add(k.mul(xi, s.chunk * s.blockTiles), s.filterWords),
                        k.mul(tg, kPerThread));
              SmallVector<Value> next =
                  k.loop(0, s.chunk, 1, acc, [&](Value cc, ValueRange acc) {
                    Value uRow = k.add(uBase, k.mul(cc, s.filterPitch));
                    Value vRow = k.add(vBase, k.mul(cc, s.blockTiles));
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

        // Output transform, kRoundChannels of the block's channels at a
        // time.
        int64_t groupsPerRound = kRoundChannels / kPerThread;
        for (int64_t round = 0; round < kBlockChannels / kRoundChannels;
             ++round) {
          if (round > 0)
            k.barrier(); // The previous round's M has been read.
          Value inRound = k.andI(k.ge(kg, round * groupsPerRound),
                                 k.lt(kg, (round + 1) * groupsPerRound));
          k.ifThen(inRound, [&] {
            Value local =
                k.mul(k.sub(kg, k.idx(round * groupsPerRound)), kPerThread);
            Value base = k.add(
                k.mul(k.add(k.mul(xi, kRoundChannels), local), s.blockTiles),
                k.mul(tg, kPerThread));
            for (int64_t i = 0; i < kPerThread; ++i)
              for (int64_t j = 0; j < kPerThread; ++j)
                k.store(products[i * kPerThread + j], shared,
                        {k.add(base, i * s.blockTiles + j)});
          });
          k.barrier();
          // Thread pair (channel, tile): A^T M A, then the epilogue.
          share(kRoundChannels * s.blockTiles, [&](Value pair) {
            Value local = k.div(pair, s.blockTiles),
                  t = k.rem(pair, s.blockTiles);
            SmallVector<Value> mt;
            for (int64_t e = 0; e < s.elements; ++e)
              mt.push_back(k.load(
                  shared,
                  {k.add(k.mul(k.add(local, e * kRoundChannels), s.blockTiles),
                         t)}));
            SmallVector<Value> y = sandwich(k, w.at, m, a, mt);
            Value oc = k.add(k0, k.add(local, round * kRoundChannels));
            Value tile = k.add(k.mul(tileBlock, s.blockTiles), t);
            k.ifThen(k.lt(tile, plan.tiles), [&] {
              SmallVector<Value> at = tileAt(tile);
              Value n = at[0];
              Value b;
              if (splits == 1)
                b = p.bias ? k.load(kargs[2], {oc}) : k.f32(0.0);
              if (pooled) {
                // The tile holds (m / 2)^2 windows of the 2x2 pool.
                for (int64_t py = 0; py < m / 2; ++py)
                  for (int64_t px = 0; px < m / 2; ++px) {
                    Value pyAt = k.add(k.mul(at[1], m / 2), py);
                    Value pxAt = k.add(k.mul(at[2], m / 2), px);
                    Value result =
                        pooledEpilogue(k, p, b, [&](int64_t wy, int64_t wx) {
                          return y[(2 * py + wy) * m + 2 * px + wx];
                        });
                    auto store = [&] {
                      k.store(result, kargs.back(), {n, oc, pyAt, pxAt});
                    };
                    // Only F(4x4)'s tiles can reach past the pooled output.
                    if ((p.oh / 2) % (m / 2) == 0 && (p.ow / 2) % (m / 2) == 0)
                      store();
                    else
                      k.ifThen(
                          k.andI(k.lt(pyAt, p.oh / 2), k.lt(pxAt, p.ow / 2)),
                          store);
                  }
                return;
              }
              for (int64_t r = 0; r < m; ++r)
                for (int64_t q = 0; q < m; ++q) {
                  Value oy = k.add(k.mul(at[1], m), r);
                  Value ox = k.add(k.mul(at[2], m), q);
                  Value inside = k.andI(k.lt(oy, p.oh), k.lt(ox, p.ow));
                  k.ifThen(inside, [&] {
                    if (splits > 1)
                      k.store(y[r * m + q], kargs.back(),
                              {split, n, oc, oy, ox});
                    else
                      k.store(convEpilogue(k, p, y[r * m + q], b), kargs.back(),
                              {n, oc, oy, ox});
                  });
                }
            });
          });
        }
      });
  return partials;
}

} // namespace

bool takesWinogradConv(const ConvParams &p, int64_t smCount, int64_t tile) {
  return planWinogradConv(p, smCount, tile).has_value();
}

bool splitsWinogradConv(const ConvParams &p, int64_t smCount, int64_t tile) {
  std::optional<WinogradPlan> plan = planWinogradConv(p, smCount, tile);
  return plan && plan->splits > 1;
}

bool emitWinogradConv2D(ModelBuilder &builder, Location loc,
                        const ConvParams &p, ValueRange args, int64_t smCount,
                        int64_t tile) {
  std::optional<WinogradPlan> plan = planWinogradConv(p, smCount, tile);
  if (!plan)
    return false;
  Value partials = emitKernel(builder, loc, p, *plan, args);
  if (plan->splits == 1)
    return true;
  emitSplitReduce(builder, loc, p, plan->splits, ownPool(p), partials, args);
  return true;
}

bool emitSplitWinogradConv2DWithPool(ModelBuilder &builder, Location loc,
                                     const ConvParams &p,
                                     const OverlappingPool &pool,
                                     ValueRange args, int64_t smCount,
                                     int64_t tile) {
  assert(p.pool == PoolKind::None && "the conv has a pool of its own");
  std::optional<WinogradPlan> plan = planWinogradConv(p, smCount, tile);
  if (!plan || plan->splits == 1)
    return false;
  Value partials = emitKernel(builder, loc, p, *plan, args);
  emitSplitReduce(builder, loc, p, plan->splits, pool, partials, args);
  return true;
}

} // namespace kiln::kernels
