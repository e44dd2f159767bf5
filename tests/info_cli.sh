#!/usr/bin/env bash
# tessera info: presets, --json, bad targets (exit codes and messages).
BUILD="${1:-build}"; T="$BUILD/tessera"
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

for p in npu-256t hanguang-800 tpuv3-core edge-4t a100-ref h100-ref; do
  out=$("$T" info --target "$p" --json) || { bad "info $p exited non-zero"; continue; }
  /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["name"]==sys.argv[1]
for k in ["name","cores","clock_ghz","peak_int8_tops","peak_bf16_tflops","sram_bytes","hbm_bytes","hbm_gbps","ridge_ops_per_byte"]: assert k in d, k' "$p" <<<"$out" \
    && ok || bad "info $p --json is not valid or lacks keys"
done
"$T" info | grep -q '^npu-256t .*256\.' && ok || bad "preset table lacks npu-256t at 256 TOPS"

"$T" info --target no-such-chip 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "unknown target 'no-such-chip'" "$tmp/err" && ok || bad "unknown target: rc=$rc $(cat "$tmp/err")"
sed 's/^cores: 8/cores: -1/' configs/npu-256t.yaml > "$tmp/neg.yaml"
"$T" info --target "$tmp/neg.yaml" 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "neg.yaml:.*'cores' = -1 is out of range" "$tmp/err" && ok || bad "negative cores: rc=$rc $(cat "$tmp/err")"
"$T" info --bogus 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown flag should exit 2"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
