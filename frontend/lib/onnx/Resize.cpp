//===- Resize.cpp - Resize and Upsample ----------------------------------===//
//
// Nearest-neighbour upsampling by whole factors (a feature pyramid's or a
// U-Net's x2, PyTorch's nn.Upsample(scale_factor=2)) repeats each pixel
// s_h x s_w times. nn has no op for it: it is written as a view to 6-D,
// concatenations of copies and a view back,
//
//   [N, C, H, W] -> [N, C, H, 1, W, 1] -> [N, C, H, s_h, W, s_w]
//                -> [N, C, H*s_h, W*s_w]
//
// which the CPU and GPU paths run as copies. Resize maps output cell o to
// input coordinate x by `coordinate_transformation_mode` and rounds it by
// `nearest_mode`; for o = s*q + r the result is the repetition q exactly
// when every r < s gives q:
//
//   asymmetric, x = o / s:                       floor; round_prefer_floor
//                                                for s <= 2
//   half_pixel (and pytorch_half_pixel),
//     x = (o + 0.5) / s - 0.5, in (q - 0.5, q + 0.5): round_prefer_floor,
//                                                round_prefer_ceil
//   tf_half_pixel_for_nn, x = (o + 0.5) / s:     floor
//
// Linear interpolation (bilinear on NCHW) by whole factors with half-pixel
// centres, PyTorch's align_corners=False, is written with slices,
// products and sums (interpolateAlong). Every other resize of H and W
// (cubic, align_corners, fractional factors, downsampling, factors above
// 64) is a product by an interpolation matrix per dimension
// (ResizeMatrix.cpp).
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "ResizeMatrix.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

/// Whether nearest-neighbour resampling with these modes repeats each
/// input cell `factor` times.
static bool repeats(llvm::StringRef coordinates, llvm::StringRef rounding,
                    int64_t factor) {
  if (factor == 1)
    return true;
  if (coordinates == "asymmetric")
    return rounding == "floor" ||
           (rounding == "round_prefer_floor" && factor <= 2);
  if (coordinates == "half_pixel" || coordinates == "pytorch_half_pixel")
    return rounding == "round_prefer_floor" || rounding == "round_prefer_ceil";
  if (coordinates == "tf_half_pixel_for_nn")
    return rounding == "floor";
  return false;
}

/// Input 0 repeated `factors[0]` times along H and `factors[1]` along W.
static Value repeatPixels(NodeContext &ctx, Value x,
                          const int64_t (&factors)[2]) {
  OpBuilder &b = ctx.getBuilder();
  llvm::ArrayRef<int64_t> in = cast<RankedTensorType>(x.getType()).getShape();
  llvm::SmallVector<int64_t, 6> shape = {in[0], in[1], in[2], 1, in[3], 1};
  Value v = reshapeTensor(ctx, x, shape);
  // W's copies first (dimension 5), then H's (dimension 3).
  for (auto [dim, factor] : {std::pair<int64_t, int64_t>{5, factors[1]},
                             std::pair<int64_t, int64_t>{3, factors[0]}}) {
    if (factor == 1)
      continue;
    shape[dim] = factor;
    llvm::SmallVector<Value> copies(factor, v);
    v = nn::ConcatOp::create(b, ctx.getLoc(),
                             RankedTensorType::get(shape, b.getF32Type()),
                             copies, b.getI64IntegerAttr(dim));
  }
  return reshapeTensor(ctx, v,
                       {in[0], in[1], in[2] * factors[0], in[3] * factors[1]});
}

/// Resize or Upsample of input 0 by `scales` (one per dimension) or to
/// `sizes`, with the modes given: by repeating pixels or interpolating
/// linearly.
/// The dimensions of `x` (rank 4).
static llvm::ArrayRef<int64_t> shapeOf(Value x) {
  return cast<RankedTensorType>(x.getType()).getShape();
}

/// `x` cut to [start, start + size) along `dim`.
static Value sliceAlong(NodeContext &ctx, Value x, int64_t dim, int64_t start,
                        int64_t size) {
  OpBuilder &b = ctx.getBuilder();
  llvm::SmallVector<int64_t, 4> shape(shapeOf(x)), offsets(shape.size(), 0);
  shape[dim] = size;
  offsets[dim] = start;
  return nn::SliceOp::create(
      b, ctx.getLoc(), RankedTensorType::get(shape, b.getF32Type()), x,
      b.getDenseI64ArrayAttr(offsets), DenseI64ArrayAttr());
}

