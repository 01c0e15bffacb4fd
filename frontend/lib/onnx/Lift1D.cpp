//===- Lift1D.cpp - 1-D windows as 2-D ones of height 1 -------------------===//
//
// Kiln's layers are 2-D over NCHW tensors; a 1-D Conv, ConvTranspose or pool
// over [N, C, L] is the same layer over [N, C, 1, L] with a window of height
// 1, and a BatchNormalization of [N, C, L] or [N, C] the same over
// [N, C, 1, L] or [N, C, 1, 1]. A BatchNormalization of [N, C, D, H, W] (or
// more dimensions) normalises each channel alike wherever it is: it is the
// same over [N, C, D * H, W]. Rather than teach every handler another rank,
// the node is imported as its 2-D form: a copy of it reads input 0
// reshaped to 4-D (and its weight, [M, C/group, k], as [M, C/group, 1, k]),
// its one-value window attributes gain a leading 1 (pads [b, e] become
// [0, b, 0, e], output_padding a leading 0), and its result is reshaped
// back. The reshapes are views: they cost nothing at run time.
//
//===----------------------------------------------------------------------===//
#include "GraphImporter.h"

#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

/// Gives a 1-D node's window attribute its 2-D form: a leading 1 (a leading
/// 0 for output_padding), pads [b, e] as [0, b, 0, e]. Reports an attribute
/// with the wrong number of values for a 1-D window.
static LogicalResult liftAttribute(NodeContext &ctx,
                                   onnx::AttributeProto &attr) {
  llvm::StringRef name = attr.name();
  bool pads = name == "pads";
  std::optional<int64_t> lead =
      llvm::StringSwitch<std::optional<int64_t>>(name)
          .Cases({"kernel_shape", "strides", "dilations", "output_shape"}, 1)
          .Case("output_padding", 0)
          .Default(std::nullopt);
  if (!pads && !lead)
    return success();
  int expected = pads ? 2 : 1;
  if (attr.ints_size() != expected)
    return ctx.emitError() << "'" << name << "' has " << attr.ints_size()
                           << " values; a 1-D window needs " << expected
                           << (pads ? " [begin, end]" : "");
  llvm::SmallVector<int64_t, 4> lifted;
  if (pads)
    lifted = {0, attr.ints(0), 0, attr.ints(1)};
  else
    lifted = {*lead, attr.ints(0)};
  attr.clear_ints();
  for (int64_t value : lifted)
    attr.add_ints(value);
  return success();
}

bool GraphImporter::liftsTo2D(const NodeContext &ctx) const {
  llvm::StringRef opType = ctx.getNode().op_type();
  bool window = llvm::StringSwitch<bool>(opType)
                    .Cases({"Conv", "ConvTranspose", "MaxPool", "AveragePool",
                            "GlobalAveragePool", "GlobalMaxPool"},
                           true)
                    .Default(false);
  bool normalization = opType == "BatchNormalization";
  if (!(window || normalization) || !ctx.hasInput(0))
    return false;
  const ImportedValue &input = ctx.getInput(0);
  if (!input.tensor)
    return false; // A constant or a pending Pad: the handler reports it.
  size_t rank = input.getShape().size();
  return rank == 3 || (normalization && (rank == 2 || rank > 4));
}

LogicalResult GraphImporter::importLifted(NodeContext &ctx, OpHandler handler) {
  const onnx::NodeProto &node = ctx.getNode();
  Value input = ctx.getInput(0).tensor;
  llvm::ArrayRef<int64_t> shape = ctx.getInput(0).getShape();
  bool oneDimensional = shape.size() == 3;
  // Names no ONNX value has (':' is not in any the exporters write, and the
  // entries are removed again below).
  auto liftedName = [](llvm::StringRef name) {
    return (name + ":kiln.2d").str();
  };
  bool convolution =
      node.op_type() == "Conv" || node.op_type() == "ConvTranspose";
  if (convolution && oneDimensional && ctx.hasInput(1) &&
      ctx.getInput(1).isConstant() && ctx.getInput(1).getShape().size() != 3)
    return ctx.emitError() << "weight '" << node.input(1) << "' is "
                           << formatShape(ctx.getInput(1).getShape())
                           << "; a 1-D convolution of the "
                           << formatShape(shape) << " input needs a rank-3 "
                           << "weight";
  onnx::NodeProto lifted = node;
  if (oneDimensional)
    for (onnx::AttributeProto &attr : *lifted.mutable_attribute())
      if (failed(liftAttribute(ctx, attr)))
        return failure();
  llvm::SmallVector<std::string, 3> temporaries;
  auto define = [&](int index, ImportedValue value) {
    std::string name = liftedName(node.input(index));
    lifted.set_input(index, name);
    values[name] = std::move(value);
    useCounts[name] = 1;
    temporaries.push_back(name);
  };

  // [N, C, L] -> [N, C, 1, L], [N, C] -> [N, C, 1, 1], and [N, C, D, ..., W]
  // -> [N, C, D * ..., W].
  int64_t height = 1, width = 1;
  if (oneDimensional) {
    width = shape[2];
  } else if (shape.size() > 4) {
    height = llvm::product_of(shape.slice(2, shape.size() - 3));
    width = shape.back();
  }
  define(0, ImportedValue{
                reshapeTensor(ctx, input, {shape[0], shape[1], height, width}),
                nullptr});
  if (convolution && ctx.hasInput(1) && ctx.getInput(1).isConstant() &&
      ctx.getInput(1).getShape().size() == 3) {
    llvm::ArrayRef<int64_t> w = ctx.getInput(1).getShape();
    define(1,
           ImportedValue{
               {}, ctx.getInput(1).constant->reshaped({w[0], w[1], 1, w[2]})});
  }
  std::string output = liftedName(node.output(0));
  lifted.set_output(0, output);
  useCounts[output] = ctx.isOutputUsed(0) ? 1 : 0;
  temporaries.push_back(output);

  NodeContext liftedCtx(*this, lifted, ctx.getLoc(), ctx.describe().str());
  LogicalResult result = handler(liftedCtx);
  auto it = values.find(output);
  if (succeeded(result) && it != values.end() && it->second.tensor) {
    // [N, M, 1, L'] -> [N, M, L'], or a normalisation's back to its input's
    // shape.
    llvm::ArrayRef<int64_t> out = it->second.getShape();
    llvm::SmallVector<int64_t, 5> flat = {out[0], out[1]};
    if (node.op_type() == "BatchNormalization")
      flat.assign(shape.begin(), shape.end());
    else if (oneDimensional)
      flat.push_back(out[3]);
    ctx.setOutput(0, reshapeTensor(ctx, it->second.tensor, flat));
  }
  for (const std::string &name : temporaries) {
    values.erase(name);
    useCounts.erase(name);
  }
  return result;
}
