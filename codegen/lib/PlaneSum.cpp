//===- PlaneSum.cpp - Whole-plane sums (global average pooling) -----------===//
//
// A global average pool (nn.adaptive_avg_pool2d to 1x1, ONNX's
// GlobalAveragePool: the squeeze of every squeeze-and-excitation block)
// reaches here as linalg.pooling_nchw_sum whose window is the whole input
// plane, then a division. Lowered as a generic pooling, the sum is a scalar
// loop that loads and stores its accumulator at every element, which LLVM
// cannot vectorize without reassociating the additions. The plane is
// contiguous in NCHW, so this kernel sums it with vectors instead: `kChains`
// independent vector accumulators (to hide the addition's latency) over the
// plane's full vectors, a masked one for the tail, then one horizontal
// reduction per plane. The order of the additions changes: the result may
// differ from the sequential sum in the last bits, as PyTorch's vectorized
// sums do.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilders.h"
#include "MicroKernels.h"

#include "kiln/Dialect/NN/FusionAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace kiln::kernels {

LogicalResult lowerPlaneSum(linalg::PoolingNchwSumOp op,
                            PatternRewriter &rewriter,
                            const KernelShape &shape) {
  // A fused group's pooling is its convolution kernel's to compute.
  if (op->hasAttr(nn::kFusionGroupAttrName))
    return rewriter.notifyMatchFailure(op, "pooling of a fused group");
  FailureOr<std::array<Value, 3>> operands = denseOperands(op, rewriter);
  if (failed(operands))
    return failure();
  Value input = (*operands)[0], window = (*operands)[1],
        output = (*operands)[2];
  ArrayRef<int64_t> in = cast<MemRefType>(input.getType()).getShape();
  ArrayRef<int64_t> kernel = cast<MemRefType>(window.getType()).getShape();
  ArrayRef<int64_t> out = cast<MemRefType>(output.getType()).getShape();
  if (in.size() != 4 || out[2] != 1 || out[3] != 1 || kernel[0] != in[2] ||
      kernel[1] != in[3] || !op.getDilations().isSplat() ||
      op.getDilations().getSplatValue<int64_t>() != 1)
    return rewriter.notifyMatchFailure(op, "not a sum over whole planes");

  constexpr int64_t kChains = 4;
  int64_t width = shape.vectorWidth, plane = in[2] * in[3],
          planes = in[0] * in[1];
  auto vectorType = VectorType::get({width}, rewriter.getF32Type());
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  // [N, C, H, W] as [N * C, H * W]; [N, C, 1, 1] as [N * C].
  Value rows = memref::CollapseShapeOp::create(
      b, input, SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  Value sums = memref::CollapseShapeOp::create(
      b, output, SmallVector<ReassociationIndices>{{0, 1, 2, 3}});
  Value zero =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  int64_t vectors = plane / width, tail = plane % width;
  int64_t chained = vectors / kChains * kChains;
  // One add per element, streamed from memory.
  buildBlockLoop(
      b, planes, planes * plane * kStreamedElementWork,
      [&](ImplicitLocOpBuilder &b, Value p) {
        SmallVector<Value> accs(kChains, zero);
        auto addAt = [&](ImplicitLocOpBuilder &b, Value column, Value acc,
                         Value mask) -> Value {
          return arith::AddFOp::create(
              b, acc, loadVector(b, vectorType, rows, {p, column}, mask));
        };
        if (chained)
          accs = buildLoop(
              b, chained * width, kChains * width, accs,
              [&](ImplicitLocOpBuilder &b, Value column, ValueRange carried) {
                SmallVector<Value> next;
                for (int64_t c = 0; c < kChains; ++c)
                  next.push_back(addAt(
                      b, affineIndex(b, column, indexConstant(b, c * width), 1),
                      carried[c], Value()));
                return next;
              });
        for (int64_t v = chained; v < vectors; ++v)
          accs[v - chained] =
              addAt(b, indexConstant(b, v * width), accs[v - chained], Value());
        if (tail) {
          auto maskType = VectorType::get({width}, b.getI1Type());
          Value mask = vector::CreateMaskOp::create(
              b, maskType, ValueRange{indexConstant(b, tail)});
          accs[0] = addAt(b, indexConstant(b, vectors * width), accs[0], mask);
        }
        Value total =
            arith::AddFOp::create(b, arith::AddFOp::create(b, accs[0], accs[1]),
                                  arith::AddFOp::create(b, accs[2], accs[3]));
        Value sum =
            vector::ReductionOp::create(b, vector::CombiningKind::ADD, total);
        // The output holds the pooling's initial value (zero).
        Value start = memref::LoadOp::create(b, sums, ValueRange{p});
        memref::StoreOp::create(b, arith::AddFOp::create(b, start, sum), sums,
                                ValueRange{p});
      });
  rewriter.eraseOp(op);
  return success();
}

} // namespace kiln::kernels
