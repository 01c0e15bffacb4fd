//===- Passes.td - Kiln codegen passes ---------------------*- tablegen -*-===//
//
// The passes codegen adds between linalg on tensors and the LLVM dialect.
// Everything else in the CPU pipeline is an upstream pass; see Pipelines.h.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_PASSES
#define KILN_CODEGEN_PASSES

include "mlir/Pass/PassBase.td"

def RecordModelSignaturePass : Pass<"kiln-record-model-signature", "mlir::ModuleOp"> {
  let summary = "Record the entry function's tensor shapes as module attributes";
  let description = [{
    The runtime needs the input and output shapes of the model (the
    `kiln_model` descriptor), but after bufferization and the bare-pointer
    lowering the entry function is `void(ptr, ptr)`. This pass checks that the
    entry function has the one shape Kiln supports (one statically shaped f32
    tensor in, one out, rank at most 8) and records its shapes while they are
    still visible:

    ```mlir
    module attributes {kiln.input_shape = array<i64: 1, 1, 28, 28>,
                       kiln.output_shape = array<i64: 1, 10>} { ... }
    ```

    `translateToLLVMIR` reads them back to build the descriptor.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"forward\"",
           "Name of the model's entry function">,
  ];
}

def PackModelIOPass : Pass<"kiln-pack-model-io", "mlir::ModuleOp"> {
  let summary = "Pack a model's several inputs or outputs into one flat buffer each";
  let description = [{
    The runtime's descriptor, the executables and the C API pass one input
    and one output buffer per inference. A model with several outputs (an
    ONNX graph with a main output and a statistic, or a Split) returns them
    packed, one after another in row-major order, in that one buffer: this
    pass replaces the entry function's results by the concatenation of their
    flattened views and records where each lies as the module attribute
    `kiln.outputs`, with the name the frontend gave the result
    (`kiln.name`), its shape and its offset in floats:

    ```mlir
    module attributes {kiln.outputs = [
        {name = "y", offset = 0 : i64, shape = array<i64: 1, 10>},
        {name = "mean", offset = 10 : i64, shape = array<i64: 1, 1>}
      ]} {
      func.func @forward(%x: tensor<1x10xf32>) -> tensor<11xf32> {
        ...
        %0 = nn.reshape %y : (tensor<1x10xf32>) -> tensor<10xf32>
        %1 = nn.reshape %mean : (tensor<1x1xf32>) -> tensor<1xf32>
        %2 = nn.concat %0, %1 dim 0
               : (tensor<10xf32>, tensor<1xf32>) -> tensor<11xf32>
        return %2 : tensor<11xf32>
      }
    }
    ```

    Several inputs are packed the same way: the entry function takes one
    flat tensor, each old argument becomes a slice of it viewed at its
    shape (`nn.slice` then `nn.reshape`, which bufferize to views), and
    `kiln.inputs` records where each lies.

    A model with one input and one output is left as it is. The descriptor
    and the C header read `kiln.inputs` and `kiln.outputs` back;
    executables read each input from, and write each output to, a file of
    its own.
  }];
  let dependentDialects = ["kiln::nn::NNDialect"];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"forward\"",
           "Name of the model's entry function">,
  ];
}

