//===- Reshape.h - nn.reshape as collapse and expand ops --------*- C++ -*-===//
//-*-===//
//
// nn.reshape keeps the row-major order of the elements, which is what MLIR's
// collapse_shape and expand_shape do to a contiguous tensor or buffer: no
// data moves. The CPU lowering builds the tensor ops and the GPU lowering the
// memref ops (aliasing the device buffer), from this one recipe.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECT_NN_RESHAPE_H
#define KILN_DIALECT_NN_RESHAPE_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"

#include <numeric>

namespace kiln::nn {

/// `input` reshaped to `resultType` (as many elements) by CollapseOp and
/// ExpandOp (tensor:: or memref::): one op when the reshape only merges or
/// only splits runs of dimensions ([N, C, H, W] to [N, g, C/g, H, W]), else a
/// collapse to one dimension and an expand from it.
template <typename CollapseOp, typename ExpandOp>
mlir::Value createReshape(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value input, mlir::ShapedType resultType) {
  auto inputType = llvm::cast<mlir::ShapedType>(input.getType());
  if (inputType.getShape() == resultType.getShape())
    return input;
  int64_t inRank = inputType.getRank(), outRank = resultType.getRank();
  // A scalar and a tensor of ones reshape into each other with no groups.
  if (inRank == 0 || outRank == 0) {
    if (inRank == 0)
      return ExpandOp::create(b, loc, resultType, input,
                              llvm::ArrayRef<mlir::ReassociationIndices>{});
    return CollapseOp::create(b, loc, input,
                              llvm::ArrayRef<mlir::ReassociationIndices>{});
  }
  if (std::optional<llvm::SmallVector<mlir::ReassociationIndices>> groups =
          mlir::getReassociationIndicesForReshape(inputType, resultType)) {
    if (outRank < inRank)
      return CollapseOp::create(b, loc, input, *groups);
    if (outRank > inRank)
      return ExpandOp::create(b, loc, resultType, input, *groups);
  }
  auto all = [](int64_t rank) {
    mlir::ReassociationIndices dims(rank);
    std::iota(dims.begin(), dims.end(), 0);
    return llvm::SmallVector<mlir::ReassociationIndices>{dims};
  };
  mlir::Value flat = input;
  if (inRank > 1)
    flat = CollapseOp::create(b, loc, input, all(inRank));
  if (outRank == 1)
    return flat;
  return ExpandOp::create(b, loc, resultType, flat, all(outRank));
}

} // namespace kiln::nn

#endif // KILN_DIALECT_NN_RESHAPE_H
