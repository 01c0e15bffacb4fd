//===- ResizeMatrix.cpp - Resize as products by interpolation matrices ---===//
//
// Resizing one dimension from `in` to `out` cells is linear in the input:
// output cell o is sum_i M[o][i] x[i] for a constant [out, in] matrix M
// whose row o holds the weights of the (at most four) input cells the mode
// blends at o's original coordinate. Building M at import time follows
// ONNX's reference implementation case by case (coordinate transformation,
// the nearest_mode rounding, linear and cubic weights, exclude_outside,
// neighbours past the edges replaced by the edge cell); running it is an
// nn.linear, on the CPU's and the GPU's matrix kernels. That costs `in`
// multiply-adds per output cell where 1 to 4 would do, so Resize.cpp keeps
// the cheaper repetitions and phase blends for the upsamplings CNNs use
// most; this path takes the rest (downsampling, fractional factors,
// align_corners, cubic).
//
//===----------------------------------------------------------------------===//
#include "ResizeMatrix.h"

#include "kiln/Dialect/NN/NNOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

/// The largest interpolation matrix built, in elements (64 MiB of floats).
constexpr int64_t kMaxResizeMatrix = int64_t(1) << 24;

/// The input coordinate of output cell `o` of dimension `dim`, `out` long
/// (ONNX's coordinate_transformation_mode). The resized length in these
/// formulas is in * scale, not rounded down to the output's size.
static double originalCoordinate(const ResizeModes &modes, int dim, int64_t o,
                                 int64_t in, int64_t out, double scale) {
  llvm::StringRef coordinates = modes.coordinates;
  if (coordinates == "tf_crop_and_resize") {
    double start = modes.roiStart[dim], end = modes.roiEnd[dim];
    if (out == 1)
      return 0.5 * (start + end) * double(in - 1);
    return start * double(in - 1) +
           double(o) * (end - start) * double(in - 1) / double(out - 1);
  }
  double resized = double(in) * scale;
  if (coordinates == "pytorch_half_pixel")
    return resized > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  if (coordinates == "align_corners")
    return resized > 1 ? double(o) * double(in - 1) / (resized - 1) : 0.0;
  if (coordinates == "asymmetric")
    return o / scale;
  if (coordinates == "tf_half_pixel_for_nn")
    return (o + 0.5) / scale;
  return (o + 0.5) / scale - 0.5; // half_pixel
}

/// Cubic convolution weights of the cells at -1, 0, 1, 2 from the one below
/// a coordinate `ratio` past it (Keys' kernel with parameter a).
static void cubicWeights(double ratio, double a, double (&w)[4]) {
  auto far = [a](double d) {
    return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  };
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  w[0] = far(ratio + 1);
  w[1] = near(ratio);
  w[2] = near(1 - ratio);
  w[3] = far(2 - ratio);
}

std::vector<double> onnximport::buildResizeMatrix(const ResizeModes &modes,
                                                  int dim, int64_t in,
                                                  int64_t out, double scale,
                                                  std::vector<bool> &outside) {
  std::vector<double> matrix(size_t(in * out), 0.0);
  outside.assign(size_t(out), false);
  for (int64_t o = 0; o < out; ++o) {
    double x = originalCoordinate(modes, dim, o, in, out, scale);
    // A crop that reaches past the input: the cell is the extrapolation
    // value, which resizeByMatrices adds.
    if (modes.coordinates == "tf_crop_and_resize" &&
        (x < 0 || x > double(in - 1))) {
      outside[size_t(o)] = true;
      continue;
    }
    // The neighbours start at the cell below x, or the one before x when x
    // is a whole number (weight 0 there, ratio 1), as ONNX's reference picks
    // them.
    double below = std::floor(x);
    double ratio = x - below;
    if (ratio == 0) {
      below -= 1;
      ratio = 1;
    }
    int64_t first = int64_t(below);
    double weights[4] = {};
    int count = 2;
    if (modes.mode == "cubic") {
      cubicWeights(ratio, modes.cubicA, weights);
      count = 4;
      first -= 1;
    } else if (modes.mode == "linear") {
      weights[0] = 1 - ratio;
      weights[1] = ratio;
    } else {
      bool up = ratio == 1 || modes.rounding == "ceil" ||
                (modes.rounding == "round_prefer_ceil" && ratio >= 0.5) ||
                (modes.rounding == "round_prefer_floor" && ratio > 0.5);
      weights[up ? 1 : 0] = 1;
    }
    if (modes.excludeOutside) {
      double sum = 0;
      for (int k = 0; k < count; ++k) {
        int64_t i = first + k;
        if (i < 0 || i >= in)
          weights[k] = 0;
        sum += weights[k];
      }
      for (int k = 0; k < count && sum != 0; ++k)
        weights[k] /= sum;
    }
    for (int k = 0; k < count; ++k) {
      int64_t i = std::clamp<int64_t>(first + k, 0, in - 1);
      matrix[size_t(o * in + i)] += weights[k];
    }
  }
  return matrix;
}

/// Whether `matrix` ([n, n] when square) is the identity.
static bool isIdentity(const std::vector<double> &matrix, int64_t in,
                       int64_t out) {
  if (in != out)
    return false;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      if (matrix[size_t(o * in + i)] != (o == i ? 1.0 : 0.0))
        return false;
  return true;
}

