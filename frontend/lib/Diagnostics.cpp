//===- Diagnostics.cpp - Print spec diagnostics ---------------------------===//
#include "kiln/Frontend/Diagnostics.h"

#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using kiln::frontend::kMaxShownLineLength;

/// Prints `diag` like SMDiagnostic::print, but with an excerpt of its source
/// line: about kMaxShownLineLength bytes around the column, with every byte
/// that is not printable ASCII shown as '?' so that the caret stays aligned.
static void printWithExcerpt(const SMDiagnostic &diag, raw_ostream &os) {
  {
    WithColor location(os, raw_ostream::SAVEDCOLOR, /*Bold=*/true);
    location << (diag.getFilename() == "-" ? StringRef("<stdin>")
                                           : diag.getFilename())
             << ':' << diag.getLineNo() << ':' << diag.getColumnNo() + 1
             << ": ";
  }
  switch (diag.getKind()) {
  case SourceMgr::DK_Error:
    WithColor::error(os);
    break;
  case SourceMgr::DK_Warning:
    WithColor::warning(os);
    break;
  case SourceMgr::DK_Note:
    WithColor::note(os);
    break;
  case SourceMgr::DK_Remark:
    WithColor::remark(os);
    break;
  }
  WithColor(os, raw_ostream::SAVEDCOLOR, /*Bold=*/true)
      << diag.getMessage() << '\n';

  StringRef line = diag.getLineContents();
  size_t column = std::min<size_t>(diag.getColumnNo(), line.size());
  size_t begin =
      column > kMaxShownLineLength / 2 ? column - kMaxShownLineLength / 2 : 0;
  StringRef excerpt = line.substr(begin, kMaxShownLineLength);
  std::string shown = begin ? "..." : "";
  size_t caret = shown.size() + (column - begin);
  for (char c : excerpt)
    shown += (c >= ' ' && c <= '~') ? c : '?';
  if (begin + excerpt.size() < line.size())
    shown += "...";
  os << shown << '\n' << std::string(caret, ' ');
  WithColor(os, raw_ostream::GREEN, /*Bold=*/true) << '^';
  os << '\n';
}

static void printDiagnostic(const SMDiagnostic &diag, void *stream) {
  raw_ostream &os = *static_cast<raw_ostream *>(stream);
  if (diag.getLineNo() <= 0 || diag.getColumnNo() < 0 ||
      diag.getLineContents().size() <= kMaxShownLineLength)
    return diag.print(nullptr, os);
  printWithExcerpt(diag, os);
}

void kiln::frontend::installDiagnosticPrinter(SourceMgr &sourceMgr,
                                              raw_ostream &os) {
  sourceMgr.setDiagHandler(printDiagnostic, &os);
}
