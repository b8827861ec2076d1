#!/usr/bin/env bash
# Install torch (pinned; PyPI's Linux wheel with its CUDA libraries, about
# 3 GB) into .deps/torch for `make test-torch`, which runs the dataset card's
# DataLoader example as written. Heavy, so never part of `make test`.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
pin="torch==2.15.0"
if [[ -f .deps/torch/.pin ]] && [[ "$(cat .deps/torch/.pin)" == "$pin" ]]; then
	echo "torch: .deps/torch already has $pin"
	exit 0
fi
test -x .deps/py/bin/python || scripts/fetch-pyenv.sh
echo "torch: pip install --target .deps/torch $pin (about 3 GB, once)"
rm -rf .deps/torch
.deps/py/bin/pip install --quiet --disable-pip-version-check --target .deps/torch "$pin"
echo "$pin" > .deps/torch/.pin
