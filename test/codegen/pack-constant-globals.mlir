// RUN: kiln-opt %s --split-input-file --kiln-pack-constant-globals --verify-diagnostics | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-pack-constant-globals=min-bytes=16 --verify-diagnostics | FileCheck %s --check-prefix=MIN

// Tests that constant dense_resource globals become flat byte arrays over the
// same resource; an explicit alignment is kept, a missing one becomes the
// element's; an i8 vector, a mutable global and a dense<> constant are left
// alone.

// CHECK-LABEL: module
// CHECK: llvm.mlir.global private constant @w(dense_resource<w> : tensor<24xi8>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<24 x i8>
// CHECK: llvm.mlir.global private constant @b(dense_resource<b> : tensor<8xi8>) {addr_space = 0 : i32, alignment = 4 : i64} : !llvm.array<8 x i8>
// CHECK: llvm.mlir.global private constant @bytes(dense_resource<bytes> : tensor<4xi8>) {addr_space = 0 : i32} : !llvm.array<4 x i8>
// CHECK: llvm.mlir.global private @mutable(dense_resource<b> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
// CHECK: llvm.mlir.global private constant @dense(dense<1.000000e+00> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
// CHECK-LABEL: llvm.func @use
// CHECK: llvm.mlir.addressof @w : !llvm.ptr
// CHECK: llvm.getelementptr %{{.*}}[0, 1, 2] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x array<3 x f32>>

// MIN: llvm.mlir.global private constant @w(dense_resource<w> : tensor<24xi8>)
// MIN: llvm.mlir.global private constant @b(dense_resource<b> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
module {
  llvm.mlir.global private constant @w(dense_resource<w> : tensor<2x3xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<2 x array<3 x f32>>
  llvm.mlir.global private constant @b(dense_resource<b> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
  llvm.mlir.global private constant @bytes(dense_resource<bytes> : tensor<4xi8>) {addr_space = 0 : i32} : !llvm.array<4 x i8>
  llvm.mlir.global private @mutable(dense_resource<b> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
  llvm.mlir.global private constant @dense(dense<1.0> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
  // GEPs carry their own element type, so they keep meaning the same.
  llvm.func @use() -> f32 {
    %0 = llvm.mlir.addressof @w : !llvm.ptr
    %1 = llvm.getelementptr %0[0, 1, 2] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x array<3 x f32>>
    %2 = llvm.load %1 : !llvm.ptr -> f32
    llvm.return %2 : f32
  }
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C040",
      b: "0x040000000000803F00000040",
      bytes: "0x0100000001020304"
    }
  }
#-}

// -----

// Tests that a resource whose data is missing is reported.

module {
  // expected-error @below {{the data of resource 'nodata' is missing}}
  llvm.mlir.global private constant @x(dense_resource<nodata> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
}

// -----

// Tests that a resource whose size does not match its type is reported.

module {
  // expected-error @below {{resource 'short' holds 4 bytes, but 'tensor<2xf32>' needs 8}}
  llvm.mlir.global private constant @x(dense_resource<short> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
}

{-#
  dialect_resources: {
    builtin: {
      short: "0x040000000000803F"
    }
  }
#-}
