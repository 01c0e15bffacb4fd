//===- Parser.cpp - Parse a .nn spec into a ModelAST ----------------------===//
//
// A line-at-a-time recursive-descent parser. Blocks are flattened as they are
// read: the parser only tracks the stack of open blocks so that it can name
// each layer's parameters the way nn.Sequential's state_dict would.
//
// Error recovery is by line: a statement with a mistake is reported and
// dropped, and parsing goes on with the next line, so that one run reports
// every independent mistake. Each kind of mistake that would otherwise
// cascade (a missing `model`, layers before `input`) is reported once, and
// the parser stops after kMaxErrors errors so that a file of garbage gives a
// short report instead of one error per token.
//
//===----------------------------------------------------------------------===//
#include "kiln/Frontend/Parser.h"
#include "kiln/Frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace kiln::frontend;
using llvm::SMLoc;
using llvm::StringRef;

/// The parser stops after this many errors, as compilers do.
static constexpr unsigned kMaxErrors = 20;

/// The deepest block nesting accepted. Parameter names grow with the depth
/// ("a.0.1.0..."), so an unbounded depth would let a small spec of nested
/// blocks cost quadratic time and memory; real networks nest a few levels.
static constexpr size_t kMaxBlockDepth = 64;

llvm::StringRef kiln::frontend::layerKindName(LayerKind kind) {
  switch (kind) {
  case LayerKind::Conv2D:
    return "conv2d";
  case LayerKind::Linear:
    return "linear";
  case LayerKind::ReLU:
    return "relu";
  case LayerKind::Sigmoid:
    return "sigmoid";
  case LayerKind::Tanh:
    return "tanh";
  case LayerKind::ReLU6:
    return "relu6";
  case LayerKind::Hardtanh:
    return "hardtanh";
  case LayerKind::LeakyReLU:
    return "leaky_relu";
  case LayerKind::ELU:
    return "elu";
  case LayerKind::PReLU:
    return "prelu";
  case LayerKind::Hardswish:
    return "hardswish";
  case LayerKind::Hardsigmoid:
    return "hardsigmoid";
  case LayerKind::SiLU:
    return "silu";
  case LayerKind::Softplus:
    return "softplus";
  case LayerKind::Softsign:
    return "softsign";
  case LayerKind::SELU:
    return "selu";
  case LayerKind::CELU:
    return "celu";
  case LayerKind::MaxPool:
    return "maxpool";
  case LayerKind::AvgPool:
    return "avgpool";
  case LayerKind::AdaptiveAvgPool:
    return "adaptive_avgpool";
  case LayerKind::LRN:
    return "lrn";
  case LayerKind::BatchNorm:
    return "batchnorm";
  case LayerKind::Dropout:
    return "dropout";
  case LayerKind::Flatten:
    return "flatten";
  case LayerKind::Softmax:
    return "softmax";
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
      .Case("relu6", LayerKind::ReLU6)
      .Case("hardtanh", LayerKind::Hardtanh)
      .Case("leaky_relu", LayerKind::LeakyReLU)
      .Case("elu", LayerKind::ELU)
      .Case("prelu", LayerKind::PReLU)
      .Case("hardswish", LayerKind::Hardswish)
      .Case("hardsigmoid", LayerKind::Hardsigmoid)
      .Case("silu", LayerKind::SiLU)
      .Case("softplus", LayerKind::Softplus)
      .Case("softsign", LayerKind::Softsign)
      .Case("selu", LayerKind::SELU)
      .Case("celu", LayerKind::CELU)
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

bool kiln::frontend::isReservedWord(StringRef word) {
  return parseLayerKind(word) || word == "model" || word == "input";
}

static constexpr StringRef kAllOps[] = {
    "conv2d",    "linear",      "relu",       "sigmoid",  "tanh",
    "relu6",     "hardtanh",    "leaky_relu", "elu",      "prelu",
    "hardswish", "hardsigmoid", "silu",       "softplus", "softsign",
    "selu",      "celu",        "maxpool",    "avgpool",  "adaptive_avgpool",
    "lrn",       "batchnorm",   "dropout",    "flatten",  "softmax"};

static bool isIdentifier(StringRef text) {
  if (text.empty() || !(llvm::isAlpha(text[0]) || text[0] == '_'))
    return false;
  return llvm::all_of(text.drop_front(),
                      [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

/// Quotes a token for a message. Tokens come from arbitrary files: a token
/// can be megabytes long or hold control bytes, so it is cut short and bytes
/// that are not printable ASCII are escaped.
static std::string quote(StringRef text) {
  constexpr size_t kMaxQuoted = 40;
  std::string quoted = "'";
  for (char c : text.take_front(kMaxQuoted)) {
    if (c >= ' ' && c <= '~') {
      quoted += c;
    } else {
      quoted += "\\x";
      quoted += llvm::hexdigit((unsigned char)c >> 4, /*LowerCase=*/true);
      quoted += llvm::hexdigit((unsigned char)c & 15, /*LowerCase=*/true);
    }
  }
  if (text.size() > kMaxQuoted)
    quoted += "...";
  return quoted + "'";
}

/// Returns " (did you mean 'NAME'?)" when `text` is a likely typo of one of
/// `names` (close in edit distance, ignoring case), and "" otherwise.
static std::string didYouMean(StringRef text, llvm::ArrayRef<StringRef> names) {
  // Typos are short; comparing a huge token would only waste time.
  if (text.empty() || text.size() > 64)
    return "";
  std::string lower = text.lower();
  std::optional<StringRef> best;
  unsigned bestDistance = std::max<size_t>(2, text.size() / 3) + 1;
  for (StringRef name : names) {
    unsigned distance =
        StringRef(lower).edit_distance(name.lower(), /*AllowReplacements=*/true,
                                       /*MaxEditDistance=*/bestDistance);
    // A prefix such as `conv` for `conv2d` or `adaptive` is a likely typo
    // too, whatever its distance.
    if (name.starts_with(lower) && lower.size() >= 3)
      distance = std::min(distance, 1u);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = name;
    }
  }
  return best ? (" (did you mean '" + *best + "'?)").str() : "";
}

namespace {

/// How an integer token failed to parse.
enum class IntResult { Ok, NotInteger, TooLarge };

/// Parses an optionally negative run of decimal digits. It tells "not a
/// number" from "does not fit in 64 bits", so that 99999999999999999999 is
/// reported as too large rather than as malformed.
IntResult lexInteger(StringRef text, int64_t &value) {
  StringRef digits = text.drop_front(text.starts_with("-") ? 1 : 0);
  if (digits.empty() || !llvm::all_of(digits, llvm::isDigit))
    return IntResult::NotInteger;
  return text.getAsInteger(10, value) ? IntResult::TooLarge : IntResult::Ok;
}

/// The form of a positional or key value, which decides how it is parsed.
enum class ValueForm { Int, Size, Float, Bool };

struct KeySpec {
  StringRef name;
  ValueForm form;
};

/// The keys each layer kind accepts, as the contract's table lists them.
/// Pools also accept `kernel=` as an alternative to the positional kernel.
llvm::ArrayRef<KeySpec> keysOf(LayerKind kind) {
  static const KeySpec conv[] = {
      {"kernel", ValueForm::Size},  {"stride", ValueForm::Size},
      {"padding", ValueForm::Size}, {"dilation", ValueForm::Size},
      {"groups", ValueForm::Int},   {"bias", ValueForm::Bool}};
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
  static const KeySpec hardtanh[] = {{"min_val", ValueForm::Float},
                                     {"max_val", ValueForm::Float}};
  static const KeySpec leakyRelu[] = {{"negative_slope", ValueForm::Float}};
  static const KeySpec elu[] = {{"alpha", ValueForm::Float}};
  static const KeySpec prelu[] = {{"num_parameters", ValueForm::Int},
                                  {"init", ValueForm::Float}};
  switch (kind) {
  case LayerKind::Conv2D:
    return conv;
  case LayerKind::Linear:
    return linear;
  case LayerKind::MaxPool:
    return maxPool;
  case LayerKind::AvgPool:
    return avgPool;
  case LayerKind::LRN:
    return lrn;
  case LayerKind::BatchNorm:
    return batchNorm;
  case LayerKind::Hardtanh:
    return hardtanh;
  case LayerKind::LeakyReLU:
    return leakyRelu;
  case LayerKind::ELU:
  case LayerKind::CELU:
    return elu;
  case LayerKind::PReLU:
    return prelu;
  default:
    return {};
  }
}

/// What a layer kind takes as its positional argument, if anything.
struct PositionalSpec {
  ValueForm form;
  bool required;
  StringRef meaning; // For "conv2d needs <meaning>" messages.
  StringRef what;    // For "<what> must be positive" messages.
  StringRef example;
};

std::optional<PositionalSpec> positionalOf(LayerKind kind) {
  switch (kind) {
  case LayerKind::Conv2D:
    return PositionalSpec{ValueForm::Int, true, "the number of output channels",
                          "conv2d output channels", "conv2d 16 kernel=3"};
  case LayerKind::Linear:
    return PositionalSpec{ValueForm::Int, true, "the number of output features",
                          "linear output features", "linear 120"};
  case LayerKind::MaxPool:
    return PositionalSpec{ValueForm::Size, true, "a kernel size",
                          "maxpool kernel", "maxpool 2"};
  case LayerKind::AvgPool:
    return PositionalSpec{ValueForm::Size, true, "a kernel size",
                          "avgpool kernel", "avgpool 2"};
  case LayerKind::AdaptiveAvgPool:
    return PositionalSpec{ValueForm::Size, true, "an output size",
                          "adaptive_avgpool output size", "adaptive_avgpool 7"};
  case LayerKind::LRN:
    return PositionalSpec{ValueForm::Int, true, "a size (channels)", "lrn size",
                          "lrn 5"};
  case LayerKind::Dropout:
    return PositionalSpec{ValueForm::Float, false, "a probability",
                          "dropout probability", "dropout 0.5"};
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
    hadError = true;
    if (tooManyErrors())
      return;
    sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
    if (++errorCount == kMaxErrors)
      sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note,
                             llvm::Twine(kMaxErrors) +
                                 " errors: stopping here; fix these first");
  }
  void note(SMLoc loc, const llvm::Twine &message) {
    if (!tooManyErrors())
      sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message);
  }
  bool tooManyErrors() const { return errorCount >= kMaxErrors; }

  /// Returns the location of byte `offset` of `token`.
  static SMLoc locAt(const Token &token, size_t offset) {
    return SMLoc::getFromPointer(token.text.data() +
                                 std::min(offset, token.text.size()));
  }

  void parseLine(const TokenLine &line);
  void parseModel(const TokenLine &line);
  void parseInput(const TokenLine &line);
  void parseBlockOpen(const TokenLine &line);
  void parseBlockClose(const TokenLine &line);
  void parseMisplacedBraces(const TokenLine &line);
  void parseLayer(const TokenLine &line);
  /// Reports a layer or block before `input`, once.
  void reportNoInput(SMLoc loc);

  std::optional<Value> parseValue(StringRef text, SMLoc loc, ValueForm form,
                                  StringRef what);
  bool applyKey(LayerAST &layer, StringRef key, const Value &value,
                StringRef text, SMLoc valueLoc);
  bool applyPositional(LayerAST &layer, const PositionalSpec &spec,
                       const Value &value, StringRef text, SMLoc loc);
  bool checkLayer(LayerAST &layer, bool hasPositional, bool hasStride,
                  bool hasKernelKey);

  /// Claims `name` as a label or block name; reports duplicates.
  bool claimName(StringRef name, SMLoc loc);
  std::string nextParamPrefix(std::optional<StringRef> label);

  llvm::SourceMgr &sourceMgr;
  const llvm::MemoryBuffer *buffer;
  bool hadError = false;
  unsigned errorCount = 0;
  bool sawModel = false;
  bool sawInput = false;
  bool sawStatement = false;
  bool reportedNoInput = false;
  ModelAST model;
  llvm::SmallVector<OpenBlock> blocks;
  int64_t nextTopLevelIndex = 0;
  llvm::StringMap<SMLoc> names;
};

} // namespace

std::optional<ModelAST> Parser::parse() {
  for (const TokenLine &line : lexSpec(buffer->getBuffer())) {
    if (tooManyErrors())
      return std::nullopt;
    parseLine(line);
    sawStatement = true;
  }
  for (const OpenBlock &block : blocks)
    error(block.loc, "block " + quote(block.name) +
                         " is never closed; expected '}' on a line of its own");
  if (!sawStatement)
    error(SMLoc::getFromPointer(buffer->getBufferStart()),
          "empty spec: expected 'model NAME' (e.g. 'model lenet5') as its "
          "first statement");
  else if (sawModel && !sawInput && !reportedNoInput)
    error(model.nameLoc,
          "missing 'input NxCxHxW' statement (e.g. 'input 1x1x28x28')");
  else if (sawModel && sawInput && model.layers.empty() && !hadError)
    error(model.nameLoc, "model " + quote(model.name) + " has no layers");
  if (hadError)
    return std::nullopt;
  return std::move(model);
}

void Parser::parseLine(const TokenLine &line) {
  StringRef first = line.front().text;
  // Later statements are still parsed: their own mistakes are worth
  // reporting, and the layer checks stay quiet about the missing model.
  if (!sawStatement && first != "model")
    error(line.front().loc, "a spec starts with 'model NAME' (e.g. 'model "
                            "lenet5'), found " +
                                quote(first));
  if (first == "}")
    return parseBlockClose(line);
  bool misplacedBrace =
      llvm::any_of(llvm::ArrayRef(line).drop_back(), [](const Token &token) {
        return token.text == "{" || token.text == "}";
      });
  if (misplacedBrace || (line.back().text == "}" && line.size() > 1))
    return parseMisplacedBraces(line);
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
  // A statement before this one was reported when it was read.
  sawModel = true;
  model.nameLoc = line[0].loc;
  if (line.size() != 2) {
    error(line.size() < 2 ? line[0].loc : line[2].loc,
          "expected 'model NAME' (e.g. 'model lenet5')");
    return;
  }
  if (!isIdentifier(line[1].text)) {
    error(line[1].loc, "model name " + quote(line[1].text) +
                           " is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
  }
  model.name = line[1].text.str();
  model.nameLoc = line[1].loc;
}

void Parser::parseInput(const TokenLine &line) {
  if (sawInput) {
    error(line[0].loc, "duplicate 'input' statement; a model has exactly one");
    note(model.inputLoc, "the input was declared here");
    return;
  }
  if (!blocks.empty())
    error(line[0].loc, "'input' cannot appear inside a block");
  sawInput = true;
  model.inputLoc = line[0].loc;
  if (line.size() != 2) {
    error(line.size() < 2 ? line[0].loc : line[2].loc,
          "expected 'input NxCxHxW' (e.g. 'input 1x1x28x28')");
    return;
  }
  const Token &shape = line[1];
  // At most 5 parts: a token of a million 'x' must not become a million.
  llvm::SmallVector<StringRef, 5> parts;
  shape.text.split(parts, 'x', /*MaxSplit=*/4);
  if (parts.size() != 4 && parts.size() != 2) {
    error(shape.loc, "input shape " + quote(shape.text) +
                         " must be NxCxHxW (e.g. 'input 1x1x28x28')");
    return;
  }
  bool ok = true;
  for (StringRef part : parts) {
    SMLoc loc = locAt(shape, part.data() - shape.text.data());
    int64_t dim = 0;
    switch (lexInteger(part, dim)) {
    case IntResult::NotInteger:
      error(loc, "expected an integer input dimension, found " + quote(part) +
                     " in " + quote(shape.text));
      ok = false;
      continue;
    case IntResult::TooLarge:
      error(loc, quote(part) + " is too large for an input dimension: it "
                               "overflows 64-bit integers");
      ok = false;
      continue;
    case IntResult::Ok:
      break;
    }
    if (dim <= 0) {
      error(loc, "input dimensions must be positive, found " + quote(part));
      ok = false;
    }
    model.inputShape.push_back(dim);
  }
  if (!ok)
    model.inputShape.clear();
  model.inputLoc = shape.loc;
}

void Parser::reportNoInput(SMLoc loc) {
  // Without `model` the first line was reported already, and every layer
  // would repeat this error: say it once.
  if (!sawModel || reportedNoInput)
    return;
  error(loc, "'input NxCxHxW' must come before the first layer (e.g. "
             "'input 1x1x28x28')");
  reportedNoInput = true;
}

void Parser::parseBlockOpen(const TokenLine &line) {
  // An invalid block is still pushed so that its '}' balances.
  OpenBlock invalid{"<invalid>", line[0].loc, "", 0};
  if (line.size() != 2 || !isIdentifier(line[0].text)) {
    error(line[0].loc, "expected 'NAME {' to open a block, with the block's "
                       "statements on the lines after it");
    blocks.push_back(std::move(invalid));
    return;
  }
  StringRef name = line[0].text;
  if (isReservedWord(name))
    error(line[0].loc, "'" + name + "' is reserved and cannot name a block");
  claimName(name, line[0].loc);
  if (!sawInput)
    reportNoInput(line[0].loc);
  if (blocks.size() >= kMaxBlockDepth) {
    error(line[0].loc, "block " + quote(name) + " nests deeper than " +
                           llvm::Twine(kMaxBlockDepth) + " levels");
    blocks.push_back(std::move(invalid));
    return;
  }
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
  if (line.size() == 1)
    return;
  error(line[1].loc, "unexpected " + quote(line[1].text) +
                         " after '}'; put the next statement on a new line");
  // Further braces on the line still count, so that the rest of the file
  // is not reported as unbalanced too.
  for (const Token &token : llvm::ArrayRef(line).drop_front())
    if (token.text == "}" && !blocks.empty())
      blocks.pop_back();
}

void Parser::parseMisplacedBraces(const TokenLine &line) {
  bool reported = false;
  for (const Token &token : line) {
    if (token.text == "{") {
      if (!reported)
        error(token.loc, "'{' must end the line that opens a block: write "
                         "'NAME {' and the block's statements on the lines "
                         "after it");
      blocks.push_back({"<invalid>", token.loc, "", 0});
      reported = true;
    } else if (token.text == "}") {
      if (!reported)
        error(token.loc, "'}' must be on a line of its own");
      if (!blocks.empty())
        blocks.pop_back();
      reported = true;
    }
  }
}

bool Parser::claimName(StringRef name, SMLoc loc) {
  auto [it, inserted] = names.try_emplace(name, loc);
  if (inserted)
    return true;
  error(loc, "duplicate name " + quote(name) +
                 "; labels and block names must be unique in a model");
  note(it->second, quote(name) + " was first used here");
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

std::optional<Value> Parser::parseValue(StringRef text, SMLoc loc,
                                        ValueForm form, StringRef what) {
  Value value;
  switch (form) {
  case ValueForm::Int:
    switch (lexInteger(text, value.integer)) {
    case IntResult::Ok:
      return value;
    case IntResult::NotInteger:
      error(loc, "expected an integer for " + what + ", found " + quote(text));
      return std::nullopt;
    case IntResult::TooLarge:
      error(loc, quote(text) + " is too large for " + what +
                     ": it overflows 64-bit integers");
      return std::nullopt;
    }
    llvm_unreachable("unknown integer result");
  case ValueForm::Size: {
    auto [h, w] = text.split('x');
    bool square = !text.contains('x');
    IntResult hr = lexInteger(h, value.size.h);
    IntResult wr = square ? hr : lexInteger(w, value.size.w);
    if (square)
      value.size.w = value.size.h;
    if (hr == IntResult::NotInteger || wr == IntResult::NotInteger) {
      error(loc, "expected a size (N or HxW, e.g. 3 or 3x5) for " + what +
                     ", found " + quote(text));
      return std::nullopt;
    }
    if (hr == IntResult::TooLarge || wr == IntResult::TooLarge) {
      error(loc, quote(text) + " is too large for " + what +
                     ": it overflows 64-bit integers");
      return std::nullopt;
    }
    return value;
  }
  case ValueForm::Float: {
    // getAsDouble also takes "inf" and "nan" and rounds 1e999 to infinity;
    // the spec only has finite decimals.
    if (text.getAsDouble(value.real)) {
      error(loc, "expected a number for " + what + ", found " + quote(text));
      return std::nullopt;
    }
    if (!std::isfinite(value.real)) {
      bool hasDigit = llvm::any_of(text, llvm::isDigit);
      error(loc, hasDigit ? (quote(text) + " is out of range for " + what).str()
                          : ("expected a number for " + what + ", found " +
                             quote(text))
                                .str());
      return std::nullopt;
    }
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
    error(loc, "expected true or false for " + what + ", found " + quote(text));
    return std::nullopt;
  }
  llvm_unreachable("unknown value form");
}

/// Checks that every component of a size is positive (or non-negative).
static bool sizeIsValid(Size2 size, bool allowZero) {
  int64_t low = allowZero ? 0 : 1;
  return size.h >= low && size.w >= low;
}

bool Parser::applyPositional(LayerAST &layer, const PositionalSpec &spec,
                             const Value &value, StringRef text, SMLoc loc) {
  auto mustBePositive = [&] {
    error(loc, spec.what + " must be positive, found " + quote(text));
    return false;
  };
  switch (layer.kind) {
  case LayerKind::Conv2D:
  case LayerKind::Linear:
    if (value.integer <= 0)
      return mustBePositive();
    layer.outFeatures = value.integer;
    layer.outFeaturesLoc = loc;
    return true;
  case LayerKind::MaxPool:
  case LayerKind::AvgPool:
    layer.kernel = value.size;
    layer.kernelLoc = loc;
    return sizeIsValid(value.size, false) || mustBePositive();
  case LayerKind::AdaptiveAvgPool:
    layer.outputSize = value.size;
    layer.outFeaturesLoc = loc;
    return sizeIsValid(value.size, false) || mustBePositive();
  case LayerKind::LRN:
    if (value.integer <= 0)
      return mustBePositive();
    layer.lrnSize = value.integer;
    return true;
  case LayerKind::Dropout:
    // PyTorch: "dropout probability has to be between 0 and 1".
    if (!(value.real >= 0.0 && value.real <= 1.0)) {
      error(loc, "dropout probability must be in [0, 1], found " + quote(text));
      return false;
    }
    layer.p = value.real;
    return true;
  default:
    llvm_unreachable("layer kind takes no positional argument");
  }
}

bool Parser::applyKey(LayerAST &layer, StringRef key, const Value &value,
                      StringRef text, SMLoc loc) {
  auto check = [&](bool valid, StringRef requirement) {
    if (!valid)
      error(loc,
            "'" + key + "' must be " + requirement + ", found " + quote(text));
    return valid;
  };
  if (key == "kernel") {
    layer.kernel = value.size;
    layer.kernelLoc = loc;
    return check(sizeIsValid(value.size, false), "positive");
  }
  if (key == "stride") {
    layer.stride = value.size;
    return check(sizeIsValid(value.size, false), "positive");
  }
  if (key == "dilation") {
    layer.dilation = value.size;
    return check(sizeIsValid(value.size, false), "positive");
  }
  if (key == "padding") {
    layer.padding = value.size;
    layer.paddingLoc = loc;
    return check(sizeIsValid(value.size, true), "non-negative");
  }
  if (key == "num_parameters") {
    layer.numParameters = value.integer;
    layer.numParametersLoc = loc;
    return check(value.integer > 0, "positive");
  }
  if (key == "groups") {
    layer.groups = value.integer;
    layer.groupsLoc = loc;
    return check(value.integer > 0, "positive");
  }
  if (key == "bias")
    layer.bias = value.boolean;
  else if (key == "ceil_mode")
    layer.ceilMode = value.boolean;
  else if (key == "count_include_pad")
    layer.countIncludePad = value.boolean;
  else if (key == "alpha" && layer.kind == LayerKind::CELU) {
    layer.eluAlpha = value.real;
    // nn.CELU divides x by alpha.
    return check(value.real != 0, "non-zero (celu divides x by it)");
  } else if (key == "alpha")
    (layer.kind == LayerKind::ELU ? layer.eluAlpha : layer.alpha) = value.real;
  else if (key == "beta")
    layer.beta = value.real;
  else if (key == "k")
    layer.k = value.real;
  else if (key == "min_val" || key == "max_val") {
    (key == "min_val" ? layer.minVal : layer.maxVal) = value.real;
    layer.boundsLoc = loc;
  } else if (key == "init")
    layer.preluInit = value.real;
  else if (key == "negative_slope")
    layer.negativeSlope = value.real;
  else if (key == "eps") {
    layer.eps = value.real;
    // A negative eps can make var + eps negative: NaNs, not an error.
    return check(value.real >= 0, "non-negative");
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
  // PyTorch's nn.Hardtanh asserts max_val > min_val.
  if (layer.kind == LayerKind::Hardtanh && !(layer.maxVal > layer.minVal)) {
    std::string message;
    llvm::raw_string_ostream os(message);
    os << llvm::format("hardtanh max_val=%g must be greater than min_val=%g",
                       layer.maxVal, layer.minVal);
    error(layer.boundsLoc.isValid() ? layer.boundsLoc : layer.loc, message);
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
  StringRef first = line[0].text;
  if (line.size() > 1 && line[1].text.starts_with(":") && isIdentifier(first)) {
    // `fc1 : linear 120`
    error(line[1].loc,
          "write the label as '" + first + ":' with no space before the ':'");
    return;
  }
  size_t colon = first.find(':');
  if (colon != StringRef::npos) {
    StringRef name = first.take_front(colon);
    if (name.empty()) {
      error(line[0].loc, "expected a label before ':' (e.g. 'fc1: linear "
                         "120')");
      return;
    }
    if (!isIdentifier(name)) {
      error(line[0].loc, "label " + quote(name) +
                             " is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
      return;
    }
    if (colon + 1 != first.size()) {
      // `fc1:linear 120`
      error(locAt(line[0], colon + 1),
            "put a space after the label's ':' (e.g. " +
                quote((name + ": " + first.drop_front(colon + 1)).str()) + ")");
      return;
    }
    label = name;
    labelLoc = line[0].loc;
    i = 1;
    if (line.size() == 1) {
      error(line[0].loc, "expected an op after label " + quote(name));
      return;
    }
  }
  const Token &opToken = line[i++];
  std::optional<LayerKind> kind = parseLayerKind(opToken.text);
  if (!kind) {
    if (opToken.text == "model" || opToken.text == "input")
      error(opToken.loc, "'" + opToken.text + "' cannot have a label");
    else if (opToken.text.contains('=') || opToken.text.contains(':'))
      error(opToken.loc, "expected an op (e.g. 'conv2d 16 kernel=3'), found " +
                             quote(opToken.text));
    else
      error(opToken.loc, "unknown op " + quote(opToken.text) +
                             didYouMean(opToken.text, kAllOps) +
                             "; expected one of: " +
                             llvm::join(llvm::ArrayRef(kAllOps), ", "));
    return;
  }
  if (!sawInput)
    return reportNoInput(opToken.loc);

  LayerAST layer;
  layer.kind = *kind;
  layer.loc = opToken.loc;
  bool ok = true, hasPositional = false, hasStride = false,
       hasKernelKey = false;
  std::optional<PositionalSpec> positional = positionalOf(*kind);
  llvm::ArrayRef<KeySpec> keys = keysOf(*kind);
  llvm::StringMap<SMLoc> seenKeys;
  for (; i < line.size(); ++i) {
    const Token &token = line[i];
    size_t eq = token.text.find('=');
    if (eq == StringRef::npos && i + 1 < line.size() &&
        line[i + 1].text.starts_with("=")) {
      // `kernel = 3` or `kernel =3`: skip the '=' and the value.
      const Token &eqToken = line[i + 1];
      StringRef valueText = eqToken.text.drop_front();
      ++i;
      if (valueText.empty() && i + 1 < line.size() &&
          !line[i + 1].text.contains('='))
        valueText = line[++i].text;
      error(eqToken.loc, "write key=value without spaces around '=' (e.g. " +
                             quote((token.text + "=" + valueText).str()) + ")");
      ok = false;
      continue;
    }
    if (eq == StringRef::npos) {
      if (!positional) {
        error(token.loc, layerKindName(*kind) +
                             " takes no positional argument, found " +
                             quote(token.text));
        ok = false;
        break;
      }
      if (hasPositional) {
        error(token.loc, "unexpected " + quote(token.text) + ": " +
                             layerKindName(*kind) +
                             " takes one positional argument");
        ok = false;
        break;
      }
      hasPositional = true;
      std::optional<Value> value =
          parseValue(token.text, token.loc, positional->form, positional->what);
      ok &= value &&
            applyPositional(layer, *positional, *value, token.text, token.loc);
      continue;
    }
    StringRef key = token.text.take_front(eq);
    StringRef text = token.text.drop_front(eq + 1);
    SMLoc valueLoc = locAt(token, eq + 1);
    if (key.empty()) {
      error(token.loc, "expected key=value, found " + quote(token.text));
      ok = false;
      continue;
    }
    if (text.empty()) {
      if (i + 1 < line.size() && !line[i + 1].text.contains('=')) {
        // `kernel= 3`: skip the value.
        error(locAt(token, eq),
              "write key=value without spaces around '=' (e.g. " +
                  quote((token.text + line[i + 1].text).str()) + ")");
        ++i;
      } else {
        error(valueLoc, "expected a value after '" + key + "='");
      }
      ok = false;
      continue;
    }
    const KeySpec *spec = llvm::find_if(
        keys, [&](const KeySpec &candidate) { return candidate.name == key; });
    if (spec == keys.end()) {
      llvm::SmallVector<StringRef> valid;
      for (const KeySpec &candidate : keys)
        valid.push_back(candidate.name);
      error(token.loc,
            layerKindName(*kind) + " has no key " + quote(key) +
                (valid.empty() ? "; it takes no keys"
                               : didYouMean(key, valid) + "; valid keys: " +
                                     llvm::join(valid, ", ")));
      ok = false;
      continue;
    }
    auto [firstUse, inserted] = seenKeys.try_emplace(key, token.loc);
    if (!inserted) {
      error(token.loc, "duplicate key '" + key + "'");
      note(firstUse->second, "'" + key + "' was first given here");
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
    ok &= value && applyKey(layer, key, *value, text, valueLoc);
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
