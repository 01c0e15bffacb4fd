// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-winograd="tile=4" | FileCheck %s
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-winograd | FileCheck %s --check-prefix=AUTO
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-winograd="tile=2" | FileCheck %s --check-prefix=F2
// RUN: kiln-opt %s --split-input-file --mlir-elide-resource-strings-if-larger=64 --kiln-winograd="tile=3" | FileCheck %s --check-prefix=F3
// RUN: not kiln-opt %s --split-input-file --kiln-winograd="tile=5" 2>&1 | FileCheck %s --check-prefix=BADTILE

// BADTILE: kiln-winograd: tile must be 0 (per layer), 2, 3 or 4, not 5

// Without a tile, each layer gets the one with the lower cost: multiply-adds
// (over whole vectors of tiles) at 12.5 per byte plus the bytes of U. A 7x7
// or 8x8 output is one vector of tiles either way, so F(2x2) (fewer products,
// a smaller U) wins; 64x64 with F(2x2) takes 4x the tiles of F(4x4) for
// 16/36 of the products each.
// AUTO-LABEL: memref.global "private" constant @w_winograd : memref<16x1x8x8xf32>
// AUTO-LABEL: func.func @conv
// AUTO-DAG: memref.global "private" constant @w_winograd{{.*}} : memref<16x1x8x8xf32>
// AUTO-DAG: memref.global "private" constant @w_winograd{{.*}} : memref<36x2x8x4xf32>
// AUTO-LABEL: func.func @no_edges

// Tests the three phases of F(4x4, 3x3) on a 7x7 output (2x2 tiles, one
// vector of 16 lanes, 12 of them past the last tile): the filter transformed
// at compile time into 36 elements x [OC/8, IC, 8]; the input transform
// gathering each lane's 6x6 tile (masked where the tile leaves the 9x9
// input) and storing V[xi][ic][t]; the products over the input channels with
// 8 output channels x 1 vector of tiles in registers; the output transform
// adding the result to the bias already in the output and scattering it.
// CHECK-LABEL: memref.global "private" constant @w_winograd : memref<36x1x8x8xf32>
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[IN:.*]]: memref<1x8x9x9xf32>, %[[OUT:.*]]: memref<1x8x7x7xf32>)
// CHECK: %[[U:.*]] = memref.get_global @w_winograd
// CHECK: %[[V:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x36x8x16xf32>
// CHECK: %[[M:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x36x8x16xf32>
// CHECK: %[[FLATIN:.*]] = memref.collapse_shape %[[IN]] {{\[\[}}0, 1, 2, 3]] : memref<1x8x9x9xf32> into memref<648xf32>
// CHECK: %[[FLATOUT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1, 2, 3]] : memref<1x8x7x7xf32> into memref<392xf32>
// Phase 1: each lane's tile; lanes past the 4 tiles (lane >= 4 - t0)
// are off.
// CHECK: %[[VALID:.*]] = arith.cmpi ugt, %{{.*}}, %cst{{.*}} : vector<16xi32>
// CHECK: arith.andi %[[VALID]], %{{.*}} : vector<16xi1>
// CHECK: scf.for %[[IC:.*]] = %c0 to %c8 step %c1 {
// CHECK-COUNT-36: vector.gather %[[FLATIN]]
// CHECK: vector.store %{{.*}}, %[[V]][%c0, %c0, %[[IC]], %{{.*}}] : memref<1x36x8x16xf32>, vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[V]][%c0, %c35, %[[IC]], %{{.*}}]
// Phase 2: the products, one tile element and block of channels a step.
// CHECK: scf.for %[[ITEM:.*]] = %c0 to %c36 step %c1 {
// CHECK: scf.for %[[K:.*]] = %c0 to %c8 step %c1 iter_args(
// CHECK: vector.load %[[V]]
// CHECK: memref.load %[[U]]
// CHECK: vector.broadcast
// CHECK-COUNT-8: vector.fma
// CHECK: vector.store %{{.*}}, %[[M]]
// Phase 3: the output transform, per output channel.
// CHECK: scf.for %[[OC:.*]] = %c0 to %c8 step %c1 {
// CHECK-COUNT-36: vector.load %[[M]]
// CHECK: %[[OLD:.*]] = vector.gather %[[FLATOUT]]
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %{{.*}} : vector<16xf32>
// CHECK: vector.scatter %[[FLATOUT]][%{{.*}}] [%{{.*}}], %{{.*}}, %[[SUM]]
// CHECK-COUNT-15: vector.scatter %[[FLATOUT]]
// CHECK: memref.dealloc %[[V]]
// CHECK: memref.dealloc %[[M]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// F(3x3, 3x3): 5x5 input tiles (25 elements), 3x3 output tiles (9
// scatters per output channel).
// F3-LABEL: memref.global "private" constant @w_winograd : memref<25x1x8x8xf32>
// F3-LABEL: func.func @conv
// F3: memref.alloc() {alignment = 64 : i64} : memref<1x25x8x16xf32>
// F3-COUNT-25: vector.gather
// F3: vector.fma
// F3-COUNT-9: vector.scatter
// F3-NOT: vector.scatter
// F3: return
// F2-LABEL: memref.global "private" constant @w_winograd : memref<16x1x8x8xf32>
// F2-LABEL: func.func @conv
// F2: memref.alloc() {alignment = 64 : i64} : memref<1x16x8x16xf32>
// F2-COUNT-16: vector.gather
// F2: vector.fma
// F2-COUNT-4: vector.scatter
// F2-NOT: vector.scatter
// F2: return
memref.global "private" constant @w : memref<8x8x3x3xf32> = dense<0.5>
func.func @conv(%in: memref<1x8x9x9xf32>, %out: memref<1x8x7x7xf32>) {
  %w = memref.get_global @w : memref<8x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<8x8x3x3xf32>) outs(%out : memref<1x8x7x7xf32>)
  return
}

