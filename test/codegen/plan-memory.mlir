// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-plan-memory | FileCheck %s
// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-plan-memory=report=true 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT
// RUN: kiln-opt %s --split-input-file --verify-diagnostics --kiln-plan-memory=alignment=256 | FileCheck %s --check-prefix=ALIGN256
// RUN: not kiln-opt %s --split-input-file --kiln-plan-memory=alignment=48 2>&1 | FileCheck %s --check-prefix=BADALIGN
// BADALIGN: error: kiln-plan-memory: alignment must be a power of two, not 48

// Tests a chain a -> b -> c: a dies when b is computed, so c reuses a's
// bytes, while b (live together with both) sits after them. The deallocs
// disappear and the workspace becomes the last argument.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<16xf32>, %[[WS:.*]]: memref<128xi8>)
// CHECK-NOT: memref.alloc
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[A:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<16xf32>) outs(%[[A]] : memref<16xf32>)
// CHECK: %[[B:.*]] = memref.view %[[WS]][%[[C64]]][] : memref<128xi8> to memref<16xf32>
// CHECK: linalg.copy ins(%[[A]] : memref<16xf32>) outs(%[[B]] : memref<16xf32>)
// CHECK: %[[C:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: linalg.copy ins(%[[B]] : memref<16xf32>) outs(%[[C]] : memref<16xf32>)
// CHECK: linalg.copy ins(%[[C]] : memref<16xf32>) outs(%[[OUT]] : memref<16xf32>)
// CHECK-NOT: memref.dealloc
// CHECK: return

// With the GPU path's 256-byte alignment (cuMemAlloc's) b moves to 256.
// ALIGN256-LABEL: func.func @forward(
// ALIGN256-SAME: %[[WS:[^:]*]]: memref<512xi8>)
// ALIGN256-DAG: %[[C0:.*]] = arith.constant 0 : index
// ALIGN256-DAG: %[[C256:.*]] = arith.constant 256 : index
// ALIGN256: memref.view %[[WS]][%[[C0]]][] : memref<512xi8> to memref<16xf32>
// ALIGN256: memref.view %[[WS]][%[[C256]]][] : memref<512xi8> to memref<16xf32>
// ALIGN256: memref.view %[[WS]][%[[C0]]][] : memref<512xi8> to memref<16xf32>

// REPORT-LABEL: memory plan of @forward:
// REPORT-COUNT-3: 64 bytes at
// REPORT: 3 buffers, 192 bytes if allocated separately; workspace (peak activation memory): 128 bytes
module {
  func.func @forward(%in: memref<16xf32>, %out: memref<16xf32>) {
    %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    linalg.copy ins(%in : memref<16xf32>) outs(%a : memref<16xf32>)
    %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    linalg.copy ins(%a : memref<16xf32>) outs(%b : memref<16xf32>)
    %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    linalg.copy ins(%b : memref<16xf32>) outs(%c : memref<16xf32>)
    linalg.copy ins(%c : memref<16xf32>) outs(%out : memref<16xf32>)
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %b : memref<16xf32>
    memref.dealloc %c : memref<16xf32>
    return
  }
}

// -----

// Tests that a use through a view extends the live range: %a is read via a
// collapse_shape by the last copy, so %b cannot take its bytes. Sizes that
// are not multiples of 64 are padded to the alignment.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[WS:[^:]*]]: memref<128xi8>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: memref.view %[[WS]][%[[C0]]][] : memref<128xi8> to memref<2x3xf32>
// CHECK-DAG: memref.view %[[WS]][%[[C64]]][] : memref<128xi8> to memref<6xf32>

// REPORT-LABEL: memory plan of @forward:
// REPORT: 2 buffers, 48 bytes if allocated separately; workspace (peak activation memory): 128 bytes
module {
  func.func @forward(%in: memref<6xf32>, %out: memref<6xf32>) {
    %a = memref.alloc() {alignment = 64 : i64} : memref<2x3xf32>
    %in2 = memref.expand_shape %in [[0, 1]] output_shape [2, 3] : memref<6xf32> into memref<2x3xf32>
    linalg.copy ins(%in2 : memref<2x3xf32>) outs(%a : memref<2x3xf32>)
    %b = memref.alloc() {alignment = 64 : i64} : memref<6xf32>
    linalg.copy ins(%in : memref<6xf32>) outs(%b : memref<6xf32>)
    %flat = memref.collapse_shape %a [[0, 1]] : memref<2x3xf32> into memref<6xf32>
    linalg.copy ins(%flat : memref<6xf32>) outs(%out : memref<6xf32>)
    memref.dealloc %a : memref<2x3xf32>
    memref.dealloc %b : memref<6xf32>
    return
  }
}

