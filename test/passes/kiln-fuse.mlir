// RUN: kiln-opt %s -split-input-file -kiln-fuse | FileCheck %s
// RUN: kiln-opt %s -split-input-file -kiln-fuse -mlir-print-debuginfo \
// RUN:   -mlir-print-local-scope | FileCheck %s --check-prefix=LOC

// Tests that a ReLU of a single-use convolution becomes one fused op with
// the convolution's attributes and bias, and that its location fuses those
// of both layers.
// CHECK-LABEL: func.func @conv_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 relu : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
// CHECK-NEXT: return %[[Y]]
// LOC-LABEL: func.func @conv_relu
// LOC: nn.fused_conv2d {{.*}} loc(fused["model.nn":3:1, "model.nn":4:1])
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                     %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("model.nn":3:1)
  %1 = nn.relu %0 : tensor<1x4x8x8xf32> loc("model.nn":4:1)
  return %1 : tensor<1x4x8x8xf32>
}

// -----

// Tests that conv -> ReLU -> max pool becomes a single op (ReLU and pool
// both fused) whose location names all three layers.
// CHECK-LABEL: func.func @conv_relu_maxpool
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu pool "max" kernel [2, 2] stride [2, 2] : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: return %[[Y]]
// LOC-LABEL: func.func @conv_relu_maxpool
// LOC: nn.fused_conv2d {{.*}} loc(fused["model.nn":3:1, "model.nn":4:1, "model.nn":5:1])
func.func @conv_relu_maxpool(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>,
                             %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("model.nn":3:1)
  %1 = nn.relu %0 : tensor<1x4x8x8xf32> loc("model.nn":4:1)
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("model.nn":5:1)
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that an average pool of a convolution without bias fuses (no
// ReLU), keeping the pool's non-square kernel and stride.
// CHECK-LABEL: func.func @conv_avgpool
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d %{{.*}}, %{{[^,]*}} stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 pool "avg" kernel [2, 3] stride [3, 2] : (tensor<1x3x10x11xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x3x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @conv_avgpool(%x: tensor<1x3x10x11xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x3x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x11xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x9xf32>
  %1 = nn.avg_pool2d %0 kernel [2, 3] stride [3, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x9xf32>) -> tensor<1x4x3x4xf32>
  return %1 : tensor<1x4x3x4xf32>
}

// -----

// Tests that a ReLU after a fused max pool moves before it (max and ReLU
// commute): conv -> max pool -> ReLU is one op with relu and the pool.
// CHECK-LABEL: func.func @conv_maxpool_relu
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 1 relu pool "max" kernel [3, 3] stride [2, 2] : {{.*}} -> tensor<1x4x3x3xf32>
// CHECK-NEXT: return %[[Y]]
// LOC-LABEL: func.func @conv_maxpool_relu
// LOC: nn.fused_conv2d {{.*}} loc(fused["model.nn":3:1, "model.nn":4:1, "model.nn":5:1])
func.func @conv_maxpool_relu(%x: tensor<1x3x9x9xf32>, %w: tensor<4x3x3x3xf32>,
                             %b: tensor<4xf32>) -> tensor<1x4x3x3xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x9x9xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x7x7xf32> loc("model.nn":3:1)
  %1 = nn.max_pool2d %0 kernel [3, 3] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x7x7xf32>) -> tensor<1x4x3x3xf32> loc("model.nn":4:1)
  %2 = nn.relu %1 : tensor<1x4x3x3xf32> loc("model.nn":5:1)
  return %2 : tensor<1x4x3x3xf32>
}

// -----

// Tests that a ReLU of a single-use linear layer becomes nn.fused_linear,
// located at both layers.
// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME: (%[[X:.*]]: tensor<2x16xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.*]] = nn.fused_linear %[[X]], %[[W]], %[[B]] relu : (tensor<2x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: return %[[Y]]
// LOC-LABEL: func.func @linear_relu
// LOC: nn.fused_linear {{.*}} loc(fused["model.nn":7:1, "model.nn":8:1])
func.func @linear_relu(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>,
                       %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = nn.linear %x, %w, %b : (tensor<2x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<2x8xf32> loc("model.nn":7:1)
  %1 = nn.relu %0 : tensor<2x8xf32> loc("model.nn":8:1)
  return %1 : tensor<2x8xf32>
}

// -----

// Tests that a ceil_mode pool fuses when all its windows fit anyway:
// (8 - 2) / 2 + 1 = 4 windows whether rounding up or down.
// CHECK-LABEL: func.func @ceil_mode_windows_fit
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} relu pool "max" kernel [2, 2] stride [2, 2] : {{.*}} -> tensor<1x4x4x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @ceil_mode_windows_fit(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = nn.relu %0 : tensor<1x4x8x8xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] ceil_mode
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a convolution with two users stays unfused: its ReLU-free
// result is still needed by the second user.
// CHECK-LABEL: func.func @conv_two_users
// CHECK-NEXT: %[[C:.*]] = nn.conv2d
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[C]]
// CHECK-NEXT: %[[S:.*]] = nn.add %[[C]], %[[R]]
// CHECK-NOT: nn.fused_conv2d
func.func @conv_two_users(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x6x6xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = nn.relu %0 : tensor<1x4x6x6xf32>
  %2 = nn.add %0, %1 : tensor<1x4x6x6xf32>
  return %2 : tensor<1x4x6x6xf32>
}

