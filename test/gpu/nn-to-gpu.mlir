// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline="conv-kernel=direct" --verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline="sm-count=1 conv-kernel=shared" --verify-diagnostics | FileCheck %s --check-prefix=SHARED
// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline="conv-kernel=shared" --verify-diagnostics | FileCheck %s --check-prefix=H200
// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline="sm-count=1" --verify-diagnostics | FileCheck %s --check-prefix=WINOGRAD
// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline --verify-diagnostics | FileCheck %s --check-prefix=WGSM132
// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline="sm-count=1 winograd-tile=4" --verify-diagnostics | FileCheck %s --check-prefix=WGTILE4
// RUN: not kiln-opt %s --split-input-file --kiln-nn-to-gpu="winograd-tile=5" 2>&1 | FileCheck %s --check-prefix=BADTILE
// BADTILE: kiln-nn-to-gpu: winograd-tile must be 0 (2), 2, 3 or 4, not 5
// RUN: not kiln-opt %s --split-input-file --kiln-nn-to-gpu="sm-count=0" 2>&1 | FileCheck %s --check-prefix=BADSMS
// BADSMS: kiln-nn-to-gpu: sm-count must be between 1 and 4096, not 0
// RUN: not kiln-opt %s --split-input-file --kiln-nn-to-gpu="conv-kernel=fft" 2>&1 | FileCheck %s --check-prefix=BADCONV
// A register cap marks every kernel (PTX .maxnreg: test/gpu/emit-ptx.test).
// RUN: kiln-opt %s --split-input-file --kiln-nn-to-gpu-pipeline="max-registers=112" --verify-diagnostics | FileCheck %s --check-prefix=MAXREG
// MAXREG: gpu.func @{{.*}} kernel attributes {known_block_size = array<i32: {{.*}}>, nvvm.maxnreg = 112 : i32}
// MAXREG-NOT: gpu.func @{{.*}} kernel attributes {known_block_size = array<i32: {{[0-9, ]*}}>} {
// RUN: not kiln-opt %s --split-input-file --kiln-nn-to-gpu="max-registers=8" 2>&1 | FileCheck %s --check-prefix=BADREG
// BADREG: kiln-nn-to-gpu: max-registers must be 0 or between 16 and 255, not 8
// BADCONV: kiln-nn-to-gpu: conv-kernel must be winograd, shared or direct, not 'fft'

// Tests that conv2d + ReLU + a non-overlapping max pool become one kernel
// writing the pooled result: 128 threads per block, one thread per pooled
// pixel (6x6 fit one block) and, this layer being small, per 2 output
// channels (one block row each: 16 / 2 = 8), one grid layer per image (2).
// Weights become constant globals, and the last layer writes the model's
// output buffer directly: the device workspace of activations (kiln-plan-
// memory's last argument) is empty.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK-SAME: kiln.input_shape = array<i64: 2, 3, 14, 14>
// CHECK-SAME: kiln.output_shape = array<i64: 2, 16, 6, 6>
// CHECK: func.func @forward(%[[IN:.*]]: memref<2x3x14x14xf32>, %[[OUT:.*]]: memref<2x16x6x6xf32>, %{{.*}}: memref<0xi8>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[W:.*]] = memref.get_global @__kiln_w_weight : memref<16x3x3x3xf32>
// CHECK-DAG: %[[B:.*]] = memref.get_global @__kiln_w_weight_0 : memref<16xf32>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0 blocks in (%[[C1]], %[[C8]], %[[C2]]) threads in (%[[C128]], %[[C1]], %[[C1]]) args(%[[IN]] : {{.*}}, %[[W]] : {{.*}}, %[[B]] : {{.*}}, %[[OUT]] : memref<2x16x6x6xf32>)
// CHECK-NOT: gpu.launch_func
// CHECK: return
// CHECK: memref.global "private" constant @__kiln_w_weight : memref<16x3x3x3xf32> = dense<1.250000e-01>
// CHECK: gpu.module @kiln_kernels
// Only the last argument is written; all are noalias.
// CHECK: gpu.func @conv2d_0(%{{.*}}: memref<2x3x14x14xf32> {llvm.noalias, llvm.readonly}, %{{.*}}: memref<16x3x3x3xf32> {llvm.noalias, llvm.readonly}, %{{.*}}: memref<16xf32> {llvm.noalias, llvm.readonly}, %{{.*}}: memref<2x16x6x6xf32> {llvm.noalias}) kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK-DAG: gpu.block_id x
// CHECK-DAG: gpu.thread_id x
// The reduction over input channels and the 3x3 window, 2 accumulators, at
// each of the 4 positions of the pool window.
// CHECK-COUNT-4: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32) {
// CHECK: math.fma
// ReLU, then the max over the 2x2 window.
// CHECK: arith.maximumf
// CHECK: scf.if
// CHECK-COUNT-2: memref.store
// CHECK-NOT: memref.store
// CHECK: gpu.return

// The same layer through shared memory (conv-kernel=shared; the default,
// winograd, leaves 3 input channels to it too), for a GPU of one SM
// (sm-count=1), which takes the most work per thread: a block of 6x6
// threads covers the 6x6 pooled pixels for 8 output channels, so the grid
// is (1 tile, 2 channel tiles, 2 images). The block's conv outputs (12x12,
// the pool's windows) read the whole 14x14 input, stored as even and odd
// rows and columns (neighbouring threads' windows are 2 apart), rows padded
// to 38 words (6 threads per row, modulo 32 banks); per input channel (3 do
// not split into chunks of 2 or more) the threads copy the window, zero
// outside the image, and the 1 x 3 x 3 taps of 8 weights ([9, 8]) into
// workgroup buffers (aligned for 128-bit loads), wait, accumulate 4
// windows x 8 channels from them, and wait again.
// SHARED-LABEL: func.func @forward
// SHARED-DAG: %[[C1:.*]] = arith.constant 1 : index
// SHARED-DAG: %[[C2:.*]] = arith.constant 2 : index
// SHARED-DAG: %[[C36:.*]] = arith.constant 36 : index
// SHARED: gpu.launch_func @kiln_kernels::@conv2d_shared_0 blocks in (%[[C1]], %[[C2]], %[[C2]]) threads in (%[[C36]], %[[C1]], %[[C1]])
// SHARED: gpu.func @conv2d_shared_0({{.*}}) workgroup(%[[WINDOW:.*]] : memref<1x14x38xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[WEIGHTS:.*]] : memref<9x8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// SHARED: scf.for %[[C:.*]] = %c0 to %c3 step %c1 iter_args(
// SHARED-SAME: -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// The window: 2 rows of 14 columns per pass, threads 28 to 35 idle.
// SHARED: scf.for %{{.*}} = %c0 to %c14 step %c2 {
// SHARED: scf.if
// SHARED: arith.select
// SHARED: memref.load %{{.*}}[%block_id_z, %[[C]], %{{.*}}, %{{.*}}] : memref<2x3x14x14xf32>
// SHARED: memref.store %{{.*}}, %[[WINDOW]]
// 72 weights, 2 per thread: no guard.
// SHARED: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// SHARED-NOT: scf.if
// SHARED: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<16x3x3x3xf32>
// SHARED: memref.store %{{.*}}, %[[WEIGHTS]][%{{.*}}, %{{.*}}]
// SHARED: gpu.barrier
// SHARED-COUNT-8: memref.load %[[WEIGHTS]]
// SHARED: memref.load %[[WINDOW]]
// SHARED-COUNT-8: math.fma
// SHARED: gpu.barrier
// SHARED-NEXT: scf.yield
// SHARED: arith.maximumf
// SHARED: scf.if
// SHARED-COUNT-8: memref.store
// SHARED-NOT: memref.store
// SHARED: gpu.return

// For an H200 (132 SMs) this small layer gives threads 1 pixel for 2
// channels, the most blocks it can (3 input channels are too few to split).
// H200-LABEL: func.func @forward
// H200: gpu.launch_func @kiln_kernels::@conv2d_shared_0 blocks in (%c1, %c8, %c2) threads in (%c36, %c1, %c1)
// H200-NOT: split_reduce
func.func @forward(%x: tensor<2x3x14x14xf32>) -> tensor<2x16x6x6xf32> {
  %w = arith.constant dense<0.125> : tensor<16x3x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 : (tensor<2x3x14x14xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<2x16x12x12xf32>
  %1 = nn.relu %0 : tensor<2x16x12x12xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] : (tensor<2x16x12x12xf32>) -> tensor<2x16x6x6xf32>
  return %2 : tensor<2x16x6x6xf32>
}

