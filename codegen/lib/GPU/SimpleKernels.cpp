//===- SimpleKernels.cpp - One thread per output element ------------------===//
//
// The layers that move little data per output: element-wise maps, pools
// that do not follow a convolution directly, adaptive average pools, LRN,
// softmax (one thread per row over dimension 1), inference batch norm and
// concatenation. Consecutive threads write consecutive output elements, so
// stores (and the loads of element-wise maps) coalesce.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilder.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln::kernels {

namespace {
constexpr int64_t kThreads = 256;

ArrayRef<int64_t> shapeOf(Value memref) {
  return cast<MemRefType>(memref.getType()).getShape();
}

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

/// Launches `name` with one thread per element of `shape`; `body` gets the
/// element's indices.
void forEachElement(
    ModelBuilder &builder, Location loc, StringRef name, ValueRange args,
    ArrayRef<int64_t> shape,
    function_ref<void(KernelBuilder &, ValueRange, ArrayRef<Value>)> body) {
  int64_t count = numElements(shape);
  LaunchShape launch;
  launch.grid = {ceilDiv(count, kThreads), 1, 1};
  launch.block = {kThreads, 1, 1};
  SmallVector<int64_t> dims(shape);
  builder.launch(
      name, loc, args, launch, [&](KernelBuilder &k, ValueRange kargs) {
        Value id = k.add(k.mul(k.blockId[0], kThreads), k.threadId[0]);
        k.ifThen(k.lt(id, count),
                 [&] { body(k, kargs, k.delinearize(id, dims)); });
      });
}

Value exp(KernelBuilder &k, Value x) {
  return math::ExpOp::create(k.b, k.loc, x);
}

/// |x| as max(x, -x): math.absf would become a libdevice call.
Value magnitude(KernelBuilder &k, Value x) {
  return k.maxF(x, k.subF(k.f32(0.0), x));
}

/// x^y as C's powf computes it: exp(y * log|x|), negated for a negative
/// base and an odd exponent; NaN for a negative base and an exponent that is
/// not an integer; 1 for a zero exponent, whatever the base. (MLIR's powf
/// expansion, which kiln-gpu-approximate-math would apply to math.powf,
/// gives NaN for every negative base.)
Value power(KernelBuilder &k, Value x, Value y) {
  auto compare = [&](arith::CmpFPredicate predicate, Value a, Value b) {
    return arith::CmpFOp::create(k.b, k.loc, predicate, a, b).getResult();
  };
  auto floor = [&](Value v) {
    return math::FloorOp::create(k.b, k.loc, v).getResult();
  };
  Value magnitudePower =
      exp(k, k.mulF(y, math::LogOp::create(k.b, k.loc, magnitude(k, x))));
  // An integer y is odd when y / 2 is not one (exact: halving is).
  Value half = k.mulF(y, k.f32(0.5));
  Value integer = compare(arith::CmpFPredicate::OEQ, floor(y), y);
  Value odd = compare(arith::CmpFPredicate::ONE, floor(half), half);
  Value ofNegative = k.select(
      integer,
      k.select(odd, k.subF(k.f32(0.0), magnitudePower), magnitudePower),
      k.f32(std::numeric_limits<double>::quiet_NaN()));
  Value result = k.select(compare(arith::CmpFPredicate::OLT, x, k.f32(0.0)),
                          ofNegative, magnitudePower);
  return k.select(compare(arith::CmpFPredicate::OEQ, y, k.f32(0.0)), k.f32(1.0),
                  result);
}
} // namespace

