// RUN: kiln-opt %s --split-input-file --kiln-loops-to-llvm | FileCheck %s

// Tests that loops on memrefs become LLVM dialect only, with @forward taking
// bare pointers (`void forward(ptr, ptr)`), intermediate buffers on the heap,
// the weights as a flat byte array sharing the resource, and subviews
// lowered (expand-strided-metadata runs before lower-affine).

// CHECK: llvm.mlir.global private constant @weights(dense_resource<w> : tensor<24xi8>) {{{.*}}alignment = 64 : i64} : !llvm.array<24 x i8>
// CHECK-LABEL: llvm.func @forward(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK: llvm.mlir.addressof @weights : !llvm.ptr
// CHECK: llvm.call @malloc
// CHECK: llvm.call @free
// CHECK: llvm.return
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: cf.
// CHECK-NOT: arith.
// CHECK-NOT: affine.
// CHECK-NOT: unrealized_conversion_cast
memref.global "private" constant @weights : memref<2x3xf32> = dense_resource<w> {alignment = 64 : i64}
func.func @forward(%in: memref<2x3xf32>, %out: memref<2x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %w = memref.get_global @weights : memref<2x3xf32>
  %tmp = memref.alloc() {alignment = 64 : i64} : memref<2x4xf32>
  %sub = memref.subview %tmp[0, 1] [2, 3] [1, 1] : memref<2x4xf32> to memref<2x3xf32, strided<[4, 1], offset: 1>>
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c3 step %c1 {
      %x = memref.load %in[%i, %j] : memref<2x3xf32>
      %y = memref.load %w[%i, %j] : memref<2x3xf32>
      %s = arith.addf %x, %y : f32
      memref.store %s, %sub[%i, %j] : memref<2x3xf32, strided<[4, 1], offset: 1>>
    }
  }
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c3 step %c1 {
      %x = memref.load %sub[%i, %j] : memref<2x3xf32, strided<[4, 1], offset: 1>>
      memref.store %x, %out[%i, %j] : memref<2x3xf32>
    }
  }
  memref.dealloc %tmp : memref<2x4xf32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}

// -----

// Tests that math ops lower to LLVM intrinsics where LLVM has one (exp,
// tanh, pow) and to libm calls otherwise (erf), since executables link -lm.

// CHECK: llvm.func @erff(f32) -> f32
// CHECK-LABEL: llvm.func @forward(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.intr.exp
// CHECK: llvm.intr.tanh
// CHECK: llvm.intr.pow
// CHECK: llvm.call @erff
// CHECK-NOT: math.
func.func @forward(%in: memref<4xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %x = memref.load %in[%c0] : memref<4xf32>
  %a = math.exp %x : f32
  %b = math.tanh %a : f32
  %c = math.powf %b, %x : f32
  %d = math.erf %c : f32
  memref.store %d, %out[%c0] : memref<4xf32>
  return
}
