//===- DataObject.h - A model's weights as an object of their own -*- C++ -*-=//
//
// LLVM's object emitter copies every byte of a global's initializer into
// the assembler's fragments, lays the section out (zero-filling a buffer of
// its size) and only then writes it: for VGG-16's 700 MB of weights that
// was 7 of a 12 s compile, nearly all of it the kernel handing out fresh
// pages. The weights need none of that: they have no relocations and no
// code refers to them by anything but their symbol. So once the module is
// optimised, detachConstantData turns each large constant global into a
// hidden external declaration, and writeDataObject writes the bytes, as
// they lie in memory, into a relocatable ELF object of their own that is
// linked beside the code:
//
//   .rodata          the data, each symbol aligned to at least 64 bytes
//   .note.GNU-stack  empty: the data asks for no executable stack
//   .symtab          one global, hidden STT_OBJECT symbol per global
//   .strtab, .shstrtab
//
// The code reaches a detached global exactly as before (hidden symbols are
// dso_local: a PC-relative address), and the executable or shared library
// still exports nothing more. A static archive keeps its weights inside its
// one object: its hidden symbols could meet another model's.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_DATAOBJECT_H
#define KILN_CODEGEN_DATAOBJECT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class Module;
class Triple;
class raw_ostream;
} // namespace llvm

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {

/// Constant globals smaller than this stay in the code's objects, with the
/// constants LLVM itself makes.
inline constexpr uint64_t kMinDetachedDataBytes = 4096;

/// The data of one global moved out of a module by detachConstantData.
struct DetachedData {
  /// The symbol the module now declares.
  std::string symbol;
  /// The initializer's bytes, owned by the module's LLVMContext (or, from
  /// an LLVM-dialect module, by its MLIRContext's resource blobs).
  llvm::StringRef bytes;
  /// Its offset must be a multiple of this (a power of two).
  uint64_t alignment;
};

/// Whether writeDataObject writes objects for `triple`: 64-bit
/// little-endian ELF, as x86-64 and AArch64 Linux.
bool canWriteDataObject(const llvm::Triple &triple);

/// Turns every constant global of `module` with local linkage and a plain
/// data initializer (a ConstantDataSequential) of at least `minBytes`
/// bytes into a declaration of a hidden external symbol, renamed
/// "kiln.data.<name>", and returns what it held. Run it after
/// optimizeModule (which may fold the initializers) and before
/// emitSplitObjects.
std::vector<DetachedData> detachConstantData(llvm::Module &module,
                                             uint64_t minBytes);

/// The same for an LLVM-dialect module before its translation, which would
/// copy each initializer into LLVM IR (VGG-16: 700 MB, 1-2 s): every
/// constant `llvm.mlir.global` with local linkage whose value is a
/// dense_resource byte array (kiln-pack-constant-globals) of at least
/// `minBytes` bytes. The bytes stay in the resource blobs, so the module's
/// MLIRContext must outlive the data object's writing.
std::vector<DetachedData> detachConstantData(mlir::ModuleOp module,
                                             uint64_t minBytes);

/// Writes a relocatable ELF object for `triple` (canWriteDataObject) that
/// defines each of `data`'s symbols in a read-only section.
llvm::Error writeDataObject(llvm::ArrayRef<DetachedData> data,
                            const llvm::Triple &triple, llvm::raw_ostream &os);

} // namespace kiln

#endif // KILN_CODEGEN_DATAOBJECT_H
