//===- GPUEmulate.cpp - Run GPU kernels as host loops ---------------------===//
//
// See GPUPasses.td. The blocks of a grid are independent, so they become an
// scf.parallel (the CPU pipeline runs it on the thread pool). The threads of
// a block run one after the other, phase by phase: a phase is the code
// between two gpu.barrier ops, and every thread finishes a phase before any
// starts the next, which is what the barrier guarantees. Barriers may sit in
// the kernel's body or directly in the body of one of its top-level loops
// (the loop over a shared-memory tile's chunks); such a loop, whose bounds
// every thread shares, runs once for the block, each iteration running its
// phases over all threads. A value that one phase computes and a later one
// uses is kept per thread in a scratch array, and so are the loop's
// iteration values; workgroup buffers become one buffer per block.
//
// Running a block's threads in order hides data races that a GPU would
// not: a thread reading a shared word that another writes in the same
// phase sees the write or not depending on the order. So each workgroup
// buffer gets two shadow arrays, the phase and thread of the last write and
// of the last reads of each word, and every access checks them: two threads
// touching one word in one phase, one of them writing, abort the run with
// the kernel's name (`check-races`, on by default). Likewise for the
// buffers a kernel writes in global memory: each element records its last
// writer (block, phase and thread, swapped in atomically, as blocks run in
// parallel), and a second write from another block, or from another thread
// of the block in the same phase, aborts the run.
//
//===----------------------------------------------------------------------===//
#include "kiln/Codegen/GPUPasses.h"
#include "kiln/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

#include <variant>

namespace kiln {
#define GEN_PASS_DEF_GPUEMULATEPASS
#include "kiln/Codegen/GPUPasses.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Bits of a global writer tag: ((block << 20 | phase) << 11 | thread) + 1.
constexpr int64_t kPhaseBits = 20, kThreadBits = 11;

/// The ops that all threads run before any runs the next phase.
using Phase = SmallVector<Operation *>;

/// A top-level loop whose body holds barriers: its body's phases.
struct BarrierLoop {
  scf::ForOp loop;
  SmallVector<Phase> phases;
};

/// A gpu.barrier in the kernel's body, between two steps.
struct BarrierMark {};

/// The kernel body as a sequence of phases, barriers and barrier loops.
using Step = std::variant<Phase, BarrierLoop, BarrierMark>;

bool holdsBarrier(Block &block) {
  return llvm::any_of(block,
                      [](Operation &op) { return isa<gpu::BarrierOp>(op); });
}

/// Splits a block, without its terminator, at its barriers.
SmallVector<Phase> splitAtBarriers(Block &block) {
  SmallVector<Phase> phases(1);
  for (Operation &op : block.without_terminator()) {
    if (isa<gpu::BarrierOp>(op))
      phases.emplace_back();
    else
      phases.back().push_back(&op);
  }
  return phases;
}

/// Ops that every phase recreates where it needs them instead of keeping
/// their values per thread: ids, sizes and constants.
bool isRematerialized(Operation *op) {
  return isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(
             op) ||
         (op->getNumOperands() == 0 && op->hasTrait<OpTrait::ConstantLike>());
}

/// The checks' failure reports: one private function per message,
/// `@kiln_emulate_check(%ok: i1)` holding the message's cf.assert, called
/// wherever a check of that kind sits. An assert per check would do the
/// same, but lowering each to the LLVM dialect makes a string global, and
/// MLIR names each after searching the module for the names before it: a
/// Winograd kernel's thousands of checks took seconds.
class CheckFunctions {
public:
  explicit CheckFunctions(ModuleOp module) : module(module), symbols(module) {}

  /// Fails the run with `message` where `ok` is false.
  void check(OpBuilder &b, Location loc, Value ok, const Twine &message) {
    std::string text = message.str();
    func::FuncOp &callee = functions[text];
    if (!callee) {
      OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
      callee = func::FuncOp::create(
          moduleBuilder, loc, "kiln_emulate_check",
          moduleBuilder.getFunctionType({moduleBuilder.getI1Type()}, {}));
      callee.setPrivate();
      symbols.insert(callee); // Renamed _0, _1, ... past the first.
      Block *body = callee.addEntryBlock();
      OpBuilder bodyBuilder = OpBuilder::atBlockEnd(body);
      cf::AssertOp::create(bodyBuilder, loc, body->getArgument(0), text);
      func::ReturnOp::create(bodyBuilder, loc);
    }
    func::CallOp::create(b, loc, callee, ValueRange{ok});
  }

private:
  ModuleOp module;
  SymbolTable symbols;
  llvm::StringMap<func::FuncOp> functions;
};

class LaunchEmulator {
public:
  LaunchEmulator(gpu::LaunchFuncOp launch, gpu::GPUFuncOp kernel,
                 ArrayRef<int64_t> sizes, bool checkRaces,
                 CheckFunctions &checks)
      : launch(launch), kernel(kernel), sizes(sizes), checkRaces(checkRaces),
        checks(checks), b(launch), loc(launch.getLoc()) {}

