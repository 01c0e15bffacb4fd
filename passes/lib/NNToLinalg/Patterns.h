//===- Patterns.h - nn to linalg lowering, per op family --------*- C++ -*-===//
//
// Each op family's lowering lives in its own file and exposes one populate
// function; ConvertNNToLinalg.cpp gathers them. The helpers below build the
// small recurring pieces (filled tensors, padding, broadcasts, element-wise
// generics) with the location of the nn op being lowered.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PASSES_LIB_NNTOLINALG_PATTERNS_H
#define KILN_PASSES_LIB_NNTOLINALG_PATTERNS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {

void populateConvolutionPatterns(mlir::RewritePatternSet &patterns);
void populateConvTransposePatterns(mlir::RewritePatternSet &patterns);
void populateLinearPatterns(mlir::RewritePatternSet &patterns);
void populatePoolingPatterns(mlir::RewritePatternSet &patterns);
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateShapePatterns(mlir::RewritePatternSet &patterns);
void populateJoinPatterns(mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
void populateFusedPatterns(mlir::RewritePatternSet &patterns);

/// The layer lowerings, shared by the op patterns and the fused ops.
/// Convolution (nn.conv2d semantics) into the optional bias; `bias` may be
/// null.
mlir::Value createConvolution(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input, mlir::Value weight,
                              mlir::Value bias, llvm::ArrayRef<int64_t> stride,
                              llvm::ArrayRef<int64_t> padding,
                              llvm::ArrayRef<int64_t> dilation, int64_t groups,
                              mlir::RankedTensorType resultType);
/// y = x W^T + b (nn.linear); `bias` may be null.
mlir::Value createLinear(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value input, mlir::Value weight,
                         mlir::Value bias, mlir::RankedTensorType resultType);
/// max(x, 0) element-wise.
mlir::Value createRelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// The element-wise generic computing min(max(x, lo), hi) (an infinite bound
/// is left out), as nn.clamp lowers.
mlir::Value createClamp(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                        double lo, double hi);
/// The element-wise generic computing x * min(max(x + 3, 0), 6) / 6, as
/// nn.hard_swish lowers.
mlir::Value createHardSwish(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x);
/// The element-wise generic computing x * (1 / (1 + exp(-x))): the nn.mul of
/// x by nn.sigmoid(x), in their order of operations.
mlir::Value createSiLU(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
/// nn.max_pool2d / nn.avg_pool2d semantics (padding [t, l, b, r]). A max
/// pooling of an input known to hold only values >= +0 and NaNs pads and
/// starts from +0 instead of -inf, and says so
/// (nn::kNonNegativeInputAttrName).
mlir::Value createMaxPool2D(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value input, llvm::ArrayRef<int64_t> kernel,
                            llvm::ArrayRef<int64_t> stride,
                            llvm::ArrayRef<int64_t> padding,
                            mlir::RankedTensorType resultType,
                            llvm::ArrayRef<int64_t> dilation = {1, 1},
                            bool nonNegativeInput = false);
mlir::Value createAvgPool2D(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value input, llvm::ArrayRef<int64_t> kernel,
                            llvm::ArrayRef<int64_t> stride,
                            llvm::ArrayRef<int64_t> padding,
                            bool countIncludePad,
                            mlir::RankedTensorType resultType);

/// An f32 `arith.constant`.
mlir::Value createF32(mlir::OpBuilder &b, mlir::Location loc, double value);

/// An `arith.constant` of index type.
mlir::Value createIndex(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// A tensor of `shape` (f32) filled with `value`: tensor.empty + linalg.fill.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         llvm::ArrayRef<int64_t> shape, double value);

/// An uninitialised f32 tensor of `shape`, used as a destination that is
/// fully overwritten or as a window operand that only carries its shape.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape);

/// Pads `input` by `low`/`high` cells per dimension with `value`; returns
/// `input` itself when there is nothing to pad.
mlir::Value createPadded(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value input, llvm::ArrayRef<int64_t> low,
                         llvm::ArrayRef<int64_t> high, double value);

/// A new tensor of `shape` whose element i is `source`'s element read(i):
/// a linalg.generic copy through the read map (a reversal, a permutation
/// with flips, which no view expresses). The loops' sizes come from
/// `shape`: read's results that are plain dimensions must match it.
mlir::Value createMappedCopy(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value source, mlir::AffineMap read,
                             llvm::ArrayRef<int64_t> shape);

/// Broadcasts the vector `values` along every dimension of `shape` except
/// `dim`, which it indexes (a bias per channel or per feature).
mlir::Value createBroadcast(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value values, llvm::ArrayRef<int64_t> shape,
                            int64_t dim);

/// The body of an element-wise generic: the scalar arguments, one per input,
/// to the scalar result.
using ScalarFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A parallel linalg.generic over the shape of `inputs[0]` producing a new f32
/// tensor; every input has that shape (identity indexing).
mlir::Value createElementwise(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::ValueRange inputs, ScalarFn body);

/// Iterator types: `parallel` for `numParallel` loops followed by
/// `reduction` for `numReduction` loops.
llvm::SmallVector<mlir::utils::IteratorType>
iterators(unsigned numParallel, unsigned numReduction = 0);

} // namespace kiln

#endif // KILN_PASSES_LIB_NNTOLINALG_PATTERNS_H
