//===- ConvPool.cpp - Conv, ConvTranspose and the pools -------------------===//
//
// ONNX windows carry the same information as nn's: `pads` is
// [x1_begin, x2_begin, x1_end, x2_end], which is nn's [top, left, bottom,
// right], so asymmetric padding maps directly. auto_pad is resolved here into
// explicit pads with ONNX's formula. A zero-padding Pad node (PyTorch exports
// AvgPool2d's count_include_pad that way) has no op of its own: it waits for
// the Conv or AveragePool that reads it, which adds it to its padding. What
// does not map is reported as unsupported: 1-D and 3-D windows, dilated
// average pools, padding that leaves windows of nothing but padding, and
// ceil-mode windows that ONNX counts but PyTorch drops. (Padding wider than
// the kernel is fine otherwise: opset 9 exports ceil_mode that way.)
// ConvTranspose's pads crop its result instead; an output_shape (or SAME)
// sets them.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

namespace {

/// The window attributes shared by Conv and the pools, resolved.
struct Window {
  int64_t kernel[2];
  int64_t stride[2] = {1, 1};
  int64_t dilation[2] = {1, 1};
  /// [top, left, bottom, right].
  int64_t pad[4] = {0, 0, 0, 0};
};

} // namespace

/// Reads a two-element attribute (strides, dilations, kernel_shape); keeps
/// `values` when it is absent.
static LogicalResult readPair(NodeContext &ctx, llvm::StringRef name,
                              int64_t (&values)[2], bool positive = true) {
  FailureOr<llvm::SmallVector<int64_t>> attr = ctx.getInts(name);
  if (failed(attr))
    return failure();
  if (attr->empty())
    return success();
  if (attr->size() != 2)
    return ctx.emitError() << "'" << name << "' has " << attr->size()
                           << " values; a 2-D window needs 2";
  for (int i = 0; i < 2; ++i) {
    if (positive && (*attr)[i] <= 0)
      return ctx.emitError()
             << "'" << name << "' must be positive, found " << (*attr)[i];
    values[i] = (*attr)[i];
  }
  return success();
}

/// Reads an explicit `pads` attribute into `window`: 4 non-negative values.
static LogicalResult readPads(NodeContext &ctx, llvm::ArrayRef<int64_t> pads,
                              Window &window) {
  if (pads.size() != 4)
    return ctx.emitError() << "'pads' has " << pads.size()
                           << " values; a 2-D window needs 4 "
                              "[top, left, bottom, right]";
  for (int i = 0; i < 4; ++i) {
    if (pads[i] < 0)
      return ctx.emitError()
             << "'pads' must be non-negative, found " << pads[i];
    window.pad[i] = pads[i];
  }
  return success();
}

/// Fills the strides, dilations and pads of `window` (whose kernel is set)
/// for a window over the spatial dimensions `in`, resolving auto_pad.
static LogicalResult readWindow(NodeContext &ctx, llvm::ArrayRef<int64_t> in,
                                Window &window) {
  if (failed(readPair(ctx, "strides", window.stride)) ||
      failed(readPair(ctx, "dilations", window.dilation)))
    return failure();
  FailureOr<std::string> autoPad = ctx.getString("auto_pad", "NOTSET");
  FailureOr<llvm::SmallVector<int64_t>> pads = ctx.getInts("pads");
  if (failed(autoPad) || failed(pads))
    return failure();
  bool explicitPads = llvm::any_of(*pads, [](int64_t pad) { return pad != 0; });
  if (*autoPad == "NOTSET")
    return pads->empty() ? success() : readPads(ctx, *pads, window);
  if (explicitPads)
    return ctx.emitError() << "has both 'pads' and auto_pad=" << *autoPad
                           << "; ONNX allows only one";
  if (*autoPad == "VALID")
    return success();
  if (*autoPad != "SAME_UPPER" && *autoPad != "SAME_LOWER")
    return ctx.emitError() << "unknown auto_pad '" << *autoPad
                           << "' (expected NOTSET, SAME_UPPER, SAME_LOWER "
                              "or VALID)";
  // SAME: the output has ceil(in / stride) cells; the padding that needs is
  // split evenly, the odd cell going after (UPPER) or before (LOWER).
  for (int i = 0; i < 2; ++i) {
    int64_t out = in[i] / window.stride[i] + (in[i] % window.stride[i] != 0);
    // (out - 1) * stride + (kernel - 1) * dilation + 1 - in, checked: the
    // attributes come from the file.
    std::optional<int64_t> reach = llvm::checkedMul(out - 1, window.stride[i]);
    std::optional<int64_t> span =
        llvm::checkedMul(window.kernel[i] - 1, window.dilation[i]);
    if (reach && span)
      reach = llvm::checkedAdd(*reach, *span);
    if (!reach)
      return ctx.emitError()
             << "auto_pad=" << *autoPad << " window arithmetic overflows";
    int64_t total = std::max<int64_t>(0, *reach - in[i] + 1);
    int64_t small = total / 2, large = total - small;
    bool upper = *autoPad == "SAME_UPPER";
    window.pad[i] = upper ? small : large;
    window.pad[2 + i] = upper ? large : small;
  }
  return success();
}