  LogicalResult run();

private:
  /// Checks that the kernel can be emulated, splits its body into `steps`
  /// and numbers the phase of every op in phaseOf.
  LogicalResult split(SmallVectorImpl<Step> &steps);
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  /// The position of `ids` (x, y, z) in a row-major walk of `dims` (X, Y,
  /// Z) with x fastest: x + X * (y + Y * z).
  Value linearize(ValueRange ids, ArrayRef<int64_t> dims) {
    Value linear = ids.back();
    for (int i = int(ids.size()) - 2; i >= 0; --i)
      linear = arith::AddIOp::create(
          b, loc, ids[i],
          arith::MulIOp::create(b, loc, index(dims[i]), linear));
    return linear;
  }
  /// The element `indices` of a row-major `shape` in the flattened buffer.
  Value flatten(ValueRange indices, ArrayRef<int64_t> shape) {
    Value word = index(0);
    for (auto [i, dim] : llvm::enumerate(shape))
      word = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, word, index(dim)), indices[i]);
    return word;
  }
  /// Emits loops over the block's threads around `body`, which runs with
  /// the insertion point inside them.
  LogicalResult forEachThread(function_ref<LogicalResult()> body);
  /// Clones `ops` for one thread, then keeps the results that later phases
  /// use.
  LogicalResult emitPhase(ArrayRef<Operation *> ops);
  /// The current thread's copy of `value` (an operand of the op cloned
  /// next), created on first use in a phase.
  FailureOr<Value> materialize(Value value);
  /// The per-thread scratch array that carries `value` between phases.
  Value scratchFor(Value value);
  /// A buffer of the block: allocated when the block starts and freed when
  /// it ends. (Heap, not stack: the CPU pipeline lowers the parallel loop's
  /// body to several blocks, which an alloca scope cannot hold.)
  Value allocate(MemRefType type);
  /// Allocates the shadows of the block's workgroup buffer `buffer`, zeroed.
  void addShadows(Value buffer);
  /// Checks `access`, a load or store of a workgroup buffer by the current
  /// thread in the current phase, against the buffer's shadows and records
  /// it there.
  void checkAccess(Operation *access);
  /// Allocates, zeroed, the writer tags of `buffer`, a kernel operand the
  /// kernel stores to, before the launch's loops.
  void addWriteShadow(Value buffer);
  /// Checks `store`, to a kernel operand, against the last writer of its
  /// element and records the current thread there.
  void checkGlobalStore(memref::StoreOp store);
  /// Where a barrier is: the block's phase counter moves on (the phases of
  /// the race check are the code between barriers, which the emulator's
  /// phases split further at a barrier loop's start and end).
  void crossBarrier() {
    if (!checkRaces)
      return;
    Value zero = index(0);
    Value last = memref::LoadOp::create(b, loc, phaseCounter, ValueRange{zero});
    Value next = arith::AddIOp::create(b, loc, last, index(1));
    // Global writer tags keep the phase in kPhaseBits bits.
    checks.check(b, loc,
                 arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, next,
                                       index(int64_t(1) << kPhaseBits)),
                 "kiln --gpu-emulate: kernel '" + kernel.getName() +
                     "' crosses too many barriers for the race check");
    memref::StoreOp::create(b, loc, next, phaseCounter, ValueRange{zero});
  }

  gpu::LaunchFuncOp launch;
  gpu::GPUFuncOp kernel;
  ArrayRef<int64_t> sizes;
  bool checkRaces;
  CheckFunctions &checks;
  /// Per workgroup buffer of the block: the (phase, thread) tags of each
  /// word's last write and last reads (see tag()).
  DenseMap<Value, std::pair<Value, Value>> shadows;
  /// The block's phase counter, and the current phase's number (from 1).
  Value phaseCounter, phase;
  /// Per kernel operand the kernel stores to: the i64 tag of each
  /// element's last writer (see writerTag), 0 for none.
  DenseMap<Value, Value> writeShadows;
  /// The block's linear index in the grid.
  Value linearBlock;
  OpBuilder b;
  Location loc;
  /// Per block: the grid's induction variables, the workgroup buffers and
  /// the uniform loop's induction variable.
  IRMapping blockMapping;
  /// Per thread, reset for every phase.
  IRMapping threadMapping;
  Value threadIds[3], linearThread;
  Block *blockBody = nullptr;
  /// What allocate() made, freed at the end of the block.
  SmallVector<Value> blockBuffers;
  DenseMap<Value, Value> scratch;
  DenseMap<Operation *, unsigned> phaseOf;
};

