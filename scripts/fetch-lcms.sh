#!/usr/bin/env bash
# Installs Little CMS 2.14 (MIT; its transicc and jpgicc tools) and free ICC
# profiles (colord-data, icc-profiles-free: sRGB, Adobe RGB, ProPhoto, gray,
# Lab) into .deps/lcms, once. The colour-management tests convert with them
# as the reference twigdata's own ICC conversion is measured against. About
# 700 KB of Debian bookworm packages, pinned by checksum, unpacked without
# installing anything system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/unpack-debs.sh
dir=.deps/lcms
version=2.14-2+deb12u1
if [ -x "$dir/usr/bin/transicc" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ]; then
  echo "lcms: Little CMS $version already in $dir"
  exit 0
fi
debs=(
  "l/lcms2/liblcms2-utils_2.14-2%2bdeb12u1_amd64.deb 0af3469e6018474f39092597ad5baa193efb3abd30b50ec8a4d4383db2d992a5"
  "l/lcms2/liblcms2-2_2.14-2%2bdeb12u1_amd64.deb 333efe13d165b8a98194d95e72fd10b502ebbee4dc2eb43fc2ab83e2b53e5f17"
  "c/colord/colord-data_1.4.6-2.2_all.deb d7c8f739bb8064c7af21d9699bc5fc24ba71706102401cce89326da32aef0502"
  "i/icc-profiles-free/icc-profiles-free_2.0.1%2bdfsg-1.1_all.deb 0cca9bb13edeb7e37095526ad85b94338ade4db596b6fa4a667dfa7b28869d8c"
)
echo "lcms: fetching Little CMS $version and ICC profiles (Debian bookworm packages, about 700 KB) into $dir ..."
unpack_debs lcms "$dir" "${debs[@]}"
echo "$version" > "$dir/version"
echo "lcms: Little CMS $version installed in $dir"
