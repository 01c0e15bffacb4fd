//===- ConvTranspose.cpp - nn.conv_transpose2d to a linalg convolution ----===//
//
// A transposed convolution scatters each input cell, times the weight, into
// the output window that starts at stride times the cell's position. Seen
// from an output cell y instead, it gathers input cell (y + pad - k * d) / s
// through tap k wherever that division is exact. That is a stride-1
// convolution over the input spread apart by s - 1 zeros between its cells,
// with the weight flipped in both spatial dimensions and its channel
// dimensions swapped (per group), so it is lowered as one and runs on the
// convolution kernels:
//
//   spread  = zeros with x[n, c, h, w] at [n, c, before + h*s, ...]
//   w'[g*M/G + m, c, i, j] = w[g*C/G + c, m, kh-1-i, kw-1-j]
//   result  = conv2d(spread, w', bias), cropped
//
// where per spatial dimension before = d * (k - 1) - pad_begin and after =
// d * (k - 1) - pad_end + output_padding cells of zeros surround the spread
// input; a negative amount crops the convolution's result there instead.
// The zeros cost multiply-adds: a stride-2 layer does 4 times the work of a
// scatter.
//
//===----------------------------------------------------------------------===//
#include "../Constants.h"
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace kiln;

namespace {

/// The input spread apart by `stride`, with `low` and `high` zeros around it
/// in each spatial dimension.
Value createSpread(OpBuilder &b, Location loc, Value input,
                   ArrayRef<int64_t> stride, ArrayRef<int64_t> low,
                   ArrayRef<int64_t> high) {
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  SmallVector<int64_t> shape(in);
  for (int i = 0; i < 2; ++i)
    shape[2 + i] = (in[2 + i] - 1) * stride[i] + 1 + low[i] + high[i];
  if (ArrayRef<int64_t>(shape) == in)
    return input;
  Value zeros = createFilled(b, loc, shape, 0.0);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(low[0]),
                                       b.getIndexAttr(low[1])};
  SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(b.getContext(), in);
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       b.getIndexAttr(stride[0]),
                                       b.getIndexAttr(stride[1])};
  return tensor::InsertSliceOp::create(b, loc, input, zeros, offsets, sizes,
                                       strides);
}

/// w'[g*M/G + m, c, i, j] = w[g*C/G + c, m, kh-1-i, kw-1-j] for a constant
/// weight: computed here, once, into a new constant.
FailureOr<Value> createConstantConvWeight(OpBuilder &b, Location loc,
                                          Value weight, int64_t groups) {
  Attribute attr;
  SmallVector<float> storage;
  if (!matchPattern(weight, m_Constant(&attr)))
    return failure();
  FailureOr<ArrayRef<float>> values = getF32Values(attr, storage);
  if (failed(values))
    return failure();
  ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t inPerGroup = w[0] / groups, outPerGroup = w[1], kh = w[2], kw = w[3];
  SmallVector<float> flipped(values->size());
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t m = 0; m < outPerGroup; ++m)
      for (int64_t c = 0; c < inPerGroup; ++c)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            flipped[(((g * outPerGroup + m) * inPerGroup + c) * kh + i) * kw +
                    j] =
                (*values)[(((g * inPerGroup + c) * outPerGroup + m) * kh + kh -
                           1 - i) *
                              kw +
                          kw - 1 - j];
  auto type = RankedTensorType::get({groups * outPerGroup, inPerGroup, kh, kw},
                                    b.getF32Type());
  StringRef name = getResourceName(attr);
  ElementsAttr flippedAttr =
      makeF32Attr(type, flipped, !name.empty(), (name + ".transposed").str());
  return arith::ConstantOp::create(b, loc, flippedAttr).getResult();
}

/// The same, for a weight computed at run time: a linalg.generic over
/// [G, M/G, C/G, kh, kw] reading [G, C/G, M/G, kh, kw].
Value createComputedConvWeight(OpBuilder &b, Location loc, Value weight,
                               int64_t groups) {
  ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
  int64_t inPerGroup = w[0] / groups, outPerGroup = w[1], kh = w[2], kw = w[3];
  auto f32 = b.getF32Type();
  auto grouped =
      RankedTensorType::get({groups, inPerGroup, outPerGroup, kh, kw}, f32);
  SmallVector<ReassociationIndices> split = {{0, 1}, {2}, {3}, {4}};
  Value source = tensor::ExpandShapeOp::create(b, loc, grouped, weight, split);
  SmallVector<int64_t> shape = {groups, outPerGroup, inPerGroup, kh, kw};
  MLIRContext *context = b.getContext();
  AffineExpr g, m, c, i, j;
  bindDims(context, g, m, c, i, j);
  auto read = AffineMap::get(5, 0, {g, c, m, kh - 1 - i, kw - 1 - j}, context);
  auto flipped = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get(shape, f32)}, ValueRange{source},
      ValueRange{createEmpty(b, loc, shape)},
      ArrayRef<AffineMap>{read, AffineMap::getMultiDimIdentityMap(5, context)},
      iterators(5), [](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, args[0]);
      });
  return tensor::CollapseShapeOp::create(
      b, loc, flipped.getResult(0),
      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
}

struct ConvTranspose2DLowering : OpConversionPattern<nn::ConvTranspose2DOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(nn::ConvTranspose2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value weight = adaptor.getWeight();
    ArrayRef<int64_t> w = cast<RankedTensorType>(weight.getType()).getShape();
    auto resultType = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> out = resultType.getShape();
    ArrayRef<int64_t> stride = op.getStride(), padding = op.getPadding(),
                      dilation = op.getDilation();
    int64_t groups = op.getGroups();

    int64_t low[2], high[2], crop[2];
    SmallVector<int64_t> convShape(out);
    ArrayRef<int64_t> in =
        cast<RankedTensorType>(adaptor.getInput().getType()).getShape();
    for (int i = 0; i < 2; ++i) {
      int64_t span = dilation[i] * (w[2 + i] - 1);
      int64_t before = span - padding[i];
      int64_t after = span - padding[2 + i] + op.getOutputPadding()[i];
      low[i] = std::max<int64_t>(before, 0);
      high[i] = std::max<int64_t>(after, 0);
      crop[i] = std::max<int64_t>(-before, 0);
      convShape[2 + i] =
          (in[2 + i] - 1) * stride[i] + 1 + low[i] + high[i] - span;
    }

    Value spread =
        createSpread(rewriter, loc, adaptor.getInput(), stride, low, high);
    FailureOr<Value> convWeight =
        createConstantConvWeight(rewriter, loc, weight, groups);
    if (failed(convWeight))
      convWeight = createComputedConvWeight(rewriter, loc, weight, groups);
    int64_t unit[2] = {1, 1}, noPadding[4] = {0, 0, 0, 0};
    Value conv = createConvolution(
        rewriter, loc, spread, *convWeight, adaptor.getBias(), unit, noPadding,
        dilation, groups,
        RankedTensorType::get(convShape, rewriter.getF32Type()));
    if (ArrayRef<int64_t>(convShape) != out) {
      SmallVector<OpFoldResult> offsets = {
          rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
          rewriter.getIndexAttr(crop[0]), rewriter.getIndexAttr(crop[1])};
      conv = tensor::ExtractSliceOp::create(
          rewriter, loc, resultType, conv, offsets,
          getAsIndexOpFoldResult(rewriter.getContext(), out),
          SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1)));
    }
    rewriter.replaceOp(op, conv);
    return success();
  }
};

} // namespace

void kiln::populateConvTransposePatterns(RewritePatternSet &patterns) {
  patterns.add<ConvTranspose2DLowering>(patterns.getContext());
}