// -----

// Tests that a function without intermediate buffers gets an empty
// workspace, and that allocations in nested regions are left alone.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %{{.*}}: memref<0xi8>)
// CHECK: scf.for
// CHECK: memref.alloca

// REPORT-LABEL: memory plan of @forward:
// REPORT: 0 buffers, 0 bytes if allocated separately; workspace (peak activation memory): 0 bytes
module {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.for %i = %c0 to %c4 step %c1 {
      %t = memref.alloca() : memref<1xf32>
      %x = memref.load %in[%i] : memref<4xf32>
      memref.store %x, %t[%c0] : memref<1xf32>
      %y = memref.load %t[%c0] : memref<1xf32>
      memref.store %y, %out[%i] : memref<4xf32>
    }
    return
  }
}

// -----

// Tests that a module without the entry function is an error.

// expected-error@+1 {{the model has no entry function @forward}}
module {
  func.func private @forward(memref<4xf32>)
}

// -----

// Tests that buffers copied whole into contiguous slices of another (a
// concatenation along channels at batch 1) are computed in their slices:
// %x and %y become views at the concatenation's offset and 256 bytes
// further, and the slices and their copies disappear. %x, read by the copy
// that computes %y, keeps that copy.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:[^:]*]]: memref<1x4x4x4xf32>, %[[OUT:[^:]*]]: memref<1x8x4x4xf32>, %[[WS:[^:]*]]: memref<512xi8>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[X:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<512xi8> to memref<1x4x4x4xf32>
// CHECK-NEXT: linalg.copy ins(%[[IN]] : {{.*}}) outs(%[[X]] : {{.*}})
// CHECK-NEXT: %[[Y:.*]] = memref.view %[[WS]][%[[C256]]][] : memref<512xi8> to memref<1x4x4x4xf32>
// CHECK-NEXT: linalg.copy ins(%[[X]] : {{.*}}) outs(%[[Y]] : {{.*}})
// CHECK-NEXT: %[[CAT:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<512xi8> to memref<1x8x4x4xf32>
// CHECK-NEXT: linalg.copy ins(%[[CAT]] : {{.*}}) outs(%[[OUT]] : {{.*}})
// CHECK-NEXT: return
module {
  func.func @forward(%in: memref<1x4x4x4xf32>, %out: memref<1x8x4x4xf32>) {
    %x = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%in : memref<1x4x4x4xf32>) outs(%x : memref<1x4x4x4xf32>)
    %y = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%x : memref<1x4x4x4xf32>) outs(%y : memref<1x4x4x4xf32>)
    %cat = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x4xf32>
    %s0 = memref.subview %cat[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
    linalg.copy ins(%x : memref<1x4x4x4xf32>) outs(%s0 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>)
    %s1 = memref.subview %cat[0, 4, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
    linalg.copy ins(%y : memref<1x4x4x4xf32>) outs(%s1 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>)
    linalg.copy ins(%cat : memref<1x8x4x4xf32>) outs(%out : memref<1x8x4x4xf32>)
    memref.dealloc %x : memref<1x4x4x4xf32>
    memref.dealloc %y : memref<1x4x4x4xf32>
    memref.dealloc %cat : memref<1x8x4x4xf32>
    return
  }
}

// -----

// Tests the copies into slices that stay: %x is read after its copy (into
// %late), %y's slice starts 48 bytes in (not 64-byte aligned), and at batch
// 2 neither slice of %cat2 is contiguous.

