#!/usr/bin/env python3
"""Per-node times of ONNX Runtime, to compare with a Kiln binary's --profile.

    bench/ort-layers MODEL.onnx INPUT.npy [--threads T] [--runs N]

Runs the model as bench/run configures ONNX Runtime (CPU provider, all graph
optimizations, sequential, T intra-op threads), warms up, profiles N runs and
prints each node's median kernel time in ms, in execution order, then their
sum. ONNX Runtime fuses and renames nodes (a Conv with its activation becomes
one node of its NCHWc layout, ending in "_nchwc"), so the names show what it
ran, not the model's nodes.
"""
import argparse
import collections
import json
import os
import statistics
import tempfile

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort")
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    x = np.load(args.input)
    feed = {session.get_inputs()[0].name: x}
    warmup = 5
    for _ in range(warmup + args.runs):
        session.run(None, feed)
    with open(session.end_profiling()) as trace:
        events = json.load(trace)

    times = collections.OrderedDict()
    for event in events:
        name = event.get("name", "")
        if event.get("cat") == "Node" and name.endswith("_kernel_time"):
            times.setdefault(name[: -len("_kernel_time")], []).append(event["dur"])
    total = 0.0
    for name, durations in times.items():
        median = statistics.median(durations[warmup:]) / 1000
        total += median
        print(f"{median:9.4f}  {name}")
    print(f"{total:9.4f}  total ({args.runs} runs, {args.threads} threads)")


if __name__ == "__main__":
    main()
