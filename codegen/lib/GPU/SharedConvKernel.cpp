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
// Mapping: a block's threads form a grid of threadsY rows x threadsX
// columns (at most 128 threads, shaped to the output so that small images
// waste few of them); a thread computes pixelsY x pixelsX (pooled) output
// pixels, threadsY rows and threadsX columns apart, for `channels` (up to
// 16) output channels, each pool window's conv outputs side by side. Each
// weight read from shared memory feeds that many FMAs (4 when they allow)
// and the weights of one tap are contiguous, so they come in 128-bit
// loads. The input tile stores rows and columns split by phase modulo the
// step between neighbouring threads' windows, rows padded to threadsX
// modulo 32 words, so that a warp's lanes read 32 different banks. Per
// chunk of input channels the block's threads copy the chunk's input
// window (zero outside the image: that is the padding) and its weights
// with consecutive threads on consecutive global addresses (coalesced),
// wait at a barrier, accumulate from shared memory, and wait again before
// the next chunk overwrites the tiles.
//
// A layer with too few blocks to fill the GPU (the late layers of a batch-1
// network: VGG-16's 14x14 layers make 64 blocks, an H100 runs 132 SMs)
// splits its input channels into `splits` ranges, one block each; the
// blocks write raw sums to a scratch buffer and a second kernel adds the
// ranges in a fixed order and applies the bias, ReLU and pool. That pool
// may also be one whose windows overlap (AlexNet's 3x3, stride 2), which
// the convolution kernel itself cannot take without recomputing the
// outputs that neighbouring windows share: a split layer then needs no
// pooling kernel of its own.
//
//===----------------------------------------------------------------------===//

#include "SharedConvPlan.h"

using namespace mlir;

