//===- PlanMemory.cpp - kiln-plan-memory ----------------------------------===//
//
// Static memory planning: the entry function's intermediate buffers become
// views of one caller-provided workspace, placed by live interval so that
// buffers that are never live at the same time share bytes. A buffer copied
// whole into a contiguous slice of another (a concatenation's input) is
// placed in that slice instead, and the copy goes away.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
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

/// One buffer to place: its allocation, size and live interval, as indices of
/// ops in the entry block (both ends inclusive).
struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t firstUse = 0;
  int64_t lastUse = 0;
  int64_t offset = -1;
  SmallVector<memref::DeallocOp> deallocs;
  // Set when the buffer lives in a slice of buffer `container` (an index
  // into the same list), `offsetInContainer` bytes in: it takes no room of
  // its own.
  std::optional<size_t> container;
  int64_t offsetInContainer = 0;

  bool liveTogetherWith(const Buffer &other) const {
    return firstUse <= other.lastUse && other.firstUse <= lastUse;
  }
};

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
int64_t placeBuffers(MutableArrayRef<Buffer> buffers, int64_t alignment) {
  SmallVector<Buffer *> order;
  for (Buffer &buffer : buffers)
    if (!buffer.container)
      order.push_back(&buffer);
  // Allocations sit at distinct positions, so this order is total.
  llvm::sort(order, [](const Buffer *a, const Buffer *b) {
    return a->bytes != b->bytes ? a->bytes > b->bytes
                                : a->firstUse < b->firstUse;
  });

  int64_t workspaceBytes = 0;
  SmallVector<Buffer *> placed;
  for (Buffer *buffer : order) {
    SmallVector<std::pair<int64_t, int64_t>> taken; // [begin, end)
    for (Buffer *other : placed)
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
  for (Buffer &buffer : buffers)
    if (buffer.container)
      buffer.offset =
          buffers[*buffer.container].offset + buffer.offsetInContainer;
  return workspaceBytes;
}

/// The elements [begin, end) that a statically strided view spans within
/// its buffer, or nothing when its layout is not static.
std::optional<std::pair<int64_t, int64_t>> spannedElements(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() ||
      failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides)) {
    if (size == 0)
      return std::pair(offset, offset);
    last += (size - 1) * stride;
  }
  return std::pair(offset, last + 1);
}

/// A `linalg.copy` of a whole planned buffer (the source) into a contiguous
/// slice of another (the destination), as a concatenation bufferizes: the
/// source can be computed in the slice itself.
struct SliceCopy {
  linalg::CopyOp copy;
  memref::SubViewOp slice;
  size_t source, destination;           // indices into the buffer list
  std::pair<int64_t, int64_t> elements; // the slice's, in the destination
};

