//===- Locations.cpp - ONNX node locations and their printing -------------===//
//
// The node's op type rides in the metadata of a one-element FusedLoc, the
// place MLIR gives locations for facts that are not file positions; passes
// that merge ops fuse such locations further, and the printer walks the
// whole tree to name every node involved.
//
//===----------------------------------------------------------------------===//
#include "kiln/Frontend/ONNXLocations.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace kiln;

/// The metadata key that marks a FusedLoc as an ONNX node's.
static constexpr llvm::StringLiteral kOpKey = "onnx_op";

Location frontend::getONNXNodeLoc(MLIRContext *context, llvm::StringRef path,
                                  llvm::StringRef name,
                                  llvm::StringRef opType) {
  Location file = FileLineColLoc::get(context, path, 0, 0);
  Location node = NameLoc::get(StringAttr::get(context, name), file);
  auto metadata = DictionaryAttr::get(
      context, {NamedAttribute(StringAttr::get(context, kOpKey),
                               StringAttr::get(context, opType))});
  return FusedLoc::get(context, {node}, metadata);
}

Location frontend::getONNXValueLoc(MLIRContext *context, llvm::StringRef path,
                                   llvm::StringRef name) {
  return NameLoc::get(StringAttr::get(context, name),
                      FileLineColLoc::get(context, path, 0, 0));
}

namespace {

/// What a location tree says about its origin in an ONNX model.
struct ONNXOrigin {
  std::string file;
  std::vector<std::string> nodes;  // "'conv1' (Conv)", in order, once each.
  std::vector<std::string> values; // "'fc.weight'".
  /// A part that is not an ONNX position (a .nn line, a callsite, ...).
  bool foreign = false;
};

} // namespace

static std::string quoteName(llvm::StringRef name) {
  // Unnamed nodes are "#INDEX".
  return name.starts_with("#") ? name.str() : "'" + name.str() + "'";
}

/// The file of an ONNX position: a FileLineColLoc at line 0.
static FileLineColLoc getModelFile(Location loc) {
  auto file = dyn_cast<FileLineColLoc>(loc);
  return file && file.getLine() == 0 ? file : FileLineColLoc();
}

static void addOnce(std::vector<std::string> &list, std::string item) {
  if (!llvm::is_contained(list, item))
    list.push_back(std::move(item));
}

static void collect(Location loc, ONNXOrigin &origin) {
  auto noteFile = [&](FileLineColLoc file) {
    if (origin.file.empty())
      origin.file = file.getFilename().str();
  };
  if (isa<UnknownLoc>(loc))
    return;
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    auto metadata = dyn_cast_or_null<DictionaryAttr>(fused.getMetadata());
    auto opType = metadata ? metadata.getAs<StringAttr>(kOpKey) : StringAttr();
    for (Location inner : fused.getLocations()) {
      auto name = dyn_cast<NameLoc>(inner);
      FileLineColLoc file =
          name ? getModelFile(name.getChildLoc()) : FileLineColLoc();
      if (opType && file) {
        noteFile(file);
        addOnce(origin.nodes, quoteName(name.getName()) + " (" +
                                  opType.getValue().str() + ")");
        continue;
      }
      collect(inner, origin);
    }
    return;
  }
  if (auto name = dyn_cast<NameLoc>(loc)) {
    if (FileLineColLoc file = getModelFile(name.getChildLoc())) {
      noteFile(file);
      addOnce(origin.values, quoteName(name.getName()));
      return;
    }
    return collect(name.getChildLoc(), origin);
  }
  if (FileLineColLoc file = getModelFile(loc)) {
    noteFile(file);
    return;
  }
  origin.foreign = true;
}

std::string frontend::describeONNXLoc(Location loc) {
  ONNXOrigin origin;
  collect(loc, origin);
  if (origin.foreign || origin.file.empty()) {
    // Not (only) an ONNX position: MLIR's own spelling loses nothing.
    std::string text;
    llvm::raw_string_ostream os(text);
    if (!isa<UnknownLoc>(loc))
      os << loc;
    return text;
  }
  // Nodes say more than the tensors they read: name them alone if any.
  const std::vector<std::string> &parts =
      origin.nodes.empty() ? origin.values : origin.nodes;
  if (parts.empty())
    return origin.file;
  const char *kind = origin.nodes.empty() ? "value" : "node";
  std::string text =
      origin.file + ": " + kind + (parts.size() > 1 ? "s " : " ");
  for (auto [i, part] : llvm::enumerate(parts))
    text += (i ? ", " : "") + part;
  return text;
}

static void printOne(llvm::raw_ostream &os, Location loc,
                     DiagnosticSeverity severity, llvm::StringRef message) {
  std::string where = frontend::describeONNXLoc(loc);
  if (!where.empty())
    llvm::WithColor(os, llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true)
        << where << ": ";
  switch (severity) {
  case DiagnosticSeverity::Error:
    llvm::WithColor::error(os);
    break;
  case DiagnosticSeverity::Warning:
    llvm::WithColor::warning(os);
    break;
  case DiagnosticSeverity::Note:
    llvm::WithColor::note(os);
    break;
  case DiagnosticSeverity::Remark:
    llvm::WithColor::remark(os);
    break;
  }
  llvm::WithColor(os, llvm::raw_ostream::SAVEDCOLOR, /*Bold=*/true)
      << message << '\n';
}

frontend::ONNXDiagnosticHandler::ONNXDiagnosticHandler(MLIRContext *context,
                                                       llvm::raw_ostream &os)
    : ScopedDiagnosticHandler(context) {
  setHandler([&os](Diagnostic &diag) {
    printOne(os, diag.getLocation(), diag.getSeverity(), diag.str());
    for (Diagnostic &note : diag.getNotes())
      printOne(os, note.getLocation(), note.getSeverity(), note.str());
    os.flush();
    return success();
  });
}
