//===- Parser.cpp - Parse a .nn spec into a ModelAST ----------------------===//
//
// A line-at-a-time recursive-descent parser. Blocks are flattened as they are
// read: the parser only tracks the stack of open blocks so that it can name
// each layer's parameters the way nn.Sequential's state_dict would.
//
//===----------------------------------------------------------------------===//
#include "kiln/Frontend/Parser.h"
#include "kiln/Frontend/Lexer.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdlib>

using namespace kiln::frontend;
using llvm::SMLoc;
using llvm::StringRef;

llvm::StringRef kiln::frontend::layerKindName(LayerKind kind) {
  switch (kind) {
  case LayerKind::Conv2D: return "conv2d";
  case LayerKind::Linear: return "linear";
  case LayerKind::ReLU: return "relu";
  case LayerKind::Sigmoid: return "sigmoid";
  case LayerKind::Tanh: return "tanh";
  case LayerKind::MaxPool: return "maxpool";
  case LayerKind::AvgPool: return "avgpool";
  case LayerKind::AdaptiveAvgPool: return "adaptive_avgpool";
  case LayerKind::LRN: return "lrn";
  case LayerKind::BatchNorm: return "batchnorm";
  case LayerKind::Dropout: return "dropout";
  case LayerKind::Flatten: return "flatten";
  case LayerKind::Softmax: return "softmax";
  }
  llvm_unreachable("unknown layer kind");
}

static std::optional<LayerKind> parseLayerKind(StringRef text) {
  return llvm::StringSwitch<std::optional<LayerKind>>(text)
      .Case("conv2d", LayerKind::Conv2D)
      .Case("linear", LayerKind::Linear)
      .Case("relu", LayerKind::ReLU)
      .Case("sigmoid", LayerKind::Sigmoid)
      .Case("tanh", LayerKind::Tanh)
      .Case("maxpool", LayerKind::MaxPool)
      .Case("avgpool", LayerKind::AvgPool)
      .Case("adaptive_avgpool", LayerKind::AdaptiveAvgPool)
      .Case("lrn", LayerKind::LRN)
      .Case("batchnorm", LayerKind::BatchNorm)
      .Case("dropout", LayerKind::Dropout)
      .Case("flatten", LayerKind::Flatten)
      .Case("softmax", LayerKind::Softmax)
      .Default(std::nullopt);
}

static constexpr const char *kAllOps =
    "conv2d, linear, relu, sigmoid, tanh, maxpool, avgpool, "
    "adaptive_avgpool, lrn, batchnorm, dropout, flatten, softmax";

static bool isIdentifier(StringRef text) {
  if (text.empty() || !(std::isalpha((unsigned char)text[0]) || text[0] == '_'))
    return false;
  return llvm::all_of(text.drop_front(), [](char c) {
    return std::isalnum((unsigned char)c) || c == '_';
  });
}

