// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// Tests that a conv2d input of the wrong rank is rejected with its shape.
func.func @conv_input_rank(%x: tensor<4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op expects input of rank 4, found rank 3 (4x9x9)}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a conv2d weight of the wrong rank is rejected.
func.func @conv_weight_rank(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3xf32>) {
  // expected-error @+1 {{expects weight of rank 4, found rank 3 (6x4x3)}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a stride needs exactly two values.
func.func @conv_stride_count(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{stride needs 2 values [h, w], found 1}}
  %0 = nn.conv2d %x, %w stride [1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a zero dilation is rejected.
func.func @conv_dilation_zero(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{dilation must be positive, found 0}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [0, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that padding needs four values.
func.func @conv_padding_count(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{padding needs 4 values [top, left, bottom, right], found 2}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x9x9xf32>
  return
}

// -----

// Tests that negative padding is rejected.
func.func @conv_padding_negative(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{padding must be non-negative, found -1}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, -1, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x7xf32>
  return
}

// -----

// Tests that groups must be positive.
func.func @conv_groups_zero(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{groups must be positive, found 0}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 0
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that groups must divide the input channels.
func.func @conv_groups_input(%x: tensor<1x4x9x9xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{groups (3) must divide the input channels (4)}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 3
         : (tensor<1x4x9x9xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that groups must divide the output channels.
func.func @conv_groups_output(%x: tensor<1x4x9x9xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{groups (4) must divide the output channels (6)}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 4
         : (tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that the weight's input channels must be in/groups.
func.func @conv_weight_channels(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{weight dimension 1 is 4, expected 2}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 2
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a conv2d bias must be a vector.
func.func @conv_bias_rank(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>,
                          %b: tensor<1x6xf32>) {
  // expected-error @+1 {{expects bias of rank 1, found rank 2 (1x6)}}
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>, tensor<1x6xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a conv2d bias needs one value per output channel.
func.func @conv_bias_size(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>,
                          %b: tensor<5xf32>) {
  // expected-error @+1 {{bias dimension 0 is 5, expected 6}}
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>, tensor<5xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a kernel larger than the padded input is rejected.
func.func @conv_empty_output(%x: tensor<1x4x2x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{window of 3 (dilation 1) on input dimension 2 of size 2 with padding 0+0 gives an empty output}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x2x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x7xf32>
  return
}

// -----

// Tests that window arithmetic that overflows 64 bits is rejected, not wrapped.
func.func @conv_overflow(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{window arithmetic overflows on dimension 2}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0]
         dilation [4611686018427387904, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a wrong result dimension names the dimension and both shapes.
func.func @conv_result_shape(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{result dimension 3 is 9, expected 7 (result 1x6x7x9, expected 1x6x7x7)}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x9xf32>
  return
}

// -----

// Tests that a result of the wrong rank is rejected.
func.func @conv_result_rank(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{result has rank 3, expected rank 4}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<6x7x7xf32>
  return
}

// -----

// Tests that linear needs a matrix input (a 4-D activation needs a flatten).
func.func @linear_input_rank(%x: tensor<1x16x5x5xf32>, %w: tensor<120x400xf32>) {
  // expected-error @+1 {{'nn.linear' op expects input of rank 2, found rank 4 (1x16x5x5)}}
  %0 = nn.linear %x, %w : (tensor<1x16x5x5xf32>, tensor<120x400xf32>) -> tensor<1x120xf32>
  return
}

// -----

// Tests that a linear weight must be a matrix.
func.func @linear_weight_rank(%x: tensor<1x400xf32>, %w: tensor<400xf32>) {
  // expected-error @+1 {{expects weight of rank 2, found rank 1 (400)}}
  %0 = nn.linear %x, %w : (tensor<1x400xf32>, tensor<400xf32>) -> tensor<1x120xf32>
  return
}

// -----

// Tests that the weight's input features must match the input.
func.func @linear_features(%x: tensor<1x400xf32>, %w: tensor<120x300xf32>) {
  // expected-error @+1 {{weight dimension 1 is 300, expected 400}}
  %0 = nn.linear %x, %w : (tensor<1x400xf32>, tensor<120x300xf32>) -> tensor<1x120xf32>
  return
}

// -----

// Tests that a linear bias needs one value per output feature.
func.func @linear_bias(%x: tensor<1x400xf32>, %w: tensor<120x400xf32>, %b: tensor<84xf32>) {
  // expected-error @+1 {{bias dimension 0 is 84, expected 120}}
  %0 = nn.linear %x, %w, %b : (tensor<1x400xf32>, tensor<120x400xf32>, tensor<84xf32>) -> tensor<1x120xf32>
  return
}

// -----

// Tests that a linear result must be [N, out].
func.func @linear_result(%x: tensor<1x400xf32>, %w: tensor<120x400xf32>) {
  // expected-error @+1 {{result dimension 1 is 84, expected 120}}
  %0 = nn.linear %x, %w : (tensor<1x400xf32>, tensor<120x400xf32>) -> tensor<1x84xf32>
  return
}

// -----

// Tests that a dropout probability outside [0, 1] is rejected.
func.func @dropout_p(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{probability must be in [0, 1], found 1.5}}
  %0 = nn.dropout %x p 1.5 : tensor<1x10xf32>
  return
}

// -----

// Tests that a clamp bound must be a number.
func.func @clamp_nan(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.clamp' op bounds must be numbers, found min nan and max 6}}
  %0 = nn.clamp %x min 0x7FC00000 max 6.0 : tensor<1x10xf32>
  return
}

// -----

// Tests that a fused convolution takes at most one activation, a clamp of
// two finite bounds, and no pool after a hard swish or a SiLU.
func.func @fused_relu_and_clamp(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op has more than one of relu, clamp, hardswish and silu}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu clamp [0.0, 6.0]
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @fused_clamp_and_hardswish(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op has more than one of relu, clamp, hardswish and silu}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 clamp [0.0, 6.0] hardswish
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @fused_relu_and_silu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op has more than one of relu, clamp, hardswish and silu}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu silu
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @fused_silu_pool(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op has a pool after silu, which does not commute with it}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 silu pool "max" kernel [2, 2] stride [2, 2]
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32>
  return
}

// -----

func.func @fused_hardswish_pool(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op has a pool after hardswish, which does not commute with it}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 hardswish pool "max" kernel [2, 2] stride [2, 2]
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x3xf32>
  return
}

// -----

func.func @fused_clamp_three(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op clamp must be two finite numbers [lo, hi]}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 clamp [0.0, 6.0, 7.0]
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Tests that a leaky ReLU's slope must be finite.
func.func @leaky_relu_slope(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.leaky_relu' op slope must be finite, found inf}}
  %0 = nn.leaky_relu %x slope 0x7F800000 : tensor<1x10xf32>
  return
}

// -----

// Tests that a CELU's alpha must be finite and not 0.
func.func @celu_alpha_zero(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.celu' op alpha must not be 0 (it divides x)}}
  %0 = nn.celu %x alpha 0.0 : tensor<1x10xf32>
  return
}

// -----

func.func @celu_alpha_inf(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.celu' op alpha must be finite, found inf}}
  %0 = nn.celu %x alpha 0x7F800000 : tensor<1x10xf32>
  return
}

// -----

// Tests that an ELU's alpha must be finite.
func.func @elu_alpha(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.elu' op alpha must be finite, found nan}}
  %0 = nn.elu %x alpha 0x7FC00000 : tensor<1x10xf32>
  return
}

// -----

// Tests that a SELU's constants must be finite.
func.func @selu_gamma(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.selu' op alpha and gamma must be finite, found alpha 1 and gamma inf}}
  %0 = nn.selu %x alpha 1.0 gamma 0x7F800000 : tensor<1x10xf32>
  return
}

// -----

// Tests that a thresholded ReLU's threshold must be finite.
func.func @thresholded_relu_nan(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.thresholded_relu' op alpha must be finite, found nan}}
  %0 = nn.thresholded_relu %x alpha 0x7FC00000 : tensor<1x10xf32>
  return
}

// -----

// Tests that a hard sigmoid's constants must be finite.
func.func @hard_sigmoid_alpha(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.hard_sigmoid' op alpha and beta must be finite, found alpha 0.2 and beta nan}}
  %0 = nn.hard_sigmoid %x alpha 0.2 beta 0x7FC00000 : tensor<1x10xf32>
  return
}

// -----

// Tests that only the right operand of a product broadcasts.
func.func @mul_lhs_broadcast(%x: tensor<1x4x1x1xf32>, %y: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{'nn.mul' op rhs dimension 2 is 3, expected 1, the lhs's size (only the rhs broadcasts)}}
  %0 = nn.mul %x, %y : tensor<1x4x1x1xf32>, tensor<1x4x3x3xf32>
  return
}

// -----

// Tests that a product's operands have one rank.
func.func @mul_rank(%x: tensor<1x4x3x3xf32>, %y: tensor<4x1x1xf32>) {
  // expected-error @+1 {{'nn.mul' op operands have ranks 4 and 3, expected one rank}}
  %0 = nn.mul %x, %y : tensor<1x4x3x3xf32>, tensor<4x1x1xf32>
  return
}

// -----

// Tests that a difference and a quotient broadcast their right operand only,
// as a product does.
func.func @sub_lhs_broadcast(%x: tensor<1x4x1x1xf32>, %y: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{'nn.sub' op rhs dimension 2 is 3, expected 1, the lhs's size (only the rhs broadcasts)}}
  %0 = nn.sub %x, %y : tensor<1x4x1x1xf32>, tensor<1x4x3x3xf32>
  return
}

// -----

func.func @div_rhs_size(%x: tensor<1x4x3x3xf32>, %y: tensor<1x2x1x1xf32>) {
  // expected-error @+1 {{'nn.div' op rhs dimension 1 is 2, expected 4 or 1 (only the rhs broadcasts)}}
  %0 = nn.div %x, %y : tensor<1x4x3x3xf32>, tensor<1x2x1x1xf32>
  return
}

// -----

func.func @maximum_lhs_broadcast(%x: tensor<1x4x1x1xf32>, %y: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{'nn.maximum' op rhs dimension 2 is 3, expected 1, the lhs's size (only the rhs broadcasts)}}
  %0 = nn.maximum %x, %y : tensor<1x4x1x1xf32>, tensor<1x4x3x3xf32>
  return
}

// -----

func.func @minimum_ranks(%x: tensor<1x4x3x3xf32>, %y: tensor<4x1x1xf32>) {
  // expected-error @+1 {{'nn.minimum' op operands have ranks 4 and 3, expected one rank}}
  %0 = nn.minimum %x, %y : tensor<1x4x3x3xf32>, tensor<4x1x1xf32>
  return
}

// -----

func.func @pow_left_broadcast(%x: tensor<1x4x1x1xf32>, %y: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{'nn.pow' op rhs dimension 2 is 3, expected 1, the lhs's size (only the rhs broadcasts)}}
  %0 = nn.pow %x, %y : tensor<1x4x1x1xf32>, tensor<1x4x3x3xf32>
  return
}

// -----

// Tests that a reduction names ascending dimensions in range and keeps them
// with size 1.
func.func @reduce_unsorted(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nn.reduce_sum' op dims must be ascending and distinct}}
  %0 = nn.reduce_sum %x dims [2, 1] : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  return
}

// -----

func.func @reduce_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nn.reduce_max' op dim 3 is out of range for rank 3}}
  %0 = nn.reduce_max %x dims [3] : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_prod_shape(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nn.reduce_prod' op}}
  %0 = nn.reduce_prod %x dims [1] : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_dropped(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nn.reduce_mean' op result has rank 2, expected rank 3}}
  %0 = nn.reduce_mean %x dims [1] : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_empty(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'nn.reduce_sum' op dims must name at least one dimension}}
  %0 = nn.reduce_sum %x dims [] : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

// Tests that a broadcast dimension of the rhs has size 1.
func.func @mul_rhs_size(%x: tensor<1x4x3x3xf32>, %y: tensor<1x2x1x1xf32>) {
  // expected-error @+1 {{'nn.mul' op rhs dimension 1 is 2, expected 4 or 1 (only the rhs broadcasts)}}
  %0 = nn.mul %x, %y : tensor<1x4x3x3xf32>, tensor<1x2x1x1xf32>
  return
}

// -----

// Tests that a PReLU's slope broadcasts to its input, not the other way.
func.func @prelu_slope_larger(%x: tensor<1x4x1x1xf32>, %s: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{'nn.prelu' op slope dimension 2 is 3, expected 1, the input's size (only the slope broadcasts)}}
  %0 = nn.prelu %x, %s : tensor<1x4x1x1xf32>, tensor<1x4x3x3xf32>
  return
}

// -----

// Tests that a PReLU's slope has its input's rank.
func.func @prelu_slope_rank(%x: tensor<1x4x3x3xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.prelu' op operands have ranks 4 and 1, expected one rank}}
  %0 = nn.prelu %x, %s : tensor<1x4x3x3xf32>, tensor<4xf32>
  return
}

// -----

// Tests that a pool needs an NCHW input.
func.func @pool_input_rank(%x: tensor<6x28x28xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op expects input of rank 4, found rank 3 (6x28x28)}}
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<6x28x28xf32>) -> tensor<1x6x14x14xf32>
  return
}

// -----

// Tests that a zero kernel is rejected.
func.func @pool_kernel_zero(%x: tensor<1x6x28x28xf32>) {
  // expected-error @+1 {{kernel must be positive, found 0}}
  %0 = nn.max_pool2d %x kernel [0, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x6x28x28xf32>) -> tensor<1x6x14x14xf32>
  return
}

// -----

// Tests that pool padding as wide as the kernel is rejected: some windows
// would see nothing but padding.
func.func @pool_padding_half(%x: tensor<1x6x28x28xf32>) {
  // expected-error @+1 {{padding 3+0 on input dimension 2 gives windows of nothing but padding}}
  %0 = nn.avg_pool2d %x kernel [3, 3] stride [1, 1] padding [3, 0, 0, 0]
         : (tensor<1x6x28x28xf32>) -> tensor<1x6x29x26xf32>
  return
}

// -----

// Tests that a pool giving an empty output is rejected.
func.func @pool_empty(%x: tensor<1x16x1x1xf32>) {
  // expected-error @+1 {{window of 2 (dilation 1) on input dimension 2 of size 1 with padding 0+0 gives an empty output}}
  %0 = nn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x16x1x1xf32>) -> tensor<1x16x1x1xf32>
  return
}

// -----

// Tests that ceil_mode's extra output cell is part of the expected shape.
func.func @pool_ceil_shape(%x: tensor<1x6x9x9xf32>) {
  // expected-error @+1 {{result dimension 2 is 4, expected 5}}
  %0 = nn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] ceil_mode
         : (tensor<1x6x9x9xf32>) -> tensor<1x6x4x4xf32>
  return
}

// -----

// Tests that an adaptive pool's result must be 4-D.
func.func @adaptive_result_rank(%x: tensor<1x6x9x9xf32>) {
  // expected-error @+1 {{expects result of rank 4, found rank 2 (1x6)}}
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x6x9x9xf32>) -> tensor<1x6xf32>
  return
}

// -----

// Tests that an adaptive pool's input must be 4-D.
func.func @adaptive_input_rank(%x: tensor<6x9x9xf32>) {
  // expected-error @+1 {{expects input of rank 4, found rank 3 (6x9x9)}}
  %0 = nn.adaptive_avg_pool2d %x : (tensor<6x9x9xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

// Tests that an adaptive pool to an empty size is rejected.
func.func @adaptive_empty(%x: tensor<1x6x9x9xf32>) {
  // expected-error @+1 {{output size must be positive, found 0 in dimension 3}}
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x6x9x9xf32>) -> tensor<1x6x3x0xf32>
  return
}

// -----

// Tests that an adaptive pool keeps batch and channels.
func.func @adaptive_channels(%x: tensor<1x6x9x9xf32>) {
  // expected-error @+1 {{result dimension 1 is 5, expected 6}}
  %0 = nn.adaptive_avg_pool2d %x : (tensor<1x6x9x9xf32>) -> tensor<1x5x3x3xf32>
  return
}

// -----

// Tests that LRN needs an NCHW input.
func.func @lrn_rank(%x: tensor<1x10xf32>) {
  // expected-error @+1 {{'nn.lrn' op expects input of rank 4, found rank 2 (1x10)}}
  %0 = nn.lrn %x size 5 alpha 1.0e-4 beta 0.75 k 1.0 : tensor<1x10xf32>
  return
}

// -----

// Tests that an LRN size must be positive.
func.func @lrn_size(%x: tensor<1x6x5x5xf32>) {
  // expected-error @+1 {{size must be positive, found 0}}
  %0 = nn.lrn %x size 0 alpha 1.0e-4 beta 0.75 k 1.0 : tensor<1x6x5x5xf32>
  return
}

// -----

// Tests that a negative LRN size is read as signed (the most negative value
// once wrapped the padded-channel arithmetic).
func.func @lrn_size_negative(%x: tensor<1x6x5x5xf32>) {
  // expected-error @+1 {{size must be positive, found -9223372036854775808}}
  %0 = nn.lrn %x size -9223372036854775808 alpha 1.0e-4 beta 0.75 k 1.0 : tensor<1x6x5x5xf32>
  return
}

// -----

// Tests that batchnorm needs an NCHW input.
func.func @batch_norm_rank(%x: tensor<1x16xf32>, %p: tensor<16xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op expects input of rank 4, found rank 2 (1x16)}}
  %0 = nn.batch_norm %x, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
            tensor<16xf32>) -> tensor<1x16xf32>
  return
}

// -----

// Tests that a batchnorm parameter must be a vector, and is named.
func.func @batch_norm_param_rank(%x: tensor<1x16x4x4xf32>, %p: tensor<16xf32>,
                                 %m: tensor<1x16xf32>) {
  // expected-error @+1 {{expects running_mean of rank 1, found rank 2 (1x16)}}
  %0 = nn.batch_norm %x, %p, %p, %m, %p eps 1.0e-5
         : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<1x16xf32>,
            tensor<16xf32>) -> tensor<1x16x4x4xf32>
  return
}

// -----

// Tests that a batchnorm parameter needs one value per channel.
func.func @batch_norm_param_size(%x: tensor<1x16x4x4xf32>, %p: tensor<16xf32>,
                                 %v: tensor<8xf32>) {
  // expected-error @+1 {{running_var dimension 0 is 8, expected 16}}
  %0 = nn.batch_norm %x, %p, %p, %p, %v eps 1.0e-5
         : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
            tensor<8xf32>) -> tensor<1x16x4x4xf32>
  return
}

// -----

// Tests that batchnorm's eps must be positive.
func.func @batch_norm_eps(%x: tensor<1x16x4x4xf32>, %p: tensor<16xf32>) {
  // expected-error @+1 {{eps must be positive}}
  %0 = nn.batch_norm %x, %p, %p, %p, %p eps 0.0
         : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
            tensor<16xf32>) -> tensor<1x16x4x4xf32>
  return
}

// -----

// Tests that batchnorm keeps its input's shape.
func.func @batch_norm_result(%x: tensor<1x16x4x4xf32>, %p: tensor<16xf32>) {
  // expected-error @+1 {{result dimension 3 is 5, expected 4}}
  %0 = nn.batch_norm %x, %p, %p, %p, %p eps 1.0e-5
         : (tensor<1x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
            tensor<16xf32>) -> tensor<1x16x4x5xf32>
  return
}

// -----

// Tests that softmax over dimension 1 needs rank >= 2.
func.func @softmax_rank(%x: tensor<10xf32>) {
  // expected-error @+1 {{needs a tensor of rank >= 2 (softmax runs over dimension 1)}}
  %0 = nn.softmax %x : tensor<10xf32>
  return
}

// -----

// Tests that a scalar cannot be flattened.
func.func @flatten_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{cannot flatten a scalar}}
  %0 = nn.flatten %x : (tensor<f32>) -> tensor<1xf32>
  return
}

// -----

// Tests that flatten's result keeps the batch and multiplies the rest.
func.func @flatten_result(%x: tensor<1x16x5x5xf32>) {
  // expected-error @+1 {{result dimension 1 is 80, expected 400}}
  %0 = nn.flatten %x : (tensor<1x16x5x5xf32>) -> tensor<1x80xf32>
  return
}

// -----

// Tests that dynamic shapes are rejected by the operand types.
func.func @dynamic_shape(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{must be statically shaped tensor of 32-bit float values}}
  %0 = nn.relu %x : tensor<?x10xf32>
  return
}

// -----

// Tests that an lrn window whose padded channels overflow is rejected.
func.func @lrn_size_overflow(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{size 9223372036854775807 is too large}}
  %0 = nn.lrn %x size 9223372036854775807 alpha 1.0e-4 beta 0.75 k 1.0 : tensor<1x4x8x8xf32>
  return
}

