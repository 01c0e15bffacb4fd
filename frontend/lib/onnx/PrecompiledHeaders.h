//===- PrecompiledHeaders.h - ONNX importer's headers --------- -*- C++ -*-===//
//
// The headers from outside Kiln that this library's files include, compiled
// once into a precompiled header (KILN_ENABLE_PCH, on by default): parsing
// them is most of the time a file takes to compile (a fresh release build
// of Kiln on 2 cores: 433 s without, 155 s with). Headers used by one file
// only, and those that declare names clashing with Kiln's helpers under
// `using namespace mlir` (mlir/Conversion/Passes.h), stay out. Listing a
// header here only makes it cheaper; each file still includes what it uses,
// and the library builds with KILN_ENABLE_PCH=OFF.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_ONNX_PRECOMPILEDHEADERS_H
#define KILN_FRONTEND_ONNX_PRECOMPILEDHEADERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/Verifier.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#endif // KILN_FRONTEND_ONNX_PRECOMPILEDHEADERS_H
