//===- CollapseElementwise.cpp - kiln-collapse-elementwise ----------------===//
//
// Merges dimensions 2 and up of all-parallel linalg.generic ops on buffers
// into one, so that their innermost loop walks a whole plane (see
// Passes.td).
//
// linalg::collapseOpIterationDims would do it for the identity maps, but it
// rewrites a broadcast operand's constant results as dimensions
// ((d0, d1, 0, 0) became (d0, d1, d0, d0) in LLVM 22), so the rewrite here
// is Kiln's own, for the two kinds of maps element-wise ops have.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_COLLAPSEELEMENTWISEPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// How an operand of a collapsible op reads the iteration space.
enum class Access {
  Whole,    // The identity map: its planes collapse with the loops'.
  Broadcast // It reads no plane dimension: an [N, C, 1, 1] scale, a
            // per-channel [C] one (a batch norm's), or a scalar.
};

/// Whether `expr` is dimension 0 or 1, or the constant 0.
bool isOuterDimOrZero(AffineExpr expr) {
  if (auto dim = dyn_cast<AffineDimExpr>(expr))
    return dim.getPosition() < 2;
  auto constant = dyn_cast<AffineConstantExpr>(expr);
  return constant && constant.getValue() == 0;
}

/// The operands' accesses when `op` is element-wise over at least 4
/// dimensions on identity-layout buffers, its body does not read its
/// indices, and each operand reads the whole
/// iteration space or broadcasts along every plane dimension; nullopt
/// otherwise.
std::optional<SmallVector<Access>> collapsibleAccesses(linalg::GenericOp op) {
  int64_t rank = op.getNumLoops();
  // A body that reads its indices (an average pool's divisor) needs them.
  if (!op.hasPureBufferSemantics() || rank < 4 ||
      op.getNumParallelLoops() != rank || op.hasIndexSemantics())
    return std::nullopt;
  SmallVector<Access> accesses;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    // A scalar input (a fill's value) is read whole at every iteration.
    if (op.isDpsInput(&operand) && !isa<ShapedType>(operand.get().getType()) &&
        map.getNumResults() == 0) {
      accesses.push_back(Access::Broadcast);
      continue;
    }
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getLayout().isIdentity())
      return std::nullopt;
    if (map.isIdentity()) {
      accesses.push_back(Access::Whole);
      continue;
    }
    // The output must be written whole; an input may broadcast, reading
    // dimensions 0 and 1 at most, which the collapsed op keeps.
    if (op.isDpsInit(&operand) ||
        !llvm::all_of(map.getResults(), isOuterDimOrZero))
      return std::nullopt;
    accesses.push_back(Access::Broadcast);
  }
  return accesses;
}

/// Replaces `op` by the same generic over (d0, d1, plane).
void collapse(IRRewriter &rewriter, linalg::GenericOp op,
              ArrayRef<Access> accesses) {
  int64_t rank = op.getNumLoops();
  MLIRContext *context = op.getContext();
  ReassociationIndices plane;
  for (int64_t d = 2; d < rank; ++d)
    plane.push_back(d);
  SmallVector<ReassociationIndices> groups = {{0}, {1}, plane};
  AffineMap identity = AffineMap::getMultiDimIdentityMap(3, context);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (auto [operand, access] : llvm::zip(op->getOpOperands(), accesses)) {
    if (access == Access::Whole) {
      operands.push_back(memref::CollapseShapeOp::create(
          rewriter, op.getLoc(), operand.get(), groups));
      maps.push_back(identity);
      continue;
    }
    // Dimensions 0 and 1 as before, the plane's constant zeros kept.
    AffineMap map = op.getMatchingIndexingMap(&operand);
    operands.push_back(operand.get());
    maps.push_back(AffineMap::get(3, 0, map.getResults(), context));
  }
  int64_t inputs = op.getNumDpsInputs();
  auto collapsed = linalg::GenericOp::create(
      rewriter, op.getLoc(), TypeRange{},
      ArrayRef<Value>(operands).take_front(inputs),
      ArrayRef<Value>(operands).drop_front(inputs), maps,
      SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel));
  collapsed->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(op.getRegion(), collapsed.getRegion(),
                              collapsed.getRegion().begin());
  rewriter.eraseOp(op);
}

struct CollapseElementwisePass
    : public impl::CollapseElementwisePassBase<CollapseElementwisePass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, SmallVector<Access>>> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<SmallVector<Access>> accesses = collapsibleAccesses(op))
        candidates.push_back({op, *accesses});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, accesses] : candidates) {
      rewriter.setInsertionPoint(op);
      collapse(rewriter, op, accesses);
    }
  }
};

} // namespace
} // namespace kiln