// -----

// Tests that a ReLU after an average pool is not moved into the fused op
// (ReLU does not commute with averaging): the pool fuses, the ReLU stays.
// CHECK-LABEL: func.func @avgpool_then_relu
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 1 pool "avg" kernel [2, 2] stride [2, 2] :
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[Y]]
// CHECK-NEXT: return %[[R]]
func.func @avgpool_then_relu(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = nn.avg_pool2d %0 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %2 = nn.relu %1 : tensor<1x4x4x4xf32>
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a padded pool is not fused; the ReLU before it still is.
// CHECK-LABEL: func.func @padded_pool
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 1 relu : {{.*}} -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[P:.*]] = nn.max_pool2d %[[Y]] kernel [3, 3] stride [1, 1] padding [1, 1, 1, 1]
// CHECK-NEXT: return %[[P]]
func.func @padded_pool(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x8x8xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = nn.relu %0 : tensor<1x4x8x8xf32>
  %2 = nn.max_pool2d %1 kernel [3, 3] stride [1, 1] padding [1, 1, 1, 1]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %2 : tensor<1x4x8x8xf32>
}

// -----

// Tests that a pool after a grouped (here depthwise) convolution is not
// fused: no kernel computes the two together; the ReLU still is.
// CHECK-LABEL: func.func @grouped_conv_pool
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 4 relu : {{.*}} -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[P:.*]] = nn.max_pool2d %[[Y]] kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
// CHECK-NEXT: return %[[P]]
func.func @grouped_conv_pool(%x: tensor<1x4x10x10xf32>, %w: tensor<4x1x3x3xf32>)
    -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 4
         : (tensor<1x4x10x10xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = nn.relu %0 : tensor<1x4x8x8xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a ceil_mode pool whose last window runs past the convolution's
// output (7 rows, kernel 2, stride 2: ceil gives 4 windows, the last one
// reads row 7) is not fused.
// CHECK-LABEL: func.func @ceil_mode_window_past_end
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 1 relu : {{.*}} -> tensor<1x4x7x7xf32>
// CHECK-NEXT: %[[P:.*]] = nn.max_pool2d %[[Y]] {{.*}} ceil_mode
// CHECK-NEXT: return %[[P]]
func.func @ceil_mode_window_past_end(%x: tensor<1x3x9x9xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x9x9xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x7x7xf32>
  %1 = nn.relu %0 : tensor<1x4x7x7xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] ceil_mode
         : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a second pool after a fused pool stays a separate op (a fused
// op holds one pooling).
// CHECK-LABEL: func.func @second_pool
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} relu pool "max" kernel [2, 2] stride [2, 2] : {{.*}} -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[P:.*]] = nn.max_pool2d %[[Y]] kernel [2, 2] stride [2, 2]
// CHECK-NEXT: return %[[P]]
func.func @second_pool(%x: tensor<1x3x18x18xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x18x18xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x16x16xf32>
  %1 = nn.relu %0 : tensor<1x4x16x16xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x16x16xf32>) -> tensor<1x4x8x8xf32>
  %3 = nn.max_pool2d %2 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %3 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a linear layer with two users stays unfused.
