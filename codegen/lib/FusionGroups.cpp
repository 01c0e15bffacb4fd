//===- FusionGroups.cpp - Find the linalg ops of one fused nn op ----------===//
//
// Checks, op by op, that a marked group still has the shape the lowering of
// nn.fused_conv2d / nn.fused_linear gave it. Anything unexpected (an op
// missing or changed by a cleanup, a buffer read from outside) makes the
// match fail, and the ops then run unfused: slower, never wrong.
//
//===----------------------------------------------------------------------===//
#include "FusionGroups.h"

#include "kiln/Dialect/NN/FusionAttrs.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln {

namespace {

/// The single op of `ops` that writes `buffer` (as its DPS init) and is of
/// type OpTy, or null.
template <typename OpTy>
OpTy findWriter(ArrayRef<Operation *> ops, Value buffer) {
  for (Operation *op : ops)
    if (auto typed = dyn_cast<OpTy>(op))
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
          linalgOp && linalgOp.getNumDpsInits() == 1 &&
          linalgOp.getDpsInitOperand(0)->get() == buffer)
        return typed;
  return nullptr;
}

/// The single generic of `ops` reading `buffer` as its only input.
linalg::GenericOp findElementwiseReader(ArrayRef<Operation *> ops,
                                        Value buffer) {
  for (Operation *op : ops)
    if (auto generic = dyn_cast<linalg::GenericOp>(op))
      if (generic.getNumDpsInputs() == 1 && generic.getNumDpsInits() == 1 &&
          generic.getDpsInputOperand(0)->get() == buffer)
        return generic;
  return nullptr;
}

/// Whether every user of `buffer` is in `group`, frees it, or is a reshaped
/// view of it (a grouped convolution's) used only by the group.
bool usedOnlyBy(Value buffer, const llvm::SmallPtrSetImpl<Operation *> &group) {
  return llvm::all_of(buffer.getUsers(), [&](Operation *user) {
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(user))
      return usedOnlyBy(expand.getResult(), group);
    return group.contains(user) || isa<memref::DeallocOp>(user);
  });
}

/// The value `generic` yields when it is element-wise (identity maps, no
/// reduction) and its body holds exactly `operations` ops besides constants
/// and the yield; null otherwise.
Value elementwiseResult(linalg::GenericOp generic, size_t operations) {
  if (!llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }) ||
      generic.getNumReductionLoops() != 0)
    return {};
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  // Constants count for nothing: they may not be hoisted yet.
  size_t computing = llvm::count_if(
      body, [](Operation &op) { return !isa<arith::ConstantOp>(op); });
  if (computing != operations + 1 || yield.getNumOperands() != 1)
    return {};
  return yield.getOperand(0);
}

/// Whether `generic` computes OpTy(x, c) element by element, where x is its
/// input and c the f32 constant `constant` (bit for bit: the fused kernel
/// applies exactly this operation in its place).
template <typename OpTy>
bool isElementwiseWith(linalg::GenericOp generic, float constant) {
  Value result = elementwiseResult(generic, 1);
  Block &body = generic.getRegion().front();
  auto op = result ? result.getDefiningOp<OpTy>() : OpTy();
  APFloat value(0.0f);
  return op && op.getLhs() == body.getArgument(0) &&
         matchPattern(op.getRhs(), m_ConstantFloat(&value)) &&
         value.bitwiseIsEqual(APFloat(constant));
}

/// Whether `generic` is element-wise min(max(x, lo), hi) on its one input,
/// an infinite bound left out (nn.clamp's lowering), with the bounds as f32
/// bit for bit.
bool isClampWith(linalg::GenericOp generic, float lo, float hi) {
  // Walks back from the yielded value: the min by hi, then the max by lo.
  Value value = elementwiseResult(generic, !std::isinf(lo) + !std::isinf(hi));
  if (!value)
    return false;
  auto step = [&](auto op, float bound) {
    APFloat constant(0.0f);
    if (!op || !matchPattern(op.getRhs(), m_ConstantFloat(&constant)) ||
        !constant.bitwiseIsEqual(APFloat(bound)))
      return false;
    value = op.getLhs();
    return true;
  };
  if (!std::isinf(hi) && !step(value.getDefiningOp<arith::MinimumFOp>(), hi))
    return false;
  if (!std::isinf(lo) && !step(value.getDefiningOp<arith::MaximumFOp>(), lo))
    return false;
  return value == generic.getRegion().front().getArgument(0);
}

