//===- KernelBuilders.cpp - Shared pieces of the CPU kernels --------------===//
#include "KernelBuilders.h"

#include <cmath>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

#include <limits>

using namespace mlir;

namespace kiln::kernels {

int64_t blockFor(int64_t n, int64_t limit) {
  for (int64_t block = std::min(n, limit); block > 1; --block)
    if (n % block == 0)
      return block;
  return 1;
}

bool isDenseStatic(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.hasStaticShape() && type.getLayout().isIdentity() &&
         type.getElementType().isF32();
}

SmallVector<Value> buildLoop(
    ImplicitLocOpBuilder &b, int64_t upper, int64_t step, ValueRange values,
    function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value, ValueRange)>
        body) {
  Value lower = arith::ConstantIndexOp::create(b, 0);
  Value ub = arith::ConstantIndexOp::create(b, upper);
  Value st = arith::ConstantIndexOp::create(b, step);
  auto loop = scf::ForOp::create(
      b, lower, ub, st, values,
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange args) {
        ImplicitLocOpBuilder inner(loc, nested);
        scf::YieldOp::create(inner, body(inner, iv, args));
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value>
buildFilterLoops(ImplicitLocOpBuilder &b, int64_t channels, Value firstChannel,
                 int64_t kh, int64_t kw, ValueRange accs,
                 function_ref<SmallVector<Value>(ImplicitLocOpBuilder &, Value,
                                                 Value, Value, ValueRange)>
                     step) {
  return buildLoop(
      b, channels, 1, accs, [&](auto &b, Value offset, ValueRange accs) {
        Value ic =
            firstChannel
                ? arith::AddIOp::create(b, firstChannel, offset).getResult()
                : offset;
        return buildLoop(
            b, kh, 1, accs, [&](auto &b, Value row, ValueRange accs) {
              return buildLoop(b, kw, 1, accs,
                               [&](auto &b, Value column, ValueRange accs) {
                                 return step(b, ic, row, column, accs);
                               });
            });
      });
}

bool worthForking(int64_t work) {
  constexpr int64_t kMinParallelWork = int64_t(1) << 20;
  return work >= kMinParallelWork;
}

void buildBlockLoop(ImplicitLocOpBuilder &b, int64_t upper, int64_t work,
                    function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
  if (upper < 2 || !worthForking(work)) {
    buildLoop(b, upper, 1, {}, [&](auto &b, Value iv, ValueRange) {
      body(b, iv);
      return SmallVector<Value>();
    });
    return;
  }
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value ub = arith::ConstantIndexOp::create(b, upper);
  scf::ParallelOp::create(b, ValueRange{zero}, ValueRange{ub}, ValueRange{one},
                          [&](OpBuilder &nested, Location loc, ValueRange ivs) {
                            ImplicitLocOpBuilder inner(loc, nested);
                            body(inner, ivs[0]);
                          });
}

void buildBatchBlockLoop(
    ImplicitLocOpBuilder &b, int64_t batch, int64_t upper, int64_t workPerItem,
    function_ref<void(ImplicitLocOpBuilder &, Value, Value)> body) {
  if (batch == 1) {
    // The item's loop (of one) as the per-item loops have it.
    buildLoop(b, 1, 1, {}, [&](auto &b, Value n, ValueRange) {
      buildBlockLoop(
          b, upper, workPerItem,
          [&](ImplicitLocOpBuilder &b, Value task) { body(b, n, task); });
      return SmallVector<Value>();
    });
    return;
  }
  int64_t work = workPerItem > std::numeric_limits<int64_t>::max() / batch
                     ? std::numeric_limits<int64_t>::max()
                     : workPerItem * batch;
  buildBlockLoop(b, batch * upper, work,
                 [&](ImplicitLocOpBuilder &b, Value itemTask) {
                   Value tasks = indexConstant(b, upper);
                   body(b, arith::DivUIOp::create(b, itemTask, tasks),
                        arith::RemUIOp::create(b, itemTask, tasks));
                 });
}

Value loadVector(ImplicitLocOpBuilder &b, VectorType type, Value memref,
                 ValueRange indices, Value mask) {
  if (!mask)
    return vector::LoadOp::create(b, type, memref, indices);
  Value zero = arith::ConstantOp::create(b, type, b.getZeroAttr(type));
  return vector::MaskedLoadOp::create(b, type, memref, indices, mask, zero);
}

void storeVector(ImplicitLocOpBuilder &b, Value value, Value memref,
                 ValueRange indices, Value mask) {
  if (mask)
    vector::MaskedStoreOp::create(b, memref, indices, mask, value);
  else
    vector::StoreOp::create(b, value, memref, indices);
}

Value indexConstant(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

Value affineIndex(ImplicitLocOpBuilder &b, Value base, Value offset,
                  int64_t scale) {
  Value scaled =
      scale == 1 ? offset
                 : arith::MulIOp::create(b, offset, indexConstant(b, scale));
  return base ? arith::AddIOp::create(b, base, scaled).getResult() : scaled;
}

SmallVector<Value> indexSequence(ImplicitLocOpBuilder &b, Value base,
                                 int64_t count, int64_t step) {
  SmallVector<Value> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(
        i ? arith::AddIOp::create(b, base, indexConstant(b, i * step))
                .getResult()
          : base);
  return values;
}

SmallVector<Value> accumulateOuterProduct(ImplicitLocOpBuilder &b,
                                          VectorType vectorType,
                                          ArrayRef<Value> scalars,
                                          ArrayRef<Value> vectors,
                                          ValueRange accs) {
  SmallVector<Value> next(accs);
  for (auto [r, scalar] : llvm::enumerate(scalars)) {
    Value broadcast = vector::BroadcastOp::create(b, vectorType, scalar);
    for (auto [c, vector] : llvm::enumerate(vectors)) {
      Value &acc = next[r * vectors.size() + c];
      acc = vector::FMAOp::create(b, broadcast, vector, acc);
    }
  }
  return next;
}

Value flattenBuffer(ImplicitLocOpBuilder &b, Value buffer) {
  return memref::CollapseShapeOp::create(
      b, buffer, SmallVector<ReassociationIndices>{{0, 1, 2, 3}});
}

bool streamsInput(Value input, int64_t l2CacheBytes) {
  ArrayRef<int64_t> shape = cast<MemRefType>(input.getType()).getShape();
  int64_t imageBytes = 4;
  for (int64_t size : shape.drop_front())
    imageBytes *= size;
  return imageBytes > l2CacheBytes;
}

void prefetchRowAhead(ImplicitLocOpBuilder &b, Value buffer,
                      ValueRange indices) {
  // Four cache lines ahead: SqueezeNet's 128 -> 16 1x1 layer on 55x55
  // planes at batch 8 took 6.4 ms without prefetches and 1.8, 1.5, 1.4 and
  // 1.5 ms with 1, 2, 4 and 8 lines of lead.
  constexpr int64_t kInputRowPrefetch = 64;
  SmallVector<Value> ahead(indices);
  ahead.back() = arith::AddIOp::create(b, ahead.back(),
                                       indexConstant(b, kInputRowPrefetch));
  // memref.prefetch lowers to a plain (not inbounds) GEP and a prefetch
  // hint: an address past the buffer's end is computed, never dereferenced.
  memref::PrefetchOp::create(b, buffer, ahead, /*isWrite=*/false,
                             /*localityHint=*/3, /*isDataCache=*/true);
}

Value flatOffset(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape, Value i0,
                 Value i1, Value i2, Value i3) {
  return affineIndex(
      b, i3, affineIndex(b, i2, affineIndex(b, i1, i0, shape[1]), shape[2]),
      shape[3]);
}

Value laneMultiples(ImplicitLocOpBuilder &b, int64_t width, int64_t stride,
                    bool wide) {
  uint64_t largest = wide ? std::numeric_limits<int64_t>::max()
                          : std::numeric_limits<int32_t>::max();
  SmallVector<APInt> offsets;
  for (int64_t lane = 0; lane < width; ++lane)
    offsets.push_back(APInt(wide ? 64 : 32,
                            lane && uint64_t(stride) > largest / uint64_t(lane)
                                ? largest
                                : uint64_t(lane) * uint64_t(stride)));
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(
             VectorType::get({width}, wide ? b.getI64Type() : b.getI32Type()),
             offsets));
}

Value allLanes(ImplicitLocOpBuilder &b, int64_t width) {
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(VectorType::get({width}, b.getI1Type()), true));
}

std::optional<ArrayRef<float>> constantData(Value value,
                                            SmallVectorImpl<float> &storage) {
  auto getGlobal = value.getDefiningOp<memref::GetGlobalOp>();
  if (!getGlobal)
    return std::nullopt;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      getGlobal, getGlobal.getNameAttr());
  if (!global || !global.getConstant() || !global.getInitialValue())
    return std::nullopt;
  Attribute init = *global.getInitialValue();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(init)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getDataAs<float>();
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(init)) {
    storage.assign(dense.getValues<float>().begin(),
                   dense.getValues<float>().end());
    return ArrayRef<float>(storage);
  }
  return std::nullopt;
}

