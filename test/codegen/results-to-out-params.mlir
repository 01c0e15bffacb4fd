// RUN: kiln-opt %s --split-input-file --kiln-results-to-out-params | FileCheck %s

// Tests that a returned allocation becomes the out-parameter itself: the
// alloc disappears and nothing is copied.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>) {
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[OUT]] : memref<4xf32>)
// CHECK-NOT: copy
// CHECK: return{{$}}
func.func @forward(%in: memref<4xf32>) -> memref<4xf32> {
  %buf = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%in : memref<4xf32>) outs(%buf : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  }
  return %buf : memref<4xf32>
}

// -----

// Tests that a returned buffer that is not an allocation (here a constant)
// is copied into the out-parameter with linalg.copy, not memref.copy.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>) {
// CHECK: %[[G:.*]] = memref.get_global
// CHECK: linalg.copy ins(%[[G]] : memref<4xf32>) outs(%[[OUT]] : memref<4xf32>)
// CHECK-NOT: memref.copy
// CHECK: return{{$}}
memref.global "private" constant @cst : memref<4xf32> = dense<1.0>
func.func @forward(%in: memref<4xf32>) -> memref<4xf32> {
  %g = memref.get_global @cst : memref<4xf32>
  return %g : memref<4xf32>
}
