// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels="pool-scratch-bytes=0" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels="vector-width=8 conv-rows=4 conv-lanes=columns" | FileCheck %s --check-prefix=SMALL
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels | FileCheck %s --check-prefix=WHOLE
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels="l2-cache-bytes=1024" | FileCheck %s --check-prefix=PREFETCH
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels="conv-lanes=columns" | FileCheck %s --check-prefix=COLUMNS
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels="conv-lanes=channels" | FileCheck %s --check-prefix=CHANNELS
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-lower-to-microkernels="vector-width=8 conv-rows=12" | FileCheck %s --check-prefix=AVX2
// RUN: kiln-opt %s --split-input-file --kiln-lower-to-microkernels | FileCheck %s --check-prefix=DWLOADS
// RUN: not kiln-opt %s --split-input-file --kiln-lower-to-microkernels="conv-lanes=rows" 2>&1 | FileCheck %s --check-prefix=BADLANES
// BADLANES: error: conv-lanes must be auto, columns or channels, not 'rows'

// Tests that a unit-stride convolution becomes a register-blocked kernel:
// rows of output channels x three vectors of columns accumulated across the
// (ic, kh, kw) loops, the constant filter repacked so that a step's
// broadcast weights are adjacent, and the last partial columns masked. Each
// (channel block, output row) pair is one task of the loop that threads
// share.
// CHECK-LABEL: memref.global "private" constant @w_packed : memref<1x3x3x3x8xf32>
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[IN:.*]]: memref<1x3x10x56xf32>, %[[OUT:.*]]: memref<1x8x8x54xf32>)
// CHECK: %[[W:.*]] = memref.get_global @w_packed
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[TASK:.*]] = %c0 to %c8 step %c1
// CHECK: %[[OCB:.*]] = arith.divui %[[TASK]], %c8
// CHECK: %[[OH:.*]] = arith.remui %[[TASK]], %c8
// CHECK: scf.for %[[OW:.*]] = %{{.*}} to %c48 step %c48
// CHECK-COUNT-24: vector.load %[[OUT]]
// CHECK: scf.for %[[IC:.*]] = {{.*}} iter_args(
// CHECK: scf.for %[[KH:.*]] = {{.*}} iter_args(
// CHECK: scf.for %[[KW:.*]] = {{.*}} iter_args(
// CHECK-NOT: memref.prefetch
// CHECK-COUNT-3: vector.load %[[IN]]
// CHECK-NOT: memref.prefetch
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

// Tests that the tasks of every image of a batch make one loop, image by
// image (one fork per layer, not one per image): 2 images x 8 rows.
// CHECK-LABEL: func.func @conv_batch
// CHECK-SAME: (%[[IN:.*]]: memref<2x3x10x56xf32>, %[[OUT:.*]]: memref<2x8x8x54xf32>)
// CHECK: scf.for %[[T:.*]] = %c0 to %c16 step %c1
// CHECK-NEXT: %[[N:.*]] = arith.divui %[[T]], %c8
// CHECK-NEXT: %[[TASK:.*]] = arith.remui %[[T]], %c8
// CHECK: %[[OCB:.*]] = arith.divui %[[TASK]], %c8
// CHECK: %[[OH:.*]] = arith.remui %[[TASK]], %c8
// CHECK: vector.load %[[OUT]][%[[N]],
// CHECK-NOT: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: return
memref.global "private" constant @w : memref<8x3x3x3xf32> = dense<1.0>
func.func @conv_batch(%in: memref<2x3x10x56xf32>, %out: memref<2x8x8x54xf32>) {
  %w = memref.get_global @w : memref<8x3x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<2x3x10x56xf32>, memref<8x3x3x3xf32>) outs(%out : memref<2x8x8x54xf32>)
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

// Tests that a batch of rows times a constant W runs with the outputs along
// the vector lanes: W is packed as [blocks, K, V*16] (20 outputs pad to two
// vectors, zeros past row 20), each step loads the block's weight vectors
// once and multiplies them by broadcast elements of x, and the last vector's
// lanes past N are masked on the final load and store. No horizontal sums.
// W (5 KB) fits in L2, so nothing is prefetched; with a smaller L2, each
// weight vector is prefetched ahead (8 KB: 64 steps of 128 bytes).
// CHECK-LABEL: memref.global "private" constant @w_batch_packed : memref<1x40x32xf32>
// CHECK-LABEL: func.func @linear_batch
// CHECK-SAME: (%[[X:.*]]: memref<4x40xf32>, %[[Y:.*]]: memref<4x20xf32>)
// CHECK: %[[P:.*]] = memref.get_global @w_batch_packed
// CHECK: scf.for %[[K:.*]] = %c0 to %c40 step %c1 iter_args(
// CHECK-NOT: memref.prefetch
// CHECK: vector.load %[[P]][%{{.*}}, %[[K]], %c0]
// CHECK: vector.load %[[P]][%{{.*}}, %[[K]], %c16]
// CHECK: %[[XK:.*]] = memref.load %[[X]][%{{.*}}, %[[K]]]
// CHECK: vector.broadcast %[[XK]] : f32 to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.create_mask
// CHECK: vector.maskedload %[[Y]]
// CHECK: vector.maskedstore %[[Y]]
// CHECK-NOT: vector.reduction
// CHECK-NOT: linalg.matmul
// PREFETCH-LABEL: func.func @linear_batch
// PREFETCH: scf.for %[[K:.*]] = %c0 to %c40 step %c1 iter_args(
// PREFETCH: %[[AHEAD:.*]] = arith.addi %[[K]], %c64
// PREFETCH: memref.prefetch %{{.*}}[%{{.*}}, %[[AHEAD]], %c0], read, locality<3>, data
// PREFETCH: vector.load
// PREFETCH: memref.prefetch %{{.*}}[%{{.*}}, %[[AHEAD]], %c16], read, locality<3>, data
memref.global "private" constant @w_batch : memref<20x40xf32> = dense<0.5>
func.func @linear_batch(%x: memref<4x40xf32>, %y: memref<4x20xf32>) {
  %w = memref.get_global @w_batch : memref<20x40xf32>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w : memref<4x40xf32>, memref<20x40xf32>) outs(%y : memref<4x20xf32>)
  return
}

// -----

// Tests that a fused linear + ReLU on a batch with constant weights adds the
// bias vector and applies ReLU in registers before an unmasked store (32
// outputs: two full vectors).
// CHECK-LABEL: func.func @fused_linear_batch
// CHECK-SAME: (%[[X:[^:]*]]: memref<8x40xf32>, %[[B:[^:]*]]: memref<32xf32>, %[[Y:[^:]*]]: memref<8x32xf32>)
// CHECK-NOT: linalg.
// CHECK: vector.fma
// CHECK: %[[BIAS:.*]] = vector.load %[[B]]
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %[[BIAS]] : vector<16xf32>
// CHECK: %[[ACT:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[ACT]], %[[Y]]
// CHECK-NOT: linalg.
// CHECK-NOT: vector.reduction
// CHECK: return
memref.global "private" constant @w_fused : memref<32x40xf32> = dense<0.25>
func.func @fused_linear_batch(%x: memref<8x40xf32>, %b: memref<32xf32>, %y: memref<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w_fused : memref<32x40xf32>
  linalg.broadcast ins(%b : memref<32xf32>) outs(%y : memref<8x32xf32>) dimensions = [0] {kiln.fusion_group = 1 : i64}
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] {kiln.epilogue = {relu}, kiln.fusion_group = 1 : i64}
    ins(%x, %w : memref<8x40xf32>, memref<32x40xf32>) outs(%y : memref<8x32xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<8x32xf32>) outs(%y : memref<8x32xf32>) attrs = {kiln.fusion_group = 1 : i64} {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tests that at batch 1 a constant W is packed too (one sequential stream
// per block of outputs), and that weights known only at run time take the
// GEMV kernel: rows of W streamed along the reduction, one horizontal sum
// per output.
// CHECK-LABEL: memref.global "private" constant @w_gemv_packed : memref<1x40x32xf32>
// CHECK-LABEL: func.func @linear_batch1
// CHECK: memref.get_global @w_gemv_packed
// CHECK-NOT: vector.reduction
// CHECK-LABEL: func.func @linear_gemv
// CHECK-NOT: memref.get_global
// CHECK: vector.reduction <add>
memref.global "private" constant @w_gemv : memref<20x40xf32> = dense<0.5>
func.func @linear_batch1(%x: memref<1x40xf32>, %y: memref<1x20xf32>) {
  %w = memref.get_global @w_gemv : memref<20x40xf32>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w : memref<1x40xf32>, memref<20x40xf32>) outs(%y : memref<1x20xf32>)
  return
}
func.func @linear_gemv(%x: memref<1x40xf32>, %w: memref<20x40xf32>, %y: memref<1x20xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w : memref<1x40xf32>, memref<20x40xf32>) outs(%y : memref<1x20xf32>)
  return
}

// -----

// Tests that a linear layer large enough for threads splits its outputs
// into at least 16 blocks for even shares: 63 vectors of outputs take 21
// blocks of 3 vectors, not 7 of 9.
// CHECK-LABEL: memref.global "private" constant @w_threaded_packed : memref<21x2048x48xf32>
// CHECK-LABEL: func.func @linear_threaded_blocks
// CHECK: scf.parallel
// CHECK-COUNT-3: vector.fma
// CHECK-NOT: vector.fma
// CHECK: scf.reduce
memref.global "private" constant @w_threaded : memref<1008x2048xf32> = dense<0.25>
func.func @linear_threaded_blocks(%x: memref<1x2048xf32>, %y: memref<1x1008xf32>) {
  %w = memref.get_global @w_threaded : memref<1008x2048xf32>
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w : memref<1x2048xf32>, memref<1008x2048xf32>) outs(%y : memref<1x1008xf32>)
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