// CHECK-LABEL: func.func @forward(
// CHECK: %[[X:.*]] = memref.view {{.*}} to memref<1x3x2x2xf32>
// CHECK: %[[Y:.*]] = memref.view {{.*}} to memref<1x3x2x2xf32>
// CHECK: %[[S0:.*]] = memref.subview
// CHECK-NEXT: linalg.copy ins(%[[X]] : {{.*}}) outs(%[[S0]] : {{.*}})
// CHECK-NEXT: %[[S1:.*]] = memref.subview
// CHECK-NEXT: linalg.copy ins(%[[Y]] : {{.*}}) outs(%[[S1]] : {{.*}})
// CHECK: %[[Z:.*]] = memref.view {{.*}} to memref<2x4x4x4xf32>
// CHECK: %[[W:.*]] = memref.view {{.*}} to memref<2x4x4x4xf32>
// CHECK: %[[S2:.*]] = memref.subview
// CHECK-NEXT: linalg.copy ins(%[[Z]] : {{.*}}) outs(%[[S2]] : {{.*}})
// CHECK-NEXT: %[[S3:.*]] = memref.subview
// CHECK-NEXT: linalg.copy ins(%[[W]] : {{.*}}) outs(%[[S3]] : {{.*}})
module {
  func.func @forward(%in: memref<1x3x2x2xf32>, %in2: memref<2x4x4x4xf32>, %late: memref<1x3x2x2xf32>, %out: memref<1x6x2x2xf32>, %out2: memref<2x8x4x4xf32>) {
    %x = memref.alloc() {alignment = 64 : i64} : memref<1x3x2x2xf32>
    linalg.copy ins(%in : memref<1x3x2x2xf32>) outs(%x : memref<1x3x2x2xf32>)
    %y = memref.alloc() {alignment = 64 : i64} : memref<1x3x2x2xf32>
    linalg.copy ins(%in : memref<1x3x2x2xf32>) outs(%y : memref<1x3x2x2xf32>)
    %cat = memref.alloc() {alignment = 64 : i64} : memref<1x6x2x2xf32>
    %s0 = memref.subview %cat[0, 0, 0, 0] [1, 3, 2, 2] [1, 1, 1, 1] : memref<1x6x2x2xf32> to memref<1x3x2x2xf32, strided<[24, 4, 2, 1]>>
    linalg.copy ins(%x : memref<1x3x2x2xf32>) outs(%s0 : memref<1x3x2x2xf32, strided<[24, 4, 2, 1]>>)
    %s1 = memref.subview %cat[0, 3, 0, 0] [1, 3, 2, 2] [1, 1, 1, 1] : memref<1x6x2x2xf32> to memref<1x3x2x2xf32, strided<[24, 4, 2, 1], offset: 12>>
    linalg.copy ins(%y : memref<1x3x2x2xf32>) outs(%s1 : memref<1x3x2x2xf32, strided<[24, 4, 2, 1], offset: 12>>)
    linalg.copy ins(%x : memref<1x3x2x2xf32>) outs(%late : memref<1x3x2x2xf32>)
    linalg.copy ins(%cat : memref<1x6x2x2xf32>) outs(%out : memref<1x6x2x2xf32>)
    %z = memref.alloc() {alignment = 64 : i64} : memref<2x4x4x4xf32>
    linalg.copy ins(%in2 : memref<2x4x4x4xf32>) outs(%z : memref<2x4x4x4xf32>)
    %w = memref.alloc() {alignment = 64 : i64} : memref<2x4x4x4xf32>
    linalg.copy ins(%in2 : memref<2x4x4x4xf32>) outs(%w : memref<2x4x4x4xf32>)
    %cat2 = memref.alloc() {alignment = 64 : i64} : memref<2x8x4x4xf32>
    %s2 = memref.subview %cat2[0, 4, 0, 0] [2, 4, 4, 4] [1, 1, 1, 1] : memref<2x8x4x4xf32> to memref<2x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
    linalg.copy ins(%z : memref<2x4x4x4xf32>) outs(%s2 : memref<2x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>)
    %s3 = memref.subview %cat2[0, 0, 0, 0] [2, 4, 4, 4] [1, 1, 1, 1] : memref<2x8x4x4xf32> to memref<2x4x4x4xf32, strided<[128, 16, 4, 1]>>
    linalg.copy ins(%w : memref<2x4x4x4xf32>) outs(%s3 : memref<2x4x4x4xf32, strided<[128, 16, 4, 1]>>)
    linalg.copy ins(%cat2 : memref<2x8x4x4xf32>) outs(%out2 : memref<2x8x4x4xf32>)
    return
  }
}