/// Reports an unsupported window rank unless `shape` is NCHW.
static LogicalResult expect2D(NodeContext &ctx, llvm::ArrayRef<int64_t> shape,
                              llvm::StringRef what) {
  if (shape.size() == 4)
    return success();
  return ctx.unsupported(llvm::formatv("{0}-D {1} (input {2}); Kiln's {1}s "
                                       "are 2-D over NCHW tensors",
                                       (int64_t)shape.size() - 2, what,
                                       formatShape(shape))
                             .str());
}

static RankedTensorType f32Tensor(NodeContext &ctx,
                                  llvm::ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, ctx.getBuilder().getF32Type());
}

/// Adds the zero padding of a Pad node feeding the window op to `window`'s
/// own, and returns the unpadded input's shape; ONNX computed everything so
/// far (auto_pad, the output size) on the padded shape. Fails (with an
/// error) when the sum of the two paddings overflows.
static FailureOr<llvm::ArrayRef<int64_t>>
absorbPad(NodeContext &ctx, const ImportedValue &input, Window &window) {
  if (!input.pad)
    return input.getShape();
  for (int i = 0; i < 4; ++i) {
    std::optional<int64_t> sum =
        llvm::checkedAdd<int64_t>(window.pad[i], input.pad->pads[i]);
    if (!sum)
      return ctx.emitError() << "its pads and those of " << input.pad->node
                             << " overflow together";
    window.pad[i] = *sum;
  }
  return cast<RankedTensorType>(input.pad->input.getType()).getShape();
}

/// The activation a window op reads: the input of a Pad it absorbs.
static Value windowInput(NodeContext &ctx) {
  const ImportedValue &input = ctx.getInput(0);
  return input.pad ? input.pad->input : ctx.getTensor(0);
}

/// The optional bias input 2 of a Conv or ConvTranspose: one value per
/// output channel. A null Value when the node has none.
static FailureOr<Value> readBias(NodeContext &ctx, int64_t channels) {
  if (!ctx.hasInput(2))
    return Value();
  std::shared_ptr<const HostTensor> bias =
      ctx.getConstant(2, HostTensor::Kind::Float, "the bias");
  if (!bias)
    return failure();
  if (bias->getShape() != llvm::ArrayRef<int64_t>{channels})
    return ctx.emitError() << "bias '" << bias->getName() << "' is "
                           << formatShape(bias->getShape()) << ", expected "
                           << channels << " (one per output channel)";
  return ctx.materialize(bias);
}

/// The weight (input 1) of a Conv or ConvTranspose over an NCHW input 0;
/// null after reporting either.
static std::shared_ptr<const HostTensor> readConvWeight(NodeContext &ctx,
                                                        llvm::StringRef what) {
  if (failed(expect2D(ctx, ctx.getInput(0).getShape(), what)))
    return nullptr;
  return ctx.getConstant(1, HostTensor::Kind::Float, "the weight");
}

