#!/usr/bin/env bash
# Make the Python environment the interop tests read the shards with
# (.deps/py, from scripts/interop-requirements.txt). Idempotent: it is
# remade only when the requirements change. Python is never needed to run
# twigdata itself.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/interop-requirements.txt
stamp=.deps/py/.requirements
if [[ -x .deps/py/bin/python ]] && cmp -s "$req" "$stamp"; then
	echo "pyenv: .deps/py already has $(grep -E '^[a-z]' "$req" | head -4 | tr '\n' ' ')"
else
	command -v python3 >/dev/null || { echo "pyenv: python3 is needed for the interop tests (pyarrow, datasets, polars read the shards)" >&2; exit 1; }
	echo "pyenv: python3 -m venv .deps/py; pip install -r $req (about 600 MB, once)"
	rm -rf .deps/py
	python3 -m venv .deps/py
	.deps/py/bin/pip install --quiet --disable-pip-version-check --no-compile -r "$req"
	cp "$req" "$stamp"
fi