// -----

// Tests that an output whose sides the tiles divide (8x8: 2x2 tiles of 4)
// needs no bound checks beyond the lanes' tile count, and that many tiles
// (a 64x64 output: 256 tiles, 16 vectors) are multiplied in register blocks
// of 24 accumulators, the squarest that divide the channels (4 channels x 6
// vectors: 10 loads per 24 FMAs), then a tail of 4 channels x 4 vectors.
// CHECK-LABEL: func.func @no_edges
// CHECK-NOT: arith.andi
// CHECK: vector.gather
// CHECK-LABEL: func.func @many_tiles
// CHECK: %[[V:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x36x8x256xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c96 {
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(
// CHECK-COUNT-6: vector.load %[[V]]
// CHECK-NEXT: memref.load
// CHECK: scf.yield %{{([^,]*, ){23}[^,]*}} : vector<16xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(
// CHECK-COUNT-4: vector.load %[[V]]
// CHECK-NEXT: memref.load
// CHECK: scf.yield %{{([^,]*, ){15}[^,]*}} : vector<16xf32>
// CHECK: vector.scatter
memref.global "private" constant @w : memref<8x8x3x3xf32> = dense<0.5>
func.func @no_edges(%in: memref<1x8x10x10xf32>, %out: memref<1x8x8x8xf32>) {
  %w = memref.get_global @w : memref<8x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x8x10x10xf32>, memref<8x8x3x3xf32>) outs(%out : memref<1x8x8x8xf32>)
  return
}
func.func @many_tiles(%in: memref<1x8x66x66xf32>, %out: memref<1x8x64x64xf32>) {
  %w = memref.get_global @w : memref<8x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x8x66x66xf32>, memref<8x8x3x3xf32>) outs(%out : memref<1x8x64x64xf32>)
  return
}

// -----

