#!/usr/bin/env bash
# Runs every test program in BUILD/tests and every tests/*.sh script, adds up
# their 'N passed, N failed' lines, and ends with the total. Exit 1 on any
# failure, or if a test program crashed or printed no summary.
set -u
BUILD="${1:-build}"
export TESSERA_BUILD="$BUILD"
total_pass=0; total_fail=0; total_skip=0; broken=()
run_one() {  # name, command...
  local name="$1"; shift
  local log; log=$(mktemp)
  local t0=$SECONDS
  "$@" >"$log" 2>&1; local rc=$?
  local line; line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "BROKEN $name (exit $rc, no summary line)"; tail -n 30 "$log"; broken+=("$name")
    total_fail=$((total_fail + 1))
  else
    local p f s
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + ${s:-0}))
    if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
      echo "FAIL   $name: $line (exit $rc)"; grep -vE '^(ok|PASS|seed)' "$log" | tail -n 40
      [ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
    else
      printf 'ok     %-28s %s  (%ds)\n' "$name" "$line" $((SECONDS - t0))
    fi
  fi
  rm -f "$log"
}
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" "$t"
done
for t in tests/*.sh; do
  [ -f "$t" ] || continue
  run_one "$(basename "$t")" bash "$t" "$BUILD"
done
echo
echo "tests took $SECONDS s ($BUILD)"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