// Tests that a convolution whose input is a channel slice of a larger
// buffer (a strided view: ShuffleNet's channel split) reads a dense copy of
// it, freed at the end of the block, and becomes a kernel like any other;
// a matmul whose weights are strided keeps its generic form, uncopied.
// CHECK-LABEL: func.func @sliced_input
// CHECK-SAME: (%[[IN:.*]]: memref<1x8x6x6xf32>
// CHECK: %[[SLICE:.*]] = memref.subview %[[IN]][0, 4, 0, 0] [1, 4, 6, 6] [1, 1, 1, 1]
// CHECK: %[[DENSE:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x4x6x6xf32>
// CHECK-NEXT: linalg.copy ins(%[[SLICE]] : memref<1x4x6x6xf32, strided<[288, 36, 6, 1], offset: 144>>) outs(%[[DENSE]] : memref<1x4x6x6xf32>)
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: vector.fma
// CHECK: memref.dealloc %[[DENSE]]
// CHECK-NEXT: return
// CHECK-LABEL: func.func @strided_weights
// CHECK-NOT: memref.alloc
// CHECK: linalg.matmul
func.func @sliced_input(%in: memref<1x8x6x6xf32>, %w: memref<4x4x1x1xf32>, %out: memref<1x4x6x6xf32>) {
  %slice = memref.subview %in[0, 4, 0, 0] [1, 4, 6, 6] [1, 1, 1, 1] : memref<1x8x6x6xf32> to memref<1x4x6x6xf32, strided<[288, 36, 6, 1], offset: 144>>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%slice, %w : memref<1x4x6x6xf32, strided<[288, 36, 6, 1], offset: 144>>, memref<4x4x1x1xf32>) outs(%out : memref<1x4x6x6xf32>)
  return
}
func.func @strided_weights(%a: memref<2x4xf32>, %b: memref<4x6xf32>, %c: memref<2x3xf32>) {
  %bs = memref.subview %b[0, 0] [4, 3] [1, 2] : memref<4x6xf32> to memref<4x3xf32, strided<[6, 2]>>
  linalg.matmul ins(%a, %bs : memref<2x4xf32>, memref<4x3xf32, strided<[6, 2]>>) outs(%c : memref<2x3xf32>)
  return
}

// -----

// Tests that a convolution with enough work runs its output-channel blocks
// as an scf.parallel loop (the runtime's thread pool), and that a small one
// stays a plain loop. With its reduction in one chunk, a layer with few
// blocks (3 of 8 channels) shares (block, row) tasks instead.
// CHECK-LABEL: func.func @big_conv
// CHECK: scf.for
// CHECK-NEXT: scf.parallel
// CHECK-LABEL: func.func @small_conv
// CHECK-NOT: scf.parallel
// CHECK-LABEL: func.func @few_blocks_conv
// CHECK: scf.parallel (%[[TASK:.*]]) = (%c0) to (%c192) step (%c1)
// CHECK-NEXT: %[[OCB:.*]] = arith.divui %[[TASK]], %c64
// CHECK-NEXT: %[[OH:.*]] = arith.remui %[[TASK]], %c64
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
func.func @few_blocks_conv(%in: memref<1x3x66x66xf32>, %w: memref<24x3x3x3xf32>, %out: memref<1x24x64x64xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x3x66x66xf32>, memref<24x3x3x3xf32>) outs(%out : memref<1x24x64x64xf32>)
  return
}

// -----

// Tests that an unfused convolution (no group marks) whose output a bias
// broadcast has just filled starts its sums from the bias in registers, as
// a fused one does, and the broadcast (a pass over the whole output) goes
// away; so does a linear layer's. When the output is read between the
// broadcast and the convolution, the broadcast stays and the sums start
// from the output.
// CHECK-LABEL: func.func @bias_start
// CHECK-SAME: (%[[IN:[^:]*]]: memref<1x3x10x10xf32>, %[[B:[^:]*]]: memref<8xf32>, %[[OUT:[^:]*]]: memref<1x8x8x8xf32>
// CHECK-NOT: linalg.broadcast
// CHECK: memref.load %[[B]]
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK: vector.maskedstore %[[OUT]]
// CHECK-NOT: linalg.
// CHECK: return
// CHECK-LABEL: func.func @bias_start_linear
// CHECK-NOT: linalg.broadcast
// CHECK-NOT: linalg.matmul
// CHECK: return
// CHECK-LABEL: func.func @bias_read_before
// CHECK: linalg.broadcast
// CHECK: linalg.copy
// CHECK: vector.maskedload %{{.*}} : memref<1x8x8x8xf32>
// CHECK: vector.fma
func.func @bias_start(%in: memref<1x3x10x10xf32>, %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %w = memref.get_global @w8x3 : memref<8x3x3x3xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3]
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  return
}
memref.global "private" constant @w8x3 : memref<8x3x3x3xf32> = dense<0.5>
memref.global "private" constant @fc : memref<32x64xf32> = dense<0.25>
func.func @bias_start_linear(%x: memref<4x64xf32>, %b: memref<32xf32>, %out: memref<4x32xf32>) {
  %w = memref.get_global @fc : memref<32x64xf32>
  linalg.broadcast ins(%b : memref<32xf32>) outs(%out : memref<4x32xf32>) dimensions = [0]
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%x, %w : memref<4x64xf32>, memref<32x64xf32>) outs(%out : memref<4x32xf32>)
  return
}
func.func @bias_read_before(%in: memref<1x3x10x10xf32>, %b: memref<8xf32>, %out: memref<1x8x8x8xf32>, %seen: memref<1x8x8x8xf32>) {
  %w = memref.get_global @w8x3 : memref<8x3x3x3xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3]
  linalg.copy ins(%out : memref<1x8x8x8xf32>) outs(%seen : memref<1x8x8x8xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  return
}

// -----

// Tests that an intact fused group (bias broadcast, convolution with its
// epilogue, in-place ReLU, pooling fill, max pooling) becomes one kernel:
// the accumulators start from the bias, ReLU is applied on the way to a ring
// of pool_kernel (2) conv rows per channel block, and a pooling loop reads
// the ring into the group's result, pooled columns along the lanes (each
// window element the even lanes of two loads of its row, as the stride is
// 2; the 4 pooled columns masked). After the ReLU, the max is the unsigned
// integer max of the values' bits (for values in [+0, +inf] and NaNs it is
// the NaN-propagating max; from +0, which folds away). No op of the group
// is left.
// CHECK-LABEL: func.func @fused_conv_relu_maxpool
// CHECK-SAME: (%[[IN:[^:]*]]: memref<1x3x10x10xf32>, %[[W:[^:]*]]: memref<8x3x3x3xf32>, %[[B:[^:]*]]: memref<8xf32>, %[[OUT:[^:]*]]: memref<1x8x4x4xf32>)
// CHECK-NOT: linalg.
// CHECK: %[[RING:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
// CHECK: memref.load %[[B]]
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK: %[[ACT:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[SLOT:.*]] = arith.remui %{{.*}}, %c2 : index
// CHECK: vector.maskedstore %[[RING]][%{{.*}}, %[[SLOT]], %c0, %c0], %{{.*}}, %[[ACT]]
// CHECK: scf.for
// CHECK: %[[TAIL:.*]] = vector.create_mask %c4 : vector<16xi1>
// CHECK: %[[LOW:.*]] = vector.maskedload %[[RING]]
// CHECK: %[[HIGH:.*]] = vector.maskedload %[[RING]]
// CHECK: vector.shuffle %[[LOW]], %[[HIGH]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK: %[[MAX:.*]] = arith.maxui %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: arith.bitcast %[[MAX]] : vector<16xi32> to vector<16xf32>
// CHECK-NOT: arith.maximumf
// CHECK: vector.maskedstore %[[OUT]][%{{.*}}], %[[TAIL]]
// CHECK: memref.dealloc %[[RING]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_relu_maxpool(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                   %b: memref<8xf32>, %out: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%conv : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x4x4xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x8x4x4xf32>)
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a fused max pooling without a ReLU before it keeps the
// NaN-propagating float max: its values may be negative.
// CHECK-LABEL: func.func @fused_conv_maxpool_no_relu
// CHECK-NOT: linalg.
// CHECK: vector.fma
// CHECK: vector.shuffle
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-NOT: arith.maxui
// CHECK: return
func.func @fused_conv_maxpool_no_relu(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                      %b: memref<8xf32>, %out: memref<1x8x4x4xf32>) {
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x4x4xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x8x4x4xf32>)
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a fused average pool without bias or ReLU sums the ring
// window (3x2 here, so a ring of 3 rows) from zero and divides by the
// window size, like the unfused sum pooling and division it replaces.
// CHECK-LABEL: func.func @fused_conv_avgpool
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x2x3xf32>)
// CHECK-NOT: linalg.
// CHECK-DAG: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK: %[[RING:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x3x8x8xf32>
// CHECK: scf.for {{.*}} iter_args(%{{[^ ]*}} = %[[ZEROS]],
// CHECK: vector.fma
// CHECK-NOT: arith.maximumf
// CHECK: vector.maskedstore %[[RING]]
// CHECK: %[[FIRST:.*]] = vector.gather
// CHECK: arith.addf %[[FIRST]], %[[ZEROS]] : vector<16xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]]
// CHECK: memref.dealloc %[[RING]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_avgpool(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                              %out: memref<1x8x2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.fill {kiln.fusion_group = 3 : i64} ins(%zero : f32) outs(%conv : memref<1x8x8x8xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "avg", pool_kernel = array<i64: 3, 2>, pool_stride = array<i64: 3, 3>}, kiln.fusion_group = 3 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  %window = memref.alloc() : memref<3x2xf32>
  linalg.fill {kiln.fusion_group = 3 : i64} ins(%zero : f32) outs(%out : memref<1x8x2x3xf32>)
  linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 3 : i64, strides = dense<3> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<3x2xf32>) outs(%out : memref<1x8x2x3xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x2x3xf32>) outs(%out : memref<1x8x2x3xf32>) attrs = {kiln.fusion_group = 3 : i64} {
  ^bb0(%x: f32, %o: f32):
    %d = arith.divf %x, %six : f32
    linalg.yield %d : f32
  }
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a fused conv + ReLU without pooling stores max(acc, 0) straight
// into the group's result, with no ring and no ReLU generic left.
// CHECK-LABEL: func.func @fused_conv_relu
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK-NOT: linalg.
// CHECK-NOT: memref.alloc
// CHECK: vector.fma
// CHECK: %[[ACT:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[ACT]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_relu(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                           %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tests that a fused conv + clamp (ReLU6) stores min(max(acc, 0), 6) straight
// into the group's result, with no clamp generic left.
// CHECK-LABEL: func.func @fused_conv_relu6
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK-NOT: linalg.
// CHECK: vector.fma
// CHECK: %[[LO:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[HI:.*]] = arith.minimumf %[[LO]], %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[HI]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_relu6(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                            %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {clamp = array<f32: 0.0, 6.0>}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %lo = arith.maximumf %x, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  }
  return
}

// -----

// Tests that a group whose clamp generic computes other bounds than the
// epilogue says runs as its ops (the generic stays).
// CHECK-LABEL: func.func @fused_clamp_disagrees
// CHECK: linalg.generic
// CHECK: arith.minimumf
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_clamp_disagrees(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                 %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %five = arith.constant 5.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {clamp = array<f32: 0.0, 6.0>}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %lo = arith.maximumf %x, %zero : f32
    %hi = arith.minimumf %lo, %five : f32
    linalg.yield %hi : f32
  }
  return
}