// Tests that a fused group (bias, conv, ReLU, 2x2 max pooling) is computed
// whole, the pooling in registers: the output transform adds the bias and
// applies the ReLU to each 4x4 tile, then takes the maximum of each 2x2
// window and scatters the 2x2 pooled values into the group's result. No op
// of the group and no scratch is left.
// CHECK-LABEL: func.func @fused_conv_relu_maxpool
// CHECK-SAME: %[[B:[^:]*]]: memref<8xf32>, %[[OUT:[^:]*]]: memref<1x8x4x4xf32>)
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[OUT]] {{\[\[}}0, 1, 2, 3]] : memref<1x8x4x4xf32> into memref<128xf32>
// CHECK-NOT: memref.alloc() {alignment = 64 : i64} : memref<8x8x1x8xf32>
// CHECK: vector.fma
// CHECK: %[[BIAS:.*]] = memref.load %[[B]]
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[BIAS]]
// CHECK: %[[BIASED:.*]] = arith.addf %{{.*}}, %[[SPLAT]] : vector<16xf32>
// CHECK: arith.maximumf %[[BIASED]], %{{.*}} : vector<16xf32>
// The maximum with -inf that starts each window folds away.
// CHECK: %[[M1:.*]] = arith.maximumf %{{[0-9]+}}, %{{[0-9]+}} : vector<16xf32>
// CHECK-NEXT: %[[M2:.*]] = arith.maximumf %[[M1]], %{{[0-9]+}} : vector<16xf32>
// CHECK-NEXT: %[[M3:.*]] = arith.maximumf %[[M2]], %{{[0-9]+}} : vector<16xf32>
// CHECK: vector.scatter %[[FLAT]][%{{.*}}] [%{{.*}}], %{{.*}}, %[[M3]]
// CHECK-COUNT-3: vector.scatter %[[FLAT]]
// CHECK-NOT: vector.scatter
// CHECK-NOT: linalg.
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
memref.global "private" constant @w : memref<8x3x3x3xf32> = dense<0.25>
memref.global "private" constant @w8 : memref<8x8x3x3xf32> = dense<0.25>
func.func @fused_conv_relu_maxpool(%in: memref<1x8x10x10xf32>,
                                   %b: memref<8xf32>, %out: memref<1x8x4x4xf32>) {
  %w = memref.get_global @w8 : memref<8x8x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x10x10xf32>, memref<8x8x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
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


// Tests that a pooling whose windows overlap (3x3, stride 2) reads whole
// convolution planes from a scratch that the output transform scatters
// into, biased and rectified (so the max is the unsigned one of the bits).
// CHECK-LABEL: func.func @fused_conv_relu_maxpool3
// CHECK-SAME: %[[OUT:[^:]*]]: memref<1x8x3x3xf32>)
// CHECK: %[[SCRATCH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x8x1x8xf32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[SCRATCH]]
// CHECK: %[[ACT:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: vector.scatter %[[FLAT]][%{{.*}}] [%{{.*}}], %{{.*}}, %[[ACT]]
// CHECK: vector.maskedload %[[SCRATCH]]
// CHECK: vector.shuffle
// CHECK: arith.maxui %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: vector.maskedstore %[[OUT]]
// CHECK: memref.dealloc %[[SCRATCH]]
func.func @fused_conv_relu_maxpool3(%in: memref<1x8x10x10xf32>,
                                   %b: memref<8xf32>, %out: memref<1x8x3x3xf32>) {
  %w = memref.get_global @w8 : memref<8x8x3x3xf32>
  %zero = arith.constant 0.0 : f32
  %neginf = arith.constant 0xFF800000 : f32
  %conv = memref.alloc() {alignment = 64 : i64} : memref<1x8x8x8xf32>
  linalg.broadcast ins(%b : memref<8xf32>) outs(%conv : memref<1x8x8x8xf32>) dimensions = [0, 2, 3] {kiln.fusion_group = 0 : i64}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, kiln.epilogue = {pool = "max", pool_kernel = array<i64: 3, 3>, pool_stride = array<i64: 2, 2>, relu}, kiln.fusion_group = 0 : i64, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w : memref<1x8x10x10xf32>, memref<8x8x3x3xf32>) outs(%conv : memref<1x8x8x8xf32>)
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : memref<1x8x8x8xf32>) outs(%conv : memref<1x8x8x8xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%x: f32, %o: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  }
  %window = memref.alloc() : memref<3x3xf32>
  linalg.fill {kiln.fusion_group = 0 : i64} ins(%neginf : f32) outs(%out : memref<1x8x3x3xf32>)
  linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, kiln.fusion_group = 0 : i64, strides = dense<2> : tensor<2xi64>}
    ins(%conv, %window : memref<1x8x8x8xf32>, memref<3x3xf32>) outs(%out : memref<1x8x3x3xf32>)
  memref.dealloc %conv : memref<1x8x8x8xf32>
  return
}

// -----

// Tests that a layer of many chunks (a 128x128 output of 64 channels: 64
// vectors of tiles, 22 chunks of 3 whose V and M fit in 1 MB) runs them
// side by side: one parallel loop over 8 slots, each with its own V and M,
// slot s taking chunks [22 s / 8, 22 (s + 1) / 8) (2 or 3) through all
// three phases, which do not fork again.
// CHECK-LABEL: func.func @slotted
// CHECK: %[[V:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x36x64x48xf32>
// CHECK: %[[M:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8x36x64x48xf32>
// CHECK: scf.parallel (%[[SLOT:.*]]) = (%c0) to (%c8) step (%c1) {
// CHECK: %[[S22:.*]] = arith.muli %[[SLOT]], %c22
// CHECK: %[[FIRST:.*]] = arith.divui %[[S22]], %c8
// CHECK: %[[NEXT:.*]] = arith.addi %[[SLOT]], %c1
// CHECK: %[[N22:.*]] = arith.muli %[[NEXT]], %c22
// CHECK: %[[END:.*]] = arith.divui %[[N22]], %c8
// CHECK: scf.for %[[CHUNK:.*]] = %[[FIRST]] to %[[END]] step %c1 {
// CHECK-NOT: scf.parallel
// CHECK: vector.store %{{.*}}, %[[V]][%[[SLOT]], %c0,
// CHECK-NOT: scf.parallel
// CHECK: vector.store %{{.*}}, %[[M]][%[[SLOT]],
// CHECK-NOT: scf.parallel
// CHECK: vector.scatter
// CHECK: scf.reduce
memref.global "private" constant @w64 : memref<64x64x3x3xf32> = dense<0.5>
func.func @slotted(%in: memref<1x64x130x130xf32>, %out: memref<1x64x128x128xf32>) {
  %w = memref.get_global @w64 : memref<64x64x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x64x130x130xf32>, memref<64x64x3x3xf32>) outs(%out : memref<1x64x128x128xf32>)
  return
}

