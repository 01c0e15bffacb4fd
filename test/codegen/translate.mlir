// RUN: kiln-translate %s --from=linalg --emit=llvm -O0 --target=x86_64-linux-gnu --mcpu=x86-64-v3 -o - | FileCheck %s --check-prefix=IR
// RUN: kiln-opt %s --kiln-linalg-to-loops --kiln-loops-to-llvm | kiln-translate --emit=llvm -O0 --target=x86_64-linux-gnu --mcpu=x86-64-v3 -o - | FileCheck %s --check-prefix=IR
// RUN: kiln-translate %s --from=linalg --emit=asm --target=x86_64-linux-gnu --mcpu=x86-64-v3 -o - | FileCheck %s --check-prefix=X86
// RUN: kiln-translate %s --from=linalg --emit=asm --target=aarch64-linux-gnu -o - | FileCheck %s --check-prefix=A64
// RUN: kiln-translate %s --from=linalg --emit=obj --target=aarch64-linux-gnu -o %t.o
// RUN: not kiln-translate %s --from=linalg --target=aarch64-linux-gnu --mcpu=bogus -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADCPU
// RUN: not kiln-translate %s --from=linalg --target=bogus-none -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADTRIPLE

// Tests the LLVM IR that translateToLLVMIR hands to the optimiser, and that
// kiln-opt's named pipelines produce the same input to it as the in-process
// pipeline: the target is set, the weights are one byte array, the entry is
// exported as kiln_forward(noalias readonly in, noalias out, noalias
// workspace), and the
// kiln_model descriptor matches runtime.h's kiln_model_desc.

// IR: target datalayout = "e-m:e-
// IR: target triple = "x86_64-unknown-linux-gnu"
// IR: %struct.kiln_io_desc = type { ptr, i64, [8 x i64], i64 }
// IR: %struct.kiln_model_desc = type { ptr, i64, [8 x i64], i64, [8 x i64], i64, ptr, i64, ptr, i64, ptr, i64, ptr }
// IR: @{{.*}} = private constant [32 x i8] c"\00\00\80?\00\00\00@{{.*}}", align 64
// IR: @kiln_model.name = private unnamed_addr constant [3 x i8] c"tr\00"
// IR: @kiln_model.output0.name = private unnamed_addr constant [7 x i8] c"output\00"
// IR: @kiln_model.outputs = private constant [1 x %struct.kiln_io_desc] [%struct.kiln_io_desc { ptr @kiln_model.output0.name, i64 3, [8 x i64] [i64 1, i64 4, i64 8, i64 0, i64 0, i64 0, i64 0, i64 0], i64 0 }], align 8
// IR: @kiln_model.input0.name = private unnamed_addr constant [6 x i8] c"input\00"
// IR: @kiln_model.inputs = private constant [1 x %struct.kiln_io_desc] [%struct.kiln_io_desc { ptr @kiln_model.input0.name, i64 3, [8 x i64] [i64 1, i64 2, i64 8, i64 0, i64 0, i64 0, i64 0, i64 0], i64 0 }], align 8
// IR: @kiln_model = constant %struct.kiln_model_desc { ptr @kiln_model.name, i64 3, [8 x i64] [i64 1, i64 2, i64 8, i64 0, i64 0, i64 0, i64 0, i64 0], i64 3, [8 x i64] [i64 1, i64 4, i64 8, i64 0, i64 0, i64 0, i64 0, i64 0], i64 {{[0-9]+}}, ptr @kiln_forward, i64 0, ptr null, i64 1, ptr @kiln_model.outputs, i64 1, ptr @kiln_model.inputs }, align 8
// IR: define void @kiln_forward(ptr noalias readonly %0, ptr noalias %1, ptr noalias %2) #[[ATTRS:[0-9]+]]
// IR-NOT: define
// IR: attributes #[[ATTRS]] = { nounwind uwtable "target-cpu"="x86-64-v3" }
// IR-DAG: !{!"llvm.loop.vectorize.enable", i1 true}
// IR-DAG: !{!"llvm.loop.unroll.disable"}

// The inner loop of the (n, o, i, x) contraction is vectorized with AVX2.
// X86: .globl kiln_forward
// X86: kiln_forward:
// X86: vmulps {{.*}}%ymm
// X86: .globl kiln_model
// X86: kiln_model:

// A64: .globl kiln_forward
// A64: kiln_forward:
// A64: fmul v{{[0-9]+}}.4s
// A64: .globl kiln_model

// BADCPU: kiln-translate: unknown CPU 'bogus' for target 'aarch64-unknown-linux-gnu'
// BADTRIPLE: kiln-translate: unsupported target 'bogus-none'

module attributes {kiln.model_name = "tr"} {
  func.func @forward(%input: tensor<1x2x8xf32>) -> tensor<1x4x8xf32> {
    %zero = arith.constant 0.0 : f32
    %w = arith.constant dense_resource<w> : tensor<4x2xf32>
    %e = tensor.empty() : tensor<1x4x8xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
    %0 = linalg.generic {indexing_maps = [affine_map<(n, o, x, i) -> (n, i, x)>, affine_map<(n, o, x, i) -> (o, i)>, affine_map<(n, o, x, i) -> (n, o, x)>],
                         iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
        ins(%input, %w : tensor<1x2x8xf32>, tensor<4x2xf32>) outs(%f : tensor<1x4x8xf32>) {
    ^bb0(%a: f32, %b: f32, %acc: f32):
      %m = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    } -> tensor<1x4x8xf32>
    return %0 : tensor<1x4x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C0400000E04000000041"
    }
  }
#-}