// CHECK-LABEL: func.func @linear_two_users
// CHECK-NEXT: %[[L:.*]] = nn.linear
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[L]]
// CHECK-NOT: nn.fused_linear
func.func @linear_two_users(%x: tensor<2x16xf32>, %w: tensor<8x16xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %0 = nn.linear %x, %w : (tensor<2x16xf32>, tensor<8x16xf32>) -> tensor<2x8xf32>
  %1 = nn.relu %0 : tensor<2x8xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Tests that a ReLU after a fused convolution that already has its ReLU is
// left alone: a fused op holds one ReLU.
// CHECK-LABEL: func.func @relu_twice
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 1 relu :
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[Y]]
// CHECK-NEXT: return %[[R]]
func.func @relu_twice(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>)
    -> tensor<1x4x6x6xf32> {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = nn.relu %0 : tensor<1x4x6x6xf32>
  %2 = nn.relu %1 : tensor<1x4x6x6xf32>
  return %2 : tensor<1x4x6x6xf32>
}

// -----

// Tests that a pool does not join a fused conv + ReLU whose result has
// another user: the ReLU fuses, the pool stays.
// CHECK-LABEL: func.func @fused_result_two_users
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d {{.*}} groups 1 relu : {{.*}} -> tensor<1x4x8x8xf32>
// CHECK-NEXT: %[[P:.*]] = nn.max_pool2d %[[Y]]
// CHECK-NEXT: return %[[Y]], %[[P]]
func.func @fused_result_two_users(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>)
    -> (tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>) {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = nn.relu %0 : tensor<1x4x8x8xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %1, %2 : tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>
}

// -----

