#!/usr/bin/env bash
# Fuzzes the loaders (assembler, program binary loader, ONNX models and
# tensors) and the functional simulator with libFuzzer + AddressSanitizer + UBSan. Builds into build-fuzz/.
#
#   scripts/run-fuzz.sh smoke    a few seconds per harness (FUZZ_SECONDS, default 20)
#   scripts/run-fuzz.sh long     ten minutes per harness (FUZZ_SECONDS to change)
#   scripts/run-fuzz.sh build    only build the harnesses
#
# Ends with 'N passed, N failed' (one per harness). A crash leaves its input
# in build-fuzz/artifacts/ and the log in build-fuzz/logs/; replay it with
#   build-fuzz/fuzz_asm build-fuzz/artifacts/crash-...
set -u
MODE="${1:-smoke}"
OUT=build-fuzz
CC_FUZZ="${CC_FUZZ:-clang}"
case "$MODE" in
  smoke) SECS="${FUZZ_SECONDS:-20}" ;;
  long)  SECS="${FUZZ_SECONDS:-600}" ;;
  build) SECS=0 ;;
  *) echo "usage: $0 smoke|long|build" >&2; exit 2 ;;
esac
if ! command -v "$CC_FUZZ" >/dev/null; then
  echo "fuzz: $CC_FUZZ not found, skipped (install clang and libclang-rt-dev)"
  echo "0 passed, 0 failed, 4 skipped"
  exit 0
fi
cd "$(dirname "$0")/.."
mkdir -p "$OUT/obj" "$OUT/artifacts" "$OUT/logs" "$OUT/corpus"
# the ONNX loader needs the protobuf-c code generated from Debian's onnx.proto
mkdir -p "$OUT/gen"
[ "$OUT/gen/onnx.pb-c.c" -nt /usr/include/onnx/onnx.proto ] ||
  protoc-c --c_out="$OUT/gen" -I/usr/include/onnx /usr/include/onnx/onnx.proto ||
  { echo "fuzz: protoc-c failed"; echo "0 passed, 1 failed"; exit 1; }
FLAGS=(-std=c11 -D_GNU_SOURCE -g -O1 -Isrc -Iinclude -I"$OUT/gen" -fsanitize=fuzzer-no-link,address,undefined
       -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wall -Wno-unknown-pragmas)
SRCS=(src/base/*.c src/isa/*.c src/sim/exec*.c src/sim/kernels*.c src/ir/*.c src/frontend/*.c "$OUT/gen/onnx.pb-c.c")

# Compiles a source into build-fuzz/obj unless its object is newer (headers too).
compile() {
  local src="$1" obj="$OUT/obj/$(echo "$1" | tr / _).o"
  if [ ! -f "$obj" ] || [ -n "$(find "$src" src/*/*.h -newer "$obj" -print -quit)" ]; then
    local quiet=(); [[ "$src" == "$OUT"/gen/* ]] && quiet=(-w)  # generated code: not ours to lint
    "$CC_FUZZ" "${FLAGS[@]}" "${quiet[@]}" -c "$src" -o "$obj" || return 1
  fi
  echo "$obj"
}

objs=()
for s in "${SRCS[@]}"; do o=$(compile "$s") || { echo "fuzz: cannot compile $s"; echo "0 passed, 1 failed"; exit 1; }; objs+=("$o"); done
harnesses=()
for f in fuzz/fuzz_*.c; do harnesses+=("$(basename "$f" .c)"); done
for h in "${harnesses[@]}"; do
  o=$(compile "fuzz/$h.c") || { echo "fuzz: cannot compile $h"; echo "0 passed, 1 failed"; exit 1; }
  if [ ! -x "$OUT/$h" ] || [ -n "$(find "${objs[@]}" "$o" -newer "$OUT/$h" -print -quit)" ]; then
    if ! "$CC_FUZZ" -fsanitize=fuzzer,address,undefined "$o" "${objs[@]}" -lprotobuf-c -lm -lpthread -o "$OUT/$h"; then
      echo "fuzz: cannot link $h (is libclang-rt-dev installed?), skipped"
      echo "0 passed, 0 failed, 4 skipped"
      exit 0
    fi
  fi
done
[ "$MODE" = build ] && { echo "built ${harnesses[*]} in $OUT"; echo "0 passed, 0 failed"; exit 0; }

# Seeds: the bundled assembly, and its binary (written by fuzz_asm's own code path: tessera asm if built).
mkdir -p "$OUT/corpus/asm" "$OUT/corpus/load" "$OUT/corpus/exec" "$OUT/corpus/onnx"
# ONNX seeds: small models from the conformance data (any .onnx will do)
for m in /usr/share/libonnx-testdata/data/node/test_{conv,relu,add,gemm,reshape,slice,resize,maxpool,concat,cast}*/model.onnx; do
  [ -f "$m" ] && cp "$m" "$OUT/corpus/onnx/$(basename "$(dirname "$m")").onnx"
done
cp fuzz/seeds/asm/*.s "$OUT/corpus/asm/" 2>/dev/null
for s in fuzz/seeds/asm/*.s; do
  b="$OUT/corpus/load/$(basename "$s" .s).bin"
  [ -x build/tessera ] && build/tessera asm "$s" -o "$b" 2>/dev/null
  # fuzz_exec input: one byte picking the kernel path, then raw instructions
  [ -f "$b" ] && { printf '\002'; tail -c +321 "$b" | head -c 4096; } > "$OUT/corpus/exec/$(basename "$s" .s).inst"
done

pass=0; fail=0
for h in "${harnesses[@]}"; do
  corpus="$OUT/corpus/${h#fuzz_}"
  log="$OUT/logs/$h.log"
  ASAN_OPTIONS=detect_leaks=1 "$OUT/$h" "$corpus" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$h-" >"$log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
  if [ $rc -eq 0 ]; then
    pass=$((pass + 1)); echo "ok     $h: ${runs:-?} inputs in ${SECS}s"
  else
    fail=$((fail + 1)); echo "FAIL   $h (exit $rc), log $log:"; grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
  fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
