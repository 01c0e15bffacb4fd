// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg | FileCheck %s
// RUN: kiln-opt %s -split-input-file -convert-nn-to-linalg -mlir-print-debuginfo \
// RUN:   -mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// Tests that a padded convolution with bias pads with zeros and accumulates
// into the broadcast bias, keeping strides and dilations.
// CHECK-LABEL: func.func @conv_pad_bias
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x9x9xf32>, %[[W:.*]]: tensor<4x3x3x5xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 1, 2] high[0, 0, 1, 2]
// CHECK:   tensor.yield %[[ZERO]]
// CHECK: } : tensor<1x3x9x9xf32> to tensor<1x3x11x13xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%{{.*}} : tensor<1x4x5x3xf32>) dimensions = [0, 2, 3]
// CHECK: %[[Y:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[PAD]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<1x4x5x3xf32>)
// CHECK: return %[[Y]]
// LOC-LABEL: func.func @conv_pad_bias
// LOC: } : tensor<1x3x9x9xf32> to tensor<1x3x11x13xf32> loc("model.nn":5:1)
// LOC: linalg.broadcast {{.*}} loc("model.nn":5:1)
// LOC: linalg.conv_2d_nchw_fchw {{.*}} loc("model.nn":5:1)
func.func @conv_pad_bias(%x: tensor<1x3x9x9xf32>, %w: tensor<4x3x3x5xf32>,
                         %b: tensor<4xf32>) -> tensor<1x4x5x3xf32> {
  %0 = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 2, 1, 2] dilation [1, 2] groups 1
         : (tensor<1x3x9x9xf32>, tensor<4x3x3x5xf32>, tensor<4xf32>) -> tensor<1x4x5x3xf32>
         loc("model.nn":5:1)
  return %0 : tensor<1x4x5x3xf32>
}

// -----

// Tests that a transposed convolution with a constant weight and no
// dilation becomes one convolution per output phase: output cell
// (2q + rh, 2p + rw) of a stride-2, 2x2, unpadded layer reads only tap
// (rh, rw), so each phase is a 1x1 convolution of the input with that tap
// (its channels swapped, w'[m, c] = w[c, m, rh, rw], computed at compile
// time), accumulating into the bias and written into every second cell.
// CHECK-LABEL: func.func @conv_transpose_phases
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x3xf32>)
// CHECK: %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x2x6x6xf32>
// CHECK: %[[W00:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]], {{\[}}[9.000000e+00]]], {{\[}}{{\[}}[5.000000e+00]], {{\[}}[1.300000e+01]]]]> : tensor<2x2x1x1xf32>
// CHECK: %[[I00:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xf32>)
// CHECK: %[[P00:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[W00]] : {{.*}}) outs(%[[I00]] : tensor<1x2x3x3xf32>)
// CHECK: %[[R00:.*]] = tensor.insert_slice %[[P00]] into %[[E]][0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: arith.constant dense<{{\[}}{{\[}}{{\[}}[2.000000e+00]], {{\[}}[1.000000e+01]]], {{\[}}{{\[}}[6.000000e+00]], {{\[}}[1.400000e+01]]]]>
// CHECK: %[[R01:.*]] = tensor.insert_slice %{{.*}} into %[[R00]][0, 0, 0, 1] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: %[[R10:.*]] = tensor.insert_slice %{{.*}} into %[[R01]][0, 0, 1, 0] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: arith.constant dense<{{\[}}{{\[}}{{\[}}[4.000000e+00]], {{\[}}[1.200000e+01]]], {{\[}}{{\[}}[8.000000e+00]], {{\[}}[1.600000e+01]]]]>
// CHECK: %[[R11:.*]] = tensor.insert_slice %{{.*}} into %[[R10]][0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: return %[[R11]]
func.func @conv_transpose_phases(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
                             [[[9.0, 10.0], [11.0, 12.0]], [[13.0, 14.0], [15.0, 16.0]]]]>
         : tensor<2x2x2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = nn.conv_transpose2d %x, %w, %b stride [2, 2] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 1] groups 1
         : (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

// Tests the phases of a 3x3, stride-2 layer with padding 1 and
// output_padding 1: even cells read tap 1 alone, odd ones taps 2 and 0
// (backwards, as a convolution reads them) of the cell and the next, the
// last of which lies past the input: one zero row or column of padding.
// CHECK-LABEL: func.func @conv_transpose_phase_taps
// CHECK: arith.constant dense<5.000000e+00> : tensor<1x1x1x1xf32>
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %{{.*}} : tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>)
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 0] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK: arith.constant dense<{{\[}}{{\[}}{{\[}}[6.000000e+00, 4.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 0, 1]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 0, 1] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK: arith.constant dense<{{\[}}{{\[}}{{\[}}[8.000000e+00], [2.000000e+00]]]]> : tensor<1x1x2x1xf32>
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 0]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 1, 0] [1, 1, 4, 4] [1, 1, 2, 2]
// CHECK: arith.constant dense<{{\[}}{{\[}}{{\[}}[9.000000e+00, 7.000000e+00], [3.000000e+00, 1.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 1, 1] [1, 1, 4, 4] [1, 1, 2, 2]
func.func @conv_transpose_phase_taps(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]>
         : tensor<1x1x3x3xf32>
  %0 = nn.conv_transpose2d %x, %w stride [2, 2] padding [1, 1, 1, 1]
         output_padding [1, 1] dilation [1, 1] groups 1
         : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// -----

