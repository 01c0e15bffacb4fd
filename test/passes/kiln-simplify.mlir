// RUN: kiln-opt %s -split-input-file -kiln-simplify | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-simplify=fold-batch-norm=false \
// RUN:   | FileCheck %s --check-prefix=NOFOLD
// RUN: kiln-opt %s -split-input-file -kiln-simplify -mlir-print-debuginfo \
// RUN:   -mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// Tests that dropout, an identity adaptive pool and a flatten of a matrix
// disappear, while the layers around them stay.
// CHECK-LABEL: func.func @inference_no_ops
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x6x6xf32>)
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[X]]
// CHECK-NEXT: %[[F:.*]] = nn.flatten %[[R]]
// CHECK-NEXT: %[[S:.*]] = nn.softmax %[[F]]
// CHECK-NEXT: return %[[S]]
func.func @inference_no_ops(%x: tensor<1x8x6x6xf32>) -> tensor<1x288xf32> {
  %0 = nn.dropout %x p 0.5 : tensor<1x8x6x6xf32>
  %1 = nn.adaptive_avg_pool2d %0 : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %2 = nn.relu %1 : tensor<1x8x6x6xf32>
  %3 = nn.flatten %2 : (tensor<1x8x6x6xf32>) -> tensor<1x288xf32>
  %4 = nn.dropout %3 p 0.2 : tensor<1x288xf32>
  %5 = nn.flatten %4 : (tensor<1x288xf32>) -> tensor<1x288xf32>
  %6 = nn.softmax %5 : tensor<1x288xf32>
  return %6 : tensor<1x288xf32>
}

// -----

