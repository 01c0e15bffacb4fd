#!/usr/bin/env python3
"""Cross-checks the runtime's .npy reader/writer against numpy.

Usage: check_numpy.py BUILD_DIR

Uses `kiln-runtime-tests copy IN OUT` (kiln_npy_read then kiln_npy_write):
numpy-written files must read back exactly, the rewritten file must be
byte-identical to np.save's version 1.0 output, and unsupported files must be
rejected with the expected message. Needs numpy; not part of the runtime.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

tool = os.path.join(sys.argv[1], "bin", "kiln-runtime-tests")
failures = 0


def copy(src, dst):
    return subprocess.run([tool, "copy", src, dst], capture_output=True, text=True)


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    failures += not cond


with tempfile.TemporaryDirectory() as d:
    rng = np.random.default_rng(0)
    arrays = {
        "0d": np.array(3.25, dtype=np.float32),
        "1d": rng.standard_normal(7).astype(np.float32),
        "2d": rng.standard_normal((2, 3)).astype(np.float32),
        "5d": rng.standard_normal((2, 1, 3, 2, 4)).astype(np.float32),
        "8d": rng.standard_normal((1, 2, 1, 2, 1, 2, 1, 3)).astype(np.float32),
        "empty": np.zeros((3, 0, 2), dtype=np.float32),
        "special": np.array([np.inf, -np.inf, np.nan, -0.0, 1e-45], np.float32),
    }
    for name, a in arrays.items():
        src, dst = os.path.join(d, name + ".npy"), os.path.join(d, name + ".out.npy")
        np.save(src, a)
        r = copy(src, dst)
        b = np.load(dst) if r.returncode == 0 else None
        check(r.returncode == 0 and b.dtype == np.float32 and b.shape == a.shape
              and a.tobytes() == b.tobytes(), f"round trip {name} {a.shape}")
        check(r.returncode == 0 and open(src, "rb").read() == open(dst, "rb").read(),
              f"byte-identical to np.save: {name}")

    # Versions 2.0 and 3.0 headers, written by numpy itself.
    a = arrays["5d"]
    for version in [(2, 0), (3, 0)]:
        src = os.path.join(d, "v%d.npy" % version[0])
        with open(src, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        r = copy(src, os.path.join(d, "v.out.npy"))
        check(r.returncode == 0 and np.array_equal(np.load(os.path.join(d, "v.out.npy")), a),
              "reads format version %d.%d" % version)

    # Unsupported files produce the documented messages.
    bad = {
        "f8": (np.zeros((2, 3)), "unsupported dtype '<f8'"),
        "i8": (np.zeros((2, 3), np.int64), "unsupported dtype '<i8'"),
        "be": (np.zeros((2, 3), ">f4"), "unsupported dtype '>f4'"),
        "fortran": (np.asfortranarray(np.zeros((2, 3), np.float32)), "fortran_order is True"),
        "struct": (np.zeros(2, [("a", "<f4")]), "unsupported structured dtype"),
    }
    for name, (a, needle) in bad.items():
        src = os.path.join(d, name + ".npy")
        np.save(src, a)
        r = copy(src, os.path.join(d, "bad.out.npy"))
        check(r.returncode != 0 and needle in r.stderr, f"rejects {name}: {r.stderr.strip()}")
    check(not any(".tmp." in f for f in os.listdir(d)), "no temporary files left")

print("%s" % ("all ok" if not failures else "%d FAILED" % failures))
sys.exit(1 if failures else 0)
