#!/usr/bin/env bash
# Short fuzz run (FUZZ_SECONDS each, default 20) of every libFuzzer harness in
# fuzz/, inside `make test`. Skips cleanly when clang is missing.
cd "$(dirname "$0")/.." || exit 1
exec scripts/run-fuzz.sh smoke
