//===- Reduction.cpp - ONNX's reductions ----------------------------------===//
//
// Over the spatial axes of an NCHW tensor, ReduceMean and ReduceMax are the
// global pools (a squeeze-and-excitation block's x.mean((2, 3),
// keepdim=True)), which have kernels of their own. Over any other axes the
// three become nn.reduce_mean, nn.reduce_max and nn.reduce_sum (CBAM's
// channel average and maximum, a softmax written out), and ReduceProd
// nn.reduce_prod; ReduceSumSquare,
// ReduceMin, ReduceL1, ReduceL2, ReduceLogSum and ReduceLogSumExp are
// written with them (see buildReduction). Without keepdims the
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

/// The reduction of `input` over `dims` into `type` by nn.reduce_`kind`.
template <typename ReduceOp>
static Value reduce(NodeContext &ctx, Value input, RankedTensorType type,
                    ArrayRef<int64_t> dims) {
  OpBuilder &b = ctx.getBuilder();
  return ReduceOp::create(b, ctx.getLoc(), type, input,
                          b.getDenseI64ArrayAttr(dims));
}

/// The ONNX reduction `kind` of `input` over `dims` into `type`, in nn
/// ops: the min as -max(-x), L1 as the sum of |x|, L2 as the square root of
/// the sum of squares, log-sum-exp as m + log(sum(exp(x - m))) with m the
/// maximum (ONNX writes log(sum(exp(x))), which overflows from x = 89).
static Value buildReduction(NodeContext &ctx, Reduce kind, Value input,
                            RankedTensorType type, ArrayRef<int64_t> dims) {
  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  switch (kind) {
  case Reduce::Sum:
    return reduce<nn::ReduceSumOp>(ctx, input, type, dims);
  case Reduce::SumSquare:
    return reduce<nn::ReduceSumOp>(ctx, nn::MulOp::create(b, loc, input, input),
                                   type, dims);
  case Reduce::Mean:
    return reduce<nn::ReduceMeanOp>(ctx, input, type, dims);
  case Reduce::Max:
    return reduce<nn::ReduceMaxOp>(ctx, input, type, dims);
  case Reduce::Min:
    return negate(ctx,
                  reduce<nn::ReduceMaxOp>(ctx, negate(ctx, input), type, dims));
  case Reduce::Prod:
    return reduce<nn::ReduceProdOp>(ctx, input, type, dims);
  case Reduce::L1:
    return reduce<nn::ReduceSumOp>(ctx, nn::AbsOp::create(b, loc, input), type,
                                   dims);
  case Reduce::L2:
    return nn::SqrtOp::create(
        b, loc,
        reduce<nn::ReduceSumOp>(ctx, nn::MulOp::create(b, loc, input, input),
                                type, dims));
  case Reduce::LogSum:
    return nn::LogOp::create(b, loc,
                             reduce<nn::ReduceSumOp>(ctx, input, type, dims));
  case Reduce::LogSumExp: {
    Value max = reduce<nn::ReduceMaxOp>(ctx, input, type, dims);
    Value shifted =
        nn::ExpOp::create(b, loc, nn::SubOp::create(b, loc, input, max));
    return nn::AddOp::create(
        b, loc, max,
        nn::LogOp::create(b, loc,
                          reduce<nn::ReduceSumOp>(ctx, shifted, type, dims)));
  }
  }
  llvm_unreachable("unknown reduction");
}

LogicalResult onnximport::importReduction(NodeContext &ctx, Reduce kind) {
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
    auto type = RankedTensorType::get(kept, ctx.getBuilder().getF32Type());
    result = buildReduction(ctx, kind, input, type, dims);
  }
  if (!result)
    return failure();
  if (!*keepDims) {
    // The reduced dimensions dropped: a reshape of the kept result.
    llvm::SmallVector<int64_t> dropped;
    for (auto [d, size] : llvm::enumerate(in))
      if (!llvm::is_contained(dims, int64_t(d)))
        dropped.push_back(size);
    result = reshapeTensor(ctx, result, dropped);
  }
  ctx.setOutput(0, result);
  return success();
}