// -----

// Tests that a 5x5 filter runs as F(2x2, 5x5), whatever tile is asked for:
// 6x6 input tiles (36 gathers, B as in F(4x4, 3x3)), 36 products, 2x2
// output tiles (4 scatters). A 9x9 output is 5x5 tiles, the last row and
// column of each partly outside: masked.
// CHECK-LABEL: memref.global "private" constant @w5_winograd : memref<36x1x8x8xf32>
// CHECK-LABEL: func.func @five_by_five
// CHECK: arith.andi
// CHECK-COUNT-36: vector.gather
// CHECK: vector.fma
// CHECK-COUNT-4: vector.scatter
// CHECK-NOT: vector.scatter
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// F2-LABEL: memref.global "private" constant @w5_winograd : memref<36x1x8x8xf32>
memref.global "private" constant @w5 : memref<8x8x5x5xf32> = dense<0.5>
func.func @five_by_five(%in: memref<1x8x13x13xf32>, %out: memref<1x8x9x9xf32>) {
  %w = memref.get_global @w5 : memref<8x8x5x5xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x8x13x13xf32>, memref<8x8x5x5xf32>) outs(%out : memref<1x8x9x9xf32>)
  return
}

// -----

// Tests what Winograd leaves to the direct kernel: a stride of 2, a 7x7
// filter, a filter known only at run time, and too few input channels (an
// RGB image: the transforms would cost more than they save).
// CHECK-LABEL: func.func @strided
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-LABEL: func.func @seven_by_seven
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-LABEL: func.func @runtime_filter
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-LABEL: func.func @rgb_image
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: vector.gather
memref.global "private" constant @w3 : memref<8x8x3x3xf32> = dense<0.5>
memref.global "private" constant @w7 : memref<8x8x7x7xf32> = dense<0.5>
memref.global "private" constant @rgb : memref<8x3x3x3xf32> = dense<0.5>
func.func @strided(%in: memref<1x8x9x9xf32>, %out: memref<1x8x4x4xf32>) {
  %w = memref.get_global @w3 : memref<8x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<8x8x3x3xf32>) outs(%out : memref<1x8x4x4xf32>)
  return
}
func.func @seven_by_seven(%in: memref<1x8x9x9xf32>, %out: memref<1x8x3x3xf32>) {
  %w = memref.get_global @w7 : memref<8x8x7x7xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<8x8x7x7xf32>) outs(%out : memref<1x8x3x3xf32>)
  return
}
func.func @runtime_filter(%in: memref<1x8x9x9xf32>, %w: memref<8x8x3x3xf32>, %out: memref<1x8x7x7xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x8x9x9xf32>, memref<8x8x3x3xf32>) outs(%out : memref<1x8x7x7xf32>)
  return
}
func.func @rgb_image(%in: memref<1x3x9x9xf32>, %out: memref<1x8x7x7xf32>) {
  %w = memref.get_global @rgb : memref<8x3x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x3x9x9xf32>, memref<8x3x3x3xf32>) outs(%out : memref<1x8x7x7xf32>)
  return
}

// -----

