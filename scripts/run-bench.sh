#!/usr/bin/env bash
# `make bench`: every benchmark, peers side by side. Sections run in order;
# to add one, drop an executable bench/NAME.sh (called as `bench/NAME.sh BUILD`)
# or add a section below. A failing section is reported and the rest still run.
set -u
BUILD="${1:-build}"
status=0
section() {  # title, command...
  local title="$1"; shift
  echo "== $title"
  "$@" || { echo "   (failed with exit $?)"; status=1; }
  echo
}

section "simulator: tiled INT8 GEMM 2048x2048x2048 on npu-256t vs host INT8 GEMM" \
  "$BUILD/bench/bench_sim_gemm" --size 2048 2048 2048 --target npu-256t

for s in bench/*.sh; do
  [ -f "$s" ] || continue
  section "$(basename "$s" .sh)" bash "$s" "$BUILD"
done
exit $status