// -----

// Tests that nothing moves into a destination that is read before its last
// slice copy (%cat is copied out between the two), nor into overlapping
// slices (%d's two slices share channel 1).

// CHECK-LABEL: func.func @forward(
// CHECK-COUNT-4: memref.subview
// CHECK-NOT: memref.subview
// CHECK: return
module {
  func.func @forward(%in: memref<1x4x4x4xf32>, %out: memref<1x8x4x4xf32>) {
    %x = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%in : memref<1x4x4x4xf32>) outs(%x : memref<1x4x4x4xf32>)
    %y = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%in : memref<1x4x4x4xf32>) outs(%y : memref<1x4x4x4xf32>)
    %cat = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x4xf32>
    %s0 = memref.subview %cat[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
    linalg.copy ins(%x : memref<1x4x4x4xf32>) outs(%s0 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>)
    linalg.copy ins(%cat : memref<1x8x4x4xf32>) outs(%out : memref<1x8x4x4xf32>)
    %s1 = memref.subview %cat[0, 4, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
    linalg.copy ins(%y : memref<1x4x4x4xf32>) outs(%s1 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>)
    %u = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%in : memref<1x4x4x4xf32>) outs(%u : memref<1x4x4x4xf32>)
    %v = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%in : memref<1x4x4x4xf32>) outs(%v : memref<1x4x4x4xf32>)
    %d = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x4xf32>
    %s2 = memref.subview %d[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
    linalg.copy ins(%u : memref<1x4x4x4xf32>) outs(%s2 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>)
    %s3 = memref.subview %d[0, 1, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 16>>
    linalg.copy ins(%v : memref<1x4x4x4xf32>) outs(%s3 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 16>>)
    linalg.copy ins(%d : memref<1x8x4x4xf32>) outs(%out : memref<1x8x4x4xf32>)
    return
  }
}

// -----

// Tests that a buffer copied whole from a contiguous slice of another and
// only read afterwards (a kernel's dense copy of a channel slice, here of a
// reshaped buffer as after a channel shuffle) becomes a view of the slice:
// %d sits 256 bytes into %t, the copy and the slice go away, and %t stays
// live as long as %d, so %late, computed while %d is, goes past it.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:[^:]*]]: memref<1x2x4x4x4xf32>, %[[IN2:[^:]*]]: memref<1x8x4x4xf32>, %[[OUT:[^:]*]]: memref<1x4x4x4xf32>, %[[OUT2:[^:]*]]: memref<1x8x4x4xf32>, %[[WS:[^:]*]]: memref<1024xi8>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK: %[[T:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<1024xi8> to memref<1x2x4x4x4xf32>
// CHECK-NEXT: linalg.copy ins(%[[IN]] : {{.*}}) outs(%[[T]] : {{.*}})
// CHECK-NEXT: memref.collapse_shape %[[T]]
// CHECK-NEXT: %[[D:.*]] = memref.view %[[WS]][%[[C256]]][] : memref<1024xi8> to memref<1x4x4x4xf32>
// CHECK-NEXT: %[[LATE:.*]] = memref.view %[[WS]][%[[C512]]][] : memref<1024xi8> to memref<1x8x4x4xf32>
// CHECK-NEXT: linalg.copy ins(%[[IN2]] : {{.*}}) outs(%[[LATE]] : {{.*}})
// CHECK-NEXT: linalg.copy ins(%[[LATE]] : {{.*}}) outs(%[[OUT2]] : {{.*}})
// CHECK-NEXT: linalg.copy ins(%[[D]] : {{.*}}) outs(%[[OUT]] : {{.*}})
// CHECK-NEXT: return
module {
  func.func @forward(%in: memref<1x2x4x4x4xf32>, %in2: memref<1x8x4x4xf32>, %out: memref<1x4x4x4xf32>, %out2: memref<1x8x4x4xf32>) {
    %t = memref.alloc() {alignment = 64 : i64} : memref<1x2x4x4x4xf32>
    linalg.copy ins(%in : memref<1x2x4x4x4xf32>) outs(%t : memref<1x2x4x4x4xf32>)
    %c = memref.collapse_shape %t [[0], [1, 2], [3], [4]] : memref<1x2x4x4x4xf32> into memref<1x8x4x4xf32>
    %s = memref.subview %c[0, 4, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
    %d = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%s : memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>) outs(%d : memref<1x4x4x4xf32>)
    %late = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x4xf32>
    linalg.copy ins(%in2 : memref<1x8x4x4xf32>) outs(%late : memref<1x8x4x4xf32>)
    linalg.copy ins(%late : memref<1x8x4x4xf32>) outs(%out2 : memref<1x8x4x4xf32>)
    linalg.copy ins(%d : memref<1x4x4x4xf32>) outs(%out : memref<1x4x4x4xf32>)
    memref.dealloc %t : memref<1x2x4x4x4xf32>
    memref.dealloc %d : memref<1x4x4x4xf32>
    memref.dealloc %late : memref<1x8x4x4xf32>
    return
  }
}

