#!/usr/bin/env bash
# The main job on a bundled example (see README). Filled in as layers land.
set -euo pipefail
BUILD="${1:-build}"
"$BUILD/tessera" --help
