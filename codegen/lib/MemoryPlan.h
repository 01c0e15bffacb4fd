//===- MemoryPlan.h - The buffers kiln-plan-memory places -------*- C++ -*-===//
//
// Shared by PlanMemory.cpp, which places buffers by live interval,
// SliceCopies.cpp, which places some of them inside others so that the
// copies between them go away, and InPlaceElementwise.cpp, which places
// element-wise results over the inputs they consume.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_LIB_MEMORYPLAN_H
#define KILN_CODEGEN_LIB_MEMORYPLAN_H

#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <utility>

namespace kiln {

/// One buffer to place: its allocation, size and live interval, as indices of
/// ops in the entry block (both ends inclusive).
struct PlannedBuffer {
  mlir::memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t firstUse = 0;
  int64_t lastUse = 0;
  int64_t offset = -1;
  llvm::SmallVector<mlir::memref::DeallocOp> deallocs;
  // Set when the buffer lives in a slice of buffer `container` (an index
  // into the same list), `offsetInContainer` bytes in: it takes no room of
  // its own.
  std::optional<size_t> container;
  int64_t offsetInContainer = 0;

  bool liveTogetherWith(const PlannedBuffer &other) const {
    return firstUse <= other.lastUse && other.firstUse <= lastUse;
  }
};

/// The entry block's planned buffers and ops, as the planners that place
/// some buffers inside others look them up.
struct PlannedBlock {
  mlir::Block &entry;
  llvm::MutableArrayRef<PlannedBuffer> buffers;
  const llvm::DenseMap<mlir::Operation *, int64_t> &position;
  mlir::BufferViewFlowAnalysis &aliases;
  llvm::DenseMap<mlir::Operation *, size_t> bufferOf;

  PlannedBlock(mlir::Block &entry, llvm::MutableArrayRef<PlannedBuffer> buffers,
               const llvm::DenseMap<mlir::Operation *, int64_t> &position,
               mlir::BufferViewFlowAnalysis &aliases)
      : entry(entry), buffers(buffers), position(position), aliases(aliases) {
    for (auto [index, buffer] : llvm::enumerate(buffers))
      bufferOf[buffer.alloc] = index;
  }

  /// The index of the planned buffer that `value` allocates, if any.
  std::optional<size_t> plannedBuffer(mlir::Value value) const {
    auto it = bufferOf.find(value.getDefiningOp());
    if (it == bufferOf.end())
      return std::nullopt;
    return it->second;
  }

  /// The position of the entry block's op that is or holds `op`; -1 when
  /// `op` is outside the block.
  int64_t positionOf(mlir::Operation *op) const {
    mlir::Operation *ancestor = entry.findAncestorOpInBlock(*op);
    return ancestor ? position.lookup(ancestor) : -1;
  }
};

/// A `linalg.copy` between a whole planned buffer and a contiguous slice of
/// another, which the plan removes by placing the whole buffer in the slice.
struct SliceCopy {
  mlir::linalg::CopyOp copy;
  mlir::memref::SubViewOp slice;
  size_t whole, sliced;                 // indices into the buffer list
  std::pair<int64_t, int64_t> elements; // the slice's, in `sliced`
};

/// Places buffers in the slices of others they are copied to or from, where
/// that cannot change what the program computes: sets their `container`,
/// extends the containers' live intervals over theirs, and returns the
/// copies, which the caller erases (with their slices) once every buffer is
/// a view. Two cases, at one level of nesting:
///
/// - A buffer copied whole into a slice (a concatenation's input): the copy
///   is its last use, and until the destination's last such copy nothing
///   else touches the destination, whose slices do not overlap.
/// - A buffer copied whole from a slice (a convolution's dense copy of a
///   channel slice): the copy is its first use, nothing writes it after,
///   and nothing writes the sliced buffer from the copy on.
///
/// Slices must be contiguous, of the whole buffer's shape, and start at a
/// multiple of `alignment` bytes.
llvm::SmallVector<SliceCopy>
placeBuffersInSlices(mlir::Block &entry,
                     llvm::MutableArrayRef<PlannedBuffer> buffers,
                     const llvm::DenseMap<mlir::Operation *, int64_t> &position,
                     mlir::BufferViewFlowAnalysis &aliases, int64_t alignment);

/// Places the result of an element-wise `linalg.generic` (every loop
/// parallel, one output) over an input that it reads for the last time: both
/// planned buffers of the same type, both indexed by the identity, the
/// payload not reading the output's old value, nothing touching the result
/// before the op, and no other operand viewing the input. Sets the results'
/// `container`s, extends the inputs' live intervals over theirs, and returns
/// how many it placed. Buffers already in or holding slices stay out of it.
int64_t placeElementwiseInPlace(
    mlir::Block &entry, llvm::MutableArrayRef<PlannedBuffer> buffers,
    const llvm::DenseMap<mlir::Operation *, int64_t> &position,
    mlir::BufferViewFlowAnalysis &aliases);

} // namespace kiln

#endif // KILN_CODEGEN_LIB_MEMORYPLAN_H