LogicalResult onnximport::importConv(NodeContext &ctx) {
  OpBuilder &b = ctx.getBuilder();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  std::shared_ptr<const HostTensor> weight = readConvWeight(ctx, "convolution");
  if (!weight)
    return failure();
  llvm::ArrayRef<int64_t> w = weight->getShape();
  if (w.size() != 4)
    return ctx.emitError() << "weight '" << weight->getName() << "' is "
                           << formatShape(w)
                           << "; a 2-D convolution needs [M, C/group, kH, kW]";
  FailureOr<int64_t> group = ctx.getInt("group", 1);
  if (failed(group))
    return failure();
  if (*group <= 0 || in[1] % *group != 0 || w[0] % *group != 0)
    return ctx.emitError() << "group " << *group << " must be positive and "
                           << "divide the " << in[1] << " input and " << w[0]
                           << " output channels";
  if (w[1] != in[1] / *group)
    return ctx.emitError() << "weight '" << weight->getName() << "' is "
                           << formatShape(w) << ": dimension 1 must be C/group"
                           << " = " << in[1] << "/" << *group << " = "
                           << in[1] / *group << " for the " << formatShape(in)
                           << " input";
  Window window{{w[2], w[3]}};
  int64_t kernelAttr[2] = {w[2], w[3]};
  if (failed(readPair(ctx, "kernel_shape", kernelAttr)))
    return failure();
  if (kernelAttr[0] != w[2] || kernelAttr[1] != w[3])
    return ctx.emitError() << "kernel_shape " << kernelAttr[0] << "x"
                           << kernelAttr[1] << " contradicts the "
                           << formatShape(w) << " weight";
  if (failed(readWindow(ctx, in.drop_front(2), window)))
    return failure();
  FailureOr<llvm::ArrayRef<int64_t>> unpadded =
      absorbPad(ctx, ctx.getInput(0), window);
  if (failed(unpadded))
    return failure();
  in = *unpadded;

  Value weightValue = ctx.materialize(weight);
  FailureOr<Value> bias = readBias(ctx, w[0]);
  if (failed(bias))
    return failure();

  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> size = nn::windowOutputSize(
        {in[2 + i], window.kernel[i], window.stride[i], window.pad[i],
         window.pad[2 + i], window.dilation[i], false});
    if (!size || *size <= 0)
      return ctx.emitError()
             << "a " << window.kernel[0] << "x" << window.kernel[1]
             << " kernel on the " << formatShape(in)
             << " input gives an empty output";
    out[i] = *size;
  }
  Value input = windowInput(ctx);
  if (!input)
    return failure();
  Value conv = nn::Conv2DOp::create(
      b, ctx.getLoc(), f32Tensor(ctx, {in[0], w[0], out[0], out[1]}), input,
      weightValue, *bias, b.getDenseI64ArrayAttr(window.stride),
      b.getDenseI64ArrayAttr(window.pad),
      b.getDenseI64ArrayAttr(window.dilation), b.getI64IntegerAttr(*group));
  ctx.setOutput(0, conv);
  return success();
}