// Tests that the tiles of a batch form one sequence: two 7x7 outputs of 2x2
// tiles fill 8 lanes of one vector, one chunk for both images (U is read
// once, not once per image). Each lane finds its image (lane / 4 tiles) and
// offsets its gathers by image x 648 (8 x 9 x 9) from the vector's first
// image, whose channel planes the scalar base indexes.
// CHECK-LABEL: func.func @batch
// CHECK-SAME: (%[[IN:.*]]: memref<2x8x9x9xf32>, %[[OUT:.*]]: memref<2x8x7x7xf32>)
// CHECK: %[[IMAGESIZE:.*]] = arith.constant dense<648> : vector<16xi32>
// CHECK: %[[TILES:.*]] = arith.constant dense<4> : vector<16xi32>
// CHECK: %[[FLATIN:.*]] = memref.collapse_shape %[[IN]] {{\[\[}}0, 1, 2, 3]] : memref<2x8x9x9xf32> into memref<1296xf32>
// CHECK: scf.for %[[T:.*]] = %c0 to %c16 step %c16 {
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c1 step %c1 {
// CHECK: %[[FIRST:.*]] = arith.divui %{{.*}}, %c4 : index
// CHECK: %[[IMAGE:.*]] = arith.divui %{{.*}}, %[[TILES]] : vector<16xi32>
// CHECK: arith.muli %[[IMAGE]], %[[IMAGESIZE]] : vector<16xi32>
// CHECK: scf.for %[[IC:.*]] = %c0 to %c8 step %c1 {
// CHECK: arith.muli %[[FIRST]], %c648 : index
// CHECK-COUNT-36: vector.gather %[[FLATIN]]
// CHECK: memref.dealloc
memref.global "private" constant @w : memref<8x8x3x3xf32> = dense<0.5>
func.func @batch(%in: memref<2x8x9x9xf32>, %out: memref<2x8x7x7xf32>) {
  %w = memref.get_global @w : memref<8x8x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<2x8x9x9xf32>, memref<8x8x3x3xf32>) outs(%out : memref<2x8x7x7xf32>)
  return
}

// -----

// Tests that an input transform large enough to fork splits a chunk of few
// vectors into blocks of input channels for the threads: a 13x13 output at
// batch 1 is one vector of F(4x4) tiles, so its 64 channels go out as 8
// items of 8 channels, each item finding its lanes' tiles and then
// gathering 36 elements per channel of its block. The output transform
// forks over the output channels.
// CHECK-LABEL: func.func @few_vectors
// CHECK: scf.parallel (%[[ITEM:.*]]) = (%c0) to (%c8) step (%c1) {
// CHECK: %[[BLOCK:.*]] = arith.remui %[[ITEM]], %c8 : index
// CHECK: %[[FIRST:.*]] = arith.muli %[[BLOCK]], %c8 : index
// CHECK: scf.for %[[I:.*]] = %c0 to %c8 step %c1 {
// CHECK: arith.addi %[[FIRST]], %[[I]] : index
// CHECK-COUNT-36: vector.gather
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c64) step (%c1) {
// CHECK-COUNT-36: vector.load
// CHECK: memref.dealloc
memref.global "private" constant @w64 : memref<64x64x3x3xf32> = dense<0.5>
func.func @few_vectors(%in: memref<1x64x15x15xf32>, %out: memref<1x64x13x13xf32>) {
  %w = memref.get_global @w64 : memref<64x64x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x64x15x15xf32>, memref<64x64x3x3xf32>) outs(%out : memref<1x64x13x13xf32>)
  return
}

// -----

// Tests that the sum over input channels runs in blocks of at most 64 (its
// rounding errors grow with its length): 200 channels in 4 blocks of 50.
// The first block stores its sums, each later one starts from zero and adds
// its sums to the products stored.
// CHECK-LABEL: func.func @channel_blocks
// CHECK: %[[M:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x36x8x16xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c50 step %c1 iter_args(
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-8: vector.store %{{.*}}, %[[M]]
// CHECK: scf.for %[[BLOCK:.*]] = %c0 to %c3 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c50 step %c1 iter_args(
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: %[[OLD:.*]] = vector.load %[[M]]
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[SUM]], %[[M]]
// A channel count with no divisor from 8 to 64 sums in one block.
// CHECK-LABEL: func.func @prime_channels
// CHECK: scf.for %{{.*}} = %c0 to %c67 step %c1 iter_args(
// CHECK: scf.yield
// CHECK-NOT: iter_args
// CHECK: vector.scatter
memref.global "private" constant @w200 : memref<8x200x3x3xf32> = dense<0.25>
func.func @channel_blocks(%in: memref<1x200x6x6xf32>, %out: memref<1x8x4x4xf32>) {
  %w = memref.get_global @w200 : memref<8x200x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x200x6x6xf32>, memref<8x200x3x3xf32>) outs(%out : memref<1x8x4x4xf32>)
  return
}
memref.global "private" constant @w67 : memref<8x67x3x3xf32> = dense<0.25>
func.func @prime_channels(%in: memref<1x67x6x6xf32>, %out: memref<1x8x4x4xf32>) {
  %w = memref.get_global @w67 : memref<8x67x3x3xf32>
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%in, %w : memref<1x67x6x6xf32>, memref<8x67x3x3xf32>) outs(%out : memref<1x8x4x4xf32>)
  return
}
