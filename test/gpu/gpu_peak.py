#!/usr/bin/env python3
"""The GPU's measured peaks, for test/gpu/device-check's table (times as a
fraction of what the machine can do):

  - fp32 FMA throughput: a PTX kernel of independent FMA chains (no memory
    traffic), loaded and launched through the CUDA driver API with ctypes,
    on every SM, timed with CUDA events;
  - device memory bandwidth: a device-to-device tensor copy (bytes read +
    bytes written over its time), with PyTorch;
  - cuBLAS SGEMM with TF32 disabled (what a tuned fp32 library reaches),
    with PyTorch.

    python3 gpu_peak.py [--ptx]    # the peaks of device 0, or the PTX only

The kernel: every thread runs CHAINS independent chains x = x * A + B (A
just under 1, so x converges to B / (1 - A) and never overflows or turns
subnormal), unrolled UNROLL times per loop iteration; the loop's add,
compare and branch are 3 instructions per CHAINS x UNROLL FMAs.
"""
import argparse
import ctypes
import statistics
import sys

CHAINS = 16
UNROLL = 8
THREADS = 256
BLOCKS_PER_SM = 8
ITERATIONS = 4096

# CUdevice_attribute CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT.
_SM_COUNT_ATTRIBUTE = 16
_STREAM_NON_BLOCKING = 1  # CU_STREAM_NON_BLOCKING


def fma_ptx(iterations=ITERATIONS):
    """The FMA kernel's PTX: fma_peak(float *out), THREADS threads per block;
    each thread writes the sum of its chains to out[global thread id]."""
    a, b = "0f3F7FBE77", "0f3A83126F"  # 0.999, 0.001
    lines = [
        "// Kiln device-check: fp32 FMA peak (test/gpu/gpu_peak.py)",
        ".version 7.5",
        ".target sm_75",
        ".address_size 64",
        "",
        ".visible .entry fma_peak(.param .u64 out)",
        f".maxntid {THREADS}, 1, 1",
        "{",
        f"  .reg .f32 %x<{CHAINS}>;",
        "  .reg .f32 %t, %sum;",
        "  .reg .b32 %r<4>;",
        "  .reg .b64 %rd<4>;",
        "  .reg .pred %more;",
        "  mov.u32 %r0, %tid.x;",
        "  mov.u32 %r1, %ctaid.x;",
        f"  mad.lo.u32 %r1, %r1, {THREADS}, %r0;",
        "  cvt.rn.f32.u32 %t, %r1;",
    ]
    for c in range(CHAINS):
        lines.append(f"  add.f32 %x{c}, %t, 0f{0x3F800000 + c:08X};")
    lines += ["  mov.u32 %r2, 0;", "LOOP:"]
    for _ in range(UNROLL):
        for c in range(CHAINS):
            lines.append(f"  fma.rn.f32 %x{c}, %x{c}, {a}, {b};")
    lines += [
        "  add.u32 %r2, %r2, 1;",
        f"  setp.lt.u32 %more, %r2, {iterations};",
        "  @%more bra LOOP;",
        "  mov.f32 %sum, %x0;",
    ]
    for c in range(1, CHAINS):
        lines.append(f"  add.f32 %sum, %sum, %x{c};")
    lines += [
        "  ld.param.u64 %rd0, [out];",
        "  cvta.to.global.u64 %rd1, %rd0;",
        "  mul.wide.u32 %rd2, %r1, 4;",
        "  add.u64 %rd3, %rd1, %rd2;",
        "  st.global.f32 [%rd3], %sum;",
        "  ret;",
        "}",
        "",
    ]
    return "\n".join(lines)


class DriverError(RuntimeError):
    pass


def _driver():
    cuda = ctypes.CDLL("libcuda.so.1")

    def check(rc, what):
        if rc != 0:
            name = ctypes.c_char_p()
            cuda.cuGetErrorName(rc, ctypes.byref(name))
            raise DriverError(f"{what} failed: {(name.value or b'?').decode()} ({rc})")

    return cuda, check


