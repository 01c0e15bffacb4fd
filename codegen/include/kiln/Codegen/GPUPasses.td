//===- GPUPasses.td - Kiln's NVPTX passes ------------------*- tablegen -*-===//
//
// The passes of the GPU path (kilnc --target=nvptx). The nn ops become GPU
// kernels with Kiln's own mapping of outputs to blocks and threads; the
// kernels go through MLIR's gpu/NVVM lowering to PTX, and the host side
// becomes a launch plan that runtime/lib/cuda.c executes (see docs/gpu.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_GPUPASSES
#define KILN_CODEGEN_GPUPASSES

include "mlir/Pass/PassBase.td"

def NNToGPUPass : Pass<"kiln-nn-to-gpu", "mlir::ModuleOp"> {
  let summary = "Lower the nn ops of @forward to GPU kernels and launches";
  let description = [{
    Rewrites the entry function `@forward(tensor) -> tensor` (nn ops after
    kiln-simplify) into `@forward(memref in, memref out)` whose body only
    allocates device buffers, takes weights as `memref.get_global` and
    launches kernels with `gpu.launch_func`. The kernels are `gpu.func`s in
    `gpu.module @kiln_kernels`, written with explicit block and thread ids:

    - conv2d (+bias, + a following ReLU, + a following non-overlapping max
      or average pool, or `nn.fused_conv2d`): one thread per (pooled) output
      pixel and a tile of output channels, accumulators in registers. With
      `conv-kernel=winograd` (the default) a 3x3 stride-1 layer whose
      channels fill its blocks (input channels a multiple of 8, output
      channels of 32) and which makes enough blocks to fill `sm-count` SMs
      is computed by Winograd's F(2x2, 3x3): blocks of 32 output tiles x 32
      channels, 256 threads, transform filters and input patches into
      shared memory 8 input channels at a time and multiply them as 16
      register-blocked products (2.25x fewer multiply-adds); the other
      layers are left to the kernel below. With `conv-kernel=shared`
      a block of up to 128 threads
      shaped to the output (up to 4 pixels x 16 channels each) first copies
      its input window and its channels' weights into shared memory, a
      chunk of input channels at a time, between barriers; a layer with
      too few blocks for `sm-count` SMs splits its input channels over
      blocks that write raw sums, added by a second kernel, which also
      applies a following pool whose windows overlap (unpadded; without a
      split such a pool is a kernel of its own). Grouped
      convolutions and windows too large for 48 KB take the direct
      kernel (`conv-kernel=direct` for every layer), whose threads read
      global memory: the threads of a warp read neighbouring input columns
      (coalesced), all threads of a block share one channel tile (weights
      are broadcast).
    - linear (+bias, + ReLU): a GEMV/GEMM, one kernel. 32 lanes per
      output feature read consecutive weights (coalesced; below 8 batch
      rows 4 at a time, 128-bit loads, several in flight) for up to 8 batch
      rows each; they leave their partial sums in shared memory, and after
      a barrier one lane per (row, feature) adds the 32 in a fixed order,
      adds the bias and applies the ReLU.
    - pools, LRN, softmax, element-wise ops, concat: one thread per output
      element (per row for softmax).

    Flatten is a `memref.collapse_shape` (no kernel). All shapes are static,
    so kernels take bare pointers and bake every size in as a constant.
  }];
  let options = [
    Option<"convKernel", "conv-kernel", "std::string", "\"winograd\"",
           "Convolution kernels: winograd (F(2x2, 3x3) for the 3x3 stride-1 "
           "layers it takes, shared for the others), shared (input window "
           "and weights through shared-memory tiles where they fit) or "
           "direct">,
    Option<"winogradTile", "winograd-tile", "int64_t", "0",
           "Output tile m of the Winograd kernel's F(m x m, 3 x 3): 2, 3 or "
           "4 (0, the default: 2)">,
    Option<"smCount", "sm-count", "int64_t", "132",
           "Streaming multiprocessors of the target GPU (132 on an H100 or "
           "H200): convolutions with too few blocks to keep them busy split "
           "their input channels or give threads less work">,
    Option<"maxRegisters", "max-registers", "int64_t", "0",
           "Registers a thread of each kernel may use (nvvm.maxnreg, PTX "
           ".maxnreg; 16 to 255), as nvcc's -maxrregcount: ptxas spills "
           "the rest; 0 (the default) leaves the choice to ptxas">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::gpu::GPUDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::func::FuncDialect",
    "mlir::vector::VectorDialect"
  ];
}

