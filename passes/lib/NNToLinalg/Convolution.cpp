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
    rewriter.replaceOp(
        op, createConvolution(rewriter, op.getLoc(), adaptor.getInput(),
                              adaptor.getWeight(), adaptor.getBias(),
                              op.getStride(), op.getPadding(), op.getDilation(),
                              op.getGroups(),
                              cast<RankedTensorType>(op.getType())));
    return success();
  }
};

} // namespace

Value kiln::createConvolution(
    OpBuilder &b, Location loc, Value input, Value weight, Value bias,
    ArrayRef<int64_t> stride,
    ArrayRef<int64_t> pad, // [top, left, bottom, right]
    ArrayRef<int64_t> dilation, int64_t groups, RankedTensorType resultType) {
  Value padded = createPadded(b, loc, input, {0, 0, pad[0], pad[1]},
                              {0, 0, pad[2], pad[3]}, /*value=*/0.0);
  // The convolution accumulates into its output: start from the bias.
  Value init = bias ? createBroadcast(b, loc, bias, resultType.getShape(),
                                      /*dim=*/1)
                    : createFilled(b, loc, resultType.getShape(), 0.0);
  NamedAttribute attrs[] = {
      b.getNamedAttr("strides", b.getI64TensorAttr(stride)),
      b.getNamedAttr("dilations", b.getI64TensorAttr(dilation))};

  if (groups == 1)
    return linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{resultType},
                                            ValueRange{padded, weight},
                                            ValueRange{init}, attrs)
        .getResult(0);

  // NCHW -> NGCHW for input and output, FCHW -> GFCHW for the weight.
  Value groupedInput = splitGroups(b, loc, padded, 1, groups);
  Value groupedWeight = splitGroups(b, loc, weight, 0, groups);
  Value groupedInit = splitGroups(b, loc, init, 1, groups);
  auto conv = linalg::Conv2DNgchwGfchwOp::create(
      b, loc, TypeRange{groupedInit.getType()},
      ValueRange{groupedInput, groupedWeight}, ValueRange{groupedInit}, attrs);
  SmallVector<ReassociationIndices> merge = {{0}, {1, 2}, {3}, {4}};
  return tensor::CollapseShapeOp::create(b, loc, resultType, conv.getResult(0),
                                         merge);
}

void kiln::populateConvolutionPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering>(patterns.getContext());
}
