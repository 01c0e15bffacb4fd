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

// Tests Kiln's own f32 exp, on vectors as on scalars: x clamped to
// [-87.8, 88.8] by selects that keep NaN (unordered compares); k rounded by
// adding 1.5 * 2^23, the sum clamped at k = 127; r = x - k * ln(2) in two
// parts; Cephes' degree-7 polynomial in Horner's form (seven FMAs); 2^k from
// the sum's bits shifted by 23 plus the exponent bias (127 << 23).
// CHECK-LABEL: func.func @exp_vector
// CHECK-SAME: (%[[X:.*]]: vector<4xf32>)
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-8.780000e+01> : vector<4xf32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<8.880000e+01> : vector<4xf32>
// CHECK-DAG: %[[ROUND:.*]] = arith.constant dense<0x4B400000> : vector<4xf32>
// CHECK-DAG: %[[TOP:.*]] = arith.constant dense<0x4B40007F> : vector<4xf32>
// CHECK-DAG: %[[LOG2E:.*]] = arith.constant dense<1.44269502> : vector<4xf32>
// CHECK-DAG: %[[C23:.*]] = arith.constant dense<23> : vector<4xi32>
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<1065353216> : vector<4xi32>
// CHECK: %[[GE:.*]] = arith.cmpf uge, %[[X]], %[[LO]]
// CHECK: %[[X1:.*]] = arith.select %[[GE]], %[[X]], %[[LO]]
// CHECK: %[[LE:.*]] = arith.cmpf ule, %[[X1]], %[[HI]]
// CHECK: %[[X2:.*]] = arith.select %[[LE]], %[[X1]], %[[HI]]
// CHECK: %[[T:.*]] = math.fma %[[X2]], %[[LOG2E]], %[[ROUND]]
// CHECK: %[[TLE:.*]] = arith.cmpf ule, %[[T]], %[[TOP]]
// CHECK: %[[T2:.*]] = arith.select %[[TLE]], %[[T]], %[[TOP]]
// CHECK: %[[K:.*]] = arith.subf %[[T2]], %[[ROUND]]
// CHECK: %[[R1:.*]] = math.fma %[[K]], %{{.*}}, %[[X2]]
// CHECK: %[[R:.*]] = math.fma %[[K]], %{{.*}}, %[[R1]]
// CHECK-COUNT-7: math.fma %{{.*}}, %[[R]], %{{.*}} : vector<4xf32>
// CHECK: %[[BITS:.*]] = arith.bitcast %[[T2]] : vector<4xf32> to vector<4xi32>
// CHECK: %[[SHIFTED:.*]] = arith.shli %[[BITS]], %[[C23]]
// CHECK: %[[POW:.*]] = arith.addi %[[SHIFTED]], %[[BIAS]]
// CHECK: %[[SCALE:.*]] = arith.bitcast %[[POW]] : vector<4xi32> to vector<4xf32>
// CHECK: %[[E:.*]] = arith.mulf %{{.*}}, %[[SCALE]]
// CHECK: return %[[E]]
func.func @exp_vector(%x: vector<4xf32>) -> vector<4xf32> {
  %e = math.exp %x : vector<4xf32>
  return %e : vector<4xf32>
}

// -----

// Tests that x * (1 / y), either way round, becomes x / y when nothing else
// reads 1 / y (a SiLU's x * sigmoid(x)); a reciprocal with another reader,
// or a quotient of something other than 1, stays.
// CHECK-LABEL: func.func @multiply_by_reciprocal
// CHECK-SAME: (%[[X:.*]]: f32, %[[Y:.*]]: f32)
// CHECK: %[[A:.*]] = arith.divf %[[X]], %[[Y]] : f32
// CHECK: %[[B:.*]] = arith.divf %[[X]], %[[Y]] : f32
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[Y]] : f32
// CHECK: %[[C:.*]] = arith.mulf %[[X]], %[[R]] : f32
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %[[Y]] : f32
// CHECK: %[[D:.*]] = arith.mulf %[[X]], %[[Q]] : f32
// CHECK: return %[[A]], %[[B]], %[[C]], %[[R]], %[[D]]
func.func @multiply_by_reciprocal(%x: f32, %y: f32) -> (f32, f32, f32, f32, f32) {
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %r1 = arith.divf %one, %y : f32
  %a = arith.mulf %x, %r1 : f32
  %r2 = arith.divf %one, %y : f32
  %b = arith.mulf %r2, %x : f32
  %r3 = arith.divf %one, %y : f32
  %c = arith.mulf %x, %r3 : f32
  %q = arith.divf %two, %y : f32
  %d = arith.mulf %x, %q : f32
  return %a, %b, %c, %r3, %d : f32, f32, f32, f32, f32
}

// -----

// Tests that erf (an exact GELU's) becomes MLIR's polynomial: arithmetic
// and fused multiply-adds, no call.
// CHECK-LABEL: func.func @erf
// CHECK-NOT: math.erf
// CHECK: math.fma
// CHECK-NOT: math.erf
// CHECK: return
func.func @erf(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.erf %x : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// Tests that other math functions (LRN's power) stay as they are.
// CHECK-LABEL: func.func @power
// CHECK: math.powf
func.func @power(%x: f32, %y: f32) -> f32 {
  %p = math.powf %x, %y : f32
  return %p : f32
}
