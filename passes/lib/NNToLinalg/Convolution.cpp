//===- Convolution.cpp - nn.conv2d to linalg convolutions -----------------===//
//
// nn.conv2d becomes a zero tensor.pad (linalg convolutions have no padding)
// and a linalg convolution that accumulates into the bias broadcast over the
// output, so the bias costs no separate pass over the result. A grouped
// convolution (depthwise included) splits the channel dimensions into
// [groups, channels/groups] and uses linalg.conv_2d_ngchw_gfchw.
//
//===----------------------------------------------------------------------===//
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace kiln;

namespace {

/// Splits dimension `dim` of `value` into [groups, size/groups].
static Value splitGroups(OpBuilder &b, Location loc, Value value, int64_t dim,
                         int64_t groups) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    int64_t next = shape.size();
    if (d == dim) {
      shape.append({groups, type.getDimSize(d) / groups});
      reassociation.push_back({next, next + 1});
    } else {
      shape.push_back(type.getDimSize(d));
      reassociation.push_back({next});
    }
  }
  auto expandedType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, expandedType, value,
                                       reassociation);
}

struct Conv2DLowering : OpConversionPattern<nn::Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> pad = op.getPadding(); // [top, left, bottom, right]
    Value input = createPadded(rewriter, loc, adaptor.getInput(),
                               {0, 0, pad[0], pad[1]}, {0, 0, pad[2], pad[3]},
                               /*value=*/0.0);
    // The convolution accumulates into its output: start from the bias.
    Value init = adaptor.getBias()
                     ? createBroadcast(rewriter, loc, adaptor.getBias(),
                                       resultType.getShape(), /*dim=*/1)
                     : createFilled(rewriter, loc, resultType.getShape(), 0.0);
    NamedAttribute attrs[] = {
        rewriter.getNamedAttr("strides",
                              rewriter.getI64TensorAttr(op.getStride())),
        rewriter.getNamedAttr("dilations",
                              rewriter.getI64TensorAttr(op.getDilation()))};

    int64_t groups = op.getGroups();
    if (groups == 1) {
      auto conv = linalg::Conv2DNchwFchwOp::create(
          rewriter, loc, TypeRange{resultType},
          ValueRange{input, adaptor.getWeight()}, ValueRange{init}, attrs);
      rewriter.replaceOp(op, conv.getResult(0));
      return success();
    }

    // NCHW -> NGCHW for input and output, FCHW -> GFCHW for the weight.
    Value groupedInput = splitGroups(rewriter, loc, input, 1, groups);
    Value groupedWeight =
        splitGroups(rewriter, loc, adaptor.getWeight(), 0, groups);
    Value groupedInit = splitGroups(rewriter, loc, init, 1, groups);
    auto conv = linalg::Conv2DNgchwGfchwOp::create(
        rewriter, loc, TypeRange{groupedInit.getType()},
        ValueRange{groupedInput, groupedWeight}, ValueRange{groupedInit},
        attrs);
    SmallVector<ReassociationIndices> merge = {{0}, {1, 2}, {3}, {4}};
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, resultType, conv.getResult(0), merge);
    return success();
  }
};

} // namespace

void kiln::populateConvolutionPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering>(patterns.getContext());
}
