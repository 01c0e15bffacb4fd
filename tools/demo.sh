#!/usr/bin/env bash
# The main job: set up and build Kiln, compile the trained LeNet-5 to a native
# executable, and classify the held-out digits with it (predictions are
# checked against PyTorch's on the same weights).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
"$root/tools/setup.sh"

set -x
"$build/bin/kilnc" "$root/examples/lenet5.nn" \
  --weights "$root/examples/lenet5/lenet5.safetensors" -o "$build/lenet5"
/usr/bin/python3 "$root/examples/lenet5/classify.py" "$build/lenet5"
