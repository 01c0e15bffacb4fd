//===- SpecPrinter.cpp - nn dialect IR back to a .nn spec -----------------===//
//
// Walks @forward as a chain of layers, prints each as a spec statement, then
// arranges the statements so that the spec's naming rules give the
// parameters the names their blobs carry. A layer owning `features.3.weight`
// must be statement 3 of a block `features`; `0.weight` statement 0 at the
// top level; `fc1.weight` a layer labelled fc1. The parameter-free layers
// between two placed layers are split by the same rule (`classifier.1`
// means one layer of `classifier` precedes it). When no arrangement fits
// (ONNX names such as `onnx::Conv_12`, nested blocks), every layer with
// parameters is labelled with a name made from them instead, and a comment
// gives the original names.
//
//===----------------------------------------------------------------------===//
#include "kiln/Frontend/SpecPrinter.h"
#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Frontend/MLIRGen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace kiln;

namespace {

/// Where a layer's parameter prefix puts it in a spec.
struct Placement {
  enum class Kind { Unknown, Label, TopLevel, InBlock } kind = Kind::Unknown;
  std::string name; // The label or the block.
  size_t index = 0; // Position at the top level or in the block.
};

struct Layer {
  std::string text;                          // "conv2d 6 kernel=5"
  llvm::SmallVector<std::string> paramNames; // Blob names, operand order.
  std::optional<std::string> prefix;         // "P" of "P.weight", "P.bias"
  bool isFiller = false; // An identity standing for a layer the IR lacks.
};

/// A top-level statement: one layer, or a block of layers.
struct Statement {
  std::string label; // A labelled layer's label or a block's name.
  bool isBlock = false;
  llvm::SmallVector<size_t> layers;
};

} // namespace

/// The shortest decimal text that reads back as `value` (as float32 when
/// the value came from one, so ONNX's 9.99999975e-06 prints as 1e-05).
static std::string formatNumber(double value) {
  bool fromFloat = (double)(float)value == value;
  char text[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    double back = std::strtod(text, nullptr);
    if (fromFloat ? (float)back == (float)value : back == value)
      break;
  }
  return text;
}

/// Whether an attribute differs from the spec's default. Values imported
/// from ONNX went through float32, so 1e-5 arrives as 9.99999975e-06.
static bool differs(double value, double defaultValue) {
  return (float)value != (float)defaultValue;
}

/// "3" for a square size, "3x5" otherwise.
static std::string formatSize(int64_t h, int64_t w) {
  return h == w ? std::to_string(h)
                : std::to_string(h) + "x" + std::to_string(w);
}

