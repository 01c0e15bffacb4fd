// RUN: kiln-opt %s -kiln-fuse | FileCheck %s

// Tests that a dilated max pool after conv + ReLU stays a pool of its own:
// nn.fused_conv2d's pool has no dilation.
// CHECK-LABEL: func.func @dilated_pool_not_fused
// CHECK: %[[C:.*]] = nn.fused_conv2d
// CHECK: nn.max_pool2d %[[C]] kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0] dilation [2, 2]
func.func @dilated_pool_not_fused(%x: tensor<1x1x6x6xf32>, %w: tensor<2x1x1x1xf32>)
    -> tensor<1x2x4x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1]
         groups 1 : (tensor<1x1x6x6xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x6x6xf32>
  %1 = nn.relu %0 : tensor<1x2x6x6xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0]
         dilation [2, 2] : (tensor<1x2x6x6xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}
