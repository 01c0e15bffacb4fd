// RUN: kiln-opt %s -split-input-file -canonicalize | FileCheck %s

// Tests that dropout, the identity at inference, folds to its input.
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<1x4096xf32>)
// CHECK-NOT: nn.dropout
// CHECK: return %[[X]]
func.func @dropout(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %0 = nn.dropout %x p 0.5 : tensor<1x4096xf32>
  return %0 : tensor<1x4096xf32>
}

// -----

// Tests that an adaptive pool to the size it already has folds away
// (AlexNet's 6x6 pool after a 6x6 feature map).
// CHECK-LABEL: func.func @adaptive_identity
// CHECK-SAME: (%[[X:.*]]: tensor<1x256x6x6xf32>)
// CHECK-NOT: nn.adaptive_avg_pool2d
// CHECK: return %[[X]]
func.func @adaptive_identity(%x: tensor<1x256x6x6xf32>) -> tensor<1x256x6x6xf32> {
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x256x6x6xf32>) -> tensor<1x256x6x6xf32>
  return %0 : tensor<1x256x6x6xf32>
}

// -----

// Tests that an adaptive pool that changes the size stays.
// CHECK-LABEL: func.func @adaptive_resize
// CHECK: nn.adaptive_avg_pool2d
func.func @adaptive_resize(%x: tensor<1x256x13x13xf32>) -> tensor<1x256x6x6xf32> {
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x256x13x13xf32>) -> tensor<1x256x6x6xf32>
  return %0 : tensor<1x256x6x6xf32>
}

// -----

// Tests that flattening a matrix folds away.
// CHECK-LABEL: func.func @flatten_identity
// CHECK-SAME: (%[[X:.*]]: tensor<1x400xf32>)
// CHECK-NOT: nn.flatten
// CHECK: return %[[X]]
func.func @flatten_identity(%x: tensor<1x400xf32>) -> tensor<1x400xf32> {
  %0 = nn.flatten %x : (tensor<1x400xf32>) -> tensor<1x400xf32>
  return %0 : tensor<1x400xf32>
}

// -----

// Tests that flattening a 4-D tensor stays.
// CHECK-LABEL: func.func @flatten_4d
// CHECK: nn.flatten
func.func @flatten_4d(%x: tensor<1x16x5x5xf32>) -> tensor<1x400xf32> {
  %0 = nn.flatten %x : (tensor<1x16x5x5xf32>) -> tensor<1x400xf32>
  return %0 : tensor<1x400xf32>
}

// -----

// Tests that unused layers, which are pure, are removed.
// CHECK-LABEL: func.func @dead_layers
// CHECK-NOT: nn.
// CHECK: return
func.func @dead_layers(%x: tensor<1x6x4x4xf32>) -> tensor<1x6x4x4xf32> {
  %0 = nn.relu %x : tensor<1x6x4x4xf32>
  %1 = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x6x4x4xf32>) -> tensor<1x6x2x2xf32>
  return %x : tensor<1x6x4x4xf32>
}

// -----

// Tests that a reshape of a reshape folds into one reshape of the first
// input, and into that input when the two undo each other.
// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf32>)
// CHECK: %[[Y:.*]] = nn.reshape %[[X]] : (tensor<2x3x8xf32>) -> tensor<6x8xf32>
// CHECK: return %[[X]], %[[Y]]
func.func @reshape_chain(%x: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<6x8xf32>) {
  %0 = nn.reshape %x : (tensor<2x3x8xf32>) -> tensor<2x3x1x8xf32>
  %1 = nn.reshape %0 : (tensor<2x3x1x8xf32>) -> tensor<2x3x8xf32>
  %2 = nn.reshape %0 : (tensor<2x3x1x8xf32>) -> tensor<6x8xf32>
  return %1, %2 : tensor<2x3x8xf32>, tensor<6x8xf32>
}

// -----

// Tests that a slice of the whole input in order folds away, and a whole
// reversal (the same type) does not.
// CHECK-LABEL: func.func @slice_whole
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>)
// CHECK: %[[R:.*]] = nn.slice %[[X]] offsets [0, 3] strides [1, -1]
// CHECK: return %[[X]], %[[R]]
func.func @slice_whole(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = nn.slice %x offsets [0, 0] : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = nn.slice %x offsets [0, 3] strides [1, -1] : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}
