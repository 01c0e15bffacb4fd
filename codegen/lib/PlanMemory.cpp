//===- PlanMemory.cpp - kiln-plan-memory ----------------------------------===//
//
// Static memory planning: the entry function's intermediate buffers become
// views of one caller-provided workspace, placed by live interval so that
// buffers that are never live at the same time share bytes. A buffer copied
// whole to or from a contiguous slice of another is placed in the slice
// instead, and the copy goes away (SliceCopies.cpp); an element-wise result
// is placed over the input it consumes (InPlaceElementwise.cpp).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "MemoryPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "kiln/Codegen/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Bytes of a statically shaped memref with a byte-sized element type, or
/// nothing when it cannot be planned.
std::optional<int64_t> getPlannableBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace())
    return std::nullopt;
  unsigned bits = type.getElementTypeBitWidth();
  if (bits == 0 || bits % 8 != 0)
    return std::nullopt;
  // The dialect's verifiers bound every tensor far below 2^62 bytes.
  return type.getNumElements() * (bits / 8);
}

/// Places `buffers` greedily, largest first, each at the lowest offset that
/// is a multiple of `alignment` and free of the buffers already placed that
/// are live at the same time. Returns the workspace size.
int64_t placeBuffers(MutableArrayRef<PlannedBuffer> buffers,
                     int64_t alignment) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &buffer : buffers)
    if (!buffer.container)
      order.push_back(&buffer);
  // Allocations sit at distinct positions, so this order is total.
  llvm::sort(order, [](const PlannedBuffer *a, const PlannedBuffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes
                                : a->firstUse < b->firstUse;
  });

  int64_t workspaceBytes = 0;
  SmallVector<PlannedBuffer *> placed;
  for (PlannedBuffer *buffer : order) {
    SmallVector<std::pair<int64_t, int64_t>> taken; // [begin, end)
    for (PlannedBuffer *other : placed)
      if (buffer->liveTogetherWith(*other))
        taken.push_back({other->offset, other->offset + other->bytes});
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + buffer->bytes <= begin)
        break;
      offset = std::max<int64_t>(offset, llvm::alignTo(end, alignment));
    }
    buffer->offset = offset;
    workspaceBytes = std::max<int64_t>(
        workspaceBytes, llvm::alignTo(offset + buffer->bytes, alignment));
    placed.push_back(buffer);
  }
  for (PlannedBuffer &buffer : buffers)
    if (buffer.container)
      buffer.offset =
          buffers[*buffer.container].offset + buffer.offsetInContainer;
  return workspaceBytes;
}

