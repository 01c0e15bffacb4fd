//===- InstrumentLayers.cpp - kiln-instrument-layers ----------------------===//
//
// Marks where each layer of the entry function starts with a call into the
// runtime's profiler (runtime/lib/profile.c).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/Support/Path.h"

namespace kiln {
#define GEN_PASS_DEF_INSTRUMENTLAYERSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {

std::string layerLabel(DictionaryAttr layer) {
  std::string label;
  llvm::raw_string_ostream os(label);
  if (auto loc = layer.getAs<LocationAttr>("loc")) {
    Location location(loc);
    if (auto fileLoc = location->findInstanceOf<FileLineColLoc>()) {
      os << llvm::sys::path::filename(fileLoc.getFilename().getValue()) << ":";
      // An ONNX node sits at line 0 of its model: its name says more (the
      // first node's, for a layer fused from several).
      NameLoc node = fileLoc.getLine() == 0
                         ? location->findInstanceOf<NameLoc>()
                         : NameLoc();
      if (node)
        os << node.getName().getValue() << " ";
      else
        os << fileLoc.getLine() << " ";
    }
  }
  if (auto name = layer.getAs<StringAttr>("name"))
    os << name.getValue();
  return label;
}

namespace {

/// Ops that take no time worth attributing to a layer of their own.
bool computesNothing(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<ViewLikeOpInterface, memref::AllocOp, memref::AllocaOp,
             memref::DeallocOp, memref::GetGlobalOp>(op);
}

struct InstrumentLayersPass
    : public impl::InstrumentLayersPassBase<InstrumentLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto layers = module->getAttrOfType<ArrayAttr>(kLayersAttrName);
    auto func = module.lookupSymbol<func::FuncOp>(entryName);
    if (!layers || !func || func.isExternal())
      return;

    // Each layer's location becomes part of its name ("FILE:LINE kind", the
    // file without folders, a fused layer's first line; "FILE:NODE kind" for
    // an ONNX model): the object emitter
    // needs no more, and the IR from here on prints no locations.
    DenseMap<Attribute, int64_t> layerOfLoc;
    SmallVector<Attribute> labelled;
    Builder attrs(&getContext());
    for (auto [index, layer] : llvm::enumerate(layers)) {
      auto dict = dyn_cast<DictionaryAttr>(layer);
      if (!dict)
        continue;
      if (auto loc = dict.getAs<LocationAttr>("loc"))
        layerOfLoc.try_emplace(loc, index);
      labelled.push_back(attrs.getDictionaryAttr(
          {attrs.getNamedAttr("name", attrs.getStringAttr(layerLabel(dict))),
           attrs.getNamedAttr("flops", dict.get("flops")
                                           ? dict.get("flops")
                                           : attrs.getI64IntegerAttr(0))}));
    }
    module->setAttr(kLayersAttrName, attrs.getArrayAttr(labelled));

    OpBuilder builder(&getContext());
    builder.setInsertionPointToEnd(module.getBody());
    auto profileType =
        builder.getFunctionType({builder.getI64Type()}, /*results=*/{});
    auto callee = module.lookupSymbol<func::FuncOp>(kProfileLayerFunction);
    if (!callee) {
      callee = func::FuncOp::create(builder, module.getLoc(),
                                    kProfileLayerFunction, profileType);
      callee.setPrivate();
    } else if (callee.getFunctionType() != profileType) {
      callee.emitError() << "@" << kProfileLayerFunction
                         << " is reserved for the runtime's profiler";
      return signalPassFailure();
    }

    auto mark = [&](Operation *before, int64_t layer) {
      builder.setInsertionPoint(before);
      Value index = arith::ConstantIntOp::create(builder, before->getLoc(),
                                                 layer, /*width=*/64);
      func::CallOp::create(builder, before->getLoc(), callee,
                           ValueRange{index});
    };
    Block &entry = func.getBody().front();
    int64_t current = -1;
    for (Operation &op : llvm::make_early_inc_range(entry)) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        mark(&op, -1);
        break;
      }
      if (computesNothing(&op))
        continue;
      auto found = layerOfLoc.find(op.getLoc());
      if (found == layerOfLoc.end() || found->second == current)
        continue;
      current = found->second;
      mark(&op, current);
    }
  }
};

} // namespace
} // namespace kiln
