//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
#ifndef KILN_DIALECT_NN_NNDIALECT_H
#define KILN_DIALECT_NN_NNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "kiln/Dialect/NN/NNDialect.h.inc"

#endif // KILN_DIALECT_NN_NNDIALECT_H