// -----

// Tests that a fused convolution's pool kind is "max" or "avg".
func.func @fused_conv_bad_pool_kind(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op pool must be "max" or "avg", found "min"}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         pool "min" kernel [2, 2] stride [2, 2]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

// Tests that a pool kernel without a pool kind is rejected (the generic
// form can express it, the custom one cannot).
func.func @fused_conv_kernel_without_kind(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op has a pool kernel or stride but no pool kind}}
  %0 = "nn.fused_conv2d"(%x, %w) <{stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64, pool_kernel = array<i64: 2, 2>}>
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a pool kind needs a pool stride too.
func.func @fused_conv_missing_pool_stride(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op needs a pool kernel and a pool stride}}
  %0 = "nn.fused_conv2d"(%x, %w) <{stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64, pool = "max",
         pool_kernel = array<i64: 2, 2>}>
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

// Tests that the pool kernel needs two positive values.
func.func @fused_conv_pool_kernel_count(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{pool kernel needs 2 values [h, w], found 1}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         pool "max" kernel [2] stride [2, 2]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

// Tests that a zero pool stride is rejected.
func.func @fused_conv_pool_stride_zero(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{pool stride must be positive, found 0}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         pool "avg" kernel [2, 2] stride [2, 0]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x3x3xf32>
  return
}

// -----

// Tests that a pool kernel larger than the convolution's output (7x7) is
// rejected with both sizes.
func.func @fused_conv_pool_kernel_too_large(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{pool kernel 8 is larger than the convolution's output (7)}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         pool "max" kernel [2, 8] stride [1, 1]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x1xf32>
  return
}

// -----

// Tests that huge pool sizes are rejected, not overflowed.
func.func @fused_conv_pool_huge(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{pool kernel 9223372036854775807 is larger than the convolution's output (7)}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         pool "max" kernel [9223372036854775807, 1] stride [9223372036854775807, 9223372036854775807]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x7xf32>
  return
}

// -----

// Tests that a huge pool stride gives one window, without overflow: the
// expected shape is 1x6x1x1.
func.func @fused_conv_pool_huge_stride(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{result dimension 3 is 2, expected 1 (result 1x6x1x2, expected 1x6x1x1)}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         pool "max" kernel [7, 7] stride [9223372036854775807, 9223372036854775807]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x2xf32>
  return
}

// -----

// Tests that the result shape accounts for the pooling: conv 7x7, pool 3
// stride 2 gives 3x3, not the convolution's 7x7.
func.func @fused_conv_result_shape(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{result dimension 2 is 7, expected 3 (result 1x6x7x7, expected 1x6x3x3)}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         relu pool "max" kernel [3, 3] stride [2, 2]
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a fused convolution without a pool has the convolution's shape.
func.func @fused_conv_result_shape_no_pool(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{result dimension 1 is 5, expected 6}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x5x7x7xf32>
  return
}

// -----

// Tests that a fused convolution checks its convolution like nn.conv2d does.
func.func @fused_conv_groups(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op groups (3) must divide the input channels (4)}}
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 3 relu
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a fused convolution's bias has one value per output channel.
func.func @fused_conv_bias(%x: tensor<1x4x9x9xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nn.fused_conv2d' op bias dimension 0 is 4, expected 6}}
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu
         : (tensor<1x4x9x9xf32>, tensor<6x4x3x3xf32>, tensor<4xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that a fused linear layer checks its weight against its input.
func.func @fused_linear_weight(%x: tensor<2x400xf32>, %w: tensor<120x300xf32>) {
  // expected-error @+1 {{'nn.fused_linear' op weight dimension 1 is 300, expected 400}}
  %0 = nn.fused_linear %x, %w relu : (tensor<2x400xf32>, tensor<120x300xf32>) -> tensor<2x120xf32>
  return
}

// -----

// Tests that a fused linear layer's result has the weight's output features.
func.func @fused_linear_result(%x: tensor<2x400xf32>, %w: tensor<120x400xf32>) {
  // expected-error @+1 {{'nn.fused_linear' op result dimension 1 is 100, expected 120}}
  %0 = nn.fused_linear %x, %w relu : (tensor<2x400xf32>, tensor<120x400xf32>) -> tensor<2x100xf32>
  return
}

// -----

// Tests that a transposed convolution's weight has one slice per input
// channel.
func.func @conv_transpose_weight(%x: tensor<1x4x5x5xf32>, %w: tensor<3x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv_transpose2d' op weight dimension 0 is 3, expected 4}}
  %0 = nn.conv_transpose2d %x, %w stride [1, 1] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x5x5xf32>, tensor<3x4x3x3xf32>) -> tensor<1x4x7x7xf32>
  return
}

// -----

// Tests that the groups of a transposed convolution divide its input
// channels.
func.func @conv_transpose_groups(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{groups (3) must divide the input channels (4)}}
  %0 = nn.conv_transpose2d %x, %w stride [1, 1] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 1] groups 3
         : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x6x7x7xf32>
  return
}

// -----

// Tests that the bias of a transposed convolution has one value per output
// channel (out/groups times groups).
func.func @conv_transpose_bias(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>,
                               %b: tensor<2xf32>) {
  // expected-error @+1 {{bias dimension 0 is 2, expected 4}}
  %0 = nn.conv_transpose2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 1] groups 2
         : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>, tensor<2xf32>)
         -> tensor<1x4x7x7xf32>
  return
}

