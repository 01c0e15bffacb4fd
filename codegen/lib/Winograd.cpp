//===- Winograd.cpp - 3x3 convolutions by Winograd's minimal filtering ----===//
//
// Replaces 3x3, stride-1 convolutions whose filters are constants by
// Winograd's F(m x m, 3 x 3): a compile-time filter transform, then, per
// chunk of output tiles, three phases that each run on the thread pool:
//
//   1. input transform   V[xi][ic][t] = (B^T d(ic, t) B)[xi]
//   2. (m+2)^2 products  M[xi][oc][t] = sum_ic U[xi][oc][ic] * V[xi][ic][t]
//   3. output transform  Y(oc, t) = A^T M[.][oc][t] A (+ bias, ReLU)
//
// Every phase is vectorised across tiles: lane i of a vector works on tile
// t0 + i, wherever in the image that tile is, so any image size and any tile
// count use full vectors. The input transform gathers each lane's tile and
// the output transform scatters it; the products, where the arithmetic is,
// read and write contiguous vectors.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilders.h"
#include "WinogradMatrices.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Threading.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <climits>
#include <limits>

namespace kiln {
#define GEN_PASS_DEF_WINOGRADPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln::kernels;

namespace {

/// U[xi][oc / rows][ic][oc % rows] = (G g(oc, ic) G^T)[xi], computed in
/// double from the [OC, IC, r, r] filter: the constant the products read,
/// `rows` output channels side by side for the kernel's broadcasts.
SmallVector<float> transformFilter(MLIRContext *context,
                                   const WinogradMatrices &w,
                                   ArrayRef<float> filter, int64_t oc,
                                   int64_t ic, int64_t rows) {
  int64_t a = w.a, r = w.r;
  SmallVector<float> u(a * a * oc * ic);
  // Output channels are independent (VGG-16 transforms 15M weights).
  parallelFor(context, 0, oc, [&](size_t index) {
    int64_t o = index;
    SmallVector<double, 36> gg(a * r); // G g
    for (int64_t i = 0; i < ic; ++i) {
      const float *g = &filter[(o * ic + i) * r * r];
      for (int64_t y = 0; y < a; ++y)
        for (int64_t x = 0; x < r; ++x) {
          double sum = 0;
          for (int64_t k = 0; k < r; ++k)
            sum += w.g[y * r + k] * g[k * r + x];
          gg[y * r + x] = sum;
        }
      for (int64_t y = 0; y < a; ++y)
        for (int64_t x = 0; x < a; ++x) {
          double sum = 0; // (G g) G^T
          for (int64_t k = 0; k < r; ++k)
            sum += gg[y * r + k] * w.g[x * r + k];
          int64_t xi = y * a + x;
          u[((xi * (oc / rows) + o / rows) * ic + i) * rows + o % rows] =
              (float)sum;
        }
    }
  });
  return u;
}

/// Picks F(2x2), F(3x3) or F(4x4) for a convolution over `images` images:
/// the one whose products (the multiply-adds, over whole vectors of tiles,
/// which are numbered across the batch) or transformed filter (read from memory
/// once per run: a model's weights do not stay in cache between runs),
/// whichever is slower, take less time. The products' loop prefetches U,
/// so the two overlap; kFlopsPerByte, about one core's FMA peak over its
/// memory bandwidth, puts them in the same unit. F(4x4) needs 4x fewer
/// multiplications per output than direct convolution and F(2x2) 2.25x, but
/// F(4x4)'s U is 2.25x larger and its tiles cover small images less tightly
/// (13x13 takes 16x16 of 4x4 tiles), so small images with few tiles per
/// vector go to F(2x2): 7x7 at batch 1 pads F(4x4)'s 4 tiles to 16. On
/// AlexNet's 13x13 layers (`BIN --profile`, alternating binaries) F(4x4)
/// took 3.7-4.0 ms for the three at batch 1 on one thread against 4.1-4.6
/// for F(2x2), and 14.8-15.5 ms against 19.3-23.9 at batch 8 on two.
/// F(3x3) sits between them: 2.78x fewer multiplications, a U 1.56x the
/// size of F(2x2)'s and 0.69x F(4x4)'s. It wins where F(4x4)'s U is what
/// takes the time: 13x13 and 14x14 layers at batch 1 (AlexNet's three
/// 13x13 layers on one thread: 3.4 ms against 3.8 for F(4x4)).
int64_t chooseTile(int64_t ic, int64_t oc, int64_t images, int64_t oh,
                   int64_t ow, int64_t width) {
  constexpr double kFlopsPerByte = 12.5;
  auto cost = [&](int64_t m) {
    int64_t elements = (m + 2) * (m + 2);
    int64_t tiles = images * llvm::divideCeil(oh, m) * llvm::divideCeil(ow, m);
    double products = 2.0 * elements * ic * oc * llvm::alignTo(tiles, width);
    double filterBytes = 4.0 * elements * ic * oc;
    return std::max(products / kFlopsPerByte, filterBytes);
  };
  int64_t best = 4;
  for (int64_t m : {3, 2})
    if (cost(m) < cost(best))
      best = m;
  return best;
}

Value splatF32(ImplicitLocOpBuilder &b, VectorType type, double value) {
  return arith::ConstantOp::create(
      b, type, DenseElementsAttr::get(type, b.getF32FloatAttr(value)));
}

Value splatI32(ImplicitLocOpBuilder &b, int64_t lanes, int64_t value) {
  auto type = VectorType::get({lanes}, b.getI32Type());
  return arith::ConstantOp::create(
      b, type, DenseElementsAttr::get(type, b.getI32IntegerAttr(value)));
}

/// sum_k coeffs[k] * xs[k] with the constant coefficients folded in: zero
/// terms are skipped and +-1 become additions and subtractions, so the
/// transforms cost what their sparse matrices need.
Value combine(ImplicitLocOpBuilder &b, VectorType type, ArrayRef<double> coeffs,
              ArrayRef<Value> xs) {
  Value sum;
  for (auto [c, x] : llvm::zip_equal(coeffs, xs)) {
    if (c == 0)
      continue;
    if (!sum)
      sum = c == 1 ? x
            : c == -1
                ? arith::NegFOp::create(b, x).getResult()
                : arith::MulFOp::create(b, splatF32(b, type, c), x).getResult();
    else
      sum = c == 1    ? arith::AddFOp::create(b, sum, x).getResult()
            : c == -1 ? arith::SubFOp::create(b, sum, x).getResult()
                      : vector::FMAOp::create(b, splatF32(b, type, c), x, sum)
                            .getResult();
  }
  return sum ? sum : splatF32(b, type, 0);
}

/// L X L^T for a q x p matrix L of constants and a p x p matrix X of
/// vectors (row-major): the 2-D transforms.
SmallVector<Value> sandwich(ImplicitLocOpBuilder &b, VectorType type,
                            ArrayRef<double> l, int64_t q, int64_t p,
                            ArrayRef<Value> x) {
  SmallVector<Value> lx(q * p), result(q * q);
  for (int64_t i = 0; i < q; ++i)
    for (int64_t c = 0; c < p; ++c) {
      SmallVector<Value> column;
      for (int64_t r = 0; r < p; ++r)
        column.push_back(x[r * p + c]);
      lx[i * p + c] = combine(b, type, l.slice(i * p, p), column);
    }
  for (int64_t i = 0; i < q; ++i)
    for (int64_t j = 0; j < q; ++j)
      result[i * q + j] = combine(b, type, l.slice(j * p, p),
                                  ArrayRef<Value>(lx).slice(i * p, p));
  return result;
}

/// The tiles of one vector's lanes, numbered across the batch: tile
/// t0 + lane lies in image firstImage + image (image as an i32 vector, so
/// that lane offsets stay small), at top-left output position (row, col),
/// and exists when valid (t < the batch's tiles).
struct TileLanes {
  Value firstImage, image, row, col, valid;
};

struct WinogradKernel : public OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  WinogradKernel(MLIRContext *context, const kiln::WinogradPassOptions &options)
      : OpRewritePattern(context), options(options) {}

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<std::array<Value, 3>> operands = denseOperands(op, rewriter);
    if (failed(operands))
      return failure();
    Value input = (*operands)[0], filter = (*operands)[1],
          output = (*operands)[2];
    ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
    ArrayRef<int64_t> weights = cast<MemRefType>(filter.getType()).getShape();
    ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
    int64_t kernel = weights[2];
    if ((kernel != 3 && kernel != 5) || weights[3] != kernel ||
        !llvm::all_of(op.getStrides().getValues<int64_t>(),
                      [](int64_t s) { return s == 1; }) ||
        !llvm::all_of(op.getDilations().getValues<int64_t>(),
                      [](int64_t d) { return d == 1; }))
      return rewriter.notifyMatchFailure(op, "not a 3x3 or 5x5 stride-1 conv");
    int64_t ic = weights[1], oc = weights[0];
    if (ic < options.minChannels || oc < options.minChannels)
      return rewriter.notifyMatchFailure(op, "too few channels");
    // Lane offsets are i32 (one gather or scatter instruction for 16
    // lanes), relative to the first image of the vector: the lanes of one
    // vector span at most vector-width + 1 images.
    if ((options.vectorWidth + 1) *
            std::max(ic * in[2] * in[3], oc * out[2] * out[3]) >=
        INT32_MAX)
      return rewriter.notifyMatchFailure(op, "images too large for i32");
    // U takes (m+2)^2 / 9 times the filter's bytes (4x for F(4x4)) in the
    // executable: past a gigabyte, the direct kernel's smaller constant wins.
    constexpr int64_t kMaxFilterBytes = int64_t(1) << 30;
    if (36 * oc * ic * 4 > kMaxFilterBytes)
      return rewriter.notifyMatchFailure(op, "transformed filter too large");
    SmallVector<float> storage;
    std::optional<ArrayRef<float>> filterData = constantData(filter, storage);
    if (!filterData || (int64_t)filterData->size() != oc * ic * kernel * kernel)
      return rewriter.notifyMatchFailure(op, "filter not a known constant");

