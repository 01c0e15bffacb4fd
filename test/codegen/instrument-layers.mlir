// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-instrument-layers | FileCheck %s

// Tests that a profiler call with the layer's index goes before the first op
// of each layer (found by location), that ops computing nothing (constants,
// views, allocations) do not start a layer, that an op of unknown location
// belongs to the layer before it, that -1 closes the last layer before the
// return, and that kiln.layers keeps only "FILE:LINE name" and FLOPs.

// CHECK-LABEL: module attributes {kiln.layers = [{flops = 10 : i64, name = "net.nn:3 relu"}, {flops = 20 : i64, name = "net.nn:4 conv2d+relu"}]}
// CHECK-LABEL: func.func @forward(
// CHECK: memref.view
// CHECK-NEXT: %[[L0:.*]] = arith.constant 0 : i64
// CHECK-NEXT: call @kiln_profile_layer(%[[L0]]) : (i64) -> ()
// CHECK-NEXT: linalg.copy
// CHECK-NEXT: linalg.copy
// CHECK-NEXT: %[[L1:.*]] = arith.constant 1 : i64
// CHECK-NEXT: call @kiln_profile_layer(%[[L1]]) : (i64) -> ()
// CHECK-NEXT: linalg.copy
// CHECK-NEXT: %[[END:.*]] = arith.constant -1 : i64
// CHECK-NEXT: call @kiln_profile_layer(%[[END]]) : (i64) -> ()
// CHECK-NEXT: return
// CHECK: func.func private @kiln_profile_layer(i64)
#relu = loc("dir/net.nn":3:1)
#conv = loc(fused["dir/net.nn":4:1, "dir/net.nn":5:1])
module attributes {kiln.layers = [{flops = 10 : i64, loc = #relu, name = "relu"}, {flops = 20 : i64, loc = #conv, name = "conv2d+relu"}]} {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>, %ws: memref<64xi8>) {
    %c0 = arith.constant 0 : index loc(#relu)
    %a = memref.view %ws[%c0][] : memref<64xi8> to memref<4xf32> loc(#relu)
    linalg.copy ins(%in : memref<4xf32>) outs(%a : memref<4xf32>) loc(#relu)
    linalg.copy ins(%a : memref<4xf32>) outs(%a : memref<4xf32>) loc("elsewhere":1:1)
    linalg.copy ins(%a : memref<4xf32>) outs(%out : memref<4xf32>) loc(#conv)
    return
  }
}

// -----

// Tests that a module without a layer list is left alone.

// CHECK-LABEL: func.func @forward(
// CHECK-NOT: kiln_profile_layer
module {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>) {
    linalg.copy ins(%in : memref<4xf32>) outs(%out : memref<4xf32>)
    return
  }
}

// -----

// Tests that a clashing declaration of the profiler's entry point is an error.

// expected-error@+2 {{@kiln_profile_layer is reserved for the runtime's profiler}}
module attributes {kiln.layers = []} {
  func.func private @kiln_profile_layer(f32)
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>) {
    return
  }
}
