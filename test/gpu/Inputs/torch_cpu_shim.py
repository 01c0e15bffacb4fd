"""Runs test/gpu/device-check on a machine without a GPU, for its own test:
PyTorch's CUDA calls are pointed at the CPU (a tensor's .cuda() is itself,
events read the host clock), so the script's bookkeeping, comparisons and
table can be checked against a bundle of --gpu-emulate binaries.

    python3 torch_cpu_shim.py DEVICE_CHECK ARGS...
"""
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

script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