def GPUEmulatePass : Pass<"kiln-gpu-emulate", "mlir::ModuleOp"> {
  let summary = "Run the GPU kernels on the host: launches become loops";
  let description = [{
    A test aid for machines without a GPU. Every `gpu.launch_func` in the
    host functions is replaced by loops over its grid and block that run a
    copy of the kernel body, with `gpu.block_id` and `gpu.thread_id` read
    from the loop counters; buffers allocated by the host function are freed
    before it returns, and the gpu.module is erased. The result is ordinary
    loops on memrefs that the CPU pipeline compiles, so the kernels' index
    arithmetic is checked numerically against the CPU path without a GPU.

    The threads of a block run one after the other, phase by phase: a phase
    is the code between two `gpu.barrier` ops, and all threads finish one
    before any starts the next. Barriers may sit in the kernel's body or
    directly in the body of one of its top-level `scf.for` loops with
    constant bounds (a loop over the chunks of a shared-memory tile), which
    then runs once per block. Values that cross a barrier, and such a loop's
    iteration values, are kept per thread in scratch arrays; workgroup
    buffers become one buffer per block. Barriers nested deeper, shuffles
    and NVVM intrinsics are rejected.

    With `check-races` (the default), the order hides no data race: every
    load and store of a workgroup buffer is checked against shadow arrays
    that record, per word, the phase and thread of its last write and
    reads, and two threads touching one word in one phase, one of them
    writing, fail a `cf.assert` that names the kernel. Every store to a
    kernel operand records its writer (block, phase, thread) per element
    with an atomic exchange; a second write from another block, or from
    another thread of the block in the same phase, fails likewise. Each
    message's assert sits in a private function of its own
    (`@kiln_emulate_check*`, taking the check's i1), called at every check
    of that kind: one string per message instead of one per check.
  }];
  let options = [
    Option<"checkRaces", "check-races", "bool", /*default=*/"true",
           "Check that no two threads of a block touch one word of shared "
           "memory between two barriers, one of them writing, and that no "
           "two threads write one element of global memory unordered">
  ];
  let dependentDialects = [
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::arith::ArithDialect", "mlir::cf::ControlFlowDialect",
    "mlir::func::FuncDialect"
  ];
}

def GPUApproximateMathPass : Pass<"kiln-gpu-approximate-math"> {
  let summary = "Rewrite math functions as arithmetic for the kernels";
  let description = [{
    convert-gpu-to-nvvm turns `math.exp`, `math.tanh`, `math.powf`, ... into
    calls to libdevice (`__nv_expf`), which gpu-module-to-binary must then
    find in a CUDA toolkit and link. Kiln's kernels use few math functions
    (softmax, sigmoid, tanh, LRN's power), so this pass expands them instead
    (`powf(x, y)` as `exp(y * log(x))`, tanh through exp) and replaces exp and
    log by MLIR's polynomial approximations (f32, a few ulp): the PTX is
    self-contained and the same arithmetic runs in kiln-gpu-emulate.

    With `intrinsics`, the math ops that remain and are single NVPTX
    instructions (fma, sqrt, fabs, floor, ceil, copysign, roundeven) become
    `llvm.call_intrinsic`: convert-gpu-to-nvvm refuses their `llvm.intr.*`
    forms and would call libdevice for the math ops.
  }];
  let options = [
    Option<"intrinsics", "intrinsics", "bool", /*default=*/"false",
           "Turn the remaining f32 math ops into LLVM intrinsic calls (PTX)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::vector::VectorDialect", "mlir::LLVM::LLVMDialect"
  ];
}

#endif // KILN_CODEGEN_GPUPASSES