Value createConstantGlobal(PatternRewriter &rewriter, Location loc,
                           ModuleOp module, StringRef nameHint,
                           ArrayRef<int64_t> shape, SmallVector<float> &&data) {
  auto owner = std::make_unique<SmallVector<float>>(std::move(data));
  ArrayRef<float> values = *owner;
  AsmResourceBlob blob(
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(float)),
      alignof(float),
      [owner = std::move(owner)](void *, size_t, size_t) mutable {
        owner.reset();
      },
      /*dataIsMutable=*/false);
  auto tensorType = RankedTensorType::get(shape, rewriter.getF32Type());
  auto memrefType = MemRefType::get(shape, rewriter.getF32Type());
  auto value =
      DenseResourceElementsAttr::get(tensorType, nameHint, std::move(blob));
  // Built detached, so that the symbol table sees unique names and renames
  // this one if the name is taken (two layers sharing one filter).
  OpBuilder detached(rewriter.getContext());
  auto global = memref::GlobalOp::create(
      detached, loc, nameHint, rewriter.getStringAttr("private"), memrefType,
      value, /*constant=*/true, rewriter.getI64IntegerAttr(64));
  SymbolTable(module).insert(global, module.getBody()->begin());
  return memref::GetGlobalOp::create(rewriter, loc, memrefType,
                                     global.getSymName());
}