// -----

// Tests that a fused convolution + hard swish applies it in registers
// before the store, in its generic's order: (x * min(max(x + 3, 0), 6)) / 6;
// the generic is gone.
// CHECK-LABEL: func.func @fused_conv_hardswish
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK-NOT: linalg.
// CHECK: vector.fma
// CHECK: %[[X3:.*]] = arith.addf %[[X:.*]], %{{.*}} : vector<16xf32>
// CHECK: %[[LO:.*]] = arith.maximumf %[[X3]], %{{.*}} : vector<16xf32>
// CHECK: %[[GATE:.*]] = arith.minimumf %[[LO]], %{{.*}} : vector<16xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[X]], %[[GATE]] : vector<16xf32>
// CHECK: %[[Y:.*]] = arith.divf %[[P]], %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[Y]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_hardswish(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %three = arith.constant 3.0 : f32
  %six = arith.constant 6.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {hardswish}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %three : f32
    %lo = arith.maximumf %s, %zero : f32
    %gate = arith.minimumf %lo, %six : f32
    %p = arith.mulf %x, %gate : f32
    %y = arith.divf %p, %six : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Tests that a fused convolution + SiLU applies it in registers before the
// store, in its generic's order: x * (1 / (1 + exp(-x))); the generic, its
// 1 on either side of the sum (canonicalization moves it right), is gone.
// A generic that is not the SiLU the epilogue says (here x * (1 / (2 +
// exp(-x)))) runs as its ops.
// CHECK-LABEL: func.func @fused_conv_silu
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK-NOT: linalg.
// CHECK: vector.fma
// CHECK: %[[NEG:.*]] = arith.negf %[[X:.*]] : vector<16xf32>
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : vector<16xf32>
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[EXP]], %{{.*}} : vector<16xf32>
// CHECK-NEXT: %[[S:.*]] = arith.divf %{{.*}}, %[[DEN]] : vector<16xf32>
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %[[S]] : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[Y]]
// CHECK-NOT: linalg.
// CHECK: return
// CHECK-LABEL: func.func @fused_silu_disagrees
// CHECK: linalg.generic
// CHECK: math.exp
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_silu(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                           %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {silu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %one, %d : f32
    %y = arith.mulf %x, %s : f32
    linalg.yield %y : f32
  }
  return
}
func.func @fused_silu_disagrees(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 1 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {silu}, kiln.fusion_group = 1 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 1 : i64} {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %two : f32
    %s = arith.divf %one, %d : f32
    %y = arith.mulf %x, %s : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Tests that a group whose generic is not the hard swish the epilogue says
// (here x * relu6(x + 3) * 6) runs as its ops.
// CHECK-LABEL: func.func @fused_hardswish_disagrees
// CHECK: linalg.generic
// CHECK: arith.mulf
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_hardswish_disagrees(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                     %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %three = arith.constant 3.0 : f32
  %six = arith.constant 6.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {hardswish}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %three : f32
    %lo = arith.maximumf %s, %zero : f32
    %gate = arith.minimumf %lo, %six : f32
    %p = arith.mulf %x, %gate : f32
    %y = arith.mulf %p, %six : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Tests that a fused linear + ReLU group becomes the linear kernel, which
// starts each sum from the bias buffer and applies ReLU before storing; the
// broadcast and the ReLU generic are gone.
// CHECK-LABEL: func.func @fused_linear_relu
// CHECK-SAME: (%[[X:[^:]*]]: memref<2x40xf32>, %[[W:[^:]*]]: memref<6x40xf32>, %[[B:[^:]*]]: memref<6xf32>, %[[Y:[^:]*]]: memref<2x6xf32>)
// CHECK-NOT: linalg.
// CHECK: vector.fma
// CHECK: %[[BIAS:.*]] = memref.load %[[B]]
// CHECK: %[[SUM:.*]] = vector.reduction <add>, %{{.*}}, %[[BIAS]]
// CHECK: %[[ACT:.*]] = arith.maximumf %[[SUM]], %{{.*}} : f32
// CHECK: memref.store %[[ACT]], %[[Y]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2) -> (d0, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d1, d2)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map3 = affine_map<(d0, d1) -> (d0, d1)>
func.func @fused_linear_relu(%x: memref<2x40xf32>, %w: memref<6x40xf32>, %b: memref<6xf32>,
                             %y: memref<2x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.broadcast ins(%b : memref<6xf32>) outs(%y : memref<2x6xf32>) dimensions = [0] {kiln.fusion_group = 1 : i64}
  linalg.matmul indexing_maps = [#map, #map1, #map2] {kiln.epilogue = {relu}, kiln.fusion_group = 1 : i64}
    ins(%x, %w : memref<2x40xf32>, memref<6x40xf32>) outs(%y : memref<2x6xf32>)
  linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<2x6xf32>) outs(%y : memref<2x6xf32>) attrs = {kiln.fusion_group = 1 : i64} {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tests that a group whose epilogue names a pooling that is missing (a
// cleanup removed it) is left unfused: the convolution still becomes a
// kernel, accumulating onto the bias already in its output, and the bias
// broadcast and the ReLU generic stay.
// CHECK-LABEL: func.func @group_op_missing
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: linalg.broadcast
// CHECK: vector.maskedload %[[OUT]]
// CHECK: vector.fma
// CHECK: vector.maskedstore %[[OUT]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: linalg.generic
// CHECK: arith.maximumf
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @group_op_missing(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                            %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tests that a group whose intermediate buffer (the ReLU'd convolution) is
// also read by an unmarked op is left unfused, since fusing would never
// write that buffer in full: the convolution becomes a plain kernel into
// it, and the ReLU, the pooling and the copy stay.
// CHECK-LABEL: func.func @intermediate_read_outside
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x4x4xf32>, %[[SIDE:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK: %[[CONV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
// CHECK-NOT: memref.alloc
// CHECK: linalg.broadcast
// CHECK: vector.maskedload %[[CONV]]
// CHECK: vector.fma
// CHECK: vector.maskedstore %[[CONV]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: linalg.generic
// CHECK: linalg.fill
// CHECK: linalg.pooling_nchw_max
// CHECK: memref.copy %[[CONV]], %[[SIDE]]
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @intermediate_read_outside(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                     %b: memref<8xf32>, %out: memref<1x8x4x4xf32>,
                                     %side: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%conv : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x4x4xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x8x4x4xf32>)
  memref.copy %conv, %side : memref<1x8x8x8xf32> to memref<1x8x8x8xf32>
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a group whose epilogue disagrees with its pooling op (a 3x3
// window in the epilogue, 2x2 in the op) is left unfused: the fused kernel
// would pool other windows, and read convolution rows past the output.
// CHECK-LABEL: func.func @epilogue_disagrees_with_pool
// CHECK: %[[CONV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
// CHECK-NOT: memref.alloc() {alignment = 64 : i64}
// CHECK: vector.maskedstore %[[CONV]]
// CHECK: linalg.generic
// CHECK: linalg.pooling_nchw_max
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @epilogue_disagrees_with_pool(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                        %b: memref<8xf32>, %out: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 3, 3>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%conv : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x4x4xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x8x4x4xf32>)
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a group whose element-wise ops are not the ReLU and the
// average division the epilogue implies (max with 1, division by 2 for a
// 2x2 window) is left unfused: the conv kernel writes its own output and
// both generics stay.
// CHECK-LABEL: func.func @elementwise_ops_changed
// CHECK: %[[CONV:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
// CHECK-NOT: memref.alloc() {alignment = 64 : i64}
// CHECK: vector.maskedload %[[CONV]]
// CHECK: vector.maskedstore %[[CONV]]
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.pooling_nchw_sum
// CHECK: linalg.generic
// CHECK: arith.divf
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @elementwise_ops_changed(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                   %b: memref<8xf32>, %out: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "avg", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%conv : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %one : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%zero : f32) outs(%out : memref<1x8x4x4xf32>)
  linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x8x4x4xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x4x4xf32>) outs(%out : memref<1x8x4x4xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %d = arith.divf %x, %two : f32
    linalg.yield %d : f32
  }
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a group fuses as lowered, before any cleanup: the ReLU's zero
// still inside its body and the ReLU writing a buffer of its own. The
// kernel stores max(acc, 0) into that buffer; the convolution's buffer is
// left unused.
// CHECK-LABEL: func.func @fused_relu_not_in_place
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// CHECK-NOT: linalg.
// CHECK: %[[ACT:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[ACT]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_relu_not_in_place(%in: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>,
                                   %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%zero : f32) outs(%conv : memref<1x8x8x8xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %r = arith.maximumf %x, %c0 : f32
    linalg.yield %r : f32
  }
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests the default scratch of a small fused pooling whose reduction runs in
// chunks (64 input channels): the whole convolution output (channel block,
// row, channel, column) rather than a ring, filled chunk after chunk and
// then pooled (the last chunk's sums with the ReLU: an unsigned max).
// WHOLE-LABEL: func.func @fused_pool_whole_scratch
// WHOLE: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
// WHOLE: scf.for %{{.*}} = %c0 to %c2 step %c1
// WHOLE: vector.fma
// WHOLE: arith.maximumf {{.*}} : vector<16xf32>
// WHOLE: vector.maskedstore %[[SCRATCH]]
// WHOLE: vector.shuffle
// WHOLE: arith.maxui {{.*}} : vector<16xi32>
// WHOLE: vector.maskedstore %{{.*}}
// WHOLE: memref.dealloc %[[SCRATCH]]
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_pool_whole_scratch(%in: memref<1x64x10x10xf32>, %w: memref<8x64x3x3xf32>,
                                    %b: memref<8xf32>, %out: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x64x10x10xf32>, memref<8x64x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%conv : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x4x4xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x8x4x4xf32>)
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests the reduction in chunks: 64 input channels x 3x3 x 8 output channels
// take 18 KB of filter, so the kernel runs two chunks of 32 channels over
// every output row. The first chunk starts from the bias, the next from the
// partial sums in the result; only the last applies the ReLU.
// WHOLE-LABEL: func.func @fused_conv_relu_chunks
// WHOLE-SAME: %[[OUT:[^:]*]]: memref<1x8x8x8xf32>)
// WHOLE: scf.for %[[CHUNK:.*]] = %c0 to %c2 step %c1
// WHOLE-DAG: %[[FIRST:.*]] = arith.cmpi eq, %[[CHUNK]], %c0
// WHOLE-DAG: %[[LAST:.*]] = arith.cmpi eq, %[[CHUNK]], %c1
// WHOLE: scf.for %{{.*}} = %c0 to %c8 step %c1
// WHOLE: %[[PARTIAL:.*]] = vector.maskedload %[[OUT]]
// WHOLE: arith.select %[[FIRST]], %{{.*}}, %[[PARTIAL]] : vector<16xf32>
// WHOLE: scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(
// WHOLE: vector.fma
// WHOLE: %[[RELU:.*]] = arith.maximumf
// WHOLE: %[[ACT:.*]] = arith.select %[[LAST]], %[[RELU]], %{{.*}} : vector<16xf32>
// WHOLE: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[ACT]]
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_conv_relu_chunks(%in: memref<1x64x10x10xf32>, %w: memref<8x64x3x3xf32>,
                                  %b: memref<8xf32>, %out: memref<1x8x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.broadcast ins(%b : memref<8xf32>) outs(%out : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x64x10x10xf32>, memref<8x64x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%out : memref<1x8x8x8xf32>) outs(%out : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Tests the channel-lane kernel: 16 output channels of a stride-2
// convolution along the lanes, on the filter packed as [1, IC, KH, KW, 16].
// The six output columns of a row accumulate in six registers, each step
// multiplying one weight vector by each column's broadcast input; sums
// start from the output (which holds the bias) and leave by scatters one
// 6x6 plane apart. There is no stride-phase copy of the input. With
// conv-lanes=columns, the direct kernel runs instead, on phases.
// CHECK-LABEL: memref.global "private" constant @w_lanes_packed : memref<1x3x3x3x16xf32>
// CHECK-LABEL: func.func @lanes_strided
// CHECK-SAME: (%[[IN:[^:]*]]: memref<1x3x13x13xf32>, %[[OUT:[^:]*]]: memref<1x16x6x6xf32>)
// CHECK-DAG: %[[PLANES:.*]] = arith.constant dense<[0, 36, 72, 108, {{.*}}, 540]> : vector<16xi32>
// CHECK-DAG: %[[W:.*]] = memref.get_global @w_lanes_packed
// CHECK-DAG: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1, 2, 3]] : memref<1x16x6x6xf32> into memref<576xf32>
// CHECK-NOT: memref.alloc
// CHECK-COUNT-6: vector.gather %[[FLAT]][%{{.*}}] [%[[PLANES]]]
// CHECK: scf.for {{.*}} iter_args(
// CHECK: scf.for {{.*}} iter_args(
// CHECK: scf.for {{.*}} iter_args(
// CHECK-COUNT-6: memref.load %[[IN]]
// CHECK: vector.load %[[W]]
// CHECK-COUNT-6: vector.fma
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-6: vector.scatter %[[FLAT]][%{{.*}}] [%[[PLANES]]]
// COLUMNS-LABEL: func.func @lanes_strided
// COLUMNS: memref.alloc() {alignment = 64 : i64} : memref<1x3x13x2x7xf32>
// COLUMNS-NOT: vector.scatter
// COLUMNS: return
memref.global "private" constant @w_lanes : memref<16x3x3x3xf32> = dense<0.5>
func.func @lanes_strided(%in: memref<1x3x13x13xf32>, %out: memref<1x16x6x6xf32>) {
  %w = memref.get_global @w_lanes : memref<16x3x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
    ins(%in, %w : memref<1x3x13x13xf32>, memref<16x3x3x3xf32>) outs(%out : memref<1x16x6x6xf32>)
  return
}

// -----

// Tests the channel-lane kernel with a fused bias, ReLU and 2x2 max pooling
// (LeNet-5's conv2: 10-column rows would fill 10 of 16 lanes): sums start
// from the bias vector, ReLU applies in registers on the way to a scratch
// holding the convolution output channels innermost, and the pooling reads
// it a vector of channels at a time and scatters each pooled vector to the
// result's 16 planes; the max, after the ReLU, as unsigned integers.
// CHECK-LABEL: func.func @lanes_fused_maxpool
// CHECK-SAME: (%[[IN:[^:]*]]: memref<1x6x14x14xf32>, %[[B:[^:]*]]: memref<16xf32>, %[[OUT:[^:]*]]: memref<1x16x5x5xf32>)
// CHECK-NOT: linalg.
// CHECK: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x10x10x16xf32>
// CHECK: vector.load %[[B]]
// CHECK: vector.fma
// CHECK: %[[ACT:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[ACT]], %[[SCRATCH]]
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]]
// CHECK: scf.for
// CHECK-COUNT-4: vector.load %[[SCRATCH]]
// CHECK: arith.maxui %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: %[[MAX:.*]] = arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.scatter %[[FLAT]][%{{.*}}] [%{{.*}}], %{{.*}}, %[[MAX]]
// CHECK: memref.dealloc %[[SCRATCH]]
// CHECK-NOT: linalg.
// CHECK: return
memref.global "private" constant @w_lanes_pool : memref<16x6x5x5xf32> = dense<0.5>
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @lanes_fused_maxpool(%in: memref<1x6x14x14xf32>, %b: memref<16xf32>,
                               %out: memref<1x16x5x5xf32>) {
  %w = memref.get_global @w_lanes_pool : memref<16x6x5x5xf32>
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x16x10x10xf32>
  linalg.broadcast ins(%b : memref<16xf32>) outs(%conv : memref<1x16x10x10xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 7 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 7 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x6x14x14xf32>, memref<16x6x5x5xf32>) outs(%conv : memref<1x16x10x10xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x16x10x10xf32>) outs(%conv : memref<1x16x10x10xf32>) attrs = {kiln.fusion_group = 7 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x2xf32>
  linalg.fill {kiln.fusion_group = 7 : i64} ins(%neginf : f32) outs(%out : memref<1x16x5x5xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 7 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x16x10x10xf32>, memref<2x2xf32>) outs(%out : memref<1x16x5x5xf32>)
  memref.dealloc %conv : memref<1x16x10x10xf32>
  return
}

// -----

// Tests that rows as wide as two full vectors keep columns along the lanes
// (both kernels fill every lane; the cost model does not switch on a tie),
// unless conv-lanes=channels asks for channels.
// CHECK-LABEL: func.func @lanes_wide_rows
// CHECK-NOT: vector.scatter
// CHECK: return
// CHANNELS-LABEL: func.func @lanes_wide_rows
// CHANNELS: vector.scatter
memref.global "private" constant @w_wide : memref<16x3x3x3xf32> = dense<0.5>
func.func @lanes_wide_rows(%in: memref<1x3x34x34xf32>, %out: memref<1x16x32x32xf32>) {
  %w = memref.get_global @w_wide : memref<16x3x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x3x34x34xf32>, memref<16x3x3x3xf32>) outs(%out : memref<1x16x32x32xf32>)
  return
}

// -----

// Tests that a fused pooling over convolution rows longer than 2^31 columns
// gathers (2x3 windows, stride 3) with i64 column offsets (i32 ones would
// wrap).
// CHECK-LABEL: func.func @fused_pool_wide_rows
// CHECK: arith.constant dense<[0, 3, 6, {{.*}}, 45]> : vector<16xi64>
// CHECK: vector.gather {{.*}} : memref<{{[0-9]+}}xf32>, vector<16xi64>, vector<16xi1>, vector<16xf32> into vector<16xf32>
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_pool_wide_rows(%in: memref<1x3x4x2147483652xf32>, %w: memref<8x3x3x3xf32>,
                                %b: memref<8xf32>, %out: memref<1x8x1x715827883xf32>) {
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x2x2147483650xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x2x2147483650xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 3>, pool_stride = array<i64: 2, 3>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x3x4x2147483652xf32>, memref<8x3x3x3xf32>) outs(%conv : memref<1x8x2x2147483650xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x2x2147483650xf32>) outs(%conv : memref<1x8x2x2147483650xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<2x3xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x1x715827883xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<[2, 3]> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x2x2147483650xf32>, memref<2x3xf32>) outs(%out : memref<1x8x1x715827883xf32>)
  memref.dealloc %conv : memref<1x8x2x2147483650xf32>
  return
}

// -----

// Tests that a depthwise convolution (one channel per group) becomes the
// depthwise kernel: 4 output rows x one masked vector of 10 columns of one
// channel per block, channels in the outer loop; each of the 3x3 taps
// multiplies one broadcast weight by the input vectors under the block,
// each loaded once (6 distinct rows x 3 tap columns); the sums start from
// the output, which holds the bias.
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME: (%[[IN:.*]]: memref<1x8x1x10x12xf32>, %[[W:.*]]: memref<8x1x1x3x3xf32>, %[[OUT:.*]]: memref<1x8x1x8x10xf32>)
// CHECK-DAG: %[[IN4:.*]] = memref.collapse_shape %[[IN]] {{\[}}[0], [1, 2], [3], [4]]
// CHECK-DAG: %[[OUT4:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0], [1, 2], [3], [4]]
// CHECK-DAG: %[[W3:.*]] = memref.collapse_shape %[[W]] {{\[}}[0, 1, 2], [3], [4]]
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[G:.*]] =
// CHECK: scf.for %[[OH:.*]] = %{{.*}} to %{{.*}} step %c4
// CHECK: %[[MASK:.*]] = vector.create_mask %c10 : vector<16xi1>
// CHECK-COUNT-4: vector.maskedload %[[OUT4]]
// CHECK-NOT: vector.maskedload %[[OUT4]]
// CHECK-COUNT-36: vector.fma
// CHECK-NOT: vector.fma
// CHECK-COUNT-4: vector.maskedstore %[[OUT4]]
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
// DWLOADS-LABEL: func.func @depthwise
// DWLOADS-COUNT-4: vector.maskedload %collapse_shape_0
// DWLOADS-COUNT-18: vector.maskedload %collapse_shape[
// DWLOADS-NOT: vector.maskedload
// DWLOADS: vector.maskedstore
func.func @depthwise(%in: memref<1x8x1x10x12xf32>, %w: memref<8x1x1x3x3xf32>, %out: memref<1x8x1x8x10xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x1x10x12xf32>, memref<8x1x1x3x3xf32>) outs(%out : memref<1x8x1x8x10xf32>)
  return
}

// -----

// Tests that a depthwise layer whose row count the row block does not divide
// (9 rows in blocks of 4) takes its last row in a block of its own, instead
// of falling back to blocks of one row (each output vector then one chain of
// dependent FMAs): 4 rows x 2 column vectors x 9 taps in the loop, then 1 x
// 2 x 9 after it.
// CHECK-LABEL: func.func @depthwise_tail_rows
// CHECK: scf.for %[[G:.*]] =
// CHECK: scf.for %[[OH:.*]] = %c0{{.*}} to %c8{{.*}} step %c4
// CHECK-COUNT-72: vector.fma
// CHECK-NOT: vector.fma
// CHECK: }
// CHECK-COUNT-18: vector.fma
// CHECK-NOT: vector.fma
// CHECK: vector.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %c8, %c0]
// CHECK-NEXT: vector.maskedstore %{{.*}}[%{{.*}}, %{{.*}}, %c8, %c16]
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
func.func @depthwise_tail_rows(%in: memref<1x8x1x11x20xf32>, %w: memref<8x1x1x3x3xf32>, %out: memref<1x8x1x9x18xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x1x11x20xf32>, memref<8x1x1x3x3xf32>) outs(%out : memref<1x8x1x9x18xf32>)
  return
}

// -----

// Tests that the channels of a depthwise layer as small as MobileNet's last
// ones (7x7 outputs, 960 channels: 0.42M multiply-adds, each costing about
// four of the dense kernels') run on the thread pool; @depthwise above, 8
// channels, stays a loop.
// CHECK-LABEL: func.func @depthwise_threads
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.parallel (%[[G:.*]]) = (%c0{{.*}}) to (%c960{{.*}}) step (%c1{{.*}})
// CHECK: vector.fma
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
func.func @depthwise_threads(%in: memref<1x960x1x9x9xf32>, %w: memref<960x1x1x3x3xf32>, %out: memref<1x960x1x7x7xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x960x1x9x9xf32>, memref<960x1x1x3x3xf32>) outs(%out : memref<1x960x1x7x7xf32>)
  return
}

// -----

// Tests that the channels of every image of a batch make one parallel loop
// (2 x 960 tasks), image by image.
// CHECK-LABEL: func.func @depthwise_batch
// CHECK-SAME: %[[OUT:[^:]*]]: memref<2x960x1x7x7xf32>
// CHECK-NOT: scf.for
// CHECK: scf.parallel (%[[T:.*]]) = (%c0{{.*}}) to (%c1920{{.*}}) step (%c1{{.*}})
// CHECK-NEXT: %[[N:.*]] = arith.divui %[[T]], %c960
// CHECK-NEXT: %[[G:.*]] = arith.remui %[[T]], %c960
// CHECK: vector.fma
func.func @depthwise_batch(%in: memref<2x960x1x9x9xf32>, %w: memref<960x1x1x3x3xf32>, %out: memref<2x960x1x7x7xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<2x960x1x9x9xf32>, memref<960x1x1x3x3xf32>) outs(%out : memref<2x960x1x7x7xf32>)
  return
}

// -----

// Tests that a strided depthwise convolution reads each channel's plane
// split into phases just before it (stride 2: columns 2j and 2j+1 of each
// row side by side, the last odd column zero-filled) in a scratch of one
// plane per channel, and that the taps read phase kw % 2 at position
// ow + kw / 2.
// CHECK-LABEL: func.func @depthwise_strided
// CHECK: %[[PLANES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x9x2x5xf32>
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[G:.*]] =
// CHECK: %[[PLANE:.*]] = memref.subview %[[PLANES]][%[[G]], 0, 0, 0] [1, 9, 2, 5] [1, 1, 1, 1]
// CHECK: scf.for %[[J:.*]] = %c0 to %c4 step %c1
// CHECK-COUNT-2: memref.store %{{.*}}, %[[PLANE]]
// CHECK: memref.store %{{.*}}, %[[PLANE]][%{{.*}}, %c0, %c4]
// CHECK: memref.store %[[ZERO:cst.*]], %[[PLANE]][%{{.*}}, %c1, %c4]
// CHECK: vector.maskedload %[[PLANE]]
// CHECK: vector.fma
// CHECK: memref.dealloc %[[PLANES]]
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
func.func @depthwise_strided(%in: memref<1x4x1x9x9xf32>, %w: memref<4x1x1x3x3xf32>, %out: memref<1x4x1x4x4xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x1x9x9xf32>, memref<4x1x1x3x3xf32>) outs(%out : memref<1x4x1x4x4xf32>)
  return
}

// -----

// Tests that 32 channels of a strided depthwise layer go to 16 groups, each
// with one plane of the scratch that its 2 channels (2 * group + i) split
// their inputs into one after the other, so that the plane is rewritten
// while in cache.
// CHECK-LABEL: func.func @depthwise_plane_groups
// CHECK-SAME: (%[[IN:[^:]*]]: memref<1x32x1x9x9xf32>
// CHECK: %[[IN4:.*]] = memref.collapse_shape %[[IN]]
// CHECK: %[[PLANES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<16x9x2x5xf32>
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[GROUP:.*]] = %c0{{.*}} to %c16{{.*}} step %c1
// CHECK: %[[PLANE:.*]] = memref.subview %[[PLANES]][%[[GROUP]], 0, 0, 0] [1, 9, 2, 5] [1, 1, 1, 1]
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to %c2{{.*}} step %c1
// CHECK: %[[TWICE:.*]] = arith.muli %[[GROUP]], %c2
// CHECK: %[[G:.*]] = arith.addi %[[I]], %[[TWICE]]
// CHECK: memref.load %[[IN4]][%[[N]], %[[G]],
// CHECK: memref.store %{{.*}}, %[[PLANE]]
// CHECK: vector.maskedload %[[PLANE]]
// CHECK: vector.fma
// CHECK: memref.dealloc %[[PLANES]]
func.func @depthwise_plane_groups(%in: memref<1x32x1x9x9xf32>, %w: memref<32x1x1x3x3xf32>, %out: memref<1x32x1x4x4xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x32x1x9x9xf32>, memref<32x1x1x3x3xf32>) outs(%out : memref<1x32x1x4x4xf32>)
  return
}

