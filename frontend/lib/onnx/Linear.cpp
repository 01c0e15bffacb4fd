//===- Linear.cpp - Gemm and MatMul to nn.linear --------------------------===//
//
// nn.linear computes x W^T + b with W laid out [out, in], as PyTorch stores
// it. Gemm's alpha, beta and transB, and MatMul's [in, out] weight, are
// folded into constant weights here, once, at import: B is transposed and
// scaled, C scaled and reduced to a per-feature bias. A bias that differs
// between rows of the batch (a full [M, N] C) becomes an nn.add of a
// constant instead. transA transposes the activation first (nn.transpose);
// a weight computed from the input is unsupported.
//
// MatMul has no bias; the Add that usually follows it folds the bias into
// the linear layer (Join.cpp).
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "kiln/Dialect/NN/NNOps.h"
#include "kiln/Dialect/NN/Shapes.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnximport;

/// `matrix` [rows, cols] transposed and scaled by `scale`.
static std::vector<float> transposed(llvm::ArrayRef<float> matrix, int64_t rows,
                                     int64_t cols, float scale) {
  std::vector<float> result(matrix.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      result[c * rows + r] = matrix[r * cols + c] * scale;
  return result;
}

/// Checks that the activation input `i` is a run-time [M, K] matrix.
static LogicalResult expectActivationMatrix(NodeContext &ctx, unsigned i,
                                            llvm::StringRef what) {
  const ImportedValue &value = ctx.getInput(i);
  if (value.isConstant())
    return ctx.unsupported(what + " ('" + ctx.getNode().input(i) +
                           "') is a constant; Kiln's linear layer takes "
                           "its input at run time and its weights as "
                           "constants");
  llvm::ArrayRef<int64_t> shape = value.getShape();
  if (shape.size() > 2)
    return ctx.unsupported(what + " is " + formatShape(shape) +
                           "; Kiln's linear layer takes a 2-D [batch, "
                           "features] input (flatten it first)");
  if (shape.size() != 2)
    return ctx.emitError() << what << " is " << formatShape(shape)
                           << "; a matrix product needs a 2-D input";
  return success();
}

LogicalResult onnximport::importGemm(NodeContext &ctx) {
  FailureOr<float> alpha = ctx.getFloat("alpha", 1.0f);
  FailureOr<float> beta = ctx.getFloat("beta", 1.0f);
  FailureOr<int64_t> transA = ctx.getInt("transA", 0);
  FailureOr<int64_t> transB = ctx.getInt("transB", 0);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB) ||
      failed(expectActivationMatrix(ctx, 0, "A")))
    return failure();
  // transA reads A [K, M] as its transpose: an nn.transpose before the
  // linear layer.
  llvm::SmallVector<int64_t, 2> a(ctx.getInput(0).getShape());
  if (*transA)
    std::swap(a[0], a[1]);
  std::shared_ptr<const HostTensor> b =
      ctx.getConstant(1, HostTensor::Kind::Float, "B");
  if (!b)
    return failure();
  llvm::ArrayRef<int64_t> bShape = b->getShape();
  int64_t k = a[1];
  if (bShape.size() != 2 || bShape[*transB ? 1 : 0] != k)
    return ctx.emitError() << "B '" << b->getName() << "' is "
                           << formatShape(bShape) << "; for the "
                           << formatShape(a) << " input A it must be "
                           << (*transB ? "[N, " : "[") << k
                           << (*transB ? "]" : ", N]")
                           << (*transB ? " (transB=1)" : "");
  int64_t m = a[0], n = bShape[*transB ? 0 : 1];
  if (!nn::checkedElementCount({m, n}))
    return ctx.emitError() << "its " << m << "x" << n
                           << " result is too large: tensors are limited to "
                              "2^40 bytes";

  // W = alpha * B^T, [N, K]; B itself when nothing changes.
  std::shared_ptr<const HostTensor> weight = b;
  if (!*transB)
    weight = HostTensor::fromFloats(b->getName(), {n, k},
                                    transposed(b->getFloats(), k, n, *alpha));
  else if (*alpha != 1.0f) {
    std::vector<float> scaled(b->getFloats().begin(), b->getFloats().end());
    for (float &value : scaled)
      value *= *alpha;
    weight = HostTensor::fromFloats(b->getName(), {n, k}, std::move(scaled));
  }

  // beta * C, broadcast to [M, N]: a bias when every row is the same.
  std::shared_ptr<const HostTensor> bias, rowBias;
  if (ctx.hasInput(2) && *beta != 0.0f) {
    std::shared_ptr<const HostTensor> c =
        ctx.getConstant(2, HostTensor::Kind::Float, "C");
    if (!c)
      return failure();
    llvm::ArrayRef<int64_t> cShape = c->getShape();
    int64_t rows = cShape.size() == 2 ? cShape[0] : 1;
    int64_t cols = cShape.empty() ? 1 : cShape.back();
    if (cShape.size() > 2 || (rows != 1 && rows != m) ||
        (cols != 1 && cols != n))
      return ctx.emitError()
             << "C '" << c->getName() << "' is " << formatShape(cShape)
             << ", which does not broadcast to the " << m << "x" << n
             << " result";
    llvm::ArrayRef<float> values = c->getFloats();
    auto at = [&](int64_t r, int64_t col) {
      return *beta * values[(rows == 1 ? 0 : r) * cols + (cols == 1 ? 0 : col)];
    };
    if (rows == 1) {
      std::vector<float> vector(n);
      for (int64_t j = 0; j < n; ++j)
        vector[j] = at(0, j);
      bias = HostTensor::fromFloats(c->getName(), {n}, std::move(vector));
    } else {
      std::vector<float> matrix(m * n);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          matrix[i * n + j] = at(i, j);
      rowBias = HostTensor::fromFloats(c->getName(), {m, n}, std::move(matrix));
    }
  }

  OpBuilder &builder = ctx.getBuilder();
  Value input = ctx.getTensor(0);
  if (*transA)
    input = nn::TransposeOp::create(
        builder, ctx.getLoc(), RankedTensorType::get(a, builder.getF32Type()),
        input, builder.getDenseI64ArrayAttr({1, 0}));
  auto type = RankedTensorType::get({m, n}, builder.getF32Type());
  Value result = nn::LinearOp::create(builder, ctx.getLoc(), type, input,
                                      ctx.materialize(weight),
                                      bias ? ctx.materialize(bias) : Value());
  if (rowBias)
    result = nn::AddOp::create(builder, ctx.getLoc(), result,
                               ctx.materialize(rowBias));
  ctx.setOutput(0, result);
  return success();
}

