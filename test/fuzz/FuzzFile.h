//===- FuzzFile.h - Fuzz inputs for readers of a path --------- -*- C++ -*-===//
//
// The safetensors reader maps a file and the ONNX importer reads one (and
// external data beside it), so their fuzz targets write each input to a file
// in a private temporary directory, removed at exit.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_FUZZ_FUZZFILE_H
#define KILN_TEST_FUZZ_FUZZFILE_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace kiln::fuzz {

/// Writes `data` to `name` in this process's temporary directory and returns
/// the file's path. Aborts if the file cannot be written: a fuzzer that
/// silently tests nothing is worse than one that stops.
inline std::string writeFuzzFile(llvm::StringRef name, const uint8_t *data,
                                 size_t size) {
  // Never destroyed, so that the atexit handler can still read it.
  static const std::string *dir = [] {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("kiln-fuzz", path)) {
      llvm::errs() << "fuzzer: cannot create a temporary directory\n";
      std::abort();
    }
    return new std::string(path);
  }();
  static const bool cleanup =
      std::atexit([] { llvm::sys::fs::remove_directories(*dir); }) == 0;
  (void)cleanup;
  llvm::SmallString<128> path(*dir);
  llvm::sys::path::append(path, name);
  std::error_code ec;
  {
    llvm::raw_fd_ostream os(path, ec);
    if (!ec) {
      os.write(reinterpret_cast<const char *>(data), size);
      os.close();
      if (os.has_error()) {
        ec = os.error();
        os.clear_error();
      }
    }
  }
  if (ec) {
    llvm::errs() << "fuzzer: cannot write '" << path << "': " << ec.message()
                 << "\n";
    std::abort();
  }
  return std::string(path);
}

} // namespace kiln::fuzz

#endif // KILN_TEST_FUZZ_FUZZFILE_H