/// Places the sources of copies into slices in their slices (sets their
/// `container`) where that cannot change what the program computes, extends
/// each destination's live interval over its sources' and returns the
/// copies, which the caller erases once the buffers are views.
///
/// A source qualifies when the copy is its last use and the slice is
/// contiguous, of the source's shape, and `alignment`-aligned. Its
/// destination qualifies when, up to its last such copy, it is used only
/// by slices that are copied into and do not overlap one another: nothing
/// reads or writes a source's slice but the source's own computation until
/// the copy would have happened. (Batch 1 concatenations along channels;
/// at larger batches the slice of each image is apart from the next.)
SmallVector<SliceCopy>
placeSourcesInSlices(Block &entry, MutableArrayRef<Buffer> buffers,
                     const DenseMap<Operation *, int64_t> &position,
                     BufferViewFlowAnalysis &aliases, int64_t alignment) {
  DenseMap<Operation *, size_t> bufferOf;
  for (auto [index, buffer] : llvm::enumerate(buffers))
    bufferOf[buffer.alloc] = index;
  auto plannedBuffer = [&](Value value) -> std::optional<size_t> {
    auto it = bufferOf.find(value.getDefiningOp());
    if (it == bufferOf.end())
      return std::nullopt;
    return it->second;
  };
  auto isCopyTarget = [](memref::SubViewOp slice) {
    return llvm::all_of(slice->getUses(), [](OpOperand &use) {
      auto copy = dyn_cast<linalg::CopyOp>(use.getOwner());
      return copy && copy.isDpsInit(&use);
    });
  };

  SmallVector<SliceCopy> candidates;
  for (auto copy : entry.getOps<linalg::CopyOp>()) {
    if (!copy.hasPureBufferSemantics())
      continue;
    auto slice = copy.getOutputs()[0].getDefiningOp<memref::SubViewOp>();
    std::optional<size_t> source = plannedBuffer(copy.getInputs()[0]);
    if (!slice || !source || !slice->hasOneUse())
      continue;
    std::optional<size_t> destination = plannedBuffer(slice.getSource());
    MemRefType sliceType = slice.getType();
    std::optional<std::pair<int64_t, int64_t>> elements =
        spannedElements(sliceType);
    if (!destination || *destination == *source || !elements ||
        !memref::isStaticShapeAndContiguousRowMajor(sliceType) ||
        sliceType.getShape() != buffers[*source].alloc.getType().getShape() ||
        buffers[*source].lastUse != position.lookup(copy))
      continue;
    int64_t elementBytes = sliceType.getElementTypeBitWidth() / 8;
    if ((elements->first * elementBytes) % alignment != 0)
      continue;
    candidates.push_back({copy, slice, *source, *destination, *elements});
  }
  // One level only: a concatenation copied whole into another stays put.
  DenseSet<size_t> sources, destinations;
  for (const SliceCopy &candidate : candidates) {
    sources.insert(candidate.source);
    destinations.insert(candidate.destination);
  }
  llvm::erase_if(candidates, [&](const SliceCopy &candidate) {
    return sources.contains(candidate.destination) ||
           destinations.contains(candidate.source);
  });

  auto overlap = [](std::pair<int64_t, int64_t> a,
                    std::pair<int64_t, int64_t> b) {
    return a.first < b.second && b.first < a.second;
  };
  SmallVector<SliceCopy> accepted;
  for (size_t destination : destinations) {
    SmallVector<SliceCopy> copies;
    for (const SliceCopy &candidate : candidates)
      if (candidate.destination == destination)
        copies.push_back(candidate);
    if (copies.empty())
      continue;
    int64_t lastCopy = 0;
    for (const SliceCopy &copy : copies)
      lastCopy = std::max(lastCopy, position.lookup(copy.copy));
    auto overlapsACopy = [&](std::pair<int64_t, int64_t> elements,
                             const SliceCopy *self) {
      return llvm::any_of(copies, [&](const SliceCopy &copy) {
        return &copy != self && overlap(copy.elements, elements);
      });
    };
    bool safe = llvm::none_of(copies, [&](const SliceCopy &copy) {
      return overlapsACopy(copy.elements, &copy);
    });
    for (Operation *user : buffers[destination].alloc->getUsers()) {
      if (!safe)
        break;
      if (isa<memref::DeallocOp>(user) ||
          llvm::any_of(copies, [&](const SliceCopy &copy) {
            return copy.slice == user;
          }))
        continue;
      // Another concatenation input, copied from elsewhere.
      auto slice = dyn_cast<memref::SubViewOp>(user);
      if (slice && isCopyTarget(slice)) {
        std::optional<std::pair<int64_t, int64_t>> elements =
            spannedElements(slice.getType());
        safe = elements && !overlapsACopy(*elements, nullptr);
        continue;
      }
      // Anything else, and whatever reads through it, comes after.
      auto after = [&](Operation *op) {
        Operation *ancestor = entry.findAncestorOpInBlock(*op);
        return ancestor && position.lookup(ancestor) > lastCopy;
      };
      safe = after(user);
      for (Value result : user->getResults())
        for (Value alias : aliases.resolve(result))
          for (Operation *reader : alias.getUsers())
            safe = safe && (isa<memref::DeallocOp>(reader) || after(reader));
    }
    if (safe)
      llvm::append_range(accepted, copies);
  }

  for (SliceCopy &copy : accepted) {
    Buffer &source = buffers[copy.source];
    Buffer &destination = buffers[copy.destination];
    source.container = copy.destination;
    source.offsetInContainer =
        copy.elements.first *
        (copy.slice.getType().getElementTypeBitWidth() / 8);
    destination.firstUse = std::min(destination.firstUse, source.firstUse);
  }
  return accepted;
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
    SmallVector<Buffer> buffers;
    for (auto alloc : entry.getOps<memref::AllocOp>()) {
      std::optional<int64_t> bytes = getPlannableBytes(alloc.getType());
      if (!bytes)
        continue;
      Buffer buffer;
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
        placeSourcesInSlices(entry, buffers, position, aliases, alignment);
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
    for (Buffer &buffer : buffers) {
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
      copy.slice.erase();
    }
    module->setAttr(
        kWorkspaceBytesAttrName,
        IntegerAttr::get(IntegerType::get(context, 64), workspaceBytes));
  }

  /// One line per buffer in allocation order (where it comes from, its
  /// shape, size, offset and live interval), then the totals.
  static void printReport(func::FuncOp func, ArrayRef<Buffer> buffers,
                          int64_t workspaceBytes) {
    llvm::raw_ostream &os = llvm::errs();
    int64_t separateBytes = 0;
    os << "memory plan of @" << func.getSymName() << ":\n";
    for (Buffer buffer : buffers) {
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