void copyStridedInputs(Operation *root) {
  SmallVector<linalg::LinalgOp> ops;
  root->walk([&](linalg::LinalgOp op) {
    if (!isa<linalg::Conv2DNchwFchwOp, linalg::Conv2DNgchwGfchwOp,
             linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp,
             linalg::MatmulOp>(op) ||
        !op.hasPureBufferSemantics())
      return;
    auto input = dyn_cast<MemRefType>(op->getOperand(0).getType());
    if (!input || !input.hasStaticShape() || input.getLayout().isIdentity() ||
        !input.getElementType().isF32() ||
        !llvm::all_of(op->getOperands().drop_front(), isDenseStatic))
      return;
    ops.push_back(op);
  });
  for (linalg::LinalgOp op : ops) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value input = op->getOperand(0);
    auto type = cast<MemRefType>(input.getType());
    auto dense = memref::AllocOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()),
        b.getI64IntegerAttr(64));
    linalg::CopyOp::create(b, loc, input, dense.getResult());
    op->setOperand(0, dense);
    // At the end of the block: a fused group's kernel goes after its last
    // op, past the op itself (kiln-plan-memory drops the free anyway).
    b.setInsertionPoint(op->getBlock()->getTerminator());
    memref::DeallocOp::create(b, loc, dense);
  }
}

