//===- Reduction.cpp - nn.reduce_sum, _mean, _max, _prod to linalg --------===//
//
// One generic reduces the input into a tensor without the reduced
// dimensions (filled with 0, -inf for the maximum, 1 for the product);
// tensor.expand_shape
// gives them back with size 1. A mean then divides by the number of
// elements reduced, in an element-wise generic that fusion can merge.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/ADT/SmallBitVector.h"

#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

enum class Reduction { Sum, Mean, Max, Prod };

template <typename NNOp, Reduction kind>
struct ReductionLowering : OpConversionPattern<NNOp> {
  using OpConversionPattern<NNOp>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NNOp op, typename NNOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    llvm::SmallBitVector reduced(rank);
    int64_t count = 1;
    for (int64_t dim : op.getDims()) {
      reduced.set(dim);
      count *= type.getDimSize(dim);
    }
    SmallVector<int64_t> kept;
    SmallVector<utils::IteratorType> loops;
    for (unsigned d = 0; d < rank; ++d) {
      loops.push_back(reduced.test(d) ? utils::IteratorType::reduction
                                      : utils::IteratorType::parallel);
      if (!reduced.test(d))
        kept.push_back(type.getDimSize(d));
    }
    // tensor.expand_shape's groups: each kept dimension with the reduced
    // ones after it, the leading reduced ones with the first (none at all
    // when everything is reduced: a 0-D tensor expands to all ones).
    SmallVector<ReassociationIndices> groups(kept.size());
    int64_t group = -1;
    for (unsigned d = 0; d < rank && !kept.empty(); ++d) {
      if (!reduced.test(d))
        ++group;
      groups[std::max<int64_t>(group, 0)].push_back(d);
    }

    AffineMap full = rewriter.getMultiDimIdentityMap(rank);
    AffineMap into = full.dropResults(reduced);
    double init = kind == Reduction::Max
                      ? -std::numeric_limits<double>::infinity()
                      : (kind == Reduction::Prod ? 1.0 : 0.0);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc,
            TypeRange{RankedTensorType::get(kept, type.getElementType())},
            ValueRange{input},
            ValueRange{createFilled(rewriter, loc, kept, init)},
            ArrayRef<AffineMap>{full, into}, loops,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value next;
              if (kind == Reduction::Max)
                next = arith::MaximumFOp::create(b, l, args[1], args[0]);
              else if (kind == Reduction::Prod)
                next = arith::MulFOp::create(b, l, args[1], args[0]);
              else
                next = arith::AddFOp::create(b, l, args[1], args[0]);
              linalg::YieldOp::create(b, l, next);
            })
            .getResult(0);
    if (kind == Reduction::Mean) {
      Value divisor = createF32(rewriter, loc, double(count));
      result = createElementwise(
          rewriter, loc, ValueRange{result},
          [&](OpBuilder &b, Location l, ValueRange args) {
            return arith::DivFOp::create(b, l, args[0], divisor);
          });
    }
    auto resultType = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(op, tensor::ExpandShapeOp::create(
                               rewriter, loc, resultType, result, groups));
    return success();
  }
};

} // namespace

void kiln::populateReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReductionLowering<nn::ReduceSumOp, Reduction::Sum>,
               ReductionLowering<nn::ReduceMeanOp, Reduction::Mean>,
               ReductionLowering<nn::ReduceMaxOp, Reduction::Max>,
               ReductionLowering<nn::ReduceProdOp, Reduction::Prod>>(
      patterns.getContext());
}