// -----

// Tests that a grouped convolution with two channels per group stays for the
// generic path.
// CHECK-LABEL: func.func @grouped_two_channels
// CHECK: linalg.conv_2d_ngchw_gfchw
func.func @grouped_two_channels(%in: memref<1x4x2x6x6xf32>, %w: memref<4x2x2x3x3xf32>, %out: memref<1x4x2x4x4xf32>) {
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x2x6x6xf32>, memref<4x2x2x3x3xf32>) outs(%out : memref<1x4x2x4x4xf32>)
  return
}

// -----

// Tests that a fused depthwise convolution + ReLU6 (its group marked through
// the reshaped views) becomes the depthwise kernel: sums start from the
// channel's bias, are clamped in registers and stored to the group's
// result; the bias broadcast and the clamp generic are gone.
// CHECK-LABEL: func.func @fused_depthwise_relu6
// CHECK-SAME: (%[[IN:.*]]: memref<1x8x1x10x12xf32>, %[[W:.*]]: memref<8x1x1x3x3xf32>, %[[B:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<1x8x8x10xf32>)
// CHECK-NOT: linalg.
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[G:.*]] =
// CHECK: %[[BIAS:.*]] = memref.load %[[B]][%[[G]]]
// CHECK: vector.broadcast %[[BIAS]]
// CHECK: vector.fma
// CHECK: %[[LO:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[HI:.*]] = arith.minimumf %[[LO]], %{{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %[[OUT]][{{.*}}], %{{.*}}, %[[HI]]
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_depthwise_relu6(%in: memref<1x8x1x10x12xf32>, %w: memref<8x1x1x3x3xf32>,
                                 %b: memref<8xf32>, %out: memref<1x8x8x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x10xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%acc : memref<1x8x8x10xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  %view = memref.expand_shape %acc [[0], [1, 2], [3], [4]] output_shape [1, 8, 1, 8, 10] : memref<1x8x8x10xf32> into memref<1x8x1x8x10xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {clamp = array<f32: 0.0, 6.0>}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x1x10x12xf32>, memref<8x1x1x3x3xf32>) outs(%view : memref<1x8x1x8x10xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x8x8x10xf32>) outs(%out : memref<1x8x8x10xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %lo = arith.maximumf %x, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  }
  memref.dealloc %acc : memref<1x8x8x10xf32>
  return
}