// Tests that a phase no tap reaches (a 1x1 kernel with stride 2: the odd
// rows) is the bias alone, and that a splat weight is read as one.
// CHECK-LABEL: func.func @conv_transpose_bias_phase
// CHECK: %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]>
// CHECK: arith.constant dense<2.000000e+00> : tensor<2x2x1x1xf32>
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK: %[[EVEN:.*]] = tensor.insert_slice {{.*}}[0, 0, 0, 0] [1, 2, 3, 3] [1, 1, 2, 1]
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<1x2x3x3xf32>
// CHECK-NEXT: %[[BIAS:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xf32>) outs(%[[E]] : tensor<1x2x3x3xf32>)
// CHECK-NEXT: tensor.insert_slice %[[BIAS]] into %[[EVEN]][0, 0, 1, 0] [1, 2, 3, 3] [1, 1, 2, 1]
func.func @conv_transpose_bias_phase(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x6x3xf32> {
  %w = arith.constant dense<2.0> : tensor<2x2x1x1xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = nn.conv_transpose2d %x, %w, %b stride [2, 1] padding [0, 0, 0, 0]
         output_padding [1, 0] dilation [1, 1] groups 1
         : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x6x3xf32>
  return %0 : tensor<1x2x6x3xf32>
}

// -----

// Tests that a transposed convolution of a 1x1 input is a matrix product
// [N, C] x [C, M*kh*kw] (as nn.linear's, the weight transposed and the bias
// repeated over each window at compile time), whose 2x2 windows are cropped
// by the top padding; output_padding past the window holds the bias alone.
// CHECK-LABEL: func.func @conv_transpose_one_cell
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x1x1xf32>)
// CHECK: %[[B:.*]] = arith.constant dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 9.000000e+00, 1.700000e+01], [2.000000e+00, 1.000000e+01, 1.800000e+01], {{.*}} [8.000000e+00, 1.600000e+01, 2.400000e+01]]> : tensor<8x3xf32>
// CHECK: %[[RB:.*]] = arith.constant dense<[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01, -5.000000e-01, -5.000000e-01, -5.000000e-01, -5.000000e-01]> : tensor<8xf32>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2, 3]] : tensor<2x3x1x1xf32> into tensor<2x3xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[RB]] : tensor<8xf32>)
// CHECK: %[[P:.*]] = linalg.matmul {{.*}} ins(%[[FLAT]], %[[W]] : tensor<2x3xf32>, tensor<8x3xf32>) outs(%[[INIT]] : tensor<2x8xf32>)
// CHECK: %[[WIN:.*]] = tensor.expand_shape %[[P]] {{\[}}[0], [1, 2, 3]] output_shape [2, 2, 2, 2]
// CHECK: %[[CROP:.*]] = tensor.extract_slice %[[WIN]][0, 0, 1, 0] [2, 2, 1, 2] [1, 1, 1, 1]
// CHECK: %[[REST:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xf32>) outs(%{{.*}} : tensor<2x2x3x4xf32>)
// CHECK: %[[Y:.*]] = tensor.insert_slice %[[CROP]] into %[[REST]][0, 0, 0, 0] [2, 2, 1, 2] [1, 1, 1, 1]
// CHECK: return %[[Y]]
func.func @conv_transpose_one_cell(%x: tensor<2x3x1x1xf32>) -> tensor<2x2x3x4xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
                             [[[9.0, 10.0], [11.0, 12.0]], [[13.0, 14.0], [15.0, 16.0]]],
                             [[[17.0, 18.0], [19.0, 20.0]], [[21.0, 22.0], [23.0, 24.0]]]]>
         : tensor<3x2x2x2xf32>
  %b = arith.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = nn.conv_transpose2d %x, %w, %b stride [2, 2] padding [1, 0, 0, 0]
         output_padding [2, 2] dilation [1, 1] groups 1
         : (tensor<2x3x1x1xf32>, tensor<3x2x2x2xf32>, tensor<2xf32>) -> tensor<2x2x3x4xf32>
  return %0 : tensor<2x2x3x4xf32>
}

// -----

// Tests that a dilated layer becomes one convolution over its input spread
// by the stride into zeros, with the whole weight flipped (at compile time,
// the weight being constant).
// CHECK-LABEL: func.func @conv_transpose_dilated
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x3x3xf32>)
// CHECK: %[[ZEROS:.*]] = linalg.fill {{.*}} -> tensor<1x1x5x7xf32>
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %[[X]] into %[[ZEROS]][0, 0, 0, 2] [1, 1, 3, 3] [1, 1, 2, 1]
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}{{\[}}{{\[}}[2.000000e+00, 1.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[SPREAD]], %[[W]] : tensor<1x1x5x7xf32>, tensor<1x1x1x2xf32>)
func.func @conv_transpose_dilated(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x5x5xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>
  %0 = nn.conv_transpose2d %x, %w stride [2, 1] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 2] groups 1
         : (tensor<1x1x3x3xf32>, tensor<1x1x1x2xf32>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

// Tests a grouped transposed convolution whose weight is computed: a
// linalg.generic flips and swaps it per group at run time. Padding past the
// kernel's reach (3 > 2 at the top and left) crops the convolution's result
// instead of the zeros; output_padding adds zeros at the bottom.
// CHECK-DAG: #[[FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, -d3 + 2, -d4 + 2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @conv_transpose_computed
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x5x5xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK: %[[SPREAD:.*]] = tensor.insert_slice %[[X]] into %{{.*}}[0, 0, 0, 0] [1, 4, 5, 5] [1, 1, 2, 2] : tensor<1x4x5x5xf32> into tensor<1x4x12x9xf32>
// CHECK: %[[GROUPS:.*]] = tensor.expand_shape %[[W]] {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 2, 3, 3, 3]
// CHECK: %[[FLIPPED:.*]] = linalg.generic {indexing_maps = [#[[FLIP]], #[[ID]]], {{.*}}} ins(%[[GROUPS]] : tensor<2x2x3x3x3xf32>) outs(%{{.*}} : tensor<2x3x2x3x3xf32>)
// CHECK: %[[W2:.*]] = tensor.collapse_shape %[[FLIPPED]] {{\[}}[0, 1], [2], [3], [4]] : tensor<2x3x2x3x3xf32> into tensor<6x2x3x3xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_ngchw_gfchw
// CHECK: %[[FULL:.*]] = tensor.collapse_shape %[[Y]] {{.*}} into tensor<1x6x10x7xf32>
// CHECK: %[[CROP:.*]] = tensor.extract_slice %[[FULL]][0, 0, 1, 1] [1, 6, 9, 6] [1, 1, 1, 1]
// CHECK: return %[[CROP]]
func.func @conv_transpose_computed(%x: tensor<1x4x5x5xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x6x9x6xf32> {
  %0 = nn.conv_transpose2d %x, %w stride [2, 2] padding [3, 3, 0, 2]
         output_padding [1, 0] dilation [1, 1] groups 2
         : (tensor<1x4x5x5xf32>, tensor<4x3x3x3xf32>) -> tensor<1x6x9x6xf32>
  return %0 : tensor<1x6x9x6xf32>
}

// -----

// Tests that a convolution without padding or bias needs no tensor.pad and
// accumulates into zeros.
// CHECK-LABEL: func.func @conv_plain
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK-NOT: tensor.pad
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32)
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<1x4x6x6xf32>)
func.func @conv_plain(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Tests that a grouped convolution splits the channels into [groups,
// channels/groups] and uses the grouped linalg convolution.
// CHECK-LABEL: func.func @conv_grouped
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]]
// CHECK: %[[GX:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 8]
// CHECK: %[[GW:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3]
// CHECK: %[[GI:.*]] = tensor.expand_shape %[[INIT]] {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 3, 6, 6]
// CHECK: %[[GY:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[GX]], %[[GW]] : {{.*}}) outs(%[[GI]] : tensor<1x2x3x6x6xf32>)
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[GY]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x3x6x6xf32> into tensor<1x6x6x6xf32>
// CHECK: return %[[Y]]
func.func @conv_grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>,
                        %b: tensor<6xf32>) -> tensor<1x6x6x6xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2
         : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// -----