/// Whether `generic` is element-wise x * min(max(x + 3, 0), 6) / 6 on its
/// one input, in that order of operations (nn.hard_swish's lowering).
bool isHardSwish(linalg::GenericOp generic) {
  // Walks back from the yielded value: (x * clamp(x + 3, 0, 6)) / 6.
  Value value = elementwiseResult(generic, 5);
  if (!value)
    return false;
  Value x = generic.getRegion().front().getArgument(0);
  auto isConstant = [](Value v, float expected) {
    APFloat constant(0.0f);
    return matchPattern(v, m_ConstantFloat(&constant)) &&
           constant.bitwiseIsEqual(APFloat(expected));
  };
  auto div = value.getDefiningOp<arith::DivFOp>();
  if (!div || !isConstant(div.getRhs(), 6.0f))
    return false;
  auto mul = div.getLhs().getDefiningOp<arith::MulFOp>();
  if (!mul || mul.getLhs() != x)
    return false;
  auto min = mul.getRhs().getDefiningOp<arith::MinimumFOp>();
  if (!min || !isConstant(min.getRhs(), 6.0f))
    return false;
  auto max = min.getLhs().getDefiningOp<arith::MaximumFOp>();
  if (!max || !isConstant(max.getRhs(), 0.0f))
    return false;
  auto add = max.getLhs().getDefiningOp<arith::AddFOp>();
  return add && add.getLhs() == x && isConstant(add.getRhs(), 3.0f);
}

/// Whether `generic` is element-wise x * (1 / (1 + exp(-x))) on its one
/// input, in that order of operations (createSiLU's).
bool isSiLU(linalg::GenericOp generic) {
  // Walks back from the yielded value: x * (1 / (1 + exp(-x))).
  Value value = elementwiseResult(generic, 5);
  if (!value)
    return false;
  Value x = generic.getRegion().front().getArgument(0);
  auto isOne = [](Value v) {
    APFloat constant(0.0f);
    return matchPattern(v, m_ConstantFloat(&constant)) &&
           constant.bitwiseIsEqual(APFloat(1.0f));
  };
  auto mul = value.getDefiningOp<arith::MulFOp>();
  if (!mul || mul.getLhs() != x)
    return false;
  auto div = mul.getRhs().getDefiningOp<arith::DivFOp>();
  if (!div || !isOne(div.getLhs()))
    return false;
  // Canonicalization moves the 1 of 1 + exp(-x) to the right.
  auto add = div.getRhs().getDefiningOp<arith::AddFOp>();
  if (!add || !(isOne(add.getLhs()) || isOne(add.getRhs())))
    return false;
  auto exp = (isOne(add.getLhs()) ? add.getRhs() : add.getLhs())
                 .getDefiningOp<math::ExpOp>();
  auto neg =
      exp ? exp.getOperand().getDefiningOp<arith::NegFOp>() : arith::NegFOp();
  return neg && neg.getOperand() == x;
}

/// Whether `values` (a strides or dilations attribute) holds exactly
/// `expected`.
bool hasValues(DenseIntElementsAttr values, ArrayRef<int64_t> expected) {
  return values && llvm::equal(values.getValues<int64_t>(), expected);
}

bool isDenseF32(Value value, int64_t rank) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.hasStaticShape() && type.getLayout().isIdentity() &&
         type.getElementType().isF32() && type.getRank() == rank;
}

/// Whether `broadcast` spreads a dense 1-D bias over the channel (NCHW,
/// `rank` 4) or feature (NF, `rank` 2) dimension of an anchor's output.
bool isBiasBroadcast(linalg::BroadcastOp broadcast, int64_t rank) {
  SmallVector<int64_t> broadcastDims =
      rank == 4 ? SmallVector<int64_t>{0, 2, 3} : SmallVector<int64_t>{0};
  return isDenseF32(broadcast.getInput(), 1) &&
         broadcast.getDimensions() == ArrayRef<int64_t>(broadcastDims);
}

