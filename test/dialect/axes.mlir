// RUN: kiln-opt %s -split-input-file | kiln-opt | FileCheck %s

// Tests the forms ONNX models need beyond PyTorch's layers: a dilated max
// pool, softmax over other dimensions and log-softmax, flatten at another
// axis, an LRN window placed as ONNX places even ones, a transpose, a
// reshape and (strided) slices. Each survives a round trip through its
// assembly format (the verifiers' errors: axes-invalid.mlir).

// CHECK-LABEL: func.func @dilated_max_pool
// CHECK: nn.max_pool2d %{{.*}} kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0] dilation [2, 3] : (tensor<1x1x4x5xf32>) -> tensor<1x1x2x2xf32>
func.func @dilated_max_pool(%x: tensor<1x1x4x5xf32>) -> tensor<1x1x2x2xf32> {
  %0 = nn.max_pool2d %x kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0]
         dilation [2, 3] : (tensor<1x1x4x5xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @softmax_dims
// CHECK: nn.softmax %{{.*}} dims [2, 3] log : tensor<2x3x4x5xf32>
// CHECK: nn.softmax %{{.*}} dims [0] : tensor<2x3x4x5xf32>
func.func @softmax_dims(%x: tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %0 = nn.softmax %x dims [2, 3] log : tensor<2x3x4x5xf32>
  %1 = nn.softmax %0 dims [0] : tensor<2x3x4x5xf32>
  return %1 : tensor<2x3x4x5xf32>
}

// -----

// CHECK-LABEL: func.func @flatten_axis
// CHECK: nn.flatten %{{.*}} axis 2 : (tensor<2x3x4x5xf32>) -> tensor<6x20xf32>
// CHECK: nn.flatten %{{.*}} axis 0 : (tensor<2x3x4x5xf32>) -> tensor<1x120xf32>
func.func @flatten_axis(%x: tensor<2x3x4x5xf32>) -> (tensor<6x20xf32>, tensor<1x120xf32>) {
  %0 = nn.flatten %x axis 2 : (tensor<2x3x4x5xf32>) -> tensor<6x20xf32>
  %1 = nn.flatten %x axis 0 : (tensor<2x3x4x5xf32>) -> tensor<1x120xf32>
  return %0, %1 : tensor<6x20xf32>, tensor<1x120xf32>
}

// -----

// CHECK-LABEL: func.func @lrn_before
// CHECK: nn.lrn %{{.*}} size 4 alpha 1.000000e-04 beta 7.500000e-01 k 1.000000e+00 before 1 : tensor<1x6x2x2xf32>
func.func @lrn_before(%x: tensor<1x6x2x2xf32>) -> tensor<1x6x2x2xf32> {
  %0 = nn.lrn %x size 4 alpha 1.0e-4 beta 0.75 k 1.0 before 1 : tensor<1x6x2x2xf32>
  return %0 : tensor<1x6x2x2xf32>
}

// -----

// Tests that trailing padding wider than the kernel is valid when every
// window still reaches the input (ONNX's opset 9 spelling of ceil_mode).
// CHECK-LABEL: func.func @wide_trailing_padding
// CHECK: nn.max_pool2d %{{.*}} kernel [3, 3] stride [2, 2] padding [1, 1, 3, 2]
func.func @wide_trailing_padding(%x: tensor<1x8x8x7xf32>) -> tensor<1x8x5x4xf32> {
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 3, 2]
         : (tensor<1x8x8x7xf32>) -> tensor<1x8x5x4xf32>
  return %0 : tensor<1x8x5x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: nn.transpose %{{.*}} perm [1, 0] : (tensor<6x3xf32>) -> tensor<3x6xf32>
func.func @transpose(%x: tensor<6x3xf32>) -> tensor<3x6xf32> {
  %0 = nn.transpose %x perm [1, 0] : (tensor<6x3xf32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

// CHECK-LABEL: func.func @reshape
// CHECK: nn.reshape %{{.*}} : (tensor<1x48x8x8xf32>) -> tensor<1x2x24x8x8xf32>
func.func @reshape(%x: tensor<1x48x8x8xf32>) -> tensor<1x2x24x8x8xf32> {
  %0 = nn.reshape %x : (tensor<1x48x8x8xf32>) -> tensor<1x2x24x8x8xf32>
  return %0 : tensor<1x2x24x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @slices
// CHECK: nn.slice %{{.*}} offsets [0, 24, 0, 0] : (tensor<1x48x8x8xf32>) -> tensor<1x24x8x8xf32>
// CHECK: nn.slice %{{.*}} offsets [0, 0, 1, 0] strides [1, 1, 2, 2] : (tensor<1x48x8x8xf32>) -> tensor<1x48x4x4xf32>
func.func @slices(%x: tensor<1x48x8x8xf32>) -> (tensor<1x24x8x8xf32>, tensor<1x48x4x4xf32>) {
  %0 = nn.slice %x offsets [0, 24, 0, 0] : (tensor<1x48x8x8xf32>) -> tensor<1x24x8x8xf32>
  %1 = nn.slice %x offsets [0, 0, 1, 0] strides [1, 1, 2, 2]
         : (tensor<1x48x8x8xf32>) -> tensor<1x48x4x4xf32>
  return %0, %1 : tensor<1x24x8x8xf32>, tensor<1x48x4x4xf32>
}
