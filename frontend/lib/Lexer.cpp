//===- Lexer.cpp - Split a .nn spec into lines of tokens ------------------===//
#include "kiln/Frontend/Lexer.h"

using namespace kiln::frontend;

static bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

llvm::SmallVector<TokenLine> kiln::frontend::lexSpec(llvm::StringRef buffer) {
  llvm::SmallVector<TokenLine> lines;
  TokenLine current;
  const char *p = buffer.begin(), *end = buffer.end();
  auto flushLine = [&] {
    if (!current.empty())
      lines.push_back(std::move(current));
    current.clear();
  };
  while (p != end) {
    char c = *p;
    if (c == '\n') {
      flushLine();
      ++p;
    } else if (isSpace(c)) {
      ++p;
    } else if (c == '#') {
      while (p != end && *p != '\n')
        ++p;
    } else if (c == '{' || c == '}') {
      current.push_back(
          {llvm::StringRef(p, 1), llvm::SMLoc::getFromPointer(p)});
      ++p;
    } else {
      const char *start = p;
      while (p != end && !isSpace(*p) && *p != '\n' && *p != '#' && *p != '{' &&
             *p != '}')
        ++p;
      current.push_back({llvm::StringRef(start, p - start),
                         llvm::SMLoc::getFromPointer(start)});
    }
  }
  flushLine();
  return lines;
}