/// The bias broadcast an unmarked convolution or matmul accumulates onto
/// (an nn.conv2d or nn.linear that nothing was fused with), as a group of
/// its own with no activation and no pooling: the kernels then start their
/// sums from the bias in registers, and the broadcast, a pass over the
/// whole output, goes away. Nothing may touch the output (or a view of it)
/// between the broadcast and the anchor.
FailureOr<FusionGroup> matchBiasGroup(linalg::LinalgOp anchor) {
  if (anchor.getNumDpsInits() != 1)
    return failure();
  Value accumulator = anchor.getDpsInitOperand(0)->get();
  if (auto expand = accumulator.getDefiningOp<memref::ExpandShapeOp>())
    accumulator = expand.getSrc();
  auto type = dyn_cast<MemRefType>(accumulator.getType());
  if (!type || (type.getRank() != 4 && type.getRank() != 2) ||
      !isDenseF32(accumulator, type.getRank()))
    return failure();
  linalg::BroadcastOp broadcast;
  for (Operation *user : accumulator.getUsers())
    if (auto candidate = dyn_cast<linalg::BroadcastOp>(user);
        candidate && candidate.getInit() == accumulator &&
        candidate->getBlock() == anchor->getBlock() &&
        candidate->isBeforeInBlock(anchor) &&
        (!broadcast || broadcast->isBeforeInBlock(candidate)))
      broadcast = candidate;
  if (!broadcast || !isBiasBroadcast(broadcast, type.getRank()))
    return failure();
  // Every other use of the output, through reshaped views too, is before
  // the broadcast or after the anchor.
  SmallVector<Value> views = {accumulator};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (Operation *user : view.getUsers()) {
      if (user == broadcast || user == anchor || isa<memref::DeallocOp>(user))
        continue;
      if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(user)) {
        views.push_back(user->getResult(0));
        continue;
      }
      Operation *ancestor = anchor->getBlock()->findAncestorOpInBlock(*user);
      if (!ancestor || (broadcast->isBeforeInBlock(ancestor) &&
                        ancestor->isBeforeInBlock(anchor)))
        return failure();
    }
  }
  FusionGroup group;
  group.bias = broadcast.getInput();
  group.result = accumulator;
  group.ops = {broadcast, anchor};
  return group;
}

} // namespace

