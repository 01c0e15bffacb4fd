//===- NNDialect.td - The nn dialect definition ------------*- tablegen -*-===//
//
// The `nn` dialect models a feed-forward CNN the way the `.nn` spec language
// and PyTorch's nn.Sequential describe it: one op per layer kind, on statically
// shaped f32 tensors in NCHW layout. Parameters (weights, biases, batchnorm
// statistics) are ordinary tensor operands, usually `arith.constant` ops whose
// values are `dense_resource` blobs so that large weights never get copied or
// uniqued inside the MLIR context.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_NN_NNDIALECT_TD
#define KILN_DIALECT_NN_NNDIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let summary = "Layers of a convolutional network, as a spec file names them";
  let description = [{
    Each op is one inference-time layer with PyTorch semantics. Shapes are
    fully static; every verifier checks the complete shape arithmetic so that
    a malformed model is rejected with a message naming the dimension.
  }];
  let cppNamespace = "::kiln::nn";
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasConstantMaterializer = 0;
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

// Activations and parameters: statically shaped f32 tensors.
def NN_Tensor : StaticShapeTensorOf<[F32]>;

#endif // KILN_DIALECT_NN_NNDIALECT_TD
