#!/usr/bin/env bash
# Compiles cross_entropy.cu for the CPU under cuda_emulation.h and checks it against float64 (see the .cpp).
# Usage: tests/Srt.TorchSharp.GpuSelfTest/Emulation/run.sh [OUT_DIR]   (needs g++ with C++20)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sources="$here/../../../src/Srt.TorchSharp/Kernels/Cuda/Sources"
out="${1:-${TMPDIR:-/tmp}/srt-cuda-emulation}"
mkdir -p "$out"
g++ -std=c++20 -O2 -pthread -w -I "$sources" -I "$here" -x c++ "$here/cross_entropy_emulated.cpp" -o "$out/cross_entropy_emulated"
"$out/cross_entropy_emulated"