/// `x` resized along its last dimension by `matrix` ([out, in]): a view of
/// its rows, nn.linear, and a view back.
static Value resizeLast(NodeContext &ctx, Value x,
                        const std::vector<double> &matrix, int64_t out,
                        llvm::StringRef suffix) {
  OpBuilder &b = ctx.getBuilder();
  llvm::SmallVector<int64_t, 4> shape(
      cast<RankedTensorType>(x.getType()).getShape());
  int64_t in = shape.back();
  int64_t rows = 1;
  for (int64_t d : llvm::ArrayRef<int64_t>(shape).drop_back())
    rows *= d;
  std::vector<float> weights(matrix.begin(), matrix.end());
  Value weight = ctx.materialize(HostTensor::fromFloats(
      ctx.getNode().output(0) + suffix.str(), {out, in}, std::move(weights)));
  Value flat = reshapeTensor(ctx, x, {rows, in});
  Value resized = nn::LinearOp::create(
      b, ctx.getLoc(), RankedTensorType::get({rows, out}, b.getF32Type()), flat,
      weight, Value());
  shape.back() = out;
  return reshapeTensor(ctx, resized, shape);
}

/// NCHW <-> NCWH.
static Value swapLastTwo(NodeContext &ctx, Value x) {
  OpBuilder &b = ctx.getBuilder();
  llvm::SmallVector<int64_t, 4> shape(
      cast<RankedTensorType>(x.getType()).getShape());
  std::swap(shape[2], shape[3]);
  return nn::TransposeOp::create(b, ctx.getLoc(),
                                 RankedTensorType::get(shape, b.getF32Type()),
                                 x, b.getDenseI64ArrayAttr({0, 1, 3, 2}));
}

LogicalResult onnximport::checkResizeModes(NodeContext &ctx,
                                           const ResizeModes &modes) {
  if (modes.mode != "nearest" && modes.mode != "linear" &&
      modes.mode != "cubic")
    return ctx.emitError() << "has mode '" << modes.mode
                           << "'; expected nearest, linear or cubic";
  if (modes.coordinates != "half_pixel" &&
      modes.coordinates != "tf_crop_and_resize" &&
      modes.coordinates != "pytorch_half_pixel" &&
      modes.coordinates != "align_corners" &&
      modes.coordinates != "asymmetric" &&
      modes.coordinates != "tf_half_pixel_for_nn")
    return ctx.emitError() << "has coordinate_transformation_mode '"
                           << modes.coordinates << "', which ONNX does not "
                           << "define";
  if (modes.mode == "nearest" && modes.rounding != "round_prefer_floor" &&
      modes.rounding != "round_prefer_ceil" && modes.rounding != "floor" &&
      modes.rounding != "ceil")
    return ctx.emitError() << "has nearest_mode '" << modes.rounding
                           << "', which ONNX does not define";
  return success();
}

Value onnximport::resizeByMatrices(NodeContext &ctx, Value x,
                                   const ResizeModes &modes,
                                   const int64_t (&out)[2],
                                   const double (&scales)[2]) {
  llvm::ArrayRef<int64_t> in = cast<RankedTensorType>(x.getType()).getShape();
  for (int d = 0; d < 2; ++d)
    if (in[2 + d] > kMaxResizeMatrix / out[d]) {
      (void)ctx.unsupported(
          llvm::formatv("resizing dimension {0} from {1} to {2} takes an "
                        "interpolation matrix of more than 2^24 elements",
                        2 + d, in[2 + d], out[d])
              .str());
      return nullptr;
    }
  std::vector<double> matrices[2];
  std::vector<bool> outside[2];
  for (int d = 0; d < 2; ++d)
    matrices[d] =
        buildResizeMatrix(modes, d, in[2 + d], out[d], scales[d], outside[d]);
  // The dimension that shrinks most goes first: the second product then
  // runs on fewer rows.
  bool heightFirst = double(out[0]) * in[3] <= double(out[1]) * in[2];
  for (int step = 0; step < 2; ++step) {
    int d = (step == 0) == heightFirst ? 0 : 1;
    if (isIdentity(matrices[d], in[2 + d], out[d]))
      continue;
    if (d == 1) {
      x = resizeLast(ctx, x, matrices[1], out[1], ".resize_w");
    } else {
      x = swapLastTwo(ctx, resizeLast(ctx, swapLastTwo(ctx, x), matrices[0],
                                      out[0], ".resize_h"));
    }
  }
  // Cells that a crop samples outside the input are 0 so far: add the
  // extrapolation value there, as x - (-e) with nn.sub's broadcast.
  bool anyOutside = llvm::is_contained(outside[0], true) ||
                    llvm::is_contained(outside[1], true);
  if (anyOutside && modes.extrapolation != 0) {
    std::vector<float> negated(size_t(out[0] * out[1]), 0.0f);
    for (int64_t h = 0; h < out[0]; ++h)
      for (int64_t w = 0; w < out[1]; ++w)
        if (outside[0][size_t(h)] || outside[1][size_t(w)])
          negated[size_t(h * out[1] + w)] = float(-modes.extrapolation);
    Value shift = ctx.materialize(
        HostTensor::fromFloats(ctx.getNode().output(0) + ".extrapolation",
                               {1, 1, out[0], out[1]}, std::move(negated)));
    x = nn::SubOp::create(ctx.getBuilder(), ctx.getLoc(), x, shift);
  }
  return x;
}
