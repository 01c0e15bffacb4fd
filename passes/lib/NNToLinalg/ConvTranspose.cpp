//===- ConvTranspose.cpp - nn.conv_transpose2d to linalg convolutions -----===//
//
// A transposed convolution scatters each input cell, times the weight, into
// the output window that starts at stride times the cell's position. Seen
// from an output cell y = s*q + r instead (per spatial dimension, pad P at
// the start), it gathers
//
//   out[s*q + r] = sum over taps i = c, c + s, c + 2s, ... < k of
//                  x[q + e - (i - c)/s] * w[i]
//
// with c = (r + P) mod s and e = (r + P - c) / s: each output phase r is an
// ordinary stride-1 convolution of the input with its own taps of the
// weight, reversed. Without dilation, and with a constant weight, each of
// the s_h * s_w phases is lowered so: a linalg convolution (its input
// sliced and padded to the cells it reads, its weight the phase's taps with
// the channel dimensions swapped per group, computed here), written into
// every s-th cell of the result by a strided tensor.insert_slice. That is
// exactly the scatter's multiply-adds.
//
// Otherwise (dilation, or a weight computed at run time) it is one stride-1
// convolution over the input spread apart by s - 1 zeros between its cells,
// with the whole weight flipped and channel-swapped:
//
//   spread  = zeros with x[n, c, h, w] at [n, c, before + h*s, ...]
//   w'[g*M/G + m, c, i, j] = w[g*C/G + c, m, kh-1-i, kw-1-j]
//   result  = conv2d(spread, w', bias), cropped
//
// where per spatial dimension before = d * (k - 1) - pad_begin and after =
// d * (k - 1) - pad_end + output_padding cells of zeros surround the spread
// input; a negative amount crops the convolution's result there instead.
// The zeros cost multiply-adds: s_h * s_w times the scatter's.
//
//===----------------------------------------------------------------------===//
#include "../Constants.h"
#include "Patterns.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

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

/// The convolution weight [M, C/G, rows, columns] that takes kernel rows
/// `rows` and columns `columns` of `weight`, its channels swapped per group:
/// w'[g*M/G + m, c, a, b] = w[g*C/G + c, m, rows[a], columns[b]]. A new
/// constant (a blob named after the weight's when that is one).
Value createConstantConvWeight(OpBuilder &b, Location loc,
                               const ConstantTensor &weight, int64_t groups,
                               ArrayRef<int64_t> rows,
                               ArrayRef<int64_t> columns, StringRef suffix) {
  ArrayRef<int64_t> w = weight.shape;
  int64_t inPerGroup = w[0] / groups, outPerGroup = w[1], kh = w[2], kw = w[3];
  int64_t taps = rows.size() * columns.size();
  SmallVector<float> values(groups * outPerGroup * inPerGroup * taps);
  float *next = values.data();
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t m = 0; m < outPerGroup; ++m)
      for (int64_t c = 0; c < inPerGroup; ++c) {
        const float *kernel =
            &weight.values[((g * inPerGroup + c) * outPerGroup + m) * kh * kw];
        for (int64_t row : rows)
          for (int64_t column : columns)
            *next++ = kernel[row * kw + column];
      }
  auto type =
      RankedTensorType::get({groups * outPerGroup, inPerGroup,
                             int64_t(rows.size()), int64_t(columns.size())},
                            b.getF32Type());
  StringRef name = getResourceName(weight.attr);
  ElementsAttr attr =
      makeF32Attr(type, values, !name.empty(), (name + suffix).str());
  return arith::ConstantOp::create(b, loc, attr).getResult();
}

