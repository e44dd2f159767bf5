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
# Two threads, so the kernels' parallel paths run too. TESSERA_POISON: outputs
# start as NaN bytes, so a kernel that leaves an element unwritten fails
# instead of passing on zeroed memory.
TESSERA_POISON=1 "$BUILD/tessera" conformance --target cpu --threads 2 "${dirs[@]}" >"$log" 2>&1; rc=$?
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n 1)
echo "skipped cases by reason (an unsupported op counts once per case that needs it):"
sed -nE 's/^SKIP [^:]+: (.*)/\1/p' "$log" | while IFS= read -r msg; do
  if [[ "$msg" == *"unsupported op type"* ]]; then
    grep -oE '(: |; )[A-Za-z0-9_]+ \([^)]*\)' <<<"${msg#*on device cpu}" | sed -E 's/^(: |; )//; s/; nodes? .*\)/)/; s/^/op /'
  else
    sed -E "s/'[^']*'/'...'/g; s/[0-9]+(\.[0-9]+)?/N/g" <<<"$msg" | cut -c1-100
  fi
done | sort | uniq -c | sort -rn
grep -E '^(FAIL|failed cases:)' "$log"
echo "conformance: $((SECONDS - t0)) s"
if [ -z "$summary" ]; then
  echo "conformance: the runner ended without a summary (exit $rc):"; tail -n 20 "$log"
  echo "0 passed, 1 failed"; exit 1
fi
echo "$summary"
[ "$rc" -eq 0 ]
