// RUN: kiln-opt %s --split-input-file --kiln-gpu-emulate --verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-gpu-emulate=check-races=false --verify-diagnostics | FileCheck %s --check-prefix=NOCHECK
// NOCHECK-NOT: kiln_emulate_check
// NOCHECK-NOT: cf.assert

// Tests that a launch becomes a parallel loop over the grid around serial
// loops over the block, running a copy of the kernel body with the block and
// thread ids read from the loop counters; the gpu.module goes away and the
// host's buffers are freed before it returns. The buffer the kernel writes
// gets a shadow of its elements' last writers for the race check. Each kind
// of check calls a private function holding its message's cf.assert.

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[IN:.*]]: memref<300xf32>, %[[OUT:.*]]: memref<300xf32>)
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<300xf32>
// CHECK: %[[WRITERS:.*]] = memref.alloc() : memref<300xi64>
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
// The race check: the element's last writer swapped for this thread.
// CHECK: memref.atomic_rmw assign %{{.*}}, %[[WRITERS]][%{{.*}}] : (i64, memref<300xi64>) -> i64
// CHECK: call @[[RACE:kiln_emulate_check_[0-9]+]](%{{.*}}) : (i1) -> ()
// CHECK: memref.store %{{.*}}, %[[TMP]][%[[ID]]]
// CHECK: memref.dealloc %[[WRITERS]] :
// CHECK-NEXT: memref.dealloc %[[TMP]] :
// CHECK-NEXT: return
// CHECK: func.func private @kiln_emulate_check(%[[OK:.*]]: i1)
// CHECK-NEXT: cf.assert %[[OK]], "kiln --gpu-emulate: kernel 'relu' writes out of the bounds of a buffer"
// CHECK-NEXT: return
// CHECK: func.func private @[[RACE]](%[[OK:.*]]: i1)
// CHECK-NEXT: cf.assert %[[OK]], "kiln --gpu-emulate: data race in kernel 'relu': two threads write one element of global memory, from different blocks or between the same two barriers"
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