void emitElementwise(ModelBuilder &builder, Location loc, ElementwiseKind kind,
                     ValueRange inputs, Value output,
                     ElementwiseParams params) {
  // The kernel's name, after the nn op it computes.
  auto kindName = [](ElementwiseKind kind) -> const char * {
    switch (kind) {
    case ElementwiseKind::Relu:
      return "relu";
    case ElementwiseKind::Sigmoid:
      return "sigmoid";
    case ElementwiseKind::Tanh:
      return "tanh";
    case ElementwiseKind::Clamp:
      return "clamp";
    case ElementwiseKind::LeakyRelu:
      return "leaky_relu";
    case ElementwiseKind::Celu:
      return "celu";
    case ElementwiseKind::Elu:
      return "elu";
    case ElementwiseKind::Selu:
      return "selu";
    case ElementwiseKind::ThresholdedRelu:
      return "thresholded_relu";
    case ElementwiseKind::Abs:
      return "abs";
    case ElementwiseKind::Exp:
      return "exp";
    case ElementwiseKind::Erf:
      return "erf";
    case ElementwiseKind::Log:
      return "log";
    case ElementwiseKind::Sqrt:
      return "sqrt";
    case ElementwiseKind::Reciprocal:
      return "reciprocal";
    case ElementwiseKind::Softsign:
      return "softsign";
    case ElementwiseKind::Softplus:
      return "softplus";
    case ElementwiseKind::HardSigmoid:
      return "hard_sigmoid";
    case ElementwiseKind::HardSwish:
      return "hard_swish";
    case ElementwiseKind::Add:
      return "add";
    case ElementwiseKind::Mul:
      return "mul";
    case ElementwiseKind::Sub:
      return "sub";
    case ElementwiseKind::Div:
      return "div";
    case ElementwiseKind::Max:
      return "maximum";
    case ElementwiseKind::Min:
      return "minimum";
    case ElementwiseKind::Pow:
      return "pow";
    case ElementwiseKind::PRelu:
      return "prelu";
    case ElementwiseKind::Copy:
      return "copy";
    }
    llvm_unreachable("unknown element-wise kind");
  };
  SmallVector<Value> args(inputs);
  args.push_back(output);
  ArrayRef<int64_t> outShape = shapeOf(output);
  forEachElement(
      builder, loc, kindName(kind), args, outShape,
      [&](KernelBuilder &k, ValueRange kargs, ArrayRef<Value> indices) {
        // A copy may change the shape (a flattened result into the output).
        SmallVector<Value> inIndices(indices);
        if (shapeOf(kargs[0]) != outShape) {
          Value linear = k.idx(0);
          for (auto [index, dim] : llvm::zip(indices, outShape))
            linear = k.add(k.mul(linear, dim), index);
          inIndices = k.delinearize(linear, shapeOf(kargs[0]));
        }
        Value x = k.load(kargs[0], inIndices);
        Value y;
        switch (kind) {
        case ElementwiseKind::Relu:
          y = k.relu(x);
          break;
        case ElementwiseKind::Sigmoid:
          y = k.divF(k.f32(1.0),
                     k.addF(k.f32(1.0), exp(k, k.subF(k.f32(0.0), x))));
          break;
        case ElementwiseKind::Tanh:
          y = math::TanhOp::create(k.b, k.loc, x);
          break;
        case ElementwiseKind::Clamp:
          // An infinite bound (an ONNX Clip without it) clamps nothing.
          y = x;
          if (!std::isinf(params.lo))
            y = k.maxF(y, k.f32(params.lo));
          if (!std::isinf(params.hi))
            y = k.minF(y, k.f32(params.hi));
          break;
        case ElementwiseKind::LeakyRelu: {
          Value positive = arith::CmpFOp::create(
              k.b, k.loc, arith::CmpFPredicate::OGT, x, k.f32(0.0));
          y = k.select(positive, x, k.mulF(x, k.f32(params.slope)));
          break;
        }
        case ElementwiseKind::Elu: {
          Value positive = arith::CmpFOp::create(
              k.b, k.loc, arith::CmpFPredicate::OGT, x, k.f32(0.0));
          y = k.select(
              positive, x,
              k.mulF(k.subF(exp(k, x), k.f32(1.0)), k.f32(params.alpha)));
          break;
        }
        case ElementwiseKind::Celu: {
          Value positive = arith::CmpFOp::create(
              k.b, k.loc, arith::CmpFPredicate::OGT, x, k.f32(0.0));
          Value alpha = k.f32(params.alpha);
          y = k.select(
              positive, x,
              k.mulF(alpha, k.subF(exp(k, k.divF(x, alpha)), k.f32(1.0))));
          break;
        }
        case ElementwiseKind::Selu: {
          float gamma = params.gamma;
          float negative = gamma * (float)params.alpha;
          Value positive = arith::CmpFOp::create(
              k.b, k.loc, arith::CmpFPredicate::OGT, x, k.f32(0.0));
          Value scaled = k.mulF(x, k.f32(gamma));
          Value expm1 = k.subF(exp(k, x), k.f32(1.0));
          y = k.select(positive, scaled, k.mulF(expm1, k.f32(negative)));
          break;
        }
        case ElementwiseKind::ThresholdedRelu: {
          Value above = arith::CmpFOp::create(
              k.b, k.loc, arith::CmpFPredicate::OGT, x, k.f32(params.alpha));
          y = k.select(above, x, k.f32(0.0));
          break;
        }
        case ElementwiseKind::Abs:
          y = magnitude(k, x);
          break;
        case ElementwiseKind::Exp:
          y = exp(k, x);
          break;
        case ElementwiseKind::Erf:
          // A polynomial (kiln-gpu-approximate-math).
          y = math::ErfOp::create(k.b, k.loc, x);
          break;
        case ElementwiseKind::Log:
          // A polynomial (kiln-gpu-approximate-math), as exp's.
          y = math::LogOp::create(k.b, k.loc, x);
          break;
        case ElementwiseKind::Sqrt:
          // llvm.sqrt.f32: PTX's sqrt.rn.
          y = math::SqrtOp::create(k.b, k.loc, x);
          break;
        case ElementwiseKind::Reciprocal:
          y = k.divF(k.f32(1.0), x);
          break;
        case ElementwiseKind::Softsign:
          y = k.divF(x, k.addF(k.f32(1.0), magnitude(k, x)));
          break;
        case ElementwiseKind::Softplus: {
          // math.log1p becomes a polynomial (kiln-gpu-approximate-math).
          Value small = exp(k, k.subF(k.f32(0.0), magnitude(k, x)));
          y = k.addF(k.maxF(x, k.f32(0.0)),
                     math::Log1pOp::create(k.b, k.loc, small));
          break;
        }
        case ElementwiseKind::HardSigmoid:
          y = k.minF(
              k.maxF(k.addF(k.mulF(x, k.f32(params.alpha)), k.f32(params.beta)),
                     k.f32(0.0)),
              k.f32(1.0));
          break;
        case ElementwiseKind::HardSwish: {
          Value gate =
              k.minF(k.maxF(k.addF(x, k.f32(3.0)), k.f32(0.0)), k.f32(6.0));
          y = k.divF(k.mulF(x, gate), k.f32(6.0));
          break;
        }
        case ElementwiseKind::Add:
          y = k.addF(x, k.load(kargs[1], indices));
          break;
        case ElementwiseKind::Mul:
        case ElementwiseKind::Sub:
        case ElementwiseKind::Div:
        case ElementwiseKind::Max:
        case ElementwiseKind::Min:
        case ElementwiseKind::Pow:
        case ElementwiseKind::PRelu: {
          // The right operand's dimensions of size 1 are read at 0.
          SmallVector<Value> rhsIndices(indices);
          for (auto [index, size] : llvm::zip(rhsIndices, shapeOf(kargs[1])))
            if (size == 1)
              index = k.idx(0);
          Value rhs = k.load(kargs[1], rhsIndices);
          if (kind == ElementwiseKind::Mul)
            y = k.mulF(x, rhs);
          else if (kind == ElementwiseKind::Sub)
            y = k.subF(x, rhs);
          else if (kind == ElementwiseKind::Div)
            y = k.divF(x, rhs);
          else if (kind == ElementwiseKind::Max)
            y = k.maxF(x, rhs);
          else if (kind == ElementwiseKind::Min)
            y = k.minF(x, rhs);
          else if (kind == ElementwiseKind::Pow)
            y = power(k, x, rhs);
          else // PRelu
            y = k.select(arith::CmpFOp::create(k.b, k.loc,
                                               arith::CmpFPredicate::OGT, x,
                                               k.f32(0.0)),
                         x, k.mulF(rhs, x));
          break;
        }
        case ElementwiseKind::Copy:
          y = x;
          break;
        }
        k.store(y, kargs.back(), indices);
      });
}

