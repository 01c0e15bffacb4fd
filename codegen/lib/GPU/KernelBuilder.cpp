//===- KernelBuilder.cpp - Writing GPU kernels from C++ -------------------===//

#include "KernelBuilder.h"
#include "kiln/Codegen/GPUPasses.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln::kernels {

Value KernelBuilder::idx(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}
Value KernelBuilder::f32(double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}
Value KernelBuilder::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value KernelBuilder::sub(Value x, Value y) {
  return arith::SubIOp::create(b, loc, x, y);
}
Value KernelBuilder::mul(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
Value KernelBuilder::div(Value x, Value y) {
  return arith::DivUIOp::create(b, loc, x, y);
}
Value KernelBuilder::rem(Value x, Value y) {
  return arith::RemUIOp::create(b, loc, x, y);
}
Value KernelBuilder::minS(Value x, Value y) {
  return arith::MinSIOp::create(b, loc, x, y);
}
Value KernelBuilder::maxS(Value x, Value y) {
  return arith::MaxSIOp::create(b, loc, x, y);
}
Value KernelBuilder::lt(Value x, Value y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
}
Value KernelBuilder::ge(Value x, int64_t y) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, idx(y));
}
Value KernelBuilder::andI(Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}
Value KernelBuilder::select(Value c, Value t, Value f) {
  return arith::SelectOp::create(b, loc, c, t, f);
}
Value KernelBuilder::inRange(Value x, int64_t size) {
  return andI(ge(x, 0), lt(x, size));
}
Value KernelBuilder::addF(Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value KernelBuilder::subF(Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value KernelBuilder::mulF(Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value KernelBuilder::divF(Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
}
Value KernelBuilder::maxF(Value x, Value y) {
  // PyTorch's max propagates NaN, as maximumf does.
  return arith::MaximumFOp::create(b, loc, x, y);
}
Value KernelBuilder::minF(Value x, Value y) {
  return arith::MinimumFOp::create(b, loc, x, y);
}
Value KernelBuilder::fma(Value x, Value y, Value z) {
  return math::FmaOp::create(b, loc, x, y, z);
}
Value KernelBuilder::indexToF32(Value x) {
  Value i32 = arith::IndexCastOp::create(b, loc, b.getI32Type(), x);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i32);
}

Value KernelBuilder::load(Value memref, ValueRange indices) {
  return memref::LoadOp::create(b, loc, memref, indices);
}
SmallVector<Value>
KernelBuilder::loadContiguous(Value memref, ValueRange indices, int64_t width) {
  if (width == 1)
    return {load(memref, indices)};
  auto type = VectorType::get({width}, b.getF32Type());
  Value words = vector::LoadOp::create(b, loc, type, memref, indices,
                                       /*nontemporal=*/false,
                                       llvm::MaybeAlign(4 * width));
  SmallVector<Value> elements;
  for (int64_t i = 0; i < width; ++i)
    elements.push_back(vector::ExtractOp::create(b, loc, words, i));
  return elements;
}
void KernelBuilder::store(Value value, Value memref, ValueRange indices) {
  memref::StoreOp::create(b, loc, value, memref, indices);
}

SmallVector<Value> KernelBuilder::delinearize(Value linear,
                                              ArrayRef<int64_t> shape) {
  SmallVector<Value> indices(shape.size());
  for (int64_t i = shape.size() - 1; i > 0; --i) {
    indices[i] = rem(linear, shape[i]);
    linear = div(linear, shape[i]);
  }
  if (!shape.empty())
    indices[0] = linear;
  return indices;
}

SmallVector<Value> KernelBuilder::loop(Value lb, Value ub, int64_t step,
                                       ValueRange inits, LoopBody body) {
  auto forOp = scf::ForOp::create(
      b, loc, lb, ub, idx(step), inits,
      [&](OpBuilder &nested, Location nestedLoc, Value iv, ValueRange iters) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        SmallVector<Value> yields = body(iv, iters);
        scf::YieldOp::create(b, loc, yields);
      });
  return SmallVector<Value>(forOp.getResults());
}

Value KernelBuilder::workgroupBuffer(ArrayRef<int64_t> shape) {
  auto space = mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), mlir::gpu::GPUDialect::getWorkgroupAddressSpace());
  Value buffer = func.addWorkgroupAttribution(
      MemRefType::get(shape, b.getF32Type(), MemRefLayoutAttrInterface(),
                      space),
      loc);
  func.setWorkgroupAttributionAttr(func.getNumWorkgroupAttributions() - 1,
                                   LLVM::LLVMDialect::getAlignAttrName(),
                                   b.getI64IntegerAttr(16));
  return buffer;
}

void KernelBuilder::barrier() { mlir::gpu::BarrierOp::create(b, loc); }

void KernelBuilder::ifThen(Value cond, function_ref<void()> body) {
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  body();
}

Value poolIdentity(KernelBuilder &k, PoolKind kind) {
  return k.f32(kind == PoolKind::Max ? -std::numeric_limits<double>::infinity()
                                     : 0.0);
}

Value poolCombine(KernelBuilder &k, PoolKind kind, Value acc, Value element) {
  return kind == PoolKind::Max ? k.maxF(acc, element) : k.addF(acc, element);
}

Value poolFinish(KernelBuilder &k, PoolKind kind, Value acc, Value count) {
  return kind == PoolKind::Avg ? k.divF(acc, count) : acc;
}

