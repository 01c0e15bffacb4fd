//===- Linker.h - Link a model object into an executable --------*- C++ -*-===//
//
// Links the object from emitObject with the runtime into an executable,
// using the system C compiler driver as the linker (it knows the C library,
// crt files and PIE defaults of the platform):
//
//   cc -o OUT MODEL.o RUNTIME_DIR/kiln_main.o RUNTIME_DIR/libkiln_runtime.a -lm
//
// The driver is `cc` for the host and `<arch>-<os>-<env>-gcc` (e.g.
// aarch64-linux-gnu-gcc) for another architecture, found on PATH.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_LINKER_H
#define KILN_CODEGEN_LINKER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln {

struct TargetOptions;

/// The C compiler driver that links for `target` (a program name, not yet
/// looked up on PATH).
std::string getLinkerDriverName(const TargetOptions &target);

/// Links `objectPaths` (a model's objects: one, or those of
/// emitSplitObjects) with `runtimeDir`/kiln_main.o and
/// `runtimeDir`/libkiln_runtime.a (and -lm) into the executable
/// `outputPath`. On failure the error holds the command line and the
/// linker's messages.
llvm::Error linkExecutable(llvm::ArrayRef<std::string> objectPaths,
                           llvm::StringRef outputPath,
                           llvm::StringRef runtimeDir,
                           const TargetOptions &target);

/// The folder holding the runtime built for `target`: `runtimeDir` itself
/// for the host, `runtimeDir`/<arch>-<os>-<env> (named like the cross
/// compiler, e.g. aarch64-linux-gnu) otherwise.
std::string getTargetRuntimeDir(llvm::StringRef runtimeDir,
                                const TargetOptions &target);

/// Links `objectPaths` (a model's objects with a library API, see Library.h)
/// with `runtimeDir`/libkiln_embed.a into the shared library `outputPath`
/// whose soname is `soname`, exporting only the symbols that start with
/// `exportPrefix`_.
llvm::Error linkSharedLibrary(llvm::ArrayRef<std::string> objectPaths,
                              llvm::StringRef outputPath,
                              llvm::StringRef soname,
                              llvm::StringRef exportPrefix,
                              llvm::StringRef runtimeDir,
                              const TargetOptions &target);

} // namespace kiln

#endif // KILN_CODEGEN_LINKER_H
