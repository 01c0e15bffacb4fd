// RUN: kiln-opt %s --split-input-file --kiln-fuse-elementwise | FileCheck %s

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Tests that a SiLU (ONNX's x * Sigmoid(x)) becomes one generic: the
// sigmoid's body inlined into the product's, which reads x once, and no
// tensor in between.
// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>)
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<1x4x6x6xf32>)
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @silu(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %one = arith.constant 1.0 : f32
  %empty = tensor.empty() : tensor<1x4x6x6xf32>
  %sigmoid = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %neg = arith.negf %in : f32
    %exp = math.exp %neg : f32
    %den = arith.addf %exp, %one : f32
    %s = arith.divf %one, %den : f32
    linalg.yield %s : f32
  } -> tensor<1x4x6x6xf32>
  %product = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %sigmoid : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<1x4x6x6xf32>
  return %product : tensor<1x4x6x6xf32>
}

// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Tests that a residual sum and its ReLU become one generic.
// CHECK-LABEL: func.func @sum_relu
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
func.func @sum_relu(%a: tensor<1x4x6x6xf32>, %b: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x4x6x6xf32>
  %sum = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<1x4x6x6xf32>
  %relu = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4x6x6xf32>
  return %relu : tensor<1x4x6x6xf32>
}

// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#gate = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>

// Tests that a squeeze-and-excitation gate (a sigmoid of [N, C, 1, 1])
// stays apart from the product that broadcasts it over each plane: fused,
// the sigmoid would run at every element of the plane.
// CHECK-LABEL: func.func @broadcast_gate
// CHECK: %[[GATE:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[GATE]] : tensor<1x4x6x6xf32>, tensor<1x4x1x1xf32>)
// CHECK: arith.mulf
func.func @broadcast_gate(%x: tensor<1x4x6x6xf32>, %pooled: tensor<1x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %one = arith.constant 1.0 : f32
  %small = tensor.empty() : tensor<1x4x1x1xf32>
  %empty = tensor.empty() : tensor<1x4x6x6xf32>
  %gate = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%pooled : tensor<1x4x1x1xf32>) outs(%small : tensor<1x4x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %neg = arith.negf %in : f32
    %exp = math.exp %neg : f32
    %den = arith.addf %exp, %one : f32
    %s = arith.divf %one, %den : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x1xf32>
  %scaled = linalg.generic {indexing_maps = [#map, #gate, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %gate : tensor<1x4x6x6xf32>, tensor<1x4x1x1xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%a: f32, %g: f32, %out: f32):
    %p = arith.mulf %a, %g : f32
    linalg.yield %p : f32
  } -> tensor<1x4x6x6xf32>
  return %scaled : tensor<1x4x6x6xf32>
}

// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Tests that a producer with a second reader stays (fused, it would be
// computed twice).
// CHECK-LABEL: func.func @two_readers
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK: arith.addf
// CHECK: %[[RELU:.*]] = linalg.generic
// CHECK-SAME: ins(%[[SUM]] :
// CHECK: arith.maximumf
// CHECK: return %[[SUM]], %[[RELU]]
func.func @two_readers(%a: tensor<1x4x6x6xf32>, %b: tensor<1x4x6x6xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x4x6x6xf32>
  %sum = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<1x4x6x6xf32>
  %relu = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4x6x6xf32>
  return %sum, %relu : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Tests that the ops of a fused convolution's group (kiln.fusion_group)
// stay as they are, for the kernels to match.
// CHECK-LABEL: func.func @fusion_group
// CHECK: linalg.generic
// CHECK-SAME: kiln.fusion_group = 0
// CHECK: linalg.generic
// CHECK: arith.mulf
func.func @fusion_group(%a: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x4x6x6xf32>
  %relu = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) attrs = {kiln.fusion_group = 0 : i64} {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4x6x6xf32>
  %square = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%relu : tensor<1x4x6x6xf32>) outs(%empty : tensor<1x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %p = arith.mulf %in, %in : f32
    linalg.yield %p : f32
  } -> tensor<1x4x6x6xf32>
  return %square : tensor<1x4x6x6xf32>
}