// Tests that a depthwise convolution goes through the grouped path with one
// channel per group.
// CHECK-LABEL: func.func @conv_depthwise
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 4, 1, 10, 10]
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3], [4]] output_shape [4, 1, 1, 3, 3]
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @conv_depthwise(%x: tensor<1x4x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 4
         : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Tests that linear reads the [out, in] weight through a transposed matmul
// map and accumulates into the broadcast bias.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[W:.*]]: tensor<3x8xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<3xf32>) outs(%{{.*}} : tensor<2x3xf32>) dimensions = [0]
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]] ins(%[[X]], %[[W]] : tensor<2x8xf32>, tensor<3x8xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK: return %[[Y]]
func.func @linear(%x: tensor<2x8xf32>, %w: tensor<3x8xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = nn.linear %x, %w, %b : (tensor<2x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that linear without bias accumulates into zeros.
// CHECK-LABEL: func.func @linear_no_bias
// CHECK: %[[INIT:.*]] = linalg.fill
// CHECK: linalg.matmul {{.*}} outs(%[[INIT]] : tensor<2x3xf32>)
func.func @linear_no_bias(%x: tensor<2x8xf32>, %w: tensor<3x8xf32>) -> tensor<2x3xf32> {
  %0 = nn.linear %x, %w : (tensor<2x8xf32>, tensor<3x8xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that max pooling pads with -inf, and that ceil_mode adds one more row
// and column at the bottom/right so the last window (8 + 1 + 1 cells, but
// windows reach row 4 * 2 + 3 = 11) lies inside the padded input.
// CHECK-LABEL: func.func @max_pool_ceil
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>)
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 2, 2]
// CHECK:   tensor.yield %[[NINF]]
// CHECK: } : tensor<1x3x8x8xf32> to tensor<1x3x11x11xf32>
// CHECK: %[[WINDOW:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x3x5x5xf32>)
// CHECK: %[[Y:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[PAD]], %[[WINDOW]] : {{.*}}) outs(%[[INIT]] : tensor<1x3x5x5xf32>)
// CHECK: return %[[Y]]
func.func @max_pool_ceil(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x5x5xf32> {
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1] ceil_mode
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x5x5xf32>
  return %0 : tensor<1x3x5x5xf32>
}

// -----

// Tests that a max pool of values known to be >= +0 or NaN (a ReLU's, a
// clamp's from 0 up, a max pool or concatenation of those) pads and starts
// from +0 and says so (kiln.nonnegative_input), and that one of a clamp with
// a negative bound, or of a convolution, keeps -inf.
// CHECK-LABEL: func.func @max_pool_nonnegative
// CHECK: arith.maximumf
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: tensor.pad
// CHECK:   tensor.yield %[[ZERO]]
// CHECK: %[[START:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[START]] : f32)
// CHECK: %[[P1:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.nonnegative_input, strides = dense<2> : tensor<2xi64>}
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.nonnegative_input, strides = dense<1> : tensor<2xi64>} ins(%[[P1]],
// CHECK: %[[CAT:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 2, 0, 0]
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.nonnegative_input, strides = dense<2> : tensor<2xi64>} ins(%[[CAT]],
// CHECK-LABEL: func.func @max_pool_maybe_negative
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NOT: kiln.nonnegative_input
// CHECK: return
func.func @max_pool_nonnegative(%x: tensor<1x2x8x8xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x4x4x4xf32>) {
  %r = nn.relu %x : tensor<1x2x8x8xf32>
  %p1 = nn.max_pool2d %r kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1]
         : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  %p2 = nn.max_pool2d %p1 kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0]
         : (tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32>
  %c = nn.clamp %x min 0.0 max 6.0 : tensor<1x2x8x8xf32>
  %cat = nn.concat %r, %c dim 1 : (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p3 = nn.max_pool2d %cat kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %p2, %p3 : tensor<1x2x3x3xf32>, tensor<1x4x4x4xf32>
}
func.func @max_pool_maybe_negative(%x: tensor<1x2x8x8xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %c = nn.clamp %x min -1.0 max 6.0 : tensor<1x2x8x8xf32>
  %p1 = nn.max_pool2d %c kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  %y = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 : (tensor<1x2x8x8xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x8x8xf32>
  %p2 = nn.max_pool2d %y kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32>
  return %p1, %p2 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Tests that an average pool whose windows are all full sums and divides by
// the constant window area.
// CHECK-LABEL: func.func @avg_pool_plain
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>)
// CHECK-NOT: tensor.pad
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum {{.*}} ins(%[[X]], %{{.*}} : tensor<1x3x8x8xf32>, tensor<2x2xf32>)
// CHECK: %[[AREA:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x3x4x4xf32>)
// CHECK-NOT: linalg.index
// CHECK: arith.divf %{{.*}}, %[[AREA]] : f32
func.func @avg_pool_plain(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  %0 = nn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Tests that with count_include_pad (and no ceil_mode) padded cells count,
// so the divisor is the constant kernel area.
// CHECK-LABEL: func.func @avg_pool_count_pad
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.pooling_nchw_sum
// CHECK: %[[AREA:.*]] = arith.constant 9.000000e+00 : f32
// CHECK-NOT: linalg.index
// CHECK: arith.divf %{{.*}}, %[[AREA]] : f32
func.func @avg_pool_count_pad(%x: tensor<1x3x7x7xf32>) -> tensor<1x3x4x4xf32> {
  %0 = nn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1] count_include_pad
         : (tensor<1x3x7x7xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Tests that without count_include_pad the divisor counts only the input
// cells of each window: PyTorch's clipped window, computed from the output
// position.
// CHECK-LABEL: func.func @avg_pool_exclude_pad
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x3x4x4xf32>)
// CHECK: %[[OH:.*]] = linalg.index 2 : index
// CHECK: %[[OW:.*]] = linalg.index 3 : index
// CHECK: arith.muli %[[OH]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.muli %[[OW]]
// CHECK: %[[COUNT:.*]] = arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.divf %{{.*}}, %[[COUNT]] : f32
func.func @avg_pool_exclude_pad(%x: tensor<1x3x7x7xf32>) -> tensor<1x3x4x4xf32> {
  %0 = nn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1]
         : (tensor<1x3x7x7xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Tests that an adaptive pool with even windows (global average pooling) is
// an average pool with kernel = stride = input size.
// CHECK-LABEL: func.func @adaptive_even
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<[7, 4]> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x2x7x8xf32>, tensor<7x4xf32>)
// CHECK: arith.constant 2.800000e+01 : f32
func.func @adaptive_even(%x: tensor<1x2x7x8xf32>) -> tensor<1x2x1x2xf32> {
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x2x7x8xf32>) -> tensor<1x2x1x2xf32>
  return %0 : tensor<1x2x1x2xf32>
}

// -----

// Tests that an adaptive pool with uneven windows (5 -> 3 rows: [0, 2),
// [1, 4), [3, 5)) reduces over the largest window (3 x 4), reading clamped
// input cells and masking those outside each output cell's window.
// CHECK-LABEL: func.func @adaptive_uneven
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x7xf32>)
// CHECK: %[[WINDOW:.*]] = tensor.empty() : tensor<3x4xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[WINDOW]] : tensor<3x4xf32>)
// CHECK: arith.cmpi ult
// CHECK: arith.minui
// CHECK: %[[CELL:.*]] = tensor.extract %[[X]]
// CHECK: arith.select %{{.*}}, %[[CELL]], %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x2x3x2xf32>)
// CHECK: arith.divf
func.func @adaptive_uneven(%x: tensor<1x2x5x7xf32>) -> tensor<1x2x3x2xf32> {
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x2x5x7xf32>) -> tensor<1x2x3x2xf32>
  return %0 : tensor<1x2x3x2xf32>
}

// -----

// Tests that an identity adaptive pool and dropout lower to their input.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x6x6xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identities(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> {
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  %1 = nn.dropout %0 p 0.5 : tensor<1x2x6x6xf32>
  return %1 : tensor<1x2x6x6xf32>
}

// -----

// Tests that activations become element-wise generics.
// CHECK-LABEL: func.func @activations
// CHECK-SAME: (%[[X:.*]]: tensor<1x10xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x10xf32>)
// CHECK:   arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[R]] : tensor<1x10xf32>)
// CHECK:   arith.negf
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK:   arith.divf
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<1x10xf32>)
// CHECK:   math.tanh
// CHECK: return %[[T]]
func.func @activations(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  %0 = nn.relu %x : tensor<1x10xf32>
  %1 = nn.sigmoid %0 : tensor<1x10xf32>
  %2 = nn.tanh %1 : tensor<1x10xf32>
  return %2 : tensor<1x10xf32>
}

