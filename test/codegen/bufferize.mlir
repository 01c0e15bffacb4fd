// RUN: kiln-opt %s --split-input-file --kiln-bufferize | FileCheck %s

// Tests that tensors become identity-layout memrefs at function boundaries
// and that the copy tensor.pad needs is a linalg.copy, not a memref.copy.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<1x2x4x4xf32>) -> memref<1x2x6x6xf32>
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x6x6xf32>
// CHECK: %[[SUB:.*]] = memref.subview %[[BUF]][0, 0, 1, 1] [1, 2, 4, 4] [1, 1, 1, 1]
// CHECK: linalg.copy ins(%[[IN]] : memref<1x2x4x4xf32>) outs(%[[SUB]] :
// CHECK-NOT: memref.copy
// CHECK: return %[[BUF]]
func.func @forward(%input: tensor<1x2x4x4xf32>) -> tensor<1x2x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %input low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  return %padded : tensor<1x2x6x6xf32>
}

// -----

// Tests that the public function's argument is treated as read-only (the
// caller's `const float *` input): an in-place update of it is redirected to
// a copy, made with linalg.copy.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<8xf32>) -> memref<8xf32>
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<8xf32>) outs(%[[BUF]] : memref<8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[BUF]] : memref<8xf32>)
// CHECK: return %[[BUF]]
func.func @forward(%input: tensor<8xf32>) -> tensor<8xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%input : tensor<8xf32>) {
  ^bb0(%x: f32):
    %y = arith.negf %x : f32
    linalg.yield %y : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// Tests that dense_resource weights become memref.global constants that
// still reference the resource (its data is not copied into an attribute).

// CHECK: memref.global "private" constant @[[G:.*]] : memref<2x2xf32> = dense_resource<w> {alignment = 64 : i64}
// CHECK: func.func @forward(
// CHECK: memref.get_global @[[G]] : memref<2x2xf32>
func.func @forward(%input: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x2xf32>
  %0 = linalg.add ins(%input, %w : tensor<2x2xf32>, tensor<2x2xf32>) outs(%input : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// Tests that a tensor.empty shared by several layers (as CSE leaves it) is
// split per use before the analysis, which otherwise weighs every use
// against every other (cubic: 63 s for a 1000-layer spec). Each layer gets
// its own buffer and no copy is needed.
// CHECK-LABEL: func.func @shared_empty
// CHECK-COUNT-2: memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK-NOT: linalg.copy
// CHECK: linalg.fill {{.*}} outs(%[[A:.*]] : memref<4xf32>)
// CHECK-NOT: linalg.copy
// CHECK: linalg.fill {{.*}} outs(%[[B:.*]] : memref<4xf32>)
// CHECK-NOT: memref.copy
// CHECK: return %[[A]], %[[B]]
func.func @shared_empty(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %a = linalg.fill ins(%one : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %b = linalg.fill ins(%two : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
