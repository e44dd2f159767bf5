#!/usr/bin/env bash
# `make run`: assemble the bundled tiled GEMM (examples/gemm.s), simulate it on
# npu-256t with random inputs, check the result against NumPy, print the
# report, and leave a Perfetto trace in BUILD/example/gemm.trace.json.
set -euo pipefail
BUILD="${1:-build}"
T="$BUILD/tessera"
OUT="$BUILD/example"
mkdir -p "$OUT"
"$T" asm examples/gemm.s -o "$OUT/gemm.bin"
echo "== tessera sim $OUT/gemm.bin --target npu-256t (examples/gemm.s: 256x256x256 INT8 GEMM on 4 cores)"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  /usr/bin/python3 scripts/gemm_check.py make "$OUT"
  "$T" sim "$OUT/gemm.bin" --target npu-256t --load 0="$OUT/a.npy" --load 0x10000="$OUT/b.npy" \
      --dump 0x20000:256x256:int8="$OUT/c.npy" --trace "$OUT/gemm.trace.json"
  echo
  /usr/bin/python3 scripts/gemm_check.py check "$OUT"
else
  echo "(python3-numpy missing: simulating on zero inputs)"
  "$T" sim "$OUT/gemm.bin" --target npu-256t --trace "$OUT/gemm.trace.json"
fi
echo "trace: $OUT/gemm.trace.json (open in https://ui.perfetto.dev or chrome://tracing)"
