//===- Slice.cpp - Slice and Split: windows of a tensor ------------------===//
//
// Both take strided windows of their input: Slice one (PyTorch's `x[:, a:b]`,
// `x[..., ::2, ::2]`), Split several that tile one axis (`x.chunk(2, 1)` in
// ShuffleNet). A window of an activation is nn.slice; a window of a constant
// (shape arithmetic, `x.shape[2:]`) is computed now.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

namespace {

/// A strided window per dimension: `size` elements from `start` by `step`.
struct Window {
  llvm::SmallVector<int64_t, 4> start, size, step;

  explicit Window(llvm::ArrayRef<int64_t> shape)
      : start(shape.size(), 0), size(shape), step(shape.size(), 1) {}
};

} // namespace

/// Sets output `i` of the node to `window` of its input 0.
static LogicalResult setWindow(NodeContext &ctx, unsigned i,
                               const Window &window) {
  const ImportedValue &input = ctx.getInput(0);
  llvm::ArrayRef<int64_t> in = input.getShape();
  if (input.isConstant()) {
    // Shape arithmetic is small; refuse what would not fit in memory.
    std::optional<int64_t> count = nn::checkedElementCount(window.size);
    if (!count || *count > (int64_t(1) << 28))
      return ctx.unsupported("it slices a " + formatShape(window.size) +
                             " constant, too large to compute at import");
    llvm::SmallVector<int64_t, 4> strides = input.constant->getStrides();
    int64_t base = 0;
    for (auto [d, stride] : llvm::enumerate(strides)) {
      base += window.start[d] * stride;
      stride *= window.step[d];
    }
    ctx.setOutput(i, input.constant->strided(ctx.getNode().output(i),
                                             window.size, base, strides));
    return success();
  }
  bool strided = llvm::any_of(window.step, [](int64_t s) { return s != 1; });
  if (window.size == in && !strided) {
    ctx.setOutput(i, input.tensor); // Everything, in order.
    return success();
  }
  for (auto [d, size] : llvm::enumerate(window.size)) {
    if (size == 0)
      return ctx.unsupported("output " + std::to_string(i) +
                             " is empty along dimension " + std::to_string(d) +
                             "; Kiln's tensors have no empty dimensions");
  }
  OpBuilder &b = ctx.getBuilder();
  ctx.setOutput(
      i, nn::SliceOp::create(b, ctx.getLoc(),
                             RankedTensorType::get(window.size, b.getF32Type()),
                             input.tensor, b.getDenseI64ArrayAttr(window.start),
                             strided ? b.getDenseI64ArrayAttr(window.step)
                                     : DenseI64ArrayAttr())
             .getResult());
  return success();
}

Value onnximport::gatherAlong(NodeContext &ctx, Value x, int64_t axis,
                              llvm::ArrayRef<int64_t> rows) {
  OpBuilder &b = ctx.getBuilder();
  llvm::ArrayRef<int64_t> shape =
      cast<RankedTensorType>(x.getType()).getShape();
  // Maximal runs of rows in arithmetic progression, each one nn.slice.
  llvm::SmallVector<Value> parts;
  for (size_t first = 0; first < rows.size();) {
    size_t last = first + 1;
    int64_t step = last < rows.size() ? rows[last] - rows[first] : 1;
    if (step == 0)
      step = 1;
    while (last < rows.size() && rows[last] - rows[last - 1] == step)
      ++last;
    if (last == first + 1)
      step = 1;
    Window window(shape);
    window.start[axis] = rows[first];
    window.size[axis] = int64_t(last - first);
    window.step[axis] = step;
    bool strided = step != 1;
    if (window.size == shape && !strided)
      parts.push_back(x);
    else
      parts.push_back(nn::SliceOp::create(
          b, ctx.getLoc(), RankedTensorType::get(window.size, b.getF32Type()),
          x, b.getDenseI64ArrayAttr(window.start),
          strided ? b.getDenseI64ArrayAttr(window.step) : DenseI64ArrayAttr()));
    first = last;
  }
  if (parts.size() == 1)
    return parts.front();
  llvm::SmallVector<int64_t, 4> joined(shape);
  joined[axis] = int64_t(rows.size());
  return nn::ConcatOp::create(b, ctx.getLoc(),
                              RankedTensorType::get(joined, b.getF32Type()),
                              parts, b.getI64IntegerAttr(axis));
}

/// Slice's integer operand `i` (opset 10 on) or attribute `name` (before),
/// empty when absent.
static FailureOr<llvm::SmallVector<int64_t>>
readSliceInts(NodeContext &ctx, unsigned i, StringRef name, StringRef what) {
  if (ctx.getOpset() < 10)
    return ctx.getInts(name);
  if (!ctx.hasInput(i))
    return llvm::SmallVector<int64_t>();
  std::shared_ptr<const HostTensor> values =
      ctx.getConstant(i, HostTensor::Kind::Int, what);
  if (!values)
    return failure();
  if (values->getShape().size() != 1)
    return ctx.emitError() << what << " must be 1-D, found "
                           << formatShape(values->getShape());
  return llvm::SmallVector<int64_t>(values->getInts());
}

