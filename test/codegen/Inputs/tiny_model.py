"""Writes a small CNN in linalg on tensors with dense_resource weights, an
input and numpy's output for it, for the end-to-end codegen tests.

usage: tiny_model.py OUTDIR
  OUTDIR/model.mlir            the model (func @forward, kiln.model_name "tiny")
  OUTDIR/input.{npy,bin}       a 1x3x12x12 input (.bin: raw float32)
  OUTDIR/reference.{npy,bin}   the expected 1x10 output

The model: pad 1 + conv 3x3 (3->4) + bias + relu, max pool 2x2/2, conv 3x3
stride 2 (4->6) + relu, flatten, linear (matmul with transposed [out, in]
weights, as nn.linear lowers) + bias, then tanh(z) + exp(-z*z).
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
f32 = np.float32
w1 = (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(f32)
b1 = (rng.standard_normal(4) * 0.1).astype(f32)
w2 = (rng.standard_normal((6, 4, 3, 3)) * 0.3).astype(f32)
w3 = (rng.standard_normal((10, 24)) * 0.3).astype(f32)
b3 = (rng.standard_normal(10) * 0.1).astype(f32)
x = rng.standard_normal((1, 3, 12, 12)).astype(f32)


def conv(x, w, stride):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    y = np.zeros((n, f, oh, ow), f32)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            y += np.einsum('nchw,fc->nfhw', patch, w[:, :, i, j])
    return y


y = conv(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), w1, 1)
y = np.maximum(y + b1[None, :, None, None], 0)
y = y.reshape(1, 4, 6, 2, 6, 2).max(axis=(3, 5))
y = np.maximum(conv(y, w2, 2), 0)
z = y.reshape(1, 24) @ w3.T + b3
ref = (np.tanh(z) + np.exp(-z * z)).astype(f32)

for name, a in (('input', x), ('reference', ref)):
    np.save(os.path.join(out, name + '.npy'), a)
    a.tofile(os.path.join(out, name + '.bin'))


def blob(a):
    return '"0x04000000' + a.astype('<f4').tobytes().hex().upper() + '"'


MODEL = '''module attributes {kiln.model_name = "tiny"} {
  func.func @forward(%input: tensor<1x3x12x12xf32>) -> tensor<1x10xf32> {
    %zero = arith.constant 0.0 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %w1 = arith.constant dense_resource<conv1.weight> : tensor<4x3x3x3xf32>
    %b1 = arith.constant dense_resource<conv1.bias> : tensor<4xf32>
    %w2 = arith.constant dense_resource<conv2.weight> : tensor<6x4x3x3xf32>
    %w3 = arith.constant dense_resource<fc.weight> : tensor<10x24xf32>
    %b3 = arith.constant dense_resource<fc.bias> : tensor<10xf32>
    %padded = tensor.pad %input low[0, 0, 1, 1] high[0, 0, 1, 1] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
    } : tensor<1x3x12x12xf32> to tensor<1x3x14x14xf32>
    %e1 = tensor.empty() : tensor<1x4x12x12xf32>
    %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x4x12x12xf32>) -> tensor<1x4x12x12xf32>
    %c1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%padded, %w1 : tensor<1x3x14x14xf32>, tensor<4x3x3x3xf32>) outs(%z1 : tensor<1x4x12x12xf32>) -> tensor<1x4x12x12xf32>
    %r1 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%c1, %b1 : tensor<1x4x12x12xf32>, tensor<4xf32>) outs(%e1 : tensor<1x4x12x12xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %s = arith.addf %a, %b : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<1x4x12x12xf32>
    %e2 = tensor.empty() : tensor<1x4x6x6xf32>
    %m2 = linalg.fill ins(%ninf : f32) outs(%e2 : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    %window = tensor.empty() : tensor<2x2xf32>
    %p2 = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%r1, %window : tensor<1x4x12x12xf32>, tensor<2x2xf32>) outs(%m2 : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
    %e3 = tensor.empty() : tensor<1x6x2x2xf32>
    %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x6x2x2xf32>) -> tensor<1x6x2x2xf32>
    %c3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%p2, %w2 : tensor<1x4x6x6xf32>, tensor<6x4x3x3xf32>) outs(%z3 : tensor<1x6x2x2xf32>) -> tensor<1x6x2x2xf32>
    %r3 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%c3 : tensor<1x6x2x2xf32>) outs(%e3 : tensor<1x6x2x2xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = arith.maximumf %a, %zero : f32
      linalg.yield %r : f32
    } -> tensor<1x6x2x2xf32>
    %flat = tensor.collapse_shape %r3 [[0], [1, 2, 3]] : tensor<1x6x2x2xf32> into tensor<1x24xf32>
    %e4 = tensor.empty() : tensor<1x10xf32>
    %z4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x10xf32>) -> tensor<1x10xf32>
    %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%flat, %w3 : tensor<1x24xf32>, tensor<10x24xf32>) outs(%z4 : tensor<1x10xf32>) -> tensor<1x10xf32>
    %out = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                           iterator_types = ["parallel", "parallel"]}
        ins(%mm, %b3 : tensor<1x10xf32>, tensor<10xf32>) outs(%e4 : tensor<1x10xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %z = arith.addf %a, %b : f32
      %t = math.tanh %z : f32
      %zz = arith.mulf %z, %z : f32
      %nzz = arith.negf %zz : f32
      %g = math.exp %nzz : f32
      %r = arith.addf %t, %g : f32
      linalg.yield %r : f32
    } -> tensor<1x10xf32>
    return %out : tensor<1x10xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      conv1.weight: @conv1.weight@,
      conv1.bias: @conv1.bias@,
      conv2.weight: @conv2.weight@,
      fc.weight: @fc.weight@,
      fc.bias: @fc.bias@
    }
  }
#-}
'''
for key, value in (('conv1.weight', w1), ('conv1.bias', b1),
                   ('conv2.weight', w2), ('fc.weight', w3), ('fc.bias', b3)):
    MODEL = MODEL.replace('@%s@' % key, blob(value))

with open(os.path.join(out, 'model.mlir'), 'w') as f:
    f.write(MODEL)