LogicalResult onnximport::importConvTranspose(NodeContext &ctx) {
  OpBuilder &b = ctx.getBuilder();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  std::shared_ptr<const HostTensor> weight =
      readConvWeight(ctx, "transposed convolution");
  if (!weight)
    return failure();
  llvm::ArrayRef<int64_t> w = weight->getShape();
  if (w.size() != 4 || w[0] != in[1])
    return ctx.emitError() << "weight '" << weight->getName() << "' is "
                           << formatShape(w)
                           << "; a 2-D transposed convolution of the "
                           << formatShape(in) << " input needs [" << in[1]
                           << ", M/group, kH, kW]";
  FailureOr<int64_t> group = ctx.getInt("group", 1);
  if (failed(group))
    return failure();
  std::optional<int64_t> outChannels =
      *group > 0 ? llvm::checkedMul(w[1], *group) : std::nullopt;
  if (!outChannels || in[1] % *group != 0)
    return ctx.emitError() << "group " << *group << " must be positive and "
                           << "divide the " << in[1] << " input channels";
  Window window{{w[2], w[3]}};
  int64_t kernelAttr[2] = {w[2], w[3]};
  int64_t outputPadding[2] = {0, 0};
  if (failed(readPair(ctx, "kernel_shape", kernelAttr)) ||
      failed(readPair(ctx, "strides", window.stride)) ||
      failed(readPair(ctx, "dilations", window.dilation)) ||
      failed(readPair(ctx, "output_padding", outputPadding,
                      /*positive=*/false)))
    return failure();
  if (kernelAttr[0] != w[2] || kernelAttr[1] != w[3])
    return ctx.emitError() << "kernel_shape " << kernelAttr[0] << "x"
                           << kernelAttr[1] << " contradicts the "
                           << formatShape(w) << " weight";
  for (int64_t extra : outputPadding)
    if (extra < 0)
      return ctx.emitError()
             << "'output_padding' must be non-negative, found " << extra;

  FailureOr<std::string> autoPad = ctx.getString("auto_pad", "NOTSET");
  FailureOr<llvm::SmallVector<int64_t>> pads = ctx.getInts("pads");
  FailureOr<llvm::SmallVector<int64_t>> outputShape =
      ctx.getInts("output_shape");
  if (failed(autoPad) || failed(pads) || failed(outputShape))
    return failure();
  if (*autoPad != "NOTSET" && *autoPad != "SAME_UPPER" &&
      *autoPad != "SAME_LOWER" && *autoPad != "VALID")
    return ctx.emitError() << "unknown auto_pad '" << *autoPad
                           << "' (expected NOTSET, SAME_UPPER, SAME_LOWER "
                              "or VALID)";
  // Explicit pads apply only without output_shape and auto_pad.
  if (*autoPad == "NOTSET" && outputShape->empty() && !pads->empty() &&
      failed(readPads(ctx, *pads, window)))
    return failure();
  // The uncropped result along spatial dimension i: (in - 1) * stride
  // + dilation * (kernel - 1) + 1 + output_padding, checked: every term
  // comes from the file.
  auto fullSize = [&](int i) {
    std::optional<int64_t> size =
        llvm::checkedMul(in[2 + i] - 1, window.stride[i]);
    for (std::optional<int64_t> term :
         {llvm::checkedMul(window.dilation[i], w[2 + i] - 1),
          std::optional<int64_t>(1), std::optional<int64_t>(outputPadding[i])})
      size = size && term ? llvm::checkedAdd(*size, *term) : std::nullopt;
    return size;
  };
  // An output shape, given or implied by SAME (in * stride), sets the pads:
  // the full result's excess over it is cropped, the odd cell at the start
  // (at the end for SAME_UPPER), and a shortfall becomes output_padding:
  // the ONNX specification's rule, which its test data follows.
  if (!outputShape->empty() || (*autoPad != "NOTSET" && *autoPad != "VALID")) {
    if (!outputShape->empty() && outputShape->size() != 2 &&
        outputShape->size() != 4)
      return ctx.emitError() << "'output_shape' has " << outputShape->size()
                             << " values; expected the 2 spatial sizes";
    for (int i = 0; i < 2; ++i) {
      std::optional<int64_t> target =
          outputShape->empty()
              ? llvm::checkedMul(in[2 + i], window.stride[i])
              : std::optional<int64_t>(
                    (*outputShape)[outputShape->size() - 2 + i]);
      std::optional<int64_t> full = fullSize(i);
      if (!target || !full || *target <= 0)
        return ctx.emitError()
               << "output size of dimension " << 2 + i << " is out of range";
      int64_t excess = *full - *target;
      if (excess < 0) {
        // As output_padding, which PyTorch and ONNX Runtime keep below the
        // stride: a larger shape is one no input of this size gives.
        if (outputPadding[i] - excess >= window.stride[i])
          return ctx.emitError()
                 << "output size " << *target << " of dimension " << 2 + i
                 << " is " << -excess << " past the full result (" << *full
                 << "); at most the stride less one (" << window.stride[i] - 1
                 << ") can be added";
        outputPadding[i] -= excess;
        continue;
      }
      int64_t tail = excess / 2, head = excess - tail;
      if (*autoPad == "SAME_UPPER")
        std::swap(head, tail);
      window.pad[i] = head;
      window.pad[2 + i] = tail;
    }
  }
  FailureOr<Value> bias = readBias(ctx, *outChannels);
  if (failed(bias))
    return failure();
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> size = fullSize(i);
    for (int64_t pad : {window.pad[i], window.pad[2 + i]})
      size = size ? llvm::checkedSub(*size, pad) : std::nullopt;
    if (!size)
      return ctx.emitError()
             << "the size of output dimension " << 2 + i << " overflows";
    if (*size <= 0)
      return ctx.emitError() << "'pads' crop all of output dimension " << 2 + i;
    out[i] = *size;
  }
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  Value conv = nn::ConvTranspose2DOp::create(
      b, ctx.getLoc(), f32Tensor(ctx, {in[0], *outChannels, out[0], out[1]}),
      input, ctx.materialize(weight), *bias,
      b.getDenseI64ArrayAttr(window.stride), b.getDenseI64ArrayAttr(window.pad),
      b.getDenseI64ArrayAttr(outputPadding),
      b.getDenseI64ArrayAttr(window.dilation), b.getI64IntegerAttr(*group));
  ctx.setOutput(0, conv);
  return success();
}

