//===- Parser.h - Parse a .nn spec into a ModelAST --------------*- C++ -*-===//
#ifndef KILN_FRONTEND_PARSER_H
#define KILN_FRONTEND_PARSER_H

#include "kiln/Frontend/AST.h"

#include "llvm/Support/SourceMgr.h"

#include <optional>

namespace kiln::frontend {

/// Parses the buffer `bufferId` of `sourceMgr` (the spec language of
/// shared/spec-language.md). Every error is reported through the SourceMgr as
/// `FILE:LINE:COL: error: ...`; the parser recovers at the next line so one
/// run reports as many mistakes as it can. Returns std::nullopt if any error
/// was reported.
std::optional<ModelAST> parseSpec(llvm::SourceMgr &sourceMgr,
                                  unsigned bufferId);

} // namespace kiln::frontend

#endif // KILN_FRONTEND_PARSER_H
