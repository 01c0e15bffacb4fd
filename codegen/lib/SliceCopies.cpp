//===- SliceCopies.cpp - Buffers placed in the slices they are copied to --===//
//
// Part of kiln-plan-memory (MemoryPlan.h): a concatenation bufferizes to
// copies of whole buffers into slices of its result, and a kernel that needs
// a dense input gets a copy of a slice (kernels::copyStridedInputs). Where a
// slice is contiguous (channels at batch 1), placing the whole buffer inside
// the other makes the copy a no-op, so it goes away.
//
//===----------------------------------------------------------------------===//

#include "MemoryPlan.h"

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace kiln {
namespace {

using ElementRange = std::pair<int64_t, int64_t>;

/// The elements [begin, end) that a statically strided view spans within
/// its buffer, or nothing when its layout is not static.
std::optional<ElementRange> spannedElements(MemRefType type) {
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
      return ElementRange(offset, offset);
    last += (size - 1) * stride;
  }
  return ElementRange(offset, last + 1);
}

bool overlap(ElementRange a, ElementRange b) {
  return a.first < b.second && b.first < a.second;
}

struct SlicePlanner : PlannedBlock {
  int64_t alignment;

  SlicePlanner(Block &entry, MutableArrayRef<PlannedBuffer> buffers,
               const DenseMap<Operation *, int64_t> &position,
               BufferViewFlowAnalysis &aliases, int64_t alignment)
      : PlannedBlock(entry, buffers, position, aliases), alignment(alignment) {}

  /// `copy` between the whole buffer `wholeValue` and `slice` of another
  /// planned buffer, when the slice is contiguous, of the whole buffer's
  /// shape, and aligned.
  std::optional<SliceCopy> match(linalg::CopyOp copy, Value wholeValue,
                                 memref::SubViewOp slice) const {
    std::optional<size_t> whole = plannedBuffer(wholeValue);
    if (!whole || !slice)
      return std::nullopt;
    // A reshape of a dense buffer keeps its elements where they are (the
    // channel shuffle's slices are slices of one).
    Value source = slice.getSource();
    while (isa_and_nonnull<memref::CollapseShapeOp, memref::ExpandShapeOp>(
               source.getDefiningOp()) &&
           cast<MemRefType>(source.getDefiningOp()->getOperand(0).getType())
               .getLayout()
               .isIdentity())
      source = source.getDefiningOp()->getOperand(0);
    std::optional<size_t> sliced = plannedBuffer(source);
    MemRefType sliceType = slice.getType();
    std::optional<ElementRange> elements = spannedElements(sliceType);
    if (!sliced || *sliced == *whole || !elements ||
        !memref::isStaticShapeAndContiguousRowMajor(sliceType) ||
        sliceType.getShape() != buffers[*whole].alloc.getType().getShape() ||
        (elements->first * (sliceType.getElementTypeBitWidth() / 8)) %
                alignment !=
            0)
      return std::nullopt;
    return SliceCopy{copy, slice, *whole, *sliced, *elements};
  }

  /// Whether `op`, or any op that reads or writes through a view it
  /// returns, comes after position `last`.
  bool allAfter(Operation *op, int64_t last) {
    if (positionOf(op) <= last)
      return false;
    for (Value result : op->getResults())
      for (Value alias : aliases.resolve(result))
        for (Operation *user : alias.getUsers())
          if (!isa<memref::DeallocOp>(user) && positionOf(user) <= last)
            return false;
    return true;
  }

  /// Copies of whole buffers into slices of a concatenation (see the
  /// header), grouped by destination.
  SmallVector<SliceCopy> copiesIntoSlices() {
    SmallVector<SliceCopy> candidates;
    for (auto copy : entry.getOps<linalg::CopyOp>()) {
      if (!copy.hasPureBufferSemantics())
        continue;
      auto slice = copy.getOutputs()[0].getDefiningOp<memref::SubViewOp>();
      std::optional<SliceCopy> match =
          this->match(copy, copy.getInputs()[0], slice);
      if (match && slice->hasOneUse() &&
          buffers[match->whole].lastUse == position.lookup(copy))
        candidates.push_back(*match);
    }
    // One level only: a concatenation copied whole into another stays put.
    DenseSet<size_t> wholes, destinations;
    SmallVector<size_t> destinationOrder;
    for (const SliceCopy &candidate : candidates) {
      wholes.insert(candidate.whole);
      if (destinations.insert(candidate.sliced).second)
        destinationOrder.push_back(candidate.sliced);
    }
    llvm::erase_if(candidates, [&](const SliceCopy &candidate) {
      return wholes.contains(candidate.sliced) ||
             destinations.contains(candidate.whole);
    });

    SmallVector<SliceCopy> accepted;
    for (size_t destination : destinationOrder) {
      SmallVector<SliceCopy> copies;
      for (const SliceCopy &candidate : candidates)
        if (candidate.sliced == destination)
          copies.push_back(candidate);
      if (!copies.empty() && intoSlicesAreSafe(destination, copies))
        llvm::append_range(accepted, copies);
    }
    return accepted;
  }

  /// Whether, until the last of `copies`, the destination is only written
  /// by copies into slices that do not overlap.
  bool intoSlicesAreSafe(size_t destination, ArrayRef<SliceCopy> copies) {
    int64_t lastCopy = 0;
    for (const SliceCopy &copy : copies)
      lastCopy = std::max(lastCopy, position.lookup(copy.copy));
    auto overlapsACopy = [&](ElementRange elements, const SliceCopy *self) {
      return llvm::any_of(copies, [&](const SliceCopy &copy) {
        return &copy != self && overlap(copy.elements, elements);
      });
    };
    if (llvm::any_of(copies, [&](const SliceCopy &copy) {
          return overlapsACopy(copy.elements, &copy);
        }))
      return false;
    auto isCopyTarget = [](memref::SubViewOp slice) {
      return llvm::all_of(slice->getUses(), [](OpOperand &use) {
        auto copy = dyn_cast<linalg::CopyOp>(use.getOwner());
        return copy && copy.isDpsInit(&use);
      });
    };
    for (Operation *user : buffers[destination].alloc->getUsers()) {
      if (isa<memref::DeallocOp>(user) ||
          llvm::any_of(copies, [&](const SliceCopy &copy) {
            return copy.slice == user;
          }))
        continue;
      // Another concatenation input, copied from elsewhere.
      auto slice = dyn_cast<memref::SubViewOp>(user);
      if (slice && isCopyTarget(slice)) {
        std::optional<ElementRange> elements = spannedElements(slice.getType());
        if (!elements || overlapsACopy(*elements, nullptr))
          return false;
        continue;
      }
      // Anything else comes after the copies.
      if (!allAfter(user, lastCopy))
        return false;
    }
    return true;
  }

  /// Whether some op that uses `buffer` or a view of it, other than
  /// `except`, may write it; with `from`, only ops from that position on.
  bool mayBeWritten(size_t buffer, Operation *except, int64_t from) {
    for (Value alias : aliases.resolve(buffers[buffer].alloc.getResult()))
      for (Operation *user : alias.getUsers())
        if (user != except && !isa<memref::DeallocOp>(user) &&
            positionOf(user) >= from &&
            mightHaveEffect<MemoryEffects::Write>(user, alias))
          return true;
    return false;
  }

  /// Copies of slices into buffers that are only read afterwards (see the
  /// header), leaving out the buffers that `taken` already places.
  SmallVector<SliceCopy> copiesFromSlices(const DenseSet<size_t> &taken) {
    SmallVector<SliceCopy> accepted;
    for (auto copy : entry.getOps<linalg::CopyOp>()) {
      if (!copy.hasPureBufferSemantics())
        continue;
      std::optional<SliceCopy> match =
          this->match(copy, copy.getOutputs()[0],
                      copy.getInputs()[0].getDefiningOp<memref::SubViewOp>());
      if (!match || taken.contains(match->whole) ||
          taken.contains(match->sliced))
        continue;
      int64_t at = position.lookup(copy);
      // The copy is the whole buffer's first use and its only write, and
      // the sliced buffer keeps its contents from the copy on.
      bool firstUse = llvm::all_of(
          aliases.resolve(buffers[match->whole].alloc.getResult()),
          [&](Value alias) {
            return llvm::all_of(alias.getUsers(), [&](Operation *user) {
              return isa<memref::DeallocOp>(user) || positionOf(user) >= at;
            });
          });
      if (firstUse && !mayBeWritten(match->whole, copy, 0) &&
          !mayBeWritten(match->sliced, copy, at))
        accepted.push_back(*match);
    }
    return accepted;
  }
};

} // namespace

