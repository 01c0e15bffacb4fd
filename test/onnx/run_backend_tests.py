#!/usr/bin/env python3
"""Runs ONNX's backend test cases through kilnc and compares the results.

ONNX ships its operator conformance tests as folders holding `model.onnx` and
`test_data_set_N/{input,output}_K.pb` (Debian: libonnx-testdata). For each
selected case this script compiles the model with kilnc to an executable, runs
it on every data set and compares with the expected outputs (one -o file
per graph output) as ONNX's own backend runner does (numpy.testing.assert_allclose, rtol 1e-3, atol 1e-7).

Kiln's executables take one .npy file per graph input. Each case runs with
its float32 inputs as inputs of the executable. Where Kiln needs some of them
to be constants (Conv's W, Gemm's B and C, which node tests pass as further
graph inputs; integer inputs such as Reshape's shape), every input but the
first is frozen into an initializer from the data set before compiling,
which is what a deployed model has. Cases whose data sets differ in frozen
inputs are compiled once per data set.

Each case ends as pass, fail or unsupported (kilnc said Kiln cannot express
the model: an unsupported-nodes error or a model-level limit such as an
integer output). The exit status is 1 when any case fails.

  run_backend_tests.py --kilnc build/bin/kilnc --workdir /tmp/conformance
"""
import argparse
import concurrent.futures
import fnmatch
import glob
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data"

# The cases the issue names, and their kin (other patterns may be given).
NODE_PATTERNS = [
    "test_conv*", "test_basic_conv*", "test_maxpool*", "test_averagepool*",
    "test_globalaveragepool*", "test_globalmaxpool*", "test_relu*",
    "test_sigmoid*", "test_tanh*", "test_clip*", "test_leakyrelu*", "test_elu*",
    "test_prelu*", "test_selu*", "test_thresholdedrelu*", "test_softsign*",
    "test_softplus*", "test_celu*",
    "test_hardsigmoid*",
    "test_hardswish*", "test_lrn*", "test_gemm*", "test_matmul_2d",
    "test_batchnorm*", "test_instancenorm*", "test_depthtospace*",
    "test_spacetodepth*", "test_resize*", "test_upsample*", "test_softmax*", "test_logsoftmax*", "test_flatten*",
    "test_dropout*",
    "test_training_dropout*", "test_reshape*", "test_squeeze*",
    "test_unsqueeze*", "test_transpose*", "test_identity*", "test_constant",
    "test_add", "test_add_bcast", "test_mul*", "test_sub*", "test_div*",
    "test_neg*", "test_abs", "test_exp", "test_exp_example", "test_erf", "test_pow*", "test_sum*", "test_mean*",
    "test_max_example", "test_max_float32", "test_max_one_input", "test_max_two_inputs",
    "test_min_example", "test_min_float32", "test_min_one_input", "test_min_two_inputs", "test_log",
    "test_log_example", "test_sqrt*", "test_reciprocal*", "test_reduce_mean*",
    "test_reduce_max*", "test_reduce_sum_*", "test_reduce_min*", "test_reduce_prod*",
    "test_reduce_l1*", "test_reduce_l2*", "test_reduce_log_sum*", "test_concat*",
    "test_slice*", "test_split*", "test_layer_normalization*", "test_expand*",
    "test_tile*",
]
PYTORCH_PATTERNS = [
    "test_Conv2d*", "test_MaxPool2d*", "test_AvgPool2d*", "test_Linear*",
    "test_ReLU", "test_LeakyReLU*", "test_ELU", "test_PReLU*", "test_SELU", "test_Softsign",
    "test_Softplus",
    "test_Sigmoid", "test_Tanh", "test_Softmax", "test_softmax_*",
    "test_LogSoftmax", "test_log_softmax_*", "test_BatchNorm*",
    "test_ConvTranspose2d*", "test_Conv1d*", "test_MaxPool1d*", "test_AvgPool1d*",
]

RTOL, ATOL = 1e-3, 1e-7

# kilnc's messages for a model Kiln cannot express (as opposed to a bug).
UNSUPPORTED = re.compile(r"not supported by Kiln|Kiln compiles|Kiln needs|"
                         r"Kiln reads")


def read_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def data_sets(case):
    return sorted(glob.glob(os.path.join(case, "test_data_set_*")))


def runtime_inputs(model):
    initializers = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initializers]


def freeze(model, names, values):
    """Turns graph inputs `names` into initializers holding `values`."""
    frozen = onnx.ModelProto()
    frozen.CopyFrom(model)
    keep = [i for i in frozen.graph.input if i.name not in names]
    del frozen.graph.input[:]
    frozen.graph.input.extend(keep)
    for name, value in zip(names, values):
        frozen.graph.initializer.append(numpy_helper.from_array(value, name))
    return frozen


def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def first_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    return " | ".join(lines[:3])[:300] if lines else "(no output)"


