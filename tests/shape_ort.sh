#!/usr/bin/env bash
# Tessera's data-movement ops against onnxruntime-node: random single-op
# cases (tools/make_shape_models.py: every shape op, random dtypes of every
# element size ORT's node binding reads, random attributes incl. negative
# axes/steps, INT_MAX bounds, zero-size dims, opsets 9 to 19), grouped in one
# model per opset. Moving data must not change it: every output must be within
# relative L2 error 1e-5, which only Range uses (onnxruntime accumulates
# start + delta + delta... in float; Tessera computes start + i * delta as the
# spec's loop does); one misplaced element of these small tensors gives an
# error of a few percent.
# Skips (with the reason) when node, onnxruntime-node or python3-onnx is
# missing: scripts/setup.sh installs them.
#
# usage: tests/shape_ort.sh [BUILD]      (SEED=n to replay, CASES=n for more)
set -u
BUILD="${1:-build}"
CACHE="${TESSERA_CACHE:-$HOME/.cache/tessera}"
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || [ ! -f "$CACHE/node_modules/onnxruntime-node/package.json" ]; then
  echo "shape_ort: skipped: node or $CACHE/node_modules/onnxruntime-node missing (run scripts/setup.sh)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "shape_ort: skipped: /usr/bin/python3 lacks onnx/numpy (apt install python3-onnx python3-numpy)"
  echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/make_shape_models.py "$work/models" ${SEED:-} ${CASES:-96} ||
  { echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0
for dir in "$work"/models/*; do
  name=$(basename "$dir")
  args=(); ort_args=()
  while read -r input file; do
    args+=(--input "$input=$dir/$file"); ort_args+=("$input=$dir/$file")
  done < "$dir/inputs.txt"
  mkdir -p "$work/tessera/$name" "$work/ort/$name"
  if ! "$BUILD/tessera" run "$dir/model.onnx" --target cpu "${args[@]}" \
       --output-dir "$work/tessera/$name" >"$work/log" 2>&1; then
    echo "FAIL $name: tessera run failed:"; sed 's/^/  /' "$work/log"; fail=$((fail + 1)); continue
  fi
  if ! node tools/ort_run.js "$dir/model.onnx" "$work/ort/$name" "${ort_args[@]}" >"$work/log" 2>&1; then
    echo "FAIL $name: onnxruntime failed:"; sed 's/^/  /' "$work/log"; fail=$((fail + 1)); continue
  fi
  # compare_npy prints one line per output
  /usr/bin/python3 tools/compare_npy.py "$work/tessera/$name" "$work/ort/$name" 1e-5 >"$work/log" 2>&1
  good=$(grep 'relative L2 error' "$work/log" | grep -vc MISMATCH)
  bad=$(grep -Ec 'MISMATCH|missing|onnxruntime|no reference' "$work/log")
  pass=$((pass + good)); fail=$((fail + bad))
  grep -E 'MISMATCH|missing|onnxruntime|no reference' "$work/log" | sed "s|^ *|FAIL $name/|"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