// -----

// Tests that output_padding needs two non-negative values.
func.func @conv_transpose_output_padding(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{output_padding must be non-negative, found -1}}
  %0 = nn.conv_transpose2d %x, %w stride [2, 2] padding [0, 0, 0, 0]
         output_padding [-1, 0] dilation [1, 1] groups 1
         : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x10x11xf32>
  return
}

// -----

// Tests that the result shape of a transposed convolution is
// (in - 1) * stride + dilation * (kernel - 1) + 1 + output_padding - pads.
func.func @conv_transpose_result(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{result dimension 3 is 10, expected 11 (result 1x2x11x10, expected 1x2x11x11)}}
  %0 = nn.conv_transpose2d %x, %w stride [2, 2] padding [0, 0, 0, 0]
         output_padding [0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x11x10xf32>
  return
}

// -----

// Tests that padding may not crop the whole result.
func.func @conv_transpose_cropped(%x: tensor<1x4x1x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{padding 2+1 crops all of output dimension 2}}
  %0 = nn.conv_transpose2d %x, %w stride [1, 1] padding [2, 0, 1, 0]
         output_padding [0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x1x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x1x7xf32>
  return
}

// -----

// Tests that huge strides are reported, not overflowed.
func.func @conv_transpose_overflow(%x: tensor<1x4x5x5xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{window arithmetic overflows on dimension 2}}
  %0 = nn.conv_transpose2d %x, %w stride [4611686018427387904, 1]
         padding [0, 0, 0, 0] output_padding [0, 0] dilation [1, 1] groups 1
         : (tensor<1x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x2x7x7xf32>
  return
}