static Value concatAlong(NodeContext &ctx, llvm::ArrayRef<Value> parts,
                         int64_t dim) {
  OpBuilder &b = ctx.getBuilder();
  llvm::SmallVector<int64_t, 6> shape(shapeOf(parts[0]));
  shape[dim] = 0;
  for (Value part : parts)
    shape[dim] += shapeOf(part)[dim];
  return nn::ConcatOp::create(b, ctx.getLoc(),
                              RankedTensorType::get(shape, b.getF32Type()),
                              parts, b.getI64IntegerAttr(dim));
}

/// Products of tensors by [1, 1, 1, 1] weight constants, one constant per
/// distinct weight of the node.
class ScaledBy {
public:
  explicit ScaledBy(NodeContext &ctx) : ctx(ctx) {}

  Value operator()(Value x, float weight) {
    Value &constant = constants[weight];
    if (!constant)
      constant = ctx.materialize(HostTensor::fromFloats(
          llvm::formatv("{0}.weight{1}", ctx.getNode().output(0),
                        llvm::format("%g", weight))
              .str(),
          {1, 1, 1, 1}, std::vector<float>{weight}));
    return nn::MulOp::create(ctx.getBuilder(), ctx.getLoc(), x, constant);
  }

private:
  NodeContext &ctx;
  std::map<float, Value> constants;
};

/// Linear interpolation of `x` by the whole factor `factor` along `dim`
/// with half-pixel centres (PyTorch's align_corners=False): output cell
/// factor*q + r lies at input coordinate q + f, f = (r + 0.5) / factor - 0.5
/// in (-0.5, 0.5), and blends x[q] with its neighbour on that side (the edge
/// cell itself past the ends, as the coordinate is clamped). Each phase r is
/// such a blend; the phases are interleaved as the nearest repetition's
/// copies are.
static Value interpolateAlong(NodeContext &ctx, ScaledBy &scaled, Value x,
                              int64_t dim, int64_t factor) {
  OpBuilder &b = ctx.getBuilder();
  Location loc = ctx.getLoc();
  int64_t size = shapeOf(x)[dim];
  auto neighbours = [&](bool after) -> Value {
    if (size == 1)
      return x;
    Value edge = sliceAlong(ctx, x, dim, after ? size - 1 : 0, 1);
    Value rest = sliceAlong(ctx, x, dim, after ? 1 : 0, size - 1);
    return after ? concatAlong(ctx, {rest, edge}, dim)
                 : concatAlong(ctx, {edge, rest}, dim);
  };
  Value before = neighbours(false), after = neighbours(true);
  llvm::SmallVector<int64_t, 6> split(shapeOf(x));
  split.insert(split.begin() + dim + 1, 1);
  llvm::SmallVector<Value> phases;
  for (int64_t r = 0; r < factor; ++r) {
    double f = (r + 0.5) / double(factor) - 0.5;
    Value phase = x;
    if (f != 0)
      phase =
          nn::AddOp::create(b, loc, scaled(x, float(1 - std::abs(f))),
                            scaled(f > 0 ? after : before, float(std::abs(f))));
    phases.push_back(reshapeTensor(ctx, phase, split));
  }
  llvm::SmallVector<int64_t, 4> result(shapeOf(x));
  result[dim] *= factor;
  return reshapeTensor(ctx, concatAlong(ctx, phases, dim + 1), result);
}