// -----

// Tests the copies of slices that stay: %d is written again after its copy,
// and %t2 is written (filled) while %e, copied from its slice, is still
// read.

// CHECK-LABEL: func.func @forward(
// CHECK-COUNT-2: memref.subview
// CHECK-NOT: memref.subview
// CHECK: return
module {
  func.func @forward(%in: memref<1x8x4x4xf32>, %out: memref<1x4x4x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %t = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x4xf32>
    linalg.copy ins(%in : memref<1x8x4x4xf32>) outs(%t : memref<1x8x4x4xf32>)
    %s = memref.subview %t[0, 4, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>
    %d = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%s : memref<1x4x4x4xf32, strided<[128, 16, 4, 1], offset: 64>>) outs(%d : memref<1x4x4x4xf32>)
    linalg.fill ins(%zero : f32) outs(%d : memref<1x4x4x4xf32>)
    linalg.copy ins(%d : memref<1x4x4x4xf32>) outs(%out : memref<1x4x4x4xf32>)
    %t2 = memref.alloc() {alignment = 64 : i64} : memref<1x8x4x4xf32>
    linalg.copy ins(%in : memref<1x8x4x4xf32>) outs(%t2 : memref<1x8x4x4xf32>)
    %s2 = memref.subview %t2[0, 0, 0, 0] [1, 4, 4, 4] [1, 1, 1, 1] : memref<1x8x4x4xf32> to memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>
    %e = memref.alloc() {alignment = 64 : i64} : memref<1x4x4x4xf32>
    linalg.copy ins(%s2 : memref<1x4x4x4xf32, strided<[128, 16, 4, 1]>>) outs(%e : memref<1x4x4x4xf32>)
    linalg.fill ins(%zero : f32) outs(%t2 : memref<1x8x4x4xf32>)
    linalg.copy ins(%e : memref<1x4x4x4xf32>) outs(%out : memref<1x4x4x4xf32>)
    linalg.copy ins(%t2 : memref<1x8x4x4xf32>) outs(%in : memref<1x8x4x4xf32>)
    return
  }
}

// -----

// Tests that an element-wise product whose input dies there (a
// squeeze-and-excitation gate's) writes its result %b over that input %a:
// both are views at offset 0 of the workspace, and %a lives on as
// long as %b. %c, computed from %b while %b lives, gets bytes of its own
// rather than a second level of nesting.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[WS:[^:]*]]: memref<256xi8>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[A:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<256xi8> to memref<1x2x4x4xf32>
// CHECK: %[[B:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<256xi8> to memref<1x2x4x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[A]], %{{.*}} : memref<1x2x4x4xf32>, memref<1x2x1x1xf32>) outs(%[[B]] : memref<1x2x4x4xf32>)
// CHECK: %[[C:.*]] = memref.view %[[WS]][%[[C128]]][] : memref<256xi8> to memref<1x2x4x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[B]] : memref<1x2x4x4xf32>) outs(%[[C]] : memref<1x2x4x4xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#gate = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
module {
  func.func @forward(%in: memref<1x2x4x4xf32>, %gate: memref<1x2x1x1xf32>, %out: memref<1x2x4x4xf32>) {
    %a = memref.alloc() {alignment = 64 : i64} : memref<1x2x4x4xf32>
    linalg.copy ins(%in : memref<1x2x4x4xf32>) outs(%a : memref<1x2x4x4xf32>)
    %b = memref.alloc() {alignment = 64 : i64} : memref<1x2x4x4xf32>
    linalg.generic {indexing_maps = [#id, #gate, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%a, %gate : memref<1x2x4x4xf32>, memref<1x2x1x1xf32>) outs(%b : memref<1x2x4x4xf32>) {
    ^bb0(%x: f32, %g: f32, %o: f32):
      %p = arith.mulf %x, %g : f32
      linalg.yield %p : f32
    }
    %c = memref.alloc() {alignment = 64 : i64} : memref<1x2x4x4xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%b : memref<1x2x4x4xf32>) outs(%c : memref<1x2x4x4xf32>) {
    ^bb0(%x: f32, %o: f32):
      %n = arith.negf %x : f32
      linalg.yield %n : f32
    }
    linalg.copy ins(%b : memref<1x2x4x4xf32>) outs(%out : memref<1x2x4x4xf32>)
    linalg.copy ins(%c : memref<1x2x4x4xf32>) outs(%out : memref<1x2x4x4xf32>)
    memref.dealloc %a : memref<1x2x4x4xf32>
    memref.dealloc %b : memref<1x2x4x4xf32>
    memref.dealloc %c : memref<1x2x4x4xf32>
    return
  }
}

