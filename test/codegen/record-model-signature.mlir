// RUN: kiln-opt %s --split-input-file --kiln-record-model-signature --verify-diagnostics | FileCheck %s

// Tests that the entry's input and output shapes are recorded on the module.

// CHECK: module attributes {kiln.input_shape = array<i64: 1, 3, 32, 32>, kiln.model_name = "m", kiln.output_shape = array<i64: 1, 10>}
module attributes {kiln.model_name = "m"} {
  func.func @forward(%input: tensor<1x3x32x32xf32>) -> tensor<1x10xf32> {
    %0 = tensor.empty() : tensor<1x10xf32>
    return %0 : tensor<1x10xf32>
  }
}

// -----

// Tests that a module without an entry function is rejected.

// expected-error @below {{the model has no entry function @forward}}
module {
  func.func @main(%input: tensor<4xf32>) -> tensor<4xf32> {
    return %input : tensor<4xf32>
  }
}

// -----

// Tests that a dynamically shaped input is rejected.

module {
  // expected-error @below {{the model's input must be a statically shaped tensor of f32, but it is 'tensor<?x4xf32>'}}
  func.func @forward(%input: tensor<?x4xf32>) -> tensor<4xf32> {
    %0 = tensor.empty() : tensor<4xf32>
    return %0 : tensor<4xf32>
  }
}

// -----

// Tests that a model with two outputs is rejected.

module {
  // expected-error @below {{the model's entry function must take one tensor and return one}}
  func.func @forward(%input: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    return %input, %input : tensor<4xf32>, tensor<4xf32>
  }
}

// -----

// Tests that an output of rank above 8 (KILN_MAX_RANK) is rejected.

module {
  // expected-error @below {{the model's output has rank 9; the runtime supports at most 8}}
  func.func @forward(%input: tensor<4xf32>) -> tensor<1x1x1x1x1x1x1x1x4xf32> {
    %0 = tensor.empty() : tensor<1x1x1x1x1x1x1x1x4xf32>
    return %0 : tensor<1x1x1x1x1x1x1x1x4xf32>
  }
}