    FailureOr<kiln::FusionGroup> group = kiln::matchFusionGroup(op);
    if (succeeded(group))
      rewriter.setInsertionPointAfter(group->ops.back());
    bool fused = succeeded(group);
    bool pooled = fused && !group->pool.empty();

    // 5x5 filters: F(2x2, 5x5) only (F(4x4, 5x5)'s 8x8 tiles would need
    // interpolation points whose rounding errors grow too large).
    int64_t tile = kernel == 5    ? 2
                   : options.tile ? options.tile
                                  : chooseTile(ic, oc, out[0], out[2], out[3],
                                               options.vectorWidth);
    const WinogradMatrices &w = getWinogradMatrices(tile, kernel);
    int64_t m = w.m, a = w.a, elements = a * a;
    int64_t width = options.vectorWidth;
    int64_t oh = out[2], ow = out[3];
    int64_t tilesH = llvm::divideCeil(oh, m), tilesW = llvm::divideCeil(ow, m);
    // The tiles of every image of the batch form one sequence (image-major),
    // so that chunks span images: at batch 8 the late layers, whose images
    // hold a few vectors of tiles each, read U once per chunk of the batch
    // instead of once per image.
    int64_t tiles = tilesH * tilesW, totalTiles = out[0] * tiles;
    int64_t tileVectors = llvm::divideCeil(totalTiles, width);
    // Tiles per chunk. Each chunk reads all of U (elements x oc x ic
    // floats); its transformed inputs and products (elements x (ic + oc)
    // floats per tile) make a round trip through the caches or memory
    // (moveCost below). Take the chunk count that moves the fewest bytes, a
    // fork and join of the three phases counted as kForkBytes.
    constexpr int64_t kForkBytes = 65536;
    // Slots for chunks that run side by side (at most as many threads as
    // that work at once), and the fewest chunks that keep them balanced.
    constexpr int64_t kSlots = 8, kMinSlottedChunks = 8;
    // Scratch (all slots' V and M, or one chunk's) beyond this size streams
    // from DRAM rather than the last-level cache: no chunk takes more
    // unless a single vector of tiles does. (VGG-16 at batch 8: one 231 MB
    // chunk for 112x112 made conv2_2 take 139 ms instead of 78.)
    constexpr int64_t kMaxScratchBytes = int64_t(32) << 20;
    constexpr int64_t kCacheShareBytes = int64_t(8) << 20;
    int64_t filterBytes = elements * oc * ic * 4;
    int64_t tileBytes = elements * (ic + oc) * 4;
    // What moving `bytes` of data whose footprint is `footprint` costs:
    // nothing within chunk-bytes (L2), half of DRAM's price within a share
    // of the last-level cache (which other cores and, on a shared machine,
    // other tenants use too), DRAM's beyond. U counts by its own size: a
    // small U re-read per chunk comes from cache. (VGG-16's conv2_1 at
    // batch 8 took 33 ms in slots of L2-sized chunks, 50 in 8 MB ones.)
    auto moveCost = [&](double bytes, double footprint) {
      return footprint <= options.chunkBytes ? 0.0
             : footprint <= kCacheShareBytes ? 0.5 * bytes
                                             : bytes;
    };
    int64_t chunks = 1;
    double bestCost = std::numeric_limits<double>::infinity();
    for (int64_t count = 1; count <= tileVectors; ++count) {
      int64_t vectors = llvm::divideCeil(tileVectors, count);
      if (count > 1 && llvm::divideCeil(tileVectors, vectors) != count)
        continue; // The same chunks as a smaller count.
      double workingSet = double(tileBytes) * vectors * width;
      if (workingSet > kMaxScratchBytes && vectors > 1)
        continue;
      double cost =
          double(count) * (moveCost(filterBytes, filterBytes) + kForkBytes) +
          moveCost(2.0 * tileBytes * tileVectors * width, workingSet);
      if (cost < bestCost)
        bestCost = cost, chunks = count;
    }
    int64_t chunkVectors = llvm::divideCeil(tileVectors, chunks);
    int64_t chunkTiles = chunkVectors * width;