static LogicalResult importUpsampling(NodeContext &ctx,
                                      const ResizeModes &modes,
                                      llvm::ArrayRef<float> scales,
                                      llvm::ArrayRef<int64_t> sizes) {
  const ImportedValue &x = ctx.getInput(0);
  if (x.isConstant())
    return ctx.unsupported("its input is a constant");
  llvm::ArrayRef<int64_t> in = x.getShape();
  if (in.size() != 4)
    return ctx.unsupported("it resizes a tensor of rank " +
                           std::to_string(in.size()) +
                           "; Kiln resizes NCHW tensors");
  bool linear = modes.mode == "linear";
  if (failed(checkResizeModes(ctx, modes)))
    return failure();
  size_t given = scales.empty() ? sizes.size() : scales.size();
  if (given != 4)
    return ctx.emitError() << "has " << given << " "
                           << (scales.empty() ? "sizes" : "scales")
                           << " for the rank-4 input";
  // Each dimension's size and scale: a size is floor(in * scale), a scale
  // is size / in.
  int64_t out[4];
  double scale[4];
  bool crop = modes.coordinates == "tf_crop_and_resize";
  for (int d = 0; d < 4; ++d) {
    if (!scales.empty()) {
      scale[d] = scales[d];
      // A crop's output scales the cropped length.
      double length = double(in[d]);
      if (crop && d >= 2)
        length *= modes.roiEnd[d - 2] - modes.roiStart[d - 2];
      double size = std::floor(length * scale[d]);
      if (!(scale[d] > 0) || !(size < double(int64_t(1) << 40)))
        return ctx.emitError()
               << "has scale " << llvm::formatv("{0}", scale[d]).str()
               << " for dimension " << d << "; expected a positive number "
               << "that keeps the tensor under 2^40 bytes";
      out[d] = int64_t(size);
    } else {
      if (sizes[d] <= 0)
        return ctx.emitError() << "has size " << sizes[d] << " for dimension "
                               << d << "; expected a positive number";
      out[d] = sizes[d];
      scale[d] = double(out[d]) / double(in[d]);
    }
    if (out[d] <= 0)
      return ctx.unsupported(
          llvm::formatv("scale {0} leaves dimension {1} of size {2} empty; "
                        "Kiln needs non-empty tensors",
                        llvm::format("%g", scale[d]), d, in[d])
              .str());
  }
  if (out[0] != in[0] || out[1] != in[1])
    return ctx.unsupported("it resizes the batch or channel dimension");
  if (!nn::checkedElementCount({out[0], out[1], out[2], out[3]}))
    return ctx.emitError() << "the resized " << formatShape(in)
                           << " would be too large: tensors are limited to "
                              "2^40 bytes";

  // Whole factors up to kMaxFactor: repeated pixels or phase blends, each
  // copy or phase an op of its own (FCN-32s's 32 is the largest factor a
  // CNN upsamples by). Anything else: interpolation matrices.
  constexpr int64_t kMaxFactor = 64;
  int64_t factors[2];
  bool whole = true;
  for (int d = 2; d < 4; ++d) {
    factors[d - 2] = out[d] / in[d];
    whole = whole && out[d] % in[d] == 0 && factors[d - 2] <= kMaxFactor &&
            scale[d] == double(factors[d - 2]);
  }
  bool halfPixel = modes.coordinates == "half_pixel" ||
                   modes.coordinates == "pytorch_half_pixel";
  whole = whole && !crop;
  if (whole && modes.mode == "nearest" &&
      repeats(modes.coordinates, modes.rounding, factors[0]) &&
      repeats(modes.coordinates, modes.rounding, factors[1])) {
    ctx.setOutput(0, repeatPixels(ctx, x.tensor, factors));
    return success();
  }
  if (whole && linear && halfPixel) {
    Value y = x.tensor;
    ScaledBy scaled(ctx);
    for (int d : {3, 2})
      if (factors[d - 2] > 1)
        y = interpolateAlong(ctx, scaled, y, d, factors[d - 2]);
    ctx.setOutput(0, y);
    return success();
  }
  Value y = resizeByMatrices(ctx, x.tensor, modes, {out[2], out[3]},
                             {scale[2], scale[3]});
  if (!y)
    return failure();
  ctx.setOutput(0, y);
  return success();
}

/// A float input `i` (scales), or an empty list when it is absent or empty.
static FailureOr<llvm::SmallVector<float>>
floatInput(NodeContext &ctx, unsigned i, llvm::StringRef what) {
  if (!ctx.hasInput(i) ||
      ctx.getInput(i).getShape() == llvm::ArrayRef<int64_t>{0})
    return llvm::SmallVector<float>();
  std::shared_ptr<const HostTensor> t =
      ctx.getConstant(i, HostTensor::Kind::Float, what);
  if (!t)
    return failure();
  return llvm::SmallVector<float>(t->getFloats());
}

