using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Generation;

/// <summary>
/// What the machine can do at best, measured with libtorch itself under the same thread setting. Each rate is taken
/// after the cores have been kept busy for <see cref="WarmUpSeconds"/>: on the 2-core development VM, a second core
/// that was idle runs the first few hundred milliseconds of work at about half speed (a 1024² float32 matmul on 2
/// threads measured 80–95 GFLOP/s then and 160–177 after, within one process), so a rate taken cold understates the
/// machine by up to 2× and overstates every fraction of it.
/// </summary>
internal static class PhysicalRates
{
    private const double WarmUpSeconds = 1.5;

    /// <summary>Best of 5 copies of 256 MiB (bytes read + written per second).</summary>
    public static double MemoryCopyBytesPerSecond()
    {
        using var scope = NewDisposeScope();
        WarmUp();
        var source = ones(64L << 20, ScalarType.Float32);
        var target = empty_like(source);
        target.copy_(source);
        var best = Enumerable.Range(0, 5).Min(_ => Time(() => target.copy_(source)));
        return 2.0 * source.numel() * 4 / best;
    }

    /// <summary>The median of 7 square 2048 matmuls in <paramref name="dtype"/>, after the warm-up and one untimed.</summary>
    public static double MatmulFlopsPerSecond(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        WarmUp();
        const long n = 2048;
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        a.mm(b).Dispose();
        var times = Enumerable.Range(0, 7).Select(_ => Time(() => a.mm(b).Dispose())).ToList();
        return 2.0 * n * n * n / Statistics.Median(times);
    }

    // Keeps every torch thread busy with float32 matmuls for the warm-up time.
    private static void WarmUp()
    {
        using var scope = NewDisposeScope();
        var x = randn(1024, 1024);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < WarmUpSeconds)
        {
            x.mm(x).Dispose();
        }
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
