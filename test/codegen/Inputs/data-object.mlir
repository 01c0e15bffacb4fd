// A linear layer whose 40x32 weights (5120 bytes) are large enough for a
// data object (kMinDetachedDataBytes: 4096) and whose 40 biases are not.
module attributes {kiln.model_name = "data"} {
  func.func @forward(%input: tensor<1x32x8xf32>) -> tensor<1x40x8xf32> {
    %w = arith.constant dense_resource<w> : tensor<40x32xf32>
    %b = arith.constant dense<0.5> : tensor<40xf32>
    %e = tensor.empty() : tensor<1x40x8xf32>
    %f = linalg.generic {indexing_maps = [affine_map<(n, o, x) -> (o)>, affine_map<(n, o, x) -> (n, o, x)>],
                         iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%b : tensor<40xf32>) outs(%e : tensor<1x40x8xf32>) {
    ^bb0(%bias: f32, %out: f32):
      linalg.yield %bias : f32
    } -> tensor<1x40x8xf32>
    %0 = linalg.generic {indexing_maps = [affine_map<(n, o, x, i) -> (n, i, x)>, affine_map<(n, o, x, i) -> (o, i)>, affine_map<(n, o, x, i) -> (n, o, x)>],
                         iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
        ins(%input, %w : tensor<1x32x8xf32>, tensor<40x32xf32>) outs(%f : tensor<1x40x8xf32>) {
    ^bb0(%a: f32, %b2: f32, %acc: f32):
      %m = arith.mulf %a, %b2 : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x40x8xf32>
    return %0 : tensor<1x40x8xf32>
  }
}
