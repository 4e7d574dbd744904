#!/usr/bin/env bash
# Runs the published GPU self-test on a machine with an NVIDIA GPU and no .NET install.
# Usage: run-on-gpu.sh OUT_DIR [self-test arguments...]
# Writes OUT_DIR/selftest.jsonl (JSON lines), stdout.txt, ptxas.txt (register/spill report) and, when
# compute-sanitizer is installed, memcheck.txt (the quick checks under memcheck).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-.}"
shift || true
mkdir -p "$out"
# NVRTC and its builtins: a CUDA toolkit's lib64, or the pip wheel nvidia-cuda-nvrtc (nvidia/cu13/lib, nvidia/cuda_nvrtc/lib).
paths=""
for d in /usr/local/cuda/lib64 /usr/local/nvidia/lib64; do [ -d "$d" ] && paths="$paths:$d"; done
for d in $(python3 -c 'import nvidia, os; [print(os.path.join(p, s, "lib")) for p in nvidia.__path__ for s in ("cu13", "cuda_nvrtc")]' 2>/dev/null); do
  [ -d "$d" ] && paths="$paths:$d"
done
export LD_LIBRARY_PATH="${paths#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
nvidia-smi -L
sm=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')
"$here/Srt.TorchSharp.GpuSelfTest" --compile-only "${sm:-90}" > "$out/ptxas.txt" 2>&1
echo "compile-only sm_${sm}: rc=$? (ptxas report in ptxas.txt)"; head -1 "$out/ptxas.txt"
"$here/Srt.TorchSharp.GpuSelfTest" --out "$out/selftest.jsonl" "$@" > "$out/stdout.txt" 2>&1
rc=$?
if command -v compute-sanitizer > /dev/null; then
  timeout 150 compute-sanitizer --tool memcheck "$here/Srt.TorchSharp.GpuSelfTest" --quick > "$out/memcheck.txt" 2>&1
  echo "memcheck (--quick): rc=$?"; grep -E "ERROR SUMMARY|CHECKS" "$out/memcheck.txt"
fi
tail -n 80 "$out/stdout.txt"
echo "self-test rc=$rc"
exit $rc
