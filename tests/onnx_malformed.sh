#!/usr/bin/env bash
# `tessera run` on malformed ONNX models (built by tools/make_onnx_tests.py:
# cycles, missing tensors, wrong attribute types, absurd dims, bad external
# data, ...) and on truncated and corrupted copies of a valid one: every run
# must fail cleanly (exit 1, a message naming the file and, for the built
# models, the fault), never crash, and write no output directory.
#
# usage: tests/onnx_malformed.sh [BUILD]
set -u
BUILD="${1:-build}"
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null; then
  echo "onnx_malformed: skipped: /usr/bin/python3 lacks onnx/numpy"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tools/make_onnx_tests.py "$work/m" || { echo "0 passed, 1 failed"; exit 1; }
/usr/bin/python3 -c "import numpy as np; np.save('$work/x.npy', np.zeros((1, 1, 4, 4), np.float32))"
pass=0; fail=0
check() {  # model, expected substring of the message
  local model="$1" want="$2" out="$work/out" rc
  "$BUILD/tessera" run "$model" --input "x=$work/x.npy" --output-dir "$out" >"$work/log" 2>&1; rc=$?
  if [ $rc -ne 1 ] || ! grep -qF "$(basename "$model")" "$work/log" || ! grep -qF -- "$want" "$work/log" || [ -e "$out" ]; then
    echo "FAIL $model (exit $rc, want '$want'): $(head -c 300 "$work/log")"; fail=$((fail + 1)); rm -rf "$out"
  else
    pass=$((pass + 1))
  fi
}
while IFS=$'\t' read -r file want; do check "$work/m/$file" "$want"; done <"$work/m/malformed.txt"
model="$work/m/structure.onnx"
size=$(stat -c %s "$model")
for cut in 1 7 50 100 200 $((size / 2)) $((size - 40)) $((size - 1)); do
  head -c "$cut" "$model" >"$work/cut_$cut.onnx"
  check "$work/cut_$cut.onnx" ""
done
for seed in 1 2 3 4 5 6; do   # a few bytes overwritten in the middle
  /usr/bin/python3 - "$model" "$work/bad_$seed.onnx" "$seed" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], 'rb').read())
rng = random.Random(int(sys.argv[3]))
for _ in range(8):
    data[rng.randrange(len(data) // 4, len(data))] = rng.randrange(256)
open(sys.argv[2], 'wb').write(bytes(data))
PY
  "$BUILD/tessera" run "$work/bad_$seed.onnx" --input "x=$work/x.npy" --output-dir "$work/o" >"$work/log" 2>&1
  rc=$?
  if [ $rc -gt 1 ] && ! grep -qi "usage\|input" "$work/log"; then   # crash or abort
    echo "FAIL bad_$seed.onnx: exit $rc: $(head -c 300 "$work/log")"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
  rm -rf "$work/o"
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