/// The pools' shared part: reads the window and checks what nn's pools (with
/// PyTorch's rules) can express. Fills `out` with the output size and
/// `ownPadding` with whether the pool pads by itself (besides a Pad node's
/// padding it absorbs).
static LogicalResult readPool(NodeContext &ctx, Window &window, bool &ceilMode,
                              int64_t (&out)[2], bool &ownPadding,
                              bool dilatable) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  if (failed(expect2D(ctx, in, "pooling")))
    return failure();
  if (ctx.isOutputUsed(1))
    return ctx.unsupported("its second output (the argmax indices) is used");
  FailureOr<llvm::SmallVector<int64_t>> kernel = ctx.getInts("kernel_shape");
  if (failed(kernel))
    return failure();
  if (kernel->size() != 2)
    return ctx.emitError() << "needs a 2-value 'kernel_shape' for the "
                           << formatShape(in) << " input";
  if (failed(readPair(ctx, "kernel_shape", window.kernel)) ||
      failed(readWindow(ctx, in.drop_front(2), window)))
    return failure();
  FailureOr<int64_t> ceil = ctx.getInt("ceil_mode", 0);
  if (failed(ceil))
    return failure();
  ceilMode = *ceil != 0;
  ownPadding = llvm::any_of(window.pad, [](int64_t pad) { return pad != 0; });
  FailureOr<llvm::ArrayRef<int64_t>> unpadded =
      absorbPad(ctx, ctx.getInput(0), window);
  if (failed(unpadded))
    return failure();
  in = *unpadded;
  if (!dilatable && (window.dilation[0] != 1 || window.dilation[1] != 1))
    return ctx.unsupported(llvm::formatv("dilations {0}x{1}; Kiln's average "
                                         "pools are not dilated",
                                         window.dilation[0], window.dilation[1])
                               .str());
  for (int i = 0; i < 2; ++i) {
    nn::WindowDim dim{in[2 + i],     window.kernel[i],  window.stride[i],
                      window.pad[i], window.pad[2 + i], window.dilation[i],
                      ceilMode};
    std::optional<int64_t> size = nn::windowOutputSize(dim);
    if (!size || *size <= 0)
      return ctx.emitError()
             << "a " << window.kernel[0] << "x" << window.kernel[1]
             << " window on the " << formatShape(in)
             << " input gives an empty output";
    // ONNX keeps a last ceil-mode window that starts in the trailing padding;
    // PyTorch (and nn) drop it.
    int64_t extent = (window.kernel[i] - 1) * window.dilation[i] + 1;
    int64_t span = in[2 + i] + window.pad[i] + window.pad[2 + i] - extent;
    int64_t onnxSize = span / window.stride[i] +
                       (ceilMode && span % window.stride[i] != 0) + 1;
    if (onnxSize != *size)
      return ctx.unsupported(
          llvm::formatv("with ceil_mode its last window starts in the "
                        "padding ({0} outputs in ONNX, {1} in PyTorch)",
                        onnxSize, *size)
              .str());
    if (!nn::windowsReachInput(dim, *size))
      return ctx.unsupported(
          llvm::formatv("padding {0}+{1} leaves windows of nothing but "
                        "padding",
                        window.pad[i], window.pad[2 + i])
              .str());
    out[i] = *size;
  }
  return success();
}

