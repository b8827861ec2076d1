#!/usr/bin/env bash
# make image: an OCI image of twigdata, built without any image registry.
#
# The root filesystem is assembled from scratch: the twigdata binary, ONNX
# Runtime's CPU library (.deps/onnxruntime, `make ort`), and from Debian 12's
# packages — downloaded pinned with apt-get download, unpacked with dpkg-deb
# — only the files they need at run time: the dynamic loader and libc,
# libstdc++ and libgcc_s for ONNX Runtime, and the CA certificates for S3
# over HTTPS. No shell, no package manager. It runs as user 65532 with
# /tmp for spooled shards. umoci (Debian's, pinned) writes the OCI layout
# and its configuration: entrypoint, environment, user, labels with the
# version and source. The result, .deps/image/twigdata-VERSION.oci.tar, is
# an OCI archive that `podman load`, `skopeo copy oci-archive:…` or
# `crane push` take as it is.
#
# A CUDA image: set ONNXRUNTIME_LIB to a CUDA build of libonnxruntime.so
# (with its providers' libraries beside it) and IMAGE_EXTRA_LIBS to the CUDA
# and cuDNN libraries to copy in (README: Running on a GPU); the same
# script packs them.
#
# Needs root for apt-get (umoci, once) and for unpacking with owners kept.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.deps/image
version=$(sed -n 's/^const Version = "\(.*\)"/\1/p' twigdata.go)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
umoci_version="0.4.7+ds-3+b7"
runc_version="1.1.5+ds1-1+deb12u1" # the OCI runtime the image test runs the image with
# The Debian 12 packages the root filesystem takes files from. When
# Debian's archive has replaced one (security updates keep only the
# latest), the newest is taken and the script says so.
packages=("libc6=2.36-9+deb12u14" "libstdc++6=12.2.0-14+deb12u1" "libgcc-s1=12.2.0-14+deb12u1" "ca-certificates=20250419~deb12u2")

for tool in "umoci=$umoci_version" "runc=$runc_version"; do
	command -v "${tool%%=*}" >/dev/null && continue
	[[ $(id -u) == 0 ]] || { echo "image: ${tool%%=*} is not installed and installing it needs root (apt-get install $tool)" >&2; exit 1; }
	[[ -n $(apt-cache madison "${tool%%=*}" 2>/dev/null) ]] || apt-get update -qq >/dev/null
	echo "image: apt-get install $tool"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
done

mkdir -p "$out/debs"
for p in "${packages[@]}"; do
	name=${p%%=*} want=${p#*=}
	if ls "$out/debs/${name}_"*.deb >/dev/null 2>&1; then continue; fi
	# (madison's output is read whole: grep -q closing the pipe early fails it under pipefail)
	listed=$(apt-cache madison "$name" 2>/dev/null)
	[[ -n $listed ]] || { apt-get update -qq >/dev/null; listed=$(apt-cache madison "$name"); }
	got=$want
	if ! grep -qF " $want " <<<"$listed"; then
		got=$(awk '{print $3; exit}' <<<"$listed")
		echo "image: $name $want is gone from Debian's archive; taking $got"
	fi
	echo "image: apt-get download $name=$got"
	(cd "$out/debs" && apt-get download -qq "$name=$got" 2>/dev/null)
done

echo "image: go build -trimpath -ldflags='-s -w' ./cmd/twigdata"
CGO_ENABLED=1 go build -trimpath -ldflags='-s -w' -o "$out/twigdata" ./cmd/twigdata

rm -rf "$out/extract" "$out/rootfs"
for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$out/extract"; done
root=$out/rootfs
mkdir -p "$root"/usr/local/bin "$root"/usr/local/lib "$root"/lib64 "$root"/lib/x86_64-linux-gnu "$root"/etc/ssl/certs "$root"/tmp "$root"/work
install -m 0755 "$out/twigdata" "$root/usr/local/bin/twigdata"
install -m 0644 .deps/onnxruntime/libonnxruntime.so.1 "$root/usr/local/lib/libonnxruntime.so.1"
for extra in ${IMAGE_EXTRA_LIBS:-}; do install -m 0644 "$extra" "$root/usr/local/lib/"; done
x=$out/extract/lib/x86_64-linux-gnu
[[ -d $x ]] || x=$out/extract/usr/lib/x86_64-linux-gnu
cp -L "$out/extract/lib64/ld-linux-x86-64.so.2" "$root/lib64/"
for lib in libc.so.6 libm.so.6 libdl.so.2 librt.so.1 libpthread.so.0 libgcc_s.so.1; do
	cp -L "$x/$lib" "$root/lib/x86_64-linux-gnu/"
done
cp -L "$out/extract/usr/lib/x86_64-linux-gnu/libstdc++.so.6" "$root/lib/x86_64-linux-gnu/"
# What update-ca-certificates would write: every Mozilla root, concatenated.
cat "$out"/extract/usr/share/ca-certificates/mozilla/*.crt > "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/nonexistent\ntwigdata:x:65532:65532:twigdata:/work:/nonexistent\n' > "$root/etc/passwd"
printf 'root:x:0:\ntwigdata:x:65532:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
chown 65532:65532 "$root/work" 2>/dev/null || true

echo "image: umoci init, new, unpack, repack, config → $out/oci (twigdata:$version)"
rm -rf "$out/oci" "$out/bundle"
umoci init --layout "$out/oci"
umoci new --image "$out/oci:$version"
rootless=()
[[ $(id -u) == 0 ]] || rootless=(--rootless)
umoci unpack "${rootless[@]}" --image "$out/oci:$version" "$out/bundle" >/dev/null
cp -a "$root/." "$out/bundle/rootfs/"
umoci repack --image "$out/oci:$version" "$out/bundle"
umoci config --image "$out/oci:$version" \
	--os linux --architecture amd64 \
	--config.user 65532:65532 \
	--config.entrypoint /usr/local/bin/twigdata --config.cmd --help \
	--config.env ONNXRUNTIME_LIB=/usr/local/lib/libonnxruntime.so.1 \
	--config.env TMPDIR=/tmp \
	--config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
	--config.workingdir /work \
	--config.label org.opencontainers.image.title=twigdata \
	--config.label org.opencontainers.image.description="Builds interleaved reasoning datasets for text-to-image models" \
	--config.label org.opencontainers.image.version="$version" \
	--config.label org.opencontainers.image.revision="$revision" \
	--config.label org.opencontainers.image.source=https://github.com/twigdata/twigdata \
	--config.label io.twigdata.onnxruntime=1.24.1-cpu
umoci gc --layout "$out/oci"
rm -rf "$out/bundle"
tar -C "$out/oci" -cf "$out/twigdata-$version.oci.tar" .
size=$(du -b "$out/twigdata-$version.oci.tar" | cut -f1)
echo "image: $out/twigdata-$version.oci.tar: $((size / 1024 / 1024)) MiB (OCI archive; its root filesystem $(du -sm "$root" | cut -f1) MiB unpacked)"
