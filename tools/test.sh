#!/usr/bin/env bash
# Sets up and builds Kiln, then runs the whole lit + FileCheck suite (unit,
# pass, codegen, diagnostic and end-to-end tests against PyTorch), then the
# sanitizer build's subset and the fuzzers (see the end).
# Extra arguments go to lit, e.g. `tools/test.sh --filter e2e`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
"$root/tools/setup.sh"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv -j "${KILN_JOBS:-$(nproc)}" "$@" "$build/test" \
  2>&1 | tee "$log" || status=$?
# lit's summary as one plain line, for CI logs.
passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^ *Failed *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
unsupported=$(sed -n 's/^ *Unsupported *: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
echo "${passed:-0} passed, ${failed:-0} failed, ${unsupported:-0} skipped"

# The whole run (no lit arguments) also hardens: the ASan+UBSan build's lit
# subset (tools/sanitize.sh) and each fuzz target for KILN_FUZZ_SECONDS
# (default 45, which keeps CI within its 30 minutes; test/fuzz/run).
# KILN_SKIP_HARDENING=1 skips both.
if (($# == 0)) && [ -z "${KILN_SKIP_HARDENING:-}" ]; then
  "$root/tools/sanitize.sh" >"$log" 2>&1 || { status=1; tail -n 60 "$log"; }
  grep -E '^ *(Passed|Failed|Unsupported) *:' "$log" |
    sed 's/^ */sanitize: /' || true
  "$root/test/fuzz/run" "${KILN_FUZZ_SECONDS:-45}" || status=1
fi
exit "$status"