// Tests a barrier in the kernel's body: the threads run the code before it,
// all of them, then the code after it. The workgroup buffer becomes one
// buffer per block, and %mirror, computed before the barrier and used after
// it, is kept per thread in a scratch array.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK: scf.parallel
// CHECK-DAG: %[[MIRRORS:.*]] = memref.alloc() : memref<4xindex>
// CHECK-DAG: %[[TILE:.*]] = memref.alloc() : memref<4xf32>
// CHECK: scf.for %[[TX:.*]] = %{{.*}} to %{{.*}}
// CHECK: %[[V:.*]] = memref.load %[[IN]][%[[TX]]]
// CHECK: memref.store %[[V]], %[[TILE]][%[[TX]]]
// CHECK: %[[MIRROR:.*]] = arith.subi %{{.*}}, %[[TX]]
// CHECK: memref.store %[[MIRROR]], %[[MIRRORS]][%[[T:.*]]] : memref<4xindex>
// CHECK: scf.for %[[TX2:.*]] = %{{.*}} to %{{.*}}
// CHECK: %[[M:.*]] = memref.load %[[MIRRORS]]
// CHECK: %[[W:.*]] = memref.load %[[TILE]][%[[M]]]
// CHECK: memref.store %[[W]], %[[OUT]][%[[TX2]]]
// CHECK-NOT: gpu.
module attributes {gpu.container_module} {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @kernels::@reverse blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%in : memref<4xf32>, %out : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @reverse(%in: memref<4xf32>, %out: memref<4xf32>) workgroup(%tile : memref<4xf32, #gpu.address_space<workgroup>>) kernel {
      %c3 = arith.constant 3 : index
      %tx = gpu.thread_id x
      %v = memref.load %in[%tx] : memref<4xf32>
      memref.store %v, %tile[%tx] : memref<4xf32, #gpu.address_space<workgroup>>
      %mirror = arith.subi %c3, %tx : index
      gpu.barrier
      %w = memref.load %tile[%mirror] : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%tx] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// Tests the data race check (test/gpu/emulate-races.test runs it): each
// workgroup buffer gets two shadow arrays of tags, zeroed as the block
// starts; each access loads the tags of its word, asserts that no other
// thread touched it in this phase (for a load: wrote it) and records
// itself. A barrier moves the block's phase counter on.
// CHECK-LABEL: func.func @forward
// CHECK: scf.parallel
// CHECK-DAG: %[[COUNTER:.*]] = memref.alloc() : memref<1xindex>
// CHECK-DAG: %[[READS:.*]] = memref.alloc() : memref<8xindex>
// CHECK-DAG: %[[WRITES:.*]] = memref.alloc() : memref<8xindex>
// CHECK: scf.for %[[W:.*]] =
// CHECK-DAG: memref.store %{{.*}}, %[[WRITES]][%[[W]]]
// CHECK-DAG: memref.store %{{.*}}, %[[READS]][%[[W]]]
// CHECK: memref.store %{{.*}}, %[[COUNTER]]
// CHECK: %[[PHASE:.*]] = memref.load %[[COUNTER]]
// CHECK: scf.for
// CHECK: memref.load %[[WRITES]]
// CHECK: memref.load %[[READS]]
// CHECK: call @[[SHARED_RACE:kiln_emulate_check_[0-9]+]](
// CHECK: memref.store %{{.*}}, %[[WRITES]]
// CHECK: memref.store %{{.*}}, %{{.*}} : memref<8xf32>
// CHECK: %[[LAST:.*]] = memref.load %[[COUNTER]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[LAST]]
// CHECK: memref.store %[[NEXT]], %[[COUNTER]]
// CHECK: scf.for
// CHECK: call @[[SHARED_RACE]](
// CHECK: call @[[UNWRITTEN:kiln_emulate_check_[0-9]+]](
// CHECK: arith.select
// CHECK: memref.store %{{.*}}, %[[READS]]
// CHECK: memref.load %{{.*}} : memref<8xf32>
// CHECK: func.func private @[[SHARED_RACE]](%[[OK:.*]]: i1)
// CHECK-NEXT: cf.assert %[[OK]], "kiln --gpu-emulate: data race in kernel 'pairs': two threads of a block access one word of shared memory between two barriers, at least one of them writing"
// CHECK: func.func private @[[UNWRITTEN]](%[[OK:.*]]: i1)
// CHECK-NEXT: cf.assert %[[OK]], "kiln --gpu-emulate: kernel 'pairs' reads a word of shared memory that no thread of its block wrote"
module attributes {gpu.container_module} {
  func.func @forward(%out: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @kernels::@pairs blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%out : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @pairs(%out: memref<4xf32>) workgroup(%tile : memref<8xf32, #gpu.address_space<workgroup>>) kernel {
      %c2 = arith.constant 2 : index
      %one = arith.constant 1.0 : f32
      %tx = gpu.thread_id x
      %i = arith.muli %tx, %c2 : index
      memref.store %one, %tile[%i] : memref<8xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %tile[%i] : memref<8xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%tx] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// Tests a loop whose body holds barriers (a shared tile filled chunk by
// chunk): it runs once per block with constant bounds, each iteration
// running its three phases (the last holds only the yield) over all
// threads. Each thread's sum lives in a scratch array: set to the initial
// value before the loop, stored at the end of every iteration, and read
// back after the loop.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[IN:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<2xf32>)
// CHECK: scf.parallel
// CHECK-COUNT-3: memref.alloc() : memref<2xf32>
// CHECK: scf.for
// CHECK: memref.store %cst{{.*}}, %[[SUMS:.*]][
// CHECK: scf.for %[[CHUNK:.*]] = %c0{{.*}} to %c8{{.*}} step %c2
// CHECK: scf.for %[[TX:.*]] =
// CHECK: arith.addi %[[CHUNK]], %[[TX]]
// CHECK: memref.store %{{.*}}, %[[TILE:.*]][%[[TX]]]
// CHECK: scf.for
// CHECK: memref.load %[[TILE]]
// CHECK: memref.load %[[SUMS]]
// CHECK: %[[NEXT:.*]] = arith.addf
// CHECK: memref.store %[[NEXT]], %[[NEXTS:.*]][
// CHECK: scf.for
// CHECK: %[[N:.*]] = memref.load %[[NEXTS]]
// CHECK: memref.store %[[N]], %[[SUMS]]
// CHECK: scf.for
// CHECK: %[[SUM:.*]] = memref.load %[[SUMS]]
// CHECK: memref.store %[[SUM]], %[[OUT]]
module attributes {gpu.container_module} {
  func.func @forward(%in: memref<8xf32>, %out: memref<2xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    gpu.launch_func @kernels::@chunks blocks in (%c1, %c1, %c1) threads in (%c2, %c1, %c1) args(%in : memref<8xf32>, %out : memref<2xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @chunks(%in: memref<8xf32>, %out: memref<2xf32>) workgroup(%tile : memref<2xf32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c8 = arith.constant 8 : index
      %zero = arith.constant 0.0 : f32
      %tx = gpu.thread_id x
      %sum = scf.for %c = %c0 to %c8 step %c2 iter_args(%acc = %zero) -> f32 {
        %i = arith.addi %c, %tx : index
        %v = memref.load %in[%i] : memref<8xf32>
        memref.store %v, %tile[%tx] : memref<2xf32, #gpu.address_space<workgroup>>
        gpu.barrier
        %other = arith.subi %c1, %tx : index
        %w = memref.load %tile[%other] : memref<2xf32, #gpu.address_space<workgroup>>
        %next = arith.addf %acc, %w : f32
        gpu.barrier
        scf.yield %next : f32
      }
      memref.store %sum, %out[%tx] : memref<2xf32>
      gpu.return
    }
  }
}

// -----

// Tests that a barrier under a condition is refused: the threads of a block
// could disagree on reaching it.

module attributes {gpu.container_module} {
  func.func @forward(%in: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@sync blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%in : memref<4xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @sync(%in: memref<4xf32>) kernel {
      %true = arith.constant true
      scf.if %true {
        // expected-error @below {{cannot emulate a barrier nested deeper than one loop of the kernel's body}}
        gpu.barrier
      }
      gpu.return
    }
  }
}
