// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Tests that nn.add is one element-wise generic over both operands.
// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:.*]]: tensor<1x2x3x3xf32>, %[[B:.*]]: tensor<1x2x3x3xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>)
// CHECK: arith.addf
// CHECK: return %[[Y]]
func.func @add(%a: tensor<1x2x3x3xf32>, %b: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %0 = nn.add %a, %b : tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Tests that nn.concat writes each input into its slice of one destination.
// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:.*]]: tensor<1x2x3x3xf32>, %[[B:.*]]: tensor<1x4x3x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x6x3x3xf32>
// CHECK: %[[S0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 1, 1]
// CHECK: %[[S1:.*]] = tensor.insert_slice %[[B]] into %[[S0]][0, 2, 0, 0] [1, 4, 3, 3] [1, 1, 1, 1]
// CHECK: return %[[S1]]
func.func @concat(%a: tensor<1x2x3x3xf32>, %b: tensor<1x4x3x3xf32>) -> tensor<1x6x3x3xf32> {
  %0 = nn.concat %a, %b dim 1 : (tensor<1x2x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return %0 : tensor<1x6x3x3xf32>
}
