#!/bin/sh
# Exercises kiln_main.o through kiln-fake-model (input 2x3, output 2x4,
# out[i][j] = sum(in[i]) * (j+1)). Usage: check_cli.sh BUILD_DIR
# Needs python3 with numpy only to create and inspect .npy files.
set -u
bin="$1/bin/kiln-fake-model"
tests="$1/bin/kiln-runtime-tests"
py=${PYTHON:-python3}
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
fail=0

# expect RC STDOUT_GREP STDERR_GREP -- ARGS...  (empty grep patterns skip).
expect() {
  want=$1 out_pat=$2 err_pat=$3; shift 4
  "$bin" "$@" >"$d/out" 2>"$d/err"; rc=$?
  if [ "$rc" != "$want" ] ||
     { [ -n "$out_pat" ] && ! grep -qE -- "$out_pat" "$d/out"; } ||
     { [ -n "$err_pat" ] && ! grep -qE -- "$err_pat" "$d/err"; }; then
    echo "FAIL: $* (rc=$rc, want $want)"; cat "$d/out" "$d/err"; fail=1
  else
    echo "ok   $*"
  fi
}

$py -c "
import numpy as np
np.save('$d/in.npy', np.array([[1, 2, 3], [0.5, 0.25, -1]], np.float32))
np.save('$d/wrong.npy', np.zeros((1, 3, 32, 32), np.float32))
np.save('$d/f8.npy', np.zeros((2, 3)))
" || exit 1

expect 0 '^\[0\] top-4: 3 \(24\.0000\), 2 \(18\.0000\), 1 \(12\.0000\), 0 \(6\.0000\)$' '' -- "$d/in.npy"
expect 0 '^\[1\] top-2: 0 \(-0\.2500\), 1 \(-0\.5000\)$' '' -- "$d/in.npy" --top 2
expect 0 '^\[1\] top-1: 0 ' '' -- --top 1 -- "$d/in.npy"
expect 0 '' '' -- "$d/in.npy" -o "$d/out.npy"
[ -s "$d/out" ] && { echo "FAIL: -o alone printed output"; fail=1; }
$py -c "
import numpy as np
a = np.load('$d/out.npy'); assert a.dtype == np.float32 and a.shape == (2, 4), a
assert (a == np.array([[6, 12, 18, 24], [-0.25, -0.5, -0.75, -1]], np.float32)).all(), a
" || { echo "FAIL: -o content"; fail=1; }
expect 0 '^\[0\] top-1: 3 \(24' '' -- "$d/in.npy" -o "$d/out2.npy" --top 1
expect 0 '^bench: 3 iterations, median [0-9.]+ ms, min [0-9.]+ ms$' '' -- "$d/in.npy" --bench 3
[ "$(wc -l <"$d/out")" = 1 ] || { echo "FAIL: --bench alone printed top-K"; fail=1; }
expect 0 'usage: kiln-fake-model INPUT.npy' '' -- --help
expect 0 "model 'fake' \(input 2x3, output 2x4\)" '' -- -h

expect 1 '' "^kiln-fake-model: error: $d/wrong.npy: input shape 1x3x32x32 does not match the model's input 2x3$" -- "$d/wrong.npy"
expect 1 '' "error: $d/f8.npy: unsupported dtype '<f8'" -- "$d/f8.npy"
expect 1 '' "error: $d/nope.npy: cannot open" -- "$d/nope.npy"
expect 1 '' "cannot create temporary file" -- "$d/in.npy" -o "$d/no/dir/out.npy"
expect 2 '' "error: missing input file" --
expect 2 '' "error: unknown option '--frobnicate'" -- "$d/in.npy" --frobnicate
expect 2 '' "error: option '--top' requires an argument" -- "$d/in.npy" --top
expect 2 '' "error: option '-o' requires an argument" -- "$d/in.npy" -o
for n in 0 -1 abc 3x '' 99999999999999999999; do
  expect 2 '' "error: expected a positive integer, got '$n'" -- "$d/in.npy" --bench "$n"
done
expect 2 '' "error: unexpected extra argument" -- "$d/in.npy" "$d/in.npy"
ls "$d" | grep -q '\.tmp\.' && { echo "FAIL: temporary files left"; fail=1; }

"$tests" | tail -n 1
[ $fail = 0 ] && echo "cli: all ok"
exit $fail
