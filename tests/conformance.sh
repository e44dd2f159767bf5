#!/usr/bin/env bash
# ONNX backend conformance on the CPU device: every case in Debian's
# libonnx-testdata (node, pytorch-converted, pytorch-operator, simple) whose
# ops are all supported must pass; cases needing an unsupported op or dtype
# are skipped by `tessera conformance` with the reason. Fails listing every
# failed case.
#
# usage: tests/conformance.sh [BUILD]
set -u
BUILD="${1:-build}"
DATA="${ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}"
dirs=()
for d in node pytorch-converted pytorch-operator simple; do
  [ -d "$DATA/$d" ] && dirs+=("$DATA/$d")
done
if [ ${#dirs[@]} -eq 0 ]; then
  echo "conformance: $DATA not found (apt install libonnx-testdata)"; echo "0 passed, 1 failed"; exit 1
fi
log=$(mktemp); trap 'rm -f "$log"' EXIT
t0=$SECONDS
"$BUILD/tessera" conformance --target cpu "${dirs[@]}" >"$log" 2>&1; rc=$?
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n 1)
echo "skips by reason (first words):"
sed -nE 's/^SKIP [^:]+: (.*)/\1/p' "$log" | sed -E 's/node[s]? .*//; s/\(.*//' | cut -c1-90 | sort | uniq -c | sort -rn | head -n 20
grep -E '^(FAIL|failed cases:)' "$log"
echo "conformance: $((SECONDS - t0)) s"
if [ -z "$summary" ]; then
  echo "conformance: the runner ended without a summary (exit $rc):"; tail -n 20 "$log"
  echo "0 passed, 1 failed"; exit 1
fi
echo "$summary"
[ "$rc" -eq 0 ]