FailureOr<std::array<Value, 3>> denseOperands(linalg::LinalgOp op,
                                              PatternRewriter &rewriter) {
  if (!op.hasPureBufferSemantics())
    return rewriter.notifyMatchFailure(op, "runs after bufferization");
  std::array<Value, 3> operands = {op.getDpsInputOperand(0)->get(),
                                   op.getDpsInputOperand(1)->get(),
                                   op.getDpsInitOperand(0)->get()};
  if (!llvm::all_of(operands, isDenseStatic))
    return rewriter.notifyMatchFailure(op, "needs dense static f32 buffers");
  return operands;
}

ColumnVectors coverColumns(ImplicitLocOpBuilder &b, Value first, int64_t valid,
                           int64_t width) {
  ColumnVectors vectors;
  vectors.starts =
      indexSequence(b, first, llvm::divideCeil(valid, width), width);
  auto maskType = VectorType::get({width}, b.getI1Type());
  for (int64_t c = 0; c * width < valid; ++c) {
    int64_t lanes = std::min(width, valid - c * width);
    vectors.masks.push_back(
        lanes == width ? Value()
                       : vector::CreateMaskOp::create(
                             b, maskType, ValueRange{indexConstant(b, lanes)})
                             .getResult());
  }
  return vectors;
}

Value fusedStart(ImplicitLocOpBuilder &b, const FusionGroup &group,
                 Value channel, VectorType type) {
  if (!group.bias)
    return arith::ConstantOp::create(b, type, b.getZeroAttr(type));
  return vector::BroadcastOp::create(
      b, type, memref::LoadOp::create(b, group.bias, ValueRange{channel}));
}

Value applyActivation(ImplicitLocOpBuilder &b, Value value,
                      const FusionGroup &group) {
  if (!group.activation)
    return value;
  auto constant = [&](double bound) -> Value {
    auto f32 = b.getF32FloatAttr(bound);
    if (auto type = dyn_cast<VectorType>(value.getType()))
      return arith::ConstantOp::create(b, type,
                                       SplatElementsAttr::get(type, f32));
    return arith::ConstantOp::create(b, f32);
  };
  if (group.activation->kind == nn::Activation::Kind::HardSwish) {
    // Hard swish, in the order of operations of its generic.
    Value gate = arith::MinimumFOp::create(
        b,
        arith::MaximumFOp::create(
            b, arith::AddFOp::create(b, value, constant(3.0)), constant(0.0)),
        constant(6.0));
    return arith::DivFOp::create(b, arith::MulFOp::create(b, value, gate),
                                 constant(6.0));
  }
  if (group.activation->kind == nn::Activation::Kind::SiLU) {
    // SiLU, in the order of operations of its generic (math.exp becomes a
    // polynomial in kiln-vectorizable-math).
    Value exp =
        math::ExpOp::create(b, arith::NegFOp::create(b, value).getResult());
    Value sigmoid = arith::DivFOp::create(
        b, constant(1.0), arith::AddFOp::create(b, constant(1.0), exp));
    return arith::MulFOp::create(b, value, sigmoid);
  }
  // maximumf and minimumf propagate NaN, as the generics do.
  if (!std::isinf(group.activation->lo))
    value = arith::MaximumFOp::create(b, value, constant(group.activation->lo));
  if (!std::isinf(group.activation->hi))
    value = arith::MinimumFOp::create(b, value, constant(group.activation->hi));
  return value;
}

void eraseComputedOps(PatternRewriter &rewriter, Operation *op,
                      const FusionGroup *group) {
  if (!group)
    return rewriter.eraseOp(op);
  for (Operation *member : llvm::reverse(group->ops))
    rewriter.eraseOp(member);
}

