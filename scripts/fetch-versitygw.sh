#!/usr/bin/env bash
# Installs the versitygw S3 server (Apache-2.0) used by the S3 tests into
# .deps/bin/, once. Building it takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.8.0
bin=.deps/bin/versitygw
if [ -x "$bin" ] && [ -f .deps/bin/versitygw.version ] && [ "$(cat .deps/bin/versitygw.version)" = "$version" ]; then
  echo "s3: versitygw $version already in $bin"
  exit 0
fi
echo "s3: building versitygw $version into $bin (about a minute, once) ..."
mkdir -p .deps/bin
GOBIN="$PWD/.deps/bin" go install "github.com/versity/versitygw/cmd/versitygw@$version"
echo "$version" > .deps/bin/versitygw.version
echo "s3: versitygw $version installed in $bin"