LogicalResult LaunchEmulator::split(SmallVectorImpl<Step> &steps) {
  WalkResult unsupported = kernel.walk([&](Operation *op) {
    if (isa<gpu::ShuffleOp>(op) ||
        op->getName().getDialectNamespace() == "nvvm") {
      op->emitError("cannot emulate '") << op->getName() << "'";
      return WalkResult::interrupt();
    }
    if (auto barrier = dyn_cast<gpu::BarrierOp>(op)) {
      Operation *parent = barrier->getParentOp();
      if (parent != kernel.getOperation() &&
          !(isa<scf::ForOp>(parent) &&
            parent->getParentOp() == kernel.getOperation())) {
        barrier.emitError("cannot emulate a barrier nested deeper than one "
                          "loop of the kernel's body");
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  if (unsupported.wasInterrupted())
    return failure();
  if (!kernel.getPrivateAttributions().empty())
    return kernel.emitError("cannot emulate private attributions");

  Phase current;
  unsigned phaseIndex = 0;
  auto close = [&] {
    for (Operation *op : current)
      op->walk([&](Operation *nested) { phaseOf[nested] = phaseIndex; });
    steps.push_back(current);
    current.clear();
    ++phaseIndex;
  };
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    if (isa<gpu::BarrierOp>(op)) {
      close();
      steps.push_back(BarrierMark{});
      continue;
    }
    auto loop = dyn_cast<scf::ForOp>(op);
    if (!loop || !holdsBarrier(*loop.getBody())) {
      current.push_back(&op);
      continue;
    }
    for (Value bound :
         {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()})
      if (!getConstantIntValue(bound))
        return loop.emitError("cannot emulate a loop with barriers whose "
                              "bounds are not constants");
    close();
    BarrierLoop item{loop, splitAtBarriers(*loop.getBody())};
    phaseOf[loop] = phaseIndex; // The loop's results belong to no phase.
    ++phaseIndex;
    for (Phase &phase : item.phases) {
      for (Operation *inner : phase)
        inner->walk([&](Operation *nested) { phaseOf[nested] = phaseIndex; });
      ++phaseIndex;
    }
    phaseOf[loop.getBody()->getTerminator()] = phaseIndex - 1;
    steps.push_back(std::move(item));
  }
  close();
  return success();
}

LogicalResult
LaunchEmulator::forEachThread(function_ref<LogicalResult()> body) {
  OpBuilder::InsertionGuard guard(b);
  Value zero = index(0), one = index(1);
  if (checkRaces)
    phase = memref::LoadOp::create(b, loc, phaseCounter, ValueRange{zero});
  for (int i = 0; i < 3; ++i) {
    auto loop = scf::ForOp::create(b, loc, zero, index(sizes[3 + i]), one);
    threadIds[i] = loop.getInductionVar();
    b.setInsertionPoint(loop.getBody()->getTerminator());
  }
  linearThread = linearize(ArrayRef<Value>(threadIds), sizes.slice(3));
  threadMapping = blockMapping;
  return body();
}

/// A shadow word's tag: phase * (threads + 2) + who, where who is the
/// thread's linear id + 1, or threads + 1 for several readers; 0 is never
/// touched (phases count from 1).
static Value tag(OpBuilder &b, Location loc, Value phase, Value who,
                 int64_t threads) {
  Value base = arith::ConstantIndexOp::create(b, loc, threads + 2);
  return arith::AddIOp::create(b, loc,
                               arith::MulIOp::create(b, loc, phase, base), who);
}

void LaunchEmulator::addShadows(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto shadowType = MemRefType::get({type.getNumElements()}, b.getIndexType());
  Value writes = allocate(shadowType), reads = allocate(shadowType);
  // Zeroed where the block starts running (allocate() puts the buffers
  // before it).
  OpBuilder::InsertionGuard guard(b);
  Value zero = index(0);
  auto loop =
      scf::ForOp::create(b, loc, zero, index(type.getNumElements()), index(1));
  b.setInsertionPoint(loop.getBody()->getTerminator());
  for (Value shadow : {writes, reads})
    memref::StoreOp::create(b, loc, zero, shadow,
                            ValueRange{loop.getInductionVar()});
  shadows[buffer] = {writes, reads};
}

/// Asserts that each of `indices` lies within its dimension of `shape`
/// (an emulated out-of-bounds access would silently hit a neighbouring
/// host buffer).
static void assertInBounds(OpBuilder &b, Location loc, CheckFunctions &checks,
                           ArrayRef<int64_t> shape, ValueRange indices,
                           const Twine &message) {
  Value inside = arith::ConstantIntOp::create(b, loc, 1, 1);
  for (auto [index, dim] : llvm::zip(indices, shape)) {
    // Unsigned: a negative index is as large as can be.
    Value below =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index,
                              arith::ConstantIndexOp::create(b, loc, dim));
    inside = arith::AndIOp::create(b, loc, inside, below);
  }
  checks.check(b, loc, inside, message);
}

void LaunchEmulator::checkAccess(Operation *access) {
  auto load = dyn_cast<memref::LoadOp>(access);
  auto store = dyn_cast<memref::StoreOp>(access);
  Value buffer = load ? load.getMemRef() : store.getMemRef();
  ValueRange indices = load ? load.getIndices() : store.getIndices();
  auto [writes, reads] = shadows.lookup(buffer);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(access);
  // The word's index in the flattened buffer.
  ArrayRef<int64_t> shape = cast<MemRefType>(buffer.getType()).getShape();
  assertInBounds(b, loc, checks, shape, indices,
                 "kiln --gpu-emulate: kernel '" + kernel.getName() +
                     "' accesses shared memory out of its bounds");
  Value word = flatten(indices, shape);
  int64_t threads = sizes[3] * sizes[4] * sizes[5];
  Value base = index(threads + 2);
  Value who = arith::AddIOp::create(b, loc, linearThread, index(1));
  Value mine = tag(b, loc, phase, who, threads);
  // Touched by another thread in this phase: the tag is of this phase and
  // not this thread's own.
  auto byOther = [&](Value shadow) {
    Value last =
        memref::LoadOp::create(b, loc, shadow, ValueRange{word}).getResult();
    Value thisPhase = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        arith::DivUIOp::create(b, loc, last, base), phase);
    Value other =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, last, mine);
    return arith::AndIOp::create(b, loc, thisPhase, other).getResult();
  };
  std::string message =
      ("kiln --gpu-emulate: data race in kernel '" + kernel.getName() +
       "': two threads of a block access one word of shared memory between "
       "two barriers, at least one of them writing")
          .str();
  Value writtenByOther = byOther(writes);
  Value readByOther = byOther(reads);
  if (store) {
    Value race = arith::OrIOp::create(b, loc, writtenByOther, readByOther);
    Value ok = arith::XOrIOp::create(
        b, loc, race, arith::ConstantIntOp::create(b, loc, 1, 1));
    checks.check(b, loc, ok, message);
    memref::StoreOp::create(b, loc, mine, writes, ValueRange{word});
    return;
  }
  Value ok = arith::XOrIOp::create(b, loc, writtenByOther,
                                   arith::ConstantIntOp::create(b, loc, 1, 1));
  checks.check(b, loc, ok, message);
  // A word that no thread of the block wrote holds garbage on a GPU.
  Value written = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne,
      memref::LoadOp::create(b, loc, writes, ValueRange{word}), index(0));
  checks.check(b, loc, written,
               "kiln --gpu-emulate: kernel '" + kernel.getName() +
                   "' reads a word of shared memory that no thread of its "
                   "block wrote");
  // Several readers in one phase are fine, but none of them may be followed
  // by another thread's write.
  Value several = tag(b, loc, phase, index(threads + 1), threads);
  Value next = arith::SelectOp::create(b, loc, readByOther, several, mine);
  memref::StoreOp::create(b, loc, next, reads, ValueRange{word});
}