namespace kiln::kernels {

namespace {

/// The convolution kernel; with splits it writes raw sums to a new scratch
/// buffer, which it returns.
Value emitConvKernel(ModelBuilder &builder, Location loc, const ConvParams &p,
                     const SharedConvPlan &plan, ValueRange args) {
  int64_t channels = plan.channels, chunk = plan.chunk, splits = plan.splits;
  int64_t channelTiles = p.oc / channels;
  int64_t threads = plan.threadsY * plan.threadsX;
  int64_t pixelsY = plan.pixelsY, pixelsX = plan.pixelsX;
  int64_t windows = plan.windows;
  // With splits, the raw sums of every conv output under a pool window.
  int64_t convH = plan.outH * p.poolH, convW = plan.outW * p.poolW;
  Value partials;
  if (splits > 1)
    partials = builder.alloc({splits, p.n, p.oc, convH, convW}, loc);

  LaunchShape shape;
  shape.grid = {plan.rowTiles * plan.columnTiles, channelTiles * splits, p.n};
  shape.block = {threads, 1, 1};
  shape.flops = convFlops(p);
  // A split layer's blocks write raw sums: no bias, the scratch buffer last.
  SmallVector<Value> convArgs(args);
  if (partials)
    convArgs.assign({args[0], args[1], partials});
  builder.launch(
      "conv2d_shared", loc, convArgs, shape,
      [&](KernelBuilder &k, ValueRange kargs) {
        Value input = kargs[0], weight = kargs[1];
        Value inputTile =
            k.workgroupBuffer({chunk, plan.tileRowsStored, plan.pitch});
        // Where window row (column) `offset` + phases x `base` is stored:
        // the rows (columns) of one phase side by side.
        auto phaseSplit = [&](Value base, Value offset, int64_t phases,
                              int64_t perPhase) {
          if (phases == 1)
            return k.add(base, offset);
          return k.add(k.mul(k.rem(offset, phases), perPhase),
                       k.add(base, k.div(offset, phases)));
        };
        // Row (cc kh + r) kw + s: tap (r, s) of input channel cc of the
        // chunk, the block's channels side by side (one or two 128-bit
        // loads).
        int64_t taps = p.kh * p.kw;
        Value weightTile = k.workgroupBuffer({chunk * taps, channels});

        Value thread = k.threadId[0];
        Value row = k.div(thread, plan.threadsX);
        Value column = k.rem(thread, plan.threadsX);
        Value tileRow = k.div(k.blockId[0], plan.columnTiles);
        Value tileColumn = k.rem(k.blockId[0], plan.columnTiles);
        Value split = k.rem(k.blockId[1], splits);
        Value oc0 = k.mul(k.div(k.blockId[1], splits), channels);
        Value n = k.blockId[2];
        // Pixel (i, j) of the thread: the tile's row row + i threadsY and
        // column column + j threadsX.
        SmallVector<Value> localRows, localColumns, oy, ox;
        for (int64_t i = 0; i < pixelsY; ++i) {
          localRows.push_back(k.add(row, i * plan.threadsY));
          oy.push_back(k.add(k.mul(tileRow, plan.tileRows), localRows.back()));
        }
        for (int64_t j = 0; j < pixelsX; ++j) {
          localColumns.push_back(k.add(column, j * plan.threadsX));
          ox.push_back(
              k.add(k.mul(tileColumn, plan.tileColumns), localColumns.back()));
        }
        // The input position of the tile's first window.
        Value inY0 = k.sub(k.mul(tileRow, plan.tileRows * p.poolH * p.strideH),
                           k.idx(p.padTop));
        Value inX0 =
            k.sub(k.mul(tileColumn, plan.tileColumns * p.poolW * p.strideW),
                  k.idx(p.padLeft));
        // The block's input channels: all of them, or its split's range.
        int64_t channelsPerSplit = p.c / splits;
        Value cBase = k.mul(split, channelsPerSplit);

        // Copies `count` elements into a tile, element i by thread
        // i % threads: `copy` stores element i.
        auto cooperate = [&](int64_t count, function_ref<void(Value)> copy) {
          k.loop(0, ceilDiv(count, threads), 1, {},
                 [&](Value round, ValueRange) {
                   Value i = k.add(k.mul(round, threads), thread);
                   if (count % threads == 0)
                     copy(i);
                   else
                     k.ifThen(k.lt(i, count), [&] { copy(i); });
                   return SmallVector<Value>();
                 });
        };

        // Copies the window of input channels c0 .. c0 + chunk: threads
        // take rows of up to `threads` neighbouring columns (coalesced
        // loads), each thread the same column of every row it takes, so
        // that the loops only add.
        int64_t passColumns = std::min(plan.inColumns, threads);
        int64_t passRows = threads / passColumns;
        Value laneRow = k.div(thread, passColumns);
        Value laneColumn = k.rem(thread, passColumns);
        Value zero = k.idx(0);
        auto copyWindow = [&](Value c0) {
          k.loop(0, chunk, 1, {}, [&](Value cc, ValueRange) {
            k.loop(0, plan.inRows, passRows, {}, [&](Value y0, ValueRange) {
              Value y = k.add(y0, laneRow);
              k.loop(0, plan.inColumns, passColumns, {},
                     [&](Value x0, ValueRange) {
                       Value x = k.add(x0, laneColumn);
                       auto copy = [&] {
                         Value v = loadPadded(k, p, input, n, k.add(c0, cc),
                                              k.add(inY0, y), k.add(inX0, x));
                         k.store(v, inputTile,
                                 {cc,
                                  phaseSplit(zero, y, plan.rowPhases,
                                             plan.rowsPerPhase),
                                  phaseSplit(zero, x, plan.columnPhases,
                                             plan.columnsPerPhase)});
                       };
                       // Guards only where a pass can overrun.
                       Value inside;
                       auto require = [&](Value cond) {
                         inside = inside ? k.andI(inside, cond) : cond;
                       };
                       if (plan.inRows % passRows)
                         require(k.lt(y, plan.inRows));
                       if (plan.inColumns % passColumns)
                         require(k.lt(x, plan.inColumns));
                       if (threads % passColumns)
                         require(k.lt(thread, passRows * passColumns));
                       if (inside)
                         k.ifThen(inside, copy);
                       else
                         copy();
                       return SmallVector<Value>();
                     });
              return SmallVector<Value>();
            });
            return SmallVector<Value>();
          });
        };

        // Accumulator ((i pixelsX + j) windows + w) channels + t: pixel
        // (i, j), position w of its pool window, output channel oc0 + t.
        auto accumulator = [&](int64_t i, int64_t j, int64_t w, int64_t t) {
          return ((i * pixelsX + j) * windows + w) * channels + t;
        };
        SmallVector<Value> zeros(pixelsY * pixelsX * windows * channels,
                                 k.f32(0.0));
        // One step of the reduction: input channel cc of the chunk, filter
        // tap (r, s).
        auto step = [&](Value cc, Value r, Value s, ValueRange acc) {
          SmallVector<Value> next(acc), ws;
          Value tap = k.add(k.mul(k.add(k.mul(cc, p.kh), r), p.kw), s);
          for (int64_t t = 0; t < channels; ++t)
            ws.push_back(k.load(weightTile, {tap, k.idx(t)}));
          for (int64_t i = 0; i < pixelsY; ++i)
            for (int64_t j = 0; j < pixelsX; ++j)
              for (int64_t wy = 0; wy < p.poolH; ++wy)
                for (int64_t wx = 0; wx < p.poolW; ++wx) {
                  // Window row localRows[i] x rowPhases + wy strideH + r
                  // dilationH, and likewise the column.
                  Value y =
                      phaseSplit(localRows[i],
                                 k.add(k.mul(r, p.dilationH), wy * p.strideH),
                                 plan.rowPhases, plan.rowsPerPhase);
                  Value x =
                      phaseSplit(localColumns[j],
                                 k.add(k.mul(s, p.dilationW), wx * p.strideW),
                                 plan.columnPhases, plan.columnsPerPhase);
                  Value v = k.load(inputTile, {cc, y, x});
                  for (int64_t t = 0; t < channels; ++t) {
                    int64_t a = accumulator(i, j, wy * p.poolW + wx, t);
                    next[a] = k.fma(v, ws[t], acc[a]);
                  }
                }
          return next;
        };
        SmallVector<Value> sums = k.loop(
            0, channelsPerSplit, chunk, zeros, [&](Value c, ValueRange acc) {
              Value c0 = k.add(cBase, c);
              copyWindow(c0);
              // Consecutive threads read consecutive weights of a channel.
              int64_t run = chunk * taps;
              cooperate(channels * run, [&](Value i) {
                Value t = k.div(i, run), rest = k.rem(i, run);
                SmallVector<Value> at =
                    k.delinearize(rest, {chunk, p.kh, p.kw});
                Value v = k.load(
                    weight, {k.add(oc0, t), k.add(c0, at[0]), at[1], at[2]});
                k.store(v, weightTile, {rest, t});
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

        for (int64_t i = 0; i < pixelsY; ++i)
          for (int64_t j = 0; j < pixelsX; ++j) {
            Value inside =
                k.andI(k.lt(oy[i], plan.outH), k.lt(ox[j], plan.outW));
            if (splits > 1) {
              // Raw sums; the reduction kernel finishes them.
              k.ifThen(inside, [&] {
                for (int64_t wy = 0; wy < p.poolH; ++wy)
                  for (int64_t wx = 0; wx < p.poolW; ++wx) {
                    Value cy = k.add(k.mul(oy[i], p.poolH), wy);
                    Value cx = k.add(k.mul(ox[j], p.poolW), wx);
                    for (int64_t t = 0; t < channels; ++t)
                      k.store(sums[accumulator(i, j, wy * p.poolW + wx, t)],
                              kargs.back(), {split, n, k.add(oc0, t), cy, cx});
                  }
              });
              continue;
            }
            // Bias, ReLU and the pool, in the direct kernel's order.
            SmallVector<Value> results;
            for (int64_t t = 0; t < channels; ++t) {
              Value b = p.bias ? k.load(kargs[2], {k.add(oc0, t)}) : k.f32(0.0);
              results.push_back(
                  pooledEpilogue(k, p, b, [&](int64_t wy, int64_t wx) {
                    return sums[accumulator(i, j, wy * p.poolW + wx, t)];
                  }));
            }
            k.ifThen(inside, [&] {
              for (int64_t t = 0; t < channels; ++t)
                k.store(results[t], kargs.back(),
                        {n, k.add(oc0, t), oy[i], ox[j]});
            });
          }
      });
  return partials;
}

} // namespace

void emitSplitReduce(ModelBuilder &builder, Location loc, const ConvParams &p,
                     int64_t splits, const OverlappingPool &window,
                     Value partials, ValueRange args) {
  ConvParams pooled = p;
  pooled.pool = window.kind;
  pooled.poolH = window.kh, pooled.poolW = window.kw;
  constexpr int64_t reduceThreads = 256;
  int64_t outputs = p.n * p.oc * window.outH * window.outW;
  LaunchShape reduceShape;
  reduceShape.grid = {ceilDiv(outputs, reduceThreads), 1, 1};
  reduceShape.block = {reduceThreads, 1, 1};
  SmallVector<Value> reduceArgs = {partials};
  if (p.bias)
    reduceArgs.push_back(args[2]);
  reduceArgs.push_back(args.back());
  builder.launch(
      "conv2d_split_reduce", loc, reduceArgs, reduceShape,
      [&](KernelBuilder &k, ValueRange kargs) {
        Value id = k.add(k.mul(k.blockId[0], reduceThreads), k.threadId[0]);
        k.ifThen(k.lt(id, outputs), [&] {
          SmallVector<Value> at =
              k.delinearize(id, {p.n, p.oc, window.outH, window.outW});
          Value b = p.bias ? k.load(kargs[1], {at[1]}) : k.f32(0.0);
          Value result =
              pooledEpilogue(k, pooled, b, [&](int64_t wy, int64_t wx) {
                Value cy = k.add(k.mul(at[2], window.strideH), wy);
                Value cx = k.add(k.mul(at[3], window.strideW), wx);
                Value sum = k.f32(0.0);
                for (int64_t s = 0; s < splits; ++s)
                  sum = k.addF(
                      sum, k.load(kargs[0], {k.idx(s), at[0], at[1], cy, cx}));
                return sum;
              });
          k.store(result, kargs.back(), at);
        });
      });
}

bool emitSharedConv2D(ModelBuilder &builder, Location loc, const ConvParams &p,
                      ValueRange args, int64_t smCount) {
  std::optional<SharedConvPlan> plan = planSharedConv(p, smCount);
  if (!plan)
    return false;
  Value partials = emitConvKernel(builder, loc, p, *plan, args);
  if (plan->splits == 1)
    return true;
  emitSplitReduce(builder, loc, p, plan->splits, ownPool(p), partials, args);
  return true;
}

bool splitsSharedConv(const ConvParams &p, int64_t smCount) {
  std::optional<SharedConvPlan> plan = planSharedConv(p, smCount);
  return plan && plan->splits > 1;
}

bool emitSplitSharedConv2DWithPool(ModelBuilder &builder, Location loc,
                                   const ConvParams &p,
                                   const OverlappingPool &pool, ValueRange args,
                                   int64_t smCount) {
  assert(p.pool == PoolKind::None && "the conv has a pool of its own");
  std::optional<SharedConvPlan> plan = planSharedConv(p, smCount);
  if (!plan || plan->splits == 1)
    return false;
  Value partials = emitConvKernel(builder, loc, p, *plan, args);
  emitSplitReduce(builder, loc, p, plan->splits, pool, partials, args);
  return true;
}

} // namespace kiln::kernels
