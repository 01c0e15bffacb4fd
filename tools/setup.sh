#!/usr/bin/env bash
# Installs what Kiln needs from Debian 12's packages (only what is missing, so
# it is cheap to run again) and builds Kiln in build/.
#
#   tools/setup.sh            # install + configure + build
#
# Environment: KILN_BUILD_DIR (default: build), KILN_JOBS (default: nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}

packages=(
  # The compiler's own toolchain: LLVM/MLIR 22, clang to build with, lld.
  cmake ninja-build g++ clang-22 lld-22 llvm-22-dev llvm-22-tools
  libmlir-22-dev mlir-22-tools
  # The C compiler driver that links compiled models.
  gcc libc6-dev
  # Cross-compilation to aarch64 (its runtime, linking) and running the
  # results under qemu in the tests.
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # Rendering kilnc --emit=dot pictures.
  graphviz
  # The reference and test tooling: PyTorch, numpy, scikit-learn's digits.
  python3 python3-numpy python3-torch python3-sklearn
  # The ONNX frontend and its tests: onnx.proto's C++, ONNX's backend test data.
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata python3-onnx
  # Hardening: sanitizer and libFuzzer runtimes, memcheck for compiled models.
  libclang-rt-22-dev valgrind
  # The C and C++ sources' formatting (test/style).
  clang-format-22
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
    -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld
fi
cmake --build "$build" -j "${KILN_JOBS:-$(nproc)}"