    // Register block of the products: rows output channels x columns
    // vectors of tiles, the most accumulators that divide evenly; among
    // equals the squarest, whose step needs the fewest loads (rows
    // broadcasts + columns vectors for rows x columns FMAs).
    int64_t rows = 1, columns = 1;
    for (int64_t c = 1; c <= std::min<int64_t>(chunkVectors, 8); ++c) {
      int64_t r = blockFor(oc, std::max<int64_t>(1, options.accumulators / c));
      if (r * c > rows * columns ||
          (r * c == rows * columns && r + c < rows + columns))
        rows = r, columns = c;
    }

    Location loc = op.getLoc();
    ImplicitLocOpBuilder b(loc, rewriter);
    auto getGlobal = filter.getDefiningOp<memref::GetGlobalOp>();
    Value u = createConstantGlobal(
        rewriter, loc, getGlobal->getParentOfType<ModuleOp>(),
        (getGlobal.getName() + "_winograd").str(),
        {elements, oc / rows, ic, rows},
        transformFilter(rewriter.getContext(), w, *filterData, oc, ic, rows));

    auto f32 = b.getF32Type();
    auto vectorType = VectorType::get({width}, f32);
    auto alloc = [&](ArrayRef<int64_t> shape) {
      return memref::AllocOp::create(b, MemRefType::get(shape, f32),
                                     b.getI64IntegerAttr(64))
          .getResult();
    };
    // Many chunks run side by side, each slot (a thread's share) taking a
    // run of chunks through all three phases with scratch of its own:
    // one fork per layer instead of three per chunk. Few chunks run one
    // after another, each phase forking.
    bool poolInTile = pooled && group->poolKernel[0] == group->poolStride[0] &&
                      group->poolKernel[1] == group->poolStride[1] &&
                      m % group->poolKernel[0] == 0 &&
                      m % group->poolKernel[1] == 0;
    // Slots hold kSlots chunks' V and M at once: only for chunks small
    // enough that those stay near the cache (VGG's 28x28 layers at 512
    // channels take 9.4 MB per chunk; 8 of them would go to memory).
    int64_t slotScratchBytes = kSlots * tileBytes * chunkTiles;
    int64_t slots =
        chunks >= kMinSlottedChunks && slotScratchBytes <= kMaxScratchBytes
            ? kSlots
            : 1;
    Value v = alloc({slots, elements, ic, chunkTiles});
    Value products = alloc({slots, elements, oc, chunkTiles});
    // A fused pooling whose windows tile the output tiles (kernel = stride,
    // dividing m) pools each output tile in registers. Other poolings read
    // whole convolution planes from scratch[n * OC + oc][oh][0][ow] (the
    // layout emitPooledRows reads, with blocks of one channel).
    int64_t pooledH = 0, pooledW = 0;
    if (pooled) {
      ArrayRef<int64_t> pooledShape =
          cast<MemRefType>(group->result.getType()).getShape();
      pooledH = pooledShape[2];
      pooledW = pooledShape[3];
    }
    Value scratch =
        pooled && !poolInTile ? alloc({out[0] * oc, oh, 1, ow}) : Value();
    Value destination = scratch ? scratch : fused ? group->result : output;
    Value flatInput = flattenBuffer(b, input);
    Value flatDestination = flattenBuffer(b, destination);