namespace {

/// The form of a positional or key value, which decides how it is parsed.
enum class ValueForm { Int, Size, Float, Bool };

struct KeySpec {
  StringRef name;
  ValueForm form;
};

/// The keys each layer kind accepts, as the contract's table lists them.
/// Pools also accept `kernel=` as an alternative to the positional kernel.
static llvm::ArrayRef<KeySpec> keysOf(LayerKind kind) {
  static const KeySpec conv[] = {{"kernel", ValueForm::Size},
                                 {"stride", ValueForm::Size},
                                 {"padding", ValueForm::Size},
                                 {"dilation", ValueForm::Size},
                                 {"groups", ValueForm::Int},
                                 {"bias", ValueForm::Bool}};
  static const KeySpec linear[] = {{"bias", ValueForm::Bool}};
  static const KeySpec maxPool[] = {{"kernel", ValueForm::Size},
                                    {"stride", ValueForm::Size},
                                    {"padding", ValueForm::Size},
                                    {"ceil_mode", ValueForm::Bool}};
  static const KeySpec avgPool[] = {{"kernel", ValueForm::Size},
                                    {"stride", ValueForm::Size},
                                    {"padding", ValueForm::Size},
                                    {"ceil_mode", ValueForm::Bool},
                                    {"count_include_pad", ValueForm::Bool}};
  static const KeySpec lrn[] = {{"alpha", ValueForm::Float},
                                {"beta", ValueForm::Float},
                                {"k", ValueForm::Float}};
  static const KeySpec batchNorm[] = {{"eps", ValueForm::Float}};
  switch (kind) {
  case LayerKind::Conv2D: return conv;
  case LayerKind::Linear: return linear;
  case LayerKind::MaxPool: return maxPool;
  case LayerKind::AvgPool: return avgPool;
  case LayerKind::LRN: return lrn;
  case LayerKind::BatchNorm: return batchNorm;
  default: return {};
  }
}

/// What a layer kind takes as its positional argument, if anything.
struct PositionalSpec {
  ValueForm form;
  bool required;
  StringRef meaning; // For "conv2d needs <meaning>" messages.
  StringRef example;
};

static std::optional<PositionalSpec> positionalOf(LayerKind kind) {
  switch (kind) {
  case LayerKind::Conv2D:
    return PositionalSpec{ValueForm::Int, true, "the number of output channels",
                          "conv2d 16 kernel=3"};
  case LayerKind::Linear:
    return PositionalSpec{ValueForm::Int, true, "the number of output features",
                          "linear 120"};
  case LayerKind::MaxPool:
  case LayerKind::AvgPool:
    return PositionalSpec{ValueForm::Size, true, "a kernel size", "maxpool 2"};
  case LayerKind::AdaptiveAvgPool:
    return PositionalSpec{ValueForm::Size, true, "an output size",
                          "adaptive_avgpool 7"};
  case LayerKind::LRN:
    return PositionalSpec{ValueForm::Int, true, "a size (channels)", "lrn 5"};
  case LayerKind::Dropout:
    return PositionalSpec{ValueForm::Float, false, "a probability",
                          "dropout 0.5"};
  default:
    return std::nullopt;
  }
}

/// A parsed value; which member is set follows the ValueForm.
struct Value {
  int64_t integer = 0;
  Size2 size;
  double real = 0;
  bool boolean = false;
};

/// An open `NAME {` block.
struct OpenBlock {
  std::string name;
  SMLoc loc;
  std::string prefix;    // Parameter-name prefix of the block's layers.
  int64_t nextIndex = 0; // Position of the next statement inside it.
};

class Parser {
public:
  Parser(llvm::SourceMgr &sourceMgr, unsigned bufferId)
      : sourceMgr(sourceMgr), buffer(sourceMgr.getMemoryBuffer(bufferId)) {}

  std::optional<ModelAST> parse();

private:
  void error(SMLoc loc, const llvm::Twine &message) {
    sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
    hadError = true;
  }
  void note(SMLoc loc, const llvm::Twine &message) {
    sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message);
  }

  void parseLine(const TokenLine &line);
  void parseModel(const TokenLine &line);
  void parseInput(const TokenLine &line);
  void parseBlockOpen(const TokenLine &line);
  void parseBlockClose(const TokenLine &line);
  void parseLayer(const TokenLine &line);

  std::optional<Value> parseValue(StringRef text, SMLoc loc, ValueForm form,
                                  StringRef what);
  std::optional<int64_t> parseInteger(StringRef text, SMLoc loc,
                                      StringRef what);
  bool applyKey(LayerAST &layer, StringRef key, const Value &value,
                SMLoc valueLoc);
  bool applyPositional(LayerAST &layer, const Value &value, SMLoc loc);
  bool checkLayer(LayerAST &layer, bool hasPositional, bool hasStride,
                  bool hasKernelKey);

  /// Claims `name` as a label or block name; reports duplicates.
  bool claimName(StringRef name, SMLoc loc);
  std::string nextParamPrefix(std::optional<StringRef> label);

  llvm::SourceMgr &sourceMgr;
  const llvm::MemoryBuffer *buffer;
  bool hadError = false;
  bool sawModel = false;
  bool sawInput = false;
  bool sawStatement = false;
  ModelAST model;
  llvm::SmallVector<OpenBlock> blocks;
  int64_t nextTopLevelIndex = 0;
  llvm::StringMap<SMLoc> names;
};

} // namespace