// -----

// Tests that a fused depthwise convolution + SiLU with wide rows (4 rows x 3
// vectors of 48 columns: 12 accumulators) stores its sums first and then
// applies the SiLU to each block of rows as one span of the plane (4 x 48 =
// 192 columns, 12 vectors), one vector at a time: on a dozen accumulators
// at once it spilled. A narrow plane (2 vectors x 4 rows: 8 accumulators)
// keeps the SiLU in registers before the store.
// CHECK-LABEL: func.func @fused_depthwise_silu_rows
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x2x4x48xf32>)
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0], [1], [2, 3]]
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[G:.*]] =
// CHECK-COUNT-108: vector.fma
// CHECK-NOT: math.exp
// CHECK-COUNT-12: vector.store %{{.*}}, %[[OUT]]
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to %c192{{.*}} step %c16
// CHECK: %[[AT:.*]] = arith.addi %{{.*}}, %[[I]]
// CHECK: %[[X:.*]] = vector.load %[[FLAT]][%[[N]], %[[G]], %[[AT]]]
// CHECK: math.exp
// CHECK: %[[Y:.*]] = arith.mulf %[[X]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[Y]], %[[FLAT]][%[[N]], %[[G]], %[[AT]]]
// CHECK-NOT: linalg.
// CHECK-LABEL: func.func @fused_depthwise_silu_narrow
// CHECK-NOT: memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]]
// CHECK: math.exp
// CHECK: vector.maskedstore
// CHECK-NOT: linalg.
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @fused_depthwise_silu_rows(%in: memref<1x2x1x6x50xf32>, %w: memref<2x1x1x3x3xf32>,
                                     %b: memref<2xf32>, %out: memref<1x2x4x48xf32>) {
  %one = arith.constant 1.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x2x4x48xf32>
  linalg.broadcast ins(%b : memref<2xf32>) outs(%acc : memref<1x2x4x48xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  %view = memref.expand_shape %acc [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 4, 48] : memref<1x2x4x48xf32> into memref<1x2x1x4x48xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {silu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x2x1x6x50xf32>, memref<2x1x1x3x3xf32>) outs(%view : memref<1x2x1x4x48xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x2x4x48xf32>) outs(%out : memref<1x2x4x48xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %one, %d : f32
    %y = arith.mulf %x, %s : f32
    linalg.yield %y : f32
  }
  memref.dealloc %acc : memref<1x2x4x48xf32>
  return
}
func.func @fused_depthwise_silu_narrow(%in: memref<1x2x1x6x26xf32>, %w: memref<2x1x1x3x3xf32>,
                                       %b: memref<2xf32>, %out: memref<1x2x4x24xf32>) {
  %one = arith.constant 1.0 : f32
  %acc = memref.alloc() {alignment = 64 : i64} : memref<1x2x4x24xf32>
  linalg.broadcast ins(%b : memref<2xf32>) outs(%acc : memref<1x2x4x24xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 1 : i64}
  %view = memref.expand_shape %acc [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 4, 24] : memref<1x2x4x24xf32> into memref<1x2x1x4x24xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {silu}, kiln.fusion_group = 1 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x2x1x6x26xf32>, memref<2x1x1x3x3xf32>) outs(%view : memref<1x2x1x4x24xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%acc : memref<1x2x4x24xf32>) outs(%out : memref<1x2x4x24xf32>) attrs = {kiln.fusion_group = 1 : i64} {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %one, %d : f32
    %y = arith.mulf %x, %s : f32
    linalg.yield %y : f32
  }
  memref.dealloc %acc : memref<1x2x4x24xf32>
  return
}

