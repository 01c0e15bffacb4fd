//===- Utils.cpp - Building blocks shared by the nn lowerings -------------===//
#include "Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value kiln::createF32(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value kiln::createIndex(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value kiln::createEmpty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  return tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
}

Value kiln::createFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         double value) {
  Value empty = createEmpty(b, loc, shape);
  return linalg::FillOp::create(b, loc, ValueRange{createF32(b, loc, value)},
                                ValueRange{empty})
      .getResult(0);
}

Value kiln::createPadded(OpBuilder &b, Location loc, Value input,
                         ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                         double value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<OpFoldResult> lowAttrs, highAttrs;
  for (size_t d = 0; d < shape.size(); ++d) {
    shape[d] += low[d] + high[d];
    lowAttrs.push_back(b.getIndexAttr(low[d]));
    highAttrs.push_back(b.getIndexAttr(high[d]));
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, paddedType, input, lowAttrs, highAttrs,
                               createF32(b, loc, value));
}

Value kiln::createMappedCopy(OpBuilder &b, Location loc, Value source,
                             AffineMap read, ArrayRef<int64_t> shape) {
  unsigned rank = shape.size();
  auto copy = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get(shape, b.getF32Type())},
      ValueRange{source}, ValueRange{createEmpty(b, loc, shape)},
      ArrayRef<AffineMap>{
          read, AffineMap::getMultiDimIdentityMap(rank, b.getContext())},
      iterators(rank), [](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, args[0]);
      });
  return copy.getResult(0);
}

Value kiln::createBroadcast(OpBuilder &b, Location loc, Value values,
                            ArrayRef<int64_t> shape, int64_t dim) {
  SmallVector<int64_t> broadcastDims;
  for (int64_t d = 0, e = shape.size(); d < e; ++d)
    if (d != dim)
      broadcastDims.push_back(d);
  Value empty = createEmpty(b, loc, shape);
  return linalg::BroadcastOp::create(b, loc, values, empty, broadcastDims)
      .getResult()[0];
}

Value kiln::createElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                              ScalarFn body) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(rank));
  Value empty = createEmpty(b, loc, type.getShape());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty}, maps,
      iterators(rank),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

SmallVector<utils::IteratorType> kiln::iterators(unsigned numParallel,
                                                 unsigned numReduction) {
  SmallVector<utils::IteratorType> types(numParallel,
                                         utils::IteratorType::parallel);
  types.append(numReduction, utils::IteratorType::reduction);
  return types;
}
