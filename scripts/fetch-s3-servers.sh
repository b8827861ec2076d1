#!/usr/bin/env bash
# Installs the second and third S3 implementations the S3 tests run against,
# beside versitygw: moto (PyPI, the server of the AWS mocking library) into
# .deps/moto and s3rver (npm, a Node S3 server that does not enforce
# conditional writes — the store the lock must refuse) into .deps/s3rver.
# Pinned; redone only when a pin changes.
set -euo pipefail
cd "$(dirname "$0")/.."
moto="moto[server]==5.2.1"
s3rver="s3rver@3.7.1"
if [[ -x .deps/moto/bin/moto_server ]] && [[ "$(cat .deps/moto/.pin 2>/dev/null)" == "$moto" ]]; then
	echo "s3: moto ($moto) already in .deps/moto"
else
	command -v python3 >/dev/null || { echo "s3: python3 is needed for the moto S3 server the tests run against" >&2; exit 1; }
	echo "s3: python3 -m venv .deps/moto; pip install $moto (about 60 MB, once)"
	rm -rf .deps/moto
	python3 -m venv .deps/moto
	.deps/moto/bin/pip install --quiet --disable-pip-version-check --no-compile "$moto"
	echo "$moto" > .deps/moto/.pin
fi
if [[ -x .deps/s3rver/node_modules/.bin/s3rver ]] && [[ "$(cat .deps/s3rver/.pin 2>/dev/null)" == "$s3rver" ]]; then
	echo "s3: s3rver ($s3rver) already in .deps/s3rver"
else
	command -v npm >/dev/null || { echo "s3: npm (Node.js) is needed for the s3rver S3 server the tests run against" >&2; exit 1; }
	echo "s3: npm install $s3rver into .deps/s3rver"
	rm -rf .deps/s3rver
	mkdir -p .deps/s3rver
	(cd .deps/s3rver && echo '{"private": true}' > package.json && npm install --silent --no-audit --no-fund --no-package-lock "$s3rver")
	echo "$s3rver" > .deps/s3rver/.pin
fi