// Tests that a clamp (ReLU6) of a single-use convolution fuses as `clamp
// [lo, hi]`, and that a pool after it joins the op.
// CHECK-LABEL: func.func @conv_relu6_maxpool
// CHECK-NEXT: %[[Y:.*]] = nn.fused_conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 clamp [0.000000e+00, 6.000000e+00] pool "max" kernel [2, 2] stride [2, 2] : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @conv_relu6_maxpool(%x: tensor<1x3x10x10xf32>, %w: tensor<4x3x3x3xf32>,
                              %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = nn.clamp %0 min 0.0 max 6.0 : tensor<1x4x8x8xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that a clamp after a fused max pool moves before it (a clamp is
// monotonic), but not after an average pool; that a clamp does not join a
// fused op that has its ReLU already; and that one with an infinite bound
// (an ONNX Clip with only a min) stays unfused.
// CHECK-LABEL: func.func @clamp_after_pools
// CHECK: nn.fused_conv2d {{.*}} groups 1 clamp [-1.000000e+00, 2.500000e+00] pool "max"
// CHECK: %[[AVG:.*]] = nn.fused_conv2d {{.*}} groups 1 pool "avg"
// CHECK-NEXT: nn.clamp %[[AVG]]
// CHECK: %[[RELU:.*]] = nn.fused_conv2d {{.*}} groups 1 relu :
// CHECK-NEXT: nn.clamp %[[RELU]]
// CHECK: %[[OPEN:.*]] = nn.conv2d
// CHECK-NEXT: nn.clamp %[[OPEN]] min -1.000000e+00 max 0x7F800000
func.func @clamp_after_pools(%x: tensor<1x3x10x10xf32>, %w: tensor<3x3x3x3xf32>)
    -> (tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>) {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %1 = nn.max_pool2d %0 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  %2 = nn.clamp %1 min -1.0 max 2.5 : tensor<1x3x4x4xf32>
  %3 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %4 = nn.avg_pool2d %3 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  %5 = nn.clamp %4 min 0.0 max 6.0 : tensor<1x3x4x4xf32>
  %6 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %7 = nn.relu %6 : tensor<1x3x8x8xf32>
  %8 = nn.clamp %7 min 0.0 max 6.0 : tensor<1x3x8x8xf32>
  %9 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %10 = nn.clamp %9 min -1.0 max 0x7F800000 : tensor<1x3x8x8xf32>
  return %2, %5, %8, %10 : tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>
}

// -----

// Tests that x * sigmoid(x) of a convolution (either operand order) fuses
// as `silu` when the sigmoid and the product are all that read the
// convolution (also a depthwise one), but not when another op reads it or
// the sigmoid, after a fused pool, or when the product is not the
// convolution's own SiLU.
// CHECK-LABEL: func.func @silu
// CHECK: %[[A:.*]] = nn.fused_conv2d {{.*}} groups 1 silu : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
// CHECK-NEXT: %[[B:.*]] = nn.fused_conv2d {{.*}} groups 3 silu :
// CHECK-NEXT: %[[C:.*]] = nn.conv2d
// CHECK-NEXT: %[[CS:.*]] = nn.sigmoid %[[C]]
// CHECK-NEXT: nn.mul %[[C]], %[[CS]]
// CHECK-NEXT: nn.add %[[C]]
// CHECK-NEXT: %[[D:.*]] = nn.conv2d
// CHECK-NEXT: %[[DS:.*]] = nn.sigmoid %[[D]]
// CHECK-NEXT: nn.mul %[[D]], %[[DS]]
// CHECK-NEXT: %[[P:.*]] = nn.fused_conv2d {{.*}} groups 1 pool "max"
// CHECK-NEXT: %[[PS:.*]] = nn.sigmoid %[[P]]
// CHECK-NEXT: nn.mul %[[P]], %[[PS]]
// CHECK-NEXT: %[[E:.*]] = nn.conv2d
// CHECK-NEXT: %[[ES:.*]] = nn.sigmoid %[[E]]
// CHECK-NEXT: nn.mul %[[X:.*]], %[[ES]]
func.func @silu(%x: tensor<1x3x10x10xf32>, %w: tensor<3x3x3x3xf32>, %dw: tensor<3x1x3x3xf32>, %y: tensor<1x3x8x8xf32>)
    -> (tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32>, tensor<1x3x8x8xf32>) {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %1 = nn.sigmoid %0 : tensor<1x3x8x8xf32>
  %2 = nn.mul %0, %1 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>
  %3 = nn.conv2d %x, %dw stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 3
         : (tensor<1x3x10x10xf32>, tensor<3x1x3x3xf32>) -> tensor<1x3x8x8xf32>
  %4 = nn.sigmoid %3 : tensor<1x3x8x8xf32>
  %5 = nn.mul %4, %3 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>
  %6 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %7 = nn.sigmoid %6 : tensor<1x3x8x8xf32>
  %8 = nn.mul %6, %7 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>
  %9 = nn.add %6, %8 : tensor<1x3x8x8xf32>
  %10 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %11 = nn.sigmoid %10 : tensor<1x3x8x8xf32>
  %12 = nn.mul %10, %11 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>
  %13 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %14 = nn.max_pool2d %13 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  %15 = nn.sigmoid %14 : tensor<1x3x4x4xf32>
  %16 = nn.mul %14, %15 : tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>
  %17 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %18 = nn.sigmoid %17 : tensor<1x3x8x8xf32>
  %19 = nn.mul %y, %18 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>
  return %2, %5, %9, %12, %11, %16, %19 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32>, tensor<1x3x8x8xf32>
}

// -----

// Tests that a hard swish of a single-use convolution fuses as `hardswish`
// (also into a depthwise one), but not after a fused max pool (it is not
// monotonic: max(hs(x)) != hs(max(x))), and that no pool joins a fused op
// that has it.
// CHECK-LABEL: func.func @hard_swish
// CHECK: nn.fused_conv2d {{.*}} groups 1 hardswish : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
// CHECK: nn.fused_conv2d {{.*}} groups 3 hardswish :
// CHECK: %[[POOLED:.*]] = nn.fused_conv2d {{.*}} groups 1 pool "max"
// CHECK-NEXT: nn.hard_swish %[[POOLED]]
// CHECK: %[[HS:.*]] = nn.fused_conv2d {{.*}} groups 1 hardswish :
// CHECK-NEXT: nn.max_pool2d %[[HS]]
func.func @hard_swish(%x: tensor<1x3x10x10xf32>, %w: tensor<3x3x3x3xf32>, %dw: tensor<3x1x3x3xf32>)
    -> (tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>) {
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %1 = nn.hard_swish %0 : tensor<1x3x8x8xf32>
  %2 = nn.conv2d %x, %dw stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 3
         : (tensor<1x3x10x10xf32>, tensor<3x1x3x3xf32>) -> tensor<1x3x8x8xf32>
  %3 = nn.hard_swish %2 : tensor<1x3x8x8xf32>
  %4 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %5 = nn.max_pool2d %4 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  %6 = nn.hard_swish %5 : tensor<1x3x4x4xf32>
  %7 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x10x10xf32>, tensor<3x3x3x3xf32>) -> tensor<1x3x8x8xf32>
  %8 = nn.hard_swish %7 : tensor<1x3x8x8xf32>
  %9 = nn.max_pool2d %8 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return %1, %3, %6, %9 : tensor<1x3x8x8xf32>, tensor<1x3x8x8xf32>, tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>
}