// -----

// Tests a layer with too few blocks for the GPU and enough input channels:
// 32 input channels at 14x14, pooled to 7x7, make 2 blocks of 8 channels
// at most. Sized for an H200 its threads take 1 pixel for 2 channels (8
// channel tiles), and the input channels split in 2 ranges of 16 (a raw
// sum takes 16 x 9 = 144 >= 128 FMAs; 4 ranges would take 72): the conv
// kernel writes raw sums for all 14x14 conv outputs of its range to a
// scratch buffer, and a second kernel adds the two ranges in order, then
// the bias, the ReLU and the max pool. The direct kernel does not split.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 32, 14, 14>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK-NOT: gpu.launch_func
// H200-LABEL: func.func @forward
// H200: %[[RAW:.*]] = memref.view %{{.*}} : memref<25088xi8> to memref<2x1x16x14x14xf32>
// H200: gpu.launch_func @kiln_kernels::@conv2d_shared_0 blocks in (%c1, %c16, %c1) threads in (%c49, %c1, %c1) args(%{{.*}} : memref<1x32x14x14xf32>, %{{.*}} : memref<16x32x3x3xf32>, %[[RAW]] : memref<2x1x16x14x14xf32>)
// H200: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_1 blocks in (%c4, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[RAW]] : memref<2x1x16x14x14xf32>, %{{.*}} : memref<16xf32>, %{{.*}} : memref<1x16x7x7xf32>)
// The split's first input channel: 16 x (block_id.y mod 2).
// H200: gpu.func @conv2d_shared_0(
// H200: %[[SPLIT:.*]] = arith.remui %block_id_y, %c2
// H200: arith.muli %[[SPLIT]], %c16
// H200: scf.for %{{.*}} = %c0 to %c16 step %c8 iter_args(
// H200: gpu.barrier
// H200: gpu.barrier
// The four conv outputs of the pool window, 2 channels each, unfinished.
// H200: scf.if
// H200-COUNT-8: memref.store %{{.*}}, %{{.*}}[%[[SPLIT]], %block_id_z, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x1x16x14x14xf32>
// H200-NOT: arith.maximumf
// H200: gpu.return
// H200: gpu.func @conv2d_split_reduce_1(
// H200: memref.load %{{.*}}[%{{.*}}] : memref<16xf32>
// H200-COUNT-4: memref.load %{{.*}}[%c1, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x1x16x14x14xf32>
// H200: gpu.return
func.func @forward(%x: tensor<1x32x14x14xf32>) -> tensor<1x16x7x7xf32> {
  %w = arith.constant dense<0.125> : tensor<16x32x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<16xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x32x14x14xf32>, tensor<16x32x3x3xf32>, tensor<16xf32>) -> tensor<1x16x14x14xf32>
  %1 = nn.relu %0 : tensor<1x16x14x14xf32>
  %2 = nn.max_pool2d %1 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] : (tensor<1x16x14x14xf32>) -> tensor<1x16x7x7xf32>
  return %2 : tensor<1x16x7x7xf32>
}

// -----

// Tests that a large layer (VGG's first: 224x224 pixels, 64 channels) gives
// each thread 4 pixels x 8 channels, 32 accumulators: ceil(50176 / 512) = 98
// blocks of pixels, 64 / 8 = 8 of channels.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK-DAG: %[[C98:.*]] = arith.constant 98 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0 blocks in (%[[C98]], %[[C8]], %{{.*}}) threads in (%c128
// CHECK: gpu.func @conv2d_0
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-COUNT-4: scf.if
// The shared-memory kernel, with blocks enough for the GPU (here one SM)
// without splitting, gives a thread 4 pixels for 16 channels: 14x9 threads
// cover 56x9 pixels (4 x 25 tiles, 64 / 16 = 4 channel tiles), 64
// accumulators, each tap's 16 weights in one row of the [4 x 9, 16] tile.
// SHARED-LABEL: func.func @forward
// SHARED: gpu.launch_func @kiln_kernels::@conv2d_shared_0 blocks in (%c100, %c4, %c1) threads in (%c126, %c1, %c1)
// SHARED: gpu.func @conv2d_shared_0({{.*}}) workgroup(%{{.*}} : memref<4x11x78xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[W16:.*]] : memref<36x16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// The 4 input channels make one chunk (no chunk loop).
// SHARED: gpu.barrier
// SHARED: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// SHARED-COUNT-16: memref.load %[[W16]]
// SHARED-COUNT-16: math.fma
func.func @forward(%x: tensor<1x4x224x224xf32>) -> tensor<1x64x224x224xf32> {
  %w = arith.constant dense<0.125> : tensor<64x4x3x3xf32>
  %0 = nn.conv2d %x, %w stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x4x224x224xf32>, tensor<64x4x3x3xf32>) -> tensor<1x64x224x224xf32>
  return %0 : tensor<1x64x224x224xf32>
}

// -----

// Tests that an overlapping pool (AlexNet's 3x3, stride 2) is not fused: it
// gets its own one-thread-per-output kernel; the padded conv's ReLU is.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK: func.func @forward
// CHECK: %[[ACT:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<1536xi8> to memref<1x4x9x9xf32>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK-SAME: %[[ACT]] : memref<1x4x9x9xf32>)
// CHECK: gpu.launch_func @kiln_kernels::@max_pool2d_1
// CHECK-SAME: args(%[[ACT]] : memref<1x4x9x9xf32>, %{{.*}} : memref<1x4x4x4xf32>)
// CHECK: gpu.func @conv2d_0
// Padding: reads are bounds-checked and select zero outside.
// CHECK: arith.cmpi sge
// CHECK: arith.select
// CHECK: arith.maximumf
// CHECK: gpu.func @max_pool2d_1
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
func.func @forward(%x: tensor<1x2x9x9xf32>) -> tensor<1x4x4x4xf32> {
  %w = arith.constant dense<0.125> : tensor<4x2x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<4xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x2x9x9xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x9x9xf32>
  %1 = nn.relu %0 : tensor<1x4x9x9xf32>
  %2 = nn.max_pool2d %1 kernel [3, 3] stride [2, 2] padding [0, 0, 0, 0] : (tensor<1x4x9x9xf32>) -> tensor<1x4x4x4xf32>
  return %2 : tensor<1x4x4x4xf32>
}

// -----