// -----

// Tests that a clamp becomes maximumf then minimumf (torch.clamp's order),
// that an infinite bound (ONNX Clip without it) emits no compare, and that
// leaky_relu selects between x and slope * x, elu between x and
// alpha * (exp(x) - 1), selu between gamma * x and (exp(x) - 1) times
// gamma * alpha, thresholded_relu between x and 0; softsign is
// x / (1 + |x|), softplus max(x, 0) + log1p(exp(-|x|)), celu selects
// between x and alpha * (exp(x / alpha) - 1).
// CHECK-LABEL: func.func @clamps
// CHECK-SAME: (%[[X:.*]]: tensor<1x10xf32>)
// CHECK: %[[R6:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x10xf32>)
// CHECK:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:   %[[LO:.*]] = arith.maximumf %{{.*}}, %[[ZERO]] : f32
// CHECK:   %[[SIX:.*]] = arith.constant 6.000000e+00 : f32
// CHECK:   %[[HI:.*]] = arith.minimumf %[[LO]], %[[SIX]] : f32
// CHECK:   linalg.yield %[[HI]]
// CHECK: %[[UPPER:.*]] = linalg.generic {{.*}} ins(%[[R6]] : tensor<1x10xf32>)
// CHECK-NOT: arith.maximumf
// CHECK:   arith.minimumf
// CHECK: %[[L:.*]] = linalg.generic {{.*}} ins(%[[UPPER]] : tensor<1x10xf32>)
// CHECK:   %[[POS:.*]] = arith.cmpf ogt, %[[IN:.*]], %{{.*}} : f32
// CHECK:   %[[SCALED:.*]] = arith.mulf %[[IN]], %{{.*}} : f32
// CHECK:   arith.select %[[POS]], %[[IN]], %[[SCALED]] : f32
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[L]] : tensor<1x10xf32>)
// CHECK:   %[[EPOS:.*]] = arith.cmpf ogt, %[[EIN:.*]], %{{.*}} : f32
// CHECK:   %[[EXP:.*]] = math.exp %[[EIN]] : f32
// CHECK:   %[[EXPM1:.*]] = arith.subf %[[EXP]], %{{.*}} : f32
// CHECK:   %[[ESCALED:.*]] = arith.mulf %[[EXPM1]], %{{.*}} : f32
// CHECK:   arith.select %[[EPOS]], %[[EIN]], %[[ESCALED]] : f32
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<1x10xf32>)
// CHECK:   %[[SPOS:.*]] = arith.cmpf ogt, %[[SIN:.*]], %{{.*}} : f32
// CHECK:   %[[SEXP:.*]] = math.exp %[[SIN]] : f32
// CHECK:   %[[SEXPM1:.*]] = arith.subf %[[SEXP]], %{{.*}} : f32
// CHECK:   %[[GAMMA:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:   %[[SX:.*]] = arith.mulf %[[SIN]], %[[GAMMA]] : f32
// CHECK:   %[[NEG:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:   %[[SN:.*]] = arith.mulf %[[SEXPM1]], %[[NEG]] : f32
// CHECK:   arith.select %[[SPOS]], %[[SX]], %[[SN]] : f32
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<1x10xf32>)
// CHECK:   %[[ALPHA:.*]] = arith.constant -1.000000e+00 : f32
// CHECK:   %[[ABOVE:.*]] = arith.cmpf ogt, %[[TIN:.*]], %[[ALPHA]] : f32
// CHECK:   arith.select %[[ABOVE]], %[[TIN]], %{{.*}} : f32
// CHECK: %[[SS:.*]] = linalg.generic {{.*}} ins(%[[T]] : tensor<1x10xf32>)
// CHECK:   %[[ABS:.*]] = math.absf %[[SSIN:.*]] : f32
// CHECK:   %[[DEN:.*]] = arith.addf %{{.*}}, %[[ABS]] : f32
// CHECK:   arith.divf %[[SSIN]], %[[DEN]] : f32
// CHECK: %[[SP:.*]] = linalg.generic {{.*}} ins(%[[SS]] : tensor<1x10xf32>)
// CHECK:   %[[SPABS:.*]] = math.absf %[[SPIN:.*]] : f32
// CHECK:   %[[SPNEG:.*]] = arith.negf %[[SPABS]] : f32
// CHECK:   %[[SPEXP:.*]] = math.exp %[[SPNEG]] : f32
// CHECK:   %[[SPPOS:.*]] = arith.maximumf %[[SPIN]], %{{.*}} : f32
// CHECK:   %[[SPLOG:.*]] = math.log1p %[[SPEXP]] : f32
// CHECK:   arith.addf %[[SPPOS]], %[[SPLOG]] : f32
// CHECK: %[[CE:.*]] = linalg.generic {{.*}} ins(%[[SP]] : tensor<1x10xf32>)
// CHECK:   %[[CALPHA:.*]] = arith.constant 2.500000e+00 : f32
// CHECK:   %[[CPOS:.*]] = arith.cmpf ogt, %[[CIN:.*]], %{{.*}} : f32
// CHECK:   %[[CDIV:.*]] = arith.divf %[[CIN]], %[[CALPHA]] : f32
// CHECK:   %[[CEXP:.*]] = math.exp %[[CDIV]] : f32
// CHECK:   %[[CEXPM1:.*]] = arith.subf %[[CEXP]], %{{.*}} : f32
// CHECK:   %[[CSCALED:.*]] = arith.mulf %[[CALPHA]], %[[CEXPM1]] : f32
// CHECK:   arith.select %[[CPOS]], %[[CIN]], %[[CSCALED]] : f32
// CHECK: return %[[CE]]
func.func @clamps(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  %0 = nn.clamp %x min 0.0 max 6.0 : tensor<1x10xf32>
  %1 = nn.clamp %0 min 0xFF800000 max 2.5 : tensor<1x10xf32>
  %2 = nn.leaky_relu %1 slope 0.01 : tensor<1x10xf32>
  %3 = nn.elu %2 alpha 1.0 : tensor<1x10xf32>
  %4 = nn.selu %3 alpha 2.0 gamma 0.5 : tensor<1x10xf32>
  %5 = nn.thresholded_relu %4 alpha -1.0 : tensor<1x10xf32>
  %6 = nn.softsign %5 : tensor<1x10xf32>
  %7 = nn.softplus %6 : tensor<1x10xf32>
  %8 = nn.celu %7 alpha 2.5 : tensor<1x10xf32>
  return %8 : tensor<1x10xf32>
}