void emitPool(ModelBuilder &builder, Location loc, const PoolParams &p,
              Value input, Value output) {
  ArrayRef<int64_t> in = shapeOf(input);
  forEachElement(
      builder, loc, p.kind == PoolKind::Max ? "max_pool2d" : "avg_pool2d",
      {input, output}, shapeOf(output),
      [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
        Value start[2], end[2], clippedStart[2], clippedEnd[2];
        for (int i = 0; i < 2; ++i) {
          start[i] =
              k.sub(k.mul(idx[2 + i], p.stride[i]), k.idx(p.padBefore[i]));
          // PyTorch's window: clipped to the padded input for the divisor,
          // to the input for the cells read.
          end[i] = k.minS(k.add(start[i], p.kernel[i]),
                          k.idx(in[2 + i] + p.padAfter[i]));
          clippedStart[i] = k.maxS(start[i], k.idx(0));
          clippedEnd[i] = k.minS(end[i], k.idx(in[2 + i]));
        }
        if (p.dilation[0] != 1 || p.dilation[1] != 1) {
          // A dilated max: every tap of the kernel that lies in the input
          // (one outside reads a clamped cell, which the select drops).
          Value result = poolIdentity(k, PoolKind::Max);
          for (int64_t i = 0; i < p.kernel[0]; ++i)
            for (int64_t j = 0; j < p.kernel[1]; ++j) {
              Value y = k.add(start[0], i * p.dilation[0]);
              Value x = k.add(start[1], j * p.dilation[1]);
              Value inside = k.andI(k.inRange(y, in[2]), k.inRange(x, in[3]));
              auto clamp = [&](Value v, int64_t size) {
                return k.minS(k.maxS(v, k.idx(0)), k.idx(size - 1));
              };
              Value v = k.load(
                  args[0], {idx[0], idx[1], clamp(y, in[2]), clamp(x, in[3])});
              result = k.select(
                  inside, poolCombine(k, PoolKind::Max, result, v), result);
            }
          k.store(result, args[1], idx);
          return;
        }
        // Every window holds at least one input cell (the dialect limits the
        // padding), so a max never sees only padding.
        Value result = k.loop(
            clippedStart[0], clippedEnd[0], 1, {poolIdentity(k, p.kind)},
            [&](Value y, ValueRange acc) {
              return k.loop(clippedStart[1], clippedEnd[1], 1, acc,
                            [&](Value x, ValueRange acc) -> SmallVector<Value> {
                              Value v = k.load(args[0], {idx[0], idx[1], y, x});
                              return {poolCombine(k, p.kind, acc[0], v)};
                            });
            })[0];
        if (p.kind == PoolKind::Avg) {
          Value count =
              p.countIncludePad
                  ? k.mul(k.sub(end[0], start[0]), k.sub(end[1], start[1]))
                  : k.mul(k.sub(clippedEnd[0], clippedStart[0]),
                          k.sub(clippedEnd[1], clippedStart[1]));
          result = poolFinish(k, p.kind, result, k.indexToF32(count));
        }
        k.store(result, args[1], idx);
      });
}

