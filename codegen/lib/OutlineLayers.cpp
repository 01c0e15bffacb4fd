//===- OutlineLayers.cpp - kiln-outline-layers ----------------------------===//
//
// Moves each layer of the planned entry function into a function of its
// own (see the pass's description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"

#include <optional>

namespace kiln {
#define GEN_PASS_DEF_OUTLINELAYERSPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// The layer index of a `call @kiln_profile_layer(i)`, if `op` is one.
std::optional<int64_t> getProfiledLayer(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  if (!call || call.getCallee() != kProfileLayerFunction ||
      call.getNumOperands() != 1)
    return std::nullopt;
  auto index = call.getOperand(0).getDefiningOp<arith::ConstantIntOp>();
  if (!index)
    return std::nullopt;
  return index.value();
}

/// Ops that may be cloned into each layer that uses them: they compute a
/// value (a constant, a view, a global's address) without touching memory.
bool isCloneable(Operation *op) {
  return op->getNumRegions() == 0 && isPure(op);
}

/// Whether every argument of `entry` becomes a bare pointer (a statically
/// shaped memref of identity layout) and nothing in it allocates: the form
/// kiln-plan-memory leaves.
bool isPlanned(func::FuncOp entry) {
  Block &body = entry.front();
  for (BlockArgument arg : body.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
      return false;
  }
  return llvm::none_of(body, [](Operation &op) {
    return isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp>(op);
  });
}

struct OutlineLayersPass
    : public impl::OutlineLayersPassBase<OutlineLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal() || !entry.getBody().hasOneBlock() ||
        !isPlanned(entry))
      return;
    auto layers = module->getAttrOfType<ArrayAttr>(kLayersAttrName);

    // The ops that compute, layer by layer: those after each profiler call.
    struct Layer {
      int64_t index;
      SmallVector<Operation *> ops;
    };
    SmallVector<Layer> found;
    for (Operation &op : entry.front().without_terminator()) {
      if (std::optional<int64_t> index = getProfiledLayer(&op)) {
        found.push_back({*index, {}});
        continue;
      }
      if (!found.empty() && !isCloneable(&op))
        found.back().ops.push_back(&op);
    }

    SymbolTable symbols(module);
    for (Layer &layer : found) {
      if (layer.ops.empty() || layer.index < 0)
        continue;
      StringAttr label;
      if (layers && layer.index < int64_t(layers.size()))
        if (auto dict = dyn_cast<DictionaryAttr>(layers[layer.index]))
          label = dict.getAs<StringAttr>("name");
      outline(entry, layer.index, label, layer.ops, symbols);
    }
    // The views and constants only the moved layers used.
    for (Operation &op :
         llvm::make_early_inc_range(llvm::reverse(entry.front())))
      if (op.getNumResults() > 0 && isCloneable(&op) && op.use_empty())
        op.erase();
  }

  /// Moves `ops` (in the entry block, in order) into a new function called
  /// where the last of them was, unless they use a value that is neither
  /// an argument of the entry nor made by cloneable ops, or another op
  /// uses their results.
  void outline(func::FuncOp entry, int64_t index, StringAttr label,
               ArrayRef<Operation *> ops, SymbolTable &symbols) {
    Block &body = entry.front();
    llvm::SmallPtrSet<Operation *, 16> moved(ops.begin(), ops.end());
    for (Operation *op : ops)
      for (Operation *user : op->getUsers())
        if (!moved.contains(body.findAncestorOpInBlock(*user)))
          return;

    // What the layer needs from the entry: its arguments, and the
    // cloneable ops that make the other values, operands before users.
    llvm::SetVector<Operation *> clones;
    std::function<bool(Value)> collect = [&](Value value) {
      if (auto arg = dyn_cast<BlockArgument>(value))
        return arg.getOwner() == &body;
      Operation *def = value.getDefiningOp();
      if (moved.contains(def) || clones.contains(def))
        return true;
      if (def->getBlock() != &body || !isCloneable(def))
        return false;
      for (Value operand : def->getOperands())
        if (!collect(operand))
          return false;
      clones.insert(def);
      return true;
    };
    for (Operation *op : ops) {
      for (Value operand : op->getOperands())
        if (!collect(operand))
          return;
      bool usable = true;
      visitUsedValuesDefinedAbove(op->getRegions(), [&](OpOperand *use) {
        usable = usable && collect(use->get());
      });
      if (!usable)
        return;
    }

    MLIRContext *context = &getContext();
    OpBuilder builder(context);
    builder.setInsertionPointAfter(entry);
    Location loc = ops.front()->getLoc();
    auto type = FunctionType::get(context, body.getArgumentTypes(), {});
    auto function = func::FuncOp::create(
        builder, loc, (entryName + "_layer" + Twine(index)).str(), type);
    function.setPrivate();
    symbols.insert(function);
    // One call per inference: inlined back, the entry would again be one
    // long function.
    // (func.func's own no_inline does not survive func-to-llvm; LLVM's
    // passthrough attributes do.)
    function->setAttr("passthrough",
                      builder.getArrayAttr(builder.getStringAttr("noinline")));
    if (label)
      function->setAttr("kiln.layer", label);
    // The entry's arguments are distinct buffers (kiln_forward's contract).
    for (unsigned i = 0; i < body.getNumArguments(); ++i)
      function.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                          UnitAttr::get(context));

    Block *block = function.addEntryBlock();
    IRMapping mapping;
    mapping.map(body.getArguments(), block->getArguments());
    builder.setInsertionPointToStart(block);
    for (Operation *clone : clones)
      builder.clone(*clone, mapping);
    auto terminator = func::ReturnOp::create(builder, loc);

    builder.setInsertionPointAfter(ops.back());
    func::CallOp::create(builder, loc, function, body.getArguments());
    for (Operation *op : ops) {
      op->moveBefore(terminator);
      op->walk([&](Operation *nested) {
        for (OpOperand &operand : nested->getOpOperands())
          if (Value replacement = mapping.lookupOrNull(operand.get()))
            operand.set(replacement);
      });
    }
  }
};

} // namespace
} // namespace kiln