void LaunchEmulator::addWriteShadow(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto shadowType = MemRefType::get({type.getNumElements()}, b.getI64Type());
  Value shadow = memref::AllocOp::create(b, loc, shadowType);
  Value zero = index(0);
  auto loop =
      scf::ForOp::create(b, loc, zero, index(type.getNumElements()), index(1));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    memref::StoreOp::create(b, loc, arith::ConstantIntOp::create(b, loc, 0, 64),
                            shadow, ValueRange{loop.getInductionVar()});
  }
  writeShadows[buffer] = shadow;
}

void LaunchEmulator::checkGlobalStore(memref::StoreOp store) {
  Value shadow = writeShadows.lookup(store.getMemRef());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(store);
  ArrayRef<int64_t> shape = store.getMemRefType().getShape();
  assertInBounds(b, loc, checks, shape, store.getIndices(),
                 "kiln --gpu-emulate: kernel '" + kernel.getName() +
                     "' writes out of the bounds of a buffer");
  Value element = flatten(store.getIndices(), shape);
  auto i64 = [&](Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), v).getResult();
  };
  auto constant = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
  };
  // (block, phase): the part of the tag that orders writes.
  Value when = arith::OrIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, i64(linearBlock), constant(kPhaseBits)),
      i64(phase));
  Value mine = arith::AddIOp::create(
      b, loc,
      arith::OrIOp::create(
          b, loc, arith::ShLIOp::create(b, loc, when, constant(kThreadBits)),
          i64(linearThread)),
      constant(1));
  Value last = memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::assign,
                                           mine, shadow, ValueRange{element})
                   .getResult();
  // Fine: no earlier write, one by this thread, or one by a thread of this
  // block in an earlier phase (a barrier orders them).
  Value lastWhen = arith::ShRUIOp::create(
      b, loc, arith::SubIOp::create(b, loc, last, constant(1)),
      constant(kThreadBits));
  Value none = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, last,
                                     constant(0));
  Value same =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, last, mine);
  Value blockOf =
      arith::ShRUIOp::create(b, loc, lastWhen, constant(kPhaseBits));
  Value sameBlock = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          blockOf, i64(linearBlock));
  Value earlier =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, lastWhen, when);
  Value ordered = arith::AndIOp::create(b, loc, sameBlock, earlier);
  Value ok = arith::OrIOp::create(b, loc, none,
                                  arith::OrIOp::create(b, loc, same, ordered));
  checks.check(b, loc, ok,
               "kiln --gpu-emulate: data race in kernel '" + kernel.getName() +
                   "': two threads write one element of global memory, from "
                   "different blocks or between the same two barriers");
}

