//===- ResizeMatrix.h - Resize by interpolation matrices --------*- C++ -*-===//
//
// The general path of Resize and Upsample, for what the repetitions and
// phase blends of Resize.cpp do not cover: any scale (downsampling,
// fractional factors), any coordinate transformation (tf_crop_and_resize's
// crop included), and nearest, linear or cubic modes.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_ONNX_RESIZEMATRIX_H
#define KILN_FRONTEND_ONNX_RESIZEMATRIX_H

#include "Importer.h"

#include <string>
#include <vector>

namespace kiln::onnximport {

/// How Resize maps and samples one dimension (its attributes).
struct ResizeModes {
  std::string mode;        // nearest, linear, cubic
  std::string coordinates; // coordinate_transformation_mode
  std::string rounding;    // nearest_mode
  double cubicA = -0.75;   // cubic_coeff_a
  bool excludeOutside = false;
  // tf_crop_and_resize's crop of H and W (the roi input, as fractions of
  // the input) and the value of output cells that sample outside it.
  double roiStart[2] = {0, 0}, roiEnd[2] = {1, 1};
  double extrapolation = 0;
};

/// Checks the modes against those ONNX defines and Kiln resizes with;
/// reports an error or an unsupported case otherwise.
mlir::LogicalResult checkResizeModes(NodeContext &ctx,
                                     const ResizeModes &modes);

/// The [out, in] matrix whose row o holds the weights of the input cells
/// that output cell o of dimension `dim` (0: H, 1: W) resized from `in` to
/// `out` cells (by `scale`, out / in when Resize was given sizes) blends, as
/// ONNX's reference implementation samples them. The modes must be valid.
/// With tf_crop_and_resize, a row that samples outside the input is all
/// zero, and `outside[o]` is set for it.
std::vector<double> buildResizeMatrix(const ResizeModes &modes, int dim,
                                      int64_t in, int64_t out, double scale,
                                      std::vector<bool> &outside);

/// Resizes NCHW `x` along H and W to `out` = {H', W'} by products with
/// interpolation matrices (nn.linear over the last dimension, H moved last
/// by a transpose and back). The modes must have passed checkResizeModes.
/// Reports an unsupported case (a matrix over 2^24 elements) and returns
/// null.
mlir::Value resizeByMatrices(NodeContext &ctx, mlir::Value x,
                             const ResizeModes &modes, const int64_t (&out)[2],
                             const double (&scales)[2]);

} // namespace kiln::onnximport

#endif // KILN_FRONTEND_ONNX_RESIZEMATRIX_H
