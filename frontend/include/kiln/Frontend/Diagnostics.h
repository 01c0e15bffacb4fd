//===- Diagnostics.h - Print spec diagnostics -------------------*- C++ -*-===//
//
// Every spec diagnostic, the parser's and those MLIR reports through its
// SourceMgrDiagnosticHandler, ends in SourceMgr::PrintMessage. The printer
// installed here keeps LLVM's `FILE:LINE:COL: error: MESSAGE` format but shows
// only an excerpt of very long source lines: a spec that is one 10 MB line
// must not turn each error into 10 MB of output.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_DIAGNOSTICS_H
#define KILN_FRONTEND_DIAGNOSTICS_H

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::frontend {

/// Source lines longer than this are shown as an excerpt around the column.
inline constexpr size_t kMaxShownLineLength = 200;

/// Makes `sourceMgr` print its diagnostics to `os` (stderr by default), with
/// long source lines cut down to an excerpt. The location printed is never
/// changed. `os` must outlive `sourceMgr`.
void installDiagnosticPrinter(llvm::SourceMgr &sourceMgr,
                              llvm::raw_ostream &os = llvm::errs());

} // namespace kiln::frontend

#endif // KILN_FRONTEND_DIAGNOSTICS_H
