#!/usr/bin/env bash
# Install an earlier datasets release, with the pyarrow and numpy it reads
# through, into .deps/py-datasetsN (N: 2 or 3; pins in
# scripts/interop-datasetsN.txt). The card check puts the folder ahead of
# .deps/py on PYTHONPATH: the card must load in each release without a
# warning (scripts/card_check.py). Idempotent; it needs only python3's pip,
# so `make test` installs it beside .deps/py.
set -euo pipefail
cd "$(dirname "$0")/.."
v=${1:?usage: fetch-pyenv-datasets.sh 2|3}
r=scripts/interop-datasets$v.txt
dir=.deps/py-datasets$v
if cmp -s "$r" "$dir/.requirements" 2>/dev/null; then
	echo "pyenv: $dir already has $(grep -E '^datasets' "$r")"
	exit 0
fi
echo "pyenv: pip install --target $dir -r $r (about 300 MB, once)"
rm -rf "$dir"
python3 -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --target "$dir" -r "$r"
cp "$r" "$dir/.requirements"
