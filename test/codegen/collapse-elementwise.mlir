// RUN: kiln-opt %s --split-input-file --kiln-collapse-elementwise | FileCheck %s

// Tests that a residual sum's planes merge into one dimension: the loops
// keep N and C, the innermost walks 7 x 5 = 35 contiguous elements.
// CHECK-LABEL: func.func @sum
// CHECK-SAME: (%[[A:.*]]: memref<2x3x7x5xf32>, %[[B:.*]]: memref<2x3x7x5xf32>, %[[Y:.*]]: memref<2x3x7x5xf32>)
// CHECK-DAG: %[[A3:.*]] = memref.collapse_shape %[[A]] {{\[}}[0], [1], [2, 3]] : memref<2x3x7x5xf32> into memref<2x3x35xf32>
// CHECK-DAG: %[[B3:.*]] = memref.collapse_shape %[[B]] {{\[}}[0], [1], [2, 3]]
// CHECK-DAG: %[[Y3:.*]] = memref.collapse_shape %[[Y]] {{\[}}[0], [1], [2, 3]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[A3]], %[[B3]] : memref<2x3x35xf32>, memref<2x3x35xf32>) outs(%[[Y3]] : memref<2x3x35xf32>)
// CHECK: arith.addf
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @sum(%a: memref<2x3x7x5xf32>, %b: memref<2x3x7x5xf32>, %y: memref<2x3x7x5xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b : memref<2x3x7x5xf32>, memref<2x3x7x5xf32>) outs(%y : memref<2x3x7x5xf32>) {
  ^bb0(%x: f32, %z: f32, %o: f32):
    %s = arith.addf %x, %z : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests that a squeeze-and-excitation product merges too: its [N, C, 1, 1]
// scales drop both plane dimensions, and keep their map without them.
// CHECK-DAG: #[[SCALE:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, 0, 0)>
// CHECK-LABEL: func.func @scale
// CHECK-SAME: (%[[X:.*]]: memref<1x4x6x6xf32>, %[[S:.*]]: memref<1x4x1x1xf32>, %[[Y:.*]]: memref<1x4x6x6xf32>)
// CHECK: %[[X3:.*]] = memref.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : memref<1x4x6x6xf32> into memref<1x4x36xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALE]], #{{.*}}], {{.*}} ins(%[[X3]], %[[S]] : memref<1x4x36xf32>, memref<1x4x1x1xf32>)
// CHECK: arith.mulf
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scale = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @scale(%x: memref<1x4x6x6xf32>, %s: memref<1x4x1x1xf32>, %y: memref<1x4x6x6xf32>) {
  linalg.generic {indexing_maps = [#id, #scale, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : memref<1x4x6x6xf32>, memref<1x4x1x1xf32>) outs(%y : memref<1x4x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// Tests that a fill (a scalar input) merges too.
// CHECK-LABEL: func.func @fill
// CHECK: %[[Y3:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<2x3x4x4xf32> into memref<2x3x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : f32) outs(%[[Y3]] : memref<2x3x16xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> ()>
func.func @fill(%v: f32, %y: memref<2x3x4x4xf32>) {
  linalg.generic {indexing_maps = [#scalar, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v : f32) outs(%y : memref<2x3x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Tests that a batch norm's per-channel [C] scale and shift merge too: they
// read dimension 1 only, which the collapsed op keeps (DenseNet normalises
// every layer's input this way).
// CHECK-DAG: #[[CHANNEL:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @channels
// CHECK: %[[X3:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x4x6x6xf32> into memref<1x4x36xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CHANNEL]], #[[CHANNEL]], #{{.*}}], {{.*}} ins(%[[X3]], %{{.*}}, %{{.*}} : memref<1x4x36xf32>, memref<4xf32>, memref<4xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#channel = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @channels(%x: memref<1x4x6x6xf32>, %s: memref<4xf32>, %b: memref<4xf32>, %y: memref<1x4x6x6xf32>) {
  linalg.generic {indexing_maps = [#id, #channel, #channel, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s, %b : memref<1x4x6x6xf32>, memref<4xf32>, memref<4xf32>) outs(%y : memref<1x4x6x6xf32>) {
  ^bb0(%a: f32, %sc: f32, %sh: f32, %o: f32):
    %p = arith.mulf %a, %sc : f32
    %q = arith.addf %p, %sh : f32
    linalg.yield %q : f32
  }
  return
}

// -----

// Tests what stays: a transposing map (the plane dimensions out of order),
// an operand that is a strided view (a slice of a concatenation), a
// reduction, a 2-D op, a body that reads its indices (an average pool's
// divisor), and an operand that reads a plane dimension without the other.
// CHECK-LABEL: func.func @stays
// CHECK-NOT: memref.collapse_shape
// CHECK-COUNT-6: linalg.generic
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#swap = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#reduce = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
#row = affine_map<(d0, d1, d2, d3) -> (d2)>
func.func @stays(%x: memref<1x4x6x6xf32>, %y: memref<1x4x6x6xf32>, %cat: memref<1x8x6x6xf32>,
                 %r: memref<1x4x6x1xf32>, %m: memref<4x6xf32>, %n: memref<4x6xf32>,
                 %rows: memref<6xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %rows : memref<1x4x6x6xf32>, memref<6xf32>) outs(%y : memref<1x4x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  linalg.generic {indexing_maps = [#swap, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<1x4x6x6xf32>) outs(%y : memref<1x4x6x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  %slice = memref.subview %cat[0, 4, 0, 0] [1, 4, 6, 6] [1, 1, 1, 1]
      : memref<1x8x6x6xf32> to memref<1x4x6x6xf32, strided<[288, 36, 6, 1], offset: 144>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<1x4x6x6xf32>) outs(%slice : memref<1x4x6x6xf32, strided<[288, 36, 6, 1], offset: 144>>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #reduce], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : memref<1x4x6x6xf32>) outs(%r : memref<1x4x6x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m : memref<4x6xf32>) outs(%n : memref<4x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<1x4x6x6xf32>) outs(%y : memref<1x4x6x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %w = linalg.index 3 : index
    %i = arith.index_cast %w : index to i32
    %f = arith.sitofp %i : i32 to f32
    %d = arith.divf %a, %f : f32
    linalg.yield %d : f32
  }
  return
}