// -----

// Tests that a depthwise convolution whose input padding made (a zero fill
// of a buffer, then a copy of the source into its interior) reads the
// source itself: each channel's plane is padded in the scratch (zero rows
// above and below, the border columns one by one, the interior row of 20
// copied as a vector and a masked one), and the fill and the copy are gone.
// (A plane narrower than a vector takes @depthwise_flat's path instead.)
// CHECK-LABEL: func.func @depthwise_padded
// CHECK-SAME: (%[[SRC:.*]]: memref<1x4x6x20xf32>,
// CHECK-NOT: linalg.map
// CHECK-NOT: linalg.copy
// CHECK: %[[PLANES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x8x1x22xf32>
// CHECK: %[[PLANE:.*]] = memref.subview %[[PLANES]]
// CHECK: scf.for
// CHECK: memref.store %[[ZERO:cst.*]], %[[PLANE]]
// CHECK: %[[MASK:.*]] = vector.create_mask %c4 : vector<16xi1>
// CHECK-NEXT: %[[HEAD:.*]] = vector.load %[[SRC]][{{.*}}, %c0]
// CHECK-NEXT: vector.store %[[HEAD]], %[[PLANE]][%{{.*}}, %c0, %c1]
// CHECK-NEXT: %[[ROW:.*]] = vector.maskedload %[[SRC]][{{.*}}, %c16], %[[MASK]]
// CHECK-NEXT: vector.maskedstore %[[PLANE]][%{{.*}}, %c0, %c17], %[[MASK]], %[[ROW]]
// CHECK: vector.maskedload %[[PLANE]]
// CHECK: vector.fma
// CHECK-NOT: linalg.
// CHECK: return
func.func @depthwise_padded(%src: memref<1x4x6x20xf32>, %w: memref<4x1x1x3x3xf32>, %out: memref<1x4x1x6x20xf32>) {
  %zero = arith.constant 0.0 : f32
  %pad = memref.alloc() {alignment = 64 : i64} : memref<1x4x8x22xf32>
  linalg.map outs(%pad : memref<1x4x8x22xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 4, 6, 20] [1, 1, 1, 1] : memref<1x4x8x22xf32> to memref<1x4x6x20xf32, strided<[704, 176, 22, 1], offset: 23>>
  linalg.copy ins(%src : memref<1x4x6x20xf32>) outs(%interior : memref<1x4x6x20xf32, strided<[704, 176, 22, 1], offset: 23>>)
  %in = memref.expand_shape %pad [[0], [1, 2], [3], [4]] output_shape [1, 4, 1, 8, 22] : memref<1x4x8x22xf32> into memref<1x4x1x8x22xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x1x8x22xf32>, memref<4x1x1x3x3xf32>) outs(%out : memref<1x4x1x6x20xf32>)
  memref.dealloc %pad : memref<1x4x8x22xf32>
  return
}

// -----

// Tests that a padded "same" depthwise layer on planes narrower than a
// vector (5x5 outputs, 3x3 taps, padding 1) lays each plane along the lanes,
// 25 outputs in 2 vectors: the group's scratch plane (4 groups of one
// channel, 44 values: 2 vectors, then 2 rows and 2 values the taps reach
// past them) is filled with zeros once, each channel's 25 values are copied
// in after the padding row and value (at 6), and each tap (i, j) reads at
// 16v + 5i + j. Tap column
// 0 masks off the lanes of column 0 (lanes 0, 5, 10, 15 of vector 0; 4, 9,
// and the lanes past the plane, of vector 1), column 1 only the lanes past
// the plane. The fill and the copy of the padding are gone.
// CHECK-LABEL: func.func @depthwise_flat
// CHECK-SAME: (%[[SRC:.*]]: memref<1x4x5x5xf32>, %[[W:.*]]: memref<4x1x1x3x3xf32>, %[[OUT:.*]]: memref<1x4x1x5x5xf32>)
// CHECK-NOT: linalg.map
// CHECK-NOT: linalg.copy
// CHECK-DAG: %[[COL0V0:.*]] = arith.constant dense<[false, true, true, true, true, false, true, true, true, true, false, true, true, true, true, false]> : vector<16xi1>
// CHECK-DAG: %[[COL0V1:.*]] = arith.constant dense<[true, true, true, true, false, true, true, true, true, false, false, false, false, false, false, false]> : vector<16xi1>
// CHECK-DAG: %[[FLATOUT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<1x4x5x5xf32> into memref<1x4x25xf32>
// CHECK-DAG: %[[FLATSRC:.*]] = memref.collapse_shape %[[SRC]] {{\[}}[0], [1], [2, 3]] : memref<1x4x5x5xf32> into memref<1x4x25xf32>
// CHECK: %[[PLANES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x44xf32>
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[GROUP:.*]] = %c0{{.*}} to %c4
// CHECK-COUNT-2: vector.store %{{.*}}, %[[PLANES]][%[[GROUP]], %c{{0|16}}]
// CHECK: vector.maskedstore %[[PLANES]][%[[GROUP]], %c32]
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to %c1
// CHECK: %[[X0:.*]] = vector.load %[[FLATSRC]][%[[N]], %[[G:.*]], %c0]
// CHECK: vector.store %[[X0]], %[[PLANES]][%[[GROUP]], %c6]
// CHECK: %[[X1:.*]] = vector.maskedload %[[FLATSRC]][%[[N]], %[[G]], %c16]
// CHECK: vector.maskedstore %[[PLANES]][%[[GROUP]], %c22]
// CHECK: vector.load %[[FLATOUT]][%[[N]], %[[G]], %c0]
// CHECK: vector.maskedload %[[FLATOUT]][%[[N]], %[[G]], %c16]
// CHECK: vector.maskedload %[[PLANES]][%[[GROUP]], %c0], %[[COL0V0]]
// CHECK: vector.fma
// CHECK: vector.maskedload %[[PLANES]][%[[GROUP]], %c16], %[[COL0V1]]
// CHECK: vector.fma
// CHECK: vector.load %[[PLANES]][%[[GROUP]], %c1]
// CHECK: vector.fma
// CHECK: vector.maskedload %[[PLANES]][%[[GROUP]], %c17]
// CHECK-COUNT-15: vector.fma
// CHECK-NOT: vector.fma
// CHECK: vector.store %{{.*}}, %[[FLATOUT]][%[[N]], %[[G]], %c0]
// CHECK: vector.maskedstore %[[FLATOUT]][%[[N]], %[[G]], %c16]
// CHECK: memref.dealloc %[[PLANES]]
// CHECK-NOT: linalg.
// CHECK: return
func.func @depthwise_flat(%src: memref<1x4x5x5xf32>, %w: memref<4x1x1x3x3xf32>, %out: memref<1x4x1x5x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %pad = memref.alloc() {alignment = 64 : i64} : memref<1x4x7x7xf32>
  linalg.map outs(%pad : memref<1x4x7x7xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 4, 5, 5] [1, 1, 1, 1] : memref<1x4x7x7xf32> to memref<1x4x5x5xf32, strided<[196, 49, 7, 1], offset: 8>>
  linalg.copy ins(%src : memref<1x4x5x5xf32>) outs(%interior : memref<1x4x5x5xf32, strided<[196, 49, 7, 1], offset: 8>>)
  %in = memref.expand_shape %pad [[0], [1, 2], [3], [4]] output_shape [1, 4, 1, 7, 7] : memref<1x4x7x7xf32> into memref<1x4x1x7x7xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x4x1x7x7xf32>, memref<4x1x1x3x3xf32>) outs(%out : memref<1x4x1x5x5xf32>)
  memref.dealloc %pad : memref<1x4x7x7xf32>
  return
}

// -----