void emitConvTranspose2D(ModelBuilder &builder, Location loc,
                         const ConvTransposeParams &p, ValueRange args) {
  Value input = args[0], weight = args[1], output = args.back();
  ArrayRef<int64_t> in = shapeOf(input), w = shapeOf(weight);
  int64_t inPerGroup = w[0] / p.groups, outPerGroup = w[1];
  forEachElement(
      builder, loc, "conv_transpose2d", args, shapeOf(output),
      [&](KernelBuilder &k, ValueRange kargs, ArrayRef<Value> idx) {
        Value group = k.div(idx[1], outPerGroup);
        Value m = k.rem(idx[1], outPerGroup);
        Value c0 = k.mul(group, inPerGroup);
        // Output cell y gathers input cell (y + pad - i * dilation) / stride
        // through tap i where the division is exact and lands in the input.
        // Without dilation those taps are i = (y + pad) mod stride, then
        // every stride-th: the loops visit them alone.
        bool phased[2];
        Value firstTap[2];
        for (int d = 0; d < 2; ++d) {
          phased[d] = p.dilation[d] == 1 && p.stride[d] > 1;
          firstTap[d] =
              phased[d] ? k.rem(k.add(idx[2 + d], p.padBefore[d]), p.stride[d])
                        : k.idx(0);
        }
        struct Source {
          Value hits, cell; // The cell is clamped into the input.
        };
        auto tapSource = [&](int d, Value tap) -> Source {
          Value t = k.sub(k.add(idx[2 + d], p.padBefore[d]),
                          k.mul(tap, p.dilation[d]));
          Value clamped = k.maxS(t, k.idx(0));
          Value cell = k.div(clamped, p.stride[d]);
          Value hits = k.andI(k.ge(t, 0), k.lt(cell, in[2 + d]));
          if (p.stride[d] > 1 && !phased[d])
            hits = k.andI(hits, k.lt(k.rem(clamped, p.stride[d]), 1));
          return {hits, k.minS(cell, k.idx(in[2 + d] - 1))};
        };
        auto tapStep = [&](int d) { return phased[d] ? p.stride[d] : 1; };
        Value sum = k.loop(
            firstTap[0], k.idx(w[2]), tapStep(0), {k.f32(0.0)},
            [&](Value i, ValueRange acc) {
              Source row = tapSource(0, i);
              return k.loop(
                  firstTap[1], k.idx(w[3]), tapStep(1), acc,
                  [&](Value j, ValueRange acc) {
                    Source column = tapSource(1, j);
                    Value hits = k.andI(row.hits, column.hits);
                    return k.loop(
                        0, inPerGroup, 1, acc,
                        [&](Value c, ValueRange acc) -> SmallVector<Value> {
                          Value channel = k.add(c0, c);
                          Value product =
                              k.mulF(k.load(kargs[0], {idx[0], channel,
                                                       row.cell, column.cell}),
                                     k.load(kargs[1], {channel, m, i, j}));
                          return {
                              k.select(hits, k.addF(acc[0], product), acc[0])};
                        });
                  });
            })[0];
        if (p.bias)
          sum = k.addF(sum, k.load(kargs[2], {idx[1]}));
        k.store(sum, kargs.back(), idx);
      });
}

