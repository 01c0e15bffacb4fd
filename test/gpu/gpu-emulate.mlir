// RUN: kiln-opt %s --split-input-file --kiln-gpu-emulate --verify-diagnostics | FileCheck %s

// Tests that a launch becomes a parallel loop over the grid around serial
// loops over the block, running a copy of the kernel body with the block and
// thread ids read from the loop counters; the gpu.module goes away and the
// host's buffers are freed before it returns.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[IN:.*]]: memref<300xf32>, %[[OUT:.*]]: memref<300xf32>)
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<300xf32>
// CHECK: %[[GX:.*]] = arith.constant 2 : index
// CHECK: scf.parallel (%[[BX:.*]], %{{.*}}, %{{.*}}) = ({{.*}}) to (%[[GX]], %{{.*}}, %{{.*}})
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: scf.for %[[TX:.*]] = %{{.*}} to %[[C256]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %{{.*}}
// CHECK: %[[ID:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: scf.if
// CHECK: memref.load %[[IN]][%[[ID]]]
// CHECK: memref.store %{{.*}}, %[[TMP]][%[[ID]]]
// CHECK: memref.dealloc %[[TMP]]
// CHECK-NEXT: return
// CHECK-NOT: gpu.
module attributes {gpu.container_module} {
  func.func @forward(%in: memref<300xf32>, %out: memref<300xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c256 = arith.constant 256 : index
    %tmp = memref.alloc() : memref<300xf32>
    gpu.launch_func @kernels::@relu blocks in (%c2, %c1, %c1) threads in (%c256, %c1, %c1) args(%in : memref<300xf32>, %tmp : memref<300xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @relu(%in: memref<300xf32>, %out: memref<300xf32>) kernel {
      %c256 = arith.constant 256 : index
      %c300 = arith.constant 300 : index
      %zero = arith.constant 0.0 : f32
      %bx = gpu.block_id x
      %tx = gpu.thread_id x
      %base = arith.muli %bx, %c256 : index
      %id = arith.addi %base, %tx : index
      %ok = arith.cmpi slt, %id, %c300 : index
      scf.if %ok {
        %v = memref.load %in[%id] : memref<300xf32>
        %r = arith.maximumf %v, %zero : f32
        memref.store %r, %out[%id] : memref<300xf32>
      }
      gpu.return
    }
  }
}

// -----

// Tests that a kernel whose threads synchronise is refused: running the
// threads of a block one after the other would be wrong.

module attributes {gpu.container_module} {
  func.func @forward(%in: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    // expected-error @below {{cannot emulate a kernel whose threads synchronise}}
    gpu.launch_func @kernels::@sync blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%in : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @sync(%in: memref<4xf32>) kernel {
      gpu.barrier
      gpu.return
    }
  }
}
