// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// Tests that every nn op survives a round trip through its custom assembly
// format and through the generic form.

// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x9x9xf32>, %[[W:.*]]: tensor<6x2x3x5xf32>, %[[B:.*]]: tensor<6xf32>)
func.func @conv2d(%x: tensor<1x4x9x9xf32>, %w: tensor<6x2x3x5xf32>,
                  %b: tensor<6xf32>) -> (tensor<1x6x5x5xf32>, tensor<1x6x5x5xf32>) {
  // CHECK: nn.conv2d %[[X]], %[[W]], %[[B]] stride [2, 2] padding [1, 2, 1, 2] dilation [1, 1] groups 2 : (tensor<1x4x9x9xf32>, tensor<6x2x3x5xf32>, tensor<6xf32>) -> tensor<1x6x5x5xf32>
  %0 = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 2, 1, 2] dilation [1, 1]
         groups 2 : (tensor<1x4x9x9xf32>, tensor<6x2x3x5xf32>, tensor<6xf32>)
         -> tensor<1x6x5x5xf32>
  // CHECK: nn.conv2d %[[X]], %[[W]] stride [2, 2] padding [1, 2, 1, 2] dilation [1, 1] groups 2 : (tensor<1x4x9x9xf32>, tensor<6x2x3x5xf32>) -> tensor<1x6x5x5xf32>
  %1 = nn.conv2d %x, %w stride [2, 2] padding [1, 2, 1, 2] dilation [1, 1]
         groups 2 : (tensor<1x4x9x9xf32>, tensor<6x2x3x5xf32>)
         -> tensor<1x6x5x5xf32>
  return %0, %1 : tensor<1x6x5x5xf32>, tensor<1x6x5x5xf32>
}