LogicalResult onnximport::importMaxPool(NodeContext &ctx) {
  Window window{{0, 0}};
  bool ceilMode = false, ownPadding = false;
  int64_t out[2];
  if (failed(readPool(ctx, window, ceilMode, out, ownPadding,
                      /*dilatable=*/true)))
    return failure();
  Value input = ctx.getTensor(0);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  Value pool = nn::MaxPool2DOp::create(
      b, ctx.getLoc(), f32Tensor(ctx, {in[0], in[1], out[0], out[1]}), input,
      b.getDenseI64ArrayAttr(window.kernel),
      b.getDenseI64ArrayAttr(window.stride), b.getDenseI64ArrayAttr(window.pad),
      ceilMode,
      window.dilation[0] == 1 && window.dilation[1] == 1
          ? DenseI64ArrayAttr()
          : b.getDenseI64ArrayAttr(window.dilation));
  ctx.setOutput(0, pool);
  return success();
}

/// True when a pool whose own padding (window.pad less `pad`'s) lies after
/// the input only, reading the Pad node `pad`, computes the `out` windows
/// that a ceil-mode pool padded by `pad` alone computes: the own padding is
/// then the ceil-mode overhang, which ceil_mode never counts either.
static bool isCeilModeSpelling(const Window &window, const PendingPad &pad,
                               const int64_t (&out)[2]) {
  if (window.pad[0] != pad.pads[0] || window.pad[1] != pad.pads[1])
    return false;
  llvm::ArrayRef<int64_t> in =
      cast<RankedTensorType>(pad.input.getType()).getShape();
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> size = nn::windowOutputSize(
        {in[2 + i], window.kernel[i], window.stride[i], pad.pads[i],
         pad.pads[2 + i], 1, /*ceilMode=*/true});
    if (size != out[i])
      return false;
  }
  return true;
}

LogicalResult onnximport::importAveragePool(NodeContext &ctx) {
  Window window{{0, 0}};
  bool ceilMode = false, ownPadding = false;
  int64_t out[2];
  if (failed(readPool(ctx, window, ceilMode, out, ownPadding,
                      /*dilatable=*/false)))
    return failure();
  FailureOr<int64_t> countIncludePad = ctx.getInt("count_include_pad", 0);
  if (failed(countIncludePad))
    return failure();
  // A Pad's zeros are input cells to the pool: they count in the average.
  // (PyTorch exports AvgPool2d's count_include_pad=True that way.)
  if (const PendingPad *pad = ctx.getInput(0).pad.get()) {
    if (ownPadding && !*countIncludePad) {
      // Before opset 10 PyTorch exports ceil_mode as trailing padding that
      // does not count: nn's ceil_mode over the Pad's padding, if that
      // gives the same windows.
      if (!isCeilModeSpelling(window, *pad, out))
        return ctx.unsupported("it averages over the zeros of " + pad->node +
                               " but not over its own padding");
      llvm::copy(pad->pads, window.pad);
      ceilMode = true;
    }
    *countIncludePad = 1;
  }
  Value input = windowInput(ctx);
  if (!input)
    return failure();
  OpBuilder &b = ctx.getBuilder();
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  Value pool = nn::AvgPool2DOp::create(
      b, ctx.getLoc(), f32Tensor(ctx, {in[0], in[1], out[0], out[1]}), input,
      b.getDenseI64ArrayAttr(window.kernel),
      b.getDenseI64ArrayAttr(window.stride), b.getDenseI64ArrayAttr(window.pad),
      ceilMode, *countIncludePad != 0);
  ctx.setOutput(0, pool);
  return success();
}

Value onnximport::createGlobalPool(NodeContext &ctx, GlobalPool kind) {
  llvm::ArrayRef<int64_t> in = ctx.getInput(0).getShape();
  if (failed(expect2D(ctx, in, "pooling")))
    return {};
  Value input = ctx.getTensor(0);
  if (!input)
    return {};
  OpBuilder &b = ctx.getBuilder();
  RankedTensorType type = f32Tensor(ctx, {in[0], in[1], 1, 1});
  if (kind == GlobalPool::Average)
    return nn::AdaptiveAvgPool2DOp::create(b, ctx.getLoc(), type, input);
  // One window covering the whole plane.
  return nn::MaxPool2DOp::create(
      b, ctx.getLoc(), type, input, b.getDenseI64ArrayAttr({in[2], in[3]}),
      b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({0, 0, 0, 0}),
      /*ceil_mode=*/false, /*dilation=*/nullptr);
}

static LogicalResult importGlobalPool(NodeContext &ctx, GlobalPool kind) {
  Value pool = createGlobalPool(ctx, kind);
  if (!pool)
    return failure();
  ctx.setOutput(0, pool);
  return success();
}