// Tests that flatten is a view (no kernel) and linear + ReLU become one
// kernel: 8 features x 32 lanes per block (one tile of the 3 batch rows,
// ceil(20 / 8) = 3 blocks of features). Each lane's 3 partial sums go to
// shared memory (rows of 33 words), and after a barrier lane j of each warp
// adds the 32 partials of batch row j, the bias and the ReLU.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK: func.func @forward
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : memref<3x2x4x4xf32> into memref<3x32xf32>
// CHECK: gpu.launch_func @kiln_kernels::@linear_0 blocks in (%{{.*}}, %[[C3]], %{{.*}}) threads in (%[[C256]], %{{.*}}, %{{.*}}) args(%[[FLAT]] : memref<3x32xf32>, %{{.*}} : memref<20x32xf32>, %{{.*}} : memref<20xf32>, %{{.*}} : memref<3x20xf32>)
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.func @linear_0({{.*}} workgroup(%{{.*}} : memref<8x3x33xf32
// Each lane reads 4 consecutive k at a time (rows of 32 inputs are 16-byte
// aligned: 128-bit loads), a warp 128, with 3 accumulators (one per batch
// row); rows this short take no unrolled main loop.
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c128{{.*}} -> (f32, f32, f32)
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<20x32xf32>, vector<4xf32>
// CHECK-COUNT-3: vector.load %{{.*}} {alignment = 16 : i64} : memref<3x32xf32>, vector<4xf32>
// CHECK-NOT: scf.for
// CHECK-COUNT-3: memref.store %{{.*}} : memref<8x3x33xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-COUNT-31: arith.addf
// CHECK: arith.addf
// CHECK: arith.maximumf
func.func @forward(%x: tensor<3x2x4x4xf32>) -> tensor<3x20xf32> {
  %w = arith.constant dense<0.25> : tensor<20x32xf32>
  %b = arith.constant dense<0.5> : tensor<20xf32>
  %0 = nn.flatten %x : (tensor<3x2x4x4xf32>) -> tensor<3x32xf32>
  %1 = nn.linear %0, %w, %b : (tensor<3x32xf32>, tensor<20x32xf32>, tensor<20xf32>) -> tensor<3x20xf32>
  %2 = nn.relu %1 : tensor<3x20xf32>
  return %2 : tensor<3x20xf32>
}

// -----

// Tests the linear kernel at batch 1 on rows long enough for its main loop:
// each lane issues 4 128-bit loads of its warp's weight row (512 words
// apart: 2 KB a warp) before the multiply-adds, into 4 independent sums,
// added in order after the loop; the 16 inputs past the last multiple of
// 512 (1040 = 2 x 512 + 16) take a loop of single loads.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK: gpu.func @linear_0(
// CHECK: %[[SETS:.*]]:4 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c512{{.*}} -> (f32, f32, f32, f32)
// CHECK-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<10x1040xf32>, vector<4xf32>
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1040xf32>, vector<4xf32>
// CHECK-COUNT-4: math.fma
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1040xf32>, vector<4xf32>
// CHECK: %[[S01:.*]] = arith.addf %[[SETS]]#0, %[[SETS]]#1
// CHECK: %[[S012:.*]] = arith.addf %[[S01]], %[[SETS]]#2
// CHECK: %[[S0123:.*]] = arith.addf %[[S012]], %[[SETS]]#3
// CHECK: scf.for %{{.*}} step %c128 iter_args(%{{.*}} = %[[S0123]]) -> (f32)
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<10x1040xf32>, vector<4xf32>
func.func @forward(%x: tensor<1x1040xf32>) -> tensor<1x10xf32> {
  %w = arith.constant dense<0.25> : tensor<10x1040xf32>
  %0 = nn.linear %x, %w : (tensor<1x1040xf32>, tensor<10x1040xf32>) -> tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}

// -----

// Tests kiln-fuse's ops: nn.fused_conv2d with a pool that tiles its output is
// one kernel; with overlapping windows (3x3, stride 2) the convolution (with
// its ReLU) is written to a buffer and pooled by a second kernel (the
// layer does not split); nn.fused_linear applies its ReLU. The activations
// lie in one workspace, at 256-byte aligned offsets.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK: func.func @forward({{.*}}, %[[WS:.*]]: memref<768xi8>)
// CHECK-DAG: %[[AT0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[AT256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[AT512:.*]] = arith.constant 512 : index
// CHECK: memref.view %[[WS]][%[[AT0]]][] : memref<768xi8> to memref<1x4x4x4xf32>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0 {{.*}} : memref<1x4x4x4xf32>)
// CHECK: memref.view %[[WS]][%[[AT512]]][] : memref<768xi8> to memref<1x4x1x1xf32>
// CHECK: %[[CONV:.*]] = memref.view %[[WS]][%[[AT256]]][] : memref<768xi8> to memref<1x4x4x4xf32>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_1 {{.*}} %[[CONV]] : memref<1x4x4x4xf32>)
// CHECK: gpu.launch_func @kiln_kernels::@max_pool2d_2 {{.*}} args(%[[CONV]] : memref<1x4x4x4xf32>, %{{.*}} : memref<1x4x1x1xf32>)
// CHECK: gpu.launch_func @kiln_kernels::@linear_3
// CHECK: gpu.func @conv2d_0
// CHECK: arith.maximumf
// CHECK: gpu.func @linear_3
// CHECK: arith.maximumf
// CHECK: gpu.return
func.func @forward(%x: tensor<1x2x8x8xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<0.125> : tensor<4x2x1x1xf32>
  %w2 = arith.constant dense<0.125> : tensor<4x4x1x1xf32>
  %l = arith.constant dense<0.25> : tensor<3x4xf32>
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu pool "avg" kernel [2, 2] stride [2, 2] : (tensor<1x2x8x8xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  %1 = nn.fused_conv2d %0, %w2 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 relu pool "max" kernel [3, 3] stride [2, 2] : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %2 = nn.flatten %1 : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32>
  %3 = nn.fused_linear %2, %l relu : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  return %3 : tensor<1x3xf32>
}

// -----

// Tests an overlapping pool (3x3, stride 2) after a layer that splits its
// input channels (64 x 9 taps, 4 ranges, on an H200's grid): the split
// reduction pools, so the pooled 6x6 output is written directly and no
// pooling kernel is left; each output takes the 9 conv outputs of its
// window, 2 rows and 2 columns apart from its neighbours', summing the 4
// ranges of each. For one SM the layer does not split and the pool is a
// kernel of its own; likewise for the direct kernel.

// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 13>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK: gpu.launch_func @kiln_kernels::@max_pool2d_1
// SHARED-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 13>
// SHARED: gpu.launch_func @kiln_kernels::@conv2d_shared_0
// SHARED: gpu.launch_func @kiln_kernels::@max_pool2d_1
// H200-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 13>
// H200: func.func @forward(%{{.*}}: memref<1x64x13x13xf32>, %[[OUT:.*]]: memref<1x32x6x6xf32>
// H200: %[[RAW:.*]] = memref.view {{.*}} to memref<4x1x32x13x13xf32>
// H200: gpu.launch_func @kiln_kernels::@conv2d_shared_0 {{.*}} args({{.*}}, %[[RAW]] : memref<4x1x32x13x13xf32>)
// H200: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_1 {{.*}} args(%[[RAW]] : memref<4x1x32x13x13xf32>, %{{.*}} : memref<32xf32>, %[[OUT]] : memref<1x32x6x6xf32>)
// H200-NOT: gpu.launch_func
// H200: gpu.func @conv2d_split_reduce_1(
// H200-COUNT-36: memref.load %{{.*}} : memref<4x1x32x13x13xf32>
// H200-NOT: memref.load %{{.*}} : memref<4x1x32x13x13xf32>
// H200: gpu.return
func.func @forward(%x: tensor<1x64x13x13xf32>) -> tensor<1x32x6x6xf32> {
  %w = arith.constant dense<0.125> : tensor<32x64x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<32xf32>
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 relu pool "max" kernel [3, 3] stride [2, 2] : (tensor<1x64x13x13xf32>, tensor<32x64x3x3xf32>, tensor<32xf32>) -> tensor<1x32x6x6xf32>
  return %0 : tensor<1x32x6x6xf32>
}

// -----

// The same for the unfused chain conv2d, relu, avg_pool2d (3x2 windows,
// strides 1x2).

// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 12>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK: gpu.launch_func @kiln_kernels::@avg_pool2d_1
// H200-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 12>
// H200: gpu.launch_func @kiln_kernels::@conv2d_shared_0
// H200: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_1 {{.*}} %arg1 : memref<1x32x11x6xf32>)
// H200-NEXT: return
func.func @forward(%x: tensor<1x64x13x12xf32>) -> tensor<1x32x11x6xf32> {
  %w = arith.constant dense<0.125> : tensor<32x64x3x3xf32>
  %0 = nn.conv2d %x, %w stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x64x13x12xf32>, tensor<32x64x3x3xf32>) -> tensor<1x32x13x12xf32>
  %1 = nn.relu %0 : tensor<1x32x13x12xf32>
  %2 = nn.avg_pool2d %1 kernel [3, 2] stride [1, 2] padding [0, 0, 0, 0] : (tensor<1x32x13x12xf32>) -> tensor<1x32x11x6xf32>
  return %2 : tensor<1x32x11x6xf32>
}

// -----

// Tests that a window of more than 16 positions (5x5 here) stays a pooling
// kernel of its own after a split layer: the reduction unrolls the window.

// H200-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 11>
// H200: gpu.launch_func @kiln_kernels::@conv2d_shared_0
// H200: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_1
// H200: gpu.launch_func @kiln_kernels::@max_pool2d_2 {{.*}} %arg1 : memref<1x32x9x7xf32>)
func.func @forward(%x: tensor<1x64x13x11xf32>) -> tensor<1x32x9x7xf32> {
  %w = arith.constant dense<0.125> : tensor<32x64x3x3xf32>
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 relu pool "max" kernel [5, 5] stride [1, 1] : (tensor<1x64x13x11xf32>, tensor<32x64x3x3xf32>) -> tensor<1x32x9x7xf32>
  return %0 : tensor<1x32x9x7xf32>
}

// -----

// Tests that a returned view is copied into the output buffer.

// CHECK-LABEL: module attributes {gpu.container_module
// CHECK: func.func @forward
// CHECK: gpu.launch_func @kiln_kernels::@relu_0
// CHECK: %[[FLAT:.*]] = memref.collapse_shape
// CHECK: gpu.launch_func @kiln_kernels::@copy_1 {{.*}} args(%[[FLAT]] : memref<1x12xf32>, %arg1 : memref<1x12xf32>)
func.func @forward(%x: tensor<1x3x2x2xf32>) -> tensor<1x12xf32> {
  %0 = nn.relu %x : tensor<1x3x2x2xf32>
  %1 = nn.flatten %0 : (tensor<1x3x2x2xf32>) -> tensor<1x12xf32>
  return %1 : tensor<1x12xf32>
}

// -----

// Tests that a tensor too large for the kernels' 32-bit indices is refused
// at the op that produces it.

func.func @forward(%x: tensor<1x1x32768x32768xf32>) -> tensor<1x1x32768x32768xf32> {
  %w = arith.constant dense<0.5> : tensor<2x1x1x1xf32>
  %v = arith.constant dense<0.5> : tensor<1x2x1x1xf32>
  // expected-error @below {{a tensor of 2147483648 elements is too large for the GPU path (32-bit indexing)}}
  %0 = nn.conv2d %x, %w stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 : (tensor<1x1x32768x32768xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x32768x32768xf32>
  %1 = nn.conv2d %0, %v stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 : (tensor<1x2x32768x32768xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x32768x32768xf32>
  return %1 : tensor<1x1x32768x32768xf32>
}

// -----

// Tests the Winograd F(2x2, 3x3) kernel (conv-kernel=winograd, the
// default) for one SM: 2 images of 7x7 tiles under the 2x2 pool (98 tiles)
// make 4 blocks of 32 tiles and 32 output channels, 256 threads each,
// without splits. Per chunk of 8 input channels each thread transforms one
// filter (9 weights) and one 4x4 input patch into the shared tile (8704
// words: U then V), waits, then multiplies 8 channels x 8 tiles of one of
// the 16 products from 8 + 8 shared loads per input channel, and waits
// again. The output transform then runs in two halves of 16 channels: the
// threads holding them store M (64 values each), wait, and each thread
// finishes two (channel, tile) pairs: 16 loads, bias, ReLU, the max over
// the 2x2 tile, one store.
// WINOGRAD-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 2, 16, 14, 14>
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_winograd_0 blocks in (%c4, %c1, %c1) threads in (%c256, %c1, %c1)
// WINOGRAD-NOT: gpu.launch_func
// WINOGRAD: gpu.func @conv2d_winograd_0({{.*}}) workgroup(%[[TILE:.*]] : memref<8704xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// WINOGRAD: scf.for %{{.*}} = %c0 to %c16 step %c8 iter_args(
// WINOGRAD-COUNT-9: memref.load %{{.*}} : memref<32x16x3x3xf32>
// WINOGRAD-COUNT-16: memref.store %{{.*}}, %[[TILE]]
// WINOGRAD-COUNT-16: memref.load %{{.*}} : memref<2x16x14x14xf32>
// WINOGRAD-COUNT-16: memref.store %{{.*}}, %[[TILE]]
// WINOGRAD-NEXT: gpu.barrier
// WINOGRAD: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(
// WINOGRAD-COUNT-16: memref.load %[[TILE]]
// WINOGRAD-COUNT-64: math.fma
// WINOGRAD: gpu.barrier
// WINOGRAD-NEXT: scf.yield
// WINOGRAD: scf.if
// WINOGRAD-COUNT-64: memref.store %{{.*}}, %[[TILE]]
// WINOGRAD: gpu.barrier
// WINOGRAD-COUNT-16: memref.load %[[TILE]]
// WINOGRAD: memref.load %{{.*}} : memref<32xf32>
// 4 ReLUs and 3 maxima of the pool.
// WINOGRAD-COUNT-7: arith.maximumf
// WINOGRAD-NEXT: memref.store %{{.*}} : memref<2x32x7x7xf32>
// Two pairs per thread, then the second half.
// WINOGRAD-COUNT-16: memref.load %[[TILE]]
// WINOGRAD: gpu.barrier
// WINOGRAD: scf.if
// WINOGRAD-COUNT-64: memref.store %{{.*}}, %[[TILE]]
// WINOGRAD: gpu.barrier
// WINOGRAD: gpu.return

// For an H200 the 4 blocks (2 rounds of 8 channels: no split) are too few;
// the shared-memory kernel takes the layer.
// WGSM132-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 2, 16, 14, 14>
// WGSM132: gpu.launch_func @kiln_kernels::@conv2d_shared_0
// WGSM132-NOT: winograd
func.func @forward(%x: tensor<2x16x14x14xf32>) -> tensor<2x32x7x7xf32> {
  %w = arith.constant dense<0.125> : tensor<32x16x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<32xf32>
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 relu pool "max" kernel [2, 2] stride [2, 2] : (tensor<2x16x14x14xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<2x32x7x7xf32>
  return %0 : tensor<2x32x7x7xf32>
}

// -----

// Tests a Winograd layer that splits, for an H200 (132 SMs). 28x28 outputs at batch 1
// are 196 tiles, 7 blocks of tiles x 2 of channels; 512 input channels
// split into 32 ranges of 16 (2 rounds each) make 448 blocks. Each writes
// its raw 2x2 tiles (no bias) to a [32, 1, 64, 28, 28] scratch buffer, and
// the shared kernel's reduction adds the ranges and applies the bias.
// WGSM132-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 512, 28, 28>
// WGSM132: %[[SCRATCH:.*]] = memref.view {{.*}} : memref<{{[0-9]+}}xi8> to memref<32x1x64x28x28xf32>
// WGSM132: gpu.launch_func @kiln_kernels::@conv2d_winograd_0 blocks in (%c7, %c64, %c1) threads in (%c256, %c1, %c1) args(%arg0 : memref<1x512x28x28xf32>, %{{.*}} : memref<64x512x3x3xf32>, %[[SCRATCH]] : memref<32x1x64x28x28xf32>)
// WGSM132: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_1 {{.*}} args(%[[SCRATCH]] : memref<32x1x64x28x28xf32>, %{{.*}} : memref<64xf32>, %arg1 : memref<1x64x28x28xf32>)
// WGSM132: gpu.func @conv2d_winograd_0
// WGSM132: scf.for %{{.*}} = %c0 to %c16 step %c8 iter_args(
// WGSM132: scf.if
// WGSM132-COUNT-4: memref.store %{{.*}} : memref<32x1x64x28x28xf32>
// WGSM132: gpu.func @conv2d_split_reduce_1
// WGSM132-COUNT-32: memref.load %{{.*}} : memref<32x1x64x28x28xf32>
func.func @forward(%x: tensor<1x512x28x28xf32>) -> tensor<1x64x28x28xf32> {
  %w = arith.constant dense<0.125> : tensor<64x512x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<64xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x512x28x28xf32>, tensor<64x512x3x3xf32>, tensor<64xf32>) -> tensor<1x64x28x28xf32>
  return %0 : tensor<1x64x28x28xf32>
}

// -----

// Tests that a Winograd layer that splits also pools overlapping windows in
// its reduction (AlexNet's 3x3, stride 2), for one SM: 49 tiles make 1
// block; 64 input channels split into 2 ranges of 32; the ReLU and the
// max pool run in the reduction, with no pooling kernel.
// WINOGRAD-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 64, 13, 13>
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_winograd_0 blocks in (%c2, %c2, %c1) threads in (%c256, %c1, %c1) args({{.*}} : memref<2x1x32x13x13xf32>)
// WINOGRAD-NEXT: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_1 {{.*}} %arg1 : memref<1x32x6x6xf32>)
// WINOGRAD-NOT: gpu.launch_func
// WINOGRAD: gpu.func @conv2d_split_reduce_1
// WINOGRAD-COUNT-18: memref.load %{{.*}} : memref<2x1x32x13x13xf32>
func.func @forward(%x: tensor<1x64x13x13xf32>) -> tensor<1x32x6x6xf32> {
  %w = arith.constant dense<0.125> : tensor<32x64x3x3xf32>
  %0 = nn.fused_conv2d %x, %w stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 relu pool "max" kernel [3, 3] stride [2, 2] : (tensor<1x64x13x13xf32>, tensor<32x64x3x3xf32>) -> tensor<1x32x6x6xf32>
  return %0 : tensor<1x32x6x6xf32>
}

// -----

// Tests the layers the Winograd kernel leaves to the other kernels, even
// for one SM: a stride of 2, a dilation of 2, 2 groups (the direct kernel),
// a 1x1 window, 12 input channels (not a multiple of its 8-channel rounds)
// with 24 output channels (not a multiple of its 32-channel blocks), a 5x5
// window; and one it takes, for comparison (2 blocks: it splits in 2).
// WINOGRAD-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 16, 16, 16>
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_shared_0
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_shared_1
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_2
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_shared_3
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_shared_4
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_shared_5
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_winograd_6 blocks in (%c2, %c2, %c1)
// WINOGRAD-NEXT: gpu.launch_func @kiln_kernels::@conv2d_split_reduce_7
// WINOGRAD-NOT: gpu.launch_func
func.func @forward(%x: tensor<1x16x16x16xf32>) -> tensor<1x32x16x16xf32> {
  %w0 = arith.constant dense<0.125> : tensor<32x16x3x3xf32>
  %0 = nn.conv2d %x, %w0 stride [2, 2] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x16x16x16xf32>, tensor<32x16x3x3xf32>) -> tensor<1x32x8x8xf32>
  %w1 = arith.constant dense<0.125> : tensor<32x32x3x3xf32>
  %1 = nn.conv2d %0, %w1 stride [1, 1] padding [2, 2, 2, 2] dilation [2, 2] groups 1 : (tensor<1x32x8x8xf32>, tensor<32x32x3x3xf32>) -> tensor<1x32x8x8xf32>
  %w2 = arith.constant dense<0.125> : tensor<32x16x3x3xf32>
  %2 = nn.conv2d %1, %w2 stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 2 : (tensor<1x32x8x8xf32>, tensor<32x16x3x3xf32>) -> tensor<1x32x8x8xf32>
  %w3 = arith.constant dense<0.125> : tensor<12x32x1x1xf32>
  %3 = nn.conv2d %2, %w3 stride [1, 1] padding [0, 0, 0, 0] dilation [1, 1] groups 1 : (tensor<1x32x8x8xf32>, tensor<12x32x1x1xf32>) -> tensor<1x12x8x8xf32>
  %w4 = arith.constant dense<0.125> : tensor<24x12x3x3xf32>
  %4 = nn.conv2d %3, %w4 stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x12x8x8xf32>, tensor<24x12x3x3xf32>) -> tensor<1x24x8x8xf32>
  %w5 = arith.constant dense<0.125> : tensor<32x24x5x5xf32>
  %5 = nn.conv2d %4, %w5 stride [1, 1] padding [2, 2, 2, 2] dilation [1, 1] groups 1 : (tensor<1x24x8x8xf32>, tensor<32x24x5x5xf32>) -> tensor<1x32x8x8xf32>
  %w6 = arith.constant dense<0.125> : tensor<32x32x3x3xf32>
  %6 = nn.conv2d %5, %w6 stride [1, 1] padding [5, 5, 5, 5] dilation [1, 1] groups 1 : (tensor<1x32x8x8xf32>, tensor<32x32x3x3xf32>) -> tensor<1x32x16x16xf32>
  return %6 : tensor<1x32x16x16xf32>
}

// -----

// Tests F(4x4, 3x3) (winograd-tile=4) with a fused 2x2 pool, for one SM: a
// 4x4 tile holds 2x2 pool windows, so the 14x14 pooled outputs of 4 images
// are 7x7 tiles each, 196 in all: 13 blocks of 16 tiles and 32 channels,
// 288 threads (36 products x 4 channel groups x 2 tile groups). Chunks of
// 4 input channels: each filter transform stores 36 elements of U, each
// patch transform reads a 6x6 patch and stores 36 of V, in a 9216-word
// tile (M of 16 channels, 36 x 16 x 16 words, is its largest use). Each
// (channel, tile) pair writes 4 pooled outputs.
// WGTILE4-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 4, 32, 28, 28>
// WGTILE4: gpu.launch_func @kiln_kernels::@conv2d_winograd_0 blocks in (%c13, %c1, %c1) threads in (%c288, %c1, %c1)
// WGTILE4-NOT: gpu.launch_func
// WGTILE4: gpu.func @conv2d_winograd_0({{.*}}) workgroup(%[[TILE:.*]] : memref<9216xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel attributes {known_block_size = array<i32: 288, 1, 1>}
// WGTILE4: scf.for %{{.*}} = %c0 to %c32 step %c4 iter_args(
// WGTILE4-COUNT-9: memref.load %{{.*}} : memref<32x32x3x3xf32>
// WGTILE4-COUNT-36: memref.store %{{.*}}, %[[TILE]]
// WGTILE4-COUNT-36: memref.load %{{.*}} : memref<4x32x28x28xf32>
// WGTILE4-COUNT-36: memref.store %{{.*}}, %[[TILE]]
// WGTILE4: gpu.barrier
// WGTILE4: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(
// WGTILE4-COUNT-16: memref.load %[[TILE]]
// WGTILE4-COUNT-64: math.fma
// WGTILE4: gpu.barrier
// WGTILE4-NEXT: scf.yield
// WGTILE4: scf.if
// WGTILE4-COUNT-64: memref.store %{{.*}}, %[[TILE]]
// WGTILE4: gpu.barrier
// WGTILE4-COUNT-36: memref.load %[[TILE]]
// WGTILE4-COUNT-4: memref.store %{{.*}} : memref<4x32x14x14xf32>
// WGTILE4-NOT: memref<4x32x14x14xf32>
// WGTILE4: gpu.barrier

// F(2x2) (the default) covers the same outputs with 784 tiles in 25 blocks
// of 32.
// WINOGRAD-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 4, 32, 28, 28>
// WINOGRAD: gpu.launch_func @kiln_kernels::@conv2d_winograd_0 blocks in (%c25, %c1, %c1) threads in (%c256, %c1, %c1)
func.func @forward(%x: tensor<4x32x28x28xf32>) -> tensor<4x32x14x14xf32> {
  %w = arith.constant dense<0.125> : tensor<32x32x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<32xf32>
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 relu pool "max" kernel [2, 2] stride [2, 2] : (tensor<4x32x28x28xf32>, tensor<32x32x3x3xf32>, tensor<32xf32>) -> tensor<4x32x14x14xf32>
  return %0 : tensor<4x32x14x14xf32>
}

// -----

// Tests that nn.clamp, nn.leaky_relu and nn.elu become one-thread-per-element
// kernels: a clamp takes maximumf then minimumf with its bounds (an infinite
// bound none), a leaky ReLU selects x or slope * x, an ELU x or
// alpha * (exp(x) - 1).
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 2, 300>
// CHECK: gpu.launch_func @kiln_kernels::@clamp_0 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%c256,
// CHECK: gpu.launch_func @kiln_kernels::@clamp_1
// CHECK: gpu.launch_func @kiln_kernels::@leaky_relu_2
// CHECK: gpu.func @clamp_0(
// CHECK-DAG: arith.constant 0.000000e+00 : f32
// CHECK-DAG: arith.constant 6.000000e+00 : f32
// CHECK: arith.maximumf
// CHECK-NEXT: arith.minimumf
// CHECK: gpu.func @clamp_1(
// CHECK-NOT: arith.maximumf
// CHECK: arith.minimumf
// CHECK: gpu.func @leaky_relu_2(
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[X:.*]], %{{.*}} : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: arith.select %[[POS]], %[[X]], %[[SCALED]] : f32
// CHECK: gpu.func @elu_3(
// CHECK: %[[EPOS:.*]] = arith.cmpf ogt, %[[EX:.*]], %{{.*}} : f32
// CHECK: math.exp %[[EX]]
// CHECK: %[[EXPM1:.*]] = arith.subf
// CHECK: %[[ESCALED:.*]] = arith.mulf %[[EXPM1]], %{{.*}} : f32
// CHECK: arith.select %[[EPOS]], %[[EX]], %[[ESCALED]] : f32
// CHECK: gpu.func @selu_4(
// CHECK: %[[SPOS:.*]] = arith.cmpf ogt, %[[SX:.*]], %{{.*}} : f32
// CHECK: %[[SPX:.*]] = arith.mulf %[[SX]], %{{.*}} : f32
// CHECK: math.exp %[[SX]]
// CHECK: %[[SN:.*]] = arith.mulf
// CHECK: arith.select %[[SPOS]], %[[SPX]], %[[SN]] : f32
// CHECK: gpu.func @thresholded_relu_5(
// CHECK: %[[ABOVE:.*]] = arith.cmpf ogt, %[[TX:.*]], %{{.*}} : f32
// CHECK: arith.select %[[ABOVE]], %[[TX]], %{{.*}} : f32
// CHECK: gpu.func @softsign_6(
// CHECK: %[[NEGX:.*]] = arith.subf %{{.*}}, %[[X6:.*]] : f32
// CHECK: %[[ABS:.*]] = arith.maximumf %[[X6]], %[[NEGX]] : f32
// CHECK: %[[DEN:.*]] = arith.addf %[[ABS]], %{{.*}} : f32
// CHECK: arith.divf %[[X6]], %[[DEN]] : f32
// CHECK: gpu.func @softplus_7(
// CHECK: %[[NEGX7:.*]] = arith.subf %{{.*}}, %[[X7:.*]] : f32
// CHECK: %[[ABS7:.*]] = arith.maximumf %[[X7]], %[[NEGX7]] : f32
// CHECK: %[[NABS7:.*]] = arith.subf %{{.*}}, %[[ABS7]] : f32
// CHECK: %[[EXP7:.*]] = math.exp %[[NABS7]] : f32
// CHECK: %[[POS7:.*]] = arith.maximumf %[[X7]], %{{.*}} : f32
// CHECK: %[[LOG7:.*]] = math.log1p %[[EXP7]] : f32
// CHECK: arith.addf %[[POS7]], %[[LOG7]] : f32
// CHECK: gpu.func @celu_8(
// CHECK: %[[CPOS:.*]] = arith.cmpf ogt, %[[CX:.*]], %{{.*}} : f32
// CHECK: %[[CDIV:.*]] = arith.divf %[[CX]], %{{.*}} : f32
// CHECK: math.exp %[[CDIV]]
// CHECK: %[[CM1:.*]] = arith.subf
// CHECK: %[[CS:.*]] = arith.mulf %[[CM1]], %{{.*}} : f32
// CHECK: arith.select %[[CPOS]], %[[CX]], %[[CS]] : f32
func.func @forward(%x: tensor<2x300xf32>) -> tensor<2x300xf32> {
  %0 = nn.clamp %x min 0.0 max 6.0 : tensor<2x300xf32>
  %1 = nn.clamp %0 min 0xFF800000 max 2.5 : tensor<2x300xf32>
  %2 = nn.leaky_relu %1 slope 0.125 : tensor<2x300xf32>
  %3 = nn.elu %2 alpha 0.5 : tensor<2x300xf32>
  %4 = nn.selu %3 alpha 1.5 gamma 2.0 : tensor<2x300xf32>
  %5 = nn.thresholded_relu %4 alpha 0.25 : tensor<2x300xf32>
  %6 = nn.softsign %5 : tensor<2x300xf32>
  %7 = nn.softplus %6 : tensor<2x300xf32>
  %8 = nn.celu %7 alpha 1.5 : tensor<2x300xf32>
  return %8 : tensor<2x300xf32>
}

// -----

// Tests MobileNetV3's gates as one-thread-per-element kernels: hard_swish
// computes x * clamp(x + 3, 0, 6) / 6, hard_sigmoid clamps alpha * x + beta
// to [0, 1], and a product reads its broadcast operand (computed, or a
// constant weight) at index 0 along the dimensions of size 1; so does a
// PReLU its slope.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 2, 4, 3, 3>
// CHECK: gpu.launch_func @kiln_kernels::@hard_swish_0
// CHECK: gpu.launch_func @kiln_kernels::@adaptive_avg_pool2d_1
// CHECK: gpu.launch_func @kiln_kernels::@hard_sigmoid_2
// CHECK: gpu.launch_func @kiln_kernels::@mul_3
// CHECK: %[[SCALES:.*]] = memref.get_global @{{.*}} : memref<1x4x1x1xf32>
// CHECK: gpu.launch_func @kiln_kernels::@mul_4 {{.*}} args(%{{.*}} : memref<2x4x3x3xf32>, %[[SCALES]] : memref<1x4x1x1xf32>,
// CHECK: gpu.func @hard_swish_0(
// CHECK: %[[X:.*]] = memref.load
// CHECK: %[[SHIFTED:.*]] = arith.addf %[[X]], %{{.*}} : f32
// CHECK: %[[LO:.*]] = arith.maximumf %[[SHIFTED]], %{{.*}} : f32
// CHECK: %[[GATE:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK: %[[P:.*]] = arith.mulf %[[X]], %[[GATE]] : f32
// CHECK: arith.divf %[[P]], %{{.*}} : f32
// CHECK: gpu.func @hard_sigmoid_2(
// CHECK: %[[AX:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[AXB:.*]] = arith.addf %[[AX]], %{{.*}} : f32
// CHECK: %[[LO:.*]] = arith.maximumf %[[AXB]], %{{.*}} : f32
// CHECK: arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK: gpu.func @mul_3(%[[A:.*]]: memref<2x4x3x3xf32> {{.*}}, %[[S:.*]]: memref<2x4x1x1xf32> {{.*}}, %[[OUT:.*]]: memref<2x4x3x3xf32>
// CHECK: %[[XV:.*]] = memref.load %[[A]][%[[N:.*]], %[[C:.*]], %[[H:.*]], %[[W:.*]]]
// CHECK: %[[SV:.*]] = memref.load %[[S]][%[[N]], %[[C]], %[[Z:.*]], %[[Z]]]
// CHECK: %[[Y:.*]] = arith.mulf %[[XV]], %[[SV]] : f32
// CHECK: memref.store %[[Y]], %[[OUT]][%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK: gpu.func @mul_4(%[[A:.*]]: memref<2x4x3x3xf32> {{.*}}, %[[S:.*]]: memref<1x4x1x1xf32>
// CHECK: memref.load %[[S]][%[[Z:.*]], %{{.*}}, %[[Z]], %[[Z]]]
// A PReLU reads its slope as a product reads its broadcast operand.
// CHECK: gpu.func @prelu_5(%[[A:.*]]: memref<2x4x3x3xf32> {{.*}}, %[[S:.*]]: memref<1x4x1x1xf32>
// CHECK: %[[XV:.*]] = memref.load %[[A]]
// CHECK: %[[SV:.*]] = memref.load %[[S]][%[[Z:.*]], %{{.*}}, %[[Z]], %[[Z]]]
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[XV]], %{{.*}} : f32
// CHECK: %[[SCALED:.*]] = arith.mulf %[[SV]], %[[XV]] : f32
// CHECK: arith.select %[[POS]], %[[XV]], %[[SCALED]] : f32
func.func @forward(%x: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %s = arith.constant dense<[[[[0.5]], [[-1.0]], [[2.0]], [[0.25]]]]> : tensor<1x4x1x1xf32>
  %0 = nn.hard_swish %x : tensor<2x4x3x3xf32>
  %1 = nn.adaptive_avg_pool2d %0 : (tensor<2x4x3x3xf32>) -> tensor<2x4x1x1xf32>
  %2 = nn.hard_sigmoid %1 alpha 0.166666672 beta 0.5 : tensor<2x4x1x1xf32>
  %3 = nn.mul %0, %2 : tensor<2x4x3x3xf32>, tensor<2x4x1x1xf32>
  %4 = nn.mul %3, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  %5 = nn.prelu %4, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  return %5 : tensor<2x4x3x3xf32>
}