def run_case(case, kilnc, workdir):
    """Returns (status, detail) for one backend test folder."""
    name = os.path.relpath(case, DATA).replace(os.sep, "__")
    work = os.path.join(workdir, name)
    os.makedirs(work, exist_ok=True)
    model = onnx.load(os.path.join(case, "model.onnx"))
    inputs = runtime_inputs(model)
    sets = data_sets(case)
    if not sets:
        return "fail", "no test data"
    tensors = {i.name for i in model.graph.input if i.type.HasField("tensor_type")}
    if not all(name in tensors for name in inputs):
        # Sequences and optionals: no data to freeze; kilnc must refuse it.
        result = run([kilnc, os.path.join(case, "model.onnx"), "-o",
                      os.path.join(work, "model")])
        if result.returncode == 1 and UNSUPPORTED.search(result.stdout):
            return "unsupported", first_line(result.stdout)
        return "fail", f"kilnc exited {result.returncode} on non-tensor " \
                       f"inputs: {first_line(result.stdout)}"
    declared = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    floats = inputs[:1] + [n for n in inputs[1:]
                            if declared[n] == onnx.TensorProto.FLOAT]
    # Float inputs live first; every input but the first frozen if Kiln
    # needs them constant.
    for live in ([floats, inputs[:1]] if len(floats) > 1 else [inputs[:1]]):
        status, detail = run_data_sets(model, inputs, live, sets, kilnc, work)
        if status != "unsupported" or live == inputs[:1]:
            break
    return status, detail


def run_data_sets(model, inputs, live, sets, kilnc, work):
    """Compiles `model` with the inputs not in `live` frozen and runs it on
    each data set."""
    frozen = [n for n in inputs if n not in live]
    compiled = {}  # frozen-input key -> executable
    for index, data_set in enumerate(sets):
        values = {n: read_tensor(os.path.join(data_set, f"input_{k}.pb"))
                  for k, n in enumerate(inputs)}
        outputs = sorted(glob.glob(os.path.join(data_set, "output_*.pb")))
        key = b"".join(values[n].tobytes() for n in frozen)
        if key not in compiled:
            path = os.path.join(work, f"model{len(live)}_{len(compiled)}.onnx")
            onnx.save(freeze(model, frozen, [values[n] for n in frozen])
                      if frozen else model, path)
            exe = os.path.join(work, f"model{len(live)}_{len(compiled)}")
            result = run([kilnc, path, "-o", exe])
            if result.returncode != 0:
                if result.returncode == 1 and UNSUPPORTED.search(result.stdout):
                    return "unsupported", first_line(result.stdout)
                return "fail", f"kilnc exited {result.returncode}: " \
                               f"{first_line(result.stdout)}"
            compiled[key] = exe
        if len(outputs) != len(model.graph.output) or not values:
            return "fail", f"{len(outputs)} outputs, {len(values)} inputs"
        files = []
        for k, name in enumerate(live):
            x = values[name]
            if x.dtype != np.float32:
                return "fail", f"input '{name}' is {x.dtype}, yet kilnc compiled it"
            files.append(os.path.join(work, f"input{index}_{k}.npy"))
            np.save(files[-1], x)
        outs = [os.path.join(work, f"output{index}_{k}.npy") for k in range(len(outputs))]
        result = run([compiled[key]] + files +
                     [arg for out in outs for arg in ("-o", out)])
        if result.returncode != 0:
            return "fail", f"the executable exited {result.returncode}: " \
                           f"{first_line(result.stdout)}"
        for k, out in enumerate(outs):
            got, want = np.load(out), read_tensor(os.path.join(data_set, f"output_{k}.pb"))
            if got.shape != want.shape:
                return "fail", f"output {k}: shape {got.shape}, expected {want.shape}"
            try:
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
            except AssertionError as error:
                return "fail", f"output {k}: " + " ".join(str(error).split())[:300]
    inputs_text = f"{len(live)} inputs" if len(live) > 1 else "1 input"
    return "pass", f"{len(sets)} data set(s), {inputs_text} live"


def select(patterns_by_dir):
    cases = []
    for sub, patterns in patterns_by_dir:
        folder = os.path.join(DATA, sub)
        for entry in sorted(os.listdir(folder)):
            if any(fnmatch.fnmatchcase(entry, p) for p in patterns):
                cases.append(os.path.join(folder, entry))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kilnc", default="kilnc")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--filter", action="append",
                        help="only cases whose folder matches this glob")
    args = parser.parse_args()

    cases = select([("node", NODE_PATTERNS),
                    ("pytorch-converted", PYTORCH_PATTERNS)])
    if args.filter:
        cases = [c for c in cases
                 if any(fnmatch.fnmatchcase(os.path.basename(c), f)
                        for f in args.filter)]
    os.makedirs(args.workdir, exist_ok=True)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_case, c, args.kilnc, args.workdir): c
                   for c in cases}
        for future in concurrent.futures.as_completed(futures):
            case = futures[future]
            try:
                results[case] = future.result()
            except Exception as error:  # A broken case must not hide others.
                results[case] = ("fail", f"runner error: {error!r}")

    counts = {"pass": 0, "fail": 0, "unsupported": 0}
    for status in ("pass", "unsupported", "fail"):
        for case in sorted(results):
            got, detail = results[case]
            if got == status:
                counts[status] += 1
                print(f"{status.upper():11} {os.path.relpath(case, DATA)}: "
                      f"{detail}")
    print(f"\n{len(results)} cases: {counts['pass']} passed, "
          f"{counts['fail']} failed, {counts['unsupported']} unsupported")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