/// 0, 1, ..., size - 1 backwards: a whole kernel dimension, flipped.
SmallVector<int64_t> reversedTaps(int64_t size) {
  SmallVector<int64_t> taps;
  for (int64_t i = size - 1; i >= 0; --i)
    taps.push_back(i);
  return taps;
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
  Value flipped = createMappedCopy(b, loc, source, read, shape);
  return tensor::CollapseShapeOp::create(
      b, loc, flipped,
      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
}

/// One output phase r along one spatial dimension (no dilation).
struct Phase {
  int64_t outputs = 0;       // Cells r, r + s, ... of the result.
  SmallVector<int64_t> taps; // Kernel indices, in the convolution's order.
  // The input cells the phase reads, [first, first + count), and the zeros
  // before and after them (cells outside the input).
  int64_t first = 0, count = 0, padBefore = 0, padAfter = 0;

  /// Whether any tap meets the input: otherwise the phase is the bias.
  bool readsInput() const { return !taps.empty() && count > 0; }
};

/// Phase r of a dimension with input `size`, `kernel`, `stride`, the
/// padding `pad` at its start and `output` result cells.
Phase getPhase(int64_t size, int64_t kernel, int64_t stride, int64_t pad,
               int64_t output, int64_t r) {
  Phase phase;
  if (r >= output)
    return phase;
  phase.outputs = (output - r + stride - 1) / stride;
  // out[s*q + r] = sum_j x[q + e - j] * w[c + s*j]: as a convolution, the
  // taps c + s*j backwards, reading from q + e - (taps - 1).
  int64_t c = (r + pad) % stride, e = (r + pad - c) / stride;
  for (int64_t i = c; i < kernel; i += stride)
    phase.taps.insert(phase.taps.begin(), i);
  int64_t taps = phase.taps.size();
  int64_t lo = e - taps + 1, hi = lo + phase.outputs + taps - 2;
  phase.first = std::max<int64_t>(lo, 0);
  phase.count = std::min(hi, size - 1) - phase.first + 1;
  phase.padBefore = phase.first - lo;
  phase.padAfter = std::max<int64_t>(hi - (size - 1), 0);
  return phase;
}

/// The transposed convolution as one convolution per output phase, each
/// written into every s-th cell of the result.
Value createPhases(OpBuilder &b, Location loc, nn::ConvTranspose2DOp op,
                   Value input, const ConstantTensor &weight, Value bias) {
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  ArrayRef<int64_t> out = cast<RankedTensorType>(op.getType()).getShape();
  ArrayRef<int64_t> stride = op.getStride(), padding = op.getPadding();
  int64_t groups = op.getGroups();
  Value result = createEmpty(b, loc, out);
  for (int64_t rh = 0; rh < stride[0]; ++rh) {
    Phase rows =
        getPhase(in[2], weight.shape[2], stride[0], padding[0], out[2], rh);
    for (int64_t rw = 0; rw < stride[1] && rows.outputs; ++rw) {
      Phase columns =
          getPhase(in[3], weight.shape[3], stride[1], padding[1], out[3], rw);
      if (!columns.outputs)
        continue;
      SmallVector<int64_t> shape = {out[0], out[1], rows.outputs,
                                    columns.outputs};
      Value phase;
      if (!rows.readsInput() || !columns.readsInput()) {
        // Cells no tap reaches (a kernel smaller than the stride, or
        // output padding past the input's reach): the bias alone.
        phase = bias ? createBroadcast(b, loc, bias, shape, /*dim=*/1)
                     : createFilled(b, loc, shape, 0.0);
      } else {
        Value x = input;
        if (rows.count != in[2] || columns.count != in[3])
          x = tensor::ExtractSliceOp::create(
              b, loc, x,
              getAsIndexOpFoldResult(b.getContext(),
                                     {0, 0, rows.first, columns.first}),
              getAsIndexOpFoldResult(b.getContext(),
                                     {in[0], in[1], rows.count, columns.count}),
              SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
        std::string suffix =
            llvm::formatv(".transposed.phase{0}_{1}", rh, rw).str();
        Value phaseWeight = createConstantConvWeight(
            b, loc, weight, groups, rows.taps, columns.taps, suffix);
        int64_t unit[2] = {1, 1};
        int64_t pads[4] = {rows.padBefore, columns.padBefore, rows.padAfter,
                           columns.padAfter};
        phase = createConvolution(b, loc, x, phaseWeight, bias, unit, pads,
                                  unit, groups,
                                  RankedTensorType::get(shape, b.getF32Type()));
      }
      if (ArrayRef<int64_t>(shape) == out)
        return phase; // Stride 1: one phase.
      result = tensor::InsertSliceOp::create(
          b, loc, phase, result,
          getAsIndexOpFoldResult(b.getContext(), {0, 0, rh, rw}),
          getAsIndexOpFoldResult(b.getContext(), shape),
          getAsIndexOpFoldResult(b.getContext(), {1, 1, stride[0], stride[1]}));
    }
  }
  return result;
}

/// A transposed convolution of a 1x1 input (a generator's latent vector)
/// scatters it into one kh x kw window: a matrix product
/// [N, C] x [C, M*kh*kw] (as nn.linear's, with the weight transposed at
/// compile time and the bias repeated over each window), whose window is
/// then cropped by the padding. Its phases would instead convolve the one
/// cell padded by kh - 1 zeros on each side: kh * kw times the work.
/// Returns null for a layer this does not take (groups, a computed bias).
Value createOneCellProduct(OpBuilder &b, Location loc, nn::ConvTranspose2DOp op,
                           Value input, const ConstantTensor &weight,
                           Value bias) {
  ArrayRef<int64_t> in = cast<RankedTensorType>(input.getType()).getShape();
  ArrayRef<int64_t> out = cast<RankedTensorType>(op.getType()).getShape();
  ArrayRef<int64_t> w = weight.shape;
  if (in[2] != 1 || in[3] != 1 || op.getGroups() != 1)
    return {};
  ConstantTensor biasConstant;
  if (bias && failed(readConstant(bias, biasConstant)))
    return {};
  int64_t window = w[2] * w[3], columns = w[1] * window;
  // W'[m*kh*kw + i*kw + j, c] = w[c, m, i, j]: [C, M*kh*kw] transposed.
  SmallVector<float> transposed(columns * w[0]);
  for (int64_t c = 0; c < w[0]; ++c)
    for (int64_t k = 0; k < columns; ++k)
      transposed[k * w[0] + c] = weight.values[c * columns + k];
  StringRef name = getResourceName(weight.attr);
  Value matrix = arith::ConstantOp::create(
      b, loc,
      makeF32Attr(RankedTensorType::get({columns, w[0]}, b.getF32Type()),
                  transposed, !name.empty(), (name + ".transposed").str()));
  Value repeatedBias;
  if (bias) {
    SmallVector<float> repeated(columns);
    for (int64_t k = 0; k < columns; ++k)
      repeated[k] = biasConstant.values[k / window];
    StringRef biasName = getResourceName(biasConstant.attr);
    repeatedBias = arith::ConstantOp::create(
        b, loc,
        makeF32Attr(RankedTensorType::get({columns}, b.getF32Type()), repeated,
                    !biasName.empty(), (biasName + ".repeated").str()));
  }
  Value flat = tensor::CollapseShapeOp::create(
      b, loc, input, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  Value product =
      createLinear(b, loc, flat, matrix, repeatedBias,
                   RankedTensorType::get({in[0], columns}, b.getF32Type()));
  SmallVector<int64_t> full = {in[0], w[1], w[2], w[3]};
  Value windows = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(full, b.getF32Type()), product,
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  // Output cell y is window cell y + pad_begin; past the window (output
  // padding) only the bias reaches.
  ArrayRef<int64_t> padding = op.getPadding();
  int64_t kept[2];
  for (int i = 0; i < 2; ++i)
    kept[i] = std::min(out[2 + i], w[2 + i] - padding[i]);
  auto biasOnly = [&] {
    return bias ? createBroadcast(b, loc, bias, out, /*dim=*/1)
                : createFilled(b, loc, out, 0.0);
  };
  if (kept[0] <= 0 || kept[1] <= 0)
    return biasOnly(); // Padding crops the whole window away.
  SmallVector<int64_t> keptShape = {out[0], out[1], kept[0], kept[1]};
  Value cropped = windows;
  if (ArrayRef<int64_t>(keptShape) != ArrayRef<int64_t>(full))
    cropped = tensor::ExtractSliceOp::create(
        b, loc, windows,
        getAsIndexOpFoldResult(b.getContext(), {0, 0, padding[0], padding[1]}),
        getAsIndexOpFoldResult(b.getContext(), keptShape),
        SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
  if (ArrayRef<int64_t>(keptShape) == out)
    return cropped;
  return tensor::InsertSliceOp::create(
      b, loc, cropped, biasOnly(),
      getAsIndexOpFoldResult(b.getContext(), {0, 0, 0, 0}),
      getAsIndexOpFoldResult(b.getContext(), keptShape),
      SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
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
    ConstantTensor constant;
    bool isConstant = succeeded(readConstant(weight, constant));
    if (isConstant && dilation[0] == 1 && dilation[1] == 1) {
      Value result = createOneCellProduct(rewriter, loc, op, adaptor.getInput(),
                                          constant, adaptor.getBias());
      if (!result)
        result = createPhases(rewriter, loc, op, adaptor.getInput(), constant,
                              adaptor.getBias());
      rewriter.replaceOp(op, result);
      return success();
    }

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
    Value convWeight =
        isConstant ? createConstantConvWeight(rewriter, loc, constant, groups,
                                              reversedTaps(w[2]),
                                              reversedTaps(w[3]), ".transposed")
                   : createComputedConvWeight(rewriter, loc, weight, groups);
    int64_t unit[2] = {1, 1}, noPadding[4] = {0, 0, 0, 0};
    Value conv = createConvolution(
        rewriter, loc, spread, convWeight, adaptor.getBias(), unit, noPadding,
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
