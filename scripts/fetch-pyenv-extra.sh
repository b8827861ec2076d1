#!/usr/bin/env bash
# Install one more pinned set of Python packages into .deps/py-NAME, from
# scripts/interop-NAME.txt, for the tests that put it ahead of .deps/py on
# PYTHONPATH:
#   datasets2, datasets3  earlier datasets releases with their pyarrow and
#                         numpy: the card must load in each without a warning
#                         (scripts/card_check.py)
#   duckdb                DuckDB with its httpfs and aws extensions as Python
#                         packages, so that the card's DuckDB S3 lines run
#                         offline against the suite's S3 server
#   deploy                kubernetes-validate and botocore, which validate
#                         deploy/'s templates offline (scripts/deploy_check.py)
# Idempotent; it needs only python3's pip, so `make test` installs each
# beside .deps/py.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: fetch-pyenv-extra.sh datasets2|datasets3|duckdb|deploy}
r=scripts/interop-$name.txt
dir=.deps/py-$name
if cmp -s "$r" "$dir/.requirements" 2>/dev/null; then
	echo "pyenv: $dir already has $(grep -E '^[a-z]' "$r" | head -1)"
	exit 0
fi
echo "pyenv: pip install --target $dir -r $r"
rm -rf "$dir"
python3 -m pip install --quiet --disable-pip-version-check --no-compile --no-warn-conflicts --root-user-action=ignore --target "$dir" -r "$r"
cp "$r" "$dir/.requirements"