FailureOr<FusionGroup> matchFusionGroup(linalg::LinalgOp anchor) {
  auto groupAttr = anchor->getAttrOfType<IntegerAttr>(nn::kFusionGroupAttrName);
  auto epilogue = anchor->getAttrOfType<DictionaryAttr>(nn::kEpilogueAttrName);
  if (!groupAttr && !epilogue)
    return matchBiasGroup(anchor);
  if (!groupAttr || !epilogue || anchor.getNumDpsInits() != 1)
    return failure();

  FusionGroup group;
  for (Operation &op : *anchor->getBlock())
    if (op.getAttr(nn::kFusionGroupAttrName) == groupAttr)
      group.ops.push_back(&op);
  llvm::SmallPtrSet<Operation *, 8> members(group.ops.begin(), group.ops.end());
  size_t expected = 1; // The anchor.

  // The anchor's output starts as the bias broadcast or zeros.
  Value accumulator = anchor.getDpsInitOperand(0)->get();
  // A grouped convolution writes a [N, G, C/G, H, W] view of the group's
  // [N, C, H, W] buffer, which the group's other ops use.
  Value anchorView = accumulator;
  if (auto expand = accumulator.getDefiningOp<memref::ExpandShapeOp>())
    accumulator = expand.getSrc();
  int64_t rank = cast<MemRefType>(accumulator.getType()).getRank();
  if (!isDenseF32(accumulator, rank))
    return failure();
  if (auto broadcast =
          findWriter<linalg::BroadcastOp>(group.ops, accumulator)) {
    if (!isBiasBroadcast(broadcast, rank))
      return failure();
    group.bias = broadcast.getInput();
  } else if (auto fill = findWriter<linalg::FillOp>(group.ops, accumulator)) {
    if (!matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
      return failure();
  } else {
    return failure();
  }
  ++expected;
  Value current = accumulator;

  // ReLU is the clamp to [0, +inf): max(x, 0) alone.
  if (epilogue.get("relu"))
    group.activation =
        nn::Activation::clamp(0.0, std::numeric_limits<double>::infinity());
  else if (auto bounds = epilogue.getAs<DenseF32ArrayAttr>("clamp")) {
    if (bounds.size() != 2)
      return failure();
    group.activation = nn::Activation::clamp(bounds[0], bounds[1]);
  } else if (epilogue.get("hardswish") || epilogue.get("silu")) {
    // Not monotonic: it must come after any max, never before.
    if (epilogue.get("pool"))
      return failure();
    group.activation = epilogue.get("silu") ? nn::Activation::silu()
                                            : nn::Activation::hardSwish();
  }
  if (group.activation) {
    linalg::GenericOp activation = findElementwiseReader(group.ops, current);
    auto computesActivation = [&] {
      switch (group.activation->kind) {
      case nn::Activation::Kind::Clamp:
        return isClampWith(activation, group.activation->lo,
                           group.activation->hi);
      case nn::Activation::Kind::HardSwish:
        return isHardSwish(activation);
      case nn::Activation::Kind::SiLU:
        return isSiLU(activation);
      }
      llvm_unreachable("unknown activation");
    };
    if (!activation || !computesActivation())
      return failure();
    current = activation.getDpsInitOperand(0)->get();
    ++expected;
  }

  if (auto pool = epilogue.getAs<StringAttr>("pool")) {
    auto kernel = epilogue.getAs<DenseI64ArrayAttr>("pool_kernel");
    auto stride = epilogue.getAs<DenseI64ArrayAttr>("pool_stride");
    if (rank != 4 || !kernel || !stride || kernel.size() != 2 ||
        stride.size() != 2)
      return failure();
    group.pool = pool.getValue();
    // The kernel computes the pooling the epilogue describes: it must be
    // the one the pooling op computes, with windows inside the convolution.
    auto convType = dyn_cast<MemRefType>(current.getType());
    if (!convType || convType.getRank() != 4)
      return failure();
    ArrayRef<int64_t> conv = convType.getShape();
    for (int i = 0; i < 2; ++i) {
      if (kernel[i] <= 0 || stride[i] <= 0 || kernel[i] > conv[2 + i])
        return failure();
      group.poolKernel[i] = kernel[i];
      group.poolStride[i] = stride[i];
    }
    // The pooling op reads the activation; its output starts as a fill.
    Operation *poolOp = nullptr;
    for (Operation *op : group.ops)
      if ((group.pool == "max" && isa<linalg::PoolingNchwMaxOp>(op)) ||
          (group.pool == "avg" && isa<linalg::PoolingNchwSumOp>(op)))
        poolOp = op;
    auto pooling = dyn_cast_or_null<linalg::LinalgOp>(poolOp);
    if (!pooling || pooling.getDpsInputOperand(0)->get() != current)
      return failure();
    auto window =
        dyn_cast<MemRefType>(pooling.getDpsInputOperand(1)->get().getType());
    auto strides = poolOp->getAttrOfType<DenseIntElementsAttr>("strides");
    auto dilations = poolOp->getAttrOfType<DenseIntElementsAttr>("dilations");
    if (!window || window.getShape() != kernel.asArrayRef() ||
        !hasValues(strides, stride.asArrayRef()) ||
        !hasValues(dilations, {1, 1}))
      return failure();
    Value pooled = pooling.getDpsInitOperand(0)->get();
    auto pooledType = dyn_cast<MemRefType>(pooled.getType());
    if (!pooledType || pooledType.getRank() != 4)
      return failure();
    for (int i = 0; i < 2; ++i)
      if (pooledType.getDimSize(2 + i) !=
          (conv[2 + i] - kernel[i]) / stride[i] + 1)
        return failure();
    auto fill = findWriter<linalg::FillOp>(group.ops, pooled);
    float start =
        group.pool == "max" ? -std::numeric_limits<float>::infinity() : 0.0f;
    APFloat value(0.0f);
    if (!fill || !matchPattern(fill.getInputs()[0], m_ConstantFloat(&value)) ||
        !value.bitwiseIsEqual(APFloat(start)))
      return failure();
    expected += 2;
    current = pooled;
    if (group.pool == "avg") {
      linalg::GenericOp divide = findElementwiseReader(group.ops, current);
      if (!divide || !isElementwiseWith<arith::DivFOp>(
                         divide, float(kernel[0] * kernel[1])))
        return failure();
      current = divide.getDpsInitOperand(0)->get();
      ++expected;
    }
  }

  if (group.ops.size() != expected || !isDenseF32(current, rank))
    return failure();
  group.result = current;
  // Every buffer the group writes, but the result, is private to it.
  for (Operation *op : group.ops) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      return failure();
    for (Value written : linalgOp.getDpsInits()) {
      if (written == anchorView)
        written = accumulator;
      if (written != current && (!written.getDefiningOp<memref::AllocOp>() ||
                                 !usedOnlyBy(written, members)))
        return failure();
    }
  }
  return group;
}

} // namespace kiln