// -----

// Tests a difference and a quotient as one-thread-per-element kernels that
// read their broadcast right operand as a product does, |x|, log, exp, sqrt
// and a reciprocal.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 2, 4, 3, 3>
// CHECK: gpu.launch_func @kiln_kernels::@sub_0
// CHECK: gpu.launch_func @kiln_kernels::@div_1
// CHECK: gpu.launch_func @kiln_kernels::@abs_2
// CHECK: gpu.func @sub_0(%[[A:.*]]: memref<2x4x3x3xf32> {{.*}}, %[[S:.*]]: memref<1x4x1x1xf32> {{.*}}, %[[OUT:.*]]: memref<2x4x3x3xf32>
// CHECK: %[[XV:.*]] = memref.load %[[A]][%[[N:.*]], %[[C:.*]], %[[H:.*]], %[[W:.*]]]
// CHECK: %[[SV:.*]] = memref.load %[[S]][%[[Z:.*]], %[[C]], %[[Z]], %[[Z]]]
// CHECK: %[[Y:.*]] = arith.subf %[[XV]], %[[SV]] : f32
// CHECK: memref.store %[[Y]], %[[OUT]][%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK: gpu.func @div_1(%[[A:.*]]: memref<2x4x3x3xf32> {{.*}}, %[[B:.*]]: memref<2x4x3x3xf32> {{.*}}, %[[OUT:.*]]: memref<2x4x3x3xf32>
// CHECK: %[[XV:.*]] = memref.load %[[A]][%[[N:.*]], %[[C:.*]], %[[H:.*]], %[[W:.*]]]
// CHECK: %[[BV:.*]] = memref.load %[[B]][%[[N]], %[[C]], %[[H]], %[[W]]]
// CHECK: %[[Y:.*]] = arith.divf %[[XV]], %[[BV]] : f32
// CHECK: gpu.func @abs_2(
// CHECK: %[[XV:.*]] = memref.load
// CHECK: %[[NEG:.*]] = arith.subf %{{.*}}, %[[XV]] : f32
// CHECK: arith.maximumf %[[XV]], %[[NEG]] : f32
// CHECK: gpu.func @log_3(
// CHECK: math.log
// CHECK: gpu.func @exp_4(
// CHECK: math.exp
// CHECK: gpu.func @sqrt_5(
// CHECK: math.sqrt
// CHECK: gpu.func @reciprocal_6(
// CHECK: %[[XV:.*]] = memref.load
// CHECK: arith.divf %{{.*}}, %[[XV]] : f32
func.func @forward(%x: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %s = arith.constant dense<[[[[0.5]], [[-1.0]], [[2.0]], [[0.25]]]]> : tensor<1x4x1x1xf32>
  %0 = nn.sub %x, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.div %0, %x : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
  %2 = nn.abs %1 : tensor<2x4x3x3xf32>
  %3 = nn.log %2 : tensor<2x4x3x3xf32>
  %4 = nn.exp %3 : tensor<2x4x3x3xf32>
  %5 = nn.sqrt %4 : tensor<2x4x3x3xf32>
  %6 = nn.reciprocal %5 : tensor<2x4x3x3xf32>
  return %6 : tensor<2x4x3x3xf32>
}

