//===- PrecompiledHeaders.h - KilnPasses' headers ------------- -*- C++ -*-===//
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

#ifndef KILN_PASSES_PRECOMPILEDHEADERS_H
#define KILN_PASSES_PRECOMPILEDHEADERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Support/LLVM.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

#endif // KILN_PASSES_PRECOMPILEDHEADERS_H