// Tests that an unpadded stride-1 1x1 convolution runs on [N, C, 1, H*W]
// views of its buffers, in panels of columns that span rows: panels of 96
// columns (64 input channels x 192 columns would fill L1's 48 KB, but the
// threads want at least 8 panels: 400 / 8 columns, in whole blocks of 48),
// four full ones and a last one of 16 columns (one vector), are outermost;
// then the blocks of 8 output
// channels, so that the panel of every input channel stays in L1 across
// the blocks. Five panels are still fewer than 8, so the 2 blocks split
// into 2 groups of one, taken group by group: 10 tasks, two threads each
// take a group's 5 panels (not 3 panels against 2, one of them short). The input (100 KB) fits L2, so nothing is prefetched.
// When the weights do not fit half of L2 (PREFETCH), the blocks of output
// channels are outermost instead, and each sweeps the input's columns: the
// input is first copied into blocks of 48 columns ([9][64][48]: channel by
// channel, eight full blocks and one of 16 columns), which the kernel then
// reads in order.
// COLUMNS-LABEL: func.func @conv1x1_panels
// COLUMNS-SAME: (%[[IN:.*]]: memref<1x64x20x20xf32>
// COLUMNS: %[[INC:.*]] = memref.collapse_shape %[[IN]] {{\[}}[0], [1], [2, 3]]
// COLUMNS: %[[IN1:.*]] = memref.expand_shape %[[INC]] {{.*}} into memref<1x64x1x400xf32>
// COLUMNS: scf.for %{{.*}} = %c0 to %c1 step %c1
// COLUMNS-NEXT: scf.for %[[TASK:.*]] = %c0 to %c10 step %c1
// COLUMNS-NEXT: %[[GROUP:.*]] = arith.divui %[[TASK]], %c5
// COLUMNS-NEXT: %[[INGROUP:.*]] = arith.remui %[[TASK]], %c5
// COLUMNS: %[[PANEL:.*]] = arith.remui %[[INGROUP]], %c5
// COLUMNS: %[[FULL:.*]] = arith.cmpi ult, %[[PANEL]], %c4
// COLUMNS-NEXT: scf.if %[[FULL]]
// COLUMNS-NEXT: scf.for %[[I:.*]] = %c0 to %c1 step %c1
// COLUMNS-NEXT: %[[OCB:.*]] = arith.addi %[[GROUP]], %[[I]]
// COLUMNS-NEXT: scf.for %{{.*}} = %c0 to %c96 step %c48
// COLUMNS: vector.load %[[IN1]][
// COLUMNS: vector.fma
// COLUMNS: } else {
// COLUMNS-NEXT: scf.for %{{.*}} = %c0 to %c1 step %c1
// COLUMNS-NOT: scf.for %{{.*}} step %c48
// COLUMNS: vector.load %[[IN1]][
// COLUMNS-NOT: memref.prefetch
// COLUMNS: return
// PREFETCH-LABEL: func.func @conv1x1_panels
// PREFETCH: %[[IN1:.*]] = memref.expand_shape {{.*}} into memref<1x64x1x400xf32>
// PREFETCH: %[[BLOCKS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<9x64x48xf32>
// PREFETCH: scf.for %[[N:.*]] = %c0 to %c1 step %c1
// PREFETCH-NEXT: scf.for %[[C:.*]] = %c0 to %c64 step %c1
// PREFETCH-NEXT: scf.for %[[B:.*]] = %c0 to %c8 step %c1
// PREFETCH: %[[X:.*]] = vector.load %[[IN1]][%[[N]], %[[C]], %c0, %{{.*}}]
// PREFETCH-NEXT: vector.store %[[X]], %[[BLOCKS]][%[[B]], %[[C]], %c0]
// PREFETCH: vector.store %{{.*}}, %[[BLOCKS]][%c8, %[[C]], %c0]
// PREFETCH: scf.for %[[OCB:.*]] = %c0 to %c2 step %c1
// PREFETCH: scf.for %[[OW:.*]] = %c0 to %c384 step %c48
// PREFETCH: %[[BLOCK:.*]] = arith.divui %[[OW]], %c48
// PREFETCH: scf.for %[[IC:.*]] = %c0 to %c64 step %c1 iter_args(
// PREFETCH: vector.load %[[BLOCKS]][%[[BLOCK]], %[[IC]], %c0]
// PREFETCH: vector.load %[[BLOCKS]][%[[BLOCK]], %[[IC]], %c16]
// PREFETCH: vector.load %[[BLOCKS]][%[[BLOCK]], %[[IC]], %c32]
// PREFETCH-NOT: memref.prefetch
// PREFETCH: vector.load %[[BLOCKS]][%c8, %{{.*}}, %c0]
// PREFETCH: memref.dealloc %[[BLOCKS]]
func.func @conv1x1_panels(%in: memref<1x64x20x20xf32>, %w: memref<16x64x1x1xf32>, %out: memref<1x16x20x20xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x64x20x20xf32>, memref<16x64x1x1xf32>) outs(%out : memref<1x16x20x20xf32>)
  return
}

// -----

// Tests that the cost model weighs the channel-lane kernel against the
// direct kernel on the flattened rows it will run on (one row of 784
// columns, 98 full vectors of 8), not on 28-column rows (three vectors and
// a masked one of 4 lanes each), where channels along the lanes looked
// faster and scattered every result.
// AVX2-LABEL: func.func @conv1x1_flattened_not_lanes
// AVX2: memref.expand_shape {{.*}} into memref<1x40x1x784xf32>
// AVX2-NOT: vector.scatter
// AVX2: return
memref.global "private" constant @w_flat : memref<240x40x1x1xf32> = dense<0.5>
func.func @conv1x1_flattened_not_lanes(%in: memref<1x40x28x28xf32>, %out: memref<1x240x28x28xf32>) {
  %w = memref.get_global @w_flat : memref<240x40x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x40x28x28xf32>, memref<240x40x1x1xf32>) outs(%out : memref<1x240x28x28xf32>)
  return
}

// -----

// Tests that a 1x1 convolution with constant weights prefetches its packed
// filter 4 KB ahead along the input channels (128 steps of 8 channels'
// weights): past the block's 40 input channels, into the next block's.
// CHECK-LABEL: func.func @conv1x1_weight_prefetch
// CHECK: %[[W:.*]] = memref.get_global @w_lead_packed : memref<30x40x1x1x8xf32>
// CHECK: scf.for %[[IC:.*]] = %c0 to %c40 step %c1 iter_args(
// CHECK: %[[AHEAD:.*]] = arith.addi %[[IC]], %c128
// CHECK-NEXT: memref.prefetch %[[W]][%{{.*}}, %[[AHEAD]], %{{.*}}, %{{.*}}, %c0], read, locality<3>, data
// CHECK: memref.load %[[W]][%{{.*}}, %[[IC]], %{{.*}}, %{{.*}}, %c0]
memref.global "private" constant @w_lead : memref<240x40x1x1xf32> = dense<0.5>
func.func @conv1x1_weight_prefetch(%in: memref<1x40x28x28xf32>, %out: memref<1x240x28x28xf32>) {
  %w = memref.get_global @w_lead : memref<240x40x1x1xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x40x28x28xf32>, memref<240x40x1x1xf32>) outs(%out : memref<1x240x28x28xf32>)
  return
}

// -----

// Tests that a strided 1x1 convolution, which cannot be flattened, runs
// its rows outermost (5 rows, each a panel), then the blocks of 8 output
// channels: 5 panels are fewer than 8, so the 2 blocks split into 2 groups
// of one, taken group by group (10 tasks).
// COLUMNS-LABEL: func.func @conv1x1_strided_rows_outer
// COLUMNS: scf.for %{{.*}} = %c0 to %c1 step %c1
// COLUMNS: scf.for %[[TASK:.*]] = %c0 to %c10 step %c1
// COLUMNS-NEXT: %[[GROUP:.*]] = arith.divui %[[TASK]], %c5
// COLUMNS-NEXT: %[[ROW:.*]] = arith.remui %[[TASK]], %c5
// COLUMNS-NOT: scf.if
// COLUMNS: scf.for %[[I:.*]] = %c0 to %c1 step %c1
// COLUMNS-NEXT: arith.addi %[[GROUP]], %[[I]]
// COLUMNS: vector.fma
func.func @conv1x1_strided_rows_outer(%in: memref<1x8x10x80xf32>, %w: memref<16x8x1x1xf32>, %out: memref<1x16x5x40xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
    ins(%in, %w : memref<1x8x10x80xf32>, memref<16x8x1x1xf32>) outs(%out : memref<1x16x5x40xf32>)
  return
}

// -----

// Tests that the direct kernel prefetches its input rows 64 columns ahead
// of a block's first column when the input outgrows L2 (PREFETCH), and
// not when it fits (the default).
// CHECK-LABEL: func.func @conv3x3_prefetch
// CHECK-NOT: memref.prefetch
// CHECK: return
// PREFETCH-LABEL: func.func @conv3x3_prefetch
// PREFETCH-SAME: (%[[IN:.*]]: memref<1x4x10x34xf32>
// PREFETCH: scf.for %[[OW:.*]] = %c0 to %c32 step %c32
// PREFETCH: scf.for %[[IC:.*]] = %c0 to %c4 step %c1 iter_args(
// PREFETCH: scf.for %[[KH:.*]] = %c0 to %c3 step %c1 iter_args(
// PREFETCH: scf.for %[[KW:.*]] = %c0 to %c3 step %c1 iter_args(
// PREFETCH: %[[IH:.*]] = arith.addi %{{.*}}, %[[KH]]
// PREFETCH: %[[COL:.*]] = arith.addi %[[OW]], %[[KW]]
// PREFETCH-NEXT: %[[AHEAD:.*]] = arith.addi %[[COL]], %c64
// PREFETCH-NEXT: memref.prefetch %[[IN]][%{{.*}}, %[[IC]], %[[IH]], %[[AHEAD]]], read, locality<3>, data
// PREFETCH: vector.load %[[IN]]
func.func @conv3x3_prefetch(%in: memref<1x4x10x34xf32>, %w: memref<8x4x3x3xf32>, %out: memref<1x8x8x32xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x4x10x34xf32>, memref<8x4x3x3xf32>) outs(%out : memref<1x8x8x32xf32>)
  return
}

// -----

// Tests that the channel-lane kernel prefetches its input rows 64 columns
// ahead of a block's first input column when the input outgrows L2.
// PREFETCH-LABEL: func.func @lanes_prefetch
// PREFETCH-SAME: (%[[IN:.*]]: memref<1x3x23x23xf32>
// PREFETCH: memref.prefetch %[[IN]]
// PREFETCH: vector.scatter
memref.global "private" constant @w_lanes_prefetch : memref<16x3x3x3xf32> = dense<0.5>
func.func @lanes_prefetch(%in: memref<1x3x23x23xf32>, %out: memref<1x16x6x6xf32>) {
  %w = memref.get_global @w_lanes_prefetch : memref<16x3x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<4> : vector<2xi64>}
    ins(%in, %w : memref<1x3x23x23xf32>, memref<16x3x3x3xf32>) outs(%out : memref<1x16x6x6xf32>)
  return
}

// -----

// Tests that a 1x1 convolution over rows shorter than two vectors (7x7)
// runs on [N, C, 1, 49] views of its buffers: one row of 49 columns, three
// full vectors and a masked one, whatever the lanes option says.
// CHANNELS-LABEL: func.func @conv1x1_short_rows
// CHANNELS-SAME: (%[[IN:.*]]: memref<1x32x7x7xf32>, %[[W:.*]]: memref<16x32x1x1xf32>, %[[OUT:.*]]: memref<1x16x7x7xf32>)
// CHANNELS: %[[INC:.*]] = memref.collapse_shape %[[IN]] {{\[}}[0], [1], [2, 3]]
// CHANNELS: %[[IN1:.*]] = memref.expand_shape %[[INC]] {{\[}}[0], [1], [2, 3]] output_shape [1, 32, 1, 49]
// CHANNELS: %[[OUTC:.*]] = memref.collapse_shape %[[OUT]]
// CHANNELS: %[[OUT1:.*]] = memref.expand_shape %[[OUTC]] {{.*}} into memref<1x16x1x49xf32>
// CHANNELS: vector.load %[[IN1]]
// CHANNELS: vector.fma
// CHANNELS: vector.maskedstore %[[OUT1]]
// CHANNELS-NOT: vector.scatter
func.func @conv1x1_short_rows(%in: memref<1x32x7x7xf32>, %w: memref<16x32x1x1xf32>, %out: memref<1x16x7x7xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x32x7x7xf32>, memref<16x32x1x1xf32>) outs(%out : memref<1x16x7x7xf32>)
  return
}