// -----

// Tests that a max pool of a channel concatenation of convolutions (a
// SqueezeNet fire module's expand layers) pools each piece, and each piece's
// pool then fuses into its convolution: the concatenation joins the pooled
// pieces.
// CHECK-LABEL: func.func @pool_of_concat
// CHECK-NEXT: %[[A:.*]] = nn.fused_conv2d {{.*}} relu pool "max" kernel [3, 3] stride [2, 2] : {{.*}} -> tensor<1x4x3x3xf32>
// CHECK-NEXT: %[[B:.*]] = nn.fused_conv2d {{.*}} relu pool "max" kernel [3, 3] stride [2, 2] : {{.*}} -> tensor<1x6x3x3xf32>
// CHECK-NEXT: %[[Y:.*]] = nn.concat %[[A]], %[[B]] dim 1 : (tensor<1x4x3x3xf32>, tensor<1x6x3x3xf32>) -> tensor<1x10x3x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @pool_of_concat(%x: tensor<1x3x7x7xf32>, %w1: tensor<4x3x1x1xf32>,
                          %w3: tensor<6x3x3x3xf32>) -> tensor<1x10x3x3xf32> {
  %0 = nn.conv2d %x, %w1 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x7x7xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x7x7xf32>
  %1 = nn.relu %0 : tensor<1x4x7x7xf32>
  %2 = nn.conv2d %x, %w3 stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1
         : (tensor<1x3x7x7xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x7x7xf32>
  %3 = nn.relu %2 : tensor<1x6x7x7xf32>
  %4 = nn.concat %1, %3 dim 1 : (tensor<1x4x7x7xf32>, tensor<1x6x7x7xf32>) -> tensor<1x10x7x7xf32>
  %5 = nn.max_pool2d %4 kernel [3, 3] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x10x7x7xf32>) -> tensor<1x10x3x3xf32>
  return %5 : tensor<1x10x3x3xf32>
}

// -----

// Tests that a pool of a concatenation stays whole when a piece is not a
// convolution the pool would fuse into (here the input itself), or when the
// concatenation has another reader.
// CHECK-LABEL: func.func @pool_of_concat_kept
// CHECK: %[[C:.*]] = nn.concat
// CHECK-NEXT: nn.max_pool2d %[[C]]
// CHECK-LABEL: func.func @pool_of_shared_concat
// CHECK: %[[C:.*]] = nn.concat
// CHECK-NEXT: nn.avg_pool2d %[[C]]
func.func @pool_of_concat_kept(%x: tensor<1x3x7x7xf32>, %w1: tensor<4x3x1x1xf32>)
    -> tensor<1x7x3x3xf32> {
  %0 = nn.conv2d %x, %w1 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x7x7xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x7x7xf32>
  %1 = nn.concat %0, %x dim 1 : (tensor<1x4x7x7xf32>, tensor<1x3x7x7xf32>) -> tensor<1x7x7x7xf32>
  %2 = nn.max_pool2d %1 kernel [3, 3] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x7x7x7xf32>) -> tensor<1x7x3x3xf32>
  return %2 : tensor<1x7x3x3xf32>
}
func.func @pool_of_shared_concat(%x: tensor<1x3x7x7xf32>, %w1: tensor<4x3x1x1xf32>,
                                 %w2: tensor<2x3x1x1xf32>)
    -> (tensor<1x6x3x3xf32>, tensor<1x6x7x7xf32>) {
  %0 = nn.conv2d %x, %w1 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x7x7xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x7x7xf32>
  %1 = nn.conv2d %x, %w2 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1
         : (tensor<1x3x7x7xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x7x7xf32>
  %2 = nn.concat %0, %1 dim 1 : (tensor<1x4x7x7xf32>, tensor<1x2x7x7xf32>) -> tensor<1x6x7x7xf32>
  %3 = nn.avg_pool2d %2 kernel [3, 3] stride [2, 2] padding [0, 0, 0, 0]
         : (tensor<1x6x7x7xf32>) -> tensor<1x6x3x3xf32>
  return %3, %2 : tensor<1x6x3x3xf32>, tensor<1x6x7x7xf32>
}