// CHECK-LABEL: func.func @conv_transpose2d
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x5x5xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
func.func @conv_transpose2d(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>,
                            %b: tensor<6xf32>)
    -> (tensor<1x6x10x10xf32>, tensor<1x6x10x13xf32>) {
  // CHECK: nn.conv_transpose2d %[[X]], %[[W]], %[[B]] stride [2, 2] padding [1, 1, 1, 1] output_padding [1, 1] dilation [1, 1] groups 2 : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x10x10xf32>
  %0 = nn.conv_transpose2d %x, %w, %b stride [2, 2] padding [1, 1, 1, 1]
         output_padding [1, 1] dilation [1, 1] groups 2
         : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>)
         -> tensor<1x6x10x10xf32>
  // CHECK: nn.conv_transpose2d %[[X]], %[[W]] stride [1, 3] padding [0, 2, 1, 0] output_padding [0, 0] dilation [3, 1] groups 2 : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x6x10x13xf32>
  %1 = nn.conv_transpose2d %x, %w stride [1, 3] padding [0, 2, 1, 0]
         output_padding [0, 0] dilation [3, 1] groups 2
         : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x6x10x13xf32>
  return %0, %1 : tensor<1x6x10x10xf32>, tensor<1x6x10x13xf32>
}

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<2x400xf32>, %[[W:.*]]: tensor<120x400xf32>, %[[B:.*]]: tensor<120xf32>)
func.func @linear(%x: tensor<2x400xf32>, %w: tensor<120x400xf32>,
                  %b: tensor<120xf32>) -> (tensor<2x120xf32>, tensor<2x120xf32>) {
  // CHECK: nn.linear %[[X]], %[[W]], %[[B]] : (tensor<2x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<2x120xf32>
  %0 = nn.linear %x, %w, %b
         : (tensor<2x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<2x120xf32>
  // CHECK: nn.linear %[[X]], %[[W]] : (tensor<2x400xf32>, tensor<120x400xf32>) -> tensor<2x120xf32>
  %1 = nn.linear %x, %w : (tensor<2x400xf32>, tensor<120x400xf32>) -> tensor<2x120xf32>
  return %0, %1 : tensor<2x120xf32>, tensor<2x120xf32>
}

// CHECK-LABEL: func.func @activations
// CHECK-SAME: (%[[X:.*]]: tensor<1x10xf32>)
func.func @activations(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  // CHECK: %[[R:.*]] = nn.relu %[[X]] : tensor<1x10xf32>
  // CHECK: %[[S:.*]] = nn.sigmoid %[[R]] : tensor<1x10xf32>
  // CHECK: %[[T:.*]] = nn.tanh %[[S]] : tensor<1x10xf32>
  // CHECK: %[[D:.*]] = nn.dropout %[[T]] p 5.000000e-01 : tensor<1x10xf32>
  // CHECK: nn.softmax %[[D]] : tensor<1x10xf32>
  %0 = nn.relu %x : tensor<1x10xf32>
  %1 = nn.sigmoid %0 : tensor<1x10xf32>
  %2 = nn.tanh %1 : tensor<1x10xf32>
  %3 = nn.dropout %2 p 0.5 : tensor<1x10xf32>
  %4 = nn.softmax %3 : tensor<1x10xf32>
  return %4 : tensor<1x10xf32>
}

// CHECK-LABEL: func.func @clamp_and_leaky_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x10xf32>)
func.func @clamp_and_leaky_relu(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  // CHECK: %[[C:.*]] = nn.clamp %[[X]] min 0.000000e+00 max 6.000000e+00 : tensor<1x10xf32>
  // CHECK: %[[U:.*]] = nn.clamp %[[C]] min 0xFF800000 max -2.500000e-01 : tensor<1x10xf32>
  // CHECK: %[[L:.*]] = nn.leaky_relu %[[U]] slope 2.000000e-01 : tensor<1x10xf32>
  // CHECK: %[[E:.*]] = nn.elu %[[L]] alpha 5.000000e-01 : tensor<1x10xf32>
  // CHECK: %[[S:.*]] = nn.selu %[[E]] alpha 2.000000e+00 gamma 5.000000e-01 : tensor<1x10xf32>
  // CHECK: %[[T:.*]] = nn.thresholded_relu %[[S]] alpha -1.000000e+00 : tensor<1x10xf32>
  // CHECK: %[[SS:.*]] = nn.softsign %[[T]] : tensor<1x10xf32>
  // CHECK: %[[SP:.*]] = nn.softplus %[[SS]] : tensor<1x10xf32>
  // CHECK: nn.celu %[[SP]] alpha -5.000000e-01 : tensor<1x10xf32>
  %0 = nn.clamp %x min 0.0 max 6.0 : tensor<1x10xf32>
  %1 = nn.clamp %0 min 0xFF800000 max -0.25 : tensor<1x10xf32>
  %2 = nn.leaky_relu %1 slope 0.2 : tensor<1x10xf32>
  %3 = nn.elu %2 alpha 0.5 : tensor<1x10xf32>
  %4 = nn.selu %3 alpha 2.0 gamma 0.5 : tensor<1x10xf32>
  %5 = nn.thresholded_relu %4 alpha -1.0 : tensor<1x10xf32>
  %6 = nn.softsign %5 : tensor<1x10xf32>
  %7 = nn.softplus %6 : tensor<1x10xf32>
  %8 = nn.celu %7 alpha -0.5 : tensor<1x10xf32>
  return %8 : tensor<1x10xf32>
}

// CHECK-LABEL: func.func @gates
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
func.func @gates(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: %[[W:.*]] = nn.hard_swish %[[X]] : tensor<1x4x3x3xf32>
  // CHECK: %[[G:.*]] = nn.hard_sigmoid %[[S]] alpha 0.166666672 beta 5.000000e-01 : tensor<1x4x1x1xf32>
  // CHECK: %[[M:.*]] = nn.mul %[[W]], %[[G]] : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  // CHECK: nn.mul %[[M]], %[[X]] : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  %0 = nn.hard_swish %x : tensor<1x4x3x3xf32>
  %1 = nn.hard_sigmoid %s alpha 0.166666672 beta 0.5 : tensor<1x4x1x1xf32>
  %2 = nn.mul %0, %1 : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  %3 = nn.mul %2, %x : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  return %3 : tensor<1x4x3x3xf32>
}

// CHECK-LABEL: func.func @extremes
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
func.func @extremes(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: %[[M:.*]] = nn.maximum %[[X]], %[[S]] : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  // CHECK: nn.minimum %[[M]], %[[X]] : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  %0 = nn.maximum %x, %s : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.minimum %0, %x : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  return %1 : tensor<1x4x3x3xf32>
}

// CHECK-LABEL: func.func @powers
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3x3xf32>, %[[E:.*]]: tensor<1x4x1x1xf32>)
func.func @powers(%x: tensor<1x4x3x3xf32>, %e: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: %[[P:.*]] = nn.pow %[[X]], %[[E]] : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  // CHECK: nn.pow %[[P]], %[[X]] : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  %0 = nn.pow %x, %e : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.pow %0, %x : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  return %1 : tensor<1x4x3x3xf32>
}