std::optional<ModelAST> Parser::parse() {
  for (const TokenLine &line : lexSpec(buffer->getBuffer())) {
    parseLine(line);
    sawStatement = true;
  }
  SMLoc start = SMLoc::getFromPointer(buffer->getBufferStart());
  for (const OpenBlock &block : blocks)
    error(block.loc, "block '" + block.name +
                         "' is never closed; expected '}' on a line of its own");
  if (!sawModel)
    error(start, "missing 'model NAME' statement; a spec starts with it");
  else if (!sawInput)
    error(model.nameLoc,
          "missing 'input NxCxHxW' statement (e.g. 'input 1x1x28x28')");
  else if (model.layers.empty() && !hadError)
    error(model.nameLoc, "model '" + model.name + "' has no layers");
  if (hadError)
    return std::nullopt;
  return std::move(model);
}

void Parser::parseLine(const TokenLine &line) {
  StringRef first = line.front().text;
  if (first == "}")
    return parseBlockClose(line);
  if (line.back().text == "{")
    return parseBlockOpen(line);
  if (first == "model")
    return parseModel(line);
  if (first == "input")
    return parseInput(line);
  parseLayer(line);
}

void Parser::parseModel(const TokenLine &line) {
  if (sawModel) {
    error(line[0].loc, "duplicate 'model' statement");
    note(model.nameLoc, "the model was named here");
    return;
  }
  if (sawStatement || !blocks.empty()) {
    error(line[0].loc, "'model NAME' must be the first statement");
  }
  sawModel = true;
  if (line.size() != 2) {
    error(line.size() < 2 ? line[0].loc : line[2].loc,
          "expected 'model NAME' (e.g. 'model lenet5')");
    model.nameLoc = line[0].loc;
    return;
  }
  if (!isIdentifier(line[1].text)) {
    error(line[1].loc, "model name '" + line[1].text +
                           "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
  }
  model.name = line[1].text.str();
  model.nameLoc = line[1].loc;
}

void Parser::parseInput(const TokenLine &line) {
  if (!sawModel && !sawStatement)
    error(line[0].loc, "'model NAME' must be the first statement");
  if (sawInput) {
    error(line[0].loc, "duplicate 'input' statement; a model has exactly one");
    note(model.inputLoc, "the input was declared here");
    return;
  }
  if (!blocks.empty())
    error(line[0].loc, "'input' cannot appear inside a block");
  if (!model.layers.empty())
    error(line[0].loc, "'input' must come before the first layer");
  sawInput = true;
  model.inputLoc = line[0].loc;
  if (line.size() != 2) {
    error(line.size() < 2 ? line[0].loc : line[2].loc,
          "expected 'input NxCxHxW' (e.g. 'input 1x1x28x28')");
    return;
  }
  llvm::SmallVector<StringRef> parts;
  line[1].text.split(parts, 'x');
  if (parts.size() != 4 && parts.size() != 2) {
    error(line[1].loc, "input shape '" + line[1].text +
                           "' must be NxCxHxW (e.g. 'input 1x1x28x28')");
    return;
  }
  const char *p = line[1].text.begin();
  for (StringRef part : parts) {
    std::optional<int64_t> dim =
        parseInteger(part, SMLoc::getFromPointer(p), "input dimension");
    p += part.size() + 1;
    if (!dim)
      return;
    model.inputShape.push_back(*dim);
  }
  model.inputLoc = line[1].loc;
}

void Parser::parseBlockOpen(const TokenLine &line) {
  if (line.size() != 2 || !isIdentifier(line[0].text)) {
    error(line[0].loc, "expected 'NAME {' to open a block");
    // Still push a block so that its '}' balances.
    blocks.push_back({"<invalid>", line[0].loc, "", 0});
    return;
  }
  StringRef name = line[0].text;
  if (parseLayerKind(name) || name == "model" || name == "input")
    error(line[0].loc, "'" + name + "' is reserved and cannot name a block");
  claimName(name, line[0].loc);
  if (!sawInput)
    error(line[0].loc, "'input NxCxHxW' must come before the first layer");
  OpenBlock block{name.str(), line[0].loc, "", 0};
  if (blocks.empty()) {
    block.prefix = name.str();
    ++nextTopLevelIndex;
  } else {
    // A nested nn.Sequential is named by its position in the outer one.
    OpenBlock &outer = blocks.back();
    block.prefix = outer.prefix + "." + std::to_string(outer.nextIndex++);
  }
  blocks.push_back(std::move(block));
}

void Parser::parseBlockClose(const TokenLine &line) {
  if (blocks.empty())
    error(line[0].loc, "unmatched '}': no block is open");
  else
    blocks.pop_back();
  if (line.size() > 1)
    error(line[1].loc, "unexpected '" + line[1].text +
                           "' after '}'; put the next statement on a new line");
}

bool Parser::claimName(StringRef name, SMLoc loc) {
  auto [it, inserted] = names.try_emplace(name, loc);
  if (inserted)
    return true;
  error(loc, "duplicate name '" + name +
                 "'; labels and block names must be unique in a model");
  note(it->second, "'" + name + "' was first used here");
  return false;
}

std::string Parser::nextParamPrefix(std::optional<StringRef> label) {
  if (blocks.empty()) {
    int64_t index = nextTopLevelIndex++;
    return label ? label->str() : std::to_string(index);
  }
  // Inside a block every statement is named by its position, as in a nested
  // nn.Sequential; a label there only identifies the layer.
  OpenBlock &block = blocks.back();
  return block.prefix + "." + std::to_string(block.nextIndex++);
}

std::optional<int64_t> Parser::parseInteger(StringRef text, SMLoc loc,
                                            StringRef what) {
  int64_t value;
  // getAsInteger rejects trailing junk and values that overflow int64_t.
  if (text.getAsInteger(10, value)) {
    bool digits = !text.empty() && llvm::all_of(text.drop_front(text[0] == '-'),
                                                [](char c) {
                                                  return std::isdigit(
                                                      (unsigned char)c);
                                                });
    if (digits && text.size() > 1)
      error(loc, what + " '" + text + "' is too large");
    else
      error(loc, "expected an integer for " + what + ", found '" + text + "'");
    return std::nullopt;
  }
  if (value <= 0) {
    error(loc, what + " must be positive, found " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<Value> Parser::parseValue(StringRef text, SMLoc loc,
                                        ValueForm form, StringRef what) {
  Value value;
  switch (form) {
  case ValueForm::Int: {
    int64_t v;
    if (text.getAsInteger(10, v)) {
      error(loc, "expected an integer for " + what + ", found '" + text + "'");
      return std::nullopt;
    }
    value.integer = v;
    return value;
  }
  case ValueForm::Size: {
    auto [h, w] = text.split('x');
    int64_t hv, wv;
    bool bad = h.getAsInteger(10, hv);
    if (text.contains('x'))
      bad |= w.getAsInteger(10, wv);
    else
      wv = hv;
    if (bad || h.empty()) {
      error(loc, "expected a size (N or HxW, e.g. 3 or 3x5) for " + what +
                     ", found '" + text + "'");
      return std::nullopt;
    }
    value.size = {hv, wv};
    return value;
  }
  case ValueForm::Float: {
    double v;
    // getAsDouble accepts "inf"/"nan" spellings; the spec only has decimals.
    if (text.getAsDouble(v) || !std::isfinite(v)) {
      error(loc, "expected a number for " + what + ", found '" + text + "'");
      return std::nullopt;
    }
    value.real = v;
    return value;
  }
  case ValueForm::Bool:
    if (text == "true" || text == "True") {
      value.boolean = true;
      return value;
    }
    if (text == "false" || text == "False") {
      value.boolean = false;
      return value;
    }
    error(loc, "expected true or false for " + what + ", found '" + text + "'");
    return std::nullopt;
  }
  llvm_unreachable("unknown value form");
}

/// Checks that every component of a size is positive (or non-negative).
static bool sizeIsValid(Size2 size, bool allowZero) {
  int64_t low = allowZero ? 0 : 1;
  return size.h >= low && size.w >= low;
}

bool Parser::applyPositional(LayerAST &layer, const Value &value, SMLoc loc) {
  switch (layer.kind) {
  case LayerKind::Conv2D:
  case LayerKind::Linear:
    if (value.integer <= 0) {
      error(loc, layerKindName(layer.kind) + " " +
                     (layer.kind == LayerKind::Conv2D ? "output channels"
                                                      : "output features") +
                     " must be positive, found " +
                     llvm::Twine(value.integer));
      return false;
    }
    layer.outFeatures = value.integer;
    layer.outFeaturesLoc = loc;
    return true;
  case LayerKind::MaxPool:
  case LayerKind::AvgPool:
    layer.kernel = value.size;
    layer.kernelLoc = loc;
    if (!sizeIsValid(value.size, false)) {
      error(loc, "kernel size must be positive");
      return false;
    }
    return true;
  case LayerKind::AdaptiveAvgPool:
    if (!sizeIsValid(value.size, false)) {
      error(loc, "adaptive_avgpool output size must be positive");
      return false;
    }
    layer.outputSize = value.size;
    return true;
  case LayerKind::LRN:
    if (value.integer <= 0) {
      error(loc, "lrn size must be positive, found " +
                     llvm::Twine(value.integer));
      return false;
    }
    layer.lrnSize = value.integer;
    return true;
  case LayerKind::Dropout:
    if (!(value.real >= 0.0 && value.real <= 1.0)) {
      error(loc, "dropout probability must be in [0, 1], found " +
                     llvm::formatv("{0}", value.real));
      return false;
    }
    layer.p = value.real;
    return true;
  default:
    llvm_unreachable("layer kind takes no positional argument");
  }
}

bool Parser::applyKey(LayerAST &layer, StringRef key, const Value &value,
                      SMLoc loc) {
  auto positive = [&](Size2 size, StringRef what) {
    if (sizeIsValid(size, false))
      return true;
    error(loc, what + " must be positive");
    return false;
  };
  if (key == "kernel") {
    layer.kernel = value.size;
    layer.kernelLoc = loc;
    return positive(value.size, "kernel size");
  }
  if (key == "stride") {
    layer.stride = value.size;
    return positive(value.size, "stride");
  }
  if (key == "dilation") {
    layer.dilation = value.size;
    return positive(value.size, "dilation");
  }
  if (key == "padding") {
    layer.padding = value.size;
    layer.paddingLoc = loc;
    if (sizeIsValid(value.size, true))
      return true;
    error(loc, "padding must be non-negative");
    return false;
  }
  if (key == "groups") {
    layer.groups = value.integer;
    layer.groupsLoc = loc;
    if (value.integer > 0)
      return true;
    error(loc, "groups must be positive, found " + llvm::Twine(value.integer));
    return false;
  }
  if (key == "bias")
    layer.bias = value.boolean;
  else if (key == "ceil_mode")
    layer.ceilMode = value.boolean;
  else if (key == "count_include_pad")
    layer.countIncludePad = value.boolean;
  else if (key == "alpha")
    layer.alpha = value.real;
  else if (key == "beta")
    layer.beta = value.real;
  else if (key == "k")
    layer.k = value.real;
  else if (key == "eps") {
    layer.eps = value.real;
    if (value.real < 0) {
      error(loc, "eps must be non-negative");
      return false;
    }
  }
  return true;
}

bool Parser::checkLayer(LayerAST &layer, bool hasPositional, bool hasStride,
                        bool hasKernelKey) {
  std::optional<PositionalSpec> positional = positionalOf(layer.kind);
  bool isPool =
      layer.kind == LayerKind::MaxPool || layer.kind == LayerKind::AvgPool;
  if (positional && positional->required && !hasPositional &&
      !(isPool && hasKernelKey)) {
    error(layer.loc, layerKindName(layer.kind) + " needs " +
                         positional->meaning + " (e.g. '" +
                         positional->example + "')");
    return false;
  }
  if (layer.kind == LayerKind::Conv2D && !hasKernelKey) {
    error(layer.loc, "conv2d needs kernel=SIZE (e.g. 'conv2d 16 kernel=3')");
    return false;
  }
  if (isPool) {
    if (!hasStride)
      layer.stride = layer.kernel; // PyTorch: stride defaults to the kernel.
    // PyTorch: "pad should be at most half of effective kernel size".
    if (layer.padding.h > layer.kernel.h / 2 ||
        layer.padding.w > layer.kernel.w / 2) {
      error(layer.paddingLoc.isValid() ? layer.paddingLoc : layer.loc,
            llvm::formatv("pool padding {0}x{1} exceeds half the kernel "
                          "{2}x{3}; it must be at most {4}x{5}",
                          layer.padding.h, layer.padding.w, layer.kernel.h,
                          layer.kernel.w, layer.kernel.h / 2,
                          layer.kernel.w / 2));
      return false;
    }
  }
  return true;
}

void Parser::parseLayer(const TokenLine &line) {
  size_t i = 0;
  std::optional<StringRef> label;
  SMLoc labelLoc;
  if (line[0].text.ends_with(":")) {
    StringRef name = line[0].text.drop_back();
    if (!isIdentifier(name)) {
      error(line[0].loc, "label '" + name +
                             "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
      return;
    }
    label = name;
    labelLoc = line[0].loc;
    i = 1;
    if (line.size() == 1) {
      error(line[0].loc, "expected an op after label '" + name + ":'");
      return;
    }
  }
  const Token &opToken = line[i++];
  std::optional<LayerKind> kind = parseLayerKind(opToken.text);
  if (!kind) {
    if (opToken.text.contains('=') || opToken.text.contains(':'))
      error(opToken.loc, "expected an op, found '" + opToken.text + "'");
    else
      error(opToken.loc, "unknown op '" + opToken.text +
                             "'; expected one of: " + kAllOps);
    return;
  }
  if (!sawModel && !sawStatement)
    error(opToken.loc, "'model NAME' must be the first statement");
  if (!sawInput) {
    error(opToken.loc, "'input NxCxHxW' must come before the first layer");
    return;
  }

  LayerAST layer;
  layer.kind = *kind;
  layer.loc = opToken.loc;
  bool ok = true, hasPositional = false, hasStride = false,
       hasKernelKey = false;
  std::optional<PositionalSpec> positional = positionalOf(*kind);
  llvm::ArrayRef<KeySpec> keys = keysOf(*kind);
  llvm::StringSet<> seenKeys;
  for (; i < line.size(); ++i) {
    const Token &token = line[i];
    size_t eq = token.text.find('=');
    if (eq == StringRef::npos) {
      if (i + 1 < line.size() && line[i + 1].text.starts_with("=")) {
        error(line[i + 1].loc, "write key=value without spaces around '='");
        ok = false;
        break;
      }
      if (!positional) {
        error(token.loc, layerKindName(*kind) +
                             " takes no positional argument, found '" +
                             token.text + "'");
        ok = false;
        continue;
      }
      if (hasPositional) {
        error(token.loc, "unexpected '" + token.text + "': " +
                             layerKindName(*kind) +
                             " takes one positional argument");
        ok = false;
        continue;
      }
      hasPositional = true;
      std::optional<Value> value =
          parseValue(token.text, token.loc, positional->form,
                     (layerKindName(*kind) + " " + positional->meaning).str());
      ok &= value && applyPositional(layer, *value, token.loc);
      continue;
    }
    StringRef key = token.text.take_front(eq);
    StringRef text = token.text.drop_front(eq + 1);
    SMLoc valueLoc = SMLoc::getFromPointer(text.begin());
    if (key.empty() || text.empty()) {
      error(token.loc, "expected key=value without spaces, found '" +
                           token.text + "'");
      ok = false;
      continue;
    }
    const KeySpec *spec = llvm::find_if(
        keys, [&](const KeySpec &candidate) { return candidate.name == key; });
    if (spec == keys.end()) {
      std::string valid;
      for (const KeySpec &candidate : keys)
        valid += (valid.empty() ? "" : ", ") + candidate.name.str();
      error(token.loc, layerKindName(*kind) + " has no key '" + key + "'" +
                           (valid.empty() ? "; it takes no keys"
                                          : "; valid keys: " + valid));
      ok = false;
      continue;
    }
    if (!seenKeys.insert(key).second) {
      error(token.loc, "duplicate key '" + key + "'");
      ok = false;
      continue;
    }
    hasStride |= key == "stride";
    hasKernelKey |= key == "kernel";
    if (key == "kernel" && hasPositional &&
        (*kind == LayerKind::MaxPool || *kind == LayerKind::AvgPool)) {
      error(token.loc, "kernel given twice: as the positional argument and "
                       "as kernel=");
      ok = false;
      continue;
    }
    std::optional<Value> value =
        parseValue(text, valueLoc, spec->form, ("'" + key + "'").str());
    ok &= value && applyKey(layer, key, *value, valueLoc);
  }
  if (label && !claimName(*label, labelLoc))
    ok = false;
  // The layer takes its position even when it is malformed, so that the
  // names of the layers after it stay right.
  layer.paramPrefix = nextParamPrefix(label);
  if (!ok || !checkLayer(layer, hasPositional, hasStride, hasKernelKey))
    return;
  model.layers.push_back(std::move(layer));
}

std::optional<ModelAST> kiln::frontend::parseSpec(llvm::SourceMgr &sourceMgr,
                                                  unsigned bufferId) {
  return Parser(sourceMgr, bufferId).parse();
}