VectorPool::VectorPool(const FusionGroup &group, VectorType type)
    : kh(group.poolKernel[0]), kw(group.poolKernel[1]), sh(group.poolStride[0]),
      sw(group.poolStride[1]), isMax(group.pool == "max"),
      unsignedMax(isMax && group.activation &&
                  group.activation->givesNonNegative()),
      type(type) {}

Value VectorPool::identity(ImplicitLocOpBuilder &b) const {
  double start =
      isMax && !unsignedMax ? -std::numeric_limits<double>::infinity() : 0.0;
  return arith::ConstantOp::create(
      b, type, DenseElementsAttr::get(type, b.getF32FloatAttr(start)));
}

Value unsignedMaxOfBits(ImplicitLocOpBuilder &b, Value a, Value x) {
  auto type = cast<VectorType>(a.getType());
  auto bitsType = VectorType::get(type.getShape(), b.getI32Type());
  Value max =
      arith::MaxUIOp::create(b, arith::BitcastOp::create(b, bitsType, a),
                             arith::BitcastOp::create(b, bitsType, x));
  return arith::BitcastOp::create(b, type, max);
}

Value VectorPool::combine(ImplicitLocOpBuilder &b, Value acc, Value x) const {
  if (unsignedMax)
    return unsignedMaxOfBits(b, acc, x);
  return isMax ? arith::MaximumFOp::create(b, acc, x).getResult()
               : arith::AddFOp::create(b, acc, x).getResult();
}

Value VectorPool::finish(ImplicitLocOpBuilder &b, Value acc) const {
  if (isMax)
    return acc;
  Value size = arith::ConstantOp::create(
      b, type,
      DenseElementsAttr::get(type, b.getF32FloatAttr(double(kh * kw))));
  return arith::DivFOp::create(b, acc, size);
}

