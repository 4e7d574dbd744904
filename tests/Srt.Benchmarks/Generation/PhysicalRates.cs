using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Srt.Benchmarks.Generation;

/// <summary>
/// What the machine can do at best, measured with libtorch itself under the same thread setting. Each rate is timed
/// after its operation has run on the same tensors for <see cref="WarmUpSeconds"/>: on the 2-core development VM,
/// work on freshly allocated memory runs at about half speed for up to a second (a 2048² float32 matmul on 2 threads
/// measured 105–130 GFLOP/s on new operands and 165–175 on the same operands a second later; a 1024² one 80–95 and
/// 160–177), as the benchmarked model's long-lived weights do not. A rate taken cold understates the machine by up
/// to 2× and overstates every fraction of it.
/// </summary>
internal static class PhysicalRates
{
    private const double WarmUpSeconds = 1.5;

    /// <summary>Best of 5 copies of 256 MiB (bytes read + written per second).</summary>
    public static double MemoryCopyBytesPerSecond()
    {
        using var scope = NewDisposeScope();
        var source = ones(64L << 20, ScalarType.Float32);
        var target = empty_like(source);
        WarmUp(() => target.copy_(source));
        var best = Enumerable.Range(0, 5).Min(_ => Time(() => target.copy_(source)));
        return 2.0 * source.numel() * 4 / best;
    }

    /// <summary>The median of 7 square 2048 matmuls in <paramref name="dtype"/>, after the warm-up.</summary>
    public static double MatmulFlopsPerSecond(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const long n = 2048;
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        WarmUp(() => a.mm(b).Dispose());
        var times = Enumerable.Range(0, 7).Select(_ => Time(() => a.mm(b).Dispose())).ToList();
        return 2.0 * n * n * n / Statistics.Median(times);
    }

    // Runs the operation to be timed, on its own tensors, until the warm-up time has passed.
    private static void WarmUp(Action action)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            action();
        }
        while (clock.Elapsed.TotalSeconds < WarmUpSeconds);
    }

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