/// tf_crop_and_resize's crop: the roi input (starts then ends, as
/// fractions of each dimension), which must keep the batch and channels
/// whole, and extrapolation_value.
static LogicalResult readCrop(NodeContext &ctx, ResizeModes &modes) {
  FailureOr<float> extrapolation = ctx.getFloat("extrapolation_value", 0.0f);
  if (failed(extrapolation))
    return failure();
  modes.extrapolation = *extrapolation;
  if (ctx.getOpset() < 11)
    return ctx.emitError() << "has coordinate_transformation_mode "
                              "'tf_crop_and_resize', whose roi input opset "
                           << ctx.getOpset() << "'s Resize lacks";
  FailureOr<llvm::SmallVector<float>> roi = floatInput(ctx, 1, "the roi");
  if (failed(roi))
    return failure();
  if (roi->size() != 8)
    return ctx.emitError() << "has " << roi->size()
                           << " roi values for tf_crop_and_resize; expected 8 "
                              "(starts and ends of the rank-4 input)";
  if ((*roi)[0] != 0 || (*roi)[1] != 0 || (*roi)[4] != 1 || (*roi)[5] != 1)
    return ctx.unsupported("its roi crops the batch or channel dimension");
  for (int d = 0; d < 2; ++d) {
    modes.roiStart[d] = (*roi)[2 + d];
    modes.roiEnd[d] = (*roi)[6 + d];
    // Far outside the input every cell is the extrapolation value; the
    // bound keeps the coordinates' arithmetic finite and exact enough.
    for (double v : {modes.roiStart[d], modes.roiEnd[d]})
      if (!(std::fabs(v) <= 1e6))
        return ctx.emitError()
               << "has roi value " << llvm::formatv("{0}", v).str()
               << " for dimension " << 2 + d
               << "; expected a finite fraction of the input within 1e6";
  }
  return success();
}

LogicalResult onnximport::importResize(NodeContext &ctx) {
  FailureOr<std::string> mode = ctx.getString("mode", "nearest");
  FailureOr<std::string> coordinates =
      ctx.getString("coordinate_transformation_mode",
                    ctx.getOpset() >= 11 ? "half_pixel" : "asymmetric");
  FailureOr<std::string> rounding =
      ctx.getString("nearest_mode", "round_prefer_floor");
  FailureOr<float> cubicA = ctx.getFloat("cubic_coeff_a", -0.75f);
  FailureOr<int64_t> excludeOutside = ctx.getInt("exclude_outside", 0);
  if (failed(mode) || failed(coordinates) || failed(rounding) ||
      failed(cubicA) || failed(excludeOutside))
    return failure();
  ResizeModes modes{*mode, *coordinates, *rounding, *cubicA,
                    *excludeOutside != 0};
  if (modes.coordinates == "tf_crop_and_resize" && failed(readCrop(ctx, modes)))
    return failure();
  // Opset 10: X, scales. From 11: X, roi, scales, sizes.
  unsigned scalesInput = ctx.getOpset() >= 11 ? 2 : 1;
  FailureOr<llvm::SmallVector<float>> scales =
      floatInput(ctx, scalesInput, "the scales");
  if (failed(scales))
    return failure();
  llvm::SmallVector<int64_t> sizes;
  if (scales->empty() && ctx.getOpset() >= 11 && ctx.hasInput(3)) {
    std::shared_ptr<const HostTensor> t =
        ctx.getConstant(3, HostTensor::Kind::Int, "the sizes");
    if (!t)
      return failure();
    sizes.assign(t->getInts().begin(), t->getInts().end());
  }
  if (scales->empty() && sizes.empty())
    return ctx.emitError() << "has neither scales nor sizes";
  return importUpsampling(ctx, modes, *scales, sizes);
}

LogicalResult onnximport::importUpsample(NodeContext &ctx) {
  FailureOr<std::string> mode = ctx.getString("mode", "nearest");
  if (failed(mode))
    return failure();
  // Opset 7: the scales attribute; from 9: input 1. Upsample's nearest is
  // the input at floor(o / scale).
  llvm::SmallVector<float> scales;
  if (ctx.getOpset() < 9) {
    const onnx::AttributeProto *attr = ctx.getAttr("scales");
    if (!attr)
      return ctx.emitError() << "needs a 'scales' attribute";
    scales.assign(attr->floats().begin(), attr->floats().end());
  } else {
    FailureOr<llvm::SmallVector<float>> input =
        floatInput(ctx, 1, "the scales");
    if (failed(input))
      return failure();
    scales = std::move(*input);
  }
  return importUpsampling(ctx, ResizeModes{*mode, "asymmetric", "floor"},
                          scales, {});
}
