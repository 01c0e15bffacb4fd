//===- SpaceDepth.cpp - DepthToSpace and SpaceToDepth ---------------------===//
//
// DepthToSpace (a super-resolution network's pixel shuffle) moves blocks of
// b x b channels into b x b pixels, SpaceToDepth the reverse. Each is a
// reshape to 6-D, a transpose and a reshape back, as ONNX defines them:
//
//   DepthToSpace DCR: [N, b, b, C/b^2, H, W], perm [0, 3, 4, 1, 5, 2]
//   DepthToSpace CRD: [N, C/b^2, b, b, H, W], perm [0, 1, 4, 2, 5, 3]
//   SpaceToDepth:     [N, C, H/b, b, W/b, b], perm [0, 3, 5, 1, 2, 4]
//
// The reshapes are views; the transpose moves the data once.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

/// Input 0 (an activation of rank 4) viewed as `split`, permuted by `perm`
/// and viewed as `result`.
static LogicalResult shuffle(NodeContext &ctx, llvm::ArrayRef<int64_t> split,
                             llvm::ArrayRef<int64_t> perm,
                             llvm::ArrayRef<int64_t> result) {
  OpBuilder &b = ctx.getBuilder();
  Value x = reshapeTensor(ctx, ctx.getInput(0).tensor, split);
  llvm::SmallVector<int64_t, 6> permuted;
  for (int64_t d : perm)
    permuted.push_back(split[d]);
  Value moved = nn::TransposeOp::create(
      b, ctx.getLoc(), RankedTensorType::get(permuted, b.getF32Type()), x,
      b.getDenseI64ArrayAttr(perm));
  ctx.setOutput(0, reshapeTensor(ctx, moved, result));
  return success();
}

/// Reads `blocksize` for an activation input of rank 4; reports otherwise.
static FailureOr<int64_t> readBlockSize(NodeContext &ctx) {
  const ImportedValue &x = ctx.getInput(0);
  if (x.isConstant())
    return ctx.unsupported("its input is a constant");
  if (x.getShape().size() != 4)
    return ctx.emitError() << "input is " << formatShape(x.getShape())
                           << "; it needs [N, C, H, W]";
  FailureOr<int64_t> block = ctx.getInt("blocksize", 0);
  if (failed(block))
    return failure();
  if (*block <= 0)
    return ctx.emitError() << "'blocksize' must be positive, found " << *block;
  return *block;
}

LogicalResult onnximport::importDepthToSpace(NodeContext &ctx) {
  FailureOr<int64_t> block = readBlockSize(ctx);
  FailureOr<std::string> mode = ctx.getString("mode", "DCR");
  if (failed(block) || failed(mode))
    return failure();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  int64_t b = *block, n = in[0], c = in[1], h = in[2], w = in[3];
  std::optional<int64_t> area = llvm::checkedMul(b, b);
  if (!area || c % *area != 0)
    return ctx.emitError() << "the " << c << " channels do not divide into "
                           << "blocks of " << b << "x" << b;
  std::optional<int64_t> outH = llvm::checkedMul(h, b),
                         outW = llvm::checkedMul(w, b);
  if (!outH || !outW)
    return ctx.emitError() << "the output size overflows";
  int64_t depth = c / *area;
  llvm::SmallVector<int64_t> result = {n, depth, *outH, *outW};
  if (*mode == "DCR")
    return shuffle(ctx, {n, b, b, depth, h, w}, {0, 3, 4, 1, 5, 2}, result);
  if (*mode == "CRD")
    return shuffle(ctx, {n, depth, b, b, h, w}, {0, 1, 4, 2, 5, 3}, result);
  return ctx.emitError() << "unknown mode '" << *mode
                         << "' (expected DCR or CRD)";
}

LogicalResult onnximport::importSpaceToDepth(NodeContext &ctx) {
  FailureOr<int64_t> block = readBlockSize(ctx);
  if (failed(block))
    return failure();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  int64_t b = *block, n = in[0], c = in[1], h = in[2], w = in[3];
  if (h % b != 0 || w % b != 0)
    return ctx.emitError() << "the " << h << "x" << w
                           << " plane does not divide into blocks of " << b
                           << "x" << b;
  std::optional<int64_t> depth = llvm::checkedMul(c, b);
  if (depth)
    depth = llvm::checkedMul(*depth, b);
  if (!depth)
    return ctx.emitError() << "the output channel count overflows";
  return shuffle(ctx, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4},
                 {n, *depth, h / b, w / b});
}
