"""A benchmark worker: loads one model into one peer and times it on request.

Started by bench.py as `PYTHON worker.py JSON_CONFIG` with the thread limits already in
its environment (OMP/MKL/OPENBLAS_NUM_THREADS), so every library sees them at load time.
The config names the group (torch | ort | ov), the model files and the thread count.
The worker loads and warms up every configuration of its group, prints one JSON line
{"ready": {...}}, then answers one JSON line per command read from stdin:

    {"cmd": "run", "config": C, "tbox": S, "min_iters": N, "max_iters": M}
        -> {"times_ms": [...]}      times of single inferences, back to back, until S
                                    seconds have passed and at least N ran (at most M)
    {"cmd": "check", "config": C, "out": PATH}  -> {"ok": true}   writes the output .npy
    {"cmd": "quit"}

Runs under Debian's /usr/bin/python3 (torch 1.13) or bench/.venv's Python (the PyPI peers).
"""

import json
import os
import sys
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")


def log(msg):
    print(f"[worker] {msg}", file=sys.stderr, flush=True)


# --- torch: eager and TorchScript-frozen --------------------------------------------

def setup_openblas(threads):
    """Debian's torch runs linear layers on OpenBLAS, which torch.set_num_threads does not
    limit: OPENBLAS_NUM_THREADS (set by the caller) does; this makes sure of it."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line.lower()}
        for lib in libs:
            ctypes.CDLL(lib).openblas_set_num_threads(threads)
        return sorted(libs)
    except (OSError, AttributeError):
        return []


def load_torch(cfg, x):
    import torch
    torch.set_num_threads(cfg["threads"])
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    sys.path.insert(0, os.path.join(cfg["root"], "tools", "nnref"))
    import nnref
    # Every parameter and buffer comes from the weights file (load_weights checks that
    # none is missing), so skip the random initialisation of conv and linear weights:
    # seconds of load time for VGG.
    from torch.nn.modules.conv import _ConvNd
    saved = (torch.nn.Linear.reset_parameters, _ConvNd.reset_parameters)
    torch.nn.Linear.reset_parameters = _ConvNd.reset_parameters = lambda self: None
    try:
        if cfg["spec"].startswith("zoo:"):
            import zoo
            model = zoo.NETWORKS[cfg["spec"][len("zoo:"):]]()
        else:
            model = nnref.build_model(nnref.load_spec(cfg["spec"]))
    finally:
        torch.nn.Linear.reset_parameters, _ConvNd.reset_parameters = saved
    nnref.load_weights(model, nnref.read_safetensors(cfg["weights"]))
    model.eval()
    xt = torch.from_numpy(x)
    blas = setup_openblas(cfg["threads"])
    info = {"torch": torch.__version__, "openblas": blas,
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
            "threads": torch.get_num_threads()}
    runners = {}

    def eager():
        with torch.no_grad():
            return model(xt)
    runners["eager"] = eager

    with torch.no_grad():
        traced = torch.jit.trace(model, xt)
        frozen = torch.jit.freeze(traced.eval())
        frozen = torch.jit.optimize_for_inference(frozen)

    def jit():
        with torch.no_grad():
            return frozen(xt)
    runners["jit"] = jit

    if cfg.get("torch_compile"):
        import torch._inductor.config as icfg
        icfg.freezing = True
        compiled = torch.compile(model, backend="inductor")

        def comp():
            with torch.no_grad():
                return compiled(xt)
        t0 = time.perf_counter()
        comp()
        info["compile_s"] = round(time.perf_counter() - t0, 1)
        runners["compile"] = comp

    outputs = {k: (lambda f=f: f().numpy()) for k, f in runners.items()}
    return runners, outputs, info


# --- ONNX Runtime ----------------------------------------------------------------------

def load_ort(cfg, x):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = cfg["threads"]
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.add_session_config_entry("session.intra_op.allow_spinning", "1")
    sess = ort.InferenceSession(cfg["onnx"], so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0].name
    outp = sess.get_outputs()[0]
    out = np.empty([int(d) for d in outp.shape], dtype=np.float32)
    io = sess.io_binding()
    io.bind_cpu_input(inp, x)
    io.bind_ortvalue_output(outp.name, ort.OrtValue.ortvalue_from_numpy(out))

    def run():
        sess.run_with_iobinding(io)
    return {"ort": run}, {"ort": lambda: (run(), out.copy())[1]}, \
        {"onnxruntime": ort.__version__, "providers": sess.get_providers()}


# --- OpenVINO ----------------------------------------------------------------------------

def load_ov(cfg, x):
    import openvino as ov
    import openvino.properties as props
    import openvino.properties.hint as hints
    core = ov.Core()
    model = core.read_model(cfg["onnx"])
    config = {props.inference_num_threads: cfg["threads"],
              hints.performance_mode: hints.PerformanceMode.LATENCY,
              hints.inference_precision: ov.Type.f32,
              props.num_streams: 1}
    compiled = core.compile_model(model, "CPU", config)
    req = compiled.create_infer_request()
    req.set_input_tensor(ov.Tensor(x, shared_memory=True))

    def run():
        req.infer()

    def output():
        req.infer()
        return np.array(req.get_output_tensor().data, dtype=np.float32)
    info = {"openvino": ov.get_version()}
    for key in ("INFERENCE_NUM_THREADS", "INFERENCE_PRECISION_HINT", "PERFORMANCE_HINT",
                "NUM_STREAMS", "ENABLE_CPU_PINNING"):
        try:
            info[key] = str(compiled.get_property(key))
        except Exception:  # noqa: BLE001 - a property this version lacks
            pass
    return {"ov": run}, {"ov": output}, info


LOADERS = {"torch": load_torch, "ort": load_ort, "ov": load_ov}


def time_runs(fn, tbox, min_iters, max_iters):
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        times.append((t1 - t0) * 1e3)
        n = len(times)
        if n >= max_iters or (n >= min_iters and t1 - start >= tbox):
            return times


def main():
    cfg = json.loads(sys.argv[1])
    x = np.load(cfg["input"])
    t0 = time.perf_counter()
    runners, outputs, info = LOADERS[cfg["group"]](cfg, x)
    info["load_s"] = round(time.perf_counter() - t0, 2)
    # Warm up, per configuration, for at least cfg["warm_s"] seconds and at least 3 runs
    # for TorchScript (its profiling executor optimises the graph on the first calls),
    # 2 for the others (first-run allocations and primitive caches).
    warm = {}
    for name, fn in runners.items():
        w = time_runs(fn, cfg.get("warm_s", 0.3), 3 if name == "jit" else 2, 1000000)
        warm[name] = round(min(w), 4)
    info["warm_min_ms"] = warm
    print(json.dumps({"ready": info}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "quit":
            break
        if req["cmd"] == "run":
            times = time_runs(runners[req["config"]], req["tbox"], req.get("min_iters", 1),
                              req.get("max_iters", 1000000))
            print(json.dumps({"times_ms": times}), flush=True)
        elif req["cmd"] == "check":
            np.save(req["out"], np.asarray(outputs[req["config"]](), dtype=np.float32))
            print(json.dumps({"ok": True}), flush=True)


if __name__ == "__main__":
    main()
