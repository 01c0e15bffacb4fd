//===- Lexer.h - Split a .nn spec into lines of tokens ----------*- C++ -*-===//
//
// The spec language is line oriented: one statement per line, tokens
// separated by whitespace (spaces, tabs, a CR before the LF), `#` comments to
// the end of the line. Braces are tokens of their own even when written
// against a word (`features{`).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_LEXER_H
#define KILN_FRONTEND_LEXER_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace kiln::frontend {

struct Token {
  llvm::StringRef text;
  llvm::SMLoc loc;
};

/// The tokens of one non-empty line.
using TokenLine = llvm::SmallVector<Token, 8>;

/// Splits `buffer` into the token lines of its statements; blank and
/// comment-only lines are dropped.
llvm::SmallVector<TokenLine> lexSpec(llvm::StringRef buffer);

} // namespace kiln::frontend

#endif // KILN_FRONTEND_LEXER_H