LogicalResult onnximport::importMatMul(NodeContext &ctx) {
  if (failed(expectActivationMatrix(ctx, 0, "A")))
    return failure();
  llvm::ArrayRef<int64_t> a = ctx.getInput(0).getShape();
  std::shared_ptr<const HostTensor> b =
      ctx.getConstant(1, HostTensor::Kind::Float, "B");
  if (!b)
    return failure();
  llvm::ArrayRef<int64_t> bShape = b->getShape();
  if (bShape.size() != 2)
    return ctx.unsupported("B '" + b->getName() + "' is " +
                           formatShape(bShape) +
                           "; Kiln's linear layer needs a 2-D weight");
  if (bShape[0] != a[1])
    return ctx.emitError() << "B '" << b->getName() << "' is "
                           << formatShape(bShape) << "; for the "
                           << formatShape(a) << " input A it must be [" << a[1]
                           << ", N]";
  int64_t n = bShape[1];
  auto weight = HostTensor::fromFloats(
      b->getName(), {n, a[1]}, transposed(b->getFloats(), a[1], n, 1.0f));
  OpBuilder &builder = ctx.getBuilder();
  auto type = RankedTensorType::get({a[0], n}, builder.getF32Type());
  ctx.setOutput(0, nn::LinearOp::create(builder, ctx.getLoc(), type,
                                        ctx.getTensor(0),
                                        ctx.materialize(weight), Value()));
  return success();
}
