#!/usr/bin/python3
"""Kiln's CPU benchmark: Kiln against PyTorch, ONNX Runtime, OpenVINO and IREE.

Run through bench/run (which installs the peers first); see bench/README.md. This file
only orchestrates: every system is timed in processes of its own (the Kiln executable,
iree-benchmark-module, or a worker.py per peer) whose thread limits are set in their
environment before any library loads. Within a row (model x batch x threads) the systems
are measured in rounds, in an order that rotates from round to round, so that a burst of
load from elsewhere on this shared machine spreads over all of them.
"""

import argparse
import datetime
import json
import os
import platform
import re
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from stamps import spec_stamp

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
LIB = os.path.join(BENCH, "lib")
WORK = os.path.join(BENCH, "work")
VENV = os.path.join(BENCH, ".venv")
VPY = os.path.join(VENV, "bin", "python")
SYSPY = "/usr/bin/python3"
OPENBLAS_DIR = os.path.join(VENV, "debian-openblas", "usr", "lib", "x86_64-linux-gnu",
                            "openblas-pthread")
MODELS = {"lenet5": "examples/lenet5.nn", "alexnet": "examples/alexnet.nn",
          "vgg11": "examples/vgg11.nn", "vgg16": "examples/vgg16.nn",
          # No spec describes these (residual sums, squeeze-and-excitation
          # products): Kiln compiles their ONNX exports.
          "mobilenet_v2": "zoo:mobilenet_v2",
          "mobilenet_v3_small": "zoo:mobilenet_v3_small",
          "resnet18": "zoo:resnet18",
          "shufflenet_v2_x0_5": "zoo:shufflenet_v2_x0_5",
          # Transposed convolutions (a decoder): 100x1x1 up to 3x64x64.
          "dcgan_generator": "zoo:dcgan_generator"}
IREE_SYNC_1T = True     # --iree-task-1t turns it off
IREE_FLAGS = ["--iree-hal-target-backends=llvm-cpu", "--iree-llvmcpu-target-cpu=host"]

# Peers: name -> (worker group or tool, configuration inside it, column title).
PEERS = [
    ("torch1.13-eager", "torch113", "eager", "PyTorch 1.13 eager"),
    ("torch1.13-jit", "torch113", "jit", "PyTorch 1.13 JIT"),
    ("torch2-eager", "torch2", "eager", "PyTorch {v} eager"),
    ("torch2-jit", "torch2", "jit", "PyTorch {v} JIT"),
    ("torch2-compile", "torch2", "compile", "PyTorch {v} compile"),
    ("ort", "ort", "ort", "ONNX Runtime"),
    ("openvino", "ov", "ov", "OpenVINO"),
    ("iree", "iree", None, "IREE"),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt_ms(v):
    if v is None:
        return "-"
    if v < 0.1:
        return f"{v:.4f}"
    if v < 1:
        return f"{v:.3f}"
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:.0f}"


def run_cmd(cmd, env=None, timeout=None, check=True):
    p = subprocess.run(cmd, env=env, timeout=timeout, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))[:300]} exited {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()[-800:]}")
    return p


def thread_env(threads, extra=None):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "TBB_NUM_THREADS"):
        env[k] = str(threads)
    env.pop("PYTHONPATH", None)
    env.update(extra or {})
    return env


def rel_l2(a_path, b_path):
    import numpy as np
    a = np.load(a_path).astype(np.float64)
    b = np.load(b_path).astype(np.float64)
    if a.shape != b.shape:
        a = a.reshape(b.shape) if a.size == b.size else None
    if a is None:
        return float("inf")
    d = float(np.linalg.norm((a - b).ravel()))
    r = float(np.linalg.norm(b.ravel()))
    return d / r if r > 0 else d


def file_stamp(path):
    st = os.stat(path)
    return f"{os.path.abspath(path)}:{st.st_size}:{int(st.st_mtime)}"


# --- Micro-benchmarks ------------------------------------------------------------------

