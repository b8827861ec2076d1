# Sourced by the fetch scripts that unpack pinned Debian packages into a
# folder of .deps: unpack_debs TAG DIR "pool/path sha256" ... fetches each
# package from Debian's pool, checks its sha256 and unpacks it into DIR
# (emptied first), installing nothing system-wide.
unpack_debs() {
  local tag=$1 dir=$2 pool=http://deb.debian.org/debian/pool/main
  shift 2
  local tmp
  tmp=$(mktemp -d)
  rm -rf "$dir"
  mkdir -p "$dir"
  for d in "$@"; do
    local path=${d% *} sum=${d#* }
    local file="$tmp/$(basename "$path")"
    curl -sSfL --retry 3 -o "$file" "$pool/$path" || { echo "$tag: could not fetch $pool/$path (is deb.debian.org reachable?)" >&2; rm -rf "$tmp"; exit 1; }
    echo "$sum  $file" | sha256sum -c --quiet - || { echo "$tag: checksum mismatch for $path" >&2; rm -rf "$tmp"; exit 1; }
    dpkg-deb -x "$file" "$dir"
  done
  rm -rf "$tmp"
}