Value LaunchEmulator::allocate(MemRefType type) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(blockBody);
  Value buffer = memref::AllocOp::create(b, loc, type);
  blockBuffers.push_back(buffer);
  return buffer;
}

Value LaunchEmulator::scratchFor(Value value) {
  Value &array = scratch[value];
  if (!array)
    array = allocate(
        MemRefType::get({sizes[3] * sizes[4] * sizes[5]}, value.getType()));
  return array;
}

FailureOr<Value> LaunchEmulator::materialize(Value value) {
  if (Value mapped = threadMapping.lookupOrNull(value))
    return mapped;
  Value result;
  Operation *def = value.getDefiningOp();
  if (auto id = dyn_cast_or_null<gpu::ThreadIdOp>(def)) {
    result = threadIds[int(id.getDimension())];
  } else if (auto dim = dyn_cast_or_null<gpu::BlockDimOp>(def)) {
    result = index(sizes[3 + int(dim.getDimension())]);
  } else if (auto dim = dyn_cast_or_null<gpu::GridDimOp>(def)) {
    result = index(sizes[int(dim.getDimension())]);
  } else if (def && isRematerialized(def)) {
    result = b.clone(*def)->getResult(cast<OpResult>(value).getResultNumber());
  } else if (auto it = scratch.find(value); it != scratch.end()) {
    result =
        memref::LoadOp::create(b, loc, it->second, ValueRange{linearThread});
  } else {
    return emitError(value.getLoc(),
                     "cannot emulate: a value crosses a barrier "
                     "before it is defined");
  }
  threadMapping.map(value, result);
  return result;
}