// -----

// Tests the hard gates: hard_sigmoid clamps alpha * x + beta to [0, 1];
// hard_swish is x * clamp(x + 3, 0, 6) / 6, PyTorch's order; a product
// reads its broadcast operand through a map with 0 for the dimensions of
// size 1, and one of the same shape through the identity.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
// CHECK-LABEL: func.func @gates
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x4x3x3xf32>)
// CHECK:   %[[SHIFTED:.*]] = arith.addf %[[IN:.*]], %{{.*}} : f32
// CHECK:   %[[LO:.*]] = arith.maximumf %[[SHIFTED]], %{{.*}} : f32
// CHECK:   %[[GATE:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK:   %[[P:.*]] = arith.mulf %[[IN]], %[[GATE]] : f32
// CHECK:   %[[SIX:.*]] = arith.constant 6.000000e+00 : f32
// CHECK:   arith.divf %[[P]], %[[SIX]] : f32
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<1x4x1x1xf32>)
// CHECK:   %[[A:.*]] = arith.constant 0.166666672 : f32
// CHECK:   %[[AX:.*]] = arith.mulf %{{.*}}, %[[A]] : f32
// CHECK:   %[[B:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:   %[[AXB:.*]] = arith.addf %[[AX]], %[[B]] : f32
// CHECK:   arith.maximumf %[[AXB]]
// CHECK:   arith.minimumf
// CHECK: %[[M:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[SCALE]], #[[ID]]], {{.*}} ins(%[[W]], %[[G]] : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>)
// CHECK:   arith.mulf
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], {{.*}} ins(%[[M]], %[[X]] : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>)
// CHECK: return %[[SQ]]
func.func @gates(%x: tensor<1x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<1x4x3x3xf32> {
  %0 = nn.hard_swish %x : tensor<1x4x3x3xf32>
  %1 = nn.hard_sigmoid %s alpha 0.166666672 beta 0.5 : tensor<1x4x1x1xf32>
  %2 = nn.mul %0, %1 : tensor<1x4x3x3xf32>, tensor<1x4x1x1xf32>
  %3 = nn.mul %2, %x : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
  return %3 : tensor<1x4x3x3xf32>
}

// -----

// Tests that a PReLU is one generic reading its slope through the broadcast
// map and selecting x where x > 0, slope * x elsewhere.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
// CHECK-LABEL: func.func @prelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[SCALE]], #[[ID]]], {{.*}} ins(%[[X]], %[[S]] : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>)
// CHECK:   ^bb0(%[[IN:.*]]: f32, %[[SLOPE:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %{{.*}} : f32
// CHECK:   %[[SCALED:.*]] = arith.mulf %[[SLOPE]], %[[IN]] : f32
// CHECK:   %[[R:.*]] = arith.select %[[POS]], %[[IN]], %[[SCALED]] : f32
// CHECK:   linalg.yield %[[R]]
// CHECK: return %[[P]]
func.func @prelu(%x: tensor<2x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<2x4x3x3xf32> {
  %0 = nn.prelu %x, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  return %0 : tensor<2x4x3x3xf32>
}

// -----

// Tests that a difference and a quotient are generics reading their right
// operand as a product does (subtracting and dividing in that order, the
// division IEEE's, not a product by a reciprocal); |x|, log, exp and sqrt
// are math ops, and a reciprocal divides 1.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
// CHECK-LABEL: func.func @arithmetic
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
// CHECK: %[[D:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[SCALE]], #[[ID]]], {{.*}} ins(%[[X]], %[[S]] : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>)
// CHECK:   ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[R:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK:   linalg.yield %[[R]]
// CHECK: %[[Q:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], {{.*}} ins(%[[D]], %[[X]] : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>)
// CHECK:   ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[R:.*]] = arith.divf %[[A]], %[[B]] : f32
// CHECK:   linalg.yield %[[R]]
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<2x4x3x3xf32>)
// CHECK:   math.absf
// CHECK: %[[L:.*]] = linalg.generic {{.*}} ins(%[[M]] : tensor<2x4x3x3xf32>)
// CHECK:   math.log
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[L]] : tensor<2x4x3x3xf32>)
// CHECK:   math.exp
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[E]] : tensor<2x4x3x3xf32>)
// CHECK:   math.sqrt
// CHECK: %[[I:.*]] = linalg.generic {{.*}} ins(%[[R]] : tensor<2x4x3x3xf32>)
// CHECK:   ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:   arith.divf %[[ONE]], %[[V]] : f32
// CHECK: %[[ERF:.*]] = linalg.generic {{.*}} ins(%[[I]] : tensor<2x4x3x3xf32>)
// CHECK:   math.erf
// CHECK: return %[[ERF]]
func.func @arithmetic(%x: tensor<2x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<2x4x3x3xf32> {
  %0 = nn.sub %x, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.div %0, %x : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
  %2 = nn.abs %1 : tensor<2x4x3x3xf32>
  %3 = nn.log %2 : tensor<2x4x3x3xf32>
  %4 = nn.exp %3 : tensor<2x4x3x3xf32>
  %5 = nn.sqrt %4 : tensor<2x4x3x3xf32>
  %6 = nn.reciprocal %5 : tensor<2x4x3x3xf32>
  %7 = nn.erf %6 : tensor<2x4x3x3xf32>
  return %7 : tensor<2x4x3x3xf32>
}

// -----

// Tests that batchnorm with constant parameters folds them into a constant
// scale and shift (computed in double: weight / sqrt(var + eps) and bias -
// mean * scale), applied element-wise with channel-indexed maps.
// CHECK-DAG: #[[CHANNEL:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batch_norm_constant
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<[5.000000e-01, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant dense<[-1.000000e+00, -2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: math.sqrt
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CHANNEL]], #[[CHANNEL]], #{{.*}}], {{.*}} ins(%{{.*}}, %[[SCALE]], %[[SHIFT]] : {{.*}})
// CHECK:   arith.mulf
// CHECK:   arith.addf
func.func @batch_norm_constant(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %g = arith.constant dense<[1.0, 3.0]> : tensor<2xf32>
  %b = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %m = arith.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.75, 0.75]> : tensor<2xf32>
  %0 = nn.batch_norm %x, %g, %b, %m, %v eps 0.25
         : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>,
            tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// Tests that batchnorm with computed parameters computes scale and shift
// once per channel at run time, then applies them element-wise with
// channel-indexed maps.
// CHECK-DAG: #[[CHANNEL:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x4x4xf32>, %[[G:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[M:.*]]: tensor<3xf32>, %[[V:.*]]: tensor<3xf32>)
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[AFFINE:.*]]:2 = linalg.generic {{.*}} ins(%[[G]], %[[B]], %[[M]], %[[V]] : {{.*}}) outs({{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK:   arith.addf %{{.*}}, %[[EPS]]
// CHECK:   math.sqrt
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CHANNEL]], #[[CHANNEL]], #{{.*}}], {{.*}} ins(%[[X]], %[[AFFINE]]#0, %[[AFFINE]]#1 : {{.*}})
// CHECK:   arith.mulf
// CHECK:   arith.addf
func.func @batch_norm(%x: tensor<1x3x4x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>,
                      %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  %0 = nn.batch_norm %x, %g, %b, %m, %v eps 1.0e-3
         : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
            tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Tests that LRN pads the channels by size/2 before and (size-1)/2 after,
// sums squares over a channel window and divides by the power term.
// CHECK-DAG: #[[SHIFTED:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d4, d2, d3)>
// CHECK-LABEL: func.func @lrn
// CHECK-SAME: (%[[X:.*]]: tensor<1x6x4x4xf32>)
// CHECK: %[[PAD:.*]] = tensor.pad %[[X]] low[0, 2, 0, 0] high[0, 1, 0, 0]
// CHECK: } : tensor<1x6x4x4xf32> to tensor<1x9x4x4xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[SHIFTED]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[PAD]], %{{.*}} : tensor<1x9x4x4xf32>, tensor<4xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[SUM]] : {{.*}})
// CHECK:   math.powf
// CHECK:   arith.divf
func.func @lrn(%x: tensor<1x6x4x4xf32>) -> tensor<1x6x4x4xf32> {
  %0 = nn.lrn %x size 4 alpha 1.0e-4 beta 0.75 k 1.0 : tensor<1x6x4x4xf32>
  return %0 : tensor<1x6x4x4xf32>
}

// -----

// Tests that softmax over dimension 1 takes the maximum, sums exp(x - max)
// and divides, reducing dimension 1 wherever it sits.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x3xf32>)
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<2x5x3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]], %[[MAX]] : {{.*}})
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]], %[[SUM]] : {{.*}})
// CHECK:   math.exp
// CHECK:   arith.divf
// CHECK: return %[[Y]]
func.func @softmax(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %0 = nn.softmax %x : tensor<2x5x3xf32>
  return %0 : tensor<2x5x3xf32>
}

