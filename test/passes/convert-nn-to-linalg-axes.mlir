// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s

// Tests that a dilated max pool is linalg's pooling with its dilations, over
// an input padded with -inf so that ceil_mode's last dilated window fits.
// CHECK-LABEL: func.func @dilated_max_pool
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK: linalg.pooling_nchw_max {dilations = dense<[2, 3]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>} {{.*}} -> tensor<1x1x2x2xf32>
func.func @dilated_max_pool(%x: tensor<1x1x4x5xf32>) -> tensor<1x1x2x2xf32> {
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 1] padding [0, 0, 0, 0]
         ceil_mode dilation [2, 3] : (tensor<1x1x4x5xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// Tests that log-softmax over dimensions 2 and 3 reduces both and computes
// (x - max) - log(sum) without dividing.
// CHECK-LABEL: func.func @log_softmax_dims
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} {{.*}} outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK:   math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]], %[[SUM]] : {{.*}})
// CHECK-NOT: arith.divf
// CHECK:   math.log
// CHECK:   arith.subf
// CHECK: return
func.func @log_softmax_dims(%x: tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32> {
  %0 = nn.softmax %x dims [2, 3] log : tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

// -----

// Tests that softmax over dimension 0 reduces it alone.
// CHECK-LABEL: func.func @softmax_dim0
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.*}} : tensor<4xf32>)
func.func @softmax_dim0(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = nn.softmax %x dims [0] : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Tests that flatten at axis 2 collapses the dimensions before and after it.
// CHECK-LABEL: func.func @flatten_axis2
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2, 3]] : tensor<2x3x4x5xf32> into tensor<6x20xf32>
func.func @flatten_axis2(%x: tensor<2x3x4x5xf32>) -> tensor<6x20xf32> {
  %0 = nn.flatten %x axis 2 : (tensor<2x3x4x5xf32>) -> tensor<6x20xf32>
  return %0 : tensor<6x20xf32>
}

// -----

// Tests that flatten at axis 0 collapses everything and adds a unit
// dimension in front.
// CHECK-LABEL: func.func @flatten_axis0
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] {{.*}} : tensor<24xf32> into tensor<1x24xf32>
func.func @flatten_axis0(%x: tensor<2x3x4xf32>) -> tensor<1x24xf32> {
  %0 = nn.flatten %x axis 0 : (tensor<2x3x4xf32>) -> tensor<1x24xf32>
  return %0 : tensor<1x24xf32>
}

// -----

// Tests that an LRN window starting one channel before the centre pads the
// channels by 1 before and size - 2 after.
// CHECK-LABEL: func.func @lrn_before
// CHECK: tensor.pad %{{.*}} low[0, 1, 0, 0] high[0, 2, 0, 0]
func.func @lrn_before(%x: tensor<1x6x2x2xf32>) -> tensor<1x6x2x2xf32> {
  %0 = nn.lrn %x size 4 alpha 1.0e-4 beta 0.75 k 1.0 before 1 : tensor<1x6x2x2xf32>
  return %0 : tensor<1x6x2x2xf32>
}

// -----

// Tests that a transpose is linalg.transpose into a new tensor.
// CHECK-LABEL: func.func @transpose
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x6xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<6x3xf32>) outs(%[[E]] : tensor<3x6xf32>) permutation = [1, 0]
func.func @transpose(%x: tensor<6x3xf32>) -> tensor<3x6xf32> {
  %0 = nn.transpose %x perm [1, 0] : (tensor<6x3xf32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

// Tests that a reshape that splits a dimension is one tensor.expand_shape,
// one that merges dimensions one tensor.collapse_shape, and any other a
// collapse to one dimension and an expand: no data moves.
// CHECK-LABEL: func.func @reshapes
// CHECK-SAME: (%[[X:.*]]: tensor<1x48x8x8xf32>, %[[Y:.*]]: tensor<1x2x24x8x8xf32>, %[[Z:.*]]: tensor<48x64xf32>)
// CHECK: %[[G:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 24, 8, 8] : tensor<1x48x8x8xf32> into tensor<1x2x24x8x8xf32>
// CHECK: %[[M:.*]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1, 2], [3, 4]] : tensor<1x2x24x8x8xf32> into tensor<48x64xf32>
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[Z]] {{\[}}[0, 1]] : tensor<48x64xf32> into tensor<3072xf32>
// CHECK: %[[T:.*]] = tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [64, 48] : tensor<3072xf32> into tensor<64x48xf32>
// CHECK: return %[[G]], %[[M]], %[[T]]
// (Reshapes of separate inputs: a reshape of a reshape folds into one.)
func.func @reshapes(%x: tensor<1x48x8x8xf32>, %y: tensor<1x2x24x8x8xf32>, %z: tensor<48x64xf32>)
    -> (tensor<1x2x24x8x8xf32>, tensor<48x64xf32>, tensor<64x48xf32>) {
  %0 = nn.reshape %x : (tensor<1x48x8x8xf32>) -> tensor<1x2x24x8x8xf32>
  %1 = nn.reshape %y : (tensor<1x2x24x8x8xf32>) -> tensor<48x64xf32>
  %2 = nn.reshape %z : (tensor<48x64xf32>) -> tensor<64x48xf32>
  return %0, %1, %2 : tensor<1x2x24x8x8xf32>, tensor<48x64xf32>, tensor<64x48xf32>
}

// -----

// Tests that a slice is tensor.extract_slice with its offsets and strides.
// CHECK-LABEL: func.func @slices
// CHECK: tensor.extract_slice %{{.*}}[0, 24, 0, 0] [1, 24, 8, 8] [1, 1, 1, 1] : tensor<1x48x8x8xf32> to tensor<1x24x8x8xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 1, 0] [1, 48, 4, 4] [1, 1, 2, 2] : tensor<1x48x8x8xf32> to tensor<1x48x4x4xf32>
func.func @slices(%x: tensor<1x48x8x8xf32>) -> (tensor<1x24x8x8xf32>, tensor<1x48x4x4xf32>) {
  %0 = nn.slice %x offsets [0, 24, 0, 0] : (tensor<1x48x8x8xf32>) -> tensor<1x24x8x8xf32>
  %1 = nn.slice %x offsets [0, 0, 1, 0] strides [1, 1, 2, 2]
         : (tensor<1x48x8x8xf32>) -> tensor<1x48x4x4xf32>
  return %0, %1 : tensor<1x24x8x8xf32>, tensor<1x48x4x4xf32>
}

// -----

// Tests that a slice with a negative stride is a forward view of the same
// elements (from the last one read, by the stride's magnitude) and a copy
// that reverses those dimensions (a view cannot), the window in W beside
// them kept; and that a whole reversal does not fold away as an identity
// would.
// CHECK-DAG: #[[BACK:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, -d1 + 3, -d2 + 2, d3)>
// CHECK-LABEL: func.func @slice_reversed
// CHECK: %[[V:.*]] = tensor.extract_slice %arg0[0, 0, 0, 1] [2, 4, 3, 3] [1, 1, 2, 1] : tensor<2x4x5x6xf32> to tensor<2x4x3x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[BACK]], #{{.*}}], {{.*}} ins(%[[V]] : tensor<2x4x3x3xf32>) outs(%{{.*}} : tensor<2x4x3x3xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]]
func.func @slice_reversed(%x: tensor<2x4x5x6xf32>) -> tensor<2x4x3x3xf32> {
  %0 = nn.slice %x offsets [0, 3, 4, 1] strides [1, -1, -2, 1]
         : (tensor<2x4x5x6xf32>) -> tensor<2x4x3x3xf32>
  return %0 : tensor<2x4x3x3xf32>
}
