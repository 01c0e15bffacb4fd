// RUN: kiln-opt %s --split-input-file --kiln-record-layers --mlir-print-debuginfo | FileCheck %s

// Tests that every nn op of @forward is listed in order with its location,
// its name (a fused op names its parts) and its FLOPs: conv 2*N*OC*OH*OW*
// IC*KH*KW plus one per pooling window cell (235200 + 4704 here); linear 2*N*OUT*IN; a pool one
// per window cell; anything else one per element.

// CHECK: #[[CONV:loc[0-9]*]] = loc("net.nn":6:1)
// CHECK-LABEL: module attributes {kiln.layers = [
// CHECK-SAME: {flops = 239904 : i64, loc = #[[CONV]], name = "conv2d+relu+max_pool2d"}
// CHECK-SAME: {flops = 1176 : i64, loc = #{{.*}}, name = "max_pool2d"}
// CHECK-SAME: {flops = 294 : i64, loc = #{{.*}}, name = "flatten"}
// CHECK-SAME: {flops = 7056 : i64, loc = #{{.*}}, name = "linear+relu"}
// CHECK-SAME: {flops = 240 : i64, loc = #{{.*}}, name = "linear"}
module {
  func.func @forward(%x: tensor<1x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>, %w1: tensor<12x294xf32>, %w2: tensor<10x12xf32>) -> tensor<1x10xf32> {
    %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [2, 2, 2, 2] dilation [1, 1] groups 1 relu pool "max" kernel [2, 2] stride [2, 2] : (tensor<1x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<1x6x14x14xf32> loc("net.nn":6:1)
    %1 = nn.max_pool2d %0 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] : (tensor<1x6x14x14xf32>) -> tensor<1x6x7x7xf32> loc("net.nn":7:1)
    %2 = nn.flatten %1 : (tensor<1x6x7x7xf32>) -> tensor<1x294xf32> loc("net.nn":8:1)
    %3 = nn.fused_linear %2, %w1 relu : (tensor<1x294xf32>, tensor<12x294xf32>) -> tensor<1x12xf32> loc("net.nn":9:1)
    %4 = nn.linear %3, %w2 : (tensor<1x12xf32>, tensor<10x12xf32>) -> tensor<1x10xf32> loc("net.nn":10:1)
    return %4 : tensor<1x10xf32>
  }
}

// -----

// Tests that a module without the entry function is left alone.

// CHECK-LABEL: module {
// CHECK-NOT: kiln.layers
module {
  func.func @other(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
    %0 = nn.relu %x : tensor<1x4xf32>
    return %0 : tensor<1x4xf32>
  }
}

// -----

// Tests a transposed convolution's FLOPs: each input element scatters into
// out/groups x kh x kw outputs, 2 * (2*4*3*3) * 3 * 4 * 4 = 6912.
// CHECK-LABEL: module attributes {kiln.layers = [
// CHECK-SAME: {flops = 6912 : i64, loc = #{{.*}}, name = "conv_transpose2d"}
module {
  func.func @forward(%x: tensor<2x4x3x3xf32>, %w: tensor<4x3x4x4xf32>) -> tensor<2x6x6x6xf32> {
    %0 = nn.conv_transpose2d %x, %w stride [2, 2] padding [1, 1, 1, 1] output_padding [0, 0] dilation [1, 1] groups 2 : (tensor<2x4x3x3xf32>, tensor<4x3x4x4xf32>) -> tensor<2x6x6x6xf32>
    return %0 : tensor<2x6x6x6xf32>
  }
}