void emitAdaptiveAvgPool(ModelBuilder &builder, Location loc, Value input,
                         Value output) {
  ArrayRef<int64_t> in = shapeOf(input), out = shapeOf(output);
  forEachElement(
      builder, loc, "adaptive_avg_pool2d", {input, output}, out,
      [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
        // Cell o averages [floor(o * in / out), ceil((o + 1) * in / out)).
        Value start[2], end[2];
        for (int i = 0; i < 2; ++i) {
          start[i] = k.div(k.mul(idx[2 + i], in[2 + i]), out[2 + i]);
          end[i] = k.div(k.add(k.mul(k.add(idx[2 + i], 1), in[2 + i]),
                               k.idx(out[2 + i] - 1)),
                         out[2 + i]);
        }
        Value sum = k.loop(
            start[0], end[0], 1, {k.f32(0.0)}, [&](Value y, ValueRange acc) {
              return k.loop(
                  start[1], end[1], 1, acc,
                  [&](Value x, ValueRange acc) -> SmallVector<Value> {
                    return {k.addF(acc[0],
                                   k.load(args[0], {idx[0], idx[1], y, x}))};
                  });
            })[0];
        Value count = k.mul(k.sub(end[0], start[0]), k.sub(end[1], start[1]));
        k.store(k.divF(sum, k.indexToF32(count)), args[1], idx);
      });
}

