// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// Tests that a dilated max pool's output size counts the dilated window.
func.func @dilated_pool_result(%x: tensor<1x1x4x5xf32>) {
  // expected-error @+1 {{result dimension 3 is 4, expected 2}}
  %0 = nn.max_pool2d %x kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0]
         dilation [2, 3] : (tensor<1x1x4x5xf32>) -> tensor<1x1x2x4xf32>
  return
}

// -----

// Tests that a pool's dilation is positive.
func.func @dilation_positive(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{dilation must be positive, found 0}}
  %0 = nn.max_pool2d %x kernel [2, 2] stride [1, 1] padding [0, 0, 0, 0]
         dilation [0, 1] : (tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32>
  return
}

// -----

// Tests that softmax's dims lie inside the tensor.
func.func @softmax_dims_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{dim 2 is out of range for rank 2}}
  %0 = nn.softmax %x dims [2] : tensor<2x3xf32>
  return
}

// -----

// Tests that softmax's dims are one run of dimensions.
func.func @softmax_dims_consecutive(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{dims must be consecutive and ascending}}
  %0 = nn.softmax %x dims [0, 2] : tensor<2x3x4xf32>
  return
}

// -----

// Tests that flatten's axis splits the shape where it says.
func.func @flatten_axis_result(%x: tensor<2x3x4x5xf32>) {
  // expected-error @+1 {{result dimension 0 is 2, expected 6}}
  %0 = nn.flatten %x axis 2 : (tensor<2x3x4x5xf32>) -> tensor<2x60xf32>
  return
}

// -----

// Tests that flatten's axis is at most the rank.
func.func @flatten_axis_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 3 is out of range [0, 2]}}
  %0 = nn.flatten %x axis 3 : (tensor<2x3xf32>) -> tensor<6x1xf32>
  return
}

// -----

// Tests that LRN's window starts inside it.
func.func @lrn_before_range(%x: tensor<1x6x2x2xf32>) {
  // expected-error @+1 {{before must be in [0, size - 1], found 4}}
  %0 = nn.lrn %x size 4 alpha 1.0e-4 beta 0.75 k 1.0 before 4 : tensor<1x6x2x2xf32>
  return
}

// -----

// Tests that a negative start is rejected rather than read as unsigned.
func.func @lrn_before_negative(%x: tensor<1x6x2x2xf32>) {
  // expected-error @+1 {{before must be in [0, size - 1], found -1}}
  %0 = nn.lrn %x size 4 alpha 1.0e-4 beta 0.75 k 1.0 before -1 : tensor<1x6x2x2xf32>
  return
}

// -----

// Tests that a dilated window starting in the padding must still land a cell
// in the input: with dilation 3 the first window reads rows -2 and 1 (fine),
// but padding 4 makes it read -4 and -1 only.
func.func @dilated_window_all_padding(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{padding 4+0 on input dimension 2 gives windows of nothing but padding}}
  %0 = nn.max_pool2d %x kernel [2, 1] stride [1, 1] padding [4, 0, 0, 0]
         dilation [3, 1] : (tensor<1x1x4x4xf32>) -> tensor<1x1x5x4xf32>
  return
}

// -----

// Tests that transpose's perm is a permutation of the input's dimensions.
func.func @transpose_perm(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{perm must be a permutation of [0, 3), found 1}}
  %0 = nn.transpose %x perm [1, 1, 0] : (tensor<2x3x4xf32>) -> tensor<3x3x2xf32>
  return
}

// -----

// Tests that transpose's result has the permuted shape.
func.func @transpose_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result dimension 0 is 2, expected 3}}
  %0 = nn.transpose %x perm [1, 0] : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a reshape keeps the element count.
func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape 6 elements into 8}}
  %0 = nn.reshape %x : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that a slice's window lies in its input.
func.func @slice_past_end(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{dimension 2 reads 4 elements from 2 by 2, past the input's 8}}
  %0 = nn.slice %x offsets [0, 0, 2, 0] strides [1, 1, 2, 1] : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x8xf32>
  return
}

// -----

// Tests that a huge stride does not overflow the bounds check.
func.func @slice_huge_stride(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{dimension 1 reads 2 elements from 0 by 4611686018427387904, past the input's 4}}
  %0 = nn.slice %x offsets [0, 0] strides [1, 4611686018427387904] : (tensor<1x4xf32>) -> tensor<1x2xf32>
  return
}

// -----

// Tests that a stride is not 0.
func.func @slice_zero_stride(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{stride of dimension 1 is 0}}
  %0 = nn.slice %x offsets [0, 3] strides [1, 0] : (tensor<1x4xf32>) -> tensor<1x1xf32>
  return
}

// -----

// Tests that a negative stride reads backwards from the offset, inside the
// input: 3 elements from 1 by -1 would read index -1.
func.func @slice_reversed_past(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{dimension 1 reads 3 elements from 1 by -1, past the input's 4}}
  %0 = nn.slice %x offsets [0, 1] strides [1, -1] : (tensor<1x4xf32>) -> tensor<1x3xf32>
  return
}

// -----

// Tests that a backwards slice starts inside the input.
func.func @slice_reversed_start(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{dimension 1 reads 2 elements from 4 by -1, past the input's 4}}
  %0 = nn.slice %x offsets [0, 4] strides [1, -1] : (tensor<1x4xf32>) -> tensor<1x2xf32>
  return
}

// -----

// Tests that a slice names an offset per dimension.
func.func @slice_offsets(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{needs one offset and one stride per dimension (2), found 1 and 1}}
  %0 = nn.slice %x offsets [1] : (tensor<1x4xf32>) -> tensor<1x3xf32>
  return
}

// -----

// Tests that a slice keeps the input's rank.
func.func @slice_rank(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{result has rank 1, expected the input's 2}}
  %0 = nn.slice %x offsets [0, 1] : (tensor<1x4xf32>) -> tensor<3xf32>
  return
}