// CHECK-LABEL: func.func @arithmetic
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
func.func @arithmetic(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: %[[D:.*]] = nn.sub %[[X]], %[[S]] : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  // CHECK: %[[Q:.*]] = nn.div %[[D]], %[[X]] : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  // CHECK: %[[A:.*]] = nn.abs %[[Q]] : tensor<1x4x3x3xf32>
  // CHECK: %[[L:.*]] = nn.log %[[A]] : tensor<1x4x3x3xf32>
  // CHECK: %[[E:.*]] = nn.exp %[[L]] : tensor<1x4x3x3xf32>
  // CHECK: %[[R:.*]] = nn.sqrt %[[E]] : tensor<1x4x3x3xf32>
  // CHECK: %[[I:.*]] = nn.reciprocal %[[R]] : tensor<1x4x3x3xf32>
  // CHECK: nn.erf %[[I]] : tensor<1x4x3x3xf32>
  %0 = nn.sub %x, %s : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.div %0, %x : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  %2 = nn.abs %1 : tensor<1x4x3x3xf32>
  %3 = nn.log %2 : tensor<1x4x3x3xf32>
  %4 = nn.exp %3 : tensor<1x4x3x3xf32>
  %5 = nn.sqrt %4 : tensor<1x4x3x3xf32>
  %6 = nn.reciprocal %5 : tensor<1x4x3x3xf32>
  %7 = nn.erf %6 : tensor<1x4x3x3xf32>
  return %7 : tensor<1x4x3x3xf32>
}

// CHECK-LABEL: func.func @reductions
// CHECK: nn.reduce_sum %{{.*}} dims [1] : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK: nn.reduce_mean %{{.*}} dims [0, 2] : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
// CHECK: nn.reduce_max %{{.*}} dims [0, 1, 2] : (tensor<2x3x4xf32>) -> tensor<1x1x1xf32>
// CHECK: nn.reduce_prod %{{.*}} dims [2] : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<1x3x1xf32>, tensor<1x1x1xf32>, tensor<2x3x1xf32>) {
  %0 = nn.reduce_sum %x dims [1] : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  %1 = nn.reduce_mean %x dims [0, 2] : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %2 = nn.reduce_max %x dims [0, 1, 2] : (tensor<2x3x4xf32>) -> tensor<1x1x1xf32>
  %3 = nn.reduce_prod %x dims [2] : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  return %0, %1, %2, %3 : tensor<2x1x4xf32>, tensor<1x3x1xf32>, tensor<1x1x1xf32>, tensor<2x3x1xf32>
}

// CHECK-LABEL: func.func @prelu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
func.func @prelu(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  // CHECK: nn.prelu %[[X]], %[[S]] : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  %0 = nn.prelu %x, %s : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// CHECK-LABEL: func.func @pools
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x9x9xf32>)
func.func @pools(%x: tensor<1x8x9x9xf32>)
    -> (tensor<1x8x5x5xf32>, tensor<1x8x4x4xf32>, tensor<1x8x5x5xf32>,
        tensor<1x8x3x2xf32>) {
  // CHECK: nn.max_pool2d %[[X]] kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1] ceil_mode : (tensor<1x8x9x9xf32>) -> tensor<1x8x5x5xf32>
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1]
         ceil_mode : (tensor<1x8x9x9xf32>) -> tensor<1x8x5x5xf32>
  // CHECK: nn.avg_pool2d %[[X]] kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] : (tensor<1x8x9x9xf32>) -> tensor<1x8x4x4xf32>
  %1 = nn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x8x9x9xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: nn.avg_pool2d %[[X]] kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1] ceil_mode count_include_pad : (tensor<1x8x9x9xf32>) -> tensor<1x8x5x5xf32>
  %2 = nn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1]
         ceil_mode count_include_pad : (tensor<1x8x9x9xf32>) -> tensor<1x8x5x5xf32>
  // CHECK: nn.adaptive_avg_pool2d %[[X]] : (tensor<1x8x9x9xf32>) -> tensor<1x8x3x2xf32>
  %3 = nn.adaptive_avg_pool2d %x : (tensor<1x8x9x9xf32>) -> tensor<1x8x3x2xf32>
  return %0, %1, %2, %3 : tensor<1x8x5x5xf32>, tensor<1x8x4x4xf32>,
                          tensor<1x8x5x5xf32>, tensor<1x8x3x2xf32>
}

// CHECK-LABEL: func.func @normalisation
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x8x8xf32>, %[[P:.*]]: tensor<16xf32>)
func.func @normalisation(%x: tensor<1x16x8x8xf32>, %p: tensor<16xf32>)
    -> (tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>) {
  // CHECK: nn.lrn %[[X]] size 5 alpha 1.000000e-04 beta 7.500000e-01 k 2.000000e+00 : tensor<1x16x8x8xf32>
  %0 = nn.lrn %x size 5 alpha 1.0e-4 beta 0.75 k 2.0 : tensor<1x16x8x8xf32>
  // CHECK: nn.batch_norm %[[X]], %[[P]], %[[P]], %[[P]], %[[P]] eps 1.000000e-05 : (tensor<1x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
  %1 = nn.batch_norm %x, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
            tensor<16xf32>) -> tensor<1x16x8x8xf32>
  return %0, %1 : tensor<1x16x8x8xf32>, tensor<1x16x8x8xf32>
}

