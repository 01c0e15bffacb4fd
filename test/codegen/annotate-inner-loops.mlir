// RUN: kiln-opt %s --split-input-file --kiln-annotate-inner-loops | FileCheck %s
// RUN: kiln-opt %s --split-input-file --kiln-annotate-inner-loops=reductions=true | FileCheck %s --check-prefix=REASSOC
// RUN: kiln-opt %s --split-input-file --kiln-annotate-inner-loops --convert-scf-to-cf --convert-to-llvm | FileCheck %s --check-prefix=LLVM

// Tests that an innermost loop writing a new element each iteration (the
// output-width loop of an interchanged conv) asks LLVM to vectorize it before
// unrolling, and to unroll the vector loop afterwards; the outer loop is left
// alone. The annotation reaches the LLVM latch branch.

// CHECK-DAG: #[[UNROLL_ON:.*]] = #llvm.loop_unroll<disable = false>
// CHECK-DAG: #[[UNROLL_OFF:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG: #[[AFTER:.*]] = #llvm.loop_annotation<unroll = #[[UNROLL_ON]]>
// CHECK-DAG: #[[VEC:.*]] = #llvm.loop_vectorize<disable = false, followupVectorized = #[[AFTER]]>
// CHECK-DAG: #[[ANN:.*]] = #llvm.loop_annotation<vectorize = #[[VEC]], unroll = #[[UNROLL_OFF]]>
// CHECK-LABEL: func.func @rows
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.store
// CHECK-NEXT: } {loop_annotation = #[[ANN]]}
// CHECK-NEXT: }{{$}}

// LLVM-LABEL: llvm.func @rows
// LLVM: llvm.br ^{{.*}} {loop_annotation = #{{.*}}}
func.func @rows(%in: memref<4x30xf32>, %w: memref<3xf32>, %out: memref<4x28xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c28 = arith.constant 28 : index
  scf.for %kw = %c0 to %c3 step %c1 {
    scf.for %ow = %c0 to %c28 step %c1 {
      %i = arith.addi %ow, %kw : index
      %x = memref.load %in[%c0, %i] : memref<4x30xf32>
      %y = memref.load %w[%kw] : memref<3xf32>
      %acc = memref.load %out[%c0, %ow] : memref<4x28xf32>
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      memref.store %s, %out[%c0, %ow] : memref<4x28xf32>
    }
  }
  return
}

// -----

// Tests that an innermost reduction loop (a dot product accumulating into
// one element) is left alone unless reductions may be reassociated.

// CHECK-LABEL: func.func @dot
// CHECK-NOT: loop_annotation
// REASSOC-LABEL: func.func @dot
// REASSOC: } {loop_annotation = #{{.*}}}
func.func @dot(%a: memref<64xf32>, %b: memref<64xf32>, %out: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %k = %c0 to %c64 step %c1 {
    %x = memref.load %a[%k] : memref<64xf32>
    %y = memref.load %b[%k] : memref<64xf32>
    %acc = memref.load %out[%c0] : memref<1xf32>
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    memref.store %s, %out[%c0] : memref<1xf32>
  }
  return
}

// -----

// Tests that a loop walking a buffer down a column (a transpose) is left to
// LLVM's cost model: vectorizing it would need gathers.

// CHECK-LABEL: func.func @transpose
// CHECK-NOT: loop_annotation
func.func @transpose(%in: memref<8x8xf32>, %out: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %in[%j, %i] : memref<8x8xf32>
      memref.store %x, %out[%i, %j] : memref<8x8xf32>
    }
  }
  return
}

// -----

// Tests that a loop already built from vector ops (a micro-kernel) is not
// annotated: LLVM cannot vectorize it again and would warn "loop not
// vectorized" on every compile.

// CHECK-LABEL: func.func @vector_kernel
// CHECK-NOT: loop_annotation
func.func @vector_kernel(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c16 {
    %x = vector.load %in[%i] : memref<64xf32>, vector<16xf32>
    vector.store %x, %out[%i] : memref<64xf32>, vector<16xf32>
  }
  return
}