    Value iota = arith::ConstantOp::create(
        b, DenseElementsAttr::get(
               VectorType::get({width}, b.getI32Type()),
               llvm::to_vector(llvm::map_range(llvm::seq<int32_t>(0, width),
                                               [&](int32_t i) -> Attribute {
                                                 return b.getI32IntegerAttr(i);
                                               }))));
    auto tileLanes = [&](ImplicitLocOpBuilder &b, Value t0) {
      // t0 = firstImage * tiles + local0; lane i is tile local0 + i of
      // image firstImage, or of a later one past the image's last tile.
      Value firstImage = arith::DivUIOp::create(b, t0, indexConstant(b, tiles));
      Value local0 = arith::SubIOp::create(
          b, t0, arith::MulIOp::create(b, firstImage, indexConstant(b, tiles)));
      Value first = vector::BroadcastOp::create(
          b, iota.getType(),
          arith::IndexCastOp::create(b, b.getI32Type(), local0));
      Value t = arith::AddIOp::create(b, first, iota);
      Value image = arith::DivUIOp::create(b, t, splatI32(b, width, tiles));
      Value local = arith::SubIOp::create(
          b, t, arith::MulIOp::create(b, image, splatI32(b, width, tiles)));
      Value ty = arith::DivUIOp::create(b, local, splatI32(b, width, tilesW));
      Value tx = arith::SubIOp::create(
          b, local, arith::MulIOp::create(b, ty, splatI32(b, width, tilesW)));
      // Lanes from the end of the batch on are off: lane < totalTiles - t0,
      // clamped to [0, width] so that it fits in i32 (the last chunk may
      // hold whole vectors past the end).
      Value remaining = arith::MaxSIOp::create(
          b,
          arith::MinSIOp::create(
              b, arith::SubIOp::create(b, indexConstant(b, totalTiles), t0),
              indexConstant(b, width)),
          indexConstant(b, 0));
      Value valid = arith::CmpIOp::create(
          b, arith::CmpIPredicate::ult, iota,
          vector::BroadcastOp::create(
              b, iota.getType(),
              arith::IndexCastOp::create(b, b.getI32Type(), remaining)));
      return TileLanes{firstImage, image,
                       arith::MulIOp::create(b, ty, splatI32(b, width, m)),
                       arith::MulIOp::create(b, tx, splatI32(b, width, m)),
                       valid};
    };
    // The lanes whose element (row + dr, col + dc) lies inside a
    // height x rowLength plane, for lanes whose (row, col) advance by
    // (stepH, stepW) per tile; the bound checks every tile passes are left
    // out.
    auto insideMask = [&](ImplicitLocOpBuilder &b, const TileLanes &lanes,
                          int64_t dr, int64_t dc, int64_t height,
                          int64_t rowLength, int64_t stepH, int64_t stepW) {
      // The lanes where coordinate + offset < bound.
      auto below = [&](Value coordinate, int64_t offset, int64_t bound) {
        return arith::CmpIOp::create(
            b, arith::CmpIPredicate::ult,
            arith::AddIOp::create(b, coordinate, splatI32(b, width, offset)),
            splatI32(b, width, bound));
      };
      Value mask = lanes.valid;
      if ((tilesH - 1) * stepH + dr >= height)
        mask = arith::AndIOp::create(b, mask, below(lanes.row, dr, height));
      if ((tilesW - 1) * stepW + dc >= rowLength)
        mask = arith::AndIOp::create(b, mask, below(lanes.col, dc, rowLength));
      return mask;
    };
    // Each lane's offset from the start of the vector's first image, in a
    // buffer of imageElements per image and rows of rowLength.
    auto laneOffsets = [&](ImplicitLocOpBuilder &b, const TileLanes &lanes,
                           int64_t rowLength, int64_t imageElements) {
      Value inImage = arith::AddIOp::create(
          b, arith::MulIOp::create(b, lanes.row, splatI32(b, width, rowLength)),
          lanes.col);
      return arith::AddIOp::create(
                 b, inImage,
                 arith::MulIOp::create(b, lanes.image,
                                       splatI32(b, width, imageElements)))
          .getResult();
    };
    Value zero = splatF32(b, vectorType, 0);

