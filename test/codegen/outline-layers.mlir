// RUN: kiln-opt %s --split-input-file --kiln-outline-layers | FileCheck %s

// Tests that each layer's ops (those after its profiler call that compute
// something) move, in order, into a function of its own that takes the
// entry's arguments (noalias), carries the layer's name and is never
// inlined; that the views and constants a layer uses are cloned into it (a
// view shared by two layers into both) while the entry keeps its own; and
// that the ops before the first layer's call stay.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>, %[[WS:.*]]: memref<64xi8>)
// CHECK: linalg.fill
// CHECK: call @kiln_profile_layer(
// CHECK-NEXT: call @forward_layer0(%[[IN]], %[[OUT]], %[[WS]]) : (memref<4xf32>, memref<4xf32>, memref<64xi8>) -> ()
// CHECK-NEXT: call @kiln_profile_layer(
// CHECK-NEXT: call @forward_layer1(%[[IN]], %[[OUT]], %[[WS]])
// CHECK-NEXT: call @kiln_profile_layer(
// CHECK-NEXT: return

// CHECK-LABEL: func.func private @forward_layer1(
// CHECK-SAME: %{{.*}}: memref<4xf32> {llvm.noalias}, %[[OUT1:.*]]: memref<4xf32> {llvm.noalias}, %[[WS1:.*]]: memref<64xi8> {llvm.noalias})
// CHECK-SAME: attributes {kiln.layer = "net.nn:4 conv2d+relu", passthrough = ["noinline"]}
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[A1:.*]] = memref.view %[[WS1]][%[[C0]]][]
// CHECK-DAG: %[[B1:.*]] = memref.view %[[WS1]][%[[C16]]][]
// CHECK: linalg.copy ins(%[[A1]] : memref<4xf32>) outs(%[[B1]] : memref<4xf32>)
// CHECK-NEXT: linalg.copy ins(%[[B1]] : memref<4xf32>) outs(%[[OUT1]] : memref<4xf32>)
// CHECK-NEXT: return

// CHECK-LABEL: func.func private @forward_layer0(
// CHECK-SAME: %[[IN0:[^:]*]]: memref<4xf32> {llvm.noalias}, %{{.*}}: memref<4xf32> {llvm.noalias}, %[[WS0:.*]]: memref<64xi8> {llvm.noalias})
// CHECK-SAME: attributes {kiln.layer = "net.nn:3 relu", passthrough = ["noinline"]}
// CHECK: %[[A0:.*]] = memref.view %[[WS0]]
// CHECK: scf.for
// CHECK: memref.load %[[IN0]]
// CHECK: memref.store %{{.*}}, %[[A0]]
// CHECK: return
module attributes {kiln.layers = [{flops = 4 : i64, name = "net.nn:3 relu"}, {flops = 8 : i64, name = "net.nn:4 conv2d+relu"}]} {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>, %ws: memref<64xi8>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c16 = arith.constant 16 : index
    %zero = arith.constant 0.0 : f32
    %l0 = arith.constant 0 : i64
    %l1 = arith.constant 1 : i64
    %end = arith.constant -1 : i64
    linalg.fill ins(%zero : f32) outs(%out : memref<4xf32>)
    %a = memref.view %ws[%c0][] : memref<64xi8> to memref<4xf32>
    call @kiln_profile_layer(%l0) : (i64) -> ()
    scf.for %i = %c0 to %c4 step %c1 {
      %x = memref.load %in[%i] : memref<4xf32>
      %r = arith.maximumf %x, %zero : f32
      memref.store %r, %a[%i] : memref<4xf32>
    }
    call @kiln_profile_layer(%l1) : (i64) -> ()
    %b = memref.view %ws[%c16][] : memref<64xi8> to memref<4xf32>
    linalg.copy ins(%a : memref<4xf32>) outs(%b : memref<4xf32>)
    linalg.copy ins(%b : memref<4xf32>) outs(%out : memref<4xf32>)
    call @kiln_profile_layer(%end) : (i64) -> ()
    return
  }
  func.func private @kiln_profile_layer(i64)
}

// -----

// Tests that a layer whose result another layer uses, or that uses a value
// a non-cloneable op makes, stays in the entry, while the layer between
// them moves.

// CHECK-LABEL: func.func @forward(
// CHECK: call @kiln_profile_layer(
// CHECK-NEXT: %[[SUM:.*]] = scf.for
// CHECK: call @kiln_profile_layer(
// CHECK-NEXT: call @forward_layer1(
// CHECK-NEXT: call @kiln_profile_layer(
// CHECK-NEXT: memref.store %[[SUM]]
// CHECK-NOT: func.func private @forward_layer0
// CHECK-NOT: func.func private @forward_layer2
module {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>, %ws: memref<64xi8>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %zero = arith.constant 0.0 : f32
    %l0 = arith.constant 0 : i64
    %l1 = arith.constant 1 : i64
    %l2 = arith.constant 2 : i64
    call @kiln_profile_layer(%l0) : (i64) -> ()
    %sum = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> f32 {
      %x = memref.load %in[%i] : memref<4xf32>
      %s = arith.addf %acc, %x : f32
      scf.yield %s : f32
    }
    call @kiln_profile_layer(%l1) : (i64) -> ()
    linalg.copy ins(%in : memref<4xf32>) outs(%out : memref<4xf32>)
    call @kiln_profile_layer(%l2) : (i64) -> ()
    memref.store %sum, %out[%c0] : memref<4xf32>
    return
  }
  func.func private @kiln_profile_layer(i64)
}

// -----

// Tests that an entry that still allocates (memory not planned) is left
// alone.

// CHECK-LABEL: func.func @forward(
// CHECK: call @kiln_profile_layer(
// CHECK-NEXT: linalg.copy
// CHECK-NOT: @forward_layer
module {
  func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>) {
    %l0 = arith.constant 0 : i64
    %a = memref.alloc() : memref<4xf32>
    call @kiln_profile_layer(%l0) : (i64) -> ()
    linalg.copy ins(%in : memref<4xf32>) outs(%a : memref<4xf32>)
    linalg.copy ins(%a : memref<4xf32>) outs(%out : memref<4xf32>)
    memref.dealloc %a : memref<4xf32>
    return
  }
  func.func private @kiln_profile_layer(i64)
}

// -----

// Tests that an entry with an argument that is no bare pointer (a dynamic
// shape) is left alone.

// CHECK-LABEL: func.func @forward(
// CHECK-NOT: @forward_layer
module {
  func.func @forward(%in: memref<?xf32>, %out: memref<4xf32>) {
    %l0 = arith.constant 0 : i64
    call @kiln_profile_layer(%l0) : (i64) -> ()
    linalg.copy ins(%out : memref<4xf32>) outs(%out : memref<4xf32>)
    return
  }
  func.func private @kiln_profile_layer(i64)
}
