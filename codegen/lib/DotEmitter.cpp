//===- DotEmitter.cpp - The layer graph as a Graphviz picture -------------===//

#include "kiln/Codegen/DotEmitter.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
using llvm::StringRef;

namespace kiln {
namespace {

/// Text inside a double-quoted dot string.
std::string escape(StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

std::string formatShape(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank())
    return "?";
  if (shaped.getRank() == 0)
    return "scalar";
  return llvm::join(llvm::map_range(shaped.getShape(),
                                    [](int64_t d) {
                                      return ShapedType::isDynamic(d)
                                                 ? std::string("?")
                                                 : std::to_string(d);
                                    }),
                    "x");
}

/// An attribute value in the fewest characters that still read well.
std::string formatValue(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto array = dyn_cast<DenseI64ArrayAttr>(attr))
    os << "["
       << llvm::join(
              llvm::map_range(array.asArrayRef(),
                              [](int64_t v) { return std::to_string(v); }),
              ", ")
       << "]";
  else if (auto integer = dyn_cast<IntegerAttr>(attr))
    os << integer.getValue();
  else if (auto real = dyn_cast<FloatAttr>(attr))
    os << llvm::format("%g", real.getValueAsDouble());
  else if (auto string = dyn_cast<StringAttr>(attr))
    os << string.getValue();
  else if (auto array = dyn_cast<ArrayAttr>(attr))
    os << "[" << llvm::join(llvm::map_range(array, formatValue), ", ") << "]";
  else
    attr.print(os);
  return text;
}

/// "name value" for each attribute ("name" alone for flags).
SmallVector<std::string> formatAttributes(ArrayRef<NamedAttribute> attrs) {
  SmallVector<std::string> lines;
  for (NamedAttribute attr : attrs) {
    if (isa<UnitAttr>(attr.getValue()) ||
        (isa<BoolAttr>(attr.getValue()) &&
         cast<BoolAttr>(attr.getValue()).getValue()))
      lines.push_back(attr.getName().str());
    else if (!isa<BoolAttr>(attr.getValue()))
      lines.push_back(attr.getName().str() + " " +
                      formatValue(attr.getValue()));
  }
  return lines;
}

/// "lenet5.nn:5" for an op from a spec line; lines "5-7" when several spec
/// lines were fused into it.
std::string formatLocation(Location loc) {
  SmallVector<FileLineColLoc> lines;
  SmallVector<std::string> nodes;
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner))
      lines.push_back(file);
    // ONNX nodes are named locations (their file position is 0:0).
    if (auto named = dyn_cast<NameLoc>(inner))
      nodes.push_back(named.getName().str());
    return WalkResult::advance();
  });
  if (!nodes.empty())
    return llvm::join(nodes, ", ");
  if (lines.empty())
    return "";
  unsigned first = lines.front().getLine(), last = first;
  for (FileLineColLoc line : lines) {
    first = std::min(first, line.getLine());
    last = std::max(last, line.getLine());
  }
  std::string text =
      llvm::sys::path::filename(lines.front().getFilename().getValue()).str() +
      ":" + std::to_string(first);
  if (last != first)
    text += "-" + std::to_string(last);
  return text;
}