// -----

// Tests that a convolution takes the hard swish that is its only user, as a
// fused convolution's is taken: x * min(max(x + 3, 0), 6) / 6 after the
// bias, in one kernel; and that a max pool after a hard swish (which does
// not commute with it) stays a kernel of its own.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 4, 10, 10>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_1
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_2
// CHECK: gpu.launch_func @kiln_kernels::@max_pool2d_3
// CHECK-NOT: gpu.launch_func
// CHECK-COUNT-3: gpu.func @conv2d_{{[0-2]}}(
// CHECK: %[[V:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[V]], %{{.*}} : f32
// CHECK-NEXT: %[[LO:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK-NEXT: %[[GATE:.*]] = arith.minimumf %[[LO]], %{{.*}} : f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[V]], %[[GATE]] : f32
// CHECK-NEXT: arith.divf %[[P]], %{{.*}} : f32
func.func @forward(%x: tensor<1x4x10x10xf32>) -> tensor<1x4x5x5xf32> {
  %w = arith.constant dense<0.125> : tensor<4x4x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<4xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x4x10x10xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x10x10xf32>
  %1 = nn.hard_swish %0 : tensor<1x4x10x10xf32>
  %2 = nn.fused_conv2d %1, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 hardswish : (tensor<1x4x10x10xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x10x10xf32>
  %3 = nn.conv2d %2, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x4x10x10xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x10x10xf32>
  %4 = nn.hard_swish %3 : tensor<1x4x10x10xf32>
  %5 = nn.max_pool2d %4 kernel [2, 2] stride [2, 2] padding [0, 0, 0, 0] : (tensor<1x4x10x10xf32>) -> tensor<1x4x5x5xf32>
  return %5 : tensor<1x4x5x5xf32>
}

// -----

// Tests that a convolution takes the clamp (ReLU6) that is its only user:
// one kernel, whose epilogue clamps after the bias; and that a fused
// convolution's clamp is applied the same way.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 4, 9, 9>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK-NEXT: gpu.launch_func @kiln_kernels::@conv2d_1
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.func @conv2d_0(
// CHECK: arith.addf
// CHECK-NEXT: arith.maximumf
// CHECK-NEXT: arith.minimumf
// CHECK: gpu.func @conv2d_1(
// CHECK: arith.addf
// CHECK-NEXT: arith.maximumf
// CHECK-NEXT: arith.minimumf
func.func @forward(%x: tensor<1x4x9x9xf32>) -> tensor<1x4x9x9xf32> {
  %w = arith.constant dense<0.125> : tensor<4x4x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<4xf32>
  %0 = nn.conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x4x9x9xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x9x9xf32>
  %1 = nn.clamp %0 min 0.0 max 6.0 : tensor<1x4x9x9xf32>
  %2 = nn.fused_conv2d %1, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 clamp [-1.0, 1.0] : (tensor<1x4x9x9xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x9x9xf32>
  return %2 : tensor<1x4x9x9xf32>
}

// -----

// Tests that a fused convolution's SiLU is applied in the kernel after the
// bias, as nn.sigmoid then nn.mul compute it: x * (1 / (1 + exp(-x))).
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 4, 10, 10>
// CHECK: gpu.launch_func @kiln_kernels::@conv2d_0
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.func @conv2d_0(
// CHECK: %[[V:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[V]] : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[EXP]], %{{.*}} : f32
// CHECK-NEXT: %[[S:.*]] = arith.divf %{{.*}}, %[[DEN]] : f32
// CHECK-NEXT: arith.mulf %[[V]], %[[S]] : f32
func.func @forward(%x: tensor<1x4x10x10xf32>) -> tensor<1x4x10x10xf32> {
  %w = arith.constant dense<0.125> : tensor<4x4x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<4xf32>
  %0 = nn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1, 1, 1] dilation [1, 1] groups 1 silu : (tensor<1x4x10x10xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x10x10xf32>
  return %0 : tensor<1x4x10x10xf32>
}

// -----

// Tests the reductions as one thread per output element, looping over the
// reduced dimensions (nested, the accumulator carried), a mean dividing by
// the count after.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 2, 3, 4>
// CHECK: gpu.launch_func @kiln_kernels::@reduce_mean_0
// CHECK: gpu.launch_func @kiln_kernels::@reduce_max_1
// CHECK: gpu.launch_func @kiln_kernels::@reduce_prod_3
// CHECK: gpu.func @reduce_mean_0(%[[IN:.*]]: memref<2x3x4xf32> {{.*}}, %[[OUT:.*]]: memref<1x3x1xf32>
// CHECK: %[[COUNT:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: %[[OUTER:.*]] = scf.for %[[A:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK: %[[INNER:.*]] = scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC2:.*]] = %[[ACC]]) -> (f32)
// CHECK: %[[X:.*]] = memref.load %[[IN]][%[[A]], %{{.*}}, %[[B]]]
// CHECK: arith.addf %[[ACC2]], %[[X]] : f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[OUTER]], %[[COUNT]] : f32
// CHECK: memref.store %[[MEAN]], %[[OUT]]
// CHECK: gpu.func @reduce_max_1(
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: arith.maximumf
// CHECK: gpu.func @reduce_prod_3(
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK: arith.mulf
func.func @forward(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %0 = nn.reduce_mean %x dims [0, 2] : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %1 = nn.reduce_max %0 dims [1] : (tensor<1x3x1xf32>) -> tensor<1x1x1xf32>
  %2 = nn.mul %0, %1 : tensor<1x3x1xf32>, tensor<1x1x1xf32>
  %3 = nn.reduce_prod %2 dims [1] : (tensor<1x3x1xf32>) -> tensor<1x1x1xf32>
  %4 = nn.mul %2, %3 : tensor<1x3x1xf32>, tensor<1x1x1xf32>
  return %4 : tensor<1x3x1xf32>
}

// -----

// Tests a channel shuffle and a strided slice: a reshape is a view of its
// input's buffer (expand_shape or collapse_shape, no kernel), the transpose
// and the slice one thread per output element, the slice reading input
// element offsets + index * strides.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 4, 2, 6>
// CHECK: %[[GROUPS:.*]] = memref.expand_shape %arg0 {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 2, 6] : memref<1x4x2x6xf32> into memref<1x2x2x2x6xf32>
// CHECK: %[[T:.*]] = memref.view
// CHECK: gpu.launch_func @kiln_kernels::@transpose_0 {{.*}} args(%[[GROUPS]] : memref<1x2x2x2x6xf32>, %[[T]] : memref<1x2x2x2x6xf32>)
// CHECK: %[[BACK:.*]] = memref.collapse_shape %[[T]] {{\[}}[0], [1, 2], [3], [4]] : memref<1x2x2x2x6xf32> into memref<1x4x2x6xf32>
// CHECK: gpu.launch_func @kiln_kernels::@slice_1 {{.*}} args(%[[BACK]] : memref<1x4x2x6xf32>, %arg1 : memref<1x2x2x3xf32>)
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.func @slice_1(%[[IN:.*]]: memref<1x4x2x6xf32> {{.*}}, %[[OUT:.*]]: memref<1x2x2x3xf32>
// CHECK: %[[W:.*]] = arith.remui %{{.*}}, %c3 : index
// CHECK: %[[C:.*]] = arith.addi %{{.*}}, %c2 : index
// CHECK: %[[W2:.*]] = arith.muli %[[W]], %c2 : index
// CHECK: %[[W3:.*]] = arith.addi %[[W2]], %c1 : index
// CHECK: memref.load %[[IN]][%{{.*}}, %[[C]], %{{.*}}, %[[W3]]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%{{.*}}, %{{.*}}, %{{.*}}, %[[W]]]
func.func @forward(%x: tensor<1x4x2x6xf32>) -> tensor<1x2x2x3xf32> {
  %0 = nn.reshape %x : (tensor<1x4x2x6xf32>) -> tensor<1x2x2x2x6xf32>
  %1 = nn.transpose %0 perm [0, 2, 1, 3, 4] : (tensor<1x2x2x2x6xf32>) -> tensor<1x2x2x2x6xf32>
  %2 = nn.reshape %1 : (tensor<1x2x2x2x6xf32>) -> tensor<1x4x2x6xf32>
  %3 = nn.slice %2 offsets [0, 2, 0, 1] strides [1, 1, 1, 2] : (tensor<1x4x2x6xf32>) -> tensor<1x2x2x3xf32>
  return %3 : tensor<1x2x2x3xf32>
}

// -----

// Tests a transposed convolution: one thread per output element gathers,
// over the taps (i, j) and the input channels of its group, the input cells
// (y + pad - i) / stride. The division is exact only for the taps from
// (y + pad) mod stride on, every stride-th: the tap loops visit those alone.
// It reads the weight [in, out/groups, kh, kw] as it is, then adds the bias.
// CHECK-LABEL: module attributes {gpu.container_module, kiln.input_shape = array<i64: 1, 4, 3, 3>
// CHECK: gpu.launch_func @kiln_kernels::@conv_transpose2d_0 {{.*}} args(%arg0 : memref<1x4x3x3xf32>, %{{.*}} : memref<4x3x3x3xf32>, %{{.*}} : memref<6xf32>, %arg1 : memref<1x6x6x6xf32>)
// CHECK: gpu.func @conv_transpose2d_0(%[[IN:.*]]: memref<1x4x3x3xf32> {{.*}}, %[[W:.*]]: memref<4x3x3x3xf32> {{.*}}, %[[B:.*]]: memref<6xf32> {{.*}}, %[[OUT:.*]]: memref<1x6x6x6xf32>
// The output channel's group and its index within it.
// CHECK: %[[G:.*]] = arith.divui %[[O:.*]], %c3 : index
// CHECK: %[[M:.*]] = arith.remui %[[O]], %c3 : index
// CHECK: %[[FIRST_I:.*]] = arith.remui %{{.*}}, %c2 : index
// CHECK: %[[FIRST_J:.*]] = arith.remui %{{.*}}, %c2 : index
// CHECK: scf.for %[[I:.*]] = %[[FIRST_I]] to %c3 step %c2
// CHECK: arith.divui %{{.*}}, %c2 : index
// CHECK-NOT: arith.remui
// CHECK: scf.for %[[J:.*]] = %[[FIRST_J]] to %c3 step %c2
// CHECK: scf.for %{{.*}} = %c0 to %c2
// CHECK: memref.load %[[IN]]
// CHECK: memref.load %[[W]][%{{.*}}, %[[M]], %[[I]], %[[J]]]
// CHECK: arith.select
// CHECK: memref.load %[[B]][%[[O]]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%{{.*}}, %[[O]], %{{.*}}, %{{.*}}]
func.func @forward(%x: tensor<1x4x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %w = arith.constant dense<0.25> : tensor<4x3x3x3xf32>
  %b = arith.constant dense<0.5> : tensor<6xf32>
  %0 = nn.conv_transpose2d %x, %w, %b stride [2, 2] padding [1, 1, 0, 0] output_padding [0, 0] dilation [1, 1] groups 2 : (tensor<1x4x3x3xf32>, tensor<4x3x3x3xf32>, tensor<6xf32>) -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// -----

// Tests nn.maximum and nn.minimum as element-wise kernels, the right operand
// read at 0 along its dimensions of size 1.

// CHECK-LABEL: gpu.func @maximum_0(
// CHECK: %[[SV:.*]] = memref.load %{{.*}}[%[[Z:.*]], %{{.*}}, %[[Z]], %[[Z]]]
// CHECK: arith.maximumf %{{.*}}, %[[SV]] : f32
// CHECK-LABEL: gpu.func @minimum_1(
// CHECK: arith.minimumf %{{.*}}, %{{.*}} : f32
func.func @forward(%x: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %s = arith.constant dense<[[[[0.5]], [[-1.0]], [[2.0]], [[0.25]]]]> : tensor<1x4x1x1xf32>
  %0 = nn.maximum %x, %s : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  %1 = nn.minimum %0, %x : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
  return %1 : tensor<2x4x3x3xf32>
}

// -----

// Tests nn.pow as an element-wise kernel: exp(y * log|x|), negated for a
// negative base and an odd integer exponent, NaN for a negative base and
// another exponent, 1 for a zero exponent.

// CHECK-LABEL: gpu.func @pow_0(
// CHECK: %[[X:.*]] = memref.load
// CHECK: %[[Y:.*]] = memref.load %{{.*}}[%[[Z:.*]], %{{.*}}, %[[Z]], %[[Z]]]
// CHECK: %[[LOG:.*]] = math.log %{{.*}} : f32
// CHECK: %[[P:.*]] = math.exp %{{.*}} : f32
// CHECK: %[[FY:.*]] = math.floor %[[Y]] : f32
// CHECK: arith.cmpf oeq, %[[FY]], %[[Y]] : f32
// CHECK: arith.cmpf one
// CHECK: arith.select
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f32
// CHECK: %[[NEG:.*]] = arith.cmpf olt, %[[X]], %cst{{.*}} : f32
// CHECK: %[[ZERO:.*]] = arith.cmpf oeq, %[[Y]], %cst{{.*}} : f32
// CHECK: arith.select %[[ZERO]]
func.func @forward(%x: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %e = arith.constant dense<[[[[0.5]], [[-1.0]], [[3.0]], [[0.0]]]]> : tensor<1x4x1x1xf32>
  %0 = nn.pow %x, %e : tensor<2x4x3x3xf32>, tensor<1x4x1x1xf32>
  return %0 : tensor<2x4x3x3xf32>
}
