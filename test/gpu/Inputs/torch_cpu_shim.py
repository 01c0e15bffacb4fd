"""Runs test/gpu/device-check on a machine without a GPU, for its own test:
PyTorch's CUDA calls are pointed at the CPU (a tensor's .cuda() is itself,
events read the host clock), so the script's bookkeeping, comparisons and
table can be checked against a bundle of --gpu-emulate binaries.

    python3 torch_cpu_shim.py DEVICE_CHECK ARGS...
"""
import os
import runpy
import sys
import time

import torch


class _Event:
    def __init__(self, **kwargs):
        self.t = 0.0

    def record(self):
        self.t = time.perf_counter()

    def synchronize(self):
        pass

    def elapsed_time(self, other):
        return (other.t - self.t) * 1e3


torch.cuda.is_available = lambda: True
torch.cuda.synchronize = lambda *args: None
torch.cuda.get_device_name = lambda *args: "CPU (torch_cpu_shim)"
torch.cuda.empty_cache = lambda: None
torch.cuda.Event = _Event
torch.Tensor.cuda = lambda self, *args, **kwargs: self
torch.nn.Module.cuda = lambda self, *args, **kwargs: self

class _NewTF32Settings:
    """PyTorch >= 2.9's TF32 settings, for KILN_SHIM_FP32_PRECISION=1: each
    backend has `fp32_precision`, and setting the old `allow_tf32` flags after
    the new ones raises (here it always does, so a test sees which were used)."""

    class _Backend:
        fp32_precision = "none"

    def __init__(self, backend):
        object.__setattr__(self, "_backend", backend)
        object.__setattr__(self, "conv", self._Backend())
        object.__setattr__(self, "fp32_precision", "none")

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            raise RuntimeError("torch_cpu_shim: a mix of the legacy and new TF32 APIs")
        if name == "fp32_precision":
            object.__setattr__(self, name, value)
        else:
            setattr(self._backend, name, value)


if os.environ.get("KILN_SHIM_FP32_PRECISION") == "1":
    torch.backends.cudnn = _NewTF32Settings(torch.backends.cudnn)
    torch.backends.cuda.matmul = _NewTF32Settings(torch.backends.cuda.matmul)

script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
