#!/usr/bin/env bash
# tessera asm / disasm: byte-for-byte round trip, errors with file:line:column,
# no output file on failure, bad binaries named in messages, usage exit codes.
BUILD="${1:-build}"; T="$BUILD/tessera"
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# the example program of docs/isa.md "Assembly", taken from the docs themselves
sed -n '/^    \.equ A /,/END engine=dma_out/p' docs/isa.md | sed 's/^    //' > "$tmp/ex.s"
[ -s "$tmp/ex.s" ] && ok || bad "docs/isa.md example not found"
for s in "$tmp/ex.s" fuzz/seeds/asm/*.s; do
  n=$(basename "$s" .s)
  "$T" asm "$s" -o "$tmp/$n.bin" 2>"$tmp/err" || { bad "asm $s: $(cat "$tmp/err")"; continue; }
  "$T" disasm "$tmp/$n.bin" > "$tmp/$n.d.s" || { bad "disasm $n"; continue; }
  "$T" asm "$tmp/$n.d.s" -o "$tmp/$n.2.bin" && cmp -s "$tmp/$n.bin" "$tmp/$n.2.bin" && ok || bad "round trip of $n differs"
  "$T" disasm "$tmp/$n.bin" -o "$tmp/$n.o.s" && cmp -s "$tmp/$n.d.s" "$tmp/$n.o.s" && ok || bad "disasm -o differs from stdout"
done

printf 'NOP\nMATMUL m=1 k=2 bogus=3\n' > "$tmp/bad.s"
"$T" asm "$tmp/bad.s" -o "$tmp/bad.bin" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "bad.s:2:16: MATMUL has no field 'bogus'" "$tmp/err" && ok || bad "asm error: rc=$rc $(cat "$tmp/err")"
[ ! -e "$tmp/bad.bin" ] && ! ls "$tmp"/bad.bin.tmp* >/dev/null 2>&1 && ok || bad "asm left an output file on error"

cp "$tmp/ex.bin" "$tmp/flip.bin"
printf '\x55' | dd of="$tmp/flip.bin" bs=1 seek=400 conv=notrunc status=none
"$T" disasm "$tmp/flip.bin" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "flip.bin: checksum mismatch" "$tmp/err" && ok || bad "corrupt binary: rc=$rc $(cat "$tmp/err")"
head -c 100 "$tmp/ex.bin" > "$tmp/short.bin"
"$T" disasm "$tmp/short.bin" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "short.bin: truncated" "$tmp/err" && ok || bad "truncated binary: rc=$rc $(cat "$tmp/err")"
"$T" disasm "$tmp/none.bin" 2>"$tmp/err"; [ $? -eq 1 ] && grep -q "none.bin" "$tmp/err" && ok || bad "missing file"
"$T" asm "$tmp/ex.s" 2>/dev/null; [ $? -eq 2 ] && ok || bad "asm without -o should exit 2"
"$T" disasm --bogus 2>/dev/null; [ $? -eq 2 ] && ok || bad "unknown flag should exit 2"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
