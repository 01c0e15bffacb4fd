//===- SharedConvPlan.cpp - Mapping the shared-memory convolution ---------===//
//
// Most work per thread (each shared-memory load feeding the most FMAs)
// against enough blocks to keep every SM busy: see planSharedConv.
//
//===----------------------------------------------------------------------===//

#include "SharedConvPlan.h"

using llvm::ArrayRef;

namespace kiln::kernels {

namespace {
constexpr int64_t kMaxThreads = 128;
/// Threads along a row of the tile at most: a warp's lanes then cover two
/// rows or more, so the copy's global loads stay in few cache lines.
constexpr int64_t kMaxThreadsX = 16;
/// Conv outputs a thread computes per output channel (pixels x pool
/// window) at most: each weight loaded from shared memory feeds that many
/// FMAs, and with 8 (16) channels they make 32 (64) accumulators.
constexpr int64_t kOutputsPerThread = 4;
/// Shared memory banks: words i and i + 32 share one.
constexpr int64_t kBanks = 32;
/// The static shared memory every CUDA GPU since sm_20 gives a block.
constexpr int64_t kSharedFloats = 48 * 1024 / 4;
/// Blocks per streaming multiprocessor that keep it busy: an SM runs up to
/// 16 blocks of 128 threads, and 8 of them hide most latencies.
constexpr int64_t kBlocksPerSM = 8;
/// Multiply-adds a raw sum of a split takes at least: writing and reading
/// it back (8 bytes) costs about as long as 80 FMAs on an H100 (67 FP32
/// TFLOP/s against 3.35 TB/s).
constexpr int64_t kMinSplitTaps = 128;
/// Largest grid y dimension CUDA allows.
constexpr int64_t kMaxGridY = 65535;

/// The first of `candidates` that divides `n`.
int64_t firstDivisor(int64_t n, ArrayRef<int64_t> candidates) {
  for (int64_t c : candidates)
    if (n % c == 0)
      return c;
  return 1;
}

/// The threads along one dimension of `extent` outputs, `pixels` per
/// thread, at most `maxThreads`: as few tiles as possible, each as even as
/// possible.
void shapeTiles(int64_t extent, int64_t pixels, int64_t maxThreads,
                int64_t &threads, int64_t &tiles) {
  tiles = ceilDiv(extent, maxThreads * pixels);
  threads = ceilDiv(extent, tiles * pixels);
}

/// The plan with up to `outputs` conv outputs per thread and channel, and
/// `channels` output channels per block.
std::optional<SharedConvPlan> planWith(const ConvParams &p, int64_t outputs,
                                       int64_t channels, int64_t targetBlocks) {
  SharedConvPlan plan;
  plan.outH = p.pool == PoolKind::None ? p.oh : p.oh / p.poolH;
  plan.outW = p.pool == PoolKind::None ? p.ow : p.ow / p.poolW;
  plan.windows = p.poolH * p.poolW;
  plan.channels = channels;
  // Pixels along the row first, then down the columns, no more than the
  // output has for a full tile.
  int64_t budget = std::max<int64_t>(1, outputs / plan.windows);
  plan.pixelsX = std::min(budget, ceilDiv(plan.outW, kMaxThreadsX));
  plan.pixelsY = std::min(budget / plan.pixelsX,
                          ceilDiv(plan.outH, kMaxThreads / kMaxThreadsX));
  // Shrink the tile until a chunk of at least one input channel fits in
  // shared memory, taking the most channels (of 8, 4, 2, 1 dividing them).
  for (;;) {
    shapeTiles(plan.outW, plan.pixelsX, kMaxThreadsX, plan.threadsX,
               plan.columnTiles);
    shapeTiles(plan.outH, plan.pixelsY, kMaxThreads / plan.threadsX,
               plan.threadsY, plan.rowTiles);
    plan.tileRows = plan.threadsY * plan.pixelsY;
    plan.tileColumns = plan.threadsX * plan.pixelsX;
    int64_t convRows = plan.tileRows * p.poolH;
    int64_t convColumns = plan.tileColumns * p.poolW;
    plan.inRows = (convRows - 1) * p.strideH + (p.kh - 1) * p.dilationH + 1;
    plan.inColumns =
        (convColumns - 1) * p.strideW + (p.kw - 1) * p.dilationW + 1;
    // A warp's lanes are rows of threadsX neighbouring threads, and the
    // phase split makes them read neighbouring words of neighbouring
    // stored rows: a pitch of threadsX modulo the 32 banks puts each lane
    // on its own bank (without the split and the padding, strides and
    // pools spread a warp's loads over some banks twice or more).
    plan.rowPhases = p.strideH * p.poolH;
    plan.columnPhases = p.strideW * p.poolW;
    plan.rowsPerPhase = ceilDiv(plan.inRows, plan.rowPhases);
    plan.columnsPerPhase = ceilDiv(plan.inColumns, plan.columnPhases);
    plan.tileRowsStored = plan.rowPhases * plan.rowsPerPhase;
    int64_t stored = plan.columnPhases * plan.columnsPerPhase;
    plan.pitch = stored + ((plan.threadsX - stored) % kBanks + kBanks) % kBanks;
    plan.chunk = 0;
    for (int64_t c : {8, 4, 2, 1})
      if (p.c % c == 0 && c * (plan.tileRowsStored * plan.pitch +
                               plan.channels * p.kh * p.kw) <=
                              kSharedFloats) {
        plan.chunk = c;
        break;
      }
    if (plan.chunk)
      break;
    if (plan.pixelsX > 1)
      plan.pixelsX /= 2;
    else if (plan.pixelsY > 1)
      plan.pixelsY /= 2;
    else
      return std::nullopt;
  }
  // A launch that leaves most of the GPU idle splits its input channels
  // until it fills it, while each raw sum still takes kMinSplitTaps FMAs
  // and the scratch buffer of raw sums stays addressable with 32-bit
  // indices.
  int64_t channelTiles = p.oc / plan.channels;
  int64_t blocks = plan.rowTiles * plan.columnTiles * channelTiles * p.n;
  int64_t chunks = p.c / plan.chunk;
  int64_t convOutputs = p.n * p.oc * plan.outH * p.poolH * plan.outW * p.poolW;
  plan.splits = 1;
  if (blocks < targetBlocks / 2)
    for (int64_t s = 2; s <= chunks && blocks * plan.splits < targetBlocks; ++s)
      if (chunks % s == 0 && p.c / s * p.kh * p.kw >= kMinSplitTaps &&
          s * convOutputs < (int64_t(1) << 31) && s * channelTiles <= kMaxGridY)
        plan.splits = s;
  if (channelTiles * plan.splits > kMaxGridY)
    return std::nullopt;
  return plan;
}

} // namespace

/// Takes the most work per thread that still gives each SM half of
/// kBlocksPerSM blocks, with splits; layers too small for that get fewer
/// pixels per thread, then fewer channels per block. The most work, 4 conv
/// outputs for 16 channels (64 accumulators: 4 shared loads of inputs and 4
/// 128-bit loads of weights per 64 FMAs, and half the window copies per
/// FMA of 8 channels), takes about 130 registers, so fewer blocks fit on an
/// SM: only layers that fill the GPU without splits (large batches) get it.
std::optional<SharedConvPlan> planSharedConv(const ConvParams &p,
                                             int64_t smCount) {
  int64_t targetBlocks = smCount * kBlocksPerSM;
  if (p.groups != 1)
    return std::nullopt;
  const std::pair<int64_t, int64_t> workPerThread[] = {{kOutputsPerThread, 16},
                                                       {kOutputsPerThread, 8},
                                                       {2, 8},
                                                       {2, 4},
                                                       {1, 4},
                                                       {1, 2}};
  // Powers of two: the smaller of two divides the channels too.
  int64_t mostChannels = firstDivisor(p.oc, {16, 8, 4, 2, 1});
  std::optional<SharedConvPlan> best;
  int64_t bestBlocks = 0;
  for (auto [outputs, channels] : workPerThread) {
    std::optional<SharedConvPlan> plan =
        planWith(p, outputs, std::min(mostChannels, channels), targetBlocks);
    if (!plan || (channels == 16 && plan->splits > 1))
      continue;
    int64_t blocks = plan->rowTiles * plan->columnTiles *
                     (p.oc / plan->channels) * p.n * plan->splits;
    if (blocks >= targetBlocks / 2)
      return plan;
    if (blocks > bestBlocks)
      best = plan, bestBlocks = blocks;
  }
  return best;
}

} // namespace kiln::kernels