def fma_peak_gflops(repeats=3, device=0):
    """fp32 FLOP/s (2 per FMA) of the FMA kernel on every SM, in GFLOP/s: the
    best of `repeats` timed launches after a warm-up. Returns (GFLOP/s, SMs)."""
    cuda, check = _driver()
    check(cuda.cuInit(0), "cuInit")
    dev = ctypes.c_int()
    check(cuda.cuDeviceGet(ctypes.byref(dev), device), "cuDeviceGet")
    ctx = ctypes.c_void_p()
    # The primary context: the one PyTorch and Kiln's runtime use too.
    check(cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
    check(cuda.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
    sms = ctypes.c_int()
    check(cuda.cuDeviceGetAttribute(ctypes.byref(sms), _SM_COUNT_ATTRIBUTE, dev),
          "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)")
    ptx = fma_ptx().encode() + b"\0"
    module = ctypes.c_void_p()
    check(cuda.cuModuleLoadDataEx(ctypes.byref(module), ptx, 0, None, None),
          "cuModuleLoadDataEx")
    function = ctypes.c_void_p()
    check(cuda.cuModuleGetFunction(ctypes.byref(function), module, b"fma_peak"),
          "cuModuleGetFunction")
    blocks = sms.value * BLOCKS_PER_SM
    out = ctypes.c_uint64()
    check(cuda.cuMemAlloc_v2(ctypes.byref(out), blocks * THREADS * 4), "cuMemAlloc")
    params = (ctypes.c_void_p * 1)(ctypes.addressof(out))
    start, end = ctypes.c_void_p(), ctypes.c_void_p()
    check(cuda.cuEventCreate(ctypes.byref(start), 0), "cuEventCreate")
    check(cuda.cuEventCreate(ctypes.byref(end), 0), "cuEventCreate")
    # A non-blocking stream of its own, as Kiln's runtime uses (the fake
    # driver of the tests refuses the legacy stream).
    stream = ctypes.c_void_p()
    check(cuda.cuStreamCreate(ctypes.byref(stream), _STREAM_NON_BLOCKING), "cuStreamCreate")

    def launch():
        check(cuda.cuLaunchKernel(function, blocks, 1, 1, THREADS, 1, 1, 0, stream, params,
                                  None), "cuLaunchKernel")

    launch()  # warm-up (clocks ramp up)
    best = float("inf")
    for _ in range(repeats):
        check(cuda.cuEventRecord(start, stream), "cuEventRecord")
        launch()
        check(cuda.cuEventRecord(end, stream), "cuEventRecord")
        check(cuda.cuEventSynchronize(end), "cuEventSynchronize")
        ms = ctypes.c_float()
        check(cuda.cuEventElapsedTime(ctypes.byref(ms), start, end), "cuEventElapsedTime")
        best = min(best, ms.value)
    flops = 2.0 * blocks * THREADS * ITERATIONS * UNROLL * CHAINS
    return flops / (best * 1e-3) / 1e9, sms.value


def _time_ms(torch, fn, repeats):
    begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    times = []
    for _ in range(repeats):
        begin.record()
        fn()
        end.record()
        end.synchronize()
        times.append(begin.elapsed_time(end))
    return statistics.median(times)


def copy_gbps(torch, megabytes=1024, repeats=5):
    """Device memory bandwidth in GB/s: a device-to-device copy of
    `megabytes` MB (read + written bytes over the median time)."""
    n = megabytes * (1 << 20) // 4
    src = torch.rand(n).cuda()
    dst = torch.empty_like(src)
    ms = _time_ms(torch, lambda: dst.copy_(src), repeats)
    return 2 * n * 4 / (ms * 1e-3) / 1e9


def set_tf32(torch, allowed):
    """Lets cuBLAS matmuls and cuDNN convolutions use TF32 or not, and says
    which settings it used. PyTorch 2.9 added per-backend `fp32_precision`
    settings and deprecated the `allow_tf32` flags; a process that mixes the
    two raises a RuntimeError, so the new ones are used wherever they exist."""
    def has(settings, name):
        # PyTorch 1.x's cuBLAS settings raise AssertionError for unknown names.
        try:
            getattr(settings, name)
            return True
        except (AttributeError, AssertionError):
            return False

    precision = "tf32" if allowed else "ieee"
    matmul = torch.backends.cuda.matmul
    conv = getattr(torch.backends.cudnn, "conv", None)
    if has(matmul, "fp32_precision") and has(conv, "fp32_precision"):
        matmul.fp32_precision = precision
        conv.fp32_precision = precision
        return f"fp32_precision = '{precision}'"
    matmul.allow_tf32 = allowed
    torch.backends.cudnn.allow_tf32 = allowed
    return f"allow_tf32 = {allowed}"


def sgemm_gflops(torch, n=8192, repeats=5):
    """cuBLAS fp32 matrix multiply (TF32 off) of two n x n matrices, GFLOP/s."""
    set_tf32(torch, False)
    a, b = torch.rand(n, n).cuda(), torch.rand(n, n).cuda()
    ms = _time_ms(torch, lambda: torch.matmul(a, b), repeats)
    return 2.0 * n ** 3 / (ms * 1e-3) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ptx", action="store_true", help="print the FMA kernel's PTX")
    args = parser.parse_args()
    if args.ptx:
        sys.stdout.write(fma_ptx())
        return 0
    import torch
    gflops, sms = fma_peak_gflops()
    print(f"fp32 FMA peak {gflops:.0f} GFLOP/s on {sms} SMs; device copy "
          f"{copy_gbps(torch):.0f} GB/s; cuBLAS SGEMM (TF32 off) {sgemm_gflops(torch):.0f} "
          f"GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