// Tests that batchnorm folds into the convolution before it, with inline
// constants: s = gamma / sqrt(var + eps) = [1, 2], w' = w * s,
// b' = (b - mean) * s + beta.
// CHECK-LABEL: func.func @fold_dense
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4x4xf32>)
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]]], {{\[\[\[}}6.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = nn.conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
// CHECK-NOT: nn.batch_norm
// CHECK: return %[[Y]]
// NOFOLD-LABEL: func.func @fold_dense
// NOFOLD: nn.conv2d
// NOFOLD: nn.batch_norm
// LOC-LABEL: func.func @fold_dense
// LOC: nn.conv2d {{.*}} loc(fused["model.nn":3:1, "model.nn":4:1])
func.func @fold_dense(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %gamma = arith.constant dense<[2.0, 6.0]> : tensor<2xf32>
  %beta = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %mean = arith.constant dense<1.0> : tensor<2xf32>
  %var = arith.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
         loc("model.nn":3:1)
  %1 = nn.batch_norm %0, %gamma, %beta, %mean, %var eps 1.0
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("model.nn":4:1)
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Tests that weights in resource blobs fold into new blobs named after the
// convolution's weight, and that a convolution without bias gains one named
// like PyTorch's (conv1.bias): b' = (0 - mean) * s + beta = [-0.5, -3].
// CHECK-LABEL: func.func @fold_resources
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<conv1.weight.bnfolded> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense_resource<conv1.bias.bnfolded> : tensor<2xf32>
// CHECK: nn.conv2d %{{.*}}, %[[W]], %[[B]] stride [2, 2] padding [1, 1, 1, 1] dilation [1, 1] groups 1
// CHECK-NOT: nn.batch_norm
// CHECK: dialect_resources
// CHECK-DAG: conv1.weight.bnfolded: "0x040000000000803F0000C040"
// CHECK-DAG: conv1.bias.bnfolded: "0x04000000000000BF000040C0"
func.func @fold_resources(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense_resource<conv1.weight> : tensor<2x1x1x1xf32>
  %gamma = arith.constant dense_resource<bn1.weight> : tensor<2xf32>
  %beta = arith.constant dense_resource<bn1.bias> : tensor<2xf32>
  %mean = arith.constant dense_resource<bn1.running_mean> : tensor<2xf32>
  %var = arith.constant dense_resource<bn1.running_var> : tensor<2xf32>
  %0 = nn.conv2d %x, %w stride [2, 2] padding [1, 1, 1, 1] dilation [1, 1] groups 1
         : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  %1 = nn.batch_norm %0, %gamma, %beta, %mean, %var eps 1.0
         : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %1 : tensor<1x2x3x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      conv1.weight: "0x040000000000803F00004040",
      bn1.weight: "0x04000000000000400000C040",
      bn1.bias: "0x040000000000003F000080BF",
      bn1.running_mean: "0x040000000000803F0000803F",
      bn1.running_var: "0x040000000000404000000041"
    }
  }
#-}

// -----

// Tests that batchnorm does not fold when the convolution has another user,
// which still needs the unnormalised result.
// CHECK-LABEL: func.func @conv_with_two_users
// CHECK: %[[C:.*]] = nn.conv2d
// CHECK: %[[N:.*]] = nn.batch_norm %[[C]]
// CHECK: return %[[N]], %[[C]]
func.func @conv_with_two_users(%x: tensor<1x1x4x4xf32>)
    -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x1x1x1xf32>
  %p = arith.constant dense<1.0> : tensor<2xf32>
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = nn.batch_norm %0, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1, %0 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Tests that batchnorm without a convolution before it stays.
// CHECK-LABEL: func.func @batch_norm_alone
// CHECK: nn.relu
// CHECK: nn.batch_norm
func.func @batch_norm_alone(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %p = arith.constant dense<1.0> : tensor<2xf32>
  %0 = nn.relu %x : tensor<1x2x4x4xf32>
  %1 = nn.batch_norm %0, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Tests that batchnorm does not fold when the convolution's weight is not a
// constant.
// CHECK-LABEL: func.func @weight_not_constant
// CHECK: nn.conv2d
// CHECK: nn.batch_norm
func.func @weight_not_constant(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>)
    -> tensor<1x2x4x4xf32> {
  %p = arith.constant dense<1.0> : tensor<2xf32>
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = nn.batch_norm %0, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Tests that batchnorm does not fold when a parameter's blob has no data
// (elided), since there is nothing to compute with.
// CHECK-LABEL: func.func @elided_blob
// CHECK: nn.conv2d
// CHECK: nn.batch_norm
func.func @elided_blob(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense_resource<__elided__> : tensor<2x1x1x1xf32>
  %p = arith.constant dense<1.0> : tensor<2xf32>
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = nn.batch_norm %0, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Tests that the fold also works in a grouped (depthwise) convolution, where
// the weight has one input channel per group.
// CHECK-LABEL: func.func @fold_depthwise
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK: nn.conv2d %{{.*}}, %[[W]], %[[B]] {{.*}} groups 2
// CHECK-NOT: nn.batch_norm
func.func @fold_depthwise(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %gamma = arith.constant dense<4.0> : tensor<2xf32>
  %zero = arith.constant dense<0.0> : tensor<2xf32>
  %var = arith.constant dense<3.0> : tensor<2xf32>
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2
         : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = nn.batch_norm %0, %gamma, %zero, %zero, %var eps 1.0
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Tests that element-wise ops move before the reshape that feeds them, so
// that a 1-D convolution imported between reshapes meets its ReLU and clamp
// and the reshapes fold away; an op whose reshape has another reader stays.
// CHECK-LABEL: func.func @elementwise_before_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x1x8xf32>
// CHECK: %[[C:.*]] = nn.conv2d %[[X]]
// CHECK: %[[R:.*]] = nn.relu %[[C]] : tensor<1x4x1x8xf32>
// CHECK: %[[K:.*]] = nn.clamp %[[R]] min 0.000000e+00 max 6.000000e+00 : tensor<1x4x1x8xf32>
// CHECK: %[[P:.*]] = nn.max_pool2d %[[K]]
// CHECK: %[[V:.*]] = nn.reshape %[[P]] : (tensor<1x4x1x4xf32>) -> tensor<1x4x4xf32>
// CHECK: %[[S:.*]] = nn.sigmoid %[[V]] : tensor<1x4x4xf32>
// CHECK: return %[[S]], %[[V]]
func.func @elementwise_before_reshape(%x: tensor<1x2x1x8xf32>, %w: tensor<4x2x1x3xf32>)
    -> (tensor<1x4x4xf32>, tensor<1x4x4xf32>) {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 1, 0, 1] dilation [1, 1] groups 1
         : (tensor<1x2x1x8xf32>, tensor<4x2x1x3xf32>) -> tensor<1x4x1x8xf32>
  %1 = nn.reshape %0 : (tensor<1x4x1x8xf32>) -> tensor<1x4x8xf32>
  %2 = nn.relu %1 : tensor<1x4x8xf32>
  %3 = nn.clamp %2 min 0.0 max 6.0 : tensor<1x4x8xf32>
  %4 = nn.reshape %3 : (tensor<1x4x8xf32>) -> tensor<1x4x1x8xf32>
  %5 = nn.max_pool2d %4 kernel [1, 2] stride [1, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x1x8xf32>) -> tensor<1x4x1x4xf32>
  %6 = nn.reshape %5 : (tensor<1x4x1x4xf32>) -> tensor<1x4x4xf32>
  %7 = nn.sigmoid %6 : tensor<1x4x4xf32>
  return %7, %6 : tensor<1x4x4xf32>, tensor<1x4x4xf32>
}

// -----

// Tests that a batchnorm folds into the transposed convolution before it,
// whose weight [in, out, kh, kw] feeds output channel m from its slices
// [c, m]: with s = gamma / sqrt(var + eps) = [1, 2], w'[c, m] = w[c, m] *
// s[m], and b' = (0 - mean) * s.
// CHECK-LABEL: func.func @fold_conv_transpose
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]], {{\[}}[4.000000e+00]]], {{\[}}{{\[}}[3.000000e+00]], {{\[}}[8.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[-1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK: nn.conv_transpose2d %{{.*}}, %[[W]], %[[B]] stride [2, 2]
// CHECK-NOT: nn.batch_norm
func.func @fold_conv_transpose(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  %w = arith.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %gamma = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %beta = arith.constant dense<0.0> : tensor<2xf32>
  %mean = arith.constant dense<1.0> : tensor<2xf32>
  %var = arith.constant dense<3.0> : tensor<2xf32>
  %0 = nn.conv_transpose2d %x, %w stride [2, 2] padding [0, 0, 0, 0]
         output_padding [1, 1] dilation [1, 1] groups 1
         : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x6x6xf32>
  %1 = nn.batch_norm %0, %gamma, %beta, %mean, %var eps 1.0
         : (tensor<1x2x6x6xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x6x6xf32>
  return %1 : tensor<1x2x6x6xf32>
}

// -----

// Tests the grouped case: with 2 groups of one input channel, weight slice
// [c, 0] feeds output channel c.
// CHECK-LABEL: func.func @fold_grouped_conv_transpose
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]]], {{\[}}{{\[}}[4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK: nn.conv_transpose2d %{{.*}}, %[[W]], %{{.*}} {{.*}} groups 2
// CHECK-NOT: nn.batch_norm
func.func @fold_grouped_conv_transpose(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>
  %gamma = arith.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %beta = arith.constant dense<0.0> : tensor<2xf32>
  %mean = arith.constant dense<1.0> : tensor<2xf32>
  %var = arith.constant dense<3.0> : tensor<2xf32>
  %0 = nn.conv_transpose2d %x, %w stride [1, 1] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 1] groups 2
         : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  %1 = nn.batch_norm %0, %gamma, %beta, %mean, %var eps 1.0
         : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %1 : tensor<1x2x3x3xf32>
}

// -----

// Tests that a 2x2 average pool moves before the pointwise convolution that
// feeds it (DenseNet's transition): the convolution then runs on a quarter
// of the cells. Each op keeps its location.

// CHECK-LABEL: func.func @pool_before_pointwise_conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x6x6xf32>, %[[W:.*]]: tensor<4x8x1x1xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[P:.*]] = nn.avg_pool2d %[[X]] kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32>
// CHECK: %[[C:.*]] = nn.conv2d %[[P]], %[[W]], %[[B]] stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 : (tensor<1x8x3x3xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
// CHECK: return %[[C]]
// LOC-LABEL: func.func @pool_before_pointwise_conv
// LOC: nn.avg_pool2d {{.*}} loc("transition.nn":2:1)
// LOC: nn.conv2d {{.*}} loc("transition.nn":1:1)
func.func @pool_before_pointwise_conv(%x: tensor<1x8x6x6xf32>, %w: tensor<4x8x1x1xf32>,
                                      %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x8x6x6xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
         loc("transition.nn":1:1)
  %1 = nn.avg_pool2d %0 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32> loc("transition.nn":2:1)
  return %1 : tensor<1x4x3x3xf32>
}

// -----

// Tests that the pool stays after the convolution where commuting would be
// wrong or would not pay: a padded pool (its padding reads 0 after the
// convolution, the bias before it), a 3x3 convolution, a convolution read
// twice, and a 3x3 pool of stride 1 after a convolution from 8 channels to
// one (pooling the 8 would add more additions than it saves multiply-adds).

// CHECK-LABEL: func.func @pool_stays
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x6x6xf32>,
// CHECK: %[[C0:.*]] = nn.conv2d %[[X]]
// CHECK-NEXT: nn.avg_pool2d %[[C0]]
// CHECK-NEXT: %[[C1:.*]] = nn.conv2d %[[X]]
// CHECK-NEXT: nn.avg_pool2d %[[C1]]
// CHECK-NEXT: %[[C2:.*]] = nn.conv2d %[[X]]
// CHECK-NEXT: nn.avg_pool2d %[[C2]]
// CHECK-NEXT: %[[C3:.*]] = nn.conv2d %[[X]]
// CHECK-NEXT: nn.avg_pool2d %[[C3]]
func.func @pool_stays(%x: tensor<1x8x6x6xf32>, %w: tensor<4x8x1x1xf32>, %k: tensor<4x8x3x3xf32>,
                      %v: tensor<1x8x1x1xf32>, %b: tensor<4xf32>)
    -> (tensor<1x4x4x4xf32>, tensor<1x4x2x2xf32>, tensor<1x4x3x3xf32>, tensor<1x4x6x6xf32>,
        tensor<1x1x4x4xf32>) {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x8x6x6xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %1 = nn.avg_pool2d %0 kernel [2, 2] stride [2, 2] padding [1, 1, 1, 1] count_include_pad
         : (tensor<1x4x6x6xf32>) -> tensor<1x4x4x4xf32>
  %2 = nn.conv2d %x, %k, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x8x6x6xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %3 = nn.avg_pool2d %2 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  %4 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x8x6x6xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %5 = nn.avg_pool2d %4 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32>
  %6 = nn.conv2d %x, %v stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<1x1x6x6xf32>
  %7 = nn.avg_pool2d %6 kernel [3, 3] stride [1, 1] padding [0, 0, 0, 0]
         : (tensor<1x1x6x6xf32>) -> tensor<1x1x4x4xf32>
  return %1, %3, %5, %4, %7 : tensor<1x4x4x4xf32>, tensor<1x4x2x2xf32>, tensor<1x4x3x3xf32>,
                               tensor<1x4x6x6xf32>, tensor<1x1x4x4xf32>
}