void emitPooledRows(
    ImplicitLocOpBuilder &b, Value n, Value ocb, int64_t rows, int64_t width,
    const FusionGroup &group, Value scratch, int64_t ring,
    function_ref<void(ImplicitLocOpBuilder &, Value, Value, Value)> emitRow,
    Value scratchBlock) {
  if (!scratchBlock)
    scratchBlock = ocb;
  ArrayRef<int64_t> pooledShape =
      cast<MemRefType>(group.result.getType()).getShape();
  auto vectorType = VectorType::get({width}, b.getF32Type());
  VectorPool pool(group, vectorType);
  int64_t kh = pool.kh, kw = pool.kw, sh = pool.sh, sw = pool.sw;
  ArrayRef<int64_t> scratchShape =
      cast<MemRefType>(scratch.getType()).getShape();
  SmallVector<int64_t> evenLanes;
  for (int64_t lane = 0; lane < width; ++lane)
    evenLanes.push_back(2 * lane);
  // Gathers (strides past 2) read lane l at column offset l * sw: i32
  // unless a row is too long for it. Lanes past the row end are masked, so
  // only the row's length bounds the offsets that are read.
  Value flatScratch, laneColumns, everyLane, zeros;
  if (sw > 2) {
    flatScratch = flattenBuffer(b, scratch);
    laneColumns = laneMultiples(
        b, width, sw, scratchShape[3] >= std::numeric_limits<int32_t>::max());
    everyLane = allLanes(b, width);
    zeros = arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  }
  buildLoop(b, pooledShape[2], 1, {}, [&](auto &b, Value ph, ValueRange) {
    Value windowStart = affineIndex(b, {}, ph, sh);
    if (ring) {
      // Rows [first, ph*sh + kh): the window's rows not computed before.
      Value end = affineIndex(b, windowStart, indexConstant(b, kh), 1);
      Value previousEnd = arith::SubIOp::create(b, end, indexConstant(b, sh));
      Value isFirst = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, ph,
                                            indexConstant(b, 0));
      Value first = arith::SelectOp::create(
          b, isFirst, windowStart,
          arith::MaxUIOp::create(b, windowStart, previousEnd));
      scf::ForOp::create(
          b, first, end, indexConstant(b, 1), ValueRange{},
          [&](OpBuilder &nested, Location loc, Value oh, ValueRange) {
            ImplicitLocOpBuilder inner(loc, nested);
            emitRow(inner, n, ocb, oh);
            scf::YieldOp::create(inner);
          });
    }
    // Pooled columns go along the lanes: lane l of the vector from pw0
    // reads columns (pw0 + l) * sw + j of the window's rows (contiguous when
    // sw is 1, the even lanes of two vectors when 2, a gather otherwise);
    // the last vector of a row is masked.
    Value oc0 = affineIndex(b, {}, ocb, rows);
    buildLoop(b, rows, 1, {}, [&](auto &b, Value r, ValueRange) {
      Value oc = arith::AddIOp::create(b, oc0, r);
      auto emitVector = [&](ImplicitLocOpBuilder &b, Value pw0, Value mask) {
        Value acc = pool.identity(b);
        Value columnStart = affineIndex(b, {}, pw0, sw);
        for (int64_t i = 0; i < kh; ++i) {
          Value row = affineIndex(b, windowStart, indexConstant(b, i), 1);
          Value slot =
              ring ? arith::RemUIOp::create(b, row, indexConstant(b, ring))
                         .getResult()
                   : row;
          for (int64_t j = 0; j < kw; ++j) {
            Value column = affineIndex(b, columnStart, indexConstant(b, j), 1);
            Value x;
            if (sw == 1) {
              x = loadVector(b, vectorType, scratch,
                             {scratchBlock, slot, r, column}, mask);
            } else if (sw == 2) {
              // Every other column of two vectors' worth: two loads (lanes
              // past the row's end masked) and one shuffle, several times
              // cheaper than a gather.
              auto rowMask = [&](Value start) {
                return vector::CreateMaskOp::create(
                    b, VectorType::get({width}, b.getI1Type()),
                    ValueRange{arith::SubIOp::create(
                        b, indexConstant(b, scratchShape[3]), start)});
              };
              // (Clamped to the row's end: past it, the mask is empty.)
              Value next = arith::MinUIOp::create(
                  b, affineIndex(b, column, indexConstant(b, width), 1),
                  indexConstant(b, scratchShape[3]));
              Value low =
                  loadVector(b, vectorType, scratch,
                             {scratchBlock, slot, r, column}, rowMask(column));
              Value high =
                  loadVector(b, vectorType, scratch,
                             {scratchBlock, slot, r, next}, rowMask(next));
              x = vector::ShuffleOp::create(b, low, high, evenLanes);
            } else {
              Value flat =
                  flatOffset(b, scratchShape, scratchBlock, slot, r, column);
              x = vector::GatherOp::create(b, vectorType, flatScratch,
                                           ValueRange{flat}, laneColumns,
                                           mask ? mask : everyLane, zeros);
            }
            acc = pool.combine(b, acc, x);
          }
        }
        storeVector(b, pool.finish(b, acc), group.result, {n, oc, ph, pw0},
                    mask);
      };
      int64_t fullColumns = pooledShape[3] / width * width;
      if (fullColumns)
        buildLoop(b, fullColumns, width, {},
                  [&](auto &b, Value pw0, ValueRange) {
                    emitVector(b, pw0, {});
                    return SmallVector<Value>();
                  });
      if (int64_t rest = pooledShape[3] - fullColumns)
        emitVector(b, indexConstant(b, fullColumns),
                   vector::CreateMaskOp::create(
                       b, VectorType::get({width}, b.getI1Type()),
                       ValueRange{indexConstant(b, rest)}));
      return SmallVector<Value>();
    });
    return SmallVector<Value>();
  });
}

} // namespace kiln::kernels
