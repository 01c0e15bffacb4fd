// RUN: kiln-opt %s --split-input-file --kiln-vectorizable-math | FileCheck %s

// Tests that exp (a sigmoid's) and tanh become arithmetic: a range
// reduction, a polynomial of fused multiply-adds, bit operations for the
// power of two; no math function call remains for LLVM to keep scalar.
// CHECK-LABEL: func.func @sigmoid_and_tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK: arith.bitcast
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: return
func.func @sigmoid_and_tanh(%x: f32) -> (f32, f32) {
  %one = arith.constant 1.0 : f32
  %n = arith.negf %x : f32
  %e = math.exp %n : f32
  %d = arith.addf %one, %e : f32
  %s = arith.divf %one, %d : f32
  %t = math.tanh %x : f32
  return %s, %t : f32, f32
}

// -----

// Tests that other math functions (LRN's power) stay as they are.
// CHECK-LABEL: func.func @power
// CHECK: math.powf
func.func @power(%x: f32, %y: f32) -> f32 {
  %p = math.powf %x, %y : f32
  return %p : f32
}