Value loadPadded(KernelBuilder &k, const ConvParams &p, Value input, Value n,
                 Value channel, Value y, Value x) {
  Value inside = k.andI(k.inRange(y, p.h), k.inRange(x, p.w));
  Value zero = k.idx(0);
  Value v = k.load(input, {n, channel, k.select(inside, y, zero),
                           k.select(inside, x, zero)});
  return k.select(inside, v, k.f32(0.0));
}

Value convEpilogue(KernelBuilder &k, const ConvParams &p, Value sum,
                   Value bias) {
  Value v = k.addF(sum, bias);
  if (!p.activation)
    return v;
  if (p.activation->kind == nn::Activation::Kind::HardSwish) {
    // Hard swish, as nn.hard_swish computes it.
    Value gate = k.minF(k.maxF(k.addF(v, k.f32(3.0)), k.f32(0.0)), k.f32(6.0));
    return k.divF(k.mulF(v, gate), k.f32(6.0));
  }
  if (p.activation->kind == nn::Activation::Kind::SiLU) {
    // x * sigmoid(x), as nn.mul of nn.sigmoid computes it.
    Value exp =
        math::ExpOp::create(k.b, k.loc, arith::NegFOp::create(k.b, k.loc, v));
    Value one = k.f32(1.0);
    return k.mulF(v, k.divF(one, k.addF(one, exp)));
  }
  // An infinite bound (an ONNX Clip without it) clamps nothing.
  if (!std::isinf(p.activation->lo))
    v = k.maxF(v, k.f32(p.activation->lo));
  if (!std::isinf(p.activation->hi))
    v = k.minF(v, k.f32(p.activation->hi));
  return v;
}

Value pooledEpilogue(KernelBuilder &k, const ConvParams &p, Value bias,
                     function_ref<Value(int64_t wy, int64_t wx)> sumAt) {
  Value pooled = p.pool == PoolKind::None ? Value() : poolIdentity(k, p.pool);
  for (int64_t wy = 0; wy < p.poolH; ++wy)
    for (int64_t wx = 0; wx < p.poolW; ++wx) {
      Value v = convEpilogue(k, p, sumAt(wy, wx), bias);
      pooled = pooled ? poolCombine(k, p.pool, pooled, v) : v;
    }
  if (p.pool == PoolKind::None)
    return pooled;
  return poolFinish(k, p.pool, pooled, k.f32(double(p.poolH * p.poolW)));
}

Value ModelBuilder::alloc(ArrayRef<int64_t> shape, Location loc) {
  auto type = MemRefType::get(shape, host.getF32Type());
  return memref::AllocOp::create(host, loc, type, host.getI64IntegerAttr(256));
}

void ModelBuilder::launch(
    StringRef name, Location loc, ValueRange hostArgs, const LaunchShape &shape,
    function_ref<void(KernelBuilder &, ValueRange)> body) {
  MLIRContext *ctx = host.getContext();
  OpBuilder kb(ctx);
  kb.setInsertionPointToEnd(kernels.getBody());
  auto type = FunctionType::get(ctx, TypeRange(hostArgs), {});
  std::string symbol = (name + "_" + Twine(counter++)).str();
  auto func = mlir::gpu::GPUFuncOp::create(kb, loc, symbol, type);
  func->setAttr(mlir::gpu::GPUDialect::getKernelFuncAttrName(),
                kb.getUnitAttr());
  SmallVector<int32_t> block(shape.block.begin(), shape.block.end());
  func.setKnownBlockSizeAttr(kb.getDenseI32ArrayAttr(block));
  // Every kernel writes only its last argument, and a launch never passes
  // one buffer twice: all arguments are noalias and the others readonly,
  // which lets the NVPTX backend load them through the read-only data cache
  // (ld.global.nc).
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    func.setArgAttr(i, "llvm.noalias", kb.getUnitAttr());
    if (i + 1 < e)
      func.setArgAttr(i, "llvm.readonly", kb.getUnitAttr());
  }
  kb.setInsertionPointToStart(&func.getBody().front());
  KernelBuilder k(kb, loc);
  k.func = func;
  mlir::gpu::Dimension dims[] = {mlir::gpu::Dimension::x,
                                 mlir::gpu::Dimension::y,
                                 mlir::gpu::Dimension::z};
  for (int i = 0; i < 3; ++i) {
    k.blockId[i] = mlir::gpu::BlockIdOp::create(kb, loc, dims[i]);
    k.threadId[i] = mlir::gpu::ThreadIdOp::create(kb, loc, dims[i]);
  }
  // A copy: workgroup buffers the body adds are block arguments too, and
  // adding them may move the block's argument list.
  SmallVector<Value> args(func.getArguments());
  body(k, args);
  mlir::gpu::ReturnOp::create(kb, loc);

  KernelBuilder h(host, loc);
  mlir::gpu::KernelDim3 grid{h.idx(shape.grid[0]), h.idx(shape.grid[1]),
                             h.idx(shape.grid[2])};
  mlir::gpu::KernelDim3 blockDims{h.idx(shape.block[0]), h.idx(shape.block[1]),
                                  h.idx(shape.block[2])};
  auto launch = mlir::gpu::LaunchFuncOp::create(
      host, loc, func, grid, blockDims,
      /*dynamicSharedMemorySize=*/Value(), hostArgs);
  if (shape.flops)
    launch->setAttr(kLaunchFlopsAttr, host.getI64IntegerAttr(shape.flops));
}

} // namespace kiln::kernels