static bool isIdentifier(llvm::StringRef text) {
  return !text.empty() && (llvm::isAlpha(text[0]) || text[0] == '_') &&
         llvm::all_of(text,
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

static bool isReserved(llvm::StringRef name) {
  return frontend::isReservedWord(name);
}

/// Builds the statement text of one nn op, or reports why there is none.
static FailureOr<std::string> layerText(Operation *op) {
  auto noEquivalent = [&](const Twine &why) -> FailureOr<std::string> {
    return emitError(op->getLoc())
           << op->getName() << " has no .nn equivalent: " << why;
  };
  auto shapeOf = [](Value value) {
    return cast<RankedTensorType>(value.getType()).getShape();
  };
  auto symmetric = [&](ArrayRef<int64_t> pad) -> FailureOr<std::string> {
    if (pad[0] != pad[2] || pad[1] != pad[3])
      return noEquivalent(
          "padding [" +
          llvm::join(
              llvm::map_range(pad, [](int64_t p) { return std::to_string(p); }),
              ", ") +
          "] (top, left, bottom, right) is asymmetric; the "
          "spec pads both sides alike");
    return pad[0] || pad[1] ? " padding=" + formatSize(pad[0], pad[1])
                            : std::string();
  };
  return llvm::TypeSwitch<Operation *, FailureOr<std::string>>(op)
      .Case([&](nn::Conv2DOp conv) -> FailureOr<std::string> {
        ArrayRef<int64_t> w = shapeOf(conv.getWeight());
        ArrayRef<int64_t> s = conv.getStride(), d = conv.getDilation();
        FailureOr<std::string> padding = symmetric(conv.getPadding());
        if (failed(padding))
          return failure();
        std::string text = "conv2d " + std::to_string(w[0]) +
                           " kernel=" + formatSize(w[2], w[3]);
        if (s[0] != 1 || s[1] != 1)
          text += " stride=" + formatSize(s[0], s[1]);
        text += *padding;
        if (d[0] != 1 || d[1] != 1)
          text += " dilation=" + formatSize(d[0], d[1]);
        if (conv.getGroups() != 1)
          text += " groups=" + std::to_string(conv.getGroups());
        if (!conv.getBias())
          text += " bias=false";
        return text;
      })
      .Case([&](nn::LinearOp linear) -> FailureOr<std::string> {
        std::string text =
            "linear " + std::to_string(shapeOf(linear.getWeight())[0]);
        return linear.getBias() ? text : text + " bias=false";
      })
      .Case<nn::MaxPool2DOp, nn::AvgPool2DOp>(
          [&](auto pool) -> FailureOr<std::string> {
            ArrayRef<int64_t> k = pool.getKernel(), s = pool.getStride();
            FailureOr<std::string> padding = symmetric(pool.getPadding());
            if (failed(padding))
              return failure();
            bool isMax = isa<nn::MaxPool2DOp>(op);
            if (auto max = dyn_cast<nn::MaxPool2DOp>(op))
              if (max.getDilation())
                return noEquivalent("the spec's maxpool is not dilated");
            std::string text =
                (isMax ? "maxpool " : "avgpool ") + formatSize(k[0], k[1]);
            if (s[0] != k[0] || s[1] != k[1])
              text += " stride=" + formatSize(s[0], s[1]);
            text += *padding;
            if (pool.getCeilMode())
              text += " ceil_mode=true";
            if (auto avg = dyn_cast<nn::AvgPool2DOp>(op))
              if (!avg.getCountIncludePad())
                text += " count_include_pad=false";
            return text;
          })
      .Case([&](nn::AdaptiveAvgPool2DOp pool) -> FailureOr<std::string> {
        ArrayRef<int64_t> out = shapeOf(pool.getResult());
        return "adaptive_avgpool " + formatSize(out[2], out[3]);
      })
      .Case([&](nn::LRNOp lrn) -> FailureOr<std::string> {
        if (lrn.getChannelsBefore() != (int64_t)lrn.getSize() / 2)
          return noEquivalent("its window starts " +
                              std::to_string(lrn.getChannelsBefore()) +
                              " channels before the centre; the spec's lrn "
                              "starts size/2 before, as PyTorch's does");
        std::string text = "lrn " + std::to_string(lrn.getSize());
        double alpha = lrn.getAlpha().convertToDouble(),
               beta = lrn.getBeta().convertToDouble(),
               k = lrn.getK().convertToDouble();
        if (differs(alpha, 1e-4))
          text += " alpha=" + formatNumber(alpha);
        if (differs(beta, 0.75))
          text += " beta=" + formatNumber(beta);
        if (differs(k, 1.0))
          text += " k=" + formatNumber(k);
        return text;
      })
      .Case([&](nn::BatchNormOp bn) -> FailureOr<std::string> {
        double eps = bn.getEps().convertToDouble();
        return std::string("batchnorm") +
               (differs(eps, 1e-5) ? " eps=" + formatNumber(eps) : "");
      })
      .Case([&](nn::DropoutOp dropout) -> FailureOr<std::string> {
        double p = dropout.getP().convertToDouble();
        return std::string("dropout") +
               (differs(p, 0.5) ? " " + formatNumber(p) : "");
      })
      .Case([](nn::ReluOp) { return std::string("relu"); })
      .Case([](nn::SigmoidOp) { return std::string("sigmoid"); })
      .Case([](nn::TanhOp) { return std::string("tanh"); })
      .Case([&](nn::ClampOp clamp) -> FailureOr<std::string> {
        double min = clamp.getMinAttr().getValueAsDouble();
        double max = clamp.getMaxAttr().getValueAsDouble();
        if (!std::isfinite(min) || !std::isfinite(max))
          return noEquivalent("it has no lower or no upper bound; hardtanh "
                              "takes finite ones");
        if (!(max > min))
          return noEquivalent("its max is not above its min, which "
                              "hardtanh requires");
        if (min == 0 && max == 6)
          return std::string("relu6");
        std::string text = "hardtanh";
        if (differs(min, -1.0))
          text += " min_val=" + formatNumber(min);
        if (differs(max, 1.0))
          text += " max_val=" + formatNumber(max);
        return text;
      })
      .Case([&](nn::LeakyReluOp leaky) -> FailureOr<std::string> {
        double slope = leaky.getSlopeAttr().getValueAsDouble();
        return std::string("leaky_relu") +
               (differs(slope, 0.01) ? " negative_slope=" + formatNumber(slope)
                                     : "");
      })
      .Case([&](nn::EluOp elu) -> FailureOr<std::string> {
        double alpha = elu.getAlphaAttr().getValueAsDouble();
        return std::string("elu") +
               (differs(alpha, 1.0) ? " alpha=" + formatNumber(alpha) : "");
      })
      .Case([&](nn::PReluOp prelu) -> FailureOr<std::string> {
        // nn.PReLU's slopes: one, or one per channel (dimension 1).
        ArrayRef<int64_t> slope = shapeOf(prelu.getSlope());
        int64_t count = 1;
        for (auto [d, size] : llvm::enumerate(slope)) {
          if (size == 1)
            continue;
          if (d != 1)
            return noEquivalent("prelu's slopes are one per channel, not per "
                                "dimension " +
                                Twine(d));
          count = size;
        }
        return std::string("prelu") +
               (count != 1 ? " num_parameters=" + std::to_string(count) : "");
      })
      .Case([](nn::HardSwishOp) { return std::string("hardswish"); })
      .Case([](nn::SoftplusOp) { return std::string("softplus"); })
      .Case([](nn::SoftsignOp) { return std::string("softsign"); })
      .Case([&](nn::SeluOp selu) -> FailureOr<std::string> {
        // nn.SELU's constants, as MLIRGen writes them.
        if (selu.getAlphaAttr().getValue() !=
                APFloat(1.67326319217681884765625f) ||
            selu.getGammaAttr().getValue() !=
                APFloat(1.05070102214813232421875f))
          return noEquivalent("the spec's selu is PyTorch's, with its "
                              "constants alpha and scale");
        return std::string("selu");
      })
      .Case([&](nn::CeluOp celu) -> FailureOr<std::string> {
        double alpha = celu.getAlphaAttr().getValueAsDouble();
        return std::string("celu") +
               (differs(alpha, 1.0) ? " alpha=" + formatNumber(alpha) : "");
      })
      .Case([&](nn::HardSigmoidOp hard) -> FailureOr<std::string> {
        // nn.Hardsigmoid's constants, as MLIRGen writes them.
        if (hard.getAlphaAttr().getValue() != APFloat(1.0f / 6.0f) ||
            hard.getBetaAttr().getValue() != APFloat(0.5f))
          return noEquivalent("the spec's hardsigmoid is PyTorch's: alpha "
                              "1/6, beta 0.5");
        return std::string("hardsigmoid");
      })
      .Case([&](nn::FlattenOp flatten) -> FailureOr<std::string> {
        if (flatten.getAxis().value_or(1) != 1)
          return noEquivalent("it flattens at axis " +
                              std::to_string(*flatten.getAxis()) +
                              "; the spec's flatten keeps dimension 0");
        return std::string("flatten");
      })
      .Case([&](nn::SoftmaxOp softmax) -> FailureOr<std::string> {
        if (softmax.getLog())
          return noEquivalent("the spec language has no log-softmax");
        if (softmax.getDims())
          return noEquivalent("it normalises other dimensions than 1");
        return std::string("softmax");
      })
      .Case<nn::AddOp, nn::MulOp, nn::ConcatOp>([&](Operation *) {
        return noEquivalent("the spec language describes a chain of layers, "
                            "without sums or concatenations of branches");
      })
      .Case<nn::SubOp, nn::DivOp, nn::MaximumOp, nn::MinimumOp, nn::PowOp,
            nn::AbsOp, nn::ExpOp, nn::ErfOp, nn::LogOp, nn::SqrtOp,
            nn::ReciprocalOp>([&](Operation *) {
        return noEquivalent("the spec language has no element-wise "
                            "arithmetic");
      })
      .Default([&](Operation *) {
        return noEquivalent("the spec language has no such layer");
      });
}

/// The nn.mul of `x * sigmoid(x)` (nn.SiLU, in either order) when `op` is
/// that sigmoid of `x`, the previous layer's output, and nothing else reads
/// x or the sigmoid; else null.
static Operation *getSiLUProduct(Operation *op, Value x) {
  auto sigmoid = dyn_cast<nn::SigmoidOp>(op);
  if (!sigmoid || sigmoid.getInput() != x || !sigmoid->hasOneUse())
    return nullptr;
  auto product = dyn_cast<nn::MulOp>(*sigmoid->user_begin());
  if (!product || llvm::range_size(x.getUses()) != 2)
    return nullptr;
  Value other = product.getLhs() == sigmoid.getResult() ? product.getRhs()
                                                        : product.getLhs();
  return other == x ? product.getOperation() : nullptr;
}

/// The parameter suffixes a layer's operands after the input stand for.
static ArrayRef<StringRef> parameterSuffixes(Operation *op) {
  static const StringRef weightBias[] = {"weight", "bias"};
  static const StringRef batchNorm[] = {"weight", "bias", "running_mean",
                                        "running_var"};
  static const StringRef weight[] = {"weight"};
  if (isa<nn::PReluOp>(op))
    return weight;
  if (isa<nn::BatchNormOp>(op))
    return batchNorm;
  if (isa<nn::Conv2DOp, nn::LinearOp>(op))
    return weightBias;
  return {};
}

/// Fills the parameter names of `layer` from the blobs `op` reads.
static LogicalResult readParameters(Operation *op, Layer &layer) {
  ArrayRef<StringRef> suffixes = parameterSuffixes(op);
  for (auto [i, operand] : llvm::enumerate(op->getOperands().drop_front())) {
    auto constant = operand.getDefiningOp<arith::ConstantOp>();
    if (!constant)
      return emitError(op->getLoc())
             << op->getName() << " has no .nn equivalent: "
             << "its parameter " << i + 1 << " is computed, not a constant";
    std::string name;
    if (auto blob = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
      name = blob.getRawHandle().getKey().str();
    layer.paramNames.push_back(name);
    llvm::StringRef suffix = i < suffixes.size() ? suffixes[i] : "";
    llvm::StringRef prefix = llvm::StringRef(name).rsplit('.').first;
    bool matches = !suffix.empty() && llvm::StringRef(name).ends_with(suffix) &&
                   name.size() > suffix.size() + 1 &&
                   name[name.size() - suffix.size() - 1] == '.';
    if (!matches || (layer.prefix && *layer.prefix != prefix)) {
      layer.prefix = std::string(); // Marks "no common prefix".
      continue;
    }
    if (!layer.prefix)
      layer.prefix = prefix.str();
  }
  if (layer.prefix && layer.prefix->empty())
    layer.prefix.reset();
  return success();
}

static Placement classify(const Layer &layer) {
  Placement placement;
  if (!layer.prefix)
    return placement;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(*layer.prefix).split(parts, '.');
  auto index = [](llvm::StringRef text) -> std::optional<size_t> {
    size_t value;
    if (text.empty() || !llvm::all_of(text, llvm::isDigit) ||
        (text.size() > 1 && text[0] == '0') || text.getAsInteger(10, value))
      return std::nullopt;
    return value;
  };
  using Kind = Placement::Kind;
  if (parts.size() == 1 && isIdentifier(parts[0]) && !isReserved(parts[0]))
    return {Kind::Label, parts[0].str(), 0};
  if (parts.size() == 1 && index(parts[0]))
    return {Kind::TopLevel, "", *index(parts[0])};
  if (parts.size() == 2 && isIdentifier(parts[0]) && !isReserved(parts[0]) &&
      index(parts[1]))
    return {Kind::InBlock, parts[0].str(), *index(parts[1])};
  return placement;
}

/// Arranges the layers so that the spec's naming rules reproduce every
/// parameter name; std::nullopt when no arrangement does. Where the IR lacks
/// layers the names count (an exporter drops dropout at inference), an
/// identity `dropout 0` is appended to `layers` and placed to fill the gap.
static std::optional<std::vector<Statement>>
arrange(std::vector<Layer> &layers) {
  using Kind = Placement::Kind;
  std::vector<Statement> statements;
  std::optional<size_t> open; // The block still taking layers.
  llvm::StringSet<> names;
  llvm::SmallVector<size_t> pending; // Parameter-free layers not yet placed.

  auto addTopLevel = [&](size_t layer, std::string label = "") {
    statements.push_back({std::move(label), false, {layer}});
  };
  auto filler = [&] {
    layers.push_back({"dropout 0", {}, std::nullopt, /*isFiller=*/true});
    return layers.size() - 1;
  };
  // The first `keep` pending layers stay in the open block (or go to the top
  // level when none is open); the rest go to the top level.
  auto flush = [&](size_t keep) {
    for (size_t i = 0; i < pending.size(); ++i) {
      if (i < keep && open)
        statements[*open].layers.push_back(pending[i]);
      else
        addTopLevel(pending[i]);
    }
    pending.clear();
  };

  for (size_t i = 0, e = layers.size(); i < e; ++i) {
    if (layers[i].paramNames.empty()) {
      pending.push_back(i);
      continue;
    }
    Placement place = classify(layers[i]);
    switch (place.kind) {
    case Kind::Unknown:
      return std::nullopt;
    case Kind::Label:
    case Kind::TopLevel: {
      size_t toTop = open ? 0 : pending.size(), fillers = 0;
      if (place.kind == Kind::TopLevel) {
        if (place.index < statements.size() + (open ? 0 : pending.size()))
          return std::nullopt;
        size_t gap = place.index - statements.size();
        toTop = std::min(gap, pending.size());
        fillers = gap - toTop;
      } else if (!names.insert(place.name).second) {
        return std::nullopt;
      }
      flush(pending.size() - toTop);
      open.reset();
      for (size_t f = 0; f < fillers; ++f)
        addTopLevel(filler());
      addTopLevel(i, place.kind == Kind::Label ? place.name : "");
      break;
    }
    case Kind::InBlock: {
      if (open && statements[*open].label == place.name) {
        size_t before = statements[*open].layers.size() + pending.size();
        if (before > place.index)
          return std::nullopt;
        flush(pending.size());
        for (size_t f = before; f < place.index; ++f)
          statements[*open].layers.push_back(filler());
        statements[*open].layers.push_back(i);
        break;
      }
      if (!names.insert(place.name).second)
        return std::nullopt;
      // A new block starts with the trailing dropouts (a classifier's
      // first layer); fillers make up the rest of its index.
      size_t moved = 0;
      while (moved < place.index && moved < pending.size() &&
             layers[pending[pending.size() - 1 - moved]].text.rfind("dropout",
                                                                    0) == 0)
        ++moved;
      llvm::SmallVector<size_t> inNewBlock;
      for (size_t f = moved; f < place.index; ++f)
        inNewBlock.push_back(filler());
      inNewBlock.append(pending.end() - moved, pending.end());
      pending.truncate(pending.size() - moved);
      flush(pending.size());
      statements.push_back({place.name, true, inNewBlock});
      open = statements.size() - 1;
      statements[*open].layers.push_back(i);
      break;
    }
    }
  }
  flush(pending.size());
  return statements;
}

/// One statement per layer, labelling the layers with parameters after the
/// names of those parameters.
static std::vector<Statement> arrangeFlat(const std::vector<Layer> &layers) {
  std::vector<Statement> statements;
  llvm::StringSet<> names;
  for (auto [i, layer] : llvm::enumerate(layers)) {
    if (layer.paramNames.empty()) {
      statements.push_back({"", false, {i}});
      continue;
    }
    std::string base = layer.prefix ? *layer.prefix : layer.paramNames[0];
    for (char &c : base)
      if (!llvm::isAlnum(c) && c != '_')
        c = '_';
    if (base.empty())
      base = "layer";
    else if (llvm::isDigit(base[0]) || isReserved(base))
      base = "layer_" + base;
    std::string label = base;
    for (int n = 2; !names.insert(label).second; ++n)
      label = base + "_" + std::to_string(n);
    statements.push_back({label, false, {i}});
  }
  return statements;
}

LogicalResult kiln::frontend::printSpec(ModuleOp module,
                                        llvm::raw_ostream &os) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (forward && forward.getNumArguments() > 1)
    return emitError(module.getLoc())
           << "the model has " << forward.getNumArguments()
           << " inputs; a spec describes a chain of layers from one input";
  if (!forward || forward.getNumArguments() != 1 ||
      !forward.getBody().hasOneBlock())
    return emitError(module.getLoc())
           << "the module has no @forward function of one input to print";
  Value current = forward.getArgument(0);
  ArrayRef<int64_t> inputShape =
      cast<RankedTensorType>(current.getType()).getShape();
  if (inputShape.size() != 4 && inputShape.size() != 2)
    return emitError(module.getLoc())
           << "the input has rank " << inputShape.size()
           << "; a .nn spec's input is NxCxHxW (or NxF)";

  std::vector<Layer> layers;
  Operation *silu = nullptr; // The product of a silu already printed.
  for (Operation &op : forward.getBody().front()) {
    if (isa<arith::ConstantOp>(op) || &op == silu)
      continue;
    if (Operation *product = getSiLUProduct(&op, current)) {
      layers.push_back(Layer{"silu", {}, std::nullopt});
      silu = product;
      current = product->getResult(0);
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      if (ret.getNumOperands() != 1 || ret.getOperand(0) != current)
        return emitError(ret.getLoc())
               << "the result is not the last layer's output";
      break;
    }
    FailureOr<std::string> text = layerText(&op);
    if (failed(text))
      return failure();
    if (!isa<nn::NNDialect>(op.getDialect()) || op.getNumResults() != 1)
      return emitError(op.getLoc()) << op.getName() << " is not an nn layer";
    if (op.getOperand(0) != current || !current.hasOneUse())
      return emitError(op.getLoc())
             << op.getName() << " has no .nn equivalent: "
             << (op.getOperand(0) != current
                     ? "it does not read the previous layer's output"
                     : "its input feeds other layers too")
             << "; the graph branches, and a spec is a chain of layers";
    Layer layer{*text, {}, std::nullopt};
    if (failed(readParameters(&op, layer)))
      return failure();
    layers.push_back(std::move(layer));
    current = op.getResult(0);
  }

  std::vector<Layer> arranged = layers;
  std::optional<std::vector<Statement>> statements = arrange(arranged);
  bool renamed = !statements;
  if (renamed)
    statements = arrangeFlat(layers);
  else
    layers = std::move(arranged);

  auto name = module->getAttrOfType<StringAttr>(frontend::kModelNameAttr);
  std::string modelName =
      name && isIdentifier(name.getValue()) ? name.getValue().str() : "model";
  if (auto file = dyn_cast<FileLineColLoc>(module.getLoc()))
    os << "# Printed by kilnc --emit=spec from "
       << file.getFilename().getValue() << ".\n";
  if (renamed)
    os << "# Layers are labelled after their parameters; the comments give "
          "the names\n# the parameters have in the model.\n";
  os << "model " << modelName << "\ninput "
     << llvm::join(llvm::map_range(inputShape,
                                   [](int64_t d) { return std::to_string(d); }),
                   "x")
     << "\n\n";
  auto printLayer = [&](size_t index, llvm::StringRef label,
                        llvm::StringRef indent) {
    const Layer &layer = layers[index];
    os << indent << (label.empty() ? "" : label.str() + ": ") << layer.text;
    if (renamed && !layer.paramNames.empty())
      os << "  # " << llvm::join(layer.paramNames, ", ");
    if (layer.isFiller)
      os << "  # stands for a layer the model lacks, keeping the names";
    os << "\n";
  };
  for (const Statement &statement : *statements) {
    if (!statement.isBlock) {
      printLayer(statement.layers[0], statement.label, "");
      continue;
    }
    os << statement.label << " {\n";
    for (size_t index : statement.layers)
      printLayer(index, "", "  ");
    os << "}\n";
  }
  return success();
}