struct PlanMemoryPass : public impl::PlanMemoryPassBase<PlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func = getEntryFunction(module, entryName);
    if (!func)
      return signalPassFailure();
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment)) {
      func.emitError("kiln-plan-memory: alignment must be a power of two, "
                     "not ")
          << int64_t(alignment);
      return signalPassFailure();
    }
    Block &entry = func.getBody().front();

    // Buffers nothing uses any more (e.g. the intermediate results of a
    // fused group, computed in registers) need no room at all.
    for (auto alloc :
         llvm::make_early_inc_range(entry.getOps<memref::AllocOp>())) {
      if (!llvm::all_of(alloc->getUsers(), llvm::IsaPred<memref::DeallocOp>))
        continue;
      for (Operation *dealloc : llvm::make_early_inc_range(alloc->getUsers()))
        dealloc->erase();
      alloc->erase();
    }

    DenseMap<Operation *, int64_t> position;
    for (auto [index, op] : llvm::enumerate(entry))
      position[&op] = index;

    BufferViewFlowAnalysis aliases(func);
    SmallVector<PlannedBuffer> buffers;
    for (auto alloc : entry.getOps<memref::AllocOp>()) {
      std::optional<int64_t> bytes = getPlannableBytes(alloc.getType());
      if (!bytes)
        continue;
      PlannedBuffer buffer;
      buffer.alloc = alloc;
      buffer.bytes = *bytes;
      buffer.firstUse = buffer.lastUse = position[alloc];
      for (Value alias : aliases.resolve(alloc.getResult())) {
        for (Operation *user : alias.getUsers()) {
          if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
            buffer.deallocs.push_back(dealloc);
            continue;
          }
          Operation *ancestor = entry.findAncestorOpInBlock(*user);
          if (ancestor)
            buffer.lastUse = std::max(buffer.lastUse, position[ancestor]);
        }
      }
      buffers.push_back(std::move(buffer));
    }

    SmallVector<SliceCopy> elided =
        placeBuffersInSlices(entry, buffers, position, aliases, alignment);
    placeElementwiseInPlace(entry, buffers, position, aliases);
    int64_t workspaceBytes = placeBuffers(buffers, alignment);
    if (report)
      printReport(func, buffers, workspaceBytes);

    MLIRContext *context = &getContext();
    auto workspaceType =
        MemRefType::get({workspaceBytes}, IntegerType::get(context, 8));
    if (failed(func.insertArgument(func.getNumArguments(), workspaceType,
                                   /*argAttrs=*/nullptr, func.getLoc())))
      return signalPassFailure();
    Value workspace = func.getArgument(func.getNumArguments() - 1);

    // One constant per distinct offset, at the top of the function (a fresh
    // builder each time: the op it would insert before may be an erased
    // allocation by then).
    DenseMap<int64_t, Value> offsets;
    for (PlannedBuffer &buffer : buffers) {
      Value &offset = offsets[buffer.offset];
      if (!offset) {
        OpBuilder constants = OpBuilder::atBlockBegin(&entry);
        offset = arith::ConstantIndexOp::create(constants, func.getLoc(),
                                                buffer.offset);
      }
      OpBuilder builder(buffer.alloc);
      Value view = memref::ViewOp::create(builder, buffer.alloc.getLoc(),
                                          buffer.alloc.getType(), workspace,
                                          offset, /*sizes=*/ValueRange());
      for (memref::DeallocOp dealloc : buffer.deallocs)
        dealloc.erase();
      buffer.alloc.replaceAllUsesWith(view);
      buffer.alloc.erase();
    }
    for (SliceCopy &copy : elided) {
      copy.copy.erase();
      if (copy.slice->use_empty())
        copy.slice.erase();
    }
    module->setAttr(
        kWorkspaceBytesAttrName,
        IntegerAttr::get(IntegerType::get(context, 64), workspaceBytes));
  }

  /// One line per buffer in allocation order (where it comes from, its
  /// shape, size, offset and live interval), then the totals.
  static void printReport(func::FuncOp func, ArrayRef<PlannedBuffer> buffers,
                          int64_t workspaceBytes) {
    llvm::raw_ostream &os = llvm::errs();
    int64_t separateBytes = 0;
    os << "memory plan of @" << func.getSymName() << ":\n";
    for (PlannedBuffer buffer : buffers) {
      separateBytes += buffer.bytes;
      std::string where;
      llvm::raw_string_ostream whereStream(where);
      // A fused layer's location names all its lines; show the first.
      if (auto fileLoc =
              buffer.alloc.getLoc()->findInstanceOf<FileLineColLoc>())
        whereStream << fileLoc.getFilename().getValue() << ":"
                    << fileLoc.getLine();
      else
        whereStream << "-";
      std::string type;
      llvm::raw_string_ostream typeStream(type);
      buffer.alloc.getType().print(typeStream);
      os << llvm::formatv("  {0,-28} {1,-32} {2,12} bytes at {3,12}, "
                          "live in ops [{4}, {5}]\n",
                          where, type, buffer.bytes, buffer.offset,
                          buffer.firstUse, buffer.lastUse);
    }
    os << llvm::formatv("  {0} buffers, {1} bytes if allocated separately; "
                        "workspace (peak activation memory): {2} bytes\n",
                        buffers.size(), separateBytes, workspaceBytes);
  }
};

} // namespace
} // namespace kiln