LogicalResult LaunchEmulator::emitPhase(ArrayRef<Operation *> ops) {
  for (Operation *op : ops) {
    if (isRematerialized(op))
      continue;
    // Every value the op, or an op nested in it, reads from outside it.
    WalkResult missing = op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (!op->isAncestor(operand.getParentRegion()->getParentOp()) &&
            failed(materialize(operand)))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (missing.wasInterrupted())
      return failure();
    Operation *copy = b.clone(*op, threadMapping);
    if (copy->getDialect() && copy->getDialect()->getNamespace() == "gpu")
      return op->emitError("cannot emulate '") << op->getName() << "'";
    if (checkRaces) {
      SmallVector<Operation *> accesses;
      SmallVector<memref::StoreOp> globalStores;
      copy->walk([&](Operation *nested) {
        Value buffer;
        if (auto load = dyn_cast<memref::LoadOp>(nested))
          buffer = load.getMemRef();
        else if (auto store = dyn_cast<memref::StoreOp>(nested))
          buffer = store.getMemRef();
        if (buffer && shadows.count(buffer))
          accesses.push_back(nested);
        if (buffer && writeShadows.count(buffer))
          globalStores.push_back(cast<memref::StoreOp>(nested));
      });
      for (Operation *access : accesses)
        checkAccess(access);
      for (memref::StoreOp store : globalStores)
        checkGlobalStore(store);
    }
    unsigned phase = phaseOf.lookup(op);
    for (auto [result, copied] :
         llvm::zip(op->getResults(), copy->getResults())) {
      bool usedLater = llvm::any_of(result.getUsers(), [&](Operation *user) {
        while (!phaseOf.count(user))
          user = user->getParentOp();
        return phaseOf.lookup(user) != phase;
      });
      if (usedLater)
        memref::StoreOp::create(b, loc, copied, scratchFor(result),
                                ValueRange{linearThread});
    }
  }
  return success();
}

LogicalResult LaunchEmulator::run() {
  SmallVector<Step> steps;
  if (failed(split(steps)))
    return failure();
  Value zero = index(0), one = index(1);
  // Global writer tags hold the block, phase and thread in 64 bits; a grid
  // or block beyond their fields (far beyond Kiln's kernels) goes
  // unchecked in global memory rather than checked wrongly.
  bool tagsFit = sizes[0] * sizes[1] * sizes[2] < (int64_t(1) << 32) &&
                 sizes[3] * sizes[4] * sizes[5] < (int64_t(1) << kThreadBits);
  if (checkRaces && tagsFit) {
    // The kernel operands it stores to (a kernel writes its outputs only
    // by memref.store).
    kernel.walk([&](memref::StoreOp store) {
      auto arg = dyn_cast<BlockArgument>(store.getMemRef());
      if (!arg || arg.getOwner() != &kernel.getBody().front() ||
          arg.getArgNumber() >= kernel.getNumArguments())
        return;
      Value operand = launch.getKernelOperands()[arg.getArgNumber()];
      auto type = dyn_cast<MemRefType>(operand.getType());
      if (type && type.hasStaticShape() && !writeShadows.count(operand))
        addWriteShadow(operand);
    });
  }
  auto blocks = scf::ParallelOp::create(
      b, loc, ValueRange{zero, zero, zero},
      ValueRange{index(sizes[0]), index(sizes[1]), index(sizes[2])},
      ValueRange{one, one, one});
  blockBody = blocks.getBody();
  b.setInsertionPointToStart(blockBody);
  if (checkRaces)
    linearBlock = linearize(blocks.getInductionVars(), sizes.take_front(3));
  blockMapping.map(kernel.getArguments(), launch.getKernelOperands());
  kernel.walk([&](gpu::BlockIdOp id) {
    blockMapping.map(id.getResult(),
                     blocks.getInductionVars()[int(id.getDimension())]);
  });
  for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    Value copy =
        allocate(MemRefType::get(type.getShape(), type.getElementType()));
    blockMapping.map(buffer, copy);
    if (checkRaces)
      addShadows(copy);
  }
  if (checkRaces) {
    phaseCounter = allocate(MemRefType::get({1}, b.getIndexType()));
    memref::StoreOp::create(b, loc, one, phaseCounter, ValueRange{zero});
  }

  for (Step &step : steps) {
    if (std::holds_alternative<BarrierMark>(step)) {
      crossBarrier();
      continue;
    }
    if (auto *phase = std::get_if<Phase>(&step)) {
      if (!llvm::all_of(*phase, isRematerialized) &&
          failed(forEachThread([&] { return emitPhase(*phase); })))
        return failure();
      continue;
    }
    auto &item = std::get<BarrierLoop>(step);
    scf::ForOp loop = item.loop;
    // Each thread's iteration values start at its initial values and end as
    // the loop's results.
    for (auto [arg, result] :
         llvm::zip(loop.getRegionIterArgs(), loop.getResults()))
      scratch[result] = scratchFor(arg);
    if (failed(forEachThread([&]() -> LogicalResult {
          for (auto [arg, init] :
               llvm::zip(loop.getRegionIterArgs(), loop.getInitArgs())) {
            FailureOr<Value> value = materialize(init);
            if (failed(value))
              return failure();
            memref::StoreOp::create(b, loc, *value, scratch[arg],
                                    ValueRange{linearThread});
          }
          return success();
        })))
      return failure();
    auto uniform = scf::ForOp::create(
        b, loc, index(*getConstantIntValue(loop.getLowerBound())),
        index(*getConstantIntValue(loop.getUpperBound())),
        index(*getConstantIntValue(loop.getStep())));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(uniform.getBody()->getTerminator());
    blockMapping.map(loop.getInductionVar(), uniform.getInductionVar());
    for (auto [i, each] : llvm::enumerate(item.phases)) {
      bool last = i + 1 == item.phases.size();
      if (i > 0)
        crossBarrier(); // Between two phases of the body.
      // Lambdas may not capture structured bindings before C++20.
      auto &phase = each;
      if (failed(forEachThread([&]() -> LogicalResult {
            if (failed(emitPhase(phase)))
              return failure();
            if (!last)
              return success();
            auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
            SmallVector<Value> next;
            for (Value operand : yield.getOperands()) {
              FailureOr<Value> value = materialize(operand);
              if (failed(value))
                return failure();
              next.push_back(*value);
            }
            for (auto [arg, value] : llvm::zip(loop.getRegionIterArgs(), next))
              memref::StoreOp::create(b, loc, value, scratch[arg],
                                      ValueRange{linearThread});
            return success();
          })))
        return failure();
    }
  }
  b.setInsertionPoint(blockBody->getTerminator());
  for (Value buffer : blockBuffers)
    memref::DeallocOp::create(b, loc, buffer);
  b.setInsertionPointAfter(blocks);
  for (auto [buffer, shadow] : writeShadows)
    memref::DeallocOp::create(b, loc, shadow);
  launch.erase();
  return success();
}