def build_micro():
    exe = os.path.join(WORK, "micro")
    src = os.path.join(LIB, "micro.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        cc = shutil.which("cc") or shutil.which("gcc") or "clang-22"
        run_cmd([cc, "-O2", "-march=native", "-pthread", src, "-o", exe])
    return exe


def run_micro(exe, threads_list, quick):
    res = {}
    for t in threads_list:
        env = thread_env(t)
        f = json.loads(run_cmd([exe, "fma", str(t), "0.5" if quick else "1.0"], env=env).stdout)
        m = json.loads(run_cmd([exe, "triad", str(t), "256"], env=env).stdout)
        res[str(t)] = {"fma_gflops": f["gflops"], "isa": f["isa"], "triad_gbps": m["gbps"]}
        log(f"  micro t{t}: FMA peak {f['gflops']:.1f} GFLOP/s ({f['isa']}), "
            f"triad {m['gbps']:.1f} GB/s")
    return res


# --- Model preparation -----------------------------------------------------------------

def prepared(out, spec, batches, seed, opset=17):
    """meta.json if prepare.py's outputs for these batches are all there and current."""
    try:
        stamp = spec_stamp(spec, seed, opset)
        with open(os.path.join(out, "meta.json")) as f:
            meta = json.load(f)
    except OSError:
        return None
    if meta.get("stamp") != stamp or not os.path.exists(os.path.join(out, "weights.safetensors")):
        return None
    for b in batches:
        files = meta["batches"].get(str(b))
        if not files or not all(os.path.exists(os.path.join(out, f)) for f in files.values()):
            return None
    return meta


def prepare_model(name, spec, batches, seed):
    out = os.path.join(WORK, "models", name)
    meta = prepared(out, spec, batches, seed)
    if meta:
        meta["dir"] = out
        return meta
    t0 = time.time()
    run_cmd([SYSPY, os.path.join(LIB, "prepare.py"), spec, out,
             "--batches", ",".join(map(str, batches)), "--seed", str(seed)], env=thread_env(2))
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    meta["dir"] = out
    took = time.time() - t0
    if took > 2:
        log(f"  prepared {name} (weights, inputs, references, ONNX) in {took:.0f} s")
    return meta


def kiln_runtime_stamp(kilnc):
    build = os.path.dirname(os.path.dirname(os.path.abspath(kilnc)))
    parts = [file_stamp(kilnc)]
    for rel in ("lib/kiln_main.o", "lib/libkiln_runtime.a"):
        p = os.path.join(build, rel)
        if os.path.exists(p):
            parts.append(file_stamp(p))
    return "|".join(parts)


def compile_kiln(args, meta, batch, variant, flags):
    """Compiles (or reuses) the Kiln executable; returns {exe, compile_s, threads_flag}."""
    d = os.path.join(WORK, "kiln")
    os.makedirs(d, exist_ok=True)
    base = f"{meta['model']}_b{batch}" + (f"_{variant}" if variant else "")
    exe = os.path.join(d, base)
    stamp_path = exe + ".stamp.json"
    stamp = {"kilnc": kiln_runtime_stamp(args.kilnc), "spec": meta["stamp"],
             "flags": flags, "batch": batch}
    if os.path.exists(stamp_path) and os.path.exists(exe):
        with open(stamp_path) as f:
            old = json.load(f)
        if all(old.get(k) == v for k, v in stamp.items()):
            return old
    if meta["spec"].startswith("zoo:"):  # The ONNX export, at this batch.
        cmd = [args.kilnc, os.path.join(meta["dir"], f"b{batch}.onnx"), "-o", exe]
    else:
        cmd = [args.kilnc, meta["spec"], "--weights",
               os.path.join(meta["dir"], "weights.safetensors"), "--batch", str(batch), "-o", exe]
    cmd += shlex.split(flags)
    t0 = time.time()
    run_cmd(cmd, env=thread_env(os.cpu_count() or 1), timeout=1800)
    stamp["compile_s"] = round(time.time() - t0, 2)
    stamp["exe"] = exe
    stamp["cmd"] = " ".join(shlex.quote(c) for c in cmd)
    helptext = run_cmd([exe, "--help"], check=False).stdout
    stamp["threads_flag"] = "--threads" in helptext
    with open(stamp_path, "w") as f:
        json.dump(stamp, f, indent=1)
    log(f"  kilnc {base}: {stamp['compile_s']:.1f} s"
        + ("" if stamp["threads_flag"] else " (the binary has no --threads: one thread)"))
    return stamp


def iree_version():
    p = run_cmd([os.path.join(VENV, "bin", "iree-compile"), "--version"], check=False)
    m = re.search(r"IREE compiler version (\S+)", p.stdout + p.stderr)
    return m.group(1) if m else "?"


def compile_iree(meta, batch, flags):
    mdir = meta["dir"]
    vmfb = os.path.join(mdir, f"b{batch}.vmfb")
    stamp_path = vmfb + ".stamp.json"
    onnx = os.path.join(mdir, f"b{batch}.onnx")
    stamp = {"onnx": file_stamp(onnx), "flags": flags, "iree": iree_version()}
    if os.path.exists(stamp_path) and os.path.exists(vmfb):
        with open(stamp_path) as f:
            old = json.load(f)
        if all(old.get(k) == v for k, v in stamp.items()):
            return old
    mlir = os.path.join(mdir, f"b{batch}.mlir")
    t0 = time.time()
    run_cmd([os.path.join(VENV, "bin", "iree-import-onnx"), onnx, "-o", mlir], timeout=1800)
    t1 = time.time()
    func = None
    with open(mlir, errors="replace") as f:
        for line in f:
            m = re.search(r"func\.func @([\w$.-]+)\(", line)
            if m:
                func = m.group(1)
                break
    run_cmd([os.path.join(VENV, "bin", "iree-compile"), mlir] + flags + ["-o", vmfb],
            env=thread_env(os.cpu_count() or 1), timeout=3600)
    os.remove(mlir)     # up to twice the weights' size, as text
    stamp.update({"import_s": round(t1 - t0, 1), "compile_s": round(time.time() - t1, 1),
                  "function": func, "vmfb": vmfb})
    with open(stamp_path, "w") as f:
        json.dump(stamp, f, indent=1)
    log(f"  iree {meta['model']} b{batch}: import {stamp['import_s']} s, "
        f"compile {stamp['compile_s']} s")
    return stamp


# --- Systems ---------------------------------------------------------------------------

class Worker:
    """A worker.py process holding one model in one peer (one or more configurations)."""

    def __init__(self, group, python, cfg, env):
        self.group = group
        self.proc = subprocess.Popen([python, os.path.join(LIB, "worker.py"), json.dumps(cfg)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, text=True, bufsize=1)
        self.info = None
        self.error = None
        self._stderr = []

    def _readline(self, timeout):
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError(f"{self.group} worker: no answer in {timeout:.0f} s")
            r, _, _ = select.select([self.proc.stdout, self.proc.stderr], [], [], left)
            if self.proc.stderr in r:
                line = self.proc.stderr.readline()
                if line:
                    self._stderr.append(line)
                    self._stderr = self._stderr[-40:]
            if self.proc.stdout in r:
                line = self.proc.stdout.readline()
                if not line:
                    self.proc.wait()
                    raise RuntimeError(f"{self.group} worker died (exit {self.proc.returncode}): "
                                       + "".join(self._stderr)[-1200:])
                line = line.strip()
                if line.startswith("{"):
                    try:
                        return json.loads(line)
                    except json.JSONDecodeError:
                        pass

    def wait_ready(self, timeout):
        try:
            self.info = self._readline(timeout)["ready"]
        except (RuntimeError, TimeoutError, KeyError) as e:
            self.error = str(e)
            self.close()
        return self.info

    def ask(self, req, timeout=3600):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._readline(timeout)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def kiln_run(exe, inp, n, threads, use_threads_flag, out=None):
    cmd = [exe, inp, "--bench", str(n)]
    if use_threads_flag:
        cmd += ["--threads", str(threads)]
    if out:
        cmd += ["-o", out]
    p = run_cmd(cmd, env=thread_env(threads), timeout=7200)
    m = re.search(r"bench: (\d+) iterations, median ([\d.eE+-]+) ms, min ([\d.eE+-]+) ms",
                  p.stdout)
    if not m:
        raise RuntimeError(f"no bench line in: {p.stdout[-300:]}")
    return float(m.group(2)), float(m.group(3)), int(m.group(1))


def iree_device(threads):
    """One thread: local-sync (runs inline, no task system: IREE's fastest single-thread
    mode); more: local-task on a topology of that many workers."""
    if threads == 1 and IREE_SYNC_1T:
        return ["--device=local-sync"]
    return ["--device=local-task", f"--task_topology_max_group_count={threads}"]


def iree_run(stamp, inp, threads, reps, per_rep):
    with tempfile.NamedTemporaryFile(suffix=".json", dir=WORK, delete=False) as tf:
        jpath = tf.name
    try:
        cmd = [os.path.join(VENV, "bin", "iree-benchmark-module"), f"--module={stamp['vmfb']}",
               f"--function={stamp['function']}", f"--input=@{inp}"] + iree_device(threads) + [
               f"--benchmark_repetitions={reps}", f"--benchmark_min_time={per_rep}",
               "--benchmark_min_warmup_time=0.1", f"--benchmark_out={jpath}",
               "--benchmark_out_format=json"]
        run_cmd(cmd, env=thread_env(threads), timeout=7200)
        with open(jpath) as f:
            data = json.load(f)
    finally:
        os.unlink(jpath)
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    return [b["real_time"] * scale[b.get("time_unit", "ns")]
            for b in data["benchmarks"] if b.get("run_type") == "iteration"]


def summarise(rounds):
    """rounds: list of {median, min, samples?}. Median of round medians, min of mins, spread."""
    meds = [r["median"] for r in rounds]
    med = statistics.median(meds)
    mn = min(r["min"] for r in rounds)
    if len(meds) >= 2:
        spread, how = (max(meds) - min(meds)) / med, "range of round medians"
    elif rounds[0].get("samples") and len(rounds[0]["samples"]) >= 4:
        s = sorted(rounds[0]["samples"])
        spread = (s[(3 * (len(s) - 1)) // 4] - s[(len(s) - 1) // 4]) / med
        how = "interquartile range of the samples"
    else:
        spread, how = None, "one sample"
    return {"median_ms": med, "min_ms": mn, "spread": spread, "spread_of": how,
            "rounds": len(rounds), "iterations": sum(r.get("n", 1) for r in rounds)}


def stats_of(samples):
    return {"median": statistics.median(samples), "min": min(samples), "n": len(samples),
            "samples": samples}


# --- One row ---------------------------------------------------------------------------

def run_row(args, meta, batch, threads, systems, kiln_bins, iree_stamp, reuse, torch2_ok):
    name = meta["model"]
    tag = f"[{name} b{batch} t{threads}]"
    row = {"model": name, "batch": batch, "threads": threads, "systems": {},
           "loadavg_start": os.getloadavg()[0]}
    mdir = meta["dir"]
    inp = os.path.join(mdir, f"input_b{batch}.npy")
    ref = os.path.join(mdir, f"ref_b{batch}.npy")
    outdir = os.path.join(WORK, "out")
    os.makedirs(outdir, exist_ok=True)
    tbox, cap = args.tbox, args.cap

    # Start the peer workers (in parallel: their loading is not timed).
    wanted_groups = {g for (s, g, c, _) in PEERS if s in systems and g not in ("iree",)}
    workers = {}
    for g in sorted(wanted_groups):
        cfg = {"group": "torch" if g.startswith("torch") else g, "root": ROOT,
               "spec": meta["spec"], "weights": os.path.join(mdir, "weights.safetensors"),
               "onnx": os.path.join(mdir, f"b{batch}.onnx"), "input": inp, "threads": threads,
               "warm_s": 0.3, "torch_compile": g == "torch2" and "torch2-compile" in systems}
        extra = {}
        python = VPY
        if g == "torch113":
            python = SYSPY
            if os.path.isdir(OPENBLAS_DIR):
                extra["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (
                    ":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else "")
                if args.openblas_coretype:
                    extra["OPENBLAS_CORETYPE"] = args.openblas_coretype
        elif g == "torch2" and not torch2_ok:
            continue
        env = thread_env(threads, extra)
        if g == "torch113" and args.openblas_coretype:
            env.pop("OPENBLAS_L2_SIZE", None)
        workers[g] = Worker(g, python, cfg, env)
    for g, w in workers.items():
        if not w.wait_ready(args.load_timeout):
            log(f"  {tag} {g} failed to load: {w.error[-400:]}")

    # Runners: name -> function(tbox) -> {median, min, n, samples?}; plus calibration.
    runners, est = {}, {}
    for sysname in systems:
        entry = {}
        row["systems"][sysname] = entry
        if sysname.startswith("kiln"):
            kb = kiln_bins.get(sysname)
            if kb is None or "error" in kb:
                entry["error"] = (kb or {}).get("error", "not compiled")
                continue
            if reuse and sysname in reuse:
                entry.update(reuse[sysname])
                entry["reused_from_threads"] = reuse[sysname].get("threads_used", 1)
                continue
            entry["compile_s"] = kb.get("compile_s")
            entry["threads_used"] = threads if kb["threads_flag"] else 1
            out = os.path.join(outdir, f"{sysname}_{name}_b{batch}.npy")
            try:
                med, mn, _ = kiln_run(kb["exe"], inp, 1, threads, kb["threads_flag"], out)
                entry["rel_l2"] = rel_l2(out, ref)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                entry["error"] = str(e)[-500:]
                continue
            est[sysname] = med
            entry["_first"] = {"median": med, "min": mn, "n": 1}

            def kr(tb, kb=kb, sysname=sysname):
                n = max(1, min(100000, int(tb / max(est[sysname], 1e-6) / 1e-3)))
                med, mn, n = kiln_run(kb["exe"], inp, n, threads, kb["threads_flag"])
                return {"median": med, "min": mn, "n": n}
            runners[sysname] = kr
        elif sysname == "iree":
            if iree_stamp is None or "error" in iree_stamp:
                entry["error"] = (iree_stamp or {}).get("error", "not compiled")
                continue
            entry["compile_s"] = iree_stamp.get("compile_s")
            out = os.path.join(outdir, f"iree_{name}_b{batch}.npy")
            try:
                run_cmd([os.path.join(VENV, "bin", "iree-run-module"),
                         f"--module={iree_stamp['vmfb']}",
                         f"--function={iree_stamp['function']}", f"--input=@{inp}",
                         f"--output=@{out}"] + iree_device(threads),
                        env=thread_env(threads), timeout=3600)
                entry["rel_l2"] = rel_l2(out, ref)
                est["iree"] = statistics.median(iree_run(iree_stamp, inp, threads, 1, "0.05s"))
            except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as e:
                entry["error"] = str(e)[-500:]
                continue

            def ir(tb):
                t = est["iree"] * 1e-3
                if t < tb / 20:     # many iterations fit: 20 repetitions of tb/20 s each
                    reps, per = 20, f"{tb / 20:.4f}s"
                else:
                    reps, per = max(1, min(20, int(tb / t))), "1x"
                return stats_of(iree_run(iree_stamp, inp, threads, reps, per))
            runners["iree"] = ir
        else:
            _, g, config, _ = next(p for p in PEERS if p[0] == sysname)
            w = workers.get(g)
            if w is None or w.info is None:
                entry["error"] = (w.error[-500:] if w is not None and w.error
                                  else "peer not installed")
                continue
            if config not in w.info.get("warm_min_ms", {}):
                entry["error"] = "configuration did not load"
                continue
            entry["info"] = {k: v for k, v in w.info.items() if k != "warm_min_ms"}
            out = os.path.join(outdir, f"{sysname}_{name}_b{batch}.npy")
            try:
                w.ask({"cmd": "check", "config": config, "out": out})
                entry["rel_l2"] = rel_l2(out, ref)
            except (RuntimeError, TimeoutError) as e:
                entry["error"] = str(e)[-500:]
                continue
            est[sysname] = w.info["warm_min_ms"][config]

            def wr(tb, w=w, config=config):
                return stats_of(w.ask({"cmd": "run", "config": config, "tbox": tb,
                                       "min_iters": 1})["times_ms"])
            runners[sysname] = wr

    # Rounds, rotating the order; slow systems stop early once over the per-system cap.
    order = [s for s in systems if s in runners]
    results = {s: [] for s in order}
    spent = {s: 0.0 for s in order}
    for s in order:     # a Kiln calibration run as long as a round counts as one
        first = row["systems"][s].pop("_first", None)
        if first and first["median"] * 1e-3 >= tbox:
            results[s].append(first)
            spent[s] += 2 * first["median"] * 1e-3
    for r in range(args.rounds):
        rot = order[r % len(order):] + order[:r % len(order)] if order else []
        if r % 2:
            rot = rot[::-1]
        for s in rot:
            if len(results[s]) > r or s not in runners:
                continue
            per_round = max(tbox, est.get(s, 0) * 1e-3) + (
                est.get(s, 0) * 1e-3 if s.startswith("kiln") or s == "iree" else 0)
            if results[s] and spent[s] + per_round > cap:
                continue
            time.sleep(0.05)
            t0 = time.time()
            try:
                results[s].append(runners[s](tbox))
            except (RuntimeError, TimeoutError, subprocess.TimeoutExpired) as e:
                row["systems"][s]["error"] = str(e)[-500:]
                runners.pop(s)
                continue
            spent[s] += time.time() - t0
        log(f"  {tag} round {r + 1}/{args.rounds}: " + ", ".join(
            f"{s} {fmt_ms(results[s][-1]['median'])}" for s in order if results[s] and s in runners))
    for s in order:
        if results[s] and "error" not in row["systems"][s]:
            row["systems"][s].update(summarise(results[s]))
            row["systems"][s]["round_medians_ms"] = [x["median"] for x in results[s]]
            row["systems"][s]["round_mins_ms"] = [x["min"] for x in results[s]]
            row["systems"][s]["round_runs"] = [x.get("n", 1) for x in results[s]]
    for w in workers.values():
        w.close()
    row["loadavg_end"] = os.getloadavg()[0]
    return row


# --- Table -----------------------------------------------------------------------------

def make_table(report):
    systems = report["systems"]
    peers = [s for s in systems if not s.startswith("kiln")]
    titles = report["titles"]
    head = ["model", "batch", "thr", "GFLOP"] + [titles[s] for s in systems] + \
           ["Kiln GFLOP/s", "% peak", "best peer", "best/Kiln"]
    lines = []
    for row in report["rows"]:
        cells = [row["model"], str(row["batch"]), str(row["threads"]),
                 f"{row['gflop']:.3g}"]
        for s in systems:
            e = row["systems"].get(s, {})
            if "error" in e:
                cells.append("error")
            elif "median_ms" not in e:
                cells.append("-")
            else:
                c = f"{fmt_ms(e['median_ms'])}/{fmt_ms(e['min_ms'])}"
                if e.get("spread") is not None:
                    half = e["spread"] * 50
                    c += f" ±{half:.0f}%" if half < 1000 else " ±>999%"
                if e.get("rel_l2") is not None and not e["rel_l2"] <= 1e-3:
                    c += " (wrong)"
                if e.get("reused_from_threads"):
                    c += " *"
                cells.append(c)
        k = row["systems"].get("kiln", {})
        bp = None
        for s in peers:
            e = row["systems"].get(s, {})
            if "median_ms" in e and (e.get("rel_l2") is None or e["rel_l2"] <= 1e-3):
                if bp is None or e["median_ms"] < row["systems"][bp]["median_ms"]:
                    bp = s
        if "median_ms" in k:
            gfs = row["gflop"] / (k["median_ms"] * 1e-3)
            peak = report["micro"].get(str(row["threads"]), {}).get("fma_gflops")
            cells += [f"{gfs:.1f}", f"{100 * gfs / peak:.1f}%" if peak else "-"]
        else:
            cells += ["-", "-"]
        if bp:
            cells.append(titles[bp])
            cells.append(f"{row['systems'][bp]['median_ms'] / k['median_ms']:.2f}x"
                         if "median_ms" in k else "-")
        else:
            cells += ["-", "-"]
        lines.append(cells)
    return head, lines


def render(head, lines, markdown):
    if markdown:
        out = ["| " + " | ".join(head) + " |",
               "|" + "|".join("---:" if i >= 1 else "---" for i in range(len(head))) + "|"]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h)
              for i, h in enumerate(head)]
    fmt = lambda cs: "  ".join(c.rjust(w) if i else c.ljust(w)  # noqa: E731
                               for i, (c, w) in enumerate(zip(cs, widths)))
    return "\n".join([fmt(head), "  ".join("-" * w for w in widths)] + [fmt(c) for c in lines])


def legend(report):
    t = report["titles"]
    s = report["systems"]
    out = ["Cells: median/min ms (median of the per-round medians, min of all runs), "
           "±half the range of the per-round medians (with one round: half the "
           "interquartile range of its runs; none for a single run); '*' = reused from the 1-thread row "
           "(the Kiln binary has no --threads); '(wrong)' = output off the PyTorch "
           "reference by > 1e-3 relative L2 (excluded from best peer).",
           "GFLOP = 2 x MACs of conv2d, conv_transpose2d and linear layers for the whole batch. "
           "% peak = Kiln GFLOP/s over the measured FMA peak at the row's thread count. "
           "best/Kiln = best peer's median / Kiln's median (> 1: Kiln is faster).",
           "Configurations:"]
    for name in s:
        out.append(f"- {t[name]}: {report['configs'].get(name, '')}")
    m = report["micro"]
    out.append("Machine: " + report["machine"]["cpu"] + "; " + "; ".join(
        f"{k} thread(s): FMA peak {v['fma_gflops']:.0f} GFLOP/s ({v['isa']}), "
        f"triad {v['triad_gbps']:.1f} GB/s" for k, v in sorted(m.items())))
    la = [x for r in report["rows"] for x in (r["loadavg_start"], r["loadavg_end"])]
    if la:
        out.append(f"Load average (1 min) seen at row boundaries: {min(la):.1f} to {max(la):.1f} "
                   f"on {os.cpu_count()} CPUs (>~{os.cpu_count() - 1:.0f} means other work was "
                   f"competing: compare within a row).")
    out.append(f"Run: {report['started']}, {report['wall_s'] / 60:.1f} min, mode "
               f"{report['mode']}.")
    return out


# --- Main ------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="one round, short time boxes (most of its time goes to loading the peers)")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma list of " + ", ".join(MODELS)
                   + ", NAME=SPEC.nn or NAME=zoo:NETWORK (tools/nnref/zoo.py)")
    p.add_argument("--batches", default="1,8")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--systems", default=None,
                   help="comma list of systems to run (kiln and its variants always run "
                        "unless --no-kiln); default all installed: " +
                        ", ".join(s for s, *_ in PEERS if s != "torch2-compile"))
    p.add_argument("--no-kiln", action="store_true")
    p.add_argument("--torch-compile", action="store_true",
                   help="also time torch.compile (inductor, freezing) of the PyPI torch")
    p.add_argument("--kiln-variant", action="append", default=[], metavar='NAME="FLAGS"',
                   help="also compile with these extra kilnc flags, e.g. nofuse=\"--no-fuse\"")
    p.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    p.add_argument("--rounds", type=int, default=None, help="default 3 (1 with --quick)")
    p.add_argument("--tbox", type=float, default=None,
                   help="seconds of timed runs per system per round (default 1.0, quick 0.25)")
    p.add_argument("--cap", type=float, default=None,
                   help="seconds per system per row after which no further rounds start "
                        "(default 90, quick 30)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--openblas-coretype", default="SkylakeX",
                   help="OPENBLAS_CORETYPE for Debian torch's OpenBLAS ('' = autodetect)")
    p.add_argument("--iree-flags", default="", help="extra iree-compile flags")
    p.add_argument("--iree-task-1t", action="store_true",
                   help="run IREE's 1-thread rows on local-task too (default local-sync)")
    p.add_argument("--load-timeout", type=float, default=900)
    p.add_argument("--out", default=os.path.join(BENCH, "results"))
    p.add_argument("--name", default="latest", help="results file stem (default latest)")
    p.add_argument("--from-json", metavar="JSON",
                   help="run nothing: print (and write as --name) the table of an earlier run")
    args = p.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            report = json.load(f)
        write_results(args, report)
        return
    global IREE_SYNC_1T
    IREE_SYNC_1T = not args.iree_task_1t
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.tbox = args.tbox or (0.25 if args.quick else 1.0)
    args.cap = args.cap or (30 if args.quick else 90)
    started = time.time()

    models = []
    for m in args.models.split(","):
        m = m.strip()
        if not m:
            continue
        if "=" in m:
            n, spec = m.split("=", 1)
        elif m in MODELS:
            n, spec = m, MODELS[m]
        else:
            p.error(f"unknown model {m}")
        models.append((n, spec if spec.startswith("zoo:") else os.path.join(ROOT, spec)))
    batches = [int(b) for b in args.batches.split(",") if b]
    threads_list = [int(t) for t in args.threads.split(",") if t]

    # Which systems exist.
    have_venv = os.path.exists(VPY)
    def venv_has(mod):
        return have_venv and run_cmd([VPY, "-c", f"import {mod}"], check=False).returncode == 0
    torch2_version = None
    if venv_has("torch"):
        torch2_version = run_cmd([VPY, "-c", "import torch; print(torch.__version__)"]
                                 ).stdout.strip()
    available = {"torch1.13-eager": True, "torch1.13-jit": True,
                 "torch2-eager": torch2_version is not None,
                 "torch2-jit": torch2_version is not None,
                 "torch2-compile": torch2_version is not None and args.torch_compile,
                 "ort": venv_has("onnxruntime"), "openvino": venv_has("openvino"),
                 "iree": os.path.exists(os.path.join(VENV, "bin", "iree-compile"))}
    peers = [s for s, *_ in PEERS if available[s]]
    if args.systems:
        want = [s.strip() for s in args.systems.split(",") if s.strip()]
        unknown = [s for s in want if s not in available and s != "kiln"]
        if unknown:
            p.error(f"unknown systems {unknown}")
        peers = [s for s in peers if s in want]
    variants = []
    for v in args.kiln_variant:
        if "=" not in v:
            p.error(f"--kiln-variant wants NAME=\"FLAGS\", got {v!r}")
        n, flags = v.split("=", 1)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", n):
            p.error(f"bad variant name {n!r}")
        variants.append((n, flags))
    kilns = [] if args.no_kiln else ["kiln"] + [f"kiln:{n}" for n, _ in variants]
    systems = kilns + peers
    missing = [s for s, ok in available.items() if not ok and s != "torch2-compile"]
    if missing:
        log(f"bench: not installed, skipped: {', '.join(missing)}")

    os.makedirs(WORK, exist_ok=True)
    log("bench: micro-benchmarks")
    micro_exe = build_micro()
    micro = run_micro(micro_exe, threads_list, args.quick)

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    titles = {"kiln": "Kiln"}
    configs = {"kiln": f"kilnc {os.path.relpath(args.kilnc, ROOT)} (native CPU); "
                       "`BIN X.npy --bench N --threads T` (no --threads if the binary "
                       "lacks it) in a fresh process per round"}
    for n, flags in variants:
        titles[f"kiln:{n}"] = f"Kiln {n}"
        configs[f"kiln:{n}"] = f"kilnc {flags}"
    for s, g, c, title in PEERS:
        titles[s] = title.format(v=(torch2_version or "2").split("+")[0])
    configs.update({
        "torch1.13-eager": "Debian python3-torch 1.13 (/usr/bin/python3), eval + no_grad, "
                           "torch.set_num_threads(N); linear layers on Debian's OpenBLAS 0.3.21 "
                           f"(libopenblas0-pthread unpacked under bench/.venv, "
                           f"OPENBLAS_CORETYPE={args.openblas_coretype or 'auto'})",
        "torch1.13-jit": "as above + torch.jit.trace, torch.jit.freeze, "
                         "torch.jit.optimize_for_inference (oneDNN convs on pre-packed weights)",
        "torch2-eager": f"PyPI torch {torch2_version} (bench/.venv; MKL + oneDNN), eval + "
                        "no_grad, torch.set_num_threads(N)",
        "torch2-jit": "as above + trace + freeze + optimize_for_inference",
        "torch2-compile": "as above + torch.compile(inductor, freezing=True)",
        "ort": "onnxruntime CPU EP, ORT_ENABLE_ALL, intra_op_num_threads=N, inter_op 1, "
               "sequential, spinning on, IO binding (Python API)",
        "openvino": "OpenVINO CPU plugin from ONNX, INFERENCE_NUM_THREADS=N, hint LATENCY, "
                    "NUM_STREAMS=1, INFERENCE_PRECISION_HINT=f32 (no bf16), sync infer",
        "iree": "iree-import-onnx; iree-compile " + " ".join(IREE_FLAGS + shlex.split(args.iree_flags))
                + "; iree-benchmark-module, 1 thread: --device=local-sync, N threads: "
                  "--device=local-task --task_topology_max_group_count=N"
                + (" (1 thread too)" if args.iree_task_1t else ""),
    })

    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"),
              "mode": "quick" if args.quick else "full", "argv": sys.argv[1:],
              "rounds": args.rounds, "tbox_s": args.tbox, "cap_s": args.cap,
              "machine": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release()},
              "micro": micro, "systems": systems, "titles": titles, "configs": configs,
              "versions": {"torch2": torch2_version, "iree": iree_version() if available["iree"]
                           else None},
              "models": {}, "rows": []}

    for name, spec in models:
        log(f"bench: {name}")
        meta = prepare_model(name, spec, batches, args.seed)
        report["models"][name] = {k: meta[k] for k in ("spec", "input_shape", "output_shape",
                                                       "params", "macs_per_image")}
        for b in batches:
            kiln_bins = {}
            for s in kilns:
                flags = "" if s == "kiln" else dict(variants)[s.split(":", 1)[1]]
                try:
                    kiln_bins[s] = compile_kiln(args, meta, b, s.split(":", 1)[1]
                                                if ":" in s else "", flags)
                except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                    kiln_bins[s] = {"error": str(e)[-500:]}
                    log(f"  kilnc failed ({s}, b{b}): {str(e)[-300:]}")
            iree_stamp = None
            if "iree" in systems:
                try:
                    iree_stamp = compile_iree(meta, b, IREE_FLAGS + shlex.split(args.iree_flags))
                except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                    iree_stamp = {"error": str(e)[-500:]}
                    log(f"  iree failed (b{b}): {str(e)[-300:]}")
            reuse = {}
            for t in threads_list:
                row = run_row(args, meta, b, t, systems, kiln_bins, iree_stamp, reuse,
                              torch2_version is not None)
                row["gflop"] = 2 * meta["macs_per_image"] * b * 1e-9
                report["rows"].append(row)
                for s in kilns:     # a binary without --threads runs one thread anyway
                    kb = kiln_bins.get(s, {})
                    e = row["systems"].get(s, {})
                    if kb.get("threads_flag") is False and "median_ms" in e and not reuse.get(s):
                        reuse[s] = {k: v for k, v in e.items() if k != "reused_from_threads"}

    # The peak is what the machine can do: take the best of the start and end runs.
    log("bench: micro-benchmarks again")
    micro2 = run_micro(micro_exe, threads_list, args.quick)
    for t, v in micro2.items():
        for k in ("fma_gflops", "triad_gbps"):
            micro[t][k] = max(micro[t][k], v[k])
    report["micro_runs"] = [micro2]
    report["wall_s"] = round(time.time() - started, 1)

    write_results(args, report)


def write_results(args, report):
    head, lines = make_table(report)
    text = render(head, lines, markdown=False)
    md = render(head, lines, markdown=True)
    leg = legend(report)
    print()
    print(text)
    print()
    print("\n".join(leg))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.name}.md"), "w") as f:
        f.write(f"# Kiln CPU benchmark ({report['mode']}, {report['started']})\n\n")
        f.write(md + "\n\n" + "\n\n".join(leg) + "\n")
    if not args.from_json or os.path.abspath(args.from_json) != os.path.abspath(
            os.path.join(args.out, f"{args.name}.json")):
        with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
            json.dump(report, f, indent=1)
    log(f"bench: wrote {os.path.relpath(os.path.join(args.out, args.name), ROOT)}.md/.json "
        f"({report['wall_s'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