    // The transforms' work per tile element in multiply-adds, for
    // buildBlockLoop's choice of threads: a 16-lane gather and its share of
    // the transform take about as long as 32 lanes of FMAs. (At 4, a
    // threshold set before the thread team spun, AlexNet's 13x13 transforms
    // ran on one thread: conv4 took 0.58-0.65 ms on two instead of 0.50.)
    constexpr int64_t kGatherWork = 32;

    // Phase 1: the input transform of the chunk's tiles, a vector of tiles
    // and a block of input channels per item. When the phase forks, channel
    // blocks give the threads shares of a chunk of few vectors (AlexNet's
    // 13x13 layers at batch 1 have one vector of F(4x4) tiles).
    constexpr int64_t kMinTransformItems = 16, kMinBlockChannels = 8;
    auto transformInput = [&](ImplicitLocOpBuilder &b, Value tBase, Value slot,
                              bool parallel) {
      int64_t work = parallel ? ic * chunkTiles * elements * kGatherWork : 0;
      int64_t icBlocks =
          worthForking(work)
              ? blockFor(ic,
                         std::min<int64_t>(
                             llvm::divideCeil(kMinTransformItems, chunkVectors),
                             ic / kMinBlockChannels))
              : 1;
      int64_t icBlock = ic / icBlocks;
      buildBlockLoop(
          b, chunkVectors * icBlocks, work, [&](auto &b, Value item) {
            Value j =
                arith::DivUIOp::create(b, item, indexConstant(b, icBlocks));
            Value firstChannel = affineIndex(
                b, {},
                arith::RemUIOp::create(b, item, indexConstant(b, icBlocks)),
                icBlock);
            Value column = affineIndex(b, {}, j, width);
            TileLanes lanes =
                tileLanes(b, arith::AddIOp::create(b, tBase, column));
            int64_t inPlane = in[2] * in[3];
            Value base = laneOffsets(b, lanes, in[3], ic * inPlane);
            SmallVector<Value> masks, offsets;
            for (int64_t r = 0; r < a; ++r)
              for (int64_t c = 0; c < a; ++c) {
                masks.push_back(insideMask(b, lanes, r, c, in[2], in[3], m, m));
                offsets.push_back(arith::AddIOp::create(
                    b, base, splatI32(b, width, r * in[3] + c)));
              }
            buildLoop(b, icBlock, 1, {}, [&](auto &b, Value i, ValueRange) {
              Value channel = arith::AddIOp::create(b, firstChannel, i);
              Value plane = affineIndex(
                  b, affineIndex(b, {}, lanes.firstImage, ic * inPlane),
                  channel, inPlane);
              SmallVector<Value> d;
              for (int64_t k = 0; k < elements; ++k)
                d.push_back(vector::GatherOp::create(
                    b, vectorType, flatInput, ValueRange{plane}, offsets[k],
                    masks[k], zero));
              SmallVector<Value> transformed =
                  sandwich(b, vectorType, w.bt, a, a, d);
              for (int64_t xi = 0; xi < elements; ++xi)
                vector::StoreOp::create(
                    b, transformed[xi], v,
                    ValueRange{slot, indexConstant(b, xi), channel, column});
              return SmallVector<Value>();
            });
          });
    };

