#!/usr/bin/env bash
# tessera sim end to end: the bundled GEMM against NumPy, --json, --trace
# (valid Chrome trace JSON, a track per core and engine), a DRAM-less chip,
# and bad inputs (message, non-zero exit, no output files).
set -u
BUILD="${1:-build}"
T="$BUILD/tessera"
PY=/usr/bin/python3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name="$1"; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

"$T" asm examples/gemm.s -o "$W/gemm.bin" || bad "assemble examples/gemm.s"

# ---- the bundled GEMM, bit-exact against NumPy --------------------------------
$PY scripts/gemm_check.py make "$W"
"$T" sim "$W/gemm.bin" --target npu-256t --load 0="$W/a.npy" --load 0x10000="$W/b.npy" \
    --dump 0x20000:256x256:int8="$W/c.npy" --trace "$W/t.json" >"$W/report.txt" 2>"$W/err"
check "gemm.s simulates" test $? -eq 0
check "gemm.s result equals NumPy" $PY scripts/gemm_check.py check "$W"
check "report has cycles and energy" grep -q -E '^cycles +[0-9]+' "$W/report.txt"
check "report has per-engine busy" grep -q 'all cores' "$W/report.txt"

# ---- trace: valid JSON, a track per core and engine, a slice per instruction --
check "trace is valid JSON" $PY -m json.tool "$W/t.json" /dev/null
check "trace tracks and slices" $PY - "$W/t.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
threads = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
procs = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
xs = [e for e in ev if e["ph"] == "X"]
assert procs == {0, 1, 2, 3, 4}, procs      # 4 cores and the HBM counter track
bw = [e for e in ev if e["ph"] == "C"]
assert bw and all(e["pid"] == 4 and e["args"]["GB/s"] <= 512.0 + 1e-6 for e in bw), bw[:3]
assert max(e["args"]["transfers"] for e in bw) >= 2  # the four cores' loads overlap
assert threads == {(p, t) for p in range(4) for t in range(4)}, threads
assert len(xs) == 4 * 8, len(xs)            # 8 instructions per core besides END
assert all(e["dur"] >= 0 and e["ts"] >= 0 and "inst" in e["args"] for e in xs)
names = sorted({e["name"] for e in xs})
assert names == ["LOAD", "MATMUL", "STORE", "VREQUANT"], names
PY

# ---- --json ---------------------------------------------------------------------
"$T" sim "$W/gemm.bin" --target npu-256t --json >"$W/r.json" 2>"$W/err"
check "--json parses with the report's keys" $PY - "$W/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("cycles", "seconds", "mac_utilization", "achieved_tops", "busy_pct", "per_core", "bytes", "energy_mj"):
    assert k in r, k
assert r["cycles"] > 0 and r["int8_macs"] == 256 ** 3
assert set(r["busy_pct"]) == {"dma_in", "matrix", "vector", "dma_out"}
assert abs(r["energy_mj"]["total"] - sum(v for k, v in r["energy_mj"].items() if k != "total")) < 1e-9
PY

# ---- a chip without DRAM: LOAD/STORE reach the host window ----------------------
"$T" sim "$W/gemm.bin" --target hanguang-800 --json >"$W/hg.json" 2>"$W/err"
check "hanguang-800 uses the host window" $PY -c "import json,sys; r=json.load(open('$W/hg.json')); assert r['host_window'] and r['cycles'] > 0"

# ---- bad inputs: a message, non-zero exit, no output files ------------------------
expect_fail() {  # name, expected stderr text, args...
  local name="$1" want="$2"; shift 2
  rm -f "$W/o.json" "$W/o.npy"
  "$T" sim "$@" --trace "$W/o.json" --dump 0:4:int8="$W/o.npy" >"$W/out" 2>"$W/err"
  local rc=$?
  if [ $rc -ne 0 ] && grep -q -- "$want" "$W/err" && [ ! -e "$W/o.json" ] && [ ! -e "$W/o.npy" ] \
     && ! ls "$W"/o.*tmp >/dev/null 2>&1; then
    ok "$name"
  else
    bad "$name (exit $rc, stderr: $(head -c 300 "$W/err"))"
  fi
}
expect_fail "missing program" "nope.bin" "$W/nope.bin" --target npu-256t
expect_fail "unknown target" "no-such-chip" "$W/gemm.bin" --target no-such-chip
expect_fail "unknown option" "--frobnicate" "$W/gemm.bin" --frobnicate
expect_fail "bad --dump syntax" "expected ADDR:SHAPE:DTYPE" "$W/gemm.bin" --dump 0x20000:256x256
expect_fail "bad --dump dtype" "unknown dtype" "$W/gemm.bin" --dump 0:4:int7="$W/x.npy"
expect_fail "--dump out of range" "outside device memory" "$W/gemm.bin" --dump 0x7ffffffff0:1024:int8="$W/x.npy"
expect_fail "--load missing file" "missing.npy" "$W/gemm.bin" --load 0="$W/missing.npy"
expect_fail "--load out of range" "outside" "$W/gemm.bin" --load 0x3ffffffff0="$W/a.npy"
head -c 100 "$W/gemm.bin" >"$W/trunc.bin"
expect_fail "truncated binary" "trunc.bin" "$W/trunc.bin"
printf 'LOAD sram=0 hbm=0xffffffff00 rows=1 row_bytes=512 hbm_stride=512 sram_stride=512\n' >"$W/oob.s"
"$T" asm "$W/oob.s" -o "$W/oob.bin" 2>/dev/null
expect_fail "out-of-range LOAD names the instruction" "core 0, instruction 0 (LOAD)" "$W/oob.bin"
printf 'MATMUL wait=vector m=1 k=1 n=1\nVADD wait=matrix rows=1 cols=1\n' >"$W/dl.s"
"$T" asm "$W/dl.s" -o "$W/dl.bin" 2>/dev/null
expect_fail "deadlock is reported" "deadlock" "$W/dl.bin"

# ---- usage ----------------------------------------------------------------------
"$T" sim --help >"$W/out" 2>&1
check "--help exits 0 with usage" grep -q "usage: tessera sim" "$W/out"
"$T" sim >"$W/out" 2>&1
check "no program: usage, exit 2" test $? -eq 2

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