// CHECK-LABEL: func.func @flatten
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x5x5xf32>)
func.func @flatten(%x: tensor<1x16x5x5xf32>) -> tensor<1x400xf32> {
  // CHECK: nn.flatten %[[X]] : (tensor<1x16x5x5xf32>) -> tensor<1x400xf32>
  %0 = nn.flatten %x : (tensor<1x16x5x5xf32>) -> tensor<1x400xf32>
  return %0 : tensor<1x400xf32>
}

// Tests nn.fused_conv2d with every optional part present (bias, relu, a
// max pool) and with none of them, an average pool without relu, a clamp
// (ReLU6) with a max pool, and a SiLU.
// CHECK-LABEL: func.func @fused_conv2d
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x9x9xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
func.func @fused_conv2d(%x: tensor<1x4x9x9xf32>, %w: tensor<6x2x3x3xf32>,
                        %b: tensor<6xf32>)
    -> (tensor<1x6x4x4xf32>, tensor<1x6x7x7xf32>, tensor<1x6x2x3xf32>, tensor<1x6x4x4xf32>, tensor<1x6x7x7xf32>) {
  // CHECK: nn.fused_conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 2 relu pool "max" kernel [3, 3] stride [2, 2] : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1]
         dilation [1, 1] groups 2 relu pool "max" kernel [3, 3] stride [2, 2]
         : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  // CHECK: nn.fused_conv2d %[[X]], %[[W]] stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2 : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x7x7xf32>
  %1 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0]
         dilation [1, 1] groups 2
         : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x7x7xf32>
  // CHECK: nn.fused_conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2 pool "avg" kernel [2, 3] stride [3, 2] : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x2x3xf32>
  %2 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0]
         dilation [1, 1] groups 2 pool "avg" kernel [2, 3] stride [3, 2]
         : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x2x3xf32>
  // CHECK: nn.fused_conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 2 clamp [0.000000e+00, 6.000000e+00] pool "max" kernel [3, 3] stride [2, 2] : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  %3 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1]
         dilation [1, 1] groups 2 clamp [0.0, 6.0] pool "max" kernel [3, 3] stride [2, 2]
         : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  // CHECK: nn.fused_conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2 silu : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x7x7xf32>
  %4 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0]
         dilation [1, 1] groups 2 silu
         : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x7x7xf32>
  return %0, %1, %2, %3, %4 : tensor<1x6x4x4xf32>, tensor<1x6x7x7xf32>, tensor<1x6x2x3xf32>, tensor<1x6x4x4xf32>, tensor<1x6x7x7xf32>
}

// Tests nn.fused_linear with and without bias and relu.
// CHECK-LABEL: func.func @fused_linear
// CHECK-SAME: (%[[X:.*]]: tensor<2x400xf32>, %[[W:.*]]: tensor<120x400xf32>, %[[B:.*]]: tensor<120xf32>)
func.func @fused_linear(%x: tensor<2x400xf32>, %w: tensor<120x400xf32>,
                        %b: tensor<120xf32>) -> (tensor<2x120xf32>, tensor<2x120xf32>) {
  // CHECK: nn.fused_linear %[[X]], %[[W]], %[[B]] relu : (tensor<2x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<2x120xf32>
  %0 = nn.fused_linear %x, %w, %b relu
         : (tensor<2x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<2x120xf32>
  // CHECK: nn.fused_linear %[[X]], %[[W]] : (tensor<2x400xf32>, tensor<120x400xf32>) -> tensor<2x120xf32>
  %1 = nn.fused_linear %x, %w : (tensor<2x400xf32>, tensor<120x400xf32>) -> tensor<2x120xf32>
  return %0, %1 : tensor<2x120xf32>, tensor<2x120xf32>
}

// CHECK-LABEL: func.func @resource_weights
func.func @resource_weights(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // CHECK: %[[W:.*]] = arith.constant dense_resource<fc.weight> : tensor<2x2xf32>
  // CHECK: nn.linear %{{.*}}, %[[W]]
  %w = arith.constant dense_resource<fc.weight> : tensor<2x2xf32>
  %0 = nn.linear %x, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// CHECK: dialect_resources
// CHECK: fc.weight: "0x040000000000803F000000400000404000008040"
{-#
  dialect_resources: {
    builtin: {
      fc.weight: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