/// A parameter operand: "conv1.weight 6x1x5x5" for a named weight blob.
std::optional<std::string> formatParameter(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  std::string name = "const";
  if (auto blob = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = blob.getRawHandle().getKey().str();
  return name + " " + formatShape(value.getType());
}

/// One layer of a fused op, as drawn inside its cluster.
struct Part {
  std::string name;
  SmallVector<std::string> lines;
};

/// The layers a fused op stands for, read from its attributes the way
/// nn.fused_conv2d and nn.fused_linear spell them: the op `fused_X` is an X,
/// followed by
///   - one part per flag (a unit attribute such as `relu`), or `clamp`
///     (array<f32: lo, hi>) drawn like an nn.clamp: an activation applied
///     to X's result, so it comes first;
///   - one part per string attribute `A = "v"` (`pool = "max"`), named
///     "v_A" plus X's "2d" suffix if it has one (max_pool2d), whose
///     attributes are those named `A_...` (`pool_kernel` -> kernel).
/// Every other attribute is X's.
SmallVector<Part> getFusedParts(Operation *op, StringRef baseName) {
  StringRef suffix = baseName.ends_with("2d") ? "2d" : "";
  SmallVector<Part> flags;
  SmallVector<std::pair<StringRef, Part>> named;
  for (NamedAttribute attr : op->getAttrs()) {
    StringRef name = attr.getName().getValue();
    if (isa<UnitAttr>(attr.getValue())) {
      flags.push_back(Part{name.str(), {}});
    } else if (auto bounds = dyn_cast<DenseF32ArrayAttr>(attr.getValue());
               bounds && name == "clamp" && bounds.size() == 2) {
      Builder b(op->getContext());
      flags.push_back(Part{
          "clamp", formatAttributes(SmallVector<NamedAttribute>{
                       b.getNamedAttr("max", b.getF32FloatAttr(bounds[1])),
                       b.getNamedAttr("min", b.getF32FloatAttr(bounds[0]))})});
    } else if (auto value = dyn_cast<StringAttr>(attr.getValue()))
      named.push_back(
          {name, Part{(value.getValue() + "_" + name + suffix).str(), {}}});
  }
  SmallVector<NamedAttribute> baseAttrs;
  for (NamedAttribute attr : op->getAttrs()) {
    StringRef name = attr.getName().getValue();
    if (isa<UnitAttr, StringAttr>(attr.getValue()) || name == "clamp")
      continue;
    auto owner = llvm::find_if(named, [&](auto &part) {
      return name.starts_with((part.first + "_").str());
    });
    if (owner == named.end()) {
      baseAttrs.push_back(attr);
      continue;
    }
    NamedAttribute renamed(
        StringAttr::get(op->getContext(),
                        name.drop_front(owner->first.size() + 1)),
        attr.getValue());
    llvm::append_range(owner->second.lines, formatAttributes(renamed));
  }
  SmallVector<Part> parts;
  parts.push_back(Part{baseName.str(), formatAttributes(baseAttrs)});
  llvm::append_range(parts, flags);
  for (auto &entry : named)
    parts.push_back(std::move(entry.second));
  return parts;
}

class GraphWriter {
public:
  explicit GraphWriter(llvm::raw_ostream &os) : os(os) {}

  void write(func::FuncOp func, StringRef modelName) {
    os << "digraph \"" << escape(modelName) << "\" {\n"
       << "  rankdir=TB;\n"
       << "  node [shape=box, style=rounded, fontname=\"Helvetica\", "
          "fontsize=10];\n"
       << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (BlockArgument arg : func.getArguments()) {
      std::string id = "input" + std::to_string(arg.getArgNumber());
      // The graph input's name, on a model that has several.
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    kIONameAttrName);
      os << "  " << id << " [shape=oval, label=\""
         << escape(name ? name.getValue() : "input") << "\\n"
         << formatShape(arg.getType()) << "\"];\n";
      exits[arg] = id;
    }
    unsigned index = 0;
    for (Operation &op : func.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
          std::string id = "output" + std::to_string(i);
          // The graph output's name, on a model that has several.
          auto name = func.getResultAttrOfType<StringAttr>(i, kIONameAttrName);
          os << "  " << id << " [shape=oval, label=\""
             << escape(name ? name.getValue() : "output") << "\\n"
             << formatShape(value.getType()) << "\"];\n";
          edge(value, id);
        }
        continue;
      }
      if (op.getDialect() && op.getDialect()->getNamespace() == "nn")
        layer(op, index++);
    }
    os << "}\n";
  }

