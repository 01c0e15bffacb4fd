//===- AST.h - The parsed form of a .nn spec --------------------*- C++ -*-===//
//
// The parser flattens blocks away: a model is its input and an ordered list of
// layers, each knowing the parameter-name prefix that PyTorch's state_dict
// would give it ("features.3", "fc1", "0") and the source location of every
// token that later checks may need to point at.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_AST_H
#define KILN_FRONTEND_AST_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::frontend {

enum class LayerKind {
  Conv2D,
  Linear,
  ReLU,
  Sigmoid,
  Tanh,
  ReLU6,
  Hardtanh,
  LeakyReLU,
  ELU,
  PReLU,
  Hardswish,
  Hardsigmoid,
  SiLU,
  Softplus,
  Softsign,
  SELU,
  CELU,
  MaxPool,
  AvgPool,
  AdaptiveAvgPool,
  LRN,
  BatchNorm,
  Dropout,
  Flatten,
  Softmax,
};

/// Spec spelling of a layer kind ("conv2d", "maxpool", ...).
llvm::StringRef layerKindName(LayerKind kind);

/// Whether `word` is a statement keyword (an op, `model` or `input`), which
/// cannot name a block or label a layer.
bool isReservedWord(llvm::StringRef word);

/// A height x width pair; the spec writes `3` for 3x3 and `3x5` otherwise.
struct Size2 {
  int64_t h = 0;
  int64_t w = 0;
};

/// One layer statement. Only the fields its kind uses are meaningful; the
/// parser fills every field with the contract's default first.
struct LayerAST {
  LayerKind kind;
  llvm::SMLoc loc;         // The op token: diagnostics about the layer.
  std::string paramPrefix; // "conv1", "features.0", "3", ...

  // conv2d / linear.
  int64_t outFeatures = 0; // Output channels or features.
  // The positional that sets the output size (also adaptive_avgpool's): the
  // token blamed when the output or weight is too large.
  llvm::SMLoc outFeaturesLoc;
  bool bias = true;
  int64_t groups = 1;
  llvm::SMLoc groupsLoc;

  // Window layers (conv2d and the pools).
  Size2 kernel;
  llvm::SMLoc kernelLoc;
  Size2 stride{1, 1};
  Size2 padding{0, 0};
  llvm::SMLoc paddingLoc;
  Size2 dilation{1, 1};
  bool ceilMode = false;
  bool countIncludePad = true;

  // adaptive_avgpool.
  Size2 outputSize;

  // lrn.
  int64_t lrnSize = 0;
  double alpha = 1e-4;
  double beta = 0.75;
  double k = 1.0;

  // batchnorm.
  double eps = 1e-5;

  // dropout.
  double p = 0.5;

  // hardtanh (relu6 is hardtanh min_val=0 max_val=6).
  double minVal = -1.0;
  double maxVal = 1.0;
  llvm::SMLoc boundsLoc; // The last of min_val= and max_val=.

  // leaky_relu.
  double negativeSlope = 0.01;

  // elu and celu (their key is alpha, as LRN's, whose default differs).
  double eluAlpha = 1.0;

  // prelu: one slope, or one per input channel; the random weights' value.
  int64_t numParameters = 1;
  llvm::SMLoc numParametersLoc;
  double preluInit = 0.25;
};

struct ModelAST {
  std::string name;
  llvm::SMLoc nameLoc;
  llvm::SmallVector<int64_t, 4> inputShape;
  llvm::SMLoc inputLoc;
  std::vector<LayerAST> layers;
};

} // namespace kiln::frontend

#endif // KILN_FRONTEND_AST_H
