#!/usr/bin/env bash
# Fetches the ONNX Runtime CPU shared library (1.24.1, linux x64) into
# .deps/onnxruntime/ from the onnxruntime-node npm package. `npm pack` only
# downloads the tarball and runs no install scripts (a plain `npm install`
# runs a post-install step that downloads more and fails offline).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.24.1
dest=.deps/onnxruntime
lib=$dest/libonnxruntime.so.1
if [ -n "${ONNXRUNTIME_LIB:-}" ] && [ "$ONNXRUNTIME_LIB" != "$PWD/$lib" ]; then
  echo "ort: using ONNXRUNTIME_LIB=$ONNXRUNTIME_LIB"
  exit 0
fi
if [ -s "$lib" ] && [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ]; then
  echo "ort: ONNX Runtime $version already in $lib"
  exit 0
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) arch=x64 ;;
  Linux/aarch64) arch=arm64 ;;
  *) echo "ort: no bundled ONNX Runtime for $(uname -s)/$(uname -m); set ONNXRUNTIME_LIB to your libonnxruntime" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "ort: npm is needed to fetch ONNX Runtime (apt-get install npm), or set ONNXRUNTIME_LIB" >&2; exit 1; }
echo "ort: fetching onnxruntime-node@$version with npm pack (about 86 MB, once) ..."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
tar -xzf "$tmp"/onnxruntime-node-$version.tgz -C "$tmp" "package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
mkdir -p "$dest"
mv "$tmp/package/bin/napi-v6/linux/$arch/libonnxruntime.so.1" "$lib"
echo "$version" > "$dest/VERSION"
echo "ort: ONNX Runtime $version installed in $lib"
