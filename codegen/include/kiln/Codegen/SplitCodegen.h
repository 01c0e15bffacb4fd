//===- SplitCodegen.h - Parallel code generation of one model ---*- C++ -*-===//
//
// LLVM's code generation runs one function after another on one thread, and
// for a deep model it is most of a compile (SqueezeNet: 6 of 12 s; VGG-16:
// 7.7 of 19 s, 2.8 of them turning 700 MB of weights into an object). So
// once optimizeModule has run on the whole module (its inter-procedural
// passes see every function), the module is split into objects compiled
// side by side:
//
//   object 0:     every global variable still defined, compiled in the
//                 module's own context on the calling thread (the weights
//                 of at least 4 KiB are already in the data object of
//                 DataObject.h, unless kilnc --no-data-object);
//   objects 1..N: the functions, in up to kMaxCodeParts parts balanced by
//                 instruction count, each serialised as bitcode and compiled
//                 in a context of its own on a thread pool.
//
// The split depends only on the module (never on the number of cores), so a
// compile's objects are the same on every machine. Linked together the
// objects define what the module defined; the symbols that were local
// become hidden (so the executable or shared library they are linked into
// still exports only what it did), which is why a static archive, whose
// objects may meet another model's in one program, is emitted as one object.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_SPLITCODEGEN_H
#define KILN_CODEGEN_SPLITCODEGEN_H

#include "kiln/Codegen/ObjectEmitter.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

namespace llvm {
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace kiln {

/// The most function parts a module is split into.
inline constexpr unsigned kMaxCodeParts = 8;

/// The number of objects emitSplitObjects makes of `module`: 1 where a
/// split does not pay (one function, or fewer than 4000 instructions, as
/// LeNet-5, and under 64 MB of data) or does not apply (aliases, comdats),
/// else 1 + the number of code parts.
unsigned getSplitObjectCount(const llvm::Module &module);

/// Emits the optimised `module` as `outputs.size()` objects, a count that
/// getSplitObjectCount returned; with several, the first holds the data and
/// `module` is left as its module (the functions' bodies deleted). The code
/// parts are compiled by target machines made from `target` at `level`.
llvm::Error emitSplitObjects(llvm::Module &module,
                             llvm::TargetMachine &targetMachine,
                             const TargetOptions &target, OptLevel level,
                             llvm::ArrayRef<llvm::raw_pwrite_stream *> outputs);

} // namespace kiln

#endif // KILN_CODEGEN_SPLITCODEGEN_H
