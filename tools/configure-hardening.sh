#!/usr/bin/env bash
# Configures the hardening build (default build-asan/) unless it already is:
# Kiln, its runtime and every executable it links with AddressSanitizer and
# UndefinedBehaviorSanitizer, plus the libFuzzer targets. tools/sanitize.sh
# runs the lit suite there and test/fuzz/run the fuzzers, so CI compiles the
# instrumented code once, not once for each.
#
#   tools/configure-hardening.sh [BUILD_DIR]
#
# -O1 and line tables: readable reports at a bearable speed. The fuzzers'
# coverage instrumentation (-fsanitize=fuzzer-no-link) is in every Kiln
# library and in the runtime; in programs without libFuzzer (kilnc, the
# models it links) ASan's runtime supplies the coverage hooks as no-ops.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-asan}

# A build-asan/ configured before the fuzzers moved in gets them added.
if [ -f "$build/build.ninja" ] &&
    grep -q '^KILN_ENABLE_FUZZERS:BOOL=ON$' "$build/CMakeCache.txt"; then
  exit 0
fi
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache
            -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS_RELEASE="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
  -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
  -DKILN_SANITIZE=address,undefined -DKILN_ENABLE_FUZZERS=ON \
  "${launcher[@]}" >/dev/null
