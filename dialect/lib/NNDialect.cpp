//===- NNDialect.cpp - The nn dialect -------------------------------------===//
#include "kiln/Dialect/NN/NNDialect.h"
#include "kiln/Dialect/NN/NNOps.h"

using namespace mlir;
using namespace kiln::nn;

#include "kiln/Dialect/NN/NNDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "kiln/Dialect/NN/NNOps.cpp.inc"
      >();
}
