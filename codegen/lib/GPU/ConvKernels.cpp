//===- ConvKernels.cpp - Direct convolution kernels -----------------------===//
//
// One kernel per convolution, bias, ReLU and following pool included, so
// the un-pooled activations never reach memory.
//
// Mapping: grid (pixel tiles, channel tiles, batch), 128 threads per block.
// A thread computes up to 4 output pixels (128 apart, so that a warp's
// lanes always touch neighbouring columns and its input loads coalesce) for
// a tile of up to 8 output channels, keeping those accumulators in
// registers across the whole reduction (input channels x kernel window);
// chooseWork gives small layers less work per thread and more threads.
// Every thread of a block uses the same channel tile, so a weight load is
// one broadcast per warp and feeds kPixels FMAs. With a fused pool a thread
// computes the conv at every position of its pooled pixel's window (the
// windows do not overlap, so nothing is computed twice) and reduces them.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

using namespace mlir;

namespace kiln::kernels {

namespace {
constexpr int64_t kThreads = 128;
/// Threads per SM that keep it busy (2 blocks of 256): below this, a layer
/// trades register reuse for parallelism.
constexpr int64_t kBusyThreadsPerSM = 512;

/// How much work one thread does: `pixels` output pixels (1, 2 or 4) for
/// `channels` output channels (8, 4, 2 or 1, dividing the channels of a
/// group). More of both means fewer loads per FMA (each input value feeds
/// `channels` FMAs, each weight `pixels`), fewer means more threads for the
/// small late layers of a batch-1 network.
struct ThreadWork {
  int64_t pixels, channels;
};

ThreadWork chooseWork(const ConvParams &p, int64_t outPixels, int64_t smCount) {
  int64_t busyThreads = smCount * kBusyThreadsPerSM;
  int64_t perGroup = p.oc / p.groups;
  ThreadWork work{p.pool == PoolKind::None ? 4 : 1, 1};
  for (int64_t tile : {8, 4, 2})
    if (perGroup % tile == 0) {
      work.channels = tile;
      break;
    }
  auto threads = [&] {
    return ceilDiv(outPixels, work.pixels) * (p.oc / work.channels) * p.n;
  };
  while (work.pixels > 1 && threads() < busyThreads)
    work.pixels /= 2;
  while (work.channels > 2 && threads() < busyThreads)
    work.channels /= 2;
  return work;
}
} // namespace

void emitConv2D(ModelBuilder &builder, Location loc, const ConvParams &p,
                ValueRange args, int64_t smCount) {
  int64_t outH = p.pool == PoolKind::None ? p.oh : p.oh / p.poolH;
  int64_t outW = p.pool == PoolKind::None ? p.ow : p.ow / p.poolW;
  int64_t pixels = outH * outW;
  ThreadWork work = chooseWork(p, pixels, smCount);
  int64_t tile = work.channels, pixelsPerThread = work.pixels;
  LaunchShape shape;
  shape.grid = {ceilDiv(pixels, kThreads * pixelsPerThread), p.oc / tile, p.n};
  shape.block = {kThreads, 1, 1};
  shape.flops = convFlops(p);
  bool padded = p.padTop || p.padLeft ||
                (p.oh - 1) * p.strideH + (p.kh - 1) * p.dilationH >= p.h ||
                (p.ow - 1) * p.strideW + (p.kw - 1) * p.dilationW >= p.w;
  int64_t inPerGroup = p.c / p.groups, outPerGroup = p.oc / p.groups;

  builder.launch(
      "conv2d", loc, args, shape, [&](KernelBuilder &k, ValueRange kargs) {
        Value input = kargs[0], weight = kargs[1];
        Value bias = p.bias ? kargs[2] : Value();
        Value output = kargs.back();
        Value n = k.blockId[2];
        Value oc0 = k.mul(k.blockId[1], tile);
        Value ic0 = k.mul(k.div(oc0, outPerGroup), inPerGroup);
        Value tileBase = k.add(k.mul(k.blockId[0], kThreads * pixelsPerThread),
                               k.threadId[0]);

        // Output pixel j of this thread, clamped into range so that every
        // thread computes (and only the valid ones store).
        SmallVector<Value> valid, oy, ox;
        for (int64_t j = 0; j < pixelsPerThread; ++j) {
          Value pixel = k.add(tileBase, j * kThreads);
          valid.push_back(k.lt(pixel, pixels));
          pixel = k.minS(pixel, k.idx(pixels - 1));
          oy.push_back(k.div(pixel, outW));
          ox.push_back(k.rem(pixel, outW));
        }

        // Convolution at conv-output positions (y[j], x[j]); returns
        // accumulators [j * tile + t].
        auto convolve = [&](ArrayRef<Value> y, ArrayRef<Value> x) {
          SmallVector<Value> iy0, ix0;
          for (size_t j = 0; j < y.size(); ++j) {
            iy0.push_back(k.sub(k.mul(y[j], p.strideH), k.idx(p.padTop)));
            ix0.push_back(k.sub(k.mul(x[j], p.strideW), k.idx(p.padLeft)));
          }
          SmallVector<Value> zeros(y.size() * tile, k.f32(0.0));
          return k.loop(0, inPerGroup, 1, zeros, [&](Value ic, ValueRange acc) {
            Value channel = k.add(ic0, ic);
            return k.loop(0, p.kh, 1, acc, [&](Value r, ValueRange acc) {
              return k.loop(0, p.kw, 1, acc, [&](Value s, ValueRange acc) {
                SmallVector<Value> xs;
                for (size_t j = 0; j < y.size(); ++j) {
                  Value iy = k.add(iy0[j], k.mul(r, p.dilationH));
                  Value ix = k.add(ix0[j], k.mul(s, p.dilationW));
                  if (!padded) {
                    xs.push_back(k.load(input, {n, channel, iy, ix}));
                    continue;
                  }
                  xs.push_back(loadPadded(k, p, input, n, channel, iy, ix));
                }
                SmallVector<Value> next(acc);
                for (int64_t t = 0; t < tile; ++t) {
                  Value w = k.load(weight, {k.add(oc0, t), ic, r, s});
                  for (size_t j = 0; j < y.size(); ++j)
                    next[j * tile + t] = k.fma(xs[j], w, acc[j * tile + t]);
                }
                return next;
              });
            });
          });
        };

        SmallVector<Value> biases;
        for (int64_t t = 0; t < tile; ++t)
          biases.push_back(bias ? k.load(bias, {k.add(oc0, t)}) : k.f32(0.0));
        SmallVector<Value> results;
        if (p.pool == PoolKind::None) {
          SmallVector<Value> acc = convolve(oy, ox);
          for (int64_t j = 0; j < pixelsPerThread; ++j)
            for (int64_t t = 0; t < tile; ++t)
              results.push_back(
                  convEpilogue(k, p, acc[j * tile + t], biases[t]));
        } else {
          results.assign(tile, poolIdentity(k, p.pool));
          for (int64_t wy = 0; wy < p.poolH; ++wy) {
            for (int64_t wx = 0; wx < p.poolW; ++wx) {
              Value y = k.add(k.mul(oy[0], p.poolH), wy);
              Value x = k.add(k.mul(ox[0], p.poolW), wx);
              SmallVector<Value> acc = convolve({y}, {x});
              for (int64_t t = 0; t < tile; ++t)
                results[t] = poolCombine(k, p.pool, results[t],
                                         convEpilogue(k, p, acc[t], biases[t]));
            }
          }
          for (Value &r : results)
            r = poolFinish(k, p.pool, r, k.f32(double(p.poolH * p.poolW)));
        }

        for (int64_t j = 0; j < pixelsPerThread; ++j) {
          k.ifThen(valid[j], [&] {
            for (int64_t t = 0; t < tile; ++t)
              k.store(results[j * tile + t], output,
                      {n, k.add(oc0, t), oy[j], ox[j]});
          });
        }
      });
}

} // namespace kiln::kernels
