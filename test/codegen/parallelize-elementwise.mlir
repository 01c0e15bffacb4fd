// RUN: kiln-opt %s --split-input-file --kiln-parallelize-elementwise | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-parallelize-elementwise="min-elements=1" | FileCheck %s --check-prefix=ALL

// Tests that a large copy (the input of a padded convolution at batch 8:
// 8 x 3 x 228 x 228 elements) becomes an scf.parallel over the images, each
// task copying its image with the same op on subviews.
// CHECK-LABEL: func.func @copy_batch
// CHECK-SAME: (%[[IN:.*]]: memref<8x3x228x228xf32>, %[[OUT:.*]]: memref<8x3x228x228xf32>)
// CHECK: scf.parallel (%[[N:.*]]) = (%c0{{[_0-9]*}}) to (%c8) step (%c1{{[_0-9]*}}) {
// CHECK: %[[SRC:.*]] = memref.subview %[[IN]][%[[N]], 0, 0, 0] [1, 3, 228, 228] [1, 1, 1, 1]
// CHECK: %[[DST:.*]] = memref.subview %[[OUT]][%[[N]], 0, 0, 0] [1, 3, 228, 228] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[SRC]] : {{.*}}) outs(%[[DST]] : {{.*}})
// CHECK: scf.reduce
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @copy_batch(%in: memref<8x3x228x228xf32>, %out: memref<8x3x228x228xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%in : memref<8x3x228x228xf32>) outs(%out : memref<8x3x228x228xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// Tests that at batch 1 the channels are spread instead (the first loop
// with at least 8 iterations), for a fill (no inputs); with 3 channels (an
// image's zero padding), its rows: 3 tasks would leave one of 2 threads
// idle a third of the time.
// CHECK-LABEL: func.func @fill_channels
// CHECK: scf.parallel (%[[C:.*]]) = (%c0{{[_0-9]*}}) to (%c64) step (%c1{{[_0-9]*}}) {
// CHECK: memref.subview %{{.*}}[0, %[[C]], 0, 0] [1, 1, 226, 226] [1, 1, 1, 1]
// CHECK: linalg.generic
// CHECK-LABEL: func.func @fill_rows
// CHECK: scf.parallel (%[[H:.*]]) = (%c0{{[_0-9]*}}) to (%c226) step (%c1{{[_0-9]*}}) {
// CHECK: memref.subview %{{.*}}[0, 0, %[[H]], 0] [1, 3, 1, 226] [1, 1, 1, 1]
// CHECK: linalg.generic
func.func @fill_channels(%out: memref<1x64x226x226xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> ()>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%zero : f32) outs(%out : memref<1x64x226x226xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}
func.func @fill_rows(%out: memref<1x3x226x226xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> ()>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%zero : f32) outs(%out : memref<1x3x226x226xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}

// -----

// Tests what stays serial: an op below min-elements (LeNet's padded input,
// 32 x 32), a reduction (a pooling window), and a rank-1 op, whose only
// loop is the innermost one LLVM vectorizes. With min-elements=1 the small
// copy is spread over its 32 rows too (2 images would be fewer than 8
// tasks).
// CHECK-LABEL: func.func @serial
// CHECK-NOT: scf.parallel
// CHECK: return
// ALL-LABEL: func.func @serial
// ALL: scf.parallel (%{{.*}}) = (%c0{{[_0-9]*}}) to (%c32) step (%c1{{[_0-9]*}}) {
// ALL-NOT: scf.parallel
// ALL: return
#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @serial(%small: memref<2x1x32x32xf32>, %small_out: memref<2x1x32x32xf32>,
                  %rows: memref<512x1024xf32>, %sums: memref<512xf32>,
                  %flat: memref<1048576xf32>, %flat_out: memref<1048576xf32>) {
  linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%small : memref<2x1x32x32xf32>) outs(%small_out : memref<2x1x32x32xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%rows : memref<512x1024xf32>) outs(%sums : memref<512xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%flat : memref<1048576xf32>) outs(%flat_out : memref<1048576xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  return
}