// -----

// Tests that flatten is a collapse of every dimension after the first.
// CHECK-LABEL: func.func @flatten
// CHECK-SAME: (%[[X:.*]]: tensor<1x16x5x5xf32>)
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0], [1, 2, 3]] : tensor<1x16x5x5xf32> into tensor<1x400xf32>
// CHECK: return %[[Y]]
func.func @flatten(%x: tensor<1x16x5x5xf32>) -> tensor<1x400xf32> {
  %0 = nn.flatten %x : (tensor<1x16x5x5xf32>) -> tensor<1x400xf32>
  return %0 : tensor<1x400xf32>
}

// -----

// Tests that no nn op survives a whole network, and that parameter constants
// in resource blobs are used as they are.
// CHECK-LABEL: func.func @network
// CHECK: arith.constant dense_resource<fc.weight> : tensor<2x4xf32>
// CHECK-NOT: nn.
// CHECK: return
func.func @network(%x: tensor<1x1x4x4xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense_resource<fc.weight> : tensor<2x4xf32>
  %0 = nn.relu %x : tensor<1x1x4x4xf32>
  %1 = nn.max_pool2d %0 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  %2 = nn.flatten %1 : (tensor<1x1x2x2xf32>) -> tensor<1x4xf32>
  %3 = nn.linear %2, %w : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  %4 = nn.softmax %3 : tensor<1x2xf32>
  return %4 : tensor<1x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      fc.weight: "0x040000000000803F000000400000404000008040000080400000404000000040000080BF"
    }
  }
#-}

// -----