LogicalResult onnximport::importGlobalAveragePool(NodeContext &ctx) {
  return importGlobalPool(ctx, GlobalPool::Average);
}

LogicalResult onnximport::importGlobalMaxPool(NodeContext &ctx) {
  return importGlobalPool(ctx, GlobalPool::Max);
}

bool onnximport::absorbsPadding(llvm::StringRef opType) {
  return opType == "Conv" || opType == "AveragePool";
}

LogicalResult onnximport::importPad(NodeContext &ctx) {
  const ImportedValue &input = ctx.getInput(0);
  llvm::ArrayRef<int64_t> in = input.getShape();
  FailureOr<std::string> mode = ctx.getString("mode", "constant");
  if (failed(mode))
    return failure();
  // The pads and the padding value moved from attributes to inputs in
  // opset 11 (and `pads` was `paddings` in opset 1).
  llvm::SmallVector<int64_t> pads;
  double padValue = 0.0;
  if (ctx.getOpset() < 11) {
    FailureOr<llvm::SmallVector<int64_t>> attr =
        ctx.getInts(ctx.getOpset() < 2 ? "paddings" : "pads");
    FailureOr<float> value = ctx.getFloat("value", 0.0f);
    if (failed(attr) || failed(value))
      return failure();
    pads = *attr;
    padValue = *value;
  } else {
    if (!ctx.hasInput(1))
      return ctx.emitError() << "needs the pads (input 1)";
    std::shared_ptr<const HostTensor> padsTensor =
        ctx.getConstant(1, HostTensor::Kind::Int, "the pads");
    if (!padsTensor)
      return failure();
    pads.assign(padsTensor->getInts().begin(), padsTensor->getInts().end());
    if (ctx.hasInput(2)) {
      std::shared_ptr<const HostTensor> value =
          ctx.getConstant(2, HostTensor::Kind::Float, "the padding value");
      if (!value)
        return failure();
      if (value->getNumElements() != 1)
        return ctx.emitError() << "the padding value must be a scalar";
      padValue = value->getFloats()[0];
    }
  }
  int64_t rank = in.size();
  if ((int64_t)pads.size() != 2 * rank)
    return ctx.emitError() << "has " << pads.size() << " pads for the "
                           << formatShape(in) << " input; it needs "
                           << 2 * rank;
  if (llvm::all_of(pads, [](int64_t pad) { return pad == 0; })) {
    if (input.isConstant())
      ctx.setOutput(0, input.constant);
    else
      ctx.setOutput(0, input.tensor);
    return success();
  }
  if (input.isConstant())
    return ctx.unsupported("it pads a constant");
  if (*mode != "constant")
    return ctx.unsupported("mode '" + *mode +
                           "'; Kiln folds only zero padding into the layer "
                           "that follows");
  if (padValue != 0.0)
    return ctx.unsupported(llvm::formatv("it pads with {0}; Kiln folds only "
                                         "zero padding into the layer that "
                                         "follows",
                                         padValue)
                               .str());
  if (rank != 4 || pads[0] || pads[1] || pads[4] || pads[5] ||
      llvm::any_of(pads, [](int64_t pad) { return pad < 0; }))
    return ctx.unsupported("it pads (or crops) other than the height and "
                           "width of an NCHW tensor");
  auto pending = std::make_shared<PendingPad>();
  pending->input = input.tensor;
  int64_t order[4] = {pads[2], pads[3], pads[6], pads[7]};
  llvm::copy(order, pending->pads);
  pending->shape.assign(in.begin(), in.end());
  bool overflow = false;
  for (int dim = 2; dim < 4; ++dim) {
    std::optional<int64_t> padded =
        llvm::checkedAdd<int64_t>(pending->shape[dim], pads[dim]);
    if (padded)
      padded = llvm::checkedAdd<int64_t>(*padded, pads[dim + 4]);
    overflow |= !padded;
    if (padded)
      pending->shape[dim] = *padded;
  }
  if (overflow || !nn::checkedElementCount(pending->shape))
    return ctx.emitError() << "pads the " << formatShape(in)
                           << " input to a tensor over 2^40 bytes";
  pending->node = ctx.describe().str();
  ctx.setOutput(0, std::shared_ptr<const PendingPad>(std::move(pending)));
  return success();
}