// -----

// Tests that a sum pooling over whole planes (a global average pool) sums
// each contiguous plane with vectors: four chains of 16 lanes (one round
// covers 64 of the 81 elements), one more vector, a masked tail of one,
// one horizontal reduction added to the output's initial value.
// CHECK-LABEL: func.func @plane_sum
// CHECK-SAME: (%[[IN:.*]]: memref<2x3x9x9xf32>, %{{.*}}: memref<9x9xf32>, %[[OUT:.*]]: memref<2x3x1x1xf32>)
// CHECK-DAG: %[[ROWS:.*]] = memref.collapse_shape %[[IN]] {{\[}}[0, 1], [2, 3]] : memref<2x3x9x9xf32> into memref<6x81xf32>
// CHECK-DAG: %[[SUMS:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0, 1, 2, 3]] : memref<2x3x1x1xf32> into memref<6xf32>
// CHECK: scf.for %[[P:.*]] = %c0 to %c6 step %c1
// CHECK: %[[CHAINS:.*]]:4 = scf.for %{{.*}} = %c0 to %c64 step %c64 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4: vector.load %[[ROWS]]
// CHECK: vector.load %[[ROWS]][%[[P]], %c64] : memref<6x81xf32>, vector<16xf32>
// CHECK: %[[MASK:.*]] = vector.create_mask %c1 : vector<16xi1>
// CHECK: vector.maskedload %[[ROWS]][%[[P]], %c80], %[[MASK]]
// CHECK: %[[SUM:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: %[[START:.*]] = memref.load %[[SUMS]][%[[P]]]
// CHECK: %[[TOTAL:.*]] = arith.addf %[[START]], %[[SUM]] : f32
// CHECK: memref.store %[[TOTAL]], %[[SUMS]][%[[P]]]
// CHECK-NOT: linalg.pooling_nchw_sum
func.func @plane_sum(%in: memref<2x3x9x9xf32>, %win: memref<9x9xf32>, %out: memref<2x3x1x1xf32>) {
  linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %win : memref<2x3x9x9xf32>, memref<9x9xf32>) outs(%out : memref<2x3x1x1xf32>)
  return
}

// -----

// Tests that a sum pooling over windows smaller than the plane runs on the
// per-channel window kernel: unpadded at stride 2, each tap's vector of
// even columns is two loads masked at the row's end and a shuffle (no
// phase-split scratch); the sums start from the output (no fill precedes
// it) and add the taps in the generic loop's order (tap (0, 0) first).
// SMALL-LABEL: func.func @window_sum
// SMALL-SAME: (%[[IN:.*]]: memref<1x3x8x8xf32>, %{{.*}}: memref<2x2xf32>, %[[OUT:.*]]: memref<1x3x4x4xf32>)
// SMALL-NOT: memref.alloc
// SMALL: %[[START:.*]] = vector.maskedload %[[OUT]]
// SMALL: %[[LOW:.*]] = vector.maskedload %[[IN]]
// SMALL: %[[HIGH:.*]] = vector.maskedload %[[IN]]
// SMALL: %[[EVEN:.*]] = vector.shuffle %[[LOW]], %[[HIGH]] [0, 2, 4, 6, 8, 10, 12, 14]
// SMALL: arith.addf %[[START]], %[[EVEN]] : vector<8xf32>
// SMALL: vector.maskedstore %[[OUT]]
// SMALL-NOT: linalg.pooling_nchw_sum
func.func @window_sum(%in: memref<1x3x8x8xf32>, %win: memref<2x2xf32>, %out: memref<1x3x4x4xf32>) {
  linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %win : memref<1x3x8x8xf32>, memref<2x2xf32>) outs(%out : memref<1x3x4x4xf32>)
  return
}

// -----

// Tests that a padded max pooling (ResNet's 3x3 stride-2 stem pool) reads
// its source, not the padded copy: each channel's plane is padded with -inf
// and split into the two column phases in a scratch, the padded buffer's
// fill and copy go away, and the output's -inf fill becomes the start of
// the registers instead of a pass over memory.
// SMALL-LABEL: func.func @max_pool_padded
// SMALL-SAME: (%[[SRC:.*]]: memref<1x2x6x6xf32>, %[[OUT:.*]]: memref<1x2x3x3xf32>)
// SMALL-NOT: linalg.map
// SMALL-NOT: linalg.copy
// SMALL-NOT: linalg.fill
// SMALL-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// SMALL-DAG: %[[PLANES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x8x2x4xf32>
// SMALL: %[[PLANE:.*]] = memref.subview %[[PLANES]]
// SMALL: memref.store %[[NINF]], %[[PLANE]]
// SMALL: memref.load %[[SRC]]
// SMALL: vector.maskedload %[[PLANE]]
// SMALL: arith.maximumf
// SMALL: vector.maskedstore %[[OUT]]
// SMALL-NOT: linalg.pooling_nchw_max
func.func @max_pool_padded(%src: memref<1x2x6x6xf32>, %out: memref<1x2x3x3xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %pad = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
  linalg.map outs(%pad : memref<1x2x8x8xf32>)
    (%init: f32) {
      linalg.yield %ninf : f32
    }
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 2, 6, 6] [1, 1, 1, 1] : memref<1x2x8x8xf32> to memref<1x2x6x6xf32, strided<[128, 64, 8, 1], offset: 9>>
  linalg.copy ins(%src : memref<1x2x6x6xf32>) outs(%interior : memref<1x2x6x6xf32, strided<[128, 64, 8, 1], offset: 9>>)
  %win = memref.alloc() {alignment = 64 : i64} : memref<3x3xf32>
  linalg.fill ins(%ninf : f32) outs(%out : memref<1x2x3x3xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%pad, %win : memref<1x2x8x8xf32>, memref<3x3xf32>) outs(%out : memref<1x2x3x3xf32>)
  memref.dealloc %pad : memref<1x2x8x8xf32>
  memref.dealloc %win : memref<3x3xf32>
  return
}

// -----

// Tests that a padded max pooling of values >= +0 (kiln.nonnegative_input:
// padded and started from +0) takes the max of the bits as unsigned
// integers, with its planes padded with +0.
// SMALL-LABEL: func.func @max_pool_nonnegative
// SMALL-SAME: (%[[SRC:.*]]: memref<1x2x6x6xf32>, %[[OUT:.*]]: memref<1x2x3x3xf32>)
// SMALL-NOT: linalg.map
// SMALL-NOT: linalg.copy
// SMALL-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// SMALL-DAG: %[[PLANES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x8x2x4xf32>
// SMALL: %[[PLANE:.*]] = memref.subview %[[PLANES]]
// SMALL: memref.store %[[ZERO]], %[[PLANE]]
// SMALL: vector.maskedload %[[PLANE]]
// SMALL: arith.bitcast %{{.*}} : vector<8xf32> to vector<8xi32>
// SMALL: arith.maxui %{{.*}}, %{{.*}} : vector<8xi32>
// SMALL-NOT: arith.maximumf
// SMALL: vector.maskedstore %[[OUT]]
// SMALL-NOT: linalg.pooling_nchw_max
func.func @max_pool_nonnegative(%src: memref<1x2x6x6xf32>, %out: memref<1x2x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %pad = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
  linalg.map outs(%pad : memref<1x2x8x8xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 2, 6, 6] [1, 1, 1, 1] : memref<1x2x8x8xf32> to memref<1x2x6x6xf32, strided<[128, 64, 8, 1], offset: 9>>
  linalg.copy ins(%src : memref<1x2x6x6xf32>) outs(%interior : memref<1x2x6x6xf32, strided<[128, 64, 8, 1], offset: 9>>)
  %win = memref.alloc() {alignment = 64 : i64} : memref<3x3xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x2x3x3xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.nonnegative_input, strides = dense<2> : tensor<2xi64>}
    ins(%pad, %win : memref<1x2x8x8xf32>, memref<3x3xf32>) outs(%out : memref<1x2x3x3xf32>)
  memref.dealloc %pad : memref<1x2x8x8xf32>
  memref.dealloc %win : memref<3x3xf32>
  return
}

// -----

// Tests that a buffer padded with zeros is not taken for a max pooling's
// padding (which must be -inf): the pooling reads the padded buffer, whose
// fill and copy stay; and that a fill with a read of the output after it
// is not folded into the registers' start.
// SMALL-LABEL: func.func @max_pool_zero_padded
// SMALL: linalg.map
// SMALL: linalg.copy
// SMALL: linalg.fill
// SMALL: memref.load %{{.*}}[%c0, %c0, %c0, %c0] : memref<1x2x3x3xf32>
// SMALL: arith.maximumf
// SMALL-NOT: linalg.pooling_nchw_max
func.func @max_pool_zero_padded(%src: memref<1x2x6x6xf32>, %out: memref<1x2x3x3xf32>, %seen: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %pad = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
  linalg.map outs(%pad : memref<1x2x8x8xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %interior = memref.subview %pad[0, 0, 1, 1] [1, 2, 6, 6] [1, 1, 1, 1] : memref<1x2x8x8xf32> to memref<1x2x6x6xf32, strided<[128, 64, 8, 1], offset: 9>>
  linalg.copy ins(%src : memref<1x2x6x6xf32>) outs(%interior : memref<1x2x6x6xf32, strided<[128, 64, 8, 1], offset: 9>>)
  %win = memref.alloc() {alignment = 64 : i64} : memref<3x3xf32>
  linalg.fill ins(%ninf : f32) outs(%out : memref<1x2x3x3xf32>)
  %c0 = arith.constant 0 : index
  %first = memref.load %out[%c0, %c0, %c0, %c0] : memref<1x2x3x3xf32>
  memref.store %first, %seen[] : memref<f32>
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%pad, %win : memref<1x2x8x8xf32>, memref<3x3xf32>) outs(%out : memref<1x2x3x3xf32>)
  memref.dealloc %pad : memref<1x2x8x8xf32>
  memref.dealloc %win : memref<3x3xf32>
  return
}

// -----

// Tests that a window of more than 49 taps (not unrolled) stays a
// linalg pooling.
// SMALL-LABEL: func.func @max_pool_large_window
// SMALL: linalg.pooling_nchw_max
func.func @max_pool_large_window(%in: memref<1x2x16x16xf32>, %win: memref<8x8xf32>, %out: memref<1x2x2x2xf32>) {
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<8> : tensor<2xi64>}
    ins(%in, %win : memref<1x2x16x16xf32>, memref<8x8xf32>) outs(%out : memref<1x2x2x2xf32>)
  return
}
