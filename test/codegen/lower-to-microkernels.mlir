// RUN: kiln-opt %s --split-input-file --kiln-lower-to-microkernels | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-lower-to-microkernels="vector-width=8 conv-rows=4" | FileCheck %s --check-prefix=SMALL

// Tests that a unit-stride convolution becomes a register-blocked kernel:
// rows of output channels x three vectors of columns accumulated across the
// (ic, kh, kw) loops, the constant filter repacked so that a step's
// broadcast weights are adjacent, and the last partial columns masked.
// CHECK-LABEL: memref.global "private" constant @w_packed : memref<1x3x3x3x8xf32>
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[IN:.*]]: memref<1x3x10x56xf32>, %[[OUT:.*]]: memref<1x8x8x54xf32>)
// CHECK: %[[W:.*]] = memref.get_global @w_packed
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[OCB:.*]] =
// CHECK: scf.for %[[OH:.*]] =
// CHECK: scf.for %[[OW:.*]] = %{{.*}} to %c48 step %c48
// CHECK-COUNT-24: vector.load %[[OUT]]
// CHECK: scf.for %[[IC:.*]] = {{.*}} iter_args(
// CHECK: scf.for %[[KH:.*]] = {{.*}} iter_args(
// CHECK: scf.for %[[KW:.*]] = {{.*}} iter_args(
// CHECK-COUNT-3: vector.load %[[IN]]
// CHECK: memref.load %[[W]][%[[OCB]], %[[IC]], %[[KH]], %[[KW]], %c0]
// CHECK: vector.broadcast
// CHECK-COUNT-3: vector.fma
// CHECK: vector.store
// CHECK: vector.create_mask %c6 : vector<16xi1>
// CHECK: vector.maskedload %[[OUT]]
// CHECK: vector.maskedstore %[[OUT]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// SMALL-LABEL: func.func @conv
// SMALL: memref.get_global @w_packed : memref<8x3x3x3x1xf32>
// SMALL: vector.fma {{.*}} : vector<8xf32>
memref.global "private" constant @w : memref<8x3x3x3xf32> = dense<1.0>
func.func @conv(%in: memref<1x3x10x56xf32>, %out: memref<1x8x8x54xf32>) {
  %w = memref.get_global @w : memref<8x3x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x3x10x56xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x54xf32>)
  return
}

// -----

// Tests that a convolution with a horizontal stride first splits each input
// row into its stride phases, so that the kernel's column vectors are
// contiguous again, and frees that scratch buffer afterwards.
// CHECK-LABEL: func.func @strided
// CHECK: %[[PHASED:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x3x9x2x5xf32>
// CHECK: memref.store %{{.*}}, %[[PHASED]]
// CHECK: arith.remui
// CHECK: arith.divui
// CHECK: vector.maskedload %[[PHASED]]
// CHECK: vector.fma
// CHECK: memref.dealloc %[[PHASED]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @strided(%in: memref<1x3x9x9xf32>, %w: memref<4x3x3x3xf32>, %out: memref<1x4x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
    ins(%in, %w : memref<1x3x9x9xf32>, memref<4x3x3x3xf32>) outs(%out : memref<1x4x4x4xf32>)
  return
}

// -----

// Tests that a filter whose values are unknown is read in its own layout.
// CHECK-LABEL: func.func @unpacked
// CHECK-SAME: %[[W:[^:]*]]: memref<4x3x3x3xf32>
// CHECK: memref.load %[[W]]
// CHECK: vector.fma
func.func @unpacked(%in: memref<1x3x6x6xf32>, %w: memref<4x3x3x3xf32>, %out: memref<1x4x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x3x6x6xf32>, memref<4x3x3x3xf32>) outs(%out : memref<1x4x4x4xf32>)
  return
}

// -----

// Tests that y = x W^T becomes a kernel vectorised along the reduction, with
// a masked tail and one horizontal sum per output added to the bias already
// in the output.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: memref<2x40xf32>, %[[W:.*]]: memref<6x40xf32>, %[[Y:.*]]: memref<2x6xf32>)
// CHECK: scf.for {{.*}} to %c32 step %c16 iter_args(
// CHECK: vector.load %[[X]]
// CHECK: vector.load %[[W]]
// CHECK: vector.fma
// CHECK: vector.create_mask %c8 : vector<16xi1>
// CHECK: vector.maskedload %[[W]]
// CHECK: %[[OLD:.*]] = memref.load %[[Y]]
// CHECK: vector.reduction <add>, %{{.*}}, %[[OLD]]
// CHECK: memref.store
// CHECK-NOT: linalg.matmul
func.func @linear(%x: memref<2x40xf32>, %w: memref<6x40xf32>, %y: memref<2x6xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w : memref<2x40xf32>, memref<6x40xf32>) outs(%y : memref<2x6xf32>)
  return
}

// -----

// Tests that a plain matmul (B not transposed) is left alone.
// CHECK-LABEL: func.func @plain_matmul
// CHECK: linalg.matmul
func.func @plain_matmul(%a: memref<2x4xf32>, %b: memref<4x3xf32>, %c: memref<2x3xf32>) {
  linalg.matmul ins(%a, %b : memref<2x4xf32>, memref<4x3xf32>) outs(%c : memref<2x3xf32>)
  return
}

// -----

// Tests that a convolution with enough work runs its output-channel blocks
// as an scf.parallel loop (the runtime's thread pool), and that a small one
// stays a plain loop.
// CHECK-LABEL: func.func @big_conv
// CHECK: scf.for
// CHECK-NEXT: scf.parallel
// CHECK-LABEL: func.func @small_conv
// CHECK-NOT: scf.parallel
func.func @big_conv(%in: memref<1x64x34x34xf32>, %w: memref<64x64x3x3xf32>, %out: memref<1x64x32x32xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x64x34x34xf32>, memref<64x64x3x3xf32>) outs(%out : memref<1x64x32x32xf32>)
  return
}
func.func @small_conv(%in: memref<1x3x6x6xf32>, %w: memref<4x3x3x3xf32>, %out: memref<1x4x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x3x6x6xf32>, memref<4x3x3x3xf32>) outs(%out : memref<1x4x4x4xf32>)
  return
}