void emitLRN(ModelBuilder &builder, Location loc, int64_t size, double alpha,
             double beta, double kConst, Value input, Value output) {
  ArrayRef<int64_t> shape = shapeOf(input);
  int64_t channels = shape[1];
  forEachElement(
      builder, loc, "lrn", {input, output}, shape,
      [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
        // Channels c - size/2 .. c + (size-1)/2, zero outside.
        Value lo = k.maxS(k.sub(idx[1], k.idx(size / 2)), k.idx(0));
        Value hi = k.minS(k.add(idx[1], (size - 1) / 2 + 1), k.idx(channels));
        SmallVector<Value> at(idx);
        Value sum = k.loop(lo, hi, 1, {k.f32(0.0)},
                           [&](Value c, ValueRange acc) -> SmallVector<Value> {
                             at[1] = c;
                             Value v = k.load(args[0], at);
                             return {k.fma(v, v, acc[0])};
                           })[0];
        Value base = k.fma(sum, k.f32(alpha / double(size)), k.f32(kConst));
        Value denom = math::PowFOp::create(k.b, k.loc, base, k.f32(beta));
        k.store(k.divF(k.load(args[0], idx), denom), args[1], idx);
      });
}

/// Folds `body` over every element of the box that `dims` of `shape` span
/// from `at` (nested loops, `at` pointing at the element), the accumulator
/// starting at `init`; returns the last.
static Value foldOver(KernelBuilder &k, ArrayRef<int64_t> shape,
                      ArrayRef<int64_t> dims, SmallVectorImpl<Value> &at,
                      Value init, function_ref<Value(Value)> body) {
  if (dims.empty())
    return body(init);
  return k.loop(
      0, shape[dims.front()], 1, {init},
      [&](Value j, ValueRange carried) -> SmallVector<Value> {
        at[dims.front()] = j;
        return {foldOver(k, shape, dims.drop_front(), at, carried[0], body)};
      })[0];
}

void emitSoftmax(ModelBuilder &builder, Location loc, ArrayRef<int64_t> dims,
                 bool log, Value input, Value output) {
  ArrayRef<int64_t> shape = shapeOf(input);
  // One thread per vector normalised: the normalised dimensions set to 1.
  SmallVector<int64_t> vectors(shape);
  for (int64_t dim : dims)
    vectors[dim] = 1;
  forEachElement(
      builder, loc, log ? "log_softmax" : "softmax", {input, output}, vectors,
      [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
        SmallVector<Value> at(idx);
        auto forEach = [&](Value init, function_ref<Value(Value)> body) {
          return foldOver(k, shape, dims, at, init, body);
        };
        Value max = forEach(
            k.f32(-std::numeric_limits<double>::infinity()),
            [&](Value acc) { return k.maxF(acc, k.load(args[0], at)); });
        Value sum = forEach(k.f32(0.0), [&](Value acc) {
          return k.addF(acc, exp(k, k.subF(k.load(args[0], at), max)));
        });
        // (x - max) - log(sum) for the log: no log of an underflow.
        Value logSum = log ? math::LogOp::create(k.b, k.loc, sum) : Value();
        forEach(k.f32(0.0), [&](Value acc) {
          Value shifted = k.subF(k.load(args[0], at), max);
          Value y =
              log ? k.subF(shifted, logSum) : k.divF(exp(k, shifted), sum);
          k.store(y, args[1], at);
          return acc;
        });
      });
}