// -----

// Tests that an element-wise result stays out of an input that is read again
// later: the two 64-byte buffers take 128 bytes.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: memref<128xi8>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
module {
  func.func @forward(%in: memref<4x4xf32>, %out: memref<4x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %a = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.copy ins(%in : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
    %r = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<4x4xf32>) outs(%r : memref<4x4xf32>) {
    ^bb0(%x: f32, %o: f32):
      %n = arith.negf %x : f32
      linalg.yield %n : f32
    }
    linalg.copy ins(%r : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
    linalg.copy ins(%a : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
    return
  }
}

// -----

// Tests that an element-wise result whose payload reads the output's old value
// stays out of its input: the two 64-byte buffers take 128 bytes.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: memref<128xi8>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
module {
  func.func @forward(%in: memref<4x4xf32>, %out: memref<4x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %a = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.copy ins(%in : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
    %r = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<4x4xf32>) outs(%r : memref<4x4xf32>) {
    ^bb0(%x: f32, %o: f32):
      %s = arith.addf %x, %o : f32
      linalg.yield %s : f32
    }
    linalg.copy ins(%r : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
    return
  }
}

// -----

// Tests that an element-wise result stays out of an input read transposed: the
// two 64-byte buffers take 128 bytes.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: memref<128xi8>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
module {
  func.func @forward(%in: memref<4x4xf32>, %out: memref<4x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %a = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.copy ins(%in : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
    %r = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<4x4xf32>) outs(%r : memref<4x4xf32>) {
    ^bb0(%x: f32, %o: f32):
      %n = arith.negf %x : f32
      linalg.yield %n : f32
    }
    linalg.copy ins(%r : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
    return
  }
}

// -----

// Tests that an element-wise result written (filled) before the op stays out of
// its input: the two 64-byte buffers take 128 bytes.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: memref<128xi8>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
module {
  func.func @forward(%in: memref<4x4xf32>, %out: memref<4x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %a = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.copy ins(%in : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
    %r = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.fill ins(%zero : f32) outs(%r : memref<4x4xf32>)
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<4x4xf32>) outs(%r : memref<4x4xf32>) {
    ^bb0(%x: f32, %o: f32):
      %n = arith.negf %x : f32
      linalg.yield %n : f32
    }
    linalg.copy ins(%r : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
    return
  }
}

// -----

// Tests that an element-wise result stays out of an input the op also reads
// transposed: the two 64-byte buffers take 128 bytes.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: memref<128xi8>)
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
module {
  func.func @forward(%in: memref<4x4xf32>, %out: memref<4x4xf32>) {
    %zero = arith.constant 0.0 : f32
    %a = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.copy ins(%in : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
    %r = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
    linalg.generic {indexing_maps = [#id, #t, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%r : memref<4x4xf32>) {
    ^bb0(%x: f32, %y: f32, %o: f32):
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    }
    linalg.copy ins(%r : memref<4x4xf32>) outs(%out : memref<4x4xf32>)
    return
  }
}
