//===- Reduction.cpp - ReduceMean, ReduceMax, ReduceSum(Square) -----------===//
//
// Over the spatial axes of an NCHW tensor, ReduceMean and ReduceMax are the
// global pools (a squeeze-and-excitation block's x.mean((2, 3),
// keepdim=True)), which have kernels of their own. Over any other axes the
// three become nn.reduce_mean, nn.reduce_max and nn.reduce_sum (CBAM's
// channel average and maximum, a softmax written out); ReduceSumSquare is
// the sum of nn.mul(x, x). Without keepdims the
// result drops the reduced dimensions, when Kiln can reshape to that (the
// same shape, or a flatten to 2-D).
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

namespace {
enum class Reduce { Sum, SumSquare, Mean, Max };
} // namespace

static LogicalResult importReduction(NodeContext &ctx, Reduce kind) {
  const ImportedValue &x = ctx.getInput(0);
  llvm::ArrayRef<int64_t> in = x.getShape();
  bool present = false;
  // ReduceSum took its axes as an input from opset 13, the others from 18.
  FailureOr<llvm::SmallVector<int64_t>> axes =
      readAxes(ctx, present, /*inputFromOpset=*/kind == Reduce::Sum ? 13 : 18);
  if (failed(axes))
    return failure();
  FailureOr<int64_t> keepDims = ctx.getInt("keepdims", 1);
  if (failed(keepDims))
    return failure();
  if (!present || axes->empty()) {
    FailureOr<int64_t> noop = ctx.getInt("noop_with_empty_axes", 0);
    if (failed(noop))
      return failure();
    if (*noop) {
      Value input = ctx.getTensor(0);
      if (!input)
        return failure();
      ctx.setOutput(0, input);
      return success();
    }
  }
  llvm::SmallVector<int64_t> dims;
  if (present && !axes->empty()) {
    for (int64_t axis : *axes) {
      FailureOr<int64_t> d = normalizeAxis(ctx, axis, in.size());
      if (failed(d))
        return failure();
      dims.push_back(*d);
    }
  } else {
    for (int64_t d = 0; d < (int64_t)in.size(); ++d)
      dims.push_back(d);
  }
  llvm::sort(dims);
  dims.erase(llvm::unique(dims), dims.end());
  if (in.empty())
    return ctx.unsupported("its input is a scalar");

  llvm::SmallVector<int64_t> kept(in);
  for (int64_t d : dims)
    kept[d] = 1;
  Value result;
  bool spatial = in.size() == 4 && dims == llvm::SmallVector<int64_t>{2, 3};
  if (spatial && (kind == Reduce::Mean || kind == Reduce::Max)) {
    result = createGlobalPool(ctx, kind == Reduce::Mean ? GlobalPool::Average
                                                        : GlobalPool::Max);
  } else {
    Value input = ctx.getTensor(0);
    if (!input)
      return failure();
    OpBuilder &b = ctx.getBuilder();
    auto type = RankedTensorType::get(kept, b.getF32Type());
    DenseI64ArrayAttr attr = b.getDenseI64ArrayAttr(dims);
    if (kind == Reduce::SumSquare)
      input = nn::MulOp::create(b, ctx.getLoc(), input, input);
    if (kind == Reduce::Sum || kind == Reduce::SumSquare)
      result = nn::ReduceSumOp::create(b, ctx.getLoc(), type, input, attr);
    else if (kind == Reduce::Mean)
      result = nn::ReduceMeanOp::create(b, ctx.getLoc(), type, input, attr);
    else
      result = nn::ReduceMaxOp::create(b, ctx.getLoc(), type, input, attr);
  }
  if (!result)
    return failure();
  if (!*keepDims) {
    // The reduced dimensions dropped: a reshape of the kept result.
    llvm::SmallVector<int64_t> dropped;
    for (auto [d, size] : llvm::enumerate(in))
      if (!llvm::is_contained(dims, int64_t(d)))
        dropped.push_back(size);
    FailureOr<Value> reshaped = reshapeTensor(ctx, result, dropped);
    if (failed(reshaped))
      return failure();
    result = *reshaped;
  }
  ctx.setOutput(0, result);
  return success();
}

LogicalResult onnximport::importReduceMean(NodeContext &ctx) {
  return importReduction(ctx, Reduce::Mean);
}

LogicalResult onnximport::importReduceMax(NodeContext &ctx) {
  return importReduction(ctx, Reduce::Max);
}

LogicalResult onnximport::importReduceSum(NodeContext &ctx) {
  return importReduction(ctx, Reduce::Sum);
}

LogicalResult onnximport::importReduceSumSquare(NodeContext &ctx) {
  return importReduction(ctx, Reduce::SumSquare);
}
