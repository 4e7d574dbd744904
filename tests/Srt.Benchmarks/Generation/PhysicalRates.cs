using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Generation;

/// <summary>What the machine can do at best, measured with libtorch itself under the same thread setting.</summary>
internal static class PhysicalRates
{
    /// <summary>Best of 5 copies of 256 MiB (bytes read + written per second).</summary>
    public static double MemoryCopyBytesPerSecond()
    {
        using var scope = NewDisposeScope();
        var source = ones(64L << 20, ScalarType.Float32);
        var target = empty_like(source);
        target.copy_(source);
        var best = Enumerable.Range(0, 5).Min(_ => Time(() => target.copy_(source)));
        return 2.0 * source.numel() * 4 / best;
    }

    /// <summary>Best of 5 square 1024 matmuls in <paramref name="dtype"/>.</summary>
    public static double MatmulFlopsPerSecond(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const long n = 1024;
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        matmul(a, b);
        var best = Enumerable.Range(0, 5).Min(_ => Time(() => matmul(a, b).Dispose()));
        return 2.0 * n * n * n / best;
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
