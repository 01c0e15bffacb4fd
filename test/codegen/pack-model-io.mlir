// RUN: kiln-opt %s --split-input-file --kiln-pack-model-io --verify-diagnostics | FileCheck %s

// Tests that several results become one flat concatenation, in order, and
// that each output's name, shape and offset (in floats) are recorded: a
// rank-0 output takes one float, and the same value may be returned twice.
// The several arguments become views of one flat argument, likewise.

// CHECK-LABEL: module attributes {kiln.inputs = [{name = "input0", offset = 0 : i64, shape = array<i64: 2, 3>}, {name = "input1", offset = 6 : i64, shape = array<i64>}, {name = "input2", offset = 7 : i64, shape = array<i64: 2, 1, 2, 2>}], kiln.outputs = [{name = "logits", offset = 0 : i64, shape = array<i64: 2, 3>}, {name = "mean", offset = 6 : i64, shape = array<i64>}, {name = "output2", offset = 7 : i64, shape = array<i64: 2, 1, 2, 2>}, {name = "again", offset = 15 : i64, shape = array<i64: 2, 3>}]}
// CHECK: func.func @forward(%[[IN:.*]]: tensor<15xf32>) -> tensor<21xf32> {
// CHECK-NEXT: %[[XS:.*]] = nn.slice %[[IN]] offsets [0] : (tensor<15xf32>) -> tensor<6xf32>
// CHECK-NEXT: %[[X:.*]] = nn.reshape %[[XS]] : (tensor<6xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[YS:.*]] = nn.slice %[[IN]] offsets [6] : (tensor<15xf32>) -> tensor<1xf32>
// CHECK-NEXT: %[[Y:.*]] = nn.reshape %[[YS]] : (tensor<1xf32>) -> tensor<f32>
// CHECK-NEXT: %[[ZS:.*]] = nn.slice %[[IN]] offsets [7] : (tensor<15xf32>) -> tensor<8xf32>
// CHECK-NEXT: %[[Z:.*]] = nn.reshape %[[ZS]] : (tensor<8xf32>) -> tensor<2x1x2x2xf32>
// CHECK-NEXT: %[[A:.*]] = nn.reshape %[[X]] : (tensor<2x3xf32>) -> tensor<6xf32>
// CHECK-NEXT: %[[B:.*]] = nn.reshape %[[Y]] : (tensor<f32>) -> tensor<1xf32>
// CHECK-NEXT: %[[C:.*]] = nn.reshape %[[Z]] : (tensor<2x1x2x2xf32>) -> tensor<8xf32>
// CHECK-NEXT: %[[D:.*]] = nn.reshape %[[X]] : (tensor<2x3xf32>) -> tensor<6xf32>
// CHECK-NEXT: %[[P:.*]] = nn.concat %[[A]], %[[B]], %[[C]], %[[D]] dim 0 : (tensor<6xf32>, tensor<1xf32>, tensor<8xf32>, tensor<6xf32>) -> tensor<21xf32>
// CHECK-NEXT: return %[[P]] : tensor<21xf32>
module {
  func.func @forward(%x: tensor<2x3xf32>, %y: tensor<f32>, %z: tensor<2x1x2x2xf32>)
      -> (tensor<2x3xf32> {kiln.name = "logits"}, tensor<f32> {kiln.name = "mean"},
          tensor<2x1x2x2xf32>, tensor<2x3xf32> {kiln.name = "again"}) {
    return %x, %y, %z, %x : tensor<2x3xf32>, tensor<f32>, tensor<2x1x2x2xf32>, tensor<2x3xf32>
  }
}

// -----

// Tests that named inputs keep their names, and that the arguments' uses
// read the views, while a model with one output keeps it.

// CHECK-LABEL: module attributes {kiln.inputs = [{name = "image", offset = 0 : i64, shape = array<i64: 1, 4>}, {name = "bias", offset = 4 : i64, shape = array<i64: 1, 4>}]} {
// CHECK: func.func @forward(%[[IN:.*]]: tensor<8xf32>) -> tensor<1x4xf32> {
// CHECK: %[[X:.*]] = nn.reshape
// CHECK: %[[B:.*]] = nn.reshape
// CHECK-NEXT: %[[S:.*]] = nn.add %[[X]], %[[B]]
// CHECK-NEXT: return %[[S]] : tensor<1x4xf32>
module {
  func.func @forward(%x: tensor<1x4xf32> {kiln.name = "image"}, %b: tensor<1x4xf32> {kiln.name = "bias"}) -> tensor<1x4xf32> {
    %0 = nn.add %x, %b : tensor<1x4xf32>
    return %0 : tensor<1x4xf32>
  }
}

// -----

// Tests that a model with one input and one output is left as it is.

// CHECK-LABEL: module {
// CHECK: func.func @forward(%[[X:.*]]: tensor<1x10xf32>) -> tensor<1x10xf32> {
// CHECK-NEXT: return %[[X]] : tensor<1x10xf32>
module {
  func.func @forward(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
    return %x : tensor<1x10xf32>
  }
}

// -----

// Tests that an output of another element type is rejected.

module {
  // expected-error @below {{the model's output 1 must be a statically shaped tensor of f32, but it is 'tensor<4xi64>'}}
  func.func @forward(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi64>) {
    %i = arith.constant dense<1> : tensor<4xi64>
    return %x, %i : tensor<4xf32>, tensor<4xi64>
  }
}

// -----

// Tests that an input of another element type is rejected.

module {
  // expected-error @below {{the model's input 1 must be a statically shaped tensor of f32, but it is 'tensor<4xi64>'}}
  func.func @forward(%x: tensor<4xf32>, %i: tensor<4xi64>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// Tests that an output of a rank the runtime's descriptor cannot hold is
// rejected.

module {
  // expected-error @below {{the model's output 1 has rank 9; the runtime supports at most 8}}
  func.func @forward(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<1x1x1x1x1x1x1x1x4xf32>) {
    %y = nn.reshape %x : (tensor<4xf32>) -> tensor<1x1x1x1x1x1x1x1x4xf32>
    return %x, %y : tensor<4xf32>, tensor<1x1x1x1x1x1x1x1x4xf32>
  }
}

// -----

// Tests that inputs, and outputs, whose sizes overflow together are
// rejected (each fits the 2^40 bytes of a tensor).

module {
  // expected-error @below {{the model's inputs hold more than 274877906944 floats together}}
  func.func @forward(%x: tensor<262144x1048576xf32>, %y: tensor<262144x1048576xf32>) -> tensor<262144x1048576xf32> {
    return %x : tensor<262144x1048576xf32>
  }
}

// -----

module {
  // expected-error @below {{the model's outputs hold more than 274877906944 floats together}}
  func.func @forward(%x: tensor<262144x1048576xf32>) -> (tensor<262144x1048576xf32>, tensor<262144x1048576xf32>) {
    return %x, %x : tensor<262144x1048576xf32>, tensor<262144x1048576xf32>
  }
}

// -----

// Tests that a module without an entry function is rejected.

// expected-error @below {{the model has no entry function @forward}}
module {
  func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
    return %x, %x : tensor<4xf32>, tensor<4xf32>
  }
}
