#!/usr/bin/env bash
# Install Debian's Chromium (headless, for the test of `twigdata show`'s
# page) with apt. Pinned to the version below; when Debian's security
# archive has replaced it (it keeps only the latest), the newest 156 build
# is taken and the script says so. Idempotent: an installed chromium is
# kept. Needs root (apt-get), as the machines the suite runs on give.
set -euo pipefail
want="156.0.8078.129-1~deb12u1"
if command -v chromium >/dev/null; then
	echo "chromium: $(chromium --version 2>/dev/null | head -1) already installed"
	exit 0
fi
if [[ $(id -u) != 0 ]]; then
	echo "chromium: installing Debian's chromium needs root (apt-get install chromium=$want); the show page test is skipped without it" >&2
	exit 1
fi
# madison's output is read whole: grep -q closing the pipe early fails it under pipefail.
listed=$(apt-cache madison chromium 2>/dev/null)
if [[ -z $listed ]]; then
	echo "chromium: apt knows no chromium package yet: apt-get update"
	apt-get update -qq >/dev/null
	listed=$(apt-cache madison chromium 2>/dev/null)
fi
version=$want
if ! grep -qF " $want " <<<"$listed"; then
	version=$(awk '$3 ~ /^156\./ {print $3; exit}' <<<"$listed")
	[[ -n "$version" ]] || { echo "chromium: no 156 build of Debian's chromium in apt's lists (apt-get update?)" >&2; exit 1; }
	echo "chromium: $want is gone from Debian's archive; taking $version"
fi
echo "chromium: apt-get install chromium=$version (about 100 MB, once)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "chromium=$version" "chromium-common=$version" >/dev/null
echo "chromium: $(chromium --version | head -1) installed"