SmallVector<SliceCopy>
placeBuffersInSlices(Block &entry, MutableArrayRef<PlannedBuffer> buffers,
                     const DenseMap<Operation *, int64_t> &position,
                     BufferViewFlowAnalysis &aliases, int64_t alignment) {
  SlicePlanner planner(entry, buffers, position, aliases, alignment);
  auto place = [&](SliceCopy copy) {
    PlannedBuffer &whole = buffers[copy.whole];
    whole.container = copy.sliced;
    whole.offsetInContainer =
        copy.elements.first *
        (copy.slice.getType().getElementTypeBitWidth() / 8);
  };

  SmallVector<SliceCopy> copies = planner.copiesIntoSlices();
  DenseSet<size_t> taken;
  for (const SliceCopy &copy : copies) {
    place(copy);
    PlannedBuffer &destination = buffers[copy.sliced];
    destination.firstUse =
        std::min(destination.firstUse, buffers[copy.whole].firstUse);
    taken.insert(copy.whole);
    taken.insert(copy.sliced);
  }

  SmallVector<SliceCopy> reads = planner.copiesFromSlices(taken);
  // One level only: a copy of a slice of a copy of a slice stays.
  DenseSet<size_t> readers, read;
  for (const SliceCopy &copy : reads) {
    readers.insert(copy.whole);
    read.insert(copy.sliced);
  }
  for (const SliceCopy &copy : reads) {
    if (readers.contains(copy.sliced) || read.contains(copy.whole))
      continue;
    place(copy);
    PlannedBuffer &source = buffers[copy.sliced];
    source.lastUse = std::max(source.lastUse, buffers[copy.whole].lastUse);
    copies.push_back(copy);
  }
  return copies;
}

} // namespace kiln
