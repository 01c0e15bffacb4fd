//===- RecordLayers.cpp - kiln-record-layers ------------------------------===//
//
// Lists the entry function's layers with their FLOPs as a module attribute,
// for the per-layer profile of compiled models.
//
//===----------------------------------------------------------------------===//
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/Support/MathExtras.h"

namespace kiln {
#define GEN_PASS_DEF_RECORDLAYERSPASS
#include "kiln/Passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// a * b, saturating: FLOPs are only reported, and an absurd size must not
/// overflow.
int64_t mul(int64_t a, int64_t b) {
  bool overflow = false;
  uint64_t product = llvm::SaturatingMultiply<uint64_t>(a, b, &overflow);
  return overflow || product > uint64_t(INT64_MAX) ? INT64_MAX
                                                   : int64_t(product);
}

int64_t numElements(Value value) {
  return cast<ShapedType>(value.getType()).getNumElements();
}

/// 2 * output elements * multiply-adds per output element.
int64_t convolutionFlops(ArrayRef<int64_t> convShape, Value weight) {
  ArrayRef<int64_t> w = cast<ShapedType>(weight.getType()).getShape();
  int64_t flops = 2;
  for (int64_t size : {convShape[0], convShape[1], convShape[2], convShape[3],
                       w[1], w[2], w[3]})
    flops = mul(flops, size);
  return flops;
}

/// The name and FLOPs of one nn op; pools and element-wise layers count one
/// operation per window cell or element.
std::pair<std::string, int64_t> describe(Operation *op) {
  std::string name = op->getName().stripDialect().str();
  Value result = op->getResult(0);
  if (auto conv = dyn_cast<nn::Conv2DOp>(op))
    return {name, convolutionFlops(cast<ShapedType>(conv.getType()).getShape(),
                                   conv.getWeight())};
  if (auto fused = dyn_cast<nn::FusedConv2DOp>(op)) {
    SmallVector<int64_t, 4> convShape = fused.getConvolutionShape();
    int64_t flops = convolutionFlops(convShape, fused.getWeight());
    name = "conv2d";
    if (fused.getRelu())
      name += "+relu";
    else if (fused.getClamp())
      name += "+clamp";
    else if (fused.getHardswish())
      name += "+hard_swish";
    else if (fused.getSilu())
      name += "+silu";
    if (std::optional<StringRef> pool = fused.getPool()) {
      name += "+" + pool->str() + "_pool2d";
      int64_t poolFlops =
          mul(mul(numElements(result), (*fused.getPoolKernel())[0]),
              (*fused.getPoolKernel())[1]);
      flops = poolFlops > INT64_MAX - flops ? INT64_MAX : flops + poolFlops;
    }
    return {name, flops};
  }
  if (auto conv = dyn_cast<nn::ConvTranspose2DOp>(op)) {
    // Each input element scatters into out/groups x kh x kw outputs.
    ArrayRef<int64_t> w =
        cast<ShapedType>(conv.getWeight().getType()).getShape();
    int64_t flops = mul(2, numElements(conv.getInput()));
    for (int64_t size : {w[1], w[2], w[3]})
      flops = mul(flops, size);
    return {name, flops};
  }
  auto linearFlops = [&](Value weight) {
    return mul(mul(2, numElements(result)),
               cast<ShapedType>(weight.getType()).getShape()[1]);
  };
  if (auto linear = dyn_cast<nn::LinearOp>(op))
    return {name, linearFlops(linear.getWeight())};
  if (auto fused = dyn_cast<nn::FusedLinearOp>(op))
    return {fused.getRelu() ? "linear+relu" : "linear",
            linearFlops(fused.getWeight())};
  if (auto pool = dyn_cast<nn::MaxPool2DOp>(op))
    return {name, mul(mul(numElements(result), pool.getKernel()[0]),
                      pool.getKernel()[1])};
  if (auto pool = dyn_cast<nn::AvgPool2DOp>(op))
    return {name, mul(mul(numElements(result), pool.getKernel()[0]),
                      pool.getKernel()[1])};
  return {name, numElements(result)};
}

struct RecordLayersPass
    : public kiln::impl::RecordLayersPassBase<RecordLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(entryName);
    if (!func || func.isExternal())
      return; // kiln-record-model-signature reports it.
    Builder b(&getContext());
    SmallVector<Attribute> layers;
    func.walk([&](Operation *op) {
      if (!isa<nn::NNDialect>(op->getDialect()) || op->getNumResults() != 1 ||
          !isa<ShapedType>(op->getResult(0).getType()) ||
          !cast<ShapedType>(op->getResult(0).getType()).hasStaticShape())
        return;
      auto [name, flops] = describe(op);
      layers.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", b.getStringAttr(name)),
           b.getNamedAttr("loc", op->getLoc()),
           b.getNamedAttr("flops", b.getI64IntegerAttr(flops))}));
    });
    module->setAttr("kiln.layers", b.getArrayAttr(layers));
  }
};

} // namespace
