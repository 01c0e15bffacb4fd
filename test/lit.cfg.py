# -*- Python -*-
# Lit configuration of Kiln's test suite.
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".nn", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()

# Debian's python3 carries torch, numpy and scikit-learn; the first python3 on
# PATH may be another interpreter without them.
python = "/usr/bin/python3"
nnref = os.path.join(config.kiln_src_root, "tools", "nnref", "nnref.py")
config.substitutions.append(("%python", python))
config.substitutions.append(("%nnref", python + " " + nnref))
config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(
    ("%check_model", python + " " +
     os.path.join(config.kiln_src_root, "test", "e2e", "check_model.py") +
     " --kilnc " + os.path.join(config.kiln_tools_dir, "kilnc")))
config.substitutions.append(("%kiln_obj", config.kiln_obj_root))
config.substitutions.append(("%runtime_dir", config.kiln_runtime_dir))
config.substitutions.append(("%examples", os.path.join(config.kiln_src_root, "examples")))

llvm_config.add_tool_substitutions(
    ["kilnc", "kiln-opt", "kiln-runtime-tests", "kiln-fake-model",
     "kiln-team-tests"],
    [config.kiln_tools_dir])
llvm_config.with_environment("PATH", config.kiln_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)


def python_can_import(module):
    try:
        return subprocess.run([python, "-c", "import " + module],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        return False


# End-to-end tests compare against PyTorch; they need Debian's python3-torch.
if python_can_import("torch") and python_can_import("numpy"):
    config.available_features.add("torch")
if python_can_import("numpy"):
    config.available_features.add("numpy")

# Cross-target tests run aarch64 binaries under qemu-user; they need Debian's
# cross compiler and the runtime CMake built with it.
qemu_aarch64 = "qemu-aarch64 -L /usr/aarch64-linux-gnu"
config.substitutions.append(("%qemu_aarch64", qemu_aarch64))
if (shutil.which("aarch64-linux-gnu-gcc") and shutil.which("qemu-aarch64")
        and os.path.exists(os.path.join(config.kiln_runtime_dir,
                                        "aarch64-linux-gnu",
                                        "libkiln_runtime.a"))):
    config.available_features.add("aarch64-runtime")

# kilnc links with lld when its LLVM has it (codegen/lib/Linker.cpp).
if os.access(os.path.join(config.llvm_tools_dir, "ld.lld"), os.X_OK):
    config.available_features.add("lld")

# ThreadSanitizer checks the runtime's thread teams (test/runtime/team-tsan):
# clang 22 with its sanitizer runtime, probed by building an empty program.
clang = (shutil.which("clang-22") or
         shutil.which("clang", path=config.llvm_tools_dir))
if clang:
    try:
        probe_tsan = subprocess.run(
            [clang, "-fsanitize=thread", "-x", "c", "-", "-o", os.devnull],
            input=b"int main(void) { return 0; }\n",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        if probe_tsan.returncode == 0:
            config.available_features.add("tsan-runtime")
            config.substitutions.append(("%tsan_cc", clang))
    except (OSError, subprocess.TimeoutExpired):
        pass

# --emit=dot renders pictures when Graphviz's dot is installed.
if shutil.which("dot"):
    config.available_features.add("graphviz")

# Source formatting (test/style): clang-format 22 exactly, as other versions
# format some constructs differently.
clang_format = (shutil.which("clang-format-22") or
                shutil.which("clang-format", path="/usr/lib/llvm-22/bin"))
if clang_format:
    config.available_features.add("clang-format-22")
    config.substitutions.append(("%clang_format", clang_format))

# The ONNX frontend's tests build models with the onnx package (python3-onnx)
# and need a kilnc built with ONNX support; the conformance test needs ONNX's
# backend test data (libonnx-testdata).
if (getattr(config, "kiln_onnx_import", "OFF").upper() in ("ON", "TRUE", "1")
        and python_can_import("onnx")):
    config.available_features.add("onnx")
    if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
        config.available_features.add("onnx-testdata")

# The NVPTX path (test/gpu): ptxas checks the PTX without a GPU; the stub
# libcuda shows the no-GPU message; execution tests need a real device,
# probed in a child process through the driver API.
cuda_root = os.environ.get("CUDA_HOME", "/usr/local/cuda")
ptxas = os.path.join(cuda_root, "bin", "ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
# runtime/test/fake_cuda.c: a driver without a GPU that checks the runtime.
config.substitutions.append(
    ("%fake_cuda_dir", os.path.join(config.kiln_obj_root, "lib", "fake-cuda")))
cuda_stub = os.path.join(cuda_root, "lib64", "stubs", "libcuda.so")
if os.path.exists(cuda_stub):
    config.available_features.add("cuda-stub")
    config.substitutions.append(("%cuda_stub", cuda_stub))
probe = ("import ctypes, sys\n"
         "cuda = ctypes.CDLL('libcuda.so.1')\n"
         "count = ctypes.c_int(0)\n"
         "ok = cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0\n"
         "sys.exit(0 if ok and count.value > 0 else 1)\n")
try:
    if subprocess.run([python, "-c", probe], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL, timeout=60).returncode == 0:
        config.available_features.add("cuda-device")
except (OSError, subprocess.TimeoutExpired):
    pass

# A sanitizer build (KILN_SANITIZE, tools/sanitize.sh): tests that cannot run
# under AddressSanitizer (address-space limits, their own fault handling) say
# `UNSUPPORTED: asan`. Reports end the test with a failure.
sanitizers = getattr(config, "kiln_sanitize", "").split(",")
if "address" in sanitizers:
    config.available_features.add("asan")
    config.environment["ASAN_OPTIONS"] = "halt_on_error=1:detect_leaks=1"
if "undefined" in sanitizers:
    config.available_features.add("ubsan")
    config.environment["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"

# valgrind's memcheck runs compiled models built for x86-64-v3 (it cannot
# decode AVX-512); not with sanitizers, whose shadow memory it cannot run.
if (not getattr(config, "kiln_sanitize", "") and
        subprocess.run(["sh", "-c", "command -v valgrind"],
                       stdout=subprocess.DEVNULL).returncode == 0):
    config.available_features.add("valgrind")
    # Any memcheck error fails the run (status 99, which no binary uses).
    # (valgrind 3.19 cannot translate some AVX2 code with --track-origins.)
    config.substitutions.append(
        ("%valgrind", "valgrind --quiet --error-exitcode=99 --leak-check=full "
         "--show-leak-kinds=definite --errors-for-leak-kinds=definite"))
