//===- NNOps.h - nn dialect operations --------------------------*- C++ -*-===//
#ifndef KILN_DIALECT_NN_NNOPS_H
#define KILN_DIALECT_NN_NNOPS_H

#include "kiln/Dialect/NN/FusionAttrs.h"
#include "kiln/Dialect/NN/NNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "kiln/Dialect/NN/NNOps.h.inc"

#endif // KILN_DIALECT_NN_NNOPS_H
