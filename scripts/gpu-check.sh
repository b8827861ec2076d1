#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: fetch a CUDA build of ONNX
# Runtime (unless ONNXRUNTIME_LIB names one) and the CUDA 12 and cuDNN 9
# libraries it loads, then run twigbench on the GPU: annotate throughput per
# model twin and variant, and the bytes that cross between Go memory and the
# runtime per sample and per generated token, beside the same figures
# computed for the real checkpoints. Prints the tables; changes nothing
# outside .deps/.
#
#   scripts/gpu-check.sh [cuda:N]            (default cuda:0)
#
# What it fetches (pinned, once): ONNX Runtime 1.24.1's GPU build from
# Maven Central (com.microsoft.onnxruntime:onnxruntime_gpu, its linux-x64
# natives; about 370 MB) into .deps/onnxruntime-gpu, and NVIDIA's CUDA 12
# runtime, cuBLAS, cuFFT, cuRAND and cuDNN 9 wheels from PyPI into .deps/cuda
# (about 1.5 GB). It needs the NVIDIA driver (nvidia-smi) and Go.
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cuda:0}
version=1.24.1
command -v nvidia-smi >/dev/null || { echo "gpu-check: no NVIDIA driver here (nvidia-smi not found): run it on a machine with a GPU" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu-check: GPU /'
if [[ -z "${ONNXRUNTIME_LIB:-}" ]]; then
	dest=.deps/onnxruntime-gpu
	if [[ ! -s $dest/libonnxruntime.so ]]; then
		echo "gpu-check: fetching ONNX Runtime $version (GPU) from Maven Central into $dest"
		mkdir -p "$dest"
		tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
		curl -sSfL -o "$tmp/ort.jar" "https://repo1.maven.org/maven2/com/microsoft/onnxruntime/onnxruntime_gpu/$version/onnxruntime_gpu-$version.jar"
		(cd "$tmp" && python3 -m zipfile -e ort.jar x >/dev/null)
		cp "$tmp"/x/ai/onnxruntime/native/linux-x64/libonnxruntime*.so* "$dest"/
	fi
	export ONNXRUNTIME_LIB=$PWD/$dest/libonnxruntime.so
fi
cuda=.deps/cuda
if [[ ! -f $cuda/.done ]]; then
	echo "gpu-check: pip install --target $cuda NVIDIA's CUDA 12 and cuDNN 9 libraries"
	python3 -m pip install --quiet --disable-pip-version-check --no-compile --root-user-action=ignore --target "$cuda" \
		nvidia-cuda-runtime-cu12==12.9.79 nvidia-cublas-cu12==12.9.1.4 nvidia-cufft-cu12==11.4.1.4 nvidia-curand-cu12==10.3.10.19 \
		nvidia-cudnn-cu12==9.10.2.21 nvidia-cuda-nvrtc-cu12==12.9.86
	touch "$cuda/.done"
fi
LD_LIBRARY_PATH=$(find "$PWD/$cuda/nvidia" -maxdepth 2 -name lib -type d | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
LD_LIBRARY_PATH=$(dirname "$ONNXRUNTIME_LIB"):$LD_LIBRARY_PATH
export LD_LIBRARY_PATH
echo "gpu-check: ONNX Runtime $ONNXRUNTIME_LIB on $device"
go run ./cmd/twigbench -n 512 -dir .deps/bench-gpu -device "$device" -batch-size 16 -resume-at 0