LogicalResult emulate(gpu::LaunchFuncOp launch, bool checkRaces,
                      CheckFunctions &checks) {
  auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
      launch, launch.getKernel());
  if (!kernel || !kernel.getBody().hasOneBlock())
    return launch.emitError("cannot emulate: the kernel is missing or has "
                            "more than one block");
  SmallVector<int64_t> sizes;
  for (Value v : {launch.getGridSizeX(), launch.getGridSizeY(),
                  launch.getGridSizeZ(), launch.getBlockSizeX(),
                  launch.getBlockSizeY(), launch.getBlockSizeZ()}) {
    std::optional<int64_t> size = getConstantIntValue(v);
    if (!size)
      return launch.emitError("cannot emulate a launch of dynamic size");
    sizes.push_back(*size);
  }
  return LaunchEmulator(launch, kernel, sizes, checkRaces, checks).run();
}

struct GPUEmulatePass : public impl::GPUEmulatePassBase<GPUEmulatePass> {
  using GPUEmulatePassBase::GPUEmulatePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The layer list names the GPU launches in the runtime's profile; as
    // host loops they have no per-layer profile (kiln-instrument-layers
    // would find no op of theirs by location).
    module->removeAttr(kLayersAttrName);
    CheckFunctions checks(module);
    // The check functions join the module as the launches are emulated.
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      SmallVector<gpu::LaunchFuncOp> launches;
      func.walk([&](gpu::LaunchFuncOp op) { launches.push_back(op); });
      // Device buffers live as long as the call: free them before returning
      // (not the emulator's own, which it frees after each launch).
      auto allocs =
          llvm::to_vector(func.getBody().front().getOps<memref::AllocOp>());
      for (gpu::LaunchFuncOp launch : launches)
        if (failed(emulate(launch, checkRaces, checks)))
          return signalPassFailure();
      func.walk([&](func::ReturnOp ret) {
        OpBuilder b(ret);
        for (memref::AllocOp alloc : allocs)
          memref::DeallocOp::create(b, ret.getLoc(), alloc);
      });
    }
    for (auto kernels :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
      kernels.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
} // namespace kiln