LogicalResult onnximport::importSlice(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  int64_t rank = in.size();
  FailureOr<llvm::SmallVector<int64_t>> starts =
      readSliceInts(ctx, 1, "starts", "the starts");
  FailureOr<llvm::SmallVector<int64_t>> ends =
      readSliceInts(ctx, 2, "ends", "the ends");
  FailureOr<llvm::SmallVector<int64_t>> axes =
      readSliceInts(ctx, 3, "axes", "the axes");
  FailureOr<llvm::SmallVector<int64_t>> steps = llvm::SmallVector<int64_t>();
  if (ctx.getOpset() >= 10) // Before, every step is 1.
    steps = readSliceInts(ctx, 4, "steps", "the steps");
  if (failed(starts) || failed(ends) || failed(axes) || failed(steps))
    return failure();
  size_t count = starts->size();
  if (ends->size() != count || (!axes->empty() && axes->size() != count) ||
      (!steps->empty() && steps->size() != count))
    return ctx.emitError() << "has " << count << " starts, " << ends->size()
                           << " ends, " << axes->size() << " axes and "
                           << steps->size()
                           << " steps; they must be as many (or no axes, "
                              "no steps)";
  Window window(in);
  llvm::SmallVector<bool> seen(rank, false);
  for (size_t k = 0; k < count; ++k) {
    int64_t axis = axes->empty() ? (int64_t)k : (*axes)[k];
    FailureOr<int64_t> d = normalizeAxis(ctx, axis, rank);
    if (failed(d))
      return failure();
    if (std::exchange(seen[*d], true))
      return ctx.emitError() << "axis " << axis << " is sliced twice";
    int64_t step = steps->empty() ? 1 : (*steps)[k];
    if (step == 0)
      return ctx.emitError() << "the step of axis " << axis << " is 0";
    // ONNX's clamping: negative positions count from the end, then a start
    // is clamped to [0, dim] going forwards and [0, dim - 1] backwards, an
    // end to [0, dim] and [-1, dim - 1] (-1: before the first element).
    int64_t dim = in[*d];
    auto fromEnd = [&](int64_t position) {
      return position >= 0 ? position : position < -dim ? -1 : position + dim;
    };
    int64_t start =
        std::clamp<int64_t>(fromEnd((*starts)[k]), 0, step > 0 ? dim : dim - 1);
    int64_t end = std::clamp<int64_t>(fromEnd((*ends)[k]), step > 0 ? 0 : -1,
                                      step > 0 ? dim : dim - 1);
    int64_t span = step > 0 ? end - start : start - end; // At most dim.
    // A step past the span takes one element; capping it keeps the
    // arithmetic below (and on constants) far from overflowing.
    int64_t stride = step > dim || step < -dim ? dim : step > 0 ? step : -step;
    int64_t size = span <= 0 ? 0 : 1 + (span - 1) / stride;
    window.start[*d] = start;
    window.step[*d] = size <= 1 ? 1 : step;
    window.size[*d] = size;
  }
  return setWindow(ctx, 0, window);
}

LogicalResult onnximport::importSplit(NodeContext &ctx) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  FailureOr<int64_t> axisAttr = ctx.getInt("axis", 0);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(ctx, *axisAttr, in.size());
  if (failed(axis))
    return failure();
  // The part sizes: an attribute before opset 13, an optional input from it;
  // without them, equal parts, one per output.
  llvm::SmallVector<int64_t> parts;
  if (ctx.getOpset() < 13) {
    FailureOr<llvm::SmallVector<int64_t>> attr = ctx.getInts("split");
    if (failed(attr))
      return failure();
    parts = *attr;
  } else if (ctx.hasInput(1)) {
    std::shared_ptr<const HostTensor> sizes =
        ctx.getConstant(1, HostTensor::Kind::Int, "the split sizes");
    if (!sizes)
      return failure();
    parts.assign(sizes->getInts().begin(), sizes->getInts().end());
  }
  int64_t outputs = ctx.getNode().output_size();
  int64_t dim = in[*axis];
  if (parts.empty()) {
    if (dim % outputs != 0)
      return ctx.emitError()
             << "cannot split dimension " << *axis << " of size " << dim
             << " into " << outputs << " equal parts";
    parts.assign(outputs, dim / outputs);
  }
  if ((int64_t)parts.size() != outputs)
    return ctx.emitError() << "has " << outputs << " outputs but "
                           << parts.size() << " split sizes";
  int64_t total = 0;
  for (int64_t part : parts) {
    if (part < 0 || part > dim - total)
      return ctx.emitError() << "the split sizes do not add up to dimension "
                             << *axis << " (" << dim << ")";
    total += part;
  }
  if (total != dim)
    return ctx.emitError() << "the split sizes add up to " << total
                           << ", not to dimension " << *axis << " (" << dim
                           << ")";
  Window window(in);
  for (auto [i, part] : llvm::enumerate(parts)) {
    window.size[*axis] = part;
    if (ctx.isOutputUsed(i) && failed(setWindow(ctx, i, window)))
      return failure();
    window.start[*axis] += part;
  }
  return success();
}
