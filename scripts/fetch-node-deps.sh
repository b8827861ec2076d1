#!/usr/bin/env bash
# Install the JavaScript packages the interop test reads the shards with
# (arrow-rs compiled to WebAssembly: parquet-wasm, and apache-arrow) into
# .deps/node, from scripts/interop-package.json. Idempotent: redone only
# when the package list changes.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=scripts/interop-package.json
if [[ -d .deps/node/node_modules/parquet-wasm ]] && cmp -s "$pkg" .deps/node/package.json; then
	echo "node-deps: .deps/node already has parquet-wasm and apache-arrow"
	exit 0
fi
command -v npm >/dev/null || { echo "node-deps: npm (Node.js) is needed for the arrow-rs interop test" >&2; exit 1; }
echo "node-deps: npm install parquet-wasm, apache-arrow into .deps/node"
mkdir -p .deps/node
cp "$pkg" .deps/node/package.json
(cd .deps/node && npm install --silent --no-audit --no-fund --no-package-lock)