// Tests that a fused conv + bias + ReLU + max pool lowers to the unfused
// ops, all marked with one kiln.fusion_group; the convolution carries the
// epilogue (relu, the pool kind, kernel and stride).
// CHECK-LABEL: func.func @fused_conv_relu_maxpool
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x10x10xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%{{.*}} : tensor<1x4x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = [[G:[0-9]+]] : i64}
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = [[G]] : i64, strides = dense<1> : tensor<2xi64>} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<1x4x8x8xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<1x4x8x8xf32>) {{.*}} attrs = {kiln.fusion_group = [[G]] : i64}
// CHECK: arith.maximumf
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[F:.*]] = linalg.fill {kiln.fusion_group = [[G]] : i64} ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x4x4x4xf32>)
// CHECK: %[[P:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = [[G]] : i64, strides = dense<2> : tensor<2xi64>} ins(%[[R]], %{{.*}} : tensor<1x4x8x8xf32>, tensor<2x2xf32>) outs(%[[F]] : tensor<1x4x4x4xf32>)
// CHECK: return %[[P]]
func.func @fused_conv_relu_maxpool(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>,
                                   %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         relu pool "max" kernel [2, 2] stride [2, 2]
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a fused conv + clamp (ReLU6) lowers to the clamp generic in the
// group, the convolution's epilogue carrying the bounds.
// CHECK-LABEL: func.func @fused_conv_relu6
// CHECK: %[[INIT:.*]] = linalg.broadcast {{.*}} {kiln.fusion_group = [[G:[0-9]+]] : i64}
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {clamp = array<f32: 0.000000e+00, 6.000000e+00>}, kiln.fusion_group = [[G]] : i64, strides = dense<1> : tensor<2xi64>}
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<1x4x8x8xf32>) {{.*}} attrs = {kiln.fusion_group = [[G]] : i64}
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: return %[[R]]
func.func @fused_conv_relu6(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>,
                            %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         clamp [0.0, 6.0]
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Tests that a fused conv + hard swish lowers to the hard swish generic in
// the group, the convolution's epilogue saying `hardswish`.
// CHECK-LABEL: func.func @fused_conv_hardswish
// CHECK: %[[INIT:.*]] = linalg.broadcast {{.*}} {kiln.fusion_group = [[G:[0-9]+]] : i64}
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {hardswish}, kiln.fusion_group = [[G]] : i64, strides = dense<1> : tensor<2xi64>}
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<1x4x8x8xf32>) {{.*}} attrs = {kiln.fusion_group = [[G]] : i64}
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: return %[[R]]
func.func @fused_conv_hardswish(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>,
                                %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         hardswish
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Tests that a fused conv + SiLU lowers to one generic in the group,
// x * (1 / (1 + exp(-x))) (nn.sigmoid's then nn.mul's operations), the
// convolution's epilogue saying `silu`.
// CHECK-LABEL: func.func @fused_conv_silu
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {silu}, kiln.fusion_group = [[G:[0-9]+]] : i64, strides = dense<1> : tensor<2xi64>}
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<1x4x8x8xf32>) {{.*}} attrs = {kiln.fusion_group = [[G]] : i64}
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[X]]
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]]
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]]
// CHECK-NEXT: %[[S:.*]] = arith.divf %[[ONE]], %[[DEN]]
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %[[S]]
// CHECK-NEXT: linalg.yield %[[Y]]
// CHECK: return %[[R]]
func.func @fused_conv_silu(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>,
                           %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         silu
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Tests that a fused conv without bias or ReLU, with a padded input and an
// average pool, marks the zero fill of the convolution's output, the
// pooling's fill, the sum pooling and the division by the window size as
// one group; the tensor.pad is not a linalg op and stays unmarked.
// CHECK-LABEL: func.func @fused_conv_avgpool
// CHECK: %[[PAD:.*]] = tensor.pad
// CHECK: %[[INIT:.*]] = linalg.fill {kiln.fusion_group = [[G:[0-9]+]] : i64} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4x8x9xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "avg", pool_kernel = array<i64: 2, 3>, pool_stride = array<i64: 3, 2>}, kiln.fusion_group = [[G]] : i64, strides = dense<1> : tensor<2xi64>} ins(%[[PAD]], %{{.*}} : {{.*}}) outs(%[[INIT]] : tensor<1x4x8x9xf32>)
// CHECK-NOT: arith.maximumf
// CHECK: %[[F:.*]] = linalg.fill {kiln.fusion_group = [[G]] : i64} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4x3x4xf32>)
// CHECK: %[[S:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = [[G]] : i64, strides = dense<[3, 2]> : tensor<2xi64>} ins(%[[C]], %{{.*}} : tensor<1x4x8x9xf32>, tensor<2x3xf32>) outs(%[[F]] : tensor<1x4x3x4xf32>)
// CHECK: %[[SIX:.*]] = arith.constant 6.000000e+00 : f32
// CHECK: %[[D:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<1x4x3x4xf32>) {{.*}} attrs = {kiln.fusion_group = [[G]] : i64}
// CHECK: arith.divf %{{.*}}, %[[SIX]]
// CHECK: return %[[D]]
func.func @fused_conv_avgpool(%x: tensor<1x3x8x9xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x3x4xf32> {
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1
         pool "avg" kernel [2, 3] stride [3, 2]
         : (tensor<1x3x8x9xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x4xf32>
  return %0 : tensor<1x4x3x4xf32>
}

// -----

// Tests that two fused ops get different groups, and that the second
// group does not reach back into the first through its input.
// CHECK-LABEL: func.func @two_fused_convs
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}kiln.fusion_group = [[G1:[0-9]+]] : i64
// CHECK: %[[R1:.*]] = linalg.generic {{.*}} attrs = {kiln.fusion_group = [[G1]] : i64}
// CHECK: linalg.fill {kiln.fusion_group = [[G2:[0-9]+]] : i64}
// CHECK-NOT: kiln.fusion_group = [[G1]]
// CHECK: linalg.conv_2d_nchw_fchw {{.*}}kiln.fusion_group = [[G2]] : i64{{.*}} ins(%[[R1]],
// CHECK: %[[R2:.*]] = linalg.generic {{.*}} attrs = {kiln.fusion_group = [[G2]] : i64}
// CHECK: return %[[R2]]
func.func @two_fused_convs(%x: tensor<1x3x8x8xf32>, %w1: tensor<4x3x3x3xf32>,
                           %w2: tensor<5x4x3x3xf32>) -> tensor<1x5x4x4xf32> {
  %0 = nn.fused_conv2d %x, %w1 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = nn.fused_conv2d %0, %w2 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu
         : (tensor<1x4x6x6xf32>, tensor<5x4x3x3xf32>) -> tensor<1x5x4x4xf32>
  return %1 : tensor<1x5x4x4xf32>
}

// -----

// Tests that a fused linear + ReLU lowers to the bias broadcast, the
// transposed-weight matmul carrying the epilogue, and the ReLU generic, all
// in one group; a second fused linear without bias gets its own group.
// CHECK-LABEL: func.func @fused_linear_relu
// CHECK-SAME: (%[[X:.*]]: tensor<2x16xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<8xf32>, %[[W2:.*]]: tensor<8x8xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<8xf32>) outs(%{{.*}} : tensor<2x8xf32>) dimensions = [0] {kiln.fusion_group = [[G1:[0-9]+]] : i64}
// CHECK: %[[M:.*]] = linalg.matmul indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}] {kiln.epilogue = {relu}, kiln.fusion_group = [[G1]] : i64} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<2x8xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[M]] : tensor<2x8xf32>) {{.*}} attrs = {kiln.fusion_group = [[G1]] : i64}
// CHECK: arith.maximumf
// CHECK: %[[F:.*]] = linalg.fill {kiln.fusion_group = [[G2:[0-9]+]] : i64}
// CHECK: %[[M2:.*]] = linalg.matmul {{.*}} {kiln.epilogue = {relu}, kiln.fusion_group = [[G2]] : i64} ins(%[[R]], %[[W2]] : {{.*}}) outs(%[[F]] : tensor<2x8xf32>)
// CHECK: %[[R2:.*]] = linalg.generic {{.*}} ins(%[[M2]] : tensor<2x8xf32>) {{.*}} attrs = {kiln.fusion_group = [[G2]] : i64}
// CHECK: return %[[R2]]
func.func @fused_linear_relu(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>,
                             %b: tensor<8xf32>, %w2: tensor<8x8xf32>) -> tensor<2x8xf32> {
  %0 = nn.fused_linear %x, %w, %b relu
         : (tensor<2x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %1 = nn.fused_linear %0, %w2 relu : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}

// -----

// Tests that a grouped fused convolution lowers to the grouped linalg
// convolution on reshaped operands, then the ReLU and the pooling, all
// marked as one group through the reshapes (the reshapes themselves are not
// linalg ops); the convolution carries the epilogue.
// CHECK-LABEL: func.func @fused_conv_grouped
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x10x10xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<6xf32>) outs(%{{.*}} : tensor<1x6x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = [[G:[0-9]+]] : i64}
// CHECK: %[[XE:.*]] = tensor.expand_shape %[[X]] {{.*}} into tensor<1x2x2x10x10xf32>
// CHECK: %[[WE:.*]] = tensor.expand_shape %[[W]] {{.*}} into tensor<2x3x2x3x3xf32>
// CHECK: %[[IE:.*]] = tensor.expand_shape %[[INIT]] {{.*}} into tensor<1x2x3x8x8xf32>
// CHECK: %[[C:.*]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = [[G]] : i64, strides = dense<1> : tensor<2xi64>} ins(%[[XE]], %[[WE]] : {{.*}}) outs(%[[IE]] : tensor<1x2x3x8x8xf32>)
// CHECK: %[[CC:.*]] = tensor.collapse_shape %[[C]] {{.*}} into tensor<1x6x8x8xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[CC]] : tensor<1x6x8x8xf32>) outs(%{{.*}} : tensor<1x6x8x8xf32>) attrs = {kiln.fusion_group = [[G]] : i64}
// CHECK: arith.maximumf
// CHECK: linalg.fill {kiln.fusion_group = [[G]] : i64}
// CHECK: %[[P:.*]] = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = [[G]] : i64, strides = dense<2> : tensor<2xi64>} ins(%[[R]], %{{.*}} : tensor<1x6x8x8xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<1x6x4x4xf32>)
// CHECK: return %[[P]]
func.func @fused_conv_grouped(%x: tensor<1x4x10x10xf32>, %w: tensor<6x2x3x3xf32>,
                              %b: tensor<6xf32>) -> tensor<1x6x4x4xf32> {
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2
         relu pool "max" kernel [2, 2] stride [2, 2]
         : (tensor<1x4x10x10xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  return %0 : tensor<1x6x4x4xf32>
}

// -----

// Tests that a very wide average pool (2^31 output columns, as a fuzzed ONNX
// model padded one) lowers at once: its divisor is computed per position
// rather than checked for uniformity at every one of them, which took
// minutes.
// CHECK-LABEL: func.func @avgpool_huge_width
// CHECK: linalg.pooling_nchw_sum
// CHECK: arith.minsi
// CHECK: arith.divf
func.func @avgpool_huge_width(%x: tensor<1x1x8x4294967304xf32>) -> tensor<1x1x4x2147483652xf32> {
  %0 = nn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1, 1] count_include_pad : (tensor<1x1x8x4294967304xf32>) -> tensor<1x1x4x2147483652xf32>
  return %0 : tensor<1x1x4x2147483652xf32>
}

// -----

// Tests that a very wide adaptive pool bounds its window (ceil(100000 /
// 70000) + 1 = 3 cells) instead of scanning every output position.
// CHECK-LABEL: func.func @adaptive_huge_width
// CHECK: tensor.empty() : tensor<2x3xf32>
func.func @adaptive_huge_width(%x: tensor<1x1x4x100000xf32>) -> tensor<1x1x2x70000xf32> {
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x1x4x100000xf32>) -> tensor<1x1x2x70000xf32>
  return %0 : tensor<1x1x2x70000xf32>
}

// -----

// Tests the reductions: one generic reducing into a tensor without the
// reduced dimensions (from 0, -inf for the maximum, 1 for the product),
// expanded back with size 1; a mean then divides by the count.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEPT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[MIDDLE:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @reductions
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[KEPT]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<2x4xf32>)
// CHECK:   ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:   arith.addf %[[ACC]], %[[IN]] : f32
// CHECK: tensor.expand_shape %[[SUM]] {{\[\[}}0, 1], [2]] output_shape [2, 1, 4] : tensor<2x4xf32> into tensor<2x1x4xf32>
// CHECK: %[[MSUM:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[MIDDLE]]], iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[MSUM]] : tensor<3xf32>)
// CHECK:   arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: tensor.expand_shape %[[MEAN]] {{\[\[}}0, 1, 2]] output_shape [1, 3, 1] : tensor<3xf32> into tensor<1x3x1xf32>
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction"]
// CHECK:   arith.maximumf
// CHECK: tensor.expand_shape %[[MAX]] [] output_shape [1, 1, 1] : tensor<f32> into tensor<1x1x1xf32>
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ONE]] : f32) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[PROD:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   ^bb0(%[[PIN:.*]]: f32, %[[PACC:.*]]: f32):
// CHECK:   arith.mulf %[[PACC]], %[[PIN]] : f32
// CHECK: tensor.expand_shape %[[PROD]] {{\[\[}}0], [1, 2]] output_shape [2, 3, 1] : tensor<2x3xf32> into tensor<2x3x1xf32>
func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<1x3x1xf32>, tensor<1x1x1xf32>, tensor<2x3x1xf32>) {
  %0 = nn.reduce_sum %x dims [1] : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
  %1 = nn.reduce_mean %x dims [0, 2] : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %2 = nn.reduce_max %x dims [0, 1, 2] : (tensor<2x3x4xf32>) -> tensor<1x1x1xf32>
  %3 = nn.reduce_prod %x dims [2] : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  return %0, %1, %2, %3 : tensor<2x1x4xf32>, tensor<1x3x1xf32>, tensor<1x1x1xf32>, tensor<2x3x1xf32>
}

