// RUN: kiln-opt %s --kiln-gpu-approximate-math | FileCheck %s

// Tests that the math functions Kiln's kernels use become arithmetic (no
// libdevice calls after convert-gpu-to-nvvm): powf through exp and log,
// tanh and exp as polynomials.

// CHECK-LABEL: func.func @math
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.powf
// CHECK-NOT: math.tanh
// CHECK: arith.mulf
// CHECK: return
func.func @math(%x: f32, %y: f32) -> (f32, f32, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %p = math.powf %x, %y : f32
  return %e, %t, %p : f32, f32, f32
}
