#!/usr/bin/env bash
# Installs Link Grammar 5.12.0 (LGPL-2.1; Carnegie Mellon's English grammar
# parser, Debian bookworm's build) into .deps/link-grammar, once. The plan
# tests parse every plan sentence with it: an English grammar the composer
# was not written against, so a sentence it cannot link (agreement, a/an,
# a dangling clause) fails the test. About 1 MB; the packages are pinned by
# checksum and unpacked without installing anything system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/unpack-debs.sh
dir=.deps/link-grammar
version=5.12.0~dfsg-2
if [ -x "$dir/usr/bin/link-parser" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ]; then
  echo "grammar: Link Grammar $version already in $dir"
  exit 0
fi
debs=(
  "l/link-grammar/link-grammar_5.12.0%7edfsg-2_amd64.deb 736aa78d01e7ece248a1855cf04270e27c3abb8f71b3b3b8253474a2964a667c"
  "l/link-grammar/liblink-grammar5_5.12.0%7edfsg-2_amd64.deb 4ad3929eeb5fb37f5f698d819324c7b462046f5c1d6f5c1fd6e0126063be20df"
  "l/link-grammar/link-grammar-dictionaries-en_5.12.0%7edfsg-2_all.deb 91962864ce8358a2dc9d1989858a5f9dc6fe2a5b06bd7325167e797a1520a7c6"
  "m/minisat2/minisat_2.2.1-5%2bb3_amd64.deb aaa8f62db0c9f80492f9da4bc06c3e8829fdb84692590750b9124d9a85c92ff0"
  "h/hunspell/libhunspell-1.7-0_1.7.1-1_amd64.deb 3c858f6fb27a1c73920115dfb05e06d88093c3ee889d33800fd93d111228094b"
  "libe/libedit/libedit2_3.1-20221030-2_amd64.deb 1cf14abf2716d3279db12d0657a5737cf70074a1e71d3bdf73206625e3c89ce6"
)
echo "grammar: fetching Link Grammar $version (Debian bookworm packages, about 1 MB) into $dir ..."
unpack_debs grammar "$dir" "${debs[@]}"
echo "$version" > "$dir/version"
echo "grammar: Link Grammar $version installed in $dir (run through scripts/link-parser)"
