// RUN: kiln-opt %s --kiln-linalg-to-loops="vector-width=0" --split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-linalg-to-loops="interchange-for-vectorization=false vector-width=0" --split-input-file | FileCheck %s --check-prefix=NAIVE

// Tests that a conv + bias/relu + pad model becomes loops over memrefs with
// the output as an out-parameter: no tensors, no memref.copy (which would
// call memrefCopy from MLIR's runner utils), no returned buffer, and the
// conv's innermost loop runs along the output width.

// CHECK-LABEL: module attributes
// CHECK-SAME: kiln.input_shape = array<i64: 1, 2, 6, 6>
// CHECK-SAME: kiln.output_shape = array<i64: 1, 4, 6, 6>
// CHECK: memref.global "private" constant @{{.*}} : memref<4x2x3x3xf32> = dense_resource<conv.weight>
// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<1x2x6x6xf32>, %[[OUT:.*]]: memref<1x4x6x6xf32>, %[[WS:.*]]: memref<512xi8>) {
// CHECK-NOT: tensor.
// CHECK-NOT: memref.copy
// The padded input lives in the workspace (kiln-plan-memory).
// CHECK: %[[PAD:.*]] = memref.view %[[WS]][%{{.*}}][] : memref<512xi8> to memref<1x2x8x8xf32>
// The output is zeroed (its planes merged into one loop of 36), then the
// conv accumulates into it in the order (f, oh, c, kh, kw, ow).
// CHECK: %[[OUT3:.*]] = memref.collapse_shape %[[OUT]] {{\[}}[0], [1], [2, 3]] : memref<1x4x6x6xf32> into memref<1x4x36xf32>
// CHECK: memref.store %{{.*}}, %[[OUT3]]
// CHECK: scf.for %[[F:.*]] = %c0 to %c4
// CHECK-NEXT: scf.for %[[OH:.*]] = %c0 to %c6
// CHECK-NEXT: scf.for %[[C:.*]] = %c0 to %c2
// CHECK-NEXT: scf.for %[[KH:.*]] = %c0 to %c3
// CHECK-NEXT: scf.for %[[KW:.*]] = %c0 to %c3
// CHECK-NEXT: scf.for %[[OW:.*]] = %c0 to %c6
// CHECK: memref.load %[[PAD]]
// CHECK: memref.store %{{.*}}, %[[OUT]][%c0, %[[F]], %[[OH]], %[[OW]]]
// The ow loop is marked for LLVM's vectorizer.
// CHECK-NEXT: } {loop_annotation = #{{.*}}}
// tanh is arithmetic (kiln-vectorizable-math): a polynomial of fmas.
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK-NOT: math.tanh
// CHECK-NOT: memref.dealloc
// CHECK-NOT: memref.copy
// CHECK: return{{$}}

// NAIVE-LABEL: func.func @forward(
// NAIVE-SAME: %[[OUT:[a-z0-9]+]]: memref<1x4x6x6xf32>
// The kw reduction stays innermost without the interchange.
// NAIVE: memref.store %{{cst[_0-9]*}}, %[[OUT]]
// NAIVE: scf.for %{{.*}} = %c0 to %c4
// NAIVE-NEXT: scf.for %{{.*}} = %c0 to %c6
// NAIVE-NEXT: scf.for %{{.*}} = %c0 to %c6
// NAIVE-NEXT: scf.for %{{.*}} = %c0 to %c2
// NAIVE-NEXT: scf.for %{{.*}} = %c0 to %c3
// NAIVE-NEXT: scf.for %{{.*}} = %c0 to %c3
// NAIVE-NEXT: affine.apply
// NAIVE-NOT: loop_annotation
module attributes {kiln.model_name = "conv"} {
  func.func @forward(%input: tensor<1x2x6x6xf32>) -> tensor<1x4x6x6xf32> {
    %zero = arith.constant 0.0 : f32
    %w = arith.constant dense_resource<conv.weight> : tensor<4x2x3x3xf32>
    %b = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
    %padded = tensor.pad %input low[0, 0, 1, 1] high[0, 0, 1, 1] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
    } : tensor<1x2x6x6xf32> to tensor<1x2x8x8xf32>
    %empty = tensor.empty() : tensor<1x4x6x6xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%padded, %w : tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>) outs(%fill : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    %act = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                           iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%conv, %b : tensor<1x4x6x6xf32>, tensor<4xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
    ^bb0(%x: f32, %bias: f32, %o: f32):
      %s = arith.addf %x, %bias : f32
      %t = math.tanh %s : f32
      linalg.yield %t : f32
    } -> tensor<1x4x6x6xf32>
    return %act : tensor<1x4x6x6xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      conv.weight: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}

// -----

// Tests that the model's input is never written in place: an elementwise op
// on the input gets its own buffer (the out-parameter) instead of reusing
// the caller's read-only input.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<1x8xf32>, %[[OUT:.*]]: memref<1x8xf32>, %{{.*}}: memref<0xi8>) {
// CHECK-NOT: memref.store %{{.*}}, %[[IN]]
// CHECK: %[[X:.*]] = memref.load %[[IN]]
// CHECK-NEXT: memref.store %[[X]], %[[OUT]]
// CHECK: %[[Y:.*]] = memref.load %[[OUT]]
// CHECK-NEXT: %[[Z:.*]] = arith.maximumf %[[Y]]
// CHECK-NEXT: memref.store %[[Z]], %[[OUT]]
// CHECK-NOT: memref.store %{{.*}}, %[[IN]]
// CHECK: return{{$}}
module {
  func.func @forward(%input: tensor<1x8xf32>) -> tensor<1x8xf32> {
    %zero = arith.constant 0.0 : f32
    %relu = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                            iterator_types = ["parallel", "parallel"]}
        outs(%input : tensor<1x8xf32>) {
    ^bb0(%x: f32):
      %y = arith.maximumf %x, %zero : f32
      linalg.yield %y : f32
    } -> tensor<1x8xf32>
    return %relu : tensor<1x8xf32>
  }
}

// -----

// Tests that a result that is not a fresh buffer of the output's shape (here
// a reshape of one) is copied into the out-parameter with a loop, not with
// memref.copy.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME: %[[IN:.*]]: memref<1x2x2xf32>, %[[OUT:.*]]: memref<1x4xf32>, %{{.*}}: memref<64xi8>) {
// CHECK-NOT: memref.copy
// CHECK: %[[FLAT:.*]] = memref.collapse_shape
// CHECK: scf.for %[[I:.*]] = %c0 to %c4
// CHECK-NEXT: %[[V:.*]] = memref.load %[[FLAT]][%c0, %[[I]]]
// CHECK-NEXT: memref.store %[[V]], %[[OUT]][%c0, %[[I]]]
// CHECK-NOT: memref.copy
// CHECK: return{{$}}
module {
  func.func @forward(%input: tensor<1x2x2xf32>) -> tensor<1x4xf32> {
    %empty = tensor.empty() : tensor<1x2x2xf32>
    %neg = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j, k)>],
                           iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%input : tensor<1x2x2xf32>) outs(%empty : tensor<1x2x2xf32>) {
    ^bb0(%x: f32, %o: f32):
      %y = arith.negf %x : f32
      linalg.yield %y : f32
    } -> tensor<1x2x2xf32>
    %flat = tensor.collapse_shape %neg [[0], [1, 2]] : tensor<1x2x2xf32> into tensor<1x4xf32>
    return %flat : tensor<1x4xf32>
  }
}
