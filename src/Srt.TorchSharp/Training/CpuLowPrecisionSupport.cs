namespace Srt.TorchSharp.Training;

/// <summary>
/// Whether this CPU runs bfloat16 matmuls natively. libtorch's CPU build sends them to oneDNN only on CPUs with
/// AVX-512 BF16 or AMX (x86) or the BF16 extension (Arm); elsewhere a reference loop runs them, measured on a 2-core
/// AVX2 EPYC at 0.27 GFLOP/s for the input-gradient layout against 128 GFLOP/s in float32 (float16: 0.18 GFLOP/s;
/// <c>Srt.Benchmarks matmul</c>, docs/benchmarks.md), so training such a model there is unusably slow.
/// </summary>
internal static class CpuLowPrecisionSupport
{
    private static readonly Lazy<bool?> Detected = new(() => Detect("/proc/cpuinfo"));

    /// <summary>Gets whether this CPU has native bf16 matmuls: <see langword="null"/> when it cannot be told (not Linux).</summary>
    public static bool? HasNativeBFloat16 => Override is { } answer ? answer() : Detected.Value;

    /// <summary>Gets or sets an answer that replaces detection, for tests.</summary>
    internal static Func<bool?>? Override { get; set; }

    /// <summary>Reads the CPU flags from a <c>/proc/cpuinfo</c>-style file; null when there is no such file or no flag line.</summary>
    internal static bool? Detect(string cpuInfoPath)
    {
        try
        {
            return File.Exists(cpuInfoPath) ? FromCpuInfo(File.ReadAllText(cpuInfoPath)) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Decides from the text of <c>/proc/cpuinfo</c>: x86 lists its extensions on <c>flags</c> lines
    /// (<c>avx512_bf16</c>, <c>amx_bf16</c>), Arm on <c>Features</c> lines (<c>bf16</c>).
    /// </summary>
    internal static bool? FromCpuInfo(string cpuInfo)
    {
        bool sawFlags = false;
        foreach (var line in cpuInfo.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string key = line[..colon].Trim();
            if (key is not ("flags" or "Features"))
            {
                continue;
            }

            sawFlags = true;
            var flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (flags.Any(f => f is "avx512_bf16" or "amx_bf16" or "bf16"))
            {
                return true;
            }
        }

        return sawFlags ? false : null;
    }
}
