#!/usr/bin/env bash
# Builds Kiln, its runtime and therefore every executable it links with
# AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/
# (tools/configure-hardening.sh; test/fuzz/run's fuzzers live there too),
# then runs the lit suite there. Any sanitizer report fails its test
# (halt_on_error, set in test/lit.cfg.py).
#
#   tools/sanitize.sh             # the representative subset below
#   tools/sanitize.sh --all       # the whole suite (slow: VGG, conformance)
#   tools/sanitize.sh PATH...     # these tests (relative to build-asan/test)
#
# The subset: every component's tests, and end to end LeNet-5, every op,
# batch slicing, the Winograd and channel-lane convolutions and the small
# ONNX models; it leaves out the VGG/AlexNet runs, ONNX's backend
# conformance and the torchvision relatives (e2e-relatives.test,
# e2e-efficientnet.test, e2e-shufflenet.test, e2e-googlenet-densenet.test;
# e2e-branches, e2e-convbn and
# slice.test import the same kinds of graph), which repeat the same code at
# sizes that take minutes under the sanitizers.
# Environment: KILN_ASAN_BUILD_DIR (default: build-asan), KILN_JOBS.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_ASAN_BUILD_DIR:-$root/build-asan}
jobs=${KILN_JOBS:-$(nproc)}

"$root/tools/configure-hardening.sh" "$build"
cmake --build "$build" -j "$jobs"

tests=()
if (($# == 0)); then
  # gpu/driver.test checks that CPU binaries never reference dlopen, which
  # ASan's runtime interposes; the emulated GPU models are too slow here.
  tests=(frontend diagnostics dialect passes codegen driver runtime onnx
         e2e/lenet5-trained.test e2e/every-op.nn e2e/batch-slicing.test
         e2e/winograd.nn e2e/channel-lanes.nn gpu/nn-to-gpu.mlir
         gpu/gpu-emulate.mlir gpu/emulate-races.test gpu/approximate-math.mlir
         gpu/emit-ptx.test
         gpu/no-gpu.test gpu/fake-driver.test gpu/memory-plan.test)
  export LIT_FILTER_OUT=${LIT_FILTER_OUT:-'onnx/(conformance|e2e-(alexnet|vgg11|relatives|efficientnet|shufflenet|googlenet-densenet))\.test'}
elif [ "$1" = --all ]; then
  tests=(.)
else
  tests=("$@")
fi
paths=()
for test in "${tests[@]}"; do
  paths+=("$build/test/$test")
done
/usr/lib/llvm-22/bin/lit -sv -j "$jobs" "${paths[@]}"
