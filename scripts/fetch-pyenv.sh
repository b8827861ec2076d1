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
	.deps/py/bin/pip install --quiet --disable-pip-version-check -r "$req"
	cp "$req" "$stamp"
fi
# Earlier datasets releases, each with its pyarrow and numpy, in folders put
# ahead of .deps/py on PYTHONPATH: the card must load in each without a
# warning (scripts/card_check.py).
for v in 2 3; do
	r=scripts/interop-datasets$v.txt
	dir=.deps/py-datasets$v
	if cmp -s "$r" "$dir/.requirements" 2>/dev/null; then
		echo "pyenv: $dir already has $(grep -E '^datasets' "$r")"
		continue
	fi
	echo "pyenv: pip install --target $dir -r $r (about 300 MB, once)"
	rm -rf "$dir"
	.deps/py/bin/pip install --quiet --disable-pip-version-check --target "$dir" -r "$r"
	cp "$r" "$dir/.requirements"
done