    // Phase 2: for every tile element xi and block of output channels,
    // products[xi][oc][t] = sum_ic U[xi][oc][ic] * V[xi][ic][t].
    int64_t ocBlocks = oc / rows;
    // The sum over input channels runs in blocks of at most kChannelBlock,
    // each from zero, added up in the products' memory. A running sum's
    // rounding errors grow with its length, and F(4x4)'s output transform
    // scales the products' errors by up to 64 (its -2 and 1/2 points). In a
    // float32 simulation of F(4x4, 3x3) tiles against float64, blocks of 64
    // bring the error from 2.6x the direct sum's to 2.1x at 96 channels and
    // from 2.7x to 1.1x at 448; VGG-11-BN at 224x224 went from 9.5e-6 to
    // 6.5e-6 against PyTorch's float64, Wide ResNet-50-2 at 64x64 from 7.1e-5
    // to 6.0e-5. The price, a load and add per accumulator a block and a
    // compare per step, is 7% more instructions in the products (callgrind,
    // two 256-channel layers at 28x28) and 1-2% of their time. A channel
    // count with no divisor from kMinChannelBlock to kChannelBlock sums in
    // one block.
    constexpr int64_t kChannelBlock = 64, kMinChannelBlock = 8;
    int64_t channelBlock = blockFor(ic, kChannelBlock);
    if (ic > kChannelBlock && channelBlock < kMinChannelBlock)
      channelBlock = ic;
    int64_t channelBlocks = ic / channelBlock;
    constexpr int64_t kPrefetchBytes = 4096;
    int64_t prefetchSteps = llvm::divideCeil(kPrefetchBytes, rows * 4);
    auto multiply = [&](ImplicitLocOpBuilder &b, Value slot, bool parallel) {
      buildBlockLoop(
          b, elements * ocBlocks,
          parallel ? elements * oc * ic * chunkTiles : 0,
          [&](auto &b, Value item) {
            Value xi =
                arith::DivUIOp::create(b, item, indexConstant(b, ocBlocks));
            Value ocb =
                arith::RemUIOp::create(b, item, indexConstant(b, ocBlocks));
            auto emitGroup = [&](ImplicitLocOpBuilder &b, Value t0,
                                 int64_t vectors) {
              SmallVector<Value> ts = indexSequence(b, t0, vectors, width);
              SmallVector<Value> channels =
                  indexSequence(b, affineIndex(b, {}, ocb, rows), rows);
              // The sum over channels [first, first + channelBlock), from
              // zero.
              auto sumBlock = [&](ImplicitLocOpBuilder &b, Value first) {
                SmallVector<Value> accs(rows * vectors, zero);
                return buildLoop(
                    b, channelBlock, 1, accs,
                    [&](auto &b, Value i, ValueRange accs) {
                      Value channel = arith::AddIOp::create(b, first, i);
                      SmallVector<Value> xs, us;
                      // U streams from memory when it is large (the late
                      // layers); keep it coming across 4 KB page boundaries,
                      // where the hardware prefetcher stops. Past the block's
                      // end this reaches into the next one (or harmlessly past
                      // U: prefetches do not fault).
                      memref::PrefetchOp::create(
                          b, u,
                          ValueRange{
                              xi, ocb,
                              arith::AddIOp::create(
                                  b, channel, indexConstant(b, prefetchSteps)),
                              indexConstant(b, 0)},
                          /*isWrite=*/false, /*localityHint=*/3,
                          /*isDataCache=*/true);
                      for (Value t : ts)
                        xs.push_back(vector::LoadOp::create(
                            b, vectorType, v,
                            ValueRange{slot, xi, channel, t}));
                      for (int64_t r = 0; r < rows; ++r)
                        us.push_back(memref::LoadOp::create(
                            b, u,
                            ValueRange{xi, ocb, channel, indexConstant(b, r)}));
                      return accumulateOuterProduct(b, vectorType, us, xs,
                                                    accs);
                    });
              };
              // Stores a block's sums, or adds them to the earlier blocks'.
              auto storeBlock = [&](ImplicitLocOpBuilder &b, ValueRange accs,
                                    bool add) {
                for (auto [r, channel] : llvm::enumerate(channels))
                  for (int64_t c = 0; c < vectors; ++c) {
                    SmallVector<Value> at{slot, xi, channel, ts[c]};
                    Value sum = accs[r * vectors + c];
                    if (add)
                      sum = arith::AddFOp::create(
                          b,
                          vector::LoadOp::create(b, vectorType, products, at),
                          sum);
                    vector::StoreOp::create(b, sum, products, at);
                  }
              };
              storeBlock(b, sumBlock(b, indexConstant(b, 0)), false);
              if (channelBlocks > 1)
                buildLoop(b, channelBlocks - 1, 1, {},
                          [&](auto &b, Value block, ValueRange) {
                            Value first =
                                affineIndex(b, indexConstant(b, channelBlock),
                                            block, channelBlock);
                            storeBlock(b, sumBlock(b, first), true);
                            return SmallVector<Value>();
                          });
            };
            int64_t groupTiles = columns * width;
            int64_t fullGroups = chunkVectors / columns;
            if (fullGroups)
              buildLoop(b, fullGroups * groupTiles, groupTiles, {},
                        [&](auto &b, Value t0, ValueRange) {
                          emitGroup(b, t0, columns);
                          return SmallVector<Value>();
                        });
            if (chunkVectors % columns)
              emitGroup(b, indexConstant(b, fullGroups * groupTiles),
                        chunkVectors % columns);
          });
    };