def InterchangeForVectorizationPass
    : Pass<"kiln-interchange-for-vectorization"> {
  let summary = "Move the output's innermost parallel loop innermost in linalg.generic";
  let description = [{
    `convert-linalg-to-loops` keeps the iterator order of the op: for a
    generalized `linalg.conv_2d_nchw_fchw` that is (n, f, oh, ow, c, kh, kw),
    so the innermost loop is the 3-long `kw` reduction, a serial chain LLVM
    cannot vectorize without reassociating floating-point additions.

    This pass interchanges the iterators of every `linalg.generic` whose
    innermost loop is a reduction so that the parallel loop indexing the
    output's innermost (contiguous) dimension becomes innermost, with the
    reductions just outside it and the other parallel loops outermost in their
    original order: the conv becomes (n, f, oh, c, kh, kw, ow) and a matmul
    (m, k, n). The innermost loop then updates a contiguous output row with
    independent accumulations, which LLVM's loop vectorizer handles.

    Each output element still accumulates over the reduction loops in the same
    order, so results are bitwise unchanged. Ops where the chosen loop would
    index a non-innermost dimension of an input (e.g. a matmul whose B operand
    is transposed) are left alone, as are ops without reductions.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def VectorizableMathPass
    : Pass<"kiln-vectorizable-math", "mlir::func::FuncOp"> {
  let summary = "Rewrite exp and tanh as arithmetic that LLVM vectorizes";
  let description = [{
    `math.exp` (sigmoid, SiLU's gate, softmax) and `math.tanh` lower to
    calls of libm's `expf` and `tanhf`, one element at a time: LLVM cannot
    vectorize a loop around them without a vector math library, which the
    executables would then need. This pass replaces them by polynomial
    approximations (f32, a few ulp), plain arithmetic that the loop
    vectorizer handles like any other: EfficientNet-B0's 65 unfused
    sigmoids took 34 of its 62 ms at 224x224 on one thread with `expf`.
    tanh and log are MLIR's approximations; exp is Kiln's own, 17 vector
    operations to MLIR's 21 (it rounds with the 1.5 * 2^23 trick and takes
    2^k from the rounded sum's bits), at most 1 ulp from the correctly
    rounded result on [-87.3, 88.3] (5 ulp just short of overflow; 0 where
    the result would be below about 2^-126, as MLIR's). `x * (1 / y)`
    becomes `x / y` where nothing else reads `1 / y`: a SiLU's product with
    its sigmoid. Both paths, fused kernels and unfused generics, go through
    here, so they stay bit-identical. Other math functions (LRN's `powf`)
    stay calls.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def FuseElementwisePass
    : Pass<"kiln-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Merge chains of element-wise linalg ops on tensors into one";
  let description = [{
    Layers the fusion pass leaves apart become one `linalg.generic` each:
    a SiLU's sigmoid and product (ONNX exports `x * Sigmoid(x)`), a
    residual sum and the ReLU after it. The chain then makes one pass over
    memory, without the intermediate tensor. A producer merges into its
    consumer (MLIR's elementwise fusion) when its only reader is that
    consumer, which reads it with the identity map (a broadcast read would
    recompute it at every element it is broadcast to), and neither belongs
    to a fused convolution's group (`kiln.fusion_group`), whose ops the
    kernels match as they are.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CollapseElementwisePass
    : Pass<"kiln-collapse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Merge the plane dimensions of element-wise linalg ops into one";
  let description = [{
    An element-wise `linalg.generic` on NCHW buffers (an unfused activation,
    a residual sum, a squeeze-and-excitation product) becomes a loop nest
    whose innermost loop walks one row: 7 to 56 elements in MobileNet's
    late layers, too short for LLVM's vectorized loop to pay off over its
    remainder. For every generic on buffers whose iterators are all
    parallel and whose operands have the identity layout and either the
    identity map or, for an input, one that reads no dimension past 1 (a
    broadcast [N, C, 1, 1] scale, a batch norm's per-channel [C] scale and
    shift), this pass merges those dimensions
    into one, so that the innermost loop walks the whole H x W plane.
    Dimensions 0 and 1 stay, for kiln-parallelize-elementwise to spread
    over the threads.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def ParallelizeElementwisePass
    : Pass<"kiln-parallelize-elementwise", "mlir::func::FuncOp"> {
  let summary = "Run large element-wise linalg ops (pad copies, fills) on the thread pool";
  let description = [{
    The kernels parallelise convolutions, linear layers and fused pooling
    themselves; what remains as linalg ops after them (the copies and fills
    that zero-pad a convolution's input, unfused activations) would run on
    one thread. For every `linalg.generic` on buffers whose iterators are
    all parallel and which has at least `min-elements` iterations, this pass
    tiles the first loop with at least 8 iterations (among all but the
    innermost; else the longest with two) by 1 into an `scf.parallel`,
    which becomes a worksharing loop on the runtime's thread pool. The innermost dimensions stay inside each
    task, so convert-linalg-to-loops still gives contiguous rows that LLVM
    vectorizes. Smaller ops stay serial: a fork costs more than it saves.
    At 32K elements an op streams for about 15 us, a fork costs a few: with
    the threshold lowered from 256K, EfficientNet-B0's squeeze-and-excitation
    products (94K to 450K elements) run on both threads, and the model takes
    15.2 ms instead of 16.6 on 2 threads (the same on one).
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"32768",
           "Fewest iterations (elements written) worth a fork">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect"];
}

def AnnotateInnerLoopsPass : Pass<"kiln-annotate-inner-loops"> {
  let summary = "Ask LLVM to vectorize innermost loops before unrolling them";
  let description = [{
    LLVM's O3 pipeline fully unrolls loops with a small constant trip count
    (a few dozen iterations) in its simplification pipeline, before the loop
    vectorizer runs, and the SLP vectorizer rarely recovers vector code: for
    a 3x3 convolution over a 28x28 image, the interchanged innermost loop
    over 28 output columns became 28 scalar multiply-adds, 4-5x slower per
    FLOP than the same loop over 56 columns.

    This pass marks innermost `scf.for` loops with a `loop_annotation` that
    convert-scf-to-cf and the LLVM lowering carry to the loop's latch branch
    as LLVM loop metadata: `llvm.loop.vectorize.enable`,
    `llvm.loop.unroll.disable`, and for the vectorized loop
    `llvm.loop.unroll.enable`, so that a short vector loop is then unrolled
    (which lets LLVM keep an output row in registers across the reduction
    loops around it).

    Only loops whose loads and stores all move along their innermost
    dimension (or stay put) are marked: vectorizing other loops needs gathers
    or scatters, and is left to LLVM's cost model.

    Forcing vectorization also allows LLVM to reassociate floating-point
    reductions. Loops that accumulate into one location (a store whose
    indices do not depend on the induction variable, or iter_args) are
    therefore left alone unless `reductions` is set, so that results stay
    bitwise identical to the naive loop order.
  }];
  let options = [
    Option<"reductions", "reductions", "bool", /*default=*/"false",
           "Also annotate reduction loops (lets LLVM reorder their "
           "floating-point additions)">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def BufferizePass : Pass<"kiln-bufferize", "mlir::ModuleOp"> {
  let summary = "One-shot bufferize with identity layouts and linalg.copy";
  let description = [{
    Runs one-shot module bufferization over function boundaries with
    identity-layout memrefs at function boundaries and 64-byte aligned
    allocations. Buffer copies (e.g. from `tensor.pad`) are emitted as
    `linalg.copy`, not `memref.copy`: the latter lowers to a call to
    `memrefCopy` from MLIR's host-only C runner utils, which an executable
    does not link (and which does not exist for cross targets).

    Arguments of public functions are marked `bufferization.writable = false`
    first: the model's input buffer belongs to the caller (`const float *`),
    so bufferization must never write into it in place.
  }];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect",
  ];
}

def ResultsToOutParamsPass : Pass<"kiln-results-to-out-params", "mlir::ModuleOp"> {
  let summary = "Turn memref results into caller-provided out-parameters";
  let description = [{
    Rewrites `func.func @forward(memref<...>) -> memref<...>` into
    `func.func @forward(memref<...>, memref<...>)`, as the runtime's
    `void forward(const float *in, float *out)` expects. When the returned
    buffer is a static allocation in the function, the allocation is replaced
    by the out-parameter (no copy); otherwise the result is copied into it
    with `linalg.copy` (never `memref.copy`, see `kiln-bufferize`). Public
    functions are rewritten too.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect",
    "mlir::memref::MemRefDialect",
  ];
}

def PackConstantGlobalsPass : Pass<"kiln-pack-constant-globals", "mlir::ModuleOp"> {
  let summary = "Retype dense_resource LLVM globals as flat byte arrays";
  let description = [{
    The LLVM IR translation of an `llvm.mlir.global` holding a
    `dense_resource` of type `!llvm.array<512 x array<512 x array<3 x array<3
    x f32>>>>` builds one `ConstantDataArray` per innermost row (786432 of them
    for a single VGG-16 layer) nested in `ConstantArray`s, and the AsmPrinter
    then emits float arrays element by element.

    This pass retypes each such constant global to `!llvm.array<N x i8>` with
    the same resource handle (the blob is shared, not copied), so translation
    makes one `ConstantDataArray` over the raw bytes and the object emitter
    writes it in one piece. Users reach the data through `llvm.mlir.addressof`
    and explicit address arithmetic or zero-index GEPs, which do not depend on
    the global's value type. The resource bytes are little-endian, as on every
    target Kiln supports.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"0",
           "Only pack globals of at least this many bytes">,
  ];
}

def LowerToMicroKernelsPass : Pass<"kiln-lower-to-microkernels"> {
  let summary = "Lower convolutions and linear layers to register-blocked vector kernels";
  let description = [{
    Convolutions and matmuls carry nearly all of a CNN's arithmetic, and
    their naive loop nests leave the machine's vector FMA units idle. This
    pass replaces, on buffers, each `linalg.conv_2d_nchw_fchw` with a unit
    horizontal stride and each `linalg.matmul` with a transposed right-hand
    side (`nn.linear`) by loops around a register-blocked vector kernel:

    * conv: `conv-rows` output channels x `vector-width` output columns are
      accumulated in vector registers across the whole (ic, kh, kw)
      reduction; every step is one input load and `conv-rows` FMAs with
      broadcast weights.
    * linear with constant weights: W packed as [N/(V*width), K, V*width]
      so that outputs lie along the lanes; up to 8 rows of x x V output
      vectors (at most `matmul-registers`) accumulate in registers, every
      weight vector is loaded once per block of rows and multiplied by
      broadcast elements of x, and each block of W streams sequentially.
    * linear with weights known only at run time: a block of rows of W (at
      most `matmul-registers` accumulators), vectorised along the reduction,
      so W streams through once with one horizontal sum per output.

    The convolution's reduction runs in chunks of input channels whose
    filter slice (`conv-chunk-bytes`) stays in L1 while the kernel sweeps
    every output row of its channel block; partial sums go through the
    destination, in the same order as one long reduction (results are
    bit-identical). A fused group (kiln-fuse) is computed in the same loop
    nest: bias and ReLU in registers, a pooling from a scratch holding the
    block's convolution rows (all of them when the output is at most
    `pool-scratch-bytes`, else a ring of pool-kernel rows).

    The last vector of a row is masked, so sizes need not be multiples of the
    vector width. Accumulation order changes (vector lanes, then a horizontal
    sum for linear), within the 1e-4 tolerance Kiln promises.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector (16 for AVX-512, 8 for AVX2, 4 for NEON)">,
    Option<"convRows", "conv-rows", "int64_t", /*default=*/"24",
           "Vector accumulators of the convolution kernel (output channels "
           "x column vectors)">,
    Option<"matmulRegisters", "matmul-registers", "int64_t", /*default=*/"16",
           "Vector accumulators of the linear kernel">,
    Option<"convChunkBytes", "conv-chunk-bytes", "int64_t",
           /*default=*/"16384",
           "Bytes of filter per reduction chunk of the convolution kernel, "
           "which stays in L1 while the kernel sweeps all output rows (0: no "
           "chunks)">,
    Option<"poolScratchBytes", "pool-scratch-bytes", "int64_t",
           /*default=*/"16777216",
           "Largest convolution output (per batch item) a fused pooling "
           "keeps whole; larger ones go through a ring of rows">,
    Option<"convLanes", "conv-lanes", "std::string", /*default=*/"\"auto\"",
           "What a convolution keeps along the vector lanes: output "
           "`columns`, output `channels` (when there are a multiple of the "
           "vector width and the filter is constant), or `auto`: per "
           "layer, whichever a model of the kernels' steps finds faster">,
    Option<"l2CacheBytes", "l2-cache-bytes", "int64_t", /*default=*/"1048576",
           "Per-core L2 size: packed linear weights larger than this stream "
           "from memory with software prefetches; smaller ones are read "
           "from cache without them">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect",
  ];
}

def WinogradPass : Pass<"kiln-winograd"> {
  let summary = "Compute 3x3 and 5x5 convolutions by Winograd's minimal filtering";
  let description = [{
    A 3x3 convolution with stride 1 spends 9 multiply-adds per output and
    input channel. Winograd's F(m x m, 3 x 3) (Lavin and Gray, 2016) computes
    an m x m tile of outputs from an (m+2) x (m+2) tile of inputs with
    (m+2)^2 multiply-adds per channel pair instead of 9 m^2: 2.25 times
    fewer for m = 2, 2.78 for m = 3, 4 for m = 4. This pass replaces, on
    buffers, each `linalg.conv_2d_nchw_fchw` with a 3x3 filter known at
    compile time, unit strides and dilations, and at least `min-channels`
    input and output channels (fused groups included) by the steps below;
    5x5 filters likewise, as F(2x2, 5x5) (6x6 tiles, 2.8x fewer
    multiply-adds than direct):

    * the filter transform U = G g G^T, done at compile time into a constant
      packed [(m+2)^2, OC/R, IC, R];
    * per chunk of input tiles (numbered across the batch, so a chunk may
      span images), the input transform V = B^T d B, vectorised across
      tiles (each lane gathers its own tile); then (m+2)^2 independent matrix
      products M = U V, register-blocked like the direct kernel (R output
      channels x C vectors of tiles); then the output transform
      Y = A^T M A, which adds the bias, applies a fused ReLU and scatters the
      tile into the output (or into a scratch that the fused pooling reads).

    The chunk size trades re-reading U once per chunk against the round
    trip of V and M, each priced by where it lives: free within
    `chunk-bytes`, half price within a share of the last-level cache, full
    price (DRAM) beyond. Layers of many chunks (the large images of a network's
    first layers) run them side by side, 8 slots with scratch of their own
    in one parallel loop; the others fork in each phase. Edge tiles that
    stick out of the image are masked, so any size works. Without a `tile`,
    each layer takes F(2x2), F(3x3) or F(4x4), whichever takes less time by a model
    in which the multiply-adds (over the whole batch's tiles, in whole
    vectors) and the stream of U overlap.

    The results differ from direct convolution by rounding only (relative
    L2 error about 1e-6 per layer for m = 4, 1e-7 for m = 2). Convolutions
    it leaves alone go to kiln-lower-to-microkernels.
  }];
  let options = [
    Option<"tile", "tile", "int64_t", /*default=*/"0",
           "Output tile size m of F(m x m, 3 x 3): 2, 3 or 4; 0 picks one per "
           "layer (the slower of its multiply-adds and its filter stream)">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes per vector (16 for AVX-512, 8 for AVX2, 4 for NEON)">,
    Option<"accumulators", "accumulators", "int64_t", /*default=*/"24",
           "Vector accumulators of the matrix-product kernel">,
    Option<"chunkBytes", "chunk-bytes", "int64_t", /*default=*/"1048576",
           "Cache bytes for one chunk of tiles' transformed inputs and "
           "products; chunks that fit are not written back to memory">,
    Option<"minChannels", "min-channels", "int64_t", /*default=*/"8",
           "Fewest input and output channels a convolution needs for "
           "Winograd to pay for its transforms">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect",
  ];
}

def InlineAllocaScopesPass : Pass<"kiln-inline-alloca-scopes"> {
  let summary = "Inline memref.alloca_scope regions that allocate nothing";
  let description = [{
    convert-scf-to-openmp wraps the body of every parallel loop in a
    `memref.alloca_scope`, whose region must stay a single block. Once
    convert-scf-to-cf turns the kernel's inner loops into branches, that
    region has many blocks and no longer verifies. A scope without any
    `memref.alloca` in it frees nothing, so this pass replaces it by its
    body.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def PlanMemoryPass : Pass<"kiln-plan-memory", "mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer of the entry function in one workspace";
  let description = [{
    After bufferization, each intermediate tensor of the model is a
    `memref.alloc` in the entry function, freed at its end: a malloc and a
    free per layer and per inference, and a peak footprint equal to the sum
    of all activations. This pass plans them statically instead.

    Every statically shaped `memref.alloc` in the entry block gets a live
    interval: from its position to the last op of the entry block that uses
    it or any view of it (deallocations excepted). Buffers are placed, largest
    first, at the lowest aligned offset (`alignment`, 64 bytes by default:
    what the CPU runtime gives the workspace; the GPU path asks for 256, as
    cuMemAlloc does) that does not overlap a buffer whose interval
    intersects its own, in a workspace passed as a new last argument of the
    entry function:

    ```mlir
    func.func @forward(%in: memref<...>, %out: memref<...>,
                       %workspace: memref<N x i8>)
    ```

    A buffer copied whole (`linalg.copy`, its last use) into a contiguous,
    aligned slice of another buffer, as a concatenation along channels at
    batch 1 bufferizes, is placed in that slice instead: it is computed
    where the copy would have put it, and the copy and the slice go away.
    The destination is then live from its first such source on. Only when
    nothing else touches the destination before its last such copy, and the
    slices do not overlap. Likewise a buffer whose first use is a copy of
    such a slice and that is only read afterwards (the dense copy that a
    kernel makes of a channel slice) becomes a view of the slice, when
    nothing writes the sliced buffer from the copy on; the sliced buffer is
    then live as long as it.

    The result of an element-wise `linalg.generic` (all loops parallel, one
    output, indexed by the identity, whose old value the payload does not
    read, untouched before the op) is placed over an input of the same type
    that the op reads by the identity for the last time, when no other
    operand views that input: a squeeze-and-excitation gate's product, a
    residual sum. The op then rewrites the lines it reads instead of
    fetching fresh ones, and the input lives as long as the result. One
    level only: a result placed so is not the input of another.

    Each allocation becomes a `memref.view` of the workspace at its offset,
    and its deallocations disappear. The workspace size (N, which is also the
    peak activation memory) is recorded as the module attribute
    `kiln.workspace_bytes`, for the `kiln_model` descriptor; the runtime
    allocates the workspace once, so inference does not call malloc.
    Allocations used only by deallocations are removed. Allocations in
    nested regions or of dynamic shape are left alone.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"forward\"",
           "Name of the model's entry function">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Print the plan (one line per buffer, then the totals) to stderr">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Offsets and sizes are multiples of this many bytes (a power of "
           "two)">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::memref::MemRefDialect",
  ];
}

def OutlineLayersPass : Pass<"kiln-outline-layers", "mlir::ModuleOp"> {
  let summary = "Move each layer of the entry function into a function of its own";
  let description = [{
    After `kiln-plan-memory` and `kiln-instrument-layers`, the entry block
    is one long sequence: every layer's loop nests, one after another,
    reading and writing views of the workspace. LLVM's loop passes take time
    quadratic in that length (scalar evolution climbs the chain of loops
    before each one to prove a loop's guards: ShuffleNet's 200 layers
    spent most of their compile there), so this pass gives each layer a
    function of its own, which also lets the function passes after it and
    code generation work on the layers side by side.

    The ops between the profiler's calls for layer i and the next layer
    that compute something (loops, linalg ops, copies) move, in order, into
    a private function `@<entry>_layer<i>` that takes the entry's arguments
    (input, output, workspace), each `llvm.noalias` as the entry's are, and
    carries the layer's name as `kiln.layer`; a call replaces them. The
    side-effect free ops they use (constants, views, weight globals) are
    cloned into the function, so the layer's buffers stay views of the
    workspace at constant offsets:

    ```mlir
    call @kiln_profile_layer(%c1_i64) : (i64) -> ()
    call @forward_layer1(%arg0, %arg1, %arg2) : (...) -> ()
    ```

    The functions are marked `noinline` (LLVM `passthrough`). A layer whose ops use anything
    else (a value another layer computes, an allocation), or whose results
    are used after it, stays in place; so does the whole entry unless every
    argument is a statically shaped memref and no allocation is left in it
    (memory planned).
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"forward\"",
           "Name of the model's entry function">,
  ];
  let dependentDialects = [
    "mlir::func::FuncDialect",
    "mlir::LLVM::LLVMDialect",
  ];
}

def InstrumentLayersPass : Pass<"kiln-instrument-layers", "mlir::ModuleOp"> {
  let summary = "Call the runtime's profiler as each layer of the entry starts";
  let description = [{
    Reads the layer list that `kiln-record-layers` left in `kiln.layers` and
    finds each layer's ops in the entry block by their location. Before the
    first op of each layer it inserts `call @kiln_profile_layer(i)` (i: the
    layer's index in the list), and `call @kiln_profile_layer(-1)` before
    the return. Ops that compute nothing (constants, views, allocations) and
    ops of unknown location belong to the layer before them. The runtime
    times layers only while a profile is being taken (`BIN --profile`);
    otherwise each call returns at once.

    `kiln.layers` is then rewritten to what the object emitter needs, each
    layer's name prefixed with its first spec line and without the
    location: `[{flops = 235200 : i64, name = "lenet5.nn:6
    conv2d+relu+max_pool2d"}, ...]`.

    Without `kiln.layers` (e.g. a module written in linalg) the pass does
    nothing.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"forward\"",
           "Name of the model's entry function">,
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::func::FuncDialect",
  ];
}

#endif // KILN_CODEGEN_PASSES
