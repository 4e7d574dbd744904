#!/usr/bin/env bash
# Packs Srt.Benchmarks for run-on-gpu.sh: a self-contained linux-x64 publish (no .NET needed there; only the .NET
# framework's own assemblies are trimmed, TrimMode=partial, to keep the upload small) without the
# libtorch-cpu natives (the GPU machine's torch wheel supplies a CUDA libtorch), kept: libLibTorchSharp.so (patched
# for older libstdc++ by the build, see docs/torchsharp-natives.md). Usage, from the repository root:
#   bash tests/Srt.Benchmarks/pack-for-gpu.sh [DEVICE_DIR]      (default .device; writes srt-bench.tar.xz there)
set -euo pipefail
dev="${1:-.device}"
mkdir -p "$dev"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pub="$stage/srt-bench"
MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 dotnet publish tests/Srt.Benchmarks/Srt.Benchmarks.csproj \
  -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true -p:DebugType=none \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true -p:TreatWarningsAsErrors=false \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -o "$pub" > "$stage/publish.log" \
  || { tail -n 30 "$stage/publish.log"; exit 1; }
# Drop libtorch-cpu's files and its entry in the deps file (the host refuses to start when a listed asset is missing).
python3 - "$pub" <<'PY'
import json, os, sys
pub = sys.argv[1]
deps_path = os.path.join(pub, "Srt.Benchmarks.deps.json")
deps = json.load(open(deps_path))
removed = []
for target in deps["targets"].values():
    for name, entry in target.items():
        if name.lower().startswith("libtorch-cpu") and "native" in entry:
            for asset in entry.pop("native"):
                path = os.path.join(pub, os.path.basename(asset))
                if os.path.exists(path):
                    os.remove(path)
                    removed.append(os.path.basename(asset))
json.dump(deps, open(deps_path, "w"), indent=2)
print("removed", len(removed), "libtorch-cpu files:", " ".join(sorted(removed)))
PY
test -f "$pub/libLibTorchSharp.so"
tar -C "$stage" -cf - srt-bench | xz -9 -T2 > "$dev/srt-bench.tar.xz"
ls -la "$dev/srt-bench.tar.xz"
