//===- SpecPrinter.h - nn dialect IR back to a .nn spec ---------*- C++ -*-===//
//
// `kilnc --emit=spec` prints what was parsed or imported as a spec that
// people can read and edit: the inverse of MLIRGen for the modules the
// frontends build (one chain of nn layers from the input to the result).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_SPECPRINTER_H
#define KILN_FRONTEND_SPECPRINTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::frontend {

/// Prints `module` as an equivalent .nn spec. Parameter names are kept where
/// the spec's naming rules can reproduce them (labels, `block.i` names,
/// top-level positions); otherwise layers get labels made from their
/// parameters' names and a comment gives the originals. A module with no
/// spec equivalent (a branch, nn.add, nn.concat, asymmetric padding, an
/// input that is neither 2-D nor 4-D) is reported at the op responsible
/// through the context's diagnostics, nothing is printed, and failure is
/// returned.
mlir::LogicalResult printSpec(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace kiln::frontend

#endif // KILN_FRONTEND_SPECPRINTER_H