    // Pools the m x m tile y (bias and ReLU applied) into the group's
    // result: (m / kh) x (m / kw) windows, each lane its own tile, the
    // windows past the pooled output's edge masked off. Same order of
    // operations as emitPooledRows.
    auto emitTilePooling = [&](ImplicitLocOpBuilder &b, const TileLanes &lanes,
                               ArrayRef<Value> y, Value plane) {
      int64_t kh = group->poolKernel[0], kw = group->poolKernel[1];
      bool isMax = group->pool == "max";
      TileLanes pooledLanes{
          lanes.firstImage, lanes.image,
          arith::DivUIOp::create(b, lanes.row, splatI32(b, width, kh)),
          arith::DivUIOp::create(b, lanes.col, splatI32(b, width, kw)),
          lanes.valid};
      Value base = laneOffsets(b, pooledLanes, pooledW, oc * pooledH * pooledW);
      for (int64_t pr = 0; pr < m / kh; ++pr)
        for (int64_t pc = 0; pc < m / kw; ++pc) {
          Value acc =
              splatF32(b, vectorType,
                       isMax ? -std::numeric_limits<double>::infinity() : 0.0);
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j) {
              Value x = y[(pr * kh + i) * m + pc * kw + j];
              acc = isMax ? arith::MaximumFOp::create(b, acc, x).getResult()
                          : arith::AddFOp::create(b, acc, x).getResult();
            }
          if (!isMax)
            acc = arith::DivFOp::create(
                b, acc, splatF32(b, vectorType, double(kh * kw)));
          Value mask = insideMask(b, pooledLanes, pr, pc, pooledH, pooledW,
                                  m / kh, m / kw);
          Value offsets = arith::AddIOp::create(
              b, base, splatI32(b, width, pr * pooledW + pc));
          vector::ScatterOp::create(b, Type(), flatDestination,
                                    ValueRange{plane}, offsets, mask, acc);
        }
    };

    // Phase 3: the output transform of every output channel's tiles, with
    // the bias (in the output already when unfused) and a fused ReLU.
    int64_t outPlane = poolInTile ? pooledH * pooledW : oh * ow;
    auto transformOutput = [&](ImplicitLocOpBuilder &b, Value tBase, Value slot,
                               bool parallel) {
      buildBlockLoop(
          b, oc, parallel ? oc * chunkTiles * elements * kGatherWork : 0,
          [&](auto &b, Value channel) {
            Value bias;
            if (fused && group->bias)
              bias = vector::BroadcastOp::create(
                  b, vectorType,
                  memref::LoadOp::create(b, group->bias, ValueRange{channel}));
            buildLoop(
                b, chunkVectors, 1, {}, [&](auto &b, Value j, ValueRange) {
                  Value column = affineIndex(b, {}, j, width);
                  SmallVector<Value> sums;
                  for (int64_t xi = 0; xi < elements; ++xi)
                    sums.push_back(vector::LoadOp::create(
                        b, vectorType, products,
                        ValueRange{slot, indexConstant(b, xi), channel,
                                   column}));
                  SmallVector<Value> y =
                      sandwich(b, vectorType, w.at, m, a, sums);
                  TileLanes lanes =
                      tileLanes(b, arith::AddIOp::create(b, tBase, column));
                  Value plane = affineIndex(
                      b, affineIndex(b, {}, lanes.firstImage, oc * outPlane),
                      channel, outPlane);
                  if (fused) {
                    for (Value &value : y) {
                      if (bias)
                        value = arith::AddFOp::create(b, value, bias);
                      value = applyActivation(b, value, *group);
                    }
                  }
                  if (poolInTile) {
                    emitTilePooling(b, lanes, y, plane);
                    return SmallVector<Value>();
                  }
                  Value base = laneOffsets(b, lanes, ow, oc * outPlane);
                  for (int64_t r = 0; r < m; ++r)
                    for (int64_t c = 0; c < m; ++c) {
                      Value mask = insideMask(b, lanes, r, c, oh, ow, m, m);
                      Value offsets = arith::AddIOp::create(
                          b, base, splatI32(b, width, r * ow + c));
                      Value value = y[r * m + c];
                      if (!fused) {
                        // The output holds the bias already.
                        Value old = vector::GatherOp::create(
                            b, vectorType, flatDestination, ValueRange{plane},
                            offsets, mask, zero);
                        value = arith::AddFOp::create(b, old, value);
                      }
                      vector::ScatterOp::create(b, Type(), flatDestination,
                                                ValueRange{plane}, offsets,
                                                mask, value);
                    }
                  return SmallVector<Value>();
                });
          });
    };