private:
  /// Draws `op` as a box, or as a cluster of boxes when it is fused.
  void layer(Operation &op, unsigned index) {
    StringRef name = op.getName().stripDialect();
    std::string id = "n" + std::to_string(index);
    std::string where = formatLocation(op.getLoc());
    SmallVector<std::string> params;
    SmallVector<Value> inputs;
    for (Value operand : op.getOperands()) {
      if (std::optional<std::string> param = formatParameter(operand))
        params.push_back(*param);
      else
        inputs.push_back(operand);
    }
    std::string shapes =
        llvm::join(llvm::map_range(op.getResultTypes(), formatShape), ", ");

    if (!name.consume_front("fused_")) {
      SmallVector<std::string> lines = formatAttributes(op.getAttrs());
      llvm::append_range(lines, params);
      box(id, name, where, lines, shapes);
      for (Value input : inputs)
        edge(input, id);
      for (Value result : op.getResults())
        exits[result] = id;
      return;
    }

    SmallVector<Part> parts = getFusedParts(&op, name);
    llvm::append_range(parts.front().lines, params);
    os << "  subgraph cluster_" << id << " {\n"
       << "    label=\"" << escape(op.getName().stripDialect())
       << (where.empty() ? "" : " (" + where + ")") << "\";\n"
       << "    style=\"rounded,filled\"; fillcolor=\"#eef3fb\"; "
          "color=\"#5b7bb2\"; fontname=\"Helvetica\"; fontsize=10;\n";
    for (auto [i, part] : llvm::enumerate(parts)) {
      std::string partId = id + "_" + std::to_string(i);
      os << "  ";
      box(partId, part.name, "", part.lines,
          i + 1 == parts.size() ? shapes : std::string());
      if (i > 0)
        os << "    " << id << "_" << i - 1 << " -> " << partId << ";\n";
    }
    os << "  }\n";
    for (Value input : inputs)
      edge(input, id + "_0");
    for (Value result : op.getResults())
      exits[result] = id + "_" + std::to_string(parts.size() - 1);
  }

  void box(StringRef id, StringRef name, StringRef where,
           ArrayRef<std::string> lines, StringRef shapes) {
    os << "  " << id << " [label=\"" << escape(name);
    if (!where.empty())
      os << "  (" << escape(where) << ")";
    for (const std::string &line : lines)
      os << "\\n" << escape(line);
    if (!shapes.empty())
      os << "\\n-> " << escape(shapes);
    os << "\"];\n";
  }

  /// An edge from whatever produced `value`, labelled with its shape.
  void edge(Value value, StringRef to) {
    auto from = exits.find(value);
    if (from == exits.end())
      return;
    os << "  " << from->second << " -> " << to << " [label=\""
       << formatShape(value.getType()) << "\"];\n";
  }

  llvm::raw_ostream &os;
  /// The node that each drawn value leaves from.
  llvm::DenseMap<Value, std::string> exits;
};

} // namespace

LogicalResult emitLayerGraph(ModuleOp module, llvm::raw_ostream &os,
                             StringRef entryName) {
  auto func = module.lookupSymbol<func::FuncOp>(entryName);
  if (!func || func.isExternal())
    return module.emitError()
           << "the model has no function @" << entryName << " to draw";
  StringRef modelName = "model";
  if (auto name = module->getAttrOfType<StringAttr>("kiln.model_name"))
    modelName = name.getValue();
  GraphWriter(os).write(func, modelName);
  return success();
}

StringRef getDotRenderFormat(StringRef path) {
  StringRef extension = llvm::sys::path::extension(path);
  for (StringRef format : {"svg", "png", "pdf"})
    if (extension.size() > 1 &&
        extension.drop_front().equals_insensitive(format))
      return format;
  return "";
}

llvm::Error renderDot(StringRef dotText, StringRef format,
                      StringRef outputPath) {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return error("cannot render '" + outputPath +
                 "': Graphviz's 'dot' is not on PATH (install graphviz, or "
                 "write the graph as text with -o FILE.dot)");

  llvm::SmallString<128> inputPath, errorsPath;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "kiln-graph", "dot", fd, inputPath))
    return error("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeInput(inputPath);
  {
    llvm::raw_fd_ostream input(fd, /*shouldClose=*/true);
    input << dotText;
  }
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-dot", "txt", errorsPath))
    return error("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeErrors(errorsPath);

  // dot writes a temporary file next to the output, renamed into place once
  // complete, so a failure leaves no partial picture.
  llvm::SmallString<128> renderedPath(outputPath);
  renderedPath += "-%%%%%%.tmp";
  llvm::sys::fs::createUniquePath(renderedPath, renderedPath,
                                  /*MakeAbsolute=*/false);
  llvm::FileRemover removeRendered(renderedPath);

  std::string formatFlag = ("-T" + format).str();
  llvm::SmallVector<StringRef> args = {*dot, formatFlag, "-o", renderedPath,
                                       inputPath};
  std::optional<StringRef> redirects[] = {std::nullopt, std::nullopt,
                                          StringRef(errorsPath)};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*dot, args, std::nullopt, redirects, 0,
                                         0, &message);
  if (status == 0) {
    if (std::error_code ec = llvm::sys::fs::rename(renderedPath, outputPath))
      return error("cannot write '" + outputPath + "': " + ec.message());
    return llvm::Error::success();
  }
  std::string output;
  if (auto buffer = llvm::MemoryBuffer::getFile(errorsPath))
    output = (*buffer)->getBuffer().rtrim().str();
  return error(
      "dot failed (" +
      (status < 0 ? message : "exit status " + std::to_string(status)) + ")" +
      (output.empty() ? "" : ": " + output));
}

} // namespace kiln