void emitReduce(ModelBuilder &builder, Location loc, ReduceKind kind,
                ArrayRef<int64_t> dims, Value input, Value output) {
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= in[dim];
  const char *name = kind == ReduceKind::Sum    ? "reduce_sum"
                     : kind == ReduceKind::Mean ? "reduce_mean"
                     : kind == ReduceKind::Prod ? "reduce_prod"
                                                : "reduce_max";
  forEachElement(
      builder, loc, name, {input, output}, shapeOf(output),
      [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
        SmallVector<Value> at(idx);
        Value init = k.f32(kind == ReduceKind::Max
                               ? -std::numeric_limits<double>::infinity()
                               : (kind == ReduceKind::Prod ? 1.0 : 0.0));
        Value result = foldOver(k, in, dims, at, init, [&](Value acc) {
          Value x = k.load(args[0], at);
          if (kind == ReduceKind::Max)
            return k.maxF(acc, x);
          return kind == ReduceKind::Prod ? k.mulF(acc, x) : k.addF(acc, x);
        });
        if (kind == ReduceKind::Mean)
          result = k.divF(result, k.f32(double(count)));
        k.store(result, args[1], idx);
      });
}

void emitBatchNorm(ModelBuilder &builder, Location loc, double eps, Value input,
                   ValueRange params, Value output) {
  SmallVector<Value> args = {input};
  llvm::append_range(args, params);
  args.push_back(output);
  forEachElement(
      builder, loc, "batch_norm", args, shapeOf(input),
      [&](KernelBuilder &k, ValueRange kargs, ArrayRef<Value> idx) {
        // (x - mean) / sqrt(var + eps) * weight + bias, params: w, b, mean,
        // var.
        Value c = idx[1];
        Value x = k.load(kargs[0], idx);
        Value w = k.load(kargs[1], {c}), b = k.load(kargs[2], {c});
        Value mean = k.load(kargs[3], {c}), var = k.load(kargs[4], {c});
        Value std = math::SqrtOp::create(k.b, k.loc, k.addF(var, k.f32(eps)));
        Value y = k.fma(k.divF(k.subF(x, mean), std), w, b);
        k.store(y, kargs.back(), idx);
      });
}

void emitTranspose(ModelBuilder &builder, Location loc, ArrayRef<int64_t> perm,
                   Value input, Value output) {
  forEachElement(builder, loc, "transpose", {input, output}, shapeOf(output),
                 [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
                   SmallVector<Value> at(idx.size());
                   for (auto [i, dim] : llvm::enumerate(perm))
                     at[dim] = idx[i];
                   k.store(k.load(args[0], at), args[1], idx);
                 });
}

void emitSlice(ModelBuilder &builder, Location loc, ArrayRef<int64_t> offsets,
               ArrayRef<int64_t> strides, Value input, Value output) {
  forEachElement(builder, loc, "slice", {input, output}, shapeOf(output),
                 [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
                   SmallVector<Value> at;
                   for (auto [i, index] : llvm::enumerate(idx))
                     at.push_back(k.add(k.mul(index, strides[i]), offsets[i]));
                   k.store(k.load(args[0], at), args[1], idx);
                 });
}

void emitConcatPart(ModelBuilder &builder, Location loc, int64_t dim,
                    int64_t offset, Value input, Value output) {
  forEachElement(builder, loc, "concat", {input, output}, shapeOf(input),
                 [&](KernelBuilder &k, ValueRange args, ArrayRef<Value> idx) {
                   SmallVector<Value> at(idx);
                   at[dim] = k.add(at[dim], offset);
                   k.store(k.load(args[0], idx), args[1], at);
                 });
}

} // namespace kiln::kernels