    // One chunk of the batch's tiles from tBase through the three phases,
    // in `slot`'s scratch, each phase forking when `parallel`.
    auto runChunk = [&](ImplicitLocOpBuilder &b, Value tBase, Value slot,
                        bool parallel) {
      transformInput(b, tBase, slot, parallel);
      multiply(b, slot, parallel);
      transformOutput(b, tBase, slot, parallel);
    };
    if (slots > 1) {
      // Slot s takes chunks [s * chunks / slots, (s + 1) * chunks / slots):
      // the threads, which share the slots out in runs, then get chunk counts
      // that differ by one at most. (Every slots-th chunk to a slot gave 13
      // chunks to 2 threads as 8 and 5: DenseNet-121's 56x56 layers ran
      // 1.6x faster on 2 threads than on one.)
      buildBlockLoop(
          b, slots, std::numeric_limits<int64_t>::max(),
          [&](auto &b, Value slot) {
            auto boundary = [&](Value s) {
              return arith::DivUIOp::create(
                  b, arith::MulIOp::create(b, s, indexConstant(b, chunks)),
                  indexConstant(b, slots));
            };
            Value first = boundary(slot);
            Value end =
                boundary(arith::AddIOp::create(b, slot, indexConstant(b, 1)));
            scf::ForOp::create(
                b, first, end, indexConstant(b, 1), ValueRange{},
                [&](OpBuilder &nested, Location loc, Value chunk, ValueRange) {
                  ImplicitLocOpBuilder b(loc, nested);
                  runChunk(b, affineIndex(b, {}, chunk, chunkTiles), slot,
                           /*parallel=*/false);
                  scf::YieldOp::create(b);
                });
          });
    } else {
      buildLoop(b, chunks * chunkTiles, chunkTiles, {},
                [&](auto &b, Value tBase, ValueRange) {
                  runChunk(b, tBase, indexConstant(b, 0), /*parallel=*/true);
                  return SmallVector<Value>();
                });
    }
    if (scratch)
      buildBlockLoop(
          b, out[0] * oc, out[0] * oc * oh * ow * kGatherWork,
          [&](auto &b, Value plane) {
            Value n = arith::DivUIOp::create(b, plane, indexConstant(b, oc));
            Value channel =
                arith::RemUIOp::create(b, plane, indexConstant(b, oc));
            emitPooledRows(b, n, channel, /*rows=*/1, width, *group, scratch,
                           /*ring=*/0, {}, /*scratchBlock=*/plane);
          });
    memref::DeallocOp::create(b, v);
    memref::DeallocOp::create(b, products);
    if (scratch)
      memref::DeallocOp::create(b, scratch);
    eraseComputedOps(rewriter, op, fused ? &*group : nullptr);
    return success();
  }

  kiln::WinogradPassOptions options;
};

struct WinogradPass : public kiln::impl::WinogradPassBase<WinogradPass> {
  using WinogradPassBase::WinogradPassBase;

  void runOnOperation() override {
    if (tile != 0 && tile != 2 && tile != 3 && tile != 4) {
      getOperation()->emitError()
          << "kiln-winograd: tile must be 0 (per layer), 2, 3 or 4, not "
          << static_cast<int64_t>(tile);
      return signalPassFailure();
    }
    if (vectorWidth < 1 || accumulators < 1 || chunkBytes < 1 ||
        minChannels < 1) {
      getOperation()->emitError() << "kiln-winograd: sizes must be positive";
      return signalPassFailure();
    }
    kiln::WinogradPassOptions options{tile, vectorWidth, accumulators,
                                      chunkBytes, minChannels};
    copyStridedInputs(getOperation());
    RewritePatternSet patterns(&getContext());
    patterns.add<WinogradKernel>(&getContext(), options);
    // Every match replaces its op by loops that no pattern matches again.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