// -----

// Tests that nn.maximum and nn.minimum are generics of arith.maximumf and
// arith.minimumf (NaN propagating), the right operand broadcast.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
// CHECK-LABEL: func.func @extremes
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x3x3xf32>, %[[S:.*]]: tensor<1x4x1x1xf32>)
// CHECK: %[[M:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[ID]]], {{.*}} ins(%[[X]], %[[S]] : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>)
// CHECK:   arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], {{.*}} ins(%[[M]], %[[X]] : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>)
// CHECK:   arith.minimumf %{{.*}}, %{{.*}} : f32
func.func @extremes(%x: tensor<2x4x3x3xf32>, %s: tensor<1x4x1x1xf32>) -> tensor<2x4x3x3xf32> {
  %0 = nn.maximum %x, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.minimum %0, %x : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
  return %1 : tensor<2x4x3x3xf32>
}

// -----

// Tests that nn.pow is a generic of math.powf, the exponent broadcast.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2) -> (0, 0, d2)>
// CHECK-LABEL: func.func @powers
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[E:.*]]: tensor<1x1x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], {{.*}} ins(%[[X]], %[[E]] : tensor<2x3x4xf32>, tensor<1x1x4xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[P:.*]] = math.powf %[[A]], %[[B]] : f32
// CHECK:   linalg.yield %[[P]] : f32
func.func @powers(%x: tensor<2x3x4xf32>, %e: tensor<1x1x4xf32>) -> tensor<2x3x4xf32> {
  %0 = nn.pow %x, %e : tensor<2x3x4xf32>, tensor<1x1x4xf32>
  return %0 : tensor<2x3x4xf32>
}
