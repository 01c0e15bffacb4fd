// RUN: kiln-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// Tests that nn.add and nn.concat print and parse back.
// CHECK-LABEL: func.func @joins
// CHECK: %[[S:.*]] = nn.add %{{.*}}, %{{.*}} : tensor<1x2x4x4xf32>
// CHECK: nn.concat %[[S]], %{{.*}} dim 1 : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32>
func.func @joins(%a: tensor<1x2x4x4xf32>, %b: tensor<1x2x4x4xf32>,
                 %c: tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32> {
  %0 = nn.add %a, %b : tensor<1x2x4x4xf32>
  %1 = nn.concat %0, %c dim 1 : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32>
  return %1 : tensor<1x5x4x4xf32>
}

// -----

// Tests that nn.add takes operands of one type only (no broadcasting).
func.func @add_shapes(%a: tensor<1x2xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+1 {{'nn.add' op requires the same type for all operands and results}}
  %0 = "nn.add"(%a, %b) : (tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x2xf32>
  return
}

// -----

// Tests that a concatenation names the input dimension that disagrees.
func.func @concat_other_dim(%a: tensor<1x2x4x4xf32>, %b: tensor<1x3x5x4xf32>) {
  // expected-error @+1 {{'nn.concat' op input 1 dimension 2 is 5, expected 4 (only dimension 1 may differ)}}
  %0 = nn.concat %a, %b dim 1 : (tensor<1x2x4x4xf32>, tensor<1x3x5x4xf32>) -> tensor<1x5x4x4xf32>
  return
}

// -----

// Tests that the result of a concatenation has the summed dimension.
func.func @concat_result(%a: tensor<1x2xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+1 {{'nn.concat' op result dimension 1 is 6, expected 5}}
  %0 = nn.concat %a, %b dim 1 : (tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x6xf32>
  return
}

// -----

// Tests that the concatenated dimension exists.
func.func @concat_dim_range(%a: tensor<1x2xf32>) {
  // expected-error @+1 {{'nn.concat' op dim 2 is out of range for rank 2}}
  %0 = nn.concat %a dim 2 : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return
}

// -----

// Tests that every input of a concatenation has the same rank.
func.func @concat_rank(%a: tensor<1x2xf32>, %b: tensor<1x2x1xf32>) {
  // expected-error @+1 {{'nn.concat' op input 1 has rank 3, expected rank 2}}
  %0 = nn.concat %a, %b dim 1 : (tensor<1x2xf32>, tensor<1x2x1xf32>) -> tensor<1x4xf32>
  return
}
